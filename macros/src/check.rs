//! Every rule that spans more than one attribute. The wiring rules —
//! edges, fds claimed once, references, readiness, scopes, cycles — are the
//! topology crate's, shared with the runtime: this file only puts each
//! violation at the token the user wrote, and names an unresolved name with
//! the closest known one. The rules that exist only in the macro are here:
//! field types that fit their attribute, names that would clash with
//! generated items, and no resource limits under `cgroup = "off"`. (Rules
//! about a single value's syntax — a duration, a signal name — are checked
//! where it is parsed, in `parse/`.)

use proc_macro2::{Span, TokenStream};
use process_graph_topology::{Place, Rule, STDIO, Side, Topology};
use quote::ToTokens;
use syn::spanned::Spanned as _;
use syn::{Ident, Type};

use crate::ctxt::Ctxt;
use crate::model::{Containment, Edge, EdgeKind, Endpoint, Graph, Role, Target};
use crate::names;
use crate::suggest;

pub fn check(cx: &Ctxt, graph: &Graph, topology: &Topology) {
    field_types(cx, graph);
    reserved_names(cx, graph);
    resource_limits(cx, graph);
    subgraph_scopes(cx, graph);
    let Err(violations) = topology.check() else {
        return;
    };
    for violation in violations {
        if let Rule::UnusedScope { scope } = &violation.rule
            && graph
                .children()
                .any(|(_, c)| c.scope.as_ref().is_some_and(|i| *i == scope.as_str()))
        {
            continue; // the children run in it (the topology has no children)
        }
        let unresolved = match violation.rule {
            Rule::UnknownNode { .. } if after_entry(graph, violation.place).is_some() => {
                Some(after_targets(graph))
            }
            Rule::UnknownNode { .. } => Some(("process", processes(graph))),
            Rule::UnknownScope { .. } => Some(("scope", scopes(graph))),
            _ => None,
        };
        match (unresolved, reference(graph, violation.place)) {
            (Some((what, valid)), Some((name, used_in))) => {
                unknown_name(cx, graph, name, used_in, what, valid);
            }
            _ => Location::of(graph, violation.place).report(cx, &violation.rule),
        }
    }
}

/// `#[subgraph(scope = name)]` and `#[children(scope = name)]` name a
/// scope of this graph.
fn subgraph_scopes(cx: &Ctxt, graph: &Graph) {
    let by_name = graph.by_name();
    for scope in nested_scopes(graph) {
        if by_name.scope_index(scope).is_none() {
            unknown_name(cx, graph, scope, "`scope`", "scope", scopes(graph));
        }
    }
}

/// The scopes that subgraphs and children name, in field order.
fn nested_scopes(graph: &Graph) -> impl Iterator<Item = &Ident> {
    graph.fields.iter().filter_map(|f| match &f.role {
        Some(Role::Subgraph(s)) => s.scope.as_ref(),
        Some(Role::Children(c)) => c.scope.as_ref(),
        _ => None,
    })
}

/// The name written at a place that refers to a node or scope by name, and
/// how messages call that place.
fn reference(graph: &Graph, place: Place) -> Option<(&Ident, &'static str)> {
    match place {
        Place::After { .. }
        | Place::AfterSubgraph { .. }
        | Place::SubgraphAfter { .. }
        | Place::SubgraphAfterSubgraph { .. } => Some((after_entry(graph, place)?, "`after`")),
        Place::NodeScope(n) => Some((graph.processes().nth(n)?.1.scope.as_ref()?, "`scope`")),
        Place::ScopeParent(s) => Some((graph.scopes().nth(s)?.1.parent.as_ref()?, "`parent`")),
        Place::Endpoint { edge, side, index } => {
            let (_, _, wiring) = graph.wired_edges().nth(edge)?;
            let end = match side {
                Side::From => wiring.from.get(index)?,
                Side::To => wiring.to.get(index)?,
            };
            match &end.target {
                Target::Node { node, .. } => Some((node, "an endpoint")),
                Target::Parent | Target::Port { .. } => None,
            }
        }
        _ => None,
    }
}

