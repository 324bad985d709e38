//! What the pinned toolchain must have, and what of it is missing.
//!
//! `rust-toolchain.toml` names a channel, the targets and the components the
//! project builds with. rustup installs all of them when the channel itself is
//! missing, but when the channel is already installed (as on a new machine that
//! came with Rust 1.95.0 and nothing else) it prints "using existing install" and
//! adds none of the parts. So the runner reads the file, asks rustup what the
//! toolchain has, and adds the difference with `rustup target add` and
//! `rustup component add`.
//!
//! This module is the pure part of that: reading the file, comparing it with
//! rustup's lists, and writing the commands. `setup.rs` runs them.

/// What `rust-toolchain.toml` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub channel: String,
    pub targets: Vec<String>,
    pub components: Vec<String>,
}

/// The parts of [`Wanted`] that the installed toolchain lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    pub targets: Vec<String>,
    pub components: Vec<String>,
}

impl Missing {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.components.is_empty()
    }

    /// The missing parts' names, targets first, for a message.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self
            .targets
            .iter()
            .chain(&self.components)
            .map(String::as_str)
            .collect();
        names.join(", ")
    }

    /// The rustup commands that add the missing parts, as argument lists
    /// (without the leading `rustup`).
    pub fn commands(&self, channel: &str) -> Vec<Vec<String>> {
        let mut commands = Vec::new();
        for (what, names) in [("target", &self.targets), ("component", &self.components)] {
            if !names.is_empty() {
                let mut words = vec![what.to_string(), "add".to_string()];
                words.extend(names.iter().cloned());
                words.extend(["--toolchain".to_string(), channel.to_string()]);
                commands.push(words);
            }
        }
        commands
    }

    /// The same commands as one shell line, for a message.
    pub fn shell_line(&self, channel: &str) -> String {
        self.commands(channel)
            .iter()
            .map(|words| format!("rustup {}", words.join(" ")))
            .collect::<Vec<_>>()
            .join(" && ")
    }
}

/// Reads the `[toolchain]` table of `rust-toolchain.toml`. Only what that file
/// uses is understood: `key = "string"` and `key = ["string", ...]` on one line,
/// comments, and other keys (ignored).
pub fn parse(text: &str) -> Result<Wanted, String> {
    let mut wanted = Wanted::default();
    let mut in_toolchain = false;
    for (number, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            in_toolchain = line == "[toolchain]";
            continue;
        }
        if !in_toolchain {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            format!(
                "rust-toolchain.toml line {}: expected `key = value`",
                number + 1
            )
        })?;
        let value = value.trim();
        let at = |e: String| format!("rust-toolchain.toml line {}: {e}", number + 1);
        match key.trim() {
            "channel" => wanted.channel = string(value).map_err(at)?,
            "targets" => wanted.targets = list(value).map_err(at)?,
            "components" => wanted.components = list(value).map_err(at)?,
            _ => {}
        }
    }
    if wanted.channel.is_empty() {
        return Err("rust-toolchain.toml names no `channel` in [toolchain]".into());
    }
    Ok(wanted)
}

/// Compares what is wanted with rustup's lists (`rustup target list --installed`
/// and `rustup component list --installed`, one name a line). Rustup names most
/// components with the host triple appended (`clippy-x86_64-unknown-linux-gnu`)
/// and some without (`rust-src`), so both spellings count.
pub fn missing(
    wanted: &Wanted,
    installed_targets: &str,
    installed_components: &str,
    host: &str,
) -> Missing {
    let targets: Vec<&str> = installed_targets.lines().map(str::trim).collect();
    let components: Vec<&str> = installed_components.lines().map(str::trim).collect();
    let has_component = |name: &str| {
        let with_host = format!("{name}-{host}");
        components.iter().any(|c| *c == name || *c == with_host)
    };
    Missing {
        targets: wanted
            .targets
            .iter()
            .filter(|t| !targets.contains(&t.as_str()))
            .cloned()
            .collect(),
        components: wanted
            .components
            .iter()
            .filter(|c| !has_component(c))
            .cloned()
            .collect(),
    }
}

fn strip_comment(line: &str) -> &str {
    // A `#` inside a quoted string would be cut too; the file has none.
    line.split_once('#').map_or(line, |(before, _)| before)
}

fn string(value: &str) -> Result<String, String> {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.contains('"'))
        .map(str::to_string)
        .ok_or_else(|| format!("expected a quoted string, found `{value}`"))
}

