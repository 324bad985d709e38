//! Time: a periodic tick and a nanosecond clock.
//!
//! Two counters run in the machine:
//! - the CPU's *time stamp counter* (TSC), read with `rdtsc`, counts at a fixed
//!   rate from power-on (on QEMU and on CPUs with an "invariant TSC"). It is cheap
//!   to read and fine-grained, so it is our clock: `now_ns` is TSC ticks divided
//!   by the TSC frequency;
//! - the local APIC timer, which raises an interrupt every `1 / TICK_HZ` s: the
//!   kernel's heartbeat: it wakes `hlt`, and calls the *tick listeners*
//!   registered with [`add_tick_listener`]: the scheduler (which wakes
//!   sleeping threads and preempts busy ones) and the async executor (which
//!   wakes sleeping tasks). The clock knows nothing about either.
//!
//! Neither frequency is written anywhere, so at boot we measure both against the
//! PIT, whose 1.193182 MHz is fixed: start the APIC timer free-running, read the
//! TSC, wait 50 ms on the PIT, read both again. 50 ms keeps the boot quick, but
//! under emulation the TSC figure came out 0.3-0.6 % high (the clock lost 2.8 s
//! in 10 minutes). So the TSC rate is then *refined*, without holding up the
//! boot: `init` also reads the TSC and the ACPI PM timer (3.579545 MHz) together,
//! and the timer interrupt reads both again 1 s, 10 s, 100 s, ... later and
//! measures the rate over the whole window (the `clock` crate: wraps of the
//! narrow PM timer, and a clock that keeps running on from where it is when
//! its rate changes, never jumping or going back).
//!
//! The clock counts from the kernel's start ([`mark_kernel_start`], the first
//! thing `kernel_main` does), not from power-on: the TSC starts at 0 when the
//! machine is switched on, but a warm reboot does not reset it, so "TSC time"
//! would include every earlier session. [`since_reset`] still gives that
//! figure, for reports that say what it is.
//!
//! We tick at 100 Hz: every tick costs an interrupt round trip, which is slow
//! under emulation, and nothing in this chapter needs finer ticks (the clock's
//! resolution comes from the TSC, not from the tick).

use crate::arch::{acpi, apic, interrupts, irq, pit};
use crate::sync::IrqMutex;
use clock::{Pair, Rate, Refinement};
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 100;
const CALIBRATION_MICROS: u64 = 50_000;
/// Seconds after `init` of the first refinement of the TSC rate (then 10x
/// longer windows).
const FIRST_REFINEMENT_S: u64 = 1;

