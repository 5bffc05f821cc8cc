//! The Markdown tables: one row per process, edge, scope and subgraph,
//! every row as wide as its header, and text that cannot break out of its
//! cell.

use crate::{examples, random_topologies};
use process_graph_topology::Topology;

/// Cells of a table row, split on the `|`s that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    if cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The rows of the table under the caption `**title**`.
fn table<'m>(markdown: &'m str, title: &str) -> Vec<&'m str> {
    let caption = format!("**{title}**");
    markdown
        .lines()
        .skip_while(|l| *l != caption)
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect()
}

fn check(topology: &Topology) -> Result<(), String> {
    let name = &topology.name;
    let markdown = topology.to_markdown_tables();
    for (title, rows) in [
        ("Processes", topology.nodes.len()),
        ("Edges", topology.edges.len()),
        ("Scopes", topology.scopes.len()),
        ("Subgraphs", topology.subgraphs.len()),
    ] {
        let table = table(&markdown, title);
        if rows == 0 {
            if !table.is_empty() {
                return Err(format!("{name}: an empty {title} table"));
            }
            continue;
        }
        if table.len() != rows + 2 {
            return Err(format!(
                "{name}: {title} has {} lines for {rows} rows",
                table.len()
            ));
        }
        let width = cells(table[0]).len();
        if let Some(row) = table.iter().find(|r| cells(r).len() != width) {
            return Err(format!("{name}: row {row:?} is not {width} cells wide"));
        }
    }
    let first_cells: Vec<String> = markdown
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| cells(l)[0].clone())
        .collect();
    let names = topology
        .nodes
        .iter()
        .map(|n| n.name.to_string())
        .chain(
            topology
                .edges
                .iter()
                .filter_map(|e| e.name.as_deref().map(str::to_owned)),
        )
        .chain(topology.scopes.iter().map(|s| s.name.to_string()))
        .chain(topology.subgraphs.iter().map(|s| s.name.to_string()));
    for wanted in names {
        if !first_cells
            .iter()
            .any(|c| c.trim_matches('`').trim() == wanted)
        {
            return Err(format!("{name}: no row for {wanted:?}"));
        }
    }
    Ok(())
}

#[test]
fn tables_have_a_row_for_everything() {
    let random = random_topologies(1..=30, 1);
    let failures: Vec<String> = examples::all()
        .into_iter()
        .chain(&random)
        .filter_map(|t| check(t).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tables_of_error_count() {
    let markdown = examples::ERROR_COUNT.to_markdown_tables();
    for row in [
        "**Supervision:** strategy `one_for_one`, at most 5 restarts within 10 s.",
        "| `filter` | `grep --line-buffered -i error` | `sandbox` | on-failure | at exec | `source` |  |",
        "| `count` | `wc -l` | `sandbox` | never | at exec | — | yes |",
        "| `lines` | pipe | `source.stdout` (fd 1) | `filter.stdin` (fd 0) |",
        "| `control` | socketpair | `filter.fd(3)` | `parent` |",
        "| `sandbox` | user, pid, net | — | — | `filter`, `count` |",
    ] {
        assert!(markdown.contains(row), "missing {row:?} in\n{markdown}");
    }
}

#[test]
fn columns_no_row_fills_are_left_out_and_docs_are_descriptions() {
    use process_graph_topology::{EdgeInfo, EndpointInfo, NodeInfo, ScopeInfo};
    // A declared graph: no commands (they are only known at run time), and
    // `///` comments on an edge and a scope.
    let topology = Topology {
        nodes: vec![NodeInfo {
            name: "server".into(),
            scope: Some(0),
            ..NodeInfo::default()
        }]
        .into(),
        edges: vec![EdgeInfo {
            name: Some("log".into()),
            doc: Some("What the server *logs*.".into()),
            from: vec![EndpointInfo {
                node: Some(0),
                fd: 2,
            }]
            .into(),
            to: vec![EndpointInfo::PARENT].into(),
            ..EdgeInfo::default()
        }]
        .into(),
        scopes: vec![ScopeInfo {
            name: "sandbox".into(),
            doc: Some("Its own network.".into()),
            namespaces: vec!["user", "net"].into(),
            ..ScopeInfo::default()
        }]
        .into(),
        ..Topology::default()
    };
    let markdown = topology.to_markdown_tables();
    let header = |title| table(&markdown, title)[0].to_owned();
    assert_eq!(
        header("Processes"),
        "| Process | Scope | Restart | Ready | After | Critical |"
    );
    assert_eq!(header("Edges"), "| Edge | Kind | From | To | Description |");
    assert!(markdown.contains(
        "| `log` | pipe | `server.stderr` (fd 2) | `parent` | What the server \\*logs\\*. |"
    ));
    assert!(markdown.contains("| Its own network. |"), "{markdown}");
    // Commands, when known, get their column back.
    let mut with_command = topology.clone();
    with_command.nodes.to_mut()[0].command = Some("./server".into());
    assert!(
        with_command
            .to_markdown_tables()
            .contains("| Process | Command | Scope |")
    );
}

#[test]
fn tables_name_ports_and_list_the_subgraphs() {
    let tables = examples::SITE.to_markdown_tables();
    for wanted in [
        "| `feed` | pipe | `client.stdout` (fd 1) | `db.queries` |",
        "| `logs` | pipe | `client.stderr` (fd 2), `db.log` | `reporter.fd(3)` |",
        "| `report` | pipe | `reporter.stdout` (fd 1) | `parent` |",
        "**Subgraphs**",
        "| Subgraph | Type | Scope | On failure | Ports wired |",
        "| `db` | `storage::Db` | — | restart | `queries`, `results`, `control`, `log` |",
        "| `cache` | `Cache` | `quiet` | escalate | — |",
    ] {
        assert!(tables.contains(wanted), "missing {wanted:?} in\n{tables}");
    }
}
