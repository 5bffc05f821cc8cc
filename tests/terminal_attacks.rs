//! Attacks on the application's terminal and session, from a node that is
//! not on a terminal of its own: dropped to uid 65534 under a root
//! application, root in a user + pid scope (an unprivileged uid outside),
//! or a plain node of an unprivileged application, its own uid. Each node
//! leads a session of its own, so the application's terminal is not its
//! controlling terminal: it cannot open `/dev/tty`, make itself the
//! terminal's foreground (and so take its Ctrl-C, or stop the application
//! with SIGTTOU on its next write), type into it (`TIOCSTI`), or send
//! SIGCONT to the application or a root sibling (the kernel lets any
//! process of a session send SIGCONT to any other).
//!
//! A node root in a user + pid scope on a terminal of its own, its
//! controlling terminal, attacks the application's terminal by its path:
//! under a root application it cannot open it (the scope is a drawn uid
//! outside); under an unprivileged one it can, as any file of the
//! application's uid, and write to it, read from it and change its
//! settings, but not type into it, take its foreground, or give up its own
//! terminal and steal the application's.
//!
//! The application runs as a login shell's job would: a python "shell"
//! makes a pseudo-terminal its controlling terminal and runs this test
//! binary's ignored [`terminal_app`] in the terminal's foreground. The
//! dropped and scoped nodes run only as root (a drop needs root; a scope
//! under an unprivileged application is that application's uid outside,
//! which may signal it); the plain node's application runs as uid 65534
//! under root, as the test's own user otherwise.

mod common;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, Namespace, NodeOptions, ScopeSpec, Signal, Stdio};

const MODE: &str = "PG_TEST_TERMINAL_MODE";
const DIR: &str = "PG_TEST_TERMINAL_DIR";

/// Python, at a path uid 65534 can run (`python3` on `PATH` may be a shim
/// in root's home).
const PYTHON: &str = "/usr/bin/python3";

/// What the hostile nodes that say what they managed share: `note(name,
/// text)` writes a file of the directory given as first argument at once
/// (a rename), SIGINT is noted in `node-sigint`, SIGTTOU ignored, and
/// `attempt(what)` says how a call went (`ok`, `errno N`).
const HOSTILE_PRELUDE: &str = r#"
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
"#;

/// The hostile node, after [`HOSTILE_PRELUDE`]: opens `/dev/tty`, sets
/// `tostop`, makes its group the terminal's foreground and types a command
/// into it. Where `/dev/tty` does not open, it tries the last two on the
/// terminal it was given as stderr. Writes what it managed to `node-done`.
const TAKES_THE_TERMINAL: &str = r#"
try:
    fd, opened = os.open('/dev/tty', os.O_RDWR), 'ok'
except OSError as e:
    fd, opened = 2, 'errno %d' % e.errno
def tostop():
    a = termios.tcgetattr(fd); a[3] |= termios.TOSTOP
    termios.tcsetattr(fd, termios.TCSANOW, a)
def type_in():
    for c in b'echo INJECTED-BY-NODE\n':
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
done = ['uid=%d' % os.getuid(), 'open=' + opened]
if fd != 2:
    done.append('tostop=' + attempt(tostop))
done.append('foreground=' + attempt(lambda: os.tcsetpgrp(fd, os.getpgrp())))
done.append('tiocsti=' + attempt(type_in))
note('node-done', ' '.join(done))
time.sleep(60)
"#;

/// The hostile node types Ctrl-C into the terminal (through its inherited
/// stderr too, should `/dev/tty` fail): SIGINT to the terminal's
/// foreground, the application. It ignores SIGINT itself, so as to say
/// what it managed should it share that foreground.
const TYPES_CTRL_C: &str = r#"
import os, fcntl, signal, termios, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
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

/// The hostile node on a terminal of its own, root in a user + pid scope,
/// after [`HOSTILE_PRELUDE`]: checks that `/dev/tty` (its own terminal)
/// opens, then opens the
/// application's terminal by its path (the second argument) and, if that
/// works, writes to it, reads from it (non-blocking: `EAGAIN` says the read
/// was let through, with nothing typed yet), sets its settings (to what
/// they were), types a command into it, makes its group the foreground,
/// and gives up its own terminal to steal the application's
/// (`TIOCSCTTY` with 1: steal, which needs `CAP_SYS_ADMIN` in the machine's
/// first user namespace). Writes what it managed to `node-done`.
const ON_ITS_OWN_TERMINAL: &str = r#"
app_terminal = sys.argv[2]
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # giving up its terminal hangs its own group up
def type_in():
    for c in b'echo INJECTED-BY-NODE\n':
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
done = ['uid=%d' % os.getuid(), 'own=' + attempt(lambda: os.close(os.open('/dev/tty', os.O_RDWR)))]
try:
    fd, opened = os.open(app_terminal, os.O_RDWR | os.O_NOCTTY), 'ok'
