//! Kernel tests for the multitasking chapter: threads, preemption, sleeping,
//! blocking locks, crashes that end only their thread; async tasks on the
//! kernel's executor (tests named `async_*`).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use executor::StreamExt;
use kernel::arch::{acpi, gdt, idt, interrupts, irq};
use kernel::memory::{frames, heap};
use kernel::tasks::condvar::Condvar;
use kernel::tasks::mutex::Mutex;
use kernel::tasks::semaphore::Semaphore;
use kernel::tasks::thread::{self, KillError, ThreadError};
use kernel::{println, tasks, test, testing, time};
use sched::State;

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(spawn_and_join_return_the_result),
    test!(thousand_threads_give_back_their_memory),
    test!(busy_threads_are_preempted),
    test!(sleeps_last_as_long_as_asked),
    test!(mutex_keeps_a_shared_counter_exact),
    test!(producer_consumer_over_semaphores),
    test!(producer_consumer_over_a_condvar),
    test!(panicking_thread_ends_alone),
    test!(divide_error_ends_only_its_thread),
    test!(stack_overflow_ends_only_its_thread),
    test!(kill_ends_sleeping_and_busy_threads),
    test!(killed_and_crashed_threads_give_back_their_memory),
    test!(async_executor_starts_in_its_own_thread),
    test!(async_producer_consumer_over_a_channel),
    test!(async_sleeps_last_as_long_as_asked),
    test!(async_ping_pong_polls_only_woken_tasks),
    test!(async_thread_sends_and_task_receives),
    test!(async_input_stream_delivers_pushed_bytes),
    test!(async_executor_thread_sleeps_when_idle),
    test!(async_spawn_refuses_beyond_capacity),
];

/// The boot story of `main.rs` up to the shell, threads included.
fn boot_steps_succeed() {
    let boot_info = testing::boot_info();
    gdt::init(boot_info);
    idt::init(boot_info);
    acpi::init(boot_info).expect("ACPI tables");
    irq::init();
    time::init();
    tasks::init();
    interrupts::enable();
    assert_eq!(thread::current().0, 1, "the boot code is thread 1");
}

fn spawn_and_join_return_the_result() {
    let handle = thread::spawn("adder", || (1..=100u64).sum::<u64>()).expect("spawn");
    assert_ne!(handle.id(), thread::current());
    assert_eq!(handle.join(), Ok(5050));
    let exits = thread::spawn("exits", || -> u64 { thread::exit(7) }).expect("spawn");
    assert_eq!(exits.join(), Err(ThreadError::Exited(7)));
}

/// Heap bytes in use, and frames in use outside the heap. (The heap keeps
/// some free pages mapped for the next allocations and trims them as it sees
/// fit: a page that moves between its cache and the frame allocator is
/// neither leaked nor freed by the threads.)
fn memory_in_use() -> (usize, usize) {
    let heap = heap::stats().expect("heap unlocked");
    let frames = frames::stats().expect("frames unlocked").used();
    (heap.allocator.in_use, frames - heap.mapped_pages)
}

fn spawn_and_join_many(count: u64) {
    let handles: Vec<_> = (0..count)
        .map(|i| thread::spawn("many", move || i * 2).expect("spawn"))
        .collect();
    let sum: u64 = handles.into_iter().map(|h| h.join().expect("joined")).sum();
    assert_eq!(sum, count * (count - 1));
}

fn thousand_threads_give_back_their_memory() {
    // The first round lets the page tables of the stack window grow to their
    // size for 1000 stacks: they stay, and the next stacks reuse them. The
    // scheduler's queues keep the room they grew to (how much depends on how
    // many threads were ready at once, i.e. on timing), so both measurements
    // are taken after giving that back. After that, another 1000 threads
    // must leave every byte and frame as it was.
    spawn_and_join_many(1000);
    tasks::scheduler::shrink_to_fit();
    let before = memory_in_use();
    spawn_and_join_many(1000);
    tasks::scheduler::shrink_to_fit();
    let after = memory_in_use();
    println!("heap bytes, frames in use: before {before:?}, after {after:?}");
    assert_eq!(after, before, "(heap bytes, frames) after 1000 threads");
}

