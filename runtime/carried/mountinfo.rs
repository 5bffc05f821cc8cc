//! Reading `/proc/self/mountinfo` lines without allocating: which mounts
//! a locked scope must hide (cgroup hierarchies, other `proc` mounts), and
//! where.
//!
//! Shared, by `#[path]`, between the carried program (`mounts.rs` beside
//! this file) and the runtime's unit tests: it names nothing but `core`.

/// The mount point (field 5, still escaped) of a mountinfo line whose file
/// system type (the field after the lone `-`) is `cgroup` or `cgroup2`, or
/// `proc` outside `/proc` (a chroot's, a build root's: a view of the host's
/// processes).
///
/// Not `/proc` itself, where the scope's fresh `proc` is mounted, nor a
/// `proc` mount below it (a container's read-only `/proc/sys` or
/// `/proc/sysrq-trigger`): those sit on the `/proc` that the fresh one
/// covers, and no path reaches them.
pub(crate) fn hidden_mount_point(line: &[u8]) -> Option<&[u8]> {
    let mut fields = line.split(|&b| b == b' ');
    let point = fields.nth(4)?;
    let mut after_separator = fields.skip_while(|&f| f != b"-");
    after_separator.next()?;
    let in_proc = point == b"/proc" || point.starts_with(b"/proc/");
    match after_separator.next()? {
        b"cgroup" | b"cgroup2" => Some(point),
        b"proc" if !in_proc => Some(point),
        _ => None,
    }
}

/// Decodes mountinfo's `\ooo` escapes of `escaped` into `into`; the
/// length, or `None` if it does not fit or holds a NUL.
pub(crate) fn unescape(escaped: &[u8], into: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    let mut i = 0;
    while let Some(&byte) = escaped.get(i) {
        let (value, used) = match escaped.get(i + 1..i + 4) {
            Some(&[a, b, c])
                if byte == b'\\' && [a, b, c].iter().all(|d| (b'0'..=b'7').contains(d)) =>
            {
                let octal =
                    u32::from(a - b'0') * 64 + u32::from(b - b'0') * 8 + u32::from(c - b'0');
                (u8::try_from(octal).ok()?, 4)
            }
            _ => (byte, 1),
        };
        if value == 0 {
            return None;
        }
        *into.get_mut(len)? = value;
        len += 1;
        i += used;
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cgroup_hierarchies_and_other_procs() {
        let v2 = b"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
        assert_eq!(hidden_mount_point(v2), Some(&b"/sys/fs/cgroup/unified"[..]));
        let v1 = b"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu";
        assert_eq!(hidden_mount_point(v1), Some(&b"/sys/fs/cgroup/cpu"[..]));
        let tmpfs = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755";
        assert_eq!(hidden_mount_point(tmpfs), None);
        // A mount point named like a type, and optional fields before `-`.
        let tricky = b"50 31 0:40 / /cgroup2 rw shared:1 master:2 - ext4 /dev/sda1 rw";
        assert_eq!(hidden_mount_point(tricky), None);
        assert_eq!(hidden_mount_point(b"garbage"), None);
        let proc = b"22 1 0:21 / /proc rw,nosuid - proc proc rw";
        assert_eq!(hidden_mount_point(proc), None, "the scope's own");
        let chroot = b"60 50 0:21 / /srv/chroot/proc rw - proc proc rw";
        assert_eq!(hidden_mount_point(chroot), Some(&b"/srv/chroot/proc"[..]));
        // A container's read-only proc paths, on the /proc the scope's own
        // covers; a directory named like /proc is not one of them.
        let sys = b"700 699 0:60 /sys /proc/sys ro,nosuid - proc proc rw";
        assert_eq!(hidden_mount_point(sys), None);
        let sysrq = b"701 699 0:60 /sysrq-trigger /proc/sysrq-trigger ro - proc proc rw";
        assert_eq!(hidden_mount_point(sysrq), None);
        let lookalike = b"702 1 0:61 / /procs rw - proc proc rw";
        assert_eq!(hidden_mount_point(lookalike), Some(&b"/procs"[..]));
    }

    #[test]
    fn decodes_escapes() {
        let mut path = [0u8; 32];
        let len = unescape(br"/a\040b\011c\134d", &mut path).unwrap();
        assert_eq!(&path[..len], b"/a b\tc\\d");
        assert_eq!(unescape(br"/x\000", &mut path), None, "a NUL");
        assert_eq!(unescape(br"/\777", &mut path), None, "past a byte");
        assert_eq!(unescape(b"/toolong", &mut path[..4]), None);
        let len = unescape(br"/trailing\04", &mut path).unwrap();
        assert_eq!(&path[..len], br"/trailing\04");
    }
}
