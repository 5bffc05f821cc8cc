//! Helpers shared by the runtime integration tests: a watchdog, markers that
//! tag a test's processes, and views of processes and fds through `/proc`.
//!
//! `cargo test` runs the tests of one file as threads of one process, and
//! other programs run on the same machine, so a test never counts "all
//! processes": it tags its children with a marker in their environment and
//! looks only for processes carrying it.

// Every test file compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod app_cgroup;
pub mod delegated;
pub mod held_up_attack;
pub mod hostile;
pub mod seccomp;
pub mod stray_cases;
pub mod ticker;

use std::collections::BTreeMap;
use std::fs;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Error, Event, Graph, Namespace, NodeOptions, RunningGraph, ScopeSpec,
};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{Pid, PidfdFlags, pidfd_open};

/// How long a process may take to die after it was sent SIGKILL. Generous:
/// CI machines are loaded; a process that should die but does not still fails.
pub const DEATH_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `f` on its own thread and fails the test if it takes longer than
/// `limit`, instead of hanging the whole suite. A panic inside `f` is
/// re-raised here.
///
/// `f` must finish with its graphs: children of a graph spawned on the
/// watchdog's thread die with that thread (PDEATHSIG).
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("the worker sent its result");
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker returned without sending"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?} (deadlock or lost EOF?)")
        }
    }
}

/// The environment variable that tags a test's processes.
pub const MARKER_VAR: &str = "PROCESS_GRAPH_TEST_MARKER";

/// A marker no other test or run uses.
pub fn unique_marker(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{test}-{}-{n}", std::process::id())
}

/// `command` with `marker` in its environment (inherited by its children).
pub fn marked(command: Command, marker: &str) -> Command {
    command.env(MARKER_VAR, marker)
}

/// The fields of `/proc/PID/stat` the tests need.
#[derive(Debug, Clone)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
}

impl ProcStat {
    /// Alive: neither a zombie nor dead.
    pub fn is_live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// `/proc/PID/stat` of one process; `None` if it is gone.
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm is in parentheses and may itself hold spaces and parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let mut rest = text[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        comm: text[open + 1..close].to_owned(),
        state,
        ppid,
        pgrp,
    })
}

/// Every process on the machine, as far as `/proc` shows it right now.
pub fn all_processes() -> Vec<ProcStat> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(proc_stat)
        .collect()
}

/// The children of this process, zombies included.
pub fn children_of_this_process() -> Vec<ProcStat> {
    let me = std::process::id() as i32;
    all_processes()
        .into_iter()
        .filter(|p| p.ppid == me && p.comm != WATCHER)
        .collect()
}

/// `pid`'s pid in the innermost pid namespace it is in (the last of
/// `NSpid` in its `status`), if it is still there.
pub fn innermost_pid(pid: i32) -> Option<i32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
    line.split_whitespace().last()?.parse().ok()
}

/// The init of the test's one pid scope: a child of this process (scopes'
/// inits are cloned with `CLONE_PARENT`) that is pid 1 of its pid
/// namespace.
pub fn pid_scope_init() -> rustix::process::Pid {
    let init = children_of_this_process()
        .into_iter()
        .find(|p| innermost_pid(p.pid) == Some(1))
        .expect("the scope's init");
    rustix::process::Pid::from_raw(init.pid).unwrap()
}

/// The `comm` of the runtime's cgroup watcher: one per application, left
/// running by its first graph with cgroups, so not among the children a
/// test counts ([`children_of_this_process`]); [`cgroup_watchers`] lists it.
pub const WATCHER: &str = "pg-cgroup-watch";

/// The live cgroup watchers among this process's children.
pub fn cgroup_watchers() -> Vec<ProcStat> {
    let me = std::process::id() as i32;
    all_processes()
        .into_iter()
        .filter(|p| p.ppid == me && p.comm == WATCHER && p.is_live())
        .collect()
}

