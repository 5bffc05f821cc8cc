//! Joining two ports: an output port of one subgraph feeding an input port
//! of another (or two socketpair ports) become one edge between the nodes
//! behind them, with no end left to the parent — the wiring the two graphs
//! would have had if they had been declared as one.
//!
//! The input side's edge (the second port) carries the joined wiring, as
//! [`Graph::connect`] would leave it; the first becomes
//! [`EdgeKind::Joined`], which keeps every id handed out valid (ids are
//! positions) and stands for nothing: no fd, no line in a diagram.

use std::fmt;

use super::{EdgeId, EdgeKind, Endpoint, Graph};

/// What a port carries, seen from the graph that wires it: which end of its
/// edge the parent holds until the port is connected or joined.
///
/// ```
/// use process_graph_runtime::{Command, Endpoint, Graph, PortKind};
///
/// let mut graph = Graph::new();
/// let cat = graph.node("cat", Command::new("cat"));
/// let input = graph.pipe(Endpoint::Parent, cat.stdin());
/// let output = graph.pipe(cat.stdout(), Endpoint::Parent);
/// assert_eq!(graph.port_kind(input), Some(PortKind::Input));
/// assert_eq!(graph.port_kind(output), Some(PortKind::Output));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// A pipe into the edge's nodes: the parent is one of its writers.
    Input,
    /// A pipe out of the edge's nodes: the parent is its reader.
    Output,
    /// A socketpair: the parent holds one end.
    Socket,
}

impl fmt::Display for PortKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortKind::Input => "an input",
            PortKind::Output => "an output",
            PortKind::Socket => "a socketpair end",
        })
    }
}

impl Graph {
    /// The kind of port `edge` is: which end the parent holds. `None` for an
    /// edge between nodes only, an edge this graph does not have, and a port
    /// already connected or joined.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Endpoint, Graph, PortKind};
    ///
    /// let mut graph = Graph::new();
    /// let cat = graph.node("cat", Command::new("cat"));
    /// let input = graph.pipe(Endpoint::Parent, cat.stdin());
    /// assert_eq!(graph.port_kind(input), Some(PortKind::Input));
    /// let source = graph.node("source", Command::new("echo").arg("hi"));
    /// graph.connect(input, source.stdout())?;
    /// assert_eq!(graph.port_kind(input), None); // connected: no parent end left
    /// # Ok::<(), process_graph_runtime::NotAPort>(())
    /// ```
    pub fn port_kind(&self, edge: EdgeId) -> Option<PortKind> {
        let has_parent = |ends: &[Endpoint]| ends.contains(&Endpoint::Parent);
        match &self.edges.get(edge.index())?.kind {
            EdgeKind::Pipe { readers, .. } if has_parent(readers) => Some(PortKind::Output),
            EdgeKind::Pipe { writers, .. } if has_parent(writers) => Some(PortKind::Input),
            EdgeKind::SocketPair { ends, .. } if has_parent(ends) => Some(PortKind::Socket),
            EdgeKind::Pipe { .. } | EdgeKind::SocketPair { .. } | EdgeKind::Joined { .. } => None,
        }
    }

    /// Joins port `from` to port `to` — typically two subgraphs' ports (see
    /// [`Nested::edge`](crate::Nested::edge)) — into one edge: the writers
    /// of output port `from` write into the pipe input port `to` reads
    /// from, or the node ends of two socketpair ports become the two ends
    /// of one socketpair. No end is left to the parent: neither id has a
    /// parent end to take afterwards. The joined edge is `to`, with its
    /// name and settings (a pipe's capacity); `from` stays a valid id that
    /// stands for nothing. The wiring rules then check the edge as if it
    /// had been declared so.
    ///
    /// ```
    /// use std::io::Read;
    /// use process_graph_runtime::{Command, Endpoint, Graph, SubgraphFailure};
    ///
    /// // A producer whose output is a port, a consumer whose input is one.
    /// let mut producer = Graph::new();
    /// let seq = producer.node("seq", Command::new("seq").arg("3"));
    /// let out = producer.pipe(seq.stdout(), Endpoint::Parent);
    /// let mut consumer = Graph::new();
    /// let wc = consumer.node("wc", Command::new("wc").arg("-l"));
    /// let input = consumer.pipe(Endpoint::Parent, wc.stdin());
    /// let count = consumer.pipe(wc.stdout(), Endpoint::Parent);
    ///
    /// let mut app = Graph::new();
    /// let p = app.subgraph("producer", producer, SubgraphFailure::Restart);
    /// let c = app.subgraph("consumer", consumer, SubgraphFailure::Restart);
    /// app.join(p.edge(out), c.edge(input))?; // seq | wc -l, one pipe
    ///
    /// let mut running = app.spawn()?;
    /// assert!(running.take_reader(p.edge(out)).is_none()); // no parent end left
    /// let mut text = String::new();
    /// running.take_reader(c.edge(count)).unwrap().read_to_string(&mut text)?;
    /// assert_eq!(text.trim(), "3");
    /// assert!(running.wait()?.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`JoinError`] naming both ports when either is no port, when they
    /// are the same port, or when their kinds cannot meet: a pipe joins an
    /// [`Output`](PortKind::Output) to an [`Input`](PortKind::Input), a
    /// socketpair port joins a socketpair port. The graph is then unchanged.
    pub fn join(&mut self, from: EdgeId, to: EdgeId) -> Result<(), JoinError> {
        let kind_of = |edge: EdgeId| {
            self.port_kind(edge)
                .ok_or_else(|| JoinError::NotAPort(self.port_name(edge)))
        };
        let (from_kind, to_kind) = (kind_of(from)?, kind_of(to)?);
        if from == to {
            return Err(JoinError::SamePort(self.port_name(from)));
        }
        let ends: Vec<Endpoint> = match (&self.edges[from.index()].kind, from_kind, to_kind) {
            (EdgeKind::Pipe { writers, .. }, PortKind::Output, PortKind::Input) => writers.clone(),
            (EdgeKind::SocketPair { ends, .. }, PortKind::Socket, PortKind::Socket) => ends
                .iter()
                .copied()
                .filter(|e| *e != Endpoint::Parent)
                .collect(),
            _ => {
                return Err(JoinError::Kinds {
                    from: (self.port_name(from), from_kind),
                    to: (self.port_name(to), to_kind),
                });
            }
        };
        // `to` is a port of the kind `ends` fits; only a socketpair with the
        // parent at both ends (which validation refuses) leaves no end.
        self.connect(to, ends)
            .map_err(|_| JoinError::NotAPort(self.port_name(to)))?;
        self.edges[from.index()].kind = EdgeKind::Joined { into: to };
        Ok(())
    }

