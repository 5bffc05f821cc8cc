//! `bench hold`: what holding N running children costs the parent — its
//! memory (PSS, from `/proc/self/smaps_rollup`) and its wake-ups while they
//! run and nothing happens — through process-graph and through a raw loop
//! that keeps one pidfd per child and waits in one epoll.
//!
//! The PSS of the parent's anonymous memory (`Pss_Anon`: its heap) is
//! printed too. The whole PSS also moves with how many other processes of
//! the machine share the parent's libraries' pages at each reading, which
//! moves its per-child figure by ±60 B from run to run on a busy machine;
//! the heap's does not.
//!
//! Each child writes one byte to fd 3 (a pipe shared by all, read by the
//! parent) and then sleeps in `pause()`, so "running" is checked, not
//! assumed. Memory is not timed, so the two are measured one after the
//! other, the raw loop first: whatever the parent's heap keeps from a run
//! then counts against process-graph, not for it.
//!
//! Before process-graph's measured graph, a first graph of [`WARM_UP`]
//! nodes is spawned and shut down: the first graph of a process reads the
//! runtime's code into memory (a few hundred kB of the binary's text, once
//! per process whatever the graph's size), which is not a cost per child.
//! That one-off cost is printed on its own.

use std::error::Error;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::time::Duration;

use process_graph_runtime::{Command, EdgeId, Endpoint, Graph, NodeId};
use rustix::event::epoll;
use rustix::process::WaitIdOptions;

use crate::child_elf::Behaviour;
use crate::exec_args::ExecArgs;
use crate::floor::{self, ChildSetup};
use crate::measure;
use crate::setup::{self, Subcommand};

const HOLD: Subcommand = Subcommand {
    operation: "hold N running children",
    child: Behaviour::MarkThenPause,
    rounds: 1,
    iterations: 1,
    budget: None,
};

/// How long the idle graph is watched for wake-ups.
const IDLE: Duration = Duration::from_secs(3);

/// The nodes of the first graph, which reads in the runtime's code.
const WARM_UP: usize = 16;

pub fn run(args: impl Iterator<Item = String>) -> Result<(), Box<dyn Error>> {
    let setup = setup::prepare(args, &["nodes"], HOLD)?;
    let n: usize = setup.flags.value("nodes", 1000)?;
    let path = setup.child.path();
    let raw = hold_raw(&ExecArgs::new(path)?, n)?;
    let first_graph = warm_up(path)?;
    let ours = hold_graph(path, n)?;
    let per_child = |kb: u64, before: u64| kb.saturating_sub(before) as f64 * 1024.0 / n as f64;
    let rows = [
        ("process-graph RunningGraph", &ours),
        ("raw clone3 + pidfds + epoll", &raw),
    ]
    .map(|(label, held)| {
        (
            label.to_owned(),
            vec![
                format!("{} kB", held.before.pss),
                format!("{:.0} B", per_child(held.described.pss, held.before.pss)),
                format!("{} kB", held.with.pss),
                format!("{:.0} B", per_child(held.with.pss, held.before.pss)),
                format!("{:.0} B", per_child(held.with.anon, held.before.anon)),
                format!("{}", held.wakeups),
            ],
        )
    });
    let columns = [
        "parent PSS before".to_owned(),
        "per child, once described".to_owned(),
        format!("parent PSS holding {n}"),
        "per child, running".to_owned(),
        "of which heap (Pss_Anon)".to_owned(),
        format!("wake-ups in {IDLE:?} idle"),
    ];
    measure::print_markdown(&format!("{n} running children"), &columns, rows.into_iter());
    println!(
        "\nOnce per process, before the measured graph: a first graph of {WARM_UP} \
         nodes, spawned and shut down, left the parent's PSS {first_graph} kB larger \
         (the runtime's code read in)."
    );
    Ok(())
}

/// Spawns a graph of [`WARM_UP`] nodes, waits until they all run, shuts it
/// down; returns by how much it left the parent's PSS larger, in kB.
fn warm_up(child: &std::path::Path) -> io::Result<u64> {
    let before = Memory::now()?;
    let (graph, marks) = described(child, WARM_UP);
    let mut running = graph.spawn().map_err(io::Error::other)?;
    let mut marks = running
        .take_reader(marks)
        .ok_or_else(|| io::Error::other("no reader for fd 3"))?;
    read_marks(&mut marks, WARM_UP)?;
    running.shutdown(Duration::ZERO).map_err(io::Error::other)?;
    drop(running);
    Ok(Memory::now()?.pss.saturating_sub(before.pss))
}

