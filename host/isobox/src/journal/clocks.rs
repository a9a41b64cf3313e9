//! The run's clocks and random sources when it is journaled: live values
//! are recorded, replayed ones come from the journal.

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Entry, JournalHandle};

/// `wasi:clocks/wall-clock` for a journaled run.
pub(crate) struct WallClock(pub JournalHandle);

impl wasmtime_wasi::HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let mut journal = self.0.lock();
        if journal.replaying() {
            return match journal.next() {
                Some(Entry::Wall { secs, nanos }) => Duration::new(secs, nanos),
                other => {
                    journal.diverge("a wall-clock read", other.as_ref());
                    Duration::ZERO
                }
            };
        }
        if journal.refuse_live("a wall-clock read") {
            return Duration::ZERO;
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        journal.record(Entry::Wall {
            secs: now.as_secs(),
            nanos: now.subsec_nanos(),
        });
        now
    }
}

/// `wasi:clocks/monotonic-clock` for a journaled run: after a replay, live
/// time goes on from the last replayed value (never backwards).
pub(crate) struct MonotonicClock {
    pub journal: JournalHandle,
    pub base: Instant,
}

impl wasmtime_wasi::HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        let mut journal = self.journal.lock();
        if journal.replaying() {
            return match journal.next() {
                Some(Entry::Mono { ns }) => {
                    journal.last_mono = ns;
                    ns
                }
                other => {
                    journal.diverge("a monotonic clock read", other.as_ref());
                    journal.last_mono
                }
            };
        }
        if journal.refuse_live("a monotonic clock read") {
            return journal.last_mono;
        }
        let real = i128::try_from(self.base.elapsed().as_nanos()).unwrap_or(i128::MAX);
        let last = journal.last_mono;
        let offset = *journal.mono_offset.get_or_insert(i128::from(last) - real);
        let ns = u64::try_from((real + offset).max(0)).unwrap_or(u64::MAX).max(last);
        journal.last_mono = ns;
        journal.record(Entry::Mono { ns });
        ns
    }
}

/// `wasi:random` for a journaled run.
pub(crate) struct Random(pub JournalHandle);

impl rand::TryRng for Random {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let mut journal = self.0.lock();
        if journal.replaying() {
            match journal.next() {
                Some(Entry::Random { bytes }) => match STANDARD.decode(&bytes) {
                    Ok(recorded) if recorded.len() == dst.len() => dst.copy_from_slice(&recorded),
                    _ => journal.diverge(&format!("{} random bytes", dst.len()), Some(&Entry::Random { bytes })),
                },
                other => journal.diverge(&format!("{} random bytes", dst.len()), other.as_ref()),
            }
            return Ok(());
        }
        if journal.refuse_live("random bytes") {
            return Ok(());
        }
        rand::fill(dst);
        journal.record(Entry::Random {
            bytes: STANDARD.encode(&*dst),
        });
        Ok(())
    }
}
