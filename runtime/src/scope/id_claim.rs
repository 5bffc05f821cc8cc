//! A drawn scope id, claimed so that no two live scopes share it.
//!
//! A root application maps each scope to an id drawn at random (see
//! [`super::ids`]); two scopes that drew the same id would be one user
//! outside, free to signal, ptrace and write each other. So an id is
//! claimed before it is mapped: in this process, in the set of ids its live
//! scopes hold; across applications, with an exclusive lock on byte ID of
//! `/run/process-graph/scope-ids.lock` (`F_OFD_SETLK`), held until the scope
//! ends: that covers the applications that share this `/run` (not, say, a
//! container's root with a `/run` of its own). Where that file cannot be
//! opened or is not the application's user's alone (a read-only `/run`, an
//! application root only in a user namespace of its own), or the lock
//! fails, the claim is this process's alone. A claim covers live scopes,
//! not what a scope leaves behind (a daemon that outlived a scope without a
//! pid namespace or a cgroup).
//!
//! One file, opened once per process, holds every claim's lock, and the
//! kernel drops the locks once the application has exited (with any copy
//! forked from it that has not exec'd: it shares the open file): no
//! file is made per claim (on a `/run` that is not a tmpfs, creating and
//! removing one per scope cost each new one a scan of the inodes removed
//! just before, so a thousand scopes took superlinear time), none is left
//! by a killed application, and a scope holds no fd for its claim.

use std::collections::HashSet;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Mutex, PoisonError};

use rustix::fs::{CWD, FileType, Mode, OFlags};

use crate::owner::Owner;

/// Where the lock file is, and the file.
const LOCK_DIR: &CStr = c"/run/process-graph";
const LOCK_FILE: &CStr = c"scope-ids.lock";
/// Draws before giving up: with 268 million ids, only a host that holds
/// most of them gets near it.
const DRAWS: usize = 64;

/// The ids this process's live scopes hold.
static LIVE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// A scope id no other live scope holds, in this process or (where the lock
/// file can be used) in any application on the host; free again when
/// dropped by the process that claimed it.
#[derive(Debug)]
pub(crate) struct IdClaim {
    id: u32,
    /// Its byte of the lock file is locked, unless the claim is this
    /// process's alone.
    locked: bool,
    /// A forked copy of the application holds a copy of the claim (and
    /// shares the lock file's open description, whose locks these are),
    /// which must free nothing of the original's.
    owner: Owner,
}

impl IdClaim {
    /// Claims the first free id `draw` gives.
    pub(crate) fn draw(mut draw: impl FnMut() -> io::Result<u32>) -> io::Result<IdClaim> {
        for _ in 0..DRAWS {
            if let Some(claim) = IdClaim::take(draw()?) {
                return Ok(claim);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{DRAWS} drawn scope ids were all held by live scopes"),
        ))
    }

