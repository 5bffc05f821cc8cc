// Expansion of this declaration (macros/src/expand/snapshots.rs):
//
// #[process_graph(crate = "pg")]
// struct Sandbox {
//     #[scope(pid, mount, parent = outer)]
//     inner: Scope,
//     #[scope(user, net, uts, hostname = "box")]
//     outer: Scope,
//     #[process(
//         scope = inner,
//         ready = fd(3),
//         ready_timeout = "5s",
//         stop_signal = "SIGINT",
//         stop_timeout = "1m30s",
//         backoff = "100ms..30s",
//         restart = "always",
//         critical,
//         stdin = "null"
//     )]
//     server: Cmd,
//     #[process(scope = outer, after = [server], ready = "notify")]
//     client: Cmd,
//     #[pipe(parent->server.fd(4))]
//     requests: Pipe,
//     #[socketpair(server.fd(5)<->client.fd(5))]
//     link: SocketPair,
// }

///
/** # Graph

 `#[process_graph]` generates `SandboxNode`, `RunningSandbox`, `SandboxReport` and `Sandbox::TOPOLOGY` for this declaration.*/
#[cfg_attr(doc, doc = "")]
#[cfg_attr(doc, doc = "<svg>(Topology::to_svg)</svg>")]
///
///(Topology::to_markdown_tables)
struct Sandbox {
    inner: Scope,
    outer: Scope,
    server: Cmd,
    client: Cmd,
    requests: Pipe,
    link: SocketPair,
}
/// The processes of [`Sandbox`], one variant per `#[process]` field, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum SandboxNode {
    /// The `server` process.
    Server,
    /// The `client` process.
    Client,
}
/// How each process of [`Sandbox`] ended: one field per process, returned by [`RunningSandbox::wait`] and [`RunningSandbox::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct SandboxReport {
    /// How the `server` process ended.
    pub server: pg::__private::NodeExit,
    /// How the `client` process ended.
    pub client: pg::__private::NodeExit,
    outcome: pg::__private::Outcome,
}
/** A started [`Sandbox`], returned by [`Sandbox::spawn`]; the methods every graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, `stop_on_signals`, ...) come from `process_graph::Running`, which it dereferences to.

Dropping it stops every process still running (the stop signal in reverse start order, SIGKILL after the stop timeout) and reaps them all.*/
#[derive(Debug)]
struct RunningSandbox {
    /// The parent's write end of the pipe `requests`; `None` once taken.
    pub requests: pg::__private::Option<pg::__private::PipeWriter>,
    running: pg::__private::Running<SandboxNode>,
}
/// The ports of [`Sandbox`] when it is nested as a `#[subgraph]`: its edges with a `parent` end, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SandboxPorts {
    /// A port of this graph.
    pub requests: pg::__private::port::Input,
}
/// The parent's ends of [`Sandbox`]'s ports when it is nested as a `#[subgraph]`, held by the enclosing graph's running handle in a field named after the subgraph: each port the enclosing graph wires is `None` (empty), each it leaves unwired is the application's to take.
#[derive(Debug)]
struct SandboxPortEnds {
    /// The parent's write end of the pipe `requests`; `None` once taken.
    pub requests: pg::__private::Option<pg::__private::PipeWriter>,
}
const _: () = {
    impl SandboxNode {
        /// Every process (each replica), in declaration order.
        pub const ALL: &'static [Self] = &[Self::Server, Self::Client];
        /// How many copies of each process run, in declaration order.
        const REPLICAS: [u32; 2] = [1, 1];
        /// How many processes the graph declares, before replicas.
        const DECLARED: usize = 2;
        /// How many nodes its subgraphs run, all together.
        const NESTED: usize = 0;
        /// How many nodes the graph runs: every replica, and every node
        /// of its subgraphs.
        pub const COUNT: usize = 2 + Self::NESTED;
        /// The field name of the process (of the subgraph, for one of
        /// its nodes; `Display` gives the whole path).
        pub const fn name(self) -> &'static str {
            match self {
                Self::Server => "server",
                Self::Client => "client",
            }
        }
        /// The process's id in the dynamic graph; an id no node has for
        /// a replica index past the last.
        pub fn id(self) -> pg::__private::NodeId {
            match self {
                Self::Server => {
                    let index = pg::__private::topology::replica_index(
                            &Self::REPLICAS,
                            0,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    pg::__private::NodeId::from_index(index)
                }
                Self::Client => {
                    let index = pg::__private::topology::replica_index(
                            &Self::REPLICAS,
                            1,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    pg::__private::NodeId::from_index(index)
                }
            }
        }
        /// The process with this id, if it is one of this graph's.
        pub fn from_id(id: pg::__private::NodeId) -> pg::__private::Option<Self> {
            let index = id.index();
            let (item, replica) = pg::__private::topology::replica_of(
                &Self::REPLICAS,
                index,
            )?;
            let _ = replica;
            match item {
                0 => pg::__private::Option::Some(Self::Server),
                1 => pg::__private::Option::Some(Self::Client),
                _ => pg::__private::Option::None,
            }
        }
    }
    impl pg::__private::GraphNode for SandboxNode {
        const ALL: &'static [Self] = Self::ALL;
        const COUNT: usize = Self::COUNT;
        fn name(self) -> &'static str {
            Self::name(self)
        }
        fn id(self) -> pg::__private::NodeId {
            Self::id(self)
        }
        fn from_id(id: pg::__private::NodeId) -> pg::__private::Option<Self> {
            Self::from_id(id)
        }
    }
    impl pg::__private::fmt::Display for SandboxNode {
        fn fmt(
            &self,
            f: &mut pg::__private::fmt::Formatter<'_>,
        ) -> pg::__private::fmt::Result {
            match *self {
                Self::Server => f.write_str("server"),
                Self::Client => f.write_str("client"),
            }
        }
    }
    impl SandboxReport {
        /// Every process ran, and its last process exited with code 0.
        pub fn success(&self) -> bool {
            true && self.server.success() && self.client.success()
        }
        /// Why the graph ended.
        pub fn outcome(&self) -> pg::__private::Outcome {
            self.outcome
        }
        /// The entry of one process.
        ///
        /// # Panics
        ///
        /// For a replica index past the last, or a node of a child
        /// another graph added.
        pub fn get(&self, node: SandboxNode) -> &pg::__private::NodeExit {
            match node {
                SandboxNode::Server => &self.server,
                SandboxNode::Client => &self.client,
            }
        }
    }
    impl pg::__private::fmt::Display for SandboxReport {
        fn fmt(
            &self,
            f: &mut pg::__private::fmt::Formatter<'_>,
        ) -> pg::__private::fmt::Result {
            pg::__private::writeln!(f, "{}", self.server)?;
            pg::__private::writeln!(f, "{}", self.client)?;
            pg::__private::Result::Ok(())
        }
    }
    impl pg::__private::Deref for RunningSandbox {
        type Target = pg::__private::Running<SandboxNode>;
        fn deref(&self) -> &pg::__private::Running<SandboxNode> {
            &self.running
        }
    }
    impl pg::__private::DerefMut for RunningSandbox {
        fn deref_mut(&mut self) -> &mut pg::__private::Running<SandboxNode> {
            &mut self.running
        }
    }
    impl RunningSandbox {
        /// The `server` process: its pid, status and signals.
        pub fn server(&self) -> pg::__private::ProcessHandle<'_, SandboxNode> {
            self.running.process(SandboxNode::Server)
        }
        /// The `client` process: its pid, status and signals.
        pub fn client(&self) -> pg::__private::ProcessHandle<'_, SandboxNode> {
            self.running.process(SandboxNode::Client)
        }
        /// Closes the pipe ends the parent writes into (so their readers see
        /// EOF), then waits for every process to end.
        pub fn wait(
            &mut self,
        ) -> pg::__private::Result<SandboxReport, pg::__private::Error> {
            self.requests = pg::__private::Default::default();
            let report = self.running.running_graph_mut().wait()?;
            pg::__private::Result::Ok(SandboxReport {
                server: report[SandboxNode::Server.id()].clone(),
                client: report[SandboxNode::Client.id()].clone(),
                outcome: report.outcome(),
            })
        }
        /// Stops every process still running: the stop signal, then SIGKILL
        /// after `grace`.
        pub fn shutdown(
            &mut self,
            grace: pg::__private::Duration,
        ) -> pg::__private::Result<SandboxReport, pg::__private::Error> {
            let report = self.running.running_graph_mut().shutdown(grace)?;
            pg::__private::Result::Ok(SandboxReport {
                server: report[SandboxNode::Server.id()].clone(),
                client: report[SandboxNode::Client.id()].clone(),
                outcome: report.outcome(),
            })
        }
    }
    impl pg::__private::RunningProcessGraph for RunningSandbox {
        type Node = SandboxNode;
        type Report = SandboxReport;
        fn wait(
            &mut self,
        ) -> pg::__private::Result<SandboxReport, pg::__private::Error> {
            Self::wait(self)
        }
        fn shutdown(
            &mut self,
            grace: pg::__private::Duration,
        ) -> pg::__private::Result<SandboxReport, pg::__private::Error> {
            Self::shutdown(self, grace)
        }
    }
    pg::__private::if_tokio! {
        impl RunningSandbox { #[doc =
        r" [`wait`](Self::wait), as a future (feature `tokio`)."] pub async fn
        wait_async(& mut self) -> pg::__private::Result < SandboxReport,
        pg::__private::Error > { self.requests = pg::__private::Default::default(); let
        report = self.running.running_graph_mut().wait_async(). await ?;
        pg::__private::Result::Ok(SandboxReport { server : report[SandboxNode::Server
        .id()].clone(), client : report[SandboxNode::Client.id()].clone(), outcome :
        report.outcome(), }) } #[doc =
        r" [`shutdown`](Self::shutdown), as a future (feature `tokio`):"] #[doc =
        r" await it to know the nodes are stopped. A drop within a tokio"] #[doc =
        r" runtime that still has processes to stop hands the stop to a"] #[doc =
        r" thread of its own and returns at once."] pub async fn shutdown_async(& mut
        self, grace : pg::__private::Duration) -> pg::__private::Result < SandboxReport,
        pg::__private::Error > { let report = self.running.running_graph_mut()
        .shutdown_async(grace). await ?; pg::__private::Result::Ok(SandboxReport { server
        : report[SandboxNode::Server.id()].clone(), client : report[SandboxNode::Client
        .id()].clone(), outcome : report.outcome(), }) } }
    }
    impl Sandbox {
        /// The shape of [`Sandbox`] — its processes, edges with their fds, scopes and policies — as data, e.g. to draw it.
        pub const TOPOLOGY: pg::__private::topology::Topology = pg::__private::topology::Topology {
            name: pg::__private::Cow::Borrowed("Sandbox"),
            nodes: pg::__private::Cow::Borrowed(
                &[
                    pg::__private::topology::NodeInfo {
                        name: pg::__private::Cow::Borrowed("server"),
                        doc: pg::__private::Option::None,
                        command: pg::__private::Option::None,
                        scope: pg::__private::Option::Some(0),
                        restart: "always",
                        critical: true,
                        oneshot: false,
                        after: pg::__private::Cow::Borrowed(&[]),
                        after_subgraphs: pg::__private::Cow::Borrowed(&[]),
                        ready: pg::__private::Option::Some(
                            pg::__private::topology::Ready::Fd(3),
                        ),
                        ready_timeout_ms: pg::__private::Option::Some(5000),
                        ready_probe: pg::__private::Option::None,
                        live_probe: pg::__private::Option::None,
                        watchdog_ms: pg::__private::Option::None,
                        notify_access: "main",
                        stdio: [
                            pg::__private::Option::Some(
                                pg::__private::topology::StdioMode::Null,
                            ),
                            pg::__private::Option::None,
                            pg::__private::Option::None,
                        ],
                        passed_fds: pg::__private::Cow::Borrowed(&[]),
                        listeners: pg::__private::Cow::Borrowed(&[]),
                        replicas: 1,
                    },
                    pg::__private::topology::NodeInfo {
                        name: pg::__private::Cow::Borrowed("client"),
                        doc: pg::__private::Option::None,
                        command: pg::__private::Option::None,
                        scope: pg::__private::Option::Some(1),
                        restart: "never",
                        critical: false,
                        oneshot: false,
                        after: pg::__private::Cow::Borrowed(&[0]),
                        after_subgraphs: pg::__private::Cow::Borrowed(&[]),
                        ready: pg::__private::Option::Some(
                            pg::__private::topology::Ready::Notify,
                        ),
                        ready_timeout_ms: pg::__private::Option::None,
                        ready_probe: pg::__private::Option::None,
                        live_probe: pg::__private::Option::None,
                        watchdog_ms: pg::__private::Option::None,
                        notify_access: "main",
                        stdio: [
                            pg::__private::Option::None,
                            pg::__private::Option::None,
                            pg::__private::Option::None,
                        ],
                        passed_fds: pg::__private::Cow::Borrowed(&[]),
                        listeners: pg::__private::Cow::Borrowed(&[]),
                        replicas: 1,
                    },
                ],
            ),
            edges: pg::__private::Cow::Borrowed(
                &[
                    pg::__private::topology::EdgeInfo {
                        name: pg::__private::Option::Some(
                            pg::__private::Cow::Borrowed("requests"),
                        ),
                        doc: pg::__private::Option::None,
                        kind: pg::__private::topology::EdgeKind::Pipe,
                        from: pg::__private::Cow::Borrowed(
                            &[
                                pg::__private::topology::EndpointInfo {
                                    node: pg::__private::Option::None,
                                    fd: -1,
                                },
                            ],
                        ),
                        to: pg::__private::Cow::Borrowed(
                            &[
                                pg::__private::topology::EndpointInfo {
                                    node: pg::__private::Option::Some(0),
                                    fd: 4,
                                },
                            ],
                        ),
                    },
                    pg::__private::topology::EdgeInfo {
                        name: pg::__private::Option::Some(
                            pg::__private::Cow::Borrowed("link"),
                        ),
                        doc: pg::__private::Option::None,
                        kind: pg::__private::topology::EdgeKind::SocketPair,
                        from: pg::__private::Cow::Borrowed(
                            &[
                                pg::__private::topology::EndpointInfo {
                                    node: pg::__private::Option::Some(0),
                                    fd: 5,
                                },
                            ],
                        ),
                        to: pg::__private::Cow::Borrowed(
                            &[
                                pg::__private::topology::EndpointInfo {
                                    node: pg::__private::Option::Some(1),
                                    fd: 5,
                                },
                            ],
                        ),
                    },
                ],
            ),
            scopes: pg::__private::Cow::Borrowed(
                &[
                    pg::__private::topology::ScopeInfo {
                        name: pg::__private::Cow::Borrowed("inner"),
                        doc: pg::__private::Option::None,
                        namespaces: pg::__private::Cow::Borrowed(&["pid", "mount"]),
                        hostname: pg::__private::Option::None,
                        parent: pg::__private::Option::Some(1),
                    },
                    pg::__private::topology::ScopeInfo {
                        name: pg::__private::Cow::Borrowed("outer"),
                        doc: pg::__private::Option::None,
                        namespaces: pg::__private::Cow::Borrowed(
                            &["user", "net", "uts"],
                        ),
                        hostname: pg::__private::Option::Some(
                            pg::__private::Cow::Borrowed("box"),
                        ),
                        parent: pg::__private::Option::None,
                    },
                ],
            ),
            subgraphs: pg::__private::Cow::Borrowed(&[]),
            strategy: "one_for_one",
            intensity: 3,
            period_ms: 5000,
        };
        /// The [`Sandbox`] that runs these commands and subgraphs, one per process and `#[subgraph]` field in declaration order; every edge and scope gets its default settings.
        #[allow(clippy::too_many_arguments)]
        pub fn new(server: Cmd, client: Cmd) -> Self {
            Self {
                inner: pg::__private::Default::default(),
                outer: pg::__private::Default::default(),
                server,
                client,
                requests: pg::__private::Default::default(),
                link: pg::__private::Default::default(),
            }
        }
        /// The dynamic graph this declaration stands for, to inspect or
        /// extend before spawning it.
        pub fn graph(self) -> pg::__private::Graph {
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
        ) -> pg::__private::Result<RunningSandbox, pg::__private::Error> {
            let (graph, ends, port_ends) = build(self);
            let mut started = graph.spawn()?;
            pg::__private::Result::Ok(RunningSandbox {
                requests: started.take_writer(ends[0][0]),
                running: pg::__private::typed_running(started),
            })
        }
    }
    impl pg::__private::ProcessGraph for Sandbox {
        type Node = SandboxNode;
        type Running = RunningSandbox;
        const TOPOLOGY: pg::__private::topology::Topology = Self::TOPOLOGY;
        type Ports = SandboxPorts;
        const PORTS: SandboxPorts = SandboxPorts {
            requests: pg::__private::port::Input,
        };
        type PortEnds = SandboxPortEnds;
        fn __port_ends(
            running: &mut pg::__private::RunningGraph,
            ends: &[pg::__private::Vec<pg::__private::EdgeId>],
        ) -> SandboxPortEnds {
            SandboxPortEnds {
                requests: running.take_writer(ends[0][0]),
            }
        }
        fn __close_port_writers(ends: &mut SandboxPortEnds) {
            ends.requests = pg::__private::Default::default();
        }
        fn graph(self) -> pg::__private::Graph {
            Self::graph(self)
        }
        fn spawn(self) -> pg::__private::Result<RunningSandbox, pg::__private::Error> {
            Self::spawn(self)
        }
        fn __graph_with_ends(
            self,
        ) -> (
            pg::__private::Graph,
            pg::__private::Vec<pg::__private::Vec<pg::__private::EdgeId>>,
        ) {
            let (graph, ends, _) = build(self);
            (graph, pg::__private::Vec::from(ends))
        }
    }
    fn build(
        value: Sandbox,
    ) -> (
        pg::__private::Graph,
        [pg::__private::Vec<pg::__private::EdgeId>; 1],
        [pg::__private::Vec<pg::__private::Vec<pg::__private::EdgeId>>; 0],
    ) {
        let field_inner: pg::__private::Scope = value.inner;
        let field_outer: pg::__private::Scope = value.outer;
        let field_server: pg::__private::Command = value.server;
        let field_client: pg::__private::Command = value.client;
        let field_requests: pg::__private::Pipe = value.requests;
        let field_link: pg::__private::SocketPair = value.link;
        let mut graph = pg::__private::Graph::new();
        let scope_outer = graph
            .scope(
                "outer",
                pg::__private::ScopeSpec::new([
                        pg::__private::Namespace::User,
                        pg::__private::Namespace::Net,
                        pg::__private::Namespace::Uts,
                    ])
                    .hostname("box")
                    .settings(field_outer),
            );
        let scope_inner = graph
            .scope(
                "inner",
                pg::__private::ScopeSpec::new([
                        pg::__private::Namespace::Pid,
                        pg::__private::Namespace::Mount,
                    ])
                    .parent(scope_outer)
                    .settings(field_inner),
            );
        graph
            .node_with(
                "server",
                field_server.stdin(pg::__private::Stdio::Null),
                pg::__private::NodeOptions::new()
                    .restart(pg::__private::Restart::Always)
                    .critical(true)
                    .ready(pg::__private::Readiness::Fd(3))
                    .ready_timeout(pg::__private::Duration::from_millis(5000))
                    .stop_signal(pg::__private::signal_named("INT"))
                    .stop_timeout(pg::__private::Duration::from_millis(90000))
                    .backoff(
                        pg::__private::Duration::from_millis(100),
                        pg::__private::Duration::from_millis(30000),
                    )
                    .scope(scope_inner),
            );
        graph
            .node_with(
                "client",
                field_client,
                pg::__private::NodeOptions::new()
                    .after([SandboxNode::Server.id()])
                    .ready(pg::__private::Readiness::Notify)
                    .scope(scope_outer),
            );
        let edge_requests = graph
            .pipe_of(
                field_requests,
                [pg::__private::Endpoint::Parent],
                [SandboxNode::Server.id().fd(4)],
            );
        graph.name_edge(edge_requests, "requests");
        let edge_link = graph
            .socketpair_of(
                field_link,
                SandboxNode::Server.id().fd(5),
                SandboxNode::Client.id().fd(5),
            );
        graph.name_edge(edge_link, "link");
        let parent_ends = [graph.replica_edges(edge_requests)];
        (graph, parent_ends, [])
    }
};
