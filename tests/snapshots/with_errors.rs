// Expansion of this declaration (macros/src/expand/snapshots.rs):
//
// #[process_graph()]
// struct Broken {
//     #[process]
//     source: Cmd,
//     #[process(restart = "sometimes")]
//     wait: Cmd,
//     #[pipe(source.stdout->snk.stdin)]
//     lines: Pipe,
//     #[pipe(source.stderr->parent)]
//     errors: Pipe,
// }

struct Broken {
    source: Cmd,
    wait: Cmd,
    lines: Pipe,
    errors: Pipe,
}
/// The processes of [`Broken`], one variant per `#[process]` field, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum BrokenNode {
    /// The `source` process.
    Source,
}
/// How each process of [`Broken`] ended: one field per process, returned by [`RunningBroken::wait`] and [`RunningBroken::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct BrokenReport {
    /// How the `source` process ended.
    pub source: ::process_graph::__private::NodeExit,
    outcome: ::process_graph::__private::Outcome,
}
/** A started [`Broken`], returned by [`Broken::spawn`]; the methods every graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, `stop_on_signals`, ...) come from `process_graph::Running`, which it dereferences to.

Dropping it stops every process still running (the stop signal in reverse start order, SIGKILL after the stop timeout) and reaps them all.*/
#[derive(Debug)]
struct RunningBroken {
    /// The parent's read end of the pipe `errors`; `None` once taken.
    pub errors: ::process_graph::__private::Option<
        ::process_graph::__private::PipeReader,
    >,
    running: ::process_graph::__private::Running<BrokenNode>,
}
/// The ports of [`Broken`] when it is nested as a `#[subgraph]`: its edges with a `parent` end, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BrokenPorts {
    /// A port of this graph.
    pub errors: ::process_graph::__private::port::Output,
}
/// The parent's ends of [`Broken`]'s ports when it is nested as a `#[subgraph]`, held by the enclosing graph's running handle in a field named after the subgraph: each port the enclosing graph wires is `None` (empty), each it leaves unwired is the application's to take.
#[derive(Debug)]
struct BrokenPortEnds {
    /// The parent's read end of the pipe `errors`; `None` once taken.
    pub errors: ::process_graph::__private::Option<
        ::process_graph::__private::PipeReader,
    >,
}
const _: () = {
    impl BrokenNode {
        /// Every process (each replica), in declaration order.
        pub const ALL: &'static [Self] = &[Self::Source];
        /// How many copies of each process run, in declaration order.
        const REPLICAS: [u32; 1] = [1];
        /// How many processes the graph declares, before replicas.
        const DECLARED: usize = 1;
        /// How many nodes its subgraphs run, all together.
        const NESTED: usize = 0;
        /// How many nodes the graph runs: every replica, and every node
        /// of its subgraphs.
        pub const COUNT: usize = 1 + Self::NESTED;
        /// The field name of the process (of the subgraph, for one of
        /// its nodes; `Display` gives the whole path).
        pub const fn name(self) -> &'static str {
            match self {
                Self::Source => "source",
            }
        }
        /// The process's id in the dynamic graph; an id no node has for
        /// a replica index past the last.
        pub fn id(self) -> ::process_graph::__private::NodeId {
            match self {
                Self::Source => {
                    let index = ::process_graph::__private::topology::replica_index(
                            &Self::REPLICAS,
                            0,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    ::process_graph::__private::NodeId::from_index(index)
                }
            }
        }
        /// The process with this id, if it is one of this graph's.
        pub fn from_id(
            id: ::process_graph::__private::NodeId,
        ) -> ::process_graph::__private::Option<Self> {
            let index = id.index();
            let (item, replica) = ::process_graph::__private::topology::replica_of(
                &Self::REPLICAS,
                index,
            )?;
            let _ = replica;
            match item {
                0 => ::process_graph::__private::Option::Some(Self::Source),
                _ => ::process_graph::__private::Option::None,
            }
        }
    }
    impl ::process_graph::__private::GraphNode for BrokenNode {
        const ALL: &'static [Self] = Self::ALL;
        const COUNT: usize = Self::COUNT;
        fn name(self) -> &'static str {
            Self::name(self)
        }
        fn id(self) -> ::process_graph::__private::NodeId {
            Self::id(self)
        }
        fn from_id(
            id: ::process_graph::__private::NodeId,
        ) -> ::process_graph::__private::Option<Self> {
            Self::from_id(id)
        }
    }
    impl ::process_graph::__private::fmt::Display for BrokenNode {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            match *self {
                Self::Source => f.write_str("source"),
            }
        }
    }
    impl BrokenReport {
        /// Every process ran, and its last process exited with code 0.
        pub fn success(&self) -> bool {
            true && self.source.success()
        }
        /// Why the graph ended.
        pub fn outcome(&self) -> ::process_graph::__private::Outcome {
            self.outcome
        }
        /// The entry of one process.
        ///
        /// # Panics
        ///
        /// For a replica index past the last, or a node of a child
        /// another graph added.
        pub fn get(&self, node: BrokenNode) -> &::process_graph::__private::NodeExit {
            match node {
                BrokenNode::Source => &self.source,
            }
        }
    }
    impl ::process_graph::__private::fmt::Display for BrokenReport {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            ::process_graph::__private::writeln!(f, "{}", self.source)?;
            ::process_graph::__private::Result::Ok(())
        }
    }
    impl ::process_graph::__private::Deref for RunningBroken {
        type Target = ::process_graph::__private::Running<BrokenNode>;
        fn deref(&self) -> &::process_graph::__private::Running<BrokenNode> {
            &self.running
        }
    }
    impl ::process_graph::__private::DerefMut for RunningBroken {
        fn deref_mut(&mut self) -> &mut ::process_graph::__private::Running<BrokenNode> {
            &mut self.running
        }
    }
    impl RunningBroken {
        /// The `source` process: its pid, status and signals.
        pub fn source(
            &self,
        ) -> ::process_graph::__private::ProcessHandle<'_, BrokenNode> {
            self.running.process(BrokenNode::Source)
        }
        /// Closes the pipe ends the parent writes into (so their readers see
        /// EOF), then waits for every process to end.
        pub fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            BrokenReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().wait()?;
            ::process_graph::__private::Result::Ok(BrokenReport {
                source: report[BrokenNode::Source.id()].clone(),
                outcome: report.outcome(),
            })
        }
        /// Stops every process still running: the stop signal, then SIGKILL
        /// after `grace`.
        pub fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            BrokenReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().shutdown(grace)?;
            ::process_graph::__private::Result::Ok(BrokenReport {
                source: report[BrokenNode::Source.id()].clone(),
                outcome: report.outcome(),
            })
        }
    }
    impl ::process_graph::__private::RunningProcessGraph for RunningBroken {
        type Node = BrokenNode;
        type Report = BrokenReport;
        fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            BrokenReport,
            ::process_graph::__private::Error,
        > {
            Self::wait(self)
        }
        fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            BrokenReport,
            ::process_graph::__private::Error,
        > {
            Self::shutdown(self, grace)
        }
    }
    ::process_graph::__private::if_tokio! {
        impl RunningBroken { #[doc =
        r" [`wait`](Self::wait), as a future (feature `tokio`)."] pub async fn
        wait_async(& mut self) -> ::process_graph::__private::Result < BrokenReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().wait_async(). await ?;
        ::process_graph::__private::Result::Ok(BrokenReport { source :
        report[BrokenNode::Source.id()].clone(), outcome : report.outcome(), }) } #[doc =
        r" [`shutdown`](Self::shutdown), as a future (feature `tokio`):"] #[doc =
        r" await it to know the nodes are stopped. A drop within a tokio"] #[doc =
        r" runtime that still has processes to stop hands the stop to a"] #[doc =
        r" thread of its own and returns at once."] pub async fn shutdown_async(& mut
        self, grace : ::process_graph::__private::Duration) ->
        ::process_graph::__private::Result < BrokenReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().shutdown_async(grace). await ?;
        ::process_graph::__private::Result::Ok(BrokenReport { source :
        report[BrokenNode::Source.id()].clone(), outcome : report.outcome(), }) } }
    }
    impl Broken {
        /// The shape of [`Broken`] — its processes, edges with their fds, scopes and policies — as data, e.g. to draw it.
        pub const TOPOLOGY: ::process_graph::__private::topology::Topology = ::process_graph::__private::topology::Topology {
            name: ::process_graph::__private::Cow::Borrowed("Broken"),
            nodes: ::process_graph::__private::Cow::Borrowed(
                &[
                    ::process_graph::__private::topology::NodeInfo {
                        name: ::process_graph::__private::Cow::Borrowed("source"),
                        doc: ::process_graph::__private::Option::None,
                        command: ::process_graph::__private::Option::None,
                        scope: ::process_graph::__private::Option::None,
                        restart: "never",
                        critical: false,
                        oneshot: false,
                        after: ::process_graph::__private::Cow::Borrowed(&[]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
                        ready: ::process_graph::__private::Option::None,
                        ready_timeout_ms: ::process_graph::__private::Option::None,
                        ready_probe: ::process_graph::__private::Option::None,
                        live_probe: ::process_graph::__private::Option::None,
                        watchdog_ms: ::process_graph::__private::Option::None,
                        notify_access: "main",
                        stdio: [
                            ::process_graph::__private::Option::None,
                            ::process_graph::__private::Option::None,
                            ::process_graph::__private::Option::None,
                        ],
                        passed_fds: ::process_graph::__private::Cow::Borrowed(&[]),
                        listeners: ::process_graph::__private::Cow::Borrowed(&[]),
                        replicas: 1,
                    },
                    ::process_graph::__private::topology::NodeInfo {
                        name: ::process_graph::__private::Cow::Borrowed("wait"),
                        doc: ::process_graph::__private::Option::None,
                        command: ::process_graph::__private::Option::None,
                        scope: ::process_graph::__private::Option::None,
                        restart: "never",
                        critical: false,
                        oneshot: false,
                        after: ::process_graph::__private::Cow::Borrowed(&[]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
                        ready: ::process_graph::__private::Option::None,
                        ready_timeout_ms: ::process_graph::__private::Option::None,
                        ready_probe: ::process_graph::__private::Option::None,
                        live_probe: ::process_graph::__private::Option::None,
                        watchdog_ms: ::process_graph::__private::Option::None,
                        notify_access: "main",
                        stdio: [
                            ::process_graph::__private::Option::None,
                            ::process_graph::__private::Option::None,
                            ::process_graph::__private::Option::None,
                        ],
                        passed_fds: ::process_graph::__private::Cow::Borrowed(&[]),
                        listeners: ::process_graph::__private::Cow::Borrowed(&[]),
                        replicas: 1,
                    },
                ],
            ),
            edges: ::process_graph::__private::Cow::Borrowed(
                &[
                    ::process_graph::__private::topology::EdgeInfo {
                        name: ::process_graph::__private::Option::Some(
                            ::process_graph::__private::Cow::Borrowed("lines"),
                        ),
                        doc: ::process_graph::__private::Option::None,
                        kind: ::process_graph::__private::topology::EdgeKind::Pipe,
                        from: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(0),
                                    fd: 1,
                                },
                            ],
                        ),
                        to: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(
                                        18446744073709551615,
                                    ),
                                    fd: 0,
                                },
                            ],
                        ),
                    },
                    ::process_graph::__private::topology::EdgeInfo {
                        name: ::process_graph::__private::Option::Some(
                            ::process_graph::__private::Cow::Borrowed("errors"),
                        ),
                        doc: ::process_graph::__private::Option::None,
                        kind: ::process_graph::__private::topology::EdgeKind::Pipe,
                        from: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(0),
                                    fd: 2,
                                },
                            ],
                        ),
                        to: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::None,
                                    fd: -1,
                                },
                            ],
                        ),
                    },
                ],
            ),
            scopes: ::process_graph::__private::Cow::Borrowed(&[]),
            subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
            strategy: "one_for_one",
            intensity: 3,
            period_ms: 5000,
        };
        /// The [`Broken`] that runs these commands and subgraphs, one per process and `#[subgraph]` field in declaration order; every edge and scope gets its default settings.
        #[allow(clippy::too_many_arguments)]
        #[allow(unused_variables)]
        pub fn new(source: Cmd) -> Self {
            ::process_graph::__private::panic!(
                "the #[process_graph] declaration has errors"
            )
        }
        /// The dynamic graph this declaration stands for, to inspect or
        /// extend before spawning it.
        pub fn graph(self) -> ::process_graph::__private::Graph {
            build(self).0
        }
        /// Starts every process and wires every edge.
        ///
        /// If a process fails to start, every process already started is
        /// killed and reaped, and the error names the process and the step
        /// that failed. If the graph fails while it starts (a dependency
        /// fails, the restart intensity is exceeded, or dependencies are
        /// not ready within `start_timeout`, 90 s unless the graph sets
        /// it), everything started is stopped and reaped and `spawn`
        /// returns that error; see `Graph::spawn`.
        pub fn spawn(
            self,
        ) -> ::process_graph::__private::Result<
            RunningBroken,
            ::process_graph::__private::Error,
        > {
            let (graph, ends, port_ends) = build(self);
            let mut started = graph.spawn()?;
            ::process_graph::__private::Result::Ok(RunningBroken {
                errors: started.take_reader(ends[0][0]),
                running: ::process_graph::__private::typed_running(started),
            })
        }
    }
    impl ::process_graph::__private::ProcessGraph for Broken {
        type Node = BrokenNode;
        type Running = RunningBroken;
        const TOPOLOGY: ::process_graph::__private::topology::Topology = Self::TOPOLOGY;
        type Ports = BrokenPorts;
        const PORTS: BrokenPorts = BrokenPorts {
            errors: ::process_graph::__private::port::Output,
        };
        type PortEnds = BrokenPortEnds;
        fn __port_ends(
            running: &mut ::process_graph::__private::RunningGraph,
            ends: &[::process_graph::__private::Vec<::process_graph::__private::EdgeId>],
        ) -> BrokenPortEnds {
            BrokenPortEnds {
                errors: running.take_reader(ends[0][0]),
            }
        }
        fn __close_port_writers(ends: &mut BrokenPortEnds) {}
        fn graph(self) -> ::process_graph::__private::Graph {
            Self::graph(self)
        }
        fn spawn(
            self,
        ) -> ::process_graph::__private::Result<
            RunningBroken,
            ::process_graph::__private::Error,
        > {
            Self::spawn(self)
        }
        fn __graph_with_ends(
            self,
        ) -> (
            ::process_graph::__private::Graph,
            ::process_graph::__private::Vec<
                ::process_graph::__private::Vec<::process_graph::__private::EdgeId>,
            >,
        ) {
            let (graph, ends, _) = build(self);
            (graph, ::process_graph::__private::Vec::from(ends))
        }
    }
    #[allow(unused_variables)]
    fn build(
        value: Broken,
    ) -> (
        ::process_graph::__private::Graph,
        [::process_graph::__private::Vec<::process_graph::__private::EdgeId>; 1],
        [::process_graph::__private::Vec<
            ::process_graph::__private::Vec<::process_graph::__private::EdgeId>,
        >; 0],
    ) {
        ::process_graph::__private::panic!("the #[process_graph] declaration has errors")
    }
};
::core::compile_error! {
    "unknown restart policy \"sometimes\"; expected one of `never`, `on-failure`, `always`"
}
::core::compile_error! {
    "a process cannot be named `wait`: `RunningBroken::wait` is a generated method; rename the field"
}
::core::compile_error! {
    "unknown process `snk`; expected one of `source`, `wait`"
}
