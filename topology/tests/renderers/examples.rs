//! Hand-written topologies covering what the macro can declare: the
//! ErrorCount graph of DESIGN.md in a sandbox, a pipeline through the
//! parent, nested scopes, text that needs escaping in every format, and the
//! edge cases (one lonely node, a loop, an empty scope).

use std::borrow::Cow;
use std::sync::LazyLock;

use process_graph_topology::{
    EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, PortInfo, Ready, ScopeInfo, Side, SubgraphInfo,
    Topology,
};

fn node(name: &'static str, command: Option<&'static str>, scope: Option<usize>) -> NodeInfo {
    NodeInfo {
        name: name.into(),
        command: command.map(Cow::Borrowed),
        scope,
        ..NodeInfo::default()
    }
}

fn scope(
    name: &'static str,
    namespaces: &'static [&'static str],
    hostname: Option<&'static str>,
    parent: Option<usize>,
) -> ScopeInfo {
    ScopeInfo {
        name: name.into(),
        namespaces: namespaces.into(),
        hostname: hostname.map(Cow::Borrowed),
        parent,
        doc: None,
    }
}

const fn at(node: usize, fd: i32) -> EndpointInfo {
    EndpointInfo {
        node: Some(node),
        fd,
    }
}

const PARENT: EndpointInfo = EndpointInfo { node: None, fd: -1 };

fn pipe(name: &'static str, from: &[EndpointInfo], to: &[EndpointInfo]) -> EdgeInfo {
    EdgeInfo {
        name: Some(Cow::Borrowed(name)),
        doc: None,
        kind: EdgeKind::Pipe,
        from: from.to_vec().into(),
        to: to.to_vec().into(),
    }
}

fn socketpair(name: &'static str, a: &[EndpointInfo], b: &[EndpointInfo]) -> EdgeInfo {
    EdgeInfo {
        name: Some(Cow::Borrowed(name)),
        doc: None,
        kind: EdgeKind::SocketPair,
        from: a.to_vec().into(),
        to: b.to_vec().into(),
    }
}

fn subgraph(
    name: &'static str,
    type_name: &'static str,
    on_failure: &'static str,
    scope: Option<usize>,
    ports: &[PortInfo],
) -> SubgraphInfo {
    SubgraphInfo {
        name: name.into(),
        doc: None,
        type_name: type_name.into(),
        on_failure,
        scope,
        ports: ports.to_vec().into(),
        ..SubgraphInfo::default()
    }
}

/// Port `name` at end `end` of `side` of edge `edge`.
fn port(name: &'static str, edge: usize, side: Side, end: usize) -> PortInfo {
    PortInfo {
        name: name.into(),
        edge,
        side,
        end,
    }
}

/// A topology from `&[nodes], &[edges], &[scopes]` and maybe
/// `&[subgraphs]`, built on first use.
macro_rules! topology {
    ($name:expr, &[$($node:expr),* $(,)?], &[$($edge:expr),* $(,)?], &[$($scope:expr),* $(,)?] $(,)?) => {
        topology!($name, &[$($node),*], &[$($edge),*], &[$($scope),*], &[])
    };
    ($name:expr, &[$($node:expr),* $(,)?], &[$($edge:expr),* $(,)?], &[$($scope:expr),* $(,)?], &[$($subgraph:expr),* $(,)?] $(,)?) => {
        LazyLock::new(|| Topology {
            name: Cow::Borrowed($name),
            nodes: Cow::Owned(vec![$($node),*]),
            edges: Cow::Owned(vec![$($edge),*]),
            scopes: Cow::Owned(vec![$($scope),*]),
            subgraphs: Cow::Owned(vec![$($subgraph),*]),
            strategy: "one_for_one",
            intensity: 5,
            period_ms: 10_000,
        })
    };
}

/// DESIGN.md's ErrorCount, with the filter and the counter in a sandbox.
pub static ERROR_COUNT: LazyLock<Topology> = topology!(
    "ErrorCount",
    &[
        node("source", Some("cat /var/log/app.log"), None),
        NodeInfo {
            restart: "on-failure",
            after: Cow::Borrowed(&[0]),
            ..node("filter", Some("grep --line-buffered -i error"), Some(0))
        },
        NodeInfo {
            critical: true,
            ..node("count", Some("wc -l"), Some(0))
        },
    ],
    &[
        pipe("lines", &[at(0, 1)], &[at(1, 0)]),
        pipe("errors", &[at(1, 1)], &[at(2, 0)]),
        socketpair("control", &[at(1, 3)], &[PARENT]),
    ],
    &[scope("sandbox", &["user", "pid", "net"], None, None)],
);