/// The tokens a [`Place`] of the topology was written as.
enum Location<'g> {
    Name(&'g Ident),
    Tokens(TokenStream),
    Span(Span),
}

impl<'g> Location<'g> {
    fn of(graph: &'g Graph, place: Place) -> Self {
        let process = |n: usize| graph.processes().nth(n).expect("a node of the topology");
        let scope = |s: usize| graph.scopes().nth(s).expect("a scope of the topology");
        let edge = |e: usize| graph.wired_edges().nth(e).expect("an edge of the topology");
        let span = |s: Option<Span>| Location::Span(s.expect("the setting the rule is about"));
        match place {
            Place::Graph => span(graph.options.period.map(|p| p.span)),
            Place::Node(n) => Location::Name(&process(n).0.ident),
            Place::After { .. }
            | Place::AfterSubgraph { .. }
            | Place::SubgraphAfter { .. }
            | Place::SubgraphAfterSubgraph { .. } => {
                Location::Name(after_entry(graph, place).expect("an `after` entry"))
            }
            Place::NodeScope(n) => {
                Location::Name(process(n).1.scope.as_ref().expect("a node's scope"))
            }
            Place::Ready(n) => span(process(n).1.ready.map(|r| r.span)),
            Place::ReadyTimeout(n) => span(process(n).1.ready_timeout.map(|t| t.span)),
            Place::Restart(n) => span(process(n).1.restart.map(|r| r.span)),
            Place::Probe { node, live } => {
                let p = process(node).1;
                let probe = if live { &p.live_probe } else { &p.ready_probe };
                span(probe.as_ref().map(|probe| probe.span))
            }
            Place::Replicas(n) => span(process(n).1.replicas.map(|r| r.span)),
            Place::Listener { node, index } => {
                Location::Span(process(node).1.listen[index].1.span())
            }
            Place::Watchdog(n) => span(process(n).1.watchdog.map(|w| w.span)),
            Place::NotifyAccess(n) => span(process(n).1.notify_access.map(|a| a.span)),
            Place::Stdio { node, fd } => {
                span(process(node).1.stdio[fd as usize].as_ref().map(|m| m.span))
            }
            Place::Edge(e) => Location::Tokens(edge(e).2.arrow.clone()),
            Place::Endpoint {
                edge: e,
                side,
                index,
            } => {
                let wiring = edge(e).2;
                let side = match side {
                    Side::From => &wiring.from,
                    Side::To => &wiring.to,
                };
                Location::Tokens(side[index].tokens.clone())
            }
            Place::Scope(s) => Location::Name(&scope(s).0.ident),
            Place::Hostname(s) => span(scope(s).1.hostname.as_ref().map(|h| h.span())),
            Place::ScopeParent(s) => {
                Location::Name(scope(s).1.parent.as_ref().expect("a scope's parent"))
            }
            _ => Location::Span(Span::call_site()),
        }
    }

    fn report(&self, cx: &Ctxt, rule: &Rule) {
        match self {
            Location::Name(name) => cx.error(name.span(), rule),
            Location::Tokens(tokens) => cx.error_spanned_by(tokens.to_token_stream(), rule),
            Location::Span(span) => cx.error(*span, rule),
        }
    }
}

