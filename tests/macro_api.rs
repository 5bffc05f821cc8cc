//! The generated API of `#[process_graph]`, exercised on real processes.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use process_graph::prelude::*;
use process_graph::{Decision, Intensity};

/// Count the lines of a log that mention an error.
#[process_graph]
struct ErrorCount {
    #[process]
    source: Cmd,
    #[process(after = [source])]
    filter: Cmd,
    #[process]
    count: Cmd,

    #[pipe(source.stdout -> filter.stdin)]
    lines: Pipe,
    #[pipe(filter.stdout -> count.stdin)]
    errors: Pipe,
    #[pipe(count.stdout -> parent)]
    total: Pipe,
}

#[test]
fn pipeline_output_reaches_the_parent() {
    let graph = ErrorCount::new(
        Cmd::new("printf").arg("ok\nerror: disk\nok\nerror: net\n"),
        Cmd::new("grep").arg("error"),
        Cmd::new("wc").arg("-l"),
    );
    let mut running = graph.spawn().unwrap();
    let mut total = String::new();
    running
        .total
        .take()
        .unwrap()
        .read_to_string(&mut total)
        .unwrap();
    assert_eq!(total.trim(), "2");
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
    assert_eq!(report.get(ErrorCountNode::Count).name, "count");
}

/// The parent writes into `cat` and reads it back.
#[process_graph]
struct Echo {
    #[process]
    cat: Cmd,
    #[pipe(parent -> cat.stdin)]
    input: Pipe,
    #[pipe(cat.stdout -> parent)]
    output: Pipe,
}

#[test]
fn wait_closes_the_parents_writers() {
    let mut running = Echo::new(Cmd::new("cat")).spawn().unwrap();
    running
        .input
        .as_mut()
        .unwrap()
        .write_all(b"hello\n")
        .unwrap();
    let mut output = running.output.take().unwrap();
    // `wait` drops `input`, so cat sees EOF and exits.
    let report = running.wait().unwrap();
    assert!(report.cat.success());
    let mut echoed = String::new();
    output.read_to_string(&mut echoed).unwrap();
    assert_eq!(echoed, "hello\n");
}

/// A process that fails, under a policy the application overrides.
#[process_graph]
struct Flaky {
    #[process(restart = "on-failure", backoff = "10ms..10ms")]
    worker: Cmd,
}

