//! Whether a run was trained to a plateau: the rule a result must meet before its accuracy is
//! read as what a configuration can reach rather than how fast it starts to learn.
//!
//! ```text
//! E epochs with validation accuracies a_1 … a_E,  q = ⌈E / 4⌉
//! plateau  ⇔  max(a_{E−q+1} … a_E) − max(a_1 … a_{E−q}) ≤ 0.01,   or the run stopped early
//! ```
//!
//! A run stopped by patience (no lower validation loss for that many epochs) counts as at a
//! plateau; a diverged run never does, and neither does a run of fewer than 4 epochs.

/// The largest gain of the last quarter of epochs over the rest that still counts as a plateau.
pub const PLATEAU_TOLERANCE: f64 = 0.01;

/// Whether validation accuracies `accuracy` (epoch order) reached a plateau (module docs);
/// `stopped_early` when patience ended the run before its configured epochs.
pub fn at_plateau(accuracy: &[f64], stopped_early: bool) -> bool {
    if stopped_early {
        return true;
    }
    let values: Vec<f64> = accuracy.iter().copied().filter(|v| v.is_finite()).collect();
    let n = values.len();
    if n < 4 {
        return false;
    }
    let q = n.div_ceil(4);
    let best = |s: &[f64]| s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    best(&values[n - q..]) - best(&values[..n - q]) <= PLATEAU_TOLERANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_quarter_may_gain_at_most_the_tolerance() {
        // 8 epochs, q = 2: best of the first 6 is 0.80.
        let flat = [0.5, 0.7, 0.78, 0.80, 0.79, 0.80, 0.805, 0.809];
        assert!(at_plateau(&flat, false));
        let rising = [0.5, 0.7, 0.78, 0.80, 0.79, 0.80, 0.805, 0.82];
        assert!(!at_plateau(&rising, false));
        assert!(at_plateau(&rising, true), "patience stopped it");
        assert!(!at_plateau(&[0.5, 0.6, 0.6], false), "fewer than 4 epochs");
        // 5 epochs, q = 2.
        assert!(at_plateau(&[0.1, 0.5, 0.9, 0.905, 0.9], false));
    }
}
