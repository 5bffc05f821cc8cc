//! The generated `Running<Name>` awaited on tokio (feature `tokio`):
//! `next_event_async` with typed events, `wait_async` and `shutdown_async`
//! with typed reports. Run with `cargo test --features tokio`.
#![cfg(feature = "tokio")]

use std::time::Duration;

use process_graph::prelude::*;

#[process_graph]
struct Pair {
    #[process]
    quick: Cmd,
    #[process]
    sleeper: Cmd,
}

#[tokio::test(flavor = "current_thread")]
async fn typed_events_and_reports_are_awaited() {
    let mut running = Pair::new(Cmd::new("true"), Cmd::new("sleep").arg("30"))
        .spawn()
        .unwrap();
    loop {
        match running.next_event_async().await.unwrap() {
            Some(GraphEvent::Exited {
                node: PairNode::Quick,
                status,
                ..
            }) => break assert!(status.success()),
            Some(_) => continue,
            None => panic!("the quick process's exit was never reported"),
        }
    }
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        running.shutdown_async(Duration::from_secs(5)),
    )
    .await
    .expect("shutdown_async finished")
    .unwrap();
    assert_eq!(
        report.sleeper.status,
        Some(ExitStatus::Signaled(Signal::TERM))
    );
    assert!(report.quick.status.is_some_and(ExitStatus::success));
}

#[tokio::test(flavor = "current_thread")]
async fn wait_async_reports_every_process() {
    let mut running = Pair::new(Cmd::new("true"), Cmd::new("sleep").arg("0.1"))
        .spawn()
        .unwrap();
    let report = tokio::time::timeout(Duration::from_secs(20), running.wait_async())
        .await
        .expect("wait_async finished")
        .unwrap();
    assert!(report.quick.status.is_some_and(ExitStatus::success));
    assert!(report.sleeper.status.is_some_and(ExitStatus::success));
}
