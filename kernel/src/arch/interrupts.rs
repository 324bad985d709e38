//! The interrupt dispatcher: one Rust function for all 256 vectors.
//!
//! Every stub in [`super::entry`] ends up in [`dispatch`] with the saved
//! [`InterruptFrame`]. It counts the interrupt, then:
//! - vectors 0-31 (CPU exceptions) go to [`super::exceptions`];
//! - a vector with a registered handler (the timer, the keyboard, serial input)
//!   runs it, then signals *end of interrupt* to the local APIC, which will not
//!   deliver another interrupt of the same or lower priority until it gets one;
//! - the APIC's spurious vector needs nothing, not even an EOI: the APIC raises it
//!   when an interrupt went away before it could be delivered;
//! - vectors the 8259 PICs were remapped to (they are masked, but a masked 8259
//!   can still raise a spurious IRQ 7 or 15) are counted and ignored;
//! - any other vector is counted and acknowledged.
//!
//! Handlers run with interrupts disabled and must be short: they read the device,
//! queue the data, and return. Adding a device is one call to [`register`].
//!
//! On the way out of a device interrupt, after the end-of-interrupt, the
//! dispatcher calls the *exit hook*, if one is registered ([`set_exit_hook`]):
//! the scheduler registers its "switch threads if the timer asked for it"
//! there. This module knows nothing about threads; it only promises where the
//! hook runs (see [`set_exit_hook`]). [`depth`] counts the handlers running, so
//! that a failure can tell whether it happened in a thread's own code or inside
//! a handler.

use super::entry::InterruptFrame;
use super::{apic, exceptions, pic};
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use spin::{Mutex, Once};
use x86_64::instructions::interrupts::without_interrupts;

/// A device's interrupt handler.
pub type Handler = fn(&mut InterruptFrame);

#[derive(Clone, Copy)]
struct Registered {
    name: &'static str,
    handler: Handler,
}

/// Registered handlers by vector. The lock is only taken with interrupts off
/// (here in the dispatcher, and in `register`), so on our single CPU nobody can
/// ever find it held.
static HANDLERS: Mutex<[Option<Registered>; 256]> = Mutex::new([None; 256]);

/// How many times each vector arrived.
static COUNTS: [AtomicU64; 256] = [const { AtomicU64::new(0) }; 256];

/// Makes `handler` run for `vector` (32-254), shown as `name` by the counters.
pub fn register(vector: u8, name: &'static str, handler: Handler) {
    assert!(vector >= 32, "vectors 0-31 are CPU exceptions");
    without_interrupts(|| {
        HANDLERS.lock()[usize::from(vector)] = Some(Registered { name, handler })
    });
}

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Lets the CPU take interrupts (`sti`). Call when every handler is in place.
pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
    x86_64::instructions::interrupts::enable();
}

/// Whether the boot has reached the point where interrupts are on.
pub fn enabled_by_kernel() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// How many interrupt or exception handlers are running (nested).
static DEPTH: AtomicUsize = AtomicUsize::new(0);

/// How many interrupt or exception handlers are running now: 0 in ordinary
/// code, 1 inside a handler.
pub fn depth() -> usize {
    DEPTH.load(Ordering::Relaxed)
}

static EXIT_HOOK: Once<fn()> = Once::new();

/// Makes `hook` run at the end of every device interrupt (vectors 32-255),
/// after its handler and its end-of-interrupt, with interrupts still off and
/// [`depth`] back at 0. It runs on the interrupted code's own stack, so it may
/// switch away from it (the interrupted code resumes later through its own
/// `iretq`). It does not run after exceptions: a double fault, NMI or machine
/// check runs on a shared IST stack, which must be left (by `iretq`) before
/// anything else can use it. The first hook registered stays.
pub fn set_exit_hook(hook: fn()) {
    EXIT_HOOK.call_once(|| hook);
}

static USER_RETURN_HOOK: Once<fn(&mut InterruptFrame)> = Once::new();

/// Makes `hook` run last on every way back to ring 3 from an interrupt or
/// exception (after the exit hook), with interrupts off, on the thread's
/// own kernel stack, with the frame it will return with: the process layer
/// delivers signals there. Not after an NMI, double fault or machine
/// check (they run on shared IST stacks). The first hook registered stays.
pub fn set_user_return_hook(hook: fn(&mut InterruptFrame)) {
    USER_RETURN_HOOK.call_once(|| hook);
}

/// Vectors whose handlers run on an IST stack (NMI, double fault, machine check).
fn on_ist_stack(vector: u64) -> bool {
    matches!(vector, 2 | 8 | 18)
}

/// Called by the entry code for every interrupt and exception.
pub extern "C" fn dispatch(frame: &mut InterruptFrame) {
    DEPTH.fetch_add(1, Ordering::Relaxed);
    handle(frame);
    DEPTH.fetch_sub(1, Ordering::Relaxed);
    if frame.vector >= 32
        && let Some(hook) = EXIT_HOOK.get()
    {
        hook();
    }
    if frame.cs & 3 == 3
        && !on_ist_stack(frame.vector)
        && let Some(hook) = USER_RETURN_HOOK.get()
    {
        hook(frame);
    }
}

fn handle(frame: &mut InterruptFrame) {
    let vector = frame.vector as u8;
    COUNTS[usize::from(vector)].fetch_add(1, Ordering::Relaxed);
    if vector < 32 {
        return exceptions::handle(frame);
    }
    if vector == apic::SPURIOUS_VECTOR || pic::is_remapped_vector(vector) {
        return;
    }
    let registered = HANDLERS.lock()[usize::from(vector)];
    if let Some(r) = registered {
        (r.handler)(frame);
    }
    apic::end_of_interrupt();
}

/// How many interrupts `vector` has received so far.
pub fn count(vector: u8) -> u64 {
    COUNTS[usize::from(vector)].load(Ordering::Relaxed)
}

/// A name for `vector`: the exception's, the registered handler's, or a generic one.
pub fn name(vector: u8) -> &'static str {
    if vector < 32 {
        return exceptions::name(vector);
    }
    if vector == apic::SPURIOUS_VECTOR {
        return "APIC spurious";
    }
    if pic::is_remapped_vector(vector) {
        return "8259 spurious";
    }
    without_interrupts(|| HANDLERS.lock()[usize::from(vector)].map(|r| r.name))
        .unwrap_or("unassigned")
}

/// Calls `f(vector, name, count)` for every vector that arrived at least once.
pub fn for_each_count(mut f: impl FnMut(u8, &'static str, u64)) {
    for vector in 0..=255u8 {
        let count = count(vector);
        if count > 0 {
            f(vector, name(vector), count);
        }
    }
}
