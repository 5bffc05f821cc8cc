//! The only node of a user + pid scope (and, as root, of a scope with a
//! pid namespace alone), without a cgroup (cgroups turned off as root;
//! none to be had as uid 65534), clones with `CLONE_PARENT`:
//! its clones are the application's children (the node itself is one: the
//! carried program clones it with `CLONE_PARENT`), in the scope's pid
//! namespace or one nested in it. When the node ends, the scope's init
//! kills them with the rest of the namespace (`tests/scope_only_node.rs`),
//! but a killed process stays its parent's zombie until its parent reaps
//! it, and the init is not their parent. A node that crash-loops, each run
//! leaving five clones in sessions of their own (so its process group's
//! kill misses them), would pile up zombies in the application for the
//! scope's whole life, and fill the pid table. The runtime must reap, at
//! each of the node's ends (before the end is reported and before the node
//! starts again), the application's ended children in the scope's pid
//! namespace or one nested in it, and never a child the application made
//! itself. `tests/cgroup_strays.rs` is the same attack on a node with a
//! cgroup. As root and as uid 65534.
//!
//! In a user + pid scope the node also hides its clones, as root in its
//! scope may (in a pid scope alone it would cover the machine's), from whoever
//! lists the scope's `/proc` by its path: in one run it mounts an empty
//! `tmpfs` over it; in the next it takes that off and relies on `/proc`
//! remounted with `hidepid=invisible`, which hides a non-dumpable process
//! that has ended, or is ending, from every reader without
//! `CAP_SYS_PTRACE` in the machine's first user namespace — and each clone
//! makes itself non-dumpable. Either way an init that counted through that
//! `/proc` would answer that none was left, and wait for none; and an
//! application that read a clone's `/proc/PID/ns/pid` would be refused it
//! once the clone ended, as uid 65534.
//!
//! Why the assertions cannot pass vacuously: each run's clones are found
//! among the application's children by their pid in the scope (what
//! `clone` told the node), so they were made, are the application's, and
//! are in the scope's pid namespace (one of them in a pid namespace nested
//! in it); each left the node's session; the node has no cgroup but the
//! application's, so no cgroup's kill or reap is what clears them; the
//! test lets the node end only once the clones that exit at once are
//! zombies; and each run says how it hid them, once it saw that it took
//! (an empty listing under the `tmpfs`, `hidepid=invisible` in the mount
//! table), in turn one way and the other.
//!
//! Then the same cases where the kernel refuses the init the mount API
//! (`fsopen`, refused by a seccomp filter, as an older kernel or a
//! sandbox's allow-list would): the scope must still work, and the init,
//! which then has no `/proc` of its own to count in, must answer that it
//! cannot tell what it left, so that the application looks all the same,
//! whatever the node hid. Only the wait for the clones still exiting is
//! lost: those of a run may be left at its end, never at the next one.
//!
//! And where the node, root in its scope, lowers the init's
//! `RLIMIT_NOFILE` to 0 (`prlimit`), so that the init can open nothing to
//! count in: it must answer that it cannot tell, never that none is left.
//! It lowers the init's other limits to 0 too (memory, stack, processes,
//! queued signals, locked pages, file size), and the init must serve on.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::stray_cases::{
    self, BACKOFF, CLONES, CRASHES, End, SETTLE, assert_own_zombie, wait_for,
};
use common::{ProcStat, children_of_this_process, marked, unique_marker};
use process_graph_runtime::{
    Command, Containment, Decision, EdgeId, Endpoint, Event, ExitStatus, Graph, Namespace, NodeId,
    NodeOptions, Restart, RunningGraph, ScopeSpec,
};

/// In the node's environment: it is the hostile node,
/// [`crash_looping_cloner`], and how many of its clones sleep.
const CLONER: &str = "PG_TEST_SCOPE_ONLY_STRAYS";

/// In the node's environment: `1` if it hides its clones from the scope's
/// `/proc` ([`Scope::UserAndPid`]).
const HIDES: &str = "PG_TEST_SCOPE_ONLY_STRAYS_HIDE";

