//! `join`: start a node inside a scope, or one that changes its ids.
//!
//! After entering the scope's namespaces, either this process becomes the
//! node (`execve`), or — when the scope has a pid namespace, which `setns`
//! applies only to the caller's future children — it clones the node with
//! `CLONE_PARENT`, so the node is the application's child, and reports the
//! node's pid. The clone shares this program's address space, which is
//! non-dumpable and belongs to the application's user namespace until the
//! node's own `execve` replaces it: at no point is a process that anything
//! in the scope could ptrace holding anything but what the node will hold.
//!
//! The clone leads a session of its own (the node's, as outside scopes),
//! and for a node on a pseudo-terminal makes it its controlling terminal
//! there; a node this process becomes has both from the application's
//! child that executed it.
//!
//! The clone reports its own pid ([`CLONING`]) before anything else, as
//! the kernel stored it for us at the clone (`CLONE_PARENT_SETTID`, in our
//! pid namespace, which is the application's), then checks that we are
//! alive: the application then holds every clone that may run, and can
//! kill one whose start it gives up on, or whose node it stops meanwhile,
//! whatever becomes of this program. A clone that cannot report, or finds
//! us dead, exits (see [`program_alive`]).
//!
//! The clone is visible in the scope, and root there may stop it before its
//! `execve`. So this program does not wait for it with `CLONE_VFORK` (a
//! stopped clone would hold it in that wait, where the application cannot
//! tell it from a slow start): it waits on a pipe the clone's `execve` (or
//! exit) closes, and looks every 20 ms whether the clone is stopped. A
//! stopped clone is killed, and the start fails at `HELD_UP` with its pid,
//! which the application then reaps.

use crate::app_proc;
use crate::args::Args;
use crate::enter::{self, Common, bad_arguments};
use crate::protocol::{CLONING, join, step, write_listen_pid};
use crate::sys::{
    self, CLONE_INTO_CGROUP, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_VM, CloneArgs, POLLERR,
    POLLIN, POLLOUT, PollFd,
};

/// What the node runs, and where its failure is written.
struct Node<'a> {
    args: &'a Args,
    /// The working directory, or null.
    cwd: *const u8,
    first_candidate: usize,
    candidates: usize,
    /// The index of the `LISTEN_PID` entry in the environment, if any.
    listen_pid: Option<usize>,
    /// The cgroup directory a clone of the node starts in, or -1 for ours.
    cgroup: i32,
    /// The node's pseudo-terminal, which its clone makes its controlling
    /// terminal, or -1.
    terminal: i32,
    /// The report pipe, where the clone reports its pid.
    report: i32,
    /// The pipe whose write end the clone's `execve` or exit closes, `[read,
    /// write]`; -1 until made.
    exec_pipe: [i32; 2],
    /// The clone's pid in the application's pid namespace, stored by the
    /// kernel before the clone runs (`CLONE_PARENT_SETTID`).
    clone_pid: i32,
    failure: Option<(i32, i32)>,
    /// Set by the node's clone just before its `execve`: a clone that has
    /// neither set it nor a failure was killed before it got there.
    executing: bool,
}

pub(crate) fn run(args: &Args) -> ! {
    let c = enter::common(args);
    let mut node = match parse(args, &c) {
        Ok(node) => node,
        Err(failure) => enter::fail(c.report, failure),
    };
    let clone_child = args.number(join::CLONE_CHILD) == Some(1);
    // The application's `/proc`, where the clone's state is read. -1 if
    // there is none to open: then a stopped clone holds us up until the
    // application's limit.
    let proc = if clone_child { app_proc::open() } else { -1 };
    if let Err(failure) = enter::enter(&c).and_then(|()| crate::ids::drop_to(args, &c)) {
        enter::fail(c.report, failure);
    }
    if !clone_child {
        // This process is the node. It says it is about to execve; on
        // success the report pipe, marked close-on-exec, closes with nothing
        // more written.
        sys::report(c.report, step::OK, 0, crate::protocol::EXECUTING);
        enter::fail(c.report, node.exec());
    }
    clone_node(&c, &mut node, proc)
}

