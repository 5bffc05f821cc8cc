// Expansion of this declaration (macros/src/expand/snapshots.rs):
//
// #[process_graph(strategy = "one_for_all", intensity = 5, period = "10s")]
// /// Count the lines of a log that mention an error, with a control
// /// channel to the filter.
// pub struct ErrorCount {
//     #[process]
//     source: Cmd,
//     #[process(restart = "on-failure", after = [source], stderr = "prefixed")]
//     filter: Cmd,
//     #[process]
//     count: Cmd,
//     #[pipe(source.stdout->filter.stdin)]
//     lines: Pipe,
//     #[pipe(filter.stdout->count.stdin)]
//     errors: Pipe,
//     #[pipe(count.stdout->parent)]
//     total: Pipe,
//     #[socketpair(filter.fd(3)<->parent)]
//     control: SocketPair,
// }

/// Count the lines of a log that mention an error, with a control
/// channel to the filter.
///
/** # Graph

 `#[process_graph]` generates `ErrorCountNode`, `RunningErrorCount`, `ErrorCountReport` and `ErrorCount::TOPOLOGY` for this declaration.*/
#[cfg_attr(doc, doc = "")]
#[cfg_attr(doc, doc = "<svg>(Topology::to_svg)</svg>")]
///
///(Topology::to_markdown_tables)
pub struct ErrorCount {
    source: Cmd,
    filter: Cmd,
    count: Cmd,
    lines: Pipe,
    errors: Pipe,
    total: Pipe,
    control: SocketPair,
}
/// The processes of [`ErrorCount`], one variant per `#[process]` field, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCountNode {
    /// The `source` process.
    Source,
    /// The `filter` process.
    Filter,
    /// The `count` process.
    Count,
}
/// How each process of [`ErrorCount`] ended: one field per process, returned by [`RunningErrorCount::wait`] and [`RunningErrorCount::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCountReport {
    /// How the `source` process ended.
    pub source: ::process_graph::__private::NodeExit,
    /// How the `filter` process ended.
    pub filter: ::process_graph::__private::NodeExit,
    /// How the `count` process ended.
    pub count: ::process_graph::__private::NodeExit,
    outcome: ::process_graph::__private::Outcome,
}
/** A started [`ErrorCount`], returned by [`ErrorCount::spawn`]; the methods every graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, `stop_on_signals`, ...) come from `process_graph::Running`, which it dereferences to.

Dropping it stops every process still running (the stop signal in reverse start order, SIGKILL after the stop timeout) and reaps them all.*/
#[derive(Debug)]
pub struct RunningErrorCount {
    /// The parent's read end of the pipe `total`; `None` once taken.
    pub total: ::process_graph::__private::Option<
        ::process_graph::__private::PipeReader,
    >,
    /// The parent's end of the socketpair `control`; `None` once taken.
    pub control: ::process_graph::__private::Option<
        ::process_graph::__private::UnixStream,
    >,
    running: ::process_graph::__private::Running<ErrorCountNode>,
}
/// The ports of [`ErrorCount`] when it is nested as a `#[subgraph]`: its edges with a `parent` end, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCountPorts {
    /// A port of this graph.
    pub total: ::process_graph::__private::port::Output,
    /// A port of this graph.
    pub control: ::process_graph::__private::port::Socket,
}
/// The parent's ends of [`ErrorCount`]'s ports when it is nested as a `#[subgraph]`, held by the enclosing graph's running handle in a field named after the subgraph: each port the enclosing graph wires is `None` (empty), each it leaves unwired is the application's to take.
#[derive(Debug)]
pub struct ErrorCountPortEnds {
    /// The parent's read end of the pipe `total`; `None` once taken.
    pub total: ::process_graph::__private::Option<
        ::process_graph::__private::PipeReader,
    >,
    /// The parent's end of the socketpair `control`; `None` once taken.
    pub control: ::process_graph::__private::Option<
        ::process_graph::__private::UnixStream,
    >,
}
const _: () = {
    impl ErrorCountNode {
        /// Every process (each replica), in declaration order.
        pub const ALL: &'static [Self] = &[Self::Source, Self::Filter, Self::Count];
        /// How many copies of each process run, in declaration order.
        const REPLICAS: [u32; 3] = [1, 1, 1];
        /// How many processes the graph declares, before replicas.
        const DECLARED: usize = 3;
        /// How many nodes its subgraphs run, all together.
        const NESTED: usize = 0;
        /// How many nodes the graph runs: every replica, and every node
        /// of its subgraphs.
        pub const COUNT: usize = 3 + Self::NESTED;
        /// The field name of the process (of the subgraph, for one of
        /// its nodes; `Display` gives the whole path).
        pub const fn name(self) -> &'static str {
            match self {
                Self::Source => "source",
                Self::Filter => "filter",
                Self::Count => "count",
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
                Self::Filter => {
                    let index = ::process_graph::__private::topology::replica_index(
                            &Self::REPLICAS,
                            1,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    ::process_graph::__private::NodeId::from_index(index)
                }
                Self::Count => {
                    let index = ::process_graph::__private::topology::replica_index(
                            &Self::REPLICAS,
                            2,
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
                1 => ::process_graph::__private::Option::Some(Self::Filter),
                2 => ::process_graph::__private::Option::Some(Self::Count),
                _ => ::process_graph::__private::Option::None,
            }
        }
    }
    impl ::process_graph::__private::GraphNode for ErrorCountNode {
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
    impl ::process_graph::__private::fmt::Display for ErrorCountNode {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            match *self {
                Self::Source => f.write_str("source"),
                Self::Filter => f.write_str("filter"),
                Self::Count => f.write_str("count"),
            }
        }
    }
    impl ErrorCountReport {
        /// Every process ran, and its last process exited with code 0.
        pub fn success(&self) -> bool {
            true && self.source.success() && self.filter.success()
                && self.count.success()
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
        pub fn get(
            &self,
            node: ErrorCountNode,
        ) -> &::process_graph::__private::NodeExit {
            match node {
                ErrorCountNode::Source => &self.source,
                ErrorCountNode::Filter => &self.filter,
                ErrorCountNode::Count => &self.count,
            }
        }
    }
    impl ::process_graph::__private::fmt::Display for ErrorCountReport {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            ::process_graph::__private::writeln!(f, "{}", self.source)?;
            ::process_graph::__private::writeln!(f, "{}", self.filter)?;
            ::process_graph::__private::writeln!(f, "{}", self.count)?;
            ::process_graph::__private::Result::Ok(())
        }
    }
    impl ::process_graph::__private::Deref for RunningErrorCount {
        type Target = ::process_graph::__private::Running<ErrorCountNode>;
        fn deref(&self) -> &::process_graph::__private::Running<ErrorCountNode> {
            &self.running
        }
    }
    impl ::process_graph::__private::DerefMut for RunningErrorCount {
        fn deref_mut(
            &mut self,
        ) -> &mut ::process_graph::__private::Running<ErrorCountNode> {
            &mut self.running
        }
    }
    impl RunningErrorCount {
        /// The `source` process: its pid, status and signals.
        pub fn source(
            &self,
        ) -> ::process_graph::__private::ProcessHandle<'_, ErrorCountNode> {
            self.running.process(ErrorCountNode::Source)
        }
        /// The `filter` process: its pid, status and signals.
        pub fn filter(
            &self,
        ) -> ::process_graph::__private::ProcessHandle<'_, ErrorCountNode> {
            self.running.process(ErrorCountNode::Filter)
        }
        /// The `count` process: its pid, status and signals.
        pub fn count(
            &self,
        ) -> ::process_graph::__private::ProcessHandle<'_, ErrorCountNode> {
            self.running.process(ErrorCountNode::Count)
        }
        /// Closes the pipe ends the parent writes into (so their readers see
        /// EOF), then waits for every process to end.
        pub fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            ErrorCountReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().wait()?;
            ::process_graph::__private::Result::Ok(ErrorCountReport {
                source: report[ErrorCountNode::Source.id()].clone(),
                filter: report[ErrorCountNode::Filter.id()].clone(),
                count: report[ErrorCountNode::Count.id()].clone(),
                outcome: report.outcome(),
            })
        }
        /// Stops every process still running: the stop signal, then SIGKILL
        /// after `grace`.
        pub fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            ErrorCountReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().shutdown(grace)?;
            ::process_graph::__private::Result::Ok(ErrorCountReport {
                source: report[ErrorCountNode::Source.id()].clone(),
                filter: report[ErrorCountNode::Filter.id()].clone(),
                count: report[ErrorCountNode::Count.id()].clone(),
                outcome: report.outcome(),
            })
        }
    }
    impl ::process_graph::__private::RunningProcessGraph for RunningErrorCount {
        type Node = ErrorCountNode;
        type Report = ErrorCountReport;
        fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            ErrorCountReport,
            ::process_graph::__private::Error,
        > {
            Self::wait(self)
        }
        fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            ErrorCountReport,
            ::process_graph::__private::Error,
        > {
            Self::shutdown(self, grace)
        }
    }
    ::process_graph::__private::if_tokio! {
        impl RunningErrorCount { #[doc =
        r" [`wait`](Self::wait), as a future (feature `tokio`)."] pub async fn
        wait_async(& mut self) -> ::process_graph::__private::Result < ErrorCountReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().wait_async(). await ?;
        ::process_graph::__private::Result::Ok(ErrorCountReport { source :
        report[ErrorCountNode::Source.id()].clone(), filter :
        report[ErrorCountNode::Filter.id()].clone(), count : report[ErrorCountNode::Count
        .id()].clone(), outcome : report.outcome(), }) } #[doc =
        r" [`shutdown`](Self::shutdown), as a future (feature `tokio`):"] #[doc =
        r" await it to know the nodes are stopped. A drop within a tokio"] #[doc =
        r" runtime that still has processes to stop hands the stop to a"] #[doc =
        r" thread of its own and returns at once."] pub async fn shutdown_async(& mut
        self, grace : ::process_graph::__private::Duration) ->
        ::process_graph::__private::Result < ErrorCountReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().shutdown_async(grace). await ?;
        ::process_graph::__private::Result::Ok(ErrorCountReport { source :
        report[ErrorCountNode::Source.id()].clone(), filter :
        report[ErrorCountNode::Filter.id()].clone(), count : report[ErrorCountNode::Count
        .id()].clone(), outcome : report.outcome(), }) } }
    }
    impl ErrorCount {
        /// The shape of [`ErrorCount`] — its processes, edges with their fds, scopes and policies — as data, e.g. to draw it.
        pub const TOPOLOGY: ::process_graph::__private::topology::Topology = ::process_graph::__private::topology::Topology {
            name: ::process_graph::__private::Cow::Borrowed("ErrorCount"),
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
                        name: ::process_graph::__private::Cow::Borrowed("filter"),
                        doc: ::process_graph::__private::Option::None,
                        command: ::process_graph::__private::Option::None,
                        scope: ::process_graph::__private::Option::None,
                        restart: "on-failure",
                        critical: false,
                        oneshot: false,
                        after: ::process_graph::__private::Cow::Borrowed(&[0]),
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
                            ::process_graph::__private::Option::Some(
                                ::process_graph::__private::topology::StdioMode::Prefixed,
                            ),
                        ],
                        passed_fds: ::process_graph::__private::Cow::Borrowed(&[]),
                        listeners: ::process_graph::__private::Cow::Borrowed(&[]),
                        replicas: 1,
                    },
                    ::process_graph::__private::topology::NodeInfo {
                        name: ::process_graph::__private::Cow::Borrowed("count"),
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
                                    node: ::process_graph::__private::Option::Some(1),
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
                                    node: ::process_graph::__private::Option::Some(1),
                                    fd: 1,
                                },
                            ],
                        ),
                        to: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(2),
                                    fd: 0,
                                },
                            ],
                        ),
                    },
                    ::process_graph::__private::topology::EdgeInfo {
                        name: ::process_graph::__private::Option::Some(
                            ::process_graph::__private::Cow::Borrowed("total"),
                        ),
                        doc: ::process_graph::__private::Option::None,
                        kind: ::process_graph::__private::topology::EdgeKind::Pipe,
                        from: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(2),
                                    fd: 1,
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
                    ::process_graph::__private::topology::EdgeInfo {
                        name: ::process_graph::__private::Option::Some(
                            ::process_graph::__private::Cow::Borrowed("control"),
                        ),
                        doc: ::process_graph::__private::Option::None,
                        kind: ::process_graph::__private::topology::EdgeKind::SocketPair,
                        from: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::EndpointInfo {
                                    node: ::process_graph::__private::Option::Some(1),
                                    fd: 3,
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
            strategy: "one_for_all",
            intensity: 5,
            period_ms: 10000,
        };
        /// The [`ErrorCount`] that runs these commands and subgraphs, one per process and `#[subgraph]` field in declaration order; every edge and scope gets its default settings.
        #[allow(clippy::too_many_arguments)]
        pub fn new(source: Cmd, filter: Cmd, count: Cmd) -> Self {
            Self {
                source,
                filter,
                count,
                lines: ::process_graph::__private::Default::default(),
                errors: ::process_graph::__private::Default::default(),
                total: ::process_graph::__private::Default::default(),
                control: ::process_graph::__private::Default::default(),
            }
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
            RunningErrorCount,
            ::process_graph::__private::Error,
        > {
            let (graph, ends, port_ends) = build(self);
            let mut started = graph.spawn()?;
            ::process_graph::__private::Result::Ok(RunningErrorCount {
                total: started.take_reader(ends[0][0]),
                control: started.take_socket(ends[1][0]),
                running: ::process_graph::__private::typed_running(started),
            })
        }
    }
    impl ::process_graph::__private::ProcessGraph for ErrorCount {
        type Node = ErrorCountNode;
        type Running = RunningErrorCount;
        const TOPOLOGY: ::process_graph::__private::topology::Topology = Self::TOPOLOGY;
        type Ports = ErrorCountPorts;
        const PORTS: ErrorCountPorts = ErrorCountPorts {
            total: ::process_graph::__private::port::Output,
            control: ::process_graph::__private::port::Socket,
        };
        type PortEnds = ErrorCountPortEnds;
        fn __port_ends(
            running: &mut ::process_graph::__private::RunningGraph,
            ends: &[::process_graph::__private::Vec<::process_graph::__private::EdgeId>],
        ) -> ErrorCountPortEnds {
            ErrorCountPortEnds {
                total: running.take_reader(ends[0][0]),
                control: running.take_socket(ends[1][0]),
            }
        }
        fn __close_port_writers(ends: &mut ErrorCountPortEnds) {}
        fn graph(self) -> ::process_graph::__private::Graph {
            Self::graph(self)
        }
        fn spawn(
            self,
        ) -> ::process_graph::__private::Result<
            RunningErrorCount,
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
    fn build(
        value: ErrorCount,
    ) -> (
        ::process_graph::__private::Graph,
        [::process_graph::__private::Vec<::process_graph::__private::EdgeId>; 2],
        [::process_graph::__private::Vec<
            ::process_graph::__private::Vec<::process_graph::__private::EdgeId>,
        >; 0],
    ) {
        let field_source: ::process_graph::__private::Command = value.source;
        let field_filter: ::process_graph::__private::Command = value.filter;
        let field_count: ::process_graph::__private::Command = value.count;
        let field_lines: ::process_graph::__private::Pipe = value.lines;
        let field_errors: ::process_graph::__private::Pipe = value.errors;
        let field_total: ::process_graph::__private::Pipe = value.total;
        let field_control: ::process_graph::__private::SocketPair = value.control;
        let mut graph = ::process_graph::__private::Graph::new();
        graph.strategy(::process_graph::__private::Strategy::OneForAll);
        graph.intensity(5, ::process_graph::__private::Duration::from_millis(10000));
        graph.node("source", field_source);
        graph
            .node_with(
                "filter",
                field_filter.stderr(::process_graph::__private::Stdio::Prefixed),
                ::process_graph::__private::NodeOptions::new()
                    .restart(::process_graph::__private::Restart::OnFailure)
                    .after([ErrorCountNode::Source.id()]),
            );
        graph.node("count", field_count);
        let edge_lines = graph
            .pipe_of(
                field_lines,
                [ErrorCountNode::Source.id().stdout()],
                [ErrorCountNode::Filter.id().stdin()],
            );
        graph.name_edge(edge_lines, "lines");
        let edge_errors = graph
            .pipe_of(
                field_errors,
                [ErrorCountNode::Filter.id().stdout()],
                [ErrorCountNode::Count.id().stdin()],
            );
        graph.name_edge(edge_errors, "errors");
        let edge_total = graph
            .pipe_of(
                field_total,
                [ErrorCountNode::Count.id().stdout()],
                [::process_graph::__private::Endpoint::Parent],
            );
        graph.name_edge(edge_total, "total");
        let edge_control = graph
            .socketpair_of(
                field_control,
                ErrorCountNode::Filter.id().fd(3),
                ::process_graph::__private::Endpoint::Parent,
            );
        graph.name_edge(edge_control, "control");
        let parent_ends = [
            graph.replica_edges(edge_total),
            graph.replica_edges(edge_control),
        ];
        (graph, parent_ends, [])
    }
};
