//! Whose ids a scope's processes have outside its user namespace.
//!
//! A user namespace maps the ids its processes have inside to ids of the
//! application's namespace, and the kernel judges every file, signal and
//! `ptrace` outside by those. An unprivileged application can map only its
//! own uid and gid, so its scopes' processes are the application's user
//! outside, as they would be without a scope. A **root** application maps
//! each scope to an unprivileged uid and gid of that scope's own, drawn at
//! random from 1879048192–2147352575 (`0x70000000`–`0x7FFDFFFF`): ids
//! systemd leaves unassigned, between its container ranges and its
//! "foreign" range, and below 2³¹. Mapped to root instead, a scope's root
//! would be root to every root-owned file it can reach and could write any
//! root-owned cgroup's `cgroup.kill`; mapped to `nobody`, it would share its
//! ids with every other scope and every `nobody` process on the host.
//!
//! An application that is root only in a user namespace of its own may have
//! no such id mapped: then `nobody` (65534) is tried, then its own ids, as
//! an unprivileged application would.
//!
//! Joining a namespace does not change a process's ids, so the scope's init
//! and every node entering it take the scope's inside ids ([`InsideIds`])
//! before anything of theirs runs.

use std::io;
use std::ops::Range;

use rustix::process::Pid;

use super::ScopeSpec;

/// The ids a root application maps its scopes to, one drawn per scope.
const SCOPE_IDS: Range<u32> = 0x7000_0000..0x7FFE_0000;
/// The overflow uid and gid, tried next.
const NOBODY: u32 = 65534;

/// The ids a process of a scope takes inside its user namespace: what its
/// init and each node entering it switch to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InsideIds {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// The application is root, so `setgroups` is allowed in the namespace:
    /// root's supplementary groups are cleared too.
    pub(crate) clear_groups: bool,
}

impl InsideIds {
    /// The ids of `spec`'s user namespace, made by this application.
    pub(crate) fn of(spec: &ScopeSpec) -> InsideIds {
        InsideIds {
            uid: spec.settings.inside_uid(),
            gid: spec.settings.inside_gid(),
            clear_groups: rustix::process::geteuid().is_root(),
        }
    }
}

/// Writes the id maps of `pid`'s new user namespace: `spec`'s inside uid
/// and gid, each on one id outside (see the module docs for which).
pub(crate) fn write_id_maps(pid: Pid, spec: &ScopeSpec) -> Result<(), (&'static str, io::Error)> {
    let proc_dir = format!("/proc/{}", pid.as_raw_nonzero());
    let write = |file: &str, text: String| std::fs::write(format!("{proc_dir}/{file}"), text);
    let inside = InsideIds::of(spec);
    let (euid, egid) = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    if euid != 0 {
        write("uid_map", format!("{} {euid} 1\n", inside.uid)).map_err(|e| ("write uid_map", e))?;
        // Unprivileged, the kernel takes a gid map only once setgroups is
        // denied.
        match write("setgroups", "deny\n".to_owned()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other.map_err(|e| ("write setgroups", e))?,
        }
        return write("gid_map", format!("{} {egid} 1\n", inside.gid))
            .map_err(|e| ("write gid_map", e));
    }
    let drawn = drawn_id().map_err(|e| ("draw the scope's ids", e))?;
    // The first of these ids this namespace has: a map naming one it does
    // not have is refused and leaves the map unwritten, so the next is tried.
    let first_mapped = |file: &'static str, inside: u32, candidates: [u32; 3]| {
        let mut refused = None;
        for outside in candidates {
            match write(file, format!("{inside} {outside} 1\n")) {
                Ok(()) => return Ok(()),
                Err(e) => refused = Some(e),
            }
        }
        Err((file, refused.expect("three candidates")))
    };
    first_mapped("uid_map", inside.uid, [drawn, NOBODY, euid])?;
    first_mapped("gid_map", inside.gid, [drawn, NOBODY, egid])
}

/// An id from [`SCOPE_IDS`], drawn from the kernel's random source.
fn drawn_id() -> io::Result<u32> {
    let random = crate::random::random_u32()?;
    Ok(SCOPE_IDS.start + random % (SCOPE_IDS.end - SCOPE_IDS.start))
}
