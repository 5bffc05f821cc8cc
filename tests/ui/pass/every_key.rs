//! Every key of every attribute, together.

use process_graph::prelude::*;

#[process_graph(strategy = "rest_for_one", intensity = 5, period = "10s", start_timeout = "2m", cgroup = "auto")]
pub struct Everything {
    #[process(
        restart = "always",
        critical,
        ready = fd(3),
        ready_timeout = "5s",
        stop_signal = "SIGINT",
        stop_timeout = "1m30s",
        backoff = "100ms..30s",
        stdin = "null",
        stderr = "prefixed",
        memory_max = "512M",
        pids_max = 64,
        cpu_weight = 200
    )]
    pub db: Cmd,
    #[process(oneshot, after = [db], restart = "on-failure", ready_timeout = "10m")]
    pub migrate: Cmd,
    #[process(
        after = [db, migrate],
        ready = "notify",
        restart = "on-failure",
        stderr = "inherit",
        live_probe(tcp = "127.0.0.1:8080", period = "5s", timeout = "500ms", failure_threshold = 2),
        watchdog = "30s",
        notify_access = "all",
        reload_signal = "SIGUSR1"
    )]
    pub app: Cmd,
    #[process(
        after = db,
        restart = "never",
        stop_signal = "hup",
        ready_probe(http = "http://[::1]:8080/health?deep=1", period = "200ms", timeout = "2s"),
        live_probe(exec = ["test", "-e", "/tmp"])
    )]
    pub tail: Cmd,
    #[process(ready_probe(log = "listening on"), ready_timeout = "10s")]
    pub logger: Cmd,

    #[pipe(app.stdout, tail.stdout -> parent)]
    pub output: Pipe,
    #[pipe(parent -> app.stdin)]
    pub input: Pipe,
    #[socketpair(db.fd(4) <-> app.fd(4))]
    pub link: SocketPair,
    #[socketpair(parent <-> db.fd(5))]
    pub admin: SocketPair,
}

fn main() {
    let graph = Everything {
        db: Cmd::new("true"),
        migrate: Cmd::new("true"),
        app: Cmd::new("true"),
        tail: Cmd::new("true"),
        logger: Cmd::new("true"),
        output: Pipe::with_capacity(1 << 20),
        input: Pipe::new(),
        link: SocketPair::seqpacket(),
        admin: SocketPair::default(),
    };
    let _: process_graph::Graph = graph.graph();
    let topology: process_graph::Topology = Everything::TOPOLOGY;
    assert_eq!(topology.strategy, "rest_for_one");
    let tail = topology.nodes.iter().find(|n| n.name == "tail").unwrap();
    assert_eq!(tail.ready_probe.as_ref().map(|p| p.period_ms), Some(200));
    assert_eq!(tail.live_probe.as_ref().map(|p| p.failure_threshold), Some(3));
    let _spawn: fn(Everything) -> Result<RunningEverything, process_graph::Error> = Everything::spawn;
    let _ends = |r: RunningEverything| -> (
        Option<std::io::PipeReader>,
        Option<std::io::PipeWriter>,
        Option<std::os::unix::net::UnixStream>,
    ) { (r.output, r.input, r.admin) };
    let _report = |r: EverythingReport| -> process_graph::NodeExit { r.db };
    let _node: fn(EverythingNode) -> &'static str = EverythingNode::name;
}
