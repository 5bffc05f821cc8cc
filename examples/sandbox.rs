//! A server and a client in their own `user, pid, net, uts` scope, talking
//! over loopback, with a pipe carrying the client's result out to the parent.
//! Runs unprivileged: the user namespace maps the caller's own uid to root.
//!
//! Run with `cargo run --example sandbox`.

use std::io::Read;

use process_graph::prelude::*;

/// The server listens on 127.0.0.1:7000 of the scope's own network, says it
/// is ready on fd 3 once listening, and answers one client.
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

/// A client and a server sealed in their own namespaces; only the result
/// comes out.
#[process_graph]
pub struct Sandbox {
    #[scope(user, pid, net, uts, hostname = "sandbox")]
    sandbox: Scope,
    #[process(scope = sandbox, ready = fd(3), stderr = "prefixed")]
    server: Cmd,
    #[process(scope = sandbox, after = [server], stderr = "prefixed")]
    client: Cmd,
    /// The only way out of the sandbox.
    #[pipe(client.stdout -> parent)]
    result: Pipe,
}

/// The example's graph with its commands (the tests plan and draw it too).
pub fn sandbox() -> Sandbox {
    // Debian's python3 by path: a shim under root's home is out of reach of
    // other users, and this example runs unprivileged too.
    Sandbox::new(
        Cmd::new("/usr/bin/python3").args(["-c", SERVER]),
        Cmd::new("/usr/bin/python3").args(["-c", CLIENT]),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("starting a server and a client in a new user, pid, net and uts namespace");
    let mut running = sandbox().spawn()?;
    let mut text = String::new();
    running
        .result
        .take()
        .expect("the parent reads `result`")
        .read_to_string(&mut text)?;
    println!("through the pipe out of the sandbox: {}", text.trim());
    let report = running.wait()?;
    print!("{report}");
    Ok(())
}
