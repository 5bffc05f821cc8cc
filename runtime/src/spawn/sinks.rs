//! The sinks of a graph's forwarded streams, as the launcher numbers and
//! counts them: each sink has a slot, the same on the output thread, and a
//! count of the streams of nodes not yet forgotten that write to it. When a
//! removed node's streams were the last to use a sink, its slot is freed
//! and the output thread drops the sink (closing a file sink's fd) once it
//! has delivered what those streams held; the next add may take the slot.
//! So a graph whose nodes come and go holds the sinks of its live nodes,
//! not of every node it ever had.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::command::Stdio;
use crate::error::Error;
use crate::graph::Graph;
use crate::output::{Clock, Sink, Write};
use crate::plan::Plan;

/// The sinks the output thread holds, by slot.
#[derive(Debug, Default)]
pub(super) struct SinkTable {
    /// `None`: a free slot.
    slots: Vec<Option<Held>>,
    /// The free slots; the last one is given first.
    free: Vec<usize>,
    /// The slot of each file sink, by path: streams writing to one file
    /// share one writer, also across adds.
    files: HashMap<PathBuf, usize>,
}

#[derive(Debug)]
struct Held {
    /// The file it writes to, if a file sink.
    file: Option<PathBuf>,
    /// The streams of nodes not yet forgotten that write to it.
    streams: usize,
}

impl SinkTable {
    /// The slot of the file sink writing to `path`, if there is one.
    fn file(&self, path: &Path) -> Option<usize> {
        self.files.get(path).copied()
    }

    /// The slot the `nth` sink opened after the last
    /// [`commit`](Self::commit) gets: the free slots first, then new ones.
    fn new_slot(&self, nth: usize) -> usize {
        match self.free.len().checked_sub(nth + 1) {
            Some(index) => self.free[index],
            None => self.slots.len() + nth - self.free.len(),
        }
    }

    /// Takes in the sinks opened for an add, with the slots
    /// [`open_sinks`] gave them, and counts the streams that use each sink
    /// (a slot per forwarded stream).
    pub(super) fn commit(
        &mut self,
        new: Vec<(usize, Option<PathBuf>)>,
        streams: impl IntoIterator<Item = usize>,
    ) {
        self.free
            .truncate(self.free.len().saturating_sub(new.len()));
        for (slot, file) in new {
            if let Some(path) = &file {
                self.files.insert(path.clone(), slot);
            }
            if self.slots.len() <= slot {
                self.slots.resize_with(slot + 1, || None);
            }
            self.slots[slot] = Some(Held { file, streams: 0 });
        }
        for slot in streams {
            if let Some(held) = &mut self.slots[slot] {
                held.streams += 1;
            }
        }
    }

    /// The streams of a forgotten node, which wrote to `streams` (a slot
    /// each), are gone: returns the slots no stream uses any more, now free.
    pub(super) fn release(&mut self, streams: &[usize]) -> Vec<usize> {
        let mut unused = Vec::new();
        for &slot in streams {
            let Some(held) = &mut self.slots[slot] else {
                continue;
            };
            held.streams -= 1;
            if held.streams > 0 {
                continue;
            }
            if let Some(path) = &held.file {
                self.files.remove(path);
            }
            self.slots[slot] = None;
            self.free.push(slot);
            unused.push(slot);
        }
        unused
    }
}

/// The sinks a graph's forwarded streams write to, opened.
pub(super) struct OpenedSinks {
    /// For each node, the slot of each forwarded stream's sink, in plan
    /// order.
    pub(super) sinks_of: Vec<Vec<usize>>,
    /// The sinks the table does not have yet, by slot with the file each
    /// writes to, for [`SinkTable::commit`].
    pub(super) new: Vec<(usize, Option<PathBuf>)>,
    /// Their writers, by slot, for the output thread.
    pub(super) writers: Vec<(usize, Box<dyn Write + Send>)>,
}

/// Opens the sinks of `graph`'s forwarded streams that `table` does not
/// have: streams writing to one file share its writer, also with a stream
/// of the running graph. The table is left as it is.
pub(super) fn open_sinks(
    graph: &Graph,
    plan: &Plan,
    table: &SinkTable,
    clock: Clock,
) -> Result<OpenedSinks, Error> {
    let mut opened = OpenedSinks {
        sinks_of: Vec::with_capacity(plan.nodes.len()),
        new: Vec::new(),
        writers: Vec::new(),
    };
    let mut new_files: HashMap<PathBuf, usize> = HashMap::new();
    for (node, node_plan) in graph.nodes.iter().zip(&plan.nodes) {
        let mut of_node = Vec::new();
        for fd in node_plan.forwarded_streams() {
            let sink = node.command.stdio(fd).and_then(Stdio::sink);
            let path = sink.as_ref().and_then(Sink::file_path);
            let shared = path.and_then(|p| table.file(p).or_else(|| new_files.get(p).copied()));
            let slot = match shared {
                Some(slot) => slot,
                None => {
                    let writer = match &sink {
                        Some(sink) => sink
                            .open(clock)
                            .map_err(|e| Error::io(Some(&node.name), "open the output sink", e))?,
                        None => Sink::passthrough(),
                    };
                    let slot = table.new_slot(opened.new.len());
                    if let Some(path) = path {
                        new_files.insert(path.to_owned(), slot);
                    }
                    opened.writers.push((slot, writer));
                    opened.new.push((slot, path.map(Path::to_owned)));
                    slot
                }
            };
            of_node.push(slot);
        }
        opened.sinks_of.push(of_node);
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Option<PathBuf> {
        Some(path.into())
    }

    #[test]
    fn a_sink_no_stream_uses_frees_its_slot_for_the_next_add() {
        let mut table = SinkTable::default();
        assert_eq!([0, 1, 2].map(|nth| table.new_slot(nth)), [0, 1, 2]);
        table.commit(
            vec![(0, file("/a")), (1, file("/b")), (2, None)],
            [0, 1, 1, 2],
        );
        assert_eq!(table.release(&[1]), [] as [usize; 0], "one stream left");
        assert_eq!(table.release(&[1, 2]), [1, 2]);
        assert_eq!(table.file(Path::new("/b")), None);
        assert_eq!(table.file(Path::new("/a")), Some(0));
        // The last freed first, then past the end.
        assert_eq!([0, 1, 2].map(|nth| table.new_slot(nth)), [2, 1, 3]);
        table.commit(vec![(2, file("/c")), (1, None)], [2, 1]);
        assert_eq!(table.new_slot(0), 3);
        assert_eq!(table.file(Path::new("/c")), Some(2));
        assert_eq!(table.release(&[0]), [0]);
        assert!(table.files.len() == 1 && table.free == [0]);
    }
}
