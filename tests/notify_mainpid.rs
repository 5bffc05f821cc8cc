//! `MAINPID=` and `STOPPING=1` of systemd's notify protocol, against real
//! programs: a script that forks its server and names it with the real
//! `systemd-notify --pid=`, a program that names its child and exits at
//! once, a node that shuts down on its own — and a hostile node that names
//! processes that are not its own, from the application's pid namespace and
//! from a pid scope. As root the nodes have cgroups of their own (the cgroup
//! rule); as uid 65534 they do not (descendants and the node's process
//! group).
//!
//! The tests take turns ([`turn`]), so each can count what it leaves:
//! no live process, no zombie child, no fd.

mod common;

use std::collections::BTreeMap;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Decision, Event, ExitStatus, Graph, MainPidRefusal, Namespace, NodeId, NodeOptions,
    NodeState, NotifyAccess, Probe, Readiness, Restart, RunningGraph, ScopeSpec, Signal,
};

/// What a test found before it started anything, to compare with what is
/// left when it is done; held, it keeps the other tests of this binary out.
struct Leftovers {
    marker: String,
    fds: BTreeMap<i32, String>,
}

impl Leftovers {
    fn before(test: &str) -> Leftovers {
        Leftovers {
            marker: common::unique_marker(test),
            fds: common::open_fds(),
        }
    }

    /// `command`, marked as this test's (its descendants inherit the mark).
    fn mark(&self, command: Command) -> Command {
        common::marked(command, &self.marker)
    }

    /// Nothing of the test is left: no live process with its mark, no
    /// zombie child, no fd more than before.
    fn assert_none(self) {
        common::assert_all_exit(
            &common::live_marked_processes(&self.marker),
            "left after the graph",
        );
        let zombies: Vec<_> = common::children_of_this_process()
            .into_iter()
            .filter(|p| !p.is_live())
            .collect();
        assert_eq!(zombies.len(), 0, "zombie children left: {zombies:?}");
        assert_eq!(common::open_fds(), self.fds, "fds left open");
    }
}

/// Runs `running`'s events until `pick` takes one, for up to 10 s; returns
/// what it took.
fn until<T>(
    running: &mut RunningGraph,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Some(event) = running.next_event(Some(Duration::from_millis(50))).unwrap() else {
            continue;
        };
        if let Some(taken) = pick(&event) {
            return taken;
        }
        seen.push(event);
    }
    panic!("no {what} within 10 s; saw {seen:?}")
}

/// The events of `running` until `done` holds, at most 10 s; none of them
/// may be an exit of `node`.
fn run_without_exit_of(running: &mut RunningGraph, node: NodeId, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        if let Some(event) = running.next_event(Some(Duration::from_millis(20))).unwrap() {
            assert!(
                !matches!(event, Event::Exited { node: n, .. } if n == node),
                "the node ended: {event:?}"
            );
        }
    }
}

fn is_zombie(pid: u32) -> bool {
    common::proc_stat(pid as i32).is_some_and(|s| s.state == 'Z')
}

fn is_live(pid: u32) -> bool {
    common::proc_stat(pid as i32).is_some_and(|s| s.is_live())
}

/// The pid `node` was started as. Taken from its `Started` event, not from
/// `RunningGraph::pid` after `spawn`: a claim the loop judged while `spawn`
/// ran (under load, the node's datagram comes before its siblings have
/// started) has already moved the node's pid to the one it named.
fn started_pid_of(event: &Event, node: NodeId) -> Option<u32> {
    match event {
        Event::Started { node: n, pid } if *n == node => Some(*pid),
        _ => None,
    }
}

/// Runs the loop until `node`'s `MAINPID=` is accepted: the pid it was
/// started as ([`started_pid_of`]) and the pid it named.
fn started_then_named(running: &mut RunningGraph, node: NodeId) -> (u32, u32) {
    let mut started = None;
    let named = until(running, "MainPid", |e| {
        started = started.or(started_pid_of(e, node));
        main_pid_of(e, node)
    });
    (started.expect("Started comes before MainPid"), named)
}

