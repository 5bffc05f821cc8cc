//! The topology the macro emits for a graph that nests another: the
//! subgraph is a frame named by its field and type, with the ports this
//! graph wires, and the edges that reach them end there, named by the port;
//! an edge that joins two subgraphs' ports runs from one frame's pin to the
//! other's. The README's pictures of its subgraph section are these graphs'
//! diagrams; `UPDATE_SNAPSHOTS=1 cargo test --test subgraph_diagram`
//! redraws them.

use std::path::Path;

use process_graph::Topology;
use process_graph::prelude::*;
use process_graph::topology::{Side, Vertex};

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

/// README's producer: lines out of a port, and a control socket.
#[process_graph]
pub struct Producer {
    #[process]
    generate: Cmd,
    #[pipe(generate.stdout -> parent)]
    lines: Pipe,
    #[socketpair(generate.fd(3) <-> parent)]
    control: SocketPair,
}

/// README's consumer: lines into a port, and a control socket.
#[process_graph]
pub struct Consumer {
    #[process]
    sink: Cmd,
    #[pipe(parent -> sink.stdin)]
    input: Pipe,
    #[socketpair(sink.fd(3) <-> parent)]
    control: SocketPair,
}

/// README's chain: the two subgraphs' ports joined, port to port.
#[process_graph]
pub struct Chain {
    #[subgraph]
    producer: Producer,
    #[subgraph]
    consumer: Consumer,
    #[pipe(producer.lines -> consumer.input)]
    lines: Pipe,
    #[socketpair(producer.control <-> consumer.control)]
    control: SocketPair,
}

const CHAIN: Topology = Chain::TOPOLOGY;

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

#[test]
fn a_port_to_port_edge_runs_between_the_two_frames_pins() {
    let (producer, consumer) = (&CHAIN.subgraphs[0], &CHAIN.subgraphs[1]);
    let port = |s: &process_graph::topology::SubgraphInfo, p: usize| {
        let port = &s.ports[p];
        (port.name.to_string(), port.edge, port.side)
    };
    assert_eq!(port(producer, 0), ("lines".into(), 0, Side::From));
    assert_eq!(port(consumer, 0), ("input".into(), 0, Side::To));
    assert_eq!(port(producer, 1), ("control".into(), 1, Side::From));
    assert_eq!(port(consumer, 1), ("control".into(), 1, Side::To));
    assert!(CHAIN.check().is_ok(), "{:?}", CHAIN.check());
    let layout = CHAIN.layout();
    for (e, line) in layout.edges.iter().enumerate() {
        assert_eq!(
            (line.from, line.to),
            (Vertex::Subgraph(0), Vertex::Subgraph(1)),
            "edge {e}"
        );
        // From the middle of the producer's pin to the consumer's.
        let pin = |s: usize| {
            let name = &CHAIN.subgraphs[s].ports[e].name;
            let pin = layout
                .pins
                .iter()
                .find(|p| p.subgraph == s && p.name == **name);
            pin.expect("a pin per port").rect
        };
        let (start, end) = (line.points[0], *line.points.last().unwrap());
        let (from, to) = (pin(0), pin(1));
        assert_eq!(start.x, from.x + from.width / 2.0, "edge {e}");
        assert_eq!(end.x, to.x + to.width / 2.0, "edge {e}");
    }
    assert_eq!(layout.parent, None, "the parent holds no end");
    let svg = CHAIN.to_svg();
    assert!(
        svg.contains(">producer.lines → consumer.input</tspan>"),
        "{svg}"
    );
    let dot = CHAIN.to_dot();
    assert!(dot.contains(r#"s0p0 -> s1p0 [label="lines\nproducer.lines → consumer.input"];"#));
    assert!(dot.contains(
        r#"s0p1 -> s1p1 [label="control\nproducer.control <-> consumer.control", dir=both"#
    ));
    assert!(
        CHAIN
            .to_mermaid()
            .contains(r#"s0p0 -->|"lines<br/>producer.lines → consumer.input"| s1p0"#)
    );
    let tables = CHAIN.to_markdown_tables();
    assert!(tables.contains("| `lines` | pipe | `producer.lines` | `consumer.input` |"));
    assert!(
        tables.contains("| `control` | socketpair | `producer.control` | `consumer.control` |")
    );
}

/// The README's subgraph section shows these diagrams, as the macro draws
/// them into the rustdoc.
#[test]
fn readme_subgraph_diagrams_are_current() {
    for (file, topology) in [("subgraph.svg", SITE), ("subgraph_ports.svg", CHAIN)] {
        assert_current(file, topology.to_svg());
    }
}

fn assert_current(file: &str, actual: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(file);
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
