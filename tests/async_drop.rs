//! Dropping a running graph within a tokio runtime never blocks the
//! executor: the stop goes to a thread of its own (the runtime's `tokio`
//! feature, which the tests always enable).

mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::ticker::Ticker;
use process_graph::{Command, Endpoint, Graph};

/// Whether `pid` names a process (this test's node: it is not reaped by
/// anyone else, and its pid is not reused while it is a zombie).
fn exists(pid: u32) -> bool {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::test_kill_process(pid).is_ok()
}

/// A graph whose one node ignores SIGTERM, so its stop waits out the stop
/// timeout; returned once the node has said it ignores it, with its pid.
fn stubborn_graph(stop_timeout: Duration) -> (process_graph::RunningGraph, u32) {
    let mut graph = Graph::new();
    let node = graph.node(
        "stubborn",
        Command::new("sh")
            .arg("-c")
            .arg("trap '' TERM; echo up; while :; do sleep 0.05; done"),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    graph.stop_timeout(stop_timeout);
    let mut running = graph.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(running.take_reader(out).unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "up\n");
    let pid = running.pid(node).unwrap();
    (running, pid)
}

#[tokio::test(flavor = "current_thread")]
async fn a_drop_on_tokio_hands_the_stop_to_a_thread_and_it_completes() {
    let (running, pid) = stubborn_graph(Duration::from_secs(3));
    drop(running);
    // A blocking drop would have waited out the stop timeout, SIGKILLed and
    // reaped the node before returning.
    assert!(exists(pid), "the drop blocked until the node was gone");
    // The executor runs meanwhile.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(exists(pid));
    let deadline = Instant::now() + Duration::from_secs(30);
    while exists(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !exists(pid),
        "the stop thread never killed and reaped the node"
    );
}

#[test]
fn a_drop_outside_a_runtime_returns_once_the_node_is_reaped() {
    let (running, pid) = stubborn_graph(Duration::from_millis(200));
    drop(running);
    assert!(!exists(pid), "the node outlived the drop");
}

#[test]
fn a_running_graph_can_move_to_another_thread() {
    fn is_send<T: Send>() {}
    is_send::<process_graph::RunningGraph>();
}

/// A running graph whose one node, `chatty`, writes `lines` lines into a
/// sink that takes 10 ms a line (counted in the returned counter), then
/// exits with `code`: its end waits for the output thread to deliver them.
fn slow_sink_graph(
    lines: u32,
    code: u8,
) -> (
    process_graph::RunningGraph,
    process_graph::NodeId,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let delivered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = delivered.clone();
    let sink = process_graph::Sink::callback(move |_| {
        std::thread::sleep(Duration::from_millis(10));
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let script =
        format!("i=0; while [ $i -lt {lines} ]; do echo $i; i=$((i+1)); done; exit {code}");
    let mut graph = Graph::new();
    let node = graph.node(
        "chatty",
        Command::new("sh")
            .args(["-c", &script])
            .stdout(process_graph::Stdio::Sink(sink)),
    );
    (graph.spawn().unwrap(), node, delivered)
}

/// [`slow_sink_graph`] of 300 lines (~3 s to deliver), returned once every
/// node has ended and every event is taken.
async fn finished_with_a_slow_sink() -> process_graph::RunningGraph {
    let (mut running, _, _) = slow_sink_graph(300, 0);
    while running.next_event_async().await.unwrap().is_some() {}
    running
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_finished_graph_on_tokio_does_not_block_the_executor() {
    let running = finished_with_a_slow_sink().await;
    let started = Instant::now();
    drop(running);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "the drop took {took:?} on the executor"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn wait_async_does_not_block_the_executor_while_the_graph_ends() {
    let mut running = finished_with_a_slow_sink().await;
    // A task ticking every 10 ms beside the wait.
    let ticker = Ticker::start(Duration::from_millis(10));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(running.wait_async().await.unwrap().success());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let longest = ticker.stop().longest_gap_ms;
    assert!(longest < 1000, "the executor was held {longest} ms");
}

/// A `wait_async` cancelled while the graph's teardown runs (behind a slow
/// sink) loses nothing: the next call waits for that teardown and reports
/// the node's real exit, and the graph still knows its nodes.
#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_wait_async_leaves_the_graph_whole() {
    let (mut running, node, _) = slow_sink_graph(100, 3);
    while running.next_event_async().await.unwrap().is_some() {}
    let cut = tokio::time::timeout(Duration::from_millis(100), running.wait_async()).await;
    assert!(
        cut.is_err(),
        "the teardown behind the slow sink was quicker than 100 ms"
    );
    assert_eq!(running.name(node), "chatty");
    let report = running.wait_async().await.unwrap();
    assert!(!report.success());
    let exit = report.by_name("chatty").expect("the node's exit");
    assert_eq!(exit.status.and_then(|s| s.code()), Some(3));
}

/// After a `wait_async` cancelled while the teardown runs, the blocking
/// `wait` returns only once that teardown has ended: every line delivered.
#[test]
fn a_blocking_wait_after_a_cancelled_wait_async_waits_for_its_teardown() {
    let (mut running, _, lines) = slow_sink_graph(100, 0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        while running.next_event_async().await.unwrap().is_some() {}
        let cut = tokio::time::timeout(Duration::from_millis(100), running.wait_async()).await;
        assert!(cut.is_err(), "the teardown was quicker than 100 ms");
    });
    assert!(running.wait().unwrap().success());
    let delivered = lines.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(delivered, 100, "lines delivered when wait returned");
}

/// Takes the node's `Started` event, and waits on until nothing else comes
/// for 100 ms: the graph is then registered with this runtime's reactor.
async fn take_the_start(running: &mut process_graph::RunningGraph) {
    let first = tokio::time::timeout(Duration::from_millis(100), running.next_event_async()).await;
    assert!(
        matches!(first, Ok(Ok(Some(process_graph::Event::Started { .. })))),
        "{first:?}"
    );
    let second = tokio::time::timeout(Duration::from_millis(100), running.next_event_async()).await;
    assert!(
        second.is_err(),
        "an event came before the node's end: {second:?}"
    );
}

/// A graph awaited on one runtime, then on another (the first dropped, or
/// alive but idle): its events reach the second.
#[test]
fn a_graph_moved_to_another_runtime_gets_its_events_there() {
    for first_dropped in [true, false] {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let mut graph = Graph::new();
        graph.node("sleeper", Command::new("sleep").arg("0.5"));
        let mut running = graph.spawn().unwrap();
        let first = runtime();
        first.block_on(take_the_start(&mut running));
        if first_dropped {
            drop(first);
        } else {
            std::mem::forget(first);
        }
        let ended = runtime().block_on(async {
            tokio::time::timeout(Duration::from_secs(10), running.wait_async()).await
        });
        let report = ended.expect("no event within 10 s").unwrap();
        assert!(report.success(), "first runtime dropped: {first_dropped}");
    }
}

/// A forked child that drops its copy of a graph registered with tokio
/// leaves the parent's registration alone: the parent still gets its
/// node's exit.
#[test]
fn a_forked_copy_dropped_does_not_deregister_the_parents_graph() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut graph = Graph::new();
        graph.node("sleeper", Command::new("sleep").arg("0.5"));
        let mut running = graph.spawn().unwrap();
        take_the_start(&mut running).await;
        // SAFETY: the child only drops its copy and exits.
        let child = unsafe { libc::fork() };
        if child == 0 {
            drop(running);
            // SAFETY: ends the child without running the parent's exit code.
            unsafe { libc::_exit(0) };
        }
        let pid = rustix::process::Pid::from_raw(child).unwrap();
        rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(10), running.wait_async()).await;
        assert!(ended.expect("no event within 10 s").unwrap().success());
    });
}
