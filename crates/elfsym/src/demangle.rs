//! Rust's "legacy" symbol mangling, undone.
//!
//! A mangled name is `_ZN`, then each path component as its length in decimal
//! followed by its text, then `E`. The last component is a hash `h` + 16 hex
//! digits that keeps different versions of a crate apart; we leave it out.
//! Characters that linkers dislike are written as `$..$` escapes (`$LT$` for `<`,
//! `$u20$` for a space, ...) and `::` inside a component as `..`.

use core::fmt;

/// Displays a symbol name demangled if it is a legacy Rust name, as is otherwise.
pub struct Demangled<'a>(pub &'a str);

/// The components of a legacy mangled name, or `None` if it is not one.
fn components(name: &str) -> Option<impl Iterator<Item = &str>> {
    let mut rest = name.strip_prefix("_ZN")?;
    // Check the whole name first, so that a malformed one prints raw.
    let mut check = rest;
    while !check.starts_with('E') {
        let digits = check.bytes().take_while(u8::is_ascii_digit).count();
        let len: usize = check.get(..digits)?.parse().ok()?;
        check = check.get(digits + len..)?;
    }
    Some(core::iter::from_fn(move || {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let len: usize = rest[..digits].parse().ok()?;
        let component = &rest[digits..digits + len];
        rest = &rest[digits + len..];
        Some(component)
    }))
}

fn is_hash(component: &str) -> bool {
    component.len() == 17
        && component.starts_with('h')
        && component[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn write_component(f: &mut fmt::Formatter<'_>, mut text: &str) -> fmt::Result {
    // A leading `_` protects a component that would start with `$`.
    if text.starts_with("_$") {
        text = &text[1..];
    }
    while !text.is_empty() {
        if let Some(rest) = text.strip_prefix("..") {
            f.write_str("::")?;
            text = rest;
        } else if let Some((escape, rest)) = text.strip_prefix('$').and_then(|t| t.split_once('$'))
        {
            match unescape(escape) {
                Some(c) => write!(f, "{c}")?,
                None => write!(f, "${escape}$")?,
            }
            text = rest;
        } else {
            let c = text.chars().next().unwrap_or('?');
            write!(f, "{c}")?;
            text = &text[c.len_utf8()..];
        }
    }
    Ok(())
}

fn unescape(escape: &str) -> Option<char> {
    Some(match escape {
        "SP" => '@',
        "BP" => '*',
        "RF" => '&',
        "LT" => '<',
        "GT" => '>',
        "LP" => '(',
        "RP" => ')',
        "C" => ',',
        hex => char::from_u32(u32::from_str_radix(hex.strip_prefix('u')?, 16).ok()?)?,
    })
}

impl fmt::Display for Demangled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(parts) = components(self.0) else {
            return f.write_str(self.0);
        };
        let mut first = true;
        for part in parts.filter(|p| !is_hash(p)) {
            if !first {
                f.write_str("::")?;
            }
            first = false;
            write_component(f, part)?;
        }
        Ok(())
    }
}
