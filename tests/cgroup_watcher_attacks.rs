//! A hostile node against the application's cgroup watcher
//! (`pg-cgroup-watch`, `runtime/carried/watch.rs`), the one process that
//! kills and removes the graphs' cgroups when the application dies.
//!
//! Each test starts an "application" (a copy of this test binary, in a
//! fresh cgroup of its own, as the current user or as uid 65534 in a
//! cgroup delegated to it), which starts its watcher with a first graph,
//! then runs a graph of two nodes: an attacker (this binary again), told
//! the watcher's pid, and a victim that leaves a `setsid` daemon behind.
//! The attacker tries every way at the watcher its case lists and writes
//! each errno to a file; the test checks them, checks that the watcher
//! still runs, SIGKILLs the application and counts what is left: live
//! processes of the graph and cgroups named `process-graph-<pid>-…`.
//!
//! The cgroup files the attacker aims at are named by the application, as
//! it sees them (its `cgroup2` mount, the attacker's `/proc/PID/cgroup`),
//! never by the attacker's own view, which a scope may change: the
//! attacker's cgroup (a leaf `run<k>` of its node's under an unprivileged
//! application's scope), its graph's (`process-graph-…`) and the
//! application's. The test checks that each exists while the attacker's
//! graph runs, and the attacker reports what it sees of each (`view`
//! lines): the nearest directory on the path that exists and its file
//! system. From a scope with a pid namespace that must be the empty tmpfs
//! covering the `cgroup2` mount, so an `ENOENT` there is the cover's, not
//! a wrong path's; from anywhere else the file itself, so a refusal there
//! is a refusal.
//!
//! The application's fresh cgroup keeps an attack that works from
//! reaching anything but the test's own processes, and is killed and
//! removed after each case.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio as StdStdio;
use std::time::{Duration, Instant};

use common::app_cgroup::{AppCgroup, User, own_cgroup, users};
use common::{live_marked_processes, marked, unique_marker};
use process_graph_runtime::{
    Command, Containment, Error, Event, Graph, Namespace, NodeOptions, Readiness, ScopeSpec, Stdio,
};

/// In the application's environment: which attacker it runs.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_WATCHER_APPLICATION";
/// In the application's environment: the marker of its nodes.
const MARKER: &str = "PROCESS_GRAPH_TEST_WATCHER_MARKER";
/// Passed on to the attacker: the attacks, comma-separated, in order.
const ATTACKS: &str = "PROCESS_GRAPH_TEST_WATCHER_ATTACKS";
/// Passed on to the attacker: the file it writes `attack errno` lines to.
const RESULTS: &str = "PROCESS_GRAPH_TEST_WATCHER_RESULTS";
/// Set by the application for the attacker: the watcher's pid, as the
/// application sees it.
const WATCHER_PID: &str = "PROCESS_GRAPH_TEST_WATCHER_PID";

/// The cgroups the attacker aims at, as the application names them for it
/// on its stdin (`target <name> <dir>` lines, then `end`) and prints them
/// for the test.
const TARGETS: [&str; 3] = ["own", "graph", "app"];

/// Who the attacker is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Attacker {
    /// Dropped to uid and gid 65534 (`Command::uid`) by a root application.
    Dropped,
    /// Root in a user+pid scope.
    PidScope,
    /// Root in a user+net scope: no pid namespace of its own.
    NetScope,
    /// Root in a scope of all six namespaces.
    FullScope,
    /// The application's own uid, no scope.
    SameUid,
}

