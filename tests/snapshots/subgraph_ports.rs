// Expansion of this declaration (macros/src/expand/snapshots.rs):
//
// #[process_graph()]
// /// `producer`'s output port feeds `consumer`'s input port, and
// /// their control sockets are one socketpair: two edges of the
// /// subgraphs joined into one each.
// pub struct Joined {
//     #[subgraph]
//     producer: Producer,
//     #[subgraph]
//     consumer: Consumer,
//     #[pipe(producer.lines->consumer.input)]
//     lines: Pipe,
//     #[socketpair(producer.control<->consumer.control)]
//     control: SocketPair,
// }

/// `producer`'s output port feeds `consumer`'s input port, and
/// their control sockets are one socketpair: two edges of the
/// subgraphs joined into one each.
///
/** # Graph

 `#[process_graph]` generates `JoinedNode`, `RunningJoined`, `JoinedReport` and `Joined::TOPOLOGY` for this declaration.*/
#[cfg_attr(doc, doc = "")]
#[cfg_attr(doc, doc = "<svg>(Topology::to_svg)</svg>")]
///
/// Each subgraph is drawn as a frame, with the ports this graph wires on its border; its own processes and diagram are in its type's docs: `producer` is a [`Producer`], `consumer` is a [`Consumer`].
#[cfg_attr(doc, allow(rustdoc::private_intra_doc_links))]
///
///(Topology::to_markdown_tables)
pub struct Joined {
    producer: Producer,
    consumer: Consumer,
    lines: Pipe,
    control: SocketPair,
}
#[cfg(not(doc))]
#[allow(non_camel_case_types)]
type __Joined_nested_producer = <::process_graph::__private::Nest<
    Producer,
    { Joined::__nested_producer },
> as ::process_graph::__private::NestedGraph>::Graph;
#[cfg(doc)]
#[allow(non_camel_case_types)]
type __Joined_nested_producer = Producer;
#[cfg(not(doc))]
#[allow(non_camel_case_types)]
type __Joined_nested_consumer = <::process_graph::__private::Nest<
    Consumer,
    { Joined::__nested_consumer },
