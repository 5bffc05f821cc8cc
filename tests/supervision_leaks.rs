//! A crash-looping node restarted a thousand times must not make the parent
//! grow. This is the only test in its binary, so no other test's fds or
//! allocations are counted.

use std::time::Duration;

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Restart};

/// Open fds of this process that are pipes or sockets or anonymous inodes
/// (pidfds, the waker's eventfd): what a leaking supervisor would accumulate.
fn ipc_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| {
            let t = target.to_string_lossy();
            t.starts_with("pipe:") || t.starts_with("socket:") || t.starts_with("anon_inode:")
        })
        .count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_thousand_restarts_leak_no_fds_and_no_memory() {
    let mut graph = Graph::new();
    let crasher = graph.node_with(
        "crasher",
        Command::new("false"),
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::ZERO, Duration::ZERO),
    );
    let sink = graph.node("sink", Command::new("cat"));
    graph.pipe(crasher.stdout(), sink.stdin());
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let mut running = graph.spawn().unwrap();
    let mut exits = 0;
    let (mut fds_at_100, mut rss_at_100) = (0, 0);
    while exits < 1000 {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Exited { node, .. }) => {
                assert_eq!(node, crasher);
                exits += 1;
                if exits == 100 {
                    (fds_at_100, rss_at_100) = (ipc_fds(), rss_kib());
                }
            }
            Some(_) => {}
            // Nothing within 10 s, or the graph finished: no more exits come.
            None => panic!("no event after {exits} exits: the crasher stopped being restarted"),
        }
    }
    assert_eq!(
        ipc_fds(),
        fds_at_100,
        "fds grew between restart 100 and 1000"
    );
    let grown = rss_kib().saturating_sub(rss_at_100);
    assert!(grown < 1024, "RSS grew by {grown} KiB over 900 restarts");
    let report = running.shutdown(Duration::from_secs(1)).unwrap();
    // The decision about the last exit is dropped by the shutdown.
    assert!(report[crasher].restarts >= 999, "{report}");
}
