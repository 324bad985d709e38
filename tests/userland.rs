//! Our shell, tools and init (`user/sh`, `user/tools`, `user/init`), run
//! natively on Linux: built by the runner like every user program, run on
//! the host in a temporary directory. (On Kestrel: `tests/boot_to_init.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// A directory of the built user programs (built once per test binary),
/// as a `/bin`: a symbolic link per program and per name of the
/// multi-call `tools` (`ls`, `cat`, ...: `src/multicall.rs`).
fn programs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = kestrel::builder::root();
        let built = kestrel::builder::build_user_programs(&root).expect("the user programs build");
        let dir = kestrel::builder::target_dir(&root).join("user").join("bin");
        kestrel::multicall::link_dir(&built, &dir).expect("links to the user programs");
        dir
    })
}

/// A fresh, empty temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("kestrel-userland-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `program args...` from user/, in `dir`, with our programs first in PATH.
fn run(dir: &Path, program: &str, args: &[&str], stdin: &[u8]) -> Output {
    let path = format!("{}:/usr/bin:/bin", programs().display());
    let mut child = Command::new(programs().join(program))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", "/home/test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the exit code, stdout and stderr of `out`.
fn expect(out: &Output, code: i32, stdout: &str, stderr: &str) {
    let (got_out, got_err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        (out.status.code(), got_out.as_str(), got_err.as_str()),
        (Some(code), stdout, stderr),
        "\n--- stdout:\n{got_out}--- stderr:\n{got_err}"
    );
}

#[test]
fn sh_c_runs_a_line_and_exits_with_its_status() {
    let dir = TempDir::new("c");
    expect(
        &run(&dir.0, "sh", &["-c", "echo hi; exit 3"], b""),
        3,
        "hi\n",
        "",
    );
    expect(&run(&dir.0, "sh", &["-c", "false"], b""), 1, "", "");
    expect(
        &run(
            &dir.0,
            "sh",
            &["-c", "echo $0 $1 $2", "name", "a", "b"],
            b"",
        ),
        0,
        "name a b\n",
        "",
    );
}

#[test]
fn a_script_with_pipelines_redirections_lists_quoting_and_variables() {
    let dir = TempDir::new("script");
    let script = r#"# a comment line
echo "one two" > a.txt
echo three >> a.txt
cat < a.txt | wc -l > count; cat count
cat a.txt | cat | cat
false && echo not-run || echo or-ran
true && echo and-ran
echo "$HOME" '$HOME' \$HOME "a  b"c
X=hi; echo $X ${X}there "$X"s
echo [$UNSET] "[$UNSET]"
nothing-here; echo status $?
nothing-here 2> err; cat err
ls /nonexistent-dir 2>&1 | wc -l
echo to-stderr 1>&2
echo $$ > pid
sleep 0.1 & wait; echo waited $?
sh -c 'exit 5'; echo inner $?
export Y=exported; sh -c 'echo $Y'
unset Y; sh -c 'echo [$Y]'
exit 7
echo not reached
"#;
    std::fs::write(dir.0.join("script"), script).unwrap();
    let out = run(&dir.0, "sh", &["script"], b"");
    let expected = "2\none two\nthree\nor-ran\nand-ran\n/home/test $HOME $HOME a  bc\nhi hithere his\n[] []\nstatus 127\nsh: nothing-here: command not found\n1\nwaited 0\ninner 5\nexported\n[]\n";
    expect(
        &out,
        7,
        expected,
        "sh: nothing-here: command not found\nto-stderr\n",
    );
    let pid: u32 = std::fs::read_to_string(dir.0.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pid > 1);
}

#[test]
fn cd_and_pwd_change_the_shells_directory() {
    let dir = TempDir::new("cd");
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let out = run(
        &dir.0,
        "sh",
        &["-c", "cd sub; pwd; cd /nonexistent; echo $?; cd; pwd"],
        b"",
    );
    let sub = dir.0.join("sub").canonicalize().unwrap();
    let stderr = "sh: cd: /home/test: No such file or directory\n";
    let stdout = format!("{}\n1\n{}\n", sub.display(), sub.display());
    expect(
        &out,
        0,
        &stdout,
        &format!("sh: cd: /nonexistent: No such file or directory\n{stderr}"),
    );
}

#[test]
fn lines_from_stdin_leave_the_rest_of_the_input_to_the_commands() {
    let dir = TempDir::new("stdin");
    let out = run(&dir.0, "sh", &[], b"echo first\ncat\nread by cat\n");
    expect(&out, 0, "first\nread by cat\n", "");
}

#[test]
fn bad_lines_get_clear_messages_and_the_shell_goes_on() {
    let dir = TempDir::new("bad");
    let lines = "echo \"open\nls |\necho > \ncat < missing-file\necho $?\n2>&x\necho still here\n";
    let out = run(&dir.0, "sh", &[], lines.as_bytes());
    let stderr = "sh: missing closing \"\nsh: no command after `|`\nsh: `>` needs a file name\nsh: missing-file: No such file or directory\nsh: `>&` needs a descriptor number\n";
    expect(&out, 0, "1\nstill here\n", stderr);
    expect(
        &run(&dir.0, "sh", &["-x"], b""),
        2,
        "",
        "sh: unknown option -x\nusage: sh [-c LINE [NAME ARGS...] | SCRIPT [ARGS...]]\n",
    );
    expect(
        &run(&dir.0, "sh", &["no-script"], b""),
        127,
        "",
        "sh: no-script: No such file or directory\n",
    );
}

#[test]
fn a_pipeline_ends_when_its_reader_stops() {
    // `yes` writes forever; when `head` ends, yes gets SIGPIPE (the shell
    // resets the SIGPIPE that Rust's runtime ignores) and the line ends.
    let dir = TempDir::new("sigpipe");
    expect(
        &run(&dir.0, "sh", &["-c", "yes | head -n 2"], b""),
        0,
        "y\ny\n",
        "",
    );
}

#[test]
fn background_jobs_are_listed_and_waited_for() {
    let dir = TempDir::new("jobs");
    let out = run(
        &dir.0,
        "sh",
        &["-c", "sleep 0.2 & jobs; wait; echo $?; jobs; fg"],
        b"",
    );
    expect(
        &out,
        1,
        "[1] Running sleep 0.2 & jobs; wait; echo $?; jobs; fg\n0\n",
        "sh: fg: no current job\n",
    );
    let out = run(
        &dir.0,
        "sh",
        &[
            "-c",
            "sh -c 'exit 4' & wait %1; echo $?; true && sh -c 'exit 6' & wait",
        ],
        b"",
    );
    expect(&out, 6, "4\n", "");
}

// ---- the tools ----

/// 2021-06-15 12:34:56 UTC.
const FIXED_TIME: u64 = 1_623_760_496;

#[test]
fn ls_lists_names_and_details_with_fixed_times() {
    let dir = TempDir::new("ls");
    std::fs::write(dir.0.join("b.txt"), "twelve bytes").unwrap();
    std::fs::write(dir.0.join(".hidden"), "").unwrap();
    std::fs::create_dir(dir.0.join("a-dir")).unwrap();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_TIME);
    for (name, mode) in [("b.txt", 0o640), ("a-dir", 0o755), (".hidden", 0o600)] {
        let path = dir.0.join(name);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }
    expect(&run(&dir.0, "ls", &[], b""), 0, "a-dir\nb.txt\n", "");
    expect(
        &run(&dir.0, "ls", &["-a"], b""),
        0,
        ".\n..\n.hidden\na-dir\nb.txt\n",
        "",
    );
    let meta = std::fs::metadata(dir.0.join("b.txt")).unwrap();
    let (uid, gid) = (meta.uid(), meta.gid());
    let links = std::fs::metadata(dir.0.join("a-dir")).unwrap().nlink();
    let size = std::fs::metadata(dir.0.join("a-dir")).unwrap().size();
    let expected = format!(
        "drwxr-xr-x {links:>3} {uid:>4} {gid:>4} {size:>8} 2021-06-15 12:34 a-dir\n\
         -rw-r----- {:>3} {uid:>4} {gid:>4} {:>8} 2021-06-15 12:34 b.txt\n",
        1, 12
    );
    expect(&run(&dir.0, "ls", &["-l"], b""), 0, &expected, "");
    let second = expected.lines().nth(1).unwrap();
    expect(
        &run(&dir.0, "ls", &["-l", "b.txt"], b""),
        0,
        &format!("{second}\n"),
        "",
    );
    expect(
        &run(&dir.0, "ls", &["a-dir", "b.txt"], b""),
        0,
        "b.txt\n\na-dir:\n",
        "",
    );
    expect(
        &run(&dir.0, "ls", &["missing", "b.txt"], b""),
        1,
        "b.txt\n",
        "ls: missing: No such file or directory\n",
    );
    expect(
        &run(&dir.0, "ls", &["-z"], b""),
        2,
        "",
        "ls: unknown option -z\nusage: ls [-l] [-a] [PATH...]\n",
    );
}

