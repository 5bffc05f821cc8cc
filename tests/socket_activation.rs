//! Socket activation: the application binds, the node gets the socket at
//! fd 3 with `LISTEN_FDS`, `LISTEN_FDNAMES` and its own pid in
//! `LISTEN_PID`, and connections made while the node restarts are all
//! served, none refused — the application holds the socket meanwhile.
//!
//! The node is this test binary's ignored test `activated_server`, which
//! speaks the protocol as `sd_listen_fds_with_names` reads it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::fd::FromRawFd;
use std::time::Duration;

use process_graph_runtime::{
    Command, Error, FdOrigin, Graph, Listener, Namespace, NodeOptions, Restart, Rule, ScopeSpec,
};

/// The protocol's check, as `sd_listen_fds` makes it: `LISTEN_PID` is this
/// process. Then serves `PG_SERVE` connections on fd 3 (one line each:
/// `pid names`) and exits 3 so that it restarts.
#[test]
#[ignore = "the node of the socket activation tests"]
fn activated_server() {
    let Ok(serve) = std::env::var("PG_SERVE") else {
        return;
    };
    let pid = std::process::id().to_string();
    let listen_pid = std::env::var("LISTEN_PID").unwrap_or_default();
    let fds = std::env::var("LISTEN_FDS").unwrap_or_default();
    let names = std::env::var("LISTEN_FDNAMES").unwrap_or_default();
    if listen_pid != pid || fds != "1" {
        eprintln!("LISTEN_PID={listen_pid} (pid {pid}), LISTEN_FDS={fds}");
        std::process::exit(2);
    }
    // SAFETY: fd 3 is the listening socket the protocol passes, ours alone.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(3) };
    for _ in 0..serve.parse::<u32>().unwrap() {
        let (mut stream, _) = listener.accept().unwrap();
        writeln!(stream, "{pid} {names}").unwrap();
    }
    std::process::exit(3);
}

fn server(program: &std::path::Path, listener: Listener, serve: u32) -> Command {
    Command::new(program)
        .args([
            "--exact",
            "activated_server",
            "--ignored",
            "--test-threads=1",
            "-q",
        ])
        .env("PG_SERVE", serve.to_string())
        .listen(listener)
}

/// A listener named `name`, bound now on a port the kernel chose, and
/// that port.
fn bound_on_a_free_port(name: &str) -> (Listener, u16) {
    let listener = Listener::bind("tcp:127.0.0.1:0").unwrap().named(name);
    let port = listener.address_text().rsplit(':').next().unwrap();
    let port = port.parse().unwrap();
    (listener, port)
}

/// One request: the server's answer, or the connect error.
fn request(port: u16) -> std::io::Result<String> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

/// 60 connections, one at a time, to a server that exits after every two:
/// it restarts about 30 times while they are made, and every connection is
/// served — by a process whose pid the protocol named right.
#[test]
fn connections_made_while_the_node_restarts_are_all_served() {
    let (listener, port) = bound_on_a_free_port("http");
    let mut graph = Graph::new();
    graph.node_with(
        "server",
        server(&std::env::current_exe().unwrap(), listener, 2),
        NodeOptions::new()
            .restart(Restart::Always)
            .backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    graph.intensity(1000, Duration::from_secs(60));
    let mut running = graph.spawn().unwrap();
    let client = std::thread::spawn(move || (0..60).map(|_| request(port)).collect::<Vec<_>>());
    // Restarts happen while the application waits for events.
    while !client.is_finished() {
        running.next_event(Some(Duration::from_millis(10))).unwrap();
    }
    let answers = client.join().unwrap();
    let refused: Vec<_> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(refused.is_empty(), "refused or failed: {refused:?}");
    let pids: std::collections::BTreeSet<&str> = answers
        .iter()
        .map(|a| {
            let line = a.as_ref().unwrap();
            assert!(line.ends_with(" http\n"), "{line:?}");
            line.split(' ').next().unwrap()
        })
        .collect();
    assert!(
        pids.len() >= 25,
        "served by {} processes: the node restarted",
        pids.len()
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
    // The application's socket is closed with the graph: now refused.
    assert!(request(port).is_err());
}

/// In a pid namespace the node's pid is not the one the application sees:
/// `LISTEN_PID` must be the node's own, filled in by the carried program.
#[test]
fn listen_pid_is_the_pid_the_node_sees_in_its_pid_scope() {
    common::as_root_and_unprivileged(
        "listen_pid_is_the_pid_the_node_sees_in_its_pid_scope",
        || {
            let (listener, port) = bound_on_a_free_port("api");
            let copy = common::unprivileged_copy_of_this_binary();
            let mut graph = Graph::new();
            let scope = graph.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]));
            let node = graph.node_with(
                "server",
                server(&copy, listener, 1).current_dir("/"),
                NodeOptions::new().scope(scope),
            );
            let mut running = graph.spawn().unwrap();
            let outer = running.pid(node).unwrap();
            let answer = request(port).unwrap();
            let inner: u32 = answer.split(' ').next().unwrap().parse().unwrap();
            assert_ne!(inner, outer, "a pid namespace: the node sees another pid");
            assert_eq!(answer, format!("{inner} api\n"));
            let report = running.wait().unwrap();
            assert_eq!(
                report
                    .by_name("server")
                    .and_then(|n| n.status)
                    .and_then(|s| s.code()),
                Some(3),
                "{report:?}"
            );
        },
    );
}

