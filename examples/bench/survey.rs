//! `bench survey CASE`: a scale survey of operations not measured elsewhere
//! at 10, 100 and 1,000 nodes. Each case times one operation on a graph of
//! N nodes (its set-up untimed), the sizes interleaved round by round, and
//! prints the median and the median per node for each size, so that a
//! per-node cost that grows with N shows.
//!
//! Cases:
//!
//! - `shutdown`: N idle nodes (SIGTERM kills them), `shutdown(10 s)`.
//! - `shutdown-deaf`: N idle nodes that ignore SIGTERM, `shutdown(20 ms)`:
//!   the stop timeout, then SIGKILL (the 20 ms are subtracted).
//! - `drop`: N idle nodes, the running graph dropped.
//! - `shutdown-chain`: N idle nodes, each `after` the one before: the stop
//!   goes dependents first, one node at a time.
//! - `add`: one idle node spawned, then N idle nodes added one by one
//!   (timed: every `add`), then removed one by one, each until its `Exited`
//!   event (timed: every remove), then shut down.
//! - `restart-edges`: one node exiting at once, restarted at once, beside
//!   N idle restartable nodes chained by N − 1 pipes (timed: one restart,
//!   SIGKILL-free: exit → `Started`); `restart-plain` the same without the
//!   pipes.
//! - `ready-chain`: N nodes, each `after` the one before and ready when it
//!   writes a newline to fd 3 (timed: `spawn`, which waits for each
//!   dependency's readiness); `exec-chain-reversed` N nodes each `after`
//!   the one declared after it, ready at exec.
//! - `mass-exit`: N idle nodes restarted at once (`Restart::Always`, no
//!   backoff), all SIGKILLed in one go (timed: the kills to the last of the
//!   N new `Started`): N exits decided in the same turns.
//! - `one-for-all`: N idle nodes of a `one_for_all` graph, one of them
//!   SIGKILLed (timed: the kill to all N started again).
//! - `rest-for-one`: N idle nodes, each `after` the one before, of a
//!   `rest_for_one` graph, the first SIGKILLed (timed: the kill to all N
//!   started again, in order).

use std::error::Error;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, NodeId, NodeOptions, Readiness, Restart, RunningGraph,
    Strategy,
};

use crate::child_elf::{Behaviour, ChildProgram};
use crate::measure::next_restart;
use crate::setup::{self, Subcommand};

const SURVEY: Subcommand = Subcommand {
    operation: "scale survey",
    child: Behaviour::Exit0,
    rounds: 5,
    iterations: 1,
    budget: None,
};

/// The children of the cases: `setup`'s own (exit 0) and three that idle.
struct Programs {
    pause: ChildProgram,
    deaf: ChildProgram,
    ready: ChildProgram,
    exit0: PathBuf,
}

impl Programs {
    fn create(exit0: &Path) -> io::Result<Programs> {
        Ok(Programs {
            pause: ChildProgram::create(Behaviour::Pause)?,
            deaf: ChildProgram::create(Behaviour::DeafThenPause)?,
            ready: ChildProgram::create(Behaviour::ReadyThenPause)?,
            exit0: exit0.to_owned(),
        })
    }
}

fn err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// A graph of `n` nodes running `program`, with `options(i, ids so far)`.
fn graph_of(
    n: usize,
    program: &Path,
    containment: Containment,
    mut options: impl FnMut(usize, &[NodeId]) -> NodeOptions,
) -> (Graph, Vec<NodeId>) {
    let mut graph = Graph::new();
    graph.containment(containment);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let o = options(i, &ids);
        ids.push(graph.node_with(format!("n{i}"), Command::new(program), o));
    }
    (graph, ids)
}

/// Waits until every node of `running` is running (a `Started` per node).
fn all_started(running: &mut RunningGraph, n: usize) -> io::Result<()> {
    let mut seen = 0;
    while seen < n {
        match running
            .next_event(Some(Duration::from_secs(30)))
            .map_err(err)?
        {
            Some(Event::Started { .. }) => seen += 1,
            Some(_) => {}
            None => return Err(err("timed out waiting for starts")),
        }
    }
    Ok(())
}

