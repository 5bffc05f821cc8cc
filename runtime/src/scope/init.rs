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
//! It shares the application's memory (`CLONE_VM`, so creating a scope costs
//! the same whatever the application's size) and runs, for its whole life,
//! on a stack of its own that the application keeps mapped until the init is
//! reaped. So the rules of [`crate::spawn::child`] hold here too, for good:
//! no allocation, no locks, no panics, no thread-local storage, raw system
//! calls only, and nothing read but its own context.


use core::ffi::c_void;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use rustix::process::{Signal, WaitId, WaitIdOptions};

use crate::spawn::{ParentCheck, parent_died};
use crate::sys::{self, failed_at};

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
    ResetSignals,
}

impl InitStep {
    const ALL: [InitStep; 9] = [
        InitStep::DeathSignal,
        InitStep::WaitForMaps,
        InitStep::MakeRootPrivate,
        InitStep::MountProc,
        InitStep::LoopbackUp,
        InitStep::SetHostname,
        InitStep::Signalfd,
        InitStep::CloseFds,
        InitStep::ResetSignals,
    ];

    pub(crate) fn decode(code: u32) -> Option<InitStep> {
        InitStep::ALL.into_iter().find(|s| *s as u32 == code)
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
            InitStep::ResetSignals => "reset ignored signals to their default",
        }
    }
}

/// What the init does, prepared by the parent, which keeps it (and the
/// init's stack) alive until the init has been reaped.
#[derive(Debug)]
pub(crate) struct InitContext {
    /// The init's end of the sync socketpair.
    pub(crate) sync: i32,
    /// The application's pidfd.
    pub(crate) parent_pidfd: i32,
    pub(crate) make_root_private: bool,
    pub(crate) mount_proc: bool,
    pub(crate) loopback_up: bool,
    pub(crate) hostname: Option<Vec<u8>>,
}

/// The init's entry point.
///
/// # Safety
///
/// `arg` must point to an `InitContext` that outlives the init.
pub(crate) unsafe extern "C" fn init_main(arg: *mut c_void) -> ! {
    // SAFETY: see the function's contract.
    let ctx = unsafe { &*arg.cast::<InitContext>() };
    let Err((step, errno)) = set_up_and_reap(ctx);
    let [a, b, c, d] = (step as u32).to_ne_bytes();
    let [e, f, g, h] = errno.to_ne_bytes();
    let report = [a, b, c, d, e, f, g, h];
    // SAFETY: `sync` is open: it was inherited, and only closed on success.
    let sync = unsafe { BorrowedFd::borrow_raw(ctx.sync) };
    let _ = rustix::io::write(sync, &report);
    sys::exit_group(127)
}

type StepResult<T = ()> = Result<T, (InitStep, i32)>;

fn set_up_and_reap(ctx: &InitContext) -> StepResult<core::convert::Infallible> {
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))
        .map_err(failed_at(InitStep::DeathSignal))?;
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
        .map_err(failed_at(InitStep::MakeRootPrivate))?;
    }
    if ctx.mount_proc {
        let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
        rustix::mount::mount(c"proc", c"/proc", c"proc", flags, None)
            .map_err(failed_at(InitStep::MountProc))?;
    }
    if ctx.loopback_up {
        loopback_up().map_err(failed_at(InitStep::LoopbackUp))?;
    }
    if let Some(hostname) = &ctx.hostname {
        rustix::system::sethostname(hostname).map_err(failed_at(InitStep::SetHostname))?;
    }
    // Like every child of the runtime, the init keeps none of the signals
    // the application ignores (its mask, below, is its own choice).
    sys::reset_ignored_signals().map_err(|(_, errno)| (InitStep::ResetSignals, errno))?;
    // Orphans announce their death with SIGCHLD; read it from a signalfd.
    let blocked = sys::set_signal_mask(!0u64);
    if blocked < 0 {
        return Err((InitStep::Signalfd, sys::errno_of(blocked)));
    }
    let sigchld = 1u64 << (libc::SIGCHLD - 1);
    let ret = sys::signalfd(sigchld);
    if ret < 0 {
        return Err((InitStep::Signalfd, sys::errno_of(ret)));
    }
    // SAFETY: signalfd returned a new fd that we own.
    let signals = unsafe { OwnedFd::from_raw_fd(ret as i32) };
    // The init must not hold the application's pipes open: their readers
    // would never see EOF.
    let mut keep = [ctx.sync, ctx.parent_pidfd, signals.as_raw_fd()];
    keep.sort_unstable();
    let closed = sys::close_fds_except(keep, sys::Closing::Now);
    if closed < 0 {
        return Err((InitStep::CloseFds, sys::errno_of(closed)));
    }
    let _ = rustix::io::write(sync, &[0u8; 8]);
    reap_forever(&signals, ctx.parent_pidfd)
}

/// `struct ifreq` with the `ifr_flags` member of its union (40 bytes on
/// 64-bit Linux).
#[repr(C)]
struct IfreqFlags {
    name: [u8; 16],
    flags: i16,
    _rest: [u8; 22],
}

const _: () = assert!(std::mem::size_of::<IfreqFlags>() == std::mem::size_of::<libc::ifreq>());

/// `ioctl(SIOCGIFFLAGS)`, set `IFF_UP`, `ioctl(SIOCSIFFLAGS)` on `lo`. The
/// kernel then adds 127.0.0.1/8 and ::1 by itself.
fn loopback_up() -> Result<(), Errno> {
    let socket = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    let mut ifreq = IfreqFlags {
        name: *b"lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        flags: 0,
        _rest: [0; 22],
    };
    let interface_flags = |request, ifreq: &mut IfreqFlags| {
        // SAFETY: `ifreq` has the layout both flag requests expect.
        let ret = unsafe {
            sys::ioctl(socket.as_raw_fd(), request, std::ptr::from_mut(ifreq).cast())
        };
        if ret < 0 {
            return Err(Errno::from_raw_os_error(sys::errno_of(ret)));
        }
        Ok(())
    };
    interface_flags(libc::SIOCGIFFLAGS, &mut ifreq)?;
    ifreq.flags |= libc::IFF_UP as i16;
    interface_flags(libc::SIOCSIFFLAGS, &mut ifreq)?;
    Ok(())
}

/// Reaps every child that dies, until the application exits.
fn reap_forever(signals: &OwnedFd, parent_pidfd: i32) -> ! {
    // SAFETY: the parent pidfd stays open: close_fds_except kept it.
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
