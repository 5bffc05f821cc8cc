//! The dynamic API checks the wiring rules before anything starts: every
//! rule has its error, and every broken rule of a graph is reported at once.

use process_graph_runtime::{Command, Endpoint, Error, Graph, NodeId, Rule, Stdio};

/// A graph with three `cat` nodes named a, b and c.
fn three_nodes() -> (Graph, NodeId, NodeId, NodeId) {
    let mut graph = Graph::new();
    let a = graph.node("a", Command::new("cat"));
    let b = graph.node("b", Command::new("cat"));
    let c = graph.node("c", Command::new("cat"));
    (graph, a, b, c)
}

/// `graph` breaks exactly one rule, the one `expected` accepts; `spawn`
/// refuses it with the same error.
fn assert_single_error(graph: Graph, rule: &str, expected: impl Fn(&Rule) -> bool) {
    let errors = graph.validate().expect_err(rule);
    assert_eq!(errors.violations().len(), 1, "{rule}: {errors}");
    let error = &errors.violations()[0];
    assert!(expected(&error.rule), "{rule}: got {error:?}");
    match graph.spawn() {
        Err(Error::Invalid(from_spawn)) => assert_eq!(from_spawn, errors, "{rule}"),
        other => panic!("{rule}: spawn gave {other:?}"),
    }
}

#[test]
fn an_edge_to_an_unknown_node_is_rejected() {
    let (mut graph, a, _, _) = three_nodes();
    graph.pipe(NodeId::from_index(99).stdout(), a.stdin());
    assert_single_error(graph, "unknown node", |e| {
        matches!(e, Rule::UnknownNode { index: 99 })
    });
}

#[test]
fn a_negative_fd_is_rejected() {
    let (mut graph, a, b, _) = three_nodes();
    graph.pipe(a.fd(-1), b.stdin());
    assert_single_error(graph, "negative fd", |e| {
        matches!(e, Rule::FdOutOfRange { .. })
    });
}

#[test]
fn a_writer_at_stdin_is_rejected() {
    let (mut graph, a, b, _) = three_nodes();
    graph.pipe(a.stdin(), b.fd(3));
    assert_single_error(
        graph,
        "writer at stdin",
        |e| matches!(e, Rule::WriterAtStdin { node } if node == "a"),
    );
}

#[test]
fn a_reader_at_stdout_is_rejected() {
    let (mut graph, a, b, _) = three_nodes();
    graph.pipe(a.fd(3), b.stdout());
    assert_single_error(
        graph,
        "reader at stdout",
        |e| matches!(e, Rule::ReaderAtOutput { node, fd: 1 } if node == "b"),
    );
}

#[test]
fn a_pipe_without_writer_is_rejected() {
    let (mut graph, a, _, _) = three_nodes();
    graph.pipe(Vec::<Endpoint>::new(), a.stdin());
    assert_single_error(graph, "no writer", |e| matches!(e, Rule::NoWriter));
}

#[test]
fn a_pipe_without_reader_is_rejected() {
    let (mut graph, a, _, _) = three_nodes();
    graph.pipe(a.stdout(), Vec::<Endpoint>::new());
    assert_single_error(graph, "no reader", |e| matches!(e, Rule::NoReader));
}

#[test]
fn a_pipe_with_several_readers_is_rejected() {
    let (mut graph, a, b, c) = three_nodes();
    graph.pipe(a.stdout(), [b.stdin(), c.stdin()]);
    assert_single_error(graph, "several readers", |e| {
        matches!(e, Rule::SeveralReaders)
    });
}

#[test]
fn the_parent_on_both_ends_is_rejected() {
    let mut pipe = Graph::new();
    pipe.pipe(Endpoint::Parent, Endpoint::Parent);
    assert_single_error(pipe, "parent on both ends of a pipe", |e| {
        matches!(e, Rule::ParentOnBothEnds)
    });
    let mut pair = Graph::new();
    pair.socketpair(Endpoint::Parent, Endpoint::Parent);
    assert_single_error(pair, "parent on both ends of a socketpair", |e| {
        matches!(e, Rule::ParentOnBothEnds)
    });
}

#[test]
fn an_endpoint_listed_twice_is_rejected() {
    let (mut graph, a, b, _) = three_nodes();
    graph.pipe([a.stdout(), a.stdout()], b.stdin());
    assert_single_error(
        graph,
        "endpoint listed twice",
        |e| matches!(e, Rule::ListedTwice { endpoint } if endpoint == "a.stdout"),
    );
}

#[test]
fn an_fd_claimed_by_two_edges_is_rejected() {
    let (mut graph, a, b, c) = three_nodes();
    graph.pipe(a.stdout(), c.fd(3));
    graph.socketpair(b.fd(4), c.fd(3));
    assert_single_error(
        graph,
        "fd claimed by two edges",
        |e| matches!(e, Rule::FdTaken { endpoint, .. } if endpoint == "c.fd(3)"),
    );
}

