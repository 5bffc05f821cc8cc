//! A hostile node of one scope against the machinery of the scopes made
//! beside it, while they are made.
//!
//! The guarantee (README, the threat table under "Guarantees, and where
//! they stop"): no process inside a scope, root there, can read or write
//! the memory of the application or of any process sharing it, nor take
//! over a scope's machinery — its init, the carried program
//! (`process-graph-scope`) that creates the scope and starts its nodes, a
//! node's clone before its `execve` — "not while the scope is created".
//! `tests/scope_attacks.rs` attacks the creation of the attacker's own
//! scope, its joins, and scopes nested in it; here the scopes created are
//! its siblings: new top-level scopes of graphs the application adds
//! (`RunningGraph::add`) while the attacker runs.
//!
//! The attack: the memory attacker of `tests/common/hostile.rs` as a node
//! of a user + net scope. With no pid namespace of its own it sees the
//! host's pids, so every process of a sibling's creation is one it can
//! name; told the application's pid, it attacks the application and each
//! of its children, which every process of a scope's machinery is, over and
//! over the newest pids, with `PTRACE_SEIZE`, `process_vm_readv`,
//! `process_vm_writev`, `/proc/PID/mem` and `pidfd_getfd`, writing a bad
//! value at the address of a canary in the application wherever it can.
//! Meanwhile the application adds [`SIBLINGS`] graphs one after the other,
//! each a node in a new top-level scope (user + pid, user + net, all six in
//! turn), lets it run 50 ms and removes it, which ends its scope.
//!
//! Why the test cannot pass without the attack in range: the attacker
//! reports each process running the carried program that refused it from
//! another user namespace than its own, with that namespace's uid map as
//! it reads it, and the test fails unless one was a child of the
//! application in a namespace neither the attacker's nor the application's:
//! a sibling scope's machinery, named and refused while its scope was made
//! or ran. A scope-mate the attacker must reach shows that its attacks work.
//!
//! What keeps a sibling out: the kernel lets a process ptrace (and so read,
//! write or take the fds of) only processes whose credentials are in its
//! own user namespace or in one it holds `CAP_SYS_PTRACE` over, a namespace
//! nested in its own; a sibling's machinery is in the sibling's namespace,
//! beside the attacker's, or in the application's, above it. Under an
//! unprivileged application the kernel's uid check does not tell them
//! apart, and neither does dumpability: the sibling's machinery holds the
//! application's uid outside, the attacker's own, and the `create` program
//! of a top-level scope enters no scope and stays dumpable, as does the
//! init until the application has written its id maps and told it to go
//! on. The attacker notes the refusals by such processes, dumpable with its
//! own kernel uid before and after the attempt (`dumpable-as-us`), and the
//! run as uid 65534 fails without one: it shows that the attack got past
//! every check but the user namespace's. So the carried program's
//! non-dumpability, which keeps a scope's nodes from its own machinery
//! (`tests/scope_attacks.rs`), is not what keeps a sibling's out: made
//! dumpable again where it takes the scope's ids (`carried/ids.rs`,
//! `carried/init.rs`), the siblings' inits and programs starting nodes
//! still refuse every attempt, and this test fails only through the
//! attacker's own scope's init.
//!
//! A user + pid attacker is left out: its pid namespace and fresh `/proc`
//! show it no process of a sibling's, so its attack on them could never be
//! tried, let alone shown to be.

mod common;

use std::time::Instant;

use process_graph_runtime::{
    Command, Endpoint, Graph, Namespace, NodeOptions, RunningGraph, ScopeSpec,
};

use common::hostile::{
    self, ATTACK, CANARY, Elsewhere, ONLY_CHILDREN_OF, RefusalElsewhere, Target,
    refusals_elsewhere_in, refusals_in, successes_in,
};

/// How many sibling scopes the application makes while the attacker runs.
const SIBLINGS: usize = 30;

/// The namespaces of the sibling scopes, in turn.
const SIBLING_NAMESPACES: [&[Namespace]; 3] = [
    &[Namespace::User, Namespace::Pid],
    &[Namespace::User, Namespace::Net],
    &Namespace::ALL,
];

/// A user + net scope's node, root there and seeing the host's pids,
/// attacks the application and its children while the application makes
/// [`SIBLINGS`] scopes beside its own: the canary is intact, nothing
/// worked on the machinery, on the application, on a process sharing its
/// memory, nor on anything outside the attacker's scope; the attacker
/// reached its scope-mate and was refused by a sibling scope's machinery.
#[test]
fn a_hostile_node_cannot_reach_the_machinery_of_scopes_made_beside_its_own() {
    common::as_root_and_unprivileged(
        "a_hostile_node_cannot_reach_the_machinery_of_scopes_made_beside_its_own",
        attack_while_siblings_are_made,
    );
}

