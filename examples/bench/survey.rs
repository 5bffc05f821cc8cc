//! `bench survey CASE`: a scale survey of operations not measured elsewhere
//! at 10, 100 and 1,000 nodes. Each case times one operation on a graph of
//! N nodes (its set-up untimed), the sizes interleaved round by round, and
//! prints the median and the median per node for each size, so that a
//! per-node cost that grows with N shows; beside it, the CPU time of the
//! thread the blocking driver runs in (unless the case says otherwise),
//! which other loads on a shared machine do not stretch.
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
//! - `ready-exec` / `ready-tcp`: N idle nodes, each ready once its
//!   readiness probe passes (an exec probe of the libc-free `exit0`; a TCP
//!   connect to a listener of the bench's own), first attempt at the start
//!   (timed: `spawn` to the last `Ready`).
//! - `live-exec` / `live-tcp`: N idle nodes with a liveness probe of period
//!   `--period-ms` (100), passing; the graph watched for `--watch-ms`
//!   (1,000) once every node is ready. The CPU column is what counts: per
//!   node, the supervisor thread's CPU time for watch ÷ period attempts.
//! - `prefixed`: N nodes, each writing `--lines` (1,000) lines of 40 bytes
//!   to its stdout, one `write` each, through `Stdio::Prefixed` (the
//!   application's stdout is `/dev/null` meanwhile); timed: `spawn` to
//!   every node reaped and the output thread done. The CPU column is the
//!   whole process's here (the output thread's with the supervisor's).

use std::error::Error;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Event, Graph, NodeId, NodeOptions, Probe, Readiness, Restart,
    RunningGraph, Stdio, Strategy,
};

use crate::child_elf::{self, Behaviour, ChildProgram};
use crate::measure::{self, next_restart};
use crate::output::RedirectedStdout;
use crate::probes;
use crate::setup::{self, Subcommand};

/// `write(1, LINE, 40)` as many times as the 4 bytes at [`WRITER_COUNT`]
/// say, then `exit_group(0)`.
#[rustfmt::skip]
const WRITER: [u8; 84] = [
    0x41, 0xbc, 0x00, 0x00, 0x00, 0x00, // mov r12d, count
    0xb8, 0x01, 0x00, 0x00, 0x00,       // again: mov eax, 1 (write)
    0xbf, 0x01, 0x00, 0x00, 0x00,       // mov edi, 1
    0x48, 0x8d, 0x35, 0x15, 0x00, 0x00, 0x00, // lea rsi, [rip + 21] (the line)
    0xba, 0x28, 0x00, 0x00, 0x00,       // mov edx, 40
    0x0f, 0x05,                         // syscall
    0x41, 0xff, 0xcc,                   // dec r12d
    0x75, 0xe3,                         // jnz again
    0xb8, 0xe7, 0x00, 0x00, 0x00,       // mov eax, 231 (exit_group)
    0x31, 0xff,                         // xor edi, edi
    0x0f, 0x05,                         // syscall
    b'a', b' ', b'l', b'o', b'g', b' ', b'l', b'i', b'n', b'e', b' ', b'o', b'f', b' ',
    b'f', b'o', b'r', b't', b'y', b' ', b'b', b'y', b't', b'e', b's', b',', b' ', b'a',
    b' ', b'n', b'e', b'w', b'l', b'i', b'n', b'e', b' ', b'.', b'.', b'\n',
];

/// Where [`WRITER`]'s count of lines is.
const WRITER_COUNT: usize = 2;

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

/// [`WRITER`] writing `lines` lines, beside `p`'s programs (and removed
/// with them).
fn writer(p: &Programs, lines: u32) -> io::Result<PathBuf> {
    let path = p.pause.path().with_file_name(format!("writer-{lines}"));
    if !path.exists() {
        let mut code = WRITER;
        code[WRITER_COUNT..WRITER_COUNT + 4].copy_from_slice(&lines.to_le_bytes());
        child_elf::write_executable(&path, &code)?;
    }
    Ok(path)
}

/// `prefixed`: `n` nodes writing `lines` lines each through
/// `Stdio::Prefixed`, from `spawn` to the graph dropped (every line
/// delivered).
fn prefixed(p: &Programs, n: usize, c: Containment, lines: u32) -> io::Result<Took> {
    let program = writer(p, lines)?;
    let mut graph = Graph::new();
    graph.containment(c);
    for i in 0..n {
        let command = Command::new(&program).stdout(Stdio::Prefixed);
        graph.node(format!("n{i}"), command);
    }
    let t = Stopwatch::process();
    let mut running = graph.spawn().map_err(err)?;
    let report = running.wait().map_err(err)?;
    drop(running);
    let took = t.elapsed();
    if report.iter().any(|x| !x.success()) {
        return Err(err("a writer failed"));
    }
    Ok(took)
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
    count_events(running, n, "starts", |e| {
        Ok(matches!(e, Event::Started { .. }))
    })
}

