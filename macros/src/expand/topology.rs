//! `Name::TOPOLOGY`: the graph's shape as a `const` (nodes, edges with their
//! fds, scopes, policies), for diagrams and run-time introspection.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Private;
use crate::model::{EdgeKind, Endpoint, Graph, Keyword, Ready, Restart, Strategy, Target};
use crate::names;

/// The runtime's default intensity (`Intensity::default()`: 3 restarts in
/// 5 s, as OTP); a test of the facade keeps the two equal.
const DEFAULT_INTENSITY: u32 = 3;
const DEFAULT_PERIOD_MS: u64 = 5_000;

/// The `Topology` expression.
pub(super) fn expand(graph: &Graph, pg: &Private) -> TokenStream {
    let t = quote!(#pg::topology);
    let name = graph.item.ident.to_string();
    let nodes = graph.processes().map(|(field, p)| {
        let name = names::display(&field.ident);
        let scope = option(
            p.scope
                .as_ref()
                .and_then(|s| graph.scope_index(s))
                .map(index),
            pg,
        );
        let restart = p.restart.unwrap_or(Restart::Never).word();
        let critical = p.critical;
        let after = p
            .after
            .iter()
            .filter_map(|a| graph.process_index(a))
            .map(index);
        let ready = option(
            p.ready.map(|r| match r.value {
                Ready::Fd(fd) => format!("fd({fd})"),
                Ready::Notify => "notify".to_owned(),
            }),
            pg,
        );
        quote! {
            #t::NodeInfo {
                name: #name,
                command: #pg::Option::None,
                scope: #scope,
                restart: #restart,
                critical: #critical,
                after: &[#(#after),*],
                ready: #ready,
            }
        }
    });
    let edges = graph.edges().filter_map(|(field, edge)| {
        let wiring = edge.wiring.as_ref()?;
        let name = names::display(&field.ident);
        let kind = match edge.kind {
            EdgeKind::Pipe => quote!(Pipe),
            EdgeKind::SocketPair => quote!(SocketPair),
        };
        let ends = |list: &[Endpoint]| {
            let infos = list.iter().map(|e| {
                let (node, fd) = match &e.target {
                    Target::Parent => (None, -1),
                    Target::Node { node, fd } => (graph.process_index(node).map(index), *fd),
                };
                let node = option(node, pg);
                let fd = Literal::i32_unsuffixed(fd);
                quote!(#t::EndpointInfo { node: #node, fd: #fd })
            });
            quote!(&[#(#infos),*])
        };
        let (from, to) = (ends(&wiring.from), ends(&wiring.to));
        Some(quote! {
            #t::EdgeInfo { name: #name, kind: #t::EdgeKind::#kind, from: #from, to: #to }
        })
    });
    let scopes = graph.scopes().map(|(field, s)| {
        let name = names::display(&field.ident);
        let namespaces = s.namespaces.iter().map(|n| n.value.word());
        let hostname = option(s.hostname.as_ref().map(|h| h.value()), pg);
        let parent = option(
            s.parent
                .as_ref()
                .and_then(|p| graph.scope_index(p))
                .map(index),
            pg,
        );
        quote! {
            #t::ScopeInfo {
                name: #name,
                namespaces: &[#(#namespaces),*],
                hostname: #hostname,
                parent: #parent,
            }
        }
    });
    let options = &graph.options;
    let strategy = options.strategy.unwrap_or(Strategy::OneForOne).word();
    let intensity = Literal::u32_unsuffixed(options.intensity.unwrap_or(DEFAULT_INTENSITY));
    let period = Literal::u64_unsuffixed(options.period.map_or(DEFAULT_PERIOD_MS, |p| p.value));
    quote! {
        #t::Topology {
            name: #name,
            nodes: &[#(#nodes),*],
            edges: &[#(#edges),*],
            scopes: &[#(#scopes),*],
            strategy: #strategy,
            intensity: #intensity,
            period_ms: #period,
        }
    }
}

fn index(i: usize) -> Literal {
    Literal::usize_unsuffixed(i)
}

fn option<T: quote::ToTokens>(value: Option<T>, pg: &Private) -> TokenStream {
    match value {
        Some(v) => quote!(#pg::Option::Some(#v)),
        None => quote!(#pg::Option::None),
    }
}
