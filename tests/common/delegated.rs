//! Tests that run as root and again as uid 65534 in a cgroup root
//! delegated to it: root creates a cgroup, chowns it and its
//! `cgroup.procs`, `cgroup.subtree_control` and `cgroup.threads` to 65534,
//! and starts a copy of the test binary in it under `setpriv`.

use std::path::Path;
use std::time::{Duration, Instant};

use super::app_cgroup::AppCgroup;

/// Set in the copy of the test binary that runs in a delegated cgroup.
const DELEGATED: &str = "PROCESS_GRAPH_TEST_DELEGATED";

/// Runs `body` as the current user, then, if that is root, as uid 65534 in a
/// cgroup delegated to it.
pub fn as_root_and_delegated(test: &str, body: fn()) {
    if !super::cgroups_available() {
        return;
    }
    body();
    if rustix::process::geteuid().as_raw() != 0 || std::env::var_os(DELEGATED).is_some() {
        return;
    }
    let delegated = AppCgroup::new("delegated", true).expect("root creates a cgroup below its own");
    let output = run_as_nobody(test, Some(&delegated));
    // Everything the re-run created in its cgroup is gone: nothing keeps
    // the delegated cgroup from being removed.
    let removed = remove_when_empty(delegated.path());
    super::assert_passed_without_skipping(&output, "as uid 65534 in a delegated cgroup");
    removed.unwrap_or_else(|e| {
        panic!(
            "{} is not empty after the run: {e}; left inside: {:?}",
            delegated.path().display(),
            std::fs::read_dir(delegated.path())
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        )
    });
}

/// Re-runs `test` in a copy of this binary as uid 65534, with
/// [`UNPRIVILEGED`](super::UNPRIVILEGED) set; inside `cgroup` if given,
/// with [`DELEGATED`] set too.
pub fn run_as_nobody(test: &str, cgroup: Option<&AppCgroup>) -> std::process::Output {
    start_as_nobody(test, cgroup).output()
}

/// [`run_as_nobody`], started: the re-run runs while the caller goes on.
/// What it writes goes to files, not pipes, so that it never waits for the
/// caller to read.
pub fn start_as_nobody(test: &str, cgroup: Option<&AppCgroup>) -> Rerun {
    // The checkout may sit where uid 65534 cannot reach (under /root, say):
    // run a world-readable copy of this test binary from the temp dir.
    let copy = super::unprivileged_copy_of_this_binary();
    let mut command = match cgroup {
        Some(cgroup) => {
            let mut command = cgroup.command(true);
            command.env(DELEGATED, "1");
            command
        }
        None => super::as_uid_65534(),
    };
    let written = super::TempDir::new("rerun");
    let file = |name: &str| std::fs::File::create(written.path().join(name)).unwrap();
    let child = command
        .arg(&copy)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(super::UNPRIVILEGED, "1")
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("sh and setpriv (util-linux) run");
    Rerun {
        child: Some(child),
        written,
        _copy: copy,
    }
}

/// A re-run of a test as uid 65534 ([`start_as_nobody`]), with the copy of
/// this binary it runs and the directory of what it writes. Dropped before
/// its [`output`](Rerun::output) (the caller's own run failed first), it is
/// killed and reaped, so it neither outlives the test nor runs on unseen.
pub struct Rerun {
    child: Option<std::process::Child>,
    written: super::TempDir,
    _copy: super::BinaryCopy,
}

impl Rerun {
    /// Waits for the re-run to end: its status and all it wrote.
    pub fn output(mut self) -> std::process::Output {
        let mut child = self.child.take().expect("waited for once");
        let status = child.wait().expect("the re-run is ours to wait for");
        let read = |name: &str| std::fs::read(self.written.path().join(name)).unwrap();
        std::process::Output {
            status,
            stdout: read("stdout"),
            stderr: read("stderr"),
        }
    }
}

impl Drop for Rerun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `rmdir` of `dir`, retried for a moment while its last process exits.
pub fn remove_when_empty(dir: &Path) -> std::io::Result<()> {
    let deadline = Instant::now() + super::DEATH_TIMEOUT;
    loop {
        match std::fs::remove_dir(dir) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
