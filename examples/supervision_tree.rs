//! A supervision tree, typed all the way down.
//!
//! `Site` runs a `frontend`, a database nested as a `#[subgraph]` (a
//! supervisor of its own, with its own intensity) and workers added at run
//! time through a `#[children]` field. One worker is flaky: it crashes
//! every 300 ms. Its own level restarts it twice, then gives up and fails
//! as a unit to `Site`, which restarts that worker whole. The application
//! watches it all through one exhaustive `match` on `SiteNode`, removes
//! the flaky worker after its second failure as a unit, and shuts down.
//!
//! Run with `cargo run --example supervision_tree`.

use std::time::Duration;

use process_graph::prelude::*;

/// A database: a primary and a standby, restarted at most twice in 30 s.
#[process_graph(intensity = 2, period = "30s")]
pub struct Db {
    #[process(restart = "always")]
    primary: Cmd,
    #[process(restart = "always", after = [primary])]
    standby: Cmd,
}

/// One worker process, restarted at most twice in 30 s.
#[process_graph(intensity = 2, period = "30s")]
pub struct Worker {
    #[process(restart = "always", backoff = "50ms..50ms")]
    work: Cmd,
}

/// The site: every level below it fails to it as a unit.
#[process_graph(intensity = 5, period = "30s")]
pub struct Site {
    #[process(restart = "always")]
    frontend: Cmd,
    #[subgraph]
    db: Db,
    #[children]
    workers: Children<Worker>,
}

fn sleeper() -> Cmd {
    Cmd::new("sleep").arg("60")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut running = Site::new(sleeper(), Db::new(sleeper(), sleeper())).spawn()?;
    let steady = running.add_workers(Worker::new(sleeper()))?;
    let flaky = running.add_workers(Worker::new(
        Cmd::new("sh").args(["-c", "sleep 0.3; exit 1"]),
    ))?;
    println!(
        "started: frontend, db.primary, db.standby, workers.{} and workers.{}",
        steady.number(),
        flaky.number()
    );

    let mut unit_failures = 0;
    while let Some(event) = running.next_event(Some(Duration::from_secs(10)))? {
        match &event {
            GraphEvent::SubgraphFailed { subgraph, .. } => {
                println!("!! {event}");
                if subgraph == &format!("workers.{}", flaky.number()) {
                    unit_failures += 1;
                    if unit_failures == 2 {
                        println!("-- removing {subgraph} for good");
                        running.remove_child(flaky);
                        break;
                    }
                }
            }
            GraphEvent::Exited { node, .. } => match node {
                SiteNode::Frontend => println!("the frontend exited: {event}"),
                SiteNode::Db(DbNode::Primary | DbNode::Standby) => println!("db: {event}"),
                SiteNode::Workers(child) if child.child() == flaky => println!("   {event}"),
                SiteNode::Workers(_) => println!("a steady worker exited: {event}"),
            },
            _ => {}
        }
    }

    let steady_work = SiteNode::Workers(steady.node(WorkerNode::Work));
    println!(
        "{steady_work} still runs as pid {:?}",
        running.process(steady_work).pid()
    );
    let report = running.shutdown(Duration::from_secs(5))?;
    print!("{report}");
    Ok(())
}
