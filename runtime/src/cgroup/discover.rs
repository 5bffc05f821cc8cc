//! Where the application may create cgroups: the cgroup v2 hierarchy from
//! `/proc/self/mountinfo` (never assumed to be at `/sys/fs/cgroup`: hybrid
//! layouts mount it beside the v1 hierarchies), the application's own
//! cgroup from `/proc/self/cgroup` (its `0::/path` line), and whether the
//! application may create children there and move processes into them.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Access, AtFlags, CWD, accessat};

/// The directory of the application's own cgroup in the v2 hierarchy, where
/// the application may create cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppCgroup {
    pub(crate) dir: PathBuf,
}

/// Finds the application's cgroup, or says why cgroups cannot be used.
///
/// "May create" means the effective ids may create directories in it and
/// write its `cgroup.procs` (which `CLONE_INTO_CGROUP` requires of the common
/// ancestor of the spawner's cgroup and the node's): root, or a delegated
/// subtree such as a systemd service with `Delegate=yes`.
pub(crate) fn discover() -> Result<AppCgroup, String> {
    let read = |path: &std::ffi::CStr| {
        crate::kernel_file::read_path(path)
            .map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy()))
    };
    let mountinfo = read(c"/proc/self/mountinfo")?;
    let own = read(c"/proc/self/cgroup")?;
    let own = own_v2_path(&own).ok_or("the application is in no cgroup v2 (no 0:: line)")?;
    let dir = v2_mounts(&mountinfo)
        .into_iter()
        .find_map(|(root, mount_point)| {
            let relative = own.strip_prefix(&root).ok()?;
            Some(mount_point.join(relative))
        })
        .ok_or("no cgroup2 hierarchy is mounted where the application's cgroup is")?;
    let writable = |path: &Path, access| accessat(CWD, path, access, AtFlags::EACCESS).is_ok();
    if !writable(&dir, Access::WRITE_OK | Access::EXEC_OK)
        || !writable(&dir.join("cgroup.procs"), Access::WRITE_OK)
    {
        return Err(format!(
            "the application may not create cgroups in its cgroup {} (not root, and not a delegated subtree)",
            dir.display()
        ));
    }
    Ok(AppCgroup { dir })
}

/// The path of the `0::` line of `/proc/self/cgroup`.
fn own_v2_path(text: &[u8]) -> Option<PathBuf> {
    text.split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"0::"))
        .filter(|path| path.starts_with(b"/"))
        .map(|path| PathBuf::from(OsString::from_vec(path.to_vec())))
}

/// Every cgroup2 mount: (root within the hierarchy, mount point).
fn v2_mounts(mountinfo: &[u8]) -> Vec<(PathBuf, PathBuf)> {
    mountinfo
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            // id parent major:minor root mount-point options [optional…] - fstype …
            let separator = fields.iter().position(|f| *f == b"-")?;
            (fields.get(separator + 1) == Some(&&b"cgroup2"[..])).then_some(())?;
            let root = unescape(fields.get(3)?);
            let mount_point = unescape(fields.get(4)?);
            Some((root, mount_point))
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
    fn reads_the_v2_line_only() {
        let text = b"4:memory:/elsewhere\n0::/user.slice/app.service\n";
        assert_eq!(
            own_v2_path(text),
            Some(PathBuf::from("/user.slice/app.service"))
        );
        assert_eq!(own_v2_path(b"4:memory:/x\n"), None);
    }
}
