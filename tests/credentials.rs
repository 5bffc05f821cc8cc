//! Credentials and limits: a real privilege drop (groups, gid, uid), umask,
//! resource limits, `argv[0]` and the process group — as root (the drop
//! happens, checked in `/proc/PID/status`) and as uid 65534 (the kernel
//! refuses, and the error names the node and the step) — and the
//! parent-death signal a drop would clear.

mod common;

use std::os::fd::AsRawFd;
use std::time::Duration;

use process_graph_runtime::{
    Command, Containment, Endpoint, Error, Graph, Namespace, NodeOptions, ProcessGroup, Readiness,
    Rlimit, RunningGraph, ScopeSpec, Step,
};

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The `Uid:`, `Gid:` and `Groups:` lines of `/proc/PID/status`.
fn ids_of(pid: u32) -> (String, String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {status}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (line("Uid:"), line("Gid:"), line("Groups:"))
}

/// Spawns one long-running node and returns the graph and its pid.
fn running_sleeper(command: Command) -> Result<(RunningGraph, u32), Error> {
    let mut graph = Graph::new();
    let node = graph.node("worker", command);
    let running = graph.spawn()?;
    let pid = running.pid(node).expect("running");
    Ok((running, pid))
}

/// The error of a spawn that must fail, once it is checked that the
/// failure left nothing running: no process, no zombie, no fd. (Every test
/// here holds the serial lock, so the children and fds counted are its own.)
fn spawn_error(command: Command) -> process_graph_runtime::SpawnError {
    let (children, fds) = (
        common::children_of_this_process(),
        common::fds_besides_pidfds(),
    );
    let error = match running_sleeper(command) {
        Err(Error::Spawn(e)) => e,
        Err(other) => panic!("expected a spawn error, got {other}"),
        Ok(_) => panic!("expected a spawn error, the node started"),
    };
    let pids = |list: Vec<common::ProcStat>| list.into_iter().map(|p| p.pid).collect::<Vec<_>>();
    assert_eq!(
        pids(common::children_of_this_process()),
        pids(children),
        "{error}: left running"
    );
    assert_eq!(common::fds_besides_pidfds(), fds, "{error}: fds left");
    error
}

fn sleeper() -> Command {
    Command::new("sleep").arg("30")
}

#[test]
fn a_node_drops_to_another_user() {
    let _serial = common::serial();
    common::as_root_and_unprivileged("a_node_drops_to_another_user", || {
        if is_root() {
            // A real drop: real, effective, saved and filesystem ids, and
            // none of root's groups.
            let (mut running, pid) = running_sleeper(sleeper().uid(65534).gid(65534)).unwrap();
            let (uid, gid, groups) = ids_of(pid);
            assert_eq!(uid, "65534 65534 65534 65534");
            assert_eq!(gid, "65534 65534 65534 65534");
            assert_eq!(groups, "", "root's supplementary groups are cleared");
            running.shutdown(Duration::from_secs(5)).unwrap();
        } else {
            // Without CAP_SETUID the kernel refuses, and the error says
            // which node and which step.
            let e = spawn_error(sleeper().uid(0));
            assert_eq!((e.step(), e.errno()), (Step::SetUid, libc::EPERM));
            assert_eq!(e.to_string(), "node \"worker\": setuid failed");
            let e = spawn_error(sleeper().gid(0));
            assert_eq!((e.step(), e.errno()), (Step::SetGid, libc::EPERM));
            let e = spawn_error(sleeper().groups(&[0]));
            assert_eq!((e.step(), e.errno()), (Step::SetGroups, libc::EPERM));
            assert_eq!(e.to_string(), "node \"worker\": setgroups failed");
            // Its own ids: nothing to refuse.
            let own = rustix::process::getuid().as_raw();
            let (mut running, pid) = running_sleeper(sleeper().uid(own)).unwrap();
            assert!(ids_of(pid).0.starts_with(&own.to_string()));
            running.shutdown(Duration::from_secs(5)).unwrap();
        }
    });
}

