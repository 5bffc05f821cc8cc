//! `bench probe-idle` and `bench probe-detect`: what probes cost an idle
//! graph, and how soon a TCP readiness probe sees a port open.
//!
//! `probe-idle` runs N sleeping nodes, each with a TCP liveness probe of
//! period P against a listener of the bench's own, and watches the event
//! loop's thread from another thread (its voluntary context switches in
//! `/proc/self/task/TID/status`, sampled every millisecond): each wake-up
//! is placed on a time line, and wake-ups closer than 20 ms to each other
//! are one probe round. The loop should wake only in rounds, one per
//! period, and never between them.
//!
//! `probe-detect` opens a port at a random moment and measures the time
//! until the graph reports the node ready, beside a raw loop that tries a
//! blocking `connect` every P: both should see the port within one period.

use std::error::Error;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Event, Graph, NodeOptions, Probe};

use crate::child_elf::Behaviour;
use crate::measure;
use crate::setup::{self, Subcommand};

const IDLE: Subcommand = Subcommand {
    operation: "an idle graph whose nodes have TCP liveness probes",
    child: Behaviour::Exit0,
    rounds: 1,
    iterations: 1,
    budget: None,
};

const DETECT: Subcommand = Subcommand {
    operation: "see a port open: a TCP readiness probe against a raw connect loop",
    child: Behaviour::Exit0,
    rounds: 20,
    iterations: 1,
    budget: None,
};

/// Wake-ups closer than this to the previous one belong to its round.
const ROUND: Duration = Duration::from_millis(20);

pub fn run_idle(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["nodes", "period-ms", "seconds"], IDLE)?;
    let n: usize = setup.flags.value("nodes", 100)?;
    let period = Duration::from_millis(setup.flags.value("period-ms", 1000)?);
    let watched = Duration::from_secs(setup.flags.value("seconds", 10)?);
    let listener = accepting_listener()?;
    let address = listener.to_string();
    let mut graph = Graph::new();
    for i in 0..n {
        graph.node_with(
            format!("node{i}"),
            Command::new("sleep").arg("3600"),
            NodeOptions::new().live_probe(Probe::tcp(&address).period(period)),
        );
    }
    let mut running = graph.spawn()?;
    while running.next_event(Some(Duration::ZERO))?.is_some() {}
    // Let the first rounds pass.
    if let Some(event) = running.next_event(Some(period * 2))? {
        return Err(format!("an idle graph reported {event:?}").into());
    }
    let tid = rustix::thread::gettid().as_raw_nonzero().get();
    let sampler = std::thread::spawn(move || sample_wakeups(tid, watched));
    if let Some(event) = running.next_event(Some(watched))? {
        return Err(format!("an idle graph reported {event:?}").into());
    }
    let wakeups = sampler.join().map_err(|_| "the sampler panicked")??;
    running.shutdown(Duration::ZERO)?;
    let rounds = rounds_of(&wakeups);
    let gaps: Vec<Duration> = rounds.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let seconds = watched.as_secs_f64();
    let row = vec![
        format!("{}", wakeups.len()),
        format!("{:.1}", wakeups.len() as f64 / seconds),
        format!("{}", rounds.len()),
        format!("{:.2}", rounds.len() as f64 / seconds),
        format!(
            "{:.2}",
            n as f64 * seconds / period.as_secs_f64() / wakeups.len().max(1) as f64
        ),
        gaps.iter()
            .min()
            .map_or("-".into(), |g| measure::format_duration(*g)),
        gaps.iter()
            .max()
            .map_or("-".into(), |g| measure::format_duration(*g)),
    ];
    let columns = [
        format!("wake-ups in {watched:?}"),
        "wake-ups/s".to_owned(),
        "rounds (wake-ups ≤ 20 ms apart)".to_owned(),
        "rounds/s".to_owned(),
        "probes per wake-up".to_owned(),
        "shortest gap between rounds".to_owned(),
        "longest gap".to_owned(),
    ];
    let corner = format!("{n} nodes, TCP liveness probe every {period:?}");
    measure::print_markdown(
        &corner,
        &columns,
        std::iter::once(("process-graph".to_owned(), row)),
    );
    Ok(())
}

