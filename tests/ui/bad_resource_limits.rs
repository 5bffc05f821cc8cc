use process_graph::prelude::*;

#[process_graph(cgroup = "sometimes")]
struct Limits {
    #[process(memory_max = "1.5G", pids_max = 0, cpu_weight = 20000)]
    server: Cmd,
    #[process(memory_max = "64MB")]
    worker: Cmd,
}

fn main() {}
