//! The kernel's scheduler: the `sched` crate's decisions, carried out.
//!
//! The `sched` crate decides which thread runs (round-robin, a 10 ms slice, an
//! idle thread) and returns each decision as a `Switch { from, to }`. This
//! module owns the one [`Scheduler`] and carries the decisions out with
//! [`switch::switch_to`]. Every path that may switch goes through
//! [`schedule`], which keeps one rule: from the moment the decision is taken
//! until the CPU runs on `to`'s stack, interrupts stay disabled, because the
//! records already say `to` is running. Before the switch it also puts
//! `to`'s kernel stack into the TSS (where ring 3 enters the kernel) and, if
//! `to` runs a user program, its address space into CR3, and it saves the
//! FPU/SSE registers and FS/GS bases of a user thread that stops and loads
//! those of one that continues (`arch::user_state`). The scheduler lives in an
//! [`IrqMutex`] because interrupt handlers use it too (the timer, and wake-ups
//! from input handlers).
//!
//! Where switches happen:
//! - a thread blocks, sleeps, yields, joins or exits: it calls [`schedule`];
//! - the timer interrupt: the tick only raises a flag ([`on_timer_tick`], a
//!   listener of `time`'s tick), and [`preempt_if_requested`], registered as
//!   the interrupt dispatcher's exit hook (`arch::interrupts::set_exit_hook`),
//!   switches after the end-of-interrupt, so the APIC is never left waiting
//!   while another thread runs. The interrupted
//!   thread's registers are all on its stack (the entry stub saved them), so
//!   it resumes later, through the same `iretq`, as if nothing had happened.
//!
//! At [`init`] the boot code becomes thread 1, `main`, and may block like any
//! other thread; the idle thread gets a stack of its own and runs only when no
//! other thread is ready: it frees the stacks of finished detached threads and
//! halts until the next interrupt.

use super::link::Link;
use super::switch;
use crate::arch::user_state::UserState;
use crate::memory::stack::{self, KernelStack};
use crate::sync::IrqMutex;
use crate::time;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use sched::{ExitStatus, Reaped, Scheduler, Switch, ThreadId};
use x86_64::instructions::interrupts;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::PhysFrame;

/// How long a thread may run while others are ready (the tick is 10 ms, so a
/// busy thread is preempted at every tick when others want the CPU).
pub const SLICE_NS: u64 = 10_000_000;
/// Pages of stack for the idle thread.
const IDLE_STACK_PAGES: u64 = 4;

/// What a new thread runs: called once, by the thread itself.
///
/// It is `FnMut` rather than `FnOnce` so that the thread can call it where it
/// lies, inside its record, instead of moving it onto its own stack: a killed
/// or crashed thread never returns from it, and whatever lies on a dead stack
/// is never dropped. Left in the record, the closure (and whatever it owns,
/// such as `spawn`'s result slot) is dropped with the record when the thread
/// is reaped, however it ended.
pub type Start = Box<dyn FnMut() + Send>;

/// What the kernel keeps per thread, inside the scheduler's record.
pub struct ThreadData {
    /// The saved stack pointer while the thread is not running.
    rsp: u64,
    /// The thread's own stack (`None` for `main`, which runs on the boot stack).
    stack: Option<KernelStack>,
    /// The function the thread runs; kept until the record is dropped.
    start: Option<Start>,
    /// The kernel needs this thread: it cannot be killed, and a crash in it
    /// is fatal instead of ending only the thread.
    essential: bool,
    /// The address space (PML4) a thread that runs a user program needs in
    /// CR3. Kernel threads (`None`) run in whichever is loaded: they use only
    /// the higher half, which every address space shares.
    address_space: Option<PhysFrame>,
    /// A user thread's FPU/SSE registers and FS/GS bases while it does not
    /// run (`None` for kernel threads, which use none of them).
    user_state: Option<Box<UserState>>,
    /// A user thread's link to its process (`tasks::link`), which
    /// [`with_link`] reaches without a lookup while the thread runs.
    link: Option<Arc<Link>>,
}

