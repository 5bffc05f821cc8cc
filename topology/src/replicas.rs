//! Where replicas sit in a started graph, written once for the runtime
//! (which expands a declared graph) and the macro (whose node enum maps
//! each replica to its id): copy 0 of each declared item keeps the item's
//! own index; copies 1..N of every item follow the declared items, item
//! after item. The same layout serves nodes (one copy per replica) and
//! edges (one copy per replica of the node they feed).

use std::ops::Range;

/// The index, in the started graph, of copy `copy` of declared item
/// `item`, where item `i` has `counts[i]` copies (1 for a plain item);
/// `None` past the last copy.
///
/// ```
/// use process_graph_topology::replica_index;
///
/// // a plain node, a node with 3 replicas, a plain node
/// let counts = [1, 3, 1];
/// assert_eq!(replica_index(&counts, 1, 0), Some(1)); // replica 0 keeps its index
/// assert_eq!(replica_index(&counts, 1, 2), Some(4)); // the others follow the declared nodes
/// assert_eq!(replica_index(&counts, 2, 0), Some(2));
/// assert_eq!(replica_index(&counts, 1, 3), None);
/// ```
pub const fn replica_index(counts: &[u32], item: usize, copy: u32) -> Option<usize> {
    if item >= counts.len() || copy >= counts[item] {
        return None;
    }
    if copy == 0 {
        return Some(item);
    }
    let mut index = counts.len();
    let mut i = 0;
    while i < item {
        index += counts[i].saturating_sub(1) as usize;
        i += 1;
    }
    Some(index + copy as usize - 1)
}

/// The indices of every item's copies in the started graph, item by item
/// and in one pass: what [`replica_index`] gives copy by copy (each call
/// of which counts the items before). Copy 0 is the item itself; copies
/// 1.. are the range.
///
/// ```
/// use process_graph_topology::replica_indices;
///
/// let counts = [1, 3, 2];
/// let copies: Vec<_> = replica_indices(&counts).collect();
/// assert_eq!(copies, [(0, 3..3), (1, 3..5), (2, 5..6)]);
/// ```
pub fn replica_indices(counts: &[u32]) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
    let mut next = counts.len();
    counts.iter().enumerate().map(move |(item, &count)| {
        let first = next;
        next += count.saturating_sub(1) as usize;
        (item, first..next)
    })
}

/// The declared item and the copy at `index` of the started graph: the
/// inverse of [`replica_index`].
///
/// ```
/// use process_graph_topology::replica_of;
///
/// let counts = [1, 3, 1];
/// assert_eq!(replica_of(&counts, 4), Some((1, 2)));
/// assert_eq!(replica_of(&counts, 2), Some((2, 0)));
/// assert_eq!(replica_of(&counts, 5), None);
/// ```
pub const fn replica_of(counts: &[u32], index: usize) -> Option<(usize, u32)> {
    if index < counts.len() {
        return if counts[index] == 0 {
            None
        } else {
            Some((index, 0))
        };
    }
    let mut rest = index - counts.len();
    let mut i = 0;
    while i < counts.len() {
        let extra = counts[i].saturating_sub(1) as usize;
        if rest < extra {
            return Some((i, rest as u32 + 1));
        }
        rest -= extra;
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_has_one_index_and_back() {
        let counts = [2, 1, 4, 1, 3];
        let mut seen = Vec::new();
        for (item, &n) in counts.iter().enumerate() {
            for copy in 0..n {
                let index = replica_index(&counts, item, copy).unwrap();
                assert_eq!(replica_of(&counts, index), Some((item, copy)));
                seen.push(index);
            }
        }
        seen.sort();
        let total: u32 = counts.iter().sum();
        assert_eq!(seen, (0..total as usize).collect::<Vec<_>>());
    }

    #[test]
    fn the_one_pass_agrees_with_each_copy() {
        let counts = [2, 1, 4, 1, 3];
        for (item, rest) in replica_indices(&counts) {
            assert_eq!(replica_index(&counts, item, 0), Some(item));
            for (copy, index) in rest.enumerate() {
                assert_eq!(replica_index(&counts, item, copy as u32 + 1), Some(index));
            }
        }
    }
}
