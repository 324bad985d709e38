//! The shell's commands: one table entry and one function each.
//!
//! To add a command, write `fn my_command(args: &[&str]) -> Result` and add a
//! line to [`COMMANDS`]; `help` lists it automatically.

use super::threads::{kill, ps, spawn, taskbench};
use crate::arch::{apic, interrupts, irq, power};
use crate::{boot_report, print, println, time};
use alloc::format;
use alloc::string::String;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

/// Why a command failed; printed as `error: NAME: ...`.
#[derive(Debug)]
pub enum Error {
    /// The arguments do not fit; the text says what is expected.
    Usage(&'static str),
    /// Something else went wrong.
    Failed(&'static str),
    /// The same, with details only known at run time.
    Text(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(usage) => write!(f, "usage: {usage}"),
            Error::Failed(why) => f.write_str(why),
            Error::Text(why) => f.write_str(why),
        }
    }
}

pub type Result = core::result::Result<(), Error>;

/// One command.
pub struct Command {
    pub name: &'static str,
    /// Shown by `help`.
    pub summary: &'static str,
    pub run: fn(&[&str]) -> Result,
}

/// Every command, in the order `help` shows them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        summary: "list the commands",
        run: help,
    },
    Command {
        name: "echo",
        summary: "echo ARGS...: print the arguments",
        run: echo,
    },
    Command {
        name: "clear",
        summary: "clear the screen",
        run: clear,
    },
    Command {
        name: "uptime",
        summary: "time since the kernel started (TSC clock), the TSC's rate",
        run: uptime,
    },
    Command {
        name: "irq",
        summary: "interrupt counts per vector",
        run: irq_counts,
    },
    Command {
        name: "irqbench",
        summary: "measure an interrupt round trip in TSC cycles",
        run: irqbench,
    },
    Command {
        name: "mem",
        summary: "frames and heap: totals, use, allocation counts",
        run: mem,
    },
    Command {
        name: "heapbench",
        summary: "heapbench [OPS]: mixed alloc/free workload on the kernel heap, in ops/s",
        run: heapbench,
    },
    Command {
        name: "ps",
        summary: "list the threads: id, name, state, CPU time, stack",
        run: ps,
    },
    Command {
        name: "spawn",
        summary: "spawn KIND: start demo threads (demo) or a failing one (panic, fault, overflow)",
        run: spawn,
    },
    Command {
        name: "kill",
        summary: "kill ID: end thread ID (see `ps`)",
        run: kill,
    },
    Command {
        name: "taskbench",
        summary: "cost of a thread switch, an async task switch, a spawn+join, in TSC cycles",
        run: taskbench,
    },
    Command {
        name: "boot",
        summary: "the boot report again",
        run: boot,
    },
    Command {
        name: "int3",
        summary: "raise a breakpoint exception (execution continues)",
        run: int3,
    },
    Command {
        name: "panic",
        summary: "panic on purpose (halts the kernel)",
        run: panic,
    },
    Command {
        name: "reboot",
        summary: "restart the machine",
        run: reboot,
    },
    Command {
        name: "shutdown",
        summary: "switch the machine off (ends QEMU)",
        run: shutdown,
    },
];

/// The command called `name`.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

pub fn no_args(args: &[&str], usage: &'static str) -> Result {
    if args.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(usage))
    }
}

fn help(args: &[&str]) -> Result {
    no_args(args, "help")?;
    for command in COMMANDS {
        println!("  {:<10} {}", command.name, command.summary);
    }
    Ok(())
}

fn echo(args: &[&str]) -> Result {
    for (i, arg) in args.iter().enumerate() {
        let separator = if i == 0 { "" } else { " " };
        print!("{separator}{arg}");
    }
    println!();
    Ok(())
}

fn clear(args: &[&str]) -> Result {
    no_args(args, "clear")?;
    // Erase the screen and put the cursor top left (the terminal does the same).
    print!("\x1b[2J\x1b[1;1H");
    Ok(())
}

fn uptime(args: &[&str]) -> Result {
    no_args(args, "uptime")?;
    let ns = time::now_ns();
    println!(
        "up {}.{:09} s since the kernel started ({} timer ticks at {} Hz)",
        ns / 1_000_000_000,
        ns % 1_000_000_000,
        time::ticks(),
        time::TICK_HZ
    );
    let hz = time::tsc_hz();
    let refined = match time::refined_over_s() {
        None => String::from("not refined: no usable ACPI PM timer"),
        Some(0) => String::from("measured on the PIT at boot; refinement pending"),
        Some(s) => format!("refined over {s} s against the ACPI PM timer"),
    };
    println!(
        "TSC: {}.{:06} MHz ({refined}; {}.{:06} MHz at boot), {} s since power-on or reset",
        hz / 1_000_000,
        hz % 1_000_000,
        time::boot_tsc_hz() / 1_000_000,
        time::boot_tsc_hz() % 1_000_000,
        boot_report::Seconds(time::since_reset())
    );
    Ok(())
}

