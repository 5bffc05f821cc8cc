//! A scope's init killed while the graph runs. A node root in a user + pid
//! scope may lower the init's `RLIMIT_CPU`, soft and hard (`prlimit`: it
//! has `CAP_SYS_RESOURCE` in the init's user namespace, and under an
//! unprivileged application it is the init's uid outside as well), and the
//! init cannot raise it again. Once the init has used that much CPU time —
//! reaping the node's orphans, say — the kernel SIGKILLs it, which no pid
//! namespace protects its init from, and the namespace dies with it.
//!
//! The hostile node here lowers the limit and reads it back, so the first
//! half of the attack is shown to take; the test then SIGKILLs the init as
//! the kernel would at the limit, rather than wait for the node to make it
//! burn a second of CPU. What must hold: the node's end is reported, its
//! restart fails with an error that names the node and says why
//! (`Step::ScopeInitEnded`, not `clone3`'s `ENOMEM`), as does an add of a
//! scope inside the dead one, the dead inits are
//! reaped then rather than left zombies until the graph's end (an
//! enclosing init that could exit only once the inner one was reaped, as
//! soon as it has), a node outside the scope runs on, and the graph's end
//! leaves no process, no zombie and no fd behind. The same where the dead
//! init is an enclosing scope's, and the node's own scope has no pid
//! namespace of its own. And where the node is not restarted, so that no
//! start fails: its end, which asks the init to clear the scope, finds it
//! gone, and it is reaped all the same. As root and as uid 65534.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Error, Event, Graph, Namespace, NodeId, NodeOptions, Restart,
    RunningGraph, ScopeId, ScopeSpec, Step,
};

/// Lowers the `RLIMIT_CPU` of its pid namespace's init (pid 1) to one
/// second, soft and hard, reads it back into `$1/limit`, and sleeps.
const LOWERS_THE_INITS_CPU_LIMIT: &str = r#"
import os, resource, sys, time
resource.prlimit(1, resource.RLIMIT_CPU, (1, 1))
soft, hard = resource.prlimit(1, resource.RLIMIT_CPU)
path = os.path.join(sys.argv[1], 'limit')
open(path + '.tmp', 'w').write('%d %d' % (soft, hard))
os.rename(path + '.tmp', path)
time.sleep(300)
"#;

/// Where the node's pid namespace comes from.
#[derive(Debug, Clone, Copy)]
enum Nesting {
    /// Its own scope has user and pid namespaces.
    Own,
    /// Its scope has a network namespace alone, nested in a user + pid
    /// scope.
    Enclosing,
}

/// Without a restart, no start fails to tell: the node's end, which would
/// have asked the init to clear the scope, finds it gone, and it is reaped
/// all the same.
#[test]
fn a_killed_init_of_a_node_that_does_not_restart_is_reaped() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_killed_init_of_a_node_that_does_not_restart_is_reaped",
        || {
            let fds = common::open_fds();
            let Killed {
                mut running,
                hostile,
                init,
                marker,
                ..
            } = kill_the_init(Nesting::Own, Restart::Never);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !running.state(hostile).is_final() {
                assert!(Instant::now() < deadline, "the node never ended");
                let _ = running.next_event(Some(Duration::from_millis(20))).unwrap();
            }
            nothing_dead_left(&mut running, init, Nesting::Own);
            common::shut_down_leaving_nothing(running, &marker);
            assert_eq!(common::open_fds(), fds, "the fds");
        },
    );
}

#[test]
fn a_killed_init_fails_the_scopes_next_start_by_name_and_leaves_nothing() {
    let _serial = common::serial();
    common::as_root_and_unprivileged(
        "a_killed_init_fails_the_scopes_next_start_by_name_and_leaves_nothing",
        || {
            killed_init(Nesting::Own);
            killed_init(Nesting::Enclosing);
        },
    );
}

fn killed_init(nesting: Nesting) {
    let children = common::children_of_this_process().len();
    let fds = common::open_fds();
    let Killed {
        mut running,
        hostile,
        keeper,
        scope,
        init,
        marker,
        _dir,
    } = kill_the_init(nesting, Restart::Always);
    let error = start_failure(&mut running, hostile, nesting);
    assert_eq!(
        (error.step(), error.errno(), error.to_string()),
        (
            Step::ScopeInitEnded,
            libc::ESRCH,
            "node \"hostile\": start in its scope (its pid namespace's init has ended) failed"
                .to_owned()
        ),
        "{nesting:?}"
    );
    // Reaped as the failure was found, and so, nested, the inner scope's
    // init, which died with the namespace it was in; the outer init, which
    // waited for that reap, as soon as it has exited, while the loop runs.
    nothing_dead_left(&mut running, init, nesting);
    assert!(
        running.pid(keeper).is_some(),
        "{nesting:?}: the keeper outside the scope stopped"
    );
    // A scope added inside the dead one cannot be made, and the add says
    // why.
    let mut more = Graph::new();
    let inside = more.running_scope(scope);
    let nested = more.scope("nested", ScopeSpec::new([Namespace::Uts]).parent(inside));
    more.node_with(
        "late",
        Command::new("true"),
        NodeOptions::new().scope(nested),
    );
    match running.add(more) {
        Err(Error::Scope { step, source, .. }) => assert_eq!(
            (step, source.raw_os_error()),
            (
                "start in the enclosing scope (its pid namespace's init has ended)",
                Some(libc::ESRCH)
            ),
            "{nesting:?}"
        ),
        other => panic!("{nesting:?}: the add into the dead scope gave {other:?}"),
    }
    common::shut_down_leaving_nothing(running, &marker);
    let left = common::children_of_this_process();
    assert_eq!(left.len(), children, "{nesting:?}: left {left:?}");
    assert_eq!(common::open_fds(), fds, "{nesting:?}: the fds");
}