/// The pid of `node`'s accepted `MAINPID=`.
fn main_pid_of(event: &Event, node: NodeId) -> Option<u32> {
    match event {
        Event::MainPid { node: n, pid } if *n == node => Some(*pid),
        _ => None,
    }
}

/// The shell forks `sleep`, names it with `systemd-notify --pid=$!` (which
/// waits until its message is read) and exits 0: the node keeps running —
/// its pid is the sleep's now — until the sleep dies, and that end is
/// restarted by its policy. A stop then goes to the new server.
#[test]
fn a_script_that_forks_its_server_and_exits_keeps_the_node_until_the_server_ends() {
    if !common::installed("systemd-notify", "systemd") {
        return;
    }
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_script_that_forks_its_server_and_exits_keeps_the_node_until_the_server_ends",
        || {
            let leftovers = Leftovers::before("forking");
            let mut graph = Graph::new();
            let node = graph.node_with(
                "forking",
                leftovers
                    .mark(Command::new("sh"))
                    .args(["-c", "sleep 300 & systemd-notify --ready --pid=$!; exit 0"]),
                NodeOptions::new()
                    .ready(Readiness::Notify)
                    .notify_access(NotifyAccess::All)
                    .restart(Restart::Always)
                    .backoff(Duration::from_millis(10), Duration::from_millis(100)),
            );
            let mut running = graph.spawn().unwrap();
            let (shell, server) = started_then_named(&mut running, node);
            assert_ne!(server, shell);
            assert_eq!(common::proc_stat(server as i32).unwrap().comm, "sleep");
            until(&mut running, "Ready", |e| {
                (*e == Event::Ready { node }).then_some(())
            });

            // The shell has exited 0; it is left a zombie, the node runs on.
            run_without_exit_of(&mut running, node, || is_zombie(shell));
            assert_eq!(running.state(node), NodeState::Running);
            assert_eq!(running.pid(node), Some(server));

            // The server's end is the node's, decided by its policy.
            rustix::process::kill_process(
                rustix::process::Pid::from_raw(server as i32).unwrap(),
                rustix::process::Signal::KILL,
            )
            .unwrap();
            let (status, decision) = until(&mut running, "Exited", |e| match e {
                Event::Exited {
                    node: n,
                    status,
                    decision,
                } if *n == node => Some((*status, *decision)),
                _ => None,
            });
            // Not our child: its status is read from the kernel.
            assert_eq!(status, ExitStatus::Signaled(Signal::KILL));
            assert!(matches!(decision, Decision::Restart { .. }), "{decision:?}");
            assert!(
                common::proc_stat(shell as i32).is_none(),
                "the started shell is reaped with the node's end"
            );

            // Restarted: a new shell names a new server; the shutdown's stop
            // signal reaches that server, and nothing is left.
            let second = until(&mut running, "MainPid", |e| main_pid_of(e, node));
            assert_ne!(second, server);
            let report = running.shutdown(Duration::from_secs(5)).unwrap();
            let exit = report.by_name("forking").unwrap();
            assert_eq!(exit.restarts, 1);
            assert!(!exit.killed_after_timeout);
            assert!(!is_live(second), "the second server outlived the graph");
            assert_eq!(exit.status, Some(ExitStatus::Signaled(Signal::TERM)));
            drop(running);
            leftovers.assert_none();
        },
    );
}

/// Forks a server that notes each signal it gets in the file named by its
/// argument (and exits 0 on SIGTERM), names it in a `MAINPID=` sent by
/// itself, and exits at once: the server is an orphan before the message
/// is read.
const NAMES_ITS_CHILD: &str = r#"
import os, signal, socket, sys, time
path = sys.argv[1]
def note(signo, _):
    with open(path, "a") as f:
        f.write(signal.Signals(signo).name + "\n")
    if signo == signal.SIGTERM:
        os._exit(0)
signal.signal(signal.SIGUSR1, note)
signal.signal(signal.SIGTERM, note)
# The child says when it is past fork: CPython drops a signal that comes
# before its after-fork bookkeeping is done.
ready, past_fork = os.pipe()
child = os.fork()
if child == 0:
    os.write(past_fork, b"x")
    while True:
        time.sleep(1)
