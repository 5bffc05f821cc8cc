//! Arguments and environment values reach the child byte for byte, with no
//! shell in between; a NUL byte, which `execve` cannot carry, is an error
//! naming the node, and then nothing starts.

mod common;

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use process_graph_runtime::{Command, Endpoint, Error, Graph};

/// Arguments a shell would split, expand or choke on.
fn hostile_arguments() -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "with space",
        "'single quoted'",
        "\"double quoted\"",
        "semi;colon && rm -rf /nonexistent",
        "$(echo substituted)",
        "`echo backticks`",
        "new\nline",
        "",
        "tab\there",
        "back\\slash\\n",
        "*",
        "$HOME",
        "-n",
        "%s%d%%",
        "ünïcödé",
    ]
    .map(OsString::from)
    .into();
    args.push(OsStr::from_bytes(b"not utf-8: \xff\xfe\x80").to_owned());
    args
}

/// Runs `command` with stdout piped to the parent and returns what it wrote.
fn output_of(command: Command) -> Vec<u8> {
    let mut graph = Graph::new();
    let node = graph.node("echo-back", command);
    let out = graph.pipe(node.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().expect("the node starts");
    let mut bytes = Vec::new();
    running
        .take_reader(out)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let report = running.wait().unwrap();
    assert!(report.success(), "{report}");
    bytes
}

/// Splits NUL-terminated records.
fn records(bytes: &[u8]) -> Vec<OsString> {
    let body = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    body.split(|&b| b == 0)
        .map(|r| OsString::from_vec(r.to_vec()))
        .collect()
}

#[test]
fn hostile_arguments_arrive_byte_for_byte() {
    let args = hostile_arguments();
    // The script is fixed; the hostile values are only ever "$@" inside it.
    let command = Command::new("sh")
        .arg("-c")
        .arg(r#"for a in "$@"; do printf '%s\0' "$a"; done"#)
        .arg("sh")
        .args(&args);
    assert_eq!(records(&output_of(command)), args);
}

#[test]
fn environment_values_arrive_byte_for_byte() {
    let values = hostile_arguments();
    let mut command = Command::new("env").arg("-0").env_clear();
    let mut expected: Vec<OsString> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let key = format!("HOSTILE_{i:02}");
        command = command.env(&key, value);
        let mut entry = OsString::from(format!("{key}="));
        entry.push(value);
        expected.push(entry);
    }
    let mut seen = records(&output_of(command));
    seen.sort();
    expected.sort();
    // env_clear: these variables and nothing else.
    assert_eq!(seen, expected);
}

#[test]
fn environment_is_inherited_with_changes() {
    let inherited = std::env::vars_os()
        .find(|(k, v)| k != "PATH" && !v.is_empty() && !k.as_bytes().contains(&b'='))
        .expect("the test runs with some environment");
    let command = Command::new("env")
        .arg("-0")
        .env_remove("PATH")
        .env("ADDED", "value");
    let seen = records(&output_of(command));
    let mut entry = inherited.0.clone();
    entry.push("=");
    entry.push(&inherited.1);
    assert!(seen.contains(&entry), "{entry:?} is inherited");
    assert!(seen.contains(&OsString::from("ADDED=value")));
    assert!(
        !seen.iter().any(|e| e.as_bytes().starts_with(b"PATH=")),
        "PATH is removed"
    );
}

/// A graph whose first node is fine (tagged with `marker`) and whose second
/// is `bad`; spawning it must fail with a command error naming "bad".
fn assert_nothing_starts(bad: Command, what: &str) {
    let marker = common::unique_marker("nul");
    let mut graph = Graph::new();
    let first = graph.node(
        "first",
        common::marked(Command::new("sleep").arg("30"), &marker),
    );
    let second = graph.node("bad", common::marked(bad, &marker));
    graph.pipe(first.stdout(), second.stdin());
    match graph.spawn() {
        Err(e @ Error::Command { .. }) => {
            let Error::Command { node, problem } = &e else {
                unreachable!()
            };
            assert_eq!(node, "bad", "{what}");
            assert!(problem.contains("NUL"), "{what}: {problem}");
            assert!(e.to_string().starts_with("node \"bad\": "), "{e}");
        }
        other => panic!("{what}: expected a command error, got {other:?}"),
    }
    let alive = common::live_marked_processes(&marker);
    assert!(alive.is_empty(), "{what}: processes started: {alive:?}");
}

#[test]
fn interior_nul_is_a_command_error_and_nothing_starts() {
    let cases = [
        (Command::new("cat").arg("ok").arg("bad\0arg"), "an argument"),
        (Command::new("cat").env("KEY", "bad\0value"), "an env value"),
        (Command::new("cat").env("BAD\0KEY", "value"), "an env name"),
        (Command::new("ca\0t"), "the program"),
        (
            Command::new("cat").current_dir("/tm\0p"),
            "the working directory",
        ),
    ];
    for (command, what) in cases {
        assert_nothing_starts(command, what);
    }
}