fn busy_threads_are_preempted() {
    static STOP: AtomicBool = AtomicBool::new(false);
    static COUNTS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
    let spin = |i: usize| {
        move || {
            // Never yields, sleeps or blocks: only the timer can take the CPU away.
            while !STOP.load(Ordering::Relaxed) {
                COUNTS[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    let a = thread::spawn("busy-a", spin(0)).expect("spawn");
    let b = thread::spawn("busy-b", spin(1)).expect("spawn");
    thread::sleep(Duration::from_millis(100));
    let first = COUNTS.each_ref().map(|c| c.load(Ordering::Relaxed));
    thread::sleep(Duration::from_millis(100));
    let second = COUNTS.each_ref().map(|c| c.load(Ordering::Relaxed));
    STOP.store(true, Ordering::Relaxed);
    a.join().expect("a");
    b.join().expect("b");
    println!("counters after 100 ms: {first:?}, after 200 ms: {second:?}");
    for i in 0..2 {
        assert!(first[i] > 0, "busy thread {i} ran");
        assert!(second[i] > first[i], "busy thread {i} kept running");
    }
}

/// A sleeper is woken by the first timer tick after its deadline, and runs
/// soon after. Counted in ticks, not in nanoseconds: when the host pauses the
/// emulator, the clock jumps ahead while the ticks that were due in the pause
/// are never delivered one by one, so a wall-clock bound would fail on a busy
/// host without anything being wrong in the kernel.
fn assert_woken_soon_after(asked_ns: u64, ticks: u64) {
    let tick_ns = 1_000_000_000 / time::TICK_HZ;
    let asked_ticks = asked_ns.div_ceil(tick_ns);
    assert!(
        ticks <= asked_ticks + 3,
        "slept {ticks} ticks for {asked_ticks} ticks' worth"
    );
}

fn sleeps_last_as_long_as_asked() {
    let handles: Vec<_> = [10u64, 30, 50, 100]
        .into_iter()
        .map(|ms| {
            thread::spawn("sleeper", move || {
                let (start, first_tick) = (time::now_ns(), time::ticks());
                thread::sleep(Duration::from_millis(ms));
                let slept = time::now_ns() - start;
                (ms * 1_000_000, slept, time::ticks() - first_tick)
            })
            .expect("spawn")
        })
        .collect();
    for handle in handles {
        let (asked, slept, ticks) = handle.join().expect("sleeper");
        println!(
            "asked {} ms, slept {} us, {ticks} ticks",
            asked / 1_000_000,
            slept / 1000
        );
        assert!(slept >= asked, "woke early: {slept} ns < {asked} ns");
        assert_woken_soon_after(asked, ticks);
    }
}

fn mutex_keeps_a_shared_counter_exact() {
    static COUNTER: Mutex<u64> = Mutex::new(0);
    static CONTENDED: AtomicU64 = AtomicU64::new(0);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn("incr", || {
                for i in 0..500 {
                    let mut value = match COUNTER.try_lock() {
                        Some(guard) => guard,
                        None => {
                            CONTENDED.fetch_add(1, Ordering::Relaxed);
                            COUNTER.lock()
                        }
                    };
                    let read = *value;
                    if i % 16 == 0 {
                        // Give the CPU away inside the critical section: the
                        // others must wait for the lock, not lose updates.
                        thread::yield_now();
                    }
                    *value = read + 1;
                }
            })
            .expect("spawn")
        })
        .collect();
    for handle in handles {
        handle.join().expect("incrementer");
    }
    println!(
        "contended lock() calls: {}",
        CONTENDED.load(Ordering::Relaxed)
    );
    assert_eq!(*COUNTER.lock(), 8 * 500);
    assert!(
        CONTENDED.load(Ordering::Relaxed) > 0,
        "the lock was contended"
    );
}

const ITEMS: u64 = 400;
const PRODUCERS: u64 = 3;

/// The sum of every item all producers make (items are `p * ITEMS + i`).
fn expected_sum() -> u64 {
    let all = PRODUCERS * ITEMS;
    all * (all - 1) / 2
}

fn producer_consumer_over_semaphores() {
    static BUFFER: Mutex<VecDeque<u64>> = Mutex::new(VecDeque::new());
    static FREE_SLOTS: Semaphore = Semaphore::new(8);
    static FILLED: Semaphore = Semaphore::new(0);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            thread::spawn("producer", move || {
                for i in 0..ITEMS {
                    FREE_SLOTS.acquire();
                    BUFFER.lock().push_back(p * ITEMS + i);
                    FILLED.release();
                }
            })
            .expect("spawn")
        })
        .collect();
    let consumer = thread::spawn("consumer", || {
        let (mut sum, mut count, mut most) = (0, 0, 0);
        for _ in 0..PRODUCERS * ITEMS {
            FILLED.acquire();
            let mut buffer = BUFFER.lock();
            most = most.max(buffer.len());
            sum += buffer.pop_front().expect("FILLED counts items");
            count += 1;
            drop(buffer);
            FREE_SLOTS.release();
        }
        (sum, count, most)
    })
    .expect("spawn");
    for p in producers {
        p.join().expect("producer");
    }
    let (sum, count, most) = consumer.join().expect("consumer");
    assert_eq!((sum, count), (expected_sum(), PRODUCERS * ITEMS));
    assert!(
        most <= 8,
        "the buffer never held more than its 8 slots: {most}"
    );
    assert_eq!(FREE_SLOTS.available(), 8);
}