/// The parent feeds a pipeline and reads its end; two writers share a pipe;
/// a side channel of stderr; a cycle through the parent.
pub static PIPELINE: LazyLock<Topology> = topology!(
    "Pipeline",
    &[
        node("gen", Some("seq 1 1000000"), None),
        NodeInfo {
            ready: Some(Ready::Fd(3)),
            ..node("filter", Some("grep 7"), None)
        },
        node("sink", None, None),
        NodeInfo {
            restart: "always",
            ..node("logger", Some("logger -t pipeline"), None)
        },
        node("extra", Some("yes"), None),
    ],
    &[
        pipe("input", &[PARENT], &[at(0, 0)]),
        pipe("numbers", &[at(0, 1), at(4, 1)], &[at(1, 0)]),
        pipe("matches", &[at(1, 1)], &[at(2, 0)]),
        pipe("diagnostics", &[at(1, 2), at(2, 2)], &[at(3, 0)]),
        pipe("output", &[at(2, 1)], &[PARENT]),
        pipe("feedback", &[at(2, 4)], &[at(0, 5)]),
    ],
    &[],
);

/// A test harness: a client outside, a server and a database inside a
/// network scope nested in a user+pid scope, a socketpair across.
pub static HARNESS: LazyLock<Topology> = topology!(
    "Harness",
    &[
        NodeInfo {
            after: Cow::Borrowed(&[1]),
            ..node("client", Some("./client --connect fd:3"), None)
        },
        NodeInfo {
            ready: Some(Ready::Notify),
            after: Cow::Borrowed(&[2]),
            ..node("server", Some("./server --listen fd:3"), Some(1))
        },
        NodeInfo {
            ready: Some(Ready::Fd(3)),
            ..node("database", Some("postgres -D /tmp/db"), Some(1))
        },
        node("metrics", Some("./metrics"), Some(0)),
    ],
    &[
        socketpair("rpc", &[at(0, 3)], &[at(1, 3)]),
        pipe("server_log", &[at(1, 2), at(2, 2)], &[at(3, 0)]),
        pipe("report", &[at(3, 1)], &[PARENT]),
        socketpair("admin", &[PARENT], &[at(2, 4)]),
    ],
    &[
        scope("sandbox", &["user", "pid"], None, None),
        scope("network", &["net", "uts"], Some("db.local"), Some(0)),
    ],
);

/// Every character some output format gives a meaning to.
pub static TRICKY: LazyLock<Topology> = topology!(
    "Tricky<&>",
    &[
        node(
            "a<b>&\"c\"",
            Some(
                "sh -c 'echo \"$x\" | tr a-z A-Z > /dev/null && echo `date` # ok\\n'\nsecond line",
            ),
            Some(0),
        ),
        node("ünïcødé_名前", Some("printf '%s\\n' [x] {y} <z> |w|"), None),
    ],
    &[
        pipe("out|put", &[at(0, 1)], &[at(1, 0)]),
        pipe("back`tick`", &[at(1, 1)], &[at(0, 0)]),
        socketpair("ctl#1", &[at(0, 3)], &[PARENT]),
    ],
    &[scope(
        "box \"quoted\" <&>",
        &["user", "net"],
        Some("h<o>st"),
        None
    )],
);

/// README's `Site`, grown: a client feeding a nested database `db` through
/// its `queries` port and talking to its `control` port, a reporter reading
/// the database's `results` and, with the client's stderr, its `log`; a
/// second subgraph nobody wires, in the reporter's scope, which fails its
/// parent when it fails.
pub static SITE: LazyLock<Topology> = topology!(
    "Site",
    &[
        node("client", Some("./client"), None),
        node("reporter", Some("./report --stdin"), Some(0)),
    ],
    &[
        pipe("feed", &[at(0, 1)], &[PARENT]),
        pipe("results", &[PARENT], &[at(1, 0)]),
        socketpair("control", &[at(0, 3)], &[PARENT]),
        pipe("report", &[at(1, 1)], &[PARENT]),
        pipe("logs", &[at(0, 2), PARENT], &[at(1, 3)]),
    ],
    &[scope("quiet", &["net"], None, None)],
    &[
        subgraph(
            "db",
            "storage::Db",
            "restart",
            None,
            &[
                port("queries", 0, Side::To, 0),
                port("results", 1, Side::From, 0),
                port("control", 2, Side::To, 0),
                port("log", 4, Side::From, 1),
            ],
        ),
        subgraph("cache", "Cache", "escalate", Some(0), &[]),
    ],
);

