//! What `tests/cgroup_strays.rs` and `tests/scope_only_strays.rs` share:
//! a crash-looping node whose `CLONE_PARENT` clones are the application's
//! children, run through the same cases, and the checks that the
//! application's own zombie outlives every end while nothing else is left.

use std::path::Path;
use std::time::{Duration, Instant};

use process_graph_runtime::Command;

use super::{ProcStat, children_of_this_process, proc_stat};

/// How long a clone, or the application's own child, may take to become
/// what a test waits for.
pub const SETTLE: Duration = Duration::from_secs(10);

/// How many clones each run of the node makes; all but the sleeping ones
/// (the last ones) exit at once, and those sleep until the node's end
/// kills them.
pub const CLONES: usize = 5;

/// How many times the node crashes (exits 1) and is restarted.
pub const CRASHES: usize = 5;

/// The node's restart backoff: long enough that its next run has not
/// started while the test looks at what the last one left.
pub const BACKOFF: Duration = Duration::from_millis(200);

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

/// The crash-looping node's command, marked with `marker`: `binary`'s
/// ignored test `crash_looping_cloner` (which calls
/// [`crash_looping_cloner`]), told through `var` that `sleeping` of its
/// clones sleep.
pub fn cloner(binary: &Path, var: &str, sleeping: usize, marker: &str) -> Command {
    let command = Command::new(binary)
        .args(super::ignored_test_args("crash_looping_cloner"))
        .env(var, sleeping.to_string());
    super::marked(command, marker)
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

/// Drops `running` and fails if anything of it is left: a child of this
/// process but `own` (see [`nothing_left_but`]), or a live process marked
/// with `marker`.
pub fn nothing_left_after(
    running: process_graph_runtime::RunningGraph,
    own: Option<i32>,
    marker: &str,
    case: &str,
) {
    drop(running);
    nothing_left_but(own, &format!("{case}: at the graph's end"));
    let left = super::live_marked_processes(marker);
    assert!(
        left.is_empty(),
        "{case}: the node's processes outlived the graph: {left:?}"
    );
}

/// Fails if this process has any child other than `own`, now or a moment
/// later (a killed process that became a zombie only after the graph
/// looked), or if `own` is no longer its zombie.
pub fn nothing_left_but(own: Option<i32>, when: &str) {
    for pause in [Duration::ZERO, Duration::from_millis(200)] {
        std::thread::sleep(pause);
        let children = children_of_this_process();
        let left = described_but(own, &children, |_| true);
        assert!(
            left.is_empty(),
            "{when} (+{pause:?}): children left: {left:?}"
        );
        assert_own_zombie(own, &children, when);
    }
}

/// Those of `children` that `counted` names, but `own`, as `pid comm state`.
pub fn described_but(
    own: Option<i32>,
    children: &[ProcStat],
    counted: impl Fn(&ProcStat) -> bool,
) -> Vec<String> {
    children
        .iter()
        .filter(|child| Some(child.pid) != own && counted(child))
        .map(|child| format!("{} {} {}", child.pid, child.comm, child.state))
        .collect()
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

/// How [`crash_looping_cloner`] makes its clones.
pub struct Clones {
    /// The last of those that exit at once goes into user and pid
    /// namespaces of its own.
    pub nested: bool,
    /// How many bytes each sleeping clone writes to before it says it is
    /// made: freeing them makes its exit, once killed, take milliseconds.
    pub held: usize,
    /// Before it clones, the node hides its scope's processes from whoever
    /// lists `/proc` by its path ([`hide_proc`]). Only for a node root in a
    /// mount namespace of its scope's: elsewhere it would cover the
    /// machine's `/proc`.
    pub hide_proc: bool,
    /// Before it clones, the node lowers the `RLIMIT_NOFILE` of its
    /// scope's init (pid 1 of its pid namespace), and its other limits but
    /// `RLIMIT_CPU`, to 0, soft and hard, as root in the init's user
    /// namespace may ([`starve_the_init`]).
    pub starve_init: bool,
}

/// The hostile node, the body of an ignored test of the binary that runs
/// it: makes [`CLONES`] clones with `CLONE_PARENT` (its parent's
/// children: the application's), each in a session of its own and
/// non-dumpable (once it has ended, an application without
/// `CAP_SYS_PTRACE` in the machine's first user namespace may not read its
/// `/proc/PID/ns`); the last
/// ones, as many as the environment variable `var` says, sleep, the others
/// exit at once. Once every clone is in its session, it reports their pids
/// on stdout (`clones PID…`, after `hid /proc by HOW` where it hid them),
/// waits for a line on stdin, and crashes (exits 1).
pub fn crash_looping_cloner(var: &str, clones: Clones) {
    use std::os::fd::AsRawFd;
    let Some(sleeping) = std::env::var(var)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return; // Only meaningful as a node.
    };
    if clones.hide_proc {
        // On a line of its own: libtest's "test crash_looping_cloner ... " has none.
        println!("\nhid /proc by {}", hide_proc());
    }
    if clones.starve_init {
        starve_the_init();
        println!("\nstarved the init");
    }
    let (made, made_write) = rustix::pipe::pipe().unwrap();
    let mut pids = Vec::new();
    for i in 0..CLONES {
        let exits = i < CLONES - sleeping;
        let nested = match clones.nested && i + 1 == CLONES - sleeping {
            true => libc::CLONE_NEWUSER | libc::CLONE_NEWPID,
            false => 0,
        };
        // SAFETY: a fork-like clone (no CLONE_VM); the clone makes only raw
        // system calls, and ends or sleeps.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                libc::CLONE_PARENT | libc::SIGCHLD | nested,
                0,
                0,
                0,
                0,
            )
        };
        if pid == 0 {
            // SAFETY: system calls on this clone alone; one byte from a
            // valid buffer into a pipe it holds.
            unsafe {
                libc::setsid();
                libc::prctl(libc::PR_SET_DUMPABLE, 0);
                if !exits {
                    hold_memory(clones.held);
                }
                libc::write(made_write.as_raw_fd(), b"x".as_ptr().cast(), 1);
                if exits {
                    libc::_exit(0);
                }
                loop {
                    libc::pause();
                }
            }
        }
        assert!(pid > 0, "clone: {}", std::io::Error::last_os_error());
        pids.push(pid);
    }
    drop(made_write);
    // One byte from each clone, once it is in its session (the sleeping
    // ones keep the write end open: no EOF to wait for).
    let mut bytes = [0; CLONES];
    let mut got = 0;
    while got < CLONES {
        got += rustix::io::read(&made, &mut bytes[got..]).unwrap();
    }
    let pids: Vec<String> = pids.iter().map(ToString::to_string).collect();
    println!("\nclones {}", pids.join(" "));
    let mut go = [0];
    let _ = rustix::io::read(rustix::stdio::stdin(), &mut go);
    std::process::exit(1);
}