impl Attacker {
    fn name(self) -> &'static str {
        match self {
            Attacker::Dropped => "dropped",
            Attacker::PidScope => "pid-scope",
            Attacker::NetScope => "net-scope",
            Attacker::FullScope => "full-scope",
            Attacker::SameUid => "same-uid",
        }
    }

    /// The namespaces of the attacker's scope, if it has one.
    fn scope(self) -> Option<ScopeSpec> {
        match self {
            Attacker::PidScope => Some(ScopeSpec::new([Namespace::User, Namespace::Pid])),
            Attacker::NetScope => Some(ScopeSpec::new([Namespace::User, Namespace::Net])),
            Attacker::FullScope => Some(ScopeSpec::new(Namespace::ALL)),
            Attacker::Dropped | Attacker::SameUid => None,
        }
    }

    /// Whether its scope's mount table covers every cgroup hierarchy: a
    /// scope with a pid namespace of its own in a user namespace (README).
    fn behind_the_cover(self) -> bool {
        matches!(self, Attacker::PidScope | Attacker::FullScope)
    }

    fn from_name(name: &str) -> Attacker {
        [
            Attacker::Dropped,
            Attacker::PidScope,
            Attacker::NetScope,
            Attacker::FullScope,
            Attacker::SameUid,
        ]
        .into_iter()
        .find(|a| a.name() == name)
        .unwrap_or_else(|| panic!("no attacker {name:?}"))
    }
}

/// An attack and the errnos it may fail with (`0`: it must work).
type Attack = (&'static str, &'static [i32]);

const REFUSED: &[i32] = &[libc::EPERM, libc::EACCES];
const NOT_THERE: &[i32] = &[libc::ESRCH];
const WORKS: &[i32] = &[0];

/// Everything a process of another uid may try at the watcher, and at the
/// cgroups above its own node's, the harmless first.
const AT_THE_WATCHER_AS_ANOTHER_UID: &[Attack] = &[
    ("kill-KILL", REFUSED),
    ("kill-STOP", REFUSED),
    ("killpg-KILL", REFUSED),
    ("ptrace-attach", REFUSED),
    ("ptrace-seize", REFUSED),
    ("vm-read", REFUSED),
    ("mem-open", REFUSED),
    ("pidfd-signal", REFUSED),
    ("own-procs-watcher", REFUSED),
    ("app-procs-self", REFUSED),
    ("graph-kill", REFUSED),
    ("app-kill", REFUSED),
    ("own-kill", REFUSED),
];

/// The cgroup hierarchy is covered in the scope's mount namespace (README,
/// "What a user scope cannot reach"): no cgroup file is there to open.
const HIDDEN: &[i32] = &[libc::ENOENT];

/// What a process in a pid namespace of its own may try: the watcher's pid
/// names nobody there, nor in its fresh `/proc` (a scope with user and pid
/// namespaces always has a mount namespace), and its pid fd crosses no pid
/// namespace.
const AT_THE_WATCHER_FROM_A_PID_SCOPE: &[Attack] = &[
    ("kill-KILL", NOT_THERE),
    ("kill-STOP", NOT_THERE),
    ("killpg-KILL", NOT_THERE),
    ("ptrace-seize", NOT_THERE),
    ("vm-read", NOT_THERE),
    ("pidfd-signal", NOT_THERE),
    ("procfd-signal", HIDDEN),
    ("mem-open", HIDDEN),
    // Every process the attacker may signal: its own namespace's.
    ("kill-all", &[0, libc::ESRCH]),
    ("own-procs-watcher", HIDDEN),
    ("graph-kill", HIDDEN),
    ("app-kill", HIDDEN),
];

/// What a process in a scope of every namespace may try: its `/proc` is
/// its own and the cgroup hierarchy is covered, as in a user+pid scope.
/// (`Namespace::ALL` has no cgroup namespace: its `/proc/self/cgroup`
/// names the same paths as the application's, but the targets come from
/// the application anyway.)
const AT_THE_WATCHER_FROM_A_FULL_SCOPE: &[Attack] = &[
    ("kill-KILL", NOT_THERE),
    ("mem-open", HIDDEN),
    ("own-procs-watcher", HIDDEN),
    ("graph-kill", HIDDEN),
    ("app-kill", HIDDEN),
];

/// What a process in a user namespace without a pid namespace may try.
const AT_THE_WATCHER_FROM_A_NET_SCOPE: &[Attack] = &[
    ("ptrace-seize", REFUSED),
    ("vm-read", REFUSED),
    ("mem-open", REFUSED),
    ("kill-STOP", REFUSED),
    ("kill-KILL", REFUSED),
];