/// `after` to and from subgraphs: `db` starts once the one-shot `migrate`
/// is done, `web` once `db` is ready, `cache` once `db` is ready; `web`
/// writes into `db`'s `queries` port.
pub static ORDERED: LazyLock<Topology> = topology!(
    "Ordered",
    &[
        NodeInfo {
            oneshot: true,
            ..node("migrate", Some("./migrate"), None)
        },
        NodeInfo {
            after_subgraphs: Cow::Borrowed(&[0]),
            ..node("web", Some("./web"), None)
        },
    ],
    &[pipe("queries", &[at(1, 1)], &[PARENT])],
    &[],
    &[
        SubgraphInfo {
            after: Cow::Borrowed(&[0]),
            ..subgraph(
                "db",
                "Db",
                "restart",
                None,
                &[port("queries", 0, Side::To, 0)]
            )
        },
        SubgraphInfo {
            after_subgraphs: Cow::Borrowed(&[0]),
            ..subgraph("cache", "Cache", "restart", None, &[])
        },
    ],
);

/// One process and nothing else.
pub static LONELY: LazyLock<Topology> = topology!("Lonely", &[node("only", None, None)], &[], &[]);

/// A process piping into itself, and a scope holding nobody.
pub static LOOPS: LazyLock<Topology> = topology!(
    "Loops",
    &[node("echo", Some("cat"), None), node("other", None, None)],
    &[
        pipe("self_feed", &[at(0, 1)], &[at(0, 0)]),
        socketpair("self_talk", &[at(0, 3)], &[at(0, 4)]),
        pipe("down", &[at(0, 2)], &[at(1, 0)]),
    ],
    &[scope("empty", &["ipc"], None, None)],
);

pub fn all() -> [&'static Topology; 9] {
    [
        &ERROR_COUNT,
        &PIPELINE,
        &HARNESS,
        &DEV_ENV,
        &TRICKY,
        &LONELY,
        &LOOPS,
        &SITE,
        &ORDERED,
    ]
}

/// Nothing at all.
pub static EMPTY: LazyLock<Topology> = topology!("Empty", &[], &[], &[]);

/// Indices the macro would never produce: renderers draw what they can
/// and skip the rest instead of panicking.
pub static BROKEN: LazyLock<Topology> = topology!(
    "Broken",
    &[
        NodeInfo {
            after: Cow::Borrowed(&[7, 0]),
            ..node("a", None, Some(5))
        },
        node("b", None, Some(1)),
    ],
    &[
        pipe("to_nowhere", &[at(0, 1)], &[at(9, 0)]),
        pipe("no_writer", &[], &[at(1, 0)]),
        pipe("parent_to_parent", &[PARENT], &[PARENT]),
        pipe("two_readers", &[at(0, 2)], &[at(1, 0), at(1, 5)]),
    ],
    &[
        scope("cycle_a", &[], None, Some(1)),
        scope("cycle_b", &["pid"], None, Some(0)),
        scope("lost", &["net"], None, Some(42)),
    ],
);

/// A development environment: services behind a proxy, workers fed by a
/// queue, every stderr into one logger — the many-writers pipe.
pub static DEV_ENV: LazyLock<Topology> = topology!(
    "DevEnv",
    &[
        NodeInfo {
            ready: Some(Ready::Notify),
            ..node("postgres", Some("postgres -D ./data"), Some(0))
        },
        NodeInfo {
            ready: Some(Ready::Fd(3)),
            ..node("redis", Some("redis-server --port 0"), Some(0))
        },
        NodeInfo {
            after: Cow::Borrowed(&[0, 1]),
            restart: "on-failure",
            ..node("api", Some("cargo run -p api"), Some(1))
        },
        NodeInfo {
            after: Cow::Borrowed(&[2]),
            ..node("web", Some("npm run dev"), Some(1))
        },
        NodeInfo {
            after: Cow::Borrowed(&[3]),
            critical: true,
            ..node("proxy", Some("caddy run"), None)
        },
        NodeInfo {
            after: Cow::Borrowed(&[1]),
            restart: "always",
            ..node("worker", Some("cargo run -p worker"), Some(1))
        },
        node("logger", Some("vector --config vector.toml"), None),
    ],
    &[
        socketpair("db", &[at(2, 3)], &[at(0, 3)]),
        socketpair("cache", &[at(2, 4)], &[at(1, 4)]),
        socketpair("jobs", &[at(5, 3)], &[at(1, 5)]),
        pipe("upstream", &[at(3, 1)], &[at(4, 0)]),
        pipe(
            "logs",
            &[at(0, 2), at(1, 2), at(2, 2), at(3, 2), at(5, 2)],
            &[at(6, 0)],
        ),
        pipe("shutdown", &[PARENT], &[at(4, 5)]),
    ],
    &[
        scope("data", &["net", "mount"], None, None),
        scope("app", &["pid"], Some("app"), None),
    ],
);
