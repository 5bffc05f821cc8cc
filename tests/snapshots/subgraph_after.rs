// Expansion of this declaration (macros/src/expand/snapshots.rs):
//
// #[process_graph()]
// /// `web` after the whole of `db`; `db` after the one-shot
// /// `migrate`, `cache` after `db`.
// pub struct Ordered {
//     #[process(oneshot)]
//     migrate: Cmd,
//     #[process(after = [migrate, db])]
//     web: Cmd,
//     #[subgraph(after = [migrate])]
//     db: Db,
//     #[subgraph(after = [db])]
//     cache: Cache,
// }

/// `web` after the whole of `db`; `db` after the one-shot
/// `migrate`, `cache` after `db`.
///
/** # Graph

 `#[process_graph]` generates `OrderedNode`, `RunningOrdered`, `OrderedReport` and `Ordered::TOPOLOGY` for this declaration.*/
#[cfg_attr(doc, doc = "")]
#[cfg_attr(doc, doc = "<svg>(Topology::to_svg)</svg>")]
///
/// Each subgraph is drawn as a frame, with the ports this graph wires on its border; its own processes and diagram are in its type's docs: `db` is a [`Db`], `cache` is a [`Cache`].
#[cfg_attr(doc, allow(rustdoc::private_intra_doc_links))]
///
///(Topology::to_markdown_tables)
pub struct Ordered {
    migrate: Cmd,
    web: Cmd,
    db: Db,
    cache: Cache,
}
#[cfg(not(doc))]
#[allow(non_camel_case_types)]
type __Ordered_nested_db = <::process_graph::__private::Nest<
    Db,
    { Ordered::__nested_db },
> as ::process_graph::__private::NestedGraph>::Graph;
#[cfg(doc)]
#[allow(non_camel_case_types)]
type __Ordered_nested_db = Db;
#[cfg(not(doc))]
#[allow(non_camel_case_types)]
type __Ordered_nested_cache = <::process_graph::__private::Nest<
    Cache,
    { Ordered::__nested_cache },