/// In the node's environment: `1` if it starves the scope's init of fds
/// and of the other resources that could hinder it ([`Init::Starved`]).
const STARVES: &str = "PG_TEST_SCOPE_ONLY_STRAYS_STARVE";

/// In the environment of this binary run again as its ignored test
/// [`where_the_kernel_refuses_the_mount_api`]: it is that run.
const REFUSED: &str = "PG_TEST_SCOPE_ONLY_STRAYS_MOUNT_API_REFUSED";

/// Every case in one test: they count this process's children, which a test
/// running beside them would add to. Those where the mount API is refused
/// then run in a child process, whose filter goes with it.
#[test]
fn clone_parent_strays_of_the_only_node_of_a_pid_scope_are_reaped_at_each_of_its_ends() {
    common::as_root_and_unprivileged(
        "clone_parent_strays_of_the_only_node_of_a_pid_scope_are_reaped_at_each_of_its_ends",
        || {
            the_cases();
            without_a_count(Init::Starved);
            let (out, _) = common::run_ignored_test(
                "where_the_kernel_refuses_the_mount_api",
                &[(REFUSED, "1")],
            );
            assert!(
                out.contains("fsopen: ENOSYS"),
                "the filter did not hold: {out}"
            );
            for line in out.lines().filter(|line| line.contains("unwaited")) {
                println!("with fsopen refused: {line}");
            }
        },
    );
}

/// The cases of the test above where the init counts: in a scope with
/// user and pid namespaces and, as root, in one with a pid namespace
/// alone.
fn the_cases() {
    let in_user_and_pid = |binary: &Path, own, sleeping, end| {
        crash_loop(Scope::UserAndPid, Init::Counts, binary, own, sleeping, end);
    };
    stray_cases::run_the_cases(Duration::from_secs(100), in_user_and_pid);
    if rustix::process::geteuid().is_root() {
        let in_pid_alone = |binary: &Path, own, sleeping, end| {
            crash_loop(Scope::PidAlone, Init::Counts, binary, own, sleeping, end);
        };
        stray_cases::run_the_cases(Duration::from_secs(100), in_pid_alone);
    }
}

/// Where the init cannot count (`init`), in a user + pid scope: the two
/// crash loops without the application's own zombie (the cases with one
/// test the look, which is the same whatever the init answered), one
/// with clones still asleep at each crash, and one without.
fn without_a_count(init: Init) {
    common::within(Duration::from_secs(100), "the crash loops", move || {
        let binary = common::unprivileged_copy_of_this_binary();
        stray_cases::nothing_left_but(None, "before the cases");
        crash_loop(Scope::UserAndPid, init, &binary, None, 2, End::Shutdown);
        crash_loop(Scope::UserAndPid, init, &binary, None, 0, End::Leave);
    });
}

/// The cases with `fsopen` refused (`ENOSYS`, as a kernel older than the
/// call answers) to this process and all it starts, the scopes' inits
/// included.
#[test]
#[ignore = "run by the test above, in a process of its own"]
fn where_the_kernel_refuses_the_mount_api() {
    if std::env::var_os(REFUSED).is_none() {
        return; // Only meaningful as the child.
    }
    common::seccomp::refuse(libc::SYS_fsopen, libc::ENOSYS);
    // SAFETY: `fsopen` of a valid name and no flags; a context it made
    // would be closed below.
    let context = unsafe { libc::syscall(libc::SYS_fsopen, c"proc".as_ptr(), 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    if context >= 0 {
        // SAFETY: the fd it returned, ours.
        unsafe { libc::close(context as i32) };
    }
    let refused = context < 0 && errno == Some(libc::ENOSYS);
    println!("fsopen: {}", if refused { "ENOSYS" } else { "allowed" });
    without_a_count(Init::CannotMount);
}

/// What the scope's init has to count what a clear left in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Init {
    /// A `/proc` of its own: it counts, and waits for the clones still
    /// exiting.
    Counts,
    /// None: the kernel refuses it the mount API.
    CannotMount,
    /// One it can no longer list: the node lowered its `RLIMIT_NOFILE`,
    /// and its other limits but `RLIMIT_CPU`, to 0 ([`STARVES`]).
    Starved,
}

/// The node's scope.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    /// User and pid namespaces (and so a mount namespace, its mounts
    /// locked): the node is root in it, and hides its clones from the
    /// scope's `/proc`.
    UserAndPid,
    /// A pid namespace alone, a root application's: the scope's `/proc` is
    /// the application's, which the node leaves alone. The init counts in
    /// a `/proc` of its own all the same, and waits.
    PidAlone,
}

