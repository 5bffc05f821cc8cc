//! A node that is root in a scope with its own user and pid namespaces,
//! against the cgroup files of its graph (README, "What a user scope cannot
//! reach").
//!
//! Under an unprivileged application a scope is the application's own uid
//! outside, and the application owns every cgroup file of its graphs, so
//! root in the scope passes every permission check on them. Through the
//! host's cgroup mount it could kill the whole graph (`cgroup.kill`),
//! freeze a sibling outside its scope (whose next start, cloned into the
//! frozen cgroup, then holds the application in `clone3`), move itself out
//! of its cgroup, or nest cgroups deeper than removal walks. The runtime's
//! answer: such a scope sees no cgroup hierarchy (each covered by an empty
//! read-only tmpfs) and no `/proc` of processes outside, its mounts are
//! locked, every graph cgroup has `cgroup.max.depth` 16, and its nodes get
//! a fresh cgroup at every start.
//!
//! Each test starts an "application" (a copy of this test binary, in a
//! fresh cgroup of its own, as the current user and, when the suite runs as
//! root, as uid 65534 in a cgroup delegated to it). Its graph, with
//! `Containment::Required`: an attacker (this binary again) and a sleeping
//! scope-mate in the scope, and a victim outside it that is restarted
//! whenever it ends. The attacker finds the cgroup files the way a real one
//! would — the `cgroup2` mount points in `/proc/self/mountinfo` (and
//! `/sys/fs/cgroup`, `/sys/fs/cgroup/unified`), joined with its path in
//! `/proc/self/cgroup`, or found by the `cgroup.procs` that lists it — tries
//! every way at them and writes `attack errno` lines (`0`: it worked) to a
//! file. Then the application checks that the victim still runs, SIGKILLs
//! it and requires its restart within 5 s, does the same to the attacker
//! (which may have frozen its own cgroup), and says `application-up`; the
//! test SIGKILLs it and counts what is left: live processes of the graph
//! and cgroups named `process-graph-<pid>-…`.
//!
//! The attacks, in the order run — those that leave the attacker alive
//! whatever happens first, so that on a runtime with the hole the report
//! shows every one that works before `graph-kill` ends the graph:
//!
//! - `app-procs-self`: a child writes `0` to the application cgroup's
//!   `cgroup.procs` (moving itself out of the graph);
//! - `mount-cgroup2`: a `cgroup2` mount of the attacker's own;
//! - `sibling-freeze`: `1` to the victim's `cgroup.freeze`;
//! - `nest-deep`: 20 nested `mkdir`s in its own cgroup, through the host's
//!   mount (`nest-deep-depth`: how deep it got);
//! - `graph-kill`: `1` to the graph's `cgroup.kill`;
//! - `umount-cgroup`: `umount2` of every `cgroup`/`cgroup2` mount point and
//!   `/sys/fs/cgroup`, then `graph-kill-after-umount`;
//! - `umount-proc`: `umount2("/proc")`, then `graph-kill-after-umount-proc`
//!   through `/proc/PID/root` of any pid;
//! - `new-mount-ns`: a child in a mount namespace of its own unmounts the
//!   covers and `/proc` (`new-mount-ns-umount`), then kills the graph;
//! - `setns-mnt`: a child enters the mount namespace of any process it can
//!   see that is not its own (the scope's first, unlocked one, say),
//!   unmounts there and kills the graph;
//! - `second-proc`: a listing of pid 1 in a second `proc` mount that the
//!   application (run as root) has, as a chroot or build root would: it
//!   shows every process of the machine, so it must be covered;
//! - `proc-file`: a read of a `proc` file the application has bind-mounted
//!   onto a file in the scratch directory: covered by `/dev/null`;
//! - `proc-root-escape`: the graph's `cgroup.kill` through
//!   `PROC/PID/root/<cgroup mount>/…` of every pid, through every `proc`
//!   mount;
//! - `own-cgroupns`: a child makes a cgroup namespace of its own and mounts
//!   `cgroup2` (this may work: it shows the node's own cgroup and below),
//!   nests 20 `mkdir`s in it (`own-cgroupns-depth`) — and, after the
//!   attacker said it is ready, the attacker writes `1` to the mount's
//!   `cgroup.freeze` (`own-cgroupns-freeze`), freezing its own cgroup: its
//!   restart, and its liveness probe's next attempts, must not hang.
//!
//! And a hostile exec probe, the readiness probe of a scope-mate: each
//! attempt makes a cgroup namespace, mounts its view in the scratch
//! directory and freezes it (`hostile-probe-freeze`). The next attempts
//! must not hang the application: none may be cloned into a cgroup that an
//! earlier attempt, or the node, has been in.
//!
//! The application's fresh cgroup keeps an attack that works from reaching
//! anything but the test's own processes, and is killed and removed after
//! each case.

mod common;

use std::collections::{BTreeSet, VecDeque};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio as StdStdio;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::app_cgroup::{AppCgroup, User, users};
use common::{live_marked_processes, marked, unique_marker};
use process_graph_runtime::{
    Command, Containment, Decision, Event, Graph, Namespace, NodeId, NodeOptions, Probe,
    ProbeResult, Readiness, Restart, RunningGraph, ScopeId, ScopeSpec, Stdio,
};

/// In the application's environment: which attacker it runs.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_SCOPE_CGROUP_APPLICATION";
/// In the application's environment: the marker of its nodes.
const MARKER: &str = "PROCESS_GRAPH_TEST_SCOPE_CGROUP_MARKER";
/// Inherited by the attacker: the file it writes `attack errno` lines to.
const RESULTS: &str = "PROCESS_GRAPH_TEST_SCOPE_CGROUP_RESULTS";
/// Inherited by the attacker: a directory any uid may write, for its
/// mount points (in the temp dir, `/tmp`).
const SCRATCH: &str = "PROCESS_GRAPH_TEST_SCOPE_CGROUP_SCRATCH";

/// How deep a node may nest cgroups below its own: the graph's cgroup has
/// `cgroup.max.depth` 16, the depth removal walks, and the node's cgroup is
/// the first of those 16 levels.
const MAX_NESTED: i32 = 15;

/// Who the attacker is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Attacker {
    /// Root in a user+pid scope.
    UserAndPid,
    /// Root in a scope of all six namespaces.
    AllSix,
    /// Root in a pid scope nested in a user+net scope (as a child's pid
    /// scope in a pool's, `#[children(scope = ...)]`): in a user namespace
    /// it does not own.
    PidInUserNet,
}

impl Attacker {
    fn name(self) -> &'static str {
        match self {
            Attacker::UserAndPid => "pid-scope",
            Attacker::AllSix => "full-scope",
            Attacker::PidInUserNet => "nested-pid-scope",
        }
    }

    /// Declares the attacker's scope (and the one it nests in) in `graph`.
    fn declare(self, graph: &mut Graph) -> ScopeId {
        match self {
            Attacker::UserAndPid => {
                graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Pid]))
            }
            Attacker::AllSix => graph.scope("box", ScopeSpec::new(Namespace::ALL)),
            Attacker::PidInUserNet => {
                let pool = graph.scope("pool", ScopeSpec::new([Namespace::User, Namespace::Net]));
                graph.scope("box", ScopeSpec::new([Namespace::Pid]).parent(pool))
            }
        }
    }

    fn from_name(name: &str) -> Attacker {
        [
            Attacker::UserAndPid,
            Attacker::AllSix,
            Attacker::PidInUserNet,
        ]
        .into_iter()
        .find(|a| a.name() == name)
        .unwrap_or_else(|| panic!("no attacker {name:?}"))
    }
}

