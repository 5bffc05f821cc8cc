//! Fds passed in: `Command::fd(n, fd)` and stdio from a file or any fd
//! (`Stdio::from`, `Stdio::append_to`). Every start of the node gets the
//! same fd, the application's copy is closed once the node may not start
//! again, and a number claimed twice is refused before anything starts.

mod common;

use std::io::Read;
use std::time::Duration;

use process_graph_runtime::{
    Claim, Command, Error, FdOrigin, Graph, NodeOptions, Place, Readiness, Restart, Rule, Stdio,
};

#[test]
fn a_passed_fd_reaches_the_child_at_its_number() {
    let (mut ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node(
        "writer",
        Command::new("sh")
            .args(["-c", "echo on-seven >&7"])
            .fd(7, theirs),
    );
    let mut running = graph.spawn().unwrap();
    assert!(running.wait().unwrap().success());
    let mut out = String::new();
    // EOF: the application's copy was closed once the node could not
    // start again.
    ours.read_to_string(&mut out).unwrap();
    assert_eq!(out, "on-seven\n");
}

#[test]
fn stdin_reads_a_file() {
    let dir = common::TempDir::new("stdin_file");
    let path = dir.path().join("input");
    std::fs::write(&path, "b\na\n").unwrap();
    let (mut ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node(
        "sort",
        Command::new("sort")
            .stdin(Stdio::from(std::fs::File::open(&path).unwrap()))
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs))),
    );
    let mut running = graph.spawn().unwrap();
    assert!(running.wait().unwrap().success());
    let mut out = String::new();
    ours.read_to_string(&mut out).unwrap();
    assert_eq!(out, "a\nb\n");
}

/// A log opened for appending keeps what it held, and every start of a
/// restarting node adds to its end: the restart gets the same file.
#[test]
fn a_log_opened_for_appending_collects_every_start() {
    let dir = common::TempDir::new("append_log");
    let log = dir.path().join("node.log");
    std::fs::write(&log, "before\n").unwrap();
    let flag = dir.path().join("started-once");
    let script = format!(
        "echo \"start $$\"; echo err >&2; [ -e {f} ] && exit 0; : > {f}; exit 1",
        f = flag.display()
    );
    let mut graph = Graph::new();
    graph.node_with(
        "flaky",
        Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::append_to(&log).unwrap())
            .stderr(Stdio::append_to(&log).unwrap()),
        NodeOptions::new()
            .restart(Restart::OnFailure)
            .backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    let mut running = graph.spawn().unwrap();
    let report = running.wait().unwrap();
    assert!(report.success(), "{report:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "before", "{text}");
    let starts = lines.iter().filter(|l| l.starts_with("start ")).count();
    assert_eq!(starts, 2, "one line per start: {text}");
    assert_eq!(lines.iter().filter(|l| **l == "err").count(), 2, "{text}");
}

/// A restarting node gets the same passed fd at each start, and the
/// application holds it meanwhile: the reader sees no EOF between starts.
#[test]
fn every_start_gets_the_same_fd() {
    let (mut ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node_with(
        "ticker",
        Command::new("sh")
            .args(["-c", "echo tick >&4"])
            .fd(4, theirs),
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    graph.intensity(1000, Duration::from_secs(60));
    let mut running = graph.spawn().unwrap();
    // Restarts happen while the application waits for events.
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 15];
        ours.read_exact(&mut buf).map(|()| buf)
    });
    while !reader.is_finished() {
        running.next_event(Some(Duration::from_millis(10))).unwrap();
    }
    assert_eq!(&reader.join().unwrap().unwrap(), b"tick\ntick\ntick\n");
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// A passed fd reaches only its own node: a sibling's table has only
/// stdio.
#[test]
fn a_passed_fd_reaches_no_other_node() {
    let (_ours, theirs) = std::io::pipe().unwrap();
    let (mut out, out_w) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node("holder", Command::new("true").fd(9, theirs));
    graph.node(
        "sibling",
        Command::new("ls")
            .arg("/proc/self/fd")
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(out_w))),
    );
    let mut running = graph.spawn().unwrap();
    assert!(running.wait().unwrap().success());
    let mut listing = String::new();
    out.read_to_string(&mut listing).unwrap();
    let mut fds: Vec<i32> = listing
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    fds.sort();
    // 0, 1, 2 and the fd `ls` opened to read the directory.
    assert_eq!(fds, [0, 1, 2, 3], "{listing}");
}

