//! Snapshots of the expansion of representative graphs, pretty-printed into
//! `tests/snapshots/` at the workspace root, so a change to the generated
//! code shows up in review. Set `UPDATE_SNAPSHOTS=1` to rewrite them.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

fn check(name: &str, args: TokenStream, item: TokenStream) {
    let expanded = super::process_graph(args.clone(), item.clone());
    let input = pretty(quote!(#[process_graph(#args)] #item));
    let output = pretty(expanded);
    let commented: String = input
        .lines()
        .map(|l| format!("// {l}\n").replace("// \n", "//\n"))
        .collect();
    let text = format!(
        "// Expansion of this declaration (macros/src/expand/snapshots.rs):\n//\n{commented}\n{output}"
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/snapshots")
        .join(format!("{name}.rs"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == text,
        "the expansion of `{name}` differs from {}; review it and run with UPDATE_SNAPSHOTS=1\n\n{text}",
        path.display()
    );
}

fn pretty(tokens: TokenStream) -> String {
    let mut file: syn::File = syn::parse2(tokens).expect("the expansion parses as a file");
    for item in &mut file.items {
        if let syn::Item::Struct(item) = item {
            item.attrs.iter_mut().for_each(elide_rendering);
        }
    }
    prettyplease::unparse(&file)
}

/// The diagram and tables in the struct's docs are the topology crate's
/// renderings, tested there; the snapshots show where they go, not them.
fn elide_rendering(attr: &mut syn::Attribute) {
    let text = quote!(#attr).to_string();
    if text.contains("<svg") {
        *attr = syn::parse_quote!(#[cfg_attr(doc, doc = "<svg>(Topology::to_svg)</svg>")]);
    } else if text.contains("**Supervision:**") {
        *attr = syn::parse_quote!(#[doc = "(Topology::to_markdown_tables)"]);
    }
}

#[test]
fn error_count() {
    check(
        "error_count",
        quote!(strategy = "one_for_all", intensity = 5, period = "10s"),
        quote! {
            /// Count the lines of a log that mention an error, with a control
            /// channel to the filter.
            pub struct ErrorCount {
                #[process]
                source: Cmd,
                #[process(restart = "on-failure", after = [source], stderr = "prefixed")]
                filter: Cmd,
                #[process]
                count: Cmd,

                #[pipe(source.stdout -> filter.stdin)]
                lines: Pipe,
                #[pipe(filter.stdout -> count.stdin)]
                errors: Pipe,
                #[pipe(count.stdout -> parent)]
                total: Pipe,
                #[socketpair(filter.fd(3) <-> parent)]
                control: SocketPair,
            }
        },
    );
}

#[test]
fn sandbox() {
    check(
        "sandbox",
        quote!(crate = "pg"),
        quote! {
            struct Sandbox {
                #[scope(pid, mount, parent = outer)]
                inner: Scope,
                #[scope(user, net, uts, hostname = "box")]
                outer: Scope,
                #[process(
                    scope = inner,
                    ready = fd(3),
                    ready_timeout = "5s",
                    stop_signal = "SIGINT",
                    stop_timeout = "1m30s",
                    backoff = "100ms..30s",
                    restart = "always",
                    critical,
                    stdin = "null"
                )]
                server: Cmd,
                #[process(scope = outer, after = [server], ready = "notify")]
                client: Cmd,
                #[pipe(parent -> server.fd(4))]
                requests: Pipe,
                #[socketpair(server.fd(5) <-> client.fd(5))]
                link: SocketPair,
            }
        },
    );
}

#[test]
fn with_errors() {
    check(
        "with_errors",
        quote!(),
        quote! {
            struct Broken {
                #[process]
                source: Cmd,
                #[process(restart = "sometimes")]
                wait: Cmd,
                #[pipe(source.stdout -> snk.stdin)]
                lines: Pipe,
                #[pipe(source.stderr -> parent)]
                errors: Pipe,
            }
        },
    );
}

#[test]
fn subgraph_after() {
    check(
        "subgraph_after",
        quote!(),
        quote! {
            /// `web` after the whole of `db`; `db` after the one-shot
            /// `migrate`, `cache` after `db`.
            pub struct Ordered {
                #[process(oneshot)]
                migrate: Cmd,
                #[process(after = [migrate, db])]
                web: Cmd,
                #[subgraph(after = [migrate])]
                db: Db,
                #[subgraph(after = [db])]
                cache: Cache,
            }
        },
    );
}

#[test]
fn subgraph_ports() {
    check(
        "subgraph_ports",
        quote!(),
        quote! {
            /// `producer`'s output port feeds `consumer`'s input port, and
            /// their control sockets are one socketpair: two edges of the
            /// subgraphs joined into one each.
            pub struct Joined {
                #[subgraph]
                producer: Producer,
                #[subgraph]
                consumer: Consumer,
                #[pipe(producer.lines -> consumer.input)]
                lines: Pipe,
                #[socketpair(producer.control <-> consumer.control)]
                control: SocketPair,
            }
        },
    );
}
