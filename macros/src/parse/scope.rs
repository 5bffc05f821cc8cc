//! `#[scope(user, pid, net, mount, uts, ipc, hostname = "...", parent = other)]`.

use syn::{Attribute, LitStr, Meta, Token};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::{Keyword, Namespace, ScopeDecl, Spanned};
use crate::suggest;

const KEYS: [&str; 2] = ["hostname", "parent"];

pub fn parse(cx: &Ctxt, attr: &Attribute) -> ScopeDecl {
    let mut scope = ScopeDecl::default();
    let Meta::List(_) = &attr.meta else {
        cx.error_spanned_by(
            attr,
            "a scope creates namespaces; write e.g. #[scope(user, pid, net)]",
        );
        return scope;
    };
    let parsed = attr.parse_nested_meta(value::each_key(cx, |meta, key| {
        if let Some(&(_, ns)) = Namespace::WORDS.iter().find(|(w, _)| *w == key) {
            value::flag(cx, meta)?;
            scope.namespaces.push(Spanned {
                value: ns,
                span: syn::spanned::Spanned::span(&meta.path),
            });
            return Ok(());
        }
        match key {
            "hostname" => scope.hostname = Some(meta.value()?.parse::<LitStr>()?),
            "parent" => scope.parent = Some(value::ident(meta)?),
            _ if meta.input.peek(Token![=]) => value::unknown_key(cx, meta, "scope", &KEYS)?,
            _ => {
                let words = Namespace::WORDS.iter().map(|(w, _)| *w);
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown namespace kind `{key}`{}",
                        suggest::hint(key, words)
                    ),
                );
                value::flag(cx, meta)?;
            }
        }
        Ok(())
    }));
    if let Err(error) = parsed {
        cx.syn_error(error);
    }
    scope
}