/// The name written at an entry of an `after` list, of a process or of a
/// subgraph: the topology indexes each half of the list (see
/// [`After`](crate::model::After)) on its own.
fn after_entry(graph: &Graph, place: Place) -> Option<&Ident> {
    let of_process = |node: usize| graph.processes().nth(node).map(|(_, p)| &p.after);
    let of_subgraph = |subgraph: usize| graph.subgraphs().nth(subgraph).map(|(_, s)| &s.after);
    let (half, entry) = match place {
        Place::After { node, entry } => (&of_process(node)?.processes, entry),
        Place::AfterSubgraph { node, entry } => (&of_process(node)?.subgraphs, entry),
        Place::SubgraphAfter { subgraph, entry } => (&of_subgraph(subgraph)?.processes, entry),
        Place::SubgraphAfterSubgraph { subgraph, entry } => {
            (&of_subgraph(subgraph)?.subgraphs, entry)
        }
        _ => return None,
    };
    half.get(entry)
}

/// What an `after` entry may name, for messages: processes, and the
/// subgraphs when the graph has any.
fn after_targets(graph: &Graph) -> (&'static str, Vec<String>) {
    let subgraphs: Vec<String> = graph
        .subgraphs()
        .map(|(f, _)| names::display(&f.ident))
        .collect();
    if subgraphs.is_empty() {
        return ("process", processes(graph));
    }
    let mut valid = processes(graph);
    valid.extend(subgraphs);
    ("process or subgraph", valid)
}

fn processes(graph: &Graph) -> Vec<String> {
    graph
        .processes()
        .map(|(f, _)| f.ident.to_string())
        .collect()
}

fn scopes(graph: &Graph) -> Vec<String> {
    graph.scopes().map(|(f, _)| f.ident.to_string()).collect()
}

/// The field types this macro knows, and which role each belongs to.
const FIELD_TYPES: [(&str, &str, &str); 5] = [
    ("Cmd", "process", "the command it runs"),
    ("Command", "process", "the command it runs"),
    ("Pipe", "pipe", "the pipe's options"),
    ("SocketPair", "socketpair", "the socketpair's options"),
    ("Scope", "scope", "the scope's settings"),
];

/// A resource limit needs the node's cgroup: none with `cgroup = "off"`.
fn resource_limits(cx: &Ctxt, graph: &Graph) {
    if graph
        .options
        .cgroup
        .is_none_or(|c| c.value != Containment::Off)
    {
        return;
    }
    for span in graph.processes().flat_map(|(_, p)| p.limit_spans()) {
        cx.error(
            span,
            "resource limits need cgroups, but the graph says `cgroup = \"off\"`",
        );
    }
}

/// A field of a type meant for another role (`#[pipe] x: Cmd`). Other types
/// (aliases) are left to the compiler, which reports a mismatch at the type.
fn field_types(cx: &Ctxt, graph: &Graph) {
    for (index, found) in not_graphs(graph) {
        let field = &graph.fields[index];
        let (attr, ty) = match &field.role {
            Some(Role::Children(children)) => ("children", &children.graph),
            _ => ("subgraph", &field.ty),
        };
        let instead = match FIELD_TYPES.iter().find(|(t, _, _)| *t == found) {
            Some((_, role, _)) => format!("a `{found}` field is a #[{role}]"),
            None => "a pool of child graphs is a #[children] field".to_string(),
        };
        cx.error_spanned_by(
            ty,
            format!(
                "a #[{attr}] field nests another #[process_graph] struct, not `{found}`; {instead}"
            ),
        );
    }
    for field in &graph.fields {
        let Some(role) = &field.role else { continue };
        let attr = match role {
            Role::Process(_) => "process",
            Role::Edge(Edge {
                kind: EdgeKind::Pipe,
                ..
            }) => "pipe",
            Role::Edge(_) => "socketpair",
            Role::Scope(_) => "scope",
            // Checked above.
            Role::Subgraph(_) | Role::Children(_) => continue,
        };
        let Some(found) = type_name(&field.ty) else {
            continue;
        };
        let Some(&(_, found_role, _)) = FIELD_TYPES.iter().find(|(t, _, _)| *t == found) else {
            continue;
        };
        if found_role != attr {
            let (expected, _, holds) = FIELD_TYPES
                .iter()
                .find(|(_, r, _)| *r == attr)
                .expect("every role has a type");
            cx.error_spanned_by(
                &field.ty,
                format!("a #[{attr}] field holds {holds}: its type is `{expected}`, not `{found}`"),
            );
        }
    }
}

