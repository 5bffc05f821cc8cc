//! `bench output`: the cost of forwarding a node's output. One node writes
//! `--mib` MiB (default 1,024) of 73-byte lines; each row times it from
//! spawn to reaped and every byte on disk:
//!
//! - `> file`: the writer's shell redirects into the file itself (the floor);
//! - `| cat > file`: through one more pipe and `cat` (the reference);
//! - prefixed with RFC 3339 timestamps: `Sink::prefixed`, the application's
//!   stdout redirected to the file;
//! - a rotating file: `Sink::file`, 100 MiB per file, 2 kept.
//!
//! Rows are interleaved over `--rounds` rounds (default 3); the table gives
//! the median time, the throughput in input bytes, and the ratio of
//! throughput to `| cat > file`.

use std::error::Error;
use std::io::Write as _;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Graph, RotatingFile, Sink, Stdio, Timestamps};

use crate::cli::Flags;
use crate::measure::{format_duration, print_markdown};
use crate::system;

/// 72 characters and a newline.
const LINE: &str = "process-graph output bench: a log line of seventy-two characters, padded";

const ROWS: [&str; 4] = [
    "> file (floor)",
    "| cat > file",
    "prefixed, RFC 3339 timestamps",
    "rotating file, 100 MiB x 2",
];

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let flags = Flags::parse(args, &["mib", "rounds"], &["pin"])?;
    let mib: u64 = flags.value("mib", 1024)?;
    let rounds: usize = flags.value("rounds", 3)?;
    if let Some(cpu) = flags.switch("pin", 1)? {
        system::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    let bytes = mib << 20;
    let dir =
        std::env::temp_dir().join(format!("process-graph-bench-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("one node writes {mib} MiB of {}-byte lines", LINE.len() + 1);
    println!("{}", system::describe()?);
    println!("{rounds} interleaved rounds, files in {}\n", dir.display());
    let writer = format!("yes '{LINE}' | head -c {bytes}");
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); ROWS.len()];
    for round in 0..rounds {
        for turn in 0..ROWS.len() {
            let row = (round + turn) % ROWS.len();
            let file = dir.join("out");
            let start = Instant::now();
            match row {
                0 => shell(&format!("{writer} > '{}'", file.display()))?,
                1 => shell(&format!("{writer} | cat > '{}'", file.display()))?,
                2 => prefixed(&writer, &file)?,
                _ => rotating(&writer, &file)?,
            }
            times[row].push(start.elapsed());
            remove_outputs(&dir)?;
        }
    }
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let medians: Vec<Duration> = times.iter_mut().map(median).collect();
    let rate = |d: Duration| bytes as f64 / d.as_secs_f64() / f64::from(1 << 30);
    let rows = ROWS.iter().zip(&medians).map(|(label, &time)| {
        let cells = vec![
            format_duration(time),
            format!("{:.2} GiB/s", rate(time)),
            format!("{:.2}×", rate(time) / rate(medians[1])),
        ];
        (label.to_string(), cells)
    });
    let columns = ["median time", "throughput", "vs `| cat > file`"].map(String::from);
    print_markdown(&format!("{mib} MiB"), &columns, rows);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn shell(script: &str) -> Result<(), Box<dyn Error>> {
    let status = std::process::Command::new("sh")
        .args(["-c", script])
        .status()?;
    if !status.success() {
        return Err(format!("{script}: {status}").into());
    }
    Ok(())
}

/// The writer as a node, its stdout prefixed and timestamped onto the
/// application's stdout, which is `file` meanwhile.
fn prefixed(writer: &str, file: &Path) -> Result<(), Box<dyn Error>> {
    let _stdout = RedirectedStdout::to(std::fs::File::create(file)?)?;
    node(
        writer,
        Stdio::Sink(Sink::prefixed(Some(Timestamps::Rfc3339))),
    )
}

/// This process's stdout (fd 1) sent elsewhere until the guard is dropped,
/// when the one it saved is put back: where `Stdio::Prefixed` and
/// `Sink::prefixed` write a bench's nodes' output.
pub struct RedirectedStdout(OwnedFd);

impl RedirectedStdout {
    /// Flushes what is buffered for the current stdout, then makes `file`
    /// fd 1.
    pub fn to(file: impl AsFd) -> std::io::Result<RedirectedStdout> {
        std::io::stdout().flush()?;
        let saved = rustix::io::dup(std::io::stdout())?;
        rustix::stdio::dup2_stdout(file)?;
        Ok(RedirectedStdout(saved))
    }
}

impl Drop for RedirectedStdout {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        // The saved fd itself is closed as the guard's `OwnedFd` drops.
        let _ = rustix::stdio::dup2_stdout(&self.0);
    }
}

fn rotating(writer: &str, file: &Path) -> Result<(), Box<dyn Error>> {
    let sink = Sink::file(RotatingFile::new(file).max_bytes(100 << 20).keep(2));
    node(writer, Stdio::Sink(sink))
}

fn node(writer: &str, stdout: Stdio) -> Result<(), Box<dyn Error>> {
    let mut graph = Graph::new();
    graph.node(
        "writer",
        Command::new("sh").args(["-c", writer]).stdout(stdout),
    );
    let report = graph.spawn()?.wait()?;
    if !report.success() {
        return Err(report.to_string().into());
    }
    Ok(())
}

fn remove_outputs(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        std::fs::remove_file(entry?.path())?;
    }
    Ok(())
}
