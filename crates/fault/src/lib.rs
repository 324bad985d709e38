//! CPU exceptions, decoded: what went wrong, in words a learner can act on.
//!
//! The CPU raises an exception (vectors 0-31) when an instruction cannot
//! complete: a division by zero, an access to an unmapped page, an invalid
//! opcode... Some exceptions push an *error code*: for a page fault it says
//! whether the page was present, whether the access was a write, came from
//! user mode or was an instruction fetch (the faulting address is in register
//! CR2); for segment-related faults it names a descriptor.
//!
//! This crate turns those numbers into text, and nothing else: it touches no
//! hardware and decides nothing, so it is tested on the host, and the kernel's
//! `arch::exceptions` (which reads the registers) and its fault policy (which
//! decides what happens next) share one wording.
//!
//! - [`vector`]: the exceptions' names and numbers, and which push an error code;
//! - [`code`]: page-fault and selector error codes in words;
//! - [`report`]: a [`Fault`] (vector, error code, CR2), its one-line
//!   [`Summary`], and the full [`Report`] with the registers.
#![no_std]
#![forbid(unsafe_code)]

pub mod code;
pub mod report;
pub mod vector;

pub use code::{PageFaultCode, SelectorCode};
pub use report::{Fault, Registers, Report, Summary};
pub use vector::name;
