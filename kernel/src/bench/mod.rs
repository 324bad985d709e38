//! Benchmarks the shell runs and prints: figures, never assertions on time.
//!
//! - [`irq`]: an interrupt round trip, a self-IPI through the whole entry
//!   path (`irqbench`);
//! - [`tasks`]: a thread switch, an async task switch, a thread spawn + join
//!   (`taskbench`);
//! - the heap's mixed workload (`heapbench`) runs in `memory::heap::bench`,
//!   because it needs the heap's own lock.
//!
//! Each measures and returns numbers; the shell only calls and prints.

pub mod irq;
pub mod tasks;