impl ThreadData {
    /// A thread that will run `start` on `stack` when first switched to.
    pub fn new(stack: KernelStack, start: Start) -> ThreadData {
        // SAFETY: the stack was just mapped for this thread alone; its top is
        // page-aligned.
        let rsp = unsafe { switch::prepare_stack(stack.top.as_u64()) };
        ThreadData {
            rsp,
            stack: Some(stack),
            start: Some(start),
            essential: false,
            address_space: None,
            user_state: None,
            link: None,
        }
    }

    /// The thread's stack, if it has one of its own.
    pub fn stack(&self) -> Option<KernelStack> {
        self.stack
    }

    pub fn is_essential(&self) -> bool {
        self.essential
    }
}

impl Drop for ThreadData {
    fn drop(&mut self) {
        if let Some(stack) = self.stack.take() {
            // SAFETY: a record is dropped only once the scheduler has reaped
            // its thread: it has exited and the CPU has switched away from
            // it, so nothing runs on or points into the stack.
            unsafe { stack::free(stack) };
        }
    }
}

static SCHED: IrqMutex<Option<Scheduler<ThreadData>>> = IrqMutex::new(None);
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
/// The running thread's link (null for kernel threads): the `Arc` in its
/// record, set at every switch and by [`set_link`].
static CURRENT_LINK: AtomicPtr<Link> = AtomicPtr::new(core::ptr::null_mut());

/// Starts scheduling: the caller becomes thread 1 (`main`), an idle thread is
/// created. Needs the heap and the clock (`time::init`).
pub fn init() {
    let stack = stack::allocate(IDLE_STACK_PAGES).expect("a stack for the idle thread");
    let idle = ThreadData::new(stack, Box::new(idle_loop));
    let main = ThreadData {
        rsp: 0,
        stack: None,
        start: None,
        essential: true,
        address_space: None,
        user_state: None,
        link: None,
    };
    let scheduler = Scheduler::with_main(SLICE_NS, time::now_ns(), "main", main, idle);
    *SCHED.lock() = Some(scheduler);
    time::add_tick_listener(on_timer_tick);
    crate::arch::interrupts::set_exit_hook(preempt_if_requested);
}

/// Whether [`init`] has run.
pub fn is_running() -> bool {
    SCHED.lock().is_some()
}

/// Runs `f` on the scheduler (locked, interrupts off) and returns its result,
/// or `None` before [`init`]. `f` must not switch: use [`schedule`] for that.
pub fn with<R>(f: impl FnOnce(&mut Scheduler<ThreadData>) -> R) -> Option<R> {
    SCHED.lock().as_mut().map(f)
}

/// Takes a decision with `f` (given the scheduler and the time now) and, if
/// it returns a switch, carries it out: the calling thread stops here and
/// resumes when another switch comes back to it. Returns `f`'s second result.
///
/// # Panics
/// Before [`init`].
pub fn schedule<R>(f: impl FnOnce(&mut Scheduler<ThreadData>, u64) -> (Option<Switch>, R)) -> R {
    let were_enabled = interrupts::are_enabled();
    interrupts::disable();
    let (registers, result) = {
        let mut guard = SCHED.lock();
        let Some(sched) = guard.as_mut() else {
            drop(guard); // a panic must not leave the scheduler locked
            panic!("threads are used before tasks::init");
        };
        let (switch, result) = f(sched, time::now_ns());
        let registers = switch.map(|s| {
            let (from, to) = sched.switch_data(s);
            let next = (to.stack.map(|stack| stack.top), to.address_space);
            let states = (
                from.user_state.as_deref_mut().map(|s| s as *mut UserState),
                to.user_state.as_deref().map(|s| s as *const UserState),
            );
            let link = to.link.as_ref().map_or(core::ptr::null(), Arc::as_ptr);
            (&raw mut from.rsp, to.rsp, next, states, link)
        });
        (registers, result)
        // The guard unlocks here; interrupts stay off (they were off when it
        // was taken).
    };
    if let Some((from, to, (kernel_stack, address_space), (stopping, continuing), link)) = registers
    {
        CURRENT_LINK.store(link.cast_mut(), Ordering::Relaxed);
        // Ring 3 enters the kernel on the running thread's own stack (`main`,
        // on the boot stack, never runs user code).
        if let Some(top) = kernel_stack {
            crate::arch::gdt::set_kernel_stack(top);
        }
        if let Some(root) = address_space {
            load_address_space(root);
        }
        // SAFETY: each state is boxed in the record of a thread that is not
        // reaped before this switch is over (the running one, and a ready
        // one); interrupts are off, so nothing else touches them meanwhile.
        unsafe {
            if let Some(state) = stopping {
                (*state).save();
            }
            if let Some(state) = continuing {
                (*state).restore();
            }
        }
        // SAFETY: interrupts are off. `from` points into the record of the
        // running thread, which nothing can touch before the switch reads
        // it; `to` was saved by `switch_to` or made by `prepare_stack` for a
        // thread that is not running (the scheduler only switches to ready
        // threads), whose stack is mapped until it is reaped.
        unsafe { switch::switch_to(from, to) };
    }
    if were_enabled {
        interrupts::enable();
    }
    result
}

