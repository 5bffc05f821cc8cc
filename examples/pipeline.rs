//! A small, real graph: `source | filter | count`, the count read by the
//! parent through a typed pipe end, plus a socketpair between the parent and
//! a node that answers questions on its fd 3.
//!
//! Run with `cargo run --example pipeline`.

use std::io::{BufRead, BufReader, Read, Write};

use process_graph::prelude::*;

/// How many numbers up to 100,000 contain a 7 — and a node to talk to.
#[process_graph]
pub struct Pipeline {
    #[process]
    source: Cmd,
    #[process(stderr = "prefixed")]
    filter: Cmd,
    #[process]
    count: Cmd,
    #[process(stderr = "prefixed")]
    oracle: Cmd,

    #[pipe(source.stdout -> filter.stdin)]
    numbers: Pipe,
    #[pipe(filter.stdout -> count.stdin)]
    matches: Pipe,
    /// The parent reads the count.
    #[pipe(count.stdout -> parent)]
    total: Pipe,
    /// The parent asks, the oracle answers.
    #[socketpair(oracle.fd(3) <-> parent)]
    questions: SocketPair,
}

/// The example's graph with its commands (the tests plan it too).
pub fn pipeline() -> Pipeline {
    Pipeline::new(
        Cmd::new("seq").args(["1", "100000"]),
        Cmd::new("grep").arg("7"),
        Cmd::new("wc").arg("-l"),
        Cmd::new("sh")
            .arg("-c")
            .arg(r#"while read -r q <&3; do echo "you asked: $q" >&3; done"#),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("starting: source | filter | count -> parent, and parent <-> oracle.fd(3)");
    let mut running = pipeline().spawn()?;
    for node in PipelineNode::ALL {
        let handle = running.process(*node);
        println!("  {:<7} pid {}", handle.name(), handle.pid().unwrap_or(0));
    }

    let mut text = String::new();
    running
        .total
        .take()
        .expect("the parent reads `total`")
        .read_to_string(&mut text)?;
    println!(
        "numbers up to 100000 containing a 7: {} (EOF reached: the parent closed its copies of the children's ends)",
        text.trim()
    );

    let socket = running.questions.take().expect("the parent holds one end");
    let mut answers = BufReader::new(socket.try_clone()?);
    writeln!(&socket, "is anybody there?")?;
    let mut answer = String::new();
    answers.read_line(&mut answer)?;
    println!("oracle over the socketpair: {}", answer.trim_end());
    drop((socket, answers)); // EOF on the oracle's fd 3 ends its loop

    let report = running.wait()?;
    println!("exit report:");
    print!("{report}");
    Ok(())
}