#[test]
fn the_plan_shows_passed_fds() {
    let (_ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node(
        "writer",
        Command::new("true")
            .fd(5, theirs)
            .stdout(Stdio::from(std::fs::File::open("/dev/null").unwrap())),
    );
    let plan = graph.plan().unwrap();
    assert_eq!(plan.nodes[0].fds[1], (1, FdOrigin::Passed));
    assert_eq!(plan.nodes[0].fds[3], (5, FdOrigin::Passed));
    assert!(
        plan.to_string()
            .contains("fd 5   passed in by the application")
    );
}

/// A passed fd and an edge on the same number: refused, naming both.
#[test]
fn a_passed_fd_and_an_edge_on_one_number_are_refused() {
    let (_ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    let a = graph.node("a", Command::new("true").fd(3, theirs));
    let b = graph.node("b", Command::new("cat"));
    graph.pipe(a.fd(3), b.stdin());
    let Err(Error::Invalid(broken)) = graph.spawn() else {
        panic!("expected a wiring error");
    };
    let [violation] = broken.violations() else {
        panic!("{broken}");
    };
    assert_eq!(
        violation.rule,
        Rule::FdTaken {
            endpoint: "a.fd(3)".into(),
            first: Claim::Passed {
                node: "a".into(),
                fd: 3
            }
        }
    );
    assert_eq!(
        violation.to_string(),
        "pipe a.fd(3) -> b.stdin: `a.fd(3)` is already taken by the fd passed in as `a.fd(3)`; \
         an fd of a process belongs to one edge or setting"
    );
}

#[test]
fn a_passed_fd_on_the_readiness_fd_is_refused() {
    let (_ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node_with(
        "a",
        Command::new("true").fd(3, theirs),
        NodeOptions::new().ready(Readiness::Fd(3)),
    );
    let broken = graph.validate().unwrap_err();
    let [violation] = broken.violations() else {
        panic!("{broken}");
    };
    assert_eq!(violation.place, Place::PassedFd { node: 0, fd: 3 });
    assert!(matches!(
        &violation.rule,
        Rule::FdTaken {
            first: Claim::Ready { fd: 3, .. },
            ..
        }
    ));
}

#[test]
fn a_negative_passed_fd_is_refused() {
    let (_ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node("a", Command::new("true").fd(-4, theirs));
    let broken = graph.validate().unwrap_err();
    assert_eq!(broken.violations()[0].rule, Rule::FdOutOfRange { fd: -4 });
}

/// Passing fd 1 is setting stdout: the later setting wins, as for std's
/// `Command`.
#[test]
fn passing_a_stdio_number_sets_that_stream() {
    let (mut ours, theirs) = std::io::pipe().unwrap();
    let mut graph = Graph::new();
    graph.node(
        "echo",
        Command::new("echo")
            .arg("out")
            .stdout(Stdio::Null)
            .fd(1, theirs),
    );
    let mut running = graph.spawn().unwrap();
    assert!(running.wait().unwrap().success());
    let mut out = String::new();
    ours.read_to_string(&mut out).unwrap();
    assert_eq!(out, "out\n");
}

/// A spawn's child copies only the fds below the highest it places, and
/// the graph keeps its nodes' pidfds high in the table, above that prefix
/// (`sys::held_high`). A passed fd numbered above them all must still be
/// copied: here it is the top fd the soft limit allows, with running
/// siblings' pidfds below it, and a sibling started after them.
#[test]
fn a_passed_fd_above_the_held_pidfds_reaches_the_child() {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024)
        .min(65_536);
    let (mut ours, theirs) = std::io::pipe().unwrap();
    let top = rustix::io::fcntl_dupfd_cloexec(&theirs, (soft - 1) as i32).unwrap();
    drop(theirs);
    let mut graph = Graph::new();
    let sleepers: Vec<_> = (0..8)
        .map(|k| graph.node(format!("sleeper-{k}"), Command::new("sleep").arg("30")))
        .collect();
    graph.node_with(
        "writer",
        Command::new("sh")
            .args(["-c", "echo from-the-top >&7"])
            .fd(7, top),
        NodeOptions::new().after(sleepers),
    );
    let mut running = graph.spawn().unwrap();
    let mut out = String::new();
    // EOF once the writer has ended: the graph's copy closes with it.
    ours.read_to_string(&mut out).unwrap();
    assert_eq!(out, "from-the-top\n");
    running.shutdown(Duration::from_secs(5)).unwrap();
}
