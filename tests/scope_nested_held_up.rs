//! A node stops the helper or the init of a pid scope being nested in its
//! own scope, before the init has said it exists.
//!
//! A pid namespace nested in a scope's is made through a helper in the
//! enclosing pid namespace, which clones the init (both the application's
//! children, `CLONE_PARENT`); the init's first message tells the scope
//! program its pid in the application's pid namespace. A node of the
//! enclosing scope sees both, and is root in their user namespace, so it
//! may SIGSTOP either before that message. The guarantee (README, "Limits
//! to know"): the creation fails at once — the scope program looks at both
//! every 20 ms in the application's `/proc`, and finds the stopped one —
//! and nothing of it is left: the helper is killed and reaped, and so is
//! the init, not left a zombie the application cannot name (which also
//! held the enclosing scope's init, and the shutdown, for 30 s).
//!
//! The attacker knows where their pids will be in its pid namespace:
//! nothing else starts there, so the helper takes the next pid and the init
//! the one after. Two threads send one of them SIGSTOP until it lands, so
//! that the process stops at its first instruction, and say so on stdout —
//! or say they missed it, when it came and went between two tries (a busy
//! machine), and the test tries again.
//!
//! A third attack kills the init instead, after slowing the helper down
//! (the lowest priority, beside busy threads) so that the scope
//! program has looked at it, opening files, before the init exists: the
//! program must still find the init's pidfd, wherever in its fd table the
//! clone put it — and not take for it a pidfd the application left open
//! across `execve` on its stdin.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::process::{Pid, Signal, kill_process};
use std::time::{Duration, Instant};

use process_graph_runtime::{Command, Endpoint, Graph, Namespace, NodeOptions, ScopeSpec};

/// Which process the attacker stops: `helper` or `init`; or `slowed`: it
/// slows the helper, then kills the init.
const ATTACK: &str = "PROCESS_GRAPH_TEST_STOP_IN_NESTED_CREATION";

/// How many nested scopes a test tries to make: an attack that lands late
/// (a helper stopped after its clone, an init after its message) fails
/// nothing or fails the creation through the application's own checks, and
/// the test tries again.
const ATTEMPTS: usize = 20;

/// Longer than a few looks 20 ms apart, far shorter than the scope
/// program's 10 s wait for the init's message.
const CREATION_LIMIT: Duration = Duration::from_secs(3);

fn attacker(target: &str) -> Command {
    Command::new(std::env::current_exe().unwrap())
        .args(common::ignored_test_args("stopping_node"))
        .arg("-q")
        .env(ATTACK, target)
}

#[test]
fn a_helper_stopped_before_its_clone_is_killed_and_reaped() {
    // It counts every child of this process.
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_helper_stopped_before_its_clone_is_killed_and_reaped",
        || attack("helper"),
    );
}

#[test]
fn an_init_stopped_before_it_said_it_exists_is_killed_and_reaped() {
    // It counts every child of this process.
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "an_init_stopped_before_it_said_it_exists_is_killed_and_reaped",
        || attack("init"),
    );
}

#[test]
fn an_init_killed_after_a_slowed_helper_is_reaped() {
    // It counts every child of this process.
    let _turn = common::serial();
    // For the run as uid 65534 too, which cannot turn them off.
    let Some(_off) = NoAutogroups::turn_off() else {
        return;
    };
    common::as_root_and_unprivileged("an_init_killed_after_a_slowed_helper_is_reaped", || {
        attack("slowed")
    });
}

/// The application's stdin is a pidfd of an unrelated process, left
/// open across `execve` (as an application that hands one to a child of
/// its own may): the scope program inherits it, and must not take it for
/// the init's pidfd — which would SIGKILL that process and leave the init
/// unreported.
#[test]
fn a_pidfd_the_application_passes_on_is_not_taken_for_the_init() {
    // It counts every child of this process, and changes its fd 0.
    let _turn = common::serial();
    common::as_root_and_unprivileged(
        "a_pidfd_the_application_passes_on_is_not_taken_for_the_init",
        || {
            use std::os::fd::AsRawFd;
            // Not our child: its shell has exited.
            let started = std::process::Command::new("sh")
                .args(["-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!"])
                .output()
                .unwrap();
            let pid: i32 = String::from_utf8(started.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let victim = common::open_pidfd(pid).unwrap();
            let stdin = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdin(), 3).unwrap();
            // `dup2` clears close-on-exec on fd 0.
            // SAFETY: fd 0 is replaced by a copy of an fd we own.
            assert_eq!(unsafe { libc::dup2(victim.as_raw_fd(), 0) }, 0);
            let attacked = std::panic::catch_unwind(|| attack("init"));
            // SAFETY: fd 0 gets its copy back.
            unsafe { libc::dup2(stdin.as_raw_fd(), 0) };
            let killed = common::exits_within(&victim, Duration::from_millis(100));
            let _ = rustix::process::pidfd_send_signal(&victim, Signal::KILL);
            assert!(!killed, "the scope program killed the process of fd 0");
            if let Err(panic) = attacked {
                std::panic::resume_unwind(panic);
            }
        },
    );
}

