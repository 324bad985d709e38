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
//! TSC, wait 50 ms on the PIT, read both again. 50 ms keeps the boot quick while
//! making a millisecond of emulator jitter a 2 % error at most.
//!
//! We tick at 100 Hz: every tick costs an interrupt round trip, which is slow
//! under emulation, and nothing in this chapter needs finer ticks (the clock's
//! resolution comes from the TSC, not from the tick).

use crate::arch::{apic, interrupts, irq, pit};
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use spin::Mutex;
use x86_64::instructions::interrupts::without_interrupts;

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 100;
const CALIBRATION_MICROS: u64 = 50_000;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static APIC_TIMER_HZ: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Reads the time stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter (the kernel runs in ring 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Measures the TSC and APIC timer frequencies, then starts the periodic tick.
/// Needs the local APIC (`irq::init`); interrupts may still be off.
pub fn init() {
    apic::start_free_running();
    let tsc_start = rdtsc();
    pit::wait_micros(CALIBRATION_MICROS);
    let tsc = rdtsc() - tsc_start;
    let apic_counts = u64::from(apic::timer_elapsed());
    TSC_HZ.store(tsc * 1_000_000 / CALIBRATION_MICROS, Ordering::Relaxed);
    let apic_hz = apic_counts * 1_000_000 / CALIBRATION_MICROS;
    APIC_TIMER_HZ.store(apic_hz, Ordering::Relaxed);
    interrupts::register(irq::TIMER_VECTOR, "APIC timer", |_| {
        TICKS.fetch_add(1, Ordering::Relaxed);
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

/// The TSC frequency measured at boot (0 before `init`).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
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

/// Nanoseconds since the machine was switched on (the TSC starts at 0 at reset).
/// Monotonic; 0 before calibration.
pub fn now_ns() -> u64 {
    cycles_to_ns(rdtsc())
}

/// Time since power-on, as a `Duration`.
pub fn uptime() -> Duration {
    Duration::from_nanos(now_ns())
}