#[test]
fn supplementary_groups_are_set_up_to_the_limit() {
    let _serial = common::serial();
    if !is_root() {
        return common::skip("setting groups needs root");
    }
    let (mut running, pid) =
        running_sleeper(sleeper().groups(&[100, 200]).gid(65534).uid(65534)).unwrap();
    assert_eq!(ids_of(pid).2, "100 200");
    running.shutdown(Duration::from_secs(5)).unwrap();
    // The most the arguments can carry.
    let many: Vec<u32> = (1..=8192).collect();
    let (mut running, pid) = running_sleeper(sleeper().groups(&many).uid(65534)).unwrap();
    assert_eq!(ids_of(pid).2.split(' ').count(), 8192);
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// Ids the kernel would misread, and lists too long, are refused before
/// anything starts.
#[test]
fn hostile_ids_are_refused_before_anything_starts() {
    let _serial = common::serial();
    let too_many: Vec<u32> = (0..8193).collect();
    for (command, problem) in [
        (sleeper().uid(u32::MAX), "uid 4294967295 is (uid_t)-1"),
        (sleeper().gid(u32::MAX), "gid 4294967295 is (gid_t)-1"),
        (
            sleeper().groups(&[1, u32::MAX]),
            "supplementary group 4294967295",
        ),
        (
            sleeper().groups(&too_many),
            "8193 supplementary groups; at most 8192",
        ),
        (sleeper().arg0("a\0b"), "arg0 contains a NUL byte"),
    ] {
        match running_sleeper(command) {
            Err(Error::Command { node, problem: p }) => {
                assert_eq!(node, "worker");
                assert!(p.starts_with(problem), "{p}");
            }
            other => panic!("{problem}: got {:?}", other.map(|_| ())),
        }
    }
}

/// The helper the attack test runs as the dropped node (a copy of this
/// binary): tries to signal and to ptrace the pid in `PG_ATTACK_TARGET`,
/// to open its `/proc/PID/mem`, and to signal it through its `/proc/PID`
/// directory used as a pidfd (`pidfd_send_signal` takes one, and a node
/// in a pid scope without a mount namespace still sees the host's
/// `/proc`), and prints what the kernel answered.
#[test]
#[ignore = "run by a_dropped_node_cannot_signal_or_ptrace_the_application"]
fn attacker() {
    let Ok(target) = std::env::var("PG_ATTACK_TARGET") else {
        return;
    };
    let pid = rustix::process::Pid::from_raw(target.parse().unwrap()).unwrap();
    let signal = rustix::process::test_kill_process(pid);
    // PTRACE_SEIZE, which does not stop the target (the test itself):
    // the attachment ends when this process exits.
    // SAFETY: PTRACE_SEIZE with no options takes no pointers.
    let ptrace = unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid.as_raw_nonzero().get(), 0, 0) };
    let ptrace = if ptrace < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap()
    } else {
        0
    };
    let mem = std::fs::File::open(format!("/proc/{target}/mem")).map(|_| ());
    let pidfd = std::fs::File::open(format!("/proc/{target}")).and_then(|dir| {
        // SAFETY: signal 0 with no siginfo; `dir` outlives the call.
        let sent =
            unsafe { libc::syscall(libc::SYS_pidfd_send_signal, dir.as_raw_fd(), 0, 0usize, 0) };
        match sent {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        }
    });
    let errno =
        |result: std::io::Result<()>| result.map_or_else(|e| e.raw_os_error().unwrap(), |()| 0);
    println!(
        "signal={} ptrace={ptrace} mem={} pidfd={}",
        signal.map_or_else(|e| e.raw_os_error(), |()| 0),
        errno(mem),
        errno(pidfd)
    );
}

