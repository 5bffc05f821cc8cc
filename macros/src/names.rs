//! Names of the generated items, shared by the checks (which reject
//! declarations that would clash with them) and the expansion.

use std::collections::HashMap;

use proc_macro2::Span;
use quote::format_ident;
use syn::Ident;
use syn::ext::IdentExt;

use crate::model::{Graph, Role};

/// Methods of the generated `Running*` struct; a process accessor of the
/// same name would clash with them.
pub const RUNNING_METHODS: [&str; 19] = [
    "process",
    "signal",
    "restart",
    "reload",
    "stop",
    "decide",
    "next_event",
    "next_event_async",
    // Generated with the `tokio` feature only: a name must not compile
    // without it and clash with it.
    "wait_async",
    "shutdown_async",
    "snapshot",
    "stop_on_signals",
    "waker",
    "is_finished",
    "wait",
    "shutdown",
    "running_graph",
    "running_graph_mut",
    "remove_child",
];

/// Associated consts of the generated node enum; a node variant of the same
/// name would shadow them.
pub const NODE_ENUM_CONSTS: [&str; 5] = ["ALL", "COUNT", "DECLARED", "NESTED", "REPLICAS"];

/// The private field of the `Running*` struct that holds the running graph,
/// beside the parent's ends of the edges (named after the edges).
pub const RUNNING_INNER: &str = "running";

/// The private field of the `*Report` struct that holds why the graph
/// ended, beside one field per process.
pub const REPORT_OUTCOME: &str = "outcome";

/// `ErrorCount` → `ErrorCountNode`.
pub fn node_enum(graph: &Ident) -> Ident {
    format_ident!("{}Node", graph)
}

/// `ErrorCount` → `RunningErrorCount`.
pub fn running(graph: &Ident) -> Ident {
    format_ident!("Running{}", graph)
}

/// `ErrorCount` → `ErrorCountPorts`.
pub fn ports(graph: &Ident) -> Ident {
    format_ident!("{}Ports", graph)
}

/// `ErrorCount` → `ErrorCountPortEnds`.
pub fn port_ends(graph: &Ident) -> Ident {
    format_ident!("{}PortEnds", graph)
}

/// `ErrorCount` → `ErrorCountReport`.
pub fn report(graph: &Ident) -> Ident {
    format_ident!("{}Report", graph)
}

/// `db_server` → `DbServer`, spanned at the field.
pub fn variant(field: &Ident) -> Ident {
    Ident::new(&pascal_case(&field.unraw().to_string()), field.span())
}

/// `add_workers`: the method of the `Running*` struct that adds a child to
/// the `#[children]` field `workers`.
pub fn add_child(field: &Ident) -> Ident {
    format_ident!("add_{}", field.unraw(), span = field.span())
}

/// A field's name as the runtime and messages show it (`r#type` → `type`).
pub fn display(field: &Ident) -> String {
    field.unraw().to_string()
}

fn pascal_case(snake: &str) -> String {
    let pascal: String = snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect();
    // `__`, `_1`, `_٣` or `self_` are field names, but ``, `1`, `٣` (a
    // character no identifier starts with) and `Self` (a keyword) are not
    // identifiers.
    match syn::parse_str::<Ident>(&pascal) {
        Ok(_) => pascal,
        Err(_) => format!("N{pascal}"),
    }
}

/// The private const of the struct that asserts that the graph a
/// `#[subgraph]` or `#[children]` field nests is one: `db` → `__nested_db`.
pub fn nested_check(field: &Ident) -> Ident {
    format_ident!("__nested_{}", field.unraw())
}

/// The private alias of the graph a `#[subgraph]` or `#[children]` field
/// nests: `Site`'s `db` → `__Site_nested_db`.
pub fn nested_alias(graph: &Ident, field: &Ident) -> Ident {
    format_ident!("__{}_nested_{}", graph.unraw(), field.unraw())
}

/// An identifier for a local of generated code, invisible to the user's code.
pub fn local(prefix: &str, field: &Ident) -> Ident {
    Ident::new(&format!("{prefix}_{}", field.unraw()), Span::mixed_site())
}

/// Fields whose names clash with generated items, by index into
/// `graph.fields`, with the message that explains it. The checks report
/// them; the placeholder expansion leaves them out.
pub fn clashes(graph: &Graph) -> Vec<(usize, String)> {
    let name = &graph.item.ident;
    let mut variants: HashMap<String, &Ident> = HashMap::new();
    let mut found = Vec::new();
    for (index, field) in graph.fields.iter().enumerate() {
        let field_name = display(&field.ident);
        let message = match &field.role {
            Some(Role::Process(_) | Role::Subgraph(_) | Role::Children(_))
                if field_name == REPORT_OUTCOME =>
            {
                Some(format!(
                    "a process cannot be named `{field_name}`: `{}::{field_name}` is generated; rename the field",
                    report(name)
                ))
            }
            Some(Role::Process(_)) if RUNNING_METHODS.contains(&field_name.as_str()) => {
                Some(format!(
                    "a process cannot be named `{field_name}`: `{}::{field_name}` is a generated method; rename the field",
                    running(name)
                ))
            }
            Some(Role::Process(_))
                if graph
                    .children()
                    .any(|(c, _)| add_child(&c.ident) == field_name) =>
            {
                Some(format!(
                    "a process cannot be named `{field_name}`: `{}::{field_name}` adds a child; rename the field",
                    running(name)
                ))
            }
            // Its ports' ends are a field of the running handle too.
            Some(Role::Subgraph(_)) if field_name == RUNNING_INNER => Some(format!(
                "a subgraph cannot be named `{RUNNING_INNER}`: `{}` keeps its running graph in a field of that name",
                running(name)
            )),
            Some(Role::Process(_) | Role::Subgraph(_) | Role::Children(_))
                if NODE_ENUM_CONSTS.contains(&variant(&field.ident).to_string().as_str()) =>
            {
                Some(format!(
                    "`{field_name}` would be the node variant `{0}`, but `{1}::{0}` is a generated constant; rename the field",
                    variant(&field.ident),
                    node_enum(name)
                ))
            }
            Some(Role::Process(_) | Role::Subgraph(_) | Role::Children(_)) => {
                let variant = variant(&field.ident).to_string();
                variants.get(&variant).map(|first| {
                    format!(
                        "processes `{first}` and `{}` would both be the node variant `{variant}`; rename one",
                        field.ident
                    )
                })
                .or_else(|| {
                    variants.insert(variant, &field.ident);
                    None
                })
            }
            Some(Role::Edge(_)) if field_name == RUNNING_INNER => Some(format!(
                "an edge cannot be named `{RUNNING_INNER}`: `{}` keeps its running graph in a field of that name",
                running(name)
            )),
            _ => None,
        };
        found.extend(message.map(|m| (index, m)));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::pascal_case;

    #[test]
    fn pascal_case_of_field_names() {
        assert_eq!(pascal_case("source"), "Source");
        assert_eq!(pascal_case("db_server"), "DbServer");
        assert_eq!(pascal_case("_private_x"), "PrivateX");
        assert_eq!(pascal_case("a2b_c"), "A2bC");
        assert_eq!(pascal_case("_1"), "N1");
        assert_eq!(pascal_case("__"), "N");
        assert_eq!(pascal_case("_٣"), "N٣");
        assert_eq!(pascal_case("_\u{301}x"), "N\u{301}x");
        assert_eq!(pascal_case("self_"), "NSelf");
    }
}
