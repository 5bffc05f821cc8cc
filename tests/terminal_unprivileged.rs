//! `Terminal::attach` under a hostile node, with the application as root
//! and as uid 65534 (the node then of the same uid, so signals and
//! `ptrace` are out of this test's reach: the threat model lets such a node
//! signal the application anyway). What a node on a terminal of its own
//! can still do to an attached application is through what it writes and
//! how it sets its own terminal: it puts its terminal in raw mode, floods
//! it without end, and its output carries the detach key's byte and
//! terminal control sequences. The detach key the user types must still
//! come back at once — not the node's byte, not later than typed — with the
//! user's terminal out of raw mode again, and the graph then stops with
//! nothing left.
//!
//! The application's terminal is a pseudo-terminal the test opens and
//! holds the master of (`common::pseudo_terminal`); the test reads it all
//! along, as a terminal emulator would.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph};

const APPLICATION: &str = "PG_TEST_TERMINAL_UNPRIVILEGED_APP";
const DIR: &str = "PG_TEST_TERMINAL_UNPRIVILEGED_DIR";

/// The hostile node: raw mode, then output without end, carrying Ctrl-]
/// (the detach key), clear-screen and a cursor-position query.
const FLOODS: &str = r"stty raw -echo; echo HOSTILE-READY; while :; do printf 'flood \035 \033[2J\033[6n \003\n'; done";

/// The application: attaches its terminal to the hostile node; once back,
/// says how, whether the user had typed the key by then (the test notes
/// `typed` just before it types), and whether its terminal is canonical
/// again; then stops the graph and checks nothing is left.
#[test]
#[ignore = "run by an_attached_node_that_floods_its_terminal_cannot_keep_or_fake_the_detach_key"]
fn attached_application() {
    let Some(dir) = std::env::var_os(DIR).map(PathBuf::from) else {
        common::skip("an application of another test, run only by it");
        return;
    };
    let marker = common::unique_marker("terminal-unprivileged");
    let mut graph = Graph::new();
    let node = graph.node(
        "hostile",
        common::marked(Command::new("sh"), &marker)
            .args(["-c", FLOODS])
            .terminal(),
    );
    let mut running = graph.spawn().unwrap();
    let mut terminal = running.take_terminal(node).unwrap();
    let attached = Instant::now();
    let detached = terminal.attach(0x1d);
    let typed = dir.join("typed").exists();
    let canonical = rustix::termios::tcgetattr(std::io::stdin())
        .unwrap()
        .local_modes
        .contains(rustix::termios::LocalModes::ICANON);
    let report = running.shutdown(Duration::from_secs(2)).unwrap();
    drop((running, terminal));
    common::assert_all_exit(&common::live_marked_processes(&marker), "left");
    println!(
        "\r\nverdict: detached {detached:?} typed {typed} canonical {canonical} after {:?} {report}",
        attached.elapsed()
    );
}

/// Reads the master until `want` has shown, keeping the screen.
fn wait_for(screen: &Mutex<Vec<u8>>, want: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let text = String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
        if text.contains(want) {
            return text;
        }
        let tail = &text[text.len().saturating_sub(2000)..];
        assert!(
            Instant::now() < deadline,
            "no {want:?} on the terminal:\n{tail}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(as_nobody: bool) {
    let dir = common::TempDir::writable_by_scopes("terminal_unprivileged");
    let copy = common::unprivileged_copy_of_this_binary();
    let (master, slave) = common::pseudo_terminal();
    let mut command = if as_nobody {
        let mut c = common::as_uid_65534();
        c.arg(&*copy);
        c
    } else {
        std::process::Command::new(&*copy)
    };
    let mut application = command
        .args(common::ignored_test_args("attached_application"))
        .env(DIR, dir.path())
        .env(APPLICATION, "1")
        .current_dir("/")
        .stdin(std::fs::File::from(slave.try_clone().unwrap()))
        .stdout(std::fs::File::from(slave))
        .spawn()
        .unwrap();
    let mut outer = std::fs::File::from(master);
    // The terminal emulator: reads all along, keeps the last 64 KiB, and
    // notes once the node has said it is ready (the flood follows at once).
    let screen = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(AtomicBool::new(false));
    let mut reader = outer.try_clone().unwrap();
    let (seen, seen_ready) = (screen.clone(), ready.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            let mut seen = seen.lock().unwrap();
            seen.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&seen).contains("HOSTILE-READY") {
                seen_ready.store(true, Ordering::Relaxed);
            }
            let excess = seen.len().saturating_sub(64 * 1024);
            seen.drain(..excess);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.load(Ordering::Relaxed) {
        let text = String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
        assert!(
            !text.contains("verdict: ") && Instant::now() < deadline,
            "the node did not start, or the application came back at once:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    wait_for(&screen, "flood", Duration::from_secs(10));
    // Flooded for a moment, with its Ctrl-] bytes, and still attached.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        application.try_wait().unwrap().is_none(),
        "the application ended while attached"
    );
    std::fs::write(dir.path().join("typed"), "").unwrap();
    let typed = Instant::now();
    outer.write_all(b"keys\x1d").unwrap();
    let text = wait_for(&screen, "verdict: ", Duration::from_secs(10));
    let back = typed.elapsed();
    let verdict = text[text.rfind("verdict: ").unwrap()..]
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        verdict.starts_with("verdict: detached Ok(Key) typed true canonical true"),
        "as {}: {verdict}",
        if as_nobody { "uid 65534" } else { "root" }
    );
    assert!(
        back < Duration::from_secs(5),
        "the detach key took {back:?} under the flood"
    );
    let status = application.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// As root, and as uid 65534 (root starts that application with
/// `setpriv`; as another user, only as that user).
#[test]
fn an_attached_node_that_floods_its_terminal_cannot_keep_or_fake_the_detach_key() {
    let _turn = common::serial();
    run(false);
    if common::real_root() {
        run(true);
    } else {
        common::skip("not root: the run as uid 65534 needs setpriv as root");
    }
}
