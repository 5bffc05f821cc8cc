//! `#[subgraph]` or `#[subgraph(on_failure = "restart" | "escalate", scope =
//! name, after = [..])]`, and `#[children]` (`on_failure` and `scope`; an
//! `after` is refused) on a `Children<G>` field.

use syn::{Attribute, GenericArgument, Meta, PathArguments, Type};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::{After, ChildrenDecl, SubgraphDecl};

const KEYS: [&str; 3] = ["on_failure", "scope", "after"];

pub fn parse(cx: &Ctxt, attr: &Attribute) -> SubgraphDecl {
    let mut subgraph = SubgraphDecl::default();
    if let Meta::Path(_) = &attr.meta {
        return subgraph;
    }
    let role = if attr.path().is_ident("children") {
        "children"
    } else {
        "subgraph"
    };
    let parsed = attr.parse_nested_meta(value::each_key(cx, |meta, key| {
        match key {
            "on_failure" => subgraph.on_failure = value::keyword(cx, meta)?,
            "scope" => subgraph.scope = Some(value::ident(meta)?),
            "after" => subgraph.after = After::written(value::idents(meta)?),
            _ => value::unknown_key(cx, meta, role, &KEYS)?,
        }
        Ok(())
    }));
    if let Err(error) = parsed {
        cx.syn_error(error);
    }
    subgraph
}

/// `#[children(...)]` on a field of type `Children<G>`; `None` (reported)
/// for any other type, since `G` names the graph each child is.
pub fn parse_children(cx: &Ctxt, attr: &Attribute, ty: &Type) -> Option<ChildrenDecl> {
    let SubgraphDecl {
        on_failure,
        scope,
        after,
    } = parse(cx, attr);
    // As written, not yet split: every name is in `processes`.
    if let Some(first) = after.processes.first() {
        // As for any node added to a running graph: no `after` to the nodes
        // already there.
        cx.error(
            first.span(),
            "children cannot start `after` other nodes yet: a child is started when it is \
             added, and nodes added at run time have no `after` to the graph's own nodes",
        );
    }
    let Some(graph) = child_graph(ty) else {
        cx.error_spanned_by(
            ty,
            "a #[children] field has type `Children<G>`, where `G` is the \
             #[process_graph] struct each child is",
        );
        return None;
    };
    Some(ChildrenDecl {
        graph: graph.clone(),
        on_failure,
        scope,
    })
}

/// `G` of `Children<G>` (any path ending in `Children`).
fn child_graph(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Children" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Type(graph)] => Some(graph),
        _ => None,
    }
}