#[test]
fn ls_l_dates_across_leap_years_and_centuries() {
    // Times whose dates `date -u` gives: the day of a leap year, and one
    // after 2100 (not a leap year).
    let dir = TempDir::new("dates");
    for (seconds, date) in [
        (951_782_400, "2000-02-29 00:00"),
        (4_107_542_399, "2100-02-28 23:59"),
        (0, "1970-01-01 00:00"),
    ] {
        let path = dir.0.join("f");
        std::fs::write(&path, "").unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
        let out = run(&dir.0, "ls", &["-l", "f"], b"");
        assert!(
            text(&out.stdout).contains(&format!(" {date} f")),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn cat_echo_and_their_errors() {
    let dir = TempDir::new("cat");
    std::fs::write(dir.0.join("a"), "A\n").unwrap();
    expect(
        &run(&dir.0, "cat", &["a", "-", "a"], b"in\n"),
        0,
        "A\nin\nA\n",
        "",
    );
    expect(
        &run(&dir.0, "cat", &["missing", "a"], b""),
        1,
        "A\n",
        "cat: missing: No such file or directory\n",
    );
    expect(
        &run(&dir.0, "cat", &["."], b""),
        1,
        "",
        "cat: .: Is a directory\n",
    );
    expect(&run(&dir.0, "echo", &["a", "b  c"], b""), 0, "a b  c\n", "");
    expect(&run(&dir.0, "echo", &["-n", "x"], b""), 0, "x", "");
    expect(&run(&dir.0, "echo", &[], b""), 0, "\n", "");
}

#[test]
fn mkdir_mv_and_rm_change_the_tree() {
    let dir = TempDir::new("tree");
    let d = &dir.0;
    expect(&run(d, "mkdir", &["-p", "x/y/z"], b""), 0, "", "");
    assert!(d.join("x/y/z").is_dir());
    expect(
        &run(d, "mkdir", &["x"], b""),
        1,
        "",
        "mkdir: x: File exists\n",
    );
    expect(&run(d, "mkdir", &["-p", "x"], b""), 0, "", "");
    expect(
        &run(d, "mkdir", &["a/b"], b""),
        1,
        "",
        "mkdir: a/b: No such file or directory\n",
    );
    expect(
        &run(d, "mkdir", &[], b""),
        2,
        "",
        "mkdir: no directory given\nusage: mkdir [-p] DIR...\n",
    );
    std::fs::write(d.join("f"), "f").unwrap();
    expect(&run(d, "mv", &["f", "g"], b""), 0, "", "");
    assert!(!d.join("f").exists() && d.join("g").is_file());
    expect(&run(d, "mv", &["g", "x"], b""), 0, "", "");
    assert!(d.join("x/g").is_file());
    expect(
        &run(d, "mv", &["nothing", "x"], b""),
        1,
        "",
        "mv: nothing: No such file or directory\n",
    );
    expect(
        &run(d, "mv", &["x"], b""),
        2,
        "",
        "mv: needs a source and a destination\nusage: mv SOURCE DEST | mv SOURCE... DIR\n",
    );
    expect(
        &run(d, "rm", &["x"], b""),
        1,
        "",
        "rm: x: is a directory (use -r)\n",
    );
    expect(
        &run(d, "rm", &["nothing"], b""),
        1,
        "",
        "rm: nothing: No such file or directory\n",
    );
    expect(&run(d, "rm", &["-f", "nothing"], b""), 0, "", "");
    expect(&run(d, "rm", &["x/g"], b""), 0, "", "");
    expect(&run(d, "rm", &["-rf", "x"], b""), 0, "", "");
    assert!(!d.join("x").exists());
}

#[test]
fn the_tools_are_one_program_that_knows_the_runners_list_of_names() {
    let dir = TempDir::new("tools");
    let names: String = kestrel::multicall::links_of("tools")
        .iter()
        .map(|name| format!("{name}\n"))
        .collect();
    expect(&run(&dir.0, "tools", &["--list"], b""), 0, &names, "");
    // By its own name, the tool is the first argument.
    expect(
        &run(&dir.0, "tools", &["echo", "-n", "hi"], b""),
        0,
        "hi",
        "",
    );
    let usage = "usage: tools TOOL [ARGS...] | tools --list (or run it as TOOL: a link named after the tool)\n";
    expect(
        &run(&dir.0, "tools", &["nope"], b""),
        2,
        "",
        &format!("tools: no tool named nope\n{usage}"),
    );
    expect(
        &run(&dir.0, "tools", &[], b""),
        2,
        "",
        &format!("tools: which tool?\n{usage}"),
    );
}

/// Whether this process ignores SIGINT (bit 1 of `SigIgn` in
/// `/proc/self/status`); a child inherits that.
fn sigint_ignored_here() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << 1) != 0)
}

