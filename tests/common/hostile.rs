//! The memory attacker shared by `tests/scope_attacks.rs` (a node in a
//! scope) and `tests/dropped_attacks.rs` (a node the runtime dropped to
//! another uid): a copy of the test binary, run as a node, that tries every
//! way into other processes' memory and fds, and reports what worked, on
//! what.
//!
//! It loops over every pid it can see and, over and over, the newest pids
//! its pid namespace gave out (where the carried program starting a node
//! runs for microseconds under the node's ids), and tries `PTRACE_SEIZE`,
//! `process_vm_readv`, `process_vm_writev`, opening `/proc/PID/mem`
//! read-write and `pidfd_getfd`. It writes [`EVIL`] at the address of the
//! application's [`CANARY`] wherever it can. It tells what a success worked
//! on (the runtime's machinery, a node's program, or unknown) while the
//! process is ptrace-stopped (so cannot exec), not after letting it go,
//! when the runtime's program has become the node or is gone. It also
//! reports each machinery process that refused it, with the uid it held;
//! and, told which process is the application ([`ONLY_CHILDREN_OF`]),
//! each that refused it from another user namespace than its own (another
//! scope's, or the application's), with that namespace's uid map and
//! whether it was dumpable with the attacker's own uid meanwhile.
//!
//! A test runs it as its ignored test `hostile_node`, whose body is
//! [`hostile_node`], with [`ATTACK`] (and maybe [`ONLY_CHILDREN_OF`]) in its
//! environment, its stdin a pipe the test closes to stop it, its stdout a
//! pipe the test reads: [`successes_in`] and [`refusals_in`] parse it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use process_graph_runtime::{EdgeId, RunningGraph};

/// The canary's value; the attacker writes [`EVIL`] wherever it can.
pub const MAGIC: u64 = 0x5afe_c0de_5afe_c0de;
pub const EVIL: u64 = 0xbad0_bad0_bad0_bad0;
/// The application's canary: it must read [`MAGIC`] after the attack.
pub static CANARY: AtomicU64 = AtomicU64::new(MAGIC);

/// Set in the attacker's environment: the canary's address, in hex.
pub const ATTACK: &str = "PROCESS_GRAPH_TEST_ATTACK";

/// Set in the attacker's environment, to a pid (the application's): attack
/// only that process and its children (which a graph's processes outside
/// pid scopes are), not every process of the machine. A node dropped to a
/// uid outside any user namespace could otherwise ptrace and write into
/// every process of that uid, other tests' included.
pub const ONLY_CHILDREN_OF: &str = "PROCESS_GRAPH_TEST_ATTACK_ONLY_CHILDREN_OF";

/// Stops the attacker (closes `stop`, its stdin), reads its whole report
/// from `report`, its stdout, and shuts the graph down. Fails if the
/// attacker wrote the application's [`CANARY`] or did not report.
pub fn stop_and_report(running: &mut RunningGraph, stop: EdgeId, report: EdgeId) -> String {
    drop(running.take_writer(stop));
    let mut text = String::new();
    running
        .take_reader(report)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    running.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(
        CANARY.load(Ordering::SeqCst),
        MAGIC,
        "the attacker wrote the application's memory"
    );
    assert!(
        text.contains("rounds "),
        "the attacker did not report:\n{text}"
    );
    text
}

/// The name the carried program runs under: its `argv[0]`, and its
/// memfd's, which `/proc/PID/exe` shows as `/memfd:process-graph-scope`.
pub const PROGRAM: &str = "process-graph-scope";

/// The attacker's line for a machinery process that refused it.
const REFUSED_MACHINERY: &str = "refused-machinery";

/// The attacker's line for a machinery process that refused it from
/// another user namespace than the attacker's.
const REFUSED_ELSEWHERE: &str = "refused-elsewhere";

