//! `bench notify-flood`: how long the event loop stalls while nodes flood
//! their `NOTIFY_SOCKET` — from a `Waker::wake` on another thread to
//! `next_event` handing out `Event::Woken` on the loop's thread, with no
//! flooder and with `--flooders N` (default 4). Each flooder is a Python
//! loop sending `STATUS=` lines as fast as its socket takes them; with
//! `--depth D` it sends from the far end of a chain of D processes below the
//! node's main one, under `NotifyAccess::All`, so that each message is
//! checked by walking the chain's parents in `/proc`. With
//! `--mainpid-sleepers[=N]` (default 2,000) each flooder is instead a node of a user + pid
//! scope that starts N sleepers and sends `MAINPID=` of a pid nobody has,
//! which the runtime looks up in every process's `/proc/PID/status`.
//!
//! Not side by side with another tool: the figure is the stall itself,
//! which the runtime bounds by reading a fixed number of datagrams, and
//! making a fixed number of `/proc` reads, per socket per turn.

use std::error::Error;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Event, Graph, Namespace, NodeOptions, NotifyAccess, Readiness, RunningGraph, ScopeSpec,
};

use crate::cli::Flags;
use crate::measure::{format_duration, percentile, print_markdown};
use crate::system;

/// A flooding node's program.
const FLOOD: &str = include_str!("../../tests/programs/notify_flood.py");
/// A node of a pid scope flooding `MAINPID=` claims.
const MAINPID_FLOOD: &str = include_str!("../../tests/programs/mainpid_flood.py");

/// What each flooder sends.
#[derive(Clone, Copy)]
enum Flood {
    /// `STATUS=` lines, from this many processes below the main one.
    Status { depth: usize },
    /// `MAINPID=` from a pid scope, after starting this many sleepers.
    MainPid { sleepers: usize },
}

/// Time between two wakes, so that each finds the loop back in `poll`.
const PAUSE: Duration = Duration::from_millis(2);

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let switches = ["pin", "mainpid-sleepers"];
    let flags = Flags::parse(args, &["flooders", "wakes", "depth"], &switches)?;
    let flooders: usize = flags.value("flooders", 4)?;
    let flood = match flags.switch("mainpid-sleepers", 2000)? {
        Some(sleepers) => Flood::MainPid { sleepers },
        None => Flood::Status {
            depth: flags.value("depth", 0)?,
        },
    };
    let wakes: usize = flags.value("wakes", 500)?;
    if let Some(cpu) = flags.switch("pin", 1)? {
        system::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    println!("wake → Event::Woken while nodes flood their NOTIFY_SOCKET");
    println!("{}", system::describe()?);
    println!("{wakes} wakes per row, {} apart", format_duration(PAUSE));
    match flood {
        Flood::Status { depth } => {
            println!("each flooder sends STATUS= from {depth} processes below its main one\n")
        }
        Flood::MainPid { sleepers } => println!(
            "each flooder sends MAINPID= from a user + pid scope, beside {sleepers} sleepers\n"
        ),
    }
    let mut rows = Vec::new();
    for count in [0, flooders] {
        let mut latencies = stalls(count, flood, wakes)?;
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
/// nodes flooding (and one idle node, so the graph is never empty).
fn stalls(flooders: usize, flood: Flood, wakes: usize) -> Result<Vec<Duration>, Box<dyn Error>> {
    let mut graph = Graph::new();
    graph.node("idle", Command::new("sleep").arg("3600"));
    for i in 0..flooders {
        let options = NodeOptions::new().ready(Readiness::Notify);
        let (program, argument, options) = match flood {
            Flood::Status { depth } => {
                let options = options.notify_access(NotifyAccess::All);
                (FLOOD, depth, options)
            }
            Flood::MainPid { sleepers } => {
                let spec = ScopeSpec::new([Namespace::User, Namespace::Pid]);
                let options = options.scope(graph.scope(format!("box{i}"), spec));
                (MAINPID_FLOOD, sleepers, options)
            }
        };
        let command = Command::new("python3").args(["-c", program, &argument.to_string()]);
        graph.node_with(format!("flood{i}"), command, options);
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