#[test]
fn sleep_kill_and_their_errors() {
    let dir = TempDir::new("kill");
    expect(&run(&dir.0, "sleep", &["0.05"], b""), 0, "", "");
    expect(
        &run(&dir.0, "sleep", &["soon"], b""),
        2,
        "",
        "sleep: soon: not a number of seconds\nusage: sleep SECONDS\n",
    );
    expect(
        &run(&dir.0, "sleep", &[], b""),
        2,
        "",
        "sleep: needs one number of seconds\nusage: sleep SECONDS\n",
    );
    // A shell that starts a job in the background without job control has
    // it ignore SIGINT, and that is inherited over exec: then no sleeper
    // could die of it, so the names of SIGINT cannot be checked here.
    let signals: &[&str] = if sigint_ignored_here() {
        eprintln!("skipped: SIGINT is ignored in this test's environment (inherited)");
        &[]
    } else {
        &["-INT", "-SIGINT", "-2", "-int"]
    };
    for &signal in signals {
        let mut sleeper = Command::new(programs().join("sleep"))
            .arg("100")
            .spawn()
            .unwrap();
        let pid = sleeper.id().to_string();
        expect(&run(&dir.0, "kill", &[signal, &pid], b""), 0, "", "");
        assert_eq!(sleeper.wait().unwrap().signal(), Some(2), "{signal}");
    }
    let mut sleeper = Command::new(programs().join("sleep"))
        .arg("100")
        .spawn()
        .unwrap();
    expect(
        &run(&dir.0, "kill", &[&sleeper.id().to_string()], b""),
        0,
        "",
        "",
    );
    assert_eq!(sleeper.wait().unwrap().signal(), Some(15));
    expect(
        &run(&dir.0, "kill", &["-NOPE", "1"], b""),
        2,
        "",
        "kill: -NOPE: no such signal\nusage: kill [-SIGNAL] PID... | kill -l\n",
    );
    expect(
        &run(&dir.0, "kill", &["abc"], b""),
        1,
        "",
        "kill: abc: not a process id\n",
    );
    expect(
        &run(&dir.0, "kill", &["-0", "999999999"], b""),
        1,
        "",
        "kill: 999999999: No such process\n",
    );
    assert!(text(&run(&dir.0, "kill", &["-l"], b"").stdout).contains("9) KILL 10) USR1"));
}

