//! The wiring of `#[pipe(a.stdout, b.stdout -> c.stdin)]` and
//! `#[socketpair(a.fd(3) <-> parent)]`.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, Meta, Token};

use process_graph_topology::STDIO;

use super::value;
use crate::ctxt::Ctxt;
use crate::model::{Edge, EdgeKind, Endpoint, Target, Wiring};

pub const STREAMS: [&str; 4] = ["stdin", "stdout", "stderr", "fd"];

pub fn parse(cx: &Ctxt, attr: &Attribute, kind: EdgeKind) -> Edge {
    let example = match kind {
        EdgeKind::Pipe => "#[pipe(a.stdout -> b.stdin)]",
        EdgeKind::SocketPair => "#[socketpair(a.fd(3) <-> parent)]",
    };
    let wiring = match &attr.meta {
        Meta::List(list) if list.tokens.is_empty() => {
            cx.error_spanned_by(attr, format!("an edge needs its wiring, e.g. {example}"));
            None
        }
        // `parse_args_with` puts "end of input" errors at the closing
        // parenthesis, inside the edge, not at `#[process_graph]`.
        Meta::List(_) => attr
            .parse_args_with(|input: ParseStream| wiring(input, kind))
            .map_err(|e| cx.syn_error(e))
            .ok(),
        _ => {
            cx.error_spanned_by(attr, format!("an edge needs its wiring, e.g. {example}"));
            None
        }
    };
    Edge { kind, wiring }
}

fn wiring(input: ParseStream, kind: EdgeKind) -> syn::Result<Wiring> {
    let from = endpoints(input)?;
    let arrow = arrow(input, kind)?;
    let to = endpoints(input)?;
    Ok(Wiring { from, arrow, to })
}

/// `->` for a pipe, `<->` for a socketpair.
fn arrow(input: ParseStream, kind: EdgeKind) -> syn::Result<TokenStream> {
    let (tokens, found) = if input.peek(Token![->]) {
        let arrow: Token![->] = input.parse()?;
        (arrow.into_token_stream(), EdgeKind::Pipe)
    } else if input.peek(Token![<]) && input.peek2(Token![-]) {
        // `<->` is not one token; rustc splits it `<` `->`, `quote!` `<-` `>`.
        let (left, minus, right): (Token![<], Token![-], Token![>]) =
            (input.parse()?, input.parse()?, input.parse()?);
        (quote::quote!(#left #minus #right), EdgeKind::SocketPair)
    } else {
        let expected = match kind {
            EdgeKind::Pipe => "`->` between the writers and the reader",
            EdgeKind::SocketPair => "`<->` between the two ends",
        };
        return Err(input.error(format!("expected `,` or {expected}")));
    };
    match (kind, found) {
        (EdgeKind::Pipe, EdgeKind::SocketPair) => Err(syn::Error::new_spanned(
            tokens,
            "a pipe is one-way: write `writers -> reader`; `<->` is for #[socketpair]",
        )),
        (EdgeKind::SocketPair, EdgeKind::Pipe) => Err(syn::Error::new_spanned(
            tokens,
            "a socketpair is two-way: write `a <-> b`; `->` is for #[pipe]",
        )),
        _ => Ok(tokens),
    }
}

/// A comma-separated list, possibly empty, up to an arrow or the end.
fn endpoints(input: ParseStream) -> syn::Result<Vec<Endpoint>> {
    let mut list = Vec::new();
    while !input.is_empty() && !input.peek(Token![->]) && !input.peek(Token![<-]) {
        list.push(endpoint(input)?);
        if !input.peek(Token![,]) {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(list)
}

fn endpoint(input: ParseStream) -> syn::Result<Endpoint> {
    let start = input.fork();
    let target = target(input)?;
    // The tokens of the endpoint as written, so errors underline all of it.
    let mut tokens = TokenStream::new();
    while start.cursor() != input.cursor() {
        tokens.extend([start.parse::<TokenTree>()?]);
    }
    Ok(Endpoint { tokens, target })
}

fn target(input: ParseStream) -> syn::Result<Target> {
    let node: Ident = input.parse().map_err(|e| {
        syn::Error::new(e.span(), "expected an endpoint: `node.stdin`, `node.stdout`, `node.stderr`, `node.fd(N)` or `parent`")
    })?;
    if node == "parent" {
        if input.peek(Token![.]) {
            return Err(syn::Error::new(
                node.span(),
                "`parent` is an endpoint by itself: the parent holds this end; write `parent`",
            ));
        }
        return Ok(Target::Parent);
    }
    if !input.peek(Token![.]) {
        return Err(syn::Error::new(
            node.span(),
            format!("expected `{node}.stdin`, `{node}.stdout`, `{node}.stderr` or `{node}.fd(N)`"),
        ));
    }
    input.parse::<Token![.]>()?;
    let stream: Ident = input.parse()?;
    let stream_name = stream.to_string();
    let fd = match STDIO.iter().position(|s| *s == stream_name) {
        Some(fd) => fd as i32,
        // `db.fd` with no number is a port named `fd`.
        None if stream_name == "fd" && input.peek(syn::token::Paren) => {
            let fd = value::fd_number(input)?;
            if let Some(name) = STDIO.get(fd.value as usize) {
                return Err(syn::Error::new(
                    fd.span,
                    format!("fd {} is {name}: write `{node}.{name}`", fd.value),
                ));
            }
            fd.value
        }
        // A subgraph's port, or a misspelt stream: only the checks know
        // which fields are subgraphs.
        None => {
            return Ok(Target::Port {
                subgraph: node,
                port: stream,
            });
        }
    };
    Ok(Target::Node { node, fd })
}