/// What a result line may say.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// One of these errnos (`0`: it worked).
    Errnos(&'static [i32]),
    /// A depth no greater than this.
    AtMost(i32),
}

impl Expect {
    fn allows(self, value: i32) -> bool {
        match self {
            Expect::Errnos(allowed) => allowed.contains(&value),
            Expect::AtMost(max) => (0..=max).contains(&value),
        }
    }
}

/// A cgroup file out of sight (`ENOENT`: every hierarchy is covered by an
/// empty tmpfs, so no path leads to the file), or in sight but another
/// uid's (`EACCES`: under a root application the scope is an unprivileged
/// uid of its own outside, and the files are root's — refused before the
/// fix too). `EACCES` also where the way there is a `/proc/PID` entry the
/// ptrace check refuses (the scope's init, or a process outside), and is
/// reported before an `ENOENT` of another try (see [`Tries::errno`]).
const OUT_OF_REACH: &[i32] = &[libc::ENOENT, libc::EACCES];

/// Every result line the attacker writes, in order, and what it may say.
const EXPECTED: &[(&str, Expect)] = &[
    // The application's `cgroup.procs`, out of sight or another uid's.
    ("app-procs-self", Expect::Errnos(OUT_OF_REACH)),
    // A `cgroup2` mount needs CAP_SYS_ADMIN in the user namespace that owns
    // the cgroup namespace: without one of its own, the host's (EPERM).
    ("mount-cgroup2", Expect::Errnos(&[libc::EPERM])),
    ("sibling-freeze", Expect::Errnos(OUT_OF_REACH)),
    // Its own cgroup, seen through the host's mount: out of sight.
    ("nest-deep", Expect::Errnos(OUT_OF_REACH)),
    ("nest-deep-depth", Expect::AtMost(MAX_NESTED)),
    ("graph-kill", Expect::Errnos(OUT_OF_REACH)),
    // The covers are locked (EINVAL: MNT_LOCKED, or no mount there); EPERM
    // where the mount namespace is not the scope's to change at all.
    (
        "umount-cgroup",
        Expect::Errnos(&[libc::EINVAL, libc::EPERM]),
    ),
    ("graph-kill-after-umount", Expect::Errnos(OUT_OF_REACH)),
    // The fresh `/proc` is locked as well (before the fix, in a scope with
    // a mount namespace of its own, it was not, and this worked).
    ("umount-proc", Expect::Errnos(&[libc::EINVAL, libc::EPERM])),
    ("graph-kill-after-umount-proc", Expect::Errnos(OUT_OF_REACH)),
    // A copy of a mount namespace keeps its mounts locked (EINVAL); EPERM
    // if the copy itself is refused.
    (
        "new-mount-ns-umount",
        Expect::Errnos(&[libc::EINVAL, libc::EPERM]),
    ),
    (
        "new-mount-ns",
        Expect::Errnos(&[libc::ENOENT, libc::EACCES, libc::EPERM]),
    ),
    // No mount namespace but its own in sight (ENOENT), or one it may not
    // open or enter (EACCES from the ptrace check on `/proc/PID/ns/mnt`,
    // EPERM from `setns`).
    (
        "setns-mnt",
        Expect::Errnos(&[libc::ENOENT, libc::EACCES, libc::EPERM]),
    ),
    // Covered by an empty tmpfs: there is no `1` in it. ENODEV: not set up,
    // the test is not real root (as root a problem of its own, below).
    ("second-proc", Expect::Errnos(&[libc::ENOENT, libc::ENODEV])),
    // Covered by `/dev/null` on a `nodev` mount; ENODEV as above.
    ("proc-file", Expect::Errnos(&[libc::EACCES, libc::ENODEV])),
    // `/proc/PID/root` of a process outside: not in the scope's `/proc`,
    // or refused by the ptrace check (EACCES); its own: covered.
    ("proc-root-escape", Expect::Errnos(OUT_OF_REACH)),
    // The directory of the leaf the carried program clones a node (or a
    // probe attempt) into is the program's alone: close-on-exec, so no
    // directory reaches the node through an inherited fd.
    ("inherited-dirs", Expect::AtMost(0)),
    ("hostile-probe-inherited-dirs", Expect::AtMost(0)),
    // May work: a cgroup namespace of its own shows its node's cgroup and
    // below, nothing of the graph; EPERM where the mount namespace is not
    // the scope's (no mount namespace of its own).
    ("own-cgroupns", Expect::Errnos(&[0, libc::EPERM])),
    // `mkdir` stops at the graph's `cgroup.max.depth` (EAGAIN), or at once
    // under a root application, whose cgroups are root's.
    ("own-cgroupns-depth", Expect::AtMost(MAX_NESTED)),
    // May work: the node freezes its own cgroup (the attacker writes it
    // from outside that cgroup namespace, so `nsdelegate` does not stop it
    // either), and its restart, in a fresh cgroup, must not hang. EACCES
    // under a root application, ENOENT without the mount, EPERM a refusal
    // all the same.
    (
        "own-cgroupns-freeze",
        Expect::Errnos(&[0, libc::EPERM, libc::EACCES, libc::ENOENT]),
    ),
    // May work, the same way, from a probe attempt's own cgroup namespace;
    // the attempts after it must still run.
    (
        "hostile-probe-freeze",
        Expect::Errnos(&[0, libc::EPERM, libc::EACCES, libc::ENOENT]),
    ),
];

/// The directory in the scratch directory where the application has a
/// second `proc` mount (when the test runs as root).
const SECOND_PROC: &str = "second-proc";

/// The file in the scratch directory where the application has a `proc`
/// file bind-mounted (when the test runs as root).
const PROC_FILE: &str = "proc-file";

/// The application's deadline for a node's restart after its SIGKILL.
const RESTART_TIMEOUT: Duration = Duration::from_secs(5);

/// A user+pid scope of a delegated unprivileged application is the
/// application's uid outside: it must still reach no cgroup file of its
/// graph, and nothing it does may hang a restart or leave a cgroup behind.
#[test]
fn a_node_root_in_a_user_and_pid_scope_cannot_reach_its_graphs_cgroups() {
    attack_and_kill(Attacker::UserAndPid);
}

/// As above, from a scope of all six namespaces (its mount namespace
/// declared, with no cgroup namespace among them).
#[test]
fn a_node_root_in_a_scope_of_all_six_namespaces_cannot_reach_its_graphs_cgroups() {
    attack_and_kill(Attacker::AllSix);
}

/// As above, from a pid scope whose user namespace is an enclosing
/// scope's, which has no pid namespace and so no locked mount table.
#[test]
fn a_node_root_in_a_pid_scope_nested_in_a_user_scope_cannot_reach_its_graphs_cgroups() {
    attack_and_kill(Attacker::PidInUserNet);
}

