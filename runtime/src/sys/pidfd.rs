//! Questions about a process held by a pidfd that is not the caller's child
//! (a main process a node named with `MAINPID=`), for the parent only:
//! whether it is still unreaped, and how it ended once its parent reaped it.

use std::os::fd::{AsRawFd, BorrowedFd};

/// `struct pidfd_info` of `<linux/pidfd.h>`, its first version (64 bytes),
/// which has every field read here.
#[repr(C)]
#[derive(Default)]
struct PidfdInfo {
    mask: u64,
    cgroupid: u64,
    pid: u32,
    tgid: u32,
    ppid: u32,
    ruid: u32,
    rgid: u32,
    euid: u32,
    egid: u32,
    suid: u32,
    sgid: u32,
    fsuid: u32,
    fsgid: u32,
    exit_code: i32,
}

/// `PIDFD_INFO_EXIT`: ask for (and, in the answer, got) the exit status.
const PIDFD_INFO_EXIT: u64 = 1 << 3;

/// `PIDFD_GET_INFO`: `_IOWR(0xFF, 11, struct pidfd_info)`.
const PIDFD_GET_INFO: libc::c_ulong =
    (3 << 30) | ((std::mem::size_of::<PidfdInfo>() as libc::c_ulong) << 16) | (0xFF << 8) | 11;

/// `ioctl(PIDFD_GET_INFO)` with `PIDFD_INFO_EXIT` (Linux 6.15): the wait
/// status of the process, once it has been reaped — by whichever process
/// is its parent. `None` before that, or where the kernel is older.
pub(crate) fn pidfd_exit_status(pidfd: BorrowedFd<'_>) -> Option<i32> {
    let mut info = PidfdInfo {
        mask: PIDFD_INFO_EXIT,
        ..PidfdInfo::default()
    };
    // SAFETY: `info` is a `struct pidfd_info` of the size encoded in the
    // request, which the kernel fills in at most; the fd is borrowed, so
    // open for the call.
    let done = unsafe { libc::ioctl(pidfd.as_raw_fd(), PIDFD_GET_INFO, &mut info) };
    (done == 0 && info.mask & PIDFD_INFO_EXIT != 0).then_some(info.exit_code)
}

/// `pidfd_send_signal(pidfd, 0)`: whether the process is not reaped yet
/// (running, or a zombie), and ours to signal. Until it is reaped its pid
/// names nobody else.
pub(crate) fn pidfd_is_unreaped(pidfd: BorrowedFd<'_>) -> bool {
    signal_zero(pidfd).is_ok()
}

/// Whether the process is reaped, known by `pidfd_send_signal(pidfd, 0)`
/// failing with `ESRCH`: one we may not signal (`EPERM`) is still there.
pub(crate) fn pidfd_is_reaped(pidfd: BorrowedFd<'_>) -> bool {
    signal_zero(pidfd).is_err_and(|e| e.raw_os_error() == Some(libc::ESRCH))
}

fn signal_zero(pidfd: BorrowedFd<'_>) -> std::io::Result<()> {
    // SAFETY: signal 0 sends nothing, only checks; no siginfo is passed.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            0,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    match sent {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}
