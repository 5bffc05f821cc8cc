//! `#[process_graph(strategy = "...", intensity = N, period = "...", start_timeout = "...", cgroup = "...", crate = "...")]`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{LitInt, LitStr, Path};

use super::value;
use crate::ctxt::Ctxt;
use crate::model::{Containment, GraphOptions, Strategy};

const KEYS: [&str; 6] = [
    "strategy",
    "intensity",
    "period",
    "start_timeout",
    "cgroup",
    "crate",
];

pub fn parse(cx: &Ctxt, args: TokenStream) -> GraphOptions {
    let mut options = GraphOptions::default();
    let parser = syn::meta::parser(value::each_key(cx, |meta, key| {
        // Every key takes a value; without one, `meta.value()` would say
        // "expected `=`" at the end of the arguments: the whole attribute.
        if KEYS.contains(&key) && !meta.input.peek(syn::Token![=]) {
            return Err(meta.error(format!("`{key}` takes a value: `{key} = ...`")));
        }
        match key {
            "strategy" => {
                options.strategy = value::keyword::<Strategy>(cx, meta)?.map(|s| s.value);
            }
            "intensity" => {
                let lit: LitInt = meta.value()?.parse()?;
                match lit.base10_parse::<u32>() {
                    Ok(n) => options.intensity = Some(n),
                    Err(_) => cx.error(
                        lit.span(),
                        "intensity is the number of restarts allowed per period, e.g. `intensity = 5`",
                    ),
                }
            }
            "period" => options.period = value::duration(cx, meta)?,
            "start_timeout" => {
                options.start_timeout = value::duration(cx, meta)?.map(|t| t.value);
            }
            "cgroup" => options.cgroup = value::keyword::<Containment>(cx, meta)?,
            "crate" => {
                let lit: LitStr = meta.value()?.parse()?;
                match lit.parse::<Path>() {
                    Ok(path) => options.krate = Some(path),
                    Err(_) => cx.error(
                        lit.span(),
                        format!(
                            "`crate` takes a path, e.g. \"::process_graph\"; found \"{}\"",
                            lit.value()
                        ),
                    ),
                }
            }
            _ => value::unknown_key(cx, meta, "process_graph", &KEYS)?,
        }
        Ok(())
    }));
    if let Err(error) = parser.parse2(args) {
        cx.syn_error(error);
    }
    options
}
