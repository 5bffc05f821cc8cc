//! Supervision as `tracing` events (feature `tracing`), so that `wait()` is
//! no black box: every event the core makes, as it makes it (start,
//! readiness, ready timeout, a failed or fatal probe, exit with the decision about it — restart and
//! its backoff delay, or staying stopped —, failed start, failed
//! dependency, signal), every stop of the graph with its cause (a restart
//! intensity trip among them), and each stop signal and SIGKILL sent to a
//! node.
//!
//! Target `process_graph::supervise`; each event has the field `node` with
//! the node's name where there is one. Without the feature these functions
//! do nothing and cost nothing.

use std::time::Duration;

use super::event::Event;
use crate::exit::Outcome;
use crate::signal::Signal;

/// An event the loop hands out to the application or carries out itself.
#[cfg(feature = "tracing")]
pub(crate) fn event(names: &[String], event: &Event) {
    use tracing::{Level, event};
    let text = event.clone().map_node(|id| names[id.index()].as_str());
    let name = |id: crate::NodeId| names[id.index()].as_str();
    const T: &str = "process_graph::supervise";
    match event {
        Event::Started { node, pid } => {
            event!(target: T, Level::INFO, node = name(*node), pid, "{text}");
        }
        Event::Ready { node } | Event::Stopping { node } => {
            event!(target: T, Level::INFO, node = name(*node), "{text}");
        }
        Event::MainPid { node, pid } => {
            event!(target: T, Level::INFO, node = name(*node), pid, "{text}");
        }
        Event::MainPidRefused { node, .. } => {
            event!(target: T, Level::WARN, node = name(*node), "{text}");
        }
        Event::ReadyTimeout { node } | Event::WatchdogTimeout { node } => {
            event!(target: T, Level::WARN, node = name(*node), "{text}");
        }
        Event::Exited { node, status, .. } if status.success() => {
            event!(target: T, Level::INFO, node = name(*node), "{text}");
        }
        Event::Exited { node, .. } => event!(target: T, Level::WARN, node = name(*node), "{text}"),
        Event::ProbeFailed { node, .. }
        | Event::ProbeKilled { node, .. }
        | Event::StartHeld { node } => {
            event!(target: T, Level::WARN, node = name(*node), "{text}");
        }
        Event::StartFailed { node, .. }
        | Event::DependencyFailed { node, .. }
        | Event::SubgraphFailed { node, .. } => {
            event!(target: T, Level::ERROR, node = name(*node), "{text}");
        }
        Event::Signal(_) => event!(target: T, Level::INFO, "{text}"),
        Event::Woken => event!(target: T, Level::DEBUG, "{text}"),
    }
}

/// The graph begins to stop, for `cause`.
#[cfg(feature = "tracing")]
pub(crate) fn graph_stops(names: &[String], cause: Outcome) {
    use tracing::{Level, event};
    const T: &str = "process_graph::supervise";
    let name = |id: crate::NodeId| names[id.index()].as_str();
    match cause {
        Outcome::RestartIntensity { node } => event!(
            target: T, Level::ERROR, node = name(node),
            "{}: restart intensity reached; the graph stops", name(node)
        ),
        Outcome::Critical { node } => event!(
            target: T, Level::WARN, node = name(node),
            "{} is critical and ended; the graph stops", name(node)
        ),
        Outcome::DependencyFailed { node, dependency } => event!(
            target: T, Level::ERROR, node = name(node),
            "{} cannot start: {} failed; the graph stops", name(node), name(dependency)
        ),
        Outcome::StartTimeout { node, dependency } => event!(
            target: T, Level::ERROR, node = name(node),
            "{} did not start in time, waiting for {}; the graph stops", name(node), name(dependency)
        ),
        Outcome::Signal(signal) => {
            event!(target: T, Level::INFO, "{signal} arrived; the graph stops")
        }
        Outcome::Completed | Outcome::Shutdown => event!(target: T, Level::INFO, "the graph stops"),
    }
}

/// Node `name` is sent its stop signal, and SIGKILLed after `timeout`.
#[cfg(feature = "tracing")]
pub(crate) fn stop_signal(name: &str, signal: Signal, timeout: Duration) {
    tracing::info!(
        target: "process_graph::supervise", node = name,
        "{name} is sent {signal}; SIGKILL in {timeout:?} if it is still running"
    );
}

/// Node `name` outlived its stop timeout and is SIGKILLed.
#[cfg(feature = "tracing")]
pub(crate) fn killed_after_timeout(name: &str) {
    tracing::warn!(
        target: "process_graph::supervise", node = name,
        "{name} outlived its stop timeout; it is SIGKILLed with its process group"
    );
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn event(_: &[String], _: &Event) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn graph_stops(_: &[String], _: Outcome) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn stop_signal(_: &str, _: Signal, _: Duration) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn killed_after_timeout(_: &str) {}
