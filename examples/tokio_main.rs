//! A graph awaited from a tokio `main`: its events arrive through tokio's
//! reactor, on the same thread as the application's other tasks, and no
//! thread is blocked while the graph runs.
//!
//! The runtime registers the graph's one wait-set fd with the reactor once;
//! each event then costs a few syscalls whatever the graph's size. A
//! ticker task keeps running while a flaky job is restarted and a sleeper
//! runs; then the graph is shut down with `shutdown_async`, which returns
//! once every node is stopped and reaped. (A drop would not block the
//! executor either, but would leave the stop to a thread of its own, still
//! under way when `main` returns.)
//!
//! Run with `cargo run --example tokio_main --features tokio`.

use std::time::Duration;

use process_graph::prelude::*;

#[process_graph(intensity = 3, period = "10s")]
pub struct Chores {
    /// Fails after a moment; restarted until the intensity gives up.
    #[process(restart = "on-failure", backoff = "100ms..100ms")]
    flaky: Cmd,
    #[process]
    sleeper: Cmd,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flaky = Cmd::new("sh").arg("-c").arg("sleep 0.2; exit 1");
    let sleeper = Cmd::new("sleep").arg("1");
    let mut running = Chores::new(flaky, sleeper).spawn()?;
    let ticker = tokio::spawn(async {
        for tick in 1.. {
            tokio::time::sleep(Duration::from_millis(250)).await;
            println!("   tick {tick}: the runtime's other tasks keep running");
        }
    });
    while let Some(event) = running.next_event_async().await? {
        println!("{event:?}");
        if let GraphEvent::Exited {
            node: ChoresNode::Sleeper,
            ..
        } = event
        {
            break;
        }
    }
    ticker.abort();
    let report = running.shutdown_async(Duration::from_secs(1)).await?;
    println!(
        "flaky restarted {} time(s); sleeper ended with {:?}",
        report.flaky.restarts, report.sleeper.status
    );
    Ok(())
}
