//! Tests that run as root and again as uid 65534 in a cgroup root
//! delegated to it: root creates a cgroup, chowns it and its
//! `cgroup.procs`, `cgroup.subtree_control` and `cgroup.threads` to 65534,
//! and starts a copy of the test binary in it under `setpriv`.

use std::path::Path;
use std::process::Command as StdCommand;
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
    let output = run_as_nobody(test, Some(delegated.path()));
    // Everything the re-run created in its cgroup is gone: nothing keeps
    // the delegated cgroup from being removed.
    let removed = remove_when_empty(delegated.path());
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("1 passed"),
        "as uid 65534 in a delegated cgroup:\n{text}\n{errors}"
    );
    assert!(
        !text.contains(super::SKIP_MARKER) && !errors.contains(super::SKIP_MARKER),
        "as uid 65534 in a delegated cgroup the test skipped instead of running:\n{text}\n{errors}"
    );
    removed.unwrap_or_else(|e| {
        panic!(
            "{} is not empty after the run: {e}; left inside: {:?}",
            delegated.path().display(),
            std::fs::read_dir(delegated.path())
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        )
    });
}

/// Re-runs `test` in a copy of this binary as uid 65534, inside `cgroup` if
/// given (the shell moves itself there before it execs `setpriv`).
pub fn run_as_nobody(test: &str, cgroup: Option<&Path>) -> std::process::Output {
    let copy = super::unprivileged_copy_of_this_binary();
    let setpriv = super::as_uid_65534();
    let mut command = StdCommand::new("sh");
    command
        .arg("-c")
        .arg(r#"if [ -n "$0" ]; then echo $$ > "$0/cgroup.procs" || exit 1; fi; exec "$@""#)
        .arg(cgroup.map_or(Path::new(""), |c| c))
        .arg(setpriv.get_program())
        .args(setpriv.get_args())
        .arg(&copy)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .current_dir("/");
    if cgroup.is_some() {
        command.env(DELEGATED, "1");
    }
    command.output().expect("sh and setpriv (util-linux) run")
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
