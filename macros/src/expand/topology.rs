//! The graph's shape as a `process_graph_topology::Topology`, built once per
//! expansion: checked against the wiring rules (see `check.rs`), emitted as
//! the `Name::TOPOLOGY` constant, and rendered into the struct's docs (see
//! `docs.rs`).

use std::borrow::Cow;
use std::collections::HashMap;

use proc_macro2::{Literal, TokenStream};
use process_graph_topology::{
    EdgeInfo, EdgeKind, EndpointInfo, ListenerInfo, NodeInfo, PortInfo, ProbeCheck, ProbeInfo,
    Ready, ScopeInfo, Side, StdioMode, SubgraphInfo, Topology,
};
use quote::quote;

use super::Private;
use crate::model::{
    self, Endpoint, Graph, Keyword, NotifyAccess, OnFailure, Restart, Strategy, Target,
};
use crate::names;

/// Where a name that resolves to nothing points: past every node or scope,
/// so the checks report it (and `check.rs` names it, with a suggestion).
pub const UNRESOLVED: usize = usize::MAX;

/// The topology of the declaration, every reference kept in place (an
/// unresolved one as [`UNRESOLVED`]) so the checks' indices are the
/// declaration's.
pub fn of(graph: &Graph) -> Topology {
    // Hashed once: every `after` entry, endpoint and scope looks a name up.
    let by_name = graph.by_name();
    let process = |name: &syn::Ident| by_name.process_index(name).unwrap_or(UNRESOLVED);
    let scope = |name: &syn::Ident| by_name.scope_index(name).unwrap_or(UNRESOLVED);
    // An `after` list as its two halves: processes, subgraphs.
    let after = |list: &model::After| {
        let subgraph = |name: &syn::Ident| by_name.subgraph_index(name).unwrap_or(UNRESOLVED);
        let processes: Vec<usize> = list.processes.iter().map(process).collect();
        let subgraphs: Vec<usize> = list.subgraphs.iter().map(subgraph).collect();
        (processes.into(), subgraphs.into())
    };
    let nodes = graph.processes().map(|(field, p)| {
        let (after, after_subgraphs) = after(&p.after);
        NodeInfo {
            name: names::display(&field.ident).into(),
            doc: field.doc.clone().map(Cow::Owned),
            command: None,
            scope: p.scope.as_ref().map(scope),
            restart: p.restart.map_or(Restart::Never, |r| r.value).word(),
            critical: p.critical,
            oneshot: p.oneshot,
            after,
            after_subgraphs,
            ready: p.ready.map(|r| r.value),
            ready_timeout_ms: p.ready_timeout.map(|t| t.value),
            ready_probe: p.ready_probe.as_ref().map(|probe| probe.value.clone()),
            live_probe: p.live_probe.as_ref().map(|probe| probe.value.clone()),
            replicas: p.replica_count(),
            watchdog_ms: p.watchdog.map(|t| t.value),
            notify_access: p
                .notify_access
                .map_or(NotifyAccess::Main, |a| a.value)
                .word(),
            stdio: [0, 1, 2].map(|fd| p.stdio[fd].as_ref().map(|m| m.value.mode())),
            // Fds passed in with a `Cmd` are known only at run time.
            passed_fds: Cow::Borrowed(&[]),
            listeners: p
                .listen
                .iter()
                .map(|(name, address)| ListenerInfo {
                    name: names::display(name).into(),
                    address: address.value().into(),
                })
                .collect::<Vec<_>>()
                .into(),
        }
    });
    let edges = graph.wired_edges().map(|(field, edge, wiring)| {
        let ends = |list: &[Endpoint]| {
            list.iter()
                .map(|e| match &e.target {
                    // A subgraph's port is, to this graph's rules, what the
                    // parent's end is: the world outside its own processes.
                    // The subgraph's `ports` say which port it is.
                    Target::Parent | Target::Port { .. } => EndpointInfo::PARENT,
                    Target::Node { node, fd } => EndpointInfo {
                        node: Some(process(node)),
                        fd: *fd,
                    },
                })
                .collect::<Vec<_>>()
                .into()
        };
        EdgeInfo {
            name: Some(names::display(&field.ident).into()),
            doc: field.doc.clone().map(Cow::Owned),
            kind: match edge.kind {
                model::EdgeKind::Pipe => EdgeKind::Pipe,
                model::EdgeKind::SocketPair => EdgeKind::SocketPair,
            },
            from: ends(&wiring.from),
            to: ends(&wiring.to),
        }
    });
    let scopes = graph.scopes().map(|(field, s)| ScopeInfo {
        name: names::display(&field.ident).into(),
        doc: field.doc.clone().map(Cow::Owned),
        namespaces: s
            .namespaces
            .iter()
            .map(|n| n.value.word())
            .collect::<Vec<_>>()
            .into(),
        hostname: s.hostname.as_ref().map(|h| h.value().into()),
        parent: s.parent.as_ref().map(scope),
    });
    let ports = ports(graph);
    let subgraphs = graph.subgraphs().map(|(field, s)| {
        let (after, after_subgraphs) = after(&s.after);
        SubgraphInfo {
            name: names::display(&field.ident).into(),
            doc: field.doc.clone().map(Cow::Owned),
            type_name: type_name(&field.ty).into(),
            on_failure: s.on_failure.map_or(OnFailure::Restart, |o| o.value).word(),
            scope: s.scope.as_ref().map(scope),
            ports: ports.get(&field.ident).cloned().unwrap_or_default().into(),
            after,
            after_subgraphs,
        }
    });
    let options = &graph.options;
    Topology {
        name: graph.item.ident.to_string().into(),
        nodes: nodes.collect::<Vec<_>>().into(),
        edges: edges.collect::<Vec<_>>().into(),
        scopes: scopes.collect::<Vec<_>>().into(),
        subgraphs: subgraphs.collect::<Vec<_>>().into(),
        strategy: options.strategy.unwrap_or(Strategy::OneForOne).word(),
        intensity: options.intensity.unwrap_or(Topology::DEFAULT_INTENSITY),
        period_ms: options
            .period
            .map_or(Topology::DEFAULT_PERIOD_MS, |p| p.value),
    }
}

