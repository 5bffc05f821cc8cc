//! Children start with every signal at its default action and none blocked,
//! whatever the application ignores or blocks.
//!
//! Neither `CLONE_CLEAR_SIGHAND` nor `execve` resets an ignored signal. An
//! application started under `nohup`, or as a shell's background job,
//! ignores SIGHUP, SIGINT and SIGQUIT; unless the runtime resets them its
//! nodes ignore them too, and a node that ignores its stop signal makes every
//! stop wait out the whole stop timeout.
//!
//! Every test of this binary is such an application: it ignores SIGTERM,
//! SIGINT, SIGHUP and SIGUSR1 (dispositions are process-wide, hence a binary
//! of its own) and blocks SIGTERM, SIGUSR2 and SIGQUIT in the thread that
//! spawns (a mask is per thread, and children inherit the spawning thread's).

mod common;

use std::time::{Duration, Instant};

use common::as_root_and_unprivileged;
use process_graph_runtime::{
    Command, Endpoint, Event, ExitStatus, Graph, Namespace, NodeOptions, Probe, ScopeSpec, Signal,
};

const IGNORED: [Signal; 4] = [Signal::TERM, Signal::INT, Signal::HUP, Signal::USR1];
const BLOCKED: [Signal; 3] = [Signal::TERM, Signal::USR2, Signal::QUIT];

/// A signal set as `/proc/PID/status` shows it: bit n-1 is signal n.
fn mask_of(signals: &[Signal]) -> u64 {
    signals
        .iter()
        .fold(0, |mask, s| mask | 1 << (s.as_raw() - 1))
}

/// The `SigIgn` and `SigBlk` masks in one `/proc/PID/status` text.
fn ignored_and_blocked(status: &str) -> (u64, u64) {
    let field = |name: &str| {
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {status}"));
        u64::from_str_radix(hex.trim(), 16).unwrap()
    };
    (field("SigIgn:"), field("SigBlk:"))
}

/// Makes this process ignore [`IGNORED`] and the calling thread block
/// [`BLOCKED`], and checks that it took.
fn become_a_nohup_application() {
    for signal in IGNORED {
        // SAFETY: SIG_IGN installs no handler; nothing else in this binary
        // relies on these signals' dispositions.
        let previous = unsafe { libc::signal(signal.as_raw(), libc::SIG_IGN) };
        assert_ne!(previous, libc::SIG_ERR);
    }
    // SAFETY: sigset_t is plain data, initialised by sigemptyset.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t; this changes the calling thread only.
    unsafe {
        libc::sigemptyset(&mut set);
        for signal in BLOCKED {
            libc::sigaddset(&mut set, signal.as_raw());
        }
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()),
            0
        );
    }
    let (ignored, blocked) =
        ignored_and_blocked(&std::fs::read_to_string("/proc/thread-self/status").unwrap());
    assert_eq!(ignored & mask_of(&IGNORED), mask_of(&IGNORED));
    assert_eq!(blocked & mask_of(&BLOCKED), mask_of(&BLOCKED));
}

