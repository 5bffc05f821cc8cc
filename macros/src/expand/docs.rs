//! The struct's generated docs: a diagram of the graph (inline SVG, no
//! script or network) and tables of its processes, edges, scopes and
//! subgraphs, drawn by the topology crate's renderers at expansion time,
//! with a link to each subgraph's own docs, where its insides are drawn.

use process_graph_topology::Topology;
use syn::{Attribute, parse_quote};

/// Attributes appended to the struct's own docs.
pub(super) fn attrs(topology: &Topology) -> Vec<Attribute> {
    let summary = format!(
        " # Graph\n\n `#[process_graph]` generates `{name}Node`, `Running{name}`, \
         `{name}Report` and `{name}::TOPOLOGY` for this declaration.",
        name = topology.name
    );
    let svg = topology.to_svg();
    let tables = topology.to_markdown_tables();
    // The diagram only in rustdoc: other readers of docs (IDE hovers) show
    // raw HTML badly.
    let mut attrs: Vec<Attribute> = vec![
        parse_quote!(#[doc = ""]),
        parse_quote!(#[doc = #summary]),
        parse_quote!(#[cfg_attr(doc, doc = "")]),
        parse_quote!(#[cfg_attr(doc, doc = #svg)]),
    ];
    if let Some(links) = subgraph_links(topology) {
        attrs.extend([
            parse_quote!(#[doc = ""]),
            parse_quote!(#[doc = #links]),
            // A subgraph's type may be private while this struct is
            // public: rustdoc would warn of the link, and a crate that
            // denies warnings would not document.
            parse_quote!(#[cfg_attr(doc, allow(rustdoc::private_intra_doc_links))]),
        ]);
    }
    attrs.extend([parse_quote!(#[doc = ""]), parse_quote!(#[doc = #tables])]);
    attrs
}

/// ` Each subgraph is drawn as a frame …: `db` is a [`Db`], …`: the
/// enclosing graph sees only the field, so the subgraph's processes are
/// drawn in its own type's docs, which the intra-doc links reach.
fn subgraph_links(topology: &Topology) -> Option<String> {
    if topology.subgraphs.is_empty() {
        return None;
    }
    let each: Vec<String> = topology
        .subgraphs
        .iter()
        .map(|s| format!("`{}` is a [`{}`]", s.name, s.type_name))
        .collect();
    Some(format!(
        " Each subgraph is drawn as a frame, with the ports this graph wires on its \
         border; its own processes and diagram are in its type's docs: {}.",
        each.join(", ")
    ))
}
