//! A rotating log file on a full disk: the node is never blocked, no line
//! is split, the lines that could not be written are counted, and the count
//! is written as soon as there is room again.
//!
//! The disk is a 1 MiB tmpfs, mounted in a user and mount namespace of this
//! test's own (so it runs unprivileged too): this test has its own `main`
//! (`harness = false`) because `unshare(CLONE_NEWUSER)` needs a process
//! with a single thread.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, RotatingFile, Sink, Stdio};

const TEST: &str = "a_full_disk_drops_and_counts_lines_and_never_blocks_the_node";

fn main() {
    if let Err(reason) = private_tmpfs() {
        assert!(!common::in_ci(), "CI must not skip: {reason}");
        common::skip(&reason);
        println!("test {TEST} ... ok (skipped)");
        return;
    }
    a_full_disk_drops_and_counts_lines_and_never_blocks_the_node();
    println!("test {TEST} ... ok");
    println!("1 passed; 0 failed");
}

/// Where the tmpfs is mounted, inside this process's mount namespace.
const DISK: &str = "/tmp";

/// Enters a user and mount namespace of its own and mounts a 1 MiB tmpfs
/// on [`DISK`].
fn private_tmpfs() -> Result<(), String> {
    let (uid, gid) = (rustix::process::getuid(), rustix::process::getgid());
    // SAFETY: plain syscalls on this single-threaded process; every pointer
    // is a NUL-terminated literal or null.
    unsafe {
        if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
            return Err(format!(
                "unshare(CLONE_NEWUSER | CLONE_NEWNS): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    let write = |file: &str, text: String| {
        std::fs::write(file, text).map_err(|e| format!("write {file}: {e}"))
    };
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("0 {} 1", uid.as_raw()))?;
    write("/proc/self/gid_map", format!("0 {} 1", gid.as_raw()))?;
    // SAFETY: as above.
    let mounted = unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) == 0
            && libc::mount(
                c"tmpfs".as_ptr(),
                c"/tmp".as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                c"size=1m".as_ptr().cast(),
            ) == 0
    };
    if !mounted {
        return Err(format!(
            "mount a tmpfs: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn a_full_disk_drops_and_counts_lines_and_never_blocks_the_node() {
    let disk = std::path::Path::new(DISK);
    // Leave about 100 KiB free.
    let filler = disk.join("filler");
    let mut fill = std::fs::File::create(&filler).unwrap();
    fill.write_all(&vec![0; 900 * 1024]).unwrap();
    drop(fill);
    let log = disk.join("node.log");
    // Phase one writes 50,000 lines (289 KiB) into the ~100 KiB left, says
    // so on stderr, waits for the test to make room, then writes 10,000
    // lines more.
    let said: Arc<Mutex<Vec<String>>> = Arc::default();
    let said_by = Arc::clone(&said);
    let mut graph = Graph::new();
    let node = graph.node(
        "writer",
        Command::new("sh")
            .args([
                "-c",
                "seq 1 50000; echo filled >&2; read go; seq 50001 60000",
            ])
            .stdout(Stdio::Sink(Sink::file(
                RotatingFile::new(&log).max_bytes(1 << 30).keep(1000),
            )))
            .stderr(Stdio::Sink(Sink::callback(move |line| {
                said_by.lock().unwrap().push(line.text_lossy().into_owned());
            }))),
    );
    let go = graph.pipe(Endpoint::Parent, node.stdin());
    let mut running = graph.spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while said.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "phase one blocked");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The node wrote its last line of phase one before it said so; give
    // the output thread time to take them from the pipe.
    std::thread::sleep(Duration::from_secs(1));
    std::fs::remove_file(&filler).unwrap();
    running.take_writer(go).unwrap().write_all(b"go\n").unwrap();
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");

    let mut files: Vec<_> = std::fs::read_dir(disk)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let age = |p: &std::path::PathBuf| {
        p.extension()
            .and_then(|e| e.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    };
    files.sort_by_key(|p| std::cmp::Reverse(age(p)));
    let mut numbers = Vec::new();
    let mut lost = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{} ends on a whole line",
            file.display()
        );
        for line in text.lines() {
            match line.strip_prefix("process-graph: ") {
                Some(notice) => {
                    let (count, why) = notice.split_once(" lines lost: ").unwrap();
                    assert!(why.contains("os error 28"), "{line}");
                    lost += count.parse::<u64>().unwrap();
                }
                None => numbers.push(
                    line.parse::<u64>()
                        .unwrap_or_else(|_| panic!("a split line: {line:?}")),
                ),
            }
        }
    }
    assert!(lost > 0, "the disk filled up: lines were lost");
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "in order, none twice"
    );
    assert_eq!(
        numbers.last(),
        Some(&60_000),
        "the lines after the room came back are all there"
    );
    assert_eq!(
        numbers.len() as u64 + lost,
        60_000,
        "every line is written or counted"
    );
}
