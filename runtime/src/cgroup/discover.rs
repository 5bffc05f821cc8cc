//! Where the application may create cgroups: the cgroup v2 hierarchy from
//! `/proc/self/mountinfo` (never assumed to be at `/sys/fs/cgroup`: hybrid
//! layouts mount it beside the v1 hierarchies), the application's own
//! cgroup from `/proc/self/cgroup` (its `0::/path` line), and whether the
//! application may create children there and move processes into them.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustix::fs::{Access, AtFlags, CWD, accessat};
use rustix::io::Errno;

/// The directory of the application's own cgroup in the v2 hierarchy, where
/// the application may create cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppCgroup {
    pub(crate) dir: PathBuf,
    /// Its path in the hierarchy, as `/proc/PID/cgroup` names it.
    pub(crate) path: PathBuf,
}

/// Every cgroup2 mount, as last read from `/proc/self/mountinfo`. The
/// kernel writes that file out at each read — for a one-node graph, more
/// than a tenth of its spawn — and mounts seldom change, so it is read
/// again only when the application's cgroup is not found through these (a
/// hierarchy mounted, moved or unmounted since).
static MOUNTS: Mutex<Option<Vec<Mount>>> = Mutex::new(None);

/// A cgroup2 mount: the root within the hierarchy, and where it is mounted.
type Mount = (PathBuf, PathBuf);

/// Finds the application's cgroup, or says why cgroups cannot be used.
///
/// "May create" means the effective ids may create directories in it and
/// write its `cgroup.procs` (which `CLONE_INTO_CGROUP` requires of the common
/// ancestor of the spawner's cgroup and the node's): root, or a delegated
/// subtree such as a systemd service with `Delegate=yes`.
///
/// The application's cgroup is read at every call (it may have been moved);
/// the mounts come from the last read unless the cgroup is not found
/// through them.
pub(crate) fn discover() -> Result<AppCgroup, String> {
    let own = read(c"/proc/self/cgroup")?;
    let own = own_v2_path(&own).ok_or("the application is in no cgroup v2 (no 0:: line)")?;
    let mut mounts = MOUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cached) = mounts.as_deref() {
        match writable_dir(cached, &own) {
            Err(Found::Missing) => {} // read the mounts again
            found => return found.map_err(Found::into_reason),
        }
    }
    let fresh = mounts.insert(v2_mounts(&read(c"/proc/self/mountinfo")?));
    writable_dir(fresh, &own).map_err(Found::into_reason)
}

/// Why `writable_dir` found no directory.
enum Found {
    /// Not through these mounts, or not there: they may be out of date.
    Missing,
    /// There, but the application may not create cgroups in it.
    NotWritable(PathBuf),
}

impl Found {
    fn into_reason(self) -> String {
        match self {
            Found::Missing => {
                "no cgroup2 hierarchy is mounted where the application's cgroup is".to_owned()
            }
            Found::NotWritable(dir) => format!(
                "the application may not create cgroups in its cgroup {} (not root, and not a delegated subtree)",
                dir.display()
            ),
        }
    }
}

/// The directory of the cgroup `own` under one of `mounts`, if the
/// application may create cgroups in it.
fn writable_dir(mounts: &[Mount], own: &Path) -> Result<AppCgroup, Found> {
    let dir = mounts
        .iter()
        .find_map(|(root, mount_point)| Some(mount_point.join(own.strip_prefix(root).ok()?)))
        .ok_or(Found::Missing)?;
    let check = |path: &Path, access| match accessat(CWD, path, access, AtFlags::EACCESS) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT | Errno::NOTDIR) => Err(Found::Missing),
        Err(_) => Err(Found::NotWritable(dir.clone())),
    };
    check(&dir, Access::WRITE_OK | Access::EXEC_OK)?;
    check(&dir.join("cgroup.procs"), Access::WRITE_OK)?;
    Ok(AppCgroup {
        dir,
        path: own.to_path_buf(),
    })
}

fn read(path: &std::ffi::CStr) -> Result<Vec<u8>, String> {
    crate::kernel_file::read_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy()))
}

/// The cgroup v2 path of process `pid` (of the application's namespace),
/// as the application's cgroup namespace names it; `None` once it is
/// reaped.
pub(crate) fn cgroup_of(pid: rustix::process::Pid) -> Option<PathBuf> {
    let file = format!("/proc/{}/cgroup", pid.as_raw_nonzero());
    let text = crate::kernel_file::read_path(&std::ffi::CString::new(file).ok()?).ok()?;
    own_v2_path(&text)
}

/// Whether process `pid` is in the cgroup at `path` (as [`cgroup_of`]
/// names it) or below it: component by component, so `run1` is not below
/// `run10`.
pub(crate) fn in_cgroup(pid: rustix::process::Pid, path: &Path) -> bool {
    cgroup_of(pid).is_some_and(|of| of.starts_with(path))
}