/// Runs the case as each user; fails with every user's problems. Says why
/// and goes on where a user's case cannot run.
fn attack_and_kill(attacker: Attacker) {
    let problems = common::within(
        Duration::from_secs(150),
        "an attack on the graph's cgroups",
        move || {
            let mut problems = Vec::new();
            for user in users() {
                let Some(cgroup) = AppCgroup::new("scope-cgroup", user == User::Nobody) else {
                    continue;
                };
                let Some(outcome) = run_application(attacker, user, &cgroup) else {
                    continue;
                };
                outcome.report(attacker, user);
                let found = outcome.problems();
                if !found.is_empty() {
                    problems.extend(found.into_iter().map(|p| format!("as {user:?}: {p}")));
                    problems.extend(outcome.details.iter().map(|d| format!("  {d}")));
                }
            }
            problems
        },
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What one case saw.
struct Outcome {
    /// Each result line's value, in order.
    results: Vec<(String, i32)>,
    /// The attacker's notes on each try (`# attack target errno`).
    details: Vec<String>,
    /// What the application found wrong (its `problem` and `hung` lines).
    app_problems: Vec<String>,
    /// Whether the application said `application-up`.
    up: bool,
    /// Live processes of the graph after the application's SIGKILL.
    survivors: usize,
    /// Graph cgroups left after it.
    cgroups_left: usize,
}

impl Outcome {
    fn report(&self, attacker: Attacker, user: User) {
        let results: Vec<String> = self
            .results
            .iter()
            .map(
                |(name, value)| match name.ends_with("-depth") || name.ends_with("-dirs") {
                    true => format!("{name}={value}"),
                    false => format!("{name}={}", errno_name(*value)),
                },
            )
            .collect();
        // Written past libtest's capture, so the figures show.
        let _ = writeln!(
            std::io::stderr(),
            "{} attacker, application as {user:?}: {}; application: {}; after SIGKILL of the \
             application: {} surviving processes, {} cgroups",
            attacker.name(),
            results.join(" "),
            match (self.up, self.app_problems.is_empty()) {
                (true, true) => "up, no problem".to_owned(),
                (up, _) => format!(
                    "{}{:?}",
                    if up { "up, " } else { "never up, " },
                    self.app_problems
                ),
            },
            self.survivors,
            self.cgroups_left,
        );
    }

    /// What went against the guarantee, one line each.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut missing = Vec::new();
        if common::real_root() {
            let not_set_up = ["second-proc", "proc-file"]
                .into_iter()
                .filter(|attack| self.results.contains(&((*attack).to_owned(), libc::ENODEV)));
            for attack in not_set_up {
                problems.push(format!("{attack}: the application's mount was not there"));
            }
        }
        for (name, expect) in EXPECTED {
            // The last line of a name counts (the application may add one).
            match self.results.iter().rev().find(|(n, _)| n == name) {
                None => missing.push(*name),
                Some((_, value)) if !expect.allows(*value) => problems.push(match expect {
                    Expect::Errnos(allowed) => format!(
                        "{name}: {} (wanted one of {:?})",
                        describe(*value),
                        allowed.iter().map(|e| errno_name(*e)).collect::<Vec<_>>()
                    ),
                    Expect::AtMost(max) => format!("{name}: {value} (wanted at most {max})"),
                }),
                Some(_) => {}
            }
        }
        if !missing.is_empty() {
            // The last attack it began, if it never finished it.
            let began = self
                .details
                .iter()
                .rev()
                .find_map(|d| d.strip_prefix("# trying "));
            let ended = match began {
                Some(name) if !self.results.iter().any(|(n, _)| n == name) => {
                    format!("it died during {name}, which must have worked")
                }
                _ => "its application ended first".to_owned(),
            };
            problems.push(format!("the attacker never got to {missing:?}: {ended}"));
        }
        problems.extend(self.app_problems.iter().cloned());
        if !self.up {
            problems.push("the application never said application-up".to_owned());
        }
        if (self.survivors, self.cgroups_left) != (0, 0) {
            problems.push(format!(
                "after SIGKILL of the application {} processes and {} cgroups are left",
                self.survivors, self.cgroups_left
            ));
        }
        problems
    }
}

fn describe(errno: i32) -> String {
    match errno {
        0 => "it worked".to_owned(),
        _ => format!(
            "{} ({})",
            errno_name(errno),
            std::io::Error::from_raw_os_error(errno)
        ),
    }
}

fn errno_name(errno: i32) -> String {
    match errno {
        0 => "worked".to_owned(),
        libc::ENOENT => "ENOENT".to_owned(),
        libc::EACCES => "EACCES".to_owned(),
        libc::EPERM => "EPERM".to_owned(),
        libc::EINVAL => "EINVAL".to_owned(),
        libc::EROFS => "EROFS".to_owned(),
        libc::EAGAIN => "EAGAIN".to_owned(),
        libc::EBUSY => "EBUSY".to_owned(),
        libc::ESRCH => "ESRCH".to_owned(),
        libc::ENOTDIR => "ENOTDIR".to_owned(),
        libc::ENODEV => "ENODEV".to_owned(),
        other => format!("errno {other}"),
    }
}

/// Runs the application in a mount namespace of its own with a second
/// `proc` mount at `dir`, as a chroot or build root has: one that shows
/// every process of the machine, and `/proc/loadavg` at the file
/// [`PROC_FILE`]. And with `/proc/sys` and `/proc/loadavg`
/// bind-mounted read-only onto themselves, as a Docker or Podman container
/// has `/proc/sys` and `/proc/sysrq-trigger` (not on every kernel): `proc`
/// mounts below `/proc`, one of them a file, which the scope's fresh
/// `/proc` hides, and which must not fail the scope.
fn with_a_second_proc(command: &mut std::process::Command, scratch: &Path) {
    use std::os::unix::process::CommandExt;
    let dir = scratch.join(SECOND_PROC);
    std::fs::create_dir(&dir).unwrap();
    let file = scratch.join(PROC_FILE);
    std::fs::write(&file, "").unwrap();
    let (dir, file) = (c_path(&dir), c_path(&file));
    let check = |ret: i32| match ret {
        -1 => Err(std::io::Error::last_os_error()),
        _ => Ok(()),
    };
    // SAFETY: between fork and exec, only syscalls on strings made before.
    unsafe {
        command.pre_exec(move || {
            check(libc::unshare(libc::CLONE_NEWNS))?;
            let private = libc::MS_REC | libc::MS_PRIVATE;
            let none = std::ptr::null();
            check(libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                none,
                private,
                none.cast(),
            ))?;
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            let proc = c"proc".as_ptr();
            check(libc::mount(proc, dir.as_ptr(), proc, flags, none.cast()))?;
            for path in [c"/proc/sys", c"/proc/loadavg"] {
                let path = path.as_ptr();
                check(libc::mount(path, path, none, libc::MS_BIND, none.cast()))?;
                let read_only = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
                check(libc::mount(none, path, none, read_only, none.cast()))?;
            }
            let loadavg = c"/proc/loadavg".as_ptr();
            check(libc::mount(
                loadavg,
                file.as_ptr(),
                none,
                libc::MS_BIND,
                none.cast(),
            ))
        })
    };
}

