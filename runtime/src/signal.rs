//! `Signal`: a signal number with its name, independent of any syscall crate.

use std::fmt;
use std::str::FromStr;

/// A Linux signal.
///
/// ```
/// use process_graph_runtime::Signal;
///
/// assert_eq!("SIGTERM".parse::<Signal>(), Ok(Signal::TERM));
/// assert_eq!("hup".parse::<Signal>(), Ok(Signal::HUP));
/// assert_eq!(Signal::KILL.to_string(), "SIGKILL");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(i32);

use process_graph_topology::{SIGNALS, signal_index};

impl Signal {
    /// SIGHUP.
    ///
    /// ```
    /// use process_graph_runtime::{NodeOptions, Signal};
    ///
    /// // What `reload` sends unless the node names another reload signal.
    /// let options = NodeOptions::new().reload_signal(Signal::HUP);
    /// # let _ = options;
    /// assert_eq!("SIGHUP".parse::<Signal>(), Ok(Signal::HUP));
    /// ```
    pub const HUP: Signal = Signal(libc::SIGHUP);
    /// SIGINT.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, ExitStatus, Graph, NodeOptions, Signal};
    ///
    /// let mut graph = Graph::new();
    /// // A dev server that stops cleanly on Ctrl-C.
    /// let on_ctrl_c = NodeOptions::new().stop_signal(Signal::INT);
    /// let dev = graph.node_with("dev", Command::new("sleep").arg("10"), on_ctrl_c);
    /// let report = graph.spawn()?.shutdown(Duration::from_secs(5))?;
    /// assert_eq!(report[dev].status, Some(ExitStatus::Signaled(Signal::INT)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub const INT: Signal = Signal(libc::SIGINT);
    /// SIGQUIT.
    ///
    /// ```
    /// use process_graph_runtime::{NodeOptions, Signal};
    ///
    /// // nginx finishes the requests it serves on SIGQUIT, and drops them on SIGTERM.
    /// let nginx = NodeOptions::new().stop_signal(Signal::QUIT);
    /// # let _ = nginx;
    /// assert_eq!(Signal::QUIT.to_string(), "SIGQUIT");
    /// ```
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// SIGABRT: what a node that misses its watchdog is sent.
    ///
    /// ```
    /// use process_graph_runtime::{ExitStatus, Signal};
    ///
    /// fn why(status: ExitStatus) -> &'static str {
    ///     match status {
    ///         ExitStatus::Signaled(Signal::ABRT) => "aborted, or missed its watchdog",
    ///         ExitStatus::Signaled(Signal::KILL) => "killed",
    ///         _ => "ended",
    ///     }
    /// }
    /// assert_eq!(why(ExitStatus::Signaled(Signal::ABRT)), "aborted, or missed its watchdog");
    /// ```
    pub const ABRT: Signal = Signal(libc::SIGABRT);
    /// SIGKILL.
    ///
    /// ```
    /// use process_graph_runtime::{Command, ExitStatus, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let stubborn = graph.node("stubborn", Command::new("sh").args(["-c", "trap '' TERM; sleep 10"]));
    /// let mut running = graph.spawn()?;
    /// running.signal(stubborn, Signal::KILL)?; // no trap catches it
    /// assert_eq!(running.wait()?[stubborn].status, Some(ExitStatus::Signaled(Signal::KILL)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub const KILL: Signal = Signal(libc::SIGKILL);
    /// SIGUSR1.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader};
    /// use process_graph_runtime::{Command, Endpoint, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let script = "trap 'echo reopened logs' USR1; echo up; while :; do sleep 0.1; done";
    /// let server = graph.node("server", Command::new("sh").args(["-c", script]));
    /// let out = graph.pipe(server.stdout(), Endpoint::Parent);
    /// let mut running = graph.spawn()?;
    /// let mut lines = BufReader::new(running.take_reader(out).unwrap()).lines();
    /// assert_eq!(lines.next().unwrap()?, "up"); // its trap is set
    /// running.signal(server, Signal::USR1)?;
    /// assert_eq!(lines.next().unwrap()?, "reopened logs");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const USR1: Signal = Signal(libc::SIGUSR1);
    /// SIGUSR2.
    ///
    /// ```
    /// use process_graph_runtime::Signal;
    ///
    /// // A signal named in a configuration file, in any of the usual spellings.
    /// for name in ["SIGUSR2", "USR2", "usr2"] {
    ///     assert_eq!(name.parse::<Signal>(), Ok(Signal::USR2));
    /// }
    /// ```
    pub const USR2: Signal = Signal(libc::SIGUSR2);
    /// SIGTERM.
    ///
    /// ```
    /// use std::time::Duration;
    /// use process_graph_runtime::{Command, ExitStatus, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let worker = graph.node("worker", Command::new("sleep").arg("10"));
    /// // SIGTERM is every node's stop signal unless it sets another.
    /// let report = graph.spawn()?.shutdown(Duration::from_secs(5))?;
    /// assert_eq!(report[worker].status, Some(ExitStatus::Signaled(Signal::TERM)));
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// SIGCONT.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let batch = graph.node("batch", Command::new("sleep").arg("0.1"));
    /// let mut running = graph.spawn()?;
    /// running.signal(batch, Signal::STOP)?; // paused...
    /// running.signal(batch, Signal::CONT)?; // ...and resumed: it finishes as if never paused
    /// assert!(running.wait()?[batch].success());
    /// # Ok::<(), process_graph_runtime::Error>(())
    /// ```
    pub const CONT: Signal = Signal(libc::SIGCONT);
    /// SIGSTOP.
    ///
    /// ```
    /// use process_graph_runtime::{Command, Graph, Signal};
    ///
    /// let mut graph = Graph::new();
    /// let batch = graph.node("batch", Command::new("sleep").arg("10"));
    /// let running = graph.spawn()?;
    /// let stat = format!("/proc/{}/stat", running.pid(batch).unwrap());
    /// running.signal(batch, Signal::STOP)?; // no CPU time until SIGCONT
    /// while !std::fs::read_to_string(&stat)?.contains(") T ") {
    ///     std::thread::yield_now(); // the kernel stops it in a moment
    /// }
    /// running.signal(batch, Signal::CONT)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const STOP: Signal = Signal(libc::SIGSTOP);

