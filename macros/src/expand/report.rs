//! `struct NameReport`: how each process ended, one field per process.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::{Parts, Private};
use crate::model::Graph;
use crate::names;

pub(super) fn expand(graph: &Graph, pg: &Private) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let report = names::report(name);
    let fields: Vec<_> = graph.processes().map(|(f, _)| &f.ident).collect();
    let variants: Vec<_> = fields.iter().map(|f| names::variant(f)).collect();
    let docs = fields
        .iter()
        .map(|f| format!(" How the `{}` process ended.", names::display(f)));
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
            #( #[doc = #docs] pub #fields: #pg::NodeExit, )*
            #outcome: #pg::Outcome,
        }
    };
    let impls = quote! {
        impl #report {
            /// Every process ran, and its last process exited with code 0.
            pub fn success(&self) -> bool {
                true #(&& self.#fields.success())*
            }

            /// Why the graph ended.
            pub fn outcome(&self) -> #pg::Outcome {
                self.#outcome
            }

            /// The entry of one process.
            pub fn get(&self, node: #node) -> &#pg::NodeExit {
                match node {
                    #(#node::#variants => &self.#fields,)*
                }
            }
        }

        impl #pg::fmt::Display for #report {
            fn fmt(&self, f: &mut #pg::fmt::Formatter<'_>) -> #pg::fmt::Result {
                #( #pg::writeln!(f, "{}", self.#fields)?; )*
                #pg::Result::Ok(())
            }
        }
    };
    Parts { items, impls }
}

/// An expression turning `report` (an `ExitReport` of this graph) into the
/// typed report.
pub(super) fn from_exit_report(graph: &Graph, report: &TokenStream) -> TokenStream {
    let name = names::report(&graph.item.ident);
    let node = names::node_enum(&graph.item.ident);
    let fields: Vec<_> = graph.processes().map(|(f, _)| &f.ident).collect();
    let variants = fields.iter().map(|f| names::variant(f));
    let outcome = Ident::new(names::REPORT_OUTCOME, Span::call_site());
    quote! {
        #name {
            #( #fields: #report[#node::#variants.id()].clone(), )*
            #outcome: #report.outcome(),
        }
    }
}