/// Starts the application in `cgroup`, reads what it says until
/// `application-up` (or a hang, or its end), SIGKILLs it and counts what is
/// left. `None` when it says why it cannot run here (a user namespace
/// refused).
fn run_application(attacker: Attacker, user: User, cgroup: &AppCgroup) -> Option<Outcome> {
    let copy = common::unprivileged_copy_of_this_binary();
    let scratch = common::TempDir::writable_by_scopes("scope-cgroup-attack");
    let results = scratch.path().join("results");
    std::fs::write(&results, "").unwrap();
    std::fs::set_permissions(&results, std::fs::Permissions::from_mode(0o666)).unwrap();
    let marker = unique_marker(attacker.name());
    let mut app = cgroup.command(user == User::Nobody);
    if common::real_root() {
        with_a_second_proc(&mut app, scratch.path());
    }
    let mut app = app
        .arg(&*copy)
        .args(common::ignored_test_args("scope_cgroup_application"))
        .env(APPLICATION, attacker.name())
        .env(MARKER, &marker)
        .env(RESULTS, &results)
        .env(SCRATCH, scratch.path())
        .current_dir("/")
        .stdout(StdStdio::piped())
        .spawn()
        .expect("sh runs");
    let app_pid = app.id() as i32;
    // Read on a thread of its own: an application that hangs (in `clone3`,
    // say) must fail the case, not hang the test.
    let (lines, said) = mpsc::channel();
    let out = BufReader::new(app.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut up, mut app_problems) = (false, Vec::new());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match said.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => break, // it died
            Err(mpsc::RecvTimeoutError::Timeout) => {
                app_problems.push("the application said nothing more for 60 s".to_owned());
                break;
            }
        };
        let line = line.trim();
        if let Some(reason) = line.strip_prefix("skip ") {
            assert!(!common::in_ci(), "CI must not skip: {reason}");
            common::skip(&format!("as {user:?}: {reason}"));
            let _ = app.kill();
            let _ = app.wait();
            return None;
        }
        if let Some(problem) = line.strip_prefix("problem ") {
            app_problems.push(problem.to_owned());
        }
        if let Some(step) = line.strip_prefix("hung ") {
            app_problems.push(format!("the application hung: {step}"));
            break;
        }
        if line.ends_with("application-up") {
            up = true;
            break;
        }
    }
    let _ = app.kill();
    app.wait().unwrap();
    // The watcher's work takes a moment: wait for it, a while at most.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (survivors, cgroups_left) = loop {
        let counts = (
            live_marked_processes(&marker).len(),
            cgroup.graph_cgroups_of(app_pid).len(),
        );
        if counts == (0, 0) || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = std::fs::read_to_string(&results).unwrap();
    Some(Outcome {
        results: common::named_values(&text),
        details: text
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        app_problems,
        up,
        survivors,
        cgroups_left,
    })
}

/// The application: runs the attacker, a scope-mate and the victim; once
/// the attacker is done, checks the victim, SIGKILLs it and then the
/// attacker, each of whose restarts must come within 5 s. Prints a
/// `problem …` line for whatever is wrong, `hung …` (from a watchdog
/// thread) if its event loop is stuck, and `application-up` at the end;
/// then waits to be SIGKILLed.
#[test]
#[ignore = "the application of the tests above, run in a copy of this binary"]
fn scope_cgroup_application() {
    let Some(attacker) = std::env::var_os(APPLICATION) else {
        return; // Only meaningful when started by the tests above.
    };
    let attacker = Attacker::from_name(attacker.to_str().unwrap());
    let marker = std::env::var(MARKER).unwrap();
    let results = PathBuf::from(std::env::var_os(RESULTS).unwrap());
    let scratch = PathBuf::from(std::env::var_os(SCRATCH).unwrap());
    if !common::user_namespaces_available() {
        println!("\nskip the kernel refuses user namespaces");
        return;
    }
    let watchdog = Watchdog::start();
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    graph.intensity(100, Duration::from_secs(10));
    let scope = attacker.declare(&mut graph);
    let restarted = || {
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .restart(Restart::Always)
            .backoff(Duration::from_millis(10), Duration::from_millis(10))
    };
    let attacker_node = graph.node_with(
        "attacker",
        marked(
            Command::new(std::env::current_exe().unwrap())
                .args(common::ignored_test_args("scope_cgroup_attacker"))
                .stdout(Stdio::Null),
            &marker,
        ),
        // A probe that always fails, often, and never kills: its attempts
        // after the attacker froze its cgroup show none of them is cloned
        // into that cgroup (where `clone3` would hang the application).
        restarted().scope(scope).live_probe(
            Probe::exec(["false"])
                .period(Duration::from_millis(50))
                .failure_threshold(1_000_000),
        ),
    );
    let exe = std::env::current_exe().unwrap();
    let hostile_probe = std::iter::once(exe.to_str().unwrap())
        .chain(common::ignored_test_args("scope_cgroup_hostile_probe"));
    let prober = graph.node_with(
        "mate",
        marked(Command::new("sleep").arg("600"), &marker),
        NodeOptions::new().scope(scope).ready_probe(
            Probe::exec(hostile_probe)
                .period(Duration::from_millis(50))
                .timeout(Duration::from_millis(300)),
        ),
    );
    // One process, so its cgroup is empty (and not killed) once it is
    // SIGKILLed: its restart reuses the cgroup, frozen or not.
    let victim = graph.node_with(
        "victim",
        marked(
            Command::new("sh").args(["-c", "echo >&3; exec sleep 600"]),
            &marker,
        ),
        restarted(),
    );
    // The event loop may hang in a syscall (a start cloned into a frozen
    // cgroup), where no timeout of its own fires.
    watchdog.arm("the spawn and the attacks", Duration::from_secs(40));
    let mut running = match graph.spawn() {
        Ok(running) => running,
        Err(e) => {
            problem(&format!("the graph did not start: {e}"));
            return;
        }
    };
    wait_for_the_attacks(&mut running, attacker_node, victim, &scratch.join("go"));
    watchdog.disarm();
    see_it_runs_in_a_leaf(&running, attacker_node);
    settle_the_freeze(&running, attacker_node, &results);
    see_the_probes_run(&mut running, attacker_node, prober, &watchdog);
    for (node, name) in [(victim, "victim"), (attacker_node, "attacker")] {
        kill_and_see_it_restart(&mut running, node, name, &watchdog);
    }
    println!("\napplication-up");
    std::thread::sleep(Duration::from_secs(60));
    panic!("the application was not killed within 60 s");
}

/// Prints a `problem` line for the test.
fn problem(text: &str) {
    println!("\nproblem {text}");
    let _ = std::io::stdout().flush();
}

/// Runs the event loop until the victim is ready, tells the attacker to
/// start (the file `go` in the scratch directory: it attacks a graph that
/// is all up), and runs it on until the attacker is done (ready, or ended
/// for good); a `problem` for the victim's end meanwhile.
fn wait_for_the_attacks(running: &mut RunningGraph, attacker: NodeId, victim: NodeId, go: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut victim_up, mut done) = (false, false);
    while !(victim_up && done) {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.next_event(Some(left)).unwrap() {
            Some(Event::Ready { node }) if node == victim => {
                if !victim_up {
                    std::fs::write(go, "").unwrap();
                }
                victim_up = true;
            }
            Some(Event::Ready { node }) if node == attacker => done = true,
            Some(Event::Exited { node, status, .. }) if node == victim => {
                problem(&format!("the victim ended during the attacks: {status:?}"));
            }
            Some(Event::Exited { node, decision, .. }) if node == attacker => {
                if !matches!(decision, Decision::Restart { .. }) {
                    done = true;
                }
            }
            Some(Event::StartFailed { node, error }) => {
                problem(&format!("a node could not start again: {error}"));
                victim_up |= node == victim;
                done |= node == attacker;
            }
            Some(_) => {}
            None => {
                problem("the attacker was not done within 30 s");
                return;
            }
        }
    }
}