/// One of a run's clones: its pid in the application's pid namespace, and
/// a pidfd of it, which tells its end apart from a pid reused since.
struct Stray {
    pid: i32,
    pidfd: OwnedFd,
}

/// Runs [`crash_looping_cloner`] as the only node of a `scope`,
/// beside a keeper outside it that keeps the scope alive, restarted until
/// it crashed [`CRASHES`] times, `sleeping` of its clones alive at each
/// crash; then ends the graph as `end` says. At each run it checks that the
/// clones were made, are the application's children in the scope, and that
/// those of earlier runs have all ended; at each of the node's ends, that
/// no clone is left in the scope, ended or not, and `own` (the application's own
/// zombie, if it made one) still is one; at the graph's end, that no child
/// at all is left but `own`. Where the init cannot count (`init`), the
/// sleeping clones of the run that just ended may be left at its end,
/// still exiting: it did not wait for them.
///
/// None at all, deterministically: the clones that exit at once were
/// zombies before the node was let crash, and the init answers the kill
/// only once the sleeping ones, which it cannot reap, have ended too. Each
/// sleeping clone frees [`HELD`] bytes as it exits, so an answer that did
/// not wait for them would leave them exiting when the runtime looks, and
/// still there (exiting, or a zombie) when the test does.
fn crash_loop(
    scope: Scope,
    init: Init,
    binary: &Path,
    own: Option<i32>,
    sleeping: usize,
    end: End,
) {
    let marker = unique_marker("scope-only-strays");
    let mut graph = Graph::new();
    graph.containment(Containment::Off);
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let (spec, hides) = match scope {
        Scope::UserAndPid => (ScopeSpec::new([Namespace::User, Namespace::Pid]), "1"),
        Scope::PidAlone => (ScopeSpec::new([Namespace::Pid]), "0"),
    };
    let jail = graph.scope("jail", spec);
    let node = graph.node_with(
        "cloner",
        stray_cases::cloner(binary, CLONER, sleeping, &marker)
            .env(HIDES, hides)
            .env(STARVES, if init == Init::Starved { "1" } else { "0" }),
        NodeOptions::new()
            .scope(jail)
            .restart(Restart::Always)
            .backoff(BACKOFF, BACKOFF),
    );
    graph.node("keeper", marked(Command::new("sleep").arg("300"), &marker));
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let go = graph.pipe(Endpoint::Parent, node.stdin());
    let mut running = graph.spawn().unwrap();
    let reports = clone_reports(&mut running, out);
    let mut go = running.take_writer(go).unwrap();
    let case = format!(
        "{scope:?}, init {init:?}: {sleeping} clones sleeping, {end:?}, the application's \
         own zombie: {own:?}"
    );
    let unwaited = if init == Init::Counts { 0 } else { sleeping };

    // Each run's clones, the first run's first.
    let mut runs: Vec<Vec<Stray>> = Vec::new();
    for run in 1.. {
        let pid = match next_of(&mut running, node, run) {
            Event::Started { pid, .. } => pid,
            event => panic!("{case}: run {run} ended before it started: {event:?}"),
        };
        let report = reports
            .recv_timeout(SETTLE)
            .unwrap_or_else(|e| panic!("{case}: run {run} of the node reported no clones ({e})"));
        // A `tmpfs` in the first run, then the other way, in turn.
        let hiding = ["tmpfs", "hidepid"][(run - 1) % 2];
        assert_eq!(
            report.hid_by.as_deref(),
            (scope == Scope::UserAndPid).then_some(hiding),
            "{case}: run {run} did not hide the scope's processes from /proc"
        );
        assert_eq!(
            report.starved,
            init == Init::Starved,
            "{case}: run {run} did not starve the init"
        );
        let clones = clones_of_the_application(pid, &report.in_scope, sleeping, run);
        for (earlier, clones) in runs.iter().enumerate() {
            for clone in clones {
                assert!(
                    common::exits_within(&clone.pidfd, SETTLE),
                    "{case}: clone {} of run {} lives on in run {run}",
                    clone.pid,
                    earlier + 1
                );
            }
        }
        runs.push(clones);
        if run > CRASHES {
            // End::Shutdown: this run's clones are made, the sleeping ones
            // alive.
            running.shutdown(Duration::from_secs(1)).unwrap();
            break;
        }
        go.write_all(b"\n").unwrap();
        let status = match next_of(&mut running, node, run) {
            Event::Exited {
                status, decision, ..
            } => {
                assert!(
                    matches!(decision, Decision::Restart { .. }),
                    "{case}: run {run}: {decision:?}"
                );
                status
            }
            event => panic!("{case}: run {run} started again before it ended: {event:?}"),
        };
        assert_eq!(status, ExitStatus::Exited(1), "{case}: run {run} crashed");
        no_clone_left_in_the_scope(&runs, unwaited, &format!("{case}: run {run}"));
        assert_own_zombie(
            own,
            &children_of_this_process(),
            &format!("{case}: run {run}"),
        );
        if run == CRASHES && matches!(end, End::Leave) {
            assert!(running.decide(Decision::Leave));
            running.shutdown(Duration::from_secs(1)).unwrap();
            break;
        }
    }
    stray_cases::nothing_left_after(running, own, &marker, &case);
}