#[test]
fn ps_uptime_and_free_read_proc() {
    let dir = TempDir::new("proc");
    let out = run(&dir.0, "ps", &[], b"");
    let listing = text(&out.stdout);
    assert!(
        listing.starts_with("  PID  PPID  PGID S COMMAND\n"),
        "{listing}"
    );
    let ps = programs().join("ps");
    let own = listing
        .lines()
        .find(|l| l.ends_with(&format!(" R {}", ps.display())));
    assert!(own.is_some(), "ps does not list itself running:\n{listing}");
    let uptime = text(&run(&dir.0, "uptime", &[], b"").stdout);
    assert!(
        uptime.starts_with("up ") && uptime.ends_with('\n') && uptime.contains(':'),
        "{uptime}"
    );
    let free = text(&run(&dir.0, "free", &[], b"").stdout);
    let mem: Vec<&str> = free.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(mem[0], "Mem:", "{free}");
    let n: Vec<u64> = mem[1..].iter().map(|n| n.parse().unwrap()).collect();
    assert!(n[0] > 0 && n[1] + n[3] == n[0] && n[2] <= n[0], "{free}");
}

// ---- init ----

/// Lines of a child's stderr, read by a thread, waited for with a deadline.
struct Lines(std::sync::mpsc::Receiver<String>, Vec<String>);

