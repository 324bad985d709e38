//! How much work each batch does: the full sizes, which are those of Linux's
//! reference figures, and the quick ones (`--quick`), which only show that
//! every measure runs.

/// Work per batch, and the number of batches.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub warmups: usize,
    pub batches: usize,
    pub getpid_calls: u64,
    pub yield_rounds: u64,
    pub forks: u64,
    pub execs: u64,
    pub fault_bytes: usize,
    pub pingpong_rounds: u64,
    pub pipe_bytes: usize,
    pub small_files: usize,
    pub file_bytes: usize,
    pub dir_entries: usize,
    /// How long to watch `CLOCK_MONOTONIC` when measuring the TSC's rate.
    pub calibration_ns: u64,
}

const MIB: usize = 1024 * 1024;

pub const FULL: Sizes = Sizes {
    warmups: 1,
    batches: 7,
    getpid_calls: 100_000,
    yield_rounds: 2_000,
    forks: 1_000,
    execs: 100,
    fault_bytes: 64 * MIB,
    pingpong_rounds: 10_000,
    pipe_bytes: 64 * MIB,
    small_files: 200,
    file_bytes: 64 * MIB,
    dir_entries: 10_000,
    calibration_ns: 200_000_000,
};

pub const QUICK: Sizes = Sizes {
    warmups: 1,
    batches: 5,
    getpid_calls: 1_000,
    yield_rounds: 50,
    forks: 20,
    execs: 5,
    fault_bytes: MIB,
    pingpong_rounds: 100,
    pipe_bytes: MIB,
    small_files: 10,
    file_bytes: MIB,
    dir_entries: 100,
    calibration_ns: 20_000_000,
};