fn producer_consumer_over_a_condvar() {
    struct Shared {
        items: VecDeque<u64>,
        done_producers: u64,
    }
    static SHARED: Mutex<Shared> = Mutex::new(Shared {
        items: VecDeque::new(),
        done_producers: 0,
    });
    static CHANGED: Condvar = Condvar::new();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            thread::spawn("producer", move || {
                for i in 0..ITEMS {
                    SHARED.lock().items.push_back(p * ITEMS + i);
                    CHANGED.notify_one();
                    if i % 50 == 0 {
                        thread::yield_now();
                    }
                }
                SHARED.lock().done_producers += 1;
                CHANGED.notify_all();
            })
            .expect("spawn")
        })
        .collect();
    let consumer = thread::spawn("consumer", || {
        let (mut sum, mut count, mut waits) = (0, 0, 0u64);
        let mut shared = SHARED.lock();
        loop {
            if let Some(item) = shared.items.pop_front() {
                sum += item;
                count += 1;
            } else if shared.done_producers == PRODUCERS {
                return (sum, count, waits);
            } else {
                waits += 1;
                shared = CHANGED.wait(shared);
            }
        }
    })
    .expect("spawn");
    for p in producers {
        p.join().expect("producer");
    }
    let (sum, count, waits) = consumer.join().expect("consumer");
    println!("the consumer waited {waits} times");
    assert_eq!((sum, count), (expected_sum(), PRODUCERS * ITEMS));
}

/// A thread that counts while others crash; it must finish its work.
fn bystander() -> thread::JoinHandle<u64> {
    thread::spawn("bystander", || {
        let mut n = 0;
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(2));
            n += 1;
        }
        n
    })
    .expect("spawn")
}

fn panicking_thread_ends_alone() {
    let other = bystander();
    let crasher = thread::spawn("panics", || -> u64 { panic!("boom in a thread") });
    assert_eq!(crasher.expect("spawn").join(), Err(ThreadError::Crashed));
    assert_eq!(other.join(), Ok(20), "the other thread went on");
}

fn divide_error_ends_only_its_thread() {
    let other = bystander();
    let crasher = thread::spawn("divides", || {
        let (quotient, zero): (u64, u64) = (0, core::hint::black_box(0));
        // SAFETY: `div` by zero raises #DE, which ends this thread; the
        // registers it names are declared as used.
        unsafe {
            core::arch::asm!("div {0}", in(reg) zero, inout("rax") 1u64 => _, inout("rdx") 0u64 => _)
        };
        quotient
    });
    assert_eq!(crasher.expect("spawn").join(), Err(ThreadError::Crashed));
    assert_eq!(other.join(), Ok(20), "the other thread went on");
}

