//! Kernel tests for memory management: the frame allocator on the real memory
//! map, page-table round trips, hardening, guard pages.
#![no_std]
#![no_main]

use bootloader_api::info::MemoryRegionKind;
use kernel::boot_report::MemorySummary;
use kernel::memory::paging::{self, MapError};
use kernel::memory::{frames, phys_to_virt, stack};
extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use kernel::memory::heap;
use kernel::{println, should_panic, test, testing};
use x86_64::structures::paging::{Page, PageTableFlags as Flags, PhysFrame, Size2MiB, Size4KiB};
use x86_64::{PhysAddr, VirtAddr};

kernel::test_kernel![
    test!(frame_counts_match_the_memory_map),
    test!(every_frame_is_handed_out_once_then_none_and_counts_return),
    test!(map_write_translate_unmap_round_trip),
    test!(huge_page_from_a_contiguous_run),
    test!(kernel_segments_have_exact_rights),
    test!(stacks_have_guard_pages),
    test!(alloc_collections_work),
    test!(many_allocations_of_many_sizes),
    test!(large_allocation_grows_the_heap_and_shrinks_back),
    test!(heap_limit_is_a_clean_error_for_fallible_callers),
    should_panic!(infallible_allocation_failure_panics, "memory allocation of"),
    test!(heap_still_works_after_out_of_memory),
    test!(heap_benchmark),
    test!(exception_handlers_are_installed),
    should_panic!(
        writing_kernel_text_faults,
        "write to a present page (protection violation)"
    ),
    should_panic!(
        executing_heap_data_faults,
        "instruction fetch from a present page (protection violation)"
    ),
];

/// A test-only area in the heap's PML4 slot, far above the heap's 512 MiB.
const TEST_AREA: u64 = 0xffff_9000_8000_0000;

fn frame_counts_match_the_memory_map() {
    kernel::memory::init(testing::boot_info());
    let map = MemorySummary::of(&testing::boot_info().memory_regions);
    let boot = frames::at_boot().expect("frame allocator initialised");
    let now = frames::stats().unwrap();
    println!(
        "frames usable {} free {} bitmap {}; memory map usable {} KiB",
        boot.usable,
        now.free,
        boot.bitmap,
        map.usable_bytes / 1024
    );
    kernel::memory::report();
    let managed = (boot.usable + boot.bitmap) as u64 * 4096;
    // Everything usable except the low 1 MiB and partial frames is managed.
    assert!(managed <= map.usable_bytes);
    assert!(managed + (1 << 20) + 4096 * map.regions as u64 >= map.usable_bytes);
    // The bitmap needs one bit per frame below the highest usable address.
    assert!(boot.bitmap as u64 * 4096 * 8 >= boot.usable as u64);
}

/// Where frame `f` is in the memory map (regions come sorted by address).
fn kind_of(frame: PhysFrame, cursor: &mut usize) -> Option<MemoryRegionKind> {
    let regions = &testing::boot_info().memory_regions;
    let a = frame.start_address().as_u64();
    if regions.get(*cursor).is_none_or(|r| a < r.start) {
        *cursor = 0;
    }
    while let Some(r) = regions.get(*cursor) {
        if a >= r.start && a + 4096 <= r.end {
            return Some(r.kind);
        }
        *cursor += 1;
    }
    None
}