impl Lines {
    fn of(stream: impl std::io::Read + Send + 'static) -> Lines {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(receive, Vec::new())
    }

    /// Waits (at most a minute) for a line containing `wanted`.
    fn wait_for(&mut self, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.1.iter().any(|l| l.contains(wanted)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) => self.1.push(line),
                Err(_) => panic!("no line with {wanted:?} in {:#?}", self.1),
            }
        }
    }
}

#[test]
fn init_restarts_the_shell_and_reaps_orphans() {
    let sh = programs().join("sh");
    let mut init = Command::new(programs().join("init"))
        .arg(&sh)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first shell reads its line from the pipe; later ones get its end.
    let line = "sleep 0.1 & echo from-the-shell; exit 4\n";
    let mut stdin = init.stdin.take().unwrap();
    stdin.write_all(line.as_bytes()).unwrap();
    drop(stdin);
    let mut errors = Lines::of(init.stderr.take().unwrap());
    errors.wait_for(&format!(
        "init: {} exited with status 4; starting it again",
        sh.display()
    ));
    errors.wait_for(&format!(
        "init: {} exited with status 0; starting it again",
        sh.display()
    ));
    // Every later shell ends at once (its input is at its end): init says
    // so and slows down instead of spinning.
    errors.wait_for(&format!(
        "init: {} ended at once 3 times in a row; waiting 1 s between attempts",
        sh.display()
    ));
    // The orphaned `sleep` became init's child (init is a subreaper) and is
    // reaped: eventually init has no zombie child.
    let children = format!("/proc/{0}/task/{0}/children", init.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = std::fs::read_to_string(&children).unwrap_or_default();
        let zombies: Vec<&str> = list
            .split_whitespace()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z "))
            })
            .collect();
        if zombies.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "zombie children of init: {zombies:?}"
        );
        std::thread::yield_now();
    }
    init.kill().unwrap();
    let out = init.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "from-the-shell\n");
}

#[test]
fn init_says_when_the_shell_is_missing() {
    let mut init = Command::new(programs().join("init"))
        .arg("/nonexistent/sh")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut errors = Lines::of(init.stderr.take().unwrap());
    errors.wait_for("init: /nonexistent/sh is missing; looking again in 5 s");
    init.kill().unwrap();
    init.wait().unwrap();
}

// ---- the shell on a terminal ----