fn parse<'a>(args: &'a Args, c: &Common) -> Result<Node<'a>, (i32, i32)> {
    // Our own fds must not reach the node.
    enter::check(sys::set_cloexec(c.report), step::ARGUMENTS)?;
    enter::scope_fds_cloexec(c)?;
    let candidates = args
        .number(join::CANDIDATES)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(bad_arguments)?;
    let first_candidate = join::FIRST_CANDIDATE;
    // At least the node's argv[0] follows the candidates.
    if candidates == 0 || first_candidate + candidates >= args.count() {
        return Err(bad_arguments());
    }
    let cwd = match args.bytes(join::CWD) {
        Some([]) => core::ptr::null(),
        Some(_) => args.ptr(join::CWD).ok_or_else(bad_arguments)?,
        None => return Err(bad_arguments()),
    };
    let listen_pid = match args.number(join::LISTEN_PID_ENV) {
        Some(-1) => None,
        Some(i) => Some(usize::try_from(i).map_err(|_| bad_arguments())?),
        None => return Err(bad_arguments()),
    };
    let cgroup = match args.number(join::NODE_CGROUP_FD) {
        Some(-1) => -1,
        Some(fd) => {
            let fd = i32::try_from(fd).map_err(|_| bad_arguments())?;
            enter::check(sys::set_cloexec(fd), step::ARGUMENTS)?;
            fd
        }
        None => return Err(bad_arguments()),
    };
    let terminal = args
        .number(join::CONTROLLING_TERMINAL)
        .and_then(|fd| i32::try_from(fd).ok())
        .filter(|&fd| fd >= -1)
        .ok_or_else(bad_arguments)?;
    Ok(Node {
        args,
        cwd,
        first_candidate,
        candidates,
        listen_pid,
        cgroup,
        terminal,
        report: c.report,
        exec_pipe: [-1, -1],
        clone_pid: 0,
        failure: None,
        executing: false,
    })
}

impl Node<'_> {
    /// Fills in `LISTEN_PID`, `chdir`s, then `execve`s along the
    /// candidates; returns the failure. Called by the process that becomes
    /// the node, so its `getpid()` is the pid the node has in its pid
    /// namespace.
    fn exec(&self) -> (i32, i32) {
        if let Some(index) = self.listen_pid {
            let written = self
                .args
                .env_mut(index)
                .is_some_and(|entry| write_listen_pid(entry, sys::getpid() as u32));
            if !written {
                return bad_arguments();
            }
        }
        if !self.cwd.is_null() {
            if let Err(failure) = enter::check(sys::chdir(self.cwd), step::CHDIR) {
                return failure;
            }
        }
        let range = self.first_candidate..self.first_candidate + self.candidates;
        let candidates = range.filter_map(|i| self.args.ptr(i));
        let argv = self.args.argv_from(self.first_candidate + self.candidates);
        // SAFETY: the kernel's argument and environment arrays, and paths
        // among them, all NUL-terminated.
        let errno = unsafe { crate::arch::execve_each(candidates, argv, self.args.envp()) };
        (step::EXECVE, errno)
    }
}

/// The stack the node runs on until its `execve`. Only the clone ever
/// runs on it; there is one clone per program.
#[repr(align(16))]
struct Stack([u8; 64 * 1024]);
static mut NODE_STACK: Stack = Stack([0; 64 * 1024]);

