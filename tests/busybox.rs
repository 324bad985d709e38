//! Debian's busybox on Kestrel, and the differential test against Linux.
//!
//! One boot under BIOS, with Kestrel's disk image built as the runner
//! builds it (our programs, `/bin/busybox` and its applet links), plus the
//! driver script `/cases/all.sh` made from [`CASES`]. In that boot the
//! kernel shell runs busybox directly, through an applet link and as
//! `sh -c`, then an interactive `busybox sh` session typed over serial, and
//! then the differential test: the driver runs every case with busybox's
//! shell in a fresh directory under `/tmp/case` and prints its stdout,
//! stderr and exit status between markers. The host runs the same driver
//! with the *same* busybox binary (`/bin/busybox`), in a temporary
//! directory, with the environment the kernel shell gives its programs; the
//! three must be equal, byte for byte, case by case.
//!
//! To add a case, add a `(name, script)` line to [`CASES`]. Scripts must
//! not print what differs between the two systems for reasons that are not
//! bugs: absolute paths of the case directory, directory sizes and block
//! counts (`ls -l` of a directory, `du`), the current time (use `touch -d`),
//! user names (use `ls -ln`: Kestrel has no /etc/passwd), and `$0` or error
//! lines of the shell itself carry the driver's name and line numbers
//! (the same on both sides, but they move when a case is added).

mod common;

use common::{PROMPT, boot_to_prompt, user_programs, wait_after};
use kestrel::CaptureOptions;
use kestrel::busybox::{Busybox, HOST_PATH, INSTALL};
use kestrel::qemu::tempdir::TempDir;
use kestrel::qemu::{Firmware, Session};
use std::path::Path;
use std::process::{Command, Stdio};

/// The host's busybox, or a failure that says how to install it.
fn host_busybox() -> Busybox {
    Busybox::load(Path::new(HOST_PATH)).unwrap_or_else(|why| {
        panic!(
            "this test needs Debian's busybox-static on the host: {why}\n\
             Install it with:\n    {INSTALL}\n(or `cargo run -- setup`)"
        )
    })
}

/// Kestrel's disk image with our programs and busybox, in `dir`.
fn disk_with_busybox(dir: &Path, busybox: &Busybox) -> std::path::PathBuf {
    let programs = user_programs();
    let image =
        kestrel::disk_image::build_with_busybox(&programs, Some(busybox), 1_700_000_000).unwrap();
    let image = with_cases(image);
    let path = dir.join("kestrel.img");
    std::fs::write(&path, image).unwrap();
    path
}

/// Sends `line` + Enter, waits for `until` after the echo; returns the
/// text from the end of the echo up to `until`'s end.
fn send(session: &mut Session, from: usize, line: &str, until: &str) -> (String, usize) {
    session.write_serial(line.as_bytes()).unwrap();
    session.write_serial(b"\r").unwrap();
    let end_of_echo = wait_after(session, from, "\n");
    let after = wait_after(session, end_of_echo, until);
    (program_text(&session.serial()[end_of_echo..after]), after)
}

