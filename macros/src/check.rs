//! Every rule that spans more than one attribute: names that must resolve,
//! wiring that must make sense, fds claimed once, no cycles. (Rules about a
//! single value — a duration, a signal name, an fd number — are checked
//! where it is parsed, in `parse/`, except the graph's `period`, whose zero
//! is checked here.) Each error is spanned on the token that is wrong.

use std::collections::HashMap;

use process_graph_topology::STDIO;
use syn::{Ident, Type};

use crate::ctxt::Ctxt;
use crate::cycles;
use crate::model::{
    Edge, EdgeKind, Endpoint, Field, Graph, Keyword, Namespace, Ready, Role, Target, Wiring,
};
use crate::names;
use crate::suggest;

pub fn check(cx: &Ctxt, graph: &Graph) {
    field_types(cx, graph);
    reserved_names(cx, graph);
    wiring(cx, graph);
    after(cx, graph);
    readiness(cx, graph);
    scopes(cx, graph);
    if let Some(period) = graph.options.period.filter(|p| p.value == 0) {
        cx.error(period.span, "the intensity period must be longer than zero");
    }
}

/// The field types this macro knows, and which role each belongs to.
const FIELD_TYPES: [(&str, &str, &str); 5] = [
    ("Cmd", "process", "the command it runs"),
    ("Command", "process", "the command it runs"),
    ("Pipe", "pipe", "the pipe's options"),
    ("SocketPair", "socketpair", "the socketpair's options"),
    ("Scope", "scope", "the scope's settings"),
];