    fn port_name(&self, edge: EdgeId) -> PortName {
        PortName {
            edge,
            name: self
                .edges
                .get(edge.index())
                .and_then(|spec| spec.name.clone()),
        }
    }
}

/// A port as a [`JoinError`] names it: by its name (`db.results`, a
/// subgraph's edge named by path), or by its id when it has none.
///
/// ```
/// use process_graph_runtime::{Command, Graph, JoinError};
///
/// let mut graph = Graph::new();
/// let a = graph.node("a", Command::new("true"));
/// let b = graph.node("b", Command::new("true"));
/// let lines = graph.pipe(a.stdout(), b.stdin()); // between nodes: not a port
/// graph.name_edge(lines, "lines");
/// let Err(JoinError::NotAPort(port)) = graph.join(lines, lines) else { panic!() };
/// assert_eq!((port.edge, port.name.as_deref()), (lines, Some("lines")));
/// assert_eq!(port.to_string(), "\"lines\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortName {
    /// The port's edge.
    pub edge: EdgeId,
    /// The edge's name, if it has one.
    pub name: Option<String>,
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name:?}"),
            None => write!(f, "#{}", self.edge.index()),
        }
    }
}

/// [`Graph::join`] refused two ports; the graph is unchanged.
///
/// ```
/// use process_graph_runtime::{Command, Endpoint, Graph, JoinError, PortKind};
///
/// let mut graph = Graph::new();
/// let a = graph.node("a", Command::new("true"));
/// let b = graph.node("b", Command::new("true"));
/// let a_out = graph.pipe(a.stdout(), Endpoint::Parent);
/// let b_out = graph.pipe(b.stdout(), Endpoint::Parent);
/// graph.name_edge(a_out, "a.out");
/// graph.name_edge(b_out, "b.out");
/// let refused = graph.join(a_out, b_out).unwrap_err();
/// assert!(matches!(refused, JoinError::Kinds { to: (_, PortKind::Output), .. }));
/// assert_eq!(
///     refused.to_string(),
///     "cannot join port \"a.out\" (an output) to port \"b.out\" (an output): \
///      a pipe joins an output port to an input port, a socketpair end to a socketpair end"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The edge has no parent end: there is no such edge, its ends are all
    /// nodes', or the port was already connected or joined.
    NotAPort(PortName),
    /// Both sides name the same port.
    SamePort(PortName),
    /// The two ports' kinds cannot meet, each port with its kind.
    Kinds {
        /// The port data would come from.
        from: (PortName, PortKind),
        /// The port data would go to.
        to: (PortName, PortKind),
    },
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::NotAPort(port) => write!(
                f,
                "edge {port} is not a port: it has no parent end to join \
                 (it joins nodes only, or it was connected or joined already)"
            ),
            JoinError::SamePort(port) => write!(f, "cannot join port {port} to itself"),
            JoinError::Kinds {
                from: (from, from_kind),
                to: (to, to_kind),
            } => write!(
                f,
                "cannot join port {from} ({from_kind}) to port {to} ({to_kind}): \
                 a pipe joins an output port to an input port, a socketpair end to a \
                 socketpair end"
            ),
        }
    }
}