fn stack_overflow_ends_only_its_thread() {
    #[allow(unconditional_recursion)] // overflowing the stack is the point
    fn recurse(depth: u64) -> u64 {
        let buffer = core::hint::black_box([depth; 64]);
        recurse(depth + 1) + buffer[3]
    }
    let crasher = thread::spawn("overflows", || recurse(0));
    assert_eq!(crasher.expect("spawn").join(), Err(ThreadError::Crashed));
    // The guard page is still there for the next thread using those addresses.
    let again = thread::spawn("overflows", || recurse(0));
    assert_eq!(again.expect("spawn").join(), Err(ThreadError::Crashed));
}

fn kill_ends_sleeping_and_busy_threads() {
    static STOP: AtomicBool = AtomicBool::new(false);
    let sleeper =
        thread::spawn("sleeper", || thread::sleep(Duration::from_secs(3600))).expect("spawn");
    let busy = thread::spawn("busy", || {
        while !STOP.load(Ordering::Relaxed) {
            core::hint::spin_loop();
        }
    })
    .expect("spawn");
    thread::sleep(Duration::from_millis(20));
    thread::kill(sleeper.id()).expect("kill sleeper");
    thread::kill(busy.id()).expect("kill busy");
    assert_eq!(thread::kill(busy.id()), Err(KillError::AlreadyEnded));
    assert_eq!(sleeper.join(), Err(ThreadError::Killed));
    assert_eq!(busy.join(), Err(ThreadError::Killed));
    assert_eq!(thread::kill(thread::current()), Err(KillError::Essential));
    assert_eq!(thread::kill(thread::ThreadId(0)), Err(KillError::Essential));
    assert_eq!(
        thread::kill(thread::ThreadId(1 << 40)),
        Err(KillError::NoSuchThread)
    );
}

/// Starts a detached thread that waits forever, once it has started running
/// (so that its start function has been taken), kills it and lets the
/// kernel reap it, as `spawn demo` and `kill` do in the shell.
fn spawn_and_kill_detached() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    STARTED.store(false, Ordering::SeqCst);
    let id = thread::spawn("doomed", || {
        STARTED.store(true, Ordering::SeqCst);
        thread::sleep(Duration::from_secs(3600));
    })
    .expect("spawn")
    .id(); // the handle is dropped: detached
    while !STARTED.load(Ordering::SeqCst) {
        thread::yield_now();
    }
    thread::kill(id).expect("kill");
    tasks::scheduler::free_dead_threads();
}

fn crash_and_join() {
    let crasher = thread::spawn("crashes", || -> u64 { panic!("deliberate") });
    assert_eq!(crasher.expect("spawn").join(), Err(ThreadError::Crashed));
}

/// Killed and crashed threads never return from their closure; what the
/// kernel itself allocated for them (the start function, the result slot)
/// must still be freed when they are reaped.
fn killed_and_crashed_threads_give_back_their_memory() {
    const ROUNDS: usize = 100;
    // A first round lets the scheduler's queues and the stack window grow.
    spawn_and_kill_detached();
    crash_and_join();
    tasks::scheduler::shrink_to_fit();
    let before = memory_in_use();
    for _ in 0..ROUNDS {
        spawn_and_kill_detached();
    }
    tasks::scheduler::shrink_to_fit();
    let after_kills = memory_in_use();
    for _ in 0..ROUNDS {
        crash_and_join();
    }
    tasks::scheduler::shrink_to_fit();
    let after_crashes = memory_in_use();
    println!(
        "heap bytes, frames in use: before {before:?}, after {ROUNDS} kills {after_kills:?}, \
         after {ROUNDS} crashes {after_crashes:?}"
    );
    assert_eq!(
        after_kills, before,
        "(heap bytes, frames) after {ROUNDS} kills"
    );
    assert_eq!(
        after_crashes, before,
        "(heap bytes, frames) after {ROUNDS} crashes"
    );
}

/// The `async` thread's entry in the thread list.
fn async_thread() -> thread::ThreadInfo {
    let id = tasks::executor::thread_id().expect("the executor runs");
    thread::list()
        .into_iter()
        .find(|t| t.id == id)
        .expect("the async thread exists")
}