/// The running thread's id (`None` before [`init`]).
pub fn current() -> Option<ThreadId> {
    with(|s| s.current())
}

/// Where every new thread begins (called by `switch::thread_entry`, with
/// interrupts disabled, as the running thread).
pub extern "C" fn thread_start() -> ! {
    let start: *mut (dyn FnMut() + Send) = with(|s| {
        let me = s.current();
        let start = s.thread_mut(me)?.data_mut().start.as_mut()?;
        Some(&raw mut **start)
    })
    .flatten()
    .expect("a new thread has its start function");
    interrupts::enable();
    // SAFETY: the closure lives in its own heap block, owned by this thread's
    // record, which is dropped only once the thread has exited and the CPU
    // has left it for good (see `ThreadData`'s `Drop`): it outlives this
    // call, even though the record itself may move inside the scheduler.
    // Nothing else touches `start` after the record is made.
    unsafe { (*start)() };
    exit(ExitStatus::Returned(0))
}

/// Ends the running thread with `status`; its joiner (or the idle thread, if
/// it was detached) frees its stack later.
pub fn exit(status: ExitStatus) -> ! {
    schedule(|s, now| (Some(s.exit_current(now, status)), ()));
    unreachable!("an exited thread was switched back to");
}

/// Called at every timer tick (a `time` tick listener): asks for a
/// scheduling decision on the way out of the interrupt.
pub fn on_timer_tick() {
    NEED_RESCHED.store(true, Ordering::Relaxed);
}

/// The interrupt dispatcher's exit hook, after the end-of-interrupt: wakes the
/// sleepers whose time has come and preempts the running thread if its slice
/// is over (or if it is the idle thread and someone is ready).
pub fn preempt_if_requested() {
    if NEED_RESCHED.swap(false, Ordering::Relaxed) && is_running() {
        schedule(|s, now| (s.on_tick(now), ()));
    }
}

/// The idle thread: runs when nothing else is ready.
fn idle_loop() {
    loop {
        free_dead_threads();
        interrupts::disable();
        if with(|s| s.has_ready()) == Some(true) {
            schedule(|s, now| (s.yield_current(now), ()));
            interrupts::enable();
        } else {
            // `sti` takes effect after `hlt` starts: an interrupt that makes a
            // thread ready after the check above still wakes this `hlt`.
            interrupts::enable_and_hlt();
        }
    }
}

/// Frees the stacks of detached threads that have exited. The idle thread
/// does it, and so do `spawn` and `list`, so that with busy threads around
/// (the idle thread never runs then) ended threads still go away.
pub fn free_dead_threads() {
    // One record at a time, each taken and freed with no switch in between
    // (see `release`), outside the scheduler's lock.
    while interrupts::without_interrupts(|| {
        let dead = with(|s| s.take_dead()).flatten();
        dead.map(release).is_some()
    }) {}
}

