//! `irqbench`: what an interrupt round trip costs.
//!
//! We send [`RUNS`] interrupts to ourselves (a self-IPI through the local
//! APIC, delivered on the same entry path as the timer interrupt: stub,
//! register save, dispatcher, handler, end-of-interrupt, `iretq`) and measure,
//! in TSC cycles, from the request to the moment the handler's effect (a
//! counter) is seen. The median of the runs is the figure; minimum and
//! maximum show the spread (a timer tick in between makes one run slow).

use crate::arch::{apic, interrupts, irq};
use crate::time::rdtsc;
use core::sync::atomic::{AtomicU64, Ordering};

/// Round trips measured per run of the benchmark.
pub const RUNS: usize = 1000;

static HITS: AtomicU64 = AtomicU64::new(0);

/// The round trips, in TSC cycles.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub min: u64,
    pub median: u64,
    pub max: u64,
}

/// Measures [`RUNS`] round trips. Needs interrupts on (the APIC set up).
pub fn run() -> Result<Figures, &'static str> {
    if !x86_64::instructions::interrupts::are_enabled() {
        return Err("interrupts are disabled");
    }
    interrupts::register(irq::BENCH_VECTOR, "irqbench self-IPI", |_| {
        HITS.fetch_add(1, Ordering::SeqCst);
    });
    let mut cycles = [0u64; RUNS];
    for slot in cycles.iter_mut() {
        let before = HITS.load(Ordering::SeqCst);
        let start = rdtsc();
        apic::send_self(irq::BENCH_VECTOR);
        while HITS.load(Ordering::SeqCst) == before {
            core::hint::spin_loop();
        }
        *slot = rdtsc() - start;
    }
    cycles.sort_unstable();
    Ok(Figures {
        min: cycles[0],
        median: cycles[RUNS / 2],
        max: cycles[RUNS - 1],
    })
}