#[test]
fn events_name_nodes_by_enum_and_decisions_can_be_overridden() {
    let mut running = Flaky::new(Cmd::new("sh").arg("-c").arg("exit 3"))
        .spawn()
        .unwrap();
    let mut exits = 0;
    while let Some(event) = running.next_event(None).unwrap() {
        match event {
            GraphEvent::Exited {
                node: FlakyNode::Worker,
                status,
                decision,
            } => {
                exits += 1;
                assert_eq!(status, ExitStatus::Exited(3));
                assert!(matches!(decision, Decision::Restart { .. }), "{decision:?}");
                assert!(running.decide(Decision::Leave));
            }
            GraphEvent::Started { node, .. } => assert_eq!(node, FlakyNode::Worker),
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(exits, 1);
    let report = running.wait().unwrap();
    assert_eq!(report.worker.status, Some(ExitStatus::Exited(3)));
    assert_eq!(report.worker.restarts, 0);
    assert!(!report.success());
}

#[process_graph]
struct Sleeper {
    #[process(stop_signal = "SIGINT", stop_timeout = "5s")]
    nap: Cmd,
}

#[test]
fn process_handles_signal_through_the_typed_api() {
    let mut running = Sleeper::new(Cmd::new("sleep").arg("30")).spawn().unwrap();
    let nap = running.nap();
    assert_eq!(nap.node(), SleeperNode::Nap);
    assert_eq!(nap.name(), "nap");
    assert!(nap.pid().is_some());
    running.signal(SleeperNode::Nap, Signal::USR1).unwrap();
    let report = running.wait().unwrap();
    assert_eq!(report.nap.status, Some(ExitStatus::Signaled(Signal::USR1)));
    assert!(matches!(
        running.process(SleeperNode::Nap).signal(Signal::TERM),
        Err(process_graph::Error::NotRunning { .. })
    ));
}

#[test]
fn shutdown_uses_the_declared_stop_signal() {
    let mut running = Sleeper::new(Cmd::new("sleep").arg("30")).spawn().unwrap();
    let report = running.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(report.nap.status, Some(ExitStatus::Signaled(Signal::INT)));
    assert!(!report.nap.killed_after_timeout);
}

/// `b` starts only once `a` wrote its readiness line on fd 3.
#[process_graph]
struct Ordered {
    #[process(ready = fd(3))]
    a: Cmd,
    #[process(after = [a])]
    b: Cmd,
}

#[test]
fn after_waits_for_the_declared_readiness() {
    let a = Cmd::new("sh")
        .arg("-c")
        .arg("sleep 0.05; echo >&3; sleep 30");
    let mut running = Ordered::new(a, Cmd::new("true")).spawn().unwrap();
    let mut order = Vec::new();
    while let Some(event) = running.next_event(None).unwrap() {
        match event {
            GraphEvent::Ready { node } => order.push(format!("ready {node}")),
            GraphEvent::Started { node, .. } => order.push(format!("started {node}")),
            GraphEvent::Exited { node, .. } => {
                order.push(format!("exited {node}"));
                if node == OrderedNode::B {
                    running.stop(OrderedNode::A);
                }
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(
        order[..4],
        ["started a", "ready a", "started b", "exited b"],
        "{order:?}"
    );
}

/// Stdio options become the commands' settings: each lists its fd table on
/// a pipe to the parent.
#[process_graph]
struct Quiet {
    #[process(stdin = "null", stdout = "null")]
    silent: Cmd,
    #[pipe(silent.stderr -> parent)]
    table: Pipe,
}

#[test]
fn stdio_options_apply_to_the_command() {
    // The redirect happens in the subshell, leaving the listed shell's fds alone.
    let lister = Cmd::new("sh")
        .arg("-c")
        .arg("(ls -l /proc/$$/fd >&2); true");
    let mut running = Quiet::new(lister).spawn().unwrap();
    let mut table = String::new();
    running
        .table
        .take()
        .unwrap()
        .read_to_string(&mut table)
        .unwrap();
    assert!(running.wait().unwrap().success());
    let target = |fd: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!(" {fd} -> ")))
            .map(|l| l.rsplit(" -> ").next().unwrap().to_owned())
    };
    assert_eq!(target("0").as_deref(), Some("/dev/null"), "{table}");
    assert_eq!(target("1").as_deref(), Some("/dev/null"), "{table}");
}

#[test]
fn the_declaration_is_the_dynamic_graph() {
    let graph = ErrorCount::new(Cmd::new("true"), Cmd::new("true"), Cmd::new("true")).graph();
    assert_eq!(graph.node_count(), 3);
    for node in ErrorCountNode::ALL {
        assert_eq!(graph.node_name(node.id()), Some(node.name()));
        assert_eq!(ErrorCountNode::from_id(node.id()), Some(*node));
    }
    graph.validate().unwrap();
}

#[test]
fn topology_describes_the_declaration() {
    let t = ErrorCount::TOPOLOGY;
    assert_eq!(t.name, "ErrorCount");
    let names: Vec<_> = t.nodes.iter().map(|n| &*n.name).collect();
    assert_eq!(names, ["source", "filter", "count"]);
    assert_eq!(t.nodes[1].after[..], [0]);
    let total = t
        .edges
        .iter()
        .find(|e| e.name.as_deref() == Some("total"))
        .unwrap();
    assert_eq!(total.from[0].node, Some(2));
    assert_eq!(total.from[0].fd, 1);
    assert_eq!(total.to[0].node, None);
    // Undeclared policies are the runtime's defaults.
    let defaults = Intensity::default();
    assert_eq!(t.strategy, "one_for_one");
    assert_eq!(t.intensity, defaults.max_restarts);
    assert_eq!(u128::from(t.period_ms), defaults.period.as_millis());
}

/// A process in its own user and uts namespaces, with the declared hostname.
#[process_graph]
struct Boxed {
    #[scope(user, uts, hostname = "sandbox")]
    sandbox: Scope,
    #[process(scope = sandbox)]
    host: Cmd,
    #[pipe(host.stdout -> parent)]
    out: Pipe,
}

#[test]
fn scopes_get_their_declared_namespaces() {
    let mut running = match Boxed::new(Cmd::new("hostname")).spawn() {
        Ok(running) => running,
        Err(e @ process_graph::Error::Scope { .. }) => {
            assert!(
                !common::in_ci(),
                "namespaces are not allowed here, and CI must not skip: {e}"
            );
            common::skip(&format!("namespaces are not allowed here: {e}"));
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let mut name = String::new();
    running
        .out
        .take()
        .unwrap()
        .read_to_string(&mut name)
        .unwrap();
    assert!(running.wait().unwrap().success());
    assert_eq!(name.trim(), "sandbox");
}

/// A process whose stdin and stdout are its terminal, declared per stream,
/// and whose stderr is a pipe to the parent: an edge claims the one stream
/// the terminal does not.
#[process_graph]
struct Console {
    #[process(stdin = "terminal", stdout = "terminal")]
    shell: Cmd,
    #[pipe(shell.stderr -> parent)]
    errors: Pipe,
}

#[test]
fn a_declared_terminal_is_the_processs_controlling_terminal() {
    common::within(Duration::from_secs(30), "a declared terminal", || {
        // `read` is built in: the shell's own `stat` (fields 7 and 8: its
        // controlling terminal, and that terminal's foreground group).
        let script = r#"read -r stat </proc/self/stat; set -- $stat
[ "$7" != 0 ] && [ "$8" = "$5" ] && echo "ctty of its own"
read -r line; echo "typed: $line"; echo "to stderr" >&2"#;
        let mut running = Console::new(Cmd::new("sh").args(["-c", script]))
            .spawn()
            .unwrap();
        let mut terminal = running.take_terminal(ConsoleNode::Shell).expect("declared");
        assert!(
            running.take_terminal(ConsoleNode::Shell).is_none(),
            "taken once"
        );
        terminal.write_all(b"hello\n").unwrap();
        let mut errors = String::new();
        running
            .errors
            .take()
            .unwrap()
            .read_to_string(&mut errors)
            .unwrap();
        assert_eq!(errors, "to stderr\n");
        // The node has ended: all it wrote is in the terminal, to be read
        // until the kernel says its other end is closed (EIO).
        let mut screen = Vec::new();
        let _ = terminal.read_to_end(&mut screen);
        let screen = String::from_utf8_lossy(&screen);
        assert!(screen.contains("ctty of its own"), "{screen}");
        assert!(screen.contains("typed: hello"), "{screen}");
        assert!(running.wait().unwrap().success());
    });
}
