//! A graph declared with `#[process_graph]` and the same graph built with the
//! dynamic API give their children the same fd tables: one engine behind
//! both front doors. Each child lists its own fd table (`ls -l /proc/$$/fd`
//! run by its shell, so the listing opens nothing in the listed process)
//! into a pipe the parent reads.

use std::collections::BTreeMap;
use std::io::Read;

use process_graph::prelude::*;
use process_graph::{Endpoint, Graph};

/// A shell that lists its own fd table on `stream` (1 or 2).
fn lister(stream: u8) -> Cmd {
    // The redirect happens in the subshell, leaving the listed shell's fds
    // alone; `; true` keeps the shell alive (it would `exec` a last command).
    Cmd::new("sh")
        .arg("-c")
        .arg(format!("(ls -l /proc/$$/fd >&{stream}); true"))
}

#[process_graph]
struct Wired {
    #[process]
    a: Cmd,
    #[process]
    b: Cmd,
    #[pipe(a.stdout -> b.stdin)]
    data: Pipe,
    #[socketpair(a.fd(3) <-> b.fd(3))]
    link: SocketPair,
    #[pipe(parent -> b.fd(4))]
    control: Pipe,
    #[pipe(a.stderr -> parent)]
    a_table: Pipe,
    #[pipe(b.stdout -> parent)]
    b_table: Pipe,
}

/// fd number → what it is: `pipe`, `socket`, `null`, `tty` or the path.
type FdTable = BTreeMap<u32, String>;

fn parse_listing(listing: &str) -> FdTable {
    listing
        .lines()
        .filter_map(|line| {
            let (left, target) = line.split_once(" -> ")?;
            let fd = left.rsplit(' ').next()?.parse().ok()?;
            let kind = match target {
                t if t.starts_with("pipe:") => "pipe",
                t if t.starts_with("socket:") => "socket",
                "/dev/null" => "null",
                t if t.starts_with("/dev/pts/") || t == "/dev/tty" || t == "/dev/console" => "tty",
                other => other,
            };
            Some((fd, kind.to_owned()))
        })
        .collect()
}

fn read_all(mut reader: impl Read) -> String {
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    text
}

fn declared() -> (FdTable, FdTable) {
    let mut running = Wired::new(lister(2), lister(1)).spawn().unwrap();
    let a = read_all(running.a_table.take().unwrap());
    let b = read_all(running.b_table.take().unwrap());
    assert!(running.wait().unwrap().success());
    (parse_listing(&a), parse_listing(&b))
}

fn dynamic() -> (FdTable, FdTable) {
    let mut graph = Graph::new();
    let a = graph.node("a", lister(2));
    let b = graph.node("b", lister(1));
    graph.pipe(a.stdout(), b.stdin());
    graph.socketpair(a.fd(3), b.fd(3));
    let control = graph.pipe(Endpoint::Parent, b.fd(4));
    let a_table = graph.pipe(a.stderr(), Endpoint::Parent);
    let b_table = graph.pipe(b.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let control = running.take_writer(control).unwrap();
    let a = read_all(running.take_reader(a_table).unwrap());
    let b = read_all(running.take_reader(b_table).unwrap());
    drop(control);
    assert!(running.wait().unwrap().success());
    (parse_listing(&a), parse_listing(&b))
}

#[test]
fn declared_and_dynamic_graphs_give_children_the_same_fd_tables() {
    let (declared_a, declared_b) = declared();
    let (dynamic_a, dynamic_b) = dynamic();
    assert_eq!(declared_a, dynamic_a);
    assert_eq!(declared_b, dynamic_b);

    // And the tables are exactly the declared wiring (fd 0 of `a` and fd 2
    // of `b` are inherited from the test process).
    let kinds = |table: &FdTable, fds: &[u32]| -> Vec<String> {
        fds.iter()
            .map(|fd| table.get(fd).cloned().unwrap_or_default())
            .collect()
    };
    assert_eq!(declared_a.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(kinds(&declared_a, &[1, 2, 3]), ["pipe", "pipe", "socket"]);
    assert_eq!(
        declared_b.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(
        kinds(&declared_b, &[0, 1, 3, 4]),
        ["pipe", "pipe", "socket", "pipe"]
    );
}
