//! A node that is a program supervising a graph of its own: a subgraph in a
//! separate program.
//!
//! The outer graph runs a `frontend` and a `store`; the store is this same
//! program run as `nested_program store`, which spawns the `Store` graph
//! (`db`, then `cache` after it, then `api` after that) with this library.
//! The inner program turns SIGTERM and SIGINT into its own ordered shutdown
//! with `stop_on_signals`, and says it is ready on fd 3 only once that is in
//! place, so the outer graph's shutdown cascades in order: the outer graph
//! stops `frontend`, then sends `store` its stop signal, and the store stops
//! `api`, `cache`, `db` — dependents first — reaps them and exits. Nothing
//! is left behind if the outer application is SIGKILLed either: each
//! program's children die with it (PDEATHSIG), and with cgroups the outer
//! graph's cgroup holds the whole tree.
//!
//! The outer `stop_timeout` of the store bounds the inner shutdown: give it
//! at least the sum of the inner stop timeouts along the longest chain.
//!
//! Run with `cargo run --example nested_program`.

use std::error::Error;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::time::Duration;

use process_graph::prelude::*;

/// The outer graph: a frontend, and a store that is itself a supervisor.
#[process_graph]
pub struct Outer {
    /// This program as `store`: it supervises the `Store` graph, and reports
    /// on `reports` how its nodes ended.
    #[process(ready = fd(3), stop_timeout = "10s")]
    store: Cmd,
    #[process(after = [store])]
    frontend: Cmd,
    /// What the store says about its own nodes.
    #[pipe(store.stdout -> parent)]
    reports: Pipe,
}

/// The inner graph, run by the `store` node.
#[process_graph]
pub struct Store {
    #[process]
    db: Cmd,
    #[process(after = [db])]
    cache: Cmd,
    #[process(after = [cache])]
    api: Cmd,
}

/// The outer graph, with `store` as the command that runs [`store_main`].
pub fn outer(store: Cmd) -> Outer {
    Outer::new(store, Cmd::new("sleep").arg("600"))
}

/// The inner program: starts `Store`, makes SIGTERM and SIGINT its ordered
/// shutdown, says it is ready on fd 3 once all its nodes have started, and
/// prints each node's end (`stopped api`), then `store done`.
///
/// Call it first thing in `main`, before any other thread exists, so the
/// signals it blocks are blocked in every thread.
pub fn store_main() -> Result<(), Box<dyn Error>> {
    let sleeper = || Cmd::new("sleep").arg("600");
    let mut running = Store::new(sleeper(), sleeper(), sleeper()).spawn()?;
    running.stop_on_signals(&[Signal::TERM, Signal::INT])?;
    let mut started = 0;
    while let Some(event) = running.next_event(None)? {
        match event {
            GraphEvent::Started { .. } => {
                started += 1;
                if started == StoreNode::ALL.len() {
                    // Ready only now: a signal from here on is an ordered
                    // shutdown, not the default action. Written to fd 3
                    // itself, not reopened through `/proc/self/fd/3`: a
                    // store dropped to another uid may not open the
                    // application's pipe.
                    // SAFETY: fd 3 is the readiness pipe the outer graph
                    // gave this node (`ready = fd(3)`); nothing else uses it.
                    let mut ready = unsafe { std::fs::File::from_raw_fd(3) };
                    ready.write_all(b"\n")?;
                }
            }
            GraphEvent::Exited { node, .. } => println!("stopped {node}"),
            _ => {}
        }
    }
    let report = running.wait()?;
    println!("store done: {:?}", report.outcome());
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().nth(1).as_deref() == Some("store") {
        return store_main();
    }
    let store = Cmd::new(std::env::current_exe()?).arg("store");
    let mut running = outer(store).spawn()?;
    while let Some(event) = running.next_event(None)? {
        if let GraphEvent::Ready {
            node: OuterNode::Store,
        } = event
        {
            break;
        }
    }
    println!("the store and its own graph are up:");
    print!("{}", running.snapshot());
    println!("shutting the outer graph down");
    let report = running.shutdown(Duration::from_secs(5))?;
    let mut reports = String::new();
    running
        .reports
        .take()
        .expect("the parent reads `reports`")
        .read_to_string(&mut reports)?;
    print!("the store said:\n{reports}{report}");
    Ok(())
}