/// Makes a graph whose one node, in a user + pid scope, attacks (`target`)
/// the creation of a pid scope nested in it, and adds a node in such a
/// scope; checks that the add fails in time, and that nothing is left once
/// the graph is shut down. Up to [`ATTEMPTS`] times, until the attack
/// lands in time.
fn attack(target: &'static str) {
    if !common::user_namespaces_available() {
        return common::skip("user namespaces are not available here");
    }
    common::within(
        Duration::from_secs(150),
        "stopped nested creation",
        move || {
            for attempt in 1..=ATTEMPTS {
                if attempt_lands(target, attempt) {
                    return;
                }
            }
            panic!("in {ATTEMPTS} attempts the attacker never stopped the {target} in time");
        },
    );
}

/// `kernel.sched_autogroup_enabled` at 0 while it lives, as it was after.
///
/// The attacker slows the helper down with busy threads beside it at a
/// lower priority; but each node leads a session of its own, and with
/// autogroups the scheduler weighs each session as one group, so the
/// attacker's threads leave the helper (in the application's session) half
/// of a CPU, and the attack never lands in time. A host without autogroups
/// (servers often turn them off) is what the attack needs.
struct NoAutogroups(bool);

impl NoAutogroups {
    const KNOB: &str = "/proc/sys/kernel/sched_autogroup_enabled";

    /// `None` (and says why) where they are on and cannot be turned off.
    fn turn_off() -> Option<NoAutogroups> {
        let on = std::fs::read_to_string(Self::KNOB).is_ok_and(|v| v.trim() == "1");
        if on && std::fs::write(Self::KNOB, "0").is_err() {
            common::skip("scheduler autogroups are on and only root may turn them off");
            return None;
        }
        Some(NoAutogroups(on))
    }
}

impl Drop for NoAutogroups {
    fn drop(&mut self) {
        if self.0 {
            let _ = std::fs::write(Self::KNOB, "1");
        }
    }
}

/// One attempt of [`attack`]: whether the attacker stopped `target` before
/// the init's message.
fn attempt_lands(target: &str, attempt: usize) -> bool {
    let mut graph = Graph::new();
    let outer = graph.scope("outer", ScopeSpec::new([Namespace::User, Namespace::Pid]));
    let attacker = graph.node_with(
        "attacker",
        attacker(target),
        NodeOptions::new().scope(outer),
    );
    let said = graph.pipe(attacker.stdout(), Endpoint::Parent);
    let mut running = graph.spawn().unwrap();
    let mut said = BufReader::new(running.take_reader(said).unwrap());
    assert_eq!(next_word(&mut said), "ready", "the attacker is in place");

    let mut more = Graph::new();
    let enclosing = more.running_scope(outer);
    let inner = more.scope("inner", ScopeSpec::new([Namespace::Pid]).parent(enclosing));
    more.node_with(
        "inner-node",
        Command::new("sleep").arg("600"),
        NodeOptions::new().scope(inner),
    );
    let asked = Instant::now();
    let added = running.add(more);
    let took = asked.elapsed();
    assert!(
        took < CREATION_LIMIT,
        "the add took {took:?}: the application was held up"
    );
    let word = next_word(&mut said);
    eprintln!(
        "attempt {attempt}: the attacker said {word:?}; the add took {took:?}: {:?}",
        added.as_ref().map(|_| ()).map_err(|e| common::report(e))
    );
    // Stopped in time, the scope program found it (later, the application
    // does: the helper once the init is made, the init waiting for its
    // answer); killed before its message, the init's end is the program's
    // EINTR.
    let failed_with = |words: [&str; 2]| {
        added.as_ref().is_err_and(|error| {
            let text = common::report(error);
            words.iter().all(|w| text.contains(w))
        })
    };
    let landed = match word.as_str() {
        "stopped" => failed_with(["run the scope program", "timed out"]),
        "killed" => failed_with(["clone3", "Interrupted"]),
        _ => false,
    };
    drop(added);
    running.shutdown(Duration::from_secs(5)).unwrap();
    drop(running);
    // Nothing of the creation is left: not the helper nor the init,
    // stopped or a zombie.
    let left = common::children_of_this_process();
    assert!(left.is_empty(), "left behind: {left:?}");
    landed
}

/// The attacker's next word (`ready`, `stopped`, `killed` or `missed`), past what the
/// test harness it runs in prints.
fn next_word(said: &mut impl BufRead) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(said.read_line(&mut line).unwrap() > 0, "the attacker ended");
        let word = line.trim();
        if ["ready", "stopped", "killed", "missed"].contains(&word) {
            return word.to_owned();
        }
    }
}

/// The pids `/proc` shows for `pid` of this pid namespace, outermost first
/// (the `NSpid` of a pidfd's `fdinfo`, whatever namespace `/proc` is of).
fn ns_pids(pid: Pid) -> Vec<i32> {
    common::pidfd_info(pid.as_raw_nonzero().get(), "NSpid")
        .and_then(|line| line.split_whitespace().map(|p| p.parse().ok()).collect())
        .unwrap_or_default()
}

