//! `enum NameNode`: one variant per process, so a policy is an exhaustive
//! `match` and events name nodes by type.

use quote::quote;

use super::{Parts, Private};
use crate::model::Graph;
use crate::names;

pub(super) fn expand(graph: &Graph, pg: &Private) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let fields: Vec<_> = graph.processes().map(|(f, _)| &f.ident).collect();
    let variants: Vec<_> = fields.iter().map(|f| names::variant(f)).collect();
    let strings: Vec<_> = fields.iter().map(|f| names::display(f)).collect();
    let docs = strings.iter().map(|s| format!(" The `{s}` process."));
    let enum_doc = format!(
        " The processes of [`{name}`], one variant per `#[process]` field, in declaration order."
    );
    let items = quote! {
        #[doc = #enum_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #vis enum #node {
            #( #[doc = #docs] #variants, )*
        }
    };
    let impls = quote! {
        impl #node {
            /// Every process, in declaration order.
            pub const ALL: &'static [Self] = &[#(Self::#variants),*];

            /// The field name of the process.
            pub const fn name(self) -> &'static str {
                match self {
                    #(Self::#variants => #strings,)*
                }
            }

            /// The process's id in the dynamic graph.
            pub fn id(self) -> #pg::NodeId {
                #pg::NodeId::from_index(self as usize)
            }

            /// The process with this id, if it is one of this graph's.
            pub fn from_id(id: #pg::NodeId) -> #pg::Option<Self> {
                Self::ALL.get(id.index()).copied()
            }
        }

        impl #pg::GraphNode for #node {
            const ALL: &'static [Self] = Self::ALL;

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
                f.write_str(self.name())
            }
        }
    };
    Parts { items, impls }
}
