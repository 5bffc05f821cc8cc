//! Ports joined port to port: an edge of the enclosing graph from an output
//! port of one subgraph to an input port of another (or between two
//! socketpair ports) is one pipe (one socketpair) between the processes
//! behind them, with no end left to the application.
//!
//! - 10,000 lines cross a joined pipe in order; the writer's stdout and the
//!   reader's stdin are the same pipe, and no fd of the application is it;
//!   the typed handle has no end of the joined ports, and the end of the
//!   port left unwired.
//! - The nodes at both ends restart 100 times each, and are SIGKILLed once
//!   each, while lines keep crossing in order, with no pipe fd gained.
//! - Two socketpair ports joined make a socketpair that talks both ways.
//! - Ports left unwired are typed ends of the running handle, in a field
//!   named after the subgraph; `wait` closes the ones it writes into.
//!
//! The tests of this file take turns ([`serial`]): they count the fds of
//! the whole process. Each runs as root and again as uid 65534.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{fds_of, live_marked_processes, marked, open_fds, serial, unique_marker};
use process_graph::prelude::*;
use process_graph::{EdgeId, Event, Graph, NodeId, RunningGraph};

fn shut_down(running: &mut RunningGraph) {
    running
        .shutdown(Duration::from_secs(5))
        .expect("the graph stops");
}

/// Fails unless nothing of `running`, shut down, is left once it is
/// dropped: this process's fds are `before`'s, no process carries `marker`.
fn assert_nothing_left(running: impl Sized, before: &BTreeMap<i32, String>, marker: &str) {
    drop(running);
    assert_eq!(&open_fds(), before, "fds leaked");
    let left = live_marked_processes(marker);
    assert!(left.is_empty(), "processes left: {left:?}");
}

/// The ids of the edges named `names`, from the graph before it spawns.
fn edges<const N: usize>(graph: &Graph, names: [&str; N]) -> [EdgeId; N] {
    names.map(|name| graph.edge_named(name).expect(name))
}

// ---------------------------------------------------------------------
// 1. Lines in order, through one pipe the application does not hold.

/// Writes lines out of a port.
#[process_graph]
pub struct Producer {
    #[process]
    generate: Cmd,
    #[pipe(generate.stdout -> parent)]
    lines: Pipe,
}

/// Reads lines from a port, and passes what it makes out of another.
#[process_graph]
pub struct Consumer {
    #[process]
    sink: Cmd,
    #[pipe(parent -> sink.stdin)]
    input: Pipe,
    #[pipe(sink.stdout -> parent)]
    results: Pipe,
}

/// `producer | consumer`, joined port to port.
#[process_graph]
pub struct Chain {
    #[subgraph]
    producer: Producer,
    #[subgraph]
    consumer: Consumer,
    #[pipe(producer.lines -> consumer.input)]
    lines: Pipe,
}

const LINES: usize = 10_000;