/// What a run of the node said: how it hid the scope's processes from
/// `/proc` (`tmpfs` or `hidepid`), whether it starved the init, and the
/// pids (in the scope) of its clones.
struct Report {
    hid_by: Option<String>,
    starved: bool,
    in_scope: Vec<i32>,
}

/// Each run's [`Report`], read from `out` on a thread of its own;
/// libtest's lines are passed over.
fn clone_reports(running: &mut RunningGraph, out: EdgeId) -> mpsc::Receiver<Report> {
    let reader = BufReader::new(running.take_reader(out).unwrap());
    let (reports, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut hid_by = None;
        let mut starved = false;
        for line in reader.lines().map_while(Result::ok) {
            if let Some(how) = line.strip_prefix("hid /proc by ") {
                hid_by = Some(how.to_string());
            }
            starved |= line == "starved the init";
            let Some(pids) = line.strip_prefix("clones ") else {
                continue;
            };
            let pids = pids.split_whitespace().map(|pid| pid.parse().unwrap());
            let report = Report {
                hid_by: hid_by.take(),
                starved: std::mem::take(&mut starved),
                in_scope: pids.collect(),
            };
            if reports.send(report).is_err() {
                break;
            }
        }
    });
    received
}

/// Finds the clones the node `node` (its pid here) said it made (their
/// pids in the scope, `in_scope`) among this process's children, and fails
/// unless each is in the node's pid namespace (the one before the
/// sleeping ones in a pid namespace nested in it, where it is pid 1), in a
/// session of its own, those that exit at once zombies and the `sleeping`
/// last ones alive; and unless the node has a pid namespace of its own and
/// no cgroup but the application's. The strays the runtime must reap
/// really are there.
fn clones_of_the_application(
    node: u32,
    in_scope: &[i32],
    sleeping: usize,
    run: usize,
) -> Vec<Stray> {
    assert_eq!(in_scope.len(), CLONES, "run {run}: the clones made");
    let me = std::process::id();
    let scope = pid_namespace(node as i32).expect("the node's pid namespace");
    assert_ne!(
        Some(&scope),
        pid_namespace(me as i32).as_ref(),
        "run {run}: the node has no pid namespace of its own"
    );
    assert_eq!(
        common::cgroup_of(node),
        common::cgroup_of(me),
        "run {run}: the node has a cgroup of its own"
    );
    let scope_fd = std::fs::File::open(format!("/proc/{node}/ns/pid")).unwrap();
    let depth = pid_namespace_pids(me as i32).unwrap().len();
    let exiting = CLONES - sleeping;
    let mut clones = Vec::new();
    for (i, &inner) in in_scope.iter().enumerate() {
        let nested = i == exiting - 1;
        let mut found = Vec::new();
        wait_for(
            &format!("run {run}: clone {inner} (in the scope) among the application's children"),
            || {
                found = children_of_this_process()
                    .into_iter()
                    .filter(|child| {
                        pid_namespace_pids(child.pid)
                            .is_some_and(|pids| pids.get(depth) == Some(&inner))
                    })
                    .collect::<Vec<ProcStat>>();
                found.len() == 1 && found[0].is_live() != (i < exiting)
            },
        );
        let stat = &found[0];
        if i < exiting {
            note_if_its_namespace_is_readable(stat.pid);
        }
        assert_eq!(
            tgid_in(&scope_fd, depth, stat.pid),
            Some(inner),
            "run {run}: clone {stat:?} is not {inner} in the node's pid namespace"
        );
        let pids = pid_namespace_pids(stat.pid).unwrap();
        let levels = if nested { depth + 2 } else { depth + 1 };
        assert_eq!(
            pids.len(),
            levels,
            "run {run}: clone {stat:?} (nested: {nested}) is not as deep below the node's pid \
             namespace as it should be ({pids:?})"
        );
        assert_eq!(
            stat.pgrp, stat.pid,
            "run {run}: clone {stat:?} did not leave the node's process group"
        );
        let pidfd = common::open_pidfd(stat.pid).expect("a clone not yet reaped");
        clones.push(Stray {
            pid: stat.pid,
            pidfd,
        });
    }
    clones
}

