//! The impl on the user's struct: `new`, `graph`, `spawn` and `TOPOLOGY`,
//! inherent and as `ProcessGraph`, and the private `build` function that turns the declaration into calls
//! of the runtime's dynamic API — one engine behind both front doors.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use process_graph_topology::{ProbeCheck, ProbeInfo, STDIO, Topology};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::{Bodies, Parts, Private, as_graph, ports, running, topology};
use crate::model::{
    After, ByName, EdgeKind, Endpoint, Field, FileSink, Graph, Keyword, OnFailure, Process, Ready,
    Role, Stdio, StdioMode, Target, Wiring,
};
use crate::names;

pub(super) fn expand(
    graph: &Graph,
    pg: &Private,
    topology: &Topology,
    bodies: Bodies,
    ends_of: &[running::ParentEdge<'_>],
) -> Parts {
    let name = &graph.item.ident;
    let running_ty = names::running(name);
    let node_enum = names::node_enum(name);
    let value = Ident::new("value", Span::mixed_site());
    let graph_var = Ident::new("graph", Span::mixed_site());
    let running_var = Ident::new("started", Span::mixed_site());
    let ends = Ident::new("ends", Span::mixed_site());
    let port_ends = Ident::new("port_ends", Span::mixed_site());
    let parent_edges = Literal::usize_unsuffixed(ends_of.len());
    let subgraph_count = Literal::usize_unsuffixed(graph.subgraphs().count());

    // TOPOLOGY is built from whatever resolved, even with errors: a
    // placeholder would be evaluated, and fail, wherever it is used.
    let topology = topology::expand(topology, pg);
    let new_body = bodies.or_placeholder(|| constructor(graph, pg), pg);
    let build_body = bodies.or_placeholder(|| build(graph, pg, &value, &graph_var), pg);
    let construct = running::construct(graph, pg, ends_of, &running_var, [&ends, &port_ends]);
    let (params, param_types): (Vec<_>, Vec<_>) = graph
        .fields
        .iter()
        .filter(|f| matches!(f.role, Some(Role::Process(_) | Role::Subgraph(_))))
        .map(|f| (&f.ident, &f.ty))
        .unzip();
    let (ports_items, ports_value) = ports::declare(graph, pg);
    let (port_ends_items, port_ends_trait_items) = ports::ends(graph, pg, ends_of);
    let ports_ty = names::ports(name);
    let port_checks = ports::checks(graph, pg);
    let allow_unused = (bodies == Bodies::Placeholder).then(|| quote!(#[allow(unused_variables)]));

    let topology_doc = format!(
        " The shape of [`{name}`] — its processes, edges with their fds, scopes and \
         policies — as data, e.g. to draw it."
    );
    let new_doc = format!(
        " The [`{name}`] that runs these commands and subgraphs, one per process \
         and `#[subgraph]` field in declaration order; every edge and scope gets \
         its default settings."
    );
    let impls = quote! {
        impl #name {
            #[doc = #topology_doc]
            pub const TOPOLOGY: #pg::topology::Topology = #topology;

            #[doc = #new_doc]
            #[allow(clippy::too_many_arguments)]
            #allow_unused
            pub fn new(#(#params: #param_types),*) -> Self {
                #new_body
            }

            /// The dynamic graph this declaration stands for, to inspect or
            /// extend before spawning it.
            pub fn graph(self) -> #pg::Graph {
                build(self).0
            }

            /// Starts every process and wires every edge.
            ///
            /// If a process fails to start, every process already started is
            /// killed and reaped, and the error names the process and the step
            /// that failed. If the graph fails while it starts (a dependency
            /// fails, the restart intensity is exceeded, or dependencies are
            /// not ready within `start_timeout`, 90 s unless the graph sets
            /// it), everything started is stopped and reaped and `spawn`
            /// returns that error; see `Graph::spawn`.
            pub fn spawn(self) -> #pg::Result<#running_ty, #pg::Error> {
                let (#graph_var, #ends, #port_ends) = build(self);
                let mut #running_var = #graph_var.spawn()?;
                #pg::Result::Ok(#construct)
            }
        }

        impl #pg::ProcessGraph for #name {
            type Node = #node_enum;
            type Running = #running_ty;

            const TOPOLOGY: #pg::topology::Topology = Self::TOPOLOGY;

            type Ports = #ports_ty;
            const PORTS: #ports_ty = #ports_value;

            #port_ends_trait_items

            fn graph(self) -> #pg::Graph {
                Self::graph(self)
            }

            fn spawn(self) -> #pg::Result<#running_ty, #pg::Error> {
                Self::spawn(self)
            }

            fn __graph_with_ends(self) -> (#pg::Graph, #pg::Vec<#pg::Vec<#pg::EdgeId>>) {
                let (#graph_var, #ends, _) = build(self);
                (#graph_var, #pg::Vec::from(#ends))
            }
        }

        #port_checks

        #allow_unused
        fn build(#value: #name) -> (
            #pg::Graph,
            [#pg::Vec<#pg::EdgeId>; #parent_edges],
            [#pg::Vec<#pg::Vec<#pg::EdgeId>>; #subgraph_count],
        ) {
            #build_body
        }
    };
    Parts {
        items: quote!(#ports_items #port_ends_items),
        impls,
    }
}

/// `Self { process: arg, edge: Default::default(), .. }`.
fn constructor(graph: &Graph, pg: &Private) -> TokenStream {
    let fields = graph.fields.iter().map(|field| {
        let ident = &field.ident;
        match field.role {
            Some(Role::Process(_) | Role::Subgraph(_)) => quote!(#ident),
            // Spanned at the type, so a type without a default is reported there.
            _ => quote_spanned!(field.ty.span()=> #ident: #pg::Default::default()),
        }
    });
    quote!(Self { #(#fields,)* })
}

/// The body of `build`: graph options, scopes (parents first), processes,
/// then edges; returns the graph, the ids of the edges the parent holds (of
/// each, one per replica when it feeds replicas), and, per subgraph, those
/// of its ports in the same way (a port wired here has no parent end left).
fn build(graph: &Graph, pg: &Private, value: &Ident, g: &Ident) -> TokenStream {
    let options = graph_options(graph, pg, g);
    // Hashed once: every endpoint and `after` entry looks a name up.
    let by_name = graph.by_name();
    let declared: Vec<_> = graph.scopes().collect();
    let scopes = scope_order(graph, &by_name).into_iter().map(|i| {
        let (field, scope) = declared[i];
        let name = names::display(&field.ident);
        let var = names::local("scope", &field.ident);
        let namespaces = scope.namespaces.iter().map(|n| {
            let variant = Ident::new(n.value.variant(), Span::call_site());
            quote!(#pg::Namespace::#variant)
        });
        let hostname = scope.hostname.as_ref().map(|h| quote!(.hostname(#h)));
        let parent = scope.parent.as_ref().map(|p| {
            let parent = names::local("scope", p);
            quote!(.parent(#parent))
        });
        let settings = names::local("field", &field.ident);
        quote! {
            let #var = #g.scope(
                #name,
                #pg::ScopeSpec::new([#(#namespaces),*])#hostname #parent.settings(#settings),
            );
        }
    });
    let node_enum = names::node_enum(&graph.item.ident);
    let nodes = graph.processes().map(|(field, process)| {
        let name = names::display(&field.ident);
        let stdio = process
            .stdio
            .iter()
            .zip(STDIO)
            .filter_map(|(stdio, stream)| {
                let stdio = stdio.as_ref()?;
                let value = stdio_value(&stdio.value, stdio.span, pg);
                let stream = Ident::new(stream, Span::call_site());
                Some(quote_spanned!(stdio.span=> .#stream(#value)))
            });
        let listen = process.listen.iter().map(|(listener, address)| {
            let listener = names::display(listener);
            quote!(.listen(#pg::Listener::address(#address).named(#listener)))
        });
        let command = names::local("field", &field.ident);
        let command = quote!(#command #(#stdio)* #(#listen)*);
        match node_options(&by_name, process, pg, &node_enum) {
            None => quote!(#g.node(#name, #command);),
            Some(options) => quote!(#g.node_with(#name, #command, #options);),
        }
    });
    // After every process of this graph's own, so that its nodes' ids are
    // the declared ones, the subgraphs' come next (see `node_enum.rs`).
    let subgraphs = graph.subgraphs().map(|(field, decl)| {
        let name = names::display(&field.ident);
        let graph_ty = as_graph(graph, field, pg);
        let local = names::local("field", &field.ident);
        let nested = names::local("_nested", &field.ident);
        let inner = names::local("inner", &field.ident);
        let ends = names::local("ends", &field.ident);
        let on_failure = Ident::new(
            decl.on_failure
                .map_or(OnFailure::Restart, |o| o.value)
                .variant(),
            Span::call_site(),
        );
        let nest = match &decl.scope {
            None => quote! {
                #g.subgraph(#name, #inner, #pg::SubgraphFailure::#on_failure)
            },
            Some(scope) => {
                let scope = names::local("scope", scope);
                quote! {
                    #g.subgraph_in_scope(#name, #inner, #pg::SubgraphFailure::#on_failure, #scope)
                }
            }
        };
        quote! {
            let (#inner, #ends) = #graph_ty::__graph_with_ends(#local);
            let #nested = #nest;
            let #ends = #pg::nested_ends(&#nested, #ends);
        }
    });
    let subgraph_order = subgraph_order(graph, &by_name, &node_enum, g);
    let edges = graph.edges().filter_map(|(field, edge)| {
        let wiring = edge.wiring.as_ref()?;
        if let Some(connect) = connect_port(&by_name, wiring, pg, &node_enum, g) {
            return Some(connect);
        }
        let name = names::display(&field.ident);
        let ident = &field.ident;
        let var = names::local("edge", ident);
        let settings = names::local("field", &field.ident);
        let ends = |list: &[Endpoint]| {
            let list = list.iter().map(|e| endpoint(&by_name, e, pg, &node_enum));
            quote!([#(#list),*])
        };
        let (from, to) = (ends(&wiring.from), ends(&wiring.to));
        let add = match edge.kind {
            EdgeKind::Pipe => quote!(#g.pipe_of(#settings, #from, #to)),
            EdgeKind::SocketPair => {
                let (a, b) = (&wiring.from[0], &wiring.to[0]);
                let (a, b) = (
                    endpoint(&by_name, a, pg, &node_enum),
                    endpoint(&by_name, b, pg, &node_enum),
                );
                quote!(#g.socketpair_of(#settings, #a, #b))
            }
        };
        Some(quote! {
            let #var = #add;
            #g.name_edge(#var, #name);
        })
    });
    let ends = Ident::new("parent_ends", Span::mixed_site());
    let parent_ends = graph
        .parent_edges()
        .map(|(f, _, _)| names::local("edge", &f.ident));
    let subgraph_ends = graph
        .subgraphs()
        .map(|(f, _)| names::local("ends", &f.ident));
    let fields = graph.fields.iter().filter_map(|field| {
        let ty = match field.role.as_ref()? {
            Role::Process(_) => quote!(#pg::Command),
            Role::Edge(edge) if edge.kind == EdgeKind::Pipe => quote!(#pg::Pipe),
            Role::Edge(_) => quote!(#pg::SocketPair),
            Role::Scope(_) => quote!(#pg::Scope),
            Role::Subgraph(_) => {
                let ty = &field.ty;
                quote!(#ty)
            }
            // Holds nothing: children are added through the running handle.
            Role::Children(_) => {
                let field_value = field_value(value, field);
                return Some(quote!(let _ = #field_value;));
            }
        };
        let local = names::local("field", &field.ident);
        let field_value = field_value(value, field);
        Some(quote!(let #local: #ty = #field_value;))
    });
    quote! {
        #(#fields)*
        let mut #g = #pg::Graph::new();
        #options
        #(#scopes)*
        #(#nodes)*
        #(#subgraphs)*
        #subgraph_order
        #(#edges)*
        let #ends = [#(#g.replica_edges(#parent_ends)),*];
        (#g, #ends, [#(#subgraph_ends),*])
    }
}

/// The `after` entries that name a subgraph, and every subgraph's own
/// `after`, lowered to per-node dependencies once the subgraphs are nested
/// (their nodes' ids are known only then): `Graph::start_after`, once for
/// the processes a subgraph waits for and once for all the subgraphs a
/// process or a subgraph waits for, in the order written, so each node's
/// dependencies keep that order.
fn subgraph_order(
    graph: &Graph,
    by_name: &ByName<'_>,
    node_enum: &Ident,
    g: &Ident,
) -> TokenStream {
    let nodes_of = |subgraph: &syn::Ident| {
        let nested = names::local("_nested", subgraph);
        quote!(#nested.nodes())
    };
    // The nodes of every subgraph in `subgraphs`, as one iterator.
    let all_nodes_of = |subgraphs: &[syn::Ident]| {
        let (first, rest) = subgraphs.split_first()?;
        let rest = rest.iter().map(nodes_of);
        let first = nodes_of(first);
        Some(quote!(#first #(.chain(#rest))*))
    };
    let mut order = Vec::new();
    for (field, process) in graph.processes() {
        if let Some(nodes) = all_nodes_of(&process.after.subgraphs) {
            let node = node_value(by_name, node_enum, &field.ident);
            order.push(quote!(#g.start_after([#node.id()], #nodes);));
        }
    }
    for (field, decl) in graph.subgraphs() {
        let dependents = nodes_of(&field.ident);
        let After {
            processes,
            subgraphs,
        } = &decl.after;
        if !processes.is_empty() {
            let processes = processes.iter().map(|a| node_value(by_name, node_enum, a));
            order.push(quote!(#g.start_after(#dependents, [#(#processes.id()),*]);));
        }
        if let Some(nodes) = all_nodes_of(subgraphs) {
            order.push(quote!(#g.start_after(#dependents, #nodes);));
        }
    }
    quote!(#(#order)*)
}

/// `strategy`, `intensity`, `period`, `start_timeout` and `cgroup`, when given.
fn graph_options(graph: &Graph, pg: &Private, g: &Ident) -> TokenStream {
    let options = &graph.options;
    let strategy = options.strategy.map(|s| {
        let variant = Ident::new(s.variant(), Span::call_site());
        quote!(#g.strategy(#pg::Strategy::#variant);)
    });
    let intensity = (options.intensity.is_some() || options.period.is_some()).then(|| {
        let max = match options.intensity {
            Some(n) => {
                let n = Literal::u32_unsuffixed(n);
                quote!(#n)
            }
            None => quote!(#pg::Intensity::default().max_restarts),
        };
        let period = match options.period {
            Some(p) => millis(p.value, pg),
            None => quote!(#pg::Intensity::default().period),
        };
        quote!(#g.intensity(#max, #period);)
    });
    let start_timeout = options.start_timeout.map(|t| {
        let t = millis(t, pg);
        quote!(#g.start_timeout(#t);)
    });
    let containment = options.cgroup.map(|c| {
        let variant = Ident::new(c.value.variant(), Span::call_site());
        quote!(#g.containment(#pg::Containment::#variant);)
    });
    quote!(#strategy #intensity #start_timeout #containment)
}

/// `NodeOptions::new().restart(..)...`, or `None` when every option is the default.
fn node_options(
    by_name: &ByName<'_>,
    p: &Process,
    pg: &Private,
    node_enum: &Ident,
) -> Option<TokenStream> {
    let mut calls = Vec::new();
    if let Some(restart) = p.restart {
        let variant = Ident::new(restart.value.variant(), Span::call_site());
        calls.push(quote!(.restart(#pg::Restart::#variant)));
    }
    if p.critical {
        calls.push(quote!(.critical(true)));
    }
    if p.oneshot {
        calls.push(quote!(.oneshot(true)));
    }
    // Subgraphs are nested after the processes: `subgraph_order` orders
    // a process after them.
    let after = &p.after.processes;
    if !after.is_empty() {
        let after = after.iter().map(|a| node_value(by_name, node_enum, a));
        calls.push(quote!(.after([#(#after.id()),*])));
    }
    match p.ready.map(|r| r.value) {
        Some(Ready::Fd(fd)) => {
            let fd = Literal::i32_unsuffixed(fd);
            calls.push(quote!(.ready(#pg::Readiness::Fd(#fd))));
        }
        Some(Ready::Notify) => calls.push(quote!(.ready(#pg::Readiness::Notify))),
        None => {}
    }
    if let Some(t) = &p.ready_timeout {
        let t = millis(t.value, pg);
        calls.push(quote!(.ready_timeout(#t)));
    }
    if let Some(probe) = &p.ready_probe {
        let probe = probe_call(&probe.value, pg);
        calls.push(quote!(.ready_probe(#probe)));
    }
    if let Some(probe) = &p.live_probe {
        let probe = probe_call(&probe.value, pg);
        calls.push(quote!(.live_probe(#probe)));
    }
    if let Some(t) = &p.watchdog {
        let t = millis(t.value, pg);
        calls.push(quote!(.watchdog(#t)));
    }
    if let Some(access) = p.notify_access {
        let variant = Ident::new(access.value.variant(), Span::call_site());
        calls.push(quote!(.notify_access(#pg::NotifyAccess::#variant)));
    }
    if let Some(signal) = &p.reload_signal {
        calls.push(quote!(.reload_signal(#pg::signal_named(#signal))));
    }
    if let Some(signal) = &p.stop_signal {
        calls.push(quote!(.stop_signal(#pg::signal_named(#signal))));
    }
    if let Some(t) = p.stop_timeout {
        let t = millis(t, pg);
        calls.push(quote!(.stop_timeout(#t)));
    }
    if let Some(b) = p.backoff {
        let (initial, max) = (millis(b.initial, pg), millis(b.max, pg));
        calls.push(quote!(.backoff(#initial, #max)));
    }
    if let Some(scope) = &p.scope {
        let scope = names::local("scope", scope);
        calls.push(quote!(.scope(#scope)));
    }
    if let Some(bytes) = p.memory_max {
        let bytes = Literal::u64_unsuffixed(bytes.value);
        calls.push(quote!(.memory_max(#bytes)));
    }
    if let Some(max) = p.pids_max {
        let max = Literal::u64_unsuffixed(max.value);
        calls.push(quote!(.pids_max(#max)));
    }
    if let Some(weight) = p.cpu_weight {
        let weight = Literal::u16_unsuffixed(weight.value);
        calls.push(quote!(.cpu_weight(#weight)));
    }
    if let Some(replicas) = p.replicas {
        let replicas = Literal::u32_unsuffixed(replicas.value);
        calls.push(quote!(.replicas(#replicas)));
    }
    (!calls.is_empty()).then(|| quote!(#pg::NodeOptions::new() #(#calls)*))
}

/// `NameNode::Filter`, or replica 0, `NameNode::Worker(0)`, of a process
/// with replicas: the id the dynamic graph gives the declared process.
fn node_value(by_name: &ByName<'_>, node_enum: &Ident, node: &Ident) -> TokenStream {
    let variant = names::variant(node);
    match by_name.process(node).is_some_and(Process::replicated) {
        true => quote!(#node_enum::#variant(0)),
        false => quote!(#node_enum::#variant),
    }
}

/// An edge that names a subgraph's port: the port (the subgraph's own
/// edge, named by path) is connected to the other side's endpoints, or
/// joined to the port on the other side. Each port's existence and kind
/// were checked at compile time (`ports.rs`), and that it is wired once
/// (the wiring rules).
fn connect_port(
    by_name: &ByName<'_>,
    wiring: &Wiring,
    pg: &Private,
    node_enum: &Ident,
    g: &Ident,
) -> Option<TokenStream> {
    let port_of = |side: &[Endpoint]| {
        side.iter().find_map(|end| match &end.target {
            Target::Port { subgraph, port } => Some(format!(
                "{}.{}",
                names::display(subgraph),
                names::display(port)
            )),
            _ => None,
        })
    };
    let id = |port: &str| quote!(#g.edge_named(#port).expect("a port checked at compile time"));
    let (port, others) = match (port_of(&wiring.from), port_of(&wiring.to)) {
        (Some(from), Some(to)) => {
            let (from, to) = (id(&from), id(&to));
            return Some(quote! {
                #g.join(#from, #to).expect("ports checked at compile time");
            });
        }
        (Some(port), None) => (port, &wiring.to),
        (None, Some(port)) => (port, &wiring.from),
        (None, None) => return None,
    };
    let others = others.iter().map(|e| endpoint(by_name, e, pg, node_enum));
    let port = id(&port);
    Some(quote! {
        #g.connect(#port, [#(#others),*]).expect("a port checked at compile time");
    })
}

/// `NameNode::Filter.id().stdout()`, `.fd(3)`, or `Endpoint::Parent`.
fn endpoint(
    by_name: &ByName<'_>,
    endpoint: &Endpoint,
    pg: &Private,
    node_enum: &Ident,
) -> TokenStream {
    match &endpoint.target {
        // A port is never built as an endpoint: its edge is connected.
        Target::Parent | Target::Port { .. } => quote!(#pg::Endpoint::Parent),
        Target::Node { node, fd } => {
            let node = node_value(by_name, node_enum, node);
            let fd = match usize::try_from(*fd).ok().and_then(|i| STDIO.get(i)) {
                Some(stream) => {
                    let stream = Ident::new(stream, Span::call_site());
                    quote!(#stream())
                }
                None => {
                    let n = Literal::i32_unsuffixed(*fd);
                    quote!(fd(#n))
                }
            };
            quote!(#node.id().#fd)
        }
    }
}

/// `value.field`, located at the field's type: when an alias hides a type
/// that does not fit the role, rustc's mismatch points at the type (and at
/// nothing outside this crate).
fn field_value(value: &Ident, field: &Field) -> TokenStream {
    let at = field.ty.span();
    let value = Ident::new(&value.to_string(), value.span().located_at(at));
    let mut name = field.ident.clone();
    name.set_span(name.span().located_at(at));
    quote_spanned!(at=> #value.#name)
}

/// `Probe::tcp("..").period(..).timeout(..).failure_threshold(..)`, every
/// setting spelt out (the defaults were applied when it was parsed).
fn probe_call(probe: &ProbeInfo, pg: &Private) -> TokenStream {
    let check = match &probe.check {
        ProbeCheck::Tcp(address) => quote!(tcp(#address)),
        ProbeCheck::Http(url) => quote!(http(#url)),
        ProbeCheck::LogLine(text) => quote!(log_line(#text)),
        ProbeCheck::Exec(argv) => {
            let argv = argv.iter().map(|a| &**a);
            quote!(exec([#(#argv),*]))
        }
    };
    let (period, timeout) = (millis(probe.period_ms, pg), millis(probe.timeout_ms, pg));
    let threshold = Literal::u32_unsuffixed(probe.failure_threshold);
    quote! {
        #pg::Probe::#check.period(#period).timeout(#timeout).failure_threshold(#threshold)
    }
}

fn millis(ms: u64, pg: &Private) -> TokenStream {
    let ms = Literal::u64_unsuffixed(ms);
    quote!(#pg::Duration::from_millis(#ms))
}

/// The id `build` gives each declared scope, by declaration index: its
/// place in [`scope_order`], worked out once for every scope rather than
/// the order again for each one looked up.
pub(super) fn scope_ids(graph: &Graph, by_name: &ByName<'_>) -> Vec<usize> {
    let order = scope_order(graph, by_name);
    let mut ids = vec![0; order.len()];
    for (id, &scope) in order.iter().enumerate() {
        ids[scope] = id;
    }
    ids
}

/// Scope indices with every parent before its children (`Graph::scope`
/// takes the parent's id, so the parent must exist first).
fn scope_order(graph: &Graph, by_name: &ByName<'_>) -> Vec<usize> {
    let parents: Vec<Option<usize>> = graph
        .scopes()
        .map(|(_, s)| s.parent.as_ref().and_then(|p| by_name.scope_index(p)))
        .collect();
    parents_first(&parents)
}

/// Every index of `parents` (each one's parent, if any), each once, every
/// parent before its children, in one pass: a scope's chain of parents is
/// followed only up to one already placed (whose own parents are placed
/// too), and marks, not searches, tell which those are.
fn parents_first(parents: &[Option<usize>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(parents.len());
    // Placed, or in the chain being followed.
    let mut seen = vec![false; parents.len()];
    for start in 0..parents.len() {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut chain = vec![start];
        while let Some(parent) = parents[*chain.last().expect("non-empty")] {
            // Placed already, or in this chain: a cycle, which the checks
            // reject; stop rather than loop.
            if seen[parent] {
                break;
            }
            seen[parent] = true;
            chain.push(parent);
        }
        order.extend(chain.into_iter().rev());
    }
    order
}

/// The runtime's `Stdio` for a declared `stdout = ...`.
fn stdio_value(stdio: &Stdio, span: Span, pg: &Private) -> TokenStream {
    let sink = match stdio {
        // Spanned, so that a missing `tracing` feature is reported there.
        Stdio::Word(StdioMode::Tracing) => quote_spanned!(span=> #pg::tracing_sink!()),
        Stdio::Word(word) => {
            let variant = Ident::new(word.variant(), Span::call_site());
            return quote!(#pg::Stdio::#variant);
        }
        Stdio::Prefixed(timestamps) => {
            let variant = Ident::new(timestamps.variant(), Span::call_site());
            quote!(#pg::Sink::Prefixed(#pg::Option::Some(#pg::Timestamps::#variant)))
        }
        Stdio::File(file) => {
            let FileSink {
                path,
                max_bytes,
                keep,
            } = &**file;
            let max_bytes = max_bytes.map(|b| {
                let b = Literal::u64_unsuffixed(b);
                quote!(.max_bytes(#b))
            });
            let keep = keep.map(|k| {
                let k = Literal::u32_unsuffixed(k);
                quote!(.keep(#k))
            });
            quote!(#pg::Sink::File(#pg::RotatingFile::new(#path)#max_bytes #keep))
        }
        Stdio::Callback(function) => quote!(#pg::Sink::callback(#function)),
    };
    quote!(#pg::Stdio::Sink(#sink))
}

#[cfg(test)]
mod tests {
    use super::parents_first;

    /// The order as it was worked out before `parents_first`: each chain
    /// followed to its root, each scope searched for in the chain and in
    /// the order.
    fn searched(parents: &[Option<usize>]) -> Vec<usize> {
        let mut order = Vec::new();
        for start in 0..parents.len() {
            let mut chain = vec![start];
            while let Some(parent) = parents[*chain.last().expect("non-empty")] {
                if chain.contains(&parent) {
                    break;
                }
                chain.push(parent);
            }
            for scope in chain.into_iter().rev() {
                if !order.contains(&scope) {
                    order.push(scope);
                }
            }
        }
        order
    }

    #[test]
    fn parents_come_first_as_before() {
        let shapes: [&[Option<usize>]; 9] = [
            &[],
            &[None],
            &[None, Some(0), Some(1)],
            &[Some(1), Some(2), None],
            &[Some(2), None, Some(1), Some(0), Some(3)],
            &[Some(3), Some(3), Some(0), None, Some(2), Some(1)],
            // Cycles, which the checks reject, still give every scope once.
            &[Some(0)],
            &[Some(1), Some(2), Some(0), Some(1)],
            &[None, Some(3), Some(1), Some(2), Some(0), Some(4)],
        ];
        for parents in shapes {
            let order = parents_first(parents);
            assert_eq!(order, searched(parents), "{parents:?}");
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, (0..parents.len()).collect::<Vec<_>>());
        }
        // A deep chain, declared child first.
        let parents: Vec<Option<usize>> = (0..200).map(|i| (i < 199).then_some(i + 1)).collect();
        assert_eq!(parents_first(&parents), searched(&parents));
    }
}