/// Frees what a reaped thread leaves (its stack, start function, user
/// state and link), with interrupts off: between the record leaving the
/// scheduler and its memory going back, no other thread may run. A thread
/// preempted there would hold a stack and a record that no list of threads
/// shows, given back only when it next runs. The idle thread, which frees
/// detached threads and is preempted at the first tick when another thread
/// is ready, did that: memory counted meanwhile was a kernel stack and a
/// user thread's record (8 frames, about 570 bytes) above the truth.
pub fn release(reaped: Reaped<ThreadData>) {
    interrupts::without_interrupts(|| drop(reaped));
}

/// Gives back memory that the scheduler's queues kept after growing (for
/// reports and the memory tests).
pub fn shrink_to_fit() {
    with(|s| s.shrink_to_fit());
}

/// Loads `root` into CR3 unless it is there already (a reload flushes the TLB).
fn load_address_space(root: PhysFrame) {
    let (active, flags) = Cr3::read();
    if active != root {
        // SAFETY: `root` is a live address space (its owner clears it from
        // the thread's record before freeing it) whose higher half is the
        // kernel's, so the kernel code and data in use stay mapped.
        unsafe { Cr3::write(root, flags) };
    }
}

/// Makes the running thread run in `root` from now on (`None`: the kernel's
/// own address space), and loads it.
pub fn set_address_space(root: Option<PhysFrame>) {
    with(|s| {
        let me = s.current();
        if let Some(t) = s.thread_mut(me) {
            t.data_mut().address_space = root;
        }
    });
    load_address_space(root.unwrap_or_else(crate::memory::paging::kernel_pml4));
}

/// Gives the running thread a clean user CPU state (FPU/SSE registers, FS
/// and GS bases; see `arch::user_state`), loaded now and kept across every
/// switch from now on. For a thread about to enter ring 3.
pub fn start_user_state() {
    continue_user_state(Box::default());
}

/// Gives the running thread the user CPU state `state` (a forked child's:
/// a copy of its parent's), loaded now and kept across every switch from
/// now on. For a thread about to enter ring 3.
pub fn continue_user_state(state: Box<UserState>) {
    // Loaded and recorded with no switch in between: a switch would save
    // the CPU's registers (another program's) over the clean state.
    interrupts::without_interrupts(|| {
        state.restore();
        with(|s| {
            let me = s.current();
            if let Some(t) = s.thread_mut(me) {
                t.data_mut().user_state = Some(state);
            }
        });
    });
}

/// Links the running thread to its process (`None`: unlinks it); see
/// `tasks::link`.
pub fn set_link(link: Option<Arc<Link>>) {
    interrupts::without_interrupts(|| {
        let pointer = link.as_ref().map_or(core::ptr::null(), Arc::as_ptr);
        let old = with(|s| {
            let me = s.current();
            let data = s.thread_mut(me)?.data_mut();
            CURRENT_LINK.store(pointer.cast_mut(), Ordering::Relaxed);
            core::mem::replace(&mut data.link, link)
        });
        drop(old); // (outside the scheduler's lock)
    });
}

/// The running thread's link to its process, shared (for a wait that
/// outlives a call of [`with_link`]).
pub fn current_link() -> Option<Arc<Link>> {
    with(|s| {
        let me = s.current();
        s.thread(me)?.data().link.clone()
    })
    .flatten()
}

/// Runs `f` on the running thread's link to its process, if it has one:
/// one load, no lock (the system-call path uses it on every call).
pub fn with_link<R>(f: impl FnOnce(&Link) -> R) -> Option<R> {
    let link = CURRENT_LINK.load(Ordering::Relaxed);
    // SAFETY: a non-null pointer is the `Arc` in the running thread's own
    // record (set by the switch to it, or by `set_link` on itself; a switch
    // away and back restores it). That record lives while the thread runs,
    // and only the thread itself replaces its link, not during this call.
    unsafe { link.as_ref() }.map(f)
}

/// Marks `id` essential (see [`ThreadData`]).
pub fn set_essential(id: ThreadId) {
    with(|s| {
        if let Some(t) = s.thread_mut(id) {
            t.data_mut().essential = true;
        }
    });
}
