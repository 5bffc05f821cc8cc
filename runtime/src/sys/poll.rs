//! `ppoll(2)` over a list of raw fds that outlives any one borrow of them
//! (the wait set keeps its list from one wait to the next instead of
//! rebuilding it, so it cannot hold `BorrowedFd`s), and moving that list
//! into an epoll instance.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::epoll;

/// `ppoll(fds, timeout, NULL)`, retried on `EINTR`; returns how many entries
/// have `revents` set. An fd that is not open is reported with `POLLNVAL`,
/// never confused with another: the caller removes an fd from the list
/// before closing it.
pub(crate) fn ppoll(
    fds: &mut [libc::pollfd],
    timeout: Option<&libc::timespec>,
) -> io::Result<usize> {
    let timeout = timeout.map_or(std::ptr::null(), std::ptr::from_ref);
    loop {
        // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds;
        // `timeout` is null or points to a valid timespec; a null sigmask
        // leaves the mask alone.
        let ready = unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                timeout,
                std::ptr::null(),
            )
        };
        if ready >= 0 {
            return Ok(ready as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Whether `fd` is readable (or hung up) within `wait`; `None` waits for
/// as long as it takes. `EINTR` is retried with the whole wait.
pub(crate) fn readable(fd: BorrowedFd<'_>, wait: Option<Duration>) -> io::Result<bool> {
    let mut entry = [libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    let timeout = wait.map(|wait| libc::timespec {
        tv_sec: wait.as_secs().try_into().unwrap_or(libc::time_t::MAX),
        tv_nsec: wait.subsec_nanos().into(),
    });
    Ok(ppoll(&mut entry, timeout.as_ref())? > 0)
}

/// `epoll_ctl(EPOLL_CTL_ADD)` of one entry of a `ppoll` list, for the same
/// events (the poll and epoll bits have the same values), with `data`.
///
/// The entry's fd must be open: the list's owner removes an fd before
/// closing it. (Were it closed, the kernel would fail with `EBADF`, or add
/// whatever file reused the number, which its owner would then remove.)
pub(crate) fn epoll_add_listed(epoll: &OwnedFd, entry: &libc::pollfd, data: u64) -> io::Result<()> {
    // SAFETY: the borrow lasts for this call only, and the fd is open (the
    // caller's rule above); rustix does not close it.
    let fd = unsafe { BorrowedFd::borrow_raw(entry.fd) };
    Ok(epoll::add(
        epoll,
        fd,
        epoll::EventData::new_u64(data),
        epoll::EventFlags::from_bits_retain(entry.events as u16 as u32),
    )?)
}