/// The ends of this graph's edges that are ports, by the subgraph field
/// they name, each in edge (the topology's indices) and side order: one
/// pass over the edges, not one per subgraph.
fn ports(graph: &Graph) -> HashMap<&syn::Ident, Vec<PortInfo>> {
    let mut ports: HashMap<_, Vec<_>> = HashMap::new();
    for (e, (_, _, wiring)) in graph.wired_edges().enumerate() {
        for (side, ends) in [(Side::From, &wiring.from), (Side::To, &wiring.to)] {
            for (end, endpoint) in ends.iter().enumerate() {
                if let Target::Port { subgraph, port } = &endpoint.target {
                    ports.entry(subgraph).or_default().push(PortInfo {
                        name: names::display(port).into(),
                        edge: e,
                        side,
                        end,
                    });
                }
            }
        }
    }
    ports
}

/// A type as the user wrote it, without the spaces tokens print with:
/// `storage::Db`.
fn type_name(ty: &syn::Type) -> String {
    quote!(#ty).to_string().replace(' ', "")
}

/// The `Topology` expression of `Name::TOPOLOGY`: every text and list
/// borrowed from `'static` data, so it is a constant.
pub(super) fn expand(topology: &Topology, pg: &Private) -> TokenStream {
    let t = quote!(#pg::topology);
    let option = |value: Option<TokenStream>| match value {
        Some(v) => quote!(#pg::Option::Some(#v)),
        None => quote!(#pg::Option::None),
    };
    let text = |s: &str| quote!(#pg::Cow::Borrowed(#s));
    let list = |items: Vec<TokenStream>| quote!(#pg::Cow::Borrowed(&[#(#items),*]));
    let index = |i: usize| {
        let i = Literal::usize_unsuffixed(i);
        quote!(#i)
    };
    let nodes = topology.nodes.iter().map(|n| {
        let name = text(&n.name);
        let doc = option(n.doc.as_deref().map(text));
        let command = option(n.command.as_deref().map(text));
        let scope = option(n.scope.map(index));
        let restart = n.restart;
        let critical = n.critical;
        let oneshot = n.oneshot;
        let after = list(n.after.iter().map(|&i| index(i)).collect());
        let after_subgraphs = list(n.after_subgraphs.iter().map(|&i| index(i)).collect());
        let ready = option(n.ready.map(|r| match r {
            Ready::Fd(fd) => {
                let fd = Literal::i32_unsuffixed(fd);
                quote!(#t::Ready::Fd(#fd))
            }
            Ready::Notify => quote!(#t::Ready::Notify),
        }));
        let [ready_probe, live_probe] = [&n.ready_probe, &n.live_probe]
            .map(|probe| option(probe.as_ref().map(|p| probe_info(p, pg))));
        let millis = |ms: Option<u64>| {
            option(ms.map(|ms| {
                let ms = Literal::u64_unsuffixed(ms);
                quote!(#ms)
            }))
        };
        let ready_timeout = millis(n.ready_timeout_ms);
        let watchdog = millis(n.watchdog_ms);
        let notify_access = n.notify_access;
        let stdio = n.stdio.iter().map(|mode| {
            option(mode.map(|m| match m {
                StdioMode::Inherit => quote!(#t::StdioMode::Inherit),
                StdioMode::Null => quote!(#t::StdioMode::Null),
                StdioMode::Prefixed => quote!(#t::StdioMode::Prefixed),
                StdioMode::Fd => quote!(#t::StdioMode::Fd),
                StdioMode::File => quote!(#t::StdioMode::File),
                StdioMode::Callback => quote!(#t::StdioMode::Callback),
                StdioMode::Tracing => quote!(#t::StdioMode::Tracing),
                StdioMode::Terminal => quote!(#t::StdioMode::Terminal),
            }))
        });
        let listeners = list(
            n.listeners
                .iter()
                .map(|l| {
                    let (name, address) = (text(&l.name), text(&l.address));
                    quote!(#t::ListenerInfo { name: #name, address: #address })
                })
                .collect(),
        );
        let passed_fds = list(
            n.passed_fds
                .iter()
                .map(|&fd| {
                    let fd = Literal::i32_unsuffixed(fd);
                    quote!(#fd)
                })
                .collect(),
        );
        let replicas = Literal::u32_unsuffixed(n.replicas);
        quote! {
            #t::NodeInfo {
                name: #name,
                doc: #doc,
                command: #command,
                scope: #scope,
                restart: #restart,
                critical: #critical,
                oneshot: #oneshot,
                after: #after,
                after_subgraphs: #after_subgraphs,
                ready: #ready,
                ready_timeout_ms: #ready_timeout,
                ready_probe: #ready_probe,
                live_probe: #live_probe,
                watchdog_ms: #watchdog,
                notify_access: #notify_access,
                stdio: [#(#stdio),*],
                passed_fds: #passed_fds,
                listeners: #listeners,
                replicas: #replicas,
            }
        }
    });
    let edges = topology.edges.iter().map(|e| {
        let name = option(e.name.as_deref().map(text));
        let doc = option(e.doc.as_deref().map(text));
        let kind = match e.kind {
            EdgeKind::Pipe => quote!(Pipe),
            EdgeKind::SocketPair => quote!(SocketPair),
        };
        let ends = |ends: &[EndpointInfo]| {
            list(
                ends.iter()
                    .map(|end| {
                        let node = option(end.node.map(index));
                        let fd = Literal::i32_unsuffixed(end.fd);
                        quote!(#t::EndpointInfo { node: #node, fd: #fd })
                    })
                    .collect(),
            )
        };
        let (from, to) = (ends(&e.from), ends(&e.to));
        quote! {
            #t::EdgeInfo {
                name: #name,
                doc: #doc,
                kind: #t::EdgeKind::#kind,
                from: #from,
                to: #to,
            }
        }
    });
    let scopes = topology.scopes.iter().map(|s| {
        let name = text(&s.name);
        let doc = option(s.doc.as_deref().map(text));
        let namespaces = list(s.namespaces.iter().map(|n| quote!(#n)).collect());
        let hostname = option(s.hostname.as_deref().map(text));
        let parent = option(s.parent.map(index));
        quote! {
            #t::ScopeInfo {
                name: #name,
                doc: #doc,
                namespaces: #namespaces,
                hostname: #hostname,
                parent: #parent,
            }
        }
    });
    let subgraphs = topology.subgraphs.iter().map(|s| {
        let name = text(&s.name);
        let doc = option(s.doc.as_deref().map(text));
        let type_name = text(&s.type_name);
        let on_failure = s.on_failure;
        let scope = option(s.scope.map(index));
        let ports = s.ports.iter().map(|p| {
            let name = text(&p.name);
            let (edge, end) = (index(p.edge), index(p.end));
            let side = match p.side {
                Side::From => quote!(From),
                Side::To => quote!(To),
            };
            quote! {
                #t::PortInfo { name: #name, edge: #edge, side: #t::Side::#side, end: #end }
            }
        });
        let ports = list(ports.collect());
        let after = list(s.after.iter().map(|&i| index(i)).collect());
        let after_subgraphs = list(s.after_subgraphs.iter().map(|&i| index(i)).collect());
        quote! {
            #t::SubgraphInfo {
                name: #name,
                doc: #doc,
                type_name: #type_name,
                on_failure: #on_failure,
                scope: #scope,
                ports: #ports,
                after: #after,
                after_subgraphs: #after_subgraphs,
            }
        }
    });
    let name = text(&topology.name);
    let strategy = topology.strategy;
    let intensity = Literal::u32_unsuffixed(topology.intensity);
    let period = Literal::u64_unsuffixed(topology.period_ms);
    let (nodes, edges, scopes, subgraphs) = (
        list(nodes.collect()),
        list(edges.collect()),
        list(scopes.collect()),
        list(subgraphs.collect()),
    );
    quote! {
        #t::Topology {
            name: #name,
            nodes: #nodes,
            edges: #edges,
            scopes: #scopes,
            subgraphs: #subgraphs,
            strategy: #strategy,
            intensity: #intensity,
            period_ms: #period,
        }
    }
}

/// A `ProbeInfo` expression, every text borrowed from `'static` data.
fn probe_info(probe: &ProbeInfo, pg: &Private) -> TokenStream {
    let t = quote!(#pg::topology);
    let check = match &probe.check {
        ProbeCheck::Tcp(s) => quote!(Tcp(#pg::Cow::Borrowed(#s))),
        ProbeCheck::Http(s) => quote!(Http(#pg::Cow::Borrowed(#s))),
        ProbeCheck::LogLine(s) => quote!(LogLine(#pg::Cow::Borrowed(#s))),
        ProbeCheck::Exec(argv) => {
            let argv = argv.iter().map(|a| quote!(#pg::Cow::Borrowed(#a)));
            quote!(Exec(#pg::Cow::Borrowed(&[#(#argv),*])))
        }
    };
    let period = Literal::u64_unsuffixed(probe.period_ms);
    let timeout = Literal::u64_unsuffixed(probe.timeout_ms);
    let threshold = Literal::u32_unsuffixed(probe.failure_threshold);
    quote! {
        #t::ProbeInfo {
            check: #t::ProbeCheck::#check,
            period_ms: #period,
            timeout_ms: #timeout,
            failure_threshold: #threshold,
        }
    }
}
