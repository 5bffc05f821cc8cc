//! A hostile node that may write its log's directory (a service user's own
//! log directory) attacks the rotating file sink: it floods its stdout so
//! that the file rotates all the time, while a thread of it puts a symbolic
//! link, a dangling one, a hard link or a FIFO at the log's name whenever
//! the name is free, that is between a rotation's rename and the new file's
//! creation. The application must not write through any of them, create
//! the dangling link's target, or block its output thread (a polite node's
//! lines must keep coming, and the graph must stop). As root, with the node
//! dropped to uid 65534; then as uid 65534, with the node as itself.

mod common;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, RotatingFile, Signal, Sink, Stdio};

/// The attack the hostile node makes: one of [`ATTACKS`].
const ATTACK: &str = "PG_TEST_LOG_ATTACK";
/// The log's path, and where its links point.
const LOG: &str = "PG_TEST_LOG_PATH";
const TARGET: &str = "PG_TEST_LOG_TARGET";

const ATTACKS: [&str; 4] = ["symlink", "dangling", "hardlink", "fifo"];

/// Placements of the node's entry that the graph must have survived.
const PLACEMENTS: u32 = 3;
const ATTACK_LIMIT: Duration = Duration::from_secs(30);
/// How soon the polite node's lines must flow again once the hostile node is
/// stopped (it writes one every 20 ms).
const FORWARDING_LIMIT: Duration = Duration::from_secs(5);

#[test]
fn a_node_that_owns_its_log_directory_cannot_redirect_or_block_its_log() {
    common::as_root_and_unprivileged(
        "a_node_that_owns_its_log_directory_cannot_redirect_or_block_its_log",
        || {
            let binary = common::unprivileged_copy_of_this_binary();
            for attack in ATTACKS {
                attack_the_log(&binary, attack);
            }
        },
    );
}

fn attack_the_log(binary: &Path, attack: &'static str) {
    let root = common::real_root();
    let base = common::TempDir::new(&format!("log-{attack}"));
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The node's own log directory; the application's file, which only the
    // application may write; a directory only the application may enter.
    let logs = base.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    if root {
        std::os::unix::fs::chown(&logs, Some(65534), Some(65534)).unwrap();
    }
    let private = base.path().join("private");
    std::fs::write(&private, "the application's\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let closed = base.path().join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let created = closed.join("created");
    let target = if attack == "dangling" {
        &created
    } else {
        &private
    };
    if attack == "hardlink" && root && protected_hardlinks() {
        common::skip(
            "hardlink: fs.protected_hardlinks is on, so uid 65534 cannot link the \
             application's file at all; the other attacks still run",
        );
        return;
    }

    let log = logs.join("app.log");
    let mut hostile = Command::new(binary)
        .args(["--exact", "hostile_log_writer", "--ignored", "--nocapture"])
        .env(ATTACK, attack)
        .env(LOG, &log)
        .env(TARGET, target)
        .stdout(Stdio::Sink(Sink::file(
            RotatingFile::new(&log).max_bytes(256).keep(1),
        )));
    if root {
        hostile = hostile.uid(65534).gid(65534);
    }
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    let polite = Command::new("sh")
        .args(["-c", "while :; do echo tick; sleep 0.02; done"])
        .stdout(Stdio::Sink(Sink::callback(move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
        })));
    let placed_file = logs.join("placed");
    let (placed, forwarding) = common::within(
        ATTACK_LIMIT + Duration::from_secs(30),
        &format!("the {attack} attack on the log"),
        move || {
            let mut graph = Graph::new();
            let hostile = graph.node("hostile", hostile);
            graph.node("polite", polite);
            let running = graph.spawn().expect("the graph starts");
            let deadline = Instant::now() + ATTACK_LIMIT;
            let mut placed = 0;
            while placed < PLACEMENTS && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
                placed = std::fs::read_to_string(&placed_file)
                    .ok()
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0);
            }
            // The flood (and the CPU it takes) stops; an output thread left
            // blocked in an `open` stays so, and forwards nothing more.
            running.signal(hostile, Signal::STOP).unwrap();
            let before = ticks.load(Ordering::Relaxed);
            let until = Instant::now() + FORWARDING_LIMIT;
            while ticks.load(Ordering::Relaxed) < before + 5 && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            let forwarding = ticks.load(Ordering::Relaxed) >= before + 5;
            let _ = running.signal(hostile, Signal::CONT);
            drop(running);
            (placed, forwarding)
        },
    );

    assert_eq!(
        std::fs::read_to_string(&private).unwrap(),
        "the application's\n",
        "{attack}: the application wrote the node's lines into its own file"
    );
    assert!(
        !created.exists(),
        "{attack}: the application created the dangling link's target"
    );
    assert!(
        forwarding,
        "{attack}: the output thread forwarded fewer than 5 of the polite node's \
         lines in {FORWARDING_LIMIT:?} once the hostile node was stopped: it is blocked"
    );
    // Else the node never found the name free, and nothing was tried.
    assert!(
        placed >= PLACEMENTS,
        "{attack}: the node put its entry at the log's name {placed} times in \
         {ATTACK_LIMIT:?}, not {PLACEMENTS}"
    );
}

