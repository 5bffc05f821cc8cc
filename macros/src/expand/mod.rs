//! Code generation: the struct itself, its node enum, its typed running
//! handle and report, and the impl that builds the dynamic graph.
//!
//! Generated code names the library only through `::process_graph::__private::…`
//! (or the path given with `crate = "..."`), puts every impl in a
//! `const _: () = { … };` block, and gives its locals mixed-site hygiene.
//! The derives it adds (`Debug`, `Clone`, ...) resolve at the call site, as
//! any derive does.

mod api;
mod docs;
mod node_enum;
mod ports;
mod report;
mod running;
#[cfg(test)]
mod snapshots;
pub(crate) mod topology;

use proc_macro2::TokenStream;
use process_graph_topology::Topology;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Type};

use crate::model::{Field, Graph, Role};

use crate::ctxt::Ctxt;
use crate::{check, names, parse};

/// The whole macro: `#[process_graph(args)] item` → generated code.
pub fn process_graph(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: DeriveInput = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &input,
                "#[process_graph] goes on a struct whose fields are processes, edges and scopes",
            );
            return quote!(#input)
                .into_iter()
                .chain(error.to_compile_error())
                .collect();
        }
    };
    let cx = Ctxt::new();
    let (mut item, mut graph) = parse::graph(&cx, args, item);
    if let Some(graph) = &mut graph {
        check::ports(&cx, graph);
    }
    let topology = graph.as_ref().map(topology::of);
    if let (Some(graph), Some(topology)) = (&graph, &topology) {
        check::check(&cx, graph, topology);
    }
    let errors = cx.check().err();
    let bodies = match errors {
        None => Bodies::Real,
        Some(_) => Bodies::Placeholder,
    };
    let generated = graph.zip(topology).map(|(mut graph, topology)| {
        if bodies == Bodies::Placeholder {
            // Leave out fields whose names clash with generated items, so the
            // clash is reported once, by the checks, and not again by rustc.
            let misplaced: Vec<usize> = names::clashes(&graph)
                .into_iter()
                .map(|(index, _)| index)
                .chain(check::not_graphs(&graph).map(|(index, _)| index))
                .collect();
            for index in misplaced {
                graph.fields[index].role = None;
            }
        }
        if bodies == Bodies::Real {
            item.attrs.extend(docs::attrs(&topology));
        }
        generate(&graph, &topology, bodies)
    });
    let errors = errors.map(|e| e.to_compile_error());
    quote! {
        #item
        #generated
        #errors
    }
}

/// Whether the declaration checked clean. When it did not, the generated
/// items keep their signatures but their bodies only panic, so the user's
/// other code still type-checks and one mistake gives one error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    Real,
    Placeholder,
}

impl Bodies {
    /// The body `body` makes, or a placeholder of any type.
    fn or_placeholder(self, body: impl FnOnce() -> TokenStream, pg: &Private) -> TokenStream {
        match self {
            Bodies::Real => body(),
            Bodies::Placeholder => quote! {
                #pg::panic!("the #[process_graph] declaration has errors")
            },
        }
    }
}

/// The path of the facade's private module.
pub struct Private(TokenStream);

impl Private {
    fn new(graph: &Graph) -> Self {
        let krate = match &graph.options.krate {
            Some(path) => quote!(#path),
            None => quote!(::process_graph),
        };
        Private(quote!(#krate::__private))
    }
}

impl quote::ToTokens for Private {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

/// The graph a `#[subgraph]` field nests (its type), or the one each child
/// of a `#[children]` field is (`G` of its `Children<G>`), and the library's
/// trait that says so.
fn nested_type(field: &Field) -> Option<(&Type, TokenStream)> {
    match field.role.as_ref()? {
        Role::Subgraph(_) => Some((&field.ty, quote!(Subgraph))),
        Role::Children(children) => Some((&children.graph, quote!(ChildGraph))),
        _ => None,
    }
}

/// For each `#[subgraph]` and `#[children]` field, a private const of the
/// struct that asserts, at the field's type, that it is a `#[process_graph]`
/// struct: where it is not, the only error (see `as_graph`).
fn nested_checks(graph: &Graph, pg: &Private) -> TokenStream {
    let name = &graph.item.ident;
    let checks: Vec<TokenStream> = graph
        .fields
        .iter()
        .filter_map(|field| {
            let (ty, bound) = nested_type(field)?;
            let check = names::nested_check(&field.ident);
            let value = quote_spanned!(ty.span()=> <#ty as #pg::#bound>::CHECKED);
            Some(quote!(const #check: usize = #value;))
        })
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(non_upper_case_globals)]
        impl #name {
            #(#checks)*
        }
    }
}

/// The graph `G` that `field` nests, written so that, when `G` is no graph,
/// rustc reports it once, at `nested_checks`'s const, and nothing at the
/// many uses (where `<G as ProcessGraph>` would be reported at each one):
/// the private alias `nested_aliases` makes, `<Nest<G, { const }> as
/// NestedGraph>::Graph`, an error type when the const is an error.
fn nested_graph(graph: &Graph, field: &Field) -> TokenStream {
    let (ty, _) = nested_type(field).expect("a #[subgraph] or #[children] field");
    let alias = names::nested_alias(&graph.item.ident, &field.ident);
    quote_spanned!(ty.span()=> #alias)
}

/// For each `#[subgraph]` and `#[children]` field, the private alias
/// `nested_graph` names: `G` through `Nest` for the compiler, `G` itself
/// for rustdoc, which shows a private alias in a public signature as what
/// it stands for (the node enum's variants, the running handle's fields).
fn nested_aliases(graph: &Graph, pg: &Private) -> TokenStream {
    let name = &graph.item.ident;
    graph
        .fields
        .iter()
        .filter_map(|field| {
            let (ty, _) = nested_type(field)?;
            let alias = names::nested_alias(name, &field.ident);
            let check = names::nested_check(&field.ident);
            Some(quote! {
                #[cfg(not(doc))]
                #[allow(non_camel_case_types)]
                type #alias = <#pg::Nest<#ty, { #name::#check }> as #pg::NestedGraph>::Graph;
                #[cfg(doc)]
                #[allow(non_camel_case_types)]
                type #alias = #ty;
            })
        })
        .collect()
}

/// `<G as ProcessGraph>` for the graph `G` that `field` nests (see
/// `nested_graph`), spanned at `G`.
fn as_graph(graph: &Graph, field: &Field, pg: &Private) -> TokenStream {
    let nested = nested_graph(graph, field);
    quote_spanned!(nested.span()=> <#nested as #pg::ProcessGraph>)
}

/// What one module generates: items the user names, and their impls.
#[derive(Default)]
struct Parts {
    items: TokenStream,
    impls: TokenStream,
}

fn generate(graph: &Graph, topology: &Topology, bodies: Bodies) -> TokenStream {
    let pg = Private::new(graph);
    let parent_edges = running::parent_edges(graph, &pg);
    let parts = [
        node_enum::expand(graph, &pg),
        report::expand(graph, &pg),
        running::expand(graph, &pg, &parent_edges),
        api::expand(graph, &pg, topology, bodies, &parent_edges),
    ];
    let items = parts.iter().map(|p| &p.items);
    let impls = parts.iter().map(|p| &p.impls);
    let nested_checks = nested_checks(graph, &pg);
    let nested_aliases = nested_aliases(graph, &pg);
    quote! {
        #nested_aliases
        #(#items)*
        const _: () = {
            #nested_checks
            #(#impls)*
        };
    }
}
