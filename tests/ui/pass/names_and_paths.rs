//! Raw identifiers, fields whose node variant needs a prefix (`_٣`, whose
//! first character starts no identifier, and `self_`, which would be the
//! keyword `Self`), visibility, docs and derives on the struct, and the
//! `crate = "..."` path.

use process_graph as pg;

mod graphs {
    use super::pg;

    /// A graph with awkward names.
    #[derive(Debug, Clone)]
    #[pg::process_graph(crate = "pg")]
    pub(crate) struct Awkward {
        /// The first process.
        #[process]
        pub r#type: pg::Cmd,
        #[process]
        pub db_server2: pg::Command,
        #[process]
        pub _٣: pg::Cmd,
        #[process]
        pub self_: pg::Cmd,
        #[pipe(r#type.stdout -> db_server2.stdin)]
        pub r#match: pg::Pipe,
    }
}

use graphs::{AwkwardNode, AwkwardReport, RunningAwkward};

fn main() {
    assert_eq!(
        AwkwardNode::ALL,
        [AwkwardNode::Type, AwkwardNode::DbServer2, AwkwardNode::N٣, AwkwardNode::NSelf]
    );
    assert_eq!(AwkwardNode::Type.name(), "type");
    assert_eq!(graphs::Awkward::TOPOLOGY.edges[0].name.as_deref(), Some("match"));
    let t = || pg::Cmd::new("true");
    let graph = graphs::Awkward::new(t(), t(), t(), t());
    let _copy = graph.clone();
    let _ = |r: RunningAwkward, report: AwkwardReport| (r.r#type().name(), report.db_server2);
}