/// The attacker freezes its own cgroup, if it can, after it said it is
/// ready, and cannot say so afterwards: waits until it wrote its result
/// or its cgroup is frozen, and in the latter case writes `0` for it.
fn settle_the_freeze(running: &RunningGraph, attacker: NodeId, results: &Path) {
    let reached = |prefix: &str| {
        std::fs::read_to_string(results).is_ok_and(|t| t.lines().any(|l| l.starts_with(prefix)))
    };
    if !reached("own-cgroupns-depth ") {
        return; // It never got there.
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if reached("own-cgroupns-freeze ") {
            return;
        }
        let frozen = running
            .pid(attacker)
            .and_then(common::cgroup_of)
            .is_some_and(|dir| {
                let events = std::fs::read_to_string(dir.join("cgroup.events"));
                events.is_ok_and(|e| e.lines().any(|l| l == "frozen 1"))
            });
        if frozen {
            worked_for_it(results, "own-cgroupns-freeze");
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Under an unprivileged application, whose uid the scope's processes are
/// outside, requires the attacker to run in a leaf (`…/<n>.attacker/runN`)
/// of its node's cgroup, not in the cgroup itself: its limits are on the
/// cgroup above, which a cgroup namespace of its own does not show (a
/// `problem` otherwise). Under a root application it runs in the node's
/// cgroup itself.
fn see_it_runs_in_a_leaf(running: &RunningGraph, attacker: NodeId) {
    if rustix::process::geteuid().is_root() {
        return;
    }
    let Some(pid) = running.pid(attacker) else {
        return; // Not running: `kill_and_see_it_restart` says so.
    };
    let Some(dir) = common::cgroup_of(pid) else {
        return problem(&format!("the attacker ({pid}) has no cgroup v2 path"));
    };
    let name = |dir: Option<&Path>| {
        let name = dir.and_then(Path::file_name).unwrap_or_default();
        name.to_string_lossy().into_owned()
    };
    let (leaf, node) = (name(Some(&dir)), name(dir.parent()));
    if !(leaf.starts_with("run") && node.ends_with(".attacker")) {
        problem(&format!(
            "the attacker runs in {}, not in a leaf of its node's cgroup",
            dir.display()
        ));
    }
}

/// Requires three more attempts of the attacker's liveness probe
/// (`false`), from when it froze its cgroup (if it could), and of the
/// mate's hostile readiness probe within 5 s — attempts whose command ran:
/// exited 1, or (the hostile one, frozen) timed out. The watchdog reports
/// an event loop stuck in a probe's `clone3`. Under uid 65534 each attempt
/// of the mate has a leaf of its own, and what one left there is killed
/// and removed: no more than two are left at the end.
fn see_the_probes_run(
    running: &mut RunningGraph,
    attacker: NodeId,
    prober: NodeId,
    watchdog: &Watchdog,
) {
    watchdog.arm("the probes", Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(5);
    let exited_1 = ProbeResult::Failed("its command exited with code 1".into());
    let (mut attacker_ran, mut prober_ran) = (0, 0);
    while attacker_ran < 3 || prober_ran < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.next_event(Some(left)).unwrap() {
            Some(Event::ProbeFailed { node, result, .. }) if node == attacker => {
                attacker_ran += usize::from(result == exited_1);
            }
            Some(Event::ProbeFailed { node, result, .. }) if node == prober => {
                prober_ran += usize::from(result == exited_1 || result == ProbeResult::TimedOut);
            }
            Some(_) => {}
            None => {
                problem(&format!(
                    "within 5 s the attacker's probe ran {attacker_ran} times and the \
                     hostile probe {prober_ran} times, not 3 each"
                ));
                break;
            }
        }
    }
    watchdog.disarm();
    if let Some(left) = probe_leaves_of(running, prober).filter(|leaves| leaves.len() > 2) {
        problem(&format!("the hostile probe's attempts left {left:?}"));
    }
}

/// The attempts' leaves (`probe<k>`) in node `node`'s cgroup, if it runs
/// in a leaf of it (under an unprivileged application).
fn probe_leaves_of(running: &RunningGraph, node: NodeId) -> Option<Vec<String>> {
    let dir = common::cgroup_of(running.pid(node)?)?;
    let leaves = std::fs::read_dir(dir.parent()?).ok()?;
    let names = leaves
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned());
    Some(names.filter(|n| n.starts_with("probe")).collect())
}

/// Writes `<attack> 0` into the results for an attacker that froze itself
/// by its attack, and so cannot.
fn worked_for_it(results: &Path, attack: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(results)
        .unwrap();
    file.write_all(format!("{attack} 0\n").as_bytes()).unwrap();
}

/// SIGKILLs `node` (which must be running) and requires its next start
/// within [`RESTART_TIMEOUT`]; the watchdog reports an event loop stuck
/// on the way (in `clone3` into a frozen cgroup).
fn kill_and_see_it_restart(
    running: &mut RunningGraph,
    node: NodeId,
    name: &str,
    watchdog: &Watchdog,
) {
    let Some(pid) = running.pid(node) else {
        problem(&format!("the {name} is not running after the attacks"));
        return;
    };
    if !common::proc_stat(pid as i32).is_some_and(|p| p.is_live()) {
        problem(&format!("the {name} ({pid}) is gone after the attacks"));
        return;
    }
    watchdog.arm(&format!("the {name}'s restart"), RESTART_TIMEOUT * 2);
    // SAFETY: a signal to the node's own process, which the graph has not
    // reaped (it holds its pidfd).
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let deadline = Instant::now() + RESTART_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match running.next_event(Some(left)).unwrap() {
            Some(Event::Started { node: n, .. }) if n == node => break,
            Some(Event::StartFailed { node: n, error }) if n == node => {
                problem(&format!("the {name} could not start again: {error}"));
                break;
            }
            Some(_) => {}
            None => {
                problem(&format!(
                    "the {name} did not start again within {RESTART_TIMEOUT:?}"
                ));
                break;
            }
        }
    }
    watchdog.disarm();
}

/// A thread that prints `hung <step>` when a step armed with a deadline is
/// not disarmed by then: the event loop may be stuck in a syscall, where
/// no timeout of its own fires.
struct Watchdog(Arc<Mutex<Option<(String, Instant)>>>);

impl Watchdog {
    fn start() -> Watchdog {
        let step: Arc<Mutex<Option<(String, Instant)>>> = Arc::default();
        let watched = Arc::clone(&step);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(20));
                let mut step = watched.lock().unwrap();
                if step.as_ref().is_some_and(|(_, at)| Instant::now() > *at) {
                    let (what, _) = step.take().unwrap();
                    println!("\nhung {what}");
                    let _ = std::io::stdout().flush();
                }
            }
        });
        Watchdog(step)
    }

    fn arm(&self, what: &str, limit: Duration) {
        *self.0.lock().unwrap() = Some((what.to_owned(), Instant::now() + limit));
    }

    fn disarm(&self) {
        *self.0.lock().unwrap() = None;
    }
}

/// The attacker: runs every attack, writing `name errno` for each (before
/// the next, which may end it) and notes on its tries, says it is ready,
/// freezes its own cgroup if it can, and sleeps until the application's
/// end ends it. Started again (its restart policy), it only says it is
/// ready.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn scope_cgroup_attacker() {
    let Some(path) = std::env::var_os(RESULTS) else {
        return; // Only meaningful as a node.
    };
    let scratch = PathBuf::from(std::env::var_os(SCRATCH).unwrap());
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let out = Results(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap(),
    );
    out.value("inherited-dirs", inherited_dirs());
    if !before.contains("# started") {
        out.note(&format!("# started as pid {}", std::process::id()));
        // The application says when its graph is all up.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !scratch.join("go").exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let freeze = attack(&out, &scratch);
        say_ready();
        out.trying("own-cgroupns-freeze");
        let errno = write_file(&freeze, "1");
        // Not reached once frozen: the application writes it then.
        out.value("own-cgroupns-freeze", errno);
    } else {
        say_ready();
    }
    std::thread::sleep(Duration::from_secs(600));
}

