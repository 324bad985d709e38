//! The shell's commands: one table entry and one function each.
//!
//! To add a command, write `fn my_command(args: &[&str]) -> Result` and add a
//! line to [`COMMANDS`]; `help` lists it automatically.

use super::disk::{cache_report, disk, lspci};
use super::error::{Error, Result, no_args};
use super::filesystems::{df, sync, sync_before_power_off};
use super::programs::{cat, cd, ls, pwd, run as run_program};
use super::threads::{kill, ps, spawn, taskbench};
use crate::arch::{interrupts, power};
use crate::{bench, boot_report, print, println, time};
use alloc::format;
use alloc::string::String;

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
        summary: "frames, heap and block cache: totals, use, allocation counts, hits",
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
        name: "run",
        summary: "run PROGRAM [ARGS...] [&]: run /bin/PROGRAM (or a path), wait, show its status",
        run: run_program,
    },
    Command {
        name: "ls",
        summary: "ls [PATH]: list a directory (sizes in bytes)",
        run: ls,
    },
    Command {
        name: "cat",
        summary: "cat PATH: print a file",
        run: cat,
    },
    Command {
        name: "cd",
        summary: "cd [PATH]: change the shell's directory (default /)",
        run: cd,
    },
    Command {
        name: "pwd",
        summary: "print the shell's directory",
        run: pwd,
    },
    Command {
        name: "spawn",
        summary: "spawn KIND: start demo threads (demo) or a failing one (panic, fault, overflow)",
        run: spawn,
    },
    Command {
        name: "kill",
        summary: "kill ID: end process ID, or else kernel thread ID (see `ps`)",
        run: kill,
    },
    Command {
        name: "taskbench",
        summary: "cost of a thread switch, an async task switch, a spawn+join, in TSC cycles",
        run: taskbench,
    },
    Command {
        name: "pci",
        summary: "list the PCI devices: address, vendor:device, class, capabilities",
        run: lspci,
    },
    Command {
        name: "disk",
        summary: "disk [read SECTOR | sync]: the virtio disk, a sector as hex, write back the cache",
        run: disk,
    },
    Command {
        name: "df",
        summary: "size, used and free space of each mounted file system (KiB), and inodes",
        run: df,
    },
    Command {
        name: "sync",
        summary: "commit the file systems' journals and write back the block cache",
        run: sync,
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
        summary: "sync, then restart the machine",
        run: reboot,
    },
    Command {
        name: "shutdown",
        summary: "sync, then switch the machine off (ends QEMU)",
        run: shutdown,
    },
];

/// The command called `name`.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
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

fn mem(args: &[&str]) -> Result {
    no_args(args, "mem")?;
    crate::memory::report();
    cache_report();
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
    let figures = bench::irq::run().map_err(Error::Failed)?;
    println!(
        "interrupt round trip (self-IPI, {} runs): min {} / median {} / max {} TSC cycles; median {} ns at {} MHz",
        bench::irq::RUNS,
        figures.min,
        figures.median,
        figures.max,
        time::cycles_to_ns(figures.median),
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
    // The breakpoint exception's handler prints a report and returns right
    // after the instruction.
    x86_64::instructions::interrupts::int3();
    println!("back from the breakpoint");
    Ok(())
}

fn panic(args: &[&str]) -> Result {
    no_args(args, "panic")?;
    panic!("deliberate panic from the shell");
}

fn reboot(args: &[&str]) -> Result {
    no_args(args, "reboot")?;
    sync_before_power_off("reboot");
    power::reboot()
}

fn shutdown(args: &[&str]) -> Result {
    no_args(args, "shutdown")?;
    sync_before_power_off("shutdown");
    power::shutdown()
}