/// A unix socket the runtime binds at spawn: served like a TCP one, and its
/// file removed when the graph ends.
#[test]
fn a_unix_listener_bound_at_spawn_is_served_and_removed() {
    let dir = common::TempDir::new("unix_listener");
    let path = dir.path().join("app.sock");
    let mut graph = Graph::new();
    graph.node(
        "server",
        Command::new("python3")
            .args([
                "-c",
                "import os, socket; assert os.environ['LISTEN_PID'] == str(os.getpid()); \
                 s = socket.socket(fileno=3); c, _ = s.accept(); \
                 c.sendall(os.environ['LISTEN_FDNAMES'].encode() + b'\\n')",
            ])
            .listen(Listener::address(format!("unix:{}", path.display())).named("admin")),
    );
    let mut running = graph.spawn().unwrap();
    let stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    assert_eq!(line, "admin\n");
    assert!(running.wait().unwrap().success());
    drop(running);
    assert!(!path.exists(), "the socket file is removed with the graph");
}

/// A node that may write the directory above its socket's moves the
/// socket's directory away and puts a link to another directory in its
/// place, where a file of the socket's name is the application's. The
/// graph's end removes the socket it bound, not that file. As root, with
/// the node dropped to uid 65534, and as uid 65534.
#[test]
fn a_unix_listeners_removal_follows_no_link_a_node_put_in_its_path() {
    common::as_root_and_unprivileged(
        "a_unix_listeners_removal_follows_no_link_a_node_put_in_its_path",
        || {
            let base = common::TempDir::new("unix_listener_swap");
            let node_dir = base.path().join("node");
            let kept = base.path().join("kept");
            for dir in [&node_dir, &kept] {
                std::fs::create_dir(dir).unwrap();
            }
            let root = common::real_root();
            if root {
                std::os::unix::fs::chown(&node_dir, Some(65534), Some(65534)).unwrap();
            }
            std::fs::create_dir(node_dir.join("run")).unwrap();
            std::fs::write(kept.join("app.sock"), "the application's\n").unwrap();
            let socket = node_dir.join("run/app.sock");
            let mut swap = Command::new("sh")
                .args(["-c", "mv run moved && ln -s \"$0\" run"])
                .arg(&kept)
                .current_dir(&node_dir)
                .listen(Listener::address(format!("unix:{}", socket.display())));
            if root {
                swap = swap.uid(65534).gid(65534);
            }
            let mut graph = Graph::new();
            graph.node("swap", swap);
            let mut running = graph.spawn().unwrap();
            assert!(running.wait().unwrap().success());
            drop(running);
            assert!(
                node_dir.join("run").is_symlink(),
                "the node swapped the path"
            );
            assert_eq!(
                std::fs::read_to_string(kept.join("app.sock")).unwrap(),
                "the application's\n",
                "the graph's end removed the file the link led to"
            );
            assert!(
                !node_dir.join("moved/app.sock").exists(),
                "the socket the graph bound is removed from where it was bound"
            );
        },
    );
}

