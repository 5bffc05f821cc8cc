//! `struct NameReport`: how each process ended, one field per process.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::{Parts, Private, as_graph, node_enum};
use crate::model::Graph;
use crate::names;

pub(super) fn expand(graph: &Graph, pg: &Private) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let report = names::report(name);
    let fields: Vec<_> = graph.processes().map(|(f, _)| &f.ident).collect();
    let replicated: Vec<bool> = graph.processes().map(|(_, p)| p.replicated()).collect();
    let docs = fields.iter().zip(&replicated).map(|(f, &r)| match r {
        true => format!(
            " How each replica of the `{}` process ended, replica 0 first.",
            names::display(f)
        ),
        false => format!(" How the `{}` process ended.", names::display(f)),
    });
    let types = replicated.iter().map(|&r| match r {
        true => quote!(#pg::Vec<#pg::NodeExit>),
        false => quote!(#pg::NodeExit),
    });
    let subgraphs: Vec<_> = graph.subgraphs().map(|(f, _)| &f.ident).collect();
    let sub_docs = subgraphs.iter().map(|f| {
        format!(
            " How each node of the `{}` subgraph ended, in the order of its node ids.",
            names::display(f)
        )
    });
    let gets = fields.iter().zip(&replicated).map(|(f, &r)| {
        let variant = names::variant(f);
        match r {
            true => quote!(#node::#variant(replica) => &self.#f[replica as usize]),
            false => quote!(#node::#variant => &self.#f),
        }
    });
    let gets = gets.chain(subgraphs.iter().map(|f| {
        let variant = names::variant(f);
        quote!(#node::#variant(inner) => &self.#f[#pg::GraphNode::id(inner).index()])
    }));
    let children: Vec<_> = graph.children().collect();
    let child_fields: Vec<_> = children.iter().map(|(f, _)| &f.ident).collect();
    let child_docs = child_fields.iter().map(|f| {
        format!(
            " How each node of each child of `{}` ended, children in the order they were added.",
            names::display(f)
        )
    });
    let child_types = children.iter().map(|(f, _)| {
        let ty = node_enum::nested_node(graph, f, pg);
        quote!(#pg::Vec<#pg::ChildExit<#ty>>)
    });
    let gets = gets.chain(child_fields.iter().map(|f| {
        let variant = names::variant(f);
        quote! {
            #node::#variant(child) => &self.#f.iter().find(|c| c.node == child)
                .expect("a node of a child this graph added")
                .exit
        }
    }));
    let listed = |f: &&Ident, r: bool| r || subgraphs.contains(f);
    let all_fields: Vec<_> = fields.iter().chain(&subgraphs).collect();
    let all_listed: Vec<bool> = replicated
        .iter()
        .copied()
        .chain(subgraphs.iter().map(|_| true))
        .collect();
    let successes = all_fields
        .iter()
        .zip(&all_listed)
        .map(|(f, &r)| match listed(f, r) {
            true => quote!(self.#f.iter().all(#pg::NodeExit::success)),
            false => quote!(self.#f.success()),
        })
        .chain(
            child_fields
                .iter()
                .map(|f| quote!(self.#f.iter().all(|c| c.exit.success()))),
        );
    let lines = all_fields
        .iter()
        .zip(&all_listed)
        .map(|(f, &r)| match listed(f, r) {
            true => quote!(for exit in &self.#f { #pg::writeln!(f, "{}", exit)?; }),
            false => quote!(#pg::writeln!(f, "{}", self.#f)?;),
        })
        .chain(
            child_fields
                .iter()
                .map(|f| quote!(for c in &self.#f { #pg::writeln!(f, "{}", c.exit)?; })),
        );
    let doc = format!(
        " How each process of [`{name}`] ended: one field per process, returned by \
         [`{running}::wait`] and [`{running}::shutdown`].",
        running = names::running(name)
    );
    let outcome = Ident::new(names::REPORT_OUTCOME, Span::call_site());
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq)]
        #vis struct #report {
            #( #[doc = #docs] pub #fields: #types, )*
            #( #[doc = #sub_docs] pub #subgraphs: #pg::Vec<#pg::NodeExit>, )*
            #( #[doc = #child_docs] pub #child_fields: #child_types, )*
            #outcome: #pg::Outcome,
        }
    };
    let impls = quote! {
        impl #report {
            /// Every process ran, and its last process exited with code 0.
            pub fn success(&self) -> bool {
                true #(&& #successes)*
            }

            /// Why the graph ended.
            pub fn outcome(&self) -> #pg::Outcome {
                self.#outcome
            }

            /// The entry of one process.
            ///
            /// # Panics
            ///
            /// For a replica index past the last, or a node of a child
            /// another graph added.
            pub fn get(&self, node: #node) -> &#pg::NodeExit {
                match node {
                    #(#gets,)*
                }
            }
        }

        impl #pg::fmt::Display for #report {
            fn fmt(&self, f: &mut #pg::fmt::Formatter<'_>) -> #pg::fmt::Result {
                #( #lines )*
                #pg::Result::Ok(())
            }
        }
    };
    Parts { items, impls }
}

/// An expression turning `report` (an `ExitReport` of this graph) into the
/// typed report; `running` is the graph's `Running<Node>`, which knows its
/// children.
pub(super) fn from_exit_report(
    graph: &Graph,
    pg: &Private,
    report: &TokenStream,
    running: &TokenStream,
) -> TokenStream {
    let name = names::report(&graph.item.ident);
    let node = names::node_enum(&graph.item.ident);
    let values = graph.processes().map(|(f, p)| {
        let (field, variant) = (&f.ident, names::variant(&f.ident));
        match p.replicated() {
            true => {
                let count = Literal::u32_unsuffixed(p.replica_count());
                quote!(#field: (0..#count).map(|i| #report[#node::#variant(i).id()].clone()).collect())
            }
            false => quote!(#field: #report[#node::#variant.id()].clone()),
        }
    });
    let nested = graph.subgraphs().map(|(f, _)| {
        let field = &f.ident;
        let nested = as_graph(graph, f, pg);
        let variant = names::variant(field);
        let inner = quote_spanned!(f.ty.span()=> <#nested::Node as #pg::GraphNode>);
        quote! {
            #field: (0..#inner::COUNT)
                .filter_map(|k| #inner::from_id(#pg::NodeId::from_index(k)))
                .map(|inner| #report[#node::#variant(inner).id()].clone())
                .collect()
        }
    });
    let children = graph.children().map(|(f, _)| {
        let field = &f.ident;
        let name = names::display(field);
        quote!(#field: #running.__child_exits(#name, &#report))
    });
    let outcome = Ident::new(names::REPORT_OUTCOME, Span::call_site());
    quote! {
        #name {
            #( #values, )*
            #( #nested, )*
            #( #children, )*
            #outcome: #report.outcome(),
        }
    }
}
