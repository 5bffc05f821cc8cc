//! The output sinks written as calls in `stdout = ...` / `stderr = ...`:
//! `prefixed(timestamps = "rfc3339")` and
//! `file("app.log", max_size = "10M", keep = 5)`.

use syn::parse::ParseStream;
use syn::{Ident, LitInt, LitStr, Token};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::{FileSink, Stdio, Timestamps};

/// `prefixed(timestamps = "...")`.
pub fn prefixed(cx: &Ctxt, input: ParseStream) -> syn::Result<Option<Stdio>> {
    let mut timestamps = None;
    let mut ok = true;
    each_key(input, |key, input| {
        match &*key.to_string() {
            "timestamps" => {
                timestamps = value::word::<Timestamps>(cx, &input.parse()?);
                ok &= timestamps.is_some();
            }
            other => {
                input.parse::<syn::Expr>()?;
                cx.error(key.span(), format!("unknown key `{other}` of `prefixed(...)`; write `timestamps = \"rfc3339\"` or `timestamps = \"since-start\"`"));
                ok = false;
            }
        }
        Ok(())
    })?;
    Ok(match (ok, timestamps) {
        (true, Some(t)) => Some(Stdio::Prefixed(t.value)),
        (true, None) => Some(Stdio::Word(crate::model::StdioMode::Prefixed)),
        _ => None,
    })
}

/// `file("path", max_size = "10M", keep = 5)`.
pub fn file(cx: &Ctxt, input: ParseStream) -> syn::Result<Option<Stdio>> {
    let path: LitStr = input.parse()?;
    if path.value().is_empty() {
        cx.error(path.span(), "the log file's path is empty");
    }
    let mut max_bytes = None;
    let mut keep = None;
    let mut ok = !path.value().is_empty();
    if !input.is_empty() {
        input.parse::<Token![,]>()?;
    }
    each_key(input, |key, input| {
        match &*key.to_string() {
            "max_size" => {
                max_bytes = value::bytes_in(cx, input)?.map(|b| b.value);
                ok &= max_bytes.is_some();
            }
            "keep" => {
                let lit: LitInt = input.parse()?;
                keep = lit.base10_parse::<u32>().ok();
                if keep.is_none() {
                    cx.error(
                        lit.span(),
                        "`keep` takes how many rotated files to keep, e.g. `keep = 5`",
                    );
                    ok = false;
                }
            }
            other => {
                input.parse::<syn::Expr>()?;
                cx.error(key.span(), format!("unknown key `{other}` of `file(...)`; write `max_size = \"10M\"` or `keep = 5`"));
                ok = false;
            }
        }
        Ok(())
    })?;
    Ok(ok.then(|| {
        Stdio::File(Box::new(FileSink {
            path,
            max_bytes,
            keep,
        }))
    }))
}

/// `key = value, ...` until the end of `input`, each value read by `f`.
fn each_key(
    input: ParseStream,
    mut f: impl FnMut(&Ident, ParseStream) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        f(&key, input)?;
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}