/// `#[subgraph]` and `#[children]` fields that nest one of the library's own
/// types (`#[subgraph] db: Cmd`), by index into `graph.fields`, with the
/// type's name. Any other type is left to rustc, through the one assertion
/// the expansion makes at the type (`expand::nested_checks`); these are
/// reported by the checks and left out of the placeholder expansion.
pub fn not_graphs(graph: &Graph) -> impl Iterator<Item = (usize, String)> {
    graph
        .fields
        .iter()
        .enumerate()
        .filter_map(|(index, field)| {
            let nested = match &field.role {
                Some(Role::Subgraph(_)) => &field.ty,
                Some(Role::Children(children)) => &children.graph,
                _ => return None,
            };
            let found = library_type(nested)?;
            Some((index, found))
        })
}

/// The name of `ty` when it is one of the library's role types: the field
/// types above, or `Children<G>` (which only a `#[children]` field holds).
fn library_type(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    (FIELD_TYPES.iter().any(|(t, _, _)| *t == name) || name == "Children").then_some(name)
}

/// `db.stdout` where `db` is a subgraph: its port named `stdout`, which the
/// parser, not knowing which fields are subgraphs, read as a stream.
fn ports_named_as_streams(graph: &mut Graph) {
    let subgraphs: Vec<Ident> = graph.subgraphs().map(|(f, _)| f.ident.clone()).collect();
    for field in &mut graph.fields {
        let Some(Role::Edge(Edge {
            wiring: Some(wiring),
            ..
        })) = &mut field.role
        else {
            continue;
        };
        for end in wiring.from.iter_mut().chain(&mut wiring.to) {
            let Target::Node { node, fd } = &end.target else {
                continue;
            };
            let (Some(stream), true) = (STDIO.get(*fd as usize), subgraphs.contains(node)) else {
                continue;
            };
            let span = end.tokens.clone().into_iter().last().map(|t| t.span());
            let port = Ident::new(stream, span.unwrap_or_else(|| node.span()));
            end.target = Target::Port {
                subgraph: node.clone(),
                port,
            };
        }
    }
}

