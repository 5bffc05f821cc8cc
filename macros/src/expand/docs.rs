//! The struct's generated docs: a diagram of the graph (inline SVG, no
//! script or network) and tables of its processes, edges and scopes, drawn
//! by the topology crate's renderers at expansion time.

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
    vec![
        parse_quote!(#[doc = ""]),
        parse_quote!(#[doc = #summary]),
        parse_quote!(#[cfg_attr(doc, doc = "")]),
        parse_quote!(#[cfg_attr(doc, doc = #svg)]),
        parse_quote!(#[doc = ""]),
        parse_quote!(#[doc = #tables]),
    ]
}
