//! `free`: memory in KiB, from `/proc/meminfo` (Linux's format: one
//! `Name:   value kB` per line), read with `open` and `read`. Used memory
//! is total minus available.

pub fn main(_args: Vec<String>) {
    let text = match std::fs::read_to_string("/proc/meminfo") {
        Ok(text) => text,
        Err(e) => {
            tools::report("free", "/proc/meminfo", tools::why(&e));
            std::process::exit(1);
        }
    };
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.split(':').next() == Some(name))?;
        line.split(':')
            .nth(1)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let (Some(total), Some(free)) = (field("MemTotal"), field("MemFree")) else {
        tools::report("free", "/proc/meminfo", "no MemTotal or MemFree line");
        std::process::exit(1);
    };
    let available = field("MemAvailable").unwrap_or(free);
    let used = total.saturating_sub(available);
    println!(
        "{:>7} {:>12} {:>12} {:>12} {:>12}",
        "", "total", "used", "free", "available"
    );
    println!(
        "{:<7} {total:>12} {used:>12} {free:>12} {available:>12}",
        "Mem:"
    );
}
