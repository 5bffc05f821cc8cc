//! An application that ignores SIGCHLD (`SIG_IGN`, which a parent can leave
//! it through `execve`) or sets `SA_NOCLDWAIT` has the kernel reap its
//! children itself: no node's exit could be waited for. The runtime says so
//! with `Error::SigchldIgnored` before starting anything, and when a node
//! is reaped that way while the graph runs (it used to fail with a bare
//! `waitid: ECHILD`). An application with a SIGCHLD handler of its own
//! (tokio's process reaper, say) is unaffected.
//!
//! Each case runs in a copy of this binary: the disposition is the whole
//! process's, and would have the kernel reap other tests' children.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Error, Event, ExitStatus, Graph, NodeOptions, Probe, ProbeResult, Restart,
};

const HELPER_VAR: &str = "PROCESS_GRAPH_IGNORED_SIGCHLD";

#[test]
fn a_graph_refuses_to_start_where_sigchld_is_ignored() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "ignore")]);
}

#[test]
fn a_graph_refuses_to_start_where_sigchld_has_sa_nocldwait() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "nocldwait")]);
}

#[test]
fn sigchld_ignored_while_a_graph_runs_is_named_at_the_next_exit() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "later")]);
}

#[test]
fn a_waitpid_of_any_child_elsewhere_takes_a_node_which_ends_unknown_and_the_graph_goes_on() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "stolen")]);
}

#[test]
fn a_probe_child_reaped_by_the_kernel_fails_the_probe_without_spinning() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "probe")]);
}

#[test]
fn a_sigchld_handler_of_the_application_changes_nothing() {
    common::run_ignored_test("application_helper", &[(HELPER_VAR, "handler")]);
}

/// The application of the tests above, in the case `HELPER_VAR` names.
#[test]
#[ignore = "the application of the tests above, run in a copy of this binary"]
fn application_helper() {
    let Ok(case) = std::env::var(HELPER_VAR) else {
        return;
    };
    match case.as_str() {
        "ignore" => {
            set_sigchld(libc::SIG_IGN, 0);
            refused_at_spawn("SIG_IGN");
        }
        "nocldwait" => {
            set_sigchld(libc::SIG_DFL, libc::SA_NOCLDWAIT);
            refused_at_spawn("SA_NOCLDWAIT");
        }
        "later" => ignored_while_running(),
        "stolen" => taken_by_waitpid_of_any_child(),
        "probe" => probe_child_reaped_by_the_kernel(),
        "handler" => with_a_handler(),
        other => panic!("{HELPER_VAR}: no case {other:?}"),
    }
}

fn refused_at_spawn(disposition: &str) {
    let mut graph = Graph::new();
    graph.node("three", Command::new("sh").args(["-c", "exit 3"]));
    match graph.spawn() {
        Err(error @ Error::SigchldIgnored { .. }) => {
            println!("refused: {error}");
            assert!(error.to_string().contains(disposition), "{error}");
        }
        Err(other) => panic!("expected SigchldIgnored, got {other:?}"),
        Ok(_) => panic!("a graph started with SIGCHLD set to {disposition}"),
    }
    let children = common::children_of_this_process();
    assert!(children.is_empty(), "started anyway: {children:?}");
}