/// Maps `bytes` and writes to every page, with system calls alone (a clone
/// of a process with threads must not take malloc's locks).
///
/// # Safety
///
/// Only in a clone, which then never returns to Rust code that owns memory.
unsafe fn hold_memory(bytes: usize) {
    if bytes == 0 {
        return;
    }
    // SAFETY: an anonymous private mapping, written within its length.
    unsafe {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        let at = libc::mmap(std::ptr::null_mut(), bytes, libc::PROT_WRITE, flags, -1, 0);
        if at != libc::MAP_FAILED {
            for page in (0..bytes).step_by(4096) {
                at.cast::<u8>().add(page).write_volatile(1);
            }
        }
    }
}

/// Lowers every resource limit of pid 1 (the scope's init) that could
/// hinder it to 0, soft and hard (`prlimit`: the node is root in the
/// init's user namespace; raising a hard limit again needs
/// `CAP_SYS_RESOURCE` in the machine's first one), and fails unless each
/// took. With `RLIMIT_NOFILE` at 0 the init can open no file again, the
/// directory it lists to count what a clear left included; the others
/// would refuse it memory, stack growth, processes, queued signals,
/// locked pages or file writes. All but `RLIMIT_CPU`, which ends it
/// (`tests/scope_init_killed.rs`).
fn starve_the_init() {
    let limits = [
        (libc::RLIMIT_NOFILE, "RLIMIT_NOFILE"),
        (libc::RLIMIT_AS, "RLIMIT_AS"),
        (libc::RLIMIT_DATA, "RLIMIT_DATA"),
        (libc::RLIMIT_STACK, "RLIMIT_STACK"),
        (libc::RLIMIT_NPROC, "RLIMIT_NPROC"),
        (libc::RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"),
        (libc::RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"),
        (libc::RLIMIT_FSIZE, "RLIMIT_FSIZE"),
    ];
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    for (resource, name) in limits {
        let mut now = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: `prlimit` of pid 1 with a valid new limit, then into a
        // valid struct.
        let (set, got) = unsafe {
            (
                libc::prlimit(1, resource, &none, std::ptr::null_mut()),
                libc::prlimit(1, resource, std::ptr::null(), &mut now),
            )
        };
        let error = std::io::Error::last_os_error();
        assert_eq!((set, got), (0, 0), "prlimit of the init's {name}: {error}");
        assert_eq!((now.rlim_cur, now.rlim_max), (0, 0), "the init's {name}");
    }
}

/// Hides every process of the node's pid namespace from a listing of
/// `/proc` by its path, one way in one run and the other in the next (the
/// mount namespace outlives a run): over the locked `/proc`, an empty
/// `tmpfs`; or, with the last run's `tmpfs` taken off, the `/proc` itself
/// remounted with `hidepid=invisible`, which hides a process from a reader
/// that may not trace it (a non-dumpable one, from a reader without
/// `CAP_SYS_PTRACE`). The `tmpfs` runs keep `hidepid` on below it. Says
/// which way it hid them, once it checked that the way took: panics (the
/// node then reports no clones) where the kernel refused it.
fn hide_proc() -> &'static str {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    let proc = c"/proc";
    // SAFETY: `statfs` into a zeroed struct of its own; a mount, a
    // remount and an unmount of `/proc`, with valid C strings.
    unsafe {
        let mut fs: libc::statfs = std::mem::zeroed();
        assert_eq!(libc::statfs(proc.as_ptr(), &mut fs), 0, "statfs /proc");
        let covered = fs.f_type as i64 == TMPFS_MAGIC;
        if covered {
            let ret = libc::umount2(proc.as_ptr(), libc::MNT_DETACH);
            assert_eq!(ret, 0, "{}", std::io::Error::last_os_error());
        }
        // The flags it was mounted with, which the lock keeps.
        let flags = libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        let data = c"hidepid=invisible";
        let ret = libc::mount(
            std::ptr::null(),
            proc.as_ptr(),
            std::ptr::null(),
            flags,
            data.as_ptr().cast(),
        );
        assert_eq!(ret, 0, "remount /proc: {}", std::io::Error::last_os_error());
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(
            mounts
                .lines()
                .any(|line| line.contains(" /proc ") && line.contains("hidepid=invisible")),
            "/proc not remounted with hidepid: {mounts}"
        );
        if covered {
            return "hidepid";
        }
        let ret = libc::mount(
            c"none".as_ptr(),
            proc.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null(),
        );
        assert_eq!(
            ret,
            0,
            "tmpfs over /proc: {}",
            std::io::Error::last_os_error()
        );
    }
    let listed = std::fs::read_dir("/proc").unwrap().count();
    assert_eq!(listed, 0, "the tmpfs over /proc lists {listed} entries");
    "tmpfs"
}