os.read(ready, 1)
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendto(("MAINPID=%d\nREADY=1" % child).encode(), address)
os._exit(0)
"#;

/// The main process names its child and exits without waiting (default
/// notify access: the main process's own message). The orphan is still
/// the node's — in its cgroup as root, in its process group otherwise — so
/// it is followed: `signal` and the shutdown's stop signal reach it.
#[test]
fn an_orphaned_server_named_by_the_main_process_gets_the_nodes_signals() {
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "an_orphaned_server_named_by_the_main_process_gets_the_nodes_signals",
        || {
            let leftovers = Leftovers::before("orphaned");
            let dir = common::TempDir::new("mainpid_signals");
            let notes = dir.path().join("signals");
            let mut graph = Graph::new();
            let node = graph.node_with(
                "server",
                leftovers
                    .mark(Command::new("/usr/bin/python3"))
                    .args(["-c", NAMES_ITS_CHILD])
                    .arg(&notes),
                NodeOptions::new().ready(Readiness::Notify),
            );
            let mut running = graph.spawn().unwrap();
            let (started, server) = started_then_named(&mut running, node);
            run_without_exit_of(&mut running, node, || is_zombie(started));
            assert_eq!(running.pid(node), Some(server));
            running.signal(node, Signal::USR1).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::fs::read_to_string(&notes).unwrap_or_default() != "SIGUSR1\n" {
                assert!(
                    Instant::now() < deadline,
                    "no SIGUSR1 noted: {:?}, server {:?}",
                    std::fs::read_to_string(&notes),
                    common::proc_stat(server as i32)
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            let report = running.shutdown(Duration::from_secs(5)).unwrap();
            assert_eq!(
                std::fs::read_to_string(&notes).unwrap(),
                "SIGUSR1\nSIGTERM\n",
                "the stop signal went to the server"
            );
            let exit = report.by_name("server").unwrap();
            assert_eq!(
                exit.status,
                Some(ExitStatus::Exited(0)),
                "the server's exit"
            );
            assert!(!exit.killed_after_timeout);
            drop(running);
            leftovers.assert_none();
        },
    );
}

/// Waits for a file naming pids (or garbage), one per line, then sends each
/// as `MAINPID=` in a datagram of its own, from itself (the main process,
/// believed), and then sleeps. With a second argument `move`, each pid is
/// first written into the node's own `cgroup.procs` (where it may: as
/// root), with a line "PID moved" or "PID not moved: why" in the file's
/// `.moves`, and the word `server` makes it fork a `sleep` into a cgroup
/// `server` it makes below its own, and name that.
const NAMES_OTHERS: &str = r#"
import os, socket, sys, time
path, moves = sys.argv[1], sys.argv[2:] == ["move"]
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendto(b"READY=1", address)
if moves:
    mount = next(l.split()[4] for l in open("/proc/self/mountinfo") if " - cgroup2 " in l)
    own = mount + next(l[3:].strip() for l in open("/proc/self/cgroup") if l.startswith("0::"))
while not os.path.exists(path):
    time.sleep(0.01)
for line in open(path).read().split():
    if moves and line == "server":
        os.mkdir(own + "/server")
        pid = os.fork()
        if pid == 0:
            os.execvp("sleep", ["sleep", "300"])
        open(own + "/server/cgroup.procs", "w").write(str(pid))
        line = str(pid)
    elif moves:
        try:
            open(own + "/cgroup.procs", "w").write(line)
            moved = "moved"
        except OSError as e:
            moved = "not moved: " + os.strerror(e.errno)
        open(path + ".moves", "a").write(line + " " + moved + "\n")
    sock.sendto(("MAINPID=" + line).encode(), address)
while True:
    time.sleep(1)
"#;

/// A node running [`NAMES_OTHERS`], reading its claims from `claims`.
fn hostile(leftovers: &Leftovers, claims: &std::path::Path) -> Command {
    leftovers
        .mark(Command::new("/usr/bin/python3"))
        .args(["-c", NAMES_OTHERS])
        .arg(claims)
}

/// Hands `claims` to a [`NAMES_OTHERS`] node (written whole, then renamed
/// into place, followed by the lines `then`) and checks that each is
/// refused for `reason`, in order, and none accepted.
fn refused_in_order(
    running: &mut RunningGraph,
    node: NodeId,
    claims: &std::path::Path,
    expected: &[(&str, Option<u32>, MainPidRefusal)],
    then: &[&str],
) {
    let mut text: Vec<&str> = expected.iter().map(|(text, ..)| *text).collect();
    text.extend(then);
    let written = claims.with_extension("tmp");
    std::fs::write(&written, text.join("\n")).unwrap();
    std::fs::rename(&written, claims).unwrap();
    for &(text, claimed, reason) in expected {
        let refusal = until(running, "MainPidRefused", |e| match e {
            Event::MainPidRefused {
                node: n,
                claimed,
                reason,
            } if *n == node => Some((*claimed, *reason)),
            Event::MainPid { .. } => panic!("accepted: {e:?}"),
            _ => None,
        });
        assert_eq!(refusal, (claimed, reason), "MAINPID={text}");
    }
}

/// A hostile node names a sibling node's pid, the application's, pid 1, a
/// node of another graph, a process outside any graph, a dead pid, and
/// values that are no pid (garbage, 0, negative, past `i32`): each is
/// refused and reported, nothing changes, and its stop signals none of them.
#[test]
fn a_node_cannot_name_a_process_that_is_not_its_own() {
    let _turn = common::serial();
    common::as_root_and_unprivileged("a_node_cannot_name_a_process_that_is_not_its_own", || {
        let leftovers = Leftovers::before("hostile");
        let dir = common::TempDir::new("mainpid_hostile");
        let claims = dir.path().join("claims");
        let mut graph = Graph::new();
        let sibling = graph.node("sibling", leftovers.mark(Command::new("sleep")).arg("300"));
        let hostile = graph.node_with(
            "hostile",
            hostile(&leftovers, &claims),
            NodeOptions::new().ready(Readiness::Notify),
        );
        let mut running = graph.spawn().unwrap();
        let mut other_graph = Graph::new();
        let other = other_graph.node("other", leftovers.mark(Command::new("sleep")).arg("300"));
        let mut other_running = other_graph.spawn().unwrap();
        until(&mut running, "Ready", |e| {
            (*e == Event::Ready { node: hostile }).then_some(())
        });
        let sibling_pid = running.pid(sibling).unwrap();
        let hostile_pid = running.pid(hostile).unwrap();
        let other_pid = other_running.pid(other).unwrap();
        let mut stranger = std::process::Command::new("sleep")
            .arg("300")
            .env(common::MARKER_VAR, &leftovers.marker)
            .spawn()
            .unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();

        let (sibling_text, app_text) = (sibling_pid.to_string(), std::process::id().to_string());
        let (other_text, stranger_text) = (other_pid.to_string(), stranger.id().to_string());
        let dead_text = dead_pid.to_string();
        let not_its = MainPidRefusal::NotTheNodes;
        refused_in_order(
            &mut running,
            hostile,
            &claims,
            &[
                (&sibling_text, Some(sibling_pid), not_its),
                (&app_text, Some(std::process::id()), not_its),
                ("1", Some(1), not_its),
                (&other_text, Some(other_pid), not_its),
                (&stranger_text, Some(stranger.id()), not_its),
                (&dead_text, Some(dead_pid), MainPidRefusal::NoSuchProcess),
                ("garbage", None, MainPidRefusal::Malformed),
                ("0", None, MainPidRefusal::Malformed),
                ("-1", None, MainPidRefusal::Malformed),
                ("4294967297", None, MainPidRefusal::Malformed),
            ],
            &[],
        );
        assert_eq!(running.pid(hostile), Some(hostile_pid), "nothing changed");
        assert_eq!(running.state(hostile), NodeState::Running);

        // Its stop reaches nobody else.
        running.stop(hostile);
        until(&mut running, "the hostile node's exit", |e| {
            matches!(e, Event::Exited { node, .. } if *node == hostile).then_some(())
        });
        assert!(is_live(sibling_pid), "the sibling was signalled");
        assert_eq!(running.pid(sibling), Some(sibling_pid));
        assert_eq!(running.state(sibling), NodeState::Running);
        assert!(is_live(other_pid), "the other graph's node was signalled");
        assert!(is_live(stranger.id()), "the stranger was signalled");
        stranger.kill().unwrap();
        stranger.wait().unwrap();
        running.shutdown(Duration::from_secs(1)).unwrap();
        other_running.shutdown(Duration::from_secs(1)).unwrap();
        drop((running, other_running));
        leftovers.assert_none();
    });
}

/// The pid of `pid` in its own (innermost) pid namespace.
fn innermost_pid(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .unwrap();
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// In a pid scope a node's pids are the scope's: the forking server names
/// its child by its pid there, and is followed (reported by its pid in the
/// application's namespace); a hostile scope-mate names the scope's init
/// (its pid 1), the forking node's server and the application's pid 1 as
/// numbers of the scope — all refused, and the init, which holds the scope,
/// is untouched by its stop.
#[test]
fn in_a_pid_scope_pids_are_the_scopes_and_its_init_cannot_be_named() {
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "in_a_pid_scope_pids_are_the_scopes_and_its_init_cannot_be_named",
        || {
            let leftovers = Leftovers::before("scope");
            let dir = common::TempDir::writable_by_scopes("mainpid_scope");
            let (notes, claims) = (dir.path().join("signals"), dir.path().join("claims"));
            let mut graph = Graph::new();
            let scope = graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Pid]));
            let server = graph.node_with(
                "server",
                leftovers
                    .mark(Command::new("/usr/bin/python3"))
                    .args(["-c", NAMES_ITS_CHILD])
                    .arg(&notes),
                NodeOptions::new().scope(scope).ready(Readiness::Notify),
            );
            let hostile = graph.node_with(
                "hostile",
                hostile(&leftovers, &claims),
                NodeOptions::new().scope(scope).ready(Readiness::Notify),
            );
            let mut running = graph.spawn().unwrap();
            let (mut started, mut named, mut hostile_ready) = (None, None, false);
            until(&mut running, "MainPid and Ready", |e| {
                started = started.or(started_pid_of(e, server));
                named = named.or(main_pid_of(e, server));
                hostile_ready |= *e == Event::Ready { node: hostile };
                (named.is_some() && hostile_ready).then_some(())
            });
            let (started, named) = (started.unwrap(), named.unwrap());
            assert_ne!(named, started);
            assert_ne!(
                innermost_pid(named),
                named,
                "a pid of the scope's namespace"
            );
            // The orphan's parent is the scope's init now (its pid 1),
            // once the forking process has exited.
            run_without_exit_of(&mut running, server, || is_zombie(started));
            let init = common::proc_stat(named as i32).unwrap().ppid as u32;
            assert_eq!(innermost_pid(init), 1, "the server's parent is the init");
            let in_scope = innermost_pid(named).to_string();
            let not_its = MainPidRefusal::NotTheNodes;
            refused_in_order(
                &mut running,
                hostile,
                &claims,
                &[
                    ("1", Some(1), not_its),
                    (&in_scope, Some(innermost_pid(named)), not_its),
                    // Not in the scope at all: no process of the scope
                    // has this number.
                    ("99999", Some(99999), MainPidRefusal::NoSuchProcess),
                ],
                &[],
            );
            running.stop(hostile);
            until(&mut running, "the hostile node's exit", |e| {
                matches!(e, Event::Exited { node, .. } if *node == hostile).then_some(())
            });
            assert!(is_live(init), "the scope's init was signalled");
            assert!(is_live(named), "the server was signalled");
            assert_eq!(running.pid(server), Some(named));
            let report = running.shutdown(Duration::from_secs(5)).unwrap();
            assert_eq!(
                report.by_name("server").unwrap().status,
                Some(ExitStatus::Exited(0)),
                "the server ended on its stop signal"
            );
            drop(running);
            leftovers.assert_none();
        },
    );
}