except OSError as e:
    fd, opened = None, 'errno %d' % e.errno
done.append('open=' + opened)
if fd is not None:
    done.append('write=' + attempt(lambda: os.write(fd, b'WRITTEN-BY-NODE\n')))
    os.set_blocking(fd, False)  # its own open file: the application's stays blocking
    done.append('read=' + attempt(lambda: os.read(fd, 1)))
    done.append('settings=' + attempt(lambda: termios.tcsetattr(fd, termios.TCSANOW, termios.tcgetattr(fd))))
    done.append('tiocsti=' + attempt(type_in))
    done.append('foreground=' + attempt(lambda: os.tcsetpgrp(fd, os.getpgrp())))
    done.append('own-given-up=' + attempt(lambda: fcntl.ioctl(0, termios.TIOCNOTTY)))
    done.append('steal=' + attempt(lambda: fcntl.ioctl(fd, termios.TIOCSCTTY, 1)))
note('node-done', ' '.join(done))
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

/// Set by [`terminal_app`]'s SIGINT handler.
static APP_SIGINT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    APP_SIGINT.store(true, Ordering::Relaxed);
}

/// The application on the terminal: one hostile node (stdin and stdout on
/// `/dev/null`, stderr on the terminal; or, for an `own-terminal` mode, all
/// three on a terminal of its own) — dropped to uid 65534, in a user + pid
/// scope, or plain, as `mode` starts — then an event loop that
/// writes a heartbeat to its terminal and to a file every 100 ms. It
/// survives a SIGINT, noting it in `app-sigint`: a test sees whom a Ctrl-C
/// reached.
#[test]
#[ignore = "run by the tests below, on a terminal"]
fn terminal_app() {
    let Some(mode) = std::env::var(MODE).ok() else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os(DIR).unwrap());
    // SAFETY: the handler only stores to an atomic.
    let old = unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    assert_ne!(old, libc::SIG_ERR);
    std::fs::write(dir.join("app-pid"), std::process::id().to_string()).unwrap();
    let own_terminal = mode.ends_with("own-terminal");
    let script = if mode.ends_with("ctrl-c") {
        TYPES_CTRL_C.to_owned()
    } else if own_terminal {
        [HOSTILE_PRELUDE, ON_ITS_OWN_TERMINAL].concat()
    } else {
        [HOSTILE_PRELUDE, TAKES_THE_TERMINAL].concat()
    };
    let app_terminal = std::fs::read_link("/proc/self/fd/2").unwrap();
    let command = Command::new(PYTHON)
        .args(["-c", script.as_str()])
        .args([dir.as_os_str(), app_terminal.as_os_str()]);
    let command = if own_terminal {
        command.terminal()
    } else {
        command.stdin(Stdio::Null).stdout(Stdio::Null)
    };
    let mut graph = Graph::new();
    if mode.starts_with("scope") {
        let scope = graph.scope("s", ScopeSpec::new([Namespace::User, Namespace::Pid]));
        graph.node_with("hostile", command, NodeOptions::new().scope(scope));
    } else if mode.starts_with("plain") {
        graph.node("hostile", command);
    } else {
        graph.node("hostile", common::dropped_to_65534(command));
    }
    let mut running = graph.spawn().unwrap();
    for beat in 1.. {
        std::fs::write(dir.join("heartbeat"), beat.to_string()).unwrap();
        if APP_SIGINT.load(Ordering::Relaxed) {
            std::fs::write(dir.join("app-sigint"), "yes").unwrap();
        }
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
    /// The uid the application runs as.
    uid: u32,
    /// The copy of this binary uid 65534 runs, if it does.
    _copy: Option<common::BinaryCopy>,
}

impl OnTerminal {
    /// The application as the test's own user.
    fn start(mode: &str) -> OnTerminal {
        OnTerminal::launch(mode, false)
    }

    /// The application as an unprivileged user: uid 65534, on a terminal
    /// it owns as a login's, when the test runs as root; else the test's
    /// own user.
    fn start_unprivileged(mode: &str) -> OnTerminal {
        OnTerminal::launch(mode, common::real_root())
    }

