//! What `tests/cgroup_strays.rs` and `tests/scope_only_strays.rs` share:
//! a crash-looping node whose `CLONE_PARENT` clones are the application's
//! children, run through the same cases, and the checks that the
//! application's own zombie outlives every end while nothing else is left.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{ProcStat, children_of_this_process, proc_stat};

/// How long a clone, or the application's own child, may take to become
/// what a test waits for.
pub const SETTLE: Duration = Duration::from_secs(10);

/// How the graph of a crash loop ends.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// At the node's last crash the application leaves it down, then the
    /// graph ends.
    Leave,
    /// The node runs once more, its clones made, and `shutdown` stops it.
    Shutdown,
}

/// Runs the cases, within `limit`, through `crash_loop(binary, own,
/// sleeping, end)`: `binary` the node's program, `own` the application's
/// own zombie if the case has one, `sleeping` how many of a run's clones
/// are alive at its crash.
///
/// 1. The strays are the application's only zombies: with two clones alive
///    at each end, and with none.
/// 2. An unreaped child of the application's own is its first zombie: it
///    hides the strays from a `waitid` that peeks at one zombie, and must
///    outlive every node's end and the graph's.
///
/// On one thread, the graphs' and the application's own child's: the
/// application's zombie is then first in the list of children a `waitid`
/// walks, ahead of every stray.
pub fn run_the_cases(limit: Duration, crash_loop: fn(&Path, Option<i32>, usize, End)) {
    super::within(limit, "the crash loops", move || {
        let binary = super::unprivileged_copy_of_this_binary();
        nothing_left_but(None, "before the cases");
        crash_loop(&binary, None, 2, End::Shutdown);
        crash_loop(&binary, None, 0, End::Leave);
        for (sleeping, end) in [(2, End::Leave), (0, End::Shutdown)] {
            let mut own = own_zombie();
            crash_loop(&binary, Some(own.id() as i32), sleeping, end);
            let status = own
                .wait()
                .expect("the application's own child is still its to reap");
            assert!(status.success(), "the application's own child: {status}");
            nothing_left_but(None, "once the application reaped its own child");
        }
    });
}

/// A child of the application's own, which it has not reaped: a zombie.
fn own_zombie() -> std::process::Child {
    let child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id() as i32;
    wait_for(
        &format!("the application's own child {pid} to be a zombie"),
        || proc_stat(pid).is_some_and(|stat| stat.state == 'Z'),
    );
    child
}

/// Fails if this process has any child other than `own`, now or a moment
/// later (a killed process that became a zombie only after the graph
/// looked), or if `own` is no longer its zombie.
pub fn nothing_left_but(own: Option<i32>, when: &str) {
    for pause in [Duration::ZERO, Duration::from_millis(200)] {
        std::thread::sleep(pause);
        let children = children_of_this_process();
        let left: Vec<_> = children
            .iter()
            .filter(|child| Some(child.pid) != own)
            .map(|child| format!("{} {} {}", child.pid, child.comm, child.state))
            .collect();
        assert!(
            left.is_empty(),
            "{when} (+{pause:?}): children left: {left:?}"
        );
        assert_own_zombie(own, &children, when);
    }
}

/// Fails unless `own`, if any, is among `children`, still a zombie.
pub fn assert_own_zombie(own: Option<i32>, children: &[ProcStat], when: &str) {
    if let Some(own) = own {
        assert!(
            children
                .iter()
                .any(|child| child.pid == own && child.state == 'Z'),
            "{when}: the application's own zombie {own} was reaped by someone else: {:?}",
            proc_stat(own)
        );
    }
}

/// Polls `done` until it holds; fails after [`SETTLE`].
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETTLE;
    while !done() {
        assert!(Instant::now() < deadline, "waited {SETTLE:?} for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
