//! A hostile node against the application's memory.
//!
//! The guarantee: no process inside a scope, whatever it holds in the
//! scope's namespaces (it is root there), can read or write the memory of
//! the application or of any process sharing it — nor take over the scope's
//! own machinery (its init, the carried program that starts nodes, a node
//! before its `execve`), which would let it outlive the application.
//!
//! The attacker (`tests/common/hostile.rs`, shared with
//! `tests/dropped_attacks.rs`) is a copy of this test binary run as a node.
//! It loops over every pid it can see — its scope's own `/proc`, or without
//! a pid namespace the host's — and, over and over, the newest pids its pid
//! namespace gave out (where the program starting a node runs for
//! microseconds in the scope's ids), and tries `PTRACE_SEIZE`,
//! `process_vm_readv`, `process_vm_writev`, opening `/proc/PID/mem`
//! read-write and `pidfd_getfd`, while the application creates the scope,
//! restarts a sibling 1,000 times (each restart a join), and then idles. It
//! writes a bad value at the address of a canary in the application
//! wherever it can, and reports every success with what it worked on: the
//! runtime's machinery, a scope-mate, or unknown. It tells them apart while
//! the process is ptrace-stopped (so cannot exec), not after letting it go,
//! when the runtime's program has become the node or is gone. It also
//! reports each machinery process holding its scope's ids that refused it:
//! the test fails unless the scope's init and the program that starts nodes
//! were in range. Run as root and as uid 65534, in user+pid,
//! user+net and all six namespaces, and with the attacker and the sibling
//! added to the running graph (`Graph::running_scope`) into a user+pid
//! scope it already has; and while the application makes 20 pid scopes in
//! the attacker's, one after the other (each a helper and an init made in
//! the attacker's pid namespace by the application's program).

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Endpoint, Event, Graph, Namespace, NodeOptions, Restart, ScopeId, ScopeSpec,
};

use common::as_root_and_unprivileged;
use common::hostile::{self, ATTACK, CANARY, Success, Target, refusals_in, successes_in};

/// Restarts of the sibling while the attacker runs: each is a join.
const RESTARTS: usize = 1000;

/// Pid scopes made in the attacker's scope, one after the other, each with
/// a node that lives 300 ms: their helpers and inits are new processes of
/// the attacker's pid namespace, made by the application's program.
const NESTED_SCOPES: usize = 20;

#[test]
fn a_hostile_node_in_a_user_and_pid_scope_cannot_reach_the_application() {
    as_root_and_unprivileged(
        "a_hostile_node_in_a_user_and_pid_scope_cannot_reach_the_application",
        || attack_from(&[Namespace::User, Namespace::Pid], Arrival::AtSpawn, 0),
    );
}

#[test]
fn a_hostile_node_added_to_a_running_user_and_pid_scope_cannot_reach_the_application() {
    as_root_and_unprivileged(
        "a_hostile_node_added_to_a_running_user_and_pid_scope_cannot_reach_the_application",
        || attack_from(&[Namespace::User, Namespace::Pid], Arrival::Added, 0),
    );
}

#[test]
fn a_hostile_node_in_a_user_and_net_scope_cannot_reach_the_application() {
    as_root_and_unprivileged(
        "a_hostile_node_in_a_user_and_net_scope_cannot_reach_the_application",
        || attack_from(&[Namespace::User, Namespace::Net], Arrival::AtSpawn, 0),
    );
}

#[test]
fn a_hostile_node_in_a_scope_of_all_six_namespaces_cannot_reach_the_application() {
    as_root_and_unprivileged(
        "a_hostile_node_in_a_scope_of_all_six_namespaces_cannot_reach_the_application",
        || attack_from(&Namespace::ALL, Arrival::AtSpawn, 0),
    );
}

#[test]
fn a_hostile_node_cannot_reach_the_application_while_scopes_are_made_in_its_own() {
    as_root_and_unprivileged(
        "a_hostile_node_cannot_reach_the_application_while_scopes_are_made_in_its_own",
        || {
            attack_from(
                &[Namespace::User, Namespace::Pid],
                Arrival::AtSpawn,
                NESTED_SCOPES,
            )
        },
    );
}

/// Where the attacker and its restarting sibling come from: declared with
/// the graph, or added to it once it runs (into the scope it has).
#[derive(Clone, Copy, PartialEq)]
enum Arrival {
    AtSpawn,
    Added,
}

