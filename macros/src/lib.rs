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

#[proc_macro_attribute]
pub fn process_graph(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::process_graph(args.into(), item.into()).into()
}