/// The next start or end of `node`, run `run`, within [`SETTLE`]; a failed
/// start fails the test.
fn next_of(running: &mut RunningGraph, node: NodeId, run: usize) -> Event {
    loop {
        match running.next_event(Some(SETTLE)).unwrap() {
            Some(Event::StartFailed { error, .. }) => panic!("run {run} failed to start: {error}"),
            Some(event @ (Event::Started { node: n, .. } | Event::Exited { node: n, .. }))
                if n == node =>
            {
                return event;
            }
            Some(_) => {}
            None => panic!("run {run}: no event within {SETTLE:?}, or the graph ended"),
        }
    }
}

/// Fails if a child of this process in a pid namespace below its own (the
/// scope's, or one nested in it) is left, a zombie or still exiting, but
/// the scope's init (pid 1 of the scope's namespace) and the `unwaited`
/// last clones of the latest run: a clone of this run or an earlier one,
/// or no clone at all. Says which run each is of, and how many of the
/// `unwaited` were left.
fn no_clone_left_in_the_scope(runs: &[Vec<Stray>], unwaited: usize, when: &str) {
    let depth = pid_namespace_pids(std::process::id() as i32).unwrap().len();
    let is_the_scopes_init = |pids: &[i32]| pids.len() == depth + 1 && pids.last() == Some(&1);
    let left: Vec<(i32, char)> = children_of_this_process()
        .into_iter()
        .filter(|child| {
            pid_namespace_pids(child.pid)
                .is_some_and(|pids| pids.len() > depth && !is_the_scopes_init(&pids))
        })
        .map(|child| (child.pid, child.state))
        .collect();
    let latest = runs.last().map_or(&[][..], Vec::as_slice);
    let unwaited = &latest[latest.len() - unwaited..];
    let (excused, left): (Vec<_>, Vec<_>) = left
        .into_iter()
        .partition(|&(pid, _)| unwaited.iter().any(|clone| clone.pid == pid));
    if !excused.is_empty() {
        println!("{when}: left still exiting, unwaited for (pid, state): {excused:?}");
    }
    // A pid reaped and given again is the latest run's.
    let run_of = |pid| {
        runs.iter()
            .rposition(|run| run.iter().any(|c| c.pid == pid))
    };
    let mut per_run = vec![0; runs.len()];
    for run in left.iter().filter_map(|&(pid, _)| run_of(pid)) {
        per_run[run] += 1;
    }
    assert!(
        left.is_empty(),
        "{when}: at the node's end {} clones left in the scope, of runs 1.. {per_run:?} \
         (pid, state): {left:?} should have ended and been reaped",
        left.len(),
    );
}

