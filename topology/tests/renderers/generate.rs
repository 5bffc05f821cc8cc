//! Deterministic pseudo-random topologies: a seed and a size give the same
//! graph on every run, with scopes (some nested), pipes with one or two
//! writers, socketpairs, `after` dependencies, the parent on some ends
//! (some of them subgraphs' ports), and now and then a loop, a long command
//! or text that needs escaping.

use process_graph_topology::{
    EdgeInfo, EdgeKind, EndpointInfo, List, NodeInfo, PortInfo, Ready, ScopeInfo, Side,
    SubgraphInfo, Text, Topology,
};

/// xorshift64* (Vigna): small, fast, good enough to shake a layout.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // A zero state would stay zero.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn list<T: Clone>(items: Vec<T>) -> List<T> {
    items.into()
}

fn text(value: String) -> Text {
    value.into()
}

const WORDS: &[&str] = &[
    "gen", "filter", "sink", "server", "db", "cache", "worker", "log", "proxy", "fetch",
];
const COMMANDS: &[&str] = &[
    "cat input.txt",
    "grep -v '^#'",
    "sort -u",
    "./server --port 8080 --verbose --config /etc/server/config.toml",
    "sh -c \"a && b || c < d > e\"",
    "printf 'x\\ty'",
    "tr 'a-z' 'A-Z'",
];
const NAMESPACES: &[&str] = &["user", "pid", "net", "mount", "uts", "ipc"];
const RESTARTS: &[&str] = &["never", "on-failure", "always"];

pub fn random_topology(seed: u64, nodes: usize) -> Topology {
    let mut rng = XorShift::new(seed);
    let scope_count = rng.below(nodes.min(8) / 2 + 2);
    let scopes: Vec<ScopeInfo> = (0..scope_count)
        .map(|s| ScopeInfo {
            name: text(format!("scope{s}")),
            namespaces: list(
                NAMESPACES
                    .iter()
                    .copied()
                    .filter(|_| rng.percent(40))
                    .collect(),
            ),
            hostname: rng.percent(20).then(|| text(format!("host{s}"))),
            doc: None,
            parent: (s > 0 && rng.percent(40)).then(|| rng.below(s)),
        })
        .collect();
    let node_list: Vec<NodeInfo> = (0..nodes)
        .map(|n| NodeInfo {
            name: text(format!("{}{n}", rng.pick(WORDS))),
            command: rng.percent(70).then(|| rng.pick(COMMANDS).into()),
            scope: (scope_count > 0 && rng.percent(55)).then(|| rng.below(scope_count)),
            restart: rng.pick(RESTARTS),
            critical: rng.percent(10),
            after: if n > 0 && rng.percent(20) {
                list(vec![rng.below(n)])
            } else {
                list(Vec::new())
            },
            ready: rng.pick(&[None, None, Some(Ready::Fd(3)), Some(Ready::Notify)]),
            ..NodeInfo::default()
        })
        .collect();
    let endpoint = |rng: &mut XorShift, fds: &[i32]| {
        if rng.percent(8) {
            EndpointInfo { node: None, fd: -1 }
        } else {
            EndpointInfo {
                node: Some(rng.below(nodes)),
                fd: rng.pick(fds),
            }
        }
    };
    let edge_count = nodes + rng.below(nodes / 2 + 1);
    let edges: Vec<EdgeInfo> = (0..edge_count)
        .map(|e| {
            let socketpair = rng.percent(25);
            let writers = if !socketpair && rng.percent(12) { 2 } else { 1 };
            let from: Vec<EndpointInfo> = (0..writers)
                .map(|_| endpoint(&mut rng, &[1, 2, 3, 5, 7]))
                .collect();
            let mut to = endpoint(&mut rng, &[0, 4, 6, 8]);
            if to.node.is_none() && from.iter().any(|f| f.node.is_none()) {
                to = EndpointInfo {
                    node: Some(rng.below(nodes)),
                    fd: 0,
                };
            }
            EdgeInfo {
                name: Some(text(format!("edge{e}"))),
                doc: None,
                kind: if socketpair {
                    EdgeKind::SocketPair
                } else {
                    EdgeKind::Pipe
                },
                from: list(from),
                to: list(vec![to]),
            }
        })
        .collect();
    let subgraphs = random_subgraphs(seed, &edges, scope_count, nodes);
    // Nodes after subgraphs, from a generator of its own too.
    let mut rng = XorShift::new(seed ^ 0xa57e_4a11);
    let mut node_list = node_list;
    for node in node_list.iter_mut() {
        if !subgraphs.is_empty() && rng.percent(15) {
            node.after_subgraphs = list(vec![rng.below(subgraphs.len())]);
        }
    }
    Topology {
        name: text(format!("Random{seed}")),
        nodes: list(node_list),
        edges: list(edges),
        scopes: list(scopes),
        subgraphs: list(subgraphs),
        strategy: "one_for_one",
        intensity: 3,
        period_ms: 5000,
    }
}

/// Up to three subgraphs, some in a scope, some after a node or an earlier
/// subgraph, each parent end of an edge made one of their ports half the
/// time (a few ports share a name: one port, several lines). From a
/// generator of its own, so the rest of the graph is the same with or
/// without them.
fn random_subgraphs(
    seed: u64,
    edges: &[EdgeInfo],
    scopes: usize,
    nodes: usize,
) -> Vec<SubgraphInfo> {
    let mut rng = XorShift::new(seed ^ 0x5eed_5ab6);
    let count = rng.below(4);
    let mut subgraphs: Vec<SubgraphInfo> = (0..count)
        .map(|s| SubgraphInfo {
            name: text(format!("sub{s}")),
            type_name: text(format!("Inner{s}")),
            on_failure: rng.pick(&["restart", "escalate"]),
            scope: (scopes > 0 && rng.percent(40)).then(|| rng.below(scopes)),
            after: list(if nodes > 0 && rng.percent(25) {
                vec![rng.below(nodes)]
            } else {
                Vec::new()
            }),
            after_subgraphs: list(if s > 0 && rng.percent(25) {
                vec![rng.below(s)]
            } else {
                Vec::new()
            }),
            ..SubgraphInfo::default()
        })
        .collect();
    if count == 0 {
        return subgraphs;
    }
    let mut ports: Vec<Vec<PortInfo>> = vec![Vec::new(); count];
    for (e, edge) in edges.iter().enumerate() {
        for (side, ends) in [(Side::From, &edge.from), (Side::To, &edge.to)] {
            for (end, endpoint) in ends.iter().enumerate() {
                if endpoint.node.is_none() && rng.percent(50) {
                    let s = rng.below(count);
                    let name = if rng.percent(15) {
                        "shared".to_owned()
                    } else {
                        format!("port{e}")
                    };
                    ports[s].push(PortInfo {
                        name: text(name),
                        edge: e,
                        side,
                        end,
                    });
                }
            }
        }
    }
    for (subgraph, ports) in subgraphs.iter_mut().zip(ports) {
        subgraph.ports = list(ports);
    }
    subgraphs
}
