//! `struct NamePorts`: the graph's ports (its edges with a `parent` end),
//! one field per port typed by its kind, for a graph that nests this one;
//! `struct NamePortEnds`: the parent's ends of those ports where the
//! enclosing graph leaves them unwired, which its running handle holds; and,
//! for this graph's own `#[subgraph]` fields, the compile-time checks that
//! each port it wires is one of the subgraph's, of the kind the wiring
//! needs — rustc's "no field" or "mismatched types" at the port's name.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::running::{self, ParentEdge};
use super::{Private, nested_graph};
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

/// `struct NamePortEnds`, typed as the running handle's fields of the same
/// edges, and the `ProcessGraph` items that fill it in from a running
/// enclosing graph and close its writers: `(items, trait items)`.
pub(super) fn ends(
    graph: &Graph,
    pg: &Private,
    ends_of: &[ParentEdge<'_>],
) -> (TokenStream, TokenStream) {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let ty = names::port_ends(name);
    let fields = running::end_fields(ends_of, pg);
    let running = Ident::new("running", Span::mixed_site());
    let ends = Ident::new("ends", Span::mixed_site());
    let taken = running::take_ends(ends_of, &running, &ends);
    let close_writers = running::close_writers(ends_of, pg, &quote!(#ends));
    let doc = format!(
        " The parent's ends of [`{name}`]'s ports when it is nested as a `#[subgraph]`, \
         held by the enclosing graph's running handle in a field named after the \
         subgraph: each port the enclosing graph wires is `None` (empty), each it \
         leaves unwired is the application's to take."
    );
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug)]
        #vis struct #ty {
            #fields
        }
    };
    let trait_items = quote! {
        type PortEnds = #ty;

        fn __port_ends(#running: &mut #pg::RunningGraph, #ends: &[#pg::Vec<#pg::EdgeId>]) -> #ty {
            #ty { #taken }
        }

        fn __close_port_writers(#ends: &mut #ty) {
            #close_writers
        }
    };
    (items, trait_items)
}

/// For each port this graph's edges name, a constant that only compiles if
/// the subgraph has that port, of the kind the edge needs.
pub(super) fn checks(graph: &Graph, pg: &Private) -> TokenStream {
    let by_name = &graph.by_name();
    let checks = graph.wired_edges().flat_map(|(_, edge, wiring)| {
        let from = wiring.from.iter().map(move |end| (end, ParentEnd::From));
        let to = wiring.to.iter().map(move |end| (end, ParentEnd::To));
        from.chain(to).filter_map(move |(end, side)| {
            let Target::Port { subgraph, port } = &end.target else {
                return None;
            };
            let nested = nested_graph(graph, by_name.subgraph(subgraph)?);
            // The port stands where the parent would: the enclosing graph
            // writes into an input, reads an output.
            let kind = match (edge.kind, side) {
                (EdgeKind::Pipe, ParentEnd::To) => quote!(Input),
                (EdgeKind::Pipe, ParentEnd::From) => quote!(Output),
                (EdgeKind::SocketPair, _) => quote!(Socket),
            };
            Some(quote_spanned! {port.span()=>
                const _: #pg::port::#kind = <#nested as #pg::ProcessGraph>::PORTS.#port;
            })
        })
    });
    quote!(#(#checks)*)
}
