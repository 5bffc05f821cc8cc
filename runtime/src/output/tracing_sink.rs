//! The tracing sink (feature `tracing`): each line an event.

use super::{Line, Write};

pub(crate) struct Trace;

impl Write for Trace {
    fn line(&mut self, line: &Line<'_>) {
        tracing::info!(
            target: "process_graph::output",
            node = line.node,
            stream = line.stream.as_str(),
            end = ?line.end,
            "{}",
            line.text_lossy()
        );
    }
}
