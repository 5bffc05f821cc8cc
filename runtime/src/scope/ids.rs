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
//! An application that is root only in a user namespace of its own maps
//! its scopes to the first of those ids its namespace has for both the uid
//! and the gid, then to `nobody` (65534), and where it has neither to its
//! own ids, as an unprivileged application would: its root is then no more
//! than the one id its namespace maps outside. Real root (the initial
//! namespace has every id) always gets a drawn id.
//!
//! A drawn id is claimed first ([`IdClaim`]): no two live scopes, of this
//! application or of another on the host, share one.
//!
//! Joining a namespace does not change a process's ids, so the scope's init
//! and every node entering it take the scope's inside ids ([`InsideIds`])
//! before anything of theirs runs.

use std::io;
use std::ops::Range;

use rustix::process::Pid;

use super::ScopeSpec;
use super::id_claim::IdClaim;

/// The ids a root application maps its scopes to, one drawn per scope.
pub(super) const SCOPE_IDS: Range<u32> = 0x7000_0000..0x7FFE_0000;
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
            // A new namespace inherits "deny" from its parent's
            // `/proc/PID/setgroups`: then `setgroups` fails in it.
            clear_groups: rustix::process::geteuid().is_root() && setgroups_allowed(),
        }
    }
}

/// Writes the id maps of `pid`'s new user namespace: the `inside` uid and
/// gid, each on one id outside (see the module docs for which). Returns the
/// claim on a drawn id, to be held as long as the scope lives, and whether
/// the ids outside are the application's own.
pub(crate) fn write_id_maps(
    pid: Pid,
    inside: InsideIds,
) -> Result<(Option<IdClaim>, bool), (&'static str, io::Error)> {
    let proc_dir = format!("/proc/{}", pid.as_raw_nonzero());
    let write = |file: &str, text: String| std::fs::write(format!("{proc_dir}/{file}"), text);
    let own = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    let euid = own.0;
    let ((uid, gid), claim) = match euid {
        0 => outside_ids(own).map_err(|e| ("choose the scope's ids outside", e))?,
        _ => (own, None),
    };
    write("uid_map", format!("{} {uid} 1\n", inside.uid)).map_err(|e| ("write uid_map", e))?;
    if euid != 0 {
        // Unprivileged, the kernel takes a gid map only once setgroups is
        // denied.
        match write("setgroups", "deny\n".to_owned()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other.map_err(|e| ("write setgroups", e))?,
        }
    }
    write("gid_map", format!("{} {gid} 1\n", inside.gid)).map_err(|e| ("write gid_map", e))?;
    Ok((claim, (uid, gid) == own))
}

/// The ids a root application maps a new scope to: a drawn id no live
/// scope holds (with its claim), else `nobody`, whichever its own namespace
/// has as both a uid and a gid; else its `own` ids.
fn outside_ids(own: (u32, u32)) -> io::Result<((u32, u32), Option<IdClaim>)> {
    let uids = std::fs::read_to_string("/proc/self/uid_map")?;
    let gids = std::fs::read_to_string("/proc/self/gid_map")?;
    let mapped = |id| maps(&uids, id) && maps(&gids, id);
    let claim = IdClaim::draw(drawn_id)?;
    if mapped(claim.id()) {
        return Ok(((claim.id(), claim.id()), Some(claim)));
    }
    Ok((
        if mapped(NOBODY) {
            (NOBODY, NOBODY)
        } else {
            own
        },
        None,
    ))
}

/// Whether the id map `map` (`/proc/self/uid_map`'s lines: first id inside,
/// first id outside, count) has id `id` inside.
fn maps(map: &str, id: u32) -> bool {
    map.lines().any(|line| {
        let mut fields = line.split_whitespace().map(str::parse::<u64>);
        match (fields.next(), fields.next(), fields.next()) {
            (Some(Ok(first)), Some(Ok(_)), Some(Ok(count))) => {
                (first..first + count).contains(&u64::from(id))
            }
            _ => false,
        }
    })
}

/// Whether `setgroups` is allowed in this user namespace (and so in the
/// ones it makes): `/proc/self/setgroups` says "allow", or is not there
/// (before Linux 3.19).
fn setgroups_allowed() -> bool {
    match std::fs::read_to_string("/proc/self/setgroups") {
        Ok(text) => text.trim() == "allow",
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

/// An id from [`SCOPE_IDS`], drawn from the kernel's random source.
fn drawn_id() -> io::Result<u32> {
    let random = crate::random::random_u32()?;
    Ok(SCOPE_IDS.start + random % (SCOPE_IDS.end - SCOPE_IDS.start))
}

#[cfg(test)]
mod tests {
    use super::maps;

    #[test]
    fn reads_an_id_map() {
        let initial = "         0          0 4294967295\n";
        assert!(maps(initial, 0x7000_0000) && maps(initial, 65534));
        let rootless = "         0       1000          1\n         1     100000      65536\n";
        assert!(maps(rootless, 65534), "1 + 65536 covers it");
        assert!(!maps(rootless, 0x7000_0000));
        assert!(!maps("         0       1000          1\n", 65534));
        assert!(!maps("garbage\n", 0));
    }
}