/// Takes the events of `running`, each within 30 s, until `counts` has
/// said `Ok(true)` of `n` of them; an error from `counts` ends the wait.
/// `what` names the awaited events in the error on a time-out.
fn count_events(
    running: &mut RunningGraph,
    n: usize,
    what: &str,
    mut counts: impl FnMut(&Event) -> io::Result<bool>,
) -> io::Result<()> {
    let mut seen = 0;
    while seen < n {
        match running
            .next_event(Some(Duration::from_secs(30)))
            .map_err(err)?
        {
            Some(event) => seen += usize::from(counts(&event)?),
            None => return Err(err(format!("timed out waiting for {what}"))),
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

/// A probe of each kind that passes: `exit0` run, or a connect to `listener`.
fn passing_probe(case: &str, p: &Programs, listener: &str) -> Probe {
    if case.ends_with("exec") {
        Probe::exec([p.exit0.to_string_lossy().into_owned()])
    } else {
        Probe::tcp(listener)
    }
}

/// `ready-exec` / `ready-tcp`: `spawn` of `n` nodes made ready by a probe,
/// to the last `Ready`.
fn probed_ready(
    case: &str,
    p: &Programs,
    n: usize,
    c: Containment,
    listener: &str,
) -> io::Result<Took> {
    let probe = passing_probe(case, p, listener);
    let (graph, _) = graph_of(n, p.pause.path(), c, |_, _| {
        NodeOptions::new().ready_probe(probe.clone())
    });
    let t = Stopwatch::start();
    let mut running = graph.spawn().map_err(err)?;
    count_events(&mut running, n, "readiness", |e| match e {
        Event::Ready { .. } => Ok(true),
        Event::ProbeFailed { .. } => Err(err("a probe failed")),
        _ => Ok(false),
    })?;
    let took = t.elapsed();
    running.shutdown(Duration::from_secs(10)).map_err(err)?;
    Ok(took)
}

/// `live-exec` / `live-tcp`: `n` ready nodes whose liveness probe runs every
/// `period`, watched for `watch`; an event other than a `Started` is an
/// error (a probe failed).
fn probed_live(
    case: &str,
    p: &Programs,
    n: usize,
    c: Containment,
    listener: &str,
    period: Duration,
    watch: Duration,
) -> io::Result<Took> {
    let probe = passing_probe(case, p, listener).period(period);
    let (graph, _) = graph_of(n, p.pause.path(), c, |_, _| {
        NodeOptions::new().live_probe(probe.clone())
    });
    let mut running = graph.spawn().map_err(err)?;
    all_started(&mut running, n)?;
    let t = Stopwatch::start();
    let end = Instant::now() + watch;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Some(event) = running.next_event(Some(left)).map_err(err)? {
            return Err(err(format!("{event:?} while idle")));
        }
    }
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
    clock: libc::clockid_t,
    cpu: Duration,
}

impl Stopwatch {
    /// CPU time of this thread.
    fn start() -> Stopwatch {
        Stopwatch::of(libc::CLOCK_THREAD_CPUTIME_ID)
    }

    /// CPU time of the whole process (every thread; not the children).
    fn process() -> Stopwatch {
        Stopwatch::of(libc::CLOCK_PROCESS_CPUTIME_ID)
    }

    fn of(clock: libc::clockid_t) -> Stopwatch {
        Stopwatch {
            wall: Instant::now(),
            clock,
            cpu: cpu_time(clock),
        }
    }

    fn elapsed(&self) -> Took {
        Took {
            wall: self.wall.elapsed(),
            cpu: cpu_time(self.clock).saturating_sub(self.cpu),
        }
    }
}

/// The CPU time `clock` has counted.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to.
    unsafe { libc::clock_gettime(clock, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A time in the survey's tables: in µs up to 10 ms.
fn show(d: Duration) -> String {
    measure::format_duration_ms_from(d, Duration::from_millis(10))
}

pub fn run(mut args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let case = args.next().ok_or("survey: which case?")?;
    let setup = setup::prepare(
        args,
        &["nodes", "containment", "period-ms", "watch-ms", "lines"],
        SURVEY,
    )?;
    let period = Duration::from_millis(setup.flags.value("period-ms", 100)?);
    let watch = Duration::from_millis(setup.flags.value("watch-ms", 1000)?);
    let listener = probes::accepting_listener()?.to_string();
    let lines: u32 = setup.flags.value("lines", 1000)?;
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
                    count_events(&mut r, n + 1, "starts", |e| {
                        Ok(matches!(e, Event::Started { node, .. } if seen.insert(*node)))
                    })?;
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
            // The prefixed output goes to `/dev/null`, not to the table.
            let silenced = match case.as_str() {
                "prefixed" => Some(RedirectedStdout::to(
                    std::fs::OpenOptions::new().write(true).open("/dev/null")?,
                )?),
                _ => None,
            };
            for _ in 0..rounds {
                for (k, &n) in sizes.iter().enumerate() {
                    let took = match case.as_str() {
                        "ready-chain" => chain_spawn(&programs, n, containment, true)?,
                        "exec-chain-reversed" => chain_spawn(&programs, n, containment, false)?,
                        "mass-exit" | "one-for-all" | "rest-for-one" => {
                            kill_restart(&case, &programs, n, containment)?
                        }
                        "ready-exec" | "ready-tcp" => {
                            probed_ready(&case, &programs, n, containment, &listener)?
                        }
                        "prefixed" => prefixed(&programs, n, containment, lines)?,
                        "live-exec" | "live-tcp" => {
                            probed_live(&case, &programs, n, containment, &listener, period, watch)?
                        }
                        _ => once(&case, &programs, n, containment)?,
                    };
                    per[k].push(took.wall);
                    cpu[k].push(took.cpu);
                }
            }
            drop(silenced);
            println!(
                "| N | median | per node | fastest–slowest round | CPU (the case says whose): median | per node |"
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
