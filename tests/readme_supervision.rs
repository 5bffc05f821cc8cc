//! The README's supervision example, compiled against the typed handle
//! `RunningService` the macro generates: every method the README shows
//! (`next_event`, `decide`, `stop_on_signals`, `snapshot`) must be there.
//! Kept in step with README.md's "Supervision" section by hand.

use process_graph::prelude::*;
use process_graph::{Decision, Error};

#[process_graph(strategy = "rest_for_one", intensity = 5, period = "10s")]
struct Service {
    #[process(ready = "notify", restart = "on-failure")] // redis-server --supervised systemd
    db: Cmd,
    #[process(after = [db], restart = "always", stop_timeout = "3s")]
    app: Cmd,
}

/// The README's loop, with the two calls its list describes.
fn supervise(redis: Cmd, app: Cmd, queue_has_work: fn() -> bool) -> Result<(), Error> {
    let mut running = Service::new(redis, app).spawn()?;
    running.stop_on_signals(&[Signal::TERM, Signal::INT])?;
    while let Some(event) = running.next_event(None)? {
        if let GraphEvent::Exited { node, decision, .. } = event {
            match node {
                // The runtime proposes; the application may decide otherwise.
                ServiceNode::App if !queue_has_work() => {
                    running.decide(Decision::Leave);
                }
                ServiceNode::App | ServiceNode::Db => {}
            }
            let _ = decision;
            println!("{}", running.snapshot());
        }
    }
    Ok(())
}

#[test]
fn the_readme_supervision_example_compiles_on_the_typed_handle() {
    // It runs forever by design (`restart = "always"`); compiling is the test.
    let _compiled = supervise;
}
