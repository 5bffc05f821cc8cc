//! The signal names a node may be stopped with, shared by the macro (which
//! checks them at compile time) and the runtime (which parses and prints
//! them), so the two cannot disagree.

/// The standard Linux signals as `kill -l` names them, in number order:
/// `SIGNALS[i]` is signal `i + 1` (the numbering of x86 and Arm; the runtime
/// checks it against libc).
///
/// ```
/// use process_graph_topology::SIGNALS;
///
/// assert_eq!(SIGNALS[15 - 1], "TERM"); // signal 15
/// let number = |name: &str| SIGNALS.iter().position(|s| *s == name).map(|i| i + 1);
/// assert_eq!(number("KILL"), Some(9));
/// assert_eq!(number("RTMIN"), None); // real-time signals are not listed
/// ```
pub const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// The position in [`SIGNALS`] of a signal written `"SIGTERM"`, `"TERM"` or
/// `"term"`.
///
/// ```
/// use process_graph_topology::{SIGNALS, signal_index};
///
/// assert_eq!(signal_index("sigterm").map(|i| SIGNALS[i]), Some("TERM"));
/// assert_eq!(signal_index("SIGTERN"), None);
/// ```
pub fn signal_index(text: &str) -> Option<usize> {
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS.iter().position(|name| *name == bare)
}