#[test]
fn a_node_dropped_to_another_uid_cannot_reach_the_watcher() {
    if !is_root() {
        common::skip("only root may drop a node to another uid");
        return;
    }
    // As uid 65534 the application could only "drop" to its own uid.
    attack_and_kill(
        Attacker::Dropped,
        AT_THE_WATCHER_AS_ANOTHER_UID,
        vec![User::Current],
    );
}

/// Signals and ptrace from a pid scope find no such pid, and no cgroup
/// file the watcher's life hangs on (the application cgroup's
/// `cgroup.kill`, the graph's) is there to open: the scope's mount table
/// covers every cgroup hierarchy.
#[test]
fn a_node_in_a_user_and_pid_scope_cannot_reach_the_watcher() {
    attack_and_kill(Attacker::PidScope, AT_THE_WATCHER_FROM_A_PID_SCOPE, users());
}

/// As above, from a scope that has every namespace.
#[test]
fn a_node_in_a_scope_of_all_six_namespaces_cannot_reach_the_watcher() {
    attack_and_kill(
        Attacker::FullScope,
        AT_THE_WATCHER_FROM_A_FULL_SCOPE,
        users(),
    );
}

/// Without a pid namespace the watcher's pid names it; under a root
/// application the scope is an unprivileged uid of its own outside, so
/// every signal and ptrace is refused. Under an unprivileged application
/// the scope is the application's own uid outside (the only id it may
/// map), and may signal the watcher as it may the application itself: the
/// README's threat model says so, and this case is not run.
#[test]
fn a_node_in_a_user_and_net_scope_cannot_reach_the_watcher() {
    if !is_root() {
        common::skip(
            "an unprivileged application's scope is its own uid outside: without a pid \
             namespace it may signal the watcher, as it may the application (README)",
        );
        return;
    }
    attack_and_kill(
        Attacker::NetScope,
        AT_THE_WATCHER_FROM_A_NET_SCOPE,
        vec![User::Current],
    );
}

/// The documented limit: a process of the application's own uid, outside
/// any scope, may SIGKILL the watcher. The application's next graph starts
/// another, and that one cleans up.
#[test]
fn a_watcher_killed_by_a_node_of_the_same_uid_is_replaced() {
    attack_and_kill(Attacker::SameUid, &[("kill-KILL", WORKS)], users());
}

