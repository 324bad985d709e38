//! A backend for the `log` crate, so `log::info!` and friends work in the kernel.
//!
//! Each record becomes one line `[LEVEL] message`, the level coloured with an ANSI
//! escape that both the serial terminal and our framebuffer console understand.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct KernelLogger;

static LOGGER: KernelLogger = KernelLogger;

/// The ANSI colour escape for each level.
fn colour(level: Level) -> &'static str {
    match level {
        Level::Error => "\x1b[31m", // red
        Level::Warn => "\x1b[33m",  // yellow
        Level::Info => "\x1b[32m",  // green
        Level::Debug => "\x1b[36m", // cyan
        Level::Trace => "\x1b[90m", // grey
    }
}

impl Log for KernelLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let level = record.level();
            crate::println!("{}[{:5}]\x1b[0m {}", colour(level), level, record.args());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger, showing `Info` and more severe by default. Calling it
/// again only sets the level.
pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Info);
}