/// Everything a child wrote on stdout so far, collected by a thread.
struct Collected(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Collected {
    fn of(mut stream: impl std::io::Read + Send + 'static) -> Collected {
        let bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = bytes.clone();
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buffer) {
                shared.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Collected(bytes)
    }

    fn text(&self) -> String {
        text(&self.0.lock().unwrap())
    }

    /// Waits (at most a minute) until `wanted` occurs `count` times.
    fn wait_for(&self, wanted: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.text().matches(wanted).count() < count {
            assert!(
                Instant::now() < deadline,
                "not {count} times {wanted:?} in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A child that a failing test does not leave behind.
struct KillOnDrop(std::sync::Mutex<std::process::Child>);

impl KillOnDrop {
    fn new(child: std::process::Child) -> KillOnDrop {
        KillOnDrop(std::sync::Mutex::new(child))
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(child) = self.0.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The interactive shell on a pseudo-terminal (`script` from util-linux
/// makes one): history on the Up key, Ctrl-C ends the foreground job and
/// not the shell, `jobs` and `fg`, and Ctrl-D ends the shell.
#[test]
fn the_interactive_shell_edits_lines_and_survives_ctrl_c() {
    let dir = TempDir::new("tty");
    let sh = programs().join("sh");
    let command = format!(
        "PATH={}:/usr/bin:/bin {}",
        programs().display(),
        sh.display()
    );
    let Ok(mut script) = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(&dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        println!("skipped: no `script` command (util-linux) on this host");
        return;
    };
    let out = Collected::of(script.stdout.take().unwrap());
    let mut keys = script.stdin.take().unwrap();
    let script = KillOnDrop::new(script);
    let mut type_keys = |bytes: &[u8]| keys.write_all(bytes).unwrap();
    let prompt = format!("{} $ ", dir.0.display());
    out.wait_for(&prompt, 1);
    type_keys(b"echo one\r");
    out.wait_for(&prompt, 2);
    type_keys(b"\x1b[A\r"); // Up: the last line again
    out.wait_for("one\r\n", 2);
    out.wait_for(&prompt, 3);
    type_keys(b"sh -c 'echo started; sleep 100'\r");
    out.wait_for("started", 2); // once in the echo of the line
    type_keys(b"\x03");
    out.wait_for(&prompt, 4);
    type_keys(b"echo after $?\r");
    out.wait_for("after 130", 1);
    type_keys(b"sleep 100 &\r");
    out.wait_for(&prompt, 6);
    type_keys(b"jobs\r");
    out.wait_for("[1] Running sleep 100 &", 1);
    type_keys(b"fg\r");
    out.wait_for("sleep 100 &\r\n", 3); // typed, in `jobs`, and by `fg`
    // `fg` gave the job the terminal: Ctrl-C reaches it, in raw mode or not.
    type_keys(b"\x03");
    out.wait_for(&prompt, 8);
    type_keys(b"echo fg $?\r");
    out.wait_for("fg 130", 1);
    out.wait_for(&prompt, 9);
    // Ctrl-Z stops the foreground job (`sh -c` and its `sleep`, one group),
    // which goes to the table; `bg` continues it in the background, `fg`
    // brings it back, and Ctrl-C ends it. (The job prints "zed" a second
    // after it starts: by then the shell has given it the terminal, so the
    // Ctrl-Z reaches the job, not the shell.)
    let job = "sh -c 'sleep 1; echo zed; sleep 100'";
    type_keys(format!("{job}\r").as_bytes());
    out.wait_for("zed", 2); // once in the echo of the line
    type_keys(b"\x1a");
    out.wait_for(&format!("[1] Stopped {job}"), 1);
    out.wait_for(&prompt, 10);
    type_keys(b"jobs\r");
    out.wait_for(&format!("[1] Stopped {job}"), 2);
    out.wait_for(&prompt, 11);
    type_keys(b"bg\r");
    out.wait_for(&format!("[1] {job} &"), 1);
    out.wait_for(&prompt, 12);
    type_keys(b"jobs\r");
    out.wait_for(&format!("[1] Running {job}"), 1);
    out.wait_for(&prompt, 13);
    type_keys(b"fg\r");
    // Typed, stopped, listed twice, and named by `fg`: then it has the
    // terminal.
    out.wait_for(&format!("{job}\r\n"), 5);
    type_keys(b"\x03");
    out.wait_for(&prompt, 14);
    type_keys(b"echo zed $?\r");
    out.wait_for("zed 130", 1);
    out.wait_for(&prompt, 15);
    type_keys(b"\x04"); // Ctrl-D at an empty prompt: the end
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = script.0.lock().unwrap().try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            panic!("Ctrl-D did not end the shell:\n{}", out.text());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0), "{}", out.text());
}
