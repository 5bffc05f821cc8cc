//! Typed subgraphs: a `#[process_graph]` struct nested in another as a
//! `#[subgraph]` field. Its nodes run as part of the enclosing graph, named
//! by path; its strategy and intensity apply inside it; past its intensity
//! it fails as one unit to the enclosing graph, which restarts it whole or
//! escalates; its `parent` edges are ports the enclosing graph wires.

use std::time::Duration;

use process_graph::prelude::*;
use process_graph::{Error, Running, SubgraphFailure};

/// A database of two processes that takes queries on a port.
#[process_graph(intensity = 2, period = "30s")]
pub struct Db {
    #[process(restart = "always", backoff = "10ms..10ms")]
    primary: Cmd,
    #[process(restart = "always", backoff = "10ms..10ms")]
    standby: Cmd,
    /// Queries in: a port of the enclosing graph.
    #[pipe(parent -> primary.stdin)]
    queries: Pipe,
}

/// A client whose output is the database's input, the database restarted
/// whole at most once.
#[process_graph(intensity = 1, period = "30s")]
pub struct Site {
    #[process]
    client: Cmd,
    #[subgraph]
    db: Db,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
}

/// The same, but a failing database stops the site at once.
#[process_graph(intensity = 10, period = "30s")]
pub struct FragileSite {
    #[process]
    client: Cmd,
    #[subgraph(on_failure = "escalate")]
    db: Db,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
}

fn sleeper() -> Cmd {
    Cmd::new("sleep").arg("30")
}

/// Fails 100 ms after it starts.
fn crasher() -> Cmd {
    Cmd::new("sh").args(["-c", "sleep 0.1; exit 3"])
}

/// Every event until the graph is over, by its text.
fn events_until_done<N: GraphNode>(running: &mut Running<N>) -> Vec<GraphEvent<N>> {
    let mut events = Vec::new();
    while let Some(event) = running
        .next_event(Some(Duration::from_secs(20)))
        .expect("events")
    {
        events.push(event);
    }
    events
}

