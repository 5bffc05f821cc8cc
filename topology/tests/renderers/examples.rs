//! Hand-written topologies covering what the macro can declare: the
//! ErrorCount graph of DESIGN.md in a sandbox, a pipeline through the
//! parent, nested scopes, text that needs escaping in every format, and the
//! edge cases (one lonely node, a loop, an empty scope).

use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, ScopeInfo, Topology};

const fn node(name: &'static str, command: Option<&'static str>, scope: Option<usize>) -> NodeInfo {
    NodeInfo {
        name,
        command,
        scope,
        restart: "never",
        critical: false,
        after: &[],
        ready: None,
    }
}

const fn at(node: usize, fd: i32) -> EndpointInfo {
    EndpointInfo {
        node: Some(node),
        fd,
    }
}

const PARENT: EndpointInfo = EndpointInfo { node: None, fd: -1 };

const fn pipe(
    name: &'static str,
    from: &'static [EndpointInfo],
    to: &'static [EndpointInfo],
) -> EdgeInfo {
    EdgeInfo {
        name,
        kind: EdgeKind::Pipe,
        from,
        to,
    }
}

const fn socketpair(
    name: &'static str,
    a: &'static [EndpointInfo],
    b: &'static [EndpointInfo],
) -> EdgeInfo {
    EdgeInfo {
        name,
        kind: EdgeKind::SocketPair,
        from: a,
        to: b,
    }
}

const fn topology(
    name: &'static str,
    nodes: &'static [NodeInfo],
    edges: &'static [EdgeInfo],
    scopes: &'static [ScopeInfo],
) -> Topology {
    Topology {
        name,
        nodes,
        edges,
        scopes,
        strategy: "one_for_one",
        intensity: 5,
        period_ms: 10_000,
    }
}

/// DESIGN.md's ErrorCount, with the filter and the counter in a sandbox.
pub const ERROR_COUNT: Topology = topology(
    "ErrorCount",
    &[
        node("source", Some("cat /var/log/app.log"), None),
        NodeInfo {
            restart: "on-failure",
            after: &[0],
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
    &[ScopeInfo {
        name: "sandbox",
        namespaces: &["user", "pid", "net"],
        hostname: None,
        parent: None,
    }],
);

/// The parent feeds a pipeline and reads its end; two writers share a pipe;
/// a side channel of stderr; a cycle through the parent.
pub const PIPELINE: Topology = topology(
    "Pipeline",
    &[
        node("gen", Some("seq 1 1000000"), None),
        NodeInfo {
            ready: Some("fd(3)"),
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
pub const HARNESS: Topology = topology(
    "Harness",
    &[
        NodeInfo {
            after: &[1],
            ..node("client", Some("./client --connect fd:3"), None)
        },
        NodeInfo {
            ready: Some("notify"),
            after: &[2],
            ..node("server", Some("./server --listen fd:3"), Some(1))
        },
        NodeInfo {
            ready: Some("fd(3)"),
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
        ScopeInfo {
            name: "sandbox",
            namespaces: &["user", "pid"],
            hostname: None,
            parent: None,
        },
        ScopeInfo {
            name: "network",
            namespaces: &["net", "uts"],
            hostname: Some("db.local"),
            parent: Some(0),
        },
    ],
);

/// Every character some output format gives a meaning to.
pub const TRICKY: Topology = topology(
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
    &[ScopeInfo {
        name: "box \"quoted\" <&>",
        namespaces: &["user", "net"],
        hostname: Some("h<o>st"),
        parent: None,
    }],
);

/// One process and nothing else.
pub const LONELY: Topology = topology("Lonely", &[node("only", None, None)], &[], &[]);

/// A process piping into itself, and a scope holding nobody.
pub const LOOPS: Topology = topology(
    "Loops",
    &[node("echo", Some("cat"), None), node("other", None, None)],
    &[
        pipe("self_feed", &[at(0, 1)], &[at(0, 0)]),
        socketpair("self_talk", &[at(0, 3)], &[at(0, 4)]),
        pipe("down", &[at(0, 2)], &[at(1, 0)]),
    ],
    &[ScopeInfo {
        name: "empty",
        namespaces: &["ipc"],
        hostname: None,
        parent: None,
    }],
);

pub const ALL: [Topology; 7] = [
    ERROR_COUNT,
    PIPELINE,
    HARNESS,
    DEV_ENV,
    TRICKY,
    LONELY,
    LOOPS,
];

/// Nothing at all.
pub const EMPTY: Topology = topology("Empty", &[], &[], &[]);

/// Indices the macro would never produce: renderers draw what they can
/// and skip the rest instead of panicking.
pub const BROKEN: Topology = topology(
    "Broken",
    &[
        NodeInfo {
            after: &[7, 0],
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
        ScopeInfo {
            name: "cycle_a",
            namespaces: &[],
            hostname: None,
            parent: Some(1),
        },
        ScopeInfo {
            name: "cycle_b",
            namespaces: &["pid"],
            hostname: None,
            parent: Some(0),
        },
        ScopeInfo {
            name: "lost",
            namespaces: &["net"],
            hostname: None,
            parent: Some(42),
        },
    ],
);

/// A development environment: services behind a proxy, workers fed by a
/// queue, every stderr into one logger — the many-writers pipe.
pub const DEV_ENV: Topology = topology(
    "DevEnv",
    &[
        NodeInfo {
            ready: Some("notify"),
            ..node("postgres", Some("postgres -D ./data"), Some(0))
        },
        NodeInfo {
            ready: Some("fd(3)"),
            ..node("redis", Some("redis-server --port 0"), Some(0))
        },
        NodeInfo {
            after: &[0, 1],
            restart: "on-failure",
            ..node("api", Some("cargo run -p api"), Some(1))
        },
        NodeInfo {
            after: &[2],
            ..node("web", Some("npm run dev"), Some(1))
        },
        NodeInfo {
            after: &[3],
            critical: true,
            ..node("proxy", Some("caddy run"), None)
        },
        NodeInfo {
            after: &[1],
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
        ScopeInfo {
            name: "data",
            namespaces: &["net", "mount"],
            hostname: None,
            parent: None,
        },
        ScopeInfo {
            name: "app",
            namespaces: &["pid"],
            hostname: Some("app"),
            parent: None,
        },
    ],
);
