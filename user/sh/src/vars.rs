//! The shell's variables, and what `$...` expands to.
//!
//! Every variable has a value and an *exported* flag: exported variables
//! are the environment each program gets at `execve`. The shell starts with
//! its own environment, all exported; `NAME=value` sets a shell variable,
//! `export NAME[=value]` exports it, `unset NAME` removes it. `$0`..`$9`
//! are the script's name and arguments, `$?` the last status, `$$` the
//! shell's pid.

use shparse::Environment;
use std::collections::BTreeMap;
use std::ffi::CString;

struct Var {
    value: String,
    exported: bool,
}

/// The variables, the script's arguments and the last status.
pub struct Vars {
    vars: BTreeMap<String, Var>,
    pub arguments: Vec<String>,
    pub status: i32,
}

impl Vars {
    /// The variables of the shell's own environment, all exported.
    pub fn from_environment(arguments: Vec<String>) -> Vars {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .map(|(name, value)| {
                (
                    name,
                    Var {
                        value,
                        exported: true,
                    },
                )
            })
            .collect();
        Vars {
            vars,
            arguments,
            status: 0,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    /// Sets `name` (keeping its exported flag, or unexported if new).
    pub fn set(&mut self, name: &str, value: &str) {
        let exported = self.vars.get(name).is_some_and(|v| v.exported);
        let value = value.to_string();
        self.vars.insert(name.to_string(), Var { value, exported });
    }

    /// Exports `name` (an unset one as empty).
    pub fn export(&mut self, name: &str) {
        self.vars
            .entry(name.to_string())
            .or_insert(Var {
                value: String::new(),
                exported: true,
            })
            .exported = true;
    }

    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// `NAME=value` lines of the exported variables (`export` with no
    /// arguments prints them).
    pub fn exported(&self) -> impl Iterator<Item = String> + '_ {
        self.vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| format!("{k}={}", v.value))
    }

    /// The environment for `execve` (entries with a NUL byte are left out).
    pub fn environment(&self) -> Vec<CString> {
        self.exported()
            .filter_map(|line| CString::new(line).ok())
            .collect()
    }
}

impl Environment for Vars {
    fn var(&self, name: &str) -> Option<String> {
        match name.parse::<usize>() {
            Ok(n) => self.arguments.get(n).cloned(),
            Err(_) => self.get(name).map(String::from),
        }
    }

    fn last_status(&self) -> i32 {
        self.status
    }

    fn shell_pid(&self) -> u32 {
        std::process::id()
    }
}

/// True if `name` can be a variable's name.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `NAME=value` split in two, if `word` is an assignment.
pub fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    is_name(name).then_some((name, value))
}
