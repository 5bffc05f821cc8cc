//! A drawn scope id, claimed so that no two live scopes share it.
//!
//! A root application maps each scope to an id drawn at random (see
//! [`super::ids`]); two scopes that drew the same id would be one user
//! outside, free to signal, ptrace and write each other. So an id is
//! claimed before it is mapped: in this process, in the set of ids its live
//! scopes hold; across applications, with an exclusive `flock` on
//! `/run/process-graph/scope-ids/ID`, held until the scope ends. Where that
//! directory cannot be made (a read-only `/run`, an application root only
//! in a user namespace of its own), the claim is this process's alone.
//!
//! The lock file is removed while its lock is still held. An application
//! that opened it just before then locks an unlinked file, so a claim
//! counts only once the locked file is still the one at the path. An
//! application killed with its scopes live leaves their files, unlocked;
//! each process removes those it finds before its first claim.

use std::collections::HashSet;
use std::ffi::CString;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Mutex, Once, PoisonError};

use rustix::fs::{CWD, FlockOperation, Mode, OFlags};

/// Where lock files are made, one per claimed id.
const LOCK_DIR: &str = "/run/process-graph/scope-ids";
/// Draws before giving up: with 268 million ids, only a host that holds
/// most of them gets near it.
const DRAWS: usize = 64;

/// The ids this process's live scopes hold.
static LIVE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// A scope id no other live scope holds, in this process or (where the lock
/// directory can be made) in any application on the host; free again when
/// dropped.
#[derive(Debug)]
pub(crate) struct IdClaim {
    id: u32,
    /// The locked file, unless the claim is this process's alone.
    lock: Option<OwnedFd>,
}

impl IdClaim {
    /// Claims the first free id `draw` gives.
    pub(crate) fn draw(mut draw: impl FnMut() -> io::Result<u32>) -> io::Result<IdClaim> {
        for _ in 0..DRAWS {
            if let Some(claim) = IdClaim::take(draw()?)? {
                return Ok(claim);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{DRAWS} drawn scope ids were all held by live scopes"),
        ))
    }