/// `nested_scopes`: how many pid scopes the application makes in the
/// attacker's scope after the sibling's restarts.
fn attack_from(namespaces: &[Namespace], arrival: Arrival, nested_scopes: usize) {
    let mut graph = Graph::new();
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let target = graph.scope("target", ScopeSpec::new(namespaces.iter().copied()));
    // The attacker and its sibling: in `graph`, or in a graph added later.
    let mut added = Graph::new();
    let (nodes, scope) = match arrival {
        Arrival::AtSpawn => (&mut graph, target),
        Arrival::Added => {
            let scope = added.running_scope(target);
            (&mut added, scope)
        }
    };
    let canary = std::ptr::from_ref(&CANARY) as usize;
    let attacker = nodes.node_with(
        "attacker",
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "hostile_node", "--ignored", "--nocapture"])
            .args(["--test-threads=1", "-q"])
            .env(ATTACK, format!("{canary:x}")),
        NodeOptions::new().scope(scope),
    );
    let sibling = nodes.node_with(
        "sibling",
        Command::new("true"),
        NodeOptions::new()
            .scope(scope)
            .after([attacker])
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO),
    );
    let stop = nodes.pipe(Endpoint::Parent, attacker.stdin());
    let report = nodes.pipe(attacker.stdout(), Endpoint::Parent);
    // A long-lived scope-mate: the attacker must reach it, which shows the
    // attack has teeth.
    let mate = NodeOptions::new().scope(target);
    graph.node_with(
        "scope-mate",
        Command::new("sleep").arg("1000"),
        match arrival {
            Arrival::AtSpawn => mate.after([attacker]),
            Arrival::Added => mate,
        },
    );
    let mut running = graph.spawn().unwrap();
    let (sibling, stop, report) = match arrival {
        Arrival::AtSpawn => (sibling, stop, report),
        Arrival::Added => {
            let added = running.add(added).unwrap();
            (added.node(sibling), added.edge(stop), added.edge(report))
        }
    };
    let mut starts = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while starts <= RESTARTS {
        assert!(Instant::now() < deadline, "{starts} starts in 120 s");
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Started { node, .. }) if node == sibling => starts += 1,
            Some(_) => {}
            None => panic!("no event in 10 s after {starts} starts"),
        }
    }
    for i in 0..nested_scopes {
        make_nested_scope(&mut running, target, i);
    }
    // Idle a while with the attacker still at work, then stop it.
    std::thread::sleep(Duration::from_millis(300));
    let text = hostile::stop_and_report(&mut running, stop, report);

    let successes = successes_in(&text);
    // Whatever the scope: no leak, no success on the runtime's machinery,
    // nor on a process running the application's command line (its child
    // before it execs the carried program shares its memory). With a pid
    // namespace the attacker sees only its scope, so every success it can
    // tell must be on a scope-mate: the long-lived `sleep`, the restarting
    // `true`. Without one it sees the host: every process of the scope's
    // uid outside is fair game but the application itself.
    let own_pid_namespace = namespaces.contains(&Namespace::Pid);
    let scope_mate = |s: &Success| s.command.starts_with("sleep ") || s.command.trim() == "true";
    let app = std::process::id() as i32;
    let app_command =
        String::from_utf8_lossy(&std::fs::read("/proc/self/cmdline").unwrap()).replace('\0', " ");
    let forbidden: Vec<&Success> = successes
        .iter()
        .filter(|s| {
            s.kind == "leak"
                || s.target == Target::Machinery
                || (!own_pid_namespace && s.pid == app)
                || (s.target == Target::Mate
                    && (s.command == app_command || (own_pid_namespace && !scope_mate(s))))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "the attacker reached the application's memory or the scope's machinery: {forbidden:?}"
    );
    // The attacker had the machinery in range, and was refused: the
    // scope's init, and the program that starts nodes (or its clone) in
    // the microseconds it runs in the scope's ids.
    let refusals = refusals_in(&text);
    let refused = |mode: &str| refusals.iter().filter(|r| r.runs(mode)).count();
    let (inits, starters) = (refused("create"), refused("join"));
    assert!(
        inits > 0,
        "the attacker never had the scope's init in range, so the test proves nothing:\n{text}"
    );
    assert!(
        starters > 0,
        "the attacker never had the program that starts nodes in range, so the test proves \
         nothing:\n{text}"
    );
    let reached_mate = |command: &str| {
        successes.iter().any(|s| {
            s.kind == "seize" && s.target == Target::Mate && s.command.starts_with(command)
        })
    };
    assert!(
        reached_mate("sleep "),
        "the attacker never reached its scope-mate, so the test proves nothing:\n{text}"
    );
    // It reached the nested scopes' nodes, so it saw their pid namespaces,
    // and their inits in them, made while it attacked.
    assert!(
        nested_scopes == 0 || reached_mate("sleep 0.3"),
        "the attacker never reached a nested scope's node:\n{text}"
    );
    let unknown = successes
        .iter()
        .filter(|s| s.target == Target::Unknown)
        .count();
    println!(
        "{namespaces:?}: {} successes ({unknown} on processes gone or changed meanwhile), none on \
         the machinery; refused by {inits} inits and {starters} programs starting nodes; {}",
        successes.len(),
        text.lines()
            .find(|l| l.starts_with("rounds "))
            .unwrap_or("")
    );
}

/// Adds a pid scope nested in `target` with a node that lives 300 ms, runs
/// until it has ended, and removes it (which ends the scope).
fn make_nested_scope(running: &mut process_graph_runtime::RunningGraph, target: ScopeId, i: usize) {
    let mut more = Graph::new();
    let enclosing = more.running_scope(target);
    let inner = more.scope(
        format!("nested{i}"),
        ScopeSpec::new([Namespace::Pid]).parent(enclosing),
    );
    let node = more.node_with(
        format!("in-nested{i}"),
        Command::new("sleep").arg("0.3"),
        NodeOptions::new().scope(inner),
    );
    let node = running.add(more).unwrap().node(node);
    common::run_until(running, "the nested scope's node ended", |r| {
        r.state(node).is_final()
    });
    running.remove([node]);
}

/// The attacker ([`hostile::hostile_node`]): started by the tests above as
/// a node, in a copy of this binary.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn hostile_node() {
    hostile::hostile_node();
}
