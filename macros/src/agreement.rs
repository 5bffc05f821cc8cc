//! The macro and the runtime agree: random graphs — many of them invalid —
//! are declared twice, once as `#[process_graph]` source that this crate
//! parses, lowers and checks, and once through the runtime's dynamic
//! `Graph` API, which lowers and validates them. Both front doors must
//! build the same topology, and accept or reject the graph with the same
//! messages. The rules themselves are shared (the topology crate's); what
//! this pins is that neither front door drops, adds or misreads a setting
//! on its way to them.

use std::fmt::Write as _;
use std::time::Duration;

use process_graph_runtime::{
    Command, Endpoint, Graph, Namespace, NodeId, NodeOptions, NotifyAccess, Probe, Readiness,
    Restart, RotatingFile, ScopeId, ScopeSpec, Sink, Stdio, Timestamps,
};
use process_graph_topology::Topology;

use crate::ctxt::Ctxt;
use crate::expand::topology;
use crate::{check, parse};

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }

    fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }
}

#[derive(Debug, Clone, Copy)]
enum End {
    Parent,
    Node(usize, i32),
}

#[derive(Debug)]
struct NodeDecl {
    restart: Option<Restart>,
    oneshot: bool,
    after: Vec<usize>,
    ready: Option<Readiness>,
    ready_timeout: bool,
    /// In milliseconds; 0 is refused.
    watchdog: Option<u64>,
    notify_access: Option<NotifyAccess>,
    /// Each stream's setting, and how the declaration spells it.
    stdio: [Option<(Stdio, &'static str)>; 3],
    scope: Option<usize>,
    ready_probe: Option<ProbeDecl>,
    live_probe: Option<ProbeDecl>,
    replicas: Option<u32>,
}

/// A probe: its check as declared (`tcp = "..."`), and the settings given.
#[derive(Debug)]
struct ProbeDecl {
    key: &'static str,
    value: &'static str,
    period_ms: Option<u64>,
    timeout_ms: Option<u64>,
    failure_threshold: Option<u32>,
}

/// Checks as the macro spells them, sensible ones first.
const CHECKS: [(&str, &str); 8] = [
    ("tcp", "127.0.0.1:8080"),
    ("http", "http://[::1]:80/health"),
    ("exec", "true"),
    ("log", "listening"),
    ("tcp", "db:5432"),
    ("http", "https://127.0.0.1/"),
    ("exec", ""),
    ("log", ""),
];

fn random_probe(rng: &mut Rng, chaos: usize, live: bool) -> Option<ProbeDecl> {
    if !rng.percent(15) {
        return None;
    }
    let (key, value) = CHECKS[rng.below(if chaos > 0 { 8 } else { 3 })];
    let duration = |rng: &mut Rng| match rng.below(4) {
        0 => Some(if rng.percent(chaos) { 0 } else { 250 }),
        _ => None,
    };
    Some(ProbeDecl {
        key,
        value,
        period_ms: duration(rng),
        timeout_ms: duration(rng),
        failure_threshold: (live && rng.percent(30)).then(|| 1 + rng.below(5) as u32),
    })
}

impl ProbeDecl {
    /// `ready_probe(tcp = "...", period = "250ms")`.
    fn source(&self, key: &str) -> String {
        let check = match self.key {
            "exec" if self.value.is_empty() => "exec = []".to_owned(),
            "exec" => format!("exec = [{:?}]", self.value),
            _ => format!("{} = {:?}", self.key, self.value),
        };
        let mut keys = vec![check];
        keys.extend(self.period_ms.map(|ms| format!("period = \"{ms}ms\"")));
        keys.extend(self.timeout_ms.map(|ms| format!("timeout = \"{ms}ms\"")));
        keys.extend(
            self.failure_threshold
                .map(|n| format!("failure_threshold = {n}")),
        );
        format!("{key}({})", keys.join(", "))
    }

    fn probe(&self) -> Probe {
        let mut probe = match self.key {
            "tcp" => Probe::tcp(self.value),
            "http" => Probe::http(self.value),
            "exec" if self.value.is_empty() => Probe::exec(Vec::<String>::new()),
            "exec" => Probe::exec([self.value]),
            _ => Probe::log_line(self.value),
        };
        if let Some(ms) = self.period_ms {
            probe = probe.period(Duration::from_millis(ms));
        }
        if let Some(ms) = self.timeout_ms {
            probe = probe.timeout(Duration::from_millis(ms));
        }
        if let Some(n) = self.failure_threshold {
            probe = probe.failure_threshold(n);
        }
        probe
    }
}

#[derive(Debug)]
struct EdgeDecl {
    pipe: bool,
    from: Vec<End>,
    to: Vec<End>,
}

#[derive(Debug)]
struct ScopeDecl {
    namespaces: Vec<Namespace>,
    hostname: Option<String>,
    parent: Option<usize>,
}

/// One graph, in neither front door's syntax.
#[derive(Debug)]
struct Decl {
    nodes: Vec<NodeDecl>,
    edges: Vec<EdgeDecl>,
    scopes: Vec<ScopeDecl>,
    zero_period: bool,
}

/// Any fd, in range or not (`MAX_FD` is 2^20).
const FDS: [i32; 8] = [0, 1, 2, 3, 4, 3, 1_048_575, 2_000_000];

/// A random graph. Two in three are tidy — each setting picked among
/// sensible ones, so many graphs pass — and the rest take any value anywhere.
fn random(rng: &mut Rng) -> Decl {
    let chaos = if rng.percent(65) { 0 } else { 35 };
    let node_count = 1 + rng.below(4);
    let scope_count = rng.below(3);
    // Each fd a node may have, so tidy graphs rarely claim one twice.
    let mut free: Vec<Vec<i32>> = vec![vec![3, 4, 5, 6, 7, 8]; node_count];
    let mut end = |rng: &mut Rng, writer: bool| {
        let node = rng.below(node_count);
        if rng.percent(15) {
            End::Parent
        } else if rng.percent(chaos) {
            End::Node(node, FDS[rng.below(FDS.len())])
        } else if rng.percent(40) {
            End::Node(node, if writer { 1 } else { 0 })
        } else {
            let fd = free[node].pop().unwrap_or(9);
            End::Node(node, fd)
        }
    };
    let scopes = (0..scope_count)
        .map(|s| ScopeDecl {
            // In the runtime's order: `ScopeSpec::new` sorts them.
            namespaces: Namespace::ALL
                .into_iter()
                .filter(|_| rng.percent(35))
                .chain((chaos == 0).then_some(Namespace::Uts))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            hostname: rng.percent(30).then(|| {
                let len = if rng.percent(chaos) {
                    [0, 70][rng.below(2)]
                } else {
                    5
                };
                "h".repeat(len)
            }),
            // The runtime names a parent by the id `Graph::scope` returned,
            // so only an earlier scope can be one.
            parent: (s > 0 && rng.percent(40)).then(|| rng.below(s)),
        })
        .collect();
    let mut nodes: Vec<NodeDecl> = (0..node_count)
        .map(|n| NodeDecl {
            restart: match rng.below(8) {
                0 => Some(Restart::Always),
                1 => Some(Restart::OnFailure),
                2 => Some(Restart::Never),
                _ => None,
            },
            oneshot: rng.percent(15),
            // Tidy: only earlier nodes, so no cycle.
            after: (0..rng.below(3))
                .filter_map(|_| match rng.percent(chaos) {
                    true => Some(rng.below(node_count)),
                    false => (n > 0 && rng.percent(50)).then(|| rng.below(n)),
                })
                .collect(),
            ready: match rng.below(6) {
                0 if rng.percent(chaos) => Some(Readiness::Fd(FDS[rng.below(FDS.len())])),
                0 => Some(Readiness::Fd(10)),
                1 => Some(Readiness::Notify),
                _ => None,
            },
            ready_timeout: rng.percent(15),
            watchdog: rng
                .percent(25)
                .then(|| if rng.percent(chaos) { 0 } else { 1_000 }),
            notify_access: match rng.below(10) {
                0 => Some(NotifyAccess::All),
                1 => Some(NotifyAccess::Main),
                _ => None,
            },
            stdio: [0, 1, 2].map(|fd| {
                // A forwarded stdin is tried (in chaos) with `prefixed`; the
                // other sinks go where they are valid.
                let output = fd > 0;
                match rng.below(if chaos > 0 { 12 } else { 40 }) {
                    0 => Some((Stdio::Null, "\"null\"")),
                    1 if output || chaos > 0 => Some((Stdio::Prefixed, "\"prefixed\"")),
                    2 => Some((Stdio::Inherit, "\"inherit\"")),
                    3 if output => Some((
                        Stdio::Sink(Sink::file(RotatingFile::new("n.log"))),
                        "file(\"n.log\")",
                    )),
                    4 if output => Some((Stdio::Sink(Sink::callback(|_| {})), "callback(ignore)")),
                    5 if output => Some((
                        Stdio::Sink(Sink::prefixed(Some(Timestamps::Rfc3339))),
                        "prefixed(timestamps = \"rfc3339\")",
                    )),
                    6 => Some((Stdio::Terminal, "\"terminal\"")),
                    _ => None,
                }
            }),
            scope: (scope_count > 0 && rng.percent(70)).then(|| rng.below(scope_count)),
            ready_probe: random_probe(rng, chaos, false),
            live_probe: random_probe(rng, chaos, true),
            replicas: rng.percent(12).then(|| match rng.percent(chaos) {
                true => 0,
                false => 1 + rng.below(3) as u32,
            }),
        })
        .map(|mut node: NodeDecl| {
            // Tidy: one source of readiness.
            if chaos == 0 && node.ready.is_some() {
                node.ready_probe = None;
            }
            node
        })
        .collect();
    if chaos == 0 {
        for node in &mut nodes {
            // Tidy: a one-shot job neither restarted always nor with a
            // readiness protocol; the notify settings only where there is a
            // NOTIFY_SOCKET.
            if node.oneshot {
                node.ready = None;
                node.restart = node.restart.filter(|&r| r != Restart::Always);
            }
            if node.ready != Some(Readiness::Notify) {
                (node.watchdog, node.notify_access) = (None, None);
            }
        }
    }
    let edges = (0..rng.below(5))
        .map(|_| {
            let pipe = rng.percent(70);
            // The runtime's socketpair has exactly one end per side.
            let (from, to) = if pipe {
                (rng.below(3), [1, 1, 1, 0, 2][rng.below(5)])
            } else {
                (1, 1)
            };
            EdgeDecl {
                pipe,
                from: (0..from).map(|_| end(rng, true)).collect(),
                to: (0..to).map(|_| end(rng, false)).collect(),
            }
        })
        .collect();
    Decl {
        nodes,
        edges,
        scopes,
        zero_period: rng.percent(5),
    }
}

/// The declaration as `#[process_graph]` source: the macro's arguments and
/// the struct.
fn source(decl: &Decl) -> (String, String) {
    let mut src = String::from("struct Random {\n");
    for (s, scope) in decl.scopes.iter().enumerate() {
        let mut keys: Vec<String> = scope.namespaces.iter().map(|n| n.to_string()).collect();
        keys.extend(scope.hostname.as_ref().map(|h| format!("hostname = {h:?}")));
        keys.extend(scope.parent.map(|p| format!("parent = s{p}")));
        writeln!(src, "#[scope({})] s{s}: Scope,", keys.join(", ")).unwrap();
    }
    for (n, node) in decl.nodes.iter().enumerate() {
        let mut keys = Vec::new();
        keys.extend(node.restart.map(|r| format!("restart = \"{r}\"")));
        if node.oneshot {
            keys.push("oneshot".to_owned());
        }
        if !node.after.is_empty() {
            let after: Vec<String> = node.after.iter().map(|a| format!("n{a}")).collect();
            keys.push(format!("after = [{}]", after.join(", ")));
        }
        match node.ready {
            Some(Readiness::Fd(fd)) => keys.push(format!("ready = fd({fd})")),
            Some(Readiness::Notify) => keys.push("ready = \"notify\"".to_owned()),
            _ => {}
        }
        if node.ready_timeout {
            keys.push("ready_timeout = \"5s\"".to_owned());
        }
        keys.extend(node.watchdog.map(|ms| format!("watchdog = \"{ms}ms\"")));
        keys.extend(
            node.notify_access
                .map(|a| format!("notify_access = \"{a}\"")),
        );
        for (stream, mode) in ["stdin", "stdout", "stderr"].iter().zip(&node.stdio) {
            keys.extend(
                mode.as_ref()
                    .map(|(_, spelt)| format!("{stream} = {spelt}")),
            );
        }
        keys.extend(node.scope.map(|s| format!("scope = s{s}")));
        keys.extend(node.ready_probe.as_ref().map(|p| p.source("ready_probe")));
        keys.extend(node.live_probe.as_ref().map(|p| p.source("live_probe")));
        keys.extend(node.replicas.map(|r| format!("replicas = {r}")));
        writeln!(src, "#[process({})] n{n}: Cmd,", keys.join(", ")).unwrap();
    }
    let end = |e: &End| match *e {
        End::Parent => "parent".to_owned(),
        End::Node(n, 0) => format!("n{n}.stdin"),
        End::Node(n, 1) => format!("n{n}.stdout"),
        End::Node(n, 2) => format!("n{n}.stderr"),
        End::Node(n, fd) => format!("n{n}.fd({fd})"),
    };
    for (e, edge) in decl.edges.iter().enumerate() {
        let list = |ends: &[End]| ends.iter().map(end).collect::<Vec<_>>().join(", ");
        let (attr, arrow, ty) = match edge.pipe {
            true => ("pipe", "->", "Pipe"),
            false => ("socketpair", "<->", "SocketPair"),
        };
        let (from, to) = (list(&edge.from), list(&edge.to));
        writeln!(src, "#[{attr}({from} {arrow} {to})] e{e}: {ty},").unwrap();
    }
    src.push('}');
    let args = if decl.zero_period {
        "period = \"0s\""
    } else {
        ""
    };
    (args.to_owned(), src)
}

/// The macro's view: its topology, and every error it reports.
fn through_the_macro(decl: &Decl) -> (Topology, Vec<String>) {
    let (args, item) = source(decl);
    let item = syn::parse_str(&item).expect("the generated struct parses");
    let cx = Ctxt::new();
    let (_, graph) = parse::graph(&cx, args.parse().expect("tokens"), item);
    let graph = graph.expect("a struct with named fields");
    let topology = topology::of(&graph);
    check::check(&cx, &graph, &topology);
    let errors = match cx.check() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
    };
    (topology, errors)
}

/// The runtime's view: its topology, and every rule `validate` reports.
fn through_the_runtime(decl: &Decl) -> (Topology, Vec<String>) {
    let mut graph = Graph::new();
    if decl.zero_period {
        graph.intensity(Topology::DEFAULT_INTENSITY, Duration::ZERO);
    }
    let mut scopes: Vec<ScopeId> = Vec::new();
    for (s, scope) in decl.scopes.iter().enumerate() {
        let mut spec = ScopeSpec::new(scope.namespaces.iter().copied());
        if let Some(hostname) = &scope.hostname {
            spec = spec.hostname(hostname.clone());
        }
        if let Some(parent) = scope.parent {
            spec = spec.parent(scopes[parent]);
        }
        scopes.push(graph.scope(format!("s{s}"), spec));
    }
    for (n, node) in decl.nodes.iter().enumerate() {
        let mut command = Command::new("true");
        for (fd, mode) in node.stdio.iter().enumerate() {
            if let Some((mode, _)) = mode.clone() {
                command = match fd {
                    0 => command.stdin(mode),
                    1 => command.stdout(mode),
                    _ => command.stderr(mode),
                };
            }
        }
        let mut options = NodeOptions::new()
            .restart(node.restart.unwrap_or_default())
            .oneshot(node.oneshot)
            .after(node.after.iter().map(|&a| NodeId::from_index(a)))
            .ready(node.ready.unwrap_or_default());
        if node.ready_timeout {
            options = options.ready_timeout(Duration::from_secs(5));
        }
        if let Some(ms) = node.watchdog {
            options = options.watchdog(Duration::from_millis(ms));
        }
        if let Some(access) = node.notify_access {
            options = options.notify_access(access);
        }
        if let Some(scope) = node.scope {
            options = options.scope(scopes[scope]);
        }
        if let Some(probe) = &node.ready_probe {
            options = options.ready_probe(probe.probe());
        }
        if let Some(probe) = &node.live_probe {
            options = options.live_probe(probe.probe());
        }
        if let Some(replicas) = node.replicas {
            options = options.replicas(replicas);
        }
        graph.node_with(format!("n{n}"), command, options);
    }
    let end = |e: &End| match *e {
        End::Parent => Endpoint::Parent,
        End::Node(n, fd) => NodeId::from_index(n).fd(fd),
    };
    for (e, edge) in decl.edges.iter().enumerate() {
        let (from, to): (Vec<Endpoint>, Vec<Endpoint>) = (
            edge.from.iter().map(end).collect(),
            edge.to.iter().map(end).collect(),
        );
        let id = match edge.pipe {
            true => graph.pipe(from, to),
            false => graph.socketpair(from[0], to[0]),
        };
        graph.name_edge(id, format!("e{e}"));
    }
    let errors = match graph.validate() {
        Ok(()) => Vec::new(),
        Err(broken) => broken
            .violations()
            .iter()
            .map(|v| v.rule.to_string())
            .collect(),
    };
    (graph.topology(), errors)
}

#[test]
fn macro_and_runtime_accept_and_reject_the_same_graphs() {
    let (mut accepted, mut rejected) = (0, 0);
    for seed in 1..=2_000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let decl = random(&mut rng);
        let (mut from_macro, mut macro_errors) = through_the_macro(&decl);
        let (mut from_runtime, mut runtime_errors) = through_the_runtime(&decl);
        // What only one side knows: the struct's name, and the commands.
        from_macro.name = from_runtime.name.clone();
        from_runtime
            .nodes
            .to_mut()
            .iter_mut()
            .for_each(|n| n.command = None);
        let source = source(&decl);
        assert_eq!(
            from_macro, from_runtime,
            "seed {seed}: the topologies differ\n{source:?}"
        );
        macro_errors.sort();
        runtime_errors.sort();
        assert_eq!(macro_errors, runtime_errors, "seed {seed}\n{source:?}");
        if macro_errors.is_empty() {
            accepted += 1;
        } else {
            rejected += 1;
        }
    }
    // Both kinds are well represented, or the comparison proves little.
    eprintln!("{accepted} accepted, {rejected} rejected");
    assert!(
        accepted > 200 && rejected > 200,
        "{accepted} accepted, {rejected} rejected"
    );
}
