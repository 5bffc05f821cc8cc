//! The Mermaid export declares every process once, every scope and every
//! nested graph as a subgraph (a nested graph holding a node per port), and
//! every line of the diagram as one link with its label.

use crate::{examples, expected, random_topologies};
use process_graph_topology::Topology;

/// Undoes Mermaid's entity codes.
fn decode(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(hash) = rest.find('#') {
        out.push_str(&rest[..hash]);
        let semi = rest[hash..].find(';').expect("entity code ends with ;") + hash;
        let code = &rest[hash + 1..semi];
        out.push(match code {
            "quot" => '"',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            _ => char::from_u32(code.parse().expect("numeric entity code")).unwrap(),
        });
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of a quoted label, its lines decoded; `None` if it is not one
/// quoted string with no quote inside.
fn label(quoted: &str) -> Option<Vec<String>> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('"')).then(|| inner.split("<br/>").map(decode).collect())
}

fn check(topology: &Topology) -> Result<(), String> {
    let name = &topology.name;
    let mermaid = topology.to_mermaid();
    let mut lines = mermaid.lines();
    if lines.next() != Some("flowchart TB") {
        return Err(format!("{name}: not a top-to-bottom flowchart"));
    }
    let want = expected(topology);
    let mut nodes = vec![0; topology.nodes.len()];
    let mut ports: Vec<Vec<String>> = vec![Vec::new(); topology.subgraphs.len()];
    let mut open_subgraphs = 0usize;
    let mut subgraphs = Vec::new();
    let mut links = Vec::new();
    for line in lines.map(str::trim) {
        if line == "parent([\"parent\"])" {
            continue;
        } else if let Some(rest) = line.strip_prefix("subgraph ") {
            let (_, quoted) = rest
                .split_once('[')
                .ok_or(format!("{name}: bad subgraph {line}"))?;
            let text = label(quoted.strip_suffix(']').unwrap_or(quoted))
                .ok_or(format!("{name}: bad label {line}"))?;
            subgraphs.push(text.join("\n"));
            open_subgraphs += 1;
        } else if line == "end" {
            open_subgraphs = open_subgraphs
                .checked_sub(1)
                .ok_or(format!("{name}: stray end"))?;
        } else if let Some((id, quoted)) = line
            .split_once('(')
            .filter(|(id, _)| id.starts_with('s') && !id.contains(' '))
        {
            let text = label(quoted.strip_suffix(')').unwrap_or(quoted))
                .ok_or(format!("{name}: bad port {line}"))?;
            let (s, p) = id[1..]
                .split_once('p')
                .and_then(|(s, p)| Some((s.parse::<usize>().ok()?, p.parse::<usize>().ok()?)))
                .ok_or(format!("{name}: bad port id {id}"))?;
            if p != ports[s].len() {
                return Err(format!("{name}: port {id} out of order"));
            }
            ports[s].push(text.join("\n"));
        } else if let Some((id, quoted)) = line.split_once('[').filter(|(id, _)| !id.contains(' '))
        {
            let text = label(quoted.strip_suffix(']').unwrap_or(quoted))
                .ok_or(format!("{name}: bad node {line}"))?;
            let n: usize = id
                .strip_prefix('n')
                .and_then(|n| n.parse().ok())
                .ok_or(format!("{name}: bad id {id}"))?;
            if text[0] != want.names[n] {
                return Err(format!("{name}: node {n} is labelled {text:?}"));
            }
            nodes[n] += 1;
        } else if let Some((from, rest)) = line.split_once(' ') {
            if from == "style" {
                continue;
            }
            // `-->|"label"| to` or `--> to`; labels hold no raw `|`.
            let (arrow, edge_label, rest) = match rest.split_once('|') {
                Some((arrow, labelled)) if !arrow.contains(' ') => {
                    let (quoted, rest) = labelled
                        .split_once("| ")
                        .ok_or(format!("{name}: bad link {line}"))?;
                    let text = label(quoted).ok_or(format!("{name}: bad link label {line}"))?;
                    (arrow, Some(text), rest)
                }
                _ => rest
                    .split_once(' ')
                    .map_or((rest, None, ""), |(a, r)| (a, None, r)),
            };
            if !["-->", "<-->", "-.->"].contains(&arrow) {
                return Err(format!("{name}: unknown link {line}"));
            }
            links.push((from.to_owned(), rest.to_owned(), edge_label));
        } else {
            return Err(format!("{name}: unexpected line {line}"));
        }
    }
    // Nested subgraphs come depth-first; compare as sets.
    let mut scope_labels = want.scope_labels.clone();
    scope_labels.extend(want.subgraph_labels.iter().map(|l| l.join("\n")));
    scope_labels.sort();
    subgraphs.sort();
    if open_subgraphs != 0 || subgraphs != scope_labels {
        return Err(format!(
            "{name}: subgraphs {subgraphs:?}, expected {:?}",
            scope_labels
        ));
    }
    if nodes.iter().any(|&count| count != 1) {
        return Err(format!("{name}: node declarations {nodes:?}"));
    }
    if ports != want.ports {
        return Err(format!(
            "{name}: ports {ports:?}, expected {:?}",
            want.ports
        ));
    }
    let ends: Vec<(String, String)> = links
        .iter()
        .map(|(a, b, _)| (a.clone(), b.clone()))
        .collect();
    if ends != want.lines {
        return Err(format!("{name}: links {ends:?}, expected {:?}", want.lines));
    }
    let labels: Vec<(String, String)> = links
        .into_iter()
        .filter_map(|(_, _, l)| l)
        .map(|l| (l[0].clone(), l[1].clone()))
        .collect();
    if labels != want.line_labels {
        return Err(format!(
            "{name}: link labels {labels:?}, expected {:?}",
            want.line_labels
        ));
    }
    Ok(())
}

#[test]
fn mermaid_has_every_node_scope_and_edge_of_the_examples() {
    for topology in examples::all() {
        check(topology).unwrap();
    }
}

#[test]
fn mermaid_has_every_node_scope_and_edge_of_random_graphs() {
    let failures: Vec<String> = random_topologies(1..=50, 1)
        .iter()
        .filter_map(|t| check(t).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
