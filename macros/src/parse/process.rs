//! `#[process(restart = "...", oneshot, after = [..], ready = fd(N), ...)]`;
//! probes in `probe.rs`.

use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Ident, LitInt, LitStr, Meta, Token, bracketed, parenthesized};

use process_graph_topology::STDIO;

use super::{sink, value};
use crate::ctxt::Ctxt;
use crate::model::{
    After, Backoff, NotifyAccess, Process, Ready, Restart, Spanned, Stdio, StdioMode,
};
use crate::suggest;

const KEYS: [&str; 24] = [
    "restart",
    "critical",
    "oneshot",
    "after",
    "ready",
    "ready_timeout",
    "ready_probe",
    "live_probe",
    "watchdog",
    "notify_access",
    "reload_signal",
    "stop_signal",
    "stop_timeout",
    "backoff",
    "scope",
    "stdin",
    "stdout",
    "stderr",
    "terminal",
    "memory_max",
    "pids_max",
    "cpu_weight",
    "replicas",
    "listen",
];

/// The most replicas a declared process may have: the node enum lists
/// each one.
const MAX_REPLICAS: u32 = 1024;

pub fn parse(cx: &Ctxt, attr: &Attribute) -> Process {
    let mut process = Process::default();
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(_) => {
            let parsed = attr.parse_nested_meta(value::each_key(cx, |meta, key| {
                item(cx, &mut process, meta, key)
            }));
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Meta::NameValue(nv) => {
            cx.error_spanned_by(nv, "write #[process] or #[process(key = value, ...)]")
        }
    }
    process
}

fn item(cx: &Ctxt, p: &mut Process, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if let Some(fd) = STDIO.iter().position(|stream| *stream == key) {
        return stdio(cx, p, meta, fd);
    }
    match key {
        "restart" => p.restart = value::keyword::<Restart>(cx, meta)?,
        "critical" => {
            value::flag(cx, meta)?;
            p.critical = true;
        }
        "oneshot" => {
            value::flag(cx, meta)?;
            p.oneshot = true;
        }
        "terminal" => {
            value::flag(cx, meta)?;
            terminal(cx, p, meta.path.span());
        }
        "after" => p.after = After::written(value::idents(meta)?),
        "ready" => p.ready = ready(cx, meta)?,
        "ready_timeout" => p.ready_timeout = value::duration(cx, meta)?,
        "ready_probe" => p.ready_probe = super::probe::parse(cx, meta, false)?.map(Box::new),
        "live_probe" => p.live_probe = super::probe::parse(cx, meta, true)?.map(Box::new),
        "watchdog" => p.watchdog = value::duration(cx, meta)?,
        "notify_access" => p.notify_access = value::keyword::<NotifyAccess>(cx, meta)?,
        "reload_signal" => p.reload_signal = value::signal(cx, meta)?,
        "stop_signal" => p.stop_signal = value::signal(cx, meta)?,
        "stop_timeout" => p.stop_timeout = value::duration(cx, meta)?.map(|d| d.value),
        "backoff" => p.backoff = backoff(cx, meta)?,
        "scope" => p.scope = Some(value::ident(meta)?),
        "memory_max" => p.memory_max = value::bytes(cx, meta)?,
        "pids_max" => {
            // The kernel's PID_MAX_LIMIT: no cgroup can hold more.
            p.pids_max = value::int_in(cx, meta, 1..=4_194_304, "pids_max", "64")?;
        }
        "cpu_weight" => {
            p.cpu_weight = value::int_in(cx, meta, 1..=10_000, "cpu_weight", "100")?;
        }
        "replicas" => p.replicas = replicas(cx, meta)?,
        "listen" => p.listen = listeners(meta)?,
        _ => value::unknown_key(cx, meta, "process", &KEYS)?,
    }
    Ok(())
}

/// `terminal`: stdin, stdout and stderr are the process's pseudo-terminal
/// (`Command::terminal`), each unless a `stdin = ...` before it set it.
fn terminal(cx: &Ctxt, p: &mut Process, span: proc_macro2::Span) {
    for (fd, stream) in STDIO.iter().enumerate() {
        match &p.stdio[fd] {
            Some(set) => cx.error(set.span, set_by_terminal(stream)),
            None => {
                p.stdio[fd] = Some(Spanned {
                    value: Stdio::Word(StdioMode::Terminal),
                    span,
                });
            }
        }
    }
}

/// Why `stream = ...` cannot go with `terminal`.
fn set_by_terminal(stream: &str) -> String {
    format!(
        "`terminal` makes stdin, stdout and stderr the process's terminal: \
         `{stream}` cannot be set too"
    )
}