    /// Claims `id`: `None` if a live scope holds it.
    fn take(id: u32) -> io::Result<Option<IdClaim>> {
        if !live(|ids| ids.insert(id)) {
            return Ok(None);
        }
        // From here on, a failure drops the claim, which frees `id`.
        let mut claim = IdClaim { id, lock: None };
        match lock(id) {
            Ok(Some(file)) => claim.lock = Some(file),
            Ok(None) => return Ok(None),
            // No lock directory here: the claim is this process's alone.
            Err(e) if unusable_directory(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(Some(claim))
    }

    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for IdClaim {
    fn drop(&mut self) {
        if self.lock.is_some() {
            // Removed while locked; the lock goes with the fd just after.
            let _ = rustix::fs::unlink(lock_path(self.id));
        }
        live(|ids| ids.remove(&self.id));
    }
}

fn live<T>(f: impl FnOnce(&mut HashSet<u32>) -> T) -> T {
    let mut ids = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    f(ids.get_or_insert_with(HashSet::new))
}

fn lock_path(id: u32) -> CString {
    CString::new(format!("{LOCK_DIR}/{id}")).expect("no NUL in a number")
}

/// Locks `id`'s file: `None` if another application holds it.
fn lock(id: u32) -> io::Result<Option<OwnedFd>> {
    static SWEPT: Once = Once::new();
    SWEPT.call_once(remove_stale_files);
    lock_path_of(&lock_path(id))
}

/// Removes the lock files nobody holds: those of applications that were
/// killed with scopes live.
fn remove_stale_files() {
    let Ok(entries) = std::fs::read_dir(LOCK_DIR) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(path) = CString::new(entry.path().into_os_string().into_encoded_bytes()) else {
            continue;
        };
        if let Ok(Some(_held)) = lock_path_of(&path) {
            // Removed while locked, as a claim's drop does.
            let _ = rustix::fs::unlink(&path);
        }
    }
}

/// Locks the file at `path`, made if missing: `None` if another
/// application holds it.
fn lock_path_of(path: &CString) -> io::Result<Option<OwnedFd>> {
    let flags = OFlags::RDONLY | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let mode = Mode::from_raw_mode(0o600);
    loop {
        let file = match rustix::fs::open(path, flags, mode) {
            Err(rustix::io::Errno::NOENT) => {
                make_lock_dir()?;
                rustix::fs::open(path, flags, mode)?
            }
            other => other?,
        };
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
            other => other?,
        }
        // Still the file at the path, not one its last holder removed?
        let held = rustix::fs::fstat(&file)?;
        match rustix::fs::stat(path) {
            Ok(now) if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino) => {
                return Ok(Some(file));
            }
            Ok(_) | Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => return Err(e.into()),
        }
    }
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

/// Whether `e` says the lock directory cannot be used here at all.
fn unusable_directory(e: &io::Error) -> bool {
    matches!(
        rustix::io::Errno::from_io_error(e),
        Some(
            rustix::io::Errno::ACCESS
                | rustix::io::Errno::PERM
                | rustix::io::Errno::ROFS
                | rustix::io::Errno::NOENT
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id no other test draws.
    fn test_id(n: u32) -> u32 {
        0x7FFD_0000 + n
    }

    #[test]
    fn a_live_id_is_not_claimed_twice() {
        let first = IdClaim::take(test_id(1)).unwrap().expect("free");
        assert!(
            IdClaim::take(test_id(1)).unwrap().is_none(),
            "held by a live scope"
        );
        let mut draws = [test_id(1), test_id(1), test_id(2)].into_iter();
        let second = IdClaim::draw(|| Ok(draws.next().unwrap())).unwrap();
        assert_eq!(second.id(), test_id(2), "the held id is drawn past");
        drop(first);
        assert!(
            IdClaim::take(test_id(1)).unwrap().is_some(),
            "free once dropped"
        );
    }

    #[test]
    fn an_id_another_application_holds_is_not_claimed() {
        let id = test_id(3);
        let claim = IdClaim::take(id).unwrap().expect("free");
        if claim.lock.is_none() {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be made here; claims are per process");
            return;
        }
        drop(claim);
        // Another application: a lock on its own open of the file.
        make_lock_dir().unwrap();
        let path = lock_path(id);
        let flags = OFlags::RDONLY | OFlags::CREATE | OFlags::CLOEXEC;
        let other = rustix::fs::open(&path, flags, Mode::from_raw_mode(0o600)).unwrap();
        rustix::fs::flock(&other, FlockOperation::NonBlockingLockExclusive).unwrap();
        assert!(IdClaim::take(id).unwrap().is_none(), "held by the other");
        drop(other);
        let claim = IdClaim::take(id)
            .unwrap()
            .expect("free once the other let go");
        drop(claim);
        assert_eq!(
            rustix::fs::stat(&path).err(),
            Some(rustix::io::Errno::NOENT),
            "the lock file goes with the claim"
        );
    }

    #[test]
    fn files_nobody_holds_are_removed() {
        if make_lock_dir().is_err() {
            eprintln!("SKIPPED: {LOCK_DIR} cannot be made here");
            return;
        }
        let flags = OFlags::RDONLY | OFlags::CREATE | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(0o600);
        let (stale, held) = (lock_path(test_id(5)), lock_path(test_id(6)));
        drop(rustix::fs::open(&stale, flags, mode).unwrap());
        let other = rustix::fs::open(&held, flags, mode).unwrap();
        rustix::fs::flock(&other, FlockOperation::NonBlockingLockExclusive).unwrap();
        remove_stale_files();
        assert_eq!(
            rustix::fs::stat(&stale).err(),
            Some(rustix::io::Errno::NOENT)
        );
        assert!(rustix::fs::stat(&held).is_ok(), "a held file stays");
        let _ = rustix::fs::unlink(&held);
    }

    #[test]
    fn draws_give_up_when_every_id_is_held() {
        let held = IdClaim::take(test_id(4)).unwrap().expect("free");
        let error = IdClaim::draw(|| Ok(held.id())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }
}
