//! `struct RunningName`: the started graph, with one handle per process and
//! the parent's end of each `parent` edge as a std type.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::{Parts, Private, api, as_graph, nested_graph, node_enum, report};
use crate::model::{ByName, EdgeKind, Graph, Keyword, OnFailure, ParentEnd, Target};
use crate::names;

/// An edge whose one end the parent holds.
pub(super) struct ParentEdge<'a> {
    pub field: &'a Ident,
    /// The std type of the parent's end.
    pub ty: TokenStream,
    /// The `RunningGraph` method that hands it over.
    pub take: Ident,
    /// A pipe the parent writes into: closed before waiting, as
    /// `std::process::Child::wait` closes stdin, so readers see EOF.
    pub writer: bool,
    /// The edge feeds replicas: the parent holds one end per replica.
    pub per_replica: bool,
    pub doc: String,
}

pub(super) fn parent_edges<'a>(graph: &'a Graph, pg: &Private) -> Vec<ParentEdge<'a>> {
    let by_name = graph.by_name();
    graph
        .parent_edges()
        .map(|(field, edge, side)| {
            let (ty, take, what) = match (edge.kind, side) {
                (EdgeKind::Pipe, ParentEnd::From) => (
                    quote!(#pg::PipeWriter),
                    "take_writer",
                    "write end of the pipe",
                ),
                (EdgeKind::Pipe, ParentEnd::To) => (
                    quote!(#pg::PipeReader),
                    "take_reader",
                    "read end of the pipe",
                ),
                (EdgeKind::SocketPair, _) => (
                    quote!(#pg::UnixStream),
                    "take_socket",
                    "end of the socketpair",
                ),
            };
            let writer = edge.kind == EdgeKind::Pipe && side == ParentEnd::From;
            // The parent feeds the node's end: a pipe it writes, any socketpair.
            let feeds = edge.kind == EdgeKind::SocketPair || writer;
            let per_replica = feeds && feeds_replicas(&by_name, edge);
            let doc = match per_replica {
                true => format!(
                    " The parent's {what} `{}`, one per replica, replica 0 first; empty once taken.",
                    names::display(&field.ident)
                ),
                false => format!(
                    " The parent's {what} `{}`; `None` once taken.",
                    names::display(&field.ident)
                ),
            };
            let take = Ident::new(take, Span::call_site());
            ParentEdge {
                field: &field.ident,
                ty,
                take,
                writer,
                per_replica,
                doc,
            }
        })
        .collect()
}

impl ParentEdge<'_> {
    /// The type of its field: the end, or one per replica.
    fn field_type(&self, pg: &Private) -> TokenStream {
        let ty = &self.ty;
        match self.per_replica {
            true => quote!(#pg::Vec<#ty>),
            false => quote!(#pg::Option<#ty>),
        }
    }
}

/// The fields that hold the parent's ends of `edges`, documented: the same
/// in the running handle and in a nested graph's `PortEnds`.
pub(super) fn end_fields(edges: &[ParentEdge<'_>], pg: &Private) -> TokenStream {
    let fields = edges.iter().map(|e| e.field);
    let types = edges.iter().map(|e| e.field_type(pg));
    let docs = edges.iter().map(|e| &e.doc);
    quote!(#( #[doc = #docs] pub #fields: #types, )*)
}

/// Drops the pipe ends the parent writes into, held in `holder`'s fields,
/// so their readers see EOF.
pub(super) fn close_writers(
    edges: &[ParentEdge<'_>],
    pg: &Private,
    holder: &TokenStream,
) -> TokenStream {
    let writers = edges.iter().filter(|e| e.writer).map(|e| e.field);
    quote!(#( #holder.#writers = #pg::Default::default(); )*)
}

/// Each `#[subgraph]` field of the running handle: its name, the nested
/// graph as `<Type as ProcessGraph>` (the field holds its `PortEnds`), and
/// its doc.
fn subgraph_fields<'g>(
    graph: &'g Graph,
    pg: &Private,
) -> (Vec<&'g Ident>, Vec<TokenStream>, Vec<String>) {
    let mut fields = (Vec::new(), Vec::new(), Vec::new());
    for (field, _) in graph.subgraphs() {
        fields.0.push(&field.ident);
        fields.1.push(as_graph(graph, field, pg));
        fields.2.push(format!(
            " The parent's ends of the ports of subgraph `{}` that this graph leaves \
             unwired (`None` for each port it wires).",
            names::display(&field.ident)
        ));
    }
    fields
}

/// Whether a node end of `edge` is a process with replicas.
fn feeds_replicas(by_name: &ByName<'_>, edge: &crate::model::Edge) -> bool {
    let Some(wiring) = &edge.wiring else {
        return false;
    };
    wiring
        .from
        .iter()
        .chain(&wiring.to)
        .any(|end| match &end.target {
            Target::Node { node, .. } => by_name.process(node).is_some_and(|p| p.replicated()),
            Target::Parent | Target::Port { .. } => false,
        })
}

pub(super) fn expand(graph: &Graph, pg: &Private, ends: &[ParentEdge<'_>]) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let running = names::running(name);
    let report_ty = names::report(name);
    let inner = Ident::new(names::RUNNING_INNER, Span::call_site());
    let end_fields = end_fields(ends, pg);
    let close_writers = close_writers(ends, pg, &quote!(self));
    let (subgraphs, subgraph_graphs, subgraph_docs) = subgraph_fields(graph, pg);
    let close_subgraph_writers = quote! {
        #( #subgraph_graphs::__close_port_writers(&mut self.#subgraphs); )*
    };
    let handles = graph.processes().map(|(f, p)| {
        let field = &f.ident;
        let variant = names::variant(field);
        let name = names::display(field);
        if p.replicated() {
            let doc = format!(
                " Replica `replica` of the `{name}` process (0 to {}): its pid, status and \
                 signals.\n\n # Panics\n\n When `replica` is {} or more, on use.",
                p.replica_count().saturating_sub(1),
                p.replica_count()
            );
            quote! {
                #[doc = #doc]
                pub fn #field(&self, replica: u32) -> #pg::ProcessHandle<'_, #node> {
                    self.#inner.process(#node::#variant(replica))
                }
            }
        } else {
            let doc = format!(" The `{name}` process: its pid, status and signals.");
            quote! {
                #[doc = #doc]
                pub fn #field(&self) -> #pg::ProcessHandle<'_, #node> {
                    self.#inner.process(#node::#variant)
                }
            }
        }
    });
    let doc = format!(
        " A started [`{name}`], returned by [`{name}::spawn`]; the methods every \
         graph has (`next_event`, `signal`, `restart`, `reload`, `stop`, `decide`, `snapshot`, \
         `stop_on_signals`, ...) come from `process_graph::Running`, which it \
         dereferences to.\n\n\
         Dropping it stops every process still running (the stop signal in reverse start \
         order, SIGKILL after the stop timeout) and reaps them all."
    );
    let report = Ident::new("report", Span::mixed_site());
    let typed_report = report::from_exit_report(graph, pg, &quote!(#report), &quote!(self.#inner));
    let by_name = graph.by_name();
    let scope_ids = api::scope_ids(graph, &by_name);
    let adds = graph.children().map(|(f, c)| {
        let method = names::add_child(&f.ident);
        let (ty, name, variant) = (&c.graph, names::display(&f.ident), names::variant(&f.ident));
        let child_node = node_enum::nested_node(graph, f, pg);
        let child_graph = nested_graph(graph, f);
        let on_failure = Ident::new(
            c.on_failure
                .map_or(OnFailure::Restart, |o| o.value)
                .variant(),
            Span::call_site(),
        );
        // The scope's id in the running graph, as `build` declares it.
        let scope = c
            .scope
            .as_ref()
            .and_then(|scope| Some((scope, *scope_ids.get(by_name.scope_index(scope)?)?)));
        let in_scope = scope.map_or(String::new(), |(scope, _)| {
            format!(", inside this graph's scope `{}`", names::display(scope))
        });
        let scope = match scope {
            Some((_, id)) => quote!(::core::option::Option::Some(#pg::ScopeId::from_index(#id))),
            None => quote!(::core::option::Option::None),
        };
        let doc = format!(
            " Adds a child to `{name}` and starts it: a subgraph named `{name}.N` (N counting \
             from 0){in_scope}, supervised by its own strategy and intensity; when it fails \
             as a unit, the graph handles it by `on_failure` ({}). Its nodes are \
             `{node}::{variant}(child.node(...))`; `remove_child` stops it for good.\n\n \
             # Errors\n\n As `RunningGraph::add`: nothing is added if it fails.",
            on_failure.to_string().to_lowercase(),
            node = node,
        );
        quote! {
            #[doc = #doc]
            pub fn #method(&mut self, child: #ty)
                -> #pg::Result<#pg::ChildId<#child_node>, #pg::Error>
            {
                self.#inner.__add_child::<#child_graph>(
                    #name,
                    child,
                    #pg::SubgraphFailure::#on_failure,
                    #scope,
                    #node::#variant,
                )
            }
        }
    });
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug)]
        #vis struct #running {
            #end_fields
            #(
                #[doc = #subgraph_docs]
                pub #subgraphs: #subgraph_graphs::PortEnds,
            )*
            #inner: #pg::Running<#node>,
        }
    };
    let impls = quote! {
        impl #pg::Deref for #running {
            type Target = #pg::Running<#node>;

            fn deref(&self) -> &#pg::Running<#node> {
                &self.#inner
            }
        }

        impl #pg::DerefMut for #running {
            fn deref_mut(&mut self) -> &mut #pg::Running<#node> {
                &mut self.#inner
            }
        }

        impl #running {
            #(#handles)*
            #(#adds)*

            /// Closes the pipe ends the parent writes into (so their readers see
            /// EOF), then waits for every process to end.
            pub fn wait(&mut self) -> #pg::Result<#report_ty, #pg::Error> {
                #close_writers
                #close_subgraph_writers
                let #report = self.#inner.running_graph_mut().wait()?;
                #pg::Result::Ok(#typed_report)
            }

            /// Stops every process still running: the stop signal, then SIGKILL
            /// after `grace`.
            pub fn shutdown(&mut self, grace: #pg::Duration) -> #pg::Result<#report_ty, #pg::Error> {
                let #report = self.#inner.running_graph_mut().shutdown(grace)?;
                #pg::Result::Ok(#typed_report)
            }
        }

        impl #pg::RunningProcessGraph for #running {
            type Node = #node;
            type Report = #report_ty;

            fn wait(&mut self) -> #pg::Result<#report_ty, #pg::Error> {
                Self::wait(self)
            }

            fn shutdown(&mut self, grace: #pg::Duration) -> #pg::Result<#report_ty, #pg::Error> {
                Self::shutdown(self, grace)
            }
        }

        #pg::if_tokio! {
            impl #running {
                /// [`wait`](Self::wait), as a future (feature `tokio`).
                pub async fn wait_async(&mut self) -> #pg::Result<#report_ty, #pg::Error> {
                    #close_writers
                    #close_subgraph_writers
                    let #report = self.#inner.running_graph_mut().wait_async().await?;
                    #pg::Result::Ok(#typed_report)
                }

                /// [`shutdown`](Self::shutdown), as a future (feature `tokio`):
                /// await it to know the nodes are stopped. A drop within a tokio
                /// runtime that still has processes to stop hands the stop to a
                /// thread of its own and returns at once.
                pub async fn shutdown_async(&mut self, grace: #pg::Duration) -> #pg::Result<#report_ty, #pg::Error> {
                    let #report = self.#inner.running_graph_mut().shutdown_async(grace).await?;
                    #pg::Result::Ok(#typed_report)
                }
            }
        }
    };
    Parts { items, impls }
}