fn ignored_while_running() {
    let mut graph = Graph::new();
    graph.node("sleeper", Command::new("sleep").arg("30"));
    let short = graph.node("short", Command::new("sleep").arg("0.2"));
    let mut running = graph.spawn().unwrap();
    set_sigchld(libc::SIG_IGN, 0);
    let error = loop {
        match running.next_event(Some(Duration::from_secs(10))) {
            Err(error) => break error,
            Ok(Some(Event::Exited { node, .. })) if node == short => {
                panic!("the short node's exit was waited for while SIGCHLD was ignored")
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("no exit within 10 s"),
        }
    };
    println!("reported: {error}");
    assert!(
        matches!(
            error,
            Error::SigchldIgnored {
                disposition: "SIG_IGN"
            }
        ),
        "{error:?}"
    );
    let mut more = Graph::new();
    more.node("added", Command::new("true"));
    assert!(
        matches!(running.add(more), Err(Error::SigchldIgnored { .. })),
        "an add went ahead while SIGCHLD was ignored"
    );
    set_sigchld(libc::SIG_DFL, 0);
    drop(running);
}

/// Other code of the application reaps whatever child ends first: the
/// node's end is then reported once, as `ExitStatus::Unknown` (its status
/// went to that code), and the graph goes on — `on-failure` restarts the
/// node, whose next end is reaped as usual. (It used to be an `ECHILD`
/// error on this and every later turn, which left the graph unable to
/// supervise anything.)
fn taken_by_waitpid_of_any_child() {
    let mut graph = Graph::new();
    let stolen = graph.node_with(
        "stolen",
        Command::new("sleep").arg("0.1"),
        NodeOptions::new().restart(Restart::OnFailure),
    );
    let mut running = graph.spawn().unwrap();
    let pid = running.pid(stolen);
    let mut status = 0;
    // SAFETY: waits for any child of this process, as careless code would.
    let taken = unsafe { libc::waitpid(-1, &mut status, 0) };
    assert_eq!(pid, Some(taken as u32), "waitpid took another child");
    let mut endings = Vec::new();
    while endings.len() < 2 {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Exited { node, status, .. }) if node == stolen => endings.push(status),
            Some(_) => {}
            None => panic!("nothing within 10 s; endings so far: {endings:?}"),
        }
    }
    println!("reported: {endings:?}");
    assert_eq!(endings, [ExitStatus::Unknown, ExitStatus::Exited(0)]);
    running.wait().unwrap();
}

/// SIGCHLD ignored once the graph runs: the kernel reaps the exec probe's
/// child, whose pidfd stays readable. The probe fails naming why, its pidfd
/// leaves the wait set (it once stayed, and the loop spun on it at full
/// CPU until the node ended), and the node's own end is named as above.
fn probe_child_reaped_by_the_kernel() {
    let mut graph = Graph::new();
    graph.node_with(
        "probed",
        Command::new("sleep").arg("30"),
        NodeOptions::new().live_probe(Probe::exec(["true"]).period(Duration::from_millis(100))),
    );
    let mut running = graph.spawn().unwrap();
    set_sigchld(libc::SIG_IGN, 0);
    let (cpu0, wall0) = (common::thread_cpu_time(), Instant::now());
    let mut probe_failure = None;
    let error = loop {
        match running.next_event(Some(Duration::from_secs(10))) {
            Err(error) => break error,
            Ok(Some(Event::ProbeFailed { result, .. })) => {
                probe_failure.get_or_insert(result);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("nothing ended within 10 s"),
        }
    };
    let (cpu, wall) = (common::thread_cpu_time() - cpu0, wall0.elapsed());
    set_sigchld(libc::SIG_DFL, 0);
    println!("probe: {probe_failure:?}\nreported: {error}\ncpu {cpu:?} in {wall:?}");
    match probe_failure {
        Some(ProbeResult::Failed(why)) => assert!(
            why.contains("could not be reaped") && why.contains("SIG_IGN"),
            "{why}"
        ),
        other => panic!("expected the probe to fail naming SIGCHLD, got {other:?}"),
    }
    assert!(matches!(error, Error::SigchldIgnored { .. }), "{error:?}");
    assert!(cpu < wall / 2, "the loop spun: {cpu:?} of CPU in {wall:?}");
    drop(running);
}

fn with_a_handler() {
    extern "C" fn on_sigchld(_: libc::c_int) {}
    set_sigchld(on_sigchld as *const () as libc::sighandler_t, 0);
    let mut graph = Graph::new();
    let three = graph.node("three", Command::new("sh").args(["-c", "exit 3"]));
    let mut running = graph.spawn().unwrap();
    let report = running.wait().unwrap();
    assert_eq!(report[three].status, Some(ExitStatus::Exited(3)));
}

fn set_sigchld(handler: libc::sighandler_t, flags: libc::c_int) {
    // SAFETY: a zeroed sigaction is valid; the handler is SIG_IGN, SIG_DFL
    // or a function that does nothing.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags | libc::SA_RESTART;
    // SAFETY: a valid action for a valid signal; no old action asked for.
    let ret = unsafe { libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()) };
    assert_eq!(ret, 0, "sigaction: {}", std::io::Error::last_os_error());
}