/// Allocates every free frame and chains them into a list kept in the frames
/// themselves (word 0: a per-run tag, word 1: the previous frame), checking
/// each one: usable RAM above 1 MiB, outside the kernel file, not yet in the
/// chain. Returns (head, count).
fn take_all_frames(tag: u64) -> (u64, usize) {
    let info = testing::boot_info();
    let kernel = info.kernel_addr..info.kernel_addr + info.kernel_len;
    let (mut head, mut count, mut cursor) = (0u64, 0usize, 0);
    while let Some(frame) = frames::alloc() {
        let a = frame.start_address().as_u64();
        assert!(a >= frames::LOW_MEMORY_END, "frame {a:#x} in low memory");
        assert!(!kernel.contains(&a), "frame {a:#x} inside the kernel ELF");
        assert_eq!(
            kind_of(frame, &mut cursor),
            Some(MemoryRegionKind::Usable),
            "frame {a:#x}"
        );
        let words: *mut u64 = phys_to_virt(frame.start_address()).as_mut_ptr();
        // SAFETY: the frame is ours (just allocated) and mapped in the window.
        unsafe {
            assert_ne!(words.read(), tag ^ a, "frame {a:#x} handed out twice");
            words.write(tag ^ a);
            words.add(1).write(head);
        }
        head = a;
        count += 1;
    }
    (head, count)
}

fn free_chain(mut head: u64) {
    while head != 0 {
        let words: *const u64 = phys_to_virt(PhysAddr::new(head)).as_ptr();
        // SAFETY: `head` is a frame of the chain built by take_all_frames.
        let next = unsafe { words.add(1).read() };
        frames::free(PhysFrame::containing_address(PhysAddr::new(head))).unwrap();
        head = next;
    }
}

fn every_frame_is_handed_out_once_then_none_and_counts_return() {
    let before = frames::stats().unwrap();
    let (head, count) = take_all_frames(0x5eed_0000_0000_0001 ^ kernel_tsc());
    assert_eq!(count, before.free);
    assert_eq!(frames::stats().unwrap().free, 0);
    assert_eq!(frames::alloc(), None);
    // Out of frames is a value, not a panic, all the way up.
    assert!(frames::alloc_contiguous(1, 1).is_none());
    let page = Page::containing_address(VirtAddr::new(TEST_AREA + (3 << 30)));
    let result = paging::map_new(page, Flags::WRITABLE).map(|flush| flush.flush());
    assert_eq!(result, Err(MapError::OutOfFrames));
    free_chain(head);
    assert_eq!(
        frames::stats().unwrap(),
        before,
        "counts return to the boot value"
    );
    // A double free is refused.
    let f = frames::alloc().unwrap();
    frames::free(f).unwrap();
    assert!(frames::free(f).is_err());
    println!("allocated and freed {count} frames");
}

fn kernel_tsc() -> u64 {
    // SAFETY: reads the time-stamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn map_write_translate_unmap_round_trip() {
    let before = frames::stats().unwrap();
    let page: Page<Size4KiB> = Page::containing_address(VirtAddr::new(TEST_AREA));
    paging::map_new(page, Flags::WRITABLE | Flags::NO_EXECUTE)
        .unwrap()
        .flush();
    let ptr: *mut u64 = page.start_address().as_mut_ptr();
    // SAFETY: the page was just mapped writable and nothing else uses it.
    unsafe { ptr.add(7).write_volatile(0xdead_beef_cafe) };
    let t = paging::translate(page.start_address() + 56u64).unwrap();
    assert_eq!(t.page_size, 4096);
    assert!(t.flags.contains(Flags::WRITABLE | Flags::NO_EXECUTE));
    // The same frame seen through the physical-memory window.
    let alias: *const u64 = phys_to_virt(t.phys).as_ptr();
    // SAFETY: the frame is mapped in the window; reading it is harmless.
    assert_eq!(unsafe { alias.read_volatile() }, 0xdead_beef_cafe);
    // Mapping again is refused and names the frame already there.
    let frame = PhysFrame::containing_address(t.phys);
    // SAFETY: refused before anything changes.
    let again = unsafe { paging::map(page, frame, Flags::WRITABLE) }.map(|f| f.flush());
    assert_eq!(again, Err(MapError::AlreadyMapped(frame)));
    // Read-only now.
    // SAFETY: no reference into the page exists.
    unsafe { paging::protect(page.start_address(), Flags::NO_EXECUTE) }
        .unwrap()
        .flush();
    assert!(
        !paging::translate(page.start_address())
            .unwrap()
            .flags
            .contains(Flags::WRITABLE)
    );
    // SAFETY: nothing uses the page any more.
    unsafe { paging::unmap_and_free(page) }.unwrap().flush();
    assert_eq!(paging::translate(page.start_address()), None);
    assert_eq!(
        // SAFETY: refused, nothing is mapped any more.
        unsafe { paging::unmap(page) }.map(|(f, _)| f),
        Err(MapError::NotMapped)
    );
    assert_eq!(
        // SAFETY: refused, nothing is mapped.
        unsafe { paging::protect(page.start_address(), Flags::empty()) }.map(|f| f.flush()),
        Err(MapError::NotMapped)
    );
    // Only the page tables created for the test area remain in use.
    let after = frames::stats().unwrap();
    assert!(before.free - after.free <= 3, "{before:?} -> {after:?}");
}