/// One timed operation on `n` nodes; the time of what is measured.
fn once(case: &str, p: &Programs, n: usize, c: Containment) -> io::Result<Took> {
    match case {
        "shutdown" | "shutdown-deaf" | "drop" | "shutdown-chain" => {
            let program = if case == "shutdown-deaf" {
                p.deaf.path()
            } else {
                p.pause.path()
            };
            let chain = case == "shutdown-chain";
            let (graph, _) = graph_of(n, program, c, |i, ids| {
                let o = NodeOptions::new();
                if chain && i > 0 {
                    o.after([ids[i - 1]])
                } else {
                    o
                }
            });
            let mut running = graph.spawn().map_err(err)?;
            all_started(&mut running, n)?;
            // Let the deaf ones reach their `rt_sigaction`.
            std::thread::sleep(Duration::from_millis(20));
            let t = Stopwatch::start();
            let grace = match case {
                "shutdown-deaf" => Duration::from_millis(20),
                _ => Duration::from_secs(10),
            };
            if case == "drop" {
                drop(running);
                return Ok(t.elapsed());
            }
            let report = running.shutdown(grace).map_err(err)?;
            let took = t.elapsed();
            let killed = report.iter().filter(|x| x.killed_after_timeout).count();
            let want = if case == "shutdown-deaf" { n } else { 0 };
            if killed != want {
                return Err(err(format!(
                    "{killed} killed after the timeout, not {want}"
                )));
            }
            Ok(if case == "shutdown-deaf" {
                Took {
                    wall: took.wall.saturating_sub(grace),
                    ..took
                }
            } else {
                took
            })
        }
        _ => Err(err(format!("unknown case {case}"))),
    }
}

/// `add`: per-add and per-remove times, as medians over the adds of each
/// tenth of the run.
fn add_remove(
    p: &Programs,
    n: usize,
    c: Containment,
) -> io::Result<(Vec<Duration>, Vec<Duration>)> {
    let (graph, _) = graph_of(1, p.pause.path(), c, |_, _| NodeOptions::new());
    let mut running = graph.spawn().map_err(err)?;
    all_started(&mut running, 1)?;
    let mut adds = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut more = Graph::new();
        let id = more.node(format!("a{i}"), Command::new(p.pause.path()));
        let t = Instant::now();
        let added = running.add(more).map_err(err)?;
        adds.push(t.elapsed());
        ids.push(added.node(id));
    }
    all_started(&mut running, n)?;
    let mut removes = Vec::with_capacity(n);
    for &id in &ids {
        let t = Instant::now();
        running.remove([id]);
        loop {
            match running
                .next_event(Some(Duration::from_secs(10)))
                .map_err(err)?
            {
                Some(Event::Exited { node, .. }) if node == id => break,
                Some(_) => {}
                None => return Err(err("remove: no exit")),
            }
        }
        removes.push(t.elapsed());
    }
    running.shutdown(Duration::from_secs(10)).map_err(err)?;
    Ok((adds, removes))
}

/// `restart-edges` / `restart-plain`: a running graph whose node 0 exits
/// at once and restarts at once, beside `n` idle restartable nodes.
fn restarting(
    p: &Programs,
    n: usize,
    c: Containment,
    edges: bool,
) -> io::Result<(RunningGraph, NodeId)> {
    let mut graph = Graph::new();
    graph.containment(c);
    graph.intensity(u32::MAX, Duration::from_secs(1));
    let fast = NodeOptions::new()
        .restart(Restart::Always)
        .backoff(Duration::ZERO, Duration::ZERO);
    let node = graph.node_with("crasher", Command::new(&p.exit0), fast.clone());
    let mut prev: Option<NodeId> = None;
    for i in 0..n {
        let id = graph.node_with(format!("s{i}"), Command::new(p.pause.path()), fast.clone());
        if edges && let Some(prev) = prev {
            graph.pipe(prev.stdout(), id.stdin());
        }
        prev = Some(id);
    }
    let running = graph.spawn().map_err(err)?;
    Ok((running, node))
}

