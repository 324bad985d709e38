//! `--only`: which figures to measure.
//!
//! A measure gives one or more figures (a page-fault batch gives
//! `page_fault` and `munmap`); it runs when any of them is selected. With no
//! `--only`, everything is. Names that match no figure are reported at the
//! end ([`Selection::unmatched`]), so a typo is not silently an empty run.

use crate::measure::Figure;
use std::cell::RefCell;

/// The figures asked for: all of them, or those named.
#[derive(Debug, Default)]
pub struct Selection {
    /// `None`: every figure. Otherwise each name, and whether a measure
    /// has asked about it.
    names: Option<RefCell<Vec<(String, bool)>>>,
}

impl Selection {
    /// Parses `--only`'s value: names separated by commas.
    pub fn parse(list: &str) -> Result<Selection, String> {
        let names: Vec<(String, bool)> = list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| (name.to_string(), false))
            .collect();
        if names.is_empty() {
            return Err("`--only` needs figure names, e.g. `seq_read,small_files`".into());
        }
        Ok(Selection {
            names: Some(RefCell::new(names)),
        })
    }

    /// Whether a measure giving `figures` should run.
    pub fn wants(&self, figures: &[Figure]) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        let mut wanted = false;
        for (name, matched) in names.borrow_mut().iter_mut() {
            if figures.iter().any(|f| f.name == name) {
                *matched = true;
                wanted = true;
            }
        }
        wanted
    }

    /// The names that no measure gave (after every measure was asked).
    pub fn unmatched(&self) -> Vec<String> {
        self.names.as_ref().map_or_else(Vec::new, |names| {
            let names = names.borrow();
            names
                .iter()
                .filter(|(_, matched)| !matched)
                .map(|(name, _)| name.clone())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQ: [Figure; 2] = [
        Figure {
            name: "seq_write",
            unit: "MB/s",
        },
        Figure {
            name: "seq_read",
            unit: "MB/s",
        },
    ];
    const GETPID: [Figure; 1] = [Figure {
        name: "getpid",
        unit: "cycles",
    }];

    #[test]
    fn everything_is_wanted_without_only() {
        let all = Selection::default();
        assert!(all.wants(&SEQ) && all.wants(&GETPID));
        assert!(all.unmatched().is_empty());
    }

    #[test]
    fn a_measure_runs_when_any_of_its_figures_is_named() {
        let only = Selection::parse("seq_read, nosuch,").unwrap();
        assert!(only.wants(&SEQ));
        assert!(!only.wants(&GETPID));
        assert_eq!(only.unmatched(), ["nosuch"]);
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert!(Selection::parse(" , ").is_err());
    }
}