/// What a way in worked on. A process runs the runtime's code first (the
/// application's child before it execs the carried program, which shares
/// the application's memory and shows its command line; the carried
/// program; its clone before the node's `execve`), then the node's
/// program, then nothing: never the runtime's code again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// The carried program (`process-graph-scope`): a scope's init, a
    /// nested scope's helper, the program that starts a node or its clone.
    Machinery,
    /// Anything else running: a node's own program (or the application's
    /// child before its exec, which shows the application's command line).
    Mate,
    /// Gone, or changed while the attempt ran: nothing to tell.
    Unknown,
}

impl Target {
    const ALL: [Target; 3] = [Target::Machinery, Target::Mate, Target::Unknown];

    fn name(self) -> &'static str {
        match self {
            Target::Machinery => "machinery",
            Target::Mate => "mate",
            Target::Unknown => "unknown",
        }
    }

    fn named(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One success of the attacker: what it did, to which pid (as the attacker
/// sees it), what that process was then, and its command line.
#[derive(Debug)]
pub struct Success {
    pub kind: String,
    pub pid: i32,
    pub target: Target,
    pub command: String,
}

/// The attacker's `kind pid target command` lines, among its other lines
/// and libtest's ("running 1 test").
pub fn successes_in(text: &str) -> Vec<Success> {
    const KINDS: [&str; 7] = [
        "seize",
        "vm-read",
        "vm-write",
        "mem-open",
        "mem-write",
        "getfd",
        "leak",
    ];
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, ' ');
            let kind = parts.next()?;
            Some(Success {
                kind: KINDS.contains(&kind).then(|| kind.to_owned())?,
                pid: parts.next()?.parse().ok()?,
                target: Target::named(parts.next()?)?,
                command: parts.next().unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// A process running the carried program that refused the attacker's
/// seize: it was in the attacker's user namespace before the seize, and ran
/// the carried program after the refusal.
#[derive(Debug)]
pub struct Refusal {
    pub pid: i32,
    pub errno: i32,
    /// The uid it held before the seize (real, effective, saved and
    /// filesystem uid alike, as the attacker's `/proc` shows them); `None`
    /// if they differed or could not be read.
    pub uid: Option<u32>,
    pub command: String,
}

impl Refusal {
    /// Whether it ran the carried program's `mode` (`create`, `join`).
    pub fn runs(&self, mode: &str) -> bool {
        runs(&self.command, mode)
    }
}

/// Whether `command` (a process's command line) is the carried program's
/// `mode` (`create`, `join`).
fn runs(command: &str, mode: &str) -> bool {
    command.starts_with(&format!("{PROGRAM} {mode} "))
}

/// The attacker's `refused-machinery pid errno uid command` lines.
pub fn refusals_in(text: &str) -> Vec<Refusal> {
    text.lines()
        .filter_map(|line| match line.splitn(5, ' ').collect::<Vec<_>>()[..] {
            [REFUSED_MACHINERY, pid, errno, uid, command] => Some(Refusal {
                pid: pid.parse().ok()?,
                errno: errno.parse().ok()?,
                uid: uid.parse().ok(),
                command: command.to_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// The user namespace a [`RefusalElsewhere`] was in, as the attacker
/// tells it by the uid map it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Elsewhere {
    /// The application's: the carried program before it enters a scope.
    Application,
    /// Neither the attacker's nor the application's: another scope's.
    OtherScope,
}

impl Elsewhere {
    fn name(self) -> &'static str {
        match self {
            Elsewhere::Application => "application",
            Elsewhere::OtherScope => "other-scope",
        }
    }
}

/// A process running the carried program that refused the attacker's
/// seize from another user namespace than the attacker's: it was in that
/// same namespace (by its uid map) and ran the carried program both before
/// the seize and after the refusal.
#[derive(Debug)]
pub struct RefusalElsewhere {
    pub pid: i32,
    pub errno: i32,
    /// Its parent, as the attacker's `/proc` shows it.
    pub parent: Option<i32>,
    pub namespace: Elsewhere,
    /// Its uid map as the attacker reads it (each id shown as the
    /// attacker's namespace sees it): extents `inside:outside:count`,
    /// comma-separated; `-` if none is written yet (a scope's init before
    /// the application writes its maps).
    pub uid_map: String,
    /// It was dumpable and held the attacker's own kernel uid, before the
    /// seize and after the refusal: the kernel's uid and dumpability checks
    /// let the attacker through, and only the user namespace refused it.
    pub dumpable_as_us: bool,
    pub command: String,
}

impl RefusalElsewhere {
    /// Whether it ran the carried program's `mode` (`create`, `join`).
    pub fn runs(&self, mode: &str) -> bool {
        runs(&self.command, mode)
    }
}

/// The attacker's `refused-elsewhere pid errno parent namespace uid-map
/// dumpable-as-us|- command` lines.
pub fn refusals_elsewhere_in(text: &str) -> Vec<RefusalElsewhere> {
    text.lines()
        .filter_map(|line| match line.splitn(8, ' ').collect::<Vec<_>>()[..] {
            [
                REFUSED_ELSEWHERE,
                pid,
                errno,
                parent,
                namespace,
                uid_map,
                dumpable,
                command,
            ] => Some(RefusalElsewhere {
                pid: pid.parse().ok()?,
                errno: errno.parse().ok()?,
                parent: parent.parse().ok(),
                namespace: [Elsewhere::Application, Elsewhere::OtherScope]
                    .into_iter()
                    .find(|n| n.name() == namespace)?,
                uid_map: uid_map.to_owned(),
                dumpable_as_us: dumpable == "dumpable-as-us",
                command: command.to_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// The attacker: the body of the ignored test `hostile_node` of a test
/// binary that runs it as a node. Attacks every pid it sees, and over and
/// over the newest ones, until its stdin closes; then prints `kind pid
/// target command` for each success, `refused-machinery pid errno uid
/// command` for each process of the runtime's machinery in its user
/// namespace that refused it, `refused-elsewhere ...` (see
/// [`refusals_elsewhere_in`]) for each in another, and a `rounds N` line.
pub fn hostile_node() {
    let Some(address) = std::env::var_os(ATTACK) else {
        return; // Only meaningful as a node.
    };
    let only_children_of =
        std::env::var_os(ONLY_CHILDREN_OF).map(|pid| pid.to_str().unwrap().parse::<i32>().unwrap());
    let mut attacker = Attacker {
        address: usize::from_str_radix(address.to_str().unwrap(), 16).unwrap(),
        me: std::process::id() as i32,
        only_children_of,
        uid_map: std::fs::read("/proc/self/uid_map").unwrap(),
        application_uid_map: only_children_of
            .map(|app| std::fs::read(format!("/proc/{app}/uid_map")).unwrap()),
        euid: rustix::process::geteuid().as_raw(),
        findings: Findings::default(),
    };
    let stdin = std::io::stdin();
    rustix::fs::fcntl_setfl(&stdin, rustix::fs::OFlags::NONBLOCK).unwrap();
    let mut rounds = 0u64;
    loop {
        let sweep = Instant::now();
        for pid in visible_pids() {
            attacker.attack(pid);
        }
        // As long again on the newest pids: over the host's pids (no pid
        // namespace of our own) a sweep takes most of a round.
        attacker.attack_the_newest(sweep.elapsed().max(Duration::from_millis(10)));
        rounds += 1;
        let mut byte = [0u8; 1];
        match rustix::io::read(&stdin, &mut byte) {
            Err(rustix::io::Errno::AGAIN) => {}
            _ => break, // EOF or a byte: the application says stop.
        }
    }
    attacker.findings.print();
    println!("rounds {rounds}");
}

/// Every pid `/proc` lists, and the low pids a scope's own pid namespace
/// uses: in a pid namespace without a mount namespace, `/proc` is the
/// host's, and lists other numbers than the ones `ptrace` takes here.
fn visible_pids() -> BTreeSet<i32> {
    let listed = std::fs::read_dir("/proc").into_iter().flatten();
    listed
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .chain(1..=512)
        .collect()
}

/// The hostile node's state.
struct Attacker {
    /// The canary's address in the application.
    address: usize,
    /// Our own pid, which we leave alone.
    me: i32,
    /// See [`ONLY_CHILDREN_OF`].
    only_children_of: Option<i32>,
    /// Our user namespace's uid map, as `/proc` shows it to us: the
    /// `/proc/PID/uid_map` of a process whose credentials are in our user
    /// namespace reads the same, that of any other reads otherwise (its
    /// ids are shown as our namespace sees them, ours as our parent
    /// namespace does). Anyone may read it.
    uid_map: Vec<u8>,
    /// The application's uid map as we read it, when we know the
    /// application ([`ONLY_CHILDREN_OF`]): what the carried program's reads
    /// before it enters a scope.
    application_uid_map: Option<Vec<u8>>,
    /// Our effective uid, as our namespace sees it.
    euid: u32,
    findings: Findings,
}

impl Attacker {
    /// For `time`, attacks the few newest pids of this pid namespace over
    /// and over. The runtime's machinery that starts a node (the carried
    /// program, or its clone before the node's `execve`) holds the node's
    /// ids only for microseconds before it becomes the node: a sweep over
    /// every pid would all but never catch it then, and in a pid namespace
    /// of the scope's own its pid is soon above the sweep's low pids.
    fn attack_the_newest(&mut self, time: Duration) {
        let deadline = Instant::now() + time;
        while Instant::now() < deadline {
            // The last pid the kernel gave out in our pid namespace.
            let Some(last) = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok())
            else {
                return;
            };
            for pid in (last - 3).max(1)..=last {
                self.attack(pid);
            }
        }
    }

    /// Tries every way in on `pid` and notes what worked, and on what (see
    /// [`Target`]).
    fn attack(&mut self, pid: i32) {
        if pid == self.me {
            return;
        }
        // The pid `/proc` knows it by, which a pidfd's fdinfo gives; none
        // when no process has `pid`.
        let Some(listed) = super::pidfd_info(pid, "Pid") else {
            return;
        };
        let status = Status::of(&listed);
        if let Some(parent) = self.only_children_of
            && !status.is_or_is_a_child_of(parent)
        {
            return;
        }
        let uid_map = uid_map_of(&listed);
        let in_our_namespace = uid_map.as_deref() == Some(&self.uid_map[..]);
        // Only what another user namespace's machinery needs, and only when
        // we can tell the application's namespace from a scope's.
        let elsewhere = (!in_our_namespace && self.application_uid_map.is_some())
            .then(|| Sighting::of(&listed, uid_map));
        let (worked, target, identity) = match Held::seize(pid) {
            Ok(held) => {
                // Read while it is stopped: what the seize and every way in
                // below worked on, unless an `execve` came before the stop.
                let identity = Identity::of(&listed);
                let target = if held.execed {
                    Target::Unknown
                } else {
                    identity.target()
                };
                let mut worked = vec!["seize"];
                worked.extend(ways_in_but_ptrace(pid, self.address));
                drop(held);
                (worked, target, identity)
            }
            Err(errno) => {
                let before = Identity::of(&listed);
                // In our user namespace before the seize, and running the
                // carried program after it: the carried program (or its
                // clone) holding ids of our user namespace, at the refusal
                // (with the uid it held before, which it still held then:
                // the carried program takes the node's ids once, and the
                // node's `execve` comes after).
                if errno == libc::EPERM && in_our_namespace && before.target() == Target::Machinery
                {
                    self.findings
                        .refused_machinery
                        .entry(pid)
                        .or_insert_with(|| (errno, status.uid, before.command.clone()));
                } else if let Some(sighting) = elsewhere
                    && errno == libc::EPERM
                {
                    self.note_refused_elsewhere(pid, errno, &status, sighting, &before);
                }
                let worked = ways_in_but_ptrace(pid, self.address);
                if worked.is_empty() {
                    return;
                }
                let (target, identity) = between(before, Identity::of(&listed));
                (worked, target, identity)
            }
        };
        for kind in worked {
            self.findings
                .successes
                .entry((kind, pid, target))
                .or_insert_with(|| identity.command.clone());
        }
    }

    /// Notes a refusal by `pid` in another user namespace than ours — the
    /// application's or another scope's — if it ran the carried program
    /// in that same namespace before the seize (`before`) and after the
    /// refusal (`after`, read just after it, whose command line is noted,
    /// and once more here).
    fn note_refused_elsewhere(
        &mut self,
        pid: i32,
        errno: i32,
        status: &Status,
        before: Sighting,
        after: &Identity,
    ) {
        let Some(application) = &self.application_uid_map else {
            return;
        };
        let since = Sighting::of(&before.listed, uid_map_of(&before.listed));
        let Some(map) = before
            .uid_map
            .as_ref()
            .filter(|&map| since.uid_map.as_ref() == Some(map))
        else {
            return;
        };
        if !(before.machinery && since.machinery && after.target() == Target::Machinery) {
            return;
        }
        let namespace = match map == application {
            true => Elsewhere::Application,
            false => Elsewhere::OtherScope,
        };
        let dumpable_as_us = [before.status_owner, since.status_owner]
            .iter()
            .all(|&owner| owner == Some(self.euid));
        let noted = self
            .findings
            .refused_elsewhere
            .entry((pid, namespace))
            .or_insert_with(|| RefusalElsewhere {
                pid,
                errno,
                parent: status.parent,
                namespace,
                uid_map: compact_uid_map(map),
                dumpable_as_us,
                command: after.command.clone(),
            });
        noted.dumpable_as_us |= dumpable_as_us;
    }
}

/// The `/proc/PID/uid_map` of the process `/proc` lists as `listed`, as
/// we read it (see [`Attacker::uid_map`]); anyone may read it.
fn uid_map_of(listed: &str) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{listed}/uid_map")).ok()
}

/// A uid map as `/proc` prints it, in one word: `inside:outside:count`
/// for each extent, comma-separated; `-` if it is empty.
fn compact_uid_map(map: &[u8]) -> String {
    let ids: Vec<&str> = std::str::from_utf8(map)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let extents: Vec<String> = ids.chunks(3).map(|extent| extent.join(":")).collect();
    match extents.is_empty() {
        true => "-".to_owned(),
        false => extents.join(","),
    }
}

/// What anyone may read in `/proc` of a process in another user namespace
/// at one moment: its uid map, whether it runs the carried program, and
/// the owner of its `/proc/PID/status`.
struct Sighting {
    /// The pid `/proc` lists it by.
    listed: String,
    /// Its `/proc/PID/uid_map`, as we read it (see [`Attacker::uid_map`]).
    uid_map: Option<Vec<u8>>,
    /// It runs the carried program ([`Target::Machinery`]).
    machinery: bool,
    /// The owner of its `/proc/PID/status`, as our namespace sees it: its
    /// effective uid while it is dumpable, else root of the user namespace
    /// it was executed in (the application's, for the carried program).
    status_owner: Option<u32>,
}

impl Sighting {
    /// `listed`: the pid `/proc` lists the process by; `uid_map`: its uid
    /// map, read just before.
    fn of(listed: &str, uid_map: Option<Vec<u8>>) -> Sighting {
        use std::os::unix::fs::MetadataExt;
        Sighting {
            listed: listed.to_owned(),
            uid_map,
            machinery: Identity::of(listed).target() == Target::Machinery,
            status_owner: std::fs::metadata(format!("/proc/{listed}/status"))
                .ok()
                .map(|status| status.uid()),
        }
    }
}

/// What the attacker found.
#[derive(Default)]
struct Findings {
    /// Each way in that worked, on which pid, on what: the command line.
    successes: BTreeMap<(&'static str, i32, Target), String>,
    /// Each process of the runtime's machinery in our user namespace that
    /// refused the seize: the errno, the uid, and the command line.
    refused_machinery: BTreeMap<i32, (i32, Option<u32>, String)>,
    /// Each process of the runtime's machinery in another user namespace
    /// that refused the seize, by pid and namespace (the `create` program
    /// of a scope without a pid namespace moves into the scope's).
    refused_elsewhere: BTreeMap<(i32, Elsewhere), RefusalElsewhere>,
}

impl Findings {
    fn print(&self) {
        for ((kind, pid, target), command) in &self.successes {
            println!("{kind} {pid} {} {command}", target.name());
        }
        for (pid, (errno, uid, command)) in &self.refused_machinery {
            let uid = uid.map_or_else(|| "-".to_owned(), |uid| uid.to_string());
            println!("{REFUSED_MACHINERY} {pid} {errno} {uid} {command}");
        }
        for refusal in self.refused_elsewhere.values() {
            let parent = refusal
                .parent
                .map_or_else(|| "-".to_owned(), |parent| parent.to_string());
            let dumpable = match refusal.dumpable_as_us {
                true => "dumpable-as-us",
                false => "-",
            };
            println!(
                "{REFUSED_ELSEWHERE} {} {} {parent} {} {} {dumpable} {}",
                refusal.pid,
                refusal.errno,
                refusal.namespace.name(),
                refusal.uid_map,
                refusal.command
            );
        }
    }
}

/// What `/proc/PID/status` says of a process before an attack.
#[derive(Default)]
struct Status {
    tgid: Option<i32>,
    parent: Option<i32>,
    /// Its uid, if its real, effective, saved and filesystem uids are
    /// alike.
    uid: Option<u32>,
}

impl Status {
    /// `listed`: the pid `/proc` lists the process by.
    fn of(listed: &str) -> Status {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{listed}/status")) else {
            return Status::default();
        };
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(str::split_whitespace)
        };
        let number = |name: &str| field(name)?.next()?.parse().ok();
        let uids: Vec<u32> = field("Uid")
            .into_iter()
            .flatten()
            .filter_map(|id| id.parse().ok())
            .collect();
        Status {
            tgid: number("Tgid"),
            parent: number("PPid"),
            uid: match uids[..] {
                [uid, ref rest @ ..] if rest.len() == 3 && rest.iter().all(|&id| id == uid) => {
                    Some(uid)
                }
                _ => None,
            },
        }
    }

    /// Whether it is `pid`, a thread of it, or a child of it.
    fn is_or_is_a_child_of(&self, pid: i32) -> bool {
        self.tgid == Some(pid) || self.parent == Some(pid)
    }
}

/// What `/proc` says a process runs: its command line, which anyone may
/// read, and its executable, which only who may ptrace-read it may. Both
/// empty once it has exited.
#[derive(Default)]
struct Identity {
    command: String,
    exe: String,
}

impl Identity {
    /// `listed`: the pid `/proc` lists the process by.
    fn of(listed: &str) -> Identity {
        let command = std::fs::read(format!("/proc/{listed}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        let exe = std::fs::read_link(format!("/proc/{listed}/exe"))
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_default();
        Identity { command, exe }
    }

    fn target(&self) -> Target {
        if self.command.starts_with(PROGRAM) || self.exe.starts_with(&format!("/memfd:{PROGRAM}")) {
            Target::Machinery
        } else if self.command.is_empty() {
            Target::Unknown
        } else {
            Target::Mate
        }
    }
}

/// What a way in that worked on a running process worked on, from what it
/// ran before and after the attempt (see [`Target`] for the order): the
/// runtime's code if it runs that after; a node's program only if it ran
/// that same program before.
fn between(before: Identity, after: Identity) -> (Target, Identity) {
    match after.target() {
        Target::Machinery => (Target::Machinery, after),
        Target::Mate if before.command == after.command => (Target::Mate, after),
        _ => (Target::Unknown, before),
    }
}

/// A process the attacker has seized and stopped. A stopped tracee cannot
/// `execve`, so what it runs while held is what every attempt on it works
/// on. Dropped, it lets the process go, so that its exit still reaches its
/// parent.
struct Held {
    pid: i32,
    /// It `execve`d between the seize and the stop: the program seized is
    /// not the one it runs now.
    execed: bool,
    /// A signal it stopped to receive, delivered when it is let go.
    signal: i32,
}

impl Held {
    /// `PTRACE_SEIZE`, then `PTRACE_INTERRUPT`; the errno if the seize is
    /// refused.
    fn seize(pid: i32) -> Result<Held, i32> {
        let exec_stops = libc::PTRACE_O_TRACEEXEC as usize;
        // SAFETY: ptrace with a pid, a null address and an options word.
        if unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, 0usize, exec_stops) } != 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        let mut status = 0;
        // SAFETY: as above; `status` is a valid out-parameter.
        unsafe {
            libc::ptrace(libc::PTRACE_INTERRUPT, pid, 0usize, 0usize);
            libc::waitpid(pid, &mut status, libc::__WALL);
        }
        let stopped = libc::WIFSTOPPED(status);
        let event = status >> 16;
        Ok(Held {
            pid,
            execed: stopped && event == libc::PTRACE_EVENT_EXEC,
            signal: if stopped && event == 0 {
                libc::WSTOPSIG(status)
            } else {
                0
            },
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: ptrace with a pid, a null address and a signal number.
        unsafe { libc::ptrace(libc::PTRACE_DETACH, self.pid, 0usize, self.signal as usize) };
    }
}

/// Every way in besides ptrace that worked on `pid`: `vm-read`,
/// `vm-write`, `mem-open`, `mem-write`, `getfd`, and `leak` when the
/// canary's value was read at the canary's address (the process shares the
/// application's memory).
fn ways_in_but_ptrace(pid: i32, address: usize) -> Vec<&'static str> {
    let mut worked = Vec::new();
    let mut value = 0u64;
    let local = libc::iovec {
        iov_base: std::ptr::from_mut(&mut value).cast(),
        iov_len: 8,
    };
    let remote = libc::iovec {
        iov_base: address as *mut libc::c_void,
        iov_len: 8,
    };
    // SAFETY: one local buffer of 8 bytes; the remote side is the kernel's to check.
    if unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) } == 8 {
        worked.push("vm-read");
        if value == MAGIC {
            worked.push("leak");
        }
    }
    let mut evil = EVIL;
    let local = libc::iovec {
        iov_base: std::ptr::from_mut(&mut evil).cast(),
        iov_len: 8,
    };
    // SAFETY: as above.
    if unsafe { libc::process_vm_writev(pid, &local, 1, &remote, 1, 0) } == 8 {
        worked.push("vm-write");
    }
    if let Ok(mem) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(format!("/proc/{pid}/mem"))
    {
        worked.push("mem-open");
        let mut bytes = [0u8; 8];
        if rustix::io::pread(&mem, &mut bytes, address as u64) == Ok(8)
            && u64::from_ne_bytes(bytes) == MAGIC
        {
            worked.push("leak");
        }
        if rustix::io::pwrite(&mem, &EVIL.to_ne_bytes(), address as u64) == Ok(8) {
            worked.push("mem-write");
        }
    }
    if let Some(pid) = rustix::process::Pid::from_raw(pid)
        && let Ok(pidfd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
    {
        for target in 0..8 {
            if rustix::process::pidfd_getfd(
                &pidfd,
                target,
                rustix::process::PidfdGetfdFlags::empty(),
            )
            .is_ok()
            {
                worked.push("getfd");
                break;
            }
        }
    }
    worked
}
