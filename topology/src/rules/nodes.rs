//! The rules of each node on its own: a unique, printable name, a scope that
//! resolves (its `after` lists are `after.rs`'s), a readiness fd above stdio, a ready
//! timeout only with a readiness protocol or probe or on a one-shot job, a
//! one-shot job neither restarted always nor with a readiness protocol, a
//! watchdog (longer than zero) and a notify access only with `ready =
//! "notify"`, stdin never forwarded, fds passed in above stdio and each
//! claimed once.

use std::collections::HashSet;

use super::claims::{Claims, Holder};
use super::violation::{Place, Rule};
use super::{Found, MAX_FD};
use crate::listen::{ListenAddress, valid_listener_name};
use crate::model::Ready;

pub(super) fn check(found: &mut Found<'_>, claims: &mut Claims) {
    let t = found.topology;
    let mut names = HashSet::new();
    for (n, node) in t.nodes.iter().enumerate() {
        if !names.insert(&*node.name) {
            found.push(Place::Node(n), Rule::DuplicateName);
        }
        if node.name.is_empty() || node.name.chars().any(char::is_control) {
            found.push(Place::Node(n), Rule::UnprintableName);
        }
        if node.replicas == 0 {
            found.push(Place::Replicas(n), Rule::ZeroReplicas);
        }
        if let Some(scope) = node.scope.filter(|&s| s >= t.scopes.len()) {
            found.push(Place::NodeScope(n), Rule::UnknownScope { index: scope });
        }
        for (fd, mode) in (0..).zip(node.stdio) {
            let Some(mode) = mode else { continue };
            if fd == 0 && mode.is_forwarded() {
                found.push(Place::Stdio { node: n, fd }, Rule::PrefixedStdin);
            }
            // Each stdio fd is set once per node: nothing claimed it before.
            let _ = claims.claim(t, n, fd, Holder::Stdio { mode });
        }
        match node.ready {
            Some(Ready::Fd(fd)) if !(0..MAX_FD).contains(&fd) => {
                found.push(Place::Ready(n), Rule::FdOutOfRange { fd });
            }
            Some(Ready::Fd(fd)) if fd < 3 => {
                found.push(Place::Ready(n), Rule::ReadyFdIsStdio { fd });
            }
            Some(Ready::Fd(fd)) => {
                // Above stdio, and claimed before any edge: always free.
                let _ = claims.claim(t, n, fd, Holder::Ready);
            }
            Some(Ready::Notify) => {}
            None if node.ready_timeout_ms.is_some()
                && !node.oneshot
                && node.ready_probe.is_none() =>
            {
                found.push(Place::ReadyTimeout(n), Rule::ReadyTimeoutWithoutReadiness);
            }
            None => {}
        }
        let notify = node.ready == Some(Ready::Notify);
        match node.watchdog_ms {
            Some(_) if !notify => {
                let setting = "watchdog";
                found.push(Place::Watchdog(n), Rule::NeedsNotify { setting });
            }
            Some(0) => found.push(Place::Watchdog(n), Rule::ZeroWatchdog),
            _ => {}
        }
        if node.notify_access != "main" && !notify {
            let setting = "notify_access";
            found.push(Place::NotifyAccess(n), Rule::NeedsNotify { setting });
        }
        if node.oneshot {
            if node.restart == "always" {
                found.push(Place::Restart(n), Rule::OneshotRestartAlways);
            }
            if node.ready.is_some() {
                found.push(Place::Ready(n), Rule::OneshotWithReadiness);
            }
        }
        for (index, listener) in node.listeners.iter().enumerate() {
            let place = Place::Listener { node: n, index };
            if let Err(reason) = listener.address.parse::<ListenAddress>() {
                found.push(place, Rule::BadListenAddress { reason });
            }
            if !valid_listener_name(&listener.name) {
                let name = listener.name.to_string();
                found.push(place, Rule::BadListenerName { name });
            }
            // fds from 3, in order: the protocol's.
            let fd = 3 + index as i32;
            if let Err(first) = claims.claim(t, n, fd, Holder::Listener { index }) {
                let endpoint = format!("{}.fd({fd})", node.name);
                found.push(place, Rule::FdTaken { endpoint, first });
            }
        }
        for &fd in node.passed_fds.iter() {
            let place = Place::PassedFd { node: n, fd };
            if !(0..MAX_FD).contains(&fd) {
                found.push(place, Rule::FdOutOfRange { fd });
                continue;
            }
            if let Err(first) = claims.claim(t, n, fd, Holder::Passed) {
                let endpoint = format!("{}.fd({fd})", node.name);
                found.push(place, Rule::FdTaken { endpoint, first });
            }
        }
    }
}
