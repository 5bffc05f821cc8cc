//! Side-by-side benchmarks: process-graph against the other ways of doing the
//! same thing, measured in one process and one run so that ratios hold even
//! when absolute numbers drift (see BENCHMARKS.md for results).
//!
//! ```text
//! cargo run --release --example bench -- spawn [--iterations N] [--rounds N] [--memory 0,1,4] [--pin[=CPU]]
//! cargo run --release --example bench -- spawn-overhead [--iterations N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- scopes [--iterations N] [--rounds N] [--memory N] [--pin[=CPU]]
//! cargo run --release --example bench -- restart [--siblings N] [--containment on|off|both] [--scope none|shared] [--iterations N] [--rounds N] [--idle N] [--pin[=CPU]]
//! cargo run --release --example bench -- pipeline [--stages 10,100,1000,2000] [--iterations N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- notify-flood [--flooders N] [--wakes N] [--depth D | --mainpid-sleepers[=N]] [--pin[=CPU]]
//! cargo run --release --example bench -- fan [--nodes 1000] [--scopes shared,own,ids] [--iterations N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- hold [--nodes 1000] [--pin[=CPU]]
//! cargo run --release --example bench -- output [--mib N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- cgroups [--nodes 1,100] [--iterations N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- probe-idle [--nodes 100] [--period-ms 1000] [--seconds 10] [--pin[=CPU]]
//! cargo run --release --example bench -- probe-detect [--period-ms 100] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- probe-exec [--iterations N] [--rounds N] [--pin[=CPU]]
//! cargo run --release --example bench -- survey CASE [--nodes 10,100,1000] [--containment auto|off] [--rounds N] [--iterations N] [--pin[=CPU]]
//! ```
//!
//! Each subcommand is one module; `measure` holds what they share (interleaved
//! rounds, medians, the ratio table), `child_elf` the libc-free child
//! programs, `floor` the raw `clone3` every result is compared with.

// The child program and the raw clone3 floor are x86_64 machine code.
#[cfg(target_arch = "x86_64")]
mod cgroups;
#[cfg(target_arch = "x86_64")]
mod child_elf;
#[cfg(target_arch = "x86_64")]
mod cli;
#[cfg(target_arch = "x86_64")]
mod exec_args;
#[cfg(target_arch = "x86_64")]
mod fan;
#[cfg(target_arch = "x86_64")]
mod floor;
#[cfg(target_arch = "x86_64")]
mod hold;
#[cfg(target_arch = "x86_64")]
mod measure;
#[cfg(target_arch = "x86_64")]
mod memory;
#[cfg(target_arch = "x86_64")]
mod notify_flood;
#[cfg(target_arch = "x86_64")]
mod output;
#[cfg(target_arch = "x86_64")]
mod pipeline;
#[cfg(target_arch = "x86_64")]
mod probe_exec;
#[cfg(target_arch = "x86_64")]
mod probes;
#[cfg(target_arch = "x86_64")]
mod restart;
#[cfg(target_arch = "x86_64")]
mod scopes;
#[cfg(target_arch = "x86_64")]
mod setup;
#[cfg(target_arch = "x86_64")]
mod spawn;
#[cfg(target_arch = "x86_64")]
mod survey;
#[cfg(target_arch = "x86_64")]
mod system;

use std::process::ExitCode;

const USAGE: &str = "usage: bench <subcommand> [options]

