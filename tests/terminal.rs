//! A node on a pseudo-terminal: a real interactive program (`python3 -i`)
//! driven through the master end; its terminal is its controlling terminal
//! in a session of its own; the window size reaches it; Ctrl-C written to
//! the master interrupts the node, not the application; and an attached
//! application terminal passes every key through until the detach key.
//! The same in a scope, and at each restart; refused in the application's
//! process group.

mod common;

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use process_graph_runtime::{
    Command, Containment, Error, Event, ExitStatus, Graph, Namespace, NodeOptions, ProcessGroup,
    Restart, RunningGraph, ScopeSpec, Signal, Step, Terminal, WindowSize,
};

/// Reads from `terminal` until `want` has appeared (in a thread of its
/// own, so that a silent node fails the test instead of hanging it).
fn read_until(terminal: &mut (impl Read + AsFd), want: &str) -> String {
    read_until_with(terminal, want, || {
        std::thread::sleep(Duration::from_millis(10));
    })
}

/// [`read_until`], calling `idle` whenever there is nothing to read: none
/// written yet, or no node end open (between two runs of the node).
fn read_until_with(
    terminal: &mut (impl Read + AsFd),
    want: &str,
    mut idle: impl FnMut(),
) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut screen = Vec::new();
    let mut buf = [0u8; 4096];
    rustix::fs::fcntl_setfl(terminal.as_fd(), rustix::fs::OFlags::NONBLOCK).unwrap();
    while !String::from_utf8_lossy(&screen).contains(want) {
        assert!(
            Instant::now() < deadline,
            "no {want:?} on the terminal:\n{}",
            String::from_utf8_lossy(&screen)
        );
        match terminal.read(&mut buf) {
            Ok(n) if n > 0 => screen.extend_from_slice(&buf[..n]),
            Ok(_) => idle(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => idle(),
            Err(e) => panic!("read the terminal: {e}"),
        }
    }
    String::from_utf8_lossy(&screen).into_owned()
}

