//! A tokio task that ticks every few ms beside the code under test: the
//! longest gap between its ticks is how long that code held the executor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A task on the current tokio runtime sleeping `period` over and over,
/// recording its longest gap between ticks and counting them.
pub struct Ticker {
    longest_gap_ms: Arc<AtomicU64>,
    ticks: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

/// What a [`Ticker`] saw until it was stopped.
pub struct Ticks {
    /// The longest gap between two ticks (or the start and the first), in ms.
    pub longest_gap_ms: u64,
    pub count: u64,
}

impl Ticker {
    /// Spawns the ticking task; must be called within a tokio runtime.
    pub fn start(period: Duration) -> Ticker {
        let longest_gap_ms = Arc::new(AtomicU64::new(0));
        let ticks = Arc::new(AtomicU64::new(0));
        let record = longest_gap_ms.clone();
        let count = ticks.clone();
        let task = tokio::spawn(async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(period).await;
                let gap = last.elapsed().as_millis() as u64;
                record.fetch_max(gap, Ordering::Relaxed);
                count.fetch_add(1, Ordering::Relaxed);
                last = Instant::now();
            }
        });
        Ticker {
            longest_gap_ms,
            ticks,
            task,
        }
    }

    /// Aborts the task: what it saw so far.
    pub fn stop(self) -> Ticks {
        self.task.abort();
        Ticks {
            longest_gap_ms: self.longest_gap_ms.load(Ordering::Relaxed),
            count: self.ticks.load(Ordering::Relaxed),
        }
    }
}
