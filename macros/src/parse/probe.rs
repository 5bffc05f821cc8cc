//! `ready_probe(tcp = "127.0.0.1:8080", period = "200ms", timeout = "1s")`
//! and `live_probe(http = "127.0.0.1:8080/health", failure_threshold = 3)`:
//! one check (`tcp`, `http`, `exec`, `log`) and its timing. What the values
//! mean (an address the runtime can connect to, durations above zero) is
//! checked with the topology's rules, in `check.rs`.

use process_graph_topology::{ProbeCheck, ProbeInfo, Text};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token, bracketed};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::Spanned;

const KEYS: [&str; 7] = [
    "tcp",
    "http",
    "exec",
    "log",
    "period",
    "timeout",
    "failure_threshold",
];

/// The probe inside `ready_probe(...)` (`live: false`) or `live_probe(...)`,
/// spanned on its key; `None` when it has no check (reported).
pub fn parse(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    live: bool,
) -> syn::Result<Option<Spanned<ProbeInfo>>> {
    let key = value::key(meta);
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("write `{key}(tcp = \"127.0.0.1:8080\")`, with `http`, `exec` or `log` in place of `tcp` as needed"),
        );
        value::skip_value(meta.input)?;
        return Ok(None);
    }
    let mut check = None;
    // A misspelt key may have been the check: then a missing check is not
    // reported as well.
    let mut unknown = false;
    let (mut period, mut timeout, mut threshold) = (None, None, None);
    meta.parse_nested_meta(value::each_key(cx, |inner, name| {
        let kind = match name {
            "tcp" => Some(ProbeCheck::Tcp(text(inner)?.into())),
            "http" => Some(ProbeCheck::Http(text(inner)?.into())),
            "log" => Some(ProbeCheck::LogLine(text(inner)?.into())),
            "exec" => Some(ProbeCheck::Exec(argv(inner)?.into())),
            "period" => {
                period = value::duration(cx, inner)?;
                None
            }
            "timeout" => {
                timeout = value::duration(cx, inner)?;
                None
            }
            "failure_threshold" if live => {
                threshold = value::int_in(cx, inner, 1..=u32::MAX, "failure_threshold", "3")?;
                None
            }
            "failure_threshold" => {
                cx.error_spanned_by(
                    &inner.path,
                    "`failure_threshold` belongs to `live_probe`: a readiness probe tries until it succeeds",
                );
                value::skip_value(inner.input)?;
                None
            }
            _ => {
                unknown = true;
                value::unknown_key(cx, inner, &key, &KEYS)?;
                None
            }
        };
        if let Some(kind) = kind {
            if check.is_some() {
                cx.error_spanned_by(
                    &inner.path,
                    format!("a probe has one check; `{name}` comes after another: use one of tcp, http, exec, log"),
                );
            } else {
                check = Some(kind);
            }
        }
        Ok(())
    }))?;
    let Some(check) = check else {
        if unknown {
            return Ok(None);
        }
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` needs a check: `tcp = \"host:port\"`, `http = \"host:port/path\"`, `exec = [\"program\", ..]` or `log = \"text\"`"),
        );
        return Ok(None);
    };
    let defaults = if live {
        ProbeInfo::live(check)
    } else {
        ProbeInfo::ready(check)
    };
    Ok(Some(Spanned {
        value: ProbeInfo {
            period_ms: period.map_or(defaults.period_ms, |p| p.value),
            timeout_ms: timeout.map_or(defaults.timeout_ms, |t| t.value),
            failure_threshold: threshold.map_or(defaults.failure_threshold, |t| t.value),
            ..defaults
        },
        span: meta
            .path
            .get_ident()
            .map_or_else(proc_macro2::Span::call_site, |i| i.span()),
    }))
}

fn text(meta: &ParseNestedMeta) -> syn::Result<String> {
    Ok(meta.value()?.parse::<LitStr>()?.value())
}

/// `["program", "arg", ...]`.
fn argv(meta: &ParseNestedMeta) -> syn::Result<Vec<Text>> {
    let input = meta.value()?;
    if !input.peek(syn::token::Bracket) {
        return Err(input.error("write the command as a list: `exec = [\"pg_isready\", \"-q\"]`"));
    }
    let content;
    bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok(list.iter().map(|arg| arg.value().into()).collect())
}