#[test]
fn a_port_carries_data_from_the_enclosing_graph_into_the_subgraph() {
    let dir = std::env::temp_dir().join(format!("pg-subgraph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("queries");
    // Both db processes restart always: they stay up until the shutdown.
    let script = format!("read -r q; echo \"$q\" > {}; exec sleep 30", out.display());
    let db = Db::new(Cmd::new("sh").args(["-c", &script]), sleeper());
    let site = Site::new(Cmd::new("echo").arg("SELECT 1"), db);
    let mut running = site.spawn().expect("spawn the site");
    let primary = SiteNode::Db(DbNode::Primary);
    assert_eq!(primary.to_string(), "db.primary");
    assert_eq!(SiteNode::from_id(primary.id()), Some(primary));
    assert_eq!(running.running_graph().name(primary.id()), "db.primary");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&out).unwrap_or_default().is_empty()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "SELECT 1\n");
    let report = running
        .shutdown(Duration::from_secs(5))
        .expect("the site stops");
    assert_eq!(report.get(primary).restarts, 0, "{report}");
    assert_eq!(report.db.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restarts_and_escalation_across_two_levels_follow_each_intensity() {
    let site = Site::new(sleeper(), Db::new(crasher(), sleeper()));
    let mut running = site.spawn().expect("spawn the site");
    let events = events_until_done(&mut running);
    let primary = SiteNode::Db(DbNode::Primary);
    let standby = SiteNode::Db(DbNode::Standby);
    let lines: Vec<String> = events.iter().map(ToString::to_string).collect();
    // db allows 2 restarts, then fails as a unit; the site restarts all of
    // db once (its intensity), and db's clean slate allows 2 more: 3 runs,
    // then the unit fails, then 3 more, then the second unit failure is one
    // too many for the site.
    let failures: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            GraphEvent::SubgraphFailed {
                subgraph,
                node,
                on_failure,
            } => Some((subgraph.as_str(), *node, *on_failure)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failures,
        [
            ("db", primary, SubgraphFailure::Restart),
            ("db", primary, SubgraphFailure::Restart)
        ],
        "{lines:#?}"
    );
    let starts = |node| {
        events
            .iter()
            .filter(|e| matches!(e, GraphEvent::Started { node: n, .. } if *n == node))
            .count()
    };
    assert_eq!(starts(primary), 6, "{lines:#?}");
    // The standby was brought down and up again with the first unit
    // restart: its own two starts.
    assert_eq!(starts(standby), 2, "{lines:#?}");
    assert_eq!(starts(SiteNode::Client), 1, "one_for_one at the top");
    match running.wait() {
        Err(Error::RestartIntensity { node, .. }) => assert_eq!(&*node, "db.primary"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_escalating_subgraph_stops_the_enclosing_graph_at_its_first_failure() {
    let site = FragileSite::new(sleeper(), Db::new(crasher(), sleeper()));
    let mut running = site.spawn().expect("spawn the site");
    let events = events_until_done(&mut running);
    let lines: Vec<String> = events.iter().map(ToString::to_string).collect();
    let primary = FragileSiteNode::Db(DbNode::Primary);
    assert!(
        lines.contains(&format!(
            "subgraph db failed: the restart of {primary} exceeded its intensity; \
             the level above it fails too"
        )),
        "{lines:#?}"
    );
    let starts = events
        .iter()
        .filter(|e| matches!(e, GraphEvent::Started { node, .. } if *node == primary))
        .count();
    assert_eq!(starts, 3, "db's own two restarts, then the site stops");
    assert!(matches!(
        running.wait(),
        Err(Error::RestartIntensity { .. })
    ));
}

/// One process, nested below in a scope of the enclosing graph.
#[process_graph]
pub struct Probe {
    #[process]
    look: Cmd,
}

/// `Probe` run inside a user + pid scope of this graph.
#[process_graph]
pub struct Boxed {
    #[scope(user, pid)]
    sandbox: Scope,
    #[subgraph(scope = sandbox)]
    probe: Probe,
}

#[test]
fn a_subgraph_placed_in_a_scope_runs_in_its_namespaces() {
    let dir = std::env::temp_dir().join(format!("pg-subgraph-scope-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Writable by the scope, an unprivileged uid of its own under root.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = dir.join("ns");
    let script = format!("readlink /proc/self/ns/pid > {}", out.display());
    let boxed = Boxed::new(Probe::new(Cmd::new("sh").args(["-c", &script])));
    let mut running = match boxed.spawn() {
        Ok(running) => running,
        Err(error) => {
            // Only where the kernel refuses user namespaces.
            let refused = error.to_string().contains("Operation not permitted");
            assert!(refused, "{error}");
            return eprintln!("SKIP: user namespaces refused: {error}");
        }
    };
    assert!(running.wait().unwrap().success());
    let inside = std::fs::read_to_string(&out).unwrap();
    let own = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_ne!(
        inside.trim(),
        own.to_string_lossy(),
        "probe.look ran in the sandbox"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A filter whose ports are named as a process's streams are: `stdin`,
/// `stdout`, and `fd` for what it writes on its fd 3.
#[process_graph]
pub struct Filter {
    #[process]
    tr: Cmd,
    #[pipe(parent -> tr.stdin)]
    stdin: Pipe,
    #[pipe(tr.stdout -> parent)]
    stdout: Pipe,
    #[pipe(tr.fd(3) -> parent)]
    fd: Pipe,
}

/// `echo | filter`, the filter's `stdout` port left to the application and
/// its `fd` port read by a process: `filter.stdin` and `filter.fd` are the
/// ports, not streams of a process.
#[process_graph]
pub struct Filtered {
    #[process]
    echo: Cmd,
    #[subgraph]
    filter: Filter,
    #[pipe(echo.stdout -> filter.stdin)]
    feed: Pipe,
    #[process]
    count: Cmd,
    #[pipe(filter.fd -> count.stdin)]
    side: Pipe,
}

#[test]
fn ports_named_stdin_stdout_and_fd_are_wired_as_ports() {
    let dir = std::env::temp_dir().join(format!("pg-port-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let counted = dir.join("counted");
    let filter = Filter::new(Cmd::new("sh").args(["-c", "tr a-z A-Z | tee /dev/fd/3; exec 3>&-"]));
    let count = Cmd::new("sh").args(["-c", &format!("wc -l > {}", counted.display())]);
    let mut running = Filtered::new(Cmd::new("printf").arg("one\\ntwo\\n"), filter, count)
        .spawn()
        .expect("spawn");
    let stdout = running.filter.stdout.take().expect("the unwired port");
    let report = running.wait().expect("the graph ends");
    assert!(report.success(), "{report}");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::BufReader::new(stdout), &mut text).unwrap();
    assert_eq!(text, "ONE\nTWO\n");
    assert_eq!(std::fs::read_to_string(&counted).unwrap().trim(), "2");
    std::fs::remove_dir_all(&dir).unwrap();
}
