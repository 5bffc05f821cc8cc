//! Attacks on the application's terminal and session, from a node that is
//! not on a terminal of its own: dropped to uid 65534 under a root
//! application, or root in a user + pid scope (an unprivileged uid
//! outside). Each node leads a session of its own, so the application's
//! terminal is not its controlling terminal: it cannot open `/dev/tty`,
//! make itself the terminal's foreground (and so take its Ctrl-C, or stop
//! the application with SIGTTOU on its next write), type into it
//! (`TIOCSTI`), or send SIGCONT to the application or a root sibling (the
//! kernel lets any process of a session send SIGCONT to any other).
//!
//! The application runs as a login shell's job would: a python "shell"
//! makes a pseudo-terminal its controlling terminal and runs this test
//! binary's ignored [`terminal_app`] in the terminal's foreground. Root
//! only (the dropped node needs root; a scope under an unprivileged
//! application is that application's uid outside, which may signal it).

mod common;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec, Signal, Stdio};

const MODE: &str = "PG_TEST_TERMINAL_MODE";
const DIR: &str = "PG_TEST_TERMINAL_DIR";

/// The hostile node: ignores SIGTTOU, opens `/dev/tty`, sets `tostop`,
/// makes its group the terminal's foreground and types a command into it.
/// Writes what it managed to `node-done`.
const TAKES_THE_TERMINAL: &str = r#"
import os, signal, fcntl, termios, time, sys
d = sys.argv[1]
def note(name, text):
    open(os.path.join(d, name + '.tmp'), 'w').write(text)
    os.rename(os.path.join(d, name + '.tmp'), os.path.join(d, name))
signal.signal(signal.SIGINT, lambda *a: note('node-sigint', 'yes'))
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
def attempt(what):
    try:
        what(); return 'ok'
    except OSError as e:
        return 'errno %d' % e.errno
try:
    fd = os.open('/dev/tty', os.O_RDWR)
except OSError as e:
    note('node-done', 'uid=%d open=errno %d' % (os.getuid(), e.errno))
    time.sleep(60)
def tostop():
    a = termios.tcgetattr(fd); a[3] |= termios.TOSTOP
    termios.tcsetattr(fd, termios.TCSANOW, a)
def type_in():
    for c in b'echo INJECTED-BY-NODE\n':
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
done = 'uid=%d open=ok tostop=%s foreground=%s tiocsti=%s' % (
    os.getuid(), attempt(tostop), attempt(lambda: os.tcsetpgrp(fd, os.getpgrp())),
    attempt(type_in))
note('node-done', done)
time.sleep(60)
"#;

/// The hostile node types Ctrl-C into the terminal (through its inherited
/// stderr too, should `/dev/tty` fail): SIGINT to the terminal's
/// foreground, the application.
const TYPES_CTRL_C: &str = r#"
import os, fcntl, termios, sys, time
out = []
for name, open_it in [('/dev/tty', lambda: os.open('/dev/tty', os.O_RDWR)), ('stderr', lambda: 2)]:
    try:
        fcntl.ioctl(open_it(), termios.TIOCSTI, b'\x03')
        out.append(name + '=ok')
    except OSError as e:
        out.append('%s=errno %d' % (name, e.errno))
d = sys.argv[1]
open(os.path.join(d, 'node-done.tmp'), 'w').write(' '.join(out))
os.rename(os.path.join(d, 'node-done.tmp'), os.path.join(d, 'node-done'))
time.sleep(60)
"#;

/// A login shell's part: a session with the terminal as its controlling
/// terminal, the application in a foreground process group of its own
/// (made by both, as shells do: the shell's `setpgid` fails once the
/// child has executed, and the shell must live on, or its session's end
/// hangs the application up). Notes how the application ended in
/// `app-status`.
const SHELL: &str = r#"
import os, sys, fcntl, termios, signal
os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.tcsetpgrp(0, os.getpid())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    os.execv(sys.argv[1], sys.argv[1:])
try:
    os.setpgid(pid, pid)
except PermissionError:
    pass  # EACCES: the child has executed already, in the group it made.
while True:
    p, st = os.waitpid(pid, os.WUNTRACED)
    if not os.WIFSTOPPED(st): break
d = os.environ['PG_TEST_TERMINAL_DIR']
open(os.path.join(d, 'app-status'), 'w').write(
    'signal %d' % os.WTERMSIG(st) if os.WIFSIGNALED(st) else 'exit %d' % os.WEXITSTATUS(st))