> as ::process_graph::__private::NestedGraph>::Graph;
#[cfg(doc)]
#[allow(non_camel_case_types)]
type __Ordered_nested_cache = Cache;
/// The processes of [`Ordered`], one variant per `#[process]` field, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderedNode {
    /// The `migrate` process.
    Migrate,
    /// The `web` process.
    Web,
    /// A node of the `db` subgraph.
    Db(<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node),
    /// A node of the `cache` subgraph.
    Cache(<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node),
}
/// How each process of [`Ordered`] ended: one field per process, returned by [`RunningOrdered::wait`] and [`RunningOrdered::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedReport {
    /// How the `migrate` process ended.
    pub migrate: ::process_graph::__private::NodeExit,
    /// How the `web` process ended.
    pub web: ::process_graph::__private::NodeExit,
    /// How each node of the `db` subgraph ended, in the order of its node ids.
    pub db: ::process_graph::__private::Vec<::process_graph::__private::NodeExit>,
    /// How each node of the `cache` subgraph ended, in the order of its node ids.
    pub cache: ::process_graph::__private::Vec<::process_graph::__private::NodeExit>,
    outcome: ::process_graph::__private::Outcome,
}
/** A started [`Ordered`], returned by [`Ordered::spawn`]; the methods every graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, `stop_on_signals`, ...) come from `process_graph::Running`, which it dereferences to.

Dropping it stops every process still running (the stop signal in reverse start order, SIGKILL after the stop timeout) and reaps them all.*/
#[derive(Debug)]
pub struct RunningOrdered {
    /// The parent's ends of the ports of subgraph `db` that this graph leaves unwired (`None` for each port it wires).
    pub db: <__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::PortEnds,
    /// The parent's ends of the ports of subgraph `cache` that this graph leaves unwired (`None` for each port it wires).
    pub cache: <__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::PortEnds,
    running: ::process_graph::__private::Running<OrderedNode>,
}
/// The ports of [`Ordered`] when it is nested as a `#[subgraph]`: its edges with a `parent` end, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderedPorts {}
/// The parent's ends of [`Ordered`]'s ports when it is nested as a `#[subgraph]`, held by the enclosing graph's running handle in a field named after the subgraph: each port the enclosing graph wires is `None` (empty), each it leaves unwired is the application's to take.
#[derive(Debug)]
pub struct OrderedPortEnds {}
const _: () = {
    #[allow(non_upper_case_globals)]
    impl Ordered {
        const __nested_db: usize = <Db as ::process_graph::__private::Subgraph>::CHECKED;
        const __nested_cache: usize = <Cache as ::process_graph::__private::Subgraph>::CHECKED;
    }
    impl OrderedNode {
        /// Every process (each replica), in declaration order.
        pub const ALL: &'static [Self] = &[Self::Migrate, Self::Web];
        /// How many copies of each process run, in declaration order.
        const REPLICAS: [u32; 2] = [1, 1];
        /// How many processes the graph declares, before replicas.
        const DECLARED: usize = 2;
        /// How many nodes its subgraphs run, all together.
        const NESTED: usize = 0
            + <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
            + <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
        /// How many nodes the graph runs: every replica, and every node
        /// of its subgraphs.
        pub const COUNT: usize = 2 + Self::NESTED;
        /// The field name of the process (of the subgraph, for one of
        /// its nodes; `Display` gives the whole path).
        pub const fn name(self) -> &'static str {
            match self {
                Self::Migrate => "migrate",
                Self::Web => "web",
                Self::Db(_) => "db",
                Self::Cache(_) => "cache",
            }
        }
        /// The process's id in the dynamic graph; an id no node has for
        /// a replica index past the last.
        pub fn id(self) -> ::process_graph::__private::NodeId {
            match self {
                Self::Migrate => {
                    let index = ::process_graph::__private::topology::replica_index(
                            &Self::REPLICAS,
                            0,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    ::process_graph::__private::NodeId::from_index(
                        if index >= Self::DECLARED {
                            index.saturating_add(Self::NESTED)
                        } else {
                            index
                        },
                    )
                }
                Self::Web => {
                    let index = ::process_graph::__private::topology::replica_index(
                            &Self::REPLICAS,
                            1,
                            0,
                        )
                        .unwrap_or(usize::MAX);
                    ::process_graph::__private::NodeId::from_index(
                        if index >= Self::DECLARED {
                            index.saturating_add(Self::NESTED)
                        } else {
                            index
                        },
                    )
                }
                Self::Db(inner) => {
                    ::process_graph::__private::NodeId::from_index(
                        Self::DECLARED + 0
                            + ::process_graph::__private::GraphNode::id(inner).index(),
                    )
                }
                Self::Cache(inner) => {
                    ::process_graph::__private::NodeId::from_index(
                        Self::DECLARED + 0
                            + <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
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
                    < <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
                {
                    return <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                            ::process_graph::__private::NodeId::from_index(nested),
                        )
                        .map(Self::Db);
                }
                nested
                    -= <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
                if nested
                    < <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT
                {
                    return <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                            ::process_graph::__private::NodeId::from_index(nested),
                        )
                        .map(Self::Cache);
                }
                nested
                    -= <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT;
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
                0 => ::process_graph::__private::Option::Some(Self::Migrate),
                1 => ::process_graph::__private::Option::Some(Self::Web),
                _ => ::process_graph::__private::Option::None,
            }
        }
    }
    impl ::process_graph::__private::GraphNode for OrderedNode {
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
    impl ::process_graph::__private::fmt::Display for OrderedNode {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            match *self {
                Self::Migrate => f.write_str("migrate"),
                Self::Web => f.write_str("web"),
                Self::Db(inner) => ::process_graph::__private::write!(f, "db.{}", inner),
                Self::Cache(inner) => {
                    ::process_graph::__private::write!(f, "cache.{}", inner)
                }
            }
        }
    }
    impl OrderedReport {
        /// Every process ran, and its last process exited with code 0.
        pub fn success(&self) -> bool {
            true && self.migrate.success() && self.web.success()
                && self.db.iter().all(::process_graph::__private::NodeExit::success)
                && self.cache.iter().all(::process_graph::__private::NodeExit::success)
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
        pub fn get(&self, node: OrderedNode) -> &::process_graph::__private::NodeExit {
            match node {
                OrderedNode::Migrate => &self.migrate,
                OrderedNode::Web => &self.web,
                OrderedNode::Db(inner) => {
                    &self.db[::process_graph::__private::GraphNode::id(inner).index()]
                }
                OrderedNode::Cache(inner) => {
                    &self.cache[::process_graph::__private::GraphNode::id(inner).index()]
                }
            }
        }
    }
    impl ::process_graph::__private::fmt::Display for OrderedReport {
        fn fmt(
            &self,
            f: &mut ::process_graph::__private::fmt::Formatter<'_>,
        ) -> ::process_graph::__private::fmt::Result {
            ::process_graph::__private::writeln!(f, "{}", self.migrate)?;
            ::process_graph::__private::writeln!(f, "{}", self.web)?;
            for exit in &self.db {
                ::process_graph::__private::writeln!(f, "{}", exit)?;
            }
            for exit in &self.cache {
                ::process_graph::__private::writeln!(f, "{}", exit)?;
            }
            ::process_graph::__private::Result::Ok(())
        }
    }
    impl ::process_graph::__private::Deref for RunningOrdered {
        type Target = ::process_graph::__private::Running<OrderedNode>;
        fn deref(&self) -> &::process_graph::__private::Running<OrderedNode> {
            &self.running
        }
    }
    impl ::process_graph::__private::DerefMut for RunningOrdered {
        fn deref_mut(
            &mut self,
        ) -> &mut ::process_graph::__private::Running<OrderedNode> {
            &mut self.running
        }
    }
    impl RunningOrdered {
        /// The `migrate` process: its pid, status and signals.
        pub fn migrate(
            &self,
        ) -> ::process_graph::__private::ProcessHandle<'_, OrderedNode> {
            self.running.process(OrderedNode::Migrate)
        }
        /// The `web` process: its pid, status and signals.
        pub fn web(&self) -> ::process_graph::__private::ProcessHandle<'_, OrderedNode> {
            self.running.process(OrderedNode::Web)
        }
        /// Closes the pipe ends the parent writes into (so their readers see
        /// EOF), then waits for every process to end.
        pub fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            OrderedReport,
            ::process_graph::__private::Error,
        > {
            <__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::__close_port_writers(
                &mut self.db,
            );
            <__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::__close_port_writers(
                &mut self.cache,
            );
            let report = self.running.running_graph_mut().wait()?;
            ::process_graph::__private::Result::Ok(OrderedReport {
                migrate: report[OrderedNode::Migrate.id()].clone(),
                web: report[OrderedNode::Web.id()].clone(),
                db: (0..<<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[OrderedNode::Db(inner).id()].clone())
                    .collect(),
                cache: (0..<<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[OrderedNode::Cache(inner).id()].clone())
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
            OrderedReport,
            ::process_graph::__private::Error,
        > {
            let report = self.running.running_graph_mut().shutdown(grace)?;
            ::process_graph::__private::Result::Ok(OrderedReport {
                migrate: report[OrderedNode::Migrate.id()].clone(),
                web: report[OrderedNode::Web.id()].clone(),
                db: (0..<<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[OrderedNode::Db(inner).id()].clone())
                    .collect(),
                cache: (0..<<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::COUNT)
                    .filter_map(|k| <<__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::Node as ::process_graph::__private::GraphNode>::from_id(
                        ::process_graph::__private::NodeId::from_index(k),
                    ))
                    .map(|inner| report[OrderedNode::Cache(inner).id()].clone())
                    .collect(),
                outcome: report.outcome(),
            })
        }
    }
    impl ::process_graph::__private::RunningProcessGraph for RunningOrdered {
        type Node = OrderedNode;
        type Report = OrderedReport;
        fn wait(
            &mut self,
        ) -> ::process_graph::__private::Result<
            OrderedReport,
            ::process_graph::__private::Error,
        > {
            Self::wait(self)
        }
        fn shutdown(
            &mut self,
            grace: ::process_graph::__private::Duration,
        ) -> ::process_graph::__private::Result<
            OrderedReport,
            ::process_graph::__private::Error,
        > {
            Self::shutdown(self, grace)
        }
    }
    ::process_graph::__private::if_tokio! {
        impl RunningOrdered { #[doc =
        r" [`wait`](Self::wait), as a future (feature `tokio`)."] pub async fn
        wait_async(& mut self) -> ::process_graph::__private::Result < OrderedReport,
        ::process_graph::__private::Error > { < __Ordered_nested_db as
        ::process_graph::__private::ProcessGraph > ::__close_port_writers(& mut self.db);
        < __Ordered_nested_cache as ::process_graph::__private::ProcessGraph >
        ::__close_port_writers(& mut self.cache); let report = self.running
        .running_graph_mut().wait_async(). await ?;
        ::process_graph::__private::Result::Ok(OrderedReport { migrate :
        report[OrderedNode::Migrate.id()].clone(), web : report[OrderedNode::Web.id()]
        .clone(), db : (0.. < < __Ordered_nested_db as
        ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Ordered_nested_db as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[OrderedNode::Db(inner).id()].clone()).collect(), cache : (0.. < <
        __Ordered_nested_cache as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Ordered_nested_cache as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[OrderedNode::Cache(inner).id()].clone()).collect(), outcome : report
        .outcome(), }) } #[doc =
        r" [`shutdown`](Self::shutdown), as a future (feature `tokio`):"] #[doc =
        r" await it to know the nodes are stopped. A drop within a tokio"] #[doc =
        r" runtime that still has processes to stop hands the stop to a"] #[doc =
        r" thread of its own and returns at once."] pub async fn shutdown_async(& mut
        self, grace : ::process_graph::__private::Duration) ->
        ::process_graph::__private::Result < OrderedReport,
        ::process_graph::__private::Error > { let report = self.running
        .running_graph_mut().shutdown_async(grace). await ?;
        ::process_graph::__private::Result::Ok(OrderedReport { migrate :
        report[OrderedNode::Migrate.id()].clone(), web : report[OrderedNode::Web.id()]
        .clone(), db : (0.. < < __Ordered_nested_db as
        ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Ordered_nested_db as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[OrderedNode::Db(inner).id()].clone()).collect(), cache : (0.. < <
        __Ordered_nested_cache as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode > ::COUNT).filter_map(| k | < <
        __Ordered_nested_cache as ::process_graph::__private::ProcessGraph > ::Node as
        ::process_graph::__private::GraphNode >
        ::from_id(::process_graph::__private::NodeId::from_index(k))).map(| inner |
        report[OrderedNode::Cache(inner).id()].clone()).collect(), outcome : report
        .outcome(), }) } }
    }
    impl Ordered {
        /// The shape of [`Ordered`] — its processes, edges with their fds, scopes and policies — as data, e.g. to draw it.
        pub const TOPOLOGY: ::process_graph::__private::topology::Topology = ::process_graph::__private::topology::Topology {
            name: ::process_graph::__private::Cow::Borrowed("Ordered"),
            nodes: ::process_graph::__private::Cow::Borrowed(
                &[
                    ::process_graph::__private::topology::NodeInfo {
                        name: ::process_graph::__private::Cow::Borrowed("migrate"),
                        doc: ::process_graph::__private::Option::None,
                        command: ::process_graph::__private::Option::None,
                        scope: ::process_graph::__private::Option::None,
                        restart: "never",
                        critical: false,
                        oneshot: true,
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
                        name: ::process_graph::__private::Cow::Borrowed("web"),
                        doc: ::process_graph::__private::Option::None,
                        command: ::process_graph::__private::Option::None,
                        scope: ::process_graph::__private::Option::None,
                        restart: "never",
                        critical: false,
                        oneshot: false,
                        after: ::process_graph::__private::Cow::Borrowed(&[0]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[0]),
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
            edges: ::process_graph::__private::Cow::Borrowed(&[]),
            scopes: ::process_graph::__private::Cow::Borrowed(&[]),
            subgraphs: ::process_graph::__private::Cow::Borrowed(
                &[
                    ::process_graph::__private::topology::SubgraphInfo {
                        name: ::process_graph::__private::Cow::Borrowed("db"),
                        doc: ::process_graph::__private::Option::None,
                        type_name: ::process_graph::__private::Cow::Borrowed("Db"),
                        on_failure: "restart",
                        scope: ::process_graph::__private::Option::None,
                        ports: ::process_graph::__private::Cow::Borrowed(&[]),
                        after: ::process_graph::__private::Cow::Borrowed(&[0]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[]),
                    },
                    ::process_graph::__private::topology::SubgraphInfo {
                        name: ::process_graph::__private::Cow::Borrowed("cache"),
                        doc: ::process_graph::__private::Option::None,
                        type_name: ::process_graph::__private::Cow::Borrowed("Cache"),
                        on_failure: "restart",
                        scope: ::process_graph::__private::Option::None,
                        ports: ::process_graph::__private::Cow::Borrowed(&[]),
                        after: ::process_graph::__private::Cow::Borrowed(&[]),
                        after_subgraphs: ::process_graph::__private::Cow::Borrowed(&[0]),
                    },
                ],
            ),
            strategy: "one_for_one",
            intensity: 3,
            period_ms: 5000,
        };
        /// The [`Ordered`] that runs these commands and subgraphs, one per process and `#[subgraph]` field in declaration order; every edge and scope gets its default settings.
        #[allow(clippy::too_many_arguments)]
        pub fn new(migrate: Cmd, web: Cmd, db: Db, cache: Cache) -> Self {
            Self { migrate, web, db, cache }
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
            RunningOrdered,
            ::process_graph::__private::Error,
        > {
            let (graph, ends, port_ends) = build(self);
            let mut started = graph.spawn()?;
            ::process_graph::__private::Result::Ok(RunningOrdered {
                db: <__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::__port_ends(
                    &mut started,
                    &port_ends[0],
                ),
                cache: <__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::__port_ends(
                    &mut started,
                    &port_ends[1],
                ),
                running: ::process_graph::__private::typed_running(started),
            })
        }
    }
    impl ::process_graph::__private::ProcessGraph for Ordered {
        type Node = OrderedNode;
        type Running = RunningOrdered;
        const TOPOLOGY: ::process_graph::__private::topology::Topology = Self::TOPOLOGY;
        type Ports = OrderedPorts;
        const PORTS: OrderedPorts = OrderedPorts {};
        type PortEnds = OrderedPortEnds;
        fn __port_ends(
            running: &mut ::process_graph::__private::RunningGraph,
            ends: &[::process_graph::__private::Vec<::process_graph::__private::EdgeId>],
        ) -> OrderedPortEnds {
            OrderedPortEnds {}
        }
        fn __close_port_writers(ends: &mut OrderedPortEnds) {}
        fn graph(self) -> ::process_graph::__private::Graph {
            Self::graph(self)
        }
        fn spawn(
            self,
        ) -> ::process_graph::__private::Result<
            RunningOrdered,
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
        value: Ordered,
    ) -> (
        ::process_graph::__private::Graph,
        [::process_graph::__private::Vec<::process_graph::__private::EdgeId>; 0],
        [::process_graph::__private::Vec<
            ::process_graph::__private::Vec<::process_graph::__private::EdgeId>,
        >; 2],
    ) {
        let field_migrate: ::process_graph::__private::Command = value.migrate;
        let field_web: ::process_graph::__private::Command = value.web;
        let field_db: Db = value.db;
        let field_cache: Cache = value.cache;
        let mut graph = ::process_graph::__private::Graph::new();
        graph
            .node_with(
                "migrate",
                field_migrate,
                ::process_graph::__private::NodeOptions::new().oneshot(true),
            );
        graph
            .node_with(
                "web",
                field_web,
                ::process_graph::__private::NodeOptions::new()
                    .after([OrderedNode::Migrate.id()]),
            );
        let (inner_db, ends_db) = <__Ordered_nested_db as ::process_graph::__private::ProcessGraph>::__graph_with_ends(
            field_db,
        );
        let _nested_db = graph
            .subgraph(
                "db",
                inner_db,
                ::process_graph::__private::SubgraphFailure::Restart,
            );
        let ends_db = ::process_graph::__private::nested_ends(&_nested_db, ends_db);
        let (inner_cache, ends_cache) = <__Ordered_nested_cache as ::process_graph::__private::ProcessGraph>::__graph_with_ends(
            field_cache,
        );
        let _nested_cache = graph
            .subgraph(
                "cache",
                inner_cache,
                ::process_graph::__private::SubgraphFailure::Restart,
            );
        let ends_cache = ::process_graph::__private::nested_ends(
            &_nested_cache,
            ends_cache,
        );
        graph.start_after([OrderedNode::Web.id()], _nested_db.nodes());
        graph.start_after(_nested_db.nodes(), [OrderedNode::Migrate.id()]);
        graph.start_after(_nested_cache.nodes(), _nested_db.nodes());
        let parent_ends = [];
        (graph, parent_ends, [ends_db, ends_cache])
    }
};