    fn launch(mode: &str, as_65534: bool) -> OnTerminal {
        let dir = common::TempDir::writable_by_scopes(&format!("terminal-{mode}"));
        let (master, slave) = common::pseudo_terminal();
        let file = || std::fs::File::from(slave.try_clone().unwrap());
        let (mut shell, copy, uid) = if as_65534 {
            let ids = (
                Some(rustix::process::Uid::from_raw(65534)),
                Some(rustix::process::Gid::from_raw(65534)),
            );
            rustix::fs::fchown(&slave, ids.0, ids.1).unwrap();
            let mut setpriv = common::as_uid_65534();
            setpriv.arg(PYTHON);
            (
                setpriv,
                Some(common::unprivileged_copy_of_this_binary()),
                65534,
            )
        } else {
            let uid = rustix::process::getuid().as_raw();
            (std::process::Command::new(PYTHON), None, uid)
        };
        let program = match &copy {
            Some(copy) => copy.to_path_buf(),
            None => std::env::current_exe().unwrap(),
        };
        let shell = shell
            .arg("-c")
            .arg(SHELL)
            .arg(program)
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
            uid,
            _copy: copy,
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
            if Instant::now() > deadline {
                let shown = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
                panic!("the node never ran; the terminal showed:\n{shown}");
            }
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

/// The errno of `TIOCSTI` on a terminal that is not the caller's
/// controlling terminal, for a caller without `CAP_SYS_ADMIN`: EPERM, or
/// EIO where `dev.tty.legacy_tiocsti` is 0 (no such caller may use it).
fn tiocsti_refused() -> i32 {
    match std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti") {
        Ok(value) if value.trim() == "0" => libc::EIO,
        _ => libc::EPERM,
    }
}

/// The node (uid `node_uid` as it sees itself) cannot open `/dev/tty`
/// (ENXIO: it has no controlling terminal), nor make itself the foreground
/// of the terminal it was given as stderr (ENOTTY) or type into it
/// (`tiocsti_refused`): not its controlling terminal. The rest as
/// [`holds_against`], the node writing nothing.
fn cannot_take_the_terminal(terminal: OnTerminal, node_uid: u32) {
    let refused = format!(
        "uid={node_uid} open=errno {} foreground=errno {} tiocsti=errno {}",
        libc::ENXIO,
        libc::ENOTTY,
        tiocsti_refused()
    );
    holds_against(terminal, &refused, false);
}

/// The node said `expected` of its attacks. The terminal's foreground stays
/// the application's, which keeps running (no SIGTTOU stop) and alone gets
/// the Ctrl-C typed on the terminal; nothing the node types reaches the
/// terminal, and what it writes does only where it may (`written`). Every
/// check is made, then every failure reported.
fn holds_against(terminal: OnTerminal, expected: &str, written: bool) {
    let node = terminal.node_done();
    let app = terminal.app_pid();
    let beat = read_number(&terminal.file("heartbeat"));
    let mut wrong = Vec::new();
    if node != expected {
        wrong.push(format!(
            "the node's attacks gave {node:?}, not {expected:?}"
        ));
    }
    let foreground = rustix::termios::tcgetpgrp(&terminal.master).map(|p| p.as_raw_nonzero().get());
    if foreground != Ok(app) {
        wrong.push(format!(
            "the terminal's foreground is {foreground:?}, not the application's group {app}"
        ));
    }
    // A stopped application never beats again; a loaded machine may only
    // beat late, so wait for the next beat rather than sample one window.
    let deadline = Instant::now() + Duration::from_secs(5);
    let beat_again = loop {
        if read_number(&terminal.file("heartbeat")) > beat {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !beat_again {
        wrong.push("the application stopped".to_owned());
    }
    std::fs::File::from(terminal.master.try_clone().unwrap())
        .write_all(b"\x03")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !terminal.file("app-sigint").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The node would have been sent it at the same moment.
    std::thread::sleep(Duration::from_millis(300));
    if !terminal.file("app-sigint").exists() {
        wrong.push("Ctrl-C did not reach the application".to_owned());
    }
    if terminal.file("node-sigint").exists() {
        wrong.push("Ctrl-C reached the node".to_owned());
    }
    let shown = String::from_utf8_lossy(&terminal.screen.lock().unwrap()).into_owned();
    if shown.contains("INJECTED") {
        wrong.push("the node typed into the terminal".to_owned());
    }
    match (shown.contains("WRITTEN-BY-NODE"), written) {
        (true, false) => wrong.push("the node's write reached the terminal".to_owned()),
        (false, true) => wrong.push("the node's write never showed".to_owned()),
        _ => {}
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A node dropped to uid 65534 under a root application, against the
/// application's terminal.
#[test]
fn a_dropped_node_cannot_take_the_applications_terminal() {
    if root_or_skip() {
        cannot_take_the_terminal(OnTerminal::start("dropped"), 65534);
    }
}

/// A node root in a user + pid scope under a root application, against the
/// application's terminal.
#[test]
fn a_user_scope_node_cannot_take_the_applications_terminal() {
    if root_or_skip() {
        // Root in its scope.
        cannot_take_the_terminal(OnTerminal::start("scope"), 0);
    }
}

/// A plain node of an unprivileged application — the same uid, no drop,
/// no scope — on the application's terminal: only its session keeps it
/// from `/dev/tty`, the foreground and `TIOCSTI`, and from the Ctrl-C.
/// The application runs as uid 65534 (as root), else as the test's user.
#[test]
fn a_plain_node_cannot_take_an_unprivileged_applications_terminal() {
    let terminal = OnTerminal::start_unprivileged("plain");
    let uid = terminal.uid;
    cannot_take_the_terminal(terminal, uid);
}

/// A node root in a user + pid scope, on a terminal of its own, under a
/// root application: the scope is a drawn uid outside, so the
/// application's terminal (root's, mode 0620) does not open.
#[test]
fn a_scoped_node_on_its_own_terminal_cannot_open_a_root_applications_terminal() {
    if root_or_skip() {
        let terminal = OnTerminal::start("scope-own-terminal");
        holds_against(
            terminal,
            &format!("uid=0 own=ok open=errno {}", libc::EACCES),
            false,
        );
    }
}

/// A node root in a user + pid scope, on a terminal of its own, under an
/// unprivileged application (uid 65534 as root, else the test's user):
/// the scope is the application's uid outside, so the application's
/// terminal opens, takes what it writes, lets it read and change its
/// settings (README, "A node on a terminal"), but the node cannot type
/// into it, take its foreground
/// (ENOTTY: not its controlling terminal), or, having given up its own
/// terminal, steal it (EPERM: the terminal is another session's).
#[test]
fn a_scoped_node_on_its_own_terminal_only_writes_to_an_unprivileged_applications_terminal() {
    if !common::user_namespaces_available() {
        return;
    }
    let terminal = OnTerminal::start_unprivileged("scope-own-terminal");
    let expected = format!(
        "uid=0 own=ok open=ok write=ok read=errno {} settings=ok tiocsti=errno {} foreground=errno {} own-given-up=ok steal=errno {}",
        libc::EAGAIN,
        tiocsti_refused(),
        libc::ENOTTY,
        libc::EPERM
    );
    holds_against(terminal, &expected, true);
}

/// The node types Ctrl-C (`TIOCSTI`) through `/dev/tty` and through the
/// terminal it was given as stderr: refused both ways (ENXIO, then
/// [`tiocsti_refused`]: not its controlling terminal), so the application
/// is not interrupted.
fn cannot_type_ctrl_c(terminal: OnTerminal) {
    let node = terminal.node_done();
    std::thread::sleep(Duration::from_millis(500));
    let interrupted = terminal.file("app-sigint").exists();
    let status = std::fs::read_to_string(terminal.file("app-status")).ok();
    let refused = format!(
        "/dev/tty=errno {} stderr=errno {}",
        libc::ENXIO,
        tiocsti_refused()
    );
    assert_eq!(
        (node.as_str(), interrupted, status),
        (refused.as_str(), false, None),
        "the node's attacks, whether the application got SIGINT, how it ended"
    );
}

/// A node dropped to uid 65534 types Ctrl-C to its root application.
#[test]
fn a_dropped_node_cannot_type_ctrl_c_to_the_application() {
    if root_or_skip() {
        cannot_type_ctrl_c(OnTerminal::start("dropped-ctrl-c"));
    }
}

/// A plain node of an unprivileged application (uid 65534 as root, else
/// the test's user) types Ctrl-C to it: only its session stops it.
#[test]
fn a_plain_node_cannot_type_ctrl_c_to_an_unprivileged_application() {
    cannot_type_ctrl_c(OnTerminal::start_unprivileged("plain-ctrl-c"));
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
        added.node("hostile", common::dropped_to_65534(command));
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