> as ::process_graph::__private::NestedGraph>::Graph;
#[cfg(doc)]
#[allow(non_camel_case_types)]
type __Joined_nested_consumer = Consumer;
/// The processes of [`Joined`], one variant per `#[process]` field, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JoinedNode {
    /// A node of the `producer` subgraph.
    Producer(
        <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node,
    ),
    /// A node of the `consumer` subgraph.
    Consumer(
        <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node,
    ),
}
/// How each process of [`Joined`] ended: one field per process, returned by [`RunningJoined::wait`] and [`RunningJoined::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedReport {
    /// How each node of the `producer` subgraph ended, in the order of its node ids.
    pub producer: ::process_graph::__private::Vec<::process_graph::__private::NodeExit>,
    /// How each node of the `consumer` subgraph ended, in the order of its node ids.
    pub consumer: ::process_graph::__private::Vec<::process_graph::__private::NodeExit>,
    outcome: ::process_graph::__private::Outcome,
}
/** A started [`Joined`], returned by [`Joined::spawn`]; the methods every graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, `stop_on_signals`, ...) come from `process_graph::Running`, which it dereferences to.

Dropping it stops every process still running (the stop signal in reverse start order, SIGKILL after the stop timeout) and reaps them all.*/
#[derive(Debug)]
pub struct RunningJoined {
    /// The parent's ends of the ports of subgraph `producer` that this graph leaves unwired (`None` for each port it wires).
    pub producer: <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::PortEnds,
    /// The parent's ends of the ports of subgraph `consumer` that this graph leaves unwired (`None` for each port it wires).
    pub consumer: <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::PortEnds,
    running: ::process_graph::__private::Running<JoinedNode>,
}
/// The ports of [`Joined`] when it is nested as a `#[subgraph]`: its edges with a `parent` end, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinedPorts {}
/// The parent's ends of [`Joined`]'s ports when it is nested as a `#[subgraph]`, held by the enclosing graph's running handle in a field named after the subgraph: each port the enclosing graph wires is `None` (empty), each it leaves unwired is the application's to take.
#[derive(Debug)]
pub struct JoinedPortEnds {}
const _: () = {
    #[allow(non_upper_case_globals)]
    impl Joined {
        const __nested_producer: usize = <Producer as ::process_graph::__private::Subgraph>::CHECKED;
        const __nested_consumer: usize = <Consumer as ::process_graph::__private::Subgraph>::CHECKED;
    }
    impl JoinedNode {
        /// Every process (each replica), in declaration order.
        pub const ALL: &'static [Self] = &[];
        /// How many copies of each process run, in declaration order.
        const REPLICAS: [u32; 0] = [];
        /// How many processes the graph declares, before replicas.
        const DECLARED: usize = 0;
        /// How many nodes its subgraphs run, all together.
        const NESTED: usize = 0
            + <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
            + <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
        /// How many nodes the graph runs: every replica, and every node
        /// of its subgraphs.
        pub const COUNT: usize = 0 + Self::NESTED;
        /// The field name of the process (of the subgraph, for one of
        /// its nodes; `Display` gives the whole path).
        pub const fn name(self) -> &'static str {
            match self {
                Self::Producer(_) => "producer",
                Self::Consumer(_) => "consumer",
            }
        }
        /// The process's id in the dynamic graph; an id no node has for
        /// a replica index past the last.
        pub fn id(self) -> ::process_graph::__private::NodeId {
            match self {
                Self::Producer(inner) => {
                    ::process_graph::__private::NodeId::from_index(
                        Self::DECLARED + 0
                            + ::process_graph::__private::GraphNode::id(inner).index(),
                    )
                }
                Self::Consumer(inner) => {
                    ::process_graph::__private::NodeId::from_index(
                        Self::DECLARED + 0
                            + <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
                            + ::process_graph::__private::GraphNode::id(inner).index(),
                    )
                }
            }
        }
        /// The process with this id, if it is one of this graph's.
        pub fn from_id(
            id: ::process_graph::__private::NodeId,
        ) -> ::process_graph::__private::Option<Self> {
            let index = id.index();
            let mut nested = index.wrapping_sub(Self::DECLARED);
            if index >= Self::DECLARED && nested < Self::NESTED {
                if nested
                    < <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
                {
                    return <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                            ::process_graph::__private::NodeId::from_index(nested),
                        )
                        .map(Self::Producer);
                }
                nested
                    -= <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
                if nested
                    < <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
                {
                    return <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                            ::process_graph::__private::NodeId::from_index(nested),
                        )
                        .map(Self::Consumer);
                }
                nested
                    -= <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
                let _ = nested;
                return ::process_graph::__private::Option::None;
            }
            let index = if index >= Self::DECLARED + Self::NESTED {
                index - Self::NESTED
            } else {
                index
            };
            let (item, replica) = ::process_graph::__private::topology::replica_of(
                &Self::REPLICAS,
                index,
            )?;
            let _ = replica;
            match item {
                _ => ::process_graph::__private::Option::None,
            }
        }
    }
    impl ::process_graph::__private::GraphNode for JoinedNode {
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
    impl ::process_graph::__private::fmt::Display for JoinedNode {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            match *self {
                Self::Producer(inner) => {
                    ::process_graph::__private::write!(f, "producer.{}", inner)
                }
                Self::Consumer(inner) => {
                    ::process_graph::__private::write!(f, "consumer.{}", inner)
                }
            }
        }
    }
    impl JoinedReport {
        /// Every process ran, and its last process exited with code 0.
        pub fn success(&self) -> bool {
            true
                && self
                    .producer
                    .iter()
                    .all(::process_graph::__private::NodeExit::success)
                && self
                    .consumer
                    .iter()
                    .all(::process_graph::__private::NodeExit::success)
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
        pub fn get(&self, node: JoinedNode) -> &::process_graph::__private::NodeExit {
            match node {
                JoinedNode::Producer(inner) => {
                    &self
                        .producer[::process_graph::__private::GraphNode::id(inner)
                        .index()]
                }
                JoinedNode::Consumer(inner) => {
                    &self
                        .consumer[::process_graph::__private::GraphNode::id(inner)
                        .index()]
                }
            }
        }
    }
    impl ::process_graph::__private::fmt::Display for JoinedReport {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            for exit in &self.producer {
                ::process_graph::__private::writeln!(f, "{}", exit)?;
            }
            for exit in &self.consumer {
                ::process_graph::__private::writeln!(f, "{}", exit)?;
            }
            ::process_graph::__private::Result::Ok(())
        }
    }
    impl ::process_graph::__private::Deref for RunningJoined {
        type Target = ::process_graph::__private::Running<JoinedNode>;
        fn deref(&self) -> &::process_graph::__private::Running<JoinedNode> {
            &self.running
        }
    }
    impl ::process_graph::__private::DerefMut for RunningJoined {
        fn deref_mut(&mut self) -> &mut ::process_graph::__private::Running<JoinedNode> {
            &mut self.running
        }
    }
    impl RunningJoined {
        /// Closes the pipe ends the parent writes into (so their readers see
        /// EOF), then waits for every process to end.
        pub fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            JoinedReport,
            ::process_graph::__private::Error,
        > {
            <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::__close_port_writers(
                &mut self.producer,
            );
            <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::__close_port_writers(
                &mut self.consumer,
            );
            let report = self.running.running_graph_mut().wait()?;
            ::process_graph::__private::Result::Ok(JoinedReport {
                producer: (0..<<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[JoinedNode::Producer(inner).id()].clone())
                    .collect(),
                consumer: (0..<<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[JoinedNode::Consumer(inner).id()].clone())
                    .collect(),
                outcome: report.outcome(),
            })
        }
        /// Stops every process still running: the stop signal, then SIGKILL
        /// after `grace`.
        pub fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            JoinedReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().shutdown(grace)?;
            ::process_graph::__private::Result::Ok(JoinedReport {
                producer: (0..<<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[JoinedNode::Producer(inner).id()].clone())
                    .collect(),
                consumer: (0..<<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[JoinedNode::Consumer(inner).id()].clone())
                    .collect(),
                outcome: report.outcome(),
            })
        }
    }
    impl ::process_graph::__private::RunningProcessGraph for RunningJoined {
        type Node = JoinedNode;
        type Report = JoinedReport;
        fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            JoinedReport,
            ::process_graph::__private::Error,
        > {
            Self::wait(self)
        }
        fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            JoinedReport,
            ::process_graph::__private::Error,
        > {
            Self::shutdown(self, grace)
        }
    }
    ::process_graph::__private::if_tokio! {
        impl RunningJoined { #[doc =
        r" [`wait`](Self::wait), as a future (feature `tokio`)."] pub async fn
        wait_async(& mut self) -> ::process_graph::__private::Result < JoinedReport,
        ::process_graph::__private::Error > { < __Joined_nested_producer as
        ::process_graph::__private::ProcessGraph > ::__close_port_writers(& mut self
        .producer); < __Joined_nested_consumer as
        ::process_graph::__private::ProcessGraph > ::__close_port_writers(& mut self
        .consumer); let report = self.running.running_graph_mut().wait_async(). await ?;
        ::process_graph::__private::Result::Ok(JoinedReport { producer : (0.. < <
        __Joined_nested_producer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Joined_nested_producer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[JoinedNode::Producer(inner).id()].clone()).collect(), consumer : (0.. < <
        __Joined_nested_consumer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Joined_nested_consumer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[JoinedNode::Consumer(inner).id()].clone()).collect(), outcome : report
        .outcome(), }) } #[doc =
        r" [`shutdown`](Self::shutdown), as a future (feature `tokio`):"] #[doc =
        r" await it to know the nodes are stopped. A drop within a tokio"] #[doc =
        r" runtime that still has processes to stop hands the stop to a"] #[doc =
        r" thread of its own and returns at once."] pub async fn shutdown_async(& mut
        self, grace : ::process_graph::__private::Duration) ->
        ::process_graph::__private::Result < JoinedReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().shutdown_async(grace). await ?;
        ::process_graph::__private::Result::Ok(JoinedReport { producer : (0.. < <
        __Joined_nested_producer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Joined_nested_producer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[JoinedNode::Producer(inner).id()].clone()).collect(), consumer : (0.. < <
        __Joined_nested_consumer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Joined_nested_consumer as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[JoinedNode::Consumer(inner).id()].clone()).collect(), outcome : report
        .outcome(), }) } }
    }
    impl Joined {
        /// The shape of [`Joined`] — its processes, edges with their fds, scopes and policies — as data, e.g. to draw it.
        pub const TOPOLOGY: ::process_graph::__private::topology::Topology = ::process_graph::__private::topology::Topology {
            name: ::process_graph::__private::Cow::Borrowed("Joined"),
            nodes: ::process_graph::__private::Cow::Borrowed(&[]),
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
                                    node: ::process_graph::__private::Option::None,
                                    fd: -1,
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
                                    node: ::process_graph::__private::Option::None,
                                    fd: -1,
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
            subgraphs: ::process_graph::__private::Cow::Borrowed(
                &[
                    ::process_graph::__private::topology::SubgraphInfo {
                        name: ::process_graph::__private::Cow::Borrowed("producer"),
                        doc: ::process_graph::__private::Option::None,
                        type_name: ::process_graph::__private::Cow::Borrowed("Producer"),
                        on_failure: "restart",
                        scope: ::process_graph::__private::Option::None,
                        ports: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::PortInfo {
                                    name: ::process_graph::__private::Cow::Borrowed("lines"),
                                    edge: 0,
                                    side: ::process_graph::__private::topology::Side::From,
                                    end: 0,
                                },
                                ::process_graph::__private::topology::PortInfo {
                                    name: ::process_graph::__private::Cow::Borrowed("control"),
                                    edge: 1,
                                    side: ::process_graph::__private::topology::Side::From,
                                    end: 0,
                                },
                            ],
                        ),
                        after: ::process_graph::__private::Cow::Borrowed(&[]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
                    },
                    ::process_graph::__private::topology::SubgraphInfo {
                        name: ::process_graph::__private::Cow::Borrowed("consumer"),
                        doc: ::process_graph::__private::Option::None,
                        type_name: ::process_graph::__private::Cow::Borrowed("Consumer"),
                        on_failure: "restart",
                        scope: ::process_graph::__private::Option::None,
                        ports: ::process_graph::__private::Cow::Borrowed(
                            &[
                                ::process_graph::__private::topology::PortInfo {
                                    name: ::process_graph::__private::Cow::Borrowed("input"),
                                    edge: 0,
                                    side: ::process_graph::__private::topology::Side::To,
                                    end: 0,
                                },
                                ::process_graph::__private::topology::PortInfo {
                                    name: ::process_graph::__private::Cow::Borrowed("control"),
                                    edge: 1,
                                    side: ::process_graph::__private::topology::Side::To,
                                    end: 0,
                                },
                            ],
                        ),
                        after: ::process_graph::__private::Cow::Borrowed(&[]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
                    },
                ],
            ),
            strategy: "one_for_one",
            intensity: 3,
            period_ms: 5000,
        };
        /// The [`Joined`] that runs these commands and subgraphs, one per process and `#[subgraph]` field in declaration order; every edge and scope gets its default settings.
        #[allow(clippy::too_many_arguments)]
        pub fn new(producer: Producer, consumer: Consumer) -> Self {
            Self {
                producer,
                consumer,
                lines: ::process_graph::__private::Default::default(),
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
            RunningJoined,
            ::process_graph::__private::Error,
        > {
            let (graph, ends, port_ends) = build(self);
            let mut started = graph.spawn()?;
            ::process_graph::__private::Result::Ok(RunningJoined {
                producer: <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::__port_ends(
                    &mut started,
                    &port_ends[0],
                ),
                consumer: <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::__port_ends(
                    &mut started,
                    &port_ends[1],
                ),
                running: ::process_graph::__private::typed_running(started),
            })
        }
    }
    impl ::process_graph::__private::ProcessGraph for Joined {
        type Node = JoinedNode;
        type Running = RunningJoined;
        const TOPOLOGY: ::process_graph::__private::topology::Topology = Self::TOPOLOGY;
        type Ports = JoinedPorts;
        const PORTS: JoinedPorts = JoinedPorts {};
        type PortEnds = JoinedPortEnds;
        fn __port_ends(
            running: &mut ::process_graph::__private::RunningGraph,
            ends: &[::process_graph::__private::Vec<::process_graph::__private::EdgeId>],
        ) -> JoinedPortEnds {
            JoinedPortEnds {}
        }
        fn __close_port_writers(ends: &mut JoinedPortEnds) {}
        fn graph(self) -> ::process_graph::__private::Graph {
            Self::graph(self)
        }
        fn spawn(
            self,
        ) -> ::process_graph::__private::Result<
            RunningJoined,
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
    const _: ::process_graph::__private::port::Output = <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::PORTS
        .lines;
    const _: ::process_graph::__private::port::Input = <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::PORTS
        .input;
    const _: ::process_graph::__private::port::Socket = <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::PORTS
        .control;
    const _: ::process_graph::__private::port::Socket = <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::PORTS
        .control;
    fn build(
        value: Joined,
    ) -> (
        ::process_graph::__private::Graph,
        [::process_graph::__private::Vec<::process_graph::__private::EdgeId>; 0],
        [::process_graph::__private::Vec<
            ::process_graph::__private::Vec<::process_graph::__private::EdgeId>,
        >; 2],
    ) {
        let field_producer: Producer = value.producer;
        let field_consumer: Consumer = value.consumer;
        let field_lines: ::process_graph::__private::Pipe = value.lines;
        let field_control: ::process_graph::__private::SocketPair = value.control;
        let mut graph = ::process_graph::__private::Graph::new();
        let (inner_producer, ends_producer) = <__Joined_nested_producer as ::process_graph::__private::ProcessGraph>::__graph_with_ends(
            field_producer,
        );
        let _nested_producer = graph
            .subgraph(
                "producer",
                inner_producer,
                ::process_graph::__private::SubgraphFailure::Restart,
            );
        let ends_producer = ::process_graph::__private::nested_ends(
            &_nested_producer,
            ends_producer,
        );
        let (inner_consumer, ends_consumer) = <__Joined_nested_consumer as ::process_graph::__private::ProcessGraph>::__graph_with_ends(
            field_consumer,
        );
        let _nested_consumer = graph
            .subgraph(
                "consumer",
                inner_consumer,
                ::process_graph::__private::SubgraphFailure::Restart,
            );
        let ends_consumer = ::process_graph::__private::nested_ends(
            &_nested_consumer,
            ends_consumer,
        );
        graph
            .join(
                graph
                    .edge_named("producer.lines")
                    .expect("a port checked at compile time"),
                graph
                    .edge_named("consumer.input")
                    .expect("a port checked at compile time"),
            )
            .expect("ports checked at compile time");
        graph
            .join(
                graph
                    .edge_named("producer.control")
                    .expect("a port checked at compile time"),
                graph
                    .edge_named("consumer.control")
                    .expect("a port checked at compile time"),
            )
            .expect("ports checked at compile time");
        let parent_ends = [];
        (graph, parent_ends, [ends_producer, ends_consumer])
    }
};