/// The node makes a directory, with something in it, where the first
/// rotated file goes, so that no rotation can rename the log away: the log
/// must still stay within its size (cut in place), not grow with the node's
/// output. As root with the node at uid 65534, and as uid 65534.
#[test]
fn a_node_that_blocks_rotation_cannot_grow_its_log_past_its_limit() {
    common::as_root_and_unprivileged(
        "a_node_that_blocks_rotation_cannot_grow_its_log_past_its_limit",
        || {
            let base = common::TempDir::new("log-blocked");
            let logs = base.path().join("logs");
            std::fs::create_dir(&logs).unwrap();
            let mut node = Command::new("sh")
                .args([
                    "-c",
                    "mkdir -p app.log.1/x app.log.2/x && yes 0123456789 | head -c 200000",
                ])
                .current_dir(&logs)
                .stdout(Stdio::Sink(Sink::file(
                    RotatingFile::new(logs.join("app.log"))
                        .max_bytes(1000)
                        .keep(2),
                )));
            if common::real_root() {
                std::os::unix::fs::chown(&logs, Some(65534), Some(65534)).unwrap();
                node = node.uid(65534).gid(65534);
            }
            let mut graph = Graph::new();
            graph.node("blocker", node);
            let mut running = graph.spawn().unwrap();
            assert!(running.wait().unwrap().success());
            drop(running);
            assert!(
                logs.join("app.log.1/x").is_dir(),
                "the node blocked rotation"
            );
            let size = std::fs::metadata(logs.join("app.log")).unwrap().len();
            assert!(size <= 1000, "the log grew to {size} bytes, past its 1000");
        },
    );
}

/// Whether the kernel refuses to link a file its linker does not own.
fn protected_hardlinks() -> bool {
    std::fs::read_to_string("/proc/sys/fs/protected_hardlinks").is_ok_and(|v| v.trim() != "0")
}

/// The hostile node: a thread puts its entry at the log's name whenever the
/// name is free, counting its successes in `placed` beside the log, while
/// the main thread floods stdout (written directly: libtest captures only
/// `print!`).
#[test]
#[ignore = "the hostile node of the test above"]
fn hostile_log_writer() {
    let (Some(attack), Some(log), Some(target)) = (
        std::env::var(ATTACK).ok(),
        std::env::var_os(LOG).map(PathBuf::from),
        std::env::var_os(TARGET).map(PathBuf::from),
    ) else {
        return; // Only meaningful as a node.
    };
    let placed_file = log.with_file_name("placed");
    std::thread::spawn(move || {
        let mut placed = 0u32;
        loop {
            let made = match attack.as_str() {
                "symlink" | "dangling" => std::os::unix::fs::symlink(&target, &log),
                "hardlink" => std::fs::hard_link(&target, &log),
                _ => rustix::fs::mkfifoat(
                    rustix::fs::CWD,
                    &log,
                    rustix::fs::Mode::from_raw_mode(0o666),
                )
                .map_err(std::io::Error::from),
            };
            if made.is_ok() {
                placed += 1;
                let _ = std::fs::write(&placed_file, placed.to_string());
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    for n in 0u64.. {
        if writeln!(stdout, "line {n} of the hostile node").is_err() {
            return;
        }
    }
}
