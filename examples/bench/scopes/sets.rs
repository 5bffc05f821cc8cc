//! The sets of namespaces measured: none, each kind alone, each with a user
//! namespace, and all six.

use process_graph_runtime::Namespace;

/// Namespace kinds a scope (or a raw `clone3`) creates together.
pub struct NamespaceSet(pub Vec<Namespace>);

impl NamespaceSet {
    /// `none`, `user`, `user + net`, `all six`.
    pub fn label(&self) -> String {
        match self.0.len() {
            0 => "none".to_owned(),
            n if n == Namespace::ALL.len() => "all six".to_owned(),
            _ => self
                .0
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    /// The `CLONE_NEW*` flags a raw `clone3` takes for them.
    pub fn clone_flags(&self) -> u64 {
        self.0
            .iter()
            .fold(0, |flags, kind| flags | kind.clone_flag())
    }
}

/// No namespaces (the baseline), user alone, every other kind with user,
/// every other kind alone when `privileged` (without a user namespace they
/// need CAP_SYS_ADMIN), and all six.
pub fn all(privileged: bool) -> Vec<NamespaceSet> {
    let others = || {
        Namespace::ALL
            .into_iter()
            .filter(|&kind| kind != Namespace::User)
    };
    let mut sets = vec![NamespaceSet(vec![]), NamespaceSet(vec![Namespace::User])];
    sets.extend(others().map(|kind| NamespaceSet(vec![Namespace::User, kind])));
    if privileged {
        sets.extend(others().map(|kind| NamespaceSet(vec![kind])));
    }
    sets.push(NamespaceSet(Namespace::ALL.to_vec()));
    sets
}