#[test]
fn an_fd_claimed_by_an_edge_and_a_stdio_setting_is_rejected() {
    let mut graph = Graph::new();
    let a = graph.node("a", Command::new("cat"));
    let b = graph.node("b", Command::new("cat").stdin(Stdio::Null));
    graph.pipe(a.stdout(), b.stdin());
    assert_single_error(
        graph,
        "fd claimed by an edge and stdio",
        |e| matches!(e, Rule::FdTaken { endpoint, .. } if endpoint == "b.stdin"),
    );
}

#[test]
fn a_prefixed_stdin_is_rejected() {
    let mut graph = Graph::new();
    graph.node("a", Command::new("cat").stdin(Stdio::Prefixed));
    assert_single_error(graph, "prefixed stdin", |e| {
        matches!(e, Rule::PrefixedStdin)
    });
}

#[test]
fn duplicate_node_names_are_rejected() {
    let mut graph = Graph::new();
    graph.node("same", Command::new("cat"));
    graph.node("same", Command::new("cat"));
    assert_single_error(graph, "duplicate names", |e| {
        matches!(e, Rule::DuplicateName)
    });
}

/// A name is printed in prefixed output (`[name] line`), events and errors:
/// an empty one, or one with a newline, a NUL or an escape, would not read
/// as one name there (a newline in it could forge a line of another node).
#[test]
fn names_that_do_not_print_as_one_name_are_rejected() {
    for name in ["", "a\nb", "a\0b", "\x1b[2Kforged", "tab\there"] {
        let mut graph = Graph::new();
        graph.node(name, Command::new("cat"));
        assert_single_error(graph, &format!("name {name:?}"), |e| {
            matches!(e, Rule::UnprintableName)
        });
    }
    let mut graph = Graph::new();
    graph.node("größe-1 (beta)", Command::new("cat"));
    assert!(graph.validate().is_ok(), "a printable name is fine");
}

#[test]
fn every_mistake_is_reported_at_once() {
    let (mut graph, a, b, c) = three_nodes();
    graph.node("a", Command::new("cat"));
    graph.pipe(a.stdin(), b.stdin());
    graph.pipe(b.stdout(), [c.stdin(), Endpoint::Parent]);
    let errors = graph.validate().unwrap_err();
    let kinds: Vec<_> = errors
        .violations()
        .iter()
        .map(|v| v.rule.clone())
        .collect::<Vec<_>>();
    assert_eq!(kinds.len(), 3, "{errors}");
    assert!(kinds.iter().any(|e| matches!(e, Rule::DuplicateName)));
    assert!(
        kinds
            .iter()
            .any(|e| matches!(e, Rule::WriterAtStdin { .. }))
    );
    assert!(kinds.iter().any(|e| matches!(e, Rule::SeveralReaders)));
    // The message lists them all, each after the node or edge it concerns.
    let message = errors.to_string();
    for violation in errors.violations() {
        assert!(message.contains(&violation.to_string()), "{message}");
    }
    assert!(
        message.contains("node \"a\": another node has the same name"),
        "{message}"
    );
}

#[test]
fn a_valid_graph_passes() {
    let (mut graph, a, b, c) = three_nodes();
    graph.pipe([a.stdout(), b.stdout()], c.stdin());
    graph.pipe(Endpoint::Parent, a.stdin());
    graph.socketpair(c.fd(3), Endpoint::Parent);
    graph.validate().expect("a valid graph");
}

#[test]
fn an_fd_beyond_the_kernel_ceiling_is_rejected() {
    let (mut graph, a, b, _) = three_nodes();
    graph.pipe(a.fd(process_graph_runtime::MAX_FD), b.stdin());
    assert_single_error(graph, "fd at MAX_FD", |e| {
        matches!(e, Rule::FdOutOfRange { .. })
    });
}

#[test]
fn a_ready_timeout_without_a_readiness_protocol_is_rejected() {
    let mut graph = Graph::new();
    graph.node_with(
        "server",
        Command::new("true"),
        process_graph_runtime::NodeOptions::new().ready_timeout(std::time::Duration::from_secs(1)),
    );
    assert_single_error(graph, "ready_timeout at exec", |e| {
        matches!(e, Rule::ReadyTimeoutWithoutReadiness)
    });
}

#[test]
fn a_hostname_longer_than_the_kernel_takes_is_rejected() {
    use process_graph_runtime::{Namespace, ScopeSpec};
    let mut graph = Graph::new();
    let scope = graph.scope(
        "box",
        ScopeSpec::new([Namespace::User, Namespace::Uts]).hostname("h".repeat(65)),
    );
    let options = process_graph_runtime::NodeOptions::new().scope(scope);
    graph.node_with("inside", Command::new("true"), options);
    assert_single_error(graph, "hostname of 65 bytes", |e| {
        matches!(e, Rule::HostnameLength { len: 65 })
    });
}