/// The differential cases: a name (the order they run in) and a script.
const CASES: &[(&str, &str)] = &[
    (
        "01-files",
        "mkdir -p a/b/c; touch a/b/c/f; ln -s b a/link; ls a a/b; ls a/link/c
         echo x > f1; mv f1 f2; cat f2; ls; rm f2; rmdir a/b/c 2>&1; rm a/b/c/f
         rmdir a/b/c; ls -R a; cat a/link/c/f",
    ),
    (
        "02-redirection",
        "echo one > f; echo two >> f; cat < f; cat nofile 2> err; echo status $?
         cat err; ls nofile 2>&1 | wc -l; { echo out; echo err >&2; } > both 2>&1
         cat both; echo three > f; cat f; exec 3> g; echo via3 >&3; exec 3>&-; cat g",
    ),
    (
        "03-pipes",
        "printf 'b\\na\\nc\\n' | sort | tr a-z A-Z; seq 1 100 | grep 7 | wc -l
         echo abc | cat | cat | rev; yes x | head -n 3; false | true; echo $?",
    ),
    (
        "04-substitution-and-loops",
        "x=$(echo hi | sed s/h/H/); echo $x; for i in 1 2 3; do echo n$i; done
         i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo w$i; done; echo $(( 6 * 7 ))
         echo \"$(echo a; echo b)\"; for f in $(seq 3 -1 1); do printf '%s.' $f; done; echo
         n=0; until [ $n = 2 ]; do n=$((n+1)); done; echo until $n
         case abc in a*) echo match;; *) echo no;; esac",
    ),
    (
        "05-find",
        "mkdir -p d/e/f; touch d/x d/e/y d/e/f/z; find d | sort; find d -type f | sort
         find d -name y; find d -type d -name 'e*'; find . -maxdepth 1 | sort
         find nothing; echo status $?",
    ),
    (
        "06-sort",
        "printf '3 c\\n1 a\\n2 b\\n10 j\\n1 a\\n' > f; sort f; sort -n f; sort -r -k2 f
         sort -u f; sort -n -r f | head -n 2; sort missing; echo status $?",
    ),
    (
        "07-sed",
        "printf 'hello world\\nfoo bar\\nhello again\\n' > f; sed 's/o/0/g' f; sed -n 2p f
         sed -i 's/foo/baz/' f; cat f; sed '/hello/d' f; sed -e 1d -e 's/a/A/' f
         sed 's/x' f; echo status $?",
    ),
    (
        "08-grep",
        "printf 'hello world\\nfoo bar\\nHello again\\n' > f; grep -n o f; grep -c bar f
         grep -v hello f; grep -i hello f; grep -q nothing f; echo $?; mkdir d
         cp f d/g; grep -r foo d; grep -e foo -e again f; grep foo missing; echo $?",
    ),
    (
        "09-wc",
        "printf 'one two\\nthree\\n' > f; wc -l f; wc -w < f; wc -c f; wc f
         echo -n abc | wc -c; wc missing; echo status $?",
    ),
    (
        "10-cp-and-rm-recursive",
        "mkdir -p src/sub/deep; echo a > src/a; echo b > src/sub/b
         echo c > src/sub/deep/c; cp -r src dst; find dst | sort; cat dst/sub/b dst/sub/deep/c
         cp src dst2; echo status $?; rm src; echo status $?; rm -r dst src; ls; rm -r gone
         echo status $?; rm -rf gone; echo status $?",
    ),
    (
        "11-ls-with-fixed-times",
        "umask 022; touch -d '2020-01-02 03:04:05' f; echo hello > g
         touch -d '2019-06-07 08:09:10' g; ln -s g l; ls -ln f g; chmod 600 g; ls -ln g
         ls -ln --full-time f; ls -1; ls -t f g; mkdir d; ls -F
         # a new file shows its time of day, not its year (needs `time`):
         ls -ln l | grep -c ' [0-9][0-9]:[0-9][0-9] l -> g$'",
    ),
    (
        "12-errors",
        "cat missing; echo $?; ls --bogus; echo $?; mkdir m; mkdir m; echo $?
         rmdir missing; echo $?; nosuchcommand; echo $?; mv missing x; echo $?
         cd missing; echo $?; exit 3",
    ),
    (
        "13-proc-fd",
        "echo piped | cat /dev/stdin; echo via-fd | cat /dev/fd/0; echo x > f; exec 3< f
         readlink /proc/self/fd/3 | sed 's|.*/||'; cat /proc/self/fd/3 /dev/fd/3; exec 3<&-
         echo | readlink /proc/self/fd/0 | sed 's/[0-9][0-9]*/N/'
         echo | { [ -p /dev/stdin ] && echo fifo; }; readlink /dev/stdout; readlink /dev/fd
         cat /proc/self/cmdline | tr '\\0' ' '; echo; (cd /tmp && readlink /proc/self/cwd)
         # appended, as the last output: the case's stdout and stderr are files
         echo out >> /dev/stdout; echo err >> /dev/stderr",
    ),
    (
        "14-closed-stdin-and-stdout",
        "echo data > f; cat <&-; echo \"cat, stdin closed: $?\"
         cat f >&-; echo \"cat, stdout closed: $?\"; echo hi >&-; echo \"echo: $?\"
         busybox echo hi >&-; echo \"busybox echo: $?\"; ls f >&-; echo \"ls: $?\"
         wc -c <&- f; (exec <&-; read line; echo \"read, stdin closed: $?\")
         { yes; echo \"yes after its reader ended: $?\" >&2; } | head -n 2
         : | cat; echo \"cat of an empty pipe: $?\"",
    ),
];

/// Prints a file as it is, then a newline (the parser takes it off again),
/// with the shell's builtins only: no process per file.
const SHOW: &str = r#"show() { while IFS= read -r l; do printf '%s\n' "$l"; done < "$1"; printf '%s' "$l"; echo; }"#;

/// The driver, `all.sh`: run as `busybox sh ./all.sh WORK` from its own
/// directory, on both systems. Every case runs in a subshell, in the new
/// directory `WORK/NAME`, and its stdout, stderr and exit status are printed
/// between markers. One script, so that a case costs one `fork` and no
/// `execve` besides its own commands (Kestrel's `fork`+`execve` of
/// busybox takes a third of a second in the test kernel).
fn driver() -> String {
    let mut script = format!("export TZ=UTC LC_ALL=C\nW=$1\nmkdir -p $W\n{SHOW}\n");
    for (name, case) in CASES {
        script.push_str(&format!(
            "mkdir $W/{name} && cd $W/{name}\n(\n{case}\n) >$W/{name}.out 2>$W/{name}.err </dev/null\n\
             s=$?\ncd /\necho '@@@ {name} stdout'; show $W/{name}.out\n\
             echo '@@@ {name} stderr'; show $W/{name}.err\necho \"@@@ {name} status $s\"\n"
        ));
    }
    script.push_str("echo '@@@ all done'\n");
    script
}

/// The image with the driver at `/cases/all.sh`.
fn with_cases(image: Vec<u8>) -> Vec<u8> {
    let mut fs = ext2::Fs::mount(ext2::MemDisk::from_bytes(image)).unwrap();
    fs.put_file(b"cases/all.sh", driver().as_bytes(), 0o755)
        .unwrap();
    fs.unmount().unwrap().bytes
}

/// What one case printed and how it ended.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    stderr: String,
    status: i32,
}

