//! The `#[process_graph]` attribute macro. Use it through the
//! [`process-graph`](https://docs.rs/process-graph) crate, which documents it.
//!
//! parse (struct → model) → check (every rule, every error) → expand.

#[cfg(test)]
mod agreement;
mod check;
mod ctxt;
mod expand;
mod model;
mod names;
mod parse;
mod suggest;

/// Declares a graph of processes as a struct: its `#[process]`, `#[pipe]`,
/// `#[socketpair]`, `#[scope]`, `#[subgraph]` and `#[children]` fields. The
/// `process-graph` crate re-exports it and documents its attributes, what it
/// generates and what it rejects; the generated code names that crate
/// (`::process_graph`, or the path given with `crate = "..."`), so use the
/// macro through it.
#[proc_macro_attribute]
pub fn process_graph(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::process_graph(args.into(), item.into()).into()
}