/// The [`spawn`]ed graph once its node has lowered its init's
/// `RLIMIT_CPU` and the test has killed that init, as the kernel would at
/// the limit.
struct Killed {
    running: RunningGraph,
    hostile: NodeId,
    keeper: NodeId,
    /// The hostile node's scope.
    scope: ScopeId,
    init: rustix::process::Pid,
    marker: String,
    _dir: common::TempDir,
}

fn kill_the_init(nesting: Nesting, restart: Restart) -> Killed {
    let dir = common::TempDir::writable_by_scopes("scope-init-killed");
    let marker = common::unique_marker("scope-init-killed");
    let (mut running, hostile, keeper, scope) = spawn(nesting, restart, dir.path(), &marker);
    wait_for_the_limit(&mut running, dir.path(), nesting);
    let init = common::pid_scope_init();
    rustix::process::kill_process(init, rustix::process::Signal::KILL).unwrap();
    Killed {
        running,
        hostile,
        keeper,
        scope,
        init,
        marker,
        _dir: dir,
    }
}

/// Serves the graph until the hostile node says it lowered its init's
/// `RLIMIT_CPU`, which it must have.
fn wait_for_the_limit(running: &mut RunningGraph, dir: &Path, nesting: Nesting) {
    let limit = dir.join("limit");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !limit.exists() {
        assert!(Instant::now() < deadline, "{nesting:?}: the node never ran");
        let _ = running.next_event(Some(Duration::from_millis(20))).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&limit).unwrap(),
        "1 1",
        "{nesting:?}: the node set the init's RLIMIT_CPU"
    );
}

/// Serves the graph until no child of this process is a zombie and the
/// killed `init` is gone: reaped.
fn nothing_dead_left(running: &mut RunningGraph, init: rustix::process::Pid, nesting: Nesting) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let zombies: Vec<_> = common::children_of_this_process()
            .into_iter()
            .filter(|p| p.state == 'Z')
            .collect();
        let init_gone = rustix::process::test_kill_process(init).is_err();
        if zombies.is_empty() && init_gone {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{nesting:?}: zombies {zombies:?}, the init gone: {init_gone}"
        );
        let _ = running.next_event(Some(Duration::from_millis(20))).unwrap();
    }
}

/// The graph: the hostile node, with `restart`, in a scope as `nesting`
/// says, and a keeper outside scopes. No cgroups: where the application
/// may create them, the node's would be killed with it, and the test is of
/// the scope alone.
fn spawn(
    nesting: Nesting,
    restart: Restart,
    dir: &Path,
    marker: &str,
) -> (RunningGraph, NodeId, NodeId, ScopeId) {
    let mut graph = Graph::new();
    graph.containment(Containment::Off);
    let user_and_pid = ScopeSpec::new([Namespace::User, Namespace::Pid]);
    let scope = match nesting {
        Nesting::Own => graph.scope("jail", user_and_pid),
        Nesting::Enclosing => {
            let outer = graph.scope("outer", user_and_pid);
            graph.scope("inner", ScopeSpec::new([Namespace::Net]).parent(outer))
        }
    };
    let command = Command::new("/usr/bin/python3")
        .args(["-c", LOWERS_THE_INITS_CPU_LIMIT])
        .arg(dir);
    let hostile = graph.node_with(
        "hostile",
        common::marked(command, marker),
        NodeOptions::new()
            .scope(scope)
            .restart(restart)
            .backoff(Duration::from_millis(50), Duration::from_millis(50)),
    );
    let keeper = graph.node(
        "keeper",
        common::marked(Command::new("sleep").arg("300"), marker),
    );
    (graph.spawn().unwrap(), hostile, keeper, scope)
}

/// Serves the graph until `node`'s start fails, which must follow its end
/// by the SIGKILL of its namespace: that failure.
fn start_failure(
    running: &mut RunningGraph,
    node: NodeId,
    nesting: Nesting,
) -> process_graph_runtime::SpawnError {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ended = false;
    loop {
        assert!(
            Instant::now() < deadline,
            "{nesting:?}: no failed start (ended: {ended})"
        );
        match running.next_event(Some(Duration::from_millis(50))).unwrap() {
            Some(Event::Exited { node: n, .. }) if n == node => ended = true,
            Some(Event::StartFailed { node: n, error }) if n == node => {
                assert!(ended, "{nesting:?}: a start failed before the node ended");
                return error;
            }
            Some(Event::Started { node: n, .. }) if n == node && ended => {
                panic!("{nesting:?}: the node started again in a dead namespace")
            }
            _ => {}
        }
    }
}