/// `mass-exit` / `one-for-all` / `rest-for-one`: `n` idle nodes that
/// restart at once, some SIGKILLed (all, or the first); the time until
/// every node has started again.
fn kill_restart(case: &str, p: &Programs, n: usize, c: Containment) -> io::Result<Took> {
    let mut graph = Graph::new();
    graph.containment(c);
    graph.intensity(u32::MAX, Duration::from_secs(1));
    graph.strategy(match case {
        "one-for-all" => Strategy::OneForAll,
        "rest-for-one" => Strategy::RestForOne,
        _ => Strategy::OneForOne,
    });
    let fast = NodeOptions::new()
        .restart(Restart::Always)
        .backoff(Duration::ZERO, Duration::ZERO);
    let mut ids: Vec<NodeId> = Vec::with_capacity(n);
    for i in 0..n {
        let o = match ids.last() {
            Some(&prev) if case == "rest-for-one" => fast.clone().after([prev]),
            _ => fast.clone(),
        };
        ids.push(graph.node_with(format!("n{i}"), Command::new(p.pause.path()), o));
    }
    let mut running = graph.spawn().map_err(err)?;
    all_started(&mut running, n)?;
    let killed = if case == "mass-exit" {
        &ids[..]
    } else {
        &ids[..1]
    };
    let t = Stopwatch::start();
    for &id in killed {
        running.kill(id).map_err(err)?;
    }
    all_started(&mut running, n)?;
    let took = t.elapsed();
    running.shutdown(Duration::from_secs(10)).map_err(err)?;
    Ok(took)
}

/// `ready-chain` / `exec-chain-reversed`: spawn of a chain of `after`.
fn chain_spawn(p: &Programs, n: usize, c: Containment, ready: bool) -> io::Result<Took> {
    let mut graph = Graph::new();
    graph.containment(c);
    let program = if ready {
        p.ready.path()
    } else {
        p.pause.path()
    };
    if ready {
        let mut prev: Option<NodeId> = None;
        for i in 0..n {
            let mut o = NodeOptions::new().ready(Readiness::Fd(3));
            if let Some(prev) = prev {
                o = o.after([prev]);
            }
            prev = Some(graph.node_with(format!("n{i}"), Command::new(program), o));
        }
    } else {
        // Node i after node i + 1: declared before what it waits for.
        // Ids are handed out in order, so node i's dependency is i + 1.
        for i in 0..n {
            let mut o = NodeOptions::new();
            if i + 1 < n {
                o = o.after([NodeId::from_index(i + 1)]);
            }
            graph.node_with(format!("n{i}"), Command::new(program), o);
        }
    }
    let t = Stopwatch::start();
    let mut running = graph.spawn().map_err(err)?;
    let took = t.elapsed();
    running.shutdown(Duration::from_secs(10)).map_err(err)?;
    Ok(took)
}

/// A timed operation's wall-clock time, and the CPU time of this thread
/// meanwhile (the blocking driver runs in it): on a shared machine, other
/// loads stretch the first, not the second.
#[derive(Debug, Clone, Copy)]
struct Took {
    wall: Duration,
    cpu: Duration,
}

struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    fn elapsed(&self) -> Took {
        Took {
            wall: self.wall.elapsed(),
            cpu: thread_cpu().saturating_sub(self.cpu),
        }
    }
}

/// The CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn show(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

