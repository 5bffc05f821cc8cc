//! Review: `stop_on_signals` blocks the signals in the calling thread and
//! reads them from a signalfd. That works only if *every* thread of the
//! application blocks them (a process-directed signal goes to any thread
//! that does not, where its default action kills the whole process), and
//! only while the graph lives (after that nobody reads the signalfd).

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Graph, Signal, Stdio};

/// Whether `signal` is blocked in thread `tid` of this process, from
/// `/proc/self/task/TID/status` (`SigBlk`, a hex mask; bit n-1 is signal n).
fn blocked_in_thread(tid: i32, signal: Signal) -> bool {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .map(|hex| u64::from_str_radix(hex.trim(), 16).unwrap())
        .unwrap();
    mask & (1 << (signal.as_raw() - 1)) != 0
}

/// The threads of this process named `name` (as the kernel keeps it: cut to
/// 15 bytes).
fn threads_named(name: &str) -> Vec<i32> {
    let comm = &name[..name.len().min(15)];
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|tid: &i32| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                .is_ok_and(|c| c.trim_end() == comm)
        })
        .collect()
}

/// The runtime's own stdio thread (started by `spawn()` for
/// `Stdio::Prefixed`, so necessarily before `stop_on_signals` can be
/// called) keeps the signals unblocked: a SIGTERM sent to the application
/// is delivered there and kills the process instead of stopping the graph.
#[test]
fn the_stdio_thread_does_not_take_the_signals_meant_for_the_graph() {
    let mut graph = Graph::new();
    graph.node(
        "quiet",
        Command::new("sleep").arg("30").stdout(Stdio::Prefixed),
    );
    let mut running = graph.spawn().expect("spawn");
    running
        .stop_on_signals(&[Signal::TERM])
        .expect("stop_on_signals");
    // A thread sets its own name once it runs: look until it has.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let stdio_threads = loop {
        let found = threads_named("process-graph-stdio");
        if !found.is_empty() || std::time::Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(!stdio_threads.is_empty(), "the stdio thread is running");
    let unblocked: Vec<i32> = stdio_threads
        .into_iter()
        .filter(|&tid| !blocked_in_thread(tid, Signal::TERM))
        .collect();
    running.shutdown(Duration::from_secs(1)).expect("shutdown");
    assert!(
        unblocked.is_empty(),
        "the runtime's stdio threads {unblocked:?} leave SIGTERM unblocked: the kernel \
         delivers a process-directed SIGTERM there and its default action kills the \
         application"
    );
}

/// After the graph is gone, the signals stay blocked in the thread: a
/// SIGTERM to the application then stays pending forever, and every child
/// that thread later starts with `std::process::Command` (posix_spawn keeps
/// the mask) cannot be stopped with SIGTERM either.
#[test]
fn the_signal_mask_is_restored_when_the_graph_is_gone() {
    let still_blocked = common::within(Duration::from_secs(30), "graph on a thread", || {
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        assert!(!blocked_in_thread(tid, Signal::USR2), "precondition");
        let mut graph = Graph::new();
        graph.node("done", Command::new("true"));
        let mut running = graph.spawn().expect("spawn");
        running
            .stop_on_signals(&[Signal::USR2])
            .expect("stop_on_signals");
        running.wait().expect("wait");
        drop(running);
        blocked_in_thread(tid, Signal::USR2)
    });
    assert!(
        !still_blocked,
        "SIGUSR2 is still blocked in the thread after the graph was dropped"
    );
}