/// Endpoints `a.b` whose `b` is no stream: a port of subgraph `a`, checked
/// against the subgraph's declared ports by rustc (see `expand/ports.rs`),
/// or a misspelt stream of process `a`. A port is an edge of its subgraph:
/// an edge of this graph connects it to processes, or joins it to a port on
/// its other side, the two edges becoming one (`Graph::join`) — then the
/// two ports are all the edge has. Two ports on one side would be two edges
/// ending in one place. Runs before the topology is built: an edge with a
/// wrong port is reported here and left out of the topology (its wiring
/// dropped), as a wiring that did not parse is, so that one mistake gives
/// one error.
pub fn ports(cx: &Ctxt, graph: &mut Graph) {
    ports_named_as_streams(graph);
    let mut broken = Vec::new();
    let by_name = graph.by_name();
    for (index, field) in graph.fields.iter().enumerate() {
        let Some(Role::Edge(Edge {
            wiring: Some(wiring),
            ..
        })) = &field.role
        else {
            continue;
        };
        let ports: Vec<_> = wiring
            .from
            .iter()
            .chain(&wiring.to)
            .filter_map(|end| match &end.target {
                Target::Port { subgraph, port } => Some((subgraph, port)),
                _ => None,
            })
            .collect();
        let mut ok = true;
        for &(name, port) in &ports {
            if by_name.process(name).is_some() {
                let port_name = port.to_string();
                cx.error(
                    port.span(),
                    format!(
                        "unknown stream `{port_name}`{}",
                        suggest::hint(&port_name, crate::parse::STREAMS)
                    ),
                );
                ok = false;
            } else if by_name.subgraph(name).is_none() {
                let valid = graph
                    .subgraphs()
                    .map(|(f, _)| names::display(&f.ident))
                    .collect();
                unknown_name(cx, graph, name, "a port `a.b`", "subgraph", valid);
                ok = false;
            }
        }
        let is_port = |end: &&Endpoint| matches!(end.target, Target::Port { .. });
        let from = wiring.from.iter().filter(is_port).count();
        let to = wiring.to.iter().filter(is_port).count();
        for side in [&wiring.from, &wiring.to] {
            for second in side.iter().filter(is_port).skip(1) {
                cx.error_spanned_by(
                    &second.tokens,
                    "two subgraph ports on one side of an edge: a port is an edge of its \
                     subgraph, and two cannot end in one place; route one through a process",
                );
                ok = false;
            }
        }
        // (`ok`: every port names a subgraph's, not a misspelt stream.)
        if ok && from + to > 0 {
            // Code for both would have to exist; only the port's does.
            let parents = wiring.from.iter().chain(&wiring.to);
            for parent in parents.filter(|e| matches!(e.target, Target::Parent)) {
                cx.error_spanned_by(
                    &parent.tokens,
                    "an edge with a subgraph port cannot end at `parent` too: leave the port \
                     unwired, and its end is the application's already, in the running \
                     handle's field for the subgraph; or wire it to processes of this graph",
                );
                ok = false;
            }
        }
        if from > 0 && to > 0 {
            for other in wiring.from.iter().chain(&wiring.to).filter(|e| !is_port(e)) {
                cx.error_spanned_by(
                    &other.tokens,
                    "an edge that joins two subgraph ports has no other endpoint: the ports' \
                     edges become one edge between their processes; route this one through a process",
                );
                ok = false;
            }
        }
        if !ok {
            broken.push(index);
        }
    }
    for index in broken {
        if let Some(Role::Edge(edge)) = &mut graph.fields[index].role {
            edge.wiring = None;
        }
    }
}

/// The last segment of a plain path type (`process_graph::Pipe` → `Pipe`).
fn type_name(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    last.arguments.is_none().then(|| last.ident.to_string())
}

/// Names that would clash with the endpoint keyword or the generated API.
fn reserved_names(cx: &Ctxt, graph: &Graph) {
    for (field, _) in graph.processes() {
        if names::display(&field.ident) == "parent" {
            cx.error(
                field.ident.span(),
                "a process cannot be named `parent`: in an endpoint, `parent` is the application itself",
            );
        }
    }
    for (index, message) in names::clashes(graph) {
        cx.error(graph.fields[index].ident.span(), message);
    }
}

/// A name that resolves to no process (or scope), with the closest one
/// suggested, or what the name is instead.
fn unknown_name(
    cx: &Ctxt,
    graph: &Graph,
    name: &Ident,
    used_in: &str,
    what: &str,
    valid: Vec<String>,
) {
    let role = graph
        .fields
        .iter()
        .find(|f| f.ident == *name)
        .and_then(|f| f.role.as_ref());
    let actual = match role {
        Some(Role::Process(_)) => Some("a process"),
        Some(Role::Edge(Edge {
            kind: EdgeKind::Pipe,
            ..
        })) => Some("a pipe"),
        Some(Role::Edge(_)) => Some("a socketpair"),
        Some(Role::Scope(_)) => Some("a scope"),
        Some(Role::Subgraph(_)) => Some("a subgraph"),
        Some(Role::Children(_)) => Some("a field of children added at run time"),
        None => None,
    };
    let message = match actual {
        Some(actual) => {
            format!("`{name}` is {actual}, not a {what}; {used_in} names a {what} field")
        }
        None => format!(
            "unknown {what} `{name}`{}",
            suggest::hint(&name.to_string(), valid.iter().map(String::as_str))
        ),
    };
    cx.error(name.span(), message);
}