/// The TSC reading at the kernel's start (0: not marked yet).
static KERNEL_START: AtomicU64 = AtomicU64::new(0);
/// TSC cycles to nanoseconds since the kernel's start.
static RATE: IrqMutex<Rate> = IrqMutex::new(Rate::new(0, 0));
/// The pending refinement of `RATE` (`None` without a PM timer).
static REFINEMENT: IrqMutex<Option<Refinement>> = IrqMutex::new(None);
/// The TSC rate measured at boot against the PIT.
static BOOT_TSC_HZ: AtomicU64 = AtomicU64::new(0);
static APIC_TIMER_HZ: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Reads the time stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter (the kernel runs in ring 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Notes the kernel's start: the clock's zero. Call first thing; later calls
/// change nothing.
pub fn mark_kernel_start() {
    let _ = KERNEL_START.compare_exchange(0, rdtsc(), Ordering::Relaxed, Ordering::Relaxed);
}

/// Measures the TSC and APIC timer frequencies, then starts the periodic tick.
/// Needs the local APIC (`irq::init`); interrupts may still be off.
pub fn init() {
    mark_kernel_start(); // (test kernels start their clock here)
    apic::start_free_running();
    let tsc_start = rdtsc();
    pit::wait_micros(CALIBRATION_MICROS);
    let tsc = rdtsc() - tsc_start;
    let apic_counts = u64::from(apic::timer_elapsed());
    let tsc_hz = tsc * 1_000_000 / CALIBRATION_MICROS;
    BOOT_TSC_HZ.store(tsc_hz, Ordering::Relaxed);
    *RATE.lock() = Rate::new(KERNEL_START.load(Ordering::Relaxed), tsc_hz);
    *REFINEMENT.lock() = start_refinement();
    let apic_hz = apic_counts * 1_000_000 / CALIBRATION_MICROS;
    APIC_TIMER_HZ.store(apic_hz, Ordering::Relaxed);
    interrupts::register(irq::TIMER_VECTOR, "APIC timer", |_| {
        TICKS.fetch_add(1, Ordering::Relaxed);
        refine_if_due();
        call_tick_listeners();
    });
    apic::start_periodic(irq::TIMER_VECTOR, (apic_hz / TICK_HZ) as u32);
}

/// At most this many tick listeners.
const MAX_LISTENERS: usize = 4;

/// The tick listeners. The lock is only taken with interrupts off (in the
/// timer handler and in `add_tick_listener`), so nobody ever finds it held.
static LISTENERS: Mutex<Listeners> = Mutex::new([None; MAX_LISTENERS]);
type Listeners = [Option<fn()>; MAX_LISTENERS];

/// Makes `listener` run at every timer tick, inside the timer interrupt
/// handler (interrupts off): it must be short, and must not block or switch.
///
/// # Panics
/// If `MAX_LISTENERS` (4) listeners are registered already.
pub fn add_tick_listener(listener: fn()) {
    without_interrupts(|| {
        let mut listeners = LISTENERS.lock();
        let free = listeners.iter_mut().find(|l| l.is_none());
        *free.expect("room for another tick listener") = Some(listener);
    });
}

fn call_tick_listeners() {
    let listeners = *LISTENERS.lock();
    for listener in listeners.iter().flatten() {
        listener();
    }
}

/// The TSC and the PM timer read together: the PM timer between two TSC
/// readings, the TSC figure their midpoint. Of a few tries, the one with the
/// two TSC readings closest together wins (under emulation, the virtual CPU
/// may be paused between two instructions).
fn read_pair() -> Option<Pair> {
    const TRIES: usize = 5;
    let mut best: Option<(u64, Pair)> = None;
    for _ in 0..TRIES {
        let (before, reference, after) =
            x86_64::instructions::interrupts::without_interrupts(|| {
                let before = rdtsc();
                let reference = acpi::read_pm_timer();
                (before, reference, rdtsc())
            });
        let spread = after - before;
        let pair = Pair {
            cycles: before + spread / 2,
            reference: u64::from(reference?),
        };
        if best.is_none_or(|(least, _)| spread < least) {
            best = Some((spread, pair));
        }
    }
    best.map(|(_, pair)| pair)
}

/// The first readings of the refinement, if there is a PM timer.
fn start_refinement() -> Option<Refinement> {
    let (_, bits) = acpi::platform()?.pm_timer?;
    let first = read_pair()?;
    Some(Refinement::new(
        clock::acpi_pm_timer(bits),
        first,
        FIRST_REFINEMENT_S,
    ))
}

/// From the timer interrupt: measures the TSC rate again when it is time.
fn refine_if_due() {
    let mut refinement = REFINEMENT.lock();
    let Some(r) = refinement.as_mut() else { return };
    let rate = *RATE.lock();
    if !r.is_due(rdtsc(), &rate) {
        return;
    }
    let Some(second) = read_pair() else { return };
    match r.take(second, &rate) {
        Some(refined) => *RATE.lock() = refined,
        // The wraps of the PM timer could not be told: keep the rate, stop
        // (remembering an earlier refinement, if there was one).
        None if r.done_window_s > 0 => r.next_window_s = u64::MAX,
        None => *refinement = None,
    }
}

/// The TSC frequency in use (measured at boot, refined since; 0 before `init`).
pub fn tsc_hz() -> u64 {
    RATE.lock().hz
}

/// The TSC frequency measured at boot against the PIT.
pub fn boot_tsc_hz() -> u64 {
    BOOT_TSC_HZ.load(Ordering::Relaxed)
}

/// The window (in seconds) of the last refinement of the TSC rate against
/// the ACPI PM timer: 0 if none yet, `None` if there is none to come (no
/// PM timer, or it could not be used).
pub fn refined_over_s() -> Option<u64> {
    REFINEMENT.lock().map(|r| r.done_window_s)
}

/// The APIC timer's counting frequency (bus clock / 16) measured at boot.
pub fn apic_timer_hz() -> u64 {
    APIC_TIMER_HZ.load(Ordering::Relaxed)
}

/// Timer interrupts since `init`.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Converts TSC cycles to nanoseconds.
pub fn cycles_to_ns(cycles: u64) -> u64 {
    match tsc_hz() {
        0 => 0,
        hz => (u128::from(cycles) * 1_000_000_000 / u128::from(hz)) as u64,
    }
}

/// Nanoseconds since the kernel started. Monotonic; 0 before calibration.
pub fn now_ns() -> u64 {
    let rate = *RATE.lock();
    rate.ns_at(rdtsc())
}

/// Time since the kernel started, as a `Duration`.
pub fn uptime() -> Duration {
    Duration::from_nanos(now_ns())
}

/// What the TSC counted since the machine was switched on or reset by
/// power-on (a warm reboot does not reset it), as time.
pub fn since_reset() -> Duration {
    Duration::from_nanos(cycles_to_ns(rdtsc()))
}