/// What the dropped node can do to the application, which runs as root:
/// no signal (the kernel's kill check compares uids), no ptrace, no
/// `/proc/PID/mem`, no signal through a pidfd. A node that keeps root's
/// ids can do all of it, so the test has teeth.
///
/// Then the same from a pid scope without a user namespace: the
/// application's pid names nothing there (`ESRCH`), and a pidfd made from
/// the host's `/proc` names a process outside the scope's pid namespace
/// (`EINVAL`); `/proc/PID/mem` is refused to the dropped node, while a node
/// that keeps root's ids opens it — the README's "no boundary against the
/// application" for such a scope.
#[test]
fn a_dropped_node_cannot_signal_or_ptrace_the_application() {
    let _serial = common::serial();
    if !is_root() {
        return common::skip("a drop to another user needs root");
    }
    let copy = common::unprivileged_copy_of_this_binary();
    let attack = |command: Command, scoped: bool| {
        let command = command
            .args(common::ignored_test_args("attacker"))
            .env("PG_ATTACK_TARGET", std::process::id().to_string())
            .current_dir("/");
        let mut graph = Graph::new();
        let mut options = NodeOptions::new();
        if scoped {
            options = options.scope(graph.scope("jail", ScopeSpec::new([Namespace::Pid])));
        }
        let node = graph.node_with("attacker", command, options);
        let out = graph.pipe(node.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let text = common::read_to_end(&mut running, out);
        assert!(running.wait().unwrap().success(), "{text}");
        // libtest prints the test's name first, on the same line.
        let at = text.find("signal=").unwrap_or_else(|| panic!("{text}"));
        text[at..].lines().next().unwrap().to_owned()
    };
    let (eperm, eacces) = (libc::EPERM, libc::EACCES);
    let (esrch, einval) = (libc::ESRCH, libc::EINVAL);
    let dropped = || Command::new(&copy).uid(65534).gid(65534);
    assert_eq!(
        attack(dropped(), false),
        format!("signal={eperm} ptrace={eperm} mem={eacces} pidfd={eperm}")
    );
    assert_eq!(
        attack(Command::new(&copy), false),
        "signal=0 ptrace=0 mem=0 pidfd=0"
    );
    assert_eq!(
        attack(dropped(), true),
        format!("signal={esrch} ptrace={esrch} mem={eacces} pidfd={einval}")
    );
    assert_eq!(
        attack(Command::new(&copy), true),
        format!("signal={esrch} ptrace={esrch} mem=0 pidfd={einval}")
    );
}

#[test]
fn rlimits_and_umask_apply() {
    let _serial = common::serial();
    common::as_root_and_unprivileged("rlimits_and_umask_apply", || {
        let mut graph = Graph::new();
        let node = graph.node(
            "limited",
            Command::new("sh")
                .args(["-c", "umask; exec cat /proc/self/limits"])
                .rlimit(Rlimit::NoFile, 64, 64)
                .rlimit(Rlimit::NProc, 100, 100)
                .rlimit(Rlimit::As, 1 << 32, 1 << 32)
                .rlimit(Rlimit::Core, 0, 0)
                .rlimit(Rlimit::Cpu, 60, 60)
                .umask(0o027),
        );
        let out = graph.pipe(node.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let text = common::read_to_end(&mut running, out);
        assert!(running.wait().unwrap().success());
        assert!(text.starts_with("0027\n"), "{text}");
        let limit = |name: &str| {
            let line = text.lines().find(|l| l.starts_with(name)).unwrap();
            line[name.len()..]
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(limit("Max open files"), "64 64");
        // (As uid 65534 the limit may already be reached by other
        // processes of that uid: the script forks nothing.)
        assert_eq!(limit("Max processes"), "100 100");
        assert_eq!(limit("Max address space"), "4294967296 4294967296");
        assert_eq!(limit("Max core file size"), "0 0");
        assert_eq!(limit("Max cpu time"), "60 60");
        // Soft above hard: EINVAL, named.
        let e = spawn_error(sleeper().rlimit(Rlimit::NoFile, 10, 5));
        assert_eq!(
            (e.step(), e.errno()),
            (
                Step::SetRlimit {
                    resource: Rlimit::NoFile
                },
                libc::EINVAL
            )
        );
        assert_eq!(
            e.to_string(),
            "node \"worker\": setrlimit(RLIMIT_NOFILE) failed"
        );
        if !is_root() {
            // Raising a hard limit needs CAP_SYS_RESOURCE.
            let e = spawn_error(sleeper().rlimit(Rlimit::NoFile, u64::MAX, u64::MAX));
            assert_eq!(e.errno(), libc::EPERM);
        }
    });
}

#[test]
fn arg0_is_what_the_node_sees() {
    let _serial = common::serial();
    let mut graph = Graph::new();
    let node = graph.node(
        "renamed",
        Command::new("cat")
            .arg0("-renamed")
            .arg("/proc/self/cmdline"),
    );
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let text = common::read_to_end(&mut running, out);
    assert!(running.wait().unwrap().success());
    assert_eq!(text, "-renamed\0/proc/self/cmdline\0");
}

/// The default: a group of its own. `Application`: the application's
/// group, where a terminal's Ctrl-C reaches it.
#[test]
fn the_process_group_is_chosen() {
    let _serial = common::serial();
    let pgid = |pid: u32| {
        rustix::process::getpgid(rustix::process::Pid::from_raw(pid as i32))
            .unwrap()
            .as_raw_nonzero()
            .get() as u32
    };
    let (mut own, pid) = running_sleeper(sleeper()).unwrap();
    assert_eq!(pgid(pid), pid);
    own.shutdown(Duration::from_secs(5)).unwrap();
    let (mut shared, pid) =
        running_sleeper(sleeper().process_group(ProcessGroup::Application)).unwrap();
    assert_eq!(pgid(pid), pgid(std::process::id()));
    shared.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_node_in_a_scope_keeps_a_group_of_its_own() {
    let _serial = common::serial();
    let mut graph = Graph::new();
    let scope = graph.scope("box", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    graph.node_with(
        "worker",
        sleeper().process_group(ProcessGroup::Application),
        NodeOptions::new().scope(scope),
    );
    match graph.spawn() {
        Err(Error::Command { node, problem }) => {
            assert_eq!(node, "worker");
            assert!(problem.contains("process group of its own"), "{problem}");
        }
        other => panic!("got {:?}", other.map(|_| ())),
    }
}

/// In a scope the drop happens after the scope is entered (by the carried
/// program, which then clones the node into the pid namespace): as root, a
/// pid scope without a user namespace runs the node as the uid asked for.
#[test]
fn a_node_in_a_pid_scope_drops_too() {
    let _serial = common::serial();
    if !is_root() {
        return common::skip("a pid scope without a user namespace needs root");
    }
    let mut graph = Graph::new();
    let scope = graph.scope("jail", ScopeSpec::new([Namespace::Pid]));
    let node = graph.node_with(
        "worker",
        sleeper().uid(65534).gid(65534),
        NodeOptions::new().scope(scope),
    );
    let mut running = graph.spawn().unwrap();
    let (uid, gid, groups) = ids_of(running.pid(node).unwrap());
    assert_eq!(
        (uid.as_str(), gid.as_str(), groups.as_str()),
        ("65534 65534 65534 65534", "65534 65534 65534 65534", "")
    );
    running.shutdown(Duration::from_secs(5)).unwrap();
}

/// In a scope with a user namespace the ids are the namespace's: one not
/// mapped there is refused by the kernel (EINVAL), named.
#[test]
fn an_id_not_mapped_in_the_scope_is_refused() {
    let _serial = common::serial();
    common::as_root_and_unprivileged("an_id_not_mapped_in_the_scope_is_refused", || {
        let mut graph = Graph::new();
        let scope = graph.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]));
        graph.node_with(
            "worker",
            sleeper().uid(1000),
            NodeOptions::new().scope(scope),
        );
        match graph.spawn() {
            Err(Error::Spawn(e)) => {
                assert_eq!((e.step(), e.errno()), (Step::SetUid, libc::EINVAL));
                assert_eq!(e.node(), "worker");
            }
            other => panic!("expected setuid to fail, got {:?}", other.map(|_| ())),
        }
    });
}

/// Names [`pdeath_application`]'s trial, in its environment.
const PDEATH_TRIAL: &str = "PG_TEST_PDEATH_TRIAL";

/// The nodes of [`pdeath_application`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PdeathNode {
    /// Dropped to uid 65534 by the runtime, which arms the parent-death
    /// signal again.
    UidDropped,
    /// Its gid dropped by the runtime, likewise.
    GidDropped,
    /// No drop; it says when it runs (the application serves until killed
    /// once a node is ready, and the test waits for every sleep itself).
    Plain,
    /// Drops itself: the kernel clears its parent-death signal and nothing
    /// arms it again (README, "Limits to know"). Nothing else may kill it
    /// either, or the nodes above would prove nothing.
    DropsItself,
}

impl PdeathNode {
    const ALL: [PdeathNode; 4] = [
        PdeathNode::UidDropped,
        PdeathNode::GidDropped,
        PdeathNode::Plain,
        PdeathNode::DropsItself,
    ];

    fn name(self) -> &'static str {
        match self {
            PdeathNode::UidDropped => "uid-dropped",
            PdeathNode::GidDropped => "gid-dropped",
            PdeathNode::Plain => "plain",
            PdeathNode::DropsItself => "drops-itself",
        }
    }

    /// Whether it must die with a SIGKILLed application.
    fn dies(self) -> bool {
        self != PdeathNode::DropsItself
    }

    /// The `sleep` argument it is given in trial `trial`: its own first
    /// digits, then the trial's, so that the test finds each node by its
    /// command line.
    fn seconds(self, trial: &str) -> String {
        format!("{}.{trial}", 601 + self as u32)
    }

    /// Its command and options in trial `trial`.
    fn declared(self, trial: &str) -> (Command, NodeOptions) {
        let seconds = self.seconds(trial);
        let sleep = Command::new("sleep").arg(&seconds);
        match self {
            PdeathNode::UidDropped => (common::dropped_to_65534(sleep), NodeOptions::new()),
            PdeathNode::GidDropped => (sleep.gid(65534), NodeOptions::new()),
            PdeathNode::DropsItself => {
                let command = Command::new("setpriv")
                    .args(common::SETPRIV_TO_65534)
                    .args(["sleep", &seconds]);
                (command, NodeOptions::new())
            }
            PdeathNode::Plain => {
                let script = format!("echo >&3; exec sleep {seconds}");
                let command = Command::new("sh").args(["-c", &script]);
                (command, NodeOptions::new().ready(Readiness::Fd(3)))
            }
        }
    }
}