/// Waits until the `async` thread has finished its round and blocked (the
/// executor publishes its poll count at the end of each round).
fn wait_for_idle_executor() {
    for _ in 0..500 {
        if matches!(async_thread().state, State::Blocked(_)) {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("the async thread never went idle");
}

fn async_executor_starts_in_its_own_thread() {
    assert_eq!(
        tasks::executor::spawn(async {}).err(),
        Some(tasks::executor::SpawnError::NotStarted)
    );
    tasks::executor::init();
    let info = async_thread();
    assert_eq!(info.name, "async");
    assert_ne!(info.id, thread::current());
    assert_eq!(
        thread::kill(info.id),
        Err(KillError::Essential),
        "the async thread is essential"
    );
    let answer = tasks::executor::block_on(async { 6 * 7 }).expect("spawn");
    assert_eq!(answer, 42);
}

fn async_producer_consumer_over_a_channel() {
    const COUNT: u64 = 2000;
    let (sender, mut receiver) = executor::channel::<u64>(8);
    let producer = tasks::executor::spawn(async move {
        for i in 0..COUNT {
            sender.send(i).await.expect("the consumer is alive");
        }
        // `sender` is dropped here: the consumer's stream ends.
    })
    .expect("spawn");
    let consumer = tasks::executor::spawn(async move {
        let (mut sum, mut count, mut most) = (0, 0, 0);
        while let Some(item) = receiver.next().await {
            most = most.max(receiver.len() + 1);
            sum += item;
            count += 1;
        }
        (sum, count, most)
    })
    .expect("spawn");
    let (sum, count, most) = consumer.join();
    producer.join();
    println!("consumer: {count} items, at most {most} buffered");
    assert_eq!((sum, count), (COUNT * (COUNT - 1) / 2, COUNT));
    assert!(most <= 8, "the channel held at most its capacity: {most}");
}

fn async_sleeps_last_as_long_as_asked() {
    let handles: Vec<_> = [10u64, 30, 50, 100]
        .into_iter()
        .map(|ms| {
            tasks::executor::spawn(async move {
                let (start, first_tick) = (time::now_ns(), time::ticks());
                tasks::executor::sleep(Duration::from_millis(ms)).await;
                let slept = time::now_ns() - start;
                (ms * 1_000_000, slept, time::ticks() - first_tick)
            })
            .expect("spawn")
        })
        .collect();
    for handle in handles {
        let (asked, slept, ticks) = handle.join();
        println!(
            "task asked {} ms, slept {} us, {ticks} ticks",
            asked / 1_000_000,
            slept / 1000
        );
        assert!(slept >= asked, "woke early: {slept} ns < {asked} ns");
        assert_woken_soon_after(asked, ticks);
    }
    assert_eq!(tasks::executor::stats().sleeping, 0, "no timer left behind");
}

fn async_ping_pong_polls_only_woken_tasks() {
    const ROUNDS: u64 = 500;
    wait_for_idle_executor();
    let polls_before = tasks::executor::stats().polls;
    let (to_pong, mut pong_inbox) = executor::channel::<u64>(1);
    let (to_ping, mut ping_inbox) = executor::channel::<u64>(1);
    let ping = tasks::executor::spawn(async move {
        let mut ball = 0;
        for _ in 0..ROUNDS {
            to_pong.send(ball).await.expect("pong is alive");
            ball = ping_inbox.recv().await.expect("pong answers");
        }
        ball
    })
    .expect("spawn");
    let pong = tasks::executor::spawn(async move {
        let mut hits = 0;
        while let Some(ball) = pong_inbox.recv().await {
            hits += 1;
            to_ping.send(ball + 1).await.expect("ping is alive");
        }
        hits
    })
    .expect("spawn");
    assert_eq!(ping.join(), ROUNDS, "every round added one");
    assert_eq!(pong.join(), ROUNDS);
    wait_for_idle_executor();
    let polls = tasks::executor::stats().polls - polls_before;
    println!("{ROUNDS} rounds of ping-pong: {polls} polls");
    // Each round wakes each task once; a few more polls to start and end.
    // Busy polling would show as many more.
    assert!(
        polls >= 2 * ROUNDS,
        "each task is polled once a round: {polls}"
    );
    assert!(
        polls <= 2 * ROUNDS + 6,
        "no poll without a wake-up: {polls}"
    );
}

fn async_thread_sends_and_task_receives() {
    const COUNT: u64 = 1000;
    let (sender, mut receiver) = executor::channel::<u64>(4);
    let task = tasks::executor::spawn(async move {
        let (mut sum, mut count) = (0, 0);
        while let Some(item) = receiver.recv().await {
            sum += item;
            count += 1;
        }
        (sum, count)
    })
    .expect("spawn");
    let producer = thread::spawn("to-task", move || {
        let mut full = 0u64;
        for i in 1..=COUNT {
            let mut item = i;
            // A thread cannot await: it retries, giving the CPU away meanwhile.
            while let Err(executor::TrySendError::Full(back)) = sender.try_send(item) {
                item = back;
                full += 1;
                thread::yield_now();
            }
        }
        full
    })
    .expect("spawn");
    let full = producer.join().expect("producer thread");
    let (sum, count) = task.join();
    println!("the thread found the channel full {full} times");
    assert_eq!((sum, count), (COUNT * (COUNT + 1) / 2, COUNT));
}

fn async_input_stream_delivers_pushed_bytes() {
    use kernel::{input, input_stream};
    input::clear();
    let reader = tasks::executor::spawn(async {
        let mut input = input_stream::bytes();
        let mut line = Vec::new();
        while let Some(byte) = input.next().await {
            if byte == b'\n' {
                return line;
            }
            line.push(byte);
        }
        unreachable!("input never ends")
    })
    .expect("spawn");
    thread::sleep(Duration::from_millis(20));
    wait_for_idle_executor();
    assert!(!reader.is_finished(), "the reader waits for input");
    let polls_before = tasks::executor::stats().polls;
    for &byte in b"kestrel\n" {
        input::push(byte);
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(reader.join(), b"kestrel");
    wait_for_idle_executor();
    let polls = tasks::executor::stats().polls - polls_before;
    println!("8 bytes read with {polls} polls");
    assert!(polls <= 8, "one poll per byte at most: {polls}");
}

fn async_executor_thread_sleeps_when_idle() {
    wait_for_idle_executor();
    let before = async_thread();
    thread::sleep(Duration::from_millis(100));
    let after = async_thread();
    let ran = after.cpu_ns - before.cpu_ns;
    println!("the async thread ran {ran} ns in 100 ms of idleness");
    assert!(
        matches!(after.state, State::Blocked(_)),
        "{:?}",
        after.state
    );
    assert!(ran < 1_000_000, "it slept: ran {ran} ns");
}

fn async_spawn_refuses_beyond_capacity() {
    use tasks::executor::{MAX_TASKS, SpawnError};
    static GO: AtomicBool = AtomicBool::new(false);
    let (sender, mut receiver) = executor::channel::<()>(1);
    let gate = tasks::executor::spawn(async move {
        // Holds the others until the test says go.
        receiver.recv().await;
        GO.store(true, Ordering::Relaxed);
    })
    .expect("spawn");
    let waiters: Vec<_> = (1..MAX_TASKS)
        .map(|i| {
            tasks::executor::spawn(async move {
                while !GO.load(Ordering::Relaxed) {
                    tasks::executor::sleep(Duration::from_millis(5)).await;
                }
                i
            })
            .expect("room for MAX_TASKS")
        })
        .collect();
    assert_eq!(tasks::executor::stats().tasks, MAX_TASKS);
    assert_eq!(
        tasks::executor::spawn(async {}).err(),
        Some(SpawnError::Full)
    );
    sender.try_send(()).expect("the gate listens");
    gate.join();
    let sum: usize = waiters.into_iter().map(|w| w.join()).sum();
    assert_eq!(sum, MAX_TASKS * (MAX_TASKS - 1) / 2);
    assert_eq!(tasks::executor::stats().tasks, 0);
    assert_eq!(tasks::executor::block_on(async { 1 }), Ok(1), "room again");
}