/// The pids process `pid` has, from `/proc`'s pid namespace down to its
/// own (`NSpid`): a zombie's too.
fn pid_namespace_pids(pid: i32) -> Option<Vec<i32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
    line.split_whitespace().map(|p| p.parse().ok()).collect()
}

/// The pid namespace of process `pid` (`pid:[inode]`).
fn pid_namespace(pid: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// The thread group id that process `pid` (ours) has in the pid namespace
/// `namespace` (an fd of it, `depth` levels below `/proc`'s), if it has
/// one there: it is in it, or in one nested in it (`NS_GET_TGID_IN_PIDNS`).
/// Not `/proc/PID/ns/pid`, which the kernel closes to us once a
/// non-dumpable clone has ended. Where the kernel does not know the
/// request, its pid that many levels down (`NSpid`), which does not tell
/// that namespace from a sibling's.
fn tgid_in(namespace: &std::fs::File, depth: usize, pid: i32) -> Option<i32> {
    use std::os::fd::AsRawFd;
    // SAFETY: the request takes a pid by value and writes nothing.
    let tgid = unsafe {
        libc::ioctl(
            namespace.as_raw_fd(),
            libc::NS_GET_TGID_IN_PIDNS,
            pid as libc::c_ulong,
        )
    };
    if tgid < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOTTY) {
        return pid_namespace_pids(pid)?.get(depth).copied();
    }
    (tgid > 0).then_some(tgid)
}

/// Says so where the kernel lets this process, unprivileged, read
/// `/proc/PID/ns/pid` of the ended non-dumpable clone `pid`: there the
/// clones' being non-dumpable hides nothing from the runtime, and that half
/// of the attack tests nothing.
fn note_if_its_namespace_is_readable(pid: i32) {
    if rustix::process::geteuid().is_root() {
        return;
    }
    if pid_namespace(pid).is_some() {
        eprintln!(
            "note: this kernel lets uid {} read /proc/{pid}/ns/pid of an ended non-dumpable \
             clone; the clones' being non-dumpable is not tested here",
            rustix::process::geteuid().as_raw()
        );
    }
}

/// How much memory each sleeping clone has written to: freeing it makes
/// its exit, once killed, take milliseconds, so an end reported before the
/// killed clones had ended would find them still exiting.
const HELD: usize = 256 << 20;

/// The hostile node ([`stray_cases::crash_looping_cloner`]): the last of
/// the clones that exit at once is in user and pid namespaces of its own,
/// each sleeping clone holds [`HELD`] bytes, and it hides them where
/// [`HIDES`] says.
#[test]
#[ignore = "the hostile node of the test above"]
fn crash_looping_cloner() {
    let clones = stray_cases::Clones {
        nested: true,
        held: HELD,
        hide_proc: std::env::var(HIDES).is_ok_and(|hides| hides == "1"),
        starve_init: std::env::var(STARVES).is_ok_and(|starves| starves == "1"),
    };
    stray_cases::crash_looping_cloner(CLONER, clones);
}
