//! A live scope: its init process, created with the scope's namespaces, and
//! what a node needs to join them.
//!
//! Creating a scope, in order:
//! 1. the application's vfork-style child executes the carried scope
//!    program (`create`), which — from an address space of its own, after
//!    joining the enclosing scope for a nested one — clones the init into
//!    the new namespaces with `CLONE_PARENT` and reports its pid (for a pid
//!    namespace nested in the enclosing scope's, through a helper it clones
//!    in that namespace first, which the application reaps);
//! 2. the application writes the id maps (`setgroups` = `deny` before
//!    `gid_map` when unprivileged; CVE-2014-8989) and sends one byte;
//! 3. the init makes itself non-dumpable, sets the namespaces up from inside
//!    and answers with a report over the sync socket.
//!
//! The application keeps its end of that socket for the scope's life: the
//! init exits when it closes, however the application ends.

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};

use super::id_claim::IdClaim;
use super::ids::{InsideIds, write_id_maps};
use super::strays::PidNamespace;
use super::{Namespace, ScopeSpec};
use crate::error::{Error, Step};
use crate::graph::{Graph, ScopeId};
use crate::kernel_file::ProcStat;
use crate::process::Process;
use crate::spawn::{
    Entry, ExecSpec, FdMove, NAMESPACES, ProgramFds, REPORT_LEN, REQUEST_CLEAR,
    REQUEST_TCP_SOCKET_V4, REQUEST_TCP_SOCKET_V6, SETUP_HOSTNAME, SETUP_LOCK_MOUNTS,
    SETUP_LOOPBACK_UP, SETUP_MOUNT_PROC, SETUP_ROOT_PRIVATE, create_arguments, decode_words,
    describe, spawn_process, step_namespace_flag,
};

/// Where the `create` program finds its fds (see `carried/protocol.rs`).
const REPORT_FD: i32 = 3;
const SYNC_FD: i32 = 4;
const ENCLOSING_FD: i32 = 5;

/// A scope whose namespaces exist, held by its init.
#[derive(Debug)]
pub(crate) struct ScopeRuntime {
    init: Process,
    /// The application's end of the init's sync socket: the init exits
    /// when it closes.
    sync: UnixStream,
    /// The `CLONE_NEW*` flags of this scope and every enclosing one: what a
    /// process joins to be inside.
    namespaces: u32,
    /// An fd of each of those namespaces, in the order they are joined,
    /// sent by the init (which nothing may ptrace, so its pidfd and its
    /// `/proc` files cannot be used to join it).
    namespace_fds: Vec<OwnedFd>,
    /// `NOTIFY_SOCKET`s the init made in the scope's network namespace,
    /// until nodes take them.
    notify_sockets: Vec<OwnedFd>,
    /// The ids its processes take in its user namespace (its own or an
    /// enclosing scope's), if it is in one.
    inside_ids: Option<InsideIds>,
    /// The drawn id its own user namespace is mapped to, held until its
    /// init is gone (see `Drop`).
    id_claim: Option<IdClaim>,
    /// Its user namespace (its own or an enclosing scope's) maps its
    /// processes to the application's own ids outside.
    as_the_application: bool,
    /// Its nodes' mount table is locked, with no cgroup hierarchy and no
    /// outside `/proc` in it: made so by its init or by an enclosing
    /// scope's ([`locks_mounts`]).
    mounts_locked: bool,
    /// Its init is pid 1 of a pid namespace of its own.
    own_pid_namespace: bool,
}