/// The attacker, run as a node in the tests above: SIGSTOPs the pid one
/// (`helper`) or two (`init`) past the last one of its pid namespace until
/// it exists; keeps it stopped if it is the process it expected, and says
/// whether it was.
#[test]
#[ignore = "the hostile node of the tests above"]
fn stopping_node() {
    let Some(target) = std::env::var_os(ATTACK) else {
        return; // Only meaningful as a node.
    };
    if target == "slowed" {
        say(slow_helper_then_kill_init());
        std::thread::sleep(Duration::from_secs(600));
    }
    let (offset, init) = if target == "init" {
        (2, true)
    } else {
        (1, false)
    };
    static DONE: AtomicBool = AtomicBool::new(false);
    let pid = std::sync::OnceLock::<Pid>::new();
    std::thread::scope(|threads| {
        let spin = || {
            let pid = *pid.wait();
            let caught = catch(pid, Signal::STOP, &DONE);
            if DONE.swap(true, Ordering::Relaxed) {
                return; // The other thread has it, or has missed it.
            }
            // The init is pid 1 in its own namespace, the helper is not.
            let expected = caught && ns_pids(pid).last().is_some_and(|&last| (last == 1) == init);
            if caught && !expected {
                let _ = kill_process(pid, Signal::CONT);
            }
            say(if expected { "stopped" } else { "missed" });
        };
        threads.spawn(spin);
        // Every thread exists: the last pid is the last of ours.
        pid.set(Pid::from_raw(last_pid() + offset).unwrap())
            .unwrap();
        say("ready");
        spin();
    });
    std::thread::sleep(Duration::from_secs(600));
}

/// Sends `signal` to `pid` the moment it exists; `false` if it never did
/// in time: the pid was given out and is not there for 5 ms (the process
/// came and went between two tries, on a busy machine; a pid is given out
/// moments before it can be signalled), or not given out in 5 s (the test
/// adds at once), or `stop` was set.
fn catch(pid: Pid, signal: Signal, stop: &AtomicBool) -> bool {
    let begin = Instant::now();
    let mut given_out: Option<Instant> = None;
    for tries in 0u64.. {
        if kill_process(pid, signal).is_ok() {
            return true;
        }
        if tries % 64 != 0 {
            continue;
        }
        if last_pid() >= pid.as_raw_nonzero().get() {
            given_out.get_or_insert_with(Instant::now);
        }
        if stop.load(Ordering::Relaxed)
            || given_out.is_some_and(|t| t.elapsed() > Duration::from_millis(5))
            || begin.elapsed() > Duration::from_secs(5)
        {
            return false;
        }
    }
    false
}

/// The last pid given out in this process's pid namespace.
fn last_pid() -> i32 {
    let text = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid").unwrap();
    text.trim().parse().unwrap()
}

/// Says `word` on stdout, at once.
fn say(word: &str) {
    println!("{word}");
    std::io::stdout().flush().unwrap();
}

/// Says `ready`, stops the helper as it appears, gives it the lowest
/// priority beside [`BUSY_THREADS`] busy threads, lets it go on, and
/// SIGKILLs the init as it appears; the word to say then: `killed` if the
/// init came more than 25 ms after the helper went on.
fn slow_helper_then_kill_init() -> &'static str {
    const BUSY_THREADS: usize = 8;
    static GO: AtomicBool = AtomicBool::new(false);
    static BUSY: AtomicBool = AtomicBool::new(true);
    static NEVER: AtomicBool = AtomicBool::new(false);
    // Made before the pids are foreseen, and idle until the helper is
    // caught.
    for _ in 0..BUSY_THREADS {
        std::thread::spawn(|| {
            while !GO.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_micros(200));
            }
            while BUSY.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
    }
    let helper = Pid::from_raw(last_pid() + 1).unwrap();
    let init = Pid::from_raw(helper.as_raw_nonzero().get() + 1).unwrap();
    say("ready");
    if !catch(helper, Signal::STOP, &NEVER) {
        return "missed";
    }
    if rustix::process::test_kill_process(init).is_ok() {
        let _ = kill_process(helper, Signal::CONT);
        return "missed"; // It had cloned the init already.
    }
    // Allowed: root in the helper's user namespace has CAP_SYS_NICE there.
    // Gone already if the program looked while it was stopped.
    let reniced = rustix::process::setpriority_process(Some(helper), 19);
    GO.store(true, Ordering::Relaxed);
    let _ = kill_process(helper, Signal::CONT);
    if reniced.is_err() {
        BUSY.store(false, Ordering::Relaxed);
        return "missed";
    }
    let slowed = Instant::now();
    let killed = catch(init, Signal::KILL, &NEVER);
    BUSY.store(false, Ordering::Relaxed);
    // Slowed past the program's first look (20 ms into its wait), or not
    // slowed enough to tell.
    match killed && slowed.elapsed() > Duration::from_millis(25) {
        true => "killed",
        false => "missed",
    }
}