/// The application of the test below, run in a child process: the nodes of
/// [`PdeathNode`] with no cgroup, so that only their parent-death signal
/// can end them when it is SIGKILLed.
#[test]
#[ignore = "the application of a_node_dropped_by_the_runtime_dies_with_a_sigkilled_application"]
fn pdeath_application() {
    let Ok(trial) = std::env::var(PDEATH_TRIAL) else {
        return; // Only meaningful when started by the test below.
    };
    let mut graph = Graph::new();
    graph.containment(Containment::Off);
    for node in PdeathNode::ALL {
        let (command, options) = node.declared(&trial);
        graph.node_with(node.name(), command, options);
    }
    common::serve_until_killed(graph.spawn().unwrap())
}

/// The live process whose command line is exactly `sleep seconds`: a node
/// once it has executed its program (the runtime's carried program and
/// `setpriv` carry the seconds too, before).
fn sleeping(seconds: &str) -> Option<i32> {
    let cmdline = format!("sleep\0{seconds}\0");
    common::all_processes()
        .into_iter()
        .filter(common::ProcStat::is_live)
        .find(|p| {
            std::fs::read(format!("/proc/{}/cmdline", p.pid))
                .is_ok_and(|text| text == cmdline.as_bytes())
        })
        .map(|p| p.pid)
}