/// Live processes whose environment holds `marker`.
pub fn live_marked_processes(marker: &str) -> Vec<ProcStat> {
    let needle = format!("{MARKER_VAR}={marker}");
    all_processes()
        .into_iter()
        .filter(ProcStat::is_live)
        .filter(|p| {
            // Read empty, it may have been opened on the memory a process
            // had before an `execve` that finished before the read: once
            // more, on the new one.
            let environ = || fs::read(format!("/proc/{}/environ", p.pid));
            let env = match environ() {
                Ok(env) if env.is_empty() => environ(),
                read => read,
            };
            env.is_ok_and(|env| {
                env.split(|&b| b == 0)
                    .any(|entry| entry == needle.as_bytes())
            })
        })
        .collect()
}

/// Live processes in process group `pgid`.
pub fn live_group_members(pgid: i32) -> Vec<ProcStat> {
    all_processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid && p.is_live())
        .collect()
}

/// A TCP port of 127.0.0.1 nothing is bound to now, outside the kernel's
/// ephemeral range: a port the kernel hands out (`bind` to port 0) may
/// meanwhile become the local end of any connect on the machine — a probe
/// polling that very port included — before the test's server binds it.
pub fn free_port() -> u16 {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let mut bounds = range.split_whitespace().map(|n| n.parse::<u32>().unwrap());
    let (lowest, highest) = (bounds.next().unwrap(), bounds.next().unwrap());
    // 1,024 ports just below the range, or those above it where it starts low.
    let (first, span) = if lowest >= 2048 {
        (lowest - 1024, 1024)
    } else {
        (highest + 1, 65535 - highest)
    };
    // Start from a different place in each test process and call.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seed =
        std::process::id().wrapping_add(NEXT.fetch_add(7919, std::sync::atomic::Ordering::Relaxed));
    (0..span)
        .map(|i| (first + seed.wrapping_add(i) % span) as u16)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port outside the ephemeral range")
}

/// A pidfd for `pid`, or `None` if it has already gone.
pub fn open_pidfd(pid: i32) -> Option<OwnedFd> {
    pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()
}

/// The value of line `field` (`Pid`, `NSpid`, ...) of the `fdinfo` of a
/// pidfd of `pid`, a pid of this process's pid namespace: `Pid` is the pid
/// `/proc` knows the process by, `NSpid` its pids from `/proc`'s pid
/// namespace down — whatever pid namespace `/proc` numbers processes in.
pub fn pidfd_info(pid: i32, field: &str) -> Option<String> {
    let pidfd = open_pidfd(pid)?;
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd())).ok()?;
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    Some(line.trim().to_owned())
}

/// True once the process behind `pidfd` has exited (a pidfd turns readable
/// when its process ends, whoever its parent is); waits up to `timeout`.
pub fn exits_within(pidfd: &OwnedFd, timeout: Duration) -> bool {
    let timeout = Timespec::try_from(timeout).expect("a short timeout");
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    loop {
        match poll(&mut fds, Some(&timeout)) {
            Ok(n) => return n == 1,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => panic!("poll on a pidfd failed: {e}"),
        }
    }
}

/// Shuts `running` down and drops it, then fails if a process marked with
/// `marker` is still alive (see [`assert_all_exit`]).
pub fn shut_down_leaving_nothing(mut running: process_graph_runtime::RunningGraph, marker: &str) {
    running.shutdown(Duration::from_secs(5)).unwrap();
    drop(running);
    assert_all_exit(&live_marked_processes(marker), "left after the graph");
}

/// Fails unless each of `processes` exits within [`DEATH_TIMEOUT`].
///
/// Right after a SIGKILL a process may still show as live while the signal
/// is delivered; that is not a leak. One that stays alive is.
pub fn assert_all_exit(processes: &[ProcStat], what: &str) {
    for p in processes {
        if let Some(pidfd) = open_pidfd(p.pid) {
            assert!(
                exits_within(&pidfd, DEATH_TIMEOUT),
                "{what}: process {} ({}) is still alive: {p:?}",
                p.pid,
                p.comm
            );
        }
    }
}