#[test]
fn python_runs_interactively_on_its_own_terminal() {
    if !common::installed("python3", "python3") {
        return;
    }
    let mut graph = Graph::new();
    let python = graph.node(
        "python",
        Command::new("python3").args(["-q", "-i"]).terminal(),
    );
    let mut running = graph.spawn().unwrap();
    let mut terminal = running.take_terminal(python).expect("the node's terminal");
    assert!(running.take_terminal(python).is_none(), "taken once");
    terminal
        .set_window_size(WindowSize {
            rows: 33,
            cols: 111,
        })
        .unwrap();
    assert_eq!(
        terminal.window_size().unwrap(),
        WindowSize {
            rows: 33,
            cols: 111
        }
    );
    read_until(&mut terminal, ">>> ");
    // Its own session, the terminal its controlling terminal (the session
    // of the terminal's foreground group is its own), and the size set.
    terminal
        .write_all(b"import os; print('S', os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp(), os.get_terminal_size())\n")
        .unwrap();
    let screen = read_until(&mut terminal, "terminal_size(columns=111, lines=33)");
    assert!(screen.contains("S True True"), "{screen}");
    // Ctrl-C interrupts what the node runs, through its terminal.
    terminal
        .write_all(b"import time; time.sleep(60)\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    terminal.write_all(b"\x03").unwrap();
    read_until(&mut terminal, "KeyboardInterrupt");
    terminal.write_all(b"print(6 * 7)\n").unwrap();
    read_until(&mut terminal, "42");
    terminal.write_all(b"exit()\n").unwrap();
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
}

/// Set for the helper below: it runs as an "application" whose own stdin and
/// stdout are a terminal the test holds the master of.
const ATTACHED: &str = "PROCESS_GRAPH_ATTACHED_APPLICATION";

/// The application of the test below: attaches its own terminal to a
/// `python3 -i` node until the detach key (Ctrl-]), then says how it came
/// back and whether its terminal is out of raw mode again.
#[test]
#[ignore = "run by an_attached_terminal_passes_keys_through_until_the_detach_key"]
fn attached_application_helper() {
    if std::env::var_os(ATTACHED).is_none() {
        return;
    }
    let mut graph = Graph::new();
    let python = graph.node(
        "python",
        Command::new("python3").args(["-q", "-i"]).terminal(),
    );
    let mut running = graph.spawn().unwrap();
    let mut terminal = running.take_terminal(python).unwrap();
    let detached = terminal.attach(0x1d).unwrap();
    let canonical = rustix::termios::tcgetattr(std::io::stdin())
        .unwrap()
        .local_modes
        .contains(rustix::termios::LocalModes::ICANON);
    println!("\r\ndetached {detached:?}, canonical again {canonical}");
    terminal.write_all(b"exit()\n").unwrap();
    assert!(running.wait().unwrap().success());
}

/// Set for the helper below, like [`ATTACHED`].
const ATTACHED_TO_A_DEAF_NODE: &str = "PROCESS_GRAPH_ATTACHED_TO_A_DEAF_NODE";

/// The application of the test below: attaches its own terminal to a node
/// that never reads its terminal, then says how it came back.
#[test]
#[ignore = "run by a_node_that_does_not_read_its_terminal_does_not_hide_the_detach_key"]
fn deaf_node_application_helper() {
    if std::env::var_os(ATTACHED_TO_A_DEAF_NODE).is_none() {
        return;
    }
    let mut graph = Graph::new();
    let script = "stty raw -echo; echo DEAF-AND-RAW; exec sleep 60";
    let deaf = graph.node("deaf", Command::new("sh").args(["-c", script]).terminal());
    let mut running = graph.spawn().unwrap();
    let detached = running.take_terminal(deaf).unwrap().attach(0x1d);
    println!("\r\ndetached {detached:?}");
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// A node that does not read its terminal (raw mode: nothing is discarded)
/// lets its input buffer fill; what the user types then waits in `attach`,
/// up to 64 KiB, and the detach key still comes back at once — a 64 KiB
/// paste first. (Before: `attach` blocked writing the paste, deaf to the
/// detach key, the user's terminal left raw.)
#[test]
fn a_node_that_does_not_read_its_terminal_does_not_hide_the_detach_key() {
    let (mut application, mut outer) =
        application_on_a_terminal("deaf_node_application_helper", ATTACHED_TO_A_DEAF_NODE);
    // Not the test's name: the node's line, passed on by `attach`.
    read_until(&mut outer, "DEAF-AND-RAW");
    // `read_until` made the master non-blocking: write as the application
    // takes it.
    let mut typed = vec![b'a'; 64 * 1024];
    typed.push(0x1d);
    let mut written = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while written < typed.len() {
        assert!(
            Instant::now() < deadline,
            "the application stopped reading its terminal"
        );
        match outer.write(&typed[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("type: {e}"),
        }
    }
    read_until(&mut outer, "detached Ok(Key)");
    let status = application.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Starts this binary's ignored test `helper`, with `var` set, as an
/// application whose stdin and stdout are a terminal of its own; returns it
/// and that terminal's master, which the test holds.
fn application_on_a_terminal(helper: &str, var: &str) -> (std::process::Child, std::fs::File) {
    let (master, slave) = common::pseudo_terminal();
    let application = common::ignored_test(helper)
        .env(var, "1")
        .stdin(std::fs::File::from(slave.try_clone().unwrap()))
        .stdout(std::fs::File::from(slave))
        .spawn()
        .unwrap();
    (application, std::fs::File::from(master))
}

#[test]
fn an_attached_terminal_passes_keys_through_until_the_detach_key() {
    if !common::installed("python3", "python3") {
        return;
    }
    let (mut application, mut outer) =
        application_on_a_terminal("attached_application_helper", ATTACHED);
    // Keys typed on the application's terminal reach the node ...
    read_until(&mut outer, ">>> ");
    outer.write_all(b"print(6 * 7)\n").unwrap();
    read_until(&mut outer, "42");
    // ... Ctrl-C among them: it interrupts the node, not the application,
    // whose terminal is in raw mode while attached.
    outer.write_all(b"import time; time.sleep(60)\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    outer.write_all(b"\x03").unwrap();
    read_until(&mut outer, "KeyboardInterrupt");
    assert!(
        application.try_wait().unwrap().is_none(),
        "Ctrl-C reached the application"
    );
    // The detach key returns to the application, its terminal restored.
    outer.write_all(b"\x1d").unwrap();
    read_until(&mut outer, "detached Key, canonical again true");
    let status = application.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A node on a terminal in a scope: as in `tests/scope_only_node.rs`, with
/// user and pid namespaces (the carried program clones the node into the
/// pid namespace; the clone starts the session), a user namespace alone
/// (the application's child becomes the node), and, as root, a pid
/// namespace alone. In each the node leads its session, whose controlling
/// terminal is its own terminal (`/dev/tty` opens; the foreground group is
/// its own), the window size set reaches it, and Ctrl-C typed into the
/// terminal ends it by SIGINT. As root and as uid 65534.
#[test]
fn a_node_in_a_scope_runs_on_its_own_terminal() {
    common::as_root_and_unprivileged("a_node_in_a_scope_runs_on_its_own_terminal", || {
        let mut scopes = vec![vec![Namespace::User, Namespace::Pid], vec![Namespace::User]];
        if rustix::process::geteuid().is_root() {
            scopes.push(vec![Namespace::Pid]);
        }
        for namespaces in scopes {
            common::within(Duration::from_secs(60), "a node on a terminal", move || {
                on_a_terminal_in(namespaces);
            });
        }
    });
}

/// What the node of the test above runs: says whether it leads its session
/// (`stat` fields 1 and 6), has a controlling terminal (7), which its group
/// has the foreground of (8 and 5), and can open `/dev/tty`, then its
/// window size, once told to go (the size is set by then); then sleeps
/// until Ctrl-C. Its own `stat`, read by the shell itself (`read` is built
/// in): in a pid scope without a `/proc` of its own, `$$` names another
/// process in the `/proc` it sees.
const ON_ITS_TERMINAL: &str = r#"read -r go
read -r stat </proc/self/stat
set -- $stat
[ "$6" = "$1" ] && leads=leads
[ "$7" != 0 ] && ctty=ctty
[ "$8" = "$5" ] && fg=foreground
( : </dev/tty ) 2>/dev/null && tty=dev-tty
echo "SESSION $leads $ctty $fg $tty SIZE $(stty size) SAID"
sleep 60
echo NOT-INTERRUPTED"#;

fn on_a_terminal_in(namespaces: Vec<Namespace>) {
    let case = format!("{namespaces:?}");
    let mut graph = Graph::new();
    let scope = graph.scope("jail", ScopeSpec::new(namespaces.iter().copied()));
    let node = graph.node_with(
        "shell",
        Command::new("sh").args(["-c", ON_ITS_TERMINAL]).terminal(),
        NodeOptions::new().scope(scope),
    );
    let mut running = graph.spawn().unwrap_or_else(|e| panic!("{case}: {e}"));
    let mut terminal = running.take_terminal(node).expect("the node's terminal");
    terminal
        .set_window_size(WindowSize { rows: 21, cols: 77 })
        .unwrap();
    terminal.write_all(b"go\n").unwrap();
    let screen = read_until(&mut terminal, " SAID");
    assert!(
        screen.contains("SESSION leads ctty foreground dev-tty SIZE 21 77"),
        "{case}: {screen}"
    );
    // SIGINT to the foreground group, the shell's: it ends of it, in
    // `sleep` or before.
    terminal.write_all(b"\x03").unwrap();
    loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::Exited { status, .. }) => {
                assert_eq!(status, ExitStatus::Signaled(Signal::INT), "{case}");
                break;
            }
            Some(_) => {}
            None => panic!("{case}: Ctrl-C did not end the node"),
        }
    }
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// A node in the application's process group cannot lead a session, so it
/// cannot have a controlling terminal: the spawn is refused, naming it.
#[test]
fn a_node_on_a_terminal_in_the_applications_group_is_refused() {
    let mut graph = Graph::new();
    let command = Command::new("true").terminal();
    graph.node("shell", command.process_group(ProcessGroup::Application));
    match graph.spawn() {
        Err(error @ Error::Io { .. }) => {
            let text = error.to_string();
            assert!(
                text.contains("shell") && text.contains("process group of its own"),
                "{text}"
            );
        }
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("a node on a terminal in the application's group was spawned"),
    }
}

/// The terminal is the same across a node's restarts, and each start makes
/// it its controlling terminal again. A process a run left behind still
/// holds it, and once that run's session has ended it may make it its own
/// controlling terminal: the next start then fails at `ioctl TIOCSCTTY`,
/// naming the node and the step. In a user + pid scope shared with a
/// keeper (no clear at the node's end) and without cgroups, where what a
/// node leaves lives on. As root and as uid 65534.
#[test]
fn a_restarted_node_takes_its_terminal_again_unless_a_leftover_took_it() {
    common::as_root_and_unprivileged(
        "a_restarted_node_takes_its_terminal_again_unless_a_leftover_took_it",
        || common::within(Duration::from_secs(60), "restarts on a terminal", restarts),
    );
}

/// Each run of the node of the test above: says whether its terminal is its
/// controlling terminal, then reads what to do: `steal` starts [`THIEF`]
/// with the terminal at fd 3, waits for `go`, and ends; anything else
/// ends at once.
const RUNS_ON_ITS_TERMINAL: &str = r#"read -r stat </proc/self/stat
set -- $stat
[ "$7" != 0 ] && [ "$8" = "$5" ] && ctty=yes
echo "RUN ctty=$ctty"
read -r what
if [ "$what" = steal ]; then
    exec 3<&0 # not on the job: its stdin is /dev/null first
    /usr/bin/python3 -c "$THIEF" &
    read -r go
fi
exit 1"#;

/// Leaves the run's session (and so its process group's kill) and lives
/// on; once the run's session has ended, makes the terminal at fd 3 its
/// own controlling terminal.
const THIEF: &str = r#"
import fcntl, os, signal, termios, time
signal.signal(signal.SIGHUP, signal.SIG_IGN)
os.setsid()
os.write(3, b'THIEF READY\n')
for _ in range(1000):
    try:
        fcntl.ioctl(3, termios.TIOCSCTTY, 0)
        os.write(3, b'STOLE\n')
        break
    except OSError:
        time.sleep(0.01)
time.sleep(60)
"#;

fn restarts() {
    let mut graph = Graph::new();
    graph.containment(Containment::Off);
    let scope = graph.scope("jail", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    // Time for the thief to take the terminal before the next start.
    let backoff = Duration::from_secs(2);
    let node = graph.node_with(
        "shell",
        Command::new("sh")
            .args(["-c", RUNS_ON_ITS_TERMINAL])
            .env("THIEF", THIEF)
            .terminal(),
        NodeOptions::new()
            .scope(scope)
            .restart(Restart::Always)
            .backoff(backoff, backoff),
    );
    let keeper = Command::new("sleep").arg("60");
    graph.node_with("keeper", keeper, NodeOptions::new().scope(scope));
    let mut running = graph.spawn().unwrap();
    let mut terminal = running.take_terminal(node).expect("the node's terminal");
    for what in ["again", "steal"] {
        serve_until(&mut running, &mut terminal, "RUN ctty=yes");
        terminal.write_all(format!("{what}\n").as_bytes()).unwrap();
    }
    serve_until(&mut running, &mut terminal, "THIEF READY");
    terminal.write_all(b"go\n").unwrap();
    serve_until(&mut running, &mut terminal, "STOLE");
    let error = loop {
        match running.next_event(Some(Duration::from_secs(10))).unwrap() {
            Some(Event::StartFailed { error, .. }) => break error,
            Some(Event::Started { .. }) => panic!("started on a terminal a leftover took"),
            Some(_) => {}
            None => panic!("no start failed"),
        }
    };
    assert_eq!(error.step(), Step::ControllingTerminal, "{error}");
    assert!(error.to_string().contains("shell"), "{error}");
    running.shutdown(Duration::from_secs(1)).unwrap();
}

/// [`read_until`], serving the graph's events meanwhile (its restarts are
/// timers of its event loop); a start that fails fails the test.
fn serve_until(running: &mut RunningGraph, terminal: &mut Terminal, want: &str) {
    read_until_with(terminal, want, || {
        let event = running.next_event(Some(Duration::from_millis(10)));
        if let Some(Event::StartFailed { error, .. }) = event.unwrap() {
            panic!("waiting for {want:?}: {error}");
        }
    });
}