"#;

/// The application on the terminal: one hostile node (its streams on
/// `/dev/null`, or stderr on the terminal for `ctrl-c`), then an event loop
/// that writes a heartbeat to its terminal and to a file every 100 ms.
#[test]
#[ignore = "run by the tests below, on a terminal"]
fn terminal_app() {
    let Some(mode) = std::env::var(MODE).ok() else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os(DIR).unwrap());
    std::fs::write(dir.join("app-pid"), std::process::id().to_string()).unwrap();
    let script = if mode.ends_with("ctrl-c") {
        TYPES_CTRL_C
    } else {
        TAKES_THE_TERMINAL
    };
    let command = Command::new("python3")
        .args(["-c", script, dir.to_str().unwrap()])
        .stdin(Stdio::Null)
        .stdout(Stdio::Null);
    let mut graph = Graph::new();
    if mode.starts_with("scope") {
        let scope = graph.scope("s", ScopeSpec::new([Namespace::User, Namespace::Pid]));
        graph.node_with("hostile", command, NodeOptions::new().scope(scope));
    } else {
        graph.node("hostile", command.groups(&[]).gid(65534).uid(65534));
    }
    let mut running = graph.spawn().unwrap();
    for beat in 1.. {
        std::fs::write(dir.join("heartbeat"), beat.to_string()).unwrap();
        let _ = writeln!(std::io::stderr(), "app heartbeat {beat}");
        let _ = running.next_event(Some(Duration::from_millis(100)));
    }
}