/// A listener on a free port of 127.0.0.1, accepting and dropping every
/// connection on a thread of its own: what a TCP probe connects to. Its
/// backlog is raised from std's 128 to 4,096: the probes of all nodes may
/// be due in the same tick, and 1,000 connects at once would overflow 128
/// (the SYNs dropped, retried after 1 s, the attempts timed out).
pub fn accepting_listener() -> io::Result<SocketAddr> {
    use std::os::fd::AsRawFd;
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    // SAFETY: a listening socket's fd; `listen` again only sets its backlog.
    if unsafe { libc::listen(listener.as_raw_fd(), 4096) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    Ok(address)
}

/// The instants at which thread `tid` of this process woke up (its count of
/// voluntary context switches went up), over `watched`.
fn sample_wakeups(tid: i32, watched: Duration) -> io::Result<Vec<Instant>> {
    let path = format!("/proc/self/task/{tid}/status");
    let count = || -> io::Result<u64> {
        let status = std::fs::read_to_string(&path)?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| io::Error::other("no voluntary_ctxt_switches"))
    };
    let end = Instant::now() + watched;
    let mut last = count()?;
    let mut wakeups = Vec::new();
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(1));
        let now = count()?;
        for _ in last..now {
            wakeups.push(Instant::now());
        }
        last = now;
    }
    Ok(wakeups)
}

/// Groups wake-ups into rounds: (first instant, wake-ups in the round).
fn rounds_of(wakeups: &[Instant]) -> Vec<(Instant, usize)> {
    let mut rounds: Vec<(Instant, usize)> = Vec::new();
    let mut last: Option<Instant> = None;
    for &at in wakeups {
        match (last, rounds.last_mut()) {
            (Some(prev), Some(round)) if at - prev <= ROUND => round.1 += 1,
            _ => rounds.push((at, 1)),
        }
        last = Some(at);
    }
    rounds
}

pub fn run_detect(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["period-ms"], DETECT)?;
    let period = Duration::from_millis(setup.flags.value("period-ms", 100)?);
    let mut graph_delays = Vec::new();
    let mut raw_delays = Vec::new();
    for round in 0..setup.plan.rounds {
        // Opened at a moment that falls anywhere within a period.
        let delay = Duration::from_millis(200) + period.mul_f64((round as f64 * 0.618) % 1.0);
        graph_delays.push(detect_with_graph(period, delay)?);
        raw_delays.push(detect_with_connect_loop(period, delay)?);
    }
    let rows = [
        ("process-graph ready_probe(tcp)", &mut graph_delays),
        ("raw blocking connect every period", &mut raw_delays),
    ]
    .map(|(label, delays)| {
        delays.sort();
        let cells = vec![
            measure::format_duration(measure::percentile(delays, 0.5)),
            measure::format_duration(*delays.last().unwrap_or(&Duration::ZERO)),
            format!("{}", delays.iter().filter(|&&d| d <= period).count()),
        ];
        (label.to_owned(), cells)
    });
    let columns = [
        "median delay".to_owned(),
        "max delay".to_owned(),
        format!("within one period, of {}", setup.plan.rounds),
    ];
    let corner = format!("port opened → seen, period {period:?}");
    measure::print_markdown(&corner, &columns, rows.into_iter());
    Ok(())
}

/// A port free now, on 127.0.0.1.
fn free_address() -> io::Result<SocketAddr> {
    TcpListener::bind(("127.0.0.1", 0))?.local_addr()
}

/// Opens `address` after `delay` on another thread; returns when it did.
fn open_later(
    address: SocketAddr,
    delay: Duration,
) -> std::thread::JoinHandle<io::Result<(TcpListener, Instant)>> {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(address)?;
        Ok((listener, Instant::now()))
    })
}

fn detect_with_graph(period: Duration, delay: Duration) -> Result<Duration, Box<dyn Error>> {
    let address = free_address()?;
    let mut graph = Graph::new();
    let node = graph.node_with(
        "server",
        Command::new("sleep").arg("3600"),
        NodeOptions::new().ready_probe(Probe::tcp(address.to_string()).period(period)),
    );
    let mut running = graph.spawn()?;
    let opener = open_later(address, delay);
    let seen = loop {
        match running.next_event(Some(Duration::from_secs(10)))? {
            Some(Event::Ready { node: n }) if n == node => break Instant::now(),
            Some(_) => continue,
            None => return Err("the probe did not see the port within 10 s".into()),
        }
    };
    let (_listener, opened) = opener.join().map_err(|_| "the opener panicked")??;
    running.shutdown(Duration::ZERO)?;
    Ok(seen.saturating_duration_since(opened))
}

fn detect_with_connect_loop(period: Duration, delay: Duration) -> Result<Duration, Box<dyn Error>> {
    let address = free_address()?;
    let opener = open_later(address, delay);
    let seen = loop {
        if TcpStream::connect(address).is_ok() {
            break Instant::now();
        }
        std::thread::sleep(period);
    };
    let (_listener, opened) = opener.join().map_err(|_| "the opener panicked")??;
    Ok(seen.saturating_duration_since(opened))
}
