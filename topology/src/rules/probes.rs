//! The rules of a node's probes: an address or URL the runtime can connect
//! to without resolving a name, a command to run, a text to look for,
//! durations and a threshold above zero, a readiness probe only where no
//! readiness protocol is declared and on no one-shot job, no liveness probe
//! on the log, and a log to read: stdout or stderr inherited or prefixed.

use super::Found;
use super::violation::{Place, Rule};
use crate::model::{StdioMode, Topology};
use crate::probe::{ProbeCheck, ProbeInfo, http_target, probe_address};

pub(super) fn check(found: &mut Found<'_>) {
    let t = found.topology;
    for (n, node) in t.nodes.iter().enumerate() {
        for (live, probe) in [(false, &node.ready_probe), (true, &node.live_probe)] {
            let Some(probe) = probe else { continue };
            let place = Place::Probe { node: n, live };
            for rule in broken(probe, live) {
                found.push(place, rule);
            }
        }
        if node.oneshot && node.ready_probe.is_some() {
            found.push(
                Place::Probe {
                    node: n,
                    live: false,
                },
                Rule::OneshotWithReadyProbe,
            );
        }
        let log_line = node
            .ready_probe
            .as_ref()
            .is_some_and(|p| matches!(p.check, ProbeCheck::LogLine(_)));
        if log_line && !watchable(t, n, 1) && !watchable(t, n, 2) {
            found.push(
                Place::Probe {
                    node: n,
                    live: false,
                },
                Rule::LogLineUnwatched,
            );
        }
        if let (Some(_), Some(ready)) = (&node.ready_probe, node.ready) {
            found.push(
                Place::Probe {
                    node: n,
                    live: false,
                },
                Rule::ProbeAndReadiness { ready },
            );
        }
    }
}

/// Whether a log-line probe can read node `n`'s `fd` (1 or 2): one that no
/// edge claims, inherited or prefixed — it passes through the output thread,
/// which looks at each line on its way.
fn watchable(t: &Topology, n: usize, fd: i32) -> bool {
    let claimed = t.edges.iter().any(|edge| {
        edge.from
            .iter()
            .chain(edge.to.iter())
            .any(|end| end.node == Some(n) && end.fd == fd)
    });
    let mode = t.nodes[n].stdio[fd as usize];
    !claimed && matches!(mode, None | Some(StdioMode::Inherit | StdioMode::Prefixed))
}

/// What is wrong with one probe on its own.
fn broken(probe: &ProbeInfo, live: bool) -> Vec<Rule> {
    let mut rules = Vec::new();
    let target = match &probe.check {
        ProbeCheck::Tcp(address) => probe_address(address).err(),
        ProbeCheck::Http(url) => http_target(url).err(),
        ProbeCheck::Exec(argv) => {
            if argv.first().is_none_or(|program| program.is_empty()) {
                rules.push(Rule::EmptyProbeCommand);
            }
            None
        }
        ProbeCheck::LogLine(text) => {
            if text.is_empty() || text.contains('\n') {
                rules.push(Rule::BadLogPattern);
            }
            if live {
                rules.push(Rule::LogLineLiveness);
            }
            None
        }
    };
    if let Some(error) = target {
        rules.push(Rule::BadProbeAddress {
            reason: error.to_string(),
        });
    }
    if probe.period_ms == 0 {
        rules.push(Rule::ZeroProbeDuration { what: "period" });
    }
    if probe.timeout_ms == 0 {
        rules.push(Rule::ZeroProbeDuration { what: "timeout" });
    }
    if probe.failure_threshold == 0 {
        rules.push(Rule::ZeroFailureThreshold);
    }
    rules
}

#[cfg(test)]
mod tests {
    use crate::{NodeInfo, Place, ProbeCheck, ProbeInfo, Ready, Rule, Topology};

    fn rules_of(node: NodeInfo) -> Vec<(Place, Rule)> {
        let topology = Topology {
            nodes: vec![NodeInfo {
                name: "web".into(),
                ..node
            }]
            .into(),
            ..Topology::default()
        };
        match topology.check() {
            Ok(()) => Vec::new(),
            Err(v) => v.into_iter().map(|v| (v.place, v.rule)).collect(),
        }
    }

    #[test]
    fn a_readiness_probe_excludes_a_readiness_protocol() {
        let node = NodeInfo {
            ready: Some(Ready::Fd(3)),
            ready_probe: Some(ProbeInfo::ready(ProbeCheck::Tcp("127.0.0.1:80".into()))),
            ..NodeInfo::default()
        };
        let ready = Place::Probe {
            node: 0,
            live: false,
        };
        let rule = Rule::ProbeAndReadiness {
            ready: Ready::Fd(3),
        };
        assert_eq!(rules_of(node), [(ready, rule)]);
    }

    #[test]
    fn a_liveness_probe_goes_with_any_readiness_and_a_ready_timeout_with_a_probe() {
        let node = NodeInfo {
            ready: Some(Ready::Notify),
            live_probe: Some(ProbeInfo::live(ProbeCheck::Exec(
                vec!["true".into()].into(),
            ))),
            ..NodeInfo::default()
        };
        assert_eq!(rules_of(node), []);
        let node = NodeInfo {
            ready_timeout_ms: Some(5_000),
            ready_probe: Some(ProbeInfo::ready(ProbeCheck::LogLine("listening".into()))),
            ..NodeInfo::default()
        };
        assert_eq!(rules_of(node), []);
    }

    #[test]
    fn each_broken_setting_of_a_probe_is_reported() {
        let node = NodeInfo {
            ready_probe: Some(ProbeInfo {
                period_ms: 0,
                timeout_ms: 0,
                failure_threshold: 0,
                ..ProbeInfo::ready(ProbeCheck::Http("http://db:80/".into()))
            }),
            live_probe: Some(ProbeInfo::live(ProbeCheck::LogLine("".into()))),
            ..NodeInfo::default()
        };
        let found: Vec<Rule> = rules_of(node).into_iter().map(|(_, rule)| rule).collect();
        assert!(
            matches!(found[0], Rule::BadProbeAddress { .. }),
            "{found:?}"
        );
        assert_eq!(
            found[1..],
            [
                Rule::ZeroProbeDuration { what: "period" },
                Rule::ZeroProbeDuration { what: "timeout" },
                Rule::ZeroFailureThreshold,
                Rule::BadLogPattern,
                Rule::LogLineLiveness,
            ]
        );
    }
}
