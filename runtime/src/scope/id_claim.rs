//! A drawn scope id, claimed so that no two live scopes share it.
//!
//! A root application maps each scope to an id drawn at random (see
//! [`super::ids`]); two scopes that drew the same id would be one user
//! outside, free to signal, ptrace and write each other. So an id is
//! claimed before it is mapped: in this process, in the set of ids its live
//! scopes hold; across applications, with an exclusive `flock` on
//! `/run/process-graph/scope-ids/ID`, held until the scope ends: that covers
//! the applications that share this `/run` (not, say, a container's root
//! with a `/run` of its own). Where that directory cannot be made or is not
//! the application's user's alone (a read-only `/run`, an application root
//! only in a user namespace of its own), or any step of the lock fails, the
//! claim is this process's alone. A claim covers live scopes, not what a
//! scope leaves behind (a daemon that outlived a scope without a pid
//! namespace or a cgroup).
//!
//! The lock file is removed while its lock is still held. An application
//! that opened it just before then locks an unlinked file, so a claim
//! counts only once the locked file is still the one at the path. An
//! application killed with its scopes live leaves their files, unlocked;
//! each process removes those it finds before its first claim.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Mutex, Once, PoisonError};

use rustix::fs::{AtFlags, CWD, FileType, FlockOperation, Mode, OFlags};

use crate::owner::Owner;

/// Where lock files are made, one per claimed id.
const LOCK_DIR: &str = "/run/process-graph/scope-ids";
/// Draws before giving up: with 268 million ids, only a host that holds
/// most of them gets near it.
const DRAWS: usize = 64;

/// The ids this process's live scopes hold.
static LIVE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// A scope id no other live scope holds, in this process or (where the lock
/// directory can be used) in any application on the host; free again when
/// dropped by the process that claimed it.
#[derive(Debug)]
pub(crate) struct IdClaim {
    id: u32,
    /// The locked file, unless the claim is this process's alone.
    lock: Option<OwnedFd>,
    /// A forked copy of the application holds a copy of the claim, which
    /// must free nothing of the original's.
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
            lock: None,
            owner: Owner::current(),
        };
        match lock(id) {
            Ok(Some(file)) => claim.lock = Some(file),
            Ok(None) => return None,
            // No usable lock directory: the claim is this process's alone.
            Err(_) => {}
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
        if let Some(file) = &self.lock {
            // Removed while locked, and only if it is still our file; the
            // lock goes with the fd just after.
            if let Ok(dir) = lock_dir() {
                let name = name_of(self.id);
                if same_file(&dir, &name, file) {
                    let _ = rustix::fs::unlinkat(&dir, &name, AtFlags::empty());
                }
            }
        }
        live(|ids| ids.remove(&self.id));
    }
}

fn live<T>(f: impl FnOnce(&mut HashSet<u32>) -> T) -> T {
    let mut ids = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    f(ids.get_or_insert_with(HashSet::new))
}

fn name_of(id: u32) -> CString {
    CString::new(id.to_string()).expect("no NUL in a number")
}

/// Locks `id`'s file: `None` if another application holds it.
fn lock(id: u32) -> io::Result<Option<OwnedFd>> {
    static SWEPT: Once = Once::new();
    SWEPT.call_once(remove_stale_files);
    lock_at(&lock_dir()?, &name_of(id))
}

/// Removes the lock files nobody holds: those of applications that were
/// killed with scopes live.
fn remove_stale_files() {
    let (Ok(dir), Ok(entries)) = (lock_dir(), std::fs::read_dir(LOCK_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = CString::new(entry.file_name().into_encoded_bytes()) else {
            continue;
        };
        if let Ok(Some(held)) = lock_at(&dir, &name) {
            // Removed while locked, as a claim's drop does.
            if same_file(&dir, &name, &held) {
                let _ = rustix::fs::unlinkat(&dir, &name, AtFlags::empty());
            }
        }
    }
}

/// Locks the file `name` in `dir`, made if missing: `None` if another
/// application holds it. Only a regular file is opened: no link is
/// followed, and a FIFO does not block the open.
fn lock_at(dir: &OwnedFd, name: &CStr) -> io::Result<Option<OwnedFd>> {
    let flags =
        OFlags::RDONLY | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
    loop {
        let file = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o600))?;
        if FileType::from_raw_mode(rustix::fs::fstat(&file)?.st_mode) != FileType::RegularFile {
            return Err(io::ErrorKind::InvalidData.into());
        }
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
            other => other?,
        }
        // Still the file at the path, not one its last holder removed?
        if same_file(dir, name, &file) {
            return Ok(Some(file));
        }
    }
}

