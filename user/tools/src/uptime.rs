//! `uptime`: how long the system has run, from `/proc/uptime` (Linux's
//! format: seconds since boot and idle seconds, e.g. `350.72 321.45`),
//! read with `open` and `read`. Prints `up 0:05:50`, with days if any.

pub fn main(_args: Vec<String>) {
    let text = match std::fs::read_to_string("/proc/uptime") {
        Ok(text) => text,
        Err(e) => {
            tools::report("uptime", "/proc/uptime", tools::why(&e));
            std::process::exit(1);
        }
    };
    let seconds = text
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok());
    let Some(seconds) = seconds else {
        tools::report(
            "uptime",
            "/proc/uptime",
            format!("unexpected contents {text:?}"),
        );
        std::process::exit(1);
    };
    let total = seconds as u64;
    let (days, hours, minutes, secs) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    match days {
        0 => println!("up {hours}:{minutes:02}:{secs:02}"),
        1 => println!("up 1 day, {hours}:{minutes:02}:{secs:02}"),
        _ => println!("up {days} days, {hours}:{minutes:02}:{secs:02}"),
    }
}
