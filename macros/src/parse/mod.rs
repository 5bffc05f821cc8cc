//! From the struct to the model: the struct's shape, then each field's role
//! attribute. Every error goes to the `Ctxt`; parsing carries on past it.

mod edge;
pub(crate) use edge::STREAMS;
mod graph_args;
mod probe;
mod process;
mod scope;
mod sink;
mod subgraph;
mod value;

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Data, DeriveInput, Fields};

use crate::ctxt::Ctxt;
use crate::model::{EdgeKind, Field, Graph, Role};

/// The role attributes, as written on fields.
const ROLES: [&str; 6] = [
    "process",
    "pipe",
    "socketpair",
    "scope",
    "subgraph",
    "children",
];

/// Parses the macro's arguments and the struct. Returns the struct without
/// the field attributes this macro consumes, and the model when the item is a
/// struct the macro can generate code for.
pub fn graph(cx: &Ctxt, args: TokenStream, mut item: DeriveInput) -> (DeriveInput, Option<Graph>) {
    let options = graph_args::parse(cx, args);
    let shape_ok = check_shape(cx, &item);
    let mut fields = Vec::new();
    for_each_field(&mut item.data, |field| {
        refuse_cfg(cx, field);
        let role_attrs = take_role_attrs(field);
        if let (true, Some(ident)) = (shape_ok, &field.ident) {
            fields.push(Field {
                ident: ident.clone(),
                ty: field.ty.clone(),
                doc: doc_comment(&field.attrs),
                role: role(cx, ident, &field.ty, &role_attrs),
            });
        }
    });
    split_after_lists(&mut fields);
    let graph = shape_ok.then(|| Graph {
        item: item.clone(),
        options,
        fields,
    });
    (item, graph)
}

/// Splits every `after` list into its processes and its subgraphs (see
/// [`After`](crate::model::After)): once, here, where every subgraph's
/// name is known.
fn split_after_lists(fields: &mut [Field]) {
    let subgraphs: HashSet<syn::Ident> = fields
        .iter()
        .filter(|f| matches!(f.role, Some(Role::Subgraph(_))))
        .map(|f| f.ident.clone())
        .collect();
    for field in fields {
        let after = match &mut field.role {
            Some(Role::Process(process)) => &mut process.after,
            Some(Role::Subgraph(subgraph)) => &mut subgraph.after,
            _ => continue,
        };
        after.split(|name| subgraphs.contains(name));
    }
}

/// Only a struct with named fields and no generic parameters can be a graph:
/// its fields are the nodes, and the generated API names concrete types.
fn check_shape(cx: &Ctxt, item: &DeriveInput) -> bool {
    let found = match &item.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(_) => None,
            Fields::Unnamed(fields) => Some((fields.to_token_stream(), "a tuple struct")),
            Fields::Unit => Some((item.ident.to_token_stream(), "a unit struct")),
        },
        Data::Enum(e) => Some((e.enum_token.to_token_stream(), "an enum")),
        Data::Union(u) => Some((u.union_token.to_token_stream(), "a union")),
    };
    if let Some((tokens, what)) = found {
        let name = &item.ident;
        cx.error_spanned_by(
            tokens,
            format!(
                "#[process_graph] needs a struct with named fields, found {what}; \
                 write `struct {name} {{ #[process] name: Cmd, ... }}`"
            ),
        );
        return false;
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        // A where clause alone is not among the generics' tokens.
        let tokens = match &item.generics.where_clause {
            Some(clause) if item.generics.params.is_empty() => clause.to_token_stream(),
            _ => item.generics.to_token_stream(),
        };
        cx.error_spanned_by(
            tokens,
            "a #[process_graph] struct cannot have generic parameters or a where clause: \
             its fields are processes, edges and scopes of fixed types",
        );
        return false;
    }
    true
}

/// The text of a field's `///` lines (`#[doc = "..."]`), each trimmed of
/// the one space after `///`.
fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn for_each_field(data: &mut Data, mut f: impl FnMut(&mut syn::Field)) {
    match data {
        Data::Struct(s) => s.fields.iter_mut().for_each(&mut f),
        Data::Enum(e) => e
            .variants
            .iter_mut()
            .flat_map(|v| &mut v.fields)
            .for_each(&mut f),
        Data::Union(u) => u.fields.named.iter_mut().for_each(&mut f),
    }
}

/// `#[cfg]` on a field: the macro runs before `cfg` is evaluated, so it
/// would build the graph with the field while the compiler then strips it,
/// and the generated code would name a field that is not there.
fn refuse_cfg(cx: &Ctxt, field: &syn::Field) {
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        cx.error_spanned_by(
            attr,
            "`#[cfg]` on a field of a process graph is not supported: the graph is \
             built from every field; declare two graphs, or add the node at run time",
        );
    }
}

/// Removes the role attributes from a field (they are not real attributes
/// once the macro has run) and returns them.
fn take_role_attrs(field: &mut syn::Field) -> Vec<Attribute> {
    let (roles, others) = field
        .attrs
        .drain(..)
        .partition(|a| ROLES.iter().any(|r| a.path().is_ident(r)));
    field.attrs = others;
    roles
}

fn role(cx: &Ctxt, ident: &syn::Ident, ty: &syn::Type, attrs: &[Attribute]) -> Option<Role> {
    let Some((first, rest)) = attrs.split_first() else {
        cx.error(
            ident.span(),
            format!(
                "field `{ident}` has no role; mark it #[process], #[pipe(...)], \
                 #[socketpair(...)], #[scope(...)], #[subgraph] or #[children]"
            ),
        );
        return None;
    };
    for extra in rest {
        cx.error_spanned_by(
            extra,
            format!(
                "field `{ident}` already has a role attribute; a field is exactly one of \
                 #[process], #[pipe], #[socketpair], #[scope], #[subgraph] or #[children]"
            ),
        );
    }
    let path = first.path();
    if path.is_ident("process") {
        Some(Role::Process(Box::new(process::parse(cx, first))))
    } else if path.is_ident("pipe") {
        Some(Role::Edge(edge::parse(cx, first, EdgeKind::Pipe)))
    } else if path.is_ident("socketpair") {
        Some(Role::Edge(edge::parse(cx, first, EdgeKind::SocketPair)))
    } else if path.is_ident("subgraph") {
        Some(Role::Subgraph(subgraph::parse(cx, first)))
    } else if path.is_ident("children") {
        subgraph::parse_children(cx, first, ty).map(Role::Children)
    } else {
        Some(Role::Scope(scope::parse(cx, first)))
    }
}
