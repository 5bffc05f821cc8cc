//! Resource limits of a node, written into its cgroup: `memory.max`,
//! `pids.max`, `cpu.weight`. Each exists only where its controller is
//! enabled for the cgroup, which needs the controller in the application's
//! cgroup's `cgroup.subtree_control` (set by whoever owns that cgroup:
//! systemd, or an administrator) — the runtime then enables it for the
//! nodes in the graph's own cgroup, which holds no process.

/// A node's resource limits (see [`NodeOptions::memory_max`](crate::NodeOptions::memory_max)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Limits {
    pub(crate) memory_max: Option<u64>,
    pub(crate) pids_max: Option<u64>,
    pub(crate) cpu_weight: Option<u16>,
}

impl Limits {
    /// No limit.
    pub(crate) const NONE: Limits = Limits {
        memory_max: None,
        pids_max: None,
        cpu_weight: None,
    };

    /// Each limit set: its controller, its file and the value to write.
    pub(crate) fn files(&self) -> impl Iterator<Item = (&'static str, &'static str, String)> {
        [
            self.memory_max
                .map(|v| ("memory", "memory.max", v.to_string())),
            self.pids_max.map(|v| ("pids", "pids.max", v.to_string())),
            self.cpu_weight
                .map(|v| ("cpu", "cpu.weight", v.to_string())),
        ]
        .into_iter()
        .flatten()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files().next().is_none()
    }
}
