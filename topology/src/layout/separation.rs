//! Places variables on a line as close to where each wants to be as
//! separation constraints (`x[right] - x[left] >= gap`) allow: the
//! "satisfy" pass of VPSC (Dwyer, Marriott, Stuckey: *Fast node overlap
//! removal*, 2005). Variables are visited in constraint order; a variable
//! whose incoming constraint is violated is merged with the block of
//! variables on the left of it, and the merged block moves to the weighted
//! mean of what its members want. Blocks only ever move left when merged,
//! so every constraint already met stays met: the result satisfies all of
//! them, provided the constraints have no cycle.

use super::dag::topological;

/// `x[right] - x[left] >= gap`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Separation {
    pub left: usize,
    pub right: usize,
    pub gap: f64,
}

struct Block {
    vars: Vec<usize>,
    /// Sum of weight × (desired - offset) over the members.
    weighted: f64,
    weight: f64,
    position: f64,
}

/// Positions for variables wanting `desired` with `weight` (> 0 each).
pub(super) fn satisfy(desired: &[f64], weight: &[f64], constraints: &[Separation]) -> Vec<f64> {
    let n = desired.len();
    let mut incoming = vec![Vec::new(); n];
    for (c, s) in constraints.iter().enumerate() {
        incoming[s.right].push(c);
    }
    let mut blocks: Vec<Block> = Vec::with_capacity(n);
    let mut block_of = vec![usize::MAX; n];
    let mut offset = vec![0.0; n];
    for v in constraint_order(n, constraints) {
        block_of[v] = blocks.len();
        blocks.push(Block {
            vars: vec![v],
            weighted: weight[v] * desired[v],
            weight: weight[v],
            position: desired[v],
        });
        let mut b = block_of[v];
        loop {
            let position = |u: usize| blocks[block_of[u]].position + offset[u];
            let worst = blocks[b]
                .vars
                .iter()
                .flat_map(|&u| &incoming[u])
                .map(|&c| constraints[c])
                .filter(|c| block_of[c.left] != b && block_of[c.left] != usize::MAX)
                .map(|c| (position(c.left) + c.gap - position(c.right), c))
                .fold(
                    None,
                    |worst: Option<(f64, Separation)>, (v, c)| match worst {
                        Some((w, _)) if w >= v => worst,
                        _ => Some((v, c)),
                    },
                );
            let Some((violation, c)) = worst else { break };
            if violation <= 1e-9 {
                break;
            }
            // Fold block `b` into the block left of it, the constraint tight.
            let left = block_of[c.left];
            let distance = offset[c.left] + c.gap - offset[c.right];
            let moved = std::mem::take(&mut blocks[b].vars);
            for &u in &moved {
                offset[u] += distance;
                block_of[u] = left;
            }
            let (weighted, weight) = (blocks[b].weighted, blocks[b].weight);
            let target = &mut blocks[left];
            target.vars.extend(moved);
            target.weighted += weighted - distance * weight;
            target.weight += weight;
            target.position = target.weighted / target.weight;
            b = left;
        }
    }
    (0..n)
        .map(|v| blocks[block_of[v]].position + offset[v])
        .collect()
}

/// A topological order of the constraint graph, smallest index first among
/// the ready variables. Variables on a cycle (a bug upstream) come last, in
/// index order, so the result is still defined.
fn constraint_order(n: usize, constraints: &[Separation]) -> Vec<usize> {
    let mut outgoing = vec![Vec::new(); n];
    for c in constraints {
        outgoing[c.left].push(c.right);
    }
    topological(&outgoing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sep(left: usize, right: usize, gap: f64) -> Separation {
        Separation { left, right, gap }
    }

    #[test]
    fn crowded_variables_spread_around_their_common_wish() {
        let x = satisfy(&[0.0; 3], &[1.0; 3], &[sep(0, 1, 10.0), sep(1, 2, 10.0)]);
        assert_eq!(x, [-10.0, 0.0, 10.0]);
    }

    #[test]
    fn met_constraints_leave_wishes_alone() {
        let x = satisfy(&[0.0, 50.0], &[1.0, 1.0], &[sep(0, 1, 10.0)]);
        assert_eq!(x, [0.0, 50.0]);
    }

    #[test]
    fn every_constraint_holds_after_merges() {
        let desired = [5.0, 0.0, 3.0, -4.0, 1.0];
        let constraints = [
            sep(0, 1, 4.0),
            sep(1, 2, 6.0),
            sep(3, 2, 2.0),
            sep(2, 4, 1.0),
            sep(0, 4, 20.0),
        ];
        let x = satisfy(&desired, &[1.0, 2.0, 1.0, 0.5, 1.0], &constraints);
        for c in constraints {
            assert!(
                x[c.right] - x[c.left] >= c.gap - 1e-9,
                "{c:?} broken: {x:?}"
            );
        }
    }
}