fn attack_while_siblings_are_made() {
    let began = Instant::now();
    let app = std::process::id() as i32;
    let canary = std::ptr::from_ref(&CANARY) as usize;
    let mut graph = Graph::new();
    let own = graph.scope(
        "attackers",
        ScopeSpec::new([Namespace::User, Namespace::Net]),
    );
    let attacker = graph.node_with(
        "attacker",
        Command::new(std::env::current_exe().unwrap())
            .args(common::ignored_test_args("hostile_node"))
            .env(ATTACK, format!("{canary:x}"))
            .env(ONLY_CHILDREN_OF, app.to_string()),
        NodeOptions::new().scope(own),
    );
    // A long-lived scope-mate: the attacker must reach it, which shows the
    // attack has teeth.
    let mate = graph.node_with(
        "scope-mate",
        Command::new("sleep").arg("1000"),
        NodeOptions::new().scope(own).after([attacker]),
    );
    let stop = graph.pipe(Endpoint::Parent, attacker.stdin());
    let report = graph.pipe(attacker.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    // The mate starts once the attacker has: the attacker is at work (or
    // about to be) before the first sibling is made.
    common::run_until(&mut running, "the scope-mate started", |r| {
        r.pid(mate).is_some()
    });
    for i in 0..SIBLINGS {
        make_sibling(&mut running, i);
    }
    let text = hostile::stop_and_report(&mut running, stop, report);

    // No leak; no success on the machinery (a sibling's or its own scope's
    // init), on a process changed or gone meanwhile (which may have been
    // the machinery), on the application, on a process running the
    // application's command line (its child before it execs the carried
    // program shares its memory), nor on anything but its own scope-mate:
    // a sibling's node is another scope, another trust domain.
    let successes = successes_in(&text);
    let forbidden: Vec<_> = successes
        .iter()
        .filter(|s| {
            s.kind == "leak"
                || s.target != Target::Mate
                || s.pid == app
                || !s.command.starts_with("sleep 1000")
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "the attacker reached the application's memory, a scope's machinery or another scope: \
         {forbidden:?}\n{text}"
    );
    // Every success left is on the scope-mate.
    assert!(
        successes.iter().any(|s| s.kind == "seize"),
        "the attacker never reached its scope-mate, so the test proves nothing:\n{text}"
    );
    // It named a sibling scope's machinery and was refused by it.
    let elsewhere = refusals_elsewhere_in(&text);
    let of_the_application = |namespace| {
        elsewhere
            .iter()
            .filter(move |r| r.namespace == namespace && r.parent == Some(app))
    };
    let in_siblings: Vec<_> = of_the_application(Elsewhere::OtherScope).collect();
    assert!(
        !in_siblings.is_empty(),
        "the attacker was never refused by a sibling scope's machinery, so it never had one in \
         range and the test proves nothing:\n{text}"
    );
    // The `create` programs in the application's user namespace: those of
    // the siblings, before they clone (or become) the init; the attacker's
    // own scope was made before it ran.
    let creating: Vec<_> = of_the_application(Elsewhere::Application)
        .filter(|r| r.runs("create"))
        .collect();
    // Under an unprivileged application every scope is its uid outside:
    // the attacker was refused by a sibling's machinery that held its own
    // kernel uid and was dumpable, which only the user namespace kept out.
    let dumpable_as_us =
        |refusals: &[&RefusalElsewhere]| refusals.iter().filter(|r| r.dumpable_as_us).count();
    let (dumpable_in_siblings, dumpable_creating) =
        (dumpable_as_us(&in_siblings), dumpable_as_us(&creating));
    let euid = rustix::process::geteuid();
    assert!(
        euid.is_root() || dumpable_in_siblings + dumpable_creating > 0,
        "the attacker was never refused by a sibling's machinery dumpable with its own uid, so \
         the test proves nothing of what keeps it out:\n{text}"
    );
    let runs = |mode| in_siblings.iter().filter(|r| r.runs(mode)).count();
    println!(
        "as uid {}: {SIBLINGS} siblings in {:.1?}; {} successes, all on its scope-mate; \
         refused by {} inits and {} programs starting nodes in sibling scopes \
         ({dumpable_in_siblings} of them dumpable with its own uid), by {} `create` programs \
         before they left the application's user namespace ({dumpable_creating} of them \
         dumpable with its own uid), by {} machinery processes of its own scope; {}",
        euid.as_raw(),
        began.elapsed(),
        successes.len(),
        runs("create"),
        runs("join"),
        creating.len(),
        refusals_in(&text).len(),
        text.lines()
            .find(|l| l.starts_with("rounds "))
            .unwrap_or("")
    );
}

/// Adds a graph whose node, `sleep 0.05`, is in a new top-level scope (the
/// `i`th of [`SIBLING_NAMESPACES`] in turn), runs until the node has ended,
/// and removes it, which ends its scope.
fn make_sibling(running: &mut RunningGraph, i: usize) {
    let namespaces = SIBLING_NAMESPACES[i % SIBLING_NAMESPACES.len()];
    let mut sibling = Graph::new();
    let scope = sibling.scope(
        format!("sibling{i}"),
        ScopeSpec::new(namespaces.iter().copied()),
    );
    let node = sibling.node_with(
        format!("in-sibling{i}"),
        Command::new("sleep").arg("0.05"),
        NodeOptions::new().scope(scope),
    );
    let node = running.add(sibling).unwrap().node(node);
    common::run_until(running, "the sibling scope's node ended", |r| {
        r.state(node).is_final()
    });
    running.remove([node]);
}

/// The attacker ([`hostile::hostile_node`]): started by the test above as a
/// node, in a copy of this binary.
#[test]
#[ignore = "the hostile node of the test above, run as a node in a copy of this binary"]
fn hostile_node() {
    hostile::hostile_node();
}
