//! Blocking signals in the calling thread for a while, and putting the mask
//! back afterwards.
//!
//! Used where a signal delivered at the wrong moment would do harm: around
//! creating the stdio thread (so process-directed signals meant for the
//! application never land on it), around the clones that create scope inits
//! and join helpers (so no signal can end them before they have set
//! themselves up and reported back), and by
//! `stop_on_signals` (whose signals stay blocked while its signalfd reads
//! them). glibc's `pthread_sigmask` is used, which keeps its own internal
//! signals usable.

use std::io;
use std::thread::ThreadId;

/// The calling thread's previous signal mask, restored on drop.
#[derive(Debug)]
pub(crate) struct SignalMaskGuard {
    previous: libc::sigset_t,
    thread: ThreadId,
}

impl SignalMaskGuard {
    /// Blocks every signal in `signals`, or every signal at all for `None`.
    pub(crate) fn block(signals: Option<&[crate::Signal]>) -> io::Result<SignalMaskGuard> {
        let set = match signals {
            Some(signals) => signal_set(signals),
            None => {
                // SAFETY: sigset_t is plain data, initialised by sigfillset.
                let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
                // SAFETY: `set` is a valid sigset_t.
                unsafe { libc::sigfillset(&mut set) };
                set
            }
        };
        // SAFETY: sigset_t is plain data; pthread_sigmask fills it in.
        let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: both sets are valid; this changes only the calling thread.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(SignalMaskGuard {
            previous,
            thread: std::thread::current().id(),
        })
    }
}

impl Drop for SignalMaskGuard {
    fn drop(&mut self) {
        // A mask belongs to one thread; restoring it from another thread
        // would change the wrong one, so that case keeps the signals blocked
        // (documented on `stop_on_signals`).
        if std::thread::current().id() == self.thread {
            // SAFETY: `previous` was filled in by pthread_sigmask.
            unsafe {
                libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut())
            };
        }
    }
}

/// The set of `signals`, as the libc signal calls take it.
pub(crate) fn signal_set(signals: &[crate::Signal]) -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t for both calls.
    unsafe {
        libc::sigemptyset(&mut set);
        for signal in signals {
            libc::sigaddset(&mut set, signal.as_raw());
        }
    }
    set
}