pub fn run(mut args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let case = args.next().ok_or("survey: which case?")?;
    let setup = setup::prepare(args, &["nodes", "containment"], SURVEY)?;
    let sizes: Vec<usize> = setup.flags.list("nodes", &[10, 100, 1000])?;
    let containment = match setup
        .flags
        .value::<String>("containment", "auto".into())?
        .as_str()
    {
        "off" => Containment::Off,
        _ => Containment::Auto,
    };
    let programs = Programs::create(setup.child.path())?;
    let rounds = setup.plan.rounds;
    println!(
        "case {case}, containment {containment:?}, sizes {sizes:?}, {rounds} rounds (sizes interleaved)\n"
    );
    match case.as_str() {
        "add" => {
            // Per size: median per add over the whole run, and over the
            // first and the last tenth; the same for removes.
            let mut cols: Vec<[Vec<Duration>; 6]> =
                sizes.iter().map(|_| Default::default()).collect();
            for _ in 0..rounds {
                for (k, &n) in sizes.iter().enumerate() {
                    let (mut adds, mut removes) = add_remove(&programs, n, containment)?;
                    let tenth = (n / 10).max(1);
                    let c = &mut cols[k];
                    c[0].push(median(&mut adds.clone()));
                    c[1].push(median(&mut adds[..tenth].to_vec()));
                    c[2].push(median(&mut adds[n - tenth..]));
                    c[3].push(median(&mut removes.clone()));
                    c[4].push(median(&mut removes[..tenth].to_vec()));
                    c[5].push(median(&mut removes[n - tenth..]));
                }
            }
            println!(
                "| N | add: median | first tenth | last tenth | remove→Exited: median | first tenth | last tenth |"
            );
            println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (k, &n) in sizes.iter().enumerate() {
                let m: Vec<String> = cols[k].iter_mut().map(|v| show(median(v))).collect();
                println!("| {n} | {} |", m.join(" | "));
            }
        }
        "restart-edges" | "restart-plain" => {
            let edges = case == "restart-edges";
            let iterations = setup.plan.iterations.max(200);
            let mut graphs = sizes
                .iter()
                .map(|&n| {
                    let (mut r, node) = restarting(&programs, n, containment, edges)?;
                    // Every node's first start, the crasher's restarts meanwhile too.
                    let mut seen = std::collections::HashSet::new();
                    while seen.len() < n + 1 {
                        match r.next_event(Some(Duration::from_secs(30))).map_err(err)? {
                            Some(Event::Started { node, .. }) => {
                                seen.insert(node);
                            }
                            Some(_) => {}
                            None => return Err(err("timed out waiting for starts")),
                        }
                    }
                    Ok((r, node))
                })
                .collect::<io::Result<Vec<_>>>()?;
            let mut per: Vec<Vec<Duration>> = sizes.iter().map(|_| Vec::new()).collect();
            for _ in 0..rounds {
                for (k, (r, node)) in graphs.iter_mut().enumerate() {
                    let mut times = Vec::with_capacity(iterations);
                    for _ in 0..iterations {
                        let t = Instant::now();
                        next_restart(r, *node)?;
                        times.push(t.elapsed());
                    }
                    per[k].push(median(&mut times));
                }
            }
            println!(
                "| N siblings | median restart (exit → Started), median of round medians | fastest–slowest round |"
            );
            println!("| ---: | ---: | ---: |");
            for (k, &n) in sizes.iter().enumerate() {
                let v = &mut per[k];
                let m = median(v);
                println!(
                    "| {n} | {} | {}–{} |",
                    show(m),
                    show(v[0]),
                    show(v[v.len() - 1])
                );
            }
            for (mut r, _) in graphs.drain(..) {
                r.shutdown(Duration::from_secs(10))?;
            }
        }
        _ => {
            let mut per: Vec<Vec<Duration>> = sizes.iter().map(|_| Vec::new()).collect();
            let mut cpu: Vec<Vec<Duration>> = sizes.iter().map(|_| Vec::new()).collect();
            for _ in 0..rounds {
                for (k, &n) in sizes.iter().enumerate() {
                    let took = match case.as_str() {
                        "ready-chain" => chain_spawn(&programs, n, containment, true)?,
                        "exec-chain-reversed" => chain_spawn(&programs, n, containment, false)?,
                        "mass-exit" | "one-for-all" | "rest-for-one" => {
                            kill_restart(&case, &programs, n, containment)?
                        }
                        _ => once(&case, &programs, n, containment)?,
                    };
                    per[k].push(took.wall);
                    cpu[k].push(took.cpu);
                }
            }
            println!(
                "| N | median | per node | fastest–slowest round | supervisor thread CPU: median | per node |"
            );
            println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
            for (k, &n) in sizes.iter().enumerate() {
                let v = &mut per[k];
                let m = median(v);
                let c = median(&mut cpu[k]);
                println!(
                    "| {n} | {} | {} | {}–{} | {} | {} |",
                    show(m),
                    show(m / n as u32),
                    show(v[0]),
                    show(v[v.len() - 1]),
                    show(c),
                    show(c / n as u32)
                );
            }
        }
    }
    Ok(())
}