/// Clones the node, waits until it has exec'd or exited, and reports.
///
/// Without `CLONE_VFORK`, we and the clone run at once on one address
/// space until its `execve` or exit. What keeps that sound:
///
/// - The clone runs on [`NODE_STACK`], which we never touch; we run on our
///   own (the initial) stack, below the frames of `start` and `run`, which
///   hold `args` and `node` and stay put (we never return). Of our stack,
///   the clone uses only those two, and the strings above them.
/// - The clone reads `node`, `args` and the strings they point to, and
///   writes only `node.failure`, `node.executing` and the `LISTEN_PID`
///   entry of the environment; the kernel writes `node.clone_pid` before
///   the clone runs. Until the wait below ends, we write none of those,
///   and read nothing the clone writes: we keep to our locals, the
///   pipe, the clone's `/proc` stat and `c` (read-only on both sides). We
///   hold `node` only as a raw pointer from the clone on, and read its two
///   fields, volatile, once the wait is over.
/// - The wait ends at the pipe's EOF. The clone holds the only other write
///   end (ours is closed at once), close-on-exec: the kernel closes it on a
///   successful `execve` after the clone has left our memory for the new
///   program's (`exec_mmap` comes before closing the close-on-exec fds), or
///   on exit after the clone has dropped our memory (`exit_mm` comes before
///   `exit_files`). The clone's stores happen before it, and the pipe's
///   wake-up orders them before our loads. Past the EOF, nothing runs on
///   our memory but us.
/// - Or it ends when we have killed the clone (found stopped, or the wait
///   failed): it may still be dying on our memory, so we touch nothing it
///   uses again, report and exit; the memory lives on until it is gone.
/// - A clone of ours has no signal handlers of our own to run, nor futexes
///   or a child tid for the kernel to write at its exit.
fn clone_node(c: &Common, node: &mut Node<'_>, proc: i32) -> ! {
    let [exec_read, exec_write] = match sys::pipe_cloexec() {
        Ok(ends) => ends,
        Err(ret) => enter::fail(c.report, (step::CLONE, sys::errno_of(ret))),
    };
    node.exec_pipe = [exec_read, exec_write];
    // SAFETY: a raw pointer, no reference; this program has one thread.
    let stack = unsafe { &raw mut NODE_STACK.0 };
    let mut clone = CloneArgs {
        flags: CLONE_VM | CLONE_PARENT | CLONE_PARENT_SETTID,
        parent_tid: (&raw mut node.clone_pid) as u64,
        stack: stack as u64,
        stack_size: core::mem::size_of::<Stack>() as u64,
        ..CloneArgs::default()
    };
    // Into a cgroup of its own: one the node may freeze (through a cgroup
    // namespace and mount of its own) must never hold us, whose report
    // the application waits for.
    if node.cgroup >= 0 {
        clone.flags |= CLONE_INTO_CGROUP;
        clone.cgroup = node.cgroup as u64;
    }
    let node: *mut Node<'_> = node;
    // SAFETY: the stack is the clone's alone (see above); `node` outlives
    // the clone's use of it (we wait for its exec or exit, and never
    // return); node_main allocates nothing and exits or execs.
    let pid = unsafe { sys::clone_then_call(&mut clone, node_main, node.cast()) };
    // The clone has its own copy of the fd table: its write end is now the
    // only one, and its exec or exit closes it.
    sys::close(exec_write);
    if pid < 0 {
        enter::fail(c.report, (step::CLONE, sys::errno_of(pid)));
    }
    let failure = match wait_for_exec(exec_read, pid, proc) {
        // Killed: `node` may still be in use until it is gone.
        Err(failure) => Some(failure),
        Ok(()) => match enter::parent_alive(c) {
            // The application died before the node armed its death signal:
            // nothing else would end the node.
            Err(failure) => {
                sys::kill(pid, sys::SIGKILL);
                Some(failure)
            }
            Ok(()) => {
                // SAFETY: the clone has exec'd or exited (see above), so
                // `node` is ours again; the reads are volatile, as the
                // clone's stores were not ours.
                let (failure, executing) = unsafe {
                    (
                        core::ptr::read_volatile(&raw const (*node).failure),
                        core::ptr::read_volatile(&raw const (*node).executing),
                    )
                };
                // A clone that has neither set `executing` nor a failure
                // was killed before it got there.
                if executing {
                    failure
                } else {
                    failure.or(Some((step::KILLED, sys::EINTR)))
                }
            }
        },
    };
    let (step, errno) = failure.unwrap_or((step::OK, 0));
    sys::report(c.report, step, errno, pid as i32);
    sys::exit_group(0)
}

/// How long the clone may take to `execve`: within the application's own
/// limit for our report (`held_up::LIMIT`, 30 s), so that it is we who
/// give up and kill the clone, and report it. A scope-mate can hold an
/// `execve` up without stopping anything (a lease on the program it
/// bind-mounted there holds its open for `lease-break-time`). The
/// application holds the clone's pid once the clone has reported itself,
/// and kills it if it gives up first; a clone held before that report
/// (stopped at once) is known to us alone.
const EXEC_SECONDS: i64 = 24;

