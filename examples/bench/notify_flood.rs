//! `bench notify-flood`: how long the event loop stalls while nodes flood
//! their `NOTIFY_SOCKET` — from a `Waker::wake` on another thread to
//! `next_event` handing out `Event::Woken` on the loop's thread, with no
//! flooder and with `--flooders N` (default 4). Each flooder is a Python
//! loop sending `STATUS=` lines as fast as its socket takes them; with
//! `--depth D` it sends from the far end of a chain of D processes below the
//! node's main one, under `NotifyAccess::All`, so that each message is
//! checked by walking the chain's parents in `/proc`.
//!
//! Not side by side with another tool: the figure is the stall itself,
//! which the runtime bounds by reading a fixed number of datagrams, and
//! making a fixed number of `/proc` reads, per socket per turn.

use std::error::Error;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Event, Graph, NodeOptions, NotifyAccess, Readiness, RunningGraph,
};

use crate::cli::Flags;
use crate::measure::{format_duration, percentile, print_markdown};
use crate::system;

/// A flooding node's program.
const FLOOD: &str = include_str!("../../tests/programs/notify_flood.py");

/// Time between two wakes, so that each finds the loop back in `poll`.
const PAUSE: Duration = Duration::from_millis(2);

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let flags = Flags::parse(args, &["flooders", "wakes", "depth"], &["pin"])?;
    let flooders: usize = flags.value("flooders", 4)?;
    let depth: usize = flags.value("depth", 0)?;
    let wakes: usize = flags.value("wakes", 500)?;
    if let Some(cpu) = flags.switch("pin", 1)? {
        system::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    println!("wake → Event::Woken while nodes flood their NOTIFY_SOCKET");
    println!("{}", system::describe()?);
    println!("{wakes} wakes per row, {} apart", format_duration(PAUSE));
    println!("each flooder sends from {depth} processes below its main one\n");
    let mut rows = Vec::new();
    for count in [0, flooders] {
        let mut latencies = stalls(count, depth, wakes)?;
        latencies.sort();
        let cells = [0.5, 0.99, 1.0]
            .map(|p| format_duration(percentile(&latencies, p)))
            .to_vec();
        rows.push((format!("{count} flooders"), cells));
    }
    let columns = ["median", "p99", "max"].map(String::from);
    print_markdown("wake → Woken", &columns, rows.into_iter());
    Ok(())
}

/// `wakes` latencies from a wake to its `Event::Woken`, with `flooders`
/// nodes flooding from `depth` processes down (and one idle node, so the
/// graph is never empty).
fn stalls(flooders: usize, depth: usize, wakes: usize) -> Result<Vec<Duration>, Box<dyn Error>> {
    let mut graph = Graph::new();
    graph.node("idle", Command::new("sleep").arg("3600"));
    for i in 0..flooders {
        graph.node_with(
            format!("flood{i}"),
            Command::new("python3").args(["-c", FLOOD, &depth.to_string()]),
            NodeOptions::new()
                .ready(Readiness::Notify)
                .notify_access(NotifyAccess::All),
        );
    }
    let mut running = graph.spawn()?;
    wait_until_flooding(&mut running, flooders)?;
    let waker = running.waker()?;
    let (woke_at, woken) = mpsc::channel::<Instant>();
    let (seen, next) = mpsc::channel::<()>();
    let waking = std::thread::spawn(move || {
        for _ in 0..wakes {
            std::thread::sleep(PAUSE);
            let _ = woke_at.send(Instant::now());
            waker.wake();
            if next.recv().is_err() {
                return;
            }
        }
    });
    let mut latencies = Vec::with_capacity(wakes);
    while latencies.len() < wakes {
        if let Some(Event::Woken) = running.next_event(None)? {
            latencies.push(woken.recv()?.elapsed());
            seen.send(())?;
        }
    }
    waking.join().map_err(|_| "the waking thread panicked")?;
    running.shutdown(Duration::from_secs(2))?;
    Ok(latencies)
}

/// Turns the loop until every flooder has sent a status line (with a
/// chain, its main process says so once the chain is built: the runtime
/// may not believe what comes from a deep chain's end).
fn wait_until_flooding(running: &mut RunningGraph, flooders: usize) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while running.snapshot().nodes[1..=flooders]
        .iter()
        .any(|n| n.status_text.is_none())
    {
        if Instant::now() > deadline {
            return Err("the flooders did not start flooding within 60 s".into());
        }
        running.next_event(Some(Duration::from_millis(10)))?;
    }
    Ok(())
}