fn huge_page_from_a_contiguous_run() {
    let run = frames::alloc_contiguous(512, 512).expect("a free 2 MiB run");
    assert_eq!(run.start_address().as_u64() % (2 << 20), 0);
    let page = Page::<Size2MiB>::containing_address(VirtAddr::new(TEST_AREA + (1 << 30)));
    let frame = PhysFrame::<Size2MiB>::containing_address(run.start_address());
    // SAFETY: the run was just allocated for this mapping.
    unsafe { paging::map(page, frame, Flags::WRITABLE | Flags::NO_EXECUTE) }
        .unwrap()
        .flush();
    let last = page.start_address() + ((2u64 << 20) - 8);
    // SAFETY: mapped writable just above; nothing else uses it.
    unsafe { last.as_mut_ptr::<u64>().write_volatile(42) };
    let t = paging::translate(last).unwrap();
    assert_eq!(t.page_size, 2 << 20);
    assert_eq!(t.phys, run.start_address() + ((2u64 << 20) - 8));
    assert_eq!(
        // SAFETY: as above.
        unsafe { paging::unmap(Page::<Size4KiB>::containing_address(page.start_address())) }
            .map(|(f, _)| f),
        Err(MapError::InsideHugePage)
    );
    // SAFETY: as above.
    unsafe { paging::protect(page.start_address(), Flags::NO_EXECUTE) }
        .unwrap()
        .flush();
    assert!(
        !paging::translate(last)
            .unwrap()
            .flags
            .contains(Flags::WRITABLE)
    );
    // SAFETY: as above; then the frames go back.
    let (unmapped, flush) = unsafe { paging::unmap(page) }.unwrap();
    flush.flush();
    assert_eq!(unmapped, frame);
    assert_eq!(paging::translate(last), None);
    frames::free_contiguous(run, 512).unwrap();
}

static mut DATA: u64 = 1;
static RODATA: [u8; 5000] = [7; 5000];

fn kernel_segments_have_exact_rights() {
    let h = kernel::memory::hardening_report().unwrap();
    println!("{h:?}");
    assert!(h.segments >= 3 && h.segment_pages > 10);
    assert_eq!(h.writable_executable, 0);
    let text = kernel_segments_have_exact_rights as *const () as u64;
    assert!(h.text.0 <= text && text < h.text.1);
    let code = paging::translate(VirtAddr::new(text)).unwrap().flags;
    assert!(
        !code.contains(Flags::WRITABLE) && !code.contains(Flags::NO_EXECUTE),
        "{code:?}"
    );
    let data = paging::translate(VirtAddr::from_ptr(&raw const DATA))
        .unwrap()
        .flags;
    assert!(
        data.contains(Flags::WRITABLE | Flags::NO_EXECUTE),
        "{data:?}"
    );
    let rodata = paging::translate(VirtAddr::from_ptr(&RODATA[4999]))
        .unwrap()
        .flags;
    assert!(
        !rodata.contains(Flags::WRITABLE) && rodata.contains(Flags::NO_EXECUTE),
        "{rodata:?}"
    );
    // No page anywhere is both writable and executable, and nothing outside
    // the kernel's code is executable.
    let (mut exec, mut wx) = (0, 0);
    // SAFETY: the closure changes nothing.
    unsafe {
        paging::for_each_leaf(|addr, _, e| {
            if !e.flags().contains(Flags::NO_EXECUTE) {
                exec += 1;
                assert!(
                    addr.as_u64() >= h.text.0 && addr.as_u64() < h.text.1,
                    "{addr:?}"
                );
                if e.flags().contains(Flags::WRITABLE) {
                    wx += 1;
                }
            }
        })
    };
    assert_eq!(wx, 0);
    assert!(exec > 0);
}