/// Waits until the clone `pid` has exec'd or exited, which closes the write
/// end of `exec` it holds. Every [`app_proc::CHECK_EVERY_NANOS`] without
/// that, looks at its state in the application's `/proc` (`proc`): found
/// stopped, or still there after [`EXEC_SECONDS`], it is killed — it never
/// stops itself — and the start fails at `HELD_UP`.
fn wait_for_exec(exec: i32, pid: isize, proc: i32) -> Result<(), (i32, i32)> {
    let until = sys::monotonic_seconds() + EXEC_SECONDS;
    // Opened only once the clone is slow to exec: a fast start costs no
    // more than a `ppoll`. Its pid cannot be reused meanwhile: the clone is
    // the application's child, which reaps it only after our report.
    let mut stat = -1;
    loop {
        let mut fds = [PollFd {
            fd: exec,
            events: POLLIN,
            revents: 0,
        }];
        let ret = sys::poll_for(&mut fds, 0, app_proc::CHECK_EVERY_NANOS);
        if ret > 0 {
            return Ok(());
        }
        if ret < 0 && sys::errno_of(ret) != sys::EINTR {
            sys::kill(pid, sys::SIGKILL);
            return Err((step::KILLED, sys::errno_of(ret)));
        }
        if stat < 0 && proc >= 0 {
            stat = app_proc::open_stat(proc, pid) as i32;
        }
        if (stat >= 0 && app_proc::stopped(stat)) || sys::monotonic_seconds() >= until {
            sys::kill(pid, sys::SIGKILL);
            return Err((step::HELD_UP, sys::ETIMEDOUT));
        }
    }
}

/// Whether the program, which holds the only read end of the exec pipe
/// whose write end is `exec`, is alive; asked by the clone right after its
/// report. The application reads what is left in the report pipe once the
/// program is dead, and gives up on a start whose report that read does
/// not finish: alive now, the program dies (if it does) after the report
/// is in the pipe, and that read has it. Dead, it may have been read
/// without it, and the clone, whose pid the application would not hold,
/// must not run.
fn program_alive(exec: i32) -> bool {
    let mut fds = [PollFd {
        fd: exec,
        events: POLLOUT,
        revents: 0,
    }];
    sys::poll_for(&mut fds, 0, 0) >= 0 && fds[0].revents & POLLERR == 0
}

/// The node's side of the clone.
///
/// # Safety
///
/// `arg` points to the `Node` of `clone_node`, which touches none of it
/// until we have exec'd or exited.
unsafe extern "C" fn node_main(arg: *mut core::ffi::c_void) -> ! {
    // SAFETY: see above.
    let node = unsafe { &mut *arg.cast::<Node<'_>>() };
    // Our copy of the exec pipe's read end goes: the program's is then the
    // only one, and our write end tells whether it lives.
    sys::close(node.exec_pipe[0]);
    // SAFETY: stored by the kernel before we first ran; volatile, as the
    // store was not the compiler's to see.
    let pid = unsafe { core::ptr::read_volatile(&raw const node.clone_pid) };
    if !sys::report(node.report, step::OK, CLONING, pid) || !program_alive(node.exec_pipe[1]) {
        sys::exit_group(127);
    }
    let set_up = enter::check(sys::own_session(), step::SESSION)
        .and_then(|()| match node.terminal {
            -1 => Ok(()),
            fd => enter::check(sys::controlling_terminal(fd), step::CONTROLLING_TERMINAL),
        })
        .and_then(|()| enter::check(sys::die_with_parent(), step::DEATH_SIGNAL));
    node.failure = Some(match set_up {
        Err(failure) => failure,
        Ok(()) => {
            // SAFETY: a plain field of the `Node` we may write; volatile so
            // the store is not deferred past the execve.
            unsafe { core::ptr::write_volatile(&mut node.executing, true) };
            node.exec()
        }
    });
    sys::exit_group(127)
}
