use process_graph::prelude::*;

// One mistake in the declaration; the code using the generated API is
// still type-checked against placeholders and reports nothing more.
#[process_graph]
struct Pipeline {
    #[process]
    source: Cmd,
    #[process]
    sink: Cmd,
    #[pipe(source.stdout -> snk.stdin)]
    lines: Pipe,
    #[pipe(sink.stdout -> parent)]
    out: Pipe,
}

fn main() -> Result<(), process_graph::Error> {
    let mut running = Pipeline::new(Cmd::new("seq").arg("3"), Cmd::new("cat")).spawn()?;
    let _reader: Option<std::io::PipeReader> = running.out.take();
    let report: PipelineReport = running.wait()?;
    let _ = (report.source, PipelineNode::Sink, Pipeline::TOPOLOGY);
    Ok(())
}
