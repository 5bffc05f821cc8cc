//! The topology the macro emits for a graph that nests another: the
//! subgraph is a frame named by its field and type, with the ports this
//! graph wires, and the edges that reach them end there, named by the port.
//! The README's picture of its subgraph section is this graph's diagram;
//! `UPDATE_SNAPSHOTS=1 cargo test --test subgraph_diagram` redraws it.

use std::path::Path;

use process_graph::Topology;
use process_graph::prelude::*;
use process_graph::topology::Side;

/// README's database: two processes that take queries on a port.
#[process_graph(intensity = 2, period = "30s")]
pub struct Db {
    #[process(restart = "always")]
    primary: Cmd,
    #[process(restart = "always")]
    standby: Cmd,
    /// Queries in: a port, once `Db` is nested.
    #[pipe(parent -> primary.stdin)]
    queries: Pipe,
}

/// README's site: a client whose output is the database's input.
#[process_graph(intensity = 1, period = "30s")]
pub struct Site {
    #[process]
    client: Cmd,
    /// The database, restarted whole when it fails.
    #[subgraph]
    db: Db,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
}

/// The database inside a scope of the enclosing graph.
#[process_graph]
pub struct Sandboxed {
    #[scope(user, pid)]
    sandbox: Scope,
    #[process]
    client: Cmd,
    #[subgraph(scope = sandbox, on_failure = "escalate")]
    db: Db,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
}

const SITE: Topology = Site::TOPOLOGY;

#[test]
fn the_subgraph_is_a_frame_with_the_ports_this_graph_wires() {
    let db = &SITE.subgraphs[0];
    assert_eq!(
        (&*db.name, &*db.type_name, db.on_failure),
        ("db", "Db", "restart")
    );
    assert_eq!(
        db.doc.as_deref(),
        Some("The database, restarted whole when it fails.")
    );
    let port = &db.ports[0];
    assert_eq!(
        (&*port.name, port.edge, port.side, port.end),
        ("queries", 0, Side::To, 0)
    );
    // To the wiring rules the port is a parent end, as before.
    assert!(SITE.edges[0].to[0].node.is_none());
    assert!(SITE.check().is_ok());
    // The inner graph has no frame: it nests nothing.
    assert!(Db::TOPOLOGY.subgraphs.is_empty());
}

#[test]
fn a_subgraph_in_a_scope_is_drawn_inside_its_frame() {
    let topology = Sandboxed::TOPOLOGY;
    let db = &topology.subgraphs[0];
    assert_eq!((db.scope, db.on_failure), (Some(0), "escalate"));
    let layout = topology.layout();
    assert!(layout.frames[0].contains(&layout.subgraphs[0]));
    assert!(!layout.frames[0].overlaps(&layout.nodes[0]));
    assert!(
        topology
            .to_markdown_tables()
            .contains("| `db` | `Db` | `sandbox` | escalate | `queries` |")
    );
}

#[test]
fn every_renderer_ends_the_edge_at_the_port() {
    let svg = SITE.to_svg();
    for wanted in [
        ">db: Db</text>",
        ">on_failure: restart</text>",
        ">queries</text>",
    ] {
        assert!(svg.contains(wanted), "missing {wanted:?} in\n{svg}");
    }
    assert!(svg.contains(">stdout → db.queries</tspan>"));
    assert!(
        !svg.contains(">parent</text>"),
        "the port is not drawn as the parent"
    );
    assert!(
        SITE.to_dot()
            .contains(r#"n0 -> s0p0 [label="feed\nstdout → db.queries"];"#)
    );
    assert!(
        SITE.to_mermaid()
            .contains(r#"n0 -->|"feed<br/>stdout → db.queries"| s0p0"#)
    );
    let tables = SITE.to_markdown_tables();
    assert!(tables.contains("| `feed` | pipe | `client.stdout` (fd 1) | `db.queries` |"));
    assert!(tables.contains("| `db` | `Db` | restart | `queries` |"));
}

/// The README's subgraph section shows this diagram, as the macro draws it
/// into the rustdoc.
#[test]
fn readme_subgraph_diagram_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/subgraph.svg");
    let actual = SITE.to_svg();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(
        expected,
        actual,
        "{} is stale; review the change and rerun with UPDATE_SNAPSHOTS=1",
        path.display()
    );
}
