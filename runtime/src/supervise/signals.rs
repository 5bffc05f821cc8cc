//! Turning the application's own SIGTERM/SIGINT into an orderly graph
//! shutdown, without installing a handler behind the application's back: the
//! signals are blocked in the calling thread and read from a signalfd that
//! the graph's event loop watches. Dropping it unblocks them again.
//!
//! rustix has no `signalfd`, so this is one of the few places that call libc.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::sigmask::{SignalMaskGuard, signal_set};
use crate::signal::Signal;

#[derive(Debug)]
pub(crate) struct SignalFd {
    fd: OwnedFd,
    // Dropped after `fd`: nothing reads the signals once they are unblocked.
    _blocked: SignalMaskGuard,
}

impl SignalFd {
    /// Blocks `signals` in the calling thread and opens a signalfd for them.
    pub(crate) fn new(signals: &[Signal]) -> io::Result<SignalFd> {
        let blocked = SignalMaskGuard::block(Some(signals))?;
        let set = signal_set(signals);
        // SAFETY: -1 asks for a new signalfd; `set` is initialised.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: signalfd returned a new fd that we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(SignalFd {
            fd,
            _blocked: blocked,
        })
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The next pending signal, if any.
    pub(crate) fn read(&self) -> Option<Signal> {
        let mut info = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
        match rustix::io::read(&self.fd, &mut info) {
            Ok(n) if n == info.len() => {
                // ssi_signo is the first u32 of signalfd_siginfo.
                let signo = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                Signal::from_raw(signo as i32)
            }
            _ => None,
        }
    }
}
