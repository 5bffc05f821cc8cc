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
//! namespace the host's — and, over and over, the newest pids its pid
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

/// One success of the attacker: what it did, to which pid (as the attacker
/// sees it), what that process was then, and its command line.
#[derive(Debug)]
struct Success {
    kind: String,
    pid: i32,
    target: Target,
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
    assert!(
        text.contains("rounds "),
        "the attacker did not report:\n{text}"
    );
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
    let refused = |mode: &str| refused_machinery_in(&text, mode);
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

/// How many processes running the carried program's `mode` refused the
/// attacker (its `refused-machinery pid errno command` lines).
fn refused_machinery_in(text: &str, mode: &str) -> usize {
    let program = format!("{PROGRAM} {mode} ");
    text.lines()
        .filter(|line| match line.splitn(4, ' ').collect::<Vec<_>>()[..] {
            [REFUSED_MACHINERY, _pid, _errno, command] => command.starts_with(&program),
            _ => false,
        })
        .count()
}

/// The attacker's `kind pid target command` lines, among its other lines
/// and libtest's ("running 1 test").
fn successes_in(text: &str) -> Vec<Success> {
    const KINDS: [&str; 7] = [
        "seize",
        "vm-read",
        "vm-write",
        "mem-open",
        "mem-write",
        "getfd",
        "leak",
    ];
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, ' ');
            let kind = parts.next()?;
            Some(Success {
                kind: KINDS.contains(&kind).then(|| kind.to_owned())?,
                pid: parts.next()?.parse().ok()?,
                target: Target::named(parts.next()?)?,
                command: parts.next().unwrap_or("").to_owned(),
            })
        })
        .collect()
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
/// binary. Attacks every pid it sees, and over and over the newest ones,
/// until its stdin closes; then prints `kind pid target command` for each
/// success, `refused-machinery pid errno command` for each process of its
/// scope's machinery that refused it, and a `rounds N` line.
#[test]
#[ignore = "the hostile node of the tests above, run as a node in a copy of this binary"]
fn hostile_node() {
    let Some(address) = std::env::var_os(ATTACK) else {
        return; // Only meaningful as a node.
    };
    let mut attacker = Attacker {
        address: usize::from_str_radix(address.to_str().unwrap(), 16).unwrap(),
        me: std::process::id() as i32,
        uid_map: std::fs::read("/proc/self/uid_map").unwrap(),
        findings: Findings::default(),
    };
    let stdin = std::io::stdin();
    rustix::fs::fcntl_setfl(&stdin, rustix::fs::OFlags::NONBLOCK).unwrap();
    let mut rounds = 0u64;
    loop {
        let sweep = Instant::now();
        for pid in visible_pids() {
            attacker.attack(pid);
        }
        // As long again on the newest pids: over the host's pids (no pid
        // namespace of our own) a sweep takes most of a round.
        attacker.attack_the_newest(sweep.elapsed().max(Duration::from_millis(10)));
        rounds += 1;
        let mut byte = [0u8; 1];
        match rustix::io::read(&stdin, &mut byte) {
            Err(rustix::io::Errno::AGAIN) => {}
            _ => break, // EOF or a byte: the application says stop.
        }
    }
    attacker.findings.print();
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

/// The hostile node's state.
struct Attacker {
    /// The canary's address in the application.
    address: usize,
    /// Our own pid, which we leave alone.
    me: i32,
    /// Our user namespace's uid map, as `/proc` shows it to us: the
    /// `/proc/PID/uid_map` of a process whose credentials are in our user
    /// namespace reads the same, that of any other reads otherwise (its
    /// ids are shown as our namespace sees them, ours as our parent
    /// namespace does). Anyone may read it.
    uid_map: Vec<u8>,
    findings: Findings,
}

impl Attacker {
    /// For `time`, attacks the few newest pids of this pid namespace over
    /// and over. The runtime's machinery that starts a node (the carried
    /// program, or its clone before the node's `execve`) holds the scope's
    /// ids only for microseconds before it becomes the node: a sweep over
    /// every pid would all but never catch it then, and in a pid namespace
    /// of the scope's own its pid is soon above the sweep's low pids.
    fn attack_the_newest(&mut self, time: Duration) {
        let deadline = Instant::now() + time;
        while Instant::now() < deadline {
            // The last pid the kernel gave out in our pid namespace.
            let Some(last) = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok())
            else {
                return;
            };
            for pid in (last - 3).max(1)..=last {
                self.attack(pid);
            }
        }
    }

    /// Tries every way in on `pid` and notes what worked, and on what (see
    /// [`Target`]).
    fn attack(&mut self, pid: i32) {
        if pid == self.me {
            return;
        }
        // The pid `/proc` knows it by, which a pidfd's fdinfo gives; none
        // when no process has `pid`.
        let Some(listed) = common::pidfd_info(pid, "Pid") else {
            return;
        };
        let in_our_namespace =
            std::fs::read(format!("/proc/{listed}/uid_map")).is_ok_and(|map| map == self.uid_map);
        let (worked, target, identity) = match Held::seize(pid) {
            Ok(held) => {
                // Read while it is stopped: what the seize and every way in
                // below worked on, unless an `execve` came before the stop.
                let identity = Identity::of(&listed);
                let target = if held.execed {
                    Target::Unknown
                } else {
                    identity.target()
                };
                let mut worked = vec!["seize"];
                worked.extend(ways_in_but_ptrace(pid, self.address));
                drop(held);
                (worked, target, identity)
            }
            Err(errno) => {
                let before = Identity::of(&listed);
                // In our user namespace before the seize, and running the
                // carried program after it: the carried program (or its
                // clone) holding our scope's ids, at the refusal.
                if errno == libc::EPERM && in_our_namespace && before.target() == Target::Machinery
                {
                    self.findings
                        .refused_machinery
                        .entry(pid)
                        .or_insert_with(|| (errno, before.command.clone()));
                }
                let worked = ways_in_but_ptrace(pid, self.address);
                if worked.is_empty() {
                    return;
                }
                let (target, identity) = between(before, Identity::of(&listed));
                (worked, target, identity)
            }
        };
        for kind in worked {
            self.findings
                .successes
                .entry((kind, pid, target))
                .or_insert_with(|| identity.command.clone());
        }
    }
}

