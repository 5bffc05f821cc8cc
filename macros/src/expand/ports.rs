//! `struct NamePorts`: the graph's ports (its edges with a `parent` end),
//! one field per port typed by its kind, for a graph that nests this one;
//! and, for this graph's own `#[subgraph]` fields, the compile-time checks
//! that each port it wires is one of the subgraph's, of the kind the wiring
//! needs — rustc's "no field" or "mismatched types" at the port's name.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

use super::Private;
use crate::model::{EdgeKind, Graph, ParentEnd, Target};
use crate::names;

/// The struct's name, fields and value: `(items, PORTS value)`.
pub(super) fn declare(graph: &Graph, pg: &Private) -> (TokenStream, TokenStream) {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let ports = names::ports(name);
    let (fields, kinds): (Vec<&Ident>, Vec<TokenStream>) = graph
        .parent_edges()
        .map(|(field, edge, end)| {
            let kind = match (edge.kind, end) {
                (EdgeKind::Pipe, ParentEnd::From) => quote!(Input),
                (EdgeKind::Pipe, ParentEnd::To) => quote!(Output),
                (EdgeKind::SocketPair, _) => quote!(Socket),
            };
            (&field.ident, kind)
        })
        .unzip();
    let doc = format!(
        " The ports of [`{name}`] when it is nested as a `#[subgraph]`: its edges \
         with a `parent` end, by kind."
    );
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #vis struct #ports {
            #( #[doc = " A port of this graph."] pub #fields: #pg::port::#kinds, )*
        }
    };
    let value = quote!(#ports { #( #fields: #pg::port::#kinds, )* });
    (items, value)
}

/// For each port this graph's edges name, a constant that only compiles if
/// the subgraph has that port, of the kind the edge needs.
pub(super) fn checks(graph: &Graph, pg: &Private) -> TokenStream {
    let checks = graph.wired_edges().flat_map(|(_, edge, wiring)| {
        let from = wiring.from.iter().map(move |end| (end, ParentEnd::From));
        let to = wiring.to.iter().map(move |end| (end, ParentEnd::To));
        from.chain(to).filter_map(move |(end, side)| {
            let Target::Port { subgraph, port } = &end.target else {
                return None;
            };
            let ty = &graph.subgraph(subgraph)?.ty;
            // The port stands where the parent would: the enclosing graph
            // writes into an input, reads an output.
            let kind = match (edge.kind, side) {
                (EdgeKind::Pipe, ParentEnd::To) => quote!(Input),
                (EdgeKind::Pipe, ParentEnd::From) => quote!(Output),
                (EdgeKind::SocketPair, _) => quote!(Socket),
            };
            Some(quote_spanned! {port.span()=>
                const _: #pg::port::#kind = <#ty as #pg::ProcessGraph>::PORTS.#port;
            })
        })
    });
    quote!(#(#checks)*)
}
