//! The file-descriptor table: small numbers standing for open files.
//!
//! A slot holds an open file (of any type `T`: the kernel's is an enum of
//! console, ramdisk file, directory, later pipes and disk files) and the
//! descriptor's own flag, close-on-exec. [`FdTable::insert`] takes the
//! lowest free slot, as Linux does; the table holds at most `limit` files,
//! after which `insert` fails with `EMFILE`. A number that names no open
//! file is `EBADF`, whatever its value.
//!
//! The table is `Clone` when `T` is: `fork` gives the child a copy. (Files
//! that share a position across a fork, as on Linux, make `T` a shared
//! pointer.)

use crate::Errno;
use alloc::vec::Vec;
use linux_raw_sys::errno::{EBADF, EINVAL, EMFILE};

/// One open descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Slot<T> {
    file: T,
    close_on_exec: bool,
}

/// Descriptors `0..limit` and the files they stand for.
#[derive(Clone, Debug)]
pub struct FdTable<T> {
    slots: Vec<Option<Slot<T>>>,
    limit: usize,
}

impl<T> FdTable<T> {
    /// An empty table that will hold at most `limit` open files.
    pub const fn new(limit: usize) -> FdTable<T> {
        FdTable {
            slots: Vec::new(),
            limit,
        }
    }

    /// Puts `file` in the lowest free slot and returns its number, or
    /// `EMFILE` when all `limit` slots are taken.
    pub fn insert(&mut self, file: T, close_on_exec: bool) -> Result<usize, Errno> {
        let slot = Some(Slot {
            file,
            close_on_exec,
        });
        match self.slots.iter().position(Option::is_none) {
            Some(free) => {
                self.slots[free] = slot;
                Ok(free)
            }
            None if self.slots.len() < self.limit => {
                self.slots.push(slot);
                Ok(self.slots.len() - 1)
            }
            None => Err(EMFILE),
        }
    }

    /// Puts `file` in the lowest free slot numbered `min` or more (`fcntl`'s
    /// `F_DUPFD`): its number, or `EMFILE` if there is none below `limit`,
    /// or `EINVAL` if `min` itself is not below it (as Linux).
    pub fn insert_from(&mut self, min: u64, file: T, close_on_exec: bool) -> Result<usize, Errno> {
        let min = usize::try_from(min).map_err(|_| EINVAL)?;
        if min >= self.limit {
            return Err(EINVAL);
        }
        let free = (min..self.limit).find(|&fd| self.slots.get(fd).is_none_or(Option::is_none));
        let fd = free.ok_or(EMFILE)?;
        if fd >= self.slots.len() {
            self.slots.resize_with(fd + 1, || None);
        }
        self.slots[fd] = Some(Slot {
            file,
            close_on_exec,
        });
        Ok(fd)
    }

