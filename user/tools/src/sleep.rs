//! `sleep SECONDS`: waits (one `nanosleep`, or `clock_nanosleep`). SECONDS
//! may have a fraction: `sleep 0.5`.

use std::time::Duration;

const USAGE: &str = "sleep SECONDS";

pub fn main(args: Vec<String>) {
    let [seconds] = &args[..] else {
        tools::usage_error("sleep", USAGE, "needs one number of seconds");
    };
    match seconds
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        Some(duration) => std::thread::sleep(duration),
        None => tools::usage_error(
            "sleep",
            USAGE,
            &format!("{seconds}: not a number of seconds"),
        ),
    }
}
