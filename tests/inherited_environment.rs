//! The application's environment reaches its nodes byte for byte, odd
//! entries included: only names the user sets on a command are checked.
//!
//! The test re-runs itself as an application whose environment holds entries
//! no `std::env::set_var` would make (`=weird=1`, names with `=` or bytes
//! that are not UTF-8), as a shell or a container runtime may hand them
//! down. One such entry used to make every spawn fail with `Error::Command`.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command as StdCommand;

use process_graph_runtime::{Command, Endpoint, Graph};

/// Set in the environment of the re-run application.
const APPLICATION: &str = "PROCESS_GRAPH_TEST_ENV_APPLICATION";

/// Entries as `execve` sees them: everything up to the first `=` after the
/// first byte is the name (glibc's and std's reading).
const ODD_ENTRIES: [&[u8]; 5] = [
    b"=weird=1",
    b"==double",
    b"A==b",
    b"name with spaces=and value",
    b"\xff\xfe=\x80 not utf-8",
];

/// Splits an entry the way `std::env::vars_os` does.
fn name_and_value(entry: &[u8]) -> (&OsStr, &OsStr) {
    let at = 1 + entry[1..].iter().position(|&b| b == b'=').unwrap();
    (
        OsStr::from_bytes(&entry[..at]),
        OsStr::from_bytes(&entry[at + 1..]),
    )
}

#[test]
fn inherited_entries_reach_the_node_byte_for_byte() {
    if std::env::var_os(APPLICATION).is_some() {
        return application();
    }
    let mut app = StdCommand::new(std::env::current_exe().unwrap());
    app.args([
        "--exact",
        "inherited_entries_reach_the_node_byte_for_byte",
        "--nocapture",
        "--test-threads=1",
    ])
    .env_clear()
    .env(APPLICATION, "1")
    .env("PATH", std::env::var_os("PATH").unwrap());
    for entry in ODD_ENTRIES {
        let (name, value) = name_and_value(entry);
        app.env(name, value);
    }
    let output = app.output().expect("the test binary runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("1 passed"),
        "the application with odd entries in its environment:\n{text}\n{errors}"
    );
}

/// The re-run: checks that it holds the odd entries, spawns a node with a
/// variable of its own set too, and compares the node's environment.
fn application() {
    let own = std::fs::read("/proc/self/environ").unwrap();
    let own: Vec<&[u8]> = own.split(|&b| b == 0).collect();
    for entry in ODD_ENTRIES {
        assert!(own.contains(&entry), "precondition: {entry:?} in {own:?}");
    }
    let mut graph = Graph::new();
    let cat = graph.node(
        "cat",
        Command::new("cat")
            .arg("/proc/self/environ")
            .env("SET_BY_THE_USER", "1"),
    );
    let out = graph.pipe(cat.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().expect("spawn with odd inherited entries");
    let mut environ = Vec::new();
    std::io::Read::read_to_end(&mut running.take_reader(out).unwrap(), &mut environ).unwrap();
    assert!(running.wait().unwrap().success());
    let entries: Vec<&[u8]> = environ.split(|&b| b == 0).collect();
    for entry in ODD_ENTRIES.iter().chain([&&b"SET_BY_THE_USER=1"[..]]) {
        assert!(
            entries.contains(entry),
            "{:?} did not reach the node: {entries:?}",
            String::from_utf8_lossy(entry)
        );
    }
}
