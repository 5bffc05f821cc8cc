//! The tokio front door: the same event loop, awaited instead of blocking.
#![cfg(feature = "tokio")]

use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Restart};

#[tokio::test(flavor = "current_thread")]
async fn events_and_restarts_arrive_without_blocking_the_runtime() {
    let mut graph = Graph::new();
    let flaky = graph.node_with(
        "flaky",
        Command::new("false"),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(50), Duration::from_millis(50)),
    );
    graph.intensity(2, Duration::from_secs(60));
    let mut running = graph.spawn().unwrap();
    // A ticker on the same single-threaded runtime keeps running while the
    // graph's restarts wait out their backoff.
    let ticker = tokio::spawn(async {
        let mut ticks = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            ticks += 1;
            if ticks == 10 {
                return ticks;
            }
        }
    });
    let started = Instant::now();
    let mut exits = 0;
    while let Some(event) = running.next_event_async().await.unwrap() {
        if let Event::Exited { node, .. } = event {
            assert_eq!(node, flaky);
            exits += 1;
        }
    }
    assert_eq!(
        exits, 3,
        "the first run and two restarts, then the intensity gives up"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "two backoff delays were awaited"
    );
    assert!(
        ticker.is_finished(),
        "the ticker ran on the same thread while the graph was awaited"
    );
    assert_eq!(ticker.await.unwrap(), 10);
    assert!(
        running.wait_async().await.is_err(),
        "the intensity was exceeded"
    );
}