impl ScopeRuntime {
    /// Creates `spec`'s namespaces, inside `enclosing` if it is nested, and
    /// `notify_sockets` `NOTIFY_SOCKET`s in its network namespace.
    /// `null` is `/dev/null`, for the init's stdio ([`InitStdio`]).
    pub(crate) fn create(
        spec: &ScopeSpec,
        enclosing: Option<&ScopeRuntime>,
        notify_sockets: usize,
        null: BorrowedFd<'_>,
    ) -> Result<ScopeRuntime, Error> {
        let failed =
            |namespace: Option<Namespace>, step: &'static str, source: io::Error| Error::Scope {
                scope: spec.name.clone(),
                namespace,
                step,
                source,
            };
        let enclosing_flags = enclosing.map_or(0, |o| o.namespaces);
        if spec.has(Namespace::User) && enclosing_flags & libc::CLONE_NEWUSER as u32 != 0 {
            // Its id maps could only be written from inside the enclosing
            // scope's user namespace.
            return Err(failed(
                Some(Namespace::User),
                "nest a user namespace in a scope that has one",
                io::ErrorKind::Unsupported.into(),
            ));
        }
        let (ours, theirs) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| failed(None, "create sync socketpair", e.into()))?;
        let locks = locks_mounts(spec, enclosing);
        let own_flags = match locks {
            true => spec.clone_flags() | Namespace::Mount.clone_flag(),
            false => spec.clone_flags(),
        };
        let entry = Entry {
            app_pid: rustix::process::getpid().as_raw_nonzero().get(),
            fds: ProgramFds {
                report: REPORT_FD,
                scope: enclosing.map(|_| ENCLOSING_FD),
                node_cgroup: None,
            },
            join_flags: enclosing_flags,
        };
        // The ids of its own user namespace, whose maps are written below,
        // else those of the enclosing scope's.
        let own_ids = spec.has(Namespace::User).then(|| InsideIds::of(spec));
        let inside_ids = own_ids.or_else(|| enclosing.and_then(|e| e.inside_ids));
        let argv = create_arguments(
            &entry,
            SYNC_FD,
            own_flags,
            setup_of(spec, own_flags, locks),
            spec.hostname.as_deref(),
            notify_sockets,
            inside_ids,
        )
        .map_err(|problem| {
            let source = io::Error::new(io::ErrorKind::InvalidInput, problem);
            failed(Some(Namespace::Uts), "sethostname", source)
        })?;
        let exec = ExecSpec::program(argv, entry.fds);
        let mut fds: Vec<FdMove> = (0..3)
            .map(|target| FdMove {
                src: null.as_raw_fd(),
                target,
            })
            .collect();
        fds.push(FdMove {
            src: theirs.as_raw_fd(),
            target: SYNC_FD,
        });
        let parent = rustix::process::getpid();
        let result = spawn_process(
            &exec,
            fds,
            parent,
            enclosing.map_or(&[][..], ScopeRuntime::namespace_fds),
            None,
        );
        drop(theirs);
        let init = result.map_err(|(step, errno)| {
            let source = io::Error::from_raw_os_error(errno);
            let (namespace, step) = match step {
                Step::Clone => (likely_culprit(spec, enclosing_flags, errno), "clone3"),
                Step::Setns => (None, "setns into the enclosing scope"),
                Step::ParentDied => (None, "parent-death check"),
                _ => (None, "run the scope program"),
            };
            failed(namespace, step, source)
        })?;
        let pid = init.pid();
        // From here on, an error drops the scope, which kills its init.
        let mut scope = ScopeRuntime {
            init,
            // Held high, as the namespace fds: a scope's fds are held as
            // long as it lives, and spawns would copy them (`sys::held_high`).
            sync: UnixStream::from(crate::sys::held_high(ours)),
            namespaces: enclosing_flags | own_flags as u32,
            namespace_fds: Vec::new(),
            notify_sockets: Vec::new(),
            inside_ids,
            id_claim: None,
            as_the_application: enclosing.is_some_and(|e| e.as_the_application),
            mounts_locked: locks || enclosing.is_some_and(|e| e.mounts_locked),
            own_pid_namespace: spec.has(Namespace::Pid),
        };
        if let Some(inside) = own_ids {
            (scope.id_claim, scope.as_the_application) = write_id_maps(pid, inside)
                .map_err(|(step, e)| failed(Some(Namespace::User), step, e))?;
        }
        let answer = scope.sync.write_all(b"g").and_then(|()| scope.answer());
        match answer {
            Ok((report, fds)) => match decode_words(&report) {
                [0, ..] if fds.len() == scope.namespaces.count_ones() as usize => {
                    scope.namespace_fds = fds.into_iter().map(crate::sys::held_high).collect();
                    for _ in 0..notify_sockets {
                        let socket = scope
                            .answer()
                            .ok()
                            .and_then(|(_, mut fds)| fds.pop().filter(|_| fds.is_empty()))
                            .ok_or_else(|| {
                                failed(
                                    None,
                                    "receive a NOTIFY_SOCKET",
                                    io::ErrorKind::InvalidData.into(),
                                )
                            })?;
                        scope.notify_sockets.push(socket);
                    }
                    Ok(scope)
                }
                [0, ..] => Err(failed(
                    None,
                    "receive the namespace fds",
                    io::ErrorKind::InvalidData.into(),
                )),
                [step, errno, ..] => {
                    let namespace = step_namespace_flag(step).and_then(|flag| {
                        Namespace::ALL.into_iter().find(|n| n.clone_flag() == flag)
                    });
                    Err(failed(
                        namespace,
                        describe(step),
                        io::Error::from_raw_os_error(errno),
                    ))
                }
            },
            Err(e) => Err(failed(None, "talk to the scope init", e)),
        }
    }

    /// An fd of each namespace a process joins to be inside, in the order
    /// it joins them.
    pub(crate) fn namespace_fds(&self) -> &[OwnedFd] {
        &self.namespace_fds
    }

    /// One of the `NOTIFY_SOCKET`s made in the scope's network namespace.
    pub(crate) fn take_notify_socket(&mut self) -> Option<OwnedFd> {
        self.notify_sockets.pop()
    }

    /// Asks the init for a non-blocking TCP socket of the scope's network
    /// namespace, for `address`'s family, without waiting: the init answers
    /// on the sync socket, which becomes readable (see
    /// [`sync_fd`](Self::sync_fd)); [`receive_answer`](Self::receive_answer)
    /// takes the answer. Answers come in the order of the requests.
    pub(crate) fn request_socket(&self, address: std::net::SocketAddr) -> io::Result<()> {
        self.request(match address {
            std::net::SocketAddr::V4(_) => REQUEST_TCP_SOCKET_V4,
            std::net::SocketAddr::V6(_) => REQUEST_TCP_SOCKET_V6,
        })
    }

    /// Asks the init, without waiting, to SIGKILL every other process of
    /// its pid namespace (one of its own: see
    /// [`has_own_pid_namespace`](Self::has_own_pid_namespace)); its answer,
    /// without fds, says it has. In the order of the requests, as
    /// [`request_socket`](Self::request_socket)'s.
    pub(crate) fn request_clear(&self) -> io::Result<()> {
        self.request(REQUEST_CLEAR)
    }

    fn request(&self, request: u8) -> io::Result<()> {
        let flags = rustix::net::SendFlags::DONTWAIT | rustix::net::SendFlags::NOSIGNAL;
        match rustix::net::send(&self.sync, &[request], flags)? {
            1 => Ok(()),
            _ => Err(io::ErrorKind::WriteZero.into()),
        }
    }

    /// One look at the init, whose answer has not come, under `looks`:
    /// whether to give it up, stopped or past
    /// [`held_up::LIMIT`](crate::held_up::LIMIT) — a node of the scope may
    /// signal it (see [`crate::held_up`]) — with no answer written before.
    /// A held-up init is dropped with the scope, which kills it.
    pub(crate) fn is_held_up(&self, looks: &mut crate::held_up::Looks) -> bool {
        // An answer that cannot be looked for will not be read either.
        looks.gives_up(&self.init, self.sync_fd()).unwrap_or(true)
    }

    /// The init's next report, waited for while the init is not held up
    /// ([`crate::held_up::wait_for_answer`]).
    fn answer(&self) -> io::Result<([u8; REPORT_LEN], Vec<OwnedFd>)> {
        crate::held_up::wait_for_answer(self.sync_fd(), &self.init)?;
        receive_report(&self.sync, false)
    }

    /// The application's end of the sync socket, to wait on for answers.
    pub(crate) fn sync_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.sync.as_fd()
    }

    /// The next answer to a request, if one has arrived. At EOF (the init
    /// is gone) every call returns an error.
    pub(crate) fn receive_answer(&self) -> Option<Answer> {
        let (report, mut fds) = match receive_report(&self.sync, true) {
            Ok(received) => received,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) => return Some(Answer::failed(e)),
        };
        let words = decode_words(&report);
        let result = match (words, fds.pop()) {
            ([0, ..], fd) if fds.is_empty() => Ok(fd),
            ([0, ..], _) => Err(io::ErrorKind::InvalidData.into()),
            ([_, errno, ..], _) => Err(io::Error::from_raw_os_error(errno)),
        };
        // A negative count (-1) is "cannot tell".
        let left = result.as_ref().ok().and(u32::try_from(words[2]).ok());
        Some(Answer { result, left })
    }

    /// Whether the scope, or one it is nested in, has a network namespace
    /// of its own — which the init is in.
    pub(crate) fn has_own_network(&self) -> bool {
        self.namespaces & libc::CLONE_NEWNET as u32 != 0
    }

    /// The `CLONE_NEW*` flags a process joins to be inside.
    pub(crate) fn namespaces(&self) -> u32 {
        self.namespaces
    }

    /// The ids a process joining the scope takes in its user namespace, if
    /// it is in one.
    pub(crate) fn inside_ids(&self) -> Option<InsideIds> {
        self.inside_ids
    }

    /// Whether its processes are the application's own uid and gid
    /// outside: then they own, and may write, every cgroup file the
    /// application made (see [`GraphCgroup::ready_for_start`](crate::cgroup::GraphCgroup::ready_for_start)).
    pub(crate) fn as_the_application(&self) -> bool {
        self.as_the_application
    }

    /// Whether its init is pid 1 of a pid namespace of its own, which it
    /// may clear ([`request_clear`](Self::request_clear)).
    pub(crate) fn has_own_pid_namespace(&self) -> bool {
        self.own_pid_namespace
    }

    /// Whether joining puts a process in a new pid namespace — which only
    /// its children enter, so the node must be cloned after the join.
    pub(crate) fn has_pid_namespace(&self) -> bool {
        self.namespaces & libc::CLONE_NEWPID as u32 != 0
    }

    /// Reaps its init if it has ended. The runtime ends it only by
    /// dropping the scope, so it was killed.
    ///
    /// `before_close` gets the init's pidfd just before it is closed, to
    /// take it out of a wait set it may be in.
    pub(crate) fn reap_ended_init(&mut self, before_close: impl FnOnce(BorrowedFd<'_>)) {
        let _ = self.init.reap_then(false, before_close);
    }

    /// The init's pidfd until it is reaped: readable once it has exited.
    pub(crate) fn init_pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.init.pidfd()
    }

    /// Whether its init, not reaped, is exiting: one killed while other
    /// processes of its pid namespace are still to be reaped waits for them
    /// in its exit, `PF_EXITING` in its `stat` flags, and its namespace
    /// refuses new processes from the start of that wait. Its pid is its
    /// own until it is reaped, so the `stat` read is of it; once it is
    /// reaped, nothing is read.
    fn init_is_exiting(&self) -> bool {
        // `include/linux/sched.h`: set as `do_exit` begins.
        const PF_EXITING: u32 = 0x4;
        self.init.status().is_none()
            && ProcStat::of(self.init.pid().as_raw_nonzero().get())
                .and_then(|stat| stat.field::<u32>(6))
                .is_some_and(|flags| flags & PF_EXITING != 0)
    }

    /// Whether its init has ended (reaped or not) or is exiting, leaving
    /// it as it is.
    fn init_is_dead(&self) -> bool {
        self.init.status().is_some()
            || matches!(self.init.peek(), Ok(Some(_)))
            || self.init_is_exiting()
    }

    /// The pid namespace its init is pid 1 of, if it has one of its own,
    /// and the init's pid: what the scope's nodes make the application's
    /// children there ([`super::strays`]) is in it, and is not the init.
    pub(crate) fn pid_namespace(&self) -> Option<(PidNamespace, rustix::process::Pid)> {
        let namespace = PidNamespace::of(self.own_pid_namespace_fd()?)?;
        Some((namespace, self.init.pid()))
    }

    /// An fd of the pid namespace its init is pid 1 of, if it has one of
    /// its own. The init sends an fd of each of its namespaces, in
    /// `NAMESPACES` order.
    fn own_pid_namespace_fd(&self) -> Option<&OwnedFd> {
        if !self.own_pid_namespace {
            return None;
        }
        let position = NAMESPACES
            .iter()
            .filter(|(flag, _)| self.namespaces & flag != 0)
            .position(|(flag, _)| *flag == libc::CLONE_NEWPID as u32)?;
        self.namespace_fds.get(position)
    }
}

