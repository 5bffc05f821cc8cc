//! A hostile node against the application's memory.
//!
//! The guarantee: no process inside a scope, whatever it holds in the
//! scope's namespaces (it is root there), can read or write the memory of
//! the application or of any process sharing it — nor take over the scope's
//! own machinery (its init, the carried program that starts nodes, a node
//! before its `execve`), which would let it outlive the application.
//!
//! The attacker is a copy of this test binary run as a node. It loops over
//! every pid it can see — its scope's own `/proc`, or without a pid
//! namespace the host's — and tries `PTRACE_SEIZE`, `process_vm_readv`,
//! `process_vm_writev`, opening `/proc/PID/mem` read-write and
//! `pidfd_getfd`, while the application creates the scope, restarts a
//! sibling 1,000 times (each restart a join), and then idles. It writes a
//! bad value at the address of a canary in the application wherever it can,
//! and reports every success. Run as root and as uid 65534, in user+pid,
//! user+net and all six namespaces, and with the attacker and the sibling
//! added to the running graph (`Graph::running_scope`) into a user+pid
//! scope it already has; and while the application makes 20 pid scopes in
//! the attacker's, one after the other (each a helper and an init made in
//! the attacker's pid namespace by the application's program).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Endpoint, Event, Graph, Namespace, NodeOptions, Restart, ScopeId, ScopeSpec,
};

use common::as_root_and_unprivileged;

/// The canary's value; the attacker writes `EVIL` wherever it can.
const MAGIC: u64 = 0x5afe_c0de_5afe_c0de;
const EVIL: u64 = 0xbad0_bad0_bad0_bad0;
static CANARY: AtomicU64 = AtomicU64::new(MAGIC);

/// Set in the attacker's environment: the canary's address, in hex.
const ATTACK: &str = "PROCESS_GRAPH_TEST_ATTACK";

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

/// One success of the attacker: what it did, and to what (the pid as the
/// attacker sees it).
#[derive(Debug)]
#[allow(dead_code)] // `pid` is read by Debug, in the failure message.
struct Success {
    kind: String,
    pid: i32,
    command: String,
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
    drop(running.take_writer(stop));
    let mut text = String::new();
    running
        .take_reader(report)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    running.shutdown(Duration::from_secs(1)).unwrap();

