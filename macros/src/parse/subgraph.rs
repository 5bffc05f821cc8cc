//! `#[subgraph]` or `#[subgraph(on_failure = "restart" | "escalate")]`.

use syn::{Attribute, Meta};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::SubgraphDecl;

const KEYS: [&str; 1] = ["on_failure"];

pub fn parse(cx: &Ctxt, attr: &Attribute) -> SubgraphDecl {
    let mut subgraph = SubgraphDecl::default();
    if let Meta::Path(_) = &attr.meta {
        return subgraph;
    }
    let parsed = attr.parse_nested_meta(value::each_key(cx, |meta, key| {
        match key {
            "on_failure" => subgraph.on_failure = value::keyword(cx, meta)?,
            _ => value::unknown_key(cx, meta, "subgraph", &KEYS)?,
        }
        Ok(())
    }));
    if let Err(error) = parsed {
        cx.syn_error(error);
    }
    subgraph
}
