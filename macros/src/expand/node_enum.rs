//! `enum NameNode`: one variant per process, so a policy is an exhaustive
//! `match` and events name nodes by type. A process with `replicas = N`
//! is one variant holding the replica's index, `Worker(2)`, shown as
//! `worker[2]`. A `#[subgraph]` is one variant holding the subgraph's own
//! node enum, `Db(DbNode::Primary)`, shown by path as `db.primary`. A
//! `#[children]` field is one variant holding a `Child` of the child
//! graph's node enum, `Workers(child)`, shown as `workers.3.work`.
//!
//! Ids: the graph's own declared processes first, then each subgraph's
//! nodes (its replicas expanded, in its own id order), then the replicas of
//! the graph's own processes. Children's nodes come after all of those, as
//! they are added; their ids are the `Child`'s, not the enum's.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::{Parts, Private, as_graph};
use crate::model::{Field, Graph};
use crate::names;

/// The node enum of the graph a `#[subgraph]` or `#[children]` field
/// nests, spanned at its type (see `as_graph`).
pub(super) fn nested_node(graph: &Graph, field: &Field, pg: &Private) -> TokenStream {
    let nested = as_graph(graph, field, pg);
    quote_spanned!(nested.span()=> #nested::Node)
}

pub(super) fn expand(graph: &Graph, pg: &Private) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let processes: Vec<_> = graph.processes().collect();
    let variants: Vec<_> = processes
        .iter()
        .map(|(f, _)| names::variant(&f.ident))
        .collect();
    let strings: Vec<_> = processes
        .iter()
        .map(|(f, _)| names::display(&f.ident))
        .collect();
    let declared = variants
        .iter()
        .zip(&processes)
        .zip(&strings)
        .map(|((v, (_, p)), s)| {
            if p.replicated() {
                let doc = format!(" A replica of the `{s}` process, by index from 0.");
                quote!(#[doc = #doc] #v(u32))
            } else {
                let doc = format!(" The `{s}` process.");
                quote!(#[doc = #doc] #v)
            }
        });
    let subgraphs: Vec<_> = graph.subgraphs().map(|(f, _)| f).collect();
    let sub_variants: Vec<_> = subgraphs.iter().map(|f| names::variant(&f.ident)).collect();
    let sub_strings: Vec<_> = subgraphs.iter().map(|f| names::display(&f.ident)).collect();
    let sub_types: Vec<TokenStream> = subgraphs
        .iter()
        .map(|f| nested_node(graph, f, pg))
        .collect();
    let sub_counts: Vec<TokenStream> = sub_types
        .iter()
        .map(|t| quote!(<#t as #pg::GraphNode>::COUNT))
        .collect();
    let declared = declared.chain(sub_variants.iter().zip(&sub_types).zip(&sub_strings).map(
        |((v, t), s)| {
            let doc = format!(" A node of the `{s}` subgraph.");
            quote!(#[doc = #doc] #v(#t))
        },
    ));
    let children: Vec<_> = graph.children().collect();
    let child_variants: Vec<_> = children
        .iter()
        .map(|(f, _)| names::variant(&f.ident))
        .collect();
    let child_strings: Vec<_> = children
        .iter()
        .map(|(f, _)| names::display(&f.ident))
        .collect();
    let declared = declared.chain(
        children
            .iter()
            .zip(&child_variants)
            .zip(&child_strings)
            .map(|(((f, _), v), s)| {
                let doc = format!(" A node of a child of `{s}`, added at run time.");
                let ty = nested_node(graph, f, pg);
                quote!(#[doc = #doc] #v(#pg::Child<#ty>))
            }),
    );
    // Each variant as a pattern binding the replica index, and every value.
    let patterns: Vec<TokenStream> = variants
        .iter()
        .zip(&processes)
        .map(|(v, (_, p))| match p.replicated() {
            true => quote!(Self::#v(replica)),
            false => quote!(Self::#v),
        })
        .collect();
    let wildcards = variants
        .iter()
        .zip(&processes)
        .map(|(v, (_, p))| match p.replicated() {
            true => quote!(Self::#v(_)),
            false => quote!(Self::#v),
        })
        .chain(sub_variants.iter().map(|v| quote!(Self::#v(_))))
        .chain(child_variants.iter().map(|v| quote!(Self::#v(_))));
    let all_strings = strings.iter().chain(&sub_strings).chain(&child_strings);
    let indices = (0..processes.len()).map(Literal::usize_unsuffixed);
    let all = variants.iter().zip(&processes).flat_map(|(v, (_, p))| {
        let replicated = p.replicated();
        (0..p.replica_count()).map(move |i| match replicated {
            true => {
                let i = Literal::u32_unsuffixed(i);
                quote!(Self::#v(#i))
            }
            false => quote!(Self::#v),
        })
    });
    let replica_of = processes.iter().map(|(_, p)| match p.replicated() {
        true => quote!(replica),
        false => quote!(0),
    });
    let items_back = variants
        .iter()
        .zip(&processes)
        .enumerate()
        .map(|(i, (v, (_, p)))| {
            let i = Literal::usize_unsuffixed(i);
            match p.replicated() {
                true => quote!(#i => #pg::Option::Some(Self::#v(replica))),
                false => quote!(#i => #pg::Option::Some(Self::#v)),
            }
        });
    let display = patterns
        .iter()
        .zip(&processes)
        .zip(&strings)
        .map(|((pattern, (_, p)), s)| match p.replicated() {
            true => {
                let format = format!("{s}[{{}}]");
                quote!(#pattern => #pg::write!(f, #format, replica))
            }
            false => quote!(#pattern => f.write_str(#s)),
        })
        .chain(
            sub_variants
                .iter()
                .zip(&sub_strings)
                .chain(child_variants.iter().zip(&child_strings))
                .map(|(v, s)| {
                    let format = format!("{s}.{{}}");
                    quote!(Self::#v(inner) => #pg::write!(f, #format, inner))
                }),
        );
    // Subgraph `k`'s nodes start this far past the declared processes.
    let offsets: Vec<TokenStream> = (0..subgraphs.len())
        .map(|k| {
            let before = &sub_counts[..k];
            quote!(0 #(+ #before)*)
        })
        .collect();
    let nested_ids = sub_variants.iter().zip(&offsets).map(|(v, offset)| {
        quote!(Self::#v(inner) => #pg::NodeId::from_index(
            Self::DECLARED + #offset + #pg::GraphNode::id(inner).index()
        ))
    });
    let child_ids = child_variants
        .iter()
        .map(|v| quote!(Self::#v(child) => child.id()));
    // Own replicas come after the subgraphs' nodes.
    let own_index = match subgraphs.is_empty() {
        true => quote!(index),
        false => quote!(if index >= Self::DECLARED {
            index.saturating_add(Self::NESTED)
        } else {
            index
        }),
    };
    let nested_from_id = (!subgraphs.is_empty()).then(|| {
        quote! {
            let mut nested = index.wrapping_sub(Self::DECLARED);
            if index >= Self::DECLARED && nested < Self::NESTED {
                #(
                    if nested < #sub_counts {
                        return <#sub_types as #pg::GraphNode>::from_id(
                            #pg::NodeId::from_index(nested),
                        )
                        .map(Self::#sub_variants);
                    }
                    nested -= #sub_counts;
                )*
                let _ = nested;
                return #pg::Option::None;
            }
            let index = if index >= Self::DECLARED + Self::NESTED {
                index - Self::NESTED
            } else {
                index
            };
        }
    });
    let own_count = graph.replica_counts().into_iter().sum::<u32>() as usize;
    let own_count = Literal::usize_unsuffixed(own_count);
    let counts = graph
        .replica_counts()
        .into_iter()
        .map(Literal::u32_unsuffixed);
    let count = Literal::usize_unsuffixed(processes.len());
    let enum_doc = format!(
        " The processes of [`{name}`], one variant per `#[process]` field, in declaration order."
    );
    let items = quote! {
        #[doc = #enum_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #vis enum #node {
            #( #declared, )*
        }
    };
    let impls = quote! {
        impl #node {
            /// Every process (each replica), in declaration order.
            pub const ALL: &'static [Self] = &[#(#all),*];

            /// How many copies of each process run, in declaration order.
            const REPLICAS: [u32; #count] = [#(#counts),*];

            /// How many processes the graph declares, before replicas.
            const DECLARED: usize = #count;

            /// How many nodes its subgraphs run, all together.
            const NESTED: usize = 0 #(+ #sub_counts)*;

            /// How many nodes the graph runs: every replica, and every node
            /// of its subgraphs.
            pub const COUNT: usize = #own_count + Self::NESTED;

            /// The field name of the process (of the subgraph, for one of
            /// its nodes; `Display` gives the whole path).
            pub const fn name(self) -> &'static str {
                match self {
                    #(#wildcards => #all_strings,)*
                }
            }

            /// The process's id in the dynamic graph; an id no node has for
            /// a replica index past the last.
            pub fn id(self) -> #pg::NodeId {
                match self {
                    #(#patterns => {
                        let index = #pg::topology::replica_index(&Self::REPLICAS, #indices, #replica_of)
                            .unwrap_or(usize::MAX);
                        #pg::NodeId::from_index(#own_index)
                    })*
                    #(#nested_ids,)*
                    #(#child_ids,)*
                }
            }

            /// The process with this id, if it is one of this graph's.
            pub fn from_id(id: #pg::NodeId) -> #pg::Option<Self> {
                let index = id.index();
                #nested_from_id
                let (item, replica) = #pg::topology::replica_of(&Self::REPLICAS, index)?;
                let _ = replica; // used by the variants of replicated processes
                match item {
                    #(#items_back,)*
                    _ => #pg::Option::None,
                }
            }
        }

        impl #pg::GraphNode for #node {
            const ALL: &'static [Self] = Self::ALL;
            const COUNT: usize = Self::COUNT;

            fn name(self) -> &'static str {
                Self::name(self)
            }

            fn id(self) -> #pg::NodeId {
                Self::id(self)
            }

            fn from_id(id: #pg::NodeId) -> #pg::Option<Self> {
                Self::from_id(id)
            }
        }

        impl #pg::fmt::Display for #node {
            fn fmt(&self, f: &mut #pg::fmt::Formatter<'_>) -> #pg::fmt::Result {
                match *self {
                    #(#display,)*
                }
            }
        }
    };
    Parts { items, impls }
}
