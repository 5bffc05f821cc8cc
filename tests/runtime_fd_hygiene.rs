//! A child's fd table is exactly 0, 1, 2 and its declared fds, even while
//! another thread of the parent keeps opening fds without `O_CLOEXEC` —
//! whether the runtime starts it itself or through the carried program
//! (a node in a scope, at spawn or added to a running one, or one that
//! drops to another uid), which holds fds of its own: the application's
//! `/proc` and the scope's namespaces among them, each a way out of the
//! scope were it to reach the node.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, Namespace, NodeOptions, ScopeSpec, Stdio};

const SPAWNS: usize = 200;

/// Opens fds without `O_CLOEXEC` (plain files, copies of them at 1,100 and
/// up, and pipes) until told to stop, keeping a few dozen open at any
/// moment so every spawn races with some.
struct FdLeaker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl FdLeaker {
    fn start() -> FdLeaker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut open: VecDeque<i32> = VecDeque::new();
            let mut opened = 0;
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: a NUL-terminated path; the fd is owned by `open`.
                let file = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
                assert!(file >= 0, "open /dev/null");
                open.push_back(file);
                // A copy high up too, where the runtime keeps its nodes'
                // pidfds, above what a spawn's child copies (where the soft
                // fd limit allows it).
                // SAFETY: `file` is open; the copy is owned by `open`.
                let high = unsafe { libc::fcntl(file, libc::F_DUPFD, 1100) };
                if high >= 0 {
                    open.push_back(high);
                    opened += 1;
                }
                let mut pipe = [-1; 2];
                // SAFETY: `pipe` has room for the two fds; plain pipe(), no O_CLOEXEC.
                assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0, "pipe");
                open.extend(pipe);
                opened += 3;
                while open.len() > 48 {
                    let fd = open.pop_front().expect("not empty");
                    // SAFETY: `fd` was opened above and is closed exactly once.
                    unsafe { libc::close(fd) };
                }
            }
            for fd in open {
                // SAFETY: as above.
                unsafe { libc::close(fd) };
            }
            opened
        });
        FdLeaker {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread; returns how many fds it opened.
    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("stopped once")
            .join()
            .expect("the leaking thread does not panic")
    }
}

/// One spawn of `cat` with stdin and stdout from the parent, a socketpair at
/// fd 3, a pipe to the parent at fd 7 and stderr on /dev/null; checks its fd
/// table once `cat` has echoed a line (so it is past its own start-up).
fn check_one_child_fd_table() {
    let mut graph = Graph::new();
    let cat = graph.node("cat", Command::new("cat").stderr(Stdio::Null));
    let input = graph.pipe(Endpoint::Parent, cat.stdin());
    let output = graph.pipe(cat.stdout(), Endpoint::Parent);
    let control = graph.socketpair(cat.fd(3), Endpoint::Parent);
    let side = graph.pipe(cat.fd(7), Endpoint::Parent);

    let mut running = graph.spawn().expect("cat starts");
    let mut input = running
        .take_writer(input)
        .expect("parent writes cat's stdin");
    let mut output = BufReader::new(
        running
            .take_reader(output)
            .expect("parent reads cat's stdout"),
    );
    let control = running.take_socket(control).expect("parent holds one end");
    let mut side = running.take_reader(side).expect("parent reads fd 7");

    input.write_all(b"ping\n").unwrap();
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line, "ping\n");

    let pid = running.pid(cat).expect("cat is running");
    let fds = common::fds_of(pid);
    let numbers: Vec<i32> = fds.keys().copied().collect();
    assert_eq!(numbers, [0, 1, 2, 3, 7], "cat's fd table: {fds:?}");
    let expected = BTreeMap::from([
        (0, common::fd_target(&input)),
        (1, common::fd_target(output.get_ref())),
        (2, "/dev/null".to_owned()),
        (7, common::fd_target(&side)),
    ]);
    for (fd, target) in expected {
        assert_eq!(fds[&fd], target, "cat's fd {fd}: {fds:?}");
    }
    // The child holds the other end of the pair: a socket, not the parent's.
    assert!(fds[&3].starts_with("socket:"), "cat's fd 3: {fds:?}");
    assert_ne!(fds[&3], common::fd_target(&control));

    drop(input);
    let mut rest = Vec::new();
    output.read_to_end(&mut rest).unwrap();
    // EOF on fd 7 proves the parent closed its copy of the write end.
    side.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
}

