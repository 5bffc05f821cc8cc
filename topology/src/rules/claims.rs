//! One owner per fd of each node: a stdio setting, the readiness fd, or
//! one edge.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::violation::Claim;

/// Which edge or setting holds each (node, fd).
#[derive(Default)]
pub(super) struct Claims(HashMap<(usize, i32), Claim>);

impl Claims {
    /// Claims fd `fd` of node `node` for `by`; the first claim, if it was
    /// already taken.
    pub(super) fn claim(&mut self, node: usize, fd: i32, by: Claim) -> Result<(), Claim> {
        match self.0.entry((node, fd)) {
            Entry::Vacant(slot) => {
                slot.insert(by);
                Ok(())
            }
            Entry::Occupied(first) => Err(first.get().clone()),
        }
    }
}