/// With a cgroup, the node's cgroup says which processes are its own — but
/// a root node may write its `cgroup.procs`. A hostile root node moves a
/// sibling node's process and another graph's node into its cgroup and
/// names them, and names its own exec probe's command (which the runtime
/// clones into its cgroup) and what that command forked: all refused, as
/// the runtime's. Then it makes a cgroup below its own,
/// forks its server into it and names it: that is its own, and accepted.
/// Dropped to uid 65534 (it cannot write `cgroup.procs` then), it names its
/// probe's command and its child: refused.
///
/// As root, and as uid 65534 in a delegated cgroup, where the node (of the
/// application's uid) may write the `cgroup.procs` of the graphs' cgroups
/// too; only root may drop a node to another uid.
#[test]
fn a_node_that_moves_processes_into_its_cgroup_cannot_name_them() {
    let _turn = common::serial();
    common::delegated::as_root_and_delegated(
        "a_node_that_moves_processes_into_its_cgroup_cannot_name_them",
        moves_processes_into_its_cgroup,
    );
}

fn moves_processes_into_its_cgroup() {
    let drops: &[bool] = match rustix::process::geteuid().is_root() {
        true => &[false, true],
        false => &[false],
    };
    for &dropped in drops {
        let leftovers = Leftovers::before("mover");
        let dir = common::TempDir::writable_by_scopes("mainpid_mover");
        let (claims, probe) = (dir.path().join("claims"), dir.path().join("probe"));
        let mut graph = Graph::new();
        graph.containment(process_graph_runtime::Containment::Required);
        let sibling = graph.node("sibling", leftovers.mark(Command::new("sleep")).arg("300"));
        let mut command = hostile(&leftovers, &claims).arg("move");
        if dropped {
            command = common::dropped_to_65534(command);
        }
        let probe_command = format!("sleep 300 & echo $$ $! > {}; wait", probe.display());
        let hostile = graph.node_with(
            "hostile",
            command,
            NodeOptions::new().ready(Readiness::Notify).live_probe(
                Probe::exec(["sh", "-c", &probe_command])
                    .period(Duration::from_millis(50))
                    .timeout(Duration::from_secs(300)),
            ),
        );
        let mut running = graph.spawn().unwrap();
        let mut other_graph = Graph::new();
        let other = other_graph.node("other", leftovers.mark(Command::new("sleep")).arg("300"));
        let mut other_running = other_graph.spawn().unwrap();
        run_without_exit_of(&mut running, hostile, || {
            std::fs::read_to_string(&probe).is_ok_and(|p| p.ends_with('\n'))
        });
        let probe_pids = std::fs::read_to_string(&probe).unwrap();
        let (probe_text, probe_child_text) = probe_pids.trim().split_once(' ').unwrap();
        let (probe_pid, probe_child) = (
            probe_text.parse().unwrap(),
            probe_child_text.parse().unwrap(),
        );
        let sibling_pid = running.pid(sibling).unwrap();
        let other_pid = other_running.pid(other).unwrap();
        let sibling_text = sibling_pid.to_string();
        let other_text = other_pid.to_string();
        let not_its = MainPidRefusal::NotTheNodes;
        let mut expected = vec![
            (&sibling_text[..], Some(sibling_pid), not_its),
            (probe_text, Some(probe_pid), not_its),
            (probe_child_text, Some(probe_child), not_its),
        ];
        if !dropped {
            expected.insert(1, (&other_text[..], Some(other_pid), not_its));
        }
        let then: &[&str] = if dropped { &[] } else { &["server"] };
        refused_in_order(&mut running, hostile, &claims, &expected, then);
        if !dropped {
            // Refused although in the node's cgroup, not for being outside it.
            let moves = std::fs::read_to_string(dir.path().join("claims.moves")).unwrap();
            let moved: Vec<&str> = moves
                .lines()
                .filter_map(|l| l.strip_suffix(" moved"))
                .collect();
            let named: Vec<&str> = expected.iter().map(|&(pid, ..)| pid).collect();
            assert_eq!(moved, named, "moves into the node's cgroup: {moves}");
            let server = until(&mut running, "MainPid", |e| main_pid_of(e, hostile));
            let cgroup = common::cgroup_of(server).unwrap();
            assert!(cgroup.ends_with("server"), "{}", cgroup.display());
            assert_eq!(running.pid(hostile), Some(server));
        }
        running.shutdown(Duration::from_secs(5)).unwrap();
        other_running.shutdown(Duration::from_secs(1)).unwrap();
        drop((running, other_running));
        leftovers.assert_none();
    }
}

