//! Edges beyond a plain pipe: several writers sharing one pipe (fan-in), and
//! a SOCK_SEQPACKET socketpair between two children that keeps message
//! boundaries.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, SocketPair};

/// Runs `graph` to the end and returns what the parent read from `out`.
fn read_output(graph: Graph, out: process_graph_runtime::EdgeId) -> String {
    common::within(Duration::from_secs(30), "the graph", move || {
        let mut running = graph.spawn().expect("the graph starts");
        let text = common::read_to_end(&mut running, out);
        let report = running.wait().unwrap();
        assert!(report.success(), "{report}");
        text
    })
}

#[test]
fn two_writers_share_one_pipe() {
    let mut graph = Graph::new();
    // Each writer's whole output (under 2 KB) fits in one write of its
    // stdio buffer, and a write of at most PIPE_BUF bytes to a pipe is
    // atomic: with more, the two writers' buffer-sized writes interleave
    // and cut lines in two whenever they run at the same time.
    let low = graph.node("low", Command::new("seq").args(["1", "500"]));
    let high = graph.node("high", Command::new("seq").args(["501", "1000"]));
    let sort = graph.node("sort", Command::new("sort").arg("-n"));
    graph.pipe([low.stdout(), high.stdout()], sort.stdin());
    let out = graph.pipe(sort.stdout(), Endpoint::Parent);

    // sort prints only after EOF, which needs both writers gone.
    let text = read_output(graph, out);
    let expected: String = (1..=1000).map(|n| format!("{n}\n")).collect();
    assert_eq!(text, expected);
}

#[test]
fn a_seqpacket_socketpair_between_children_keeps_message_boundaries() {
    let mut graph = Graph::new();
    // Three writes on fd 3, each one message.
    let sender = graph.node(
        "sender",
        Command::new("sh").args(["-c", "printf one >&3; printf two >&3; printf three >&3"]),
    );
    // Waits for the sender to finish (EOF on stdin), so all three messages
    // are queued, then makes three reads of up to 64 bytes. Each gets one
    // message; on a byte stream the first read would get all three.
    let receiver = graph.node(
        "receiver",
        Command::new("sh").args([
            "-c",
            "cat >/dev/null; for i in 1 2 3; do dd bs=64 count=1 <&3 2>/dev/null; echo; done",
        ]),
    );
    graph.pipe(sender.stdout(), receiver.stdin());
    graph.socketpair_of(SocketPair::seqpacket(), sender.fd(3), receiver.fd(3));
    let out = graph.pipe(receiver.stdout(), Endpoint::Parent);

    assert_eq!(read_output(graph, out), "one\ntwo\nthree\n");
}

#[test]
fn a_seqpacket_socketpair_with_the_parent_keeps_message_boundaries() {
    common::within(Duration::from_secs(30), "the socketpair", || {
        let mut graph = Graph::new();
        // Once stdin is closed, echoes each message received on fd 3 back,
        // bracketed, as one message.
        let echo = graph.node(
            "echo",
            Command::new("sh").args([
                "-c",
                "cat >/dev/null; for i in 1 2; do m=$(dd bs=64 count=1 <&3 2>/dev/null); printf '<%s>' \"$m\" >&3; done",
            ]),
        );
        let go = graph.pipe(Endpoint::Parent, echo.stdin());
        let control = graph.socketpair_of(SocketPair::seqpacket(), echo.fd(3), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let mut socket = running.take_socket(control).unwrap();

        // Both messages are queued before the child reads any.
        socket.write_all(b"first").unwrap();
        socket.write_all(b"second").unwrap();
        // No more messages: a read beyond the two gets EOF, not a hang.
        socket.shutdown(std::net::Shutdown::Write).unwrap();
        drop(running.take_writer(go));
        assert!(running.wait().unwrap().success());

        // Both replies are queued before the parent reads any; then EOF.
        let mut buf = [0u8; 64];
        for reply in [&b"<first>"[..], b"<second>", b""] {
            let n = socket.read(&mut buf).unwrap();
            assert_eq!(&buf[..n], reply);
        }
    });
}