/// The mate's readiness probe, in the scope as its root: makes a cgroup
/// namespace, mounts its view of the attempt's cgroup in the scratch
/// directory (the view stays, in the scope's mount namespace) and freezes
/// it. Writes `hostile-probe-freeze` and the errno only if it was not
/// frozen; fails in any case.
#[test]
#[ignore = "the hostile probe of the tests above, run as an exec probe in a copy of this binary"]
fn scope_cgroup_hostile_probe() {
    use std::os::unix::process::CommandExt;
    let (Some(results), Some(scratch)) = (std::env::var_os(RESULTS), std::env::var_os(SCRATCH))
    else {
        return; // Only meaningful as a probe.
    };
    // One `write` a line: `writeln!` may write a line in pieces, between
    // which the attacker's own lines (appended to the same file) get in.
    let note = |name: &str, value: i32| {
        let out = std::fs::OpenOptions::new().append(true).open(&results);
        let _ = out.map(|mut f| f.write_all(format!("{name} {value}\n").as_bytes()));
    };
    let record = |errno: i32| note("hostile-probe-freeze", errno);
    note("hostile-probe-inherited-dirs", inherited_dirs());
    // A directory of its own: a view mounted again where one is fails.
    let view = (0..)
        .map(|n| Path::new(&scratch).join(format!("probe-view-{n}")))
        .find(|dir| std::fs::create_dir(dir).is_ok())
        .unwrap();
    // SAFETY: a syscall with a flag; it concerns this thread only.
    let errno = match unsafe { libc::unshare(libc::CLONE_NEWCGROUP) } {
        -1 => last_errno(),
        _ => mount_cgroup2(&view),
    };
    if errno != 0 {
        record(errno);
        std::process::exit(1);
    }
    // What it leaves must still be killed and removed: a daemon, nested
    // cgroups it made unreadable, and its own `cgroup.kill` made
    // unwritable.
    let _ = std::process::Command::new("sleep")
        .arg("600")
        .process_group(0)
        .spawn();
    let nested = view.join("nested");
    let _ = std::fs::create_dir_all(nested.join("deeper"));
    let none = std::fs::Permissions::from_mode(0o000);
    let _ = std::fs::set_permissions(&nested, none.clone());
    let _ = std::fs::set_permissions(view.join("cgroup.kill"), none);
    // Said first: once frozen it can say nothing.
    record(0);
    let errno = write_file(&view.join("cgroup.freeze"), "1");
    if errno != 0 {
        record(errno);
    }
    std::process::exit(1);
}

fn say_ready() {
    // SAFETY: fd 3 is the readiness pipe the runtime gave this node.
    unsafe { libc::write(3, b"\n".as_ptr().cast(), 1) };
}

/// The attacker's results file.
/// How many directories this process holds open, found as it starts: a
/// cgroup directory here would let it reach a cgroup by fd.
fn inherited_dirs() -> i32 {
    let dirs = common::open_fds().into_keys().filter(|&fd| {
        // SAFETY: only asked about, never closed through this borrow.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        rustix::fs::fstat(fd).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
        })
    });
    dirs.count() as i32
}

struct Results(std::fs::File);

impl Results {
    fn note(&self, line: &str) {
        (&self.0).write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// Says which attack comes next: the last one if the attacker dies.
    fn trying(&self, name: &str) {
        self.note(&format!("# trying {name}"));
    }

    fn value(&self, name: &str, value: i32) {
        self.note(&format!("{name} {value}"));
    }

    /// Notes on the tries (the first few), then the attack's errno.
    fn record(&self, name: &str, tries: &Tries) {
        for (what, errno) in tries.0.iter().take(12) {
            self.note(&format!("# {name} {what} {}", errno_name(*errno)));
        }
        if tries.0.len() > 12 {
            self.note(&format!("# {name} … {} tries in all", tries.0.len()));
        }
        self.value(name, tries.errno());
    }
}

/// The tries of one attack, and what each gave.
#[derive(Default)]
struct Tries(Vec<(String, i32)>);

impl Tries {
    fn push(&mut self, what: impl std::fmt::Display, errno: i32) {
        self.0.push((what.to_string(), errno));
    }

    /// `0` if any try worked; else the first errno that says more than "no
    /// such path" (a path tried on a hunch); else `ENOENT`.
    fn errno(&self) -> i32 {
        let errnos = || self.0.iter().map(|(_, e)| *e);
        if errnos().any(|e| e == 0) {
            return 0;
        }
        errnos()
            .find(|e| ![libc::ENOENT, libc::ENOTDIR].contains(e))
            .unwrap_or(libc::ENOENT)
    }

    /// Writes `text` to each of `files`.
    fn write_each(&mut self, files: &[PathBuf], text: &str) {
        for file in files {
            self.push(file.display(), write_file(file, text));
        }
    }
}

/// Runs every attack before the freeze, in order; returns the file the
/// freeze writes (`cgroup.freeze` at the root of its own cgroup2 mount, if
/// it has one).
fn attack(out: &Results, scratch: &Path) -> PathBuf {
    let view = View::of_this_process();
    let me = std::process::id();

    // A child, so a move that works takes only the child out.
    out.trying("app-procs-self");
    let mut tries = Tries::default();
    let files: Vec<PathBuf> = view
        .graphs(&view.bases())
        .iter()
        .filter_map(|g| Some(g.parent()?.join("cgroup.procs")))
        .collect();
    let errno = in_child(|| {
        let mut tries = Tries::default();
        tries.write_each(&files, "0");
        tries.errno()
    });
    tries.push(format!("a child writing {} files", files.len()), errno);
    out.record("app-procs-self", &tries);

    out.trying("mount-cgroup2");
    let mut tries = Tries::default();
    let dir = scratch.join(format!("cgroup2-{me}"));
    let _ = std::fs::create_dir(&dir);
    let errno = mount_cgroup2(&dir);
    if errno == 0 {
        // Its own, not to be found by the unmounts below.
        let _ = umount(&dir);
    }
    tries.push(dir.display(), errno);
    out.record("mount-cgroup2", &tries);

    out.trying("sibling-freeze");
    let mut tries = Tries::default();
    tries.write_each(&view.victim_files(&view.bases(), "cgroup.freeze"), "1");
    out.record("sibling-freeze", &tries);

    out.trying("nest-deep");
    let mut tries = Tries::default();
    let mut deepest = 0;
    for node in view.nodes(&view.bases()) {
        let (depth, errno) = nest(&node.join("deep"), 20);
        tries.push(node.display(), if depth > 0 { 0 } else { errno });
        deepest = deepest.max(depth);
    }
    out.record("nest-deep", &tries);
    out.value("nest-deep-depth", deepest);

    out.trying("graph-kill");
    let tries = view.kill_graph();
    out.record("graph-kill", &tries);

    out.trying("umount-cgroup");
    let mut tries = Tries::default();
    for point in outside_cgroup_points(scratch) {
        // Each layer: the cover, then what it covers.
        for _ in 0..3 {
            let errno = umount(&point);
            tries.push(point.display(), errno);
            if errno != 0 {
                break;
            }
        }
    }
    out.record("umount-cgroup", &tries);
    out.trying("graph-kill-after-umount");
    let view = View::of_this_process();
    let tries = view.kill_graph();
    out.record("graph-kill-after-umount", &tries);

    out.trying("umount-proc");
    let mut tries = Tries::default();
    for _ in 0..2 {
        let errno = umount(Path::new("/proc"));
        tries.push("/proc", errno);
        if errno != 0 {
            break;
        }
    }
    out.record("umount-proc", &tries);
    out.trying("graph-kill-after-umount-proc");
    let tries = view.kill_graph_through_proc_roots();
    out.record("graph-kill-after-umount-proc", &tries);

    out.trying("new-mount-ns");
    let mut tries = Tries::default();
    let errno = in_child(|| {
        let mut unmounts = Tries::default();
        // SAFETY: a syscall with a flag; this child is one thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } == -1 {
            let errno = last_errno();
            unmounts.push("unshare(CLONE_NEWNS)", errno);
            out.record("new-mount-ns-umount", &unmounts);
            return errno;
        }
        let mut points = outside_cgroup_points(scratch);
        points.push(PathBuf::from("/proc"));
        for point in points {
            unmounts.push(point.display(), umount(&point));
        }
        out.record("new-mount-ns-umount", &unmounts);
        let view = View::of_this_process();
        view.kill_graph().errno()
    });
    tries.push("a child in a mount namespace of its own", errno);
    out.record("new-mount-ns", &tries);

