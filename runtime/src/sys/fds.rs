//! Closing every fd a child must not keep. Runs between clone and exec, so
//! this allocates nothing and cannot panic.


use super::raw::close_range;

/// Marks every fd from 3 up except those in `keep` (ascending; entries
/// below 3 are ignored) close-on-exec (`CLOSE_RANGE_CLOEXEC`, Linux 5.11),
/// which is a bit per fd: closing them is work done after the exec has
/// released the vfork-suspended parent, instead of before it — with a
/// thousand fds open in the parent, most of a spawn's time. On an older
/// kernel they are closed now. Returns the first failing `close_range`
/// result (`-errno`), or 0.
pub(crate) fn close_fds_except(keep: impl IntoIterator<Item = i32>) -> isize {
    let mut next: i32 = 3;
    for fd in keep {
        if fd > next {
            // `fd > next >= 3`, so `fd - 1` cannot underflow.
            let ret = close_range_as(next as u32, fd.wrapping_sub(1) as u32);
            if ret < 0 {
                return ret;
            }
        }
        next = next.max(fd.saturating_add(1));
    }
    close_range_as(next as u32, u32::MAX)
}

/// How many fds a child cloned with `CLONE_FILES` keeps
/// ([`unshare_fds_below`]) when the highest one it uses is `highest_used`:
/// the next multiple of 64 above it.
///
/// The kernel copies a shared table in whole words of 64 fds, then closes in
/// the copy whatever it copied from `keep` up; each such close calls the
/// file's `flush` (FUSE, NFS) while the parent is still suspended in
/// `clone3` — an application's FUSE file whose flush takes a second held
/// up every spawn a second. From a word boundary nothing copied is closed:
/// the fds the child does not use are closed at its `execve`, after the
/// parent has resumed, as without `CLONE_FILES`.
pub(crate) fn fds_to_keep(highest_used: i32) -> i32 {
    (highest_used.max(2) / 64).saturating_add(1).saturating_mul(64)
}

/// Gives the calling process a fd table of its own holding only the fds
/// below `keep` (`CLOSE_RANGE_UNSHARE` over `keep..`: the kernel copies
/// just that prefix of a shared table). A child cloned with `CLONE_FILES`
/// calls it first, so the fds the parent holds above `keep` (its children's
/// pidfds, [`super::held_high`]) are never copied nor closed at `execve`.
/// Only used where [`super::copies_prefix`]. Returns the `close_range`
/// result (`-errno` or 0). `keep` comes from [`fds_to_keep`].
pub(crate) fn unshare_fds_below(keep: i32) -> isize {
    close_range(keep as u32, u32::MAX, libc::CLOSE_RANGE_UNSHARE)
}

fn close_range_as(first: u32, last: u32) -> isize {
    let ret = close_range(first, last, libc::CLOSE_RANGE_CLOEXEC);
    if errno_of(ret) != libc::EINVAL {
        return ret;
    }
    close_range(first, last, 0)
}

/// The errno of a raw syscall's `-errno` result.
pub(crate) fn errno_of(ret: isize) -> i32 {
    // The kernel returns -4095..=-1 on failure; no overflow is possible, but
    // this runs in children, where even the check must not panic.
    (ret as i32).wrapping_neg()
}

/// Maps an errno to `(step, errno)`, the failure both kinds of child report.
pub(crate) fn failed_at<S: Copy>(step: S) -> impl FnOnce(rustix::io::Errno) -> (S, i32) {
    move |e| (step, e.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::fds_to_keep;

    /// On a word boundary, past the highest fd used, whatever that is.
    #[test]
    fn a_child_keeps_whole_words_of_fds() {
        assert_eq!(fds_to_keep(2), 64);
        assert_eq!(fds_to_keep(-1), 64);
        assert_eq!(fds_to_keep(63), 64);
        assert_eq!(fds_to_keep(64), 128);
        assert_eq!(fds_to_keep(1000), 1024);
        assert_eq!(fds_to_keep(i32::MAX), i32::MAX);
    }
}
