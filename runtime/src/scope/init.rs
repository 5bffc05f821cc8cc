//! The init of a scope: the first process created in its new namespaces.
//!
//! It finishes the namespaces' setup from the inside (`/` private, a fresh
//! `/proc`, `lo` up, the hostname), reports over its sync socket, then just
//! reaps: as pid 1 of a pid namespace, every orphan of the scope is
//! reparented to it. It exits when the application exits (its pidfd of the
//! application turns readable, and PDEATHSIG backs that up) — and when the
//! init of a pid namespace dies, the kernel kills every process left in it.
//! That is the containment guarantee of pid scopes.
//!
//! It is a fork-like copy of a multi-threaded process, so the rules of
//! [`crate::spawn::child`] hold here too: no allocation, no locks, no panics,
//! raw system calls only.

use core::ffi::c_void;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::process::{Signal, WaitId, WaitIdOptions};

use crate::spawn::{ParentCheck, parent_died};
use crate::sys;

/// A setup step of the init, as reported to the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum InitStep {
    DeathSignal = 1,
    WaitForMaps,
    MakeRootPrivate,
    MountProc,
    LoopbackUp,
    SetHostname,
    Signalfd,
    CloseFds,
}

impl InitStep {
    pub(crate) fn decode(code: u32) -> Option<InitStep> {
        use InitStep::*;
        [
            DeathSignal,
            WaitForMaps,
            MakeRootPrivate,
            MountProc,
            LoopbackUp,
            SetHostname,
            Signalfd,
            CloseFds,
        ]
        .into_iter()
        .find(|s| *s as u32 == code)
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            InitStep::DeathSignal => "prctl(PR_SET_PDEATHSIG)",
            InitStep::WaitForMaps => "wait for the id maps",
            InitStep::MakeRootPrivate => "make / private (mount MS_REC|MS_PRIVATE)",
            InitStep::MountProc => "mount /proc",
            InitStep::LoopbackUp => "bring lo up (SIOCSIFFLAGS)",
            InitStep::SetHostname => "sethostname",
            InitStep::Signalfd => "signalfd for SIGCHLD",
            InitStep::CloseFds => "close inherited fds",
        }
    }
}

/// What the init does, prepared by the parent.
pub(crate) struct InitContext<'a> {
    /// The init's end of the sync socketpair.
    pub(crate) sync: i32,
    /// The application's pidfd.
    pub(crate) parent_pidfd: i32,
    pub(crate) make_root_private: bool,
    pub(crate) mount_proc: bool,
    pub(crate) loopback_up: bool,
    pub(crate) hostname: Option<&'a [u8]>,
}