/// A graph of `n` nodes running `child`, each with fd 3 on one pipe to the
/// parent.
fn described(child: &std::path::Path, n: usize) -> (Graph, EdgeId) {
    let mut graph = Graph::new();
    let nodes: Vec<NodeId> = (0..n)
        .map(|i| graph.node(format!("node{i}"), Command::new(child)))
        .collect();
    let writers: Vec<_> = nodes.iter().map(|node| node.fd(3)).collect();
    let marks = graph.pipe(writers, Endpoint::Parent);
    (graph, marks)
}

struct Held {
    before: Memory,
    /// After the graph was built, before anything started (the raw loop
    /// has nothing to describe).
    described: Memory,
    with: Memory,
    wakeups: i64,
}

/// The parent's proportional set size in kB.
/// The parent's memory, in kB: all of it, and its anonymous part.
#[derive(Clone, Copy)]
struct Memory {
    pss: u64,
    anon: u64,
}

impl Memory {
    fn now() -> io::Result<Memory> {
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup")?;
        let field = |name: &str| {
            rollup
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| {
                    io::Error::other(format!("no {name} line in /proc/self/smaps_rollup"))
                })
        };
        Ok(Memory {
            pss: field("Pss")?,
            anon: field("Pss_Anon")?,
        })
    }
}

/// Voluntary context switches of the calling thread: one per wait that
/// blocked, so one per wake-up.
fn thread_wakeups() -> io::Result<i64> {
    // SAFETY: an all-zero rusage is a valid value for the call to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writes.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usage.ru_nvcsw)
}

/// Reads one byte per child from `marks`: every child is running.
fn read_marks(marks: &mut impl Read, n: usize) -> io::Result<()> {
    let mut bytes = vec![0u8; n];
    marks.read_exact(&mut bytes)?;
    match bytes.iter().all(|&b| b == b'!') {
        true => Ok(()),
        false => Err(io::Error::other("a child wrote something else than '!'")),
    }
}

fn hold_graph(child: &std::path::Path, n: usize) -> io::Result<Held> {
    let before = Memory::now()?;
    let (graph, marks) = described(child, n);
    let described = Memory::now()?;
    let mut running = graph.spawn().map_err(io::Error::other)?;
    let mut marks = running
        .take_reader(marks)
        .ok_or_else(|| io::Error::other("no reader for fd 3"))?;
    read_marks(&mut marks, n)?;
    // The queued Started events, so that the idle wait has nothing to hand out.
    while let Some(event) = running
        .next_event(Some(Duration::ZERO))
        .map_err(io::Error::other)?
    {
        if !matches!(event, process_graph_runtime::Event::Started { .. }) {
            return Err(io::Error::other(format!("unexpected {event:?}")));
        }
    }
    let with = Memory::now()?;
    let switches_before = thread_wakeups()?;
    if let Some(event) = running.next_event(Some(IDLE)).map_err(io::Error::other)? {
        return Err(io::Error::other(format!(
            "an idle graph reported {event:?}"
        )));
    }
    let wakeups = thread_wakeups()? - switches_before;
    running.shutdown(Duration::ZERO).map_err(io::Error::other)?;
    Ok(Held {
        before,
        described,
        with,
        wakeups,
    })
}

fn hold_raw(exec: &ExecArgs, n: usize) -> io::Result<Held> {
    let before = Memory::now()?;
    let (mut reader, writer) = std::io::pipe()?;
    let children = (0..n)
        .map(|_| floor::spawn(exec, 0, ChildSetup::Fd3(writer.as_fd())))
        .collect::<io::Result<Vec<_>>>()?;
    drop(writer);
    read_marks(&mut reader, n)?;
    let instance = floor::epoll_of(&children)?;
    let with = Memory::now()?;
    let switches_before = thread_wakeups()?;
    let mut events = Vec::with_capacity(64);
    let timeout = rustix::event::Timespec {
        tv_sec: IDLE.as_secs() as i64,
        tv_nsec: 0,
    };
    epoll::wait(
        &instance,
        rustix::buffer::spare_capacity(&mut events),
        Some(&timeout),
    )?;
    let wakeups = thread_wakeups()? - switches_before;
    if !events.is_empty() {
        return Err(io::Error::other("a raw child ended while idle"));
    }
    for child in &children {
        rustix::process::pidfd_send_signal(&child.pidfd, rustix::process::Signal::KILL)?;
        floor::wait(child, WaitIdOptions::empty())?;
    }
    Ok(Held {
        before,
        described: before,
        with,
        wakeups,
    })
}
