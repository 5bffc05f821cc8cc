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

use crate::args::Args;
use crate::enter::{self, Common, bad_arguments};
use crate::protocol::{join, step, write_listen_pid};
use crate::sys::{self, CLONE_PARENT, CLONE_VFORK, CLONE_VM, CloneArgs};

/// What the node runs, and where its failure is written.
struct Node<'a> {
    args: &'a Args,
    /// The working directory, or null.
    cwd: *const u8,
    first_candidate: usize,
    candidates: usize,
    /// The index of the `LISTEN_PID` entry in the environment, if any.
    listen_pid: Option<usize>,
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
    if let Err(failure) = enter::enter(&c).and_then(|()| crate::ids::drop_to(args, &c)) {
        enter::fail(c.report, failure);
    }
    if args.number(join::CLONE_CHILD) != Some(1) {
        // This process is the node. It says it is about to execve; on
        // success the report pipe, marked close-on-exec, closes with nothing
        // more written.
        sys::report(c.report, step::OK, 0, crate::protocol::EXECUTING);
        enter::fail(c.report, node.exec());
    }
    clone_node(&c, &mut node)
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
    Ok(Node {
        args,
        cwd,
        first_candidate,
        candidates,
        listen_pid,
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

/// The stack the node runs on until its `execve` (we are suspended
/// meanwhile, `CLONE_VFORK`).
#[repr(align(16))]
struct Stack([u8; 64 * 1024]);
static mut NODE_STACK: Stack = Stack([0; 64 * 1024]);

fn clone_node(c: &Common, node: &mut Node<'_>) -> ! {
    // SAFETY: a raw pointer, no reference; this program has one thread.
    let stack = unsafe { &raw mut NODE_STACK.0 };
    let mut clone = CloneArgs {
        flags: CLONE_VM | CLONE_VFORK | CLONE_PARENT,
        stack: stack as u64,
        stack_size: core::mem::size_of::<Stack>() as u64,
        ..CloneArgs::default()
    };
    let arg = (node as *mut Node<'_>).cast();
    // SAFETY: the stack is ours alone and, with CLONE_VFORK, used by the
    // node only while we are suspended; `node` outlives the child's use of
    // it; node_main allocates nothing and exits or execs.
    let pid = unsafe { sys::clone_then_call(&mut clone, node_main, arg) };
    if pid < 0 {
        enter::fail(c.report, (step::CLONE, sys::errno_of(pid)));
    }
    let failure = match enter::parent_alive(c) {
        // The application died before the node armed its death signal:
        // nothing else would end the node.
        Err(failure) => {
            sys::kill(pid, sys::SIGKILL);
            Some(failure)
        }
        // SAFETY: `node` is ours again: the clone has exec'd or exited.
        Ok(()) if !unsafe { core::ptr::read_volatile(&node.executing) } => node
            .failure
            .or(Some((step::KILLED, sys::EINTR))),
        Ok(()) => node.failure,
    };
    let (step, errno) = failure.unwrap_or((step::OK, 0));
    sys::report(c.report, step, errno, pid as i32);
    sys::exit_group(0)
}

/// The node's side of the clone.
///
/// # Safety
///
/// `arg` points to the `Node` of `clone_node`, which is suspended until we
/// exec or exit.
unsafe extern "C" fn node_main(arg: *mut core::ffi::c_void) -> ! {
    // SAFETY: see above.
    let node = unsafe { &mut *arg.cast::<Node<'_>>() };
    let set_up = enter::check(sys::own_process_group(), step::PROCESS_GROUP)
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