/// An init's answer to a request ([`ScopeRuntime::receive_answer`]).
#[derive(Debug)]
pub(crate) struct Answer {
    /// The fd it carries (a socket), none (a clear), or why the init could
    /// not do it.
    pub(crate) result: io::Result<Option<OwnedFd>>,
    /// To a clear: how many of the application's children the kill left
    /// in the namespace, all ended, for it to reap; `None` where the init
    /// could not tell (see `carried/init.rs`).
    pub(crate) left: Option<u32>,
}

impl Answer {
    /// The answer of an init that is gone, or could not be read.
    pub(crate) fn failed(error: io::Error) -> Answer {
        Answer {
            result: Err(error),
            left: None,
        }
    }
}

/// Reads the init's report and the fds attached to it; `nonblocking`: fail
/// with `WouldBlock` rather than wait for one.
fn receive_report(
    sync: &UnixStream,
    nonblocking: bool,
) -> io::Result<([u8; REPORT_LEN], Vec<OwnedFd>)> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut report = [0u8; REPORT_LEN];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(8))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = loop {
        let mut iov = [io::IoSliceMut::new(&mut report)];
        let flags = match nonblocking {
            true => RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT,
            false => RecvFlags::CMSG_CLOEXEC,
        };
        match rustix::net::recvmsg(sync, &mut iov, &mut control, flags) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    let fds = control
        .drain()
        .filter_map(|m| match m {
            RecvAncillaryMessage::ScmRights(fds) => Some(fds),
            _ => None,
        })
        .flatten()
        .collect();
    if received.bytes != REPORT_LEN {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok((report, fds))
}

/// `/dev/null` for the stdio of the inits an add creates, opened once, by
/// the application: opened by an init, in its scope's mount namespace, it
/// could be held up for the kernel's `lease-break-time` by a node of an
/// enclosing scope that leases a file it mounted over `/dev/null`
/// (`tests/scope_nested_leased.rs`).
#[derive(Default)]
struct InitStdio(Option<OwnedFd>);

impl InitStdio {
    /// It, opened at the first scope that needs it; an error names `spec`.
    fn get(&mut self, spec: &ScopeSpec) -> Result<BorrowedFd<'_>, Error> {
        if self.0.is_none() {
            let null = rustix::fs::open(
                "/dev/null",
                rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map_err(|e| Error::Scope {
                scope: spec.name.clone(),
                namespace: None,
                step: "open /dev/null for the init's stdio",
                source: e.into(),
            })?;
            self.0 = Some(null);
        }
        Ok(self.0.as_ref().expect("opened above").as_fd())
    }
}

/// Whether the init of `spec`, nested in `enclosing`, locks its mount
/// table with no cgroup hierarchy and no outside `/proc` in it (see
/// "Scopes" in the README, and `carried/mounts.rs`): where the
/// scope has a pid namespace of its own and is in a user namespace, its
/// own or an enclosing scope's. Root there passes every check on the files
/// of the ids its user namespace maps — under an unprivileged application,
/// every cgroup file of its graphs — so with the enclosing mount table it
/// could freeze a cgroup the application clones into, or see every
/// process outside. Not again in a scope whose enclosing one locked its
/// table: that table, or a copy of it, is locked already.
fn locks_mounts(spec: &ScopeSpec, enclosing: Option<&ScopeRuntime>) -> bool {
    let in_a_user_namespace = spec.has(Namespace::User)
        || enclosing.is_some_and(|e| e.namespaces & libc::CLONE_NEWUSER as u32 != 0);
    spec.has(Namespace::Pid) && in_a_user_namespace && !enclosing.is_some_and(|e| e.mounts_locked)
}

/// The init's set-up steps for `spec`, whose init is cloned with
/// `own_flags` and `locks` its mounts: the `SETUP_*` bits.
fn setup_of(spec: &ScopeSpec, own_flags: u64, locks: bool) -> u32 {
    let mut setup = 0;
    if own_flags & Namespace::Mount.clone_flag() != 0 {
        setup |= SETUP_ROOT_PRIVATE;
        if spec.has(Namespace::Pid) {
            setup |= SETUP_MOUNT_PROC;
        }
    }
    if locks {
        setup |= SETUP_LOCK_MOUNTS;
    }
    if spec.has(Namespace::Net) {
        setup |= SETUP_LOOPBACK_UP;
    }
    if spec.hostname.is_some() {
        setup |= SETUP_HOSTNAME;
    }
    setup
}

/// The scopes of a graph: live, in creation order (enclosing scopes first),
/// and for each declared scope its place in that order.
///
/// A scope made by an add ends when its last member goes: the last node in
/// it has been removed and has ended, and no live scope is nested in it.
/// Scopes made at spawn are held until the graph ends (a node of theirs may
/// have an exec probe, whose process the runtime may not have reaped yet).
///
/// Dropped innermost first: a dying pid-namespace init lingers until every
/// process of its namespace has been reaped — including a nested scope's
/// init, whose parent is the application — so reaping an enclosing init
/// before the nested one would wait forever.
#[derive(Debug, Default)]
pub(crate) struct Scopes {
    live: Vec<Held>,
    place: Vec<usize>,
}

/// One scope created for the graph.
#[derive(Debug)]
struct Held {
    /// `None` once it has ended.
    scope: Option<ScopeRuntime>,
    /// The place of the scope it is nested in.
    enclosing: Option<usize>,
    /// Nodes in it that have not been removed, and live scopes nested in it.
    members: u32,
    /// Made by an add: it ends with its last member.
    ends_when_empty: bool,
}

impl Scopes {
    /// Creates every scope of `graph` (see [`add`](Self::add)), to be held
    /// until the graph ends.
    pub(crate) fn create(graph: &Graph) -> Result<Scopes, Error> {
        let mut created = Scopes::default();
        created.add(graph, false)?;
        Ok(created)
    }

    /// Appends the scopes of `graph`: its declared scope `s` becomes scope
    /// `first + s` of these, `first` being the count declared so far. One
    /// that stands for a live scope these have ([`Graph::running_scope`])
    /// is that scope; every other one is created, enclosing scopes first,
    /// with a `NOTIFY_SOCKET` for every node of it that has
    /// `Readiness::Notify` and a network namespace of its own, and ends
    /// with its last member if `ends_when_empty`. On an error, nothing is
    /// appended: what was created is dropped. The nodes of `graph` are not
    /// members yet (see [`join`](Self::join)).
    ///
    /// [`Graph::running_scope`]: crate::Graph::running_scope
    pub(crate) fn add(&mut self, graph: &Graph, ends_when_empty: bool) -> Result<(), Error> {
        let before = self.mark();
        let mut place: Vec<Option<usize>> = Vec::with_capacity(graph.scopes.len());
        for (index, spec) in graph.scopes.iter().enumerate() {
            let joined = spec.joins.map(|joined| {
                self.place
                    .get(joined.index())
                    .copied()
                    .filter(|&live| self.live[live].scope.is_some())
                    .ok_or_else(|| Error::NoSuchScope {
                        node: graph.first_node_in(index).unwrap_or(&spec.name).to_owned(),
                        scope: joined,
                    })
            });
            place.push(joined.transpose()?);
        }
        let mut notify_sockets = vec![0; graph.scopes.len()];
        for node in &graph.nodes {
            if let Some(scope) = node.options.rare().scope
                && node.options.ready == crate::Readiness::Notify
                && graph.in_own_network(node)
            {
                notify_sockets[scope.index()] += 1;
            }
        }
        let mut null = InitStdio::default();
        // Validation rejected nesting cycles, so each pass creates at least one.
        while place.iter().any(Option::is_none) {
            for (index, spec) in graph.scopes.iter().enumerate() {
                if place[index].is_some() {
                    continue;
                }
                let enclosing = match spec.parent {
                    Some(parent) => match place[parent.index()] {
                        Some(outer) => Some(outer),
                        None => continue,
                    },
                    None => None,
                };
                let outer = enclosing.and_then(|outer| self.live[outer].scope.as_ref());
                let created = null.get(spec).and_then(|null| {
                    ScopeRuntime::create(spec, outer, notify_sockets[index], null)
                });
                match created {
                    Ok(scope) => {
                        place[index] = Some(self.live.len());
                        if let Some(outer) = enclosing {
                            self.live[outer].members += 1;
                        }
                        self.live.push(Held {
                            scope: Some(scope),
                            enclosing,
                            members: 0,
                            ends_when_empty,
                        });
                    }
                    Err(e) => {
                        let e = self.dead_enclosing_namespace(enclosing, spec).unwrap_or(e);
                        self.truncate(before);
                        return Err(e);
                    }
                }
            }
        }
        self.place.extend(place.into_iter().flatten());
        Ok(())
    }

    /// Why `spec` could not be created inside the scope at place
    /// `enclosing`, if it is that the pid namespace it was to be made in
    /// has lost its init (see [`Step::ScopeInitEnded`]): nothing can start
    /// there, whatever step failed. Its init is not reaped here, as the
    /// event loop may be watching it.
    fn dead_enclosing_namespace(
        &self,
        enclosing: Option<usize>,
        spec: &ScopeSpec,
    ) -> Option<Error> {
        let owner = self.pid_namespace_owner(enclosing?)?;
        let dead = self.live[owner].scope.as_ref()?.init_is_dead();
        dead.then(|| Error::Scope {
            scope: spec.name.clone(),
            namespace: Some(Namespace::Pid),
            step: "start in the enclosing scope (its pid namespace's init has ended)",
            source: io::Error::from_raw_os_error(libc::ESRCH),
        })
    }

    /// How many scopes there are now: what [`truncate`](Self::truncate)
    /// goes back to.
    pub(crate) fn mark(&self) -> ScopesMark {
        ScopesMark {
            live: self.live.len(),
            declared: self.place.len(),
        }
    }

    /// Drops the scopes created and declared after `mark`, innermost first.
    pub(crate) fn truncate(&mut self, mark: ScopesMark) {
        while self.live.len() > mark.live {
            if let Some(outer) = self.live.pop().and_then(|held| held.enclosing)
                && outer < mark.live
            {
                self.live[outer].members -= 1;
            }
        }
        self.place.truncate(mark.declared);
    }

    /// A node joins declared scope `scope`: a member until it
    /// [`leave`](Self::leave)s.
    pub(crate) fn join(&mut self, scope: ScopeId) {
        if let Some(&live) = self.place.get(scope.index()) {
            self.live[live].members += 1;
        }
    }

    /// A node of declared scope `scope` has been removed and has ended: a
    /// scope made by an add that has no member left ends, and so may the
    /// scope it was nested in. The scopes that ended, innermost first, with
    /// their places: dropping each kills its init, which the caller does
    /// in that order once it no longer waits on their sync sockets.
    #[must_use = "dropping the ended scopes, innermost first, kills their inits"]
    pub(crate) fn leave(&mut self, scope: ScopeId) -> Vec<(usize, ScopeRuntime)> {
        let mut ended = Vec::new();
        let mut next = self.place.get(scope.index()).copied();
        while let Some(live) = next {
            let held = &mut self.live[live];
            held.members = held.members.saturating_sub(1);
            if held.members > 0 || !held.ends_when_empty {
                break;
            }
            ended.extend(held.scope.take().map(|scope| (live, scope)));
            next = held.enclosing;
        }
        ended
    }

    /// Where declared scope `scope`'s live scope is (another declared scope
    /// may stand for the same one), and that scope, if it has not ended:
    /// what keys the requests to its init.
    pub(crate) fn place_of(&self, scope: ScopeId) -> Option<(usize, &ScopeRuntime)> {
        let live = *self.place.get(scope.index())?;
        self.at(live).map(|runtime| (live, runtime))
    }

    /// The live scope at place `live`, if it has not ended.
    pub(crate) fn at(&self, live: usize) -> Option<&ScopeRuntime> {
        self.live.get(live)?.scope.as_ref()
    }

    /// Whether every process of declared scope `scope`'s pid namespace but
    /// its init belongs to its one member: the scope has a pid namespace of
    /// its own, one member node, and no live scope nested in it.
    pub(crate) fn has_one_member_in_own_pid_namespace(&self, scope: ScopeId) -> bool {
        self.place
            .get(scope.index())
            .map(|&live| &self.live[live])
            .is_some_and(|held| {
                held.members == 1
                    && held
                        .scope
                        .as_ref()
                        .is_some_and(ScopeRuntime::has_own_pid_namespace)
            })
    }

    /// The place of the scope whose init is pid 1 of the pid namespace the
    /// nodes of declared scope `scope` start in — the scope itself, or the
    /// nearest enclosing scope with one — if that init has ended or is
    /// exiting. Such a namespace is dead: every process in it was killed,
    /// and none can start there again. Never for a scope without a pid
    /// namespace, whose init may end without keeping a start from joining
    /// the namespace fds the application holds.
    ///
    /// A dead namespace's init exits only once every process in it is
    /// reaped, the inits of scopes nested in it (the application's
    /// children there) included: the ended inits of the scopes inside it
    /// are reaped, innermost first (a nested scope is made after the one
    /// it is in), its own last. `before_close` gets the place and pidfd of
    /// each init reaped, just before the pidfd is closed. A namespace that
    /// lives costs a look at its init alone, whatever the number of scopes.
    pub(crate) fn pid_namespace_ended(
        &mut self,
        scope: ScopeId,
        mut before_close: impl FnMut(usize, BorrowedFd<'_>),
    ) -> Option<usize> {
        let owner = self.pid_namespace_owner(*self.place.get(scope.index())?)?;
        if !self.live[owner].scope.as_ref()?.init_is_dead() {
            return None;
        }
        for place in (owner..self.live.len()).rev() {
            if !self.encloses(owner, place) {
                continue;
            }
            if let Some(runtime) = &mut self.live[place].scope {
                runtime.reap_ended_init(|pidfd| before_close(place, pidfd));
            }
        }
        Some(owner)
    }

    /// Whether the scope at place `inner` is the one at `outer`, or nested
    /// in it, however deep.
    fn encloses(&self, outer: usize, inner: usize) -> bool {
        self.outward_from(inner).any(|at| at == outer)
    }

    /// The place `live`, then those of the scopes it is nested in, outward.
    fn outward_from(&self, live: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(live), |&at| self.live[at].enclosing)
    }

    /// The place of the scope whose init is pid 1 of the pid namespace the
    /// scope at place `live` starts its processes in: itself, or the
    /// nearest enclosing scope with a pid namespace of its own.
    fn pid_namespace_owner(&self, live: usize) -> Option<usize> {
        self.outward_from(live).find(|&at| {
            self.live[at]
                .scope
                .as_ref()
                .is_some_and(ScopeRuntime::has_own_pid_namespace)
        })
    }

    /// Reaps the init of the scope at place `live` if it has exited,
    /// handing its pidfd to `before_close` just before closing it.
    pub(crate) fn reap_ended_init(
        &mut self,
        live: usize,
        before_close: impl FnOnce(BorrowedFd<'_>),
    ) {
        if let Some(runtime) = self.live.get_mut(live).and_then(|held| held.scope.as_mut()) {
            runtime.reap_ended_init(before_close);
        }
    }

    /// The live scope of declared scope `scope`, if the graph has it and it
    /// has not ended.
    pub(crate) fn try_get(&self, scope: ScopeId) -> Option<&ScopeRuntime> {
        let live = self.place.get(scope.index())?;
        self.live[*live].scope.as_ref()
    }

    /// The live scope of declared scope `scope`, if the graph has it and it
    /// has not ended.
    pub(crate) fn try_get_mut(&mut self, scope: ScopeId) -> Option<&mut ScopeRuntime> {
        let live = self.place.get(scope.index())?;
        self.live[*live].scope.as_mut()
    }
}

/// How many scopes a [`Scopes`] had, live and declared (a scope standing
/// for another is declared, not live).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScopesMark {
    live: usize,
    declared: usize,
}

impl ScopesMark {
    /// The id the next declared scope gets.
    pub(crate) fn next_declared(self) -> usize {
        self.declared
    }
}

impl Drop for Scopes {
    fn drop(&mut self) {
        while let Some(held) = self.live.pop() {
            drop(held);
        }
    }
}

/// Kills the init — which, for a pid scope, makes the kernel kill every
/// process left in the namespace — and reaps it. Also what a failed
/// creation does, by returning the error and so dropping the scope.
///
/// The kernel holds a pid scope's init until every process of its
/// namespace is reaped. The application's own children there (nodes,
/// cloned with `CLONE_PARENT`) are reaped before a scope ends; one it never
/// learned of (a clone a hostile node stopped before its pid was told)
/// would hold the init for good. So the wait is bounded
/// ([`held_up::LIMIT`](crate::held_up::LIMIT)), and an init still there
/// after it is left to the application's end rather than freeze it.
impl Drop for ScopeRuntime {
    fn drop(&mut self) {
        let killed = self.init.signal(crate::Signal::KILL);
        // A forked copy (EPERM) acts on nothing, and waits for nothing.
        let ours = !matches!(&killed, Err(e) if e.raw_os_error() == Some(libc::EPERM));
        // What a node cloned into the dying namespace as the application's
        // child holds the init's exit until it is reaped (`strays`).
        let reap_strays = || {
            if let Some(namespace) = self.own_pid_namespace_fd() {
                super::strays::reap_in(namespace);
            }
        };
        let exited = ours && crate::held_up::wait_for_exit(&self.init, reap_strays).is_ok();
        let _ = self.init.reap(exited);
    }
}

/// Which namespace most likely made `clone3` fail: user namespaces are the
/// ones kernels restrict (`user.max_user_namespaces`, AppArmor, EPERM for
/// an unprivileged caller without one). `EINVAL` for a pid namespace nested
/// in an enclosing scope's (`enclosing` are its `CLONE_NEW*` flags) is the
/// kernel refusing a new pid namespace to a caller outside the one its
/// children go to — which the scope program works around, so it should not
/// happen — or one owned by a user namespace outside the enclosing one's.
fn likely_culprit(spec: &ScopeSpec, enclosing: u32, errno: i32) -> Option<Namespace> {
    let restricted = matches!(
        errno,
        libc::EPERM | libc::ENOSPC | libc::EUSERS | libc::EACCES
    );
    if errno == libc::EINVAL
        && spec.has(Namespace::Pid)
        && enclosing & libc::CLONE_NEWPID as u32 != 0
    {
        Some(Namespace::Pid)
    } else if restricted && spec.has(Namespace::User) {
        Some(Namespace::User)
    } else if restricted {
        // Without a user namespace, every other kind needs CAP_SYS_ADMIN.
        spec.namespaces.first().copied()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddr, TcpListener};
    use std::time::Duration;

    use super::*;
    use crate::probe::ProbeResult;
    use crate::probe::connect::{Attempt, Step, tcp_socket};

    /// Runs a TCP attempt with `socket` to its end.
    fn connect_with(socket: OwnedFd, address: SocketAddr) -> ProbeResult {
        let (mut attempt, mut step) = Attempt::start(socket, address, None);
        loop {
            match step {
                Step::Done(result) => return result,
                Step::Wait(_) => {
                    let fd = attempt.fd();
                    let mut fds = [rustix::event::PollFd::new(
                        &fd,
                        rustix::event::PollFlags::OUT,
                    )];
                    rustix::event::poll(&mut fds, None).unwrap();
                    step = attempt.resume();
                }
            }
        }
    }

    #[test]
    fn the_init_makes_probe_sockets_in_the_scopes_network_in_the_order_asked() {
        let mut graph = Graph::new();
        let spec = ScopeSpec::new([Namespace::User, Namespace::Net]);
        let scope = graph.scope("net", spec);
        let _node = graph.node_with(
            "n",
            crate::Command::new("true"),
            crate::NodeOptions::new().scope(scope),
        );
        let scopes = match Scopes::create(&graph) {
            Ok(scopes) => scopes,
            Err(e) => {
                eprintln!("skipped: this kernel does not let us make a user+net scope: {e}");
                return;
            }
        };
        let live = scopes.try_get(scope).unwrap();
        // A port open on the host, and nowhere in the scope.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        assert_eq!(
            connect_with(tcp_socket(address).unwrap(), address),
            ProbeResult::Passed
        );
        // A clear between them is answered in its turn: refused, as this
        // init is no pid 1 (its kill(-1) would reach outside the scope).
        live.request_socket(address).unwrap();
        live.request_clear().unwrap();
        live.request_socket(address).unwrap();
        live.request_socket(address).unwrap();
        let mut answers = Vec::new();
        while answers.len() < 4 {
            let sync = live.sync_fd();
            let mut fds = [rustix::event::PollFd::new(
                &sync,
                rustix::event::PollFlags::IN,
            )];
            let timeout = rustix::event::Timespec::try_from(Duration::from_secs(5)).unwrap();
            assert_eq!(rustix::event::poll(&mut fds, Some(&timeout)).unwrap(), 1);
            while let Some(answer) = live.receive_answer() {
                answers.push(answer.result);
            }
        }
        assert!(live.receive_answer().is_none(), "one answer per request");
        let kinds: Vec<_> = answers
            .iter()
            .map(|a| {
                a.as_ref()
                    .map(Option::is_some)
                    .map_err(|e| e.raw_os_error())
            })
            .collect();
        let refused = Err(Some(libc::EPERM));
        assert_eq!(kinds, [Ok(true), refused, Ok(true), Ok(true)], "in order");
        for socket in answers.into_iter().flatten().flatten() {
            let ProbeResult::Failed(why) = connect_with(socket, address) else {
                panic!("a socket of the scope reached the host's port");
            };
            assert!(why.contains("refused"), "{why}");
        }
    }
}
