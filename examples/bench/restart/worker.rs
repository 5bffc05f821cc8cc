//! Each restart loop in a process of its own, forked before any loop
//! starts, driven over two pipes: the bench asks for N restarts and gets
//! their latencies back, round after round, so the loops still take turns.
//!
//! Why not all in one process: a spawn's cost depends on the fd table it
//! clones from. process-graph keeps its pidfds above the fds a child copies,
//! the raw loops keep theirs at the bottom; in one process every loop's
//! children would copy (and close at `execve`) the other loops' thousands of
//! pidfds, and each loop would be measured with the others' fds.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::time::Duration;

use super::loops::{Latency, RestartLoop};

/// How a worker starts its loop (in the forked process).
pub type Start<'a> = Box<dyn FnOnce() -> io::Result<Box<dyn RestartLoop>> + 'a>;

/// What a loop is, as the table needs it.
pub struct Description {
    pub label: String,
    pub in_cgroups: bool,
    pub is_floor: bool,
}

/// A loop running in a forked process.
pub struct Worker {
    pub description: Description,
    pid: libc::pid_t,
    requests: std::fs::File,
    answers: std::fs::File,
}

impl Worker {
    /// Forks a process that starts a loop with `start` and warms it up
    /// with `warm_up` restarts. `Ok(None)` where the loop could not start
    /// for a reason the bench reports and goes on without (no cgroups).
    ///
    /// The bench must still be single-threaded: the child of `fork` goes on
    /// running Rust code.
    pub fn fork(start: Start<'_>, warm_up: usize) -> io::Result<Worker> {
        let (request_read, request_write) = std::io::pipe()?;
        let (answer_read, answer_write) = std::io::pipe()?;
        // SAFETY: the bench has no other thread yet (see above).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            drop((request_write, answer_read));
            let code = match serve(
                start,
                warm_up,
                OwnedFd::from(request_read).into(),
                OwnedFd::from(answer_write).into(),
            ) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("restart worker: {e}");
                    1
                }
            };
            // No destructors of the bench's state in this copy.
            std::process::exit(code);
        }
        drop((request_read, answer_write));
        let mut answers = std::fs::File::from(OwnedFd::from(answer_read));
        let description = read_description(&mut answers)?;
        Ok(Worker {
            description,
            pid,
            requests: OwnedFd::from(request_write).into(),
            answers,
        })
    }

    /// `count` restarts, back to back, in the worker.
    pub fn restarts(&mut self, count: usize) -> io::Result<Vec<Latency>> {
        self.requests.write_all(&(count as u64).to_le_bytes())?;
        let mut bytes = vec![0u8; count * 16];
        self.answers.read_exact(&mut bytes).map_err(|e| {
            io::Error::other(format!(
                "{}: the worker failed ({e})",
                self.description.label
            ))
        })?;
        Ok(bytes
            .chunks_exact(16)
            .map(|pair| Latency {
                started: nanos(&pair[..8]),
                running: nanos(&pair[8..]),
            })
            .collect())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Zero restarts: the worker drops its loop and exits.
        let _ = self.requests.write_all(&0u64.to_le_bytes());
        let mut status = 0;
        // SAFETY: our own child, reaped once.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
    }
}

/// The worker's side: start, describe, then answer requests until zero.
fn serve(
    start: Start<'_>,
    warm_up: usize,
    mut requests: std::fs::File,
    mut answers: std::fs::File,
) -> io::Result<()> {
    let mut restart_loop = start()?;
    for _ in 0..warm_up {
        restart_loop.restart_once()?;
    }
    write_description(&mut answers, restart_loop.as_ref())?;
    loop {
        let mut count = [0u8; 8];
        requests.read_exact(&mut count)?;
        let count = u64::from_le_bytes(count) as usize;
        if count == 0 {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(count * 16);
        for _ in 0..count {
            let latency = restart_loop.restart_once()?;
            for moment in [latency.started, latency.running] {
                bytes.extend_from_slice(&(moment.as_nanos() as u64).to_le_bytes());
            }
        }
        answers.write_all(&bytes)?;
    }
}

fn write_description(answers: &mut std::fs::File, l: &dyn RestartLoop) -> io::Result<()> {
    let label = l.label().as_bytes();
    let mut bytes = vec![u8::from(l.in_cgroups()), u8::from(l.is_floor())];
    bytes.extend_from_slice(&(label.len() as u32).to_le_bytes());
    bytes.extend_from_slice(label);
    answers.write_all(&bytes)
}

fn read_description(answers: &mut std::fs::File) -> io::Result<Description> {
    let mut head = [0u8; 6];
    answers
        .read_exact(&mut head)
        .map_err(|e| io::Error::other(format!("a restart loop did not start ({e})")))?;
    let mut label = vec![0u8; u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize];
    answers.read_exact(&mut label)?;
    Ok(Description {
        label: String::from_utf8_lossy(&label).into_owned(),
        in_cgroups: head[0] == 1,
        is_floor: head[1] == 1,
    })
}

fn nanos(bytes: &[u8]) -> Duration {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    Duration::from_nanos(u64::from_le_bytes(word))
}