/// `stdin = "null"`, `stdout = "prefixed"`, `stdout = file("x.log")`, ...:
/// the default of fd `fd`.
fn stdio(cx: &Ctxt, p: &mut Process, meta: &ParseNestedMeta, fd: usize) -> syn::Result<()> {
    if p.stdio[fd].is_some() {
        // Only `terminal` sets one before its own key.
        cx.error(meta.path.span(), set_by_terminal(STDIO[fd]));
        return value::skip_value(meta.input);
    }
    let input = meta.value()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let needs = match &*lit.value() {
            "file" => Some(
                "a path: write `file(\"app.log\")`, with `max_size = \"10M\"` and `keep = 5` if you like",
            ),
            "callback" => Some("a function: write `callback(path::to::function)`"),
            _ => None,
        };
        if let Some(needs) = needs {
            cx.error(lit.span(), format!("`{}` needs {needs}", lit.value()));
            return Ok(());
        }
        p.stdio[fd] = value::word::<StdioMode>(cx, &lit).map(|w| Spanned {
            value: Stdio::Word(w.value),
            span: w.span,
        });
        return Ok(());
    }
    let word: Ident = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), SINK_HELP))?;
    let span = word.span();
    let content;
    parenthesized!(content in input);
    let value = match &*word.to_string() {
        "prefixed" => sink::prefixed(cx, &content)?,
        "file" => sink::file(cx, &content)?,
        "callback" => Some(Stdio::Callback(Box::new(content.parse()?))),
        other => {
            content.parse::<proc_macro2::TokenStream>()?;
            cx.error(
                span,
                format!(
                    "unknown output sink `{other}`{}",
                    suggest::hint(other, SINKS.iter().copied())
                ),
            );
            None
        }
    };
    p.stdio[fd] = value.map(|value| Spanned { value, span });
    Ok(())
}

/// The sinks written as a call.
const SINKS: [&str; 3] = ["prefixed", "file", "callback"];

/// What `stdout = ...` takes.
const SINK_HELP: &str = "write \"inherit\", \"null\", \"prefixed\", \"tracing\", \"terminal\", \
                         `prefixed(timestamps = \"rfc3339\" | \"since-start\")`, \
                         `file(\"path\", max_size = \"10M\", keep = 5)` or `callback(path::to::function)`";

/// `[http = "tcp:127.0.0.1:8080", admin = "unix:/run/app.sock"]`: named
/// listening sockets, at fd 3 and on. The addresses are checked with the
/// graph's other rules, at the literal.
fn listeners(meta: &ParseNestedMeta) -> syn::Result<Vec<(Ident, LitStr)>> {
    let input = meta.value()?;
    let content;
    bracketed!(content in input);
    let list = Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated(&content)?;
    list.into_iter()
        .map(|nv| {
            let name = nv.path.get_ident().cloned().ok_or_else(|| {
                syn::Error::new_spanned(
                    &nv.path,
                    "a listening socket's name is one word, e.g. `http`",
                )
            })?;
            match nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(address),
                    ..
                }) => Ok((name, address)),
                other => Err(syn::Error::new_spanned(
                    other,
                    "write the address as a string: `http = \"tcp:127.0.0.1:8080\"`",
                )),
            }
        })
        .collect()
}

/// `fd(N)` (s6's notification fd) or `"notify"` (systemd's `NOTIFY_SOCKET`).
fn ready(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<Ready>>> {
    let input = meta.value()?;
    const EXPECTED: &str = "write `ready = fd(N)` (the child writes a newline to fd N) \
                            or `ready = \"notify\"` (the child sends READY=1 to $NOTIFY_SOCKET)";
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        if lit.value() == "notify" {
            return Ok(Some(Spanned {
                value: Ready::Notify,
                span: lit.span(),
            }));
        }
        cx.error(
            lit.span(),
            format!("unknown readiness \"{}\"; {EXPECTED}", lit.value()),
        );
        return Ok(None);
    }
    let word: Ident = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), EXPECTED))?;
    if word != "fd" {
        return Err(syn::Error::new(word.span(), EXPECTED));
    }
    let fd = value::fd_number(input)?;
    Ok(Some(Spanned {
        value: Ready::Fd(fd.value),
        span: fd.span,
    }))
}

/// `replicas = 4`. Zero is the shared rules' to report (the dynamic graph
/// may ask for it too); the ceiling keeps the node enum's list of every
/// replica small.
fn replicas(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Spanned<u32>>> {
    let lit: LitInt = meta.value()?.parse()?;
    match lit.base10_parse::<u32>() {
        Ok(n) if n <= MAX_REPLICAS => Ok(Some(Spanned {
            value: n,
            span: lit.span(),
        })),
        Ok(_) => {
            cx.error(
                lit.span(),
                format!("at most {MAX_REPLICAS} replicas: the node enum lists each of them"),
            );
            Ok(None)
        }
        Err(_) => {
            cx.error(
                lit.span(),
                "`replicas` takes a whole number of copies, e.g. `replicas = 4`",
            );
            Ok(None)
        }
    }
}

/// `"100ms..30s"`: the first delay, then the cap.
fn backoff(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Backoff>> {
    let lit: LitStr = meta.value()?.parse()?;
    let text = lit.value();
    let Some((initial, max)) = text.split_once("..") else {
        cx.error(
            lit.span(),
            format!("bad backoff \"{text}\"; write \"initial..max\", e.g. \"100ms..30s\""),
        );
        return Ok(None);
    };
    let part = |s: &str| value::duration_lit(cx, &LitStr::new(s, lit.span()));
    let (Some(initial), Some(max)) = (part(initial), part(max)) else {
        return Ok(None);
    };
    if initial > max {
        cx.error(
            lit.span(),
            format!("backoff \"{text}\" starts above its maximum; write the smaller delay first"),
        );
        return Ok(None);
    }
    Ok(Some(Backoff { initial, max }))
}
