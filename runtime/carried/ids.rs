//! Dropping to the node's ids, after the scope is entered and just before
//! the node runs: supplementary groups, then gid, then uid — each needs
//! the privilege the next one gives up.

use crate::args::Args;
use crate::enter::{self, Common, bad_arguments, check};
use crate::protocol::{join, step};
use crate::sys;

/// The groups being set, parsed from the arguments (no allocation here).
static mut GROUPS: [u32; join::MAX_GROUPS] = [0; join::MAX_GROUPS];

/// Sets the groups, gid and uid the arguments name, if any.
pub(crate) fn drop_to(args: &Args, c: &Common) -> Result<(), (i32, i32)> {
    let uid = id(args, join::UID)?;
    let gid = id(args, join::GID)?;
    let groups = args.bytes(join::GROUPS).ok_or_else(bad_arguments)?;
    let keep_groups = groups == join::KEEP_GROUPS;
    if uid.is_none() && gid.is_none() && keep_groups {
        return Ok(());
    }
    // Keep anything running under the new ids from ptracing this process
    // before its execve: non-dumpable now, and again once the ids have
    // changed (a change of credentials sets the flag to what
    // `fs.suid_dumpable` says, which may be 1).
    check(sys::not_dumpable(), step::NOT_DUMPABLE)?;
    if !keep_groups {
        // SAFETY: a raw pointer, no reference; this program has one thread
        // and nothing else touches the array.
        let array = unsafe { &mut *(&raw mut GROUPS) };
        let count = parse_groups(groups, array).ok_or_else(bad_arguments)?;
        check(sys::setgroups(&array[..count]), step::SETGROUPS)?;
    }
    if let Some(gid) = gid {
        check(sys::setresgid(gid), step::SETGID)?;
    }
    if let Some(uid) = uid {
        check(sys::setresuid(uid), step::SETUID)?;
    }
    check(sys::not_dumpable(), step::NOT_DUMPABLE)?;
    // A change of credentials clears the parent-death signal: arm it
    // again, then look again.
    check(sys::die_with_parent(), step::DEATH_SIGNAL)?;
    enter::parent_alive(c)
}

/// An id argument: -1 (keep), or an id below `u32::MAX`.
fn id(args: &Args, at: usize) -> Result<Option<u32>, (i32, i32)> {
    match args.number(at) {
        Some(-1) => Ok(None),
        Some(n) if (0..i64::from(u32::MAX)).contains(&n) => Ok(Some(n as u32)),
        _ => Err(bad_arguments()),
    }
}

/// Parses `1,2,3` (or nothing) into `into`; the count, or `None` if
/// malformed or too many.
fn parse_groups(list: &[u8], into: &mut [u32]) -> Option<usize> {
    if list.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    for item in list.split(|&b| b == b',') {
        let value = crate::args::decimal(item)?;
        if !(0..i64::from(u32::MAX)).contains(&value) {
            return None;
        }
        *into.get_mut(count)? = value as u32;
        count += 1;
    }
    Some(count)
}