    /// The signal with this number, if it is a standard or real-time signal.
    ///
    /// ```
    /// use process_graph_runtime::Signal;
    ///
    /// // The number another API reported, e.g. a wait status's WTERMSIG.
    /// assert_eq!(Signal::from_raw(15), Some(Signal::TERM));
    /// assert_eq!(Signal::from_raw(0), None);
    /// ```
    pub fn from_raw(signo: i32) -> Option<Signal> {
        (1..=libc::SIGRTMAX())
            .contains(&signo)
            .then_some(Signal(signo))
    }

    /// The signal number.
    ///
    /// ```
    /// use process_graph_runtime::Signal;
    ///
    /// // For a system call made with another crate, e.g. `libc::kill(pid, raw)`.
    /// let raw: i32 = Signal::TERM.as_raw();
    /// assert_eq!(raw, 15);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// The name without the `SIG` prefix (`"TERM"`), for standard signals.
    ///
    /// ```
    /// use process_graph_runtime::Signal;
    ///
    /// assert_eq!(Signal::TERM.name(), Some("TERM"));
    /// let realtime = Signal::from_raw(40).unwrap(); // a real-time signal: no name
    /// assert_eq!(realtime.name(), None);
    /// assert_eq!(realtime.to_string(), "signal 40");
    /// ```
    pub fn name(self) -> Option<&'static str> {
        let index = usize::try_from(self.0).ok()?.checked_sub(1)?;
        SIGNALS.get(index).copied()
    }

    pub(crate) fn to_rustix(self) -> rustix::process::Signal {
        // SAFETY: `Signal` values are always in 1..=SIGRTMAX (see `from_raw`
        // and the constants), which is what rustix requires.
        unsafe { rustix::process::Signal::from_raw_unchecked(self.0) }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "SIG{name}"),
            None => write!(f, "signal {}", self.0),
        }
    }
}

/// The error of parsing a signal name.
///
/// ```
/// use process_graph_runtime::{Signal, UnknownSignal};
///
/// let err = "SIGTERMINATE".parse::<Signal>().unwrap_err();
/// assert_eq!(err, UnknownSignal("SIGTERMINATE".to_owned()));
/// assert_eq!(err.to_string(), r#"unknown signal "SIGTERMINATE""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSignal(pub String);

impl fmt::Display for UnknownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown signal {:?}", self.0)
    }
}

impl std::error::Error for UnknownSignal {}

impl FromStr for Signal {
    type Err = UnknownSignal;

    /// Accepts `SIGTERM`, `TERM` or `term`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // SIGNALS has 31 entries, so the number fits.
        signal_index(s)
            .map(|index| Signal(index as i32 + 1))
            .ok_or_else(|| UnknownSignal(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared name table is in this platform's signal-number order.
    #[test]
    fn names_match_libc_numbers() {
        let libc_numbers = [
            libc::SIGHUP,
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGILL,
            libc::SIGTRAP,
            libc::SIGABRT,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGKILL,
            libc::SIGUSR1,
            libc::SIGSEGV,
            libc::SIGUSR2,
            libc::SIGPIPE,
            libc::SIGALRM,
            libc::SIGTERM,
            libc::SIGSTKFLT,
            libc::SIGCHLD,
            libc::SIGCONT,
            libc::SIGSTOP,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGURG,
            libc::SIGXCPU,
            libc::SIGXFSZ,
            libc::SIGVTALRM,
            libc::SIGPROF,
            libc::SIGWINCH,
            libc::SIGIO,
            libc::SIGPWR,
            libc::SIGSYS,
        ];
        for (name, number) in SIGNALS.iter().zip(libc_numbers) {
            assert_eq!(
                name.parse::<Signal>().unwrap().as_raw(),
                number,
                "SIG{name}"
            );
        }
    }
}
