//! An application SIGKILLed the moment the cgroup of its first graph
//! appears — before any node runs — leaves no cgroup behind: the watcher
//! that ends a killed application's graph cgroups is started before the
//! first of them is made, not after. As the current user and, when that is
//! root, as uid 65534 in a delegated cgroup.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio as StdStdio;
use std::time::{Duration, Instant};

use common::app_cgroup::{AppCgroup, User, users};
use process_graph_runtime::{Command, Containment, Graph};

/// In the application's environment: set when it runs as one.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_FIRST_GRAPH_APPLICATION";

#[test]
fn an_application_killed_as_its_first_graph_cgroup_appears_leaves_none() {
    let problems = common::within(Duration::from_secs(60), "the kills", || {
        let mut problems = Vec::new();
        for user in users() {
            let Some(cgroup) = AppCgroup::new("first-graph", user == User::Nobody) else {
                continue;
            };
            if let Some(problem) = kill_at_the_first_graph(user, &cgroup) {
                problems.push(format!("as {user:?}: {problem}"));
            }
        }
        problems
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Starts the application, SIGKILLs it as soon as a graph cgroup of its
/// shows, and says what is left after the watcher has had its time.
fn kill_at_the_first_graph(user: User, cgroup: &AppCgroup) -> Option<String> {
    let copy = common::unprivileged_copy_of_this_binary();
    let mut app = cgroup
        .command(user == User::Nobody)
        .arg(&*copy)
        .args(common::ignored_test_args("first_graph_application"))
        .env(APPLICATION, "1")
        .current_dir("/")
        .stdout(StdStdio::piped())
        .spawn()
        .expect("sh runs");
    // `sh` execs `setpriv`, which execs the copy: one pid throughout.
    let pid = app.id() as i32;
    let mut out = BufReader::new(app.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim() != "go" {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = app.wait();
            return Some("the application died before its spawn".to_owned());
        }
    }
    let until = Instant::now() + Duration::from_secs(10);
    while cgroup.graph_cgroups_of(pid).is_empty() && Instant::now() < until {}
    let _ = app.kill();
    app.wait().unwrap();
    let deadline = Instant::now() + common::DEATH_TIMEOUT;
    loop {
        let left = cgroup.graph_cgroups_of(pid);
        if left.is_empty() {
            return None;
        }
        if Instant::now() > deadline {
            return Some(format!("graph cgroups left: {left:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The application: says `go`, then spawns its first graph, one node in a
/// cgroup of its own, and waits to be killed.
#[test]
#[ignore = "the application of the test above, run in a copy of this binary"]
fn first_graph_application() {
    if std::env::var_os(APPLICATION).is_none() {
        return; // Only meaningful when started by the test above.
    }
    println!("\ngo");
    let mut graph = Graph::new();
    graph.containment(Containment::Required);
    graph.node("sleeper", Command::new("sleep").arg("600"));
    let _running = graph.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(600));
}
