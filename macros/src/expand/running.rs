//! `struct RunningName`: the started graph, with one handle per process and
//! the parent's end of each `parent` edge as a std type.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::{Parts, Private, report};
use crate::model::{EdgeKind, Graph, ParentEnd};
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
    pub doc: String,
}

pub(super) fn parent_edges<'a>(graph: &'a Graph, pg: &Private) -> Vec<ParentEdge<'a>> {
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
            let doc = format!(
                " The parent's {what} `{}`; `None` once taken.",
                names::display(&field.ident)
            );
            let take = Ident::new(take, Span::call_site());
            ParentEdge {
                field: &field.ident,
                ty,
                take,
                writer,
                doc,
            }
        })
        .collect()
}

pub(super) fn expand(graph: &Graph, pg: &Private, ends: &[ParentEdge<'_>]) -> Parts {
    let vis = &graph.item.vis;
    let name = &graph.item.ident;
    let node = names::node_enum(name);
    let running = names::running(name);
    let report_ty = names::report(name);
    let inner = Ident::new(names::RUNNING_INNER, Span::call_site());
    let end_fields = ends.iter().map(|e| e.field);
    let end_types = ends.iter().map(|e| &e.ty);
    let end_docs = ends.iter().map(|e| &e.doc);
    let writers: Vec<_> = ends.iter().filter(|e| e.writer).map(|e| e.field).collect();
    let processes: Vec<_> = graph.processes().map(|(f, _)| &f.ident).collect();
    let variants = processes.iter().map(|f| names::variant(f));
    let process_docs = processes.iter().map(|f| {
        format!(
            " The `{}` process: its pid, status and signals.",
            names::display(f)
        )
    });
    let doc = format!(
        " A started [`{name}`], returned by [`{name}::spawn`]; the methods every \
         graph has (`next_event`, `signal`, `restart`, `stop`, `decide`, `snapshot`, \
         `stop_on_signals`, ...) come from `process_graph::Running`, which it \
         dereferences to.\n\n\
         Dropping it stops every process still running (the stop signal in reverse start \
         order, SIGKILL after the stop timeout) and reaps them all."
    );
    let report = Ident::new("report", Span::mixed_site());
    let typed_report = report::from_exit_report(graph, &quote!(#report));
    let items = quote! {
        #[doc = #doc]
        #[derive(Debug)]
        #vis struct #running {
            #( #[doc = #end_docs] pub #end_fields: #pg::Option<#end_types>, )*
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
            #(
                #[doc = #process_docs]
                pub fn #processes(&self) -> #pg::ProcessHandle<'_, #node> {
                    self.#inner.process(#node::#variants)
                }
            )*

            /// Closes the pipe ends the parent writes into (so their readers see
            /// EOF), then waits for every process to end.
            pub fn wait(&mut self) -> #pg::Result<#report_ty, #pg::Error> {
                #( self.#writers = #pg::Option::None; )*
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
                    #( self.#writers = #pg::Option::None; )*
                    let #report = self.#inner.running_graph_mut().wait_async().await?;
                    #pg::Result::Ok(#typed_report)
                }

                /// [`shutdown`](Self::shutdown), as a future (feature `tokio`):
                /// await it before dropping the handle in async code, since a
                /// drop that still has processes to stop blocks the thread.
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
/// `running` (a `RunningGraph`) by its edge id in `ends`.
pub(super) fn construct(
    graph: &Graph,
    pg: &Private,
    edges: &[ParentEdge<'_>],
    running: &Ident,
    ends: &Ident,
) -> TokenStream {
    let name = names::running(&graph.item.ident);
    let inner = Ident::new(names::RUNNING_INNER, Span::call_site());
    let fields = edges.iter().map(|e| e.field);
    let takes = edges.iter().map(|e| &e.take);
    let indices = (0..edges.len()).map(Literal::usize_unsuffixed);
    quote! {
        #name {
            #( #fields: #running.#takes(#ends[#indices]), )*
            #inner: #pg::typed_running(#running),
        }
    }
}
