//! A cgroup of its own for an application a test starts and kills: where
//! the runtime's graph cgroups (and its watcher's work) can be counted
//! without anyone else's.

use std::path::{Path, PathBuf};

/// Who runs an application a test starts in an [`AppCgroup`].
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum User {
    /// The user running the suite.
    Current,
    /// uid 65534, in a cgroup delegated to it (only when the suite runs as
    /// root).
    Nobody,
}

/// The users an application runs as: the current one, and uid 65534 in a
/// delegated cgroup when that is root.
pub fn users() -> Vec<User> {
    if rustix::process::geteuid().is_root() {
        vec![User::Current, User::Nobody]
    } else {
        super::skip("not root: the application runs only as the current user");
        vec![User::Current]
    }
}

/// A fresh cgroup below this process's; killed and removed, with everything
/// left in it, when dropped.
pub struct AppCgroup(PathBuf);

impl AppCgroup {
    /// `pg-test-{test}-…` below this process's cgroup, delegated to uid
    /// 65534 if `for_nobody`; `None` (and says why) where this process may
    /// not create one. Root in CI must be able to.
    pub fn new(test: &str, for_nobody: bool) -> Option<AppCgroup> {
        let name = format!("pg-test-{test}-{}", super::unique_marker("app"));
        let dir = own_cgroup().join(name);
        if let Err(e) = std::fs::create_dir(&dir) {
            assert!(
                !super::in_ci() || !rustix::process::geteuid().is_root(),
                "root cannot create {} in CI: {e}",
                dir.display()
            );
            super::skip(&format!(
                "cannot create a cgroup for the application ({}): {e}",
                dir.display()
            ));
            return None;
        }
        if for_nobody {
            for file in [
                "",
                "cgroup.procs",
                "cgroup.subtree_control",
                "cgroup.threads",
            ] {
                std::os::unix::fs::chown(dir.join(file), Some(65534), Some(65534)).unwrap();
            }
        }
        Some(AppCgroup(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A command that moves itself into this cgroup, becomes uid 65534 if
    /// `as_nobody`, and then runs the program and arguments added to it.
    pub fn command(&self, as_nobody: bool) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(r#"echo $$ > "$0/cgroup.procs" || exit 1; exec "$@""#)
            .arg(&self.0);
        if as_nobody {
            let setpriv = super::as_uid_65534();
            command.arg(setpriv.get_program()).args(setpriv.get_args());
        }
        command
    }

    /// The names of the cgroups of the application `pid`'s graphs.
    pub fn graph_cgroups_of(&self, pid: i32) -> Vec<String> {
        let prefix = format!("process-graph-{pid}-");
        std::fs::read_dir(&self.0)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&prefix))
            .collect()
    }
}

impl Drop for AppCgroup {
    fn drop(&mut self) {
        let _ = std::fs::write(self.0.join("cgroup.kill"), "1");
        remove_tree(&self.0);
    }
}

/// Removes the cgroup `dir` and those below it, each once its processes
/// are gone; one already removed (by a test that checks it was left
/// empty) is fine.
pub fn remove_tree(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_tree(&entry.path());
        }
    }
    if let Err(e) = super::delegated::remove_when_empty(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        panic!("cannot remove {}: {e}", dir.display());
    }
}

/// This process's cgroup directory.
pub fn own_cgroup() -> PathBuf {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    super::cgroup_dir(text.lines().find(|l| l.starts_with("0::")).unwrap())
}