/// A field of a type meant for another role (`#[pipe] x: Cmd`). Other types
/// (aliases) are left to the compiler, which reports a mismatch at the type.
fn field_types(cx: &Ctxt, graph: &Graph) {
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

/// What already holds an fd of a process.
enum Claim {
    Edge(String),
    Stdio(&'static str, &'static str),
    Ready(i32),
}

impl Claim {
    fn describe(&self, process: &Ident) -> String {
        match self {
            Claim::Edge(edge) => format!("edge `{edge}`"),
            Claim::Stdio(key, mode) => format!("`{key} = \"{mode}\"` on `{process}`"),
            Claim::Ready(fd) => format!("`ready = fd({fd})` on `{process}`"),
        }
    }
}

/// Edges, their endpoints, and one owner per fd of each process.
fn wiring(cx: &Ctxt, graph: &Graph) {
    let mut claims: HashMap<(String, i32), Claim> = HashMap::new();
    for (field, process) in graph.processes() {
        let name = names::display(&field.ident);
        for (fd, mode) in process.stdio.iter().enumerate() {
            if let Some(mode) = mode {
                let key = STDIO[fd];
                claims.insert(
                    (name.clone(), fd as i32),
                    Claim::Stdio(key, mode.value.word()),
                );
            }
        }
        if let Some(Ready::Fd(fd)) = process.ready.map(|r| r.value) {
            claims.insert((name.clone(), fd), Claim::Ready(fd));
        }
    }
    for (field, edge) in graph.edges() {
        let Some(wiring) = &edge.wiring else { continue };
        match edge.kind {
            EdgeKind::Pipe => pipe_directions(cx, field, wiring),
            EdgeKind::SocketPair => socketpair_ends(cx, wiring),
        }
        let sides = wiring.from.iter().map(|e| (0, e));
        let all: Vec<(u8, &Endpoint)> = sides.chain(wiring.to.iter().map(|e| (1, e))).collect();
        for (i, &(side, endpoint)) in all.iter().enumerate() {
            let earlier = all[..i].iter().find(|(_, e)| e.target == endpoint.target);
            if let Some(&(earlier_side, _)) = earlier {
                let message = if endpoint.target == Target::Parent && earlier_side != side {
                    "the parent is on both ends of this edge; one end must be a process".to_owned()
                } else {
                    format!("`{}` is listed twice in this edge", endpoint.target)
                };
                cx.error_spanned_by(&endpoint.tokens, message);
                continue;
            }
            let Target::Node { node, fd } = &endpoint.target else {
                continue;
            };
            if !known_process(cx, graph, node, "an endpoint") {
                continue;
            }
            let edge_name = names::display(&field.ident);
            let owner = (names::display(node), *fd);
            if let Some(first) = claims.get(&owner) {
                cx.error_spanned_by(
                    &endpoint.tokens,
                    format!(
                        "`{}` is already taken by {}; an fd of a process belongs to one edge or setting",
                        endpoint.target,
                        first.describe(node)
                    ),
                );
            } else {
                claims.insert(owner, Claim::Edge(edge_name));
            }
        }
    }
}

/// A pipe carries data from its writers (outputs) to one reader (an input).
fn pipe_directions(cx: &Ctxt, field: &Field, wiring: &Wiring) {
    let name = &field.ident;
    if wiring.from.is_empty() {
        cx.error_spanned_by(
            &wiring.arrow,
            format!("pipe `{name}` has no writer; put one before `->`, e.g. `a.stdout -> ...`"),
        );
    }
    match wiring.to.as_slice() {
        [] => cx.error_spanned_by(
            &wiring.arrow,
            format!("pipe `{name}` has no reader; put one after `->`, e.g. `... -> b.stdin`"),
        ),
        [_] => {}
        [_, extra @ ..] => {
            for reader in extra {
                cx.error_spanned_by(
                    &reader.tokens,
                    "a pipe has one reader: several would each get an arbitrary share of the data; \
                     use one pipe per reader",
                );
            }
        }
    }
    for writer in &wiring.from {
        if let Target::Node { node, fd: 0 } = &writer.target {
            cx.error_spanned_by(
                &writer.tokens,
                format!(
                    "`{node}.stdin` cannot write into a pipe; write from `{node}.stdout`, `{node}.stderr` or `{node}.fd(N)`"
                ),
            );
        }
    }
    for reader in &wiring.to {
        if let Target::Node { node, fd: 1 | 2 } = &reader.target {
            cx.error_spanned_by(
                &reader.tokens,
                format!(
                    "`{}` cannot read from a pipe; read with `{node}.stdin` or `{node}.fd(N)`",
                    reader.target
                ),
            );
        }
    }
}

/// A socketpair has exactly two ends, one on each side of `<->`.
fn socketpair_ends(cx: &Ctxt, wiring: &Wiring) {
    for side in [&wiring.from, &wiring.to] {
        if side.is_empty() {
            cx.error_spanned_by(
                &wiring.arrow,
                "a socketpair has one end on each side of `<->`",
            );
        }
        for extra in side.iter().skip(1) {
            cx.error_spanned_by(
                &extra.tokens,
                "a socketpair has exactly two ends, one on each side of `<->`; use one socketpair per pair",
            );
        }
    }
}

/// Whether `name` is a process; reports it (with a suggestion) if not.
fn known_process(cx: &Ctxt, graph: &Graph, name: &Ident, used_in: &str) -> bool {
    if graph.process_index(name).is_some() {
        return true;
    }
    let processes = graph
        .processes()
        .map(|(f, _)| f.ident.to_string())
        .collect::<Vec<_>>();
    unknown_name(cx, graph, name, used_in, "process", &processes);
    false
}

fn unknown_name(
    cx: &Ctxt,
    graph: &Graph,
    name: &Ident,
    used_in: &str,
    what: &str,
    valid: &[String],
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

/// `after` names known processes, each once, and has no cycle.
fn after(cx: &Ctxt, graph: &Graph) {
    let mut deps = Vec::new();
    for (_, process) in graph.processes() {
        let mut list: Vec<cycles::Dependency> = Vec::new();
        for name in &process.after {
            if !known_process(cx, graph, name, "`after`") {
                continue;
            }
            let index = graph.process_index(name).expect("checked");
            if list.iter().any(|(i, _)| *i == index) {
                cx.error(name.span(), format!("`{name}` is listed twice in `after`"));
                continue;
            }
            list.push((index, name.span()));
        }
        deps.push(list);
    }
    let processes: Vec<&Ident> = graph.processes().map(|(f, _)| &f.ident).collect();
    for (cycle, span) in cycles::find(&deps) {
        cx.error(
            span,
            format!(
                "`after` cycle: {} (each starts after the next); remove one of these `after` entries",
                path(&cycle, &processes)
            ),
        );
    }
}

/// A ready timeout needs a readiness protocol: without one a process is
/// ready the moment it starts, and the timeout could never apply.
fn readiness(cx: &Ctxt, graph: &Graph) {
    for (_, process) in graph.processes() {
        if let (Some(timeout), None) = (&process.ready_timeout, &process.ready) {
            cx.error(
                timeout.span,
                "`ready_timeout` needs `ready = fd(N)` or `ready = \"notify\"`; without one the process is ready at exec",
            );
        }
    }
}

/// Scope references resolve, nesting has no cycle, settings need their namespace.
fn scopes(cx: &Ctxt, graph: &Graph) {
    let scope_names: Vec<String> = graph.scopes().map(|(f, _)| f.ident.to_string()).collect();
    let known_scope = |name: &Ident, used_in: &str| {
        let index = graph.scope_index(name);
        if index.is_none() {
            unknown_name(cx, graph, name, used_in, "scope", &scope_names);
        }
        index
    };
    for (_, process) in graph.processes() {
        if let Some(scope) = &process.scope {
            known_scope(scope, "`scope`");
        }
    }
    let mut deps = Vec::new();
    for (field, scope) in graph.scopes() {
        if scope.namespaces.is_empty() {
            let kinds: Vec<&str> = Namespace::WORDS.iter().map(|(w, _)| *w).collect();
            cx.error(
                field.ident.span(),
                format!(
                    "scope `{}` creates no namespace; list at least one of {}",
                    field.ident,
                    kinds.join(", ")
                ),
            );
        }
        let has_uts = scope.namespaces.iter().any(|n| n.value == Namespace::Uts);
        if let Some(hostname) = scope.hostname.as_ref().filter(|_| !has_uts) {
            cx.error(
                hostname.span(),
                "a hostname needs the scope's own uts namespace; add `uts` to the scope",
            );
        }
        let parent = scope.parent.as_ref();
        deps.push(
            parent
                .and_then(|p| known_scope(p, "`parent`").map(|i| (i, p.span())))
                .into_iter()
                .collect::<Vec<_>>(),
        );
    }
    let scopes: Vec<&Ident> = graph.scopes().map(|(f, _)| &f.ident).collect();
    for (cycle, span) in cycles::find(&deps) {
        cx.error(
            span,
            format!(
                "scope nesting cycle: {} (each is inside the next); a scope cannot contain itself",
                path(&cycle, &scopes)
            ),
        );
    }
}

/// `a -> b -> a`.
fn path(cycle: &[usize], names: &[&Ident]) -> String {
    cycle
        .iter()
        .map(|&i| names[i].to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}