fn read_number(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The application running [`terminal_app`] in `mode` on a terminal, with
/// what the terminal showed.
struct OnTerminal {
    dir: common::TempDir,
    master: OwnedFd,
    shell: std::process::Child,
    screen: Arc<Mutex<Vec<u8>>>,
}

impl OnTerminal {
    fn start(mode: &str) -> OnTerminal {
        let dir = common::TempDir::writable_by_scopes(&format!("terminal-{mode}"));
        let (master, slave) = common::pseudo_terminal();
        let file = || std::fs::File::from(slave.try_clone().unwrap());
        let shell = std::process::Command::new("python3")
            .arg("-c")
            .arg(SHELL)
            .arg(std::env::current_exe().unwrap())
            .args(common::ignored_test_args("terminal_app"))
            .env(MODE, mode)
            .env(DIR, dir.path())
            .stdin(file())
            .stdout(file())
            .stderr(file())
            .spawn()
            .unwrap();
        // Drain the terminal so that nothing blocks on a full buffer.
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = std::fs::File::from(master.try_clone().unwrap());
        let into = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                into.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        OnTerminal {
            dir,
            master,
            shell,
            screen,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What the node wrote to `node-done`, once it has (10 s at most).
    fn node_done(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(self.file("node-done")) {
                return text;
            }
            assert!(Instant::now() < deadline, "the node never ran");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn app_pid(&self) -> i32 {
        read_number(&self.file("app-pid")).unwrap()
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        // The application (its nodes die with it), then the shell.
        if let Some(pid) =
            read_number(&self.file("app-pid")).and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        let _ = self.shell.kill();
        let _ = self.shell.wait();
    }
}

fn root_or_skip() -> bool {
    let root = common::real_root();
    if !root {
        common::skip("the terminal attacks need root (a node dropped to uid 65534)");
    }
    root
}

/// The node cannot open `/dev/tty`; the terminal's foreground stays the
/// application's, which keeps running (no SIGTTOU stop) and gets the
/// terminal's Ctrl-C; nothing the node types reaches the terminal.
fn cannot_take_the_terminal(mode: &str) {
    if !root_or_skip() {
        return;
    }
    let terminal = OnTerminal::start(mode);
    let node = terminal.node_done();
    let app = terminal.app_pid();
    let beat = read_number(&terminal.file("heartbeat"));
    std::thread::sleep(Duration::from_millis(500));
    let foreground = rustix::termios::tcgetpgrp(&terminal.master).map(|p| p.as_raw_nonzero().get());
    assert_eq!(foreground, Ok(app), "the node took the terminal: {node}");
    assert!(
        read_number(&terminal.file("heartbeat")) > beat,
        "the application stopped: {node}"
    );
    std::fs::File::from(terminal.master.try_clone().unwrap())
        .write_all(b"\x03")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !terminal.file("node-sigint").exists(),
        "Ctrl-C reached the node: {node}"
    );
    let shown = String::from_utf8_lossy(&terminal.screen.lock().unwrap()).into_owned();
    assert!(
        !shown.contains("INJECTED"),
        "the node typed into the terminal: {node}"
    );
    assert!(
        node.contains("open=errno 6"),
        "/dev/tty opened (not ENXIO): {node}"
    );
}

#[test]
fn a_dropped_node_cannot_take_the_applications_terminal() {
    cannot_take_the_terminal("dropped");
}

#[test]
fn a_user_scope_node_cannot_take_the_applications_terminal() {
    cannot_take_the_terminal("scope");
}

/// The node types Ctrl-C (`TIOCSTI`) through `/dev/tty` and through the
/// terminal it was given as stderr: refused both ways (not its controlling
/// terminal), so the root application is not interrupted.
#[test]
fn a_dropped_node_cannot_type_ctrl_c_to_the_application() {
    if !root_or_skip() {
        return;
    }
    let terminal = OnTerminal::start("dropped-ctrl-c");
    let node = terminal.node_done();
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(terminal.file("app-status")).ok();
    assert_eq!(status, None, "the application ended: {node}");
    // EPERM: not its controlling terminal; EIO where `dev.tty.legacy_tiocsti` is 0.
    assert!(
        [
            "/dev/tty=errno 6 stderr=errno 1",
            "/dev/tty=errno 6 stderr=errno 5"
        ]
        .contains(&node.as_str()),
        "{node}"
    );
}

/// SIGCONT, which the kernel lets any process send within its session: to
/// the root application by pid and through a `/proc/PID` directory, and to
/// a root sibling the application stopped. Each outcome is an errno (0:
/// sent).
const SENDS_SIGCONT: &str = r#"
import os, signal, sys
app, sibling, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def kill(pid):
    try:
        os.kill(pid, signal.SIGCONT); return 0
    except OSError as e:
        return e.errno
def through_proc(pid):
    try:
        signal.pidfd_send_signal(os.open('/proc/%d' % pid, os.O_RDONLY | os.O_DIRECTORY), signal.SIGCONT)
        return 0
    except OSError as e:
        return e.errno
text = 'app=%d app-proc=%d sibling=%d' % (kill(app), through_proc(app), kill(sibling))
open(out + '.tmp', 'w').write(text); os.rename(out + '.tmp', out)
"#;

fn cannot_send_sigcont(scope: bool) {
    if !root_or_skip() {
        return;
    }
    let dir = common::TempDir::writable_by_scopes("terminal-sigcont");
    let out = dir.path().join("result");
    let mut graph = Graph::new();
    let sibling = graph.node("root-sibling", Command::new("sleep").arg("30"));
    let mut running = graph.spawn().unwrap();
    let sibling_pid = running.pid(sibling).unwrap() as i32;
    running.signal(sibling, Signal::STOP).unwrap();
    let stopped = || common::proc_stat(sibling_pid).is_some_and(|s| s.state == 'T');
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stopped() {
        assert!(Instant::now() < deadline, "the sibling never stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut added = Graph::new();
    let command = Command::new("python3")
        .args(["-c", SENDS_SIGCONT])
        .arg(std::process::id().to_string())
        .arg(sibling_pid.to_string())
        .arg(&out)
        .stdin(Stdio::Null);
    if scope {
        let s = added.scope("s", ScopeSpec::new([Namespace::User]));
        added.node_with("hostile", command, NodeOptions::new().scope(s));
    } else {
        added.node("hostile", command.groups(&[]).gid(65534).uid(65534));
    }
    running.add(added).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !out.exists() {
        assert!(Instant::now() < deadline, "the node never wrote");
        let _ = running.next_event(Some(Duration::from_millis(20)));
    }
    let result = std::fs::read_to_string(&out).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let still_stopped = stopped();
    running.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!(result, "app=1 app-proc=1 sibling=1", "(scope: {scope})");
    assert!(still_stopped, "the node resumed the sibling: {result}");
}

#[test]
fn a_dropped_node_cannot_send_sigcont_to_the_application_or_a_sibling() {
    cannot_send_sigcont(false);
}

#[test]
fn a_user_scope_node_cannot_send_sigcont_to_the_application_or_a_sibling() {
    cannot_send_sigcont(true);
}