/// The init's entry point.
///
/// # Safety
///
/// `arg` must point to an `InitContext` in the init's (copied) memory.
pub(crate) unsafe extern "C" fn init_main(arg: *mut c_void) -> ! {
    // SAFETY: see the function's contract.
    let ctx = unsafe { &*arg.cast::<InitContext<'_>>() };
    let Err((step, errno)) = set_up_and_reap(ctx);
    let mut report = [0u8; 8];
    report[..4].copy_from_slice(&(step as u32).to_ne_bytes());
    report[4..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: `sync` is open: it was inherited, and only closed on success.
    let sync = unsafe { BorrowedFd::borrow_raw(ctx.sync) };
    let _ = rustix::io::write(sync, &report);
    sys::exit_group(127)
}

type StepResult<T = ()> = Result<T, (InitStep, i32)>;

fn on(step: InitStep) -> impl FnOnce(Errno) -> (InitStep, i32) {
    move |e| (step, e.raw_os_error())
}

fn set_up_and_reap(ctx: &InitContext<'_>) -> StepResult<core::convert::Infallible> {
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))
        .map_err(on(InitStep::DeathSignal))?;
    if parent_died(ParentCheck::Pidfd(ctx.parent_pidfd)) {
        sys::exit_group(0);
    }
    // SAFETY: `sync` is our inherited end of the socketpair.
    let sync = unsafe { BorrowedFd::borrow_raw(ctx.sync) };
    // The parent writes a byte once it has written our uid and gid maps.
    let mut go = [0u8; 1];
    match rustix::io::read(sync, &mut go) {
        Ok(1) => {}
        Ok(_) => sys::exit_group(0), // the parent went away
        Err(e) => return Err((InitStep::WaitForMaps, e.raw_os_error())),
    }
    if ctx.make_root_private {
        rustix::mount::mount_change(
            c"/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )
        .map_err(on(InitStep::MakeRootPrivate))?;
    }
    if ctx.mount_proc {
        let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
        rustix::mount::mount(c"proc", c"/proc", c"proc", flags, None)
            .map_err(on(InitStep::MountProc))?;
    }
    if ctx.loopback_up {
        loopback_up().map_err(on(InitStep::LoopbackUp))?;
    }
    if let Some(hostname) = ctx.hostname {
        rustix::system::sethostname(hostname).map_err(on(InitStep::SetHostname))?;
    }
    // Orphans announce their death with SIGCHLD; read it from a signalfd.
    let all_blocked = !0u64;
    if sys::set_signal_mask(all_blocked) < 0 {
        return Err((InitStep::Signalfd, libc::EINVAL));
    }
    let sigchld = 1u64 << (libc::SIGCHLD - 1);
    let ret = sys::signalfd(sigchld);
    if ret < 0 {
        return Err((InitStep::Signalfd, -(ret as i32)));
    }
    // SAFETY: signalfd returned a new fd that we own.
    let signals = unsafe { OwnedFd::from_raw_fd(ret as i32) };
    close_all_but(&mut [ctx.sync, ctx.parent_pidfd, signals.as_raw_fd()])?;
    let _ = rustix::io::write(sync, &[0u8; 8]);
    reap_forever(&signals, ctx.parent_pidfd)
}

/// Closes every fd from 3 up except `keep`: the init must not hold the
/// application's pipes open (their readers would never see EOF).
fn close_all_but(keep: &mut [i32]) -> StepResult {
    keep.sort_unstable();
    let mut next = 3i32;
    for &fd in keep.iter() {
        if fd > next && sys::close_range(next as u32, (fd - 1) as u32) < 0 {
            return Err((InitStep::CloseFds, libc::EBADF));
        }
        next = next.max(fd + 1);
    }
    if sys::close_range(next as u32, u32::MAX) < 0 {
        return Err((InitStep::CloseFds, libc::EBADF));
    }
    Ok(())
}

/// `ioctl(SIOCGIFFLAGS)`, set `IFF_UP`, `ioctl(SIOCSIFFLAGS)` on `lo`. The
/// kernel then adds 127.0.0.1/8 and ::1 by itself.
fn loopback_up() -> Result<(), Errno> {
    let socket = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    // struct ifreq: 16 bytes of name, then a union whose first member here is
    // `short ifr_flags`; 40 bytes in all on 64-bit Linux.
    let mut ifreq = [0u8; 40];
    ifreq[..2].copy_from_slice(b"lo");
    for request in [libc::SIOCGIFFLAGS, libc::SIOCSIFFLAGS] {
        if request == libc::SIOCSIFFLAGS {
            let flags = i16::from_ne_bytes([ifreq[16], ifreq[17]]) | libc::IFF_UP as i16;
            ifreq[16..18].copy_from_slice(&flags.to_ne_bytes());
        }
        // SAFETY: `ifreq` has the layout both requests expect.
        let ret = unsafe { sys::ioctl(socket.as_raw_fd(), request, ifreq.as_mut_ptr()) };
        if ret < 0 {
            return Err(Errno::from_raw_os_error(-(ret as i32)));
        }
    }
    Ok(())
}

/// Reaps every child that dies, until the application exits.
fn reap_forever(signals: &OwnedFd, parent_pidfd: i32) -> ! {
    // SAFETY: the parent pidfd stays open: close_all_but kept it.
    let parent = unsafe { BorrowedFd::borrow_raw(parent_pidfd) };
    loop {
        let mut fds = [
            PollFd::new(signals, PollFlags::IN),
            PollFd::new(&parent, PollFlags::IN),
        ];
        if let Err(e) = poll(&mut fds, None)
            && e != Errno::INTR
        {
            sys::exit_group(1);
        }
        if !fds[1].revents().is_empty() {
            // The application is gone: dying kills the whole pid namespace.
            sys::exit_group(0);
        }
        let mut info = [0u8; 128];
        while rustix::io::read(signals, &mut info).is_ok() {}
        while let Ok(Some(_)) =
            rustix::process::waitid(WaitId::All, WaitIdOptions::EXITED | WaitIdOptions::NOHANG)
        {
        }
    }
}
