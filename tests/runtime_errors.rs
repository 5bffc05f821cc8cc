//! Spawn failures are typed: each names the node, the step that failed and
//! the errno, and says so in its message.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

// The tests of this file take turns ([`serial`]). A file just written can
// fail `execve` with ETXTBSY while a child spawned by another thread still
// holds a copy of its write fd (between clone and close_range); no spawn
// may run while a test writes a program.
use common::serial;
use process_graph_runtime::{
    Command, Error, Graph, Namespace, NodeOptions, ScopeSpec, SpawnError, SpawnErrorKind, Step,
};

/// Writes `bytes` to `dir/name` with permission bits `mode`.
fn write_file(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Spawns a graph of `true` followed by `node` running `command`; returns
/// the spawn error, which must name `node`.
fn spawn_error(node: &str, command: Command) -> SpawnError {
    let mut graph = Graph::new();
    graph.node("fine", Command::new("true"));
    graph.node(node, command);
    let error = match graph.spawn() {
        Err(error) => error,
        Ok(_) => panic!("{node:?} started"),
    };
    let report = common::report(&error);
    let Error::Spawn(e) = error else {
        panic!("expected a spawn error for {node:?}, got {error:?}");
    };
    assert_eq!(e.node(), node);
    assert_eq!(e.node_id().index(), 1);
    // `Error` is transparent over the spawn error: its message and source.
    assert_eq!(report, common::report(&e));
    e
}

/// The message names the node, the step and what the step failed on
/// (`path`); the errno's text is its source, printed once in a report.
fn assert_message(e: &SpawnError, step: &str, path: &str) {
    assert_eq!(e.path(), Some(Path::new(path)));
    let failed = format!("node {:?}: {step} {path:?} failed", e.node());
    assert_eq!(e.to_string(), failed);
    assert_eq!(common::report(e), format!("{failed}: {}", e.io_error()));
}

#[test]
fn a_missing_program_is_not_found_at_execve() {
    let _serial = serial();
    for program in ["/nonexistent/program", "no-such-program-on-path"] {
        // A `PATH` of searchable directories: one the uid may not search
        // (a root's `/root/.cargo/bin` left to uid 65534) makes the search
        // fail with EACCES, as `execvp` does.
        let command = Command::new(program).env("PATH", "/usr/local/bin:/usr/bin:/bin");
        let e = spawn_error("missing", command);
        assert_eq!(e.step(), Step::Execve);
        assert_eq!(e.errno(), libc::ENOENT);
        assert_eq!(e.kind(), SpawnErrorKind::NotFound);
        // A name searched for in several directories is named as given.
        assert_message(&e, "execve of", program);
    }
}

#[test]
fn a_file_without_execute_permission_is_permission_denied() {
    let _serial = serial();
    let dir = common::TempDir::new("no-exec-bit");
    let script = write_file(dir.path(), "script", b"#!/bin/sh\nexit 0\n", 0o644);
    // Root bypasses read and write checks, but execve still wants an x bit.
    let by_path = spawn_error("locked", Command::new(&script));
    let by_search = spawn_error("locked", Command::new("script").env("PATH", dir.path()));
    // PATH holds one directory: the one path tried is named.
    for (e, named) in [(by_path, &script), (by_search, &script)] {
        assert_eq!(e.step(), Step::Execve);
        assert_eq!(e.errno(), libc::EACCES);
        assert_eq!(e.kind(), SpawnErrorKind::PermissionDenied);
        assert_message(&e, "execve of", named.to_str().unwrap());
    }
}

#[test]
fn an_executable_file_of_garbage_is_not_executable() {
    let _serial = serial();
    let dir = common::TempDir::new("garbage");
    // Neither ELF nor `#!`: the kernel has no loader for it.
    let garbage = write_file(dir.path(), "garbage", b"\x00\x01\x02garbage\xff\xfe", 0o755);
    let e = spawn_error("garbage", Command::new(&garbage));
    assert_eq!(e.step(), Step::Execve);
    assert_eq!(e.errno(), libc::ENOEXEC);
    assert_eq!(e.kind(), SpawnErrorKind::NotExecutable);
    assert_message(&e, "execve of", garbage.to_str().unwrap());
}

#[test]
fn a_bad_working_directory_fails_at_chdir() {
    let _serial = serial();
    let e = spawn_error("lost", Command::new("true").current_dir("/nonexistent/dir"));
    assert_eq!(e.step(), Step::Chdir);
    assert_eq!(e.errno(), libc::ENOENT);
    assert_eq!(e.kind(), SpawnErrorKind::BadWorkingDirectory);
    assert_message(&e, "chdir to", "/nonexistent/dir");
}

/// A node in a scope is started by the runtime's carried program, which
/// reports the failed step: the message names the program and the
/// directory all the same.
#[test]
fn a_scoped_nodes_failed_start_names_its_program_and_directory() {
    let _serial = serial();
    common::as_root_and_unprivileged(
        "a_scoped_nodes_failed_start_names_its_program_and_directory",
        || {
            let scoped = |command: Command| {
                let mut graph = Graph::new();
                let scope = graph.scope("box", ScopeSpec::new([Namespace::User]));
                graph.node_with("boxed", command, NodeOptions::new().scope(scope));
                match graph.spawn() {
                    Err(Error::Spawn(e)) => e,
                    other => panic!("expected a spawn error, got {other:?}"),
                }
            };
            let e = scoped(Command::new("/nonexistent/program"));
            assert_eq!(e.step(), Step::Execve);
            assert_message(&e, "execve of", "/nonexistent/program");
            let e = scoped(Command::new("true").current_dir("/nonexistent/dir"));
            assert_eq!(e.step(), Step::Chdir);
            assert_message(&e, "chdir to", "/nonexistent/dir");
        },
    );
}

#[test]
fn error_types_are_send_sync_and_static() {
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
    assert_error::<SpawnError>();
    assert_error::<process_graph_runtime::Violations>();
    assert_error::<process_graph_runtime::Violation>();
    assert_error::<process_graph_runtime::UnknownSignal>();
}

#[test]
fn an_invalid_graph_lists_its_violations_once_in_a_report() {
    let mut graph = Graph::new();
    let a = graph.node("a", Command::new("cat"));
    let b = graph.node("b", Command::new("cat"));
    graph.pipe(a.stdin(), b.fd(3));
    graph.pipe(b.stdout(), b.fd(4));
    let error = graph.spawn().unwrap_err();
    assert_eq!(error.to_string(), "invalid graph: it breaks 2 wiring rules");
    assert_eq!(
        common::report(&error),
        "invalid graph: it breaks 2 wiring rules: \
         pipe a.stdin -> b.fd(3): `a.stdin` cannot write into a pipe; \
         write from `a.stdout`, `a.stderr` or `a.fd(N)`; \
         pipe b.stdout -> b.fd(4): a pipe from `b` back to `b`: its reader would never see EOF, \
         as it holds the write end itself; use a socketpair"
    );
}