/// As above, while a process of the node's uid swaps the socket's
/// directory with a link to another directory, back and forth as fast as
/// it can (`renameat2(RENAME_EXCHANGE)`): each bind and its removal happen
/// in one directory, so the other directory's file of the socket's name
/// survives and no socket is left behind. As root, with the swapper at uid
/// 65534, and as uid 65534.
#[test]
fn a_unix_listener_is_bound_and_removed_in_one_directory_while_its_path_flips() {
    common::as_root_and_unprivileged(
        "a_unix_listener_is_bound_and_removed_in_one_directory_while_its_path_flips",
        || {
            use std::os::unix::fs::FileTypeExt;
            let base = common::TempDir::new("unix_listener_flip");
            let node_dir = base.path().join("node");
            let kept = base.path().join("kept");
            std::fs::create_dir_all(node_dir.join("run")).unwrap();
            std::fs::create_dir(&kept).unwrap();
            std::os::unix::fs::symlink(&kept, node_dir.join("alt")).unwrap();
            let victim = kept.join("app.sock");
            std::fs::write(&victim, "the application's\n").unwrap();
            let root = common::real_root();
            let mut swapper = match root {
                true => {
                    for path in [&node_dir, &node_dir.join("run"), &node_dir.join("alt")] {
                        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
                    }
                    common::as_uid_65534()
                }
                false => std::process::Command::new("env"),
            };
            let mut swapper = swapper
                .args(["/usr/bin/python3", "-c"])
                .arg(
                    "import ctypes\n\
                     swap = ctypes.CDLL(None).renameat2\n\
                     while swap(-100, b'run', -100, b'alt', 2) == 0: pass",
                )
                .current_dir(&node_dir)
                .spawn()
                .unwrap();
            let address = format!("unix:{}", node_dir.join("run/app.sock").display());
            let (mut bound, mut stray) = (0, 0);
            let until = std::time::Instant::now() + Duration::from_secs(2);
            while std::time::Instant::now() < until {
                // A bind fails where the swap leaves no directory for a
                // moment, or one of a previous bind's sockets is left.
                if let Ok(listener) = Listener::bind(&address) {
                    bound += 1;
                    drop(listener);
                }
                for dir in ["run", "alt"] {
                    let left = node_dir.join(dir).join("app.sock");
                    if std::fs::symlink_metadata(&left).is_ok_and(|m| m.file_type().is_socket())
                        && std::fs::remove_file(&left).is_ok()
                    {
                        stray += 1;
                    }
                }
            }
            // Still swapping: its loop ends at the first swap that fails.
            let swapping = swapper.try_wait().unwrap();
            swapper.kill().unwrap();
            swapper.wait().unwrap();
            assert_eq!(swapping, None, "the swapper stopped swapping");
            assert!(bound >= 100, "only {bound} binds in 2 s");
            assert_eq!(
                std::fs::read_to_string(&victim).ok().as_deref(),
                Some("the application's\n"),
                "a listener's removal went to the other directory"
            );
            assert_eq!(stray, 0, "sockets left where they were bound, of {bound}");
        },
    );
}

/// Where the application may not `unshare` (a seccomp profile such as
/// Docker's default one denies it), a unix listener is still bound, in the
/// directory held open, through `/proc/self/fd`. Run in a child process,
/// whose filter then goes with it.
#[test]
fn a_unix_listener_is_bound_where_unshare_is_denied() {
    let dir = common::TempDir::new("unix_listener_seccomp");
    let path = dir.path().join("app.sock");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(common::ignored_test_args("bind_without_unshare"))
        .env("PG_TEST_BIND", &path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bound: Ok"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("unshare: EPERM"),
        "the filter did not hold: {text}"
    );
    assert!(text.contains("socket file there: true"), "{text}");
    assert!(text.contains("long name bound: Ok"), "{text}");
}

