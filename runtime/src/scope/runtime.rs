//! A live scope: its init process, created with the scope's namespaces, and
//! what a node needs to join them.
//!
//! Creating a scope, in order:
//! 1. `clone3` with the scope's `CLONE_NEW*` flags and `CLONE_VM`, the init
//!    on a stack of its own since it outlives the call — directly from the
//!    application, or for a nested scope from a helper that has joined the
//!    enclosing scope first;
//! 2. the application writes the id maps (`setgroups` = `deny` before
//!    `gid_map` when unprivileged; CVE-2014-8989) and sends one byte;
//! 3. the init sets the namespaces up from inside and answers with eight
//!    zero bytes, or with the step and errno that failed.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
use rustix::process::Pid;

use super::init::{InitContext, InitStep, init_main};
use super::{Namespace, ScopeSpec};
use crate::error::Error;
use crate::process::Process;
use crate::spawn::{CLONE_CLEAR_SIGHAND, CLONE_VM, ScopeJoin, clone_process};
use crate::sys::ChildStack;

/// A scope whose namespaces exist, held by its init.
#[derive(Debug)]
pub(crate) struct ScopeRuntime {
    init: Process,
    /// What the init reads and the stack it runs on: dropped only after
    /// `Drop` has killed and reaped it.
    _context: Box<InitContext>,
    _stack: ChildStack,
    /// The `CLONE_NEW*` flags of this scope and every enclosing one: what a
    /// process joins to be inside.
    namespaces: u32,
}

impl ScopeRuntime {
    /// Creates `spec`'s namespaces, inside `enclosing` if it is nested.
    pub(crate) fn create(
        spec: &ScopeSpec,
        enclosing: Option<&ScopeRuntime>,
        parent_pidfd: &OwnedFd,
    ) -> Result<ScopeRuntime, Error> {
        let failed =
            |namespace: Option<Namespace>, step: &'static str, source: io::Error| Error::Scope {
                scope: spec.name.clone(),
                namespace,
                step,
                source,
            };
        let (ours, theirs) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| failed(None, "create sync socketpair", e.into()))?;
        let stack = ChildStack::map().map_err(|e| failed(None, "map the init's stack", e))?;
        let ctx = Box::new(InitContext {
            sync: theirs.as_raw_fd(),
            parent_pidfd: parent_pidfd.as_raw_fd(),
            make_root_private: spec.has(Namespace::Mount),
            mount_proc: spec.has(Namespace::Mount) && spec.has(Namespace::Pid),
            loopback_up: spec.has(Namespace::Net),
            hostname: spec.hostname.as_ref().map(|h| h.as_bytes().to_vec()),
        });
        let own_flags = spec
            .namespaces
            .iter()
            .fold(0, |flags, ns| flags | ns.clone_flag());
        // The init shares this process's memory: no handler of the
        // application may run in it, hence CLEAR_SIGHAND, and no signal may
        // arrive before it has blocked them all itself.
        let flags = own_flags | CLONE_VM | CLONE_CLEAR_SIGHAND;
        let ctx_ptr = std::ptr::from_ref(&*ctx).cast_mut().cast();
        // SAFETY: the init runs `init_main` on `stack`, reading `ctx`; both
        // stay alive in the returned ScopeRuntime until it is reaped. A join
        // helper runs on this thread's child stack and has exited when
        // `clone_process` returns.
        let clone =
            |join| unsafe { clone_process(flags, init_main, ctx_ptr, stack.usable(), join) };
        let blocked = crate::sigmask::SignalMaskGuard::block(None)
            .map_err(|e| failed(None, "block signals", e))?;
        let result = match enclosing {
            None => clone(None),
            Some(outer) => {
                ChildStack::with(|helper, size| clone(Some((outer.join(), helper, size))))
                    .map_err(|e| failed(None, "map the child stack", e))?
            }
        };
        drop(blocked);
        drop(theirs);
        let init = result.map_err(|(step, errno)| {
            let source = io::Error::from_raw_os_error(errno);
            let namespace = likely_culprit(spec, errno);
            let step = if step == crate::Step::Setns {
                "setns into the enclosing scope"
            } else {
                "clone3"
            };
            failed(namespace, step, source)
        })?;
        let pid = init.pid();
        let scope = ScopeRuntime {
            init,
            _context: ctx,
            _stack: stack,
            namespaces: enclosing.map_or(0, |o| o.namespaces) | own_flags as u32,
        };
        let mut sync = UnixStream::from(ours);
        if spec.has(Namespace::User) {
            write_id_maps(pid, spec).map_err(|(step, e)| failed(Some(Namespace::User), step, e))?;
        }
        let mut report = [0u8; 8];
        let answer = sync.write_all(b"g").and_then(|()| sync.read(&mut report));
        match answer {
            Ok(8) if report == [0; 8] => Ok(scope),
            Ok(8) => {
                let step = u32::from_ne_bytes(report[..4].try_into().expect("4 bytes"));
                let errno = i32::from_ne_bytes(report[4..].try_into().expect("4 bytes"));
                let step = InitStep::decode(step);
                Err(failed(
                    step.and_then(InitStep::namespace),
                    step.map_or("scope init", InitStep::describe),
                    io::Error::from_raw_os_error(errno),
                ))
            }
            Ok(_) => Err(failed(
                None,
                "scope init",
                io::Error::from(io::ErrorKind::UnexpectedEof),
            )),
            Err(e) => Err(failed(None, "talk to the scope init", e)),
        }
    }

    /// How a process joins this scope.
    pub(crate) fn join(&self) -> ScopeJoin {
        ScopeJoin {
            init_pidfd: self.init.pidfd().map_or(-1, |fd| fd.as_fd().as_raw_fd()),
            namespaces: self.namespaces,
        }
    }
}

