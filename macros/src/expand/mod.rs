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
use quote::quote;
use syn::DeriveInput;

use crate::ctxt::Ctxt;
use crate::model::Graph;
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
    quote! {
        #(#items)*
        const _: () = {
            #(#impls)*
        };
    }
}
