//! One datagram of a node's `NOTIFY_SOCKET`, and who sent it.
//!
//! The kernel attaches the sender's pid (`SCM_CREDENTIALS`, numbered in our
//! pid namespace when the datagram is read), which alone proves nothing: a
//! sender reaped since it sent has left its number to whichever process
//! got it next — the node's next main process, if a stranger who can
//! cycle pids times it so (`supervise::notify_socket` tests). So the
//! socket also asks for a pidfd of the sender, taken when it sent
//! (`SO_PASSPIDFD`, Linux 6.5): a sender that is not reaped yet still holds
//! its pid, and its number is its own. A sender reaped since is no one.

use std::io;
use std::mem::{MaybeUninit, size_of};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::process::Pid;

/// `SO_PASSPIDFD` and `SCM_PIDFD` (Linux 6.5; the generic values, which
/// x86-64 and arm64 use; not in the `libc` crate's Linux API).
const SO_PASSPIDFD: libc::c_int = 76;
const SCM_PIDFD: libc::c_int = 0x04;

/// Room for the credentials, the pidfd, and one fd sent along (which is
/// closed at once; more than fit are closed by the kernel, `MSG_CTRUNC`).
const CONTROL_BYTES: usize = 128;

/// Asks the kernel for a pidfd of each datagram's sender: whether it gives
/// them (Linux 6.5).
pub(crate) fn pass_pidfds(socket: BorrowedFd<'_>) -> bool {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd and an int-sized option value.
    let set = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_PASSPIDFD,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    set == 0
}

/// One pending datagram, without blocking: its sender's pid — `None` where
/// it came with none, or, with `pidfds`, without a pidfd of a sender still
/// unreaped — and its bytes (none if it was truncated). `None` when no
/// datagram is pending.
pub(crate) fn receive<'b>(
    socket: BorrowedFd<'_>,
    buf: &'b mut [u8],
    pidfds: bool,
) -> Option<(Option<Pid>, &'b [u8])> {
    let mut control = [MaybeUninit::<u64>::uninit(); CONTROL_BYTES / 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: all-zero is a valid `msghdr` (no name, no buffers yet).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = CONTROL_BYTES as _;
    let received = loop {
        // SAFETY: `msg` points at live buffers of the sizes it gives.
        let n = unsafe {
            libc::recvmsg(
                socket.as_raw_fd(),
                &raw mut msg,
                libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
            )
        };
        if n >= 0 {
            break n as usize;
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    };
    // SAFETY: `msg` as `recvmsg` left it, its control messages in `control`.
    let (sender, pidfd) = unsafe { control_messages(&msg) };
    let sender = match pidfds {
        true => sender.filter(|_| {
            pidfd
                .as_ref()
                .is_some_and(|fd| !crate::sys::pidfd_is_reaped(fd.as_fd()))
        }),
        false => sender,
    };
    let whole = msg.msg_flags & libc::MSG_TRUNC == 0;
    Some((sender, &buf[..if whole { received } else { 0 }]))
}

/// The sender's pid and pidfd among `msg`'s control messages; fds sent
/// along are closed.
///
/// # Safety
///
/// `msg` is as `recvmsg` filled it in, its control buffer still live.
unsafe fn control_messages(msg: &libc::msghdr) -> (Option<Pid>, Option<OwnedFd>) {
    let (mut sender, mut pidfd) = (None, None);
    // SAFETY: the caller's guarantee; the kernel wrote whole headers.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: a header within the control buffer (`CMSG_*` check).
        let (header, data) = unsafe { (cmsg.read_unaligned(), libc::CMSG_DATA(cmsg)) };
        // `cmsg_len` is a `usize` with glibc, a `u32` with musl.
        #[allow(clippy::unnecessary_cast)]
        let length = header.cmsg_len as usize;
        // SAFETY: arithmetic on a constant.
        let payload = length.saturating_sub(unsafe { libc::CMSG_LEN(0) } as usize);
        let ints = (0..payload / size_of::<libc::c_int>()).map(|i| {
            // SAFETY: within the payload the header gives.
            unsafe { data.cast::<libc::c_int>().add(i).read_unaligned() }
        });
        match (header.cmsg_level, header.cmsg_type) {
            (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) if payload >= size_of::<libc::ucred>() => {
                // SAFETY: a whole `ucred`, per the check.
                let cred = unsafe { data.cast::<libc::ucred>().read_unaligned() };
                sender = Pid::from_raw(cred.pid);
            }
            (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                for fd in ints.filter(|&fd| fd >= 0) {
                    // SAFETY: installed in our table for us by this message.
                    drop(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            (libc::SOL_SOCKET, SCM_PIDFD) => {
                // A negative value: the sender was gone before a pidfd could
                // be made.
                if let Some(fd) = ints.take(1).find(|&fd| fd >= 0) {
                    // SAFETY: installed in our table for us by this message.
                    pidfd = Some(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            _ => {}
        }
        // SAFETY: the caller's guarantee, and `cmsg` is one of its headers.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    (sender, pidfd)
}