fn irq_counts(args: &[&str]) -> Result {
    no_args(args, "irq")?;
    println!("  vector  name                          count");
    interrupts::for_each_count(|vector, name, count| {
        println!("  {vector:>3} {vector:#04x}  {name:<28} {count:>6}");
    });
    Ok(())
}

static BENCH_HITS: AtomicU64 = AtomicU64::new(0);
const BENCH_RUNS: usize = 1000;

/// Sends `BENCH_RUNS` interrupts to ourselves (a self-IPI through the local
/// APIC, delivered on the same entry path as the timer interrupt) and measures,
/// in TSC cycles, from the request to the moment the handler's effect is seen.
fn mem(args: &[&str]) -> Result {
    no_args(args, "mem")?;
    crate::memory::report();
    Ok(())
}

/// Operations `heapbench` runs when not told otherwise.
const HEAPBENCH_OPS: usize = 20_000;

fn heapbench(args: &[&str]) -> Result {
    const USAGE: &str = "heapbench [OPS] (OPS from 1000 to 10000000)";
    let ops = match args {
        [] => HEAPBENCH_OPS,
        [n] => n
            .parse()
            .ok()
            .filter(|n| (1000..=10_000_000).contains(n))
            .ok_or(Error::Usage(USAGE))?,
        _ => return Err(Error::Usage(USAGE)),
    };
    let (result, ticks) = crate::memory::heap::bench(ops, 0x5eed);
    let ns = time::cycles_to_ns(ticks).max(1);
    println!(
        "heap workload (b): {} random allocs/frees ({} failed) + {} to set up and free \
         the rest = {} allocator calls, {} bytes requested, in {} us: {} calls/s",
        result.ops - result.extra_ops,
        result.failed,
        result.extra_ops,
        result.ops,
        result.bytes_requested,
        ns / 1000,
        result.ops * 1_000_000_000 / ns
    );
    Ok(())
}

fn irqbench(args: &[&str]) -> Result {
    no_args(args, "irqbench")?;
    if !x86_64::instructions::interrupts::are_enabled() {
        return Err(Error::Failed("interrupts are disabled"));
    }
    interrupts::register(irq::BENCH_VECTOR, "irqbench self-IPI", |_| {
        BENCH_HITS.fetch_add(1, Ordering::SeqCst);
    });
    let mut cycles = [0u64; BENCH_RUNS];
    for slot in cycles.iter_mut() {
        let before = BENCH_HITS.load(Ordering::SeqCst);
        let start = time::rdtsc();
        apic::send_self(irq::BENCH_VECTOR);
        while BENCH_HITS.load(Ordering::SeqCst) == before {
            core::hint::spin_loop();
        }
        *slot = time::rdtsc() - start;
    }
    cycles.sort_unstable();
    let median = cycles[BENCH_RUNS / 2];
    println!(
        "interrupt round trip (self-IPI, {BENCH_RUNS} runs): min {} / median {} / max {} TSC cycles; median {} ns at {} MHz",
        cycles[0],
        median,
        cycles[BENCH_RUNS - 1],
        time::cycles_to_ns(median),
        time::tsc_hz() / 1_000_000
    );
    Ok(())
}

fn boot(args: &[&str]) -> Result {
    no_args(args, "boot")?;
    let info = super::boot_info().ok_or(Error::Failed("no boot information"))?;
    boot_report::print(info);
    Ok(())
}

fn int3(args: &[&str]) -> Result {
    no_args(args, "int3")?;
    // SAFETY: `int3` raises the breakpoint exception, whose handler prints a
    // report and returns right after the instruction.
    unsafe { core::arch::asm!("int3") };
    println!("back from the breakpoint");
    Ok(())
}

fn panic(args: &[&str]) -> Result {
    no_args(args, "panic")?;
    panic!("deliberate panic from the shell");
}

fn reboot(args: &[&str]) -> Result {
    no_args(args, "reboot")?;
    power::reboot()
}

fn shutdown(args: &[&str]) -> Result {
    no_args(args, "shutdown")?;
    power::shutdown()
}