/// The child of the test above: denies itself `unshare` with a seccomp
/// filter, then binds a unix listener and says how it went.
#[test]
#[ignore = "the child process of the test above"]
fn bind_without_unshare() {
    let Some(path) = std::env::var_os("PG_TEST_BIND") else {
        return; // Only meaningful as the child.
    };
    common::seccomp::refuse(libc::SYS_unshare, libc::EPERM);
    // SAFETY: an unshare of nothing, to see the filter refuse it.
    let denied = unsafe { libc::unshare(0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    println!("unshare: {}", if denied { "EPERM" } else { "allowed" });
    let bound = Listener::bind(&format!("unix:{}", path.to_str().unwrap()));
    let there = std::fs::symlink_metadata(&path).is_ok();
    println!("bound: {:?}, socket file there: {there}", bound.map(|_| ()));
    // A name that fits `sun_path` only without `/proc/self/fd/N/` before it.
    let short = std::path::PathBuf::from(format!("/tmp/pg-{}", std::process::id()));
    std::fs::create_dir_all(&short).unwrap();
    let long = short.join("n".repeat(90));
    let bound = Listener::bind(&format!("unix:{}", long.to_str().unwrap()));
    println!("long name bound: {:?}", bound.map(|_| ()));
    let _ = std::fs::remove_dir_all(&short);
}

/// A node that changes its ids starts through the carried program, which
/// fills `LISTEN_PID` there too.
#[test]
fn listen_pid_is_right_for_a_node_that_drops_its_ids() {
    let own = rustix::process::getuid().as_raw();
    let mut graph = Graph::new();
    graph.node(
        "server",
        Command::new("sh")
            .args(["-c", r#"test "$LISTEN_PID" = $$ && test "$LISTEN_FDS" = 2"#])
            .uid(own)
            .listen(Listener::address("tcp:127.0.0.1:0"))
            .listen(Listener::address("tcp:127.0.0.1:0")),
    );
    assert!(graph.spawn().unwrap().wait().unwrap().success());
}

/// The listeners are fds 3 and on: an edge there is refused, naming the
/// socket; a malformed address or name is refused before anything binds.
#[test]
fn listener_fds_and_addresses_are_checked() {
    let mut graph = Graph::new();
    let a = graph.node(
        "a",
        Command::new("true").listen(Listener::address("tcp:127.0.0.1:0").named("http")),
    );
    let b = graph.node("b", Command::new("cat"));
    graph.pipe(a.fd(3), b.stdin());
    let broken = graph.validate().unwrap_err();
    assert_eq!(
        broken.to_string(),
        "pipe a.fd(3) -> b.stdin: `a.fd(3)` is already taken by listening socket `http` of `a` (fd 3); \
         an fd of a process belongs to one edge or setting"
    );
    let mut graph = Graph::new();
    graph.node(
        "a",
        Command::new("true")
            .listen(Listener::address("tcp:localhost:80"))
            .listen(Listener::address("unix:/tmp/x").named("a:b")),
    );
    let Err(Error::Invalid(broken)) = graph.spawn() else {
        panic!("expected wiring errors");
    };
    let rules: Vec<&Rule> = broken.violations().iter().map(|v| &v.rule).collect();
    assert!(
        matches!(rules[0], Rule::BadListenAddress { .. }),
        "{broken}"
    );
    assert!(matches!(rules[1], Rule::BadListenerName { .. }), "{broken}");
    assert!(Listener::bind("tcp:nowhere").is_err());
}

#[test]
fn the_plan_shows_listeners_and_their_variables() {
    let mut graph = Graph::new();
    graph.node(
        "a",
        Command::new("true").listen(Listener::address("tcp:127.0.0.1:8080").named("http")),
    );
    let plan = graph.plan().unwrap();
    assert_eq!(
        plan.nodes[0].fds[3],
        (
            3,
            FdOrigin::Listener {
                listener: "http (tcp:127.0.0.1:8080)".into()
            }
        )
    );
    let env: Vec<&str> = plan.nodes[0].env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(env, ["LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"]);
}

/// Declared in the struct: `listen = [name = "address"]`, the address
/// checked at compile time (tests/ui/listen_bad_address.rs), bound at
/// spawn, the name in `LISTEN_FDNAMES`.
#[test]
fn a_declared_listener_reaches_its_process() {
    use process_graph::prelude::*;

    #[process_graph]
    struct Web {
        #[process(listen = [http = "tcp:127.0.0.1:0", admin = "unix:@process-graph-test-admin"])]
        server: Cmd,
    }

    let check = r#"test "$LISTEN_PID" = $$ && test "$LISTEN_FDS" = 2 \
                   && test "$LISTEN_FDNAMES" = http:admin && test -S /proc/self/fd/4"#;
    let report = Web::new(Cmd::new("sh").args(["-c", check]))
        .spawn()
        .unwrap()
        .wait()
        .unwrap();
    assert!(report.success(), "{report:?}");
}

/// The replicas of a node share its listener: one socket, bound once (a
/// second bind of the port would fail), at fd 3 in each (a prefork server).
#[test]
fn replicas_share_one_listener() {
    let dir = common::TempDir::new("replica_listener");
    let out = dir.path().join("sockets");
    // A port free a moment ago.
    let port = common::free_port();
    let mut graph = Graph::new();
    graph.node_with(
        "server",
        Command::new("sh")
            .args([
                "-c",
                r#"test "$LISTEN_PID" = $$ && readlink /proc/self/fd/3"#,
            ])
            .stdout(process_graph_runtime::Stdio::append_to(&out).unwrap())
            .listen(Listener::address(format!("tcp:127.0.0.1:{port}"))),
        NodeOptions::new().replicas(3),
    );
    let mut running = graph.spawn().unwrap();
    assert!(running.wait().unwrap().success());
    let text = std::fs::read_to_string(&out).unwrap();
    let sockets: std::collections::BTreeSet<&str> = text.lines().collect();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(sockets.len(), 1, "one socket: {text}");
}
