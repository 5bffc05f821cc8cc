//! Socketpairs: one between two children, one between a child and the
//! parent.
//!
//! `upper` is a tiny service that upper-cases every line it reads, on two
//! sockets at once: fd 3 is connected to `client`, fd 4 to the parent. The
//! client asks two questions over its socketpair and prints the answers (its
//! stdout is prefixed with `[client]`); the parent asks its own over a
//! `UnixStream`. When the parent closes its end and the client exits, both
//! of `upper`'s loops see EOF and it exits too.
//!
//! Run with `cargo run --example socketpairs`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

use process_graph::prelude::*;

#[process_graph]
pub struct Sockets {
    #[process]
    upper: Cmd,
    #[process(stdout = "prefixed")]
    client: Cmd,

    /// Child to child: `client`'s fd 3 talks to `upper`'s fd 3.
    #[socketpair(client.fd(3) <-> upper.fd(3))]
    questions: SocketPair,
    /// Child to parent: the parent holds one end as a `UnixStream`.
    #[socketpair(upper.fd(4) <-> parent)]
    admin: SocketPair,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One upper-casing loop per socket, both in the background.
    let upper = Cmd::new("sh").arg("-c").arg(
        r#"serve() { while read -r line <&"$1"; do echo "$line" | tr a-z A-Z >&"$1"; done; }
           serve 3 & serve 4 & wait"#,
    );
    let client = Cmd::new("sh").arg("-c").arg(
        r#"for word in alpha beta; do
             echo "$word" >&3
             read -r reply <&3
             echo "asked $word, got $reply"
           done"#,
    );
    let mut running = Sockets::new(upper, client).spawn()?;

    let socket: UnixStream = running.admin.take().expect("the parent holds `admin`");
    let mut replies = BufReader::new(socket.try_clone()?);
    let mut reply = String::new();
    for question in ["hello from the parent", "bye"] {
        writeln!(&socket, "{question}")?;
        replies.read_line(&mut reply)?;
        println!("parent asked {question:?}, got {:?}", reply.trim_end());
        reply.clear();
    }
    drop((socket, replies)); // EOF on upper's fd 4

    let report = running.wait()?;
    print!("how each process ended:\n{report}");
    assert!(report.success());
    Ok(())
}
