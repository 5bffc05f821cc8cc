//! Attacks on `Readiness::Fd`, from inside the node: a readiness pipe
//! written without pause, and without the newline that would end it. The
//! rules these tests pin are written on `Readiness::Fd`.

mod common;

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Readiness};

fn sh(script: &str) -> Command {
    Command::new("sh").arg("-c").arg(script)
}

/// Hands out `running`'s events until `node`'s first exit (or 20 s), and
/// returns them.
fn events_until_exit(
    running: &mut process_graph_runtime::RunningGraph,
    node: process_graph_runtime::NodeId,
) -> Vec<Event> {
    let until = Instant::now() + Duration::from_secs(20);
    let mut events = Vec::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let Some(event) = running.next_event(Some(left)).unwrap() else {
            break;
        };
        let exited = matches!(event, Event::Exited { node: n, .. } if n == node);
        events.push(event);
        if exited {
            break;
        }
    }
    events
}

/// The flood: `cat /dev/zero` into the readiness fd never writes a newline
/// and never stops on its own. Once it has written 4 KiB the supervisor
/// closes the pipe, so `cat` fails (EPIPE) and the node exits 7. A
/// supervisor that read on until the pipe was empty would never get there:
/// the node would run until its ready timeout, with the event loop busy
/// reading it (before the fix: 2.3 s stalls, a ready timeout missed by a
/// second). As root and as uid 65534.
#[test]
fn a_node_flooding_its_readiness_pipe_has_it_closed() {
    common::as_root_and_unprivileged(
        "a_node_flooding_its_readiness_pipe_has_it_closed",
        flood_the_readiness_pipe,
    );
}

fn flood_the_readiness_pipe() {
    let mut graph = Graph::new();
    let flood = graph.node_with(
        "flood",
        sh("cat /dev/zero >&3 || exit 7; exit 0"),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .ready_timeout(Duration::from_secs(60)),
    );
    let mut running = graph.spawn().unwrap();
    let events = events_until_exit(&mut running, flood);
    let exit = events
        .iter()
        .find_map(|e| match e {
            Event::Exited { status, .. } => Some(status.code()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the flooding node was left writing: {events:?}"));
    assert_eq!(exit, Some(7), "its writes failed: the pipe was closed");
    assert!(
        !events.iter().any(|e| matches!(e, Event::Ready { .. })),
        "zero bytes are not a newline: {events:?}"
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// 4 KiB without a newline end the protocol: a newline after them does not
/// make the node ready. One short of that, it does.
#[test]
fn a_newline_after_4_kib_is_too_late() {
    let mut graph = Graph::new();
    let late = graph.node_with(
        "late",
        sh("head -c 4096 /dev/zero >&3; (echo >&3) 2>/dev/null; exec sleep 30"),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .ready_timeout(Duration::from_millis(500)),
    );
    let in_time = graph.node_with(
        "in-time",
        sh("head -c 4095 /dev/zero >&3; echo >&3; exec sleep 30"),
        NodeOptions::new()
            .ready(Readiness::Fd(3))
            .ready_timeout(Duration::from_secs(20)),
    );
    let mut running = graph.spawn().unwrap();
    let events = events_until_exit(&mut running, late);
    assert!(
        events.contains(&Event::Ready { node: in_time }),
        "{events:?}"
    );
    assert!(!events.contains(&Event::Ready { node: late }), "{events:?}");
    assert!(
        events.contains(&Event::ReadyTimeout { node: late }),
        "{events:?}"
    );
    running.shutdown(Duration::from_secs(1)).unwrap();
}
