use std::io::{PipeReader, PipeWriter};
use std::os::unix::net::UnixStream;

use process_graph::NodeExit;
use process_graph::prelude::*;

/// Every way an edge may meet replicas.
#[process_graph]
struct Pool {
    #[process(replicas = 4)]
    worker: Cmd,
    #[process(replicas = 1, after = [worker])]
    single: Cmd,
    #[process]
    sink: Cmd,
    #[pipe(parent -> worker.stdin)]
    jobs: Pipe,
    #[socketpair(worker.fd(3) <-> parent)]
    control: SocketPair,
    #[pipe(worker.stdout, single.stdout -> sink.stdin)]
    results: Pipe,
    #[pipe(worker.stderr -> parent)]
    errors: Pipe,
}

fn main() {
    fn types(running: RunningPool, report: PoolReport) {
        let _: Vec<PipeWriter> = running.jobs;
        let _: Vec<UnixStream> = running.control;
        let _: Option<PipeReader> = running.errors;
        let _: Vec<NodeExit> = report.worker;
        let _: Vec<NodeExit> = report.single;
        let _: NodeExit = report.sink;
    }
    let _ = types;
    match PoolNode::ALL[0] {
        PoolNode::Worker(_) | PoolNode::Single(_) | PoolNode::Sink => {}
    }
    assert_eq!(PoolNode::ALL.len(), 6);
}