fn stacks_have_guard_pages() {
    let info = testing::boot_info();
    let boot_guard = VirtAddr::new(info.kernel_stack_bottom - 1);
    assert_eq!(paging::translate(boot_guard), None, "boot stack guard page");
    assert!(paging::translate(VirtAddr::new(info.kernel_stack_bottom)).is_some());
    let s = stack::allocate(4).unwrap();
    assert_eq!(s.top - s.bottom, 4 * 4096);
    assert_eq!(paging::translate(s.guard().start_address()), None);
    // SAFETY: the stack is mapped writable and unused.
    unsafe { (s.top - 8u64).as_mut_ptr::<u64>().write_volatile(1) };
    // SAFETY: as above, at its lowest word.
    unsafe { s.bottom.as_mut_ptr::<u64>().write_volatile(2) };
    let t = paging::translate(s.bottom).unwrap();
    assert!(t.flags.contains(Flags::WRITABLE | Flags::NO_EXECUTE));
}

fn alloc_collections_work() {
    let b = Box::new(41u64);
    let mut v: Vec<u32> = (0..1000).collect();
    v.push(*b as u32 + 1);
    let mut m = BTreeMap::new();
    for i in 0..500u32 {
        m.insert(i, alloc::format!("value {i}"));
    }
    let s: String = m.values().take(3).cloned().collect::<Vec<_>>().join(",");
    let a = Arc::new(v);
    let a2 = Arc::clone(&a);
    assert_eq!(s, "value 0,value 1,value 2");
    assert_eq!(
        a2.iter().map(|&x| x as u64).sum::<u64>(),
        999 * 1000 / 2 + 42
    );
    assert_eq!(Arc::strong_count(&a), 2);
    kernel::memory::report();
}

fn many_allocations_of_many_sizes() {
    let before = heap::stats().unwrap().allocator;
    let mut rng = xorshift::XorShift64(0x1234_5678_9abc_def1);
    let mut blocks: Vec<(Vec<u8>, u8)> = Vec::new();
    for round in 0..3000u32 {
        let seed = rng.next();
        let size = 1 + (seed % 6000) as usize;
        let fill = round as u8;
        blocks.push((alloc::vec![fill; size], fill));
        if seed.is_multiple_of(3) {
            let i = (seed >> 20) as usize % blocks.len();
            let (b, f) = blocks.swap_remove(i);
            assert!(b.iter().all(|&x| x == f), "block corrupted");
        }
    }
    for (b, f) in &blocks {
        assert!(b.iter().all(|x| x == f), "block corrupted");
    }
    drop(blocks);
    let after = heap::stats().unwrap().allocator;
    assert_eq!(after.in_use, before.in_use, "everything freed");
    assert!(after.allocs - before.allocs >= 3000);
}

fn large_allocation_grows_the_heap_and_shrinks_back() {
    let before = heap::stats().unwrap();
    let frames_before = frames::stats().unwrap().free;
    let mut big: Vec<u64> = Vec::with_capacity(1 << 20); // 8 MiB
    big.extend((0..1u64 << 20).map(|i| i * 3));
    let grown = heap::stats().unwrap();
    assert!(
        grown.mapped_pages >= before.mapped_pages + 2048,
        "{before:?} -> {grown:?}"
    );
    assert!(frames::stats().unwrap().free + 2048 <= frames_before);
    assert_eq!(big[777_777], 777_777 * 3);
    drop(big);
    let after = heap::stats().unwrap();
    assert!(
        after.mapped_pages < grown.mapped_pages - 2000,
        "pages go back: {after:?}"
    );
}