/// The driver's output on the host: the same busybox, run as on Kestrel
/// (the environment the kernel shell's `run` gives, the same arguments).
fn on_host() -> String {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel-busybox-cases")).unwrap();
    std::fs::write(dir.path().join("all.sh"), driver()).unwrap();
    let work = dir.path().join("case");
    let out = Command::new(HOST_PATH)
        .args(["sh", "./all.sh"])
        .arg(&work)
        .env_clear()
        .envs([("PATH", "/bin"), ("HOME", "/"), ("TERM", "linux")])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The outcome of case `name` in the driver's output `text` (lines end in
/// `\n`; the driver adds one newline after each capture).
fn outcome(text: &str, name: &str) -> Outcome {
    let between = |from: &str, to: &str| -> String {
        let start = text
            .find(from)
            .unwrap_or_else(|| panic!("no {from:?} in:\n{text}"))
            + from.len();
        let end = start
            + text[start..]
                .find(to)
                .unwrap_or_else(|| panic!("no {to:?} in:\n{text}"));
        let captured = &text[start..end];
        captured.strip_suffix('\n').unwrap_or(captured).to_string()
    };
    let status_line = format!("@@@ {name} status ");
    let status = between(&status_line, "\n");
    Outcome {
        stdout: between(
            &format!("@@@ {name} stdout\n"),
            &format!("@@@ {name} stderr\n"),
        ),
        stderr: between(&format!("@@@ {name} stderr\n"), &status_line),
        status: status.trim().parse().unwrap(),
    }
}

/// The serial text as a program wrote it: `\r\n` back to `\n`, and without
/// the kernel's own lines about unsupported system calls (shown apart).
fn program_text(serial: &str) -> String {
    let text = serial.replace("\r\n", "\n");
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("syscall: ") {
            println!("kernel: {}", line.trim_end());
        } else {
            kept.push_str(line);
        }
    }
    kept
}

#[test]
fn busybox_on_kestrel_and_the_differential_cases() {
    let busybox = host_busybox();
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel-busybox")).unwrap();
    let disk = disk_with_busybox(dir.path(), &busybox);
    let options = CaptureOptions {
        qmp: false,
        extra: kestrel::disk::qemu_args(&disk),
    };
    let mut at_prompt = boot_to_prompt(Firmware::Bios, &options);
    let session = &mut at_prompt.session;
    let at = at_prompt.at;

    let (answer, at) = send(session, at, "run /bin/busybox echo hi", PROMPT);
    assert!(
        answer.contains("hi\n[busybox exited with status 0]"),
        "{answer}"
    );
    // `uname` is an applet link (we have no uname of our own).
    let (answer, at) = send(session, at, "run /bin/uname -s -m", PROMPT);
    assert!(
        answer.contains("Kestrel x86_64\n[uname exited with status 0]"),
        "{answer}"
    );
    let (answer, at) = send(
        session,
        at,
        "run /bin/busybox sh -c 'echo $((1+2)); for i in 1 2; do echo $i; done; echo $(echo sub)'",
        PROMPT,
    );
    assert!(
        answer.contains("3\n1\n2\nsub\n[busybox exited with status 0]"),
        "{answer}"
    );

    let at = interactive_busybox_sh(session, at);

    let (_, _) = send(
        session,
        at,
        "run /bin/busybox sh -c \"cd /cases && exec /bin/busybox sh ./all.sh /tmp/case\"",
        "@@@ all done",
    );
    let serial = session.serial();
    println!("--- serial ---\n{serial}");
    let text = program_text(&serial[at..]);
    let linux = on_host();
    let mut differ = Vec::new();
    for (name, _) in CASES {
        let host = outcome(&linux, name);
        let kestrel = outcome(&text, name);
        if host != kestrel {
            differ.push(format!(
                "{name}:\n  Linux:   {host:?}\n  Kestrel: {kestrel:?}"
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "cases that differ:\n{}",
        differ.join("\n")
    );
}

/// `busybox sh` as a second shell: lines typed over serial are answered,
/// and `exit` returns to the kernel shell. Returns the position after its
/// prompt.
fn interactive_busybox_sh(session: &mut Session, at: usize) -> usize {
    session.write_serial(b"run /bin/busybox sh\r").unwrap();
    let at = wait_after(session, at, "# ");
    let (answer, at) = send(session, at, "echo $((6*7)) $0", "# ");
    assert!(answer.contains("42 "), "{answer}");
    let (answer, at) = send(session, at, "cd /etc && pwd && cat motd | wc -l", "# ");
    assert!(answer.contains("/etc\n1\n"), "{answer}");
    let (answer, at) = send(session, at, "exit 5", PROMPT);
    assert!(
        answer.contains("[busybox exited with status 5]"),
        "{answer}"
    );
    at
}