/// Fails unless, within a few seconds, no process carrying `marker` lives,
/// this process has no child (no zombie either), and its fds are `before`.
pub fn assert_nothing_left(before: &BTreeMap<i32, String>, marker: &str, what: &str) {
    assert_all_exit(&live_marked_processes(marker), what);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let children = children_of_this_process();
        let fds = open_fds();
        if children.is_empty() && fds == *before {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: left behind: children {children:?}; fds {fds:?}, before {before:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// This process's open fds and what each points to, e.g.
/// `3 -> "pipe:[1234]"`. The fd used to read the directory is left out.
///
/// Leaves out the memfd of the runtime's carried program: one fd, made by
/// the first graph that needs the program (a scope, or cgroups) and kept,
/// sealed, for the life of the process (documented on `Graph::spawn`).
pub fn open_fds() -> BTreeMap<i32, String> {
    let own_dir = format!("/proc/{}/fd", std::process::id());
    fds_of_path(Path::new("/proc/self/fd"))
        .into_iter()
        .filter(|(_, target)| *target != own_dir)
        .filter(|(_, target)| !target.starts_with("/memfd:process-graph-scope"))
        .collect()
}

/// Another process's open fds and what each points to.
pub fn fds_of(pid: u32) -> BTreeMap<i32, String> {
    fds_of_path(&PathBuf::from(format!("/proc/{pid}/fd")))
}

fn fds_of_path(dir: &Path) -> BTreeMap<i32, String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = fs::read_link(entry.path()).ok()?;
            Some((fd, target.to_string_lossy().into_owned()))
        })
        .collect()
}

/// What fd `fd` of this process points to, e.g. `"pipe:[1234]"`.
pub fn fd_target(fd: impl AsFd) -> String {
    let path = format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd());
    fs::read_link(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// A directory removed with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("process-graph-{}", unique_marker(test)));
        fs::create_dir(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    /// A directory every uid may write: what a scope's nodes write to when
    /// the test runs as root, whose scopes are an unprivileged uid of their
    /// own outside.
    pub fn writable_by_scopes(test: &str) -> TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new(test);
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        dir
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The next event of `running` that is not a node's start (every start is
/// reported too, the first ones included).
pub fn next_event_past_starts(
    running: &mut RunningGraph,
    timeout: Option<Duration>,
) -> Option<Event> {
    loop {
        match running.next_event(timeout).expect("next_event") {
            Some(Event::Started { .. }) => continue,
            other => return other,
        }
    }
}

/// Whether `tool` (from the Debian package `package`) is on PATH. In CI
/// (`CI` set; `.ci/run` installs the package) a missing tool fails the test;
/// on a developer's machine the test says why it skips ([`skip`]).
pub fn installed(tool: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()));
    if !found {
        assert!(
            !in_ci(),
            "`{tool}` is not installed; .ci/run installs {package}"
        );
        skip(&format!(
            "`{tool}` is not installed (Debian: apt-get install {package})"
        ));
    }
    found
}

/// Whether the suite runs in CI (`CI` set), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// What [`skip`] writes before its reason; a test that re-runs a test in a
/// child process looks for it in the child's output.
pub const SKIP_MARKER: &str = "skipped:";

/// Says why a test skips. libtest captures `print!` and `eprint!` of a test
/// that passes, so the reason would never show: this writes to the stderr
/// handle directly, which is not captured.
pub fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{SKIP_MARKER} {reason}");
}