fn heap_limit_is_a_clean_error_for_fallible_callers() {
    let limit = heap::stats().unwrap().limit_pages;
    let failed_before = heap::stats().unwrap().allocator.failed;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    chunks.try_reserve(4096).unwrap();
    loop {
        let mut v = Vec::new();
        match v.try_reserve_exact(1 << 20) {
            Ok(()) => chunks.push(v),
            Err(e) => {
                println!("try_reserve failed as expected: {e}");
                break;
            }
        }
        assert!(chunks.len() < 4096, "no limit reached");
    }
    let full = heap::stats().unwrap();
    println!(
        "heap full after {} MiB; limit {} KiB",
        chunks.len(),
        limit * 4
    );
    assert!(full.mapped_pages <= full.limit_pages);
    assert!(full.mapped_pages + 2 * 257 > full.limit_pages, "{full:?}");
    assert_eq!(full.allocator.failed, failed_before + 1);
    drop(chunks);
}

fn infallible_allocation_failure_panics() {
    // `black_box`: an optimized build may otherwise leave out an allocation
    // that nothing uses.
    let v: Vec<u8> = core::hint::black_box(Vec::with_capacity(1 << 30));
    println!("unreachable: {}", v.capacity());
}

/// Stands alone: it runs out of memory itself (1 GiB is above the heap's
/// limit), then checks the failure was recorded and the heap still serves.
fn heap_still_works_after_out_of_memory() {
    let failed_before = heap::stats().unwrap().allocator.failed;
    let mut huge: Vec<u8> = Vec::new();
    let refused = core::hint::black_box(&mut huge).try_reserve_exact(1 << 30);
    assert!(refused.is_err(), "1 GiB is above the heap's limit");
    let h = heap::stats().unwrap();
    assert_eq!(h.allocator.failed, failed_before + 1);
    assert_eq!(h.allocator.last_failure.map(|l| l.size()), Some(1 << 30));
    let s = alloc::format!("{}-{}", "still", 42);
    assert_eq!(s, "still-42");
    let v: Vec<u64> = (0..1000).collect();
    assert_eq!(v.iter().sum::<u64>(), 499_500);
}

fn heap_benchmark() {
    let ops = 20_000;
    let (result, ticks) = heap::bench(ops, 7);
    assert_eq!(result.failed, 0);
    println!(
        "heap bench: {} ops in {} TSC ticks = {} ops per million ticks",
        result.ops,
        ticks,
        result.ops * 1_000_000 / ticks.max(1)
    );
}

/// The fault tests below need the GDT and IDT (as `main.rs` sets them up).
fn exception_handlers_are_installed() {
    kernel::arch::gdt::init(testing::boot_info());
    kernel::arch::idt::init(testing::boot_info());
}

/// Kernel text is mapped read-only: a write to it is a protection fault.
fn writing_kernel_text_faults() {
    let text = frame_counts_match_the_memory_map as *const () as *mut u8;
    // SAFETY: not safe at all, on purpose: this write must fault before it
    // changes the code; the test expects the page-fault report.
    unsafe { text.write_volatile(0xc3) };
}

/// Heap memory is mapped no-execute: jumping into it is a protection fault,
/// even when it holds a valid instruction (`ret`).
fn executing_heap_data_faults() {
    let code = Box::new([0xc3u8; 16]);
    let entry = Box::into_raw(code) as *const ();
    // SAFETY: not safe, on purpose: the CPU must refuse to fetch from this page
    // (NX), so the call never executes; the test expects the page-fault report.
    let function: fn() = unsafe { core::mem::transmute(entry) };
    function();
}