/// What `cat` prints of the given files from inside a node of `scope`, if
/// any, dropped to uid 65534 by the runtime if `dropped`; each file ends
/// with its own lines.
fn cat_from_a_node(scope: Option<ScopeSpec>, dropped: bool, files: &[&str]) -> String {
    let mut graph = Graph::new();
    let mut options = NodeOptions::new();
    if let Some(spec) = scope {
        options = options.scope(graph.scope("scope", spec));
    }
    let mut cat = Command::new("cat").args(files);
    if dropped {
        cat = common::dropped_to_65534(cat);
    }
    let cat = graph.node_with("cat", cat, options);
    let out = graph.pipe(cat.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().expect("spawn");
    let text = common::read_to_end(&mut running, out);
    assert!(running.wait().expect("wait").success());
    text
}

/// The `/proc/self/status` of a plain node shows no signal ignored and none
/// blocked: SIGPIPE (which the Rust runtime ignores) and the four ignored
/// here were reset, the mask cleared.
#[test]
fn a_node_starts_with_no_signal_ignored_or_blocked() {
    become_a_nohup_application();
    let status = cat_from_a_node(None, false, &["/proc/self/status"]);
    assert_eq!(
        ignored_and_blocked(&status),
        (0, 0),
        "SigIgn and SigBlk of the node:\n{status}"
    );
}

/// The same for a node dropped to another uid, which the runtime's carried
/// program starts (it drops the ids, then execs the node). Root only: a
/// drop to another uid needs it.
#[test]
fn a_dropped_node_starts_with_no_signal_ignored_or_blocked() {
    if !common::real_root() {
        return common::skip("only root may drop a node to another uid");
    }
    become_a_nohup_application();
    let status = cat_from_a_node(None, true, &["/proc/self/status"]);
    assert!(status.contains("\nUid:\t65534\t"), "not dropped:\n{status}");
    assert_eq!(
        ignored_and_blocked(&status),
        (0, 0),
        "SigIgn and SigBlk of the dropped node:\n{status}"
    );
}

/// The same for an exec probe's command, which is started apart from its
/// node: a readiness probe that writes the status of its own process.
#[test]
fn an_exec_probe_starts_with_no_signal_ignored_or_blocked() {
    become_a_nohup_application();
    let dir = common::TempDir::new("inherited_signals_probe");
    let path = dir.path().join("status");
    // `exec`: the status is the probe's own process, not a child's.
    let write = format!("exec cat /proc/self/status > '{}'", path.display());
    let mut graph = Graph::new();
    let node = graph.node_with(
        "sleeper",
        Command::new("sleep").arg("60"),
        NodeOptions::new()
            .ready_probe(Probe::exec(["sh", "-c", &write]).period(Duration::from_millis(50))),
    );
    let mut running = graph.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "the probe never passed");
        if let Some(Event::Ready { node: n }) = running
            .next_event(Some(Duration::from_millis(100)))
            .unwrap()
            && n == node
        {
            break;
        }
    }
    running.shutdown(Duration::from_secs(5)).unwrap();
    let status = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        ignored_and_blocked(&status),
        (0, 0),
        "SigIgn and SigBlk of the probe:\n{status}"
    );
}

/// The same in a user+pid+mount scope, for the node (which joins through a
/// helper) and for the scope's init (pid 1 there, seen through the scope's
/// own `/proc`). The init blocks every signal on purpose and reads SIGCHLD
/// from a signalfd, so only its ignored set is checked.
#[test]
fn a_scope_node_and_its_init_ignore_no_signal() {
    as_root_and_unprivileged("a_scope_node_and_its_init_ignore_no_signal", || {
        become_a_nohup_application();
        let spec = ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Mount]);
        let text = cat_from_a_node(Some(spec), false, &["/proc/self/status", "/proc/1/status"]);
        let (node, init) = text
            .split_once("\nName:")
            .expect("two status files, the second starting with Name:");
        assert_eq!(
            ignored_and_blocked(node),
            (0, 0),
            "SigIgn and SigBlk of the node:\n{node}"
        );
        assert_eq!(
            ignored_and_blocked(init).0,
            0,
            "SigIgn of the scope's init:\n{init}"
        );
    });
}

/// A stop of a node whose application ignores SIGTERM ends it by SIGTERM, at
/// once, not by the SIGKILL at the end of its stop timeout.
#[test]
fn a_stop_ends_a_node_by_its_stop_signal_not_by_the_timeout() {
    become_a_nohup_application();
    let timeout = Duration::from_secs(5);
    let mut graph = Graph::new();
    graph.node("sleeper", Command::new("sleep").arg("1000"));
    let mut running = graph.spawn().expect("spawn");
    let started = Instant::now();
    let report = running.shutdown(timeout).expect("shutdown");
    let took = started.elapsed();
    let sleeper = report.by_name("sleeper").unwrap();
    assert_eq!(
        (sleeper.status, sleeper.killed_after_timeout),
        (Some(ExitStatus::Signaled(Signal::TERM)), false),
        "the node ignored SIGTERM and was killed after {took:?}"
    );
    assert!(took < timeout, "the stop took {took:?}");
}