subcommands:
  spawn   spawn + reap a trivial static child through each method, with the
          parent holding 0, 1 and 4 GiB of touched memory
          --iterations N   spawns per method per round (default 500)
          --rounds N       interleaved rounds (default 7)
          --memory LIST    GiB of touched parent memory, e.g. 0,1,4 (default)
          --pin[=CPU]      run on one CPU only (default CPU 1), like taskset -c 1
  spawn-overhead
          where process-graph's time over the floor goes: the floor re-run
          with each extra step the runtime takes, alone and all together
          --iterations N, --rounds N, --pin[=CPU] as above
  restart from the SIGKILL of a running child to its replacement started
          and running: process-graph blocking and on tokio, against a raw
          pidfd + clone3 loop; with a cgroup per node and without
          --siblings N     children kept running beside it (default 0)
          --containment on|off|both
                           which kind of loops run (default both)
          --idle N         restarts after 1 s idle each (default 10)
          --scope none|shared
                           shared: our graph's nodes all in one user + pid
                           scope (default none)
          --iterations N, --rounds N, --pin[=CPU] as above
  pipeline
          a chain of N static cats, spawn to all reaped, against a raw
          posix_spawn chain and bash
          --stages LIST    chain lengths (default 10,100,1000,2000)
          --iterations N, --rounds N, --pin[=CPU] as above
  notify-flood
          how long the event loop stalls while nodes flood their
          NOTIFY_SOCKET: wake → Event::Woken, without and with flooders
          --flooders N     flooding nodes (default 4)
          --wakes N        wakes measured per row (default 500)
          --depth D        STATUS= from D processes below the main one
          --mainpid-sleepers[=N]
                           MAINPID= from a user + pid scope beside N
                           sleepers (default 2000) instead
          --pin[=CPU]      as above
  fan     N independent nodes, spawn all then reap all, against raw clone3
          and one epoll
          --nodes LIST     fan sizes (default 1000)
          --scopes LIST    also with every node in one user + pid scope
                           (shared), each in a scope of its own (own),
                           each changing its uid to the bench's own (ids)
          --iterations N, --rounds N, --pin[=CPU] as above
  hold    the parent's PSS and wake-ups while N children run idle,
          against a raw loop holding their pidfds
          --nodes N        children (default 1000)
          --pin[=CPU] as above
  output  one node writes 1 GiB of lines: into a file itself, through
          `cat > file`, prefixed with RFC 3339 timestamps, into a rotating
          file
          --mib N          MiB written (default 1024)
          --rounds N, --pin[=CPU] as above
  cgroups
          one node spawned + reaped in its cgroup (CLONE_INTO_CGROUP)
          against the raw clone3 floor with the same flag; the cgroups of
          a whole graph, created and removed
          --nodes LIST     graph sizes (default 1,100)
          --iterations N, --rounds N, --pin[=CPU] as above
  probe-idle
          the event loop's wake-ups while N nodes with TCP liveness probes
          idle: how many, and whether any falls between probe rounds
          --nodes N        nodes (default 100)
          --period-ms N    probe period (default 1000)
          --seconds N      how long the loop is watched (default 10)
          --pin[=CPU] as above
  probe-detect
          a port opens at a random moment: how soon a TCP readiness probe
          sees it, beside a raw connect loop with the same period
          --period-ms N    probe period (default 100)
          --rounds N       ports opened (default 20)
          --pin[=CPU] as above
  probe-exec
          one attempt of an exec probe (a static program exiting 1, back
          to back) of a node outside scopes and of one in a user + pid
          scope, against the raw clone3 + exec + waitid of the program
          --iterations N, --rounds N, --pin[=CPU] as above
  survey CASE
          scale survey at 10, 100, 1,000 nodes (survey.rs): shutdown,
          shutdown-deaf, drop, shutdown-chain, add, restart-edges,
          restart-plain, ready-chain, exec-chain-reversed
          --nodes LIST, --containment auto|off, --rounds N, --pin[=CPU]";

#[cfg(target_arch = "x86_64")]
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("spawn") => spawn::compare(args),
        Some("spawn-overhead") => spawn::overhead(args),
        Some("scopes") => scopes::run(args),
        Some("restart") => restart::run(args),
        Some("pipeline") => pipeline::run(args),
        Some("notify-flood") => notify_flood::run(args),
        Some("fan") => fan::run(args),
        Some("hold") => hold::run(args),
        Some("cgroups") => cgroups::run(args),
        Some("output") => output::run(args),
        Some("probe-idle") => probes::run_idle(args),
        Some("probe-detect") => probes::run_detect(args),
        Some("probe-exec") => probe_exec::run(args),
        Some("survey") => survey::run(args),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn main() -> ExitCode {
    eprintln!(
        "{USAGE}\n\nbench: only x86_64 is supported (the child program is x86_64 machine code)"
    );
    ExitCode::FAILURE
}
