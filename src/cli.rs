//! The runner's command line: `cargo run -- [COMMAND] [OPTIONS] [-- QEMU-ARGS...]`.
//!
//! Parsing is pure (a list of strings in, a [`Cli`] or an error message out), so it
//! is tested on the host like any other function.

use crate::builder::Loader;
use crate::qemu::Firmware;

pub const HELP: &str = "\
Kestrel runner: builds the kernel into BIOS and UEFI disk images and boots them in QEMU.

usage: cargo run -- [COMMAND] [OPTIONS] [-- QEMU-ARGS...]

commands:
  (none)           build, then boot the kernel in QEMU: it starts /sbin/init,
                   which starts the user shell (/bin/sh) on screen and serial
  inspect [ELF]    show the kernel ELF's entry point, sections and size
                   (default: the kernel this command builds)
  test [NAME...]   build and boot the kernel test binaries (kernel/tests/*.rs),
                   all of them or those named, under BIOS (or --uefi, or --both)
  screenshot FILE  boot headless, wait for the boot report, save the screen as PNG
  bench-boot       boot 5 times per firmware and build profile and print the
                   median time from QEMU start to the kernel's first serial line
  bench-user       the user benchmark (user/bench) on Linux (Debian's cloud
                   kernel, fetched with apt-get) and on Kestrel, in the same
                   QEMU; prints both and the ratio per figure
  soak             (with --release) boot Kestrel and loop fork, exec and pipe
                   work for --minutes N (default 10), sampling the kernel's
                   frame and heap counts; exit 0 if they stayed flat, 1 if
                   they grew
  setup            check for (and where possible install) everything the
                   runner needs: the toolchain's targets and components,
                   QEMU, OVMF, e2fsprogs and busybox-static; every other
                   command does this too (for QEMU and OVMF)
  help             this text

options:
  --uefi           boot through UEFI firmware (OVMF) instead of BIOS
  --both           (test) run under BIOS and UEFI
  --headless       no window; the serial console is this terminal
                   (chosen automatically when there is no DISPLAY/WAYLAND_DISPLAY)
  --images         build only, print `bios: PATH` and `uefi: PATH` and exit
  --gdb            start QEMU halted with a GDB stub on localhost:1234
  --monitor        boot to the kernel monitor (the kernel shell, `kestrel>`)
                   instead of init and the user shell (also: hold Esc while
                   it boots; or end init: the monitor follows)
  --release        build an optimized kernel
  --loader NAME    the bootloader in the images: `kestrel`, our own (the
                   default), or `bootloader-crate` (the `bootloader` crate
                   0.11, built on first use: about two minutes, and it needs
                   the rust-src and llvm-tools components)
  --timeout SECS   (test) give up on a test kernel after SECS seconds (default 120)
  --runs N         (bench-boot) boots per configuration (default 5)
  --disk FILE      attach FILE (a raw image) as a virtio-blk disk, instead of
                   Kestrel's own disk, target/disk/kestrel.img (an ext2 image
                   with the user programs, made on the first run and kept,
                   so files written in Kestrel stay; no e2fsprogs needed)
  --fresh-disk     build target/disk/kestrel.img again before booting
  --no-disk        boot without a disk
  --minutes N      (soak) how long to soak; a decimal, e.g. 0.25 for 15 s
  --quick          (bench-user) small batches: checks the path, not figures
  --only NAMES     (bench-user) only these figures' measures, e.g. seq_read,small_files
  -h, --help       this text
  -- ARGS...       everything after a second `--` is passed to QEMU unchanged,
                   e.g. `cargo run -- -- -m 2G -smp 2`

In a headless session, type Ctrl-A then X to quit QEMU (Ctrl-A C: QEMU monitor).
";

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Run,
    Images,
    Inspect { elf: Option<String> },
    Test { names: Vec<String> },
    BenchBoot,
    BenchUser,
    Soak,
    Screenshot { file: String },
    Setup,
    Help,
}

/// The parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cli {
    pub command: Command,
    pub firmware: Firmware,
    pub both_firmwares: bool,
    pub headless: bool,
    pub gdb: bool,
    pub release: bool,
    pub loader: Loader,
    pub timeout_secs: u64,
    pub runs: usize,
    /// `--disk FILE`: a raw image attached as a virtio-blk disk.
    pub disk: Option<String>,
    /// `--fresh-disk`: rebuild the default disk image first.
    pub fresh_disk: bool,
    /// `--no-disk`: attach no disk at all.
    pub no_disk: bool,
    pub quick: bool,
    /// `--only NAMES` of `bench-user`: these figures only.
    pub only: Vec<String>,
    /// `--monitor`: boot to the kernel monitor, not to init.
    pub monitor: bool,
    /// `--minutes N` of `soak`, in seconds.
    pub soak_seconds: u64,
    pub qemu_args: Vec<String>,
}

impl Default for Cli {
    fn default() -> Self {
        Cli {
            command: Command::Run,
            firmware: Firmware::Bios,
            both_firmwares: false,
            headless: false,
            gdb: false,
            release: false,
            loader: Loader::Kestrel,
            timeout_secs: 120,
            runs: 5,
            disk: None,
            fresh_disk: false,
            no_disk: false,
            quick: false,
            only: Vec::new(),
            monitor: false,
            soak_seconds: 600,
            qemu_args: Vec::new(),
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Cli, String> {
    let mut cli = Cli::default();
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" => {
                cli.qemu_args = args.by_ref().collect();
            }
            "--uefi" => cli.firmware = Firmware::Uefi,
            "--bios" => cli.firmware = Firmware::Bios,
            "--both" => cli.both_firmwares = true,
            "--headless" => cli.headless = true,
            "--images" => cli.command = Command::Images,
            "--gdb" => cli.gdb = true,
            "--release" => cli.release = true,
            "--timeout" => cli.timeout_secs = number(&arg, args.next())?,
            "--runs" => cli.runs = number(&arg, args.next())?,
            "--quick" => cli.quick = true,
            "--only" => {
                let list = args.next().ok_or("`--only` needs figure names")?;
                cli.only = crate::bench_user::parse_only(&list)?;
            }
            "--monitor" => cli.monitor = true,
            "--minutes" => cli.soak_seconds = minutes(args.next())?,
            "--loader" => cli.loader = loader(args.next())?,
            "--disk" => {
                cli.disk = Some(
                    args.next()
                        .ok_or("`--disk` needs a file (a raw disk image)")?,
                )
            }
            "--fresh-disk" => cli.fresh_disk = true,
            "--no-disk" => cli.no_disk = true,
            "-h" | "--help" => cli.command = Command::Help,
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown option `{flag}` (see `cargo run -- --help`)"
                ));
            }
            _ => positional.push(arg),
        }
    }
    if cli.command == Command::Run {
        cli.command = command(positional)?;
    } else if !positional.is_empty() {
        return Err(format!("unexpected argument `{}`", positional[0]));
    }
    if cli.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    if cli.timeout_secs == 0 {
        return Err("--timeout must be at least 1 (seconds)".into());
    }
    check_disk_flags(&cli)?;
    Ok(cli)
}

/// `--disk`, `--fresh-disk` and `--no-disk` choose one disk: refuse mixes.
fn check_disk_flags(cli: &Cli) -> Result<(), String> {
    match (&cli.disk, cli.fresh_disk, cli.no_disk) {
        (_, true, true) => Err("`--fresh-disk` and `--no-disk` contradict each other".into()),
        (Some(_), _, true) => Err("`--disk FILE` and `--no-disk` contradict each other".into()),
        (Some(_), true, _) => Err(
            "`--fresh-disk` rebuilds Kestrel's own disk; it does not go with `--disk FILE`".into(),
        ),
        _ => Ok(()),
    }
}

fn loader(value: Option<String>) -> Result<Loader, String> {
    match value.as_deref() {
        Some("kestrel") => Ok(Loader::Kestrel),
        Some("bootloader-crate") => Ok(Loader::BootloaderCrate),
        Some(other) => Err(format!(
            "unknown loader `{other}` (loaders: kestrel, bootloader-crate)"
        )),
        None => Err("`--loader` needs a name: kestrel or bootloader-crate".into()),
    }
}

fn command(mut positional: Vec<String>) -> Result<Command, String> {
    if positional.is_empty() {
        return Ok(Command::Run);
    }
    let rest = positional.split_off(1);
    let command = match positional[0].as_str() {
        "inspect" if rest.len() <= 1 => Command::Inspect {
            elf: rest.into_iter().next(),
        },
        "inspect" => return Err("`inspect` takes at most one ELF path".into()),
        "test" => Command::Test { names: rest },
        "screenshot" if rest.len() == 1 => Command::Screenshot {
            file: rest[0].clone(),
        },
        "screenshot" => return Err("`screenshot` takes one file name".into()),
        "bench-boot" | "bench-user" | "soak" | "setup" | "help" if !rest.is_empty() => {
            return Err(format!("`{}` takes no arguments", positional[0]));
        }
        "bench-boot" => Command::BenchBoot,
        "bench-user" => Command::BenchUser,
        "soak" => Command::Soak,
        "setup" => Command::Setup,
        "help" => Command::Help,
        other => {
            return Err(format!(
                "unknown command `{other}` (commands: inspect, test, screenshot, bench-boot, bench-user, soak, setup, help)"
            ));
        }
    };
    Ok(command)
}

/// `--minutes N` (a positive decimal) in whole seconds, at least 1.
fn minutes(value: Option<String>) -> Result<u64, String> {
    let value = value.ok_or("`--minutes` needs a number")?;
    match value.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 10_000.0 => Ok(((m * 60.0).round() as u64).max(1)),
        _ => Err(format!(
            "`--minutes` needs a positive number of minutes, not `{value}`"
        )),
    }
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("`{flag}` needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("`{flag}` needs a number, not `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Cli, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn no_arguments_means_run_bios() {
        let cli = parse_str("").unwrap();
        assert_eq!(cli, Cli::default());
        assert_eq!(cli.command, Command::Run);
        assert_eq!(cli.firmware, Firmware::Bios);
    }

    #[test]
    fn monitor_is_a_flag() {
        assert!(parse_str("--monitor").unwrap().monitor);
        assert!(!parse_str("--headless").unwrap().monitor);
    }

    #[test]
    fn flags_combine() {
        let cli = parse_str("--uefi --headless --gdb --release").unwrap();
        assert_eq!(cli.firmware, Firmware::Uefi);
        assert!(cli.headless && cli.gdb && cli.release);
        assert_eq!(cli.command, Command::Run);
    }

    #[test]
    fn images_flag_selects_images_command() {
        assert_eq!(
            parse_str("--images --release").unwrap().command,
            Command::Images
        );
    }

    #[test]
    fn everything_after_double_dash_goes_to_qemu() {
        let cli = parse_str("--uefi -- -m 2G -smp 2 --uefi").unwrap();
        assert_eq!(cli.qemu_args, ["-m", "2G", "-smp", "2", "--uefi"]);
        assert_eq!(cli.firmware, Firmware::Uefi);
    }

    #[test]
    fn subcommands_and_their_arguments() {
        assert_eq!(
            parse_str("inspect").unwrap().command,
            Command::Inspect { elf: None }
        );
        assert_eq!(
            parse_str("inspect /tmp/k").unwrap().command,
            Command::Inspect {
                elf: Some("/tmp/k".into())
            }
        );
        assert_eq!(
            parse_str("test basics --both").unwrap(),
            Cli {
                command: Command::Test {
                    names: vec!["basics".into()]
                },
                both_firmwares: true,
                ..Cli::default()
            }
        );
        assert_eq!(
            parse_str("screenshot s.png --uefi").unwrap().command,
            Command::Screenshot {
                file: "s.png".into()
            }
        );
        let bench = parse_str("bench-boot --runs 3").unwrap();
        assert_eq!((bench.command, bench.runs), (Command::BenchBoot, 3));
        assert_eq!(parse_str("setup").unwrap().command, Command::Setup);
        let only = parse_str("bench-user --only seq_read,small_files").unwrap();
        assert_eq!(only.only, ["seq_read", "small_files"]);
        let typo = parse_str("bench-user --only seq_reed").unwrap_err();
        assert!(typo.contains("no figure is called `seq_reed`"), "{typo}");
        assert!(parse_str("bench-user --only").is_err());
        let user = parse_str("bench-user --quick").unwrap();
        assert_eq!((user.command, user.quick), (Command::BenchUser, true));
        assert!(!parse_str("bench-user").unwrap().quick);
        assert!(parse_str("bench-user now").is_err());
    }

    #[test]
    fn soak_lasts_ten_minutes_unless_told() {
        let soak = parse_str("soak --release").unwrap();
        assert_eq!((soak.command, soak.soak_seconds), (Command::Soak, 600));
        assert_eq!(parse_str("soak --minutes 0.25").unwrap().soak_seconds, 15);
        assert_eq!(parse_str("soak --minutes 2").unwrap().soak_seconds, 120);
        for bad in [
            "soak --minutes",
            "soak --minutes 0",
            "soak --minutes -1",
            "soak --minutes x",
        ] {
            let error = parse_str(bad).unwrap_err();
            assert!(error.contains("--minutes"), "{bad}: {error}");
        }
        assert!(parse_str("soak 10").is_err());
    }

    #[test]
    fn bad_input_gives_a_message() {
        assert!(
            parse_str("--frobnicate")
                .unwrap_err()
                .contains("--frobnicate")
        );
        assert!(
            parse_str("fly")
                .unwrap_err()
                .contains("unknown command `fly`")
        );
        assert!(
            parse_str("--timeout")
                .unwrap_err()
                .contains("needs a number")
        );
        assert!(parse_str("--timeout soon").unwrap_err().contains("`soon`"));
        assert!(parse_str("--runs 0 bench-boot").is_err());
        assert!(
            parse_str("test --timeout 0")
                .unwrap_err()
                .contains("--timeout must be at least 1")
        );
        assert_eq!(parse_str("test --timeout 1").unwrap().timeout_secs, 1);
        assert!(parse_str("inspect a b").is_err());
        assert!(parse_str("bench-boot now").is_err());
        assert!(parse_str("setup everything").is_err());
        assert!(parse_str("screenshot").is_err());
        assert!(parse_str("--images extra").is_err());
    }

    #[test]
    fn loader_choice() {
        assert_eq!(parse_str("").unwrap().loader, Loader::Kestrel);
        let cli = parse_str("test basics --uefi --loader kestrel").unwrap();
        assert_eq!(
            (cli.loader, cli.firmware),
            (Loader::Kestrel, Firmware::Uefi)
        );
        assert_eq!(
            parse_str("--loader bootloader-crate").unwrap().loader,
            Loader::BootloaderCrate
        );
        // Images and the benchmark need no firmware choice.
        assert_eq!(
            parse_str("--images --loader kestrel").unwrap().loader,
            Loader::Kestrel
        );
        assert!(parse_str("bench-boot --loader kestrel").is_ok());
        // Both loaders boot both firmwares.
        assert!(parse_str("--loader kestrel").is_ok());
        assert!(parse_str("test --both --loader bootloader-crate").is_ok());
        assert!(parse_str("--loader grub").unwrap_err().contains("`grub`"));
        assert!(parse_str("--loader").unwrap_err().contains("needs a name"));
    }

    #[test]
    fn disk_takes_a_file() {
        assert_eq!(
            parse_str("--disk d.img --headless")
                .unwrap()
                .disk
                .as_deref(),
            Some("d.img")
        );
        assert_eq!(parse_str("").unwrap().disk, None);
        assert!(parse_str("--disk").unwrap_err().contains("needs a file"));
    }

    #[test]
    fn disk_flags_choose_one_disk() {
        let cli = parse_str("").unwrap();
        assert!(!cli.fresh_disk && !cli.no_disk);
        assert!(parse_str("--fresh-disk").unwrap().fresh_disk);
        assert!(parse_str("--no-disk").unwrap().no_disk);
        for bad in [
            "--fresh-disk --no-disk",
            "--disk d.img --no-disk",
            "--disk d.img --fresh-disk",
        ] {
            assert!(parse_str(bad).is_err(), "{bad}");
        }
        assert!(
            parse_str("--no-disk --disk x")
                .unwrap_err()
                .contains("contradict")
        );
    }

    #[test]
    fn help_is_recognised() {
        assert_eq!(parse_str("--help").unwrap().command, Command::Help);
        assert_eq!(parse_str("help").unwrap().command, Command::Help);
        assert!(HELP.contains("--images") && HELP.contains("inspect"));
    }
}