    /// Puts `file` in slot `fd`, closing what was there (`dup2`); returns
    /// that file, if any, for the caller to drop. `EBADF` if `fd` is not
    /// below the limit.
    pub fn replace(&mut self, fd: u64, file: T, close_on_exec: bool) -> Result<Option<T>, Errno> {
        let index = usize::try_from(fd).map_err(|_| EBADF)?;
        if index >= self.limit {
            return Err(EBADF);
        }
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, || None);
        }
        let slot = Some(Slot {
            file,
            close_on_exec,
        });
        Ok(core::mem::replace(&mut self.slots[index], slot).map(|old| old.file))
    }

    /// Sets or clears descriptor `fd`'s close-on-exec flag (`F_SETFD`).
    pub fn set_close_on_exec(&mut self, fd: u64, on: bool) -> Result<(), Errno> {
        let index = usize::try_from(fd).map_err(|_| EBADF)?;
        let slot = self.slots.get_mut(index).and_then(Option::as_mut);
        slot.ok_or(EBADF)?.close_on_exec = on;
        Ok(())
    }

    /// The file descriptor `fd` stands for, or `EBADF`.
    pub fn get(&self, fd: u64) -> Result<&T, Errno> {
        self.slot(fd).map(|slot| &slot.file)
    }

    /// Whether `fd` is closed when the process executes a new program.
    pub fn close_on_exec(&self, fd: u64) -> Result<bool, Errno> {
        self.slot(fd).map(|slot| slot.close_on_exec)
    }

    /// Empties slot `fd` and returns its file, or `EBADF`.
    pub fn remove(&mut self, fd: u64) -> Result<T, Errno> {
        let index = usize::try_from(fd).map_err(|_| EBADF)?;
        let slot = self.slots.get_mut(index).and_then(Option::take);
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        slot.map(|slot| slot.file).ok_or(EBADF)
    }

    /// How many descriptors are open.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The open descriptors and their files, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(fd, slot)| slot.as_ref().map(|slot| (fd, &slot.file)))
    }

    fn slot(&self, fd: u64) -> Result<&Slot<T>, Errno> {
        let index = usize::try_from(fd).map_err(|_| EBADF)?;
        self.slots.get(index).and_then(Option::as_ref).ok_or(EBADF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_descriptor_first() {
        let mut table = FdTable::new(8);
        for expected in 0..4 {
            assert_eq!(table.insert(expected * 10, false), Ok(expected as usize));
        }
        assert_eq!(table.remove(1), Ok(10));
        assert_eq!(table.remove(1), Err(EBADF), "already closed");
        assert_eq!(table.insert(99, true), Ok(1), "the hole is reused");
        assert_eq!(table.get(1), Ok(&99));
        assert_eq!(table.close_on_exec(1), Ok(true));
        assert_eq!(table.close_on_exec(0), Ok(false));
        assert_eq!(table.insert(5, false), Ok(4));
        assert_eq!(table.len(), 5);
    }

    #[test]
    fn full_table_is_emfile_and_bad_numbers_ebadf() {
        let mut table = FdTable::new(3);
        for _ in 0..3 {
            table.insert((), false).unwrap();
        }
        assert_eq!(table.insert((), false), Err(EMFILE));
        for fd in [3, 1 << 31, u64::MAX, (-1i64) as u64] {
            assert_eq!(table.get(fd), Err(EBADF));
            assert_eq!(table.remove(fd), Err(EBADF));
        }
        table.remove(2).unwrap();
        assert_eq!(table.insert((), false), Ok(2));
    }

    #[test]
    fn a_clone_is_independent() {
        let mut parent = FdTable::new(4);
        parent.insert('a', false).unwrap();
        let mut child = parent.clone();
        child.remove(0).unwrap();
        assert_eq!(parent.get(0), Ok(&'a'));
        assert_eq!(child.get(0), Err(EBADF));
    }

    #[test]
    fn dup_calls_place_files_where_asked() {
        let mut table = FdTable::new(8);
        table.insert('a', false).unwrap();
        assert_eq!(table.insert_from(3, 'b', true), Ok(3));
        assert_eq!(table.insert_from(3, 'c', false), Ok(4), "3 is taken");
        assert_eq!(table.insert_from(0, 'd', false), Ok(1), "lowest free");
        assert_eq!(table.insert_from(8, 'e', false), Err(EINVAL));
        assert_eq!(table.close_on_exec(3), Ok(true));
        assert_eq!(table.replace(3, 'f', false), Ok(Some('b')));
        assert_eq!(table.close_on_exec(3), Ok(false));
        assert_eq!(table.replace(7, 'g', true), Ok(None));
        assert_eq!(table.get(7), Ok(&'g'));
        assert_eq!(table.replace(8, 'h', false), Err(EBADF));
        assert_eq!(table.set_close_on_exec(7, false), Ok(()));
        assert_eq!(table.close_on_exec(7), Ok(false));
        assert_eq!(table.set_close_on_exec(6, true), Err(EBADF));
        for fd in [2, 5, 6] {
            table.insert('x', false).unwrap();
            assert_eq!(table.get(fd), Ok(&'x'));
        }
        assert_eq!(table.insert_from(0, 'y', false), Err(EMFILE));
        table.remove(7).unwrap();
        assert_eq!(table.len(), 7);
        assert_eq!(table.insert('z', false), Ok(7), "the emptied end is reused");
    }

    /// Against a model: a set of open numbers, lowest free first.
    #[test]
    fn random_operations_match_a_model() {
        let mut rng = xorshift::XorShift64(11);
        let mut table = FdTable::new(16);
        let mut model = [None::<u64>; 16];
        for step in 0..20_000u64 {
            let fd = rng.next() % 20;
            if rng.next().is_multiple_of(2) {
                let expected = model.iter().position(Option::is_none);
                let got = table.insert(step, false);
                match expected {
                    Some(free) => {
                        assert_eq!(got, Ok(free));
                        model[free] = Some(step);
                    }
                    None => assert_eq!(got, Err(EMFILE)),
                }
            } else {
                let expected = model.get_mut(fd as usize).and_then(Option::take);
                assert_eq!(table.remove(fd).ok(), expected);
            }
            assert_eq!(table.len(), model.iter().flatten().count());
        }
    }
}
