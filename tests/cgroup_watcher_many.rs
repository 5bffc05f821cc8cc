//! The application's cgroup watcher (`pg-cgroup-watch`,
//! `runtime/carried/watch.rs`) ends every graph of an application killed
//! with SIGKILL, however many: it lists the application's cgroup with
//! `getdents64` into a buffer of 1 KiB (`carried/cgroup.rs`), so the graph
//! cgroups of an application with many graphs are listed over several
//! reads, and removing them moves the listing under the watcher's feet.
//!
//! The application (a copy of this binary, in a fresh cgroup of its own, as
//! the current user and — when that is root — as uid 65534 in a cgroup
//! delegated to it) runs [`GRAPHS`] graphs side by side, each a node in a
//! cgroup of its own that has left a `setsid` daemon behind (which a
//! parent-death signal does not reach), says so and is SIGKILLed. Every
//! graph cgroup must then be removed, no node or daemon may be left, and
//! the watcher must have exited.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio as StdStdio;
use std::time::{Duration, Instant};

use common::app_cgroup::AppCgroup;
use common::{live_marked_processes, marked, unique_marker};
use process_graph_runtime::{Command, Containment, Event, Graph, NodeOptions, Readiness};

/// In the application's environment: the marker of its nodes.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_MANY_GRAPHS_APPLICATION";

/// How many graphs the application runs: their cgroups' entries alone
/// fill more than [`PASSES`] of the watcher's listing buffers, so a watcher
/// that read one buffer per listing would leave some.
const GRAPHS: usize = 64;

/// The size of the watcher's `getdents64` buffer (`for_each_directory` in
/// `runtime/carried/cgroup.rs`).
const WATCHER_BUFFER: usize = 1024;

/// How many times at most the watcher lists the application's cgroup
/// (`MAX_PASSES` in `runtime/carried/watch.rs`).
const PASSES: usize = 4;

/// A node: a daemon in a session of its own, then readiness, then sleep.
const DAEMON: &str = "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo >&3; exec sleep 600";

/// Who runs the application.
#[derive(Clone, Copy, PartialEq, Debug)]
enum User {
    /// The user running the suite.
    Current,
    /// uid 65534, in a cgroup delegated to it (only when the suite runs as
    /// root).
    Nobody,
}

#[test]
fn every_graph_cgroup_of_a_killed_application_with_many_graphs_is_removed() {
    let users = if rustix::process::geteuid().is_root() {
        vec![User::Current, User::Nobody]
    } else {
        common::skip("not root: the application runs only as the current user");
        vec![User::Current]
    };
    let problems = common::within(
        Duration::from_secs(120),
        "the SIGKILL of an application with many graphs",
        move || {
            let mut problems = Vec::new();
            for user in users {
                let Some(cgroup) = AppCgroup::new("many", user == User::Nobody) else {
                    continue;
                };
                if let Err(problem) = kill_and_count(user, &cgroup) {
                    problems.push(format!("as {user:?}: {problem}"));
                }
            }
            problems
        },
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Starts the application in `cgroup` as `user`, checks what it runs,
/// SIGKILLs it and waits (a while at most) for the watcher to end it all.
fn kill_and_count(user: User, cgroup: &AppCgroup) -> Result<(), String> {
    let copy = common::unprivileged_copy_of_this_binary();
    let marker = unique_marker("many-graphs");
    let mut app = cgroup
        .command(user == User::Nobody)
        .arg(&*copy)
        .args(["--exact", "many_graphs_application", "--ignored"])
        .args(["--nocapture", "--test-threads=1"])
        .env(APPLICATION, &marker)
        .current_dir("/")
        .stdout(StdStdio::piped())
        .spawn()
        .expect("sh runs");
    // `sh` execs `setpriv`, which execs the copy: one pid throughout.
    let app_pid = app.id() as i32;
    let mut out = BufReader::new(app.stdout.take().unwrap());
    let (mut line, mut watcher) = (String::new(), None);
    while !line.trim_end().ends_with("application-up") {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = app.wait();
            return Err("the application died before its graphs were up".to_owned());
        }
        if let Some(pid) = line.trim().strip_prefix("watcher ") {
            watcher = Some(pid.parse::<i32>().unwrap());
        }
    }
    let watcher = watcher.expect("the application names its watcher");
    let graphs = cgroup.graph_cgroups_of(app_pid);
    let nodes = live_marked_processes(&marker).len();
    let records: usize = graphs.iter().map(|name| dirent_size(name)).sum();
    let _ = app.kill();
    app.wait().unwrap();
    if graphs.len() != GRAPHS || nodes < 2 * GRAPHS {
        return Err(format!(
            "{} graph cgroups and {nodes} processes before the SIGKILL, not {GRAPHS} graphs \
             with a node and a daemon each",
            graphs.len()
        ));
    }
    assert!(
        records > PASSES * WATCHER_BUFFER,
        "the graph cgroups take {records} bytes of listing: not enough to need more than \
         {PASSES} reads of {WATCHER_BUFFER} bytes"
    );
    let deadline = Instant::now() + common::DEATH_TIMEOUT;
    let (left, survivors, watching) = loop {
        let counts = (
            cgroup.graph_cgroups_of(app_pid).len(),
            live_marked_processes(&marker).len(),
            common::proc_stat(watcher).is_some_and(|p| p.is_live() && p.comm == common::WATCHER),
        );
        if counts == (0, 0, false) || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let outcome = format!(
        "after the SIGKILL of the application {left} of {GRAPHS} graph cgroups and {survivors} \
         processes are left, the watcher {}",
        if watching { "still runs" } else { "has exited" }
    );
    // Written past libtest's capture, so the figures show.
    let _ = writeln!(
        std::io::stderr(),
        "as {user:?}, {records} bytes of graph cgroups to list: {outcome}"
    );
    match (left, survivors, watching) {
        (0, 0, false) => Ok(()),
        _ => Err(outcome),
    }
}

/// The bytes `getdents64` takes for an entry named `name`: a
/// `linux_dirent64` (19 bytes before the name), the name and its NUL,
/// rounded up to 8.
fn dirent_size(name: &str) -> usize {
    (19 + name.len() + 1).next_multiple_of(8)
}

/// The application: [`GRAPHS`] graphs side by side, each one node that
/// starts a daemon and sleeps once it has said it is ready; names its
/// watcher, prints `application-up` and waits to be SIGKILLed.
#[test]
#[ignore = "the application of the test above, run in a copy of this binary"]
fn many_graphs_application() {
    let Some(marker) = std::env::var_os(APPLICATION) else {
        return; // Only meaningful when started by the test above.
    };
    let spawn = || {
        let mut graph = Graph::new();
        graph.containment(Containment::Required);
        graph.node_with(
            "sleeper",
            marked(
                Command::new("sh").args(["-c", DAEMON]),
                marker.to_str().unwrap(),
            ),
            NodeOptions::new().ready(Readiness::Fd(3)),
        );
        graph.spawn().unwrap()
    };
    // Held until the SIGKILL.
    let mut up = Vec::with_capacity(GRAPHS - 1);
    for _ in 1..GRAPHS {
        let mut running = spawn();
        loop {
            match running.next_event(Some(Duration::from_secs(10))).unwrap() {
                Some(Event::Ready { .. }) => break,
                Some(_) => {}
                None => panic!("a node was not ready within 10 s"),
            }
        }
        up.push(running);
    }
    let watchers = common::cgroup_watchers();
    assert_eq!(watchers.len(), 1, "one watcher: {watchers:?}");
    println!("\nwatcher {}", watchers[0].pid);
    common::serve_until_killed(spawn())
}
