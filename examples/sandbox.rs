//! A server and a client in their own `user, pid, net, uts` scope, talking
//! over loopback, with a pipe carrying the client's result out to the parent.
//! Runs unprivileged: the user namespace maps the caller's own uid to root.
//!
//! Run with `cargo run --example sandbox`.

use std::io::Read;

use process_graph_runtime::{
    Command, Endpoint, Graph, Namespace, NodeOptions, Readiness, ScopeSpec, Stdio,
};

/// The server: listens on 127.0.0.1:7000 inside the scope's own network,
/// says it is ready on fd 3 once listening, and answers one client.
const SERVER: &str = r#"
import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7000))
s.listen()
os.write(3, b"\n")
conn, _ = s.accept()
conn.sendall(f"hello from {socket.gethostname()} (pid {os.getpid()}, uid {os.getuid()})\n".encode())
"#;

const CLIENT: &str = r#"
import socket
with socket.create_connection(("127.0.0.1", 7000)) as c:
    print("client got:", c.makefile().readline().strip())
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut graph = Graph::new();
    let sandbox = graph.scope(
        "sandbox",
        ScopeSpec::new([
            Namespace::User,
            Namespace::Pid,
            Namespace::Net,
            Namespace::Uts,
        ])
        .hostname("sandbox"),
    );
    let server = graph.node_with(
        "server",
        Command::new("python3")
            .args(["-c", SERVER])
            .stderr(Stdio::Prefixed),
        NodeOptions::new().scope(sandbox).ready(Readiness::Fd(3)),
    );
    let client = graph.node_with(
        "client",
        Command::new("python3")
            .args(["-c", CLIENT])
            .stderr(Stdio::Prefixed),
        NodeOptions::new().scope(sandbox).after([server]),
    );
    let result = graph.pipe(client.stdout(), Endpoint::Parent);

    println!("starting a server and a client in a new user, pid, net and uts namespace");
    let mut running = graph.spawn()?;
    let mut text = String::new();
    running
        .take_reader(result)
        .expect("the parent reads `result`")
        .read_to_string(&mut text)?;
    println!("through the pipe out of the sandbox: {}", text.trim());
    let report = running.wait()?;
    print!("{report}");
    Ok(())
}
