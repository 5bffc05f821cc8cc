//! Facts about the machine that every result must be read with: CPUs,
//! kernel, CPU affinity (pinned or not), transparent huge pages, and how
//! busy the machine already was.

use std::fs;
use std::io;

use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// Restricts this process (and every child it starts later) to `cpu`.
/// Call before any thread is started: affinity is per thread.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu);
    Ok(sched_setaffinity(None, &set)?)
}

/// A few lines describing the machine and how this process runs on it.
pub fn describe() -> io::Result<String> {
    // SAFETY: sysconf has no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")?;
    let allowed = sched_getaffinity(None)?;
    let cpus: Vec<String> = (0..CpuSet::MAX_CPU)
        .filter(|&cpu| allowed.is_set(cpu))
        .map(|cpu| cpu.to_string())
        .collect();
    let pinning = if allowed.count() as i64 >= online {
        "unpinned".to_owned()
    } else {
        format!("pinned to cpu {}", cpus.join(","))
    };
    let thp = fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .ok()
        .and_then(|modes| {
            let start = modes.find('[')? + 1;
            let end = modes[start..].find(']')? + start;
            Some(modes[start..end].to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let load = fs::read_to_string("/proc/loadavg")?;
    let load_1min = load.split_whitespace().next().unwrap_or("unknown");
    Ok(format!(
        "machine: {online} cpus online, kernel {}, {}, transparent huge pages: {thp}\n\
         this run: {pinning} (allowed cpus: {}), load average before it: {load_1min}",
        kernel.trim(),
        std::env::consts::ARCH,
        cpus.join(",")
    ))
}