/// Whether this process may create cgroups (a graph with
/// `Containment::Required` spawns); says why not. In CI (`CI` set) root
/// must be able to.
pub fn cgroups_available() -> bool {
    let mut graph = Graph::new();
    graph.node("probe", Command::new("true"));
    graph.containment(process_graph_runtime::Containment::Required);
    match graph.spawn() {
        Ok(mut running) => {
            running.wait().unwrap();
            true
        }
        Err(Error::CgroupUnavailable { reason, .. }) => {
            assert!(
                !in_ci() || !rustix::process::geteuid().is_root(),
                "cgroups are not available to root in CI: {reason}"
            );
            skip(&format!("cgroups are not available here: {reason}"));
            false
        }
        Err(e) => panic!("the probe failed: {e}"),
    }
}

/// A fresh pseudo-terminal: its master and its slave, neither the
/// controlling terminal of this process.
pub fn pseudo_terminal() -> (OwnedFd, OwnedFd) {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let flags = OFlags::RDWR | OFlags::NOCTTY;
    let slave = rustix::fs::open(name.as_c_str(), flags, Mode::empty()).unwrap();
    (master, slave)
}

/// The first line the parent reads from `edge`, its newline included.
pub fn first_line(
    running: &mut process_graph_runtime::RunningGraph,
    edge: process_graph_runtime::EdgeId,
) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(
        running
            .take_reader(edge)
            .expect("the parent reads this edge"),
    )
    .read_line(&mut line)
    .unwrap();
    line
}

