use process_graph::prelude::*;

#[process_graph]
struct Sinks {
    #[process(stdout = "file", stderr = prefixed(timestamps = "utc"))]
    a: Cmd,
    #[process(stdout = fiel("x.log"), stderr = file("x.log", keep = -1, size = "1M"))]
    b: Cmd,
    #[process(stdin = file("in.log"), stdout = file(""), stderr = callback(not a path))]
    c: Cmd,
}

fn main() {}