/// What the attacker found.
#[derive(Default)]
struct Findings {
    /// Each way in that worked, on which pid, on what: the command line.
    successes: BTreeMap<(&'static str, i32, Target), String>,
    /// Each process of our scope's machinery that refused the seize: the
    /// errno, and the command line.
    refused_machinery: BTreeMap<i32, (i32, String)>,
}

impl Findings {
    fn print(&self) {
        for ((kind, pid, target), command) in &self.successes {
            println!("{kind} {pid} {} {command}", target.name());
        }
        for (pid, (errno, command)) in &self.refused_machinery {
            println!("{REFUSED_MACHINERY} {pid} {errno} {command}");
        }
    }
}

/// What a way in worked on. A process runs the runtime's code first (the
/// application's child before it execs the carried program, which shares
/// the application's memory and shows its command line; the carried
/// program; its clone before the node's `execve`), then the node's
/// program, then nothing: never the runtime's code again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// The carried program (`process-graph-scope`): a scope's init, a
    /// nested scope's helper, the program that starts a node or its clone.
    Machinery,
    /// A node's own program: the scope-mates.
    Mate,
    /// Gone, or changed while the attempt ran: nothing to tell.
    Unknown,
}

impl Target {
    const ALL: [Target; 3] = [Target::Machinery, Target::Mate, Target::Unknown];

    fn name(self) -> &'static str {
        match self {
            Target::Machinery => "machinery",
            Target::Mate => "mate",
            Target::Unknown => "unknown",
        }
    }

    fn named(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The name the carried program runs under: its `argv[0]`, and its
/// memfd's, which `/proc/PID/exe` shows as `/memfd:process-graph-scope`.
const PROGRAM: &str = "process-graph-scope";

/// The attacker's line for a machinery process that refused it.
const REFUSED_MACHINERY: &str = "refused-machinery";

/// What `/proc` says a process runs: its command line, which anyone may
/// read, and its executable, which only who may ptrace-read it may. Both
/// empty once it has exited.
#[derive(Default)]
struct Identity {
    command: String,
    exe: String,
}

impl Identity {
    /// `listed`: the pid `/proc` lists the process by.
    fn of(listed: &str) -> Identity {
        let command = std::fs::read(format!("/proc/{listed}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        let exe = std::fs::read_link(format!("/proc/{listed}/exe"))
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_default();
        Identity { command, exe }
    }

    fn target(&self) -> Target {
        if self.command.starts_with(PROGRAM) || self.exe.starts_with(&format!("/memfd:{PROGRAM}")) {
            Target::Machinery
        } else if self.command.is_empty() {
            Target::Unknown
        } else {
            Target::Mate
        }
    }
}

/// What a way in that worked on a running process worked on, from what it
/// ran before and after the attempt (see [`Target`] for the order): the
/// runtime's code if it runs that after; a node's program only if it ran
/// that same program before.
fn between(before: Identity, after: Identity) -> (Target, Identity) {
    match after.target() {
        Target::Machinery => (Target::Machinery, after),
        Target::Mate if before.command == after.command => (Target::Mate, after),
        _ => (Target::Unknown, before),
    }
}

/// A process the attacker has seized and stopped. A stopped tracee cannot
/// `execve`, so what it runs while held is what every attempt on it works
/// on. Dropped, it lets the process go, so that its exit still reaches its
/// parent.
struct Held {
    pid: i32,
    /// It `execve`d between the seize and the stop: the program seized is
    /// not the one it runs now.
    execed: bool,
    /// A signal it stopped to receive, delivered when it is let go.
    signal: i32,
}

impl Held {
    /// `PTRACE_SEIZE`, then `PTRACE_INTERRUPT`; the errno if the seize is
    /// refused.
    fn seize(pid: i32) -> Result<Held, i32> {
        let exec_stops = libc::PTRACE_O_TRACEEXEC as usize;
        // SAFETY: ptrace with a pid, a null address and an options word.
        if unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, 0usize, exec_stops) } != 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        let mut status = 0;
        // SAFETY: as above; `status` is a valid out-parameter.
        unsafe {
            libc::ptrace(libc::PTRACE_INTERRUPT, pid, 0usize, 0usize);
            libc::waitpid(pid, &mut status, libc::__WALL);
        }
        let stopped = libc::WIFSTOPPED(status);
        let event = status >> 16;
        Ok(Held {
            pid,
            execed: stopped && event == libc::PTRACE_EVENT_EXEC,
            signal: if stopped && event == 0 {
                libc::WSTOPSIG(status)
            } else {
                0
            },
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: ptrace with a pid, a null address and a signal number.
        unsafe { libc::ptrace(libc::PTRACE_DETACH, self.pid, 0usize, self.signal as usize) };
    }
}

/// Every way in besides ptrace that worked on `pid`: `vm-read`,
/// `vm-write`, `mem-open`, `mem-write`, `getfd`, and `leak` when the
/// canary's value was read at the canary's address (the process shares the
/// application's memory).
fn ways_in_but_ptrace(pid: i32, address: usize) -> Vec<&'static str> {
    let mut worked = Vec::new();
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
