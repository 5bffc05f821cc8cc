//! A service the way a supervisor runs one: output appended to a log file,
//! run as an unprivileged user (when the application is root), with a
//! umask, resource limits, its own `argv[0]`, and a listening socket the
//! application binds and passes the systemd way (`LISTEN_FDS`,
//! `LISTEN_FDNAMES`, `LISTEN_PID`, the socket at fd 3).
//!
//! The worker prints who it is and what it was given, into the log. The
//! graph is spawned twice, as an application started twice would: the log
//! keeps both runs, because it is opened for appending. At the end the
//! example prints the log and removes it.
//!
//! Run with `cargo run --example service` (as root to see the drop to
//! uid 65534).

use std::error::Error;

use process_graph::prelude::*;

#[process_graph]
struct Service {
    /// Reports its ids, umask and limits, then exits.
    #[process(restart = "on-failure")]
    worker: Cmd,
}

const REPORT: &str = "echo \"$0: uid $(id -u), gid $(id -g), groups '$(id -G)', umask $(umask), \
                      open files $(ulimit -n), core $(ulimit -c); \
                      LISTEN_FDS=$LISTEN_FDS LISTEN_FDNAMES=$LISTEN_FDNAMES \
                      LISTEN_PID is mine: $(test \"$LISTEN_PID\" = $$ && echo yes); \
                      fd 3: $(readlink /proc/self/fd/3)\"";

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("process-graph-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("worker.log");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for run in 1..=2 {
        let mut worker = Cmd::new("sh")
            .args(["-c", REPORT])
            .arg0(format!("worker-run-{run}"))
            // The same file for both streams, each opened for appending:
            // every start, restarts included, adds to its end.
            .stdout(Stdio::append_to(&log)?)
            .stderr(Stdio::append_to(&log)?)
            .umask(0o027)
            .rlimit(Rlimit::NoFile, 256, 256)
            .rlimit(Rlimit::Core, 0, 0)
            // Bound by the application at spawn, held while the worker may
            // restart: a connection made meanwhile waits in the backlog.
            .listen(Listener::address("tcp:127.0.0.1:0").named("http"));
        if root {
            // A real drop: supplementary groups, then gid, then uid.
            worker = worker.groups(&[]).gid(65534).uid(65534);
        }
        let report = Service::new(worker).spawn()?.wait()?;
        assert!(report.success(), "{report:?}");
    }
    print!("{}", std::fs::read_to_string(&log)?);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