    /// Claims `id`: `None` if a live scope holds it.
    fn take(id: u32) -> Option<IdClaim> {
        if !live(|ids| ids.insert(id)) {
            return None;
        }
        // From here on, dropping the claim frees `id`.
        let mut claim = IdClaim {
            id,
            locked: false,
            owner: Owner::current(),
        };
        match with_lock_file(|file| set_lock(file, id, libc::F_WRLCK)) {
            Some(Ok(())) => claim.locked = true,
            Some(Err(e)) if held_elsewhere(&e) => return None,
            // The lock failed otherwise: the claim is this process's alone.
            Some(Err(_)) | None => {}
        }
        Some(claim)
    }

    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for IdClaim {
    fn drop(&mut self) {
        if !self.owner.is_current() {
            return;
        }
        if self.locked {
            with_lock_file(|file| set_lock(file, self.id, libc::F_UNLCK));
        }
        live(|ids| ids.remove(&self.id));
    }
}

fn live<T>(f: impl FnOnce(&mut HashSet<u32>) -> T) -> T {
    let mut ids = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    f(ids.get_or_insert_with(HashSet::new))
}

/// This process's open of the lock file, made at its first claim and held
/// high (`sys::held_high`) from then on.
static LOCK_FILE_OPEN: Mutex<Option<(Owner, OwnedFd)>> = Mutex::new(None);

/// Runs `f` on this process's open of the lock file; `None` where the file
/// cannot be used (tried again at the next claim). A forked copy makes an
/// open of its own: locks of one open never conflict with each other, so
/// through the original's it could claim an id the original holds.
fn with_lock_file<T>(f: impl FnOnce(BorrowedFd<'_>) -> T) -> Option<T> {
    let mut open = LOCK_FILE_OPEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if !open.as_ref().is_some_and(|(owner, _)| owner.is_current()) {
        let file = open_lock_file(&lock_dir().ok()?, LOCK_FILE).ok()?;
        *open = Some((Owner::current(), crate::sys::held_high(file)));
    }
    open.as_ref().map(|(_, file)| f(file.as_fd()))
}

/// Locks (`F_WRLCK`) or unlocks (`F_UNLCK`) byte `id` of `file`, without
/// waiting: a lock another open of the file holds fails ([`held_elsewhere`]).
/// An open file description's lock (`F_OFD_SETLK`): it goes with the last
/// fd of this open, not with any close of the file by this process.
fn set_lock(file: BorrowedFd<'_>, id: u32, kind: i32) -> io::Result<()> {
    // SAFETY: `flock` is plain old data; all-zero is a valid value.
    let mut range: libc::flock = unsafe { std::mem::zeroed() };
    range.l_type = kind as libc::c_short;
    range.l_whence = libc::SEEK_SET as libc::c_short;
    range.l_start = libc::off_t::from(id);
    range.l_len = 1;
    // SAFETY: a valid fd, and a `flock` the call only reads (F_OFD_SETLK).
    match unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &range) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// Whether a lock failed because another open of the file holds the byte
/// (`EAGAIN`; an `EACCES` is a security module refusing the lock, which
/// leaves the claim to this process).
fn held_elsewhere(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::EAGAIN)
}

/// Opens (making it if missing) the lock file `name` in `dir` for
/// writing, which a write lock needs. Only a regular file of this user is
/// used: no link is followed, and a FIFO does not block the open.
fn open_lock_file(dir: &OwnedFd, name: &CStr) -> io::Result<OwnedFd> {
    let flags =
        OFlags::RDWR | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
    let file = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o600))?;
    let stat = rustix::fs::fstat(&file)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile
        || stat.st_uid != rustix::process::geteuid().as_raw()
    {
        return Err(io::ErrorKind::InvalidData.into());
    }
    Ok(file)
}

