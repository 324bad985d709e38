//! Measures of pipes: ping-pong between two processes, and throughput.

use crate::measure::Failure;
use crate::procs::expect_success;
use crate::sys::{self, Forked};
use crate::tsc;

/// Untimed round trips before the timed ones.
const WARM_ROUNDS: u64 = 10;

/// Cycles per switch when two processes send one byte back and forth through
/// two pipes: a round trip is two switches.
pub fn pingpong(rounds: u64) -> Result<Vec<f64>, Failure> {
    let (down_read, down_write) = sys::pipe()?;
    let (up_read, up_write) = sys::pipe()?;
    let total = WARM_ROUNDS + rounds;
    let child = match sys::fork()? {
        Forked::Child => {
            drop(down_write);
            drop(up_read);
            let mut byte = [0u8];
            // Echo every byte until the parent closes its end.
            let echoed = loop {
                match down_read.read(&mut byte) {
                    Ok(0) => break Ok(()),
                    Ok(_) => {
                        if let Err(e) = up_write.write_all(&byte) {
                            break Err(e);
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            sys::exit_now(i32::from(echoed.is_err()));
        }
        Forked::Parent { child } => child,
    };
    drop(down_read);
    drop(up_write);
    let mut byte = [7u8];
    let mut start = 0;
    for round in 0..total {
        if round == WARM_ROUNDS {
            start = tsc::now();
        }
        down_write.write_all(&byte)?;
        if up_read.read(&mut byte)? == 0 {
            return Err(Failure::Failed("the child closed its pipe early".into()));
        }
    }
    let cycles = tsc::now() - start;
    down_write.close()?;
    expect_success(sys::wait(child)?, "the child")?;
    Ok(vec![cycles as f64 / (2 * rounds) as f64])
}

/// The size of each write, as in Linux's reference figure.
const CHUNK: usize = 64 * 1024;

/// MB/s (10^6 bytes per second) through a pipe from parent to child, in
/// 64 KiB writes, timed until the child has read everything and said so
/// through a second pipe.
pub fn throughput(bytes: usize, tsc_hz: f64) -> Result<Vec<f64>, Failure> {
    let (data_read, data_write) = sys::pipe()?;
    let (ack_read, ack_write) = sys::pipe()?;
    let child = match sys::fork()? {
        Forked::Child => {
            drop(data_write);
            drop(ack_read);
            let mut buf = vec![0u8; CHUNK];
            let mut left = bytes;
            while left > 0 {
                match data_read.read(&mut buf) {
                    Ok(n) if n > 0 => left -= n.min(left),
                    _ => sys::exit_now(1),
                }
            }
            let acked = ack_write.write_all(&[1]);
            sys::exit_now(i32::from(acked.is_err()));
        }
        Forked::Parent { child } => child,
    };
    drop(data_read);
    drop(ack_write);
    let chunk = vec![0x5au8; CHUNK];
    let start = tsc::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        data_write.write_all(&chunk[..n])?;
        left -= n;
    }
    let mut ack = [0u8];
    if ack_read.read(&mut ack)? != 1 {
        return Err(Failure::Failed("the reader did not acknowledge".into()));
    }
    let seconds = (tsc::now() - start) as f64 / tsc_hz;
    expect_success(sys::wait(child)?, "the reader")?;
    Ok(vec![bytes as f64 / seconds / 1e6])
}
