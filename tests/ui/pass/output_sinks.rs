use process_graph::prelude::*;

fn show(line: &process_graph::Line<'_>) {
    let _ = line.text();
}

#[process_graph]
struct Logged {
    #[process(
        stdout = prefixed(timestamps = "rfc3339"),
        stderr = prefixed(timestamps = "since-start")
    )]
    a: Cmd,
    #[process(stdout = file("/tmp/b.log", max_size = "10M", keep = 3), stderr = callback(show))]
    b: Cmd,
    #[process(stdout = prefixed(), stderr = file("/tmp/b.log"))]
    c: Cmd,
}

fn main() {
    let graph = Logged::new(Cmd::new("true"), Cmd::new("true"), Cmd::new("true")).graph();
    graph.validate().unwrap();
}
