//! Putting ignored signals back to their default action. Shared by the node
//! child and the scope init, both of which run between clone and
//! exec-or-exit, so this allocates nothing and cannot panic.
//!
//! Neither `CLONE_CLEAR_SIGHAND` nor `execve` touches an ignored signal: both
//! reset handlers only, and `SIG_IGN` is inherited by every descendant. An
//! application started under `nohup` or as a background job (SIGHUP, SIGINT,
//! SIGQUIT ignored), or by a Rust program (SIGPIPE), would otherwise start
//! nodes that ignore their stop signal.

use rustix::fs::{Mode, OFlags};

use super::raw::{SIG_IGN, set_signal_default, signal_handler};

/// Resets every signal the calling process ignores to `SIG_DFL`.
///
/// The child reads its own dispositions after the clone, so one that another
/// thread of the application changes meanwhile cannot slip through. It reads
/// them in one go from `/proc/self/status` (open, read, close: 3.2 µs against
/// 5.8 µs for asking `rt_sigaction` about each of the 64 signals, as glibc's
/// `posix_spawn` does), then resets only those signals, usually SIGPIPE
/// alone. Where `/proc` cannot tell, it asks about each signal.
///
/// Returns the signal whose query or reset failed, with the errno.
pub(crate) fn reset_ignored_signals() -> Result<(), (i32, i32)> {
    let mut left = match ignored_from_proc() {
        Some(ignored) => ignored,
        None => ignored_one_by_one()?,
    };
    while left != 0 {
        // Bit n-1 is signal n; clear the lowest bit set.
        let signal = left.trailing_zeros().wrapping_add(1) as i32;
        left &= left.wrapping_sub(1);
        let ret = set_signal_default(signal);
        if ret < 0 {
            return Err((signal, super::errno_of(ret)));
        }
    }
    Ok(())
}

/// The signals the calling process ignores (bit n-1 for signal n), asking
/// `rt_sigaction` about each.
fn ignored_one_by_one() -> Result<u64, (i32, i32)> {
    let mut ignored = 0u64;
    for bit in 0..64u32 {
        let signal = bit.wrapping_add(1) as i32;
        if signal_handler(signal).map_err(|errno| (signal, errno))? == SIG_IGN {
            ignored |= 1 << bit;
        }
    }
    Ok(ignored)
}

/// The `SigIgn` mask of `/proc/self/status`. `None` if `/proc` cannot tell:
/// not mounted, another pid namespace's, or the line beyond the first 4 KiB
/// (hundreds of supplementary groups come before it).
fn ignored_from_proc() -> Option<u64> {
    let status = rustix::fs::open(
        c"/proc/self/status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut text = [0u8; 4096];
    let len = rustix::io::read(&status, &mut text).ok()?;
    sig_ign_field(text.get(..len)?)
}

/// The value of the `SigIgn:` line of a `/proc/PID/status` text: 16 hex
/// digits.
fn sig_ign_field(status: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\nSigIgn:\t";
    let start = status.windows(KEY.len()).position(|w| w == KEY)?;
    let hex = status.get(start.checked_add(KEY.len())?..)?.get(..16)?;
    hex.iter().try_fold(0u64, |mask, &digit| {
        let digit = char::from(digit).to_digit(16)?;
        Some(mask << 4 | u64::from(digit))
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_sig_ign_line_is_read_as_hex() {
        let status = b"Name:\tsleep\nSigBlk:\t0000000000010000\n\
            SigIgn:\t8000000000001001\nSigCgt:\t0000000000000000\n";
        assert_eq!(sig_ign_field(status), Some(0x8000_0000_0000_1001));
    }

    #[test]
    fn a_missing_or_cut_line_gives_none() {
        assert_eq!(sig_ign_field(b"Name:\tx\nSigBlk:\t0\n"), None);
        assert_eq!(sig_ign_field(b"Name:\tx\nSigIgn:\t00000000"), None);
        assert_eq!(sig_ign_field(b"Name:\tx\nSigIgn:\t000000000000000g\n"), None);
    }

    #[test]
    fn proc_and_rt_sigaction_agree() {
        let from_proc = ignored_from_proc().unwrap();
        assert_ne!(from_proc, 0, "the Rust runtime ignores SIGPIPE");
        assert_eq!(Ok(from_proc), ignored_one_by_one());
    }
}