fn lines_cross_a_joined_pipe_in_order_and_the_application_holds_none_of_it() {
    common::within(Duration::from_secs(60), "joined pipe", || {
        let marker = unique_marker("joined");
        let before = open_fds();
        // The producer stays up once it has written, so its end stays open.
        let script = format!("seq 1 {LINES}; exec sleep 600");
        let generate = marked(Cmd::new("sh").args(["-c", &script]), &marker);
        let sink = marked(Cmd::new("cat"), &marker);
        let chain = Chain::new(Producer::new(generate), Consumer::new(sink));
        let mut running = chain.spawn().expect("spawn the chain");
        // The joined ports have no parent end left; the unwired one has.
        assert!(running.producer.lines.is_none() && running.consumer.input.is_none());
        let mut results = BufReader::new(running.consumer.results.take().unwrap());
        let mut line = String::new();
        for expected in 1..=LINES {
            line.clear();
            results.read_line(&mut line).unwrap();
            assert_eq!(line.trim_end(), expected.to_string());
        }
        let pid = |node: ChainNode| running.process(node).pid().expect("running");
        let written = fds_of(pid(ChainNode::Producer(ProducerNode::Generate)))[&1].clone();
        let read = fds_of(pid(ChainNode::Consumer(ConsumerNode::Sink)))[&0].clone();
        assert!(written.starts_with("pipe:"), "{written}");
        assert_eq!(written, read, "one pipe from the writer to the reader");
        let held: Vec<String> = open_fds().into_values().filter(|t| *t == written).collect();
        assert!(held.is_empty(), "the application holds {held:?}");
        drop(results);
        running
            .shutdown(Duration::from_secs(5))
            .expect("the chain stops");
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn lines_cross_a_joined_pipe() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "lines_cross_a_joined_pipe",
        lines_cross_a_joined_pipe_in_order_and_the_application_holds_none_of_it,
    );
}

// ---------------------------------------------------------------------
// 2. Restarts and kills at both ends.

/// How many runs each end makes, one line each.
const RUNS: usize = 100;

/// Writes one line per run, counting runs in a file, and restarts.
#[process_graph(intensity = 1000, period = "60s")]
pub struct Counter {
    #[process(restart = "always", backoff = "1ms..1ms")]
    count: Cmd,
    #[pipe(count.stdout -> parent)]
    lines: Pipe,
}

/// Passes one line per run from its input port to its output port, and
/// restarts.
#[process_graph(intensity = 1000, period = "60s")]
pub struct Relay {
    #[process(restart = "always", backoff = "1ms..1ms")]
    relay: Cmd,
    #[pipe(parent -> relay.stdin)]
    input: Pipe,
    #[pipe(relay.stdout -> parent)]
    results: Pipe,
}

/// `counter | relay`, joined port to port.
#[process_graph]
pub struct Restarting {
    #[subgraph]
    counter: Counter,
    #[subgraph]
    relay: Relay,
    #[pipe(counter.lines -> relay.input)]
    lines: Pipe,
}

fn pipes() -> usize {
    open_fds()
        .values()
        .filter(|t| t.starts_with("pipe:"))
        .count()
}

/// Runs the event loop (restarts happen there) until `node` has started
/// `count` times in all; `starts` counts them across calls.
fn until_started(
    running: &mut RunningGraph,
    starts: &mut BTreeMap<NodeId, usize>,
    node: NodeId,
    count: usize,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while starts.get(&node).copied().unwrap_or(0) < count {
        assert!(Instant::now() < deadline, "{node:?} started {starts:?}");
        pump(running, starts);
    }
}

/// One turn of the event loop, counting starts.
fn pump(running: &mut RunningGraph, starts: &mut BTreeMap<NodeId, usize>) {
    if let Some(Event::Started { node, .. }) =
        running.next_event(Some(Duration::from_millis(5))).unwrap()
    {
        *starts.entry(node).or_default() += 1;
    }
}

/// The next line out of `lines`, turning the event loop while it comes.
fn next_line(
    running: &mut RunningGraph,
    starts: &mut BTreeMap<NodeId, usize>,
    lines: &mpsc::Receiver<String>,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(line) = lines.try_recv() {
            return line;
        }
        assert!(Instant::now() < deadline, "no line came out");
        pump(running, starts);
    }
}

fn a_joined_pipe_outlives_restarts_and_kills_at_both_ends() {
    common::within(
        Duration::from_secs(120),
        "joined pipe under restarts",
        || {
            let marker = unique_marker("joined-restarts");
            let dir = common::TempDir::new("joined-restarts");
            let before = open_fds();
            let runs = dir.path().join("runs");
            // Run n writes n, the last one stays up (its end open, no EOF).
            let script = format!(
                "n=$(cat {runs} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {runs}; \
             echo $n; [ $n -lt {RUNS} ] && exit 1; exec sleep 600",
                runs = runs.display()
            );
            let count = marked(Cmd::new("sh").args(["-c", &script]), &marker);
            let relay = marked(
                Cmd::new("sh").args(["-c", "read -r line && echo \"$line\"; exit 1"]),
                &marker,
            );
            let graph = Restarting::new(Counter::new(count), Relay::new(relay)).graph();
            let [results] = edges(&graph, ["relay.results"]);
            let mut running = graph.spawn().expect("spawn");
            let results = running.take_reader(results).unwrap();
            let (sender, lines) = mpsc::channel();
            let reader = std::thread::spawn(move || {
                for line in BufReader::new(results).lines() {
                    if sender.send(line.unwrap()).is_err() {
                        return;
                    }
                }
            });
            let counter = RestartingNode::Counter(CounterNode::Count).id();
            let relay = RestartingNode::Relay(RelayNode::Relay).id();
            let mut starts = BTreeMap::new();
            let mut pipes_seen = Vec::new();
            for expected in 1..=RUNS {
                let line = next_line(&mut running, &mut starts, &lines);
                assert_eq!(line, expected.to_string());
                if expected % 10 == 0 {
                    pipes_seen.push(pipes());
                }
            }
            // The relay, started again after its last line, waits on the empty
            // pipe: killed there, it loses nothing. Then the counter, asleep,
            // killed, writes line RUNS + 1 into the same pipe.
            until_started(&mut running, &mut starts, relay, RUNS + 1);
            running.kill(relay).unwrap();
            until_started(&mut running, &mut starts, relay, RUNS + 2);
            until_started(&mut running, &mut starts, counter, RUNS);
            running.kill(counter).unwrap();
            let line = next_line(&mut running, &mut starts, &lines);
            assert_eq!(line, (RUNS + 1).to_string(), "after the kills");
            pipes_seen.push(pipes());
            assert!(
                pipes_seen.windows(2).all(|w| w[0] == w[1]),
                "pipe fds grew: {pipes_seen:?}"
            );
            drop(lines);
            // The reader sees EOF once the relay is down for good.
            shut_down(&mut running);
            reader.join().unwrap();
            assert_nothing_left(running, &before, &marker);
        },
    );
}