/// SIGSTOP from the same uid: a stopped watcher is not dead, so the next
/// graph does not replace it; it still cleans up because the application's
/// death orphans the watcher's process group (its own, with its new parent
/// outside the session), and the kernel sends a stopped orphaned group
/// SIGHUP (blocked) and SIGCONT (`kill_orphaned_pgrp`, kernel/exit.c).
#[test]
fn a_watcher_stopped_by_a_node_of_the_same_uid_still_cleans_up() {
    attack_and_kill(Attacker::SameUid, &[("kill-STOP", WORKS)], users());
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Runs one case as each of `users`: the application, its attacker, the
/// checks, the SIGKILL and the count; fails with every user's problems.
/// Says why and goes on where a user's case cannot run.
fn attack_and_kill(attacker: Attacker, attacks: &'static [Attack], users: Vec<User>) {
    let problems = common::within(
        Duration::from_secs(60),
        "an attack on the watcher",
        move || {
            let mut problems = Vec::new();
            for user in users {
                let Some(cgroup) = AppCgroup::new("watcher", user == User::Nobody) else {
                    continue;
                };
                let Some(outcome) = run_application(attacker, attacks, user, &cgroup) else {
                    continue;
                };
                outcome.report(attacker, user);
                let found = outcome.problems(attacker, attacks);
                problems.extend(found.into_iter().map(|p| format!("as {user:?}: {p}")));
            }
            problems
        },
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What one case saw.
struct Outcome {
    /// Each attack's errno (`0`: it worked), in order.
    results: Vec<(String, i32)>,
    /// The watcher the attacker was told of.
    watcher: i32,
    /// Its state once the attacker was done (`None`: gone).
    watcher_state: Option<char>,
    /// The watcher after the application's next graph, where it started one.
    replacement: Option<i32>,
    /// Whether the application lived until its attacker was done.
    up: bool,
    /// Each target the application named, its directory, and whether that
    /// exists as the test sees it (while the attacker's graph runs).
    targets: Vec<(String, PathBuf, bool)>,
    /// What the attacker saw of each target: `(name, file system, found)`
    /// (see [`view`]).
    views: Vec<(String, String, String)>,
    /// Live processes of the graph after the application's SIGKILL.
    survivors: usize,
    /// Graph cgroups left after it.
    cgroups_left: usize,
}

impl Outcome {
    fn report(&self, attacker: Attacker, user: User) {
        let worked: Vec<&str> = self
            .results
            .iter()
            .filter(|(_, errno)| *errno == 0)
            .map(|(name, _)| name.as_str())
            .collect();
        // Written past libtest's capture, so the figures show.
        let _ = writeln!(
            std::io::stderr(),
            "{} attacker, application as {user:?}: {} attacks, worked: {worked:?}; \
             watcher {} {}{}; after SIGKILL of the application: {} surviving processes, \
             {} cgroups",
            attacker.name(),
            self.results.len(),
            self.watcher,
            match self.watcher_state {
                Some('T' | 't') => "stopped",
                Some(_) => "running",
                None => "gone",
            },
            self.replacement
                .map_or(String::new(), |pid| format!(", replaced by {pid}")),
            self.survivors,
            self.cgroups_left,
        );
    }

    /// What went against the guarantee, one line each.
    fn problems(&self, attacker: Attacker, attacks: &[Attack]) -> Vec<String> {
        let mut problems = Vec::new();
        for ((name, errno), (_, allowed)) in self.results.iter().zip(attacks) {
            if !allowed.contains(errno) {
                problems.push(format!(
                    "{name}: {} (wanted one of {allowed:?})",
                    describe(*errno)
                ));
            }
        }
        if let Some((name, _)) = attacks.get(self.results.len()) {
            problems.push(format!(
                "the attacker ended at {name} (an attack that worked ended it, or its application)"
            ));
        }
        if !self.up {
            problems.push("the application died before its attacker was done".to_owned());
        }
        problems.extend(self.target_problems(attacker));
        let killed = self
            .results
            .iter()
            .any(|(n, e)| n == "kill-KILL" && *e == 0);
        if attacker != Attacker::SameUid
            && !matches!(self.watcher_state, Some(s) if s != 'T' && s != 't')
        {
            problems.push(format!(
                "the watcher did not survive, running: {:?}",
                self.watcher_state
            ));
        } else if attacker == Attacker::SameUid && killed && self.replacement == Some(self.watcher)
        {
            problems.push(format!(
                "the killed watcher {} was not replaced",
                self.watcher
            ));
        }
        if (self.survivors, self.cgroups_left) != (0, 0) {
            problems.push(format!(
                "after SIGKILL of the application {} processes and {} cgroups are left",
                self.survivors, self.cgroups_left
            ));
        }
        problems
    }

    /// Whether each target was a real cgroup, and whether the attacker saw
    /// the cover over it (a scope with a pid namespace) or the file itself
    /// (anywhere else): else its result tells nothing of the cover or of
    /// the permissions.
    fn target_problems(&self, attacker: Attacker) -> Vec<String> {
        if !self.up {
            return Vec::new(); // nothing to tell, said above
        }
        let mut problems = Vec::new();
        for name in TARGETS {
            match self.targets.iter().find(|(n, _, _)| n == name) {
                None => problems.push(format!("the application named no {name} cgroup")),
                Some((_, dir, false)) => problems.push(format!(
                    "the {name} cgroup {} is not there as the test sees it: a wrong path",
                    dir.display()
                )),
                Some(_) => {}
            }
            let wanted = match attacker.behind_the_cover() {
                true => ("tmpfs", "covered"),
                false => ("cgroup2", "found"),
            };
            match self.views.iter().find(|(n, _, _)| n == name) {
                None => problems.push(format!("the attacker reported no view of {name}")),
                Some((_, fs, found)) if (fs.as_str(), found.as_str()) != wanted => {
                    problems.push(format!(
                        "the attacker sees {name} as {fs} {found} (wanted {} {}){}",
                        wanted.0,
                        wanted.1,
                        match (fs.as_str(), found.as_str()) {
                            ("cgroup2", "found") => ": the cgroup hierarchy is not covered",
                            ("cgroup2", _) => ": a wrong path",
                            _ => "",
                        }
                    ));
                }
                Some(_) => {}
            }
        }
        problems
    }
}

fn describe(errno: i32) -> String {
    match errno {
        0 => "it worked".to_owned(),
        _ => std::io::Error::from_raw_os_error(errno).to_string(),
    }
}

/// Starts the application in `cgroup`, waits until its attacker is done,
/// SIGKILLs it and counts what is left. `None` when it says why it cannot
/// run here (a user namespace refused).
fn run_application(
    attacker: Attacker,
    attacks: &[Attack],
    user: User,
    cgroup: &AppCgroup,
) -> Option<Outcome> {
    let copy = common::unprivileged_copy_of_this_binary();
    let results = ResultsFile::new();
    let marker = unique_marker(attacker.name());
    let names: Vec<&str> = attacks.iter().map(|(n, _)| *n).collect();
    let mut app = cgroup
        .command(user == User::Nobody)
        .arg(&*copy)
        .args(common::ignored_test_args("watcher_application"))
        .env(APPLICATION, attacker.name())
        .env(MARKER, &marker)
        .env(ATTACKS, names.join(","))
        .env(RESULTS, results.path())
        .current_dir("/")
        .stdout(StdStdio::piped())
        .spawn()
        .expect("sh runs");
    let app_pid = app.id() as i32;
    let mut watchers = Vec::new();
    let mut out = BufReader::new(app.stdout.take().unwrap());
    let mut line = String::new();
    let mut up = false;
    let mut targets = Vec::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break; // the application died: an attack that worked, maybe
        }
        if let Some(reason) = line.trim().strip_prefix("skip ") {
            assert!(!common::in_ci(), "CI must not skip: {reason}");
            common::skip(&format!("as {user:?}: {reason}"));
            let _ = app.kill();
            let _ = app.wait();
            return None;
        }
        if let Some(pid) = line.trim().strip_prefix("watcher ") {
            watchers.push(pid.parse::<i32>().unwrap());
        }
        if let Some((name, dir)) = line
            .trim()
            .strip_prefix("target ")
            .and_then(|t| t.split_once(' '))
        {
            targets.push((name.to_owned(), PathBuf::from(dir), false));
        }
        if line.trim_end().ends_with("application-up") {
            up = true;
            break;
        }
    }
    // While the graph still runs: a target that is not there now was
    // never there.
    for (_, dir, exists) in &mut targets {
        *exists = dir.join("cgroup.procs").exists();
    }
    let watcher = *watchers.first().expect("the application names its watcher");
    let watcher_state = common::proc_stat(watcher)
        .filter(common::ProcStat::is_live)
        .map(|s| s.state);
    let _ = app.kill();
    app.wait().unwrap();
    // The watcher's work takes a moment: wait for it, a while at most.
    let deadline = Instant::now() + Duration::from_secs(3);
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
    Some(Outcome {
        results: results.read(),
        watcher,
        watcher_state,
        replacement: watchers.get(1).copied(),
        up,
        targets,
        views: results.views(),
        survivors,
        cgroups_left,
    })
}

/// The file the attacker writes its results to: anyone may write it, the
/// attacker being uid 65534 or root in a user namespace.
struct ResultsFile(common::TempDir);

impl ResultsFile {
    fn new() -> ResultsFile {
        let dir = common::TempDir::new("watcher-attack");
        let file = dir.path().join("results");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        ResultsFile(dir)
    }

    fn path(&self) -> PathBuf {
        self.0.path().join("results")
    }

    /// Each `attack errno` line, in order.
    fn read(&self) -> Vec<(String, i32)> {
        common::named_values(&std::fs::read_to_string(self.path()).unwrap())
    }

    /// Each `view <target> <file system> <found>` line, in order.
    fn views(&self) -> Vec<(String, String, String)> {
        std::fs::read_to_string(self.path())
            .unwrap()
            .lines()
            .filter_map(|line| {
                let mut words = line.strip_prefix("view ")?.split(' ');
                let mut next = || words.next().map(str::to_owned);
                Some((next()?, next()?, next()?))
            })
            .collect()
    }
}

/// The application: starts its watcher with a first graph, then the
/// attacker and a victim that leaves a daemon; once the attacker is done,
/// a same-uid case starts one more graph (which replaces a killed watcher)
/// and prints its watcher too. Prints `application-up` and waits to be
/// SIGKILLed.
#[test]
#[ignore = "the application of the tests above, run in a copy of this binary"]
fn watcher_application() {
    let Some(attacker) = std::env::var_os(APPLICATION) else {
        return; // Only meaningful when started by the tests above.
    };
    let attacker = Attacker::from_name(attacker.to_str().unwrap());
    let marker = std::env::var(MARKER).unwrap();
    let watcher = start_graph_and_name_the_watcher();
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    let options = match attacker.scope() {
        Some(spec) => NodeOptions::new().scope(graph.scope("box", spec)),
        None => NodeOptions::new(),
    };
    let (targets_in, mut targets_out) = std::io::pipe().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap())
        .args(common::ignored_test_args("watcher_attacker"))
        .env(WATCHER_PID, watcher.to_string())
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(targets_in)))
        .stdout(Stdio::Null);
    if attacker == Attacker::Dropped {
        command = common::dropped_to_65534(command);
    }
    let node = graph.node_with(
        "attacker",
        marked(command, &marker),
        options.ready(Readiness::Fd(3)),
    );
    let daemon = "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo >&3; exec sleep 600";
    let victim = graph.node_with(
        "victim",
        marked(Command::new("sh").args(["-c", daemon]), &marker),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    let mut running = match graph.spawn() {
        Ok(running) => running,
        Err(e @ Error::Scope { .. }) => {
            println!("\nskip the kernel refuses the scope: {e}");
            return;
        }
        Err(e) => panic!("the attack graph did not start: {e}"),
    };
    let attacker_pid = running.pid(node).expect("the attacker runs");
    let mut targets = String::new();
    for (name, dir) in targets_of(attacker_pid) {
        println!("\ntarget {name} {}", dir.display());
        targets.push_str(&format!("target {name} {}\n", dir.display()));
    }
    targets_out
        .write_all(format!("{targets}end\n").as_bytes())
        .unwrap();
    drop(targets_out);
    // The victim's daemon runs, and the attacker is done: it says so, or
    // an attack of its own ended it.
    let (mut daemon_up, mut done) = (false, false);
    while !(daemon_up && done) {
        match running.next_event(Some(Duration::from_secs(20))).unwrap() {
            Some(Event::Ready { node: n }) if n == victim => daemon_up = true,
            Some(Event::Ready { node: n } | Event::Exited { node: n, .. }) if n == node => {
                done = true;
            }
            Some(_) => {}
            None => panic!("the attacker was not done within 20 s"),
        }
    }
    if attacker == Attacker::SameUid {
        start_graph_and_name_the_watcher();
    }
    println!("\napplication-up");
    std::thread::sleep(Duration::from_secs(60));
    panic!("the application was not killed within 60 s");
}