/// The struct literal of the running handle, taking each parent end out of
/// `running` (a `RunningGraph`) by its edge id in `ends`, and each
/// subgraph's unwired ports' ends by theirs in `port_ends`.
pub(super) fn construct(
    graph: &Graph,
    pg: &Private,
    edges: &[ParentEdge<'_>],
    running: &Ident,
    [ends, port_ends]: [&Ident; 2],
) -> TokenStream {
    let name = names::running(&graph.item.ident);
    let inner = Ident::new(names::RUNNING_INNER, Span::call_site());
    let taken = take_ends(edges, running, ends);
    let (subgraphs, sub_values) = subgraph_ends(graph, pg, running, port_ends);
    quote! {
        #name {
            #taken
            #( #subgraphs: #sub_values, )*
            #inner: #pg::typed_running(#running),
        }
    }
}

/// The initialisers of [`end_fields`]: for each edge the parent holds, its
/// field, taking its end (or, feeding replicas, its ends) out of `running`
/// (a `RunningGraph`) by its edge ids in `ends`, indexed as `edges`.
pub(super) fn take_ends(edges: &[ParentEdge<'_>], running: &Ident, ends: &Ident) -> TokenStream {
    let taken = edges.iter().enumerate().map(|(i, e)| {
        let (field, i, take) = (e.field, Literal::usize_unsuffixed(i), &e.take);
        match e.per_replica {
            true => {
                quote!(#field: #ends[#i].iter().filter_map(|&edge| #running.#take(edge)).collect())
            }
            false => quote!(#field: #running.#take(#ends[#i][0])),
        }
    });
    quote!(#(#taken,)*)
}

/// Each `#[subgraph]` field, and the expression that takes the parent's
/// ends of its unwired ports out of `running`, by their edge ids in
/// `port_ends` (one list per subgraph).
fn subgraph_ends<'g>(
    graph: &'g Graph,
    pg: &Private,
    running: &Ident,
    port_ends: &Ident,
) -> (Vec<&'g Ident>, Vec<TokenStream>) {
    graph
        .subgraphs()
        .enumerate()
        .map(|(i, (field, _))| {
            let (i, graph) = (Literal::usize_unsuffixed(i), as_graph(graph, field, pg));
            let take = quote!(#graph::__port_ends(&mut #running, &#port_ends[#i]));
            (&field.ident, take)
        })
        .unzip()
}
