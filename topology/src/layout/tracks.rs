//! Orthogonal routing between two ranks. A line that must move sideways
//! between ranks goes down, along a horizontal track, and down again; lines
//! whose horizontal stretches overlap get tracks of their own, so no two
//! lines ever run on top of each other. Which of two lines takes the upper
//! track is chosen to cross the other fewer times (a line's vertical end
//! below the other's track crosses it when it lies within the other's
//! stretch) and never to run along the other's vertical end; conflicting
//! choices are settled the way layering settles cycles: strongest
//! preference first, each kept unless it closes a cycle.

use super::dag::{longest_path_layers, reaches, topological};
use super::metrics::TRACK_CLEARANCE;

/// A sideways move in the gap below one rank: from `top` (x where the line
/// leaves the rank above) to `bottom` (x where it enters the rank below).
#[derive(Debug, Clone, Copy)]
pub(super) struct Jog {
    pub top: f64,
    pub bottom: f64,
}

impl Jog {
    fn low(&self) -> f64 {
        self.top.min(self.bottom)
    }

    fn high(&self) -> f64 {
        self.top.max(self.bottom)
    }

    fn within(&self, x: f64) -> bool {
        self.low() - TRACK_CLEARANCE <= x && x <= self.high() + TRACK_CLEARANCE
    }

    fn overlaps(&self, other: &Jog) -> bool {
        self.low() - TRACK_CLEARANCE <= other.high() && other.low() <= self.high() + TRACK_CLEARANCE
    }

    /// The price of `self` taking a track above `other`: the crossings it
    /// causes, and far more for running along the other's vertical end.
    fn above_cost(&self, other: &Jog) -> usize {
        let along = (self.bottom - other.top).abs() < TRACK_CLEARANCE;
        usize::from(other.within(self.bottom))
            + usize::from(self.within(other.top))
            + 100 * usize::from(along)
    }
}

/// The track of every jog (0 is the highest) and how many tracks there are.
pub(super) fn assign(jogs: &[Jog]) -> (Vec<usize>, usize) {
    let n = jogs.len();
    let mut preferences: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if jogs[i].overlaps(&jogs[j]) {
                let (ij, ji) = (jogs[i].above_cost(&jogs[j]), jogs[j].above_cost(&jogs[i]));
                let (upper, lower) = if ij <= ji { (i, j) } else { (j, i) };
                preferences.push((upper, lower, ij.abs_diff(ji)));
            }
        }
    }
    preferences.sort_by_key(|&(upper, lower, strength)| {
        (
            std::cmp::Reverse(strength),
            upper.min(lower),
            upper.max(lower),
        )
    });
    let mut below = vec![Vec::new(); n];
    for (upper, lower, _) in preferences {
        if reaches(&below, lower, upper) {
            below[lower].push(upper);
        } else {
            below[upper].push(lower);
        }
    }
    // Each jog one track below the lowest of those that must be above it.
    let track = longest_path_layers(&below, &topological(&below));
    let count = track.iter().map(|t| t + 1).max().unwrap_or(0);
    (track, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apart_jogs_share_a_track() {
        let (track, count) = assign(&[
            Jog {
                top: 0.0,
                bottom: 20.0,
            },
            Jog {
                top: 100.0,
                bottom: 140.0,
            },
        ]);
        assert_eq!((track, count), (vec![0, 0], 1));
    }

    #[test]
    fn parallel_jogs_stack_without_crossing() {
        // Both move right; the one that starts further right must go
        // higher, or its start would cross the other's stretch.
        let (track, count) = assign(&[
            Jog {
                top: 0.0,
                bottom: 100.0,
            },
            Jog {
                top: 30.0,
                bottom: 130.0,
            },
        ]);
        assert_eq!((track, count), (vec![1, 0], 2));
    }

    #[test]
    fn a_jog_never_runs_along_another_ones_end() {
        // The first ends where the second starts: were the first above, its
        // way down would run along the second's way down to its track.
        let (track, _) = assign(&[
            Jog {
                top: 0.0,
                bottom: 50.0,
            },
            Jog {
                top: 50.0,
                bottom: 120.0,
            },
        ]);
        assert!(track[1] < track[0]);
    }
}