#[test]
fn child_sees_only_stdio_and_declared_fds_while_another_thread_opens_fds() {
    common::within(Duration::from_secs(60), "the fd hygiene spawns", || {
        let leaker = FdLeaker::start();
        for _ in 0..SPAWNS {
            check_one_child_fd_table();
        }
        let opened = leaker.stop();
        assert!(
            opened > SPAWNS,
            "the leaking thread ran alongside: {opened} fds"
        );
    });
}

/// How a node started through the carried program comes to run.
#[derive(Clone, Copy, Debug)]
enum Carried {
    /// In a user + pid + mount scope of the graph.
    Scoped,
    /// Added to a running graph, into its user + pid + mount scope.
    AddedToScope,
    /// Outside scopes, dropped to uid and gid 65534 (root only).
    Dropped,
}

/// Spawns a `cat` started `how`, with stdin and stdout from the parent, a
/// socketpair at fd 3 and a pipe to the parent at fd 7; checks its fd table
/// once it has echoed a line (so it is past its own start-up).
fn check_carried_fd_table(how: Carried) {
    let cat = || Command::new("cat").stderr(Stdio::Null);
    let spec = || ScopeSpec::new([Namespace::User, Namespace::Pid, Namespace::Mount]);
    let mut graph = Graph::new();
    let mut more = Graph::new();
    let (nodes, command, options) = match how {
        Carried::Scoped => {
            let scope = graph.scope("box", spec());
            (&mut graph, cat(), NodeOptions::new().scope(scope))
        }
        Carried::AddedToScope => {
            let scope = graph.scope("box", spec());
            let first = Command::new("sleep").arg("600");
            graph.node_with("first", first, NodeOptions::new().scope(scope));
            let inside = more.running_scope(scope);
            (&mut more, cat(), NodeOptions::new().scope(inside))
        }
        Carried::Dropped => (&mut graph, cat().uid(65534).gid(65534), NodeOptions::new()),
    };
    let node = nodes.node_with("cat", command, options);
    let edges = [
        nodes.pipe(Endpoint::Parent, node.stdin()),
        nodes.pipe(node.stdout(), Endpoint::Parent),
        nodes.socketpair(node.fd(3), Endpoint::Parent),
        nodes.pipe(node.fd(7), Endpoint::Parent),
    ];
    let mut running = graph.spawn().unwrap();
    let (node, [input, output, _, _]) = match how {
        Carried::AddedToScope => {
            let added = running.add(more).unwrap();
            (added.node(node), edges.map(|e| added.edge(e)))
        }
        _ => (node, edges),
    };
    let mut input = running.take_writer(input).unwrap();
    let mut output = BufReader::new(running.take_reader(output).unwrap());
    input.write_all(b"ping\n").unwrap();
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line, "ping\n", "{how:?}");
    // The program's report of the start is read by the event loop.
    common::run_until(&mut running, "the node's pid", |r| r.pid(node).is_some());
    let fds = common::fds_of(running.pid(node).unwrap());
    drop(input);
    running.shutdown(Duration::from_secs(1)).unwrap();
    let numbers: Vec<i32> = fds.keys().copied().collect();
    assert_eq!(
        numbers,
        [0, 1, 2, 3, 7],
        "{how:?}: the node's fd table: {fds:?}"
    );
    assert!(fds[&3].starts_with("socket:"), "{how:?}: fd 3: {fds:?}");
    assert!(fds[&7].starts_with("pipe:"), "{how:?}: fd 7: {fds:?}");
}

/// [`check_carried_fd_table`] 20 times each way, while another thread
/// opens fds.
fn carried_fd_tables(ways: &[Carried]) {
    let ways = ways.to_vec();
    common::within(
        Duration::from_secs(120),
        "the carried fd hygiene",
        move || {
            let leaker = FdLeaker::start();
            for how in ways {
                for _ in 0..20 {
                    check_carried_fd_table(how);
                }
            }
            leaker.stop();
        },
    );
}

#[test]
fn a_node_started_in_a_scope_sees_only_stdio_and_declared_fds() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_node_started_in_a_scope_sees_only_stdio_and_declared_fds",
        || {
            if !common::user_namespaces_available() {
                return;
            }
            carried_fd_tables(&[Carried::Scoped, Carried::AddedToScope]);
        },
    );
}

#[test]
fn a_node_that_drops_to_another_uid_sees_only_stdio_and_declared_fds() {
    let _serial = common::serial();
    if !common::real_root() {
        return common::skip("only root may drop a node to another uid");
    }
    carried_fd_tables(&[Carried::Dropped]);
}