/// Whether process `pid` is, or was when it exited, in one of the cgroups
/// at `paths` or below it, though that cgroup may have been removed since:
/// an exited process keeps its cgroup, which `rmdir` does not wait for,
/// and `/proc/PID/cgroup` then names it with ` (deleted)` after it.
pub(crate) fn ended_in_cgroups<'a>(
    pid: rustix::process::Pid,
    mut paths: impl Iterator<Item = &'a Path>,
) -> bool {
    cgroup_of(pid).is_some_and(|of| paths.any(|path| at_or_below(&of, path)))
}

/// Whether the cgroup `of` (as `/proc/PID/cgroup` names it, ` (deleted)`
/// after a removed one) is the one at `path` or below it.
fn at_or_below(of: &Path, path: &Path) -> bool {
    let of = of.as_os_str().as_bytes();
    let of = of.strip_suffix(b" (deleted)").unwrap_or(of);
    Path::new(std::ffi::OsStr::from_bytes(of)).starts_with(path)
}

/// The path of the `0::` line of a `/proc/PID/cgroup`.
fn own_v2_path(text: &[u8]) -> Option<PathBuf> {
    text.split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"0::"))
        .filter(|path| path.starts_with(b"/"))
        .map(|path| PathBuf::from(OsString::from_vec(path.to_vec())))
}

/// Every cgroup2 mount: (root within the hierarchy, mount point).
fn v2_mounts(mountinfo: &[u8]) -> Vec<Mount> {
    mountinfo
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            // id parent major:minor root mount-point options [optional…] - fstype …
            let mut fields = line.split(|&b| b == b' ');
            let root = fields.nth(3)?;
            let mount_point = fields.next()?;
            let fstype = fields.skip_while(|f| *f != b"-").nth(1)?;
            (fstype == b"cgroup2").then(|| (unescape(root), unescape(mount_point)))
        })
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
fn unescape(field: &[u8]) -> PathBuf {
    let mut out = Vec::with_capacity(field.len());
    let mut rest = field;
    while let Some((&b, tail)) = rest.split_first() {
        let octal = tail
            .get(..3)
            .filter(|d| b == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .map(|d| d.iter().fold(0u32, |n, c| n * 8 + u32::from(c - b'0')));
        match octal.and_then(|n| u8::try_from(n).ok()) {
            Some(byte) => {
                out.push(byte);
                rest = &tail[3..];
            }
            None => {
                out.push(b);
                rest = tail;
            }
        }
    }
    PathBuf::from(OsString::from_vec(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &[u8] = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
";

    #[test]
    fn a_removed_cgroup_is_still_the_one_its_ended_processes_were_in() {
        let node = Path::new("/app/pg-1/web");
        for (of, expected) in [
            ("/app/pg-1/web", true),
            ("/app/pg-1/web (deleted)", true),
            ("/app/pg-1/web/run3 (deleted)", true),
            ("/app/pg-1/web~1 (deleted)", false),
            ("/app/pg-1/webs", false),
            ("/app/pg-1", false),
        ] {
            assert_eq!(at_or_below(Path::new(of), node), expected, "{of}");
        }
    }

    #[test]
    fn finds_the_v2_mount_beside_v1_hierarchies() {
        assert_eq!(
            v2_mounts(HYBRID),
            [(PathBuf::from("/"), PathBuf::from("/sys/fs/cgroup/unified"))]
        );
    }

    #[test]
    fn unescapes_mount_points() {
        let line = b"41 31 0:38 /sub /mnt/my\\040cgroups rw - cgroup2 none rw\n";
        assert_eq!(
            v2_mounts(line),
            [(PathBuf::from("/sub"), PathBuf::from("/mnt/my cgroups"))]
        );
    }

    #[test]
    fn mounts_that_miss_the_cgroup_are_read_again() {
        let fresh = discover();
        let stale = vec![(PathBuf::from("/"), PathBuf::from("/nonexistent/cgroup2"))];
        *MOUNTS.lock().unwrap() = Some(stale);
        assert_eq!(discover(), fresh);
        let mounts = MOUNTS.lock().unwrap();
        assert!(
            mounts
                .as_ref()
                .unwrap()
                .iter()
                .all(|(_, m)| m != Path::new("/nonexistent/cgroup2")),
            "the stale mounts were replaced"
        );
    }

    #[test]
    fn reads_the_v2_line_only() {
        let text = b"4:memory:/elsewhere\n0::/user.slice/app.service\n";
        assert_eq!(
            own_v2_path(text),
            Some(PathBuf::from("/user.slice/app.service"))
        );
        assert_eq!(own_v2_path(b"4:memory:/x\n"), None);
    }
}