/// Set for the helper below: it makes itself a child subreaper.
const SUBREAPER: &str = "PROCESS_GRAPH_TEST_SUBREAPER";

/// A classic daemon: forks, the child leaves the session and forks the
/// server, and exits; the main process names the server (an orphan by
/// then) and says it is ready.
const DAEMONIZES: &str = r#"
import os, socket, time
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    server = os.fork()
    if server == 0:
        os.execvp("sleep", ["sleep", "300"])
    os.write(w, str(server).encode())
    os._exit(0)
os.wait()
server = int(os.read(r, 32))
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendto(("READY=1\nMAINPID=%d" % server).encode(), address)
time.sleep(300)
"#;

/// Makes this process a child subreaper, where a test that runs it as an
/// application asked for it (`SUBREAPER` set); says why not otherwise.
fn become_subreaper() -> bool {
    if std::env::var_os(SUBREAPER).is_none() {
        common::skip("an application of another test, run only by it");
        return false;
    }
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
    true
}

/// The application of the test below: a child subreaper (as a supervisor
/// in a container often is, or pid 1), whose node names its daemonized
/// server — an orphan, so the application's child. Prints the verdict.
#[test]
#[ignore = "run by a_subreaper_application_accepts_its_nodes_daemonized_server"]
fn subreaper_application() {
    if !become_subreaper() {
        return;
    }
    let mut graph = Graph::new();
    let node = graph.node_with(
        "daemon",
        Command::new("/usr/bin/python3").args(["-c", DAEMONIZES]),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    let verdict = until(&mut running, "a verdict on MAINPID", |e| match e {
        Event::MainPid { node: n, .. } if *n == node => Some(format!("accepted {e:?}")),
        Event::MainPidRefused { .. } => Some(format!("refused {e:?}")),
        _ => None,
    });
    println!("\nverdict: {verdict}");
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// Where orphans come to the application (a child subreaper, or pid 1),
/// a node's daemonized server is the application's child, and still the
/// node's own: its `MAINPID=` is accepted (in its cgroup as root, in no
/// group of the node's otherwise — the lists of the runtime's own
/// processes decide there).
#[test]
fn a_subreaper_application_accepts_its_nodes_daemonized_server() {
    let expected = if rustix::process::geteuid().is_root() {
        "accepted"
    } else {
        // Without a cgroup: not a descendant, not in the node's group.
        "refused"
    };
    verdict_as_subreaper("subreaper_application", expected);
}

/// Runs the ignored test `name` in a process of its own with [`SUBREAPER`]
/// set, and checks that it passed with the verdict it printed starting
/// with `expected`.
fn verdict_as_subreaper(name: &str, expected: &str) {
    let _turn = common::serial();
    let output = common::ignored_test(name)
        .env(SUBREAPER, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let verdict = text.lines().find_map(|l| l.strip_prefix("verdict: "));
    assert!(
        verdict.is_some_and(|v| v.starts_with(expected)) && output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Run by [`a_subreaper_application_refuses_a_sibling_moved_into_a_nodes_cgroup`]
/// as a subreaper: a hostile node moves its sibling's started process
/// into its cgroup (as root) and names it. Prints the verdict.
#[test]
#[ignore = "run by a_subreaper_application_refuses_a_sibling_moved_into_a_nodes_cgroup"]
fn subreaper_application_with_a_hostile_node() {
    if !become_subreaper() {
        return;
    }
    let leftovers = Leftovers::before("subreaper-hostile");
    let dir = common::TempDir::new("mainpid_subreaper_hostile");
    let claims = dir.path().join("claims");
    let mut graph = Graph::new();
    let sibling = graph.node("sibling", leftovers.mark(Command::new("sleep")).arg("300"));
    let hostile = graph.node_with(
        "hostile",
        hostile(&leftovers, &claims).arg("move"),
        NodeOptions::new().ready(Readiness::Notify),
    );
    let mut running = graph.spawn().unwrap();
    until(&mut running, "Ready", |e| {
        (*e == Event::Ready { node: hostile }).then_some(())
    });
    let sibling_pid = running.pid(sibling).unwrap();
    let text = sibling_pid.to_string();
    let refused = (&*text, Some(sibling_pid), MainPidRefusal::NotTheNodes);
    refused_in_order(&mut running, hostile, &claims, &[refused], &[]);
    println!("\nverdict: refused");
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// Where orphans come to the application, a child of it is no longer the
/// runtime's by that alone: only the list of the other nodes' processes
/// tells a sibling's started process apart from the node's daemonized
/// server. A root node that moves its sibling into its cgroup and names
/// it is refused (as uid 65534 it cannot move it, and is refused too).
#[test]
fn a_subreaper_application_refuses_a_sibling_moved_into_a_nodes_cgroup() {
    verdict_as_subreaper("subreaper_application_with_a_hostile_node", "refused");
}

/// Ready, pings its watchdog a few times, says `STOPPING=1`, then takes
/// longer than its watchdog interval to wind down, and exits 0.
const WINDS_DOWN: &str = r#"
import os, socket, time
address = os.environ["NOTIFY_SOCKET"]
address = "\0" + address[1:] if address.startswith("@") else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendto(b"READY=1", address)
for _ in range(3):
    time.sleep(0.1)
    sock.sendto(b"WATCHDOG=1", address)
sock.sendto(b"STOPPING=1", address)
time.sleep(0.8)
os._exit(0)
"#;

/// `STOPPING=1`: reported, the node is `Stopping`, its watchdog no longer
/// applies (it goes quiet for longer than the interval and is not
/// aborted), and its exit 0 is decided by its restart policy, as systemd
/// does: on-failure leaves it stopped, always starts it again.
#[test]
fn a_node_that_says_stopping_winds_down_unharmed_and_its_policy_decides() {
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_node_that_says_stopping_winds_down_unharmed_and_its_policy_decides",
        || {
            let leftovers = Leftovers::before("stopping");
            for (restart, decided) in [
                (Restart::OnFailure, Decision::Leave),
                (
                    Restart::Always,
                    Decision::Restart {
                        delay: Duration::from_secs(1),
                    },
                ),
            ] {
                let mut graph = Graph::new();
                let node = graph.node_with(
                    "winding",
                    leftovers
                        .mark(Command::new("/usr/bin/python3"))
                        .args(["-c", WINDS_DOWN]),
                    NodeOptions::new()
                        .ready(Readiness::Notify)
                        .watchdog(Duration::from_millis(300))
                        .backoff(Duration::from_secs(1), Duration::from_secs(1))
                        .restart(restart),
                );
                let mut running = graph.spawn().unwrap();
                until(&mut running, "Stopping", |e| {
                    (*e == Event::Stopping { node }).then_some(())
                });
                assert_eq!(running.state(node), NodeState::Stopping);
                let exit = until(&mut running, "Exited", |e| match e {
                    Event::WatchdogTimeout { .. } => panic!("aborted while stopping"),
                    Event::Exited {
                        status, decision, ..
                    } => Some((*status, *decision)),
                    _ => None,
                });
                assert_eq!(exit, (ExitStatus::Exited(0), decided), "{restart:?}");
                let report = running.shutdown(Duration::from_secs(5)).unwrap();
                assert!(!report.by_name("winding").unwrap().killed_after_timeout);
                drop(running);
            }
            leftovers.assert_none();
        },
    );
}