    out.trying("setns-mnt");
    out.record("setns-mnt", &setns_mnt(&view));

    // ENODEV for either: the application has no such mount (the test is
    // not real root), so there was nothing to try.
    out.trying("second-proc");
    let mut tries = Tries::default();
    let second_proc = scratch.join(SECOND_PROC);
    let host_init = second_proc.join("1");
    let listed = match std::fs::read_dir(&host_init) {
        _ if !second_proc.exists() => libc::ENODEV,
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    tries.push(host_init.display(), listed);
    out.record("second-proc", &tries);

    out.trying("proc-file");
    let mut tries = Tries::default();
    let file = scratch.join(PROC_FILE);
    let read = match std::fs::read(&file) {
        _ if !file.exists() => libc::ENODEV,
        Ok(text) if text.is_empty() => libc::ENOENT,
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    tries.push(file.display(), read);
    out.record("proc-file", &tries);

    out.trying("proc-root-escape");
    let tries = view.kill_graph_through_proc_roots();
    out.record("proc-root-escape", &tries);

    out.trying("own-cgroupns");
    let mut tries = Tries::default();
    let dir = scratch.join(format!("cgroupns-{me}"));
    let _ = std::fs::create_dir(&dir);
    let code = in_child(|| {
        // SAFETY: a syscall with a flag.
        if unsafe { libc::unshare(libc::CLONE_NEWCGROUP) } == -1 {
            return last_errno();
        }
        match mount_cgroup2(&dir) {
            // Not `deep`, which `nest-deep` may have made there.
            0 => 150 + nest(&dir.join("cgroupns-deep"), 20).0,
            errno => errno,
        }
    });
    // 150 + the depth once mounted; else the errno (255: the child died).
    let (errno, depth) = match code {
        150..=170 => (0, code - 150),
        _ => (code, 0),
    };
    tries.push(dir.display(), errno);
    out.record("own-cgroupns", &tries);
    out.value("own-cgroupns-depth", depth);
    dir.join("cgroup.freeze")
}

/// For every process in sight whose mount namespace is not this one's: a
/// child enters it, unmounts every cgroup mount and `/proc` there, and
/// writes the graph's `cgroup.kill`.
fn setns_mnt(view: &View) -> Tries {
    let mut tries = Tries::default();
    let own = std::fs::read_link("/proc/self/ns/mnt").ok();
    let mut seen: BTreeSet<PathBuf> = own.into_iter().collect();
    for process in processes_in_sight() {
        let link = process.join("ns/mnt");
        let ns = match std::fs::read_link(&link) {
            Ok(ns) => ns,
            Err(e) => {
                tries.push(link.display(), e.raw_os_error().unwrap_or(libc::EIO));
                continue;
            }
        };
        if !seen.insert(ns) {
            continue;
        }
        // Its view, as this process sees it through `PROC/PID/root`.
        let mountinfo = process.join("mountinfo");
        let mut points = mount_points(&mountinfo, &["cgroup", "cgroup2"]);
        points.extend(fallback_points());
        points.push(PathBuf::from("/proc"));
        let points = dedup(points);
        let root = process.join("root");
        let files: Vec<PathBuf> = view
            .graph_files(&view.bases_of(&root, &mountinfo), "cgroup.kill")
            .into_iter()
            .filter_map(|f| Some(Path::new("/").join(f.strip_prefix(&root).ok()?)))
            .collect();
        let Ok(ns) = std::fs::File::open(&link) else {
            tries.push(link.display(), last_errno());
            continue;
        };
        let errno = in_child(|| {
            use std::os::fd::AsRawFd;
            // SAFETY: an fd this process holds; this child is one thread.
            if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNS) } == -1 {
                return last_errno();
            }
            for point in &points {
                for _ in 0..3 {
                    if umount(point) != 0 {
                        break;
                    }
                }
            }
            let mut tries = Tries::default();
            tries.write_each(&files, "1");
            tries.errno()
        });
        tries.push(
            format!("a child in the mount namespace of {}", process.display()),
            errno,
        );
    }
    tries
}

/// What this process knows of its cgroup: its path as `/proc/self/cgroup`
/// tells it, and its pid, as `cgroup.procs` files list it.
struct View {
    rel: PathBuf,
    pid: i32,
}

impl View {
    fn of_this_process() -> View {
        let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let rel = text
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .unwrap_or("/")
            .trim();
        View {
            rel: PathBuf::from(rel),
            pid: std::process::id() as i32,
        }
    }

    /// Where the cgroup v2 hierarchy may be mounted here.
    fn bases(&self) -> Vec<PathBuf> {
        self.bases_of(Path::new("/"), Path::new("/proc/self/mountinfo"))
    }

    /// Where it may be mounted in the mount namespace `mountinfo` lists,
    /// seen through `root`.
    fn bases_of(&self, root: &Path, mountinfo: &Path) -> Vec<PathBuf> {
        let mut points = mount_points(mountinfo, &["cgroup2"]);
        points.extend(fallback_points());
        dedup(points)
            .iter()
            .map(|p| root.join(p.strip_prefix("/").unwrap_or(p)))
            .collect()
    }

    /// This process's cgroup below each of `bases`: its path joined to the
    /// base, or else any cgroup whose `cgroup.procs` lists it.
    fn nodes(&self, bases: &[PathBuf]) -> Vec<PathBuf> {
        let rel = self.rel.strip_prefix("/").unwrap_or(&self.rel);
        let mut nodes = Vec::new();
        for base in bases {
            let direct = base.join(rel);
            if direct != *base {
                nodes.push(direct.clone());
            }
            if !lists(&direct, self.pid) {
                nodes.extend(
                    find_listing(base, self.pid)
                        .into_iter()
                        .filter(|n| n != base),
                );
            }
        }
        dedup(nodes)
    }

    fn graphs(&self, bases: &[PathBuf]) -> Vec<PathBuf> {
        dedup(
            self.nodes(bases)
                .iter()
                .filter_map(|n| Some(n.parent()?.to_owned()))
                .collect(),
        )
    }

    fn graph_files(&self, bases: &[PathBuf], file: &str) -> Vec<PathBuf> {
        self.graphs(bases).iter().map(|g| g.join(file)).collect()
    }

