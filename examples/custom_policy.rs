//! A failure policy that uses what only the application knows.
//!
//! The application holds a queue of jobs and hands them one at a time to a
//! worker over a socketpair. The worker is declared `restart = "on-failure"`,
//! but whether a restart makes sense depends on the queue: when the worker
//! crashes, the job it was working on is dropped as poison, and the worker is
//! restarted only if jobs remain. Otherwise the application overrides the
//! runtime's decision and lets it stay down. A `heartbeat` node shows the
//! other arm of the `match`: the compiler insists every node is handled.
//!
//! Run with `cargo run --example custom_policy`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::time::Duration;

use process_graph::prelude::*;
use process_graph::{Decision, NodeState};

#[process_graph]
pub struct Jobs {
    #[process(restart = "on-failure", backoff = "50ms..1s")]
    worker: Cmd,
    #[process(stdout = "null")]
    heartbeat: Cmd,
    /// Jobs out, results back.
    #[socketpair(worker.fd(3) <-> parent)]
    jobs: SocketPair,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut queue: VecDeque<&str> = ["resize a.png", "poison", "resize b.png", "poison"].into();
    let worker = Cmd::new("sh").arg("-c").arg(
        r#"while read -r job <&3; do
             [ "$job" = poison ] && exit 3
             echo "done: $job" >&3
           done"#,
    );
    let heartbeat = Cmd::new("sh")
        .arg("-c")
        .arg("while :; do echo beat; sleep 1; done");
    let mut running = Jobs::new(worker, heartbeat).spawn()?;

    let socket = running.jobs.take().expect("the parent holds one end");
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut replies = BufReader::new(socket.try_clone()?);
    let mut in_flight = false;
    let mut line = String::new();

    while !queue.is_empty() || in_flight {
        if !in_flight && running.worker().state() == NodeState::Running {
            let job = queue.front().expect("the loop runs while jobs remain");
            println!("-> {job}");
            writeln!(&socket, "{job}")?;
            in_flight = true;
        }
        match replies.read_line(&mut line) {
            Ok(n) if n > 0 => {
                println!("<- {}", line.trim_end());
                line.clear();
                queue.pop_front();
                in_flight = false;
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.into()),
        }
        while let Some(event) = running.next_event(Some(Duration::ZERO))? {
            let GraphEvent::Exited {
                node,
                status,
                decision,
            } = event
            else {
                continue;
            };
            match node {
                JobsNode::Worker => {
                    if in_flight {
                        let poison = queue.pop_front();
                        println!("   worker {status} on {poison:?}: dropping that job");
                        in_flight = false;
                    }
                    if queue.is_empty() {
                        running.decide(Decision::Leave);
                        println!("   queue empty: overriding {decision:?} with Leave");
                    } else {
                        println!("   {} job(s) left: keeping {decision:?}", queue.len());
                    }
                }
                JobsNode::Heartbeat => println!("   heartbeat {status}: {decision:?}"),
            }
        }
    }
    drop((socket, replies));
    let report = running.shutdown(Duration::from_secs(1))?;
    println!("worker restarted {} time(s)", report.worker.restarts);
    Ok(())
}