/// The cgroups the attacker `pid` is to aim at, as this application (in
/// the suite's mount and cgroup namespaces) sees them: the one it runs in,
/// its graph's (the `process-graph-…` above it: under an unprivileged
/// application a scoped node runs in a leaf of its node's cgroup) and this
/// application's.
fn targets_of(pid: u32) -> [(&'static str, PathBuf); 3] {
    let own = common::cgroup_of(pid).expect("the attacker has a cgroup");
    let app = own_cgroup();
    let prefix = format!("process-graph-{}-", std::process::id());
    let graph = own
        .ancestors()
        .find(|dir| {
            dir.parent() == Some(&app)
                && dir
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .unwrap_or_else(|| {
            panic!(
                "{} is in no graph cgroup of {}",
                own.display(),
                app.display()
            )
        })
        .to_owned();
    [("own", own), ("graph", graph), ("app", app)]
}

/// Runs a one-node graph with cgroups, and prints and returns the one
/// watcher the application has then.
fn start_graph_and_name_the_watcher() -> i32 {
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    graph.node("warm-up", Command::new("true"));
    graph.spawn().unwrap().wait().unwrap();
    let watchers = common::cgroup_watchers();
    assert_eq!(watchers.len(), 1, "one watcher: {watchers:?}");
    println!("\nwatcher {}", watchers[0].pid);
    watchers[0].pid
}

/// The attacker: runs each attack of its list at the watcher, writes
/// `attack errno` for each (before the next, which may end it), says it
/// is ready, and sleeps until the application's end ends it.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn watcher_attacker() {
    let Some(attacks) = std::env::var_os(ATTACKS) else {
        return; // Only meaningful as a node.
    };
    let watcher: i32 = std::env::var(WATCHER_PID).unwrap().parse().unwrap();
    let results = std::fs::OpenOptions::new()
        .append(true)
        .open(std::env::var_os(RESULTS).unwrap())
        .unwrap();
    let cgroups = Cgroups::from_stdin();
    for (name, dir) in cgroups.all() {
        let (fs, found) = view(dir);
        (&results)
            .write_all(format!("view {name} {fs} {found}\n").as_bytes())
            .unwrap();
    }
    for name in attacks.to_str().unwrap().split(',') {
        let errno = attack(name, watcher, &cgroups);
        if name == "kill-KILL" && errno == 0 {
            // Dead before the application's next graph looks at it: a
            // watcher about to die still counts as running then.
            let deadline = Instant::now() + common::DEATH_TIMEOUT;
            while common::proc_stat(watcher).is_some_and(|p| p.is_live()) {
                assert!(Instant::now() < deadline, "the watcher outlived SIGKILL");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        (&results)
            .write_all(format!("{name} {errno}\n").as_bytes())
            .unwrap();
    }
    // SAFETY: fd 3 is the readiness pipe the runtime gave this node.
    unsafe { libc::write(3, b"\n".as_ptr().cast(), 1) };
    std::thread::sleep(Duration::from_secs(600));
}

/// The attacker's cgroup, its graph's and its application's, as the
/// application names them (see [`targets_of`]): the paths that would lead
/// to them from the attacker's mount table but for the cover.
struct Cgroups {
    own: PathBuf,
    graph: PathBuf,
    app: PathBuf,
}

impl Cgroups {
    /// Reads the application's `target <name> <dir>` lines, up to `end`.
    fn from_stdin() -> Cgroups {
        let mut named = std::collections::HashMap::new();
        for line in std::io::stdin().lock().lines() {
            let line = line.unwrap();
            if line == "end" {
                break;
            }
            let (name, dir) = line
                .strip_prefix("target ")
                .and_then(|t| t.split_once(' '))
                .unwrap_or_else(|| panic!("not a target: {line:?}"));
            named.insert(name.to_owned(), PathBuf::from(dir));
        }
        let mut take = |name: &str| {
            named
                .remove(name)
                .unwrap_or_else(|| panic!("the application named no {name} cgroup"))
        };
        Cgroups {
            own: take("own"),
            graph: take("graph"),
            app: take("app"),
        }
    }

    fn all(&self) -> [(&'static str, &Path); 3] {
        [
            ("own", &self.own),
            ("graph", &self.graph),
            ("app", &self.app),
        ]
    }
}

/// What this process sees of the cgroup directory `dir`: the file system
/// of the nearest directory on its path that exists (`tmpfs`: the cover of
/// a scope; `cgroup2`: the hierarchy itself), and whether `dir` is there
/// (`found`), or that nearest one is the empty cover (`covered`), or
/// something else is (`missing`: a wrong path, or an uncovered one).
fn view(dir: &Path) -> (String, &'static str) {
    let Some(nearest) = dir.ancestors().find(|d| d.exists()) else {
        return ("nothing".to_owned(), "missing");
    };
    let fs = match rustix::fs::statfs(nearest) {
        Ok(st) if st.f_type as u64 == libc::TMPFS_MAGIC as u64 => "tmpfs".to_owned(),
        Ok(st) if st.f_type as u64 == libc::CGROUP2_SUPER_MAGIC as u64 => "cgroup2".to_owned(),
        Ok(st) => format!("{:#x}", st.f_type),
        Err(e) => format!("statfs-error-{}", e.raw_os_error()),
    };
    let empty = || std::fs::read_dir(nearest).is_ok_and(|mut d| d.next().is_none());
    let found = match nearest == dir {
        true => "found",
        false if fs == "tmpfs" && empty() => "covered",
        false => "missing",
    };
    (fs, found)
}

/// One attack at the watcher `w`: `0` if it worked, else its errno.
fn attack(name: &str, w: i32, cgroups: &Cgroups) -> i32 {
    let result = |ret: libc::c_long| match ret {
        -1 => std::io::Error::last_os_error().raw_os_error().unwrap(),
        _ => 0,
    };
    let write = |file: &Path, text: &str| match std::fs::write(file, text) {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap(),
    };
    // SAFETY (every call below): syscalls with plain integers, null
    // addresses, or pointers to locals that outlive the call.
    match name {
        "kill-KILL" => result(unsafe { libc::kill(w, libc::SIGKILL) }.into()),
        "kill-STOP" => result(unsafe { libc::kill(w, libc::SIGSTOP) }.into()),
        "killpg-KILL" => result(unsafe { libc::kill(-w, libc::SIGKILL) }.into()),
        "kill-all" => result(unsafe { libc::kill(-1, libc::SIGKILL) }.into()),
        "ptrace-attach" | "ptrace-seize" => {
            let request = match name {
                "ptrace-attach" => libc::PTRACE_ATTACH,
                _ => libc::PTRACE_SEIZE,
            };
            let errno = result(unsafe { libc::ptrace(request, w, 0usize, 0usize) });
            if errno == 0 {
                // Let go again: a traced watcher would be another failure.
                unsafe {
                    libc::ptrace(libc::PTRACE_INTERRUPT, w, 0usize, 0usize);
                    let mut status = 0;
                    libc::waitpid(w, &mut status, libc::__WALL);
                    libc::ptrace(libc::PTRACE_DETACH, w, 0usize, 0usize);
                }
            }
            errno
        }
        "vm-read" => {
            // Any address: a refusal is EPERM or ESRCH, an allowed read of
            // an unmapped address EFAULT.
            let mut value = 0u64;
            let local = libc::iovec {
                iov_base: std::ptr::from_mut(&mut value).cast(),
                iov_len: 8,
            };
            let remote = libc::iovec {
                iov_base: 0x1000 as *mut libc::c_void,
                iov_len: 8,
            };
            result(unsafe { libc::process_vm_readv(w, &local, 1, &remote, 1, 0) } as libc::c_long)
        }
        "mem-open" => match std::fs::File::open(format!("/proc/{w}/mem")) {
            Ok(_) => 0,
            Err(e) => e.raw_os_error().unwrap(),
        },
        "pidfd-signal" => {
            let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, w, 0) };
            match pidfd {
                -1 => result(-1),
                fd => result(unsafe {
                    libc::syscall(libc::SYS_pidfd_send_signal, fd, libc::SIGKILL, 0usize, 0)
                }),
            }
        }
        "procfd-signal" => match std::fs::File::open(format!("/proc/{w}")) {
            Err(e) => e.raw_os_error().unwrap(),
            Ok(dir) => {
                use std::os::fd::AsRawFd;
                let fd = dir.as_raw_fd();
                result(unsafe {
                    libc::syscall(libc::SYS_pidfd_send_signal, fd, libc::SIGKILL, 0usize, 0)
                })
            }
        },
        "own-procs-watcher" => write(&cgroups.own.join("cgroup.procs"), &w.to_string()),
        "app-procs-self" => write(&cgroups.app.join("cgroup.procs"), "0"),
        "graph-kill" => write(&cgroups.graph.join("cgroup.kill"), "1"),
        "app-kill" => write(&cgroups.app.join("cgroup.kill"), "1"),
        "own-kill" => write(&cgroups.own.join("cgroup.kill"), "1"),
        other => panic!("no attack {other:?}"),
    }
}