    /// Writes `1` to the graph's `cgroup.kill` under every base in sight.
    fn kill_graph(&self) -> Tries {
        let mut tries = Tries::default();
        tries.write_each(&self.graph_files(&self.bases(), "cgroup.kill"), "1");
        tries
    }

    /// [`kill_graph`](Self::kill_graph) through `/proc/PID/root` of every
    /// pid in sight.
    fn kill_graph_through_proc_roots(&self) -> Tries {
        let mut tries = Tries::default();
        let files = self.through_proc_roots(&mut tries);
        tries.write_each(&files, "1");
        tries
    }

    /// `file` of the victim's cgroup in each graph: a cgroup named for it
    /// (`<index>.victim`), if the graph's directory can be listed.
    fn victim_files(&self, bases: &[PathBuf], file: &str) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for graph in self.graphs(bases) {
            let named: Vec<PathBuf> = std::fs::read_dir(&graph)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().contains("victim"))
                .map(|e| e.path().join(file))
                .collect();
            match named.is_empty() {
                true => files.push(graph.join("victim").join(file)),
                false => files.extend(named),
            }
        }
        files
    }

    /// The graph's `cgroup.kill` through `PROC/PID/root` of every process
    /// in sight, through every `proc` mount (one per mount namespace);
    /// refusals go to `tries`.
    fn through_proc_roots(&self, tries: &mut Tries) -> Vec<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut files = Vec::new();
        for process in processes_in_sight() {
            let link = process.join("ns/mnt");
            let ns = match std::fs::read_link(&link) {
                Ok(ns) if seen.contains(&ns) => continue,
                Ok(ns) => ns,
                Err(e) => {
                    tries.push(link.display(), e.raw_os_error().unwrap_or(libc::EIO));
                    continue;
                }
            };
            // A namespace counts as tried once a root in it opened: the
            // next process in it may let this one in where the last did not.
            let root = process.join("root");
            if let Err(e) = std::fs::read_dir(&root) {
                tries.push(root.display(), e.raw_os_error().unwrap_or(libc::EIO));
                continue;
            }
            seen.insert(ns);
            let bases = self.bases_of(&root, &process.join("mountinfo"));
            files.extend(self.graph_files(&bases, "cgroup.kill"));
        }
        dedup(files)
    }
}

/// Whether the cgroup `dir` lists `pid` in its `cgroup.procs`.
fn lists(dir: &Path, pid: i32) -> bool {
    let pid = pid.to_string();
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .is_ok_and(|text| text.lines().any(|l| l.trim() == pid))
}

/// The cgroups below `base` (a few levels deep) whose `cgroup.procs` lists
/// `pid`: how a process that cannot tell its own path finds its cgroup.
fn find_listing(base: &Path, pid: i32) -> Vec<PathBuf> {
    if !base.join("cgroup.procs").is_file() {
        return Vec::new(); // No cgroup hierarchy here.
    }
    let (mut found, mut visited) = (Vec::new(), 0);
    let mut queue = VecDeque::from([(base.to_owned(), 0)]);
    while let Some((dir, depth)) = queue.pop_front() {
        visited += 1;
        if visited > 20_000 {
            break;
        }
        if lists(&dir, pid) {
            found.push(dir.clone());
        }
        if depth >= 12 {
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                queue.push_back((entry.path(), depth + 1));
            }
        }
    }
    found
}

/// The mount points of the file systems of `types` in `mountinfo`.
fn mount_points(mountinfo: impl AsRef<Path>, types: &[&str]) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(mountinfo).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (mount, fs) = line.split_once(" - ")?;
            let fstype = fs.split(' ').next()?;
            let point = mount.split(' ').nth(4)?;
            types
                .contains(&fstype)
                .then(|| PathBuf::from(unescape(point)))
        })
        .collect()
}

/// Every cgroup mount point in sight, and where cgroups are mounted on
/// most machines; not the views the scope's own processes mounted in the
/// scratch directory (the hostile probe's).
fn outside_cgroup_points(scratch: &Path) -> Vec<PathBuf> {
    let mut points = mount_points("/proc/self/mountinfo", &["cgroup", "cgroup2"]);
    points.retain(|point| !point.starts_with(scratch));
    points.extend(fallback_points());
    dedup(points)
}

/// Where cgroups are mounted on most machines, whatever mountinfo says.
fn fallback_points() -> [PathBuf; 2] {
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].map(PathBuf::from)
}

/// A mountinfo path: space, tab, newline and backslash written as `\ooo`.
fn unescape(escaped: &str) -> String {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|o| bytes[i] == b'\\' && o.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(o) => {
                out.push((o[0] - b'0') * 64 + (o[1] - b'0') * 8 + (o[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `PROC/PID` of every process in sight through every `proc` mount: the
/// scope's `/proc` and any other (the application's second one, covered).
fn processes_in_sight() -> Vec<PathBuf> {
    let mut procs = vec![PathBuf::from("/proc")];
    procs.extend(mount_points("/proc/self/mountinfo", &["proc"]));
    dedup(procs)
        .into_iter()
        .flat_map(|proc| {
            let entries = std::fs::read_dir(&proc).into_iter().flatten().flatten();
            entries
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.parse::<i32>().is_ok())
                })
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The paths in `paths`, each once, in their first order.
fn dedup(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = BTreeSet::new();
    paths
        .into_iter()
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

/// `0` if `text` was written to the existing file `path`, else the errno.
fn write_file(path: &Path, text: &str) -> i32 {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match written {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// `mkdir` of `first` and then of `levels - 1` directories each inside the
/// last: how many were made, and the errno that stopped it (`0`: none).
fn nest(first: &Path, levels: i32) -> (i32, i32) {
    let mut dir = first.to_owned();
    for made in 0..levels {
        if let Err(e) = std::fs::create_dir(&dir) {
            return (made, e.raw_os_error().unwrap_or(libc::EIO));
        }
        dir.push("deep");
    }
    (levels, 0)
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `mount("none", dir, "cgroup2", 0, NULL)`: `0` or the errno.
fn mount_cgroup2(dir: &Path) -> i32 {
    let target = c_path(dir);
    // SAFETY: NUL-terminated strings that outlive the call, no data.
    let ret = unsafe {
        libc::mount(
            c"none".as_ptr(),
            target.as_ptr(),
            c"cgroup2".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if ret == -1 { last_errno() } else { 0 }
}

/// `umount2(point, MNT_DETACH)`: `0` or the errno.
fn umount(point: &Path) -> i32 {
    let target = c_path(point);
    // SAFETY: a NUL-terminated string that outlives the call.
    if unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) } == -1 {
        last_errno()
    } else {
        0
    }
}

/// Runs `f` in a forked child and returns its exit code (`255`: it did
/// not exit normally). For what may only be done by one thread (`unshare`
/// of a mount namespace, `setns`), or may take only the child along (a
/// move to another cgroup). The other threads of this process, libtest's,
/// are idle waiting for this test.
fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs `f` and `_exit`s, never returning into the
    // test harness.
    match unsafe { libc::fork() } {
        -1 => last_errno(),
        0 => {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(255);
            // SAFETY: ends the child without running the parent's exit
            // handlers.
            unsafe { libc::_exit(code) }
        }
        child => {
            let mut status = 0;
            loop {
                // SAFETY: waits for the child just forked.
                let ret = unsafe { libc::waitpid(child, &mut status, 0) };
                if ret == child {
                    break;
                }
                if ret == -1 && last_errno() != libc::EINTR {
                    return 255;
                }
            }
            if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                255
            }
        }
    }
}