/// Takes the parent's read end of `out` and reads it to EOF.
pub fn read_to_end(
    running: &mut process_graph_runtime::RunningGraph,
    out: process_graph_runtime::EdgeId,
) -> String {
    use std::io::Read;
    let mut text = String::new();
    running
        .take_reader(out)
        .expect("the parent reads this edge")
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Set in the environment of a test re-run as uid 65534.
pub const UNPRIVILEGED: &str = "PROCESS_GRAPH_TEST_UNPRIVILEGED";

/// Each `name value` line of an attack's results, in order; notes (`# …`)
/// and lines without a number are left out.
pub fn named_values(text: &str) -> Vec<(String, i32)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (name, value) = line.split_once(' ')?;
            Some((name.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

/// Whether this process is root of the initial user namespace, which has
/// every id (root only inside a user namespace of its own maps fewer).
pub fn real_root() -> bool {
    rustix::process::geteuid().is_root()
        && fs::read_to_string("/proc/self/uid_map")
            .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

/// Runs `body` as the current user, then as uid 65534 if we are root.
pub fn as_root_and_unprivileged(test: &str, body: fn()) {
    both_runs(test, body, false);
}

/// [`as_root_and_unprivileged`], the two runs at once: for a test that
/// mostly waits (out a kernel's or the runtime's timeout), whose runs share
/// nothing, so CI waits once. The uid 65534 run is a child of this process
/// from before `body` starts until after it ends, so `body`'s counts of
/// this process's children hold it throughout.
pub fn as_root_and_unprivileged_at_once(test: &str, body: fn()) {
    both_runs(test, body, true);
}

/// `body` as the current user and, if we are root, `test` again as uid
/// 65534: started before `body` if `at_once`, else after it.
fn both_runs(test: &str, body: fn(), at_once: bool) {
    if !user_namespaces_available() {
        return;
    }
    let start = || needs_an_unprivileged_run().then(|| delegated::start_as_nobody(test, None));
    let early = if at_once { start() } else { None };
    body();
    if let Some(rerun) = if at_once { early } else { start() } {
        // The child passes when it skips too: a skip as uid 65534 (the
        // kernel lets root, but not others, create user namespaces) would
        // leave the unprivileged case unchecked.
        assert_passed_without_skipping(&rerun.output(), "as uid 65534");
    }
}

/// Whether this run is root's, whose test runs again as uid 65534.
pub fn needs_an_unprivileged_run() -> bool {
    rustix::process::geteuid().is_root() && std::env::var_os(UNPRIVILEGED).is_none()
}

/// Fails unless `output`, of a test re-run `how` (`as uid 65534`), says
/// the test ran and passed: a skipped test passes too.
pub fn assert_passed_without_skipping(output: &std::process::Output, how: &str) {
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("1 passed"),
        "{how}:\n{text}\n{errors}"
    );
    assert!(
        !text.contains(SKIP_MARKER) && !errors.contains(SKIP_MARKER),
        "{how} the test skipped instead of running:\n{text}\n{errors}"
    );
}

/// The arguments that make `setpriv` (util-linux) run the program given
/// next as uid and gid 65534, with no supplementary groups: another local
/// user. Needs root.
pub const SETPRIV_TO_65534: [&str; 6] = [
    "--reuid",
    "65534",
    "--regid",
    "65534",
    "--clear-groups",
    "--",
];

/// `command` dropped by the runtime (`Command::uid`, `gid`, `groups`) to
/// `uid`, with the same gid and no supplementary groups. Needs root.
pub fn dropped_to(command: Command, uid: u32) -> Command {
    command.uid(uid).gid(uid).groups(&[])
}

/// [`dropped_to`] uid 65534: another local user.
pub fn dropped_to_65534(command: Command) -> Command {
    dropped_to(command, 65534)
}

/// `setpriv` set to run the program given next as uid 65534
/// ([`SETPRIV_TO_65534`]).
pub fn as_uid_65534() -> std::process::Command {
    let mut setpriv = std::process::Command::new("setpriv");
    setpriv.args(SETPRIV_TO_65534);
    setpriv
}

/// A copy of this test binary in a fresh directory of the temp dir, both
/// readable and executable by anyone; the directory goes when the copy is
/// dropped, also when the test fails.
///
/// `cp` writes the copy, not this process: other tests of this binary spawn
/// children all the time, and one cloned while this process held the copy
/// open for writing keeps that fd until its exec closes it (a scope's init,
/// which never execs, until the end of its set-up). Executing the copy in
/// that window fails with ETXTBSY ("Text file busy").
pub fn unprivileged_copy_of_this_binary() -> BinaryCopy {
    use std::os::unix::fs::PermissionsExt;
    static COPIES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("pg-test-bin-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("test-binary");
    let status = std::process::Command::new("cp")
        .arg(std::env::current_exe().unwrap())
        .arg(&copy)
        .status()
        .expect("cp runs");
    assert!(status.success(), "cp of this binary failed: {status}");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    BinaryCopy(copy)
}

/// The path of an [`unprivileged_copy_of_this_binary`]; removes its
/// directory when dropped.
pub struct BinaryCopy(PathBuf);

impl std::ops::Deref for BinaryCopy {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for BinaryCopy {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for BinaryCopy {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Whether this kernel lets us create a user namespace; says why not. In CI
/// (`CI` set) a refusal fails the test instead: there it must not skip.
pub fn user_namespaces_available() -> bool {
    let mut graph = Graph::new();
    let scope = graph.scope("probe", ScopeSpec::new([Namespace::User]));
    graph.node_with(
        "probe",
        Command::new("true"),
        NodeOptions::new().scope(scope),
    );
    match graph.spawn() {
        Ok(mut running) => {
            running.wait().unwrap();
            true
        }
        // Only the kernel's refusal to make the namespace: any other failure
        // of a scope is a failure of the runtime, not a reason to skip.
        Err(e) if kernel_refused(&e) => {
            assert!(
                !in_ci(),
                "the kernel refuses user namespaces (as uid {}), and CI must not skip: {e}",
                rustix::process::geteuid().as_raw()
            );
            skip(&format!("the kernel refuses user namespaces here: {e}"));
            false
        }
        Err(e) => {
            panic!("the probe scope failed for another reason than the kernel's refusal: {e}")
        }
    }
}

/// Whether `e` is the kernel refusing to make a scope's namespaces (as
/// `user.max_user_namespaces = 0`, a disabled unprivileged clone or a
/// security module do), not a failure of the runtime.
fn kernel_refused(e: &Error) -> bool {
    matches!(
        e,
        Error::Scope { step: "clone3", source, .. } if matches!(
            source.raw_os_error(),
            Some(libc::EPERM | libc::EACCES | libc::ENOSPC | libc::EINVAL)
        )
    )
}

/// The `NOTIFY_SOCKET` in the environment of process `pid`, once it has
/// executed its program (before, it shows the application's environment).
pub fn notify_socket_of(pid: u32) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let found = environ
            .split(|&b| b == 0)
            .find_map(|entry| entry.strip_prefix(b"NOTIFY_SOCKET="));
        if let Some(value) = found {
            return String::from_utf8(value.to_vec()).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the node never had a NOTIFY_SOCKET"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An error and its causes, as a report (anyhow's `{:#}`) prints them:
/// each `Display`, then its `source()`'s, joined by `: `. Asserts that no
/// message repeats the message of its source, which a report would print
/// twice.
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    let mut messages = vec![error.to_string()];
    let mut next = error.source();
    while let Some(cause) = next {
        let message = cause.to_string();
        let outer = messages.last().expect("the error itself");
        assert!(
            !outer.contains(&message),
            "{outer:?} repeats its source {message:?}"
        );
        messages.push(message);
        next = cause.source();
    }
    messages.join(": ")
}

/// Starts this test binary's ignored test `helper` as an "application" (a
/// child process, `var` = `marker` in its environment) and reads its output
/// until it says `application-up` (see [`serve_until_killed`]). Returns the
/// child and what it printed up to then.
pub fn start_application(helper: &str, var: &str, marker: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut app = ignored_test(helper)
        .env(var, marker)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(app.stdout.take().unwrap());
    let mut printed = String::new();
    // libtest prints the test's name first, on the same line.
    while !printed.trim_end().ends_with("application-up") {
        assert_ne!(
            out.read_line(&mut printed).unwrap(),
            0,
            "the helper died early"
        );
    }
    (app, printed)
}

/// The end of an "application" a SIGKILL test starts as its own child: waits
/// until `running`'s node says it is ready (so each trial really has
/// something to contain), prints `application-up` for the test to read, and
/// waits to be SIGKILLed. A node not ready within 10 s panics, which the
/// test sees as the application dying early.
pub fn serve_until_killed(mut running: RunningGraph) -> ! {
    loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Ready { .. }) => break,
            Some(_) => {}
            None => panic!("the node was not ready within 10 s"),
        }
    }
    println!("\napplication-up");
    std::thread::sleep(Duration::from_secs(60));
    panic!("the application was not killed within 60 s");
}

/// The mount point of the cgroup v2 hierarchy (the tests' own reading of
/// mountinfo, not the runtime's): `/sys/fs/cgroup`, or
/// `/sys/fs/cgroup/unified` on a hybrid layout.
pub fn v2_mount() -> PathBuf {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    mountinfo
        .lines()
        .find(|line| line.contains(" - cgroup2 "))
        .and_then(|line| line.split(' ').nth(4))
        .map(PathBuf::from)
        .expect("cgroup2 is mounted")
}

/// The directory of a cgroup given as a `/proc/PID/cgroup` line `0::/path`.
pub fn cgroup_dir(line: &str) -> PathBuf {
    let path = line.trim().strip_prefix("0::").expect("a 0:: line");
    v2_mount().join(path.trim_start_matches('/'))
}

/// The cgroup v2 directory process `pid` is in, if it has one.
pub fn cgroup_of(pid: u32) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    Some(cgroup_dir(text.lines().find(|l| l.starts_with("0::"))?))
}

/// A running graph whose one node exits 1 and is restarted, over and over:
/// events keep flowing while a test adds and removes nodes.
pub fn ticking() -> RunningGraph {
    let mut graph = Graph::new();
    graph.node_with(
        "ticker",
        Command::new("sh").args(["-c", "sleep 0.01; exit 1"]),
        NodeOptions::new()
            .restart(process_graph_runtime::Restart::Always)
            .backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    graph.intensity(u32::MAX, Duration::from_secs(1));
    graph.spawn().unwrap()
}

/// The arguments that make a test binary run its ignored test `name` and
/// no other, on one thread, its output not captured; for a command that
/// runs this binary some other way than [`ignored_test`] (through `sh`, as
/// another user, as a graph's node).
pub fn ignored_test_args(name: &str) -> [&str; 5] {
    [
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
}

/// This test binary, set to run its ignored test `name` in a child process
/// ([`ignored_test_args`]): how a test runs a helper that must be a process
/// of its own (an "application", or a graph whose output is a pipe).
pub fn ignored_test(name: &str) -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(ignored_test_args(name));
    command
}

/// Runs this binary's ignored test `name` in a child process with `vars`
/// in its environment, and fails unless that test ran and passed. Returns
/// the child's stdout and stderr.
pub fn run_ignored_test(name: &str, vars: &[(&str, &str)]) -> (String, String) {
    let output = ignored_test(name)
        .envs(vars.iter().copied())
        .output()
        .expect("run this test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, run in a child process, failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// One line a [`collecting`] sink was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenLine {
    pub node: String,
    pub stream: process_graph_runtime::Stream,
    pub text: Vec<u8>,
    pub end: process_graph_runtime::LineEnd,
    pub continuation: bool,
}

impl SeenLine {
    /// Its text, invalid UTF-8 replaced.
    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }

    /// Whether it is line `text` of `node`, ended by `end`.
    pub fn is(&self, node: &str, text: &str, end: process_graph_runtime::LineEnd) -> bool {
        self.node == node && self.text == text.as_bytes() && self.end == end
    }
}

/// The lines a [`collecting`] sink was handed, in the order it was.
pub type Seen = std::sync::Arc<std::sync::Mutex<Vec<SeenLine>>>;

/// A callback that records every line it is handed, and the record. The
/// callback holds no reference to itself: a test may count who else holds
/// it (`Arc::strong_count`).
pub fn collecting_callback() -> (process_graph_runtime::Callback, Seen) {
    let seen = Seen::default();
    let into = std::sync::Arc::clone(&seen);
    let callback: process_graph_runtime::Callback = std::sync::Arc::new(move |line| {
        into.lock().unwrap().push(SeenLine {
            node: line.node().to_owned(),
            stream: line.stream(),
            text: line.text().to_vec(),
            end: line.end(),
            continuation: line.is_continuation(),
        });
    });
    (callback, seen)
}

/// A callback sink that records every line it is handed, and the record.
pub fn collecting() -> (process_graph_runtime::Sink, Seen) {
    let (callback, seen) = collecting_callback();
    (process_graph_runtime::Sink::Callback(callback), seen)
}

/// A running graph whose event loop a test turns: the runtime's
/// [`RunningGraph`] and the typed `process_graph::Running`.
pub trait EventLoop {
    type Event;
    /// The next event, waiting up to `timeout`; `None` if there was none.
    fn next_within(&mut self, timeout: Duration) -> Option<Self::Event>;
}

impl EventLoop for RunningGraph {
    type Event = Event;
    fn next_within(&mut self, timeout: Duration) -> Option<Event> {
        self.next_event(Some(timeout)).expect("next_event")
    }
}

impl<N: process_graph::GraphNode> EventLoop for process_graph::Running<N> {
    type Event = process_graph::GraphEvent<N>;
    fn next_within(&mut self, timeout: Duration) -> Option<Self::Event> {
        self.next_event(Some(timeout)).expect("next_event")
    }
}

/// Runs `running`'s event loop until `done` holds; fails if it does not
/// within 10 s, naming `what` it waited for.
pub fn run_until<R: EventLoop>(running: &mut R, what: &str, done: impl Fn(&R) -> bool) {
    run_until_seeing_what(running, what, |_| {}, done);
}

/// [`run_until`], handing each event on the way to `seen`.
pub fn run_until_seeing<R: EventLoop>(
    running: &mut R,
    seen: impl FnMut(R::Event),
    done: impl Fn(&R) -> bool,
) {
    run_until_seeing_what(running, "the awaited state", seen, done);
}

fn run_until_seeing_what<R: EventLoop>(
    running: &mut R,
    what: &str,
    mut seen: impl FnMut(R::Event),
    done: impl Fn(&R) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done(running) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 10 s"
        );
        if let Some(event) = running.next_within(Duration::from_millis(5)) {
            seen(event);
        }
    }
}

/// The ids of this process's threads.
pub fn thread_ids() -> std::collections::BTreeSet<u32> {
    fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| task.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// This process's threads that are not among `before` ([`thread_ids`]):
/// made since, and still there. A thread of `before` that has ended since
/// (an earlier graph's, winding down) is not one.
pub fn new_threads(before: &std::collections::BTreeSet<u32>) -> Vec<u32> {
    thread_ids().difference(before).copied().collect()
}

/// This process's fds ([`open_fds`]) but its pidfds, which come and go as
/// nodes start, restart and are removed.
pub fn fds_besides_pidfds() -> BTreeMap<i32, String> {
    let mut fds = open_fds();
    fds.retain(|_, target| !target.contains("pidfd"));
    fds
}

/// Makes the tests of one binary that take it run one at a time: those
/// that count the whole process's fds or children, or that must not spawn
/// while another writes a program. A test that failed holding it does not
/// fail the others.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// CPU time (user + system) the calling thread has used so far: the thread
/// that runs the event loop, when it calls.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// A node's program that slows its scope-mates' starts without stopping
/// anything: root in its scope, with a mount namespace of its own, it
/// bind-mounts a copy it owns of `/usr/bin/sleep` (or of the file named by
/// its second argument) over the real one, takes a write lease on it, and
/// says so in the file named by its first argument. An `execve` (or any
/// `open`) of that file in the scope then blocks, breaking the lease, for
/// the kernel's `lease-break-time` (45 s): asleep, not stopped.
pub const LEASE: &str = r#"
import fcntl, os, shutil, signal, sys, tempfile, time, ctypes
signal.signal(signal.SIGIO, signal.SIG_IGN)
libc = ctypes.CDLL(None, use_errno=True)
target = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/sleep"
mine = os.path.join(tempfile.mkdtemp(), "leased")
shutil.copy(target, mine)
if libc.mount(mine.encode(), target.encode(), None, 4096, None) != 0:  # MS_BIND
    sys.exit("mount failed: errno %d" % ctypes.get_errno())
fd = os.open(target, os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
open(sys.argv[1], "w").write("leased")
time.sleep(600)
"#;

/// Spawns `graph` with a node running the Python program `leaser` (such
/// as [`LEASE`]; its first argument the file it creates once its leases are
/// taken, then `args`) added in `scope` with `options`, and runs it until
/// that file exists: the running graph, the leasing node, and the
/// directory the file is in.
pub fn spawn_leased(
    mut graph: Graph,
    scope: process_graph_runtime::ScopeId,
    options: NodeOptions,
    leaser: &str,
    args: &[&str],
) -> (RunningGraph, process_graph_runtime::NodeId, TempDir) {
    let dir = TempDir::writable_by_scopes("leased");
    let leased = dir.path().join("leased");
    let leaser = graph.node_with(
        "leaser",
        Command::new("/usr/bin/python3")
            .args(["-c", leaser, leased.to_str().unwrap()])
            .args(args),
        options.scope(scope),
    );
    let mut running = graph.spawn().unwrap();
    run_until_file_exists(&mut running, &leased);
    (running, leaser, dir)
}

/// Runs `running`'s loop until `path` exists (a node says it is ready to
/// attack); fails after 10 s.
pub fn run_until_file_exists(running: &mut RunningGraph, path: &Path) {
    run_until(running, &format!("no {}", path.display()), |_| {
        path.exists()
    });
}
