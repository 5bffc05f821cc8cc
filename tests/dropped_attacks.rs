//! A node dropped to another uid against the processes that start its
//! same-uid siblings.
//!
//! The guarantee (README, "Credentials, limits and process groups"): a
//! node's drop to its ids "happens in the runtime's carried program, never
//! in a process that shares the application's memory". A node outside
//! scopes with `Command::uid` starts as a child of the application sharing
//! its memory (root), which execs the carried program (`process-graph-scope
//! join`, from a memfd; also root). The program takes the node's ids, makes
//! itself non-dumpable again, and execs the node. From its `setresuid` to
//! that `execve` it holds the node's uid, so every node dropped to that uid
//! passes the kernel's uid check against it: only its being non-dumpable
//! keeps them from ptracing it, reading or writing its memory and taking
//! its fds — and, were the drop made in the child that shares the
//! application's memory, from writing the application's.
//!
//! The attacker is the memory attacker of `tests/scope_attacks.rs`
//! (`tests/common/hostile.rs`), a copy of this test binary dropped to uid
//! 65534 by the runtime. For a few seconds it attacks the application and
//! every child of it — over and over the newest pids, where the carried
//! program runs — with `PTRACE_SEIZE`, `process_vm_readv`,
//! `process_vm_writev`, `/proc/PID/mem` and `pidfd_getfd`, writing a bad
//! value at the address of a canary in the application wherever it can.
//! Meanwhile a sibling of the same uid, `true`, restarts with no backoff:
//! each of its starts runs the carried program, which holds uid 65534 for
//! a moment before its exec. Root only: a drop to another uid needs it.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Containment, Endpoint, Event, Graph, NodeOptions, Restart};

use common::hostile::{self, ATTACK, CANARY, ONLY_CHILDREN_OF, Target};

/// How long the attacker attacks while the sibling restarts.
const ATTACK_FOR: Duration = Duration::from_secs(3);

/// The uid (and gid) the runtime drops the attacker and its siblings to.
const NOBODY: u32 = 65534;

/// A node dropped to uid 65534 attacks the application and its children for
/// a few seconds while a sibling of the same uid restarts over and over:
/// the application's canary is intact; no attack works on a process
/// running the carried program, nor on one sharing the application's
/// memory; the attacks work on a `sleep` of the same uid (so they have
/// teeth); and the attacker saw the carried program holding uid 65534, and
/// was refused (so it had the machinery in range).
#[test]
fn a_dropped_node_cannot_reach_the_program_that_starts_its_same_uid_siblings() {
    attack(Containment::Auto);
}

/// The same without cgroups: the nodes and the carried program are the
/// application's children all the same.
#[test]
fn a_dropped_node_cannot_reach_the_program_that_starts_its_same_uid_siblings_without_cgroups() {
    attack(Containment::Off);
}

fn attack(containment: Containment) {
    // One attacker at a time: each attacks every child of this process.
    let _serial = common::serial();
    if !common::real_root() {
        return common::skip("only root may drop nodes to other uids");
    }
    common::within(
        Duration::from_secs(60),
        "the attack on dropped starts",
        move || attack_with(containment),
    );
}

fn attack_with(containment: Containment) {
    let copy = common::unprivileged_copy_of_this_binary();
    let app = std::process::id() as i32;
    let canary = std::ptr::from_ref(&CANARY) as usize;
    let mut graph = Graph::new();
    graph.containment(containment);
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let attacker = graph.node(
        "attacker",
        common::dropped_to_65534(
            Command::new(&copy)
                .args(common::ignored_test_args("hostile_node"))
                .env(ATTACK, format!("{canary:x}"))
                .env(ONLY_CHILDREN_OF, app.to_string())
                .current_dir("/"),
        ),
    );
    let sibling = graph.node_with(
        "sibling",
        common::dropped_to_65534(Command::new("true")),
        NodeOptions::new()
            .after([attacker])
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO),
    );
    // A long-lived node of the same uid: the attacker must reach it, which
    // shows the attack has teeth.
    graph.node_with(
        "mate",
        common::dropped_to_65534(Command::new("sleep").arg("1000")),
        NodeOptions::new().after([attacker]),
    );
    let stop = graph.pipe(Endpoint::Parent, attacker.stdin());
    let report = graph.pipe(attacker.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let mut starts = 0;
    let deadline = Instant::now() + ATTACK_FOR;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(Event::Started { node, .. }) = running.next_event(Some(left)).unwrap()
            && node == sibling
        {
            starts += 1;
        }
    }
    let text = hostile::stop_and_report(&mut running, stop, report);

    let successes = hostile::successes_in(&text);
    // No leak, no success on the carried program, on the application, or
    // on a process running the application's command line (its child
    // before it execs the carried program shares its memory, and so its
    // command line).
    let app_command =
        String::from_utf8_lossy(&std::fs::read("/proc/self/cmdline").unwrap()).replace('\0', " ");
    let forbidden: Vec<_> = successes
        .iter()
        .filter(|s| {
            s.kind == "leak"
                || s.target == Target::Machinery
                || s.pid == app
                || (s.target == Target::Mate && s.command == app_command)
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "the attacker reached the application's memory or the program that starts nodes: \
         {forbidden:?}\n{text}"
    );
    assert!(
        successes.iter().any(|s| s.kind == "seize"
            && s.target == Target::Mate
            && s.command.starts_with("sleep 1000")),
        "the attacker never reached the sleep of its uid, so the test proves nothing:\n{text}"
    );
    // It had the carried program in range after the drop, and was refused.
    let refusals = hostile::refusals_in(&text);
    let dropped = refusals
        .iter()
        .filter(|r| r.runs("join") && r.uid == Some(NOBODY))
        .count();
    assert!(
        dropped > 0,
        "the attacker never had the carried program holding uid {NOBODY} in range ({starts} \
         starts of the sibling), so the test proves nothing:\n{text}"
    );
    let unknown = successes
        .iter()
        .filter(|s| s.target == Target::Unknown)
        .count();
    println!(
        "{containment:?}: {starts} starts of the sibling; {} successes ({unknown} on processes \
         gone or changed meanwhile), none on the machinery; refused by {dropped} programs at uid \
         {NOBODY} and {} before their drop; {}",
        successes.len(),
        refusals.len() - dropped,
        text.lines()
            .find(|l| l.starts_with("rounds "))
            .unwrap_or("")
    );
}

/// The attacker ([`hostile::hostile_node`]): started by the tests above as
/// a node, in a copy of this binary.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn hostile_node() {
    hostile::hostile_node();
}
