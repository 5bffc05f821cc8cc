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
    pub const HUP: Signal = Signal(libc::SIGHUP);
    /// SIGINT.
    pub const INT: Signal = Signal(libc::SIGINT);
    /// SIGQUIT.
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// SIGABRT: what a node that misses its watchdog is sent.
    pub const ABRT: Signal = Signal(libc::SIGABRT);
    /// SIGKILL.
    pub const KILL: Signal = Signal(libc::SIGKILL);
    /// SIGUSR1.
    pub const USR1: Signal = Signal(libc::SIGUSR1);
    /// SIGUSR2.
    pub const USR2: Signal = Signal(libc::SIGUSR2);
    /// SIGTERM.
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// SIGCONT.
    pub const CONT: Signal = Signal(libc::SIGCONT);
    /// SIGSTOP.
    pub const STOP: Signal = Signal(libc::SIGSTOP);

    /// The signal with this number, if it is a standard or real-time signal.
    pub fn from_raw(signo: i32) -> Option<Signal> {
        (1..=libc::SIGRTMAX())
            .contains(&signo)
            .then_some(Signal(signo))
    }

    /// The signal number.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// The name without the `SIG` prefix (`"TERM"`), for standard signals.
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