/// Whether `name` in `dir` is `file`.
fn same_file(dir: &OwnedFd, name: &CStr, file: &OwnedFd) -> bool {
    match (
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW),
        rustix::fs::fstat(file),
    ) {
        (Ok(now), Ok(held)) => (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino),
        _ => false,
    }
}

/// The lock directory, made if missing, and used only if it is one this
/// code would have made: a directory, not a link, of this user, that no
/// one else may write.
fn lock_dir() -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let dir = match rustix::fs::open(LOCK_DIR, flags, Mode::empty()) {
        Err(rustix::io::Errno::NOENT) => {
            make_lock_dir()?;
            rustix::fs::open(LOCK_DIR, flags, Mode::empty())?
        }
        other => other?,
    };
    let stat = rustix::fs::fstat(&dir)?;
    if stat.st_uid != rustix::process::geteuid().as_raw() || stat.st_mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{LOCK_DIR} is not this user's alone"),
        ));
    }
    Ok(dir)
}

/// `mkdir -p` of the lock directory, readable by root only.
fn make_lock_dir() -> io::Result<()> {
    let parent = LOCK_DIR
        .rsplit_once('/')
        .map_or(LOCK_DIR, |(parent, _)| parent);
    for (dir, mode) in [(parent, 0o755), (LOCK_DIR, 0o700)] {
        match rustix::fs::mkdirat(CWD, dir, Mode::from_raw_mode(mode)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test at a time: the sweep of one would take the files another
    /// made and has yet to lock.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// An id no other test draws, outside the range scopes draw from.
    fn test_id(n: u32) -> u32 {
        super::super::ids::SCOPE_IDS.end + n
    }

    /// Another application's lock on `id`: its own open of the file.
    fn held_elsewhere(id: u32) -> Option<OwnedFd> {
        let dir = lock_dir().ok()?;
        let file = rustix::fs::openat(
            &dir,
            name_of(id),
            OFlags::RDONLY | OFlags::CREATE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .unwrap();
        rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive).unwrap();
        Some(file)
    }

    fn exists(id: u32) -> bool {
        lock_dir().is_ok_and(|dir| rustix::fs::statat(&dir, name_of(id), AtFlags::empty()).is_ok())
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
        let Some(other) = held_elsewhere(id) else {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be used here; claims are per process");
            return;
        };
        assert!(IdClaim::take(id).is_none(), "held by the other");
        drop(other);
        let claim = IdClaim::take(id).expect("free once the other let go");
        assert!(claim.lock.is_some());
        drop(claim);
        assert!(!exists(id), "the lock file goes with the claim");
    }

    #[test]
    fn a_forked_copy_frees_nothing() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let claim = IdClaim::take(test_id(4)).expect("free");
        if claim.lock.is_none() {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be used here; claims are per process");
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
        assert!(exists(test_id(4)), "the copy left the lock file");
        assert!(IdClaim::take(test_id(4)).is_none(), "still claimed here");
    }

    #[test]
    fn files_nobody_holds_are_removed() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let (stale, held) = (test_id(5), test_id(6));
        let Some(stale_file) = held_elsewhere(stale) else {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be used here");
            return;
        };
        drop(stale_file);
        let other = held_elsewhere(held).unwrap();
        remove_stale_files();
        assert!(!exists(stale), "an unheld file is removed");
        assert!(exists(held), "a held file stays");
        drop(other);
        remove_stale_files();
        assert!(!exists(held));
    }

    #[test]
    fn a_planted_fifo_or_link_is_not_locked() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(dir) = lock_dir() else {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be used here");
            return;
        };
        let (fifo, link) = (name_of(test_id(7)), name_of(test_id(8)));
        rustix::fs::mknodat(&dir, &fifo, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        rustix::fs::symlinkat(c"/etc/passwd", &dir, &link).unwrap();
        assert!(
            lock_at(&dir, &fifo).is_err(),
            "a FIFO: refused, not waited on"
        );
        assert!(lock_at(&dir, &link).is_err(), "a link: not followed");
        let claim = IdClaim::take(test_id(7)).expect("a claim of its own process");
        assert!(claim.lock.is_none(), "no lock on a planted file");
        for name in [&fifo, &link] {
            rustix::fs::unlinkat(&dir, name, AtFlags::empty()).unwrap();
        }
    }

    #[test]
    fn draws_give_up_when_every_id_is_held() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let held = IdClaim::take(test_id(9)).expect("free");
        let error = IdClaim::draw(|| Ok(held.id())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }
}