    assert_eq!(
        CANARY.load(Ordering::SeqCst),
        MAGIC,
        "the attacker wrote the application's memory"
    );
    let successes: Vec<Success> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let kind = parts.next()?;
            // Among the attacker's libtest lines ("running 1 test").
            const KINDS: [&str; 7] = [
                "seize",
                "vm-read",
                "vm-write",
                "mem-open",
                "mem-write",
                "getfd",
                "leak",
            ];
            Some(Success {
                kind: KINDS.contains(&kind).then(|| kind.to_owned())?,
                pid: parts.next()?.parse().ok()?,
                command: parts.next().unwrap_or("").to_owned(),
            })
        })
        .collect();
    assert!(
        text.contains("rounds "),
        "the attacker did not report:\n{text}"
    );
    // With a pid namespace the attacker sees only its scope, so every
    // success must be on a scope-mate: the long-lived `sleep`, the
    // restarting `true` (its command gone, "", when it exited before the
    // attacker looked). Without one it sees the host: every process of the
    // scope's uid outside is fair game but the application itself.
    let own_pid_namespace = namespaces.contains(&Namespace::Pid);
    let scope_mate = |s: &Success| {
        s.command.starts_with("sleep ") || s.command.trim() == "true" || s.command.is_empty()
    };
    let app = std::process::id() as i32;
    let forbidden: Vec<&Success> = successes
        .iter()
        .filter(|s| {
            s.kind == "leak"
                || s.command.starts_with("process-graph-scope")
                || if own_pid_namespace {
                    !scope_mate(s)
                } else {
                    s.pid == app
                }
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "the attacker reached the application's memory or the scope's machinery: {forbidden:?}"
    );
    assert!(
        successes
            .iter()
            .any(|s| s.kind == "seize" && s.command.starts_with("sleep")),
        "the attacker never reached its scope-mate, so the test proves nothing:\n{text}"
    );
    // It reached the nested scopes' nodes, so it saw their pid namespaces,
    // and their inits in them, made while it attacked.
    assert!(
        nested_scopes == 0
            || successes
                .iter()
                .any(|s| s.kind == "seize" && s.command.starts_with("sleep 0.3")),
        "the attacker never reached a nested scope's node:\n{text}"
    );
    println!(
        "{namespaces:?}: {} successes, all on scope-mates; {}",
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

/// The attacker: started by the tests above as a node, in a copy of this
/// binary. Attacks every pid it sees until its stdin closes, then prints
/// `kind pid command` for each success and a `rounds N` line.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn hostile_node() {
    let Some(address) = std::env::var_os(ATTACK) else {
        return; // Only meaningful as a node.
    };
    let address = usize::from_str_radix(address.to_str().unwrap(), 16).unwrap();
    let me = std::process::id() as i32;
    let stdin = std::io::stdin();
    rustix::fs::fcntl_setfl(&stdin, rustix::fs::OFlags::NONBLOCK).unwrap();
    let mut successes: BTreeMap<(String, i32), String> = BTreeMap::new();
    let mut rounds = 0u64;
    loop {
        for pid in visible_pids().into_iter().filter(|&pid| pid != me) {
            for kind in attack(pid, address) {
                successes
                    .entry((kind.to_owned(), pid))
                    .or_insert_with(|| command_of(pid));
            }
        }
        rounds += 1;
        let mut byte = [0u8; 1];
        match rustix::io::read(&stdin, &mut byte) {
            Err(rustix::io::Errno::AGAIN) => {}
            _ => break, // EOF or a byte: the application says stop.
        }
    }
    for ((kind, pid), command) in &successes {
        println!("{kind} {pid} {command}");
    }
    println!("rounds {rounds}");
}

/// Every pid `/proc` lists, and the low pids a scope's own pid namespace
/// uses: in a pid namespace without a mount namespace, `/proc` is the
/// host's, and lists other numbers than the ones `ptrace` takes here.
fn visible_pids() -> BTreeSet<i32> {
    let listed = std::fs::read_dir("/proc").into_iter().flatten();
    listed
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .chain(1..=512)
        .collect()
}

/// The command line of `pid` (a pid of our own pid namespace), found in
/// `/proc` through the pid `/proc` knows it by: a pidfd's fdinfo gives it.
fn command_of(pid: i32) -> String {
    let Some(listed) = common::pidfd_info(pid, "Pid") else {
        return String::new();
    };
    std::fs::read(format!("/proc/{listed}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

/// Every way in that worked on `pid`: `seize`, `vm-read`, `vm-write`,
/// `mem-open`, `mem-write`, `getfd`, and `leak` when the canary's value was
/// read at the canary's address (the process shares the application's
/// memory).
fn attack(pid: i32, address: usize) -> Vec<&'static str> {
    let mut worked = Vec::new();
    // SAFETY: ptrace with a pid and null addresses only.
    if unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, 0usize, 0usize) } == 0 {
        worked.push("seize");
        // Let go again, so that the process's exit still reaches its
        // parent: detaching needs a stopped tracee.
        // SAFETY: as above; `status` is a valid out-parameter.
        unsafe {
            libc::ptrace(libc::PTRACE_INTERRUPT, pid, 0usize, 0usize);
            let mut status = 0;
            libc::waitpid(pid, &mut status, libc::__WALL);
            libc::ptrace(libc::PTRACE_DETACH, pid, 0usize, 0usize);
        }
    }
    let mut value = 0u64;
    let local = libc::iovec {
        iov_base: std::ptr::from_mut(&mut value).cast(),
        iov_len: 8,
    };
    let remote = libc::iovec {
        iov_base: address as *mut libc::c_void,
        iov_len: 8,
    };
    // SAFETY: one local buffer of 8 bytes; the remote side is the kernel's to check.
    if unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) } == 8 {
        worked.push("vm-read");
        if value == MAGIC {
            worked.push("leak");
        }
    }
    let mut evil = EVIL;
    let local = libc::iovec {
        iov_base: std::ptr::from_mut(&mut evil).cast(),
        iov_len: 8,
    };
    // SAFETY: as above.
    if unsafe { libc::process_vm_writev(pid, &local, 1, &remote, 1, 0) } == 8 {
        worked.push("vm-write");
    }
    if let Ok(mem) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(format!("/proc/{pid}/mem"))
    {
        worked.push("mem-open");
        let mut bytes = [0u8; 8];
        if rustix::io::pread(&mem, &mut bytes, address as u64) == Ok(8)
            && u64::from_ne_bytes(bytes) == MAGIC
        {
            worked.push("leak");
        }
        if rustix::io::pwrite(&mem, &EVIL.to_ne_bytes(), address as u64) == Ok(8) {
            worked.push("mem-write");
        }
    }
    if let Some(pid) = rustix::process::Pid::from_raw(pid)
        && let Ok(pidfd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
    {
        for target in 0..8 {
            if rustix::process::pidfd_getfd(
                &pidfd,
                target,
                rustix::process::PidfdGetfdFlags::empty(),
            )
            .is_ok()
            {
                worked.push("getfd");
                break;
            }
        }
    }
    worked
}