impl std::error::Error for JoinError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, SubgraphFailure};

    /// A graph of one node `n` with an input port, an output port and a
    /// socketpair port, each named.
    fn ports() -> (Graph, [EdgeId; 3]) {
        let mut graph = Graph::new();
        let n = graph.node("n", Command::new("true"));
        let input = graph.pipe(Endpoint::Parent, n.stdin());
        let output = graph.pipe(n.stdout(), Endpoint::Parent);
        let socket = graph.socketpair(n.fd(3), Endpoint::Parent);
        for (edge, name) in [(input, "input"), (output, "output"), (socket, "socket")] {
            graph.name_edge(edge, name);
        }
        (graph, [input, output, socket])
    }

    /// Subgraphs `a` and `b`, each [`ports`].
    fn two_subgraphs() -> (Graph, crate::Nested, crate::Nested, [EdgeId; 3]) {
        let mut app = Graph::new();
        let (inner, ids) = ports();
        let a = app.subgraph("a", inner.clone(), SubgraphFailure::Restart);
        let b = app.subgraph("b", inner, SubgraphFailure::Restart);
        (app, a, b, ids)
    }

    #[test]
    fn an_output_joined_to_an_input_is_one_pipe_between_the_nodes() {
        let (mut app, a, b, [input, output, _]) = two_subgraphs();
        app.join(a.edge(output), b.edge(input)).unwrap();
        let topology = app.topology();
        let joined = topology
            .edges
            .iter()
            .find(|e| e.name.as_deref() == Some("b.input"))
            .unwrap();
        let a_n = a.nodes().next().unwrap().index();
        let b_n = b.nodes().next().unwrap().index();
        assert_eq!(
            (joined.from[0].node, joined.from[0].fd),
            (Some(a_n), 1),
            "{joined:?}"
        );
        assert_eq!((joined.to[0].node, joined.to[0].fd), (Some(b_n), 0));
        // The first port is drawn and checked no more, and has no parent end.
        assert!(
            topology
                .edges
                .iter()
                .all(|e| e.name.as_deref() != Some("a.output"))
        );
        assert_eq!(app.port_kind(a.edge(output)), None);
        assert_eq!(app.port_kind(b.edge(input)), None);
        // a.input, b.output and both sockets are still ports.
        assert_eq!(app.port_kind(a.edge(input)), Some(PortKind::Input));
        app.validate().unwrap();
    }

    #[test]
    fn two_socketpair_ports_become_one_socketpair() {
        let (mut app, a, b, [_, _, socket]) = two_subgraphs();
        app.join(a.edge(socket), b.edge(socket)).unwrap();
        let topology = app.topology();
        let joined = topology
            .edges
            .iter()
            .find(|e| e.name.as_deref() == Some("b.socket"))
            .unwrap();
        let a_n = a.nodes().next().unwrap().index();
        let b_n = b.nodes().next().unwrap().index();
        // b's own end stays where it was; a's takes the parent's place.
        assert_eq!(
            (joined.from[0].node, joined.to[0].node),
            (Some(b_n), Some(a_n))
        );
        app.validate().unwrap();
    }

    #[test]
    fn ports_whose_kinds_cannot_meet_are_refused_by_name_and_the_graph_kept() {
        let (mut app, a, b, [input, output, socket]) = two_subgraphs();
        let before = format!("{:?}", app.topology());
        let name = |n: &str| PortName {
            edge: app.edge_named(n).unwrap(),
            name: Some(n.to_owned()),
        };
        let cases = [
            (
                a.edge(input),
                b.edge(output),
                "a.input",
                PortKind::Input,
                "b.output",
                PortKind::Output,
            ),
            (
                a.edge(output),
                b.edge(output),
                "a.output",
                PortKind::Output,
                "b.output",
                PortKind::Output,
            ),
            (
                a.edge(output),
                b.edge(socket),
                "a.output",
                PortKind::Output,
                "b.socket",
                PortKind::Socket,
            ),
            (
                a.edge(socket),
                b.edge(input),
                "a.socket",
                PortKind::Socket,
                "b.input",
                PortKind::Input,
            ),
        ];
        for (from, to, from_name, from_kind, to_name, to_kind) in cases {
            assert_eq!(
                app.clone().join(from, to),
                Err(JoinError::Kinds {
                    from: (name(from_name), from_kind),
                    to: (name(to_name), to_kind),
                })
            );
        }
        let same = name("a.socket");
        assert_eq!(
            app.join(a.edge(socket), a.edge(socket)),
            Err(JoinError::SamePort(same))
        );
        assert_eq!(format!("{:?}", app.topology()), before);
    }

    #[test]
    fn a_port_joins_once() {
        let (mut app, a, b, [input, output, _]) = two_subgraphs();
        app.join(a.edge(output), b.edge(input)).unwrap();
        let a_input = a.edge(input);
        assert_eq!(
            app.join(a.edge(output), a_input),
            Err(JoinError::NotAPort(PortName {
                edge: a.edge(output),
                name: Some("a.output".into()),
            }))
        );
        assert!(app.connect(a.edge(output), [Endpoint::Parent]).is_err());
        assert_eq!(
            JoinError::NotAPort(PortName {
                edge: EdgeId::from_index(9),
                name: None
            })
            .to_string(),
            "edge #9 is not a port: it has no parent end to join \
             (it joins nodes only, or it was connected or joined already)"
        );
    }
}