/// The lock directory, made if missing, and used only if it is one this
/// code would have made: a directory, not a link, of this user, that no
/// one else may write.
fn lock_dir() -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let dir = match rustix::fs::openat(CWD, LOCK_DIR, flags, Mode::empty()) {
        Err(rustix::io::Errno::NOENT) => {
            match rustix::fs::mkdirat(CWD, LOCK_DIR, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            rustix::fs::openat(CWD, LOCK_DIR, flags, Mode::empty())?
        }
        other => other?,
    };
    let stat = rustix::fs::fstat(&dir)?;
    if stat.st_uid != rustix::process::geteuid().as_raw() || stat.st_mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not this user's alone", LOCK_DIR.to_string_lossy()),
        ));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test at a time: they share the ids below.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// An id no other test draws, outside the range scopes draw from.
    /// Apart from another copy of these tests running at once.
    fn test_id(n: u32) -> u32 {
        super::super::ids::SCOPE_IDS.end + (std::process::id() << 4) + n
    }

    /// Another application's open of the lock file, as it would make it.
    fn opened_elsewhere() -> Option<OwnedFd> {
        open_lock_file(&lock_dir().ok()?, LOCK_FILE).ok()
    }

    /// Whether another application could claim `id` now.
    fn free_elsewhere(id: u32) -> bool {
        let other = opened_elsewhere().expect("the lock file is usable");
        let free = set_lock(other.as_fd(), id, libc::F_WRLCK).is_ok();
        if free {
            set_lock(other.as_fd(), id, libc::F_UNLCK).unwrap();
        }
        free
    }

    #[test]
    fn a_live_id_is_not_claimed_twice() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let first = IdClaim::take(test_id(1)).expect("free");
        assert!(IdClaim::take(test_id(1)).is_none(), "held by a live scope");
        let mut draws = [test_id(1), test_id(1), test_id(2)].into_iter();
        let second = IdClaim::draw(|| Ok(draws.next().unwrap())).unwrap();
        assert_eq!(second.id(), test_id(2), "the held id is drawn past");
        drop(first);
        assert!(IdClaim::take(test_id(1)).is_some(), "free once dropped");
    }

    #[test]
    fn an_id_another_application_holds_is_not_claimed() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let id = test_id(3);
        let Some(other) = opened_elsewhere() else {
            eprintln!(
                "SKIPPED: {} cannot be used here; claims are per process",
                LOCK_DIR.to_string_lossy()
            );
            return;
        };
        set_lock(other.as_fd(), id, libc::F_WRLCK).unwrap();
        assert!(IdClaim::take(id).is_none(), "held by the other");
        drop(other);
        let claim = IdClaim::take(id).expect("free once the other let go");
        assert!(claim.locked);
        assert!(
            !free_elsewhere(id),
            "claimed for the other applications too"
        );
        drop(claim);
        assert!(free_elsewhere(id), "the lock goes with the claim");
    }

    #[test]
    fn a_forked_copy_frees_nothing() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let claim = IdClaim::take(test_id(4)).expect("free");
        if !claim.locked {
            eprintln!(
                "SKIPPED: {} cannot be used here; claims are per process",
                LOCK_DIR.to_string_lossy()
            );
            return;
        }
        // SAFETY: the child only drops the claim, whose drop returns at
        // once in a copy (one getpid), and exits.
        match unsafe { libc::fork() } {
            0 => {
                drop(claim);
                // SAFETY: ends the forked copy without running anything else.
                unsafe { libc::_exit(0) }
            }
            child => {
                assert!(child > 0, "fork: {}", io::Error::last_os_error());
                let mut status = 0;
                // SAFETY: waits for the child just forked.
                assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
            }
        }
        assert!(!free_elsewhere(test_id(4)), "the copy unlocked the id");
        assert!(IdClaim::take(test_id(4)).is_none(), "still claimed here");
    }

    /// The kernel drops the locks of an application that dies: an id it
    /// held is free for the others at once.
    #[test]
    fn a_dead_applications_ids_are_free() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let id = test_id(5);
        let Some(other) = opened_elsewhere() else {
            eprintln!(
                "SKIPPED: {} cannot be used here",
                LOCK_DIR.to_string_lossy()
            );
            return;
        };
        // SAFETY: the child locks through its own open, then is killed.
        match unsafe { libc::fork() } {
            0 => {
                let own = open_lock_file(&lock_dir().unwrap(), LOCK_FILE).unwrap();
                set_lock(own.as_fd(), id, libc::F_WRLCK).unwrap();
                // SAFETY: waits to be killed; nothing else runs in the copy.
                unsafe { libc::pause() };
                // SAFETY: as above.
                unsafe { libc::_exit(0) }
            }
            child => {
                assert!(child > 0, "fork: {}", io::Error::last_os_error());
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while set_lock(other.as_fd(), id, libc::F_WRLCK).is_ok() {
                    set_lock(other.as_fd(), id, libc::F_UNLCK).unwrap();
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the child never locked"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                assert!(IdClaim::take(id).is_none(), "held by the live child");
                // SAFETY: kills and reaps the child just forked.
                unsafe { libc::kill(child, libc::SIGKILL) };
                let mut status = 0;
                // SAFETY: as above.
                assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
            }
        }
        assert!(IdClaim::take(id).is_some(), "free once its holder died");
    }

    #[test]
    fn a_planted_fifo_or_link_is_not_opened() {
        let scratch = std::env::temp_dir().join(format!("pg-id-claim-{}", std::process::id()));
        std::fs::create_dir(&scratch).unwrap();
        let dir =
            rustix::fs::open(&scratch, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        rustix::fs::mknodat(&dir, c"fifo", FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        rustix::fs::symlinkat(c"/etc/passwd", &dir, c"link").unwrap();
        let fifo = open_lock_file(&dir, c"fifo");
        let link = open_lock_file(&dir, c"link");
        std::fs::remove_dir_all(&scratch).unwrap();
        assert!(fifo.is_err(), "a FIFO: refused, not waited on");
        assert!(link.is_err(), "a link: not followed");
    }

    #[test]
    fn draws_give_up_when_every_id_is_held() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let held = IdClaim::take(test_id(9)).expect("free");
        let error = IdClaim::draw(|| Ok(held.id())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }
}