#[test]
fn a_joined_pipe_under_restarts() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "a_joined_pipe_under_restarts",
        a_joined_pipe_outlives_restarts_and_kills_at_both_ends,
    );
}

// ---------------------------------------------------------------------
// 3. Socketpair ports.

/// Asks over a socketpair port, and says the answer on an output port.
#[process_graph]
pub struct Asker {
    #[process]
    ask: Cmd,
    #[socketpair(ask.fd(3) <-> parent)]
    control: SocketPair,
    #[pipe(ask.stdout -> parent)]
    answers: Pipe,
}

/// Answers over a socketpair port.
#[process_graph]
pub struct Answerer {
    #[process]
    answer: Cmd,
    #[socketpair(answer.fd(3) <-> parent)]
    control: SocketPair,
}

/// The two socketpair ports joined.
#[process_graph]
pub struct Talk {
    #[subgraph]
    asker: Asker,
    #[subgraph]
    answerer: Answerer,
    #[socketpair(asker.control <-> answerer.control)]
    control: SocketPair,
}

fn sockets() -> usize {
    open_fds()
        .values()
        .filter(|t| t.starts_with("socket:"))
        .count()
}

fn joined_socketpair_ports_talk_both_ways() {
    common::within(Duration::from_secs(60), "joined socketpair", || {
        let marker = unique_marker("joined-socketpair");
        let before = open_fds();
        let ask = "echo ping >&3; read -r reply <&3; echo \"$reply\"";
        let answer = "read -r question <&3; echo \"pong $question\" >&3";
        let talk = Talk::new(
            Asker::new(marked(Cmd::new("sh").args(["-c", ask]), &marker)),
            Answerer::new(marked(Cmd::new("sh").args(["-c", answer]), &marker)),
        );
        let graph = talk.graph();
        let [a, b, answers] = edges(
            &graph,
            ["asker.control", "answerer.control", "asker.answers"],
        );
        let sockets_before = sockets();
        let mut running = graph.spawn().expect("spawn");
        assert!(running.take_socket(a).is_none() && running.take_socket(b).is_none());
        assert_eq!(sockets(), sockets_before, "the application holds no end");
        let mut text = String::new();
        running
            .take_reader(answers)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "pong ping\n");
        assert!(running.wait().expect("both exit 0").success());
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn joined_socketpair_ports() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "joined_socketpair_ports",
        joined_socketpair_ports_talk_both_ways,
    );
}

// ---------------------------------------------------------------------
// 4. Ports left unwired, typed.

/// `Consumer` with both its ports left to the application.
#[process_graph]
pub struct Unwired {
    #[subgraph]
    consumer: Consumer,
}

fn unwired_ports_are_typed_ends_that_wait_closes() {
    common::within(Duration::from_secs(60), "unwired ports", || {
        let marker = unique_marker("unwired");
        let before = open_fds();
        let sink = marked(Cmd::new("cat"), &marker);
        let mut running = Unwired::new(Consumer::new(sink)).spawn().expect("spawn");
        let input: &mut std::io::PipeWriter = running.consumer.input.as_mut().unwrap();
        input.write_all(b"one\ntwo\n").unwrap();
        let results = running.consumer.results.take().unwrap();
        // `wait` closes the input port's write end, so `cat` sees EOF.
        let report = running.wait().expect("cat exits");
        assert!(report.success(), "{report:?}");
        assert!(running.consumer.input.is_none());
        let mut text = String::new();
        BufReader::new(results).read_to_string(&mut text).unwrap();
        assert_eq!(text, "one\ntwo\n");
        assert_nothing_left(running, &before, &marker);
    });
}

#[test]
fn unwired_ports_are_typed() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "unwired_ports_are_typed",
        unwired_ports_are_typed_ends_that_wait_closes,
    );
}