/// The parent-death signal the runtime arms again after a `Cmd::uid`/`gid`
/// drop (the kernel clears it when credentials change). Without cgroups
/// (`Containment::Off`) it is all that ends a node when the application is
/// SIGKILLed; a node dropped to uid 65534, one that only changes its gid,
/// and a plain one must die within [`common::DEATH_TIMEOUT`]. A node that
/// drops itself with `setpriv` outlives the application, as the README
/// documents: the control that shows the kernel clears the signal here
/// and nothing else kills the others (the signals all go at the same
/// moment, when the application's thread exits). Root only.
#[test]
fn a_node_dropped_by_the_runtime_dies_with_a_sigkilled_application() {
    let _serial = common::serial();
    if !common::real_root() {
        return common::skip("a drop to another user needs root");
    }
    if !common::installed("setpriv", "util-linux") {
        return;
    }
    const TRIALS: usize = 3;
    // How long the survivor must outlive the others.
    const SURVIVES: Duration = Duration::from_millis(500);
    for trial in 0..TRIALS {
        let trial = format!("{}{trial:03}", std::process::id());
        let (mut app, _) = common::start_application("pdeath_application", PDEATH_TRIAL, &trial);
        // Every node has executed its sleep: the drops, and the arming
        // after them, are done.
        let deadline = std::time::Instant::now() + common::DEATH_TIMEOUT;
        let nodes: Vec<_> = PdeathNode::ALL
            .iter()
            .map(|&node| {
                let (name, dies, seconds) = (node.name(), node.dies(), node.seconds(&trial));
                loop {
                    if let Some(pid) = sleeping(&seconds)
                        && let Some(pidfd) = common::open_pidfd(pid)
                    {
                        break (name, dies, pidfd);
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "node {name} never ran `sleep {seconds}`"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
            .collect();
        app.kill().unwrap();
        app.wait().unwrap();
        // In order, the survivor last: had its parent-death signal been
        // armed, it would have been sent it with the others, gone by then.
        let died: Vec<_> = nodes
            .iter()
            .map(|(name, dies, pidfd)| {
                let wait = if *dies {
                    common::DEATH_TIMEOUT
                } else {
                    SURVIVES
                };
                (*name, common::exits_within(pidfd, wait))
            })
            .collect();
        for (_, _, pidfd) in &nodes {
            let _ = rustix::process::pidfd_send_signal(pidfd, rustix::process::Signal::KILL);
        }
        let expected: Vec<_> = nodes.iter().map(|(name, dies, _)| (*name, *dies)).collect();
        assert_eq!(
            died, expected,
            "trial {trial}: which nodes died with the SIGKILLed application"
        );
    }
}
