//! The tokio front door with more exits at once than one wait of the
//! graph's epoll hands out. In a file of its own: its 150 spawns would slow
//! the timing-sensitive test beside it.
#![cfg(feature = "tokio")]

use std::time::Duration;

use process_graph_runtime::{Command, Graph};

#[tokio::test(flavor = "current_thread")]
async fn more_exits_at_once_than_one_wait_reports_are_all_seen() {
    const JOBS: usize = 150;
    let mut graph = Graph::new();
    for i in 0..JOBS {
        graph.node(format!("job{i}"), Command::new("true"));
    }
    let mut running = graph.spawn().unwrap();
    // Every job has exited before the first await, so all their pidfds are
    // ready together: more than one epoll wait hands out, and the reactor
    // reports the epoll fd only once.
    std::thread::sleep(Duration::from_millis(300));
    let report = tokio::time::timeout(Duration::from_secs(30), running.wait_async())
        .await
        .expect("an exit was lost: the graph never finished")
        .unwrap();
    assert_eq!(report.iter().count(), JOBS);
    assert!(report.success(), "{report}");
}
