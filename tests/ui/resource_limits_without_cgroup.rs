use process_graph::prelude::*;

#[process_graph(cgroup = "off")]
struct Uncontained {
    #[scope(user, pid)]
    sandbox: Scope,
    #[process(scope = sandbox, memory_max = "512M")]
    jailed: Cmd,
    #[process(pids_max = 64, cpu_weight = 50)]
    plain: Cmd,
}

fn main() {}
