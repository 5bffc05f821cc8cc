//! A small, real graph: `source | filter | count`, the count read by the
//! parent through a pipe, plus a socketpair between the parent and a node
//! that answers questions on its fd 3.
//!
//! Run with `cargo run --example pipeline`.

use std::io::{BufRead, BufReader, Read, Write};

use process_graph_runtime::{Command, Endpoint, Graph, Stdio};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut graph = Graph::new();
    let source = graph.node("source", Command::new("seq").args(["1", "100000"]));
    let filter = graph.node(
        "filter",
        Command::new("grep").arg("7").stderr(Stdio::Prefixed),
    );
    let count = graph.node("count", Command::new("wc").arg("-l"));
    let oracle = graph.node(
        "oracle",
        Command::new("sh")
            .arg("-c")
            .arg(r#"while read -r q <&3; do echo "you asked: $q" >&3; done"#)
            .stderr(Stdio::Prefixed),
    );
    graph.pipe(source.stdout(), filter.stdin());
    graph.pipe(filter.stdout(), count.stdin());
    let result = graph.pipe(count.stdout(), Endpoint::Parent);
    let control = graph.socketpair(oracle.fd(3), Endpoint::Parent);

    println!("starting: source | filter | count -> parent, and parent <-> oracle.fd(3)");
    let mut running = graph.spawn()?;
    for node in [source, filter, count, oracle] {
        println!(
            "  {:<7} pid {}",
            running.name(node),
            running.pid(node).unwrap_or(0)
        );
    }

    let mut text = String::new();
    running
        .take_reader(result)
        .expect("the parent reads `result`")
        .read_to_string(&mut text)?;
    println!(
        "lines of `seq 1 100000` containing a 7: {} (EOF reached: the parent closed its copies of the children's ends)",
        text.trim()
    );

    let socket = running
        .take_socket(control)
        .expect("the parent holds one end");
    let mut answers = BufReader::new(socket.try_clone()?);
    let mut ask = socket;
    writeln!(ask, "is anybody there?")?;
    let mut answer = String::new();
    answers.read_line(&mut answer)?;
    println!("oracle over the socketpair: {}", answer.trim_end());
    drop(ask);
    drop(answers); // EOF on the oracle's fd 3 ends its loop

    let report = running.wait()?;
    println!("exit report:");
    print!("{report}");
    Ok(())
}
