use process_graph::prelude::*;

// Types the macro cannot tell from a graph by their names: each is reported
// once, at the type, and neither the wiring into it nor the code using the
// generated items reports anything more.
pub struct NotAGraph;

#[process_graph]
pub struct Site {
    #[process]
    client: Cmd,
    #[subgraph]
    db: NotAGraph,
    #[pipe(client.stdout -> db.queries)]
    feed: Pipe,
    #[subgraph]
    bytes: Vec<u8>,
    #[children]
    pool: Children<NotAGraph>,
    #[children]
    names: Children<String>,
}

fn main() -> Result<(), process_graph::Error> {
    let site = Site::new(Cmd::new("true"), NotAGraph, Vec::new());
    let mut running = site.spawn()?;
    let _child = running.add_pool(NotAGraph)?;
    let _ends = &running.db;
    let report: SiteReport = running.wait()?;
    let _ = (report.db, report.pool, SiteNode::Client, Site::TOPOLOGY);
    Ok(())
}
