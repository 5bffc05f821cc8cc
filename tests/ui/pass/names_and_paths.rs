//! Raw identifiers, visibility, docs and derives on the struct, and the
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
        #[pipe(r#type.stdout -> db_server2.stdin)]
        pub r#match: pg::Pipe,
    }
}

use graphs::{AwkwardNode, AwkwardReport, RunningAwkward};

fn main() {
    assert_eq!(AwkwardNode::ALL, [AwkwardNode::Type, AwkwardNode::DbServer2]);
    assert_eq!(AwkwardNode::Type.name(), "type");
    assert_eq!(graphs::Awkward::TOPOLOGY.edges[0].name.as_deref(), Some("match"));
    let graph = graphs::Awkward::new(pg::Cmd::new("true"), pg::Cmd::new("true"));
    let _copy = graph.clone();
    let _ = |r: RunningAwkward, report: AwkwardReport| (r.r#type().name(), report.db_server2);
}
