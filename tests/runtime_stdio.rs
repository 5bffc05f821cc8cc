//! Stdio defaults: `Prefixed` forwards each line to the parent's own stream
//! with a `[node] ` prefix, control characters written out so that a node
//! cannot drive the application's terminal; `Null` connects a stream to
//! /dev/null.
//!
//! The forwarder writes to the real fds 1 and 2, which the test harness does
//! not capture, so the prefixed graph runs in a second copy of this test
//! binary whose output this test reads.

mod common;

use std::time::Duration;

use process_graph_runtime::{Command, Endpoint, Graph, Sink, Stdio, Timestamps};

/// Set in the copy of this binary that runs the graph.
const HELPER_VAR: &str = "PROCESS_GRAPH_TEST_PREFIXED_HELPER";

/// Runs the prefixed graph when this binary was started by
/// [`prefixed_lines_reach_the_parent_streams`]; ignored in a normal run.
#[test]
#[ignore = "run in a copy of this binary by prefixed_lines_reach_the_parent_streams"]
fn prefixed_graph_helper() {
    if std::env::var_os(HELPER_VAR).is_none() {
        return;
    }
    let mut graph = Graph::new();
    graph.node(
        "talker",
        Command::new("sh")
            .args([
                "-c",
                "printf 'hello\\nworld\\n'; printf 'oops\\n' >&2; printf partial",
            ])
            .stdout(Stdio::Prefixed)
            .stderr(Stdio::Prefixed),
    );
    graph.node(
        "wall",
        Command::new("echo")
            .arg("stamped")
            .stdout(Stdio::Sink(Sink::prefixed(Some(Timestamps::Rfc3339)))),
    );
    graph.node(
        "mono",
        Command::new("echo")
            .arg("counted")
            .stdout(Stdio::Sink(Sink::prefixed(Some(Timestamps::SinceStart)))),
    );
    // A hostile node: erases its own prefix and forges a line of another
    // node, retitles the terminal, and asks it for its cursor position (the
    // terminal would type the answer into the application's input).
    graph.node(
        "evil",
        Command::new("printf")
            .arg(r"\033[2K\r[talker] forged\n\033]0;pwned\007\033[6n\n")
            .stdout(Stdio::Prefixed),
    );
    graph.node(
        "silent",
        Command::new("sh")
            .args(["-c", "echo should-not-appear; echo should-not-appear >&2"])
            .stdout(Stdio::Null)
            .stderr(Stdio::Null),
    );
    let report = graph.spawn().unwrap().wait().unwrap();
    assert!(report.success(), "{report}");
}

#[test]
fn prefixed_lines_reach_the_parent_streams() {
    common::as_root_and_unprivileged("prefixed_lines_reach_the_parent_streams", || {
        let (stdout, stderr) =
            common::run_ignored_test("prefixed_graph_helper", &[(HELPER_VAR, "1")]);
        // The harness prints "test prefixed_graph_helper ... " without a
        // newline, so the first line may share its line with that.
        assert!(
            stdout.contains("[talker] hello\n[talker] world\n"),
            "stdout:\n{stdout}"
        );
        // The final line had no newline: it is flushed as a line of its own.
        assert!(stdout.contains("\n[talker] partial\n"), "stdout:\n{stdout}");
        assert!(stderr.contains("[talker] oops\n"), "stderr:\n{stderr}");
        assert!(
            !stdout.contains("oops"),
            "stderr stays on stderr:\n{stdout}"
        );
        assert_timestamped(&stdout);
        // Every control character reaches the application's stream written out.
        assert!(
            stdout.contains("[evil] \\x1b[2K\\x0d[talker] forged\n")
                && stdout.contains("[evil] \\x1b]0;pwned\\x07\\x1b[6n\n"),
            "stdout:\n{stdout}"
        );
        assert!(
            !stdout.contains(['\x1b', '\r', '\x07']),
            "a control character reached the application's stream:\n{stdout:?}"
        );
        assert!(
            !stdout.contains("should-not-appear") && !stderr.contains("should-not-appear"),
            "Stdio::Null output leaked:\n{stdout}\n{stderr}"
        );
    });
}

#[test]
fn null_stdin_reads_as_empty() {
    let text = common::within(Duration::from_secs(30), "cat on /dev/null", || {
        let mut graph = Graph::new();
        let cat = graph.node("cat", Command::new("cat").stdin(Stdio::Null));
        let out = graph.pipe(cat.stdout(), Endpoint::Parent);
        let mut running = graph.spawn().unwrap();
        let text = common::read_to_end(&mut running, out);
        assert!(running.wait().unwrap().success());
        text
    });
    assert_eq!(text, "");
}

/// The wall-clock line reads `YYYY-MM-DDTHH:MM:SS.ffffffZ [wall] stamped`,
/// today's date; the monotonic one `+S.ffffff [mono] counted`, a few
/// seconds at most after the graph started.
fn assert_timestamped(stdout: &str) {
    let line = |suffix: &str| {
        stdout
            .lines()
            .find(|l| l.ends_with(suffix))
            .unwrap_or_else(|| panic!("no line ending {suffix:?} in:\n{stdout}"))
            .rsplit_once(' ')
            .unwrap()
            .0
            .rsplit_once(' ')
            .unwrap()
            .0
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let wall = line(" [wall] stamped");
    let shape: String = wall
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99.999999Z", "{wall}");
    let today = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    let today = String::from_utf8(today.stdout).unwrap();
    assert!(wall.starts_with(today.trim()), "{wall} is today, {today}");
    let mono = line(" [mono] counted");
    let seconds: f64 = mono.strip_prefix('+').unwrap().parse().unwrap();
    assert!((0.0..60.0).contains(&seconds), "{mono}");
    assert_eq!(mono.split_once('.').unwrap().1.len(), 6, "{mono}");
}