/// The scopes of a graph, in creation order (enclosing scopes first).
///
/// Dropped innermost first: a dying pid-namespace init lingers until every
/// process of its namespace has been reaped — including a nested scope's
/// init, whose parent is the application — so reaping an enclosing init
/// before the nested one would wait forever.
#[derive(Debug, Default)]
pub(crate) struct Scopes(pub(crate) Vec<ScopeRuntime>);

impl Drop for Scopes {
    fn drop(&mut self) {
        while let Some(scope) = self.0.pop() {
            drop(scope);
        }
    }
}

/// Kills the init — which, for a pid scope, makes the kernel kill every
/// process left in the namespace — and reaps it. Also what a failed
/// creation does, by returning the error and so dropping the scope.
impl Drop for ScopeRuntime {
    fn drop(&mut self) {
        let _ = self.init.signal(crate::Signal::KILL);
        let _ = self.init.reap(true);
    }
}

impl InitStep {
    fn namespace(self) -> Option<Namespace> {
        match self {
            InitStep::MakeRootPrivate | InitStep::MountProc => Some(Namespace::Mount),
            InitStep::LoopbackUp => Some(Namespace::Net),
            InitStep::SetHostname => Some(Namespace::Uts),
            _ => None,
        }
    }
}

/// Which namespace most likely made `clone3` fail: user namespaces are the
/// ones kernels restrict (`user.max_user_namespaces`, AppArmor, EPERM for
/// an unprivileged caller without one).
fn likely_culprit(spec: &ScopeSpec, errno: i32) -> Option<Namespace> {
    let restricted = matches!(
        errno,
        libc::EPERM | libc::ENOSPC | libc::EUSERS | libc::EACCES
    );
    if restricted && spec.has(Namespace::User) {
        Some(Namespace::User)
    } else if restricted {
        // Without a user namespace, every other kind needs CAP_SYS_ADMIN.
        spec.namespaces.first().copied()
    } else {
        None
    }
}

/// Maps the scope's inside uid and gid to the caller's own (a single line
/// each, which needs no privilege: the caller owns the new namespace).
fn write_id_maps(pid: Pid, spec: &ScopeSpec) -> Result<(), (&'static str, io::Error)> {
    let proc_dir = format!("/proc/{}", pid.as_raw_nonzero());
    let euid = rustix::process::geteuid().as_raw();
    let egid = rustix::process::getegid().as_raw();
    let write = |file: &str, text: String, step: &'static str| {
        std::fs::write(format!("{proc_dir}/{file}"), text).map_err(|e| (step, e))
    };
    write(
        "uid_map",
        format!("{} {euid} 1\n", spec.settings.inside_uid()),
        "write uid_map",
    )?;
    if euid != 0 {
        // Unprivileged: gid_map may only be written once setgroups is denied.
        match write("setgroups", "deny\n".to_owned(), "write setgroups") {
            Err((_, e)) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    write(
        "gid_map",
        format!("{} {egid} 1\n", spec.settings.inside_gid()),
        "write gid_map",
    )?;
    Ok(())
}
