//! Starting a whole graph: validate, prepare every command, create every edge,
//! start the nodes in order, then close the parent's copies of the children's
//! ends. If any node fails to start, the nodes already started are killed and
//! reaped before the error is returned.

use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::pipe::{PipeFlags, pipe_with};

use super::{EdgeFds, ExecSpec, FdMove, spawn_process};
use crate::error::{Error, SpawnError};
use crate::forward::PrefixedStream;
use crate::graph::Graph;
use crate::plan::{FdSource, Plan};
use crate::running::RunningGraph;

pub(crate) fn start(graph: Graph) -> Result<RunningGraph, Error> {
    graph.validate().map_err(Error::Invalid)?;
    let plan = Plan::of(&graph);
    let execs = graph
        .nodes
        .iter()
        .map(|node| {
            ExecSpec::new(&node.command).map_err(|problem| Error::Command {
                node: node.name.clone(),
                problem,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let edges = graph
        .edges
        .iter()
        .map(|edge| EdgeFds::create(&edge.kind))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::io(None, "create edge", e))?;
    let dev_null = plan
        .nodes
        .iter()
        .flat_map(|n| &n.fds)
        .any(|a| a.source == FdSource::DevNull)
        .then(|| rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty()))
        .transpose()
        .map_err(|e| Error::io(None, "open /dev/null", e))?;

    let mut running = RunningGraph::new(&graph)?;
    let mut prefixed = Vec::new();
    for (index, (node_plan, exec)) in plan.nodes.iter().zip(&execs).enumerate() {
        let name = &graph.nodes[index].name;
        // The write ends of this node's prefixed streams live until it has started.
        let mut prefix_writers: Vec<OwnedFd> = Vec::new();
        for stream in node_plan.prefixed_streams() {
            let (read_end, write_end) = pipe_with(PipeFlags::CLOEXEC)
                .map_err(|e| Error::io(Some(name), "create stdio pipe", e))?;
            prefixed.push(PrefixedStream {
                prefix: format!("[{name}] "),
                stream,
                read_end,
            });
            prefix_writers.push(write_end);
        }
        let mut prefix_writer = prefix_writers.iter();
        let mut fds: Vec<FdMove> = node_plan
            .fds
            .iter()
            .map(|a| FdMove {
                target: a.target,
                src: match a.source {
                    FdSource::DevNull => dev_null.as_ref().map_or(-1, |fd| fd.as_raw_fd()),
                    FdSource::Prefixed => prefix_writer.next().map_or(-1, |fd| fd.as_raw_fd()),
                    FdSource::PipeRead(e) | FdSource::PipeWrite(e) | FdSource::Socket(e, _) => {
                        edges[e.index()].raw(a.source)
                    }
                },
            })
            .collect();
        match spawn_process(exec, &mut fds) {
            Ok(process) => running.attach(index, process)?,
            Err((step, errno)) => {
                running.kill_all();
                return Err(Error::Spawn(SpawnError {
                    node: name.clone(),
                    step,
                    errno,
                }));
            }
        }
    }
    for (edge, fds) in graph.edges.iter().zip(edges) {
        running.add_parent_end(fds.into_parent_end(&edge.kind));
    }
    running.start_forwarder(prefixed)?;
    Ok(running)
}
