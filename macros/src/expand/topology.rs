//! The graph's shape as a `process_graph_topology::Topology`, built once per
//! expansion: emitted as the `Name::TOPOLOGY` constant, and rendered into
//! the struct's docs (see `docs.rs`).

use proc_macro2::{Literal, TokenStream};
use process_graph_topology::{EdgeInfo, EdgeKind, EndpointInfo, NodeInfo, ScopeInfo, Topology};
use quote::quote;

use super::Private;
use crate::model::{self, Endpoint, Graph, Keyword, Ready, Restart, Strategy, Target};
use crate::names;

/// The default intensity, shared with the runtime's `Intensity::DEFAULT`.
const DEFAULT_INTENSITY: u32 = Topology::DEFAULT_INTENSITY;
const DEFAULT_PERIOD_MS: u64 = Topology::DEFAULT_PERIOD_MS;

/// The topology of the declaration. Its `'static` data is leaked: a few
/// bytes per expansion, for the life of the compiler process.
pub(super) fn of(graph: &Graph) -> Topology {
    let nodes = graph.processes().map(|(field, p)| NodeInfo {
        name: leak_str(names::display(&field.ident)),
        command: None,
        scope: p.scope.as_ref().and_then(|s| graph.scope_index(s)),
        restart: p.restart.unwrap_or(Restart::Never).word(),
        critical: p.critical,
        after: leak(
            p.after
                .iter()
                .filter_map(|a| graph.process_index(a))
                .collect(),
        ),
        ready: p.ready.map(|r| match r.value {
            Ready::Fd(fd) => leak_str(format!("fd({fd})")),
            Ready::Notify => "notify",
        }),
    });
    let edges = graph.edges().filter_map(|(field, edge)| {
        let wiring = edge.wiring.as_ref()?;
        let ends = |list: &[Endpoint]| {
            leak(
                list.iter()
                    .map(|e| match &e.target {
                        Target::Parent => EndpointInfo { node: None, fd: -1 },
                        Target::Node { node, fd } => EndpointInfo {
                            node: graph.process_index(node),
                            fd: *fd,
                        },
                    })
                    .collect(),
            )
        };
        Some(EdgeInfo {
            name: leak_str(names::display(&field.ident)),
            kind: match edge.kind {
                model::EdgeKind::Pipe => EdgeKind::Pipe,
                model::EdgeKind::SocketPair => EdgeKind::SocketPair,
            },
            from: ends(&wiring.from),
            to: ends(&wiring.to),
        })
    });
    let scopes = graph.scopes().map(|(field, s)| ScopeInfo {
        name: leak_str(names::display(&field.ident)),
        namespaces: leak(s.namespaces.iter().map(|n| n.value.word()).collect()),
        hostname: s.hostname.as_ref().map(|h| leak_str(h.value())),
        parent: s.parent.as_ref().and_then(|p| graph.scope_index(p)),
    });
    let options = &graph.options;
    Topology {
        name: leak_str(graph.item.ident.to_string()),
        nodes: leak(nodes.collect()),
        edges: leak(edges.collect()),
        scopes: leak(scopes.collect()),
        strategy: options.strategy.unwrap_or(Strategy::OneForOne).word(),
        intensity: options.intensity.unwrap_or(DEFAULT_INTENSITY),
        period_ms: options.period.map_or(DEFAULT_PERIOD_MS, |p| p.value),
    }
}

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

fn leak_str(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The `Topology` expression of `Name::TOPOLOGY`.
pub(super) fn expand(topology: &Topology, pg: &Private) -> TokenStream {
    let t = quote!(#pg::topology);
    let option = |value: Option<TokenStream>| match value {
        Some(v) => quote!(#pg::Option::Some(#v)),
        None => quote!(#pg::Option::None),
    };
    let index = |i: usize| {
        let i = Literal::usize_unsuffixed(i);
        quote!(#i)
    };
    let nodes = topology.nodes.iter().map(|n| {
        let NodeInfo {
            name,
            restart,
            critical,
            ..
        } = n;
        let command = option(n.command.map(|c| quote!(#c)));
        let scope = option(n.scope.map(index));
        let after = n.after.iter().map(|&i| index(i));
        let ready = option(n.ready.map(|r| quote!(#r)));
        quote! {
            #t::NodeInfo {
                name: #name,
                command: #command,
                scope: #scope,
                restart: #restart,
                critical: #critical,
                after: &[#(#after),*],
                ready: #ready,
            }
        }
    });
    let edges = topology.edges.iter().map(|e| {
        let name = e.name;
        let kind = match e.kind {
            EdgeKind::Pipe => quote!(Pipe),
            EdgeKind::SocketPair => quote!(SocketPair),
        };
        let ends = |list: &[EndpointInfo]| {
            let infos = list.iter().map(|end| {
                let node = option(end.node.map(index));
                let fd = Literal::i32_unsuffixed(end.fd);
                quote!(#t::EndpointInfo { node: #node, fd: #fd })
            });
            quote!(&[#(#infos),*])
        };
        let (from, to) = (ends(e.from), ends(e.to));
        quote! {
            #t::EdgeInfo { name: #name, kind: #t::EdgeKind::#kind, from: #from, to: #to }
        }
    });
    let scopes = topology.scopes.iter().map(|s| {
        let name = s.name;
        let namespaces = s.namespaces;
        let hostname = option(s.hostname.map(|h| quote!(#h)));
        let parent = option(s.parent.map(index));
        quote! {
            #t::ScopeInfo {
                name: #name,
                namespaces: &[#(#namespaces),*],
                hostname: #hostname,
                parent: #parent,
            }
        }
    });
    let Topology { name, strategy, .. } = topology;
    let intensity = Literal::u32_unsuffixed(topology.intensity);
    let period = Literal::u64_unsuffixed(topology.period_ms);
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