fn list(value: &str) -> Result<Vec<String>, String> {
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .ok_or_else(|| format!("expected a one-line list `[\"a\", \"b\"]`, found `{value}`"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "x86_64-unknown-linux-gnu";

    const FILE: &str = r#"
# The pinned toolchain.
[toolchain]
channel = "1.95.0"   # stable
profile = "minimal"
targets = ["x86_64-unknown-none", "x86_64-unknown-linux-musl"]
components = ["rust-src", "llvm-tools", "rustfmt", "clippy"]
"#;

    fn wanted() -> Wanted {
        parse(FILE).unwrap()
    }

    #[test]
    fn reads_channel_targets_and_components() {
        let w = wanted();
        assert_eq!(w.channel, "1.95.0");
        assert_eq!(
            w.targets,
            ["x86_64-unknown-none", "x86_64-unknown-linux-musl"]
        );
        assert_eq!(
            w.components,
            ["rust-src", "llvm-tools", "rustfmt", "clippy"]
        );
    }

    #[test]
    fn the_repository_file_parses() {
        let text = include_str!("../rust-toolchain.toml");
        let w = parse(text).unwrap();
        assert!(!w.channel.is_empty());
        assert!(w.targets.iter().any(|t| t == "x86_64-unknown-none"));
        assert!(w.components.iter().any(|c| c == "clippy"));
        // The default path needs no rust-src or llvm-tools (only the
        // `bootloader` crate does, and the runner adds them for it).
        assert!(
            !w.components
                .iter()
                .any(|c| c == "rust-src" || c == "llvm-tools")
        );
    }

    #[test]
    fn keys_outside_the_toolchain_table_are_ignored() {
        let w =
            parse("[other]\nchannel = \"nightly\"\n[toolchain]\nchannel = \"1.2.3\"\n").unwrap();
        assert_eq!(w.channel, "1.2.3");
        assert!(w.targets.is_empty());
    }

    #[test]
    fn bad_files_are_reported_with_the_line() {
        assert!(parse("[toolchain]\n").unwrap_err().contains("channel"));
        let e = parse("[toolchain]\nchannel = 1.95\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("quoted"), "{e}");
        let e = parse("[toolchain]\nchannel = \"x\"\ntargets = [\"a\",\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        let e = parse("[toolchain]\nchannel\n").unwrap_err();
        assert!(e.contains("key = value"), "{e}");
    }

    /// A machine's toolchain as rustup lists it when only the host parts came with it.
    const FRESH_COMPONENTS: &str = "cargo-x86_64-unknown-linux-gnu\nclippy-x86_64-unknown-linux-gnu\n\
        rust-docs-x86_64-unknown-linux-gnu\nrust-std-x86_64-unknown-linux-gnu\n\
        rustc-x86_64-unknown-linux-gnu\nrustfmt-x86_64-unknown-linux-gnu\n";

    #[test]
    fn a_fresh_toolchain_lacks_the_targets_and_two_components() {
        let m = missing(
            &wanted(),
            "x86_64-unknown-linux-gnu\n",
            FRESH_COMPONENTS,
            HOST,
        );
        assert_eq!(
            m.targets,
            ["x86_64-unknown-none", "x86_64-unknown-linux-musl"]
        );
        assert_eq!(m.components, ["rust-src", "llvm-tools"]);
        assert_eq!(
            m.names(),
            "x86_64-unknown-none, x86_64-unknown-linux-musl, rust-src, llvm-tools"
        );
        assert_eq!(
            m.shell_line("1.95.0"),
            "rustup target add x86_64-unknown-none x86_64-unknown-linux-musl --toolchain 1.95.0 \
             && rustup component add rust-src llvm-tools --toolchain 1.95.0"
        );
    }

    #[test]
    fn a_complete_toolchain_lacks_nothing() {
        let components = format!("{FRESH_COMPONENTS}rust-src\nllvm-tools-{HOST}\n");
        let targets = "x86_64-unknown-linux-gnu\nx86_64-unknown-linux-musl\nx86_64-unknown-none\n";
        let m = missing(&wanted(), targets, &components, HOST);
        assert!(m.is_empty(), "{m:?}");
        assert!(m.commands("1.95.0").is_empty());
    }

    #[test]
    fn a_component_for_another_host_does_not_count() {
        let components = "rust-src\nllvm-tools-aarch64-unknown-linux-gnu\nrustfmt\nclippy\n";
        let targets = "x86_64-unknown-none\nx86_64-unknown-linux-musl\n";
        let m = missing(&wanted(), targets, components, HOST);
        assert_eq!(
            m,
            Missing {
                targets: vec![],
                components: vec!["llvm-tools".into()]
            }
        );
        assert_eq!(
            m.commands("1.95.0"),
            [["component", "add", "llvm-tools", "--toolchain", "1.95.0"]]
        );
    }

    #[test]
    fn a_name_that_only_starts_like_a_wanted_one_does_not_count() {
        // `rust-src-extra` is not `rust-src`, nor is `x86_64-unknown-none-foo` the target.
        let m = missing(
            &wanted(),
            "x86_64-unknown-none-foo\n",
            "rust-src-extra\n",
            HOST,
        );
        assert_eq!(m.targets.len(), 2);
        assert!(m.components.contains(&"rust-src".to_string()));
    }
}
