//! Spawning from several threads at once, while other threads allocate
//! hard, never deadlocks: the child between clone and exec takes no lock
//! (the allocator's included) that another thread might hold.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph};

const SPAWNING_THREADS: usize = 4;
const ALLOCATING_THREADS: usize = 2;
const GRAPHS_PER_THREAD: usize = 100;
/// Nodes per graph: `GRAPHS_PER_THREAD * SPAWNING_THREADS * NODES` = 2,000 spawns.
const NODES: usize = 5;

/// A five-node pipeline `echo | cat | cat | cat | cat` into the parent.
fn run_one_graph(thread: usize) {
    let mut graph = Graph::new();
    let words = format!("thread {thread}");
    let mut prev = graph.node("echo", Command::new("echo").arg(&words));
    for i in 1..NODES {
        let next = graph.node(format!("cat{i}"), Command::new("cat"));
        graph.pipe(prev.stdout(), next.stdin());
        prev = next;
    }
    let out = graph.pipe(prev.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().expect("the graph starts");
    let text = common::read_to_end(&mut running, out);
    assert_eq!(text, format!("{words}\n"));
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
}

/// Allocates and frees vectors of many sizes until `stop` is set.
fn churn(stop: &AtomicBool) -> usize {
    let mut rounds = 0;
    while !stop.load(Ordering::Relaxed) {
        let blocks: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 1 + i * 97]).collect();
        black_box(blocks);
        rounds += 1;
    }
    rounds
}

#[test]
fn concurrent_spawns_under_allocation_pressure_do_not_deadlock() {
    common::within(Duration::from_secs(60), "2,000 concurrent spawns", || {
        let stop = Arc::new(AtomicBool::new(false));
        let allocators: Vec<_> = (0..ALLOCATING_THREADS)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || churn(&stop))
            })
            .collect();
        let spawners: Vec<_> = (0..SPAWNING_THREADS)
            .map(|thread| {
                std::thread::spawn(move || {
                    for _ in 0..GRAPHS_PER_THREAD {
                        run_one_graph(thread);
                    }
                })
            })
            .collect();
        for spawner in spawners {
            spawner.join().expect("a spawning thread failed");
        }
        stop.store(true, Ordering::Relaxed);
        for allocator in allocators {
            let rounds = allocator.join().unwrap();
            assert!(rounds > 0, "the allocating thread ran");
        }
    });
}
