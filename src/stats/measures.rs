//! Measures the studies share: the Fano factor of spike counts over repeated trials (Gygax &
//! Zenke's trial-to-trial variability) and Herranz-Celotti & Rouat's sensitivity of a task to
//! the surrogate's shape.

use super::{mean, variance};

/// The Fano factor of spike counts over repeated trials of one input: for each neuron and
/// window, F = Var_r[c] / E_r[c] over the trials r, averaged over the (neuron, window) cells
/// with a non-zero mean count; `spikes` is `[T, R, n]` row-major (R trials of the same input),
/// windows of `window` steps from t = 0 (a last, shorter window is dropped). `None` when no
/// cell has spikes. The variance is the unbiased one (R − 1).
pub fn fano_factor(spikes: &[f64], steps: usize, trials: usize, neurons: usize, window: usize) -> Option<f64> {
    assert_eq!(spikes.len(), steps * trials * neurons, "spikes must be [T, R, n]");
    assert!(trials >= 2 && window >= 1, "a Fano factor needs at least 2 trials and a window of at least 1 step");
    let mut factors = Vec::new();
    for w in 0..steps / window {
        for j in 0..neurons {
            let counts: Vec<f64> = (0..trials).map(|r| (w * window..(w + 1) * window).map(|t| spikes[(t * trials + r) * neurons + j]).sum()).collect();
            let m = mean(&counts);
            if m > 0.0 {
                let var = counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (trials - 1) as f64;
                factors.push(var / m);
            }
        }
    }
    (!factors.is_empty()).then(|| mean(&factors))
}

/// The sensitivity of a task to the surrogate's shape (Herranz-Celotti & Rouat's bar plot):
/// min–max normalise `metric` over all runs, take the standard deviation (ddof 1) over the runs
/// (every shape and seed) at each distinct value of `lr`, and average over the learning rates.
/// Returns (sensitivity, error) with the error the standard deviation over learning rates
/// divided by 2; a learning rate with a single run contributes 0.
pub fn shape_sensitivity(metric: &[f64], lr: &[f64]) -> (f64, f64) {
    let per_lr: Vec<f64> = shape_sensitivity_per_lr(metric, lr).into_iter().map(|(_, s)| s).collect();
    let error = if per_lr.len() > 1 { variance(&per_lr, 1).sqrt() / 2.0 } else { 0.0 };
    (mean(&per_lr), error)
}

/// The terms [`shape_sensitivity`] averages: (learning rate, standard deviation of the
/// normalised metric over the runs at it), in increasing learning rate.
pub fn shape_sensitivity_per_lr(metric: &[f64], lr: &[f64]) -> Vec<(f64, f64)> {
    assert_eq!(metric.len(), lr.len(), "one learning rate per run");
    let (lo, hi) = metric.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut rates: Vec<f64> = lr.to_vec();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    rates
        .iter()
        .map(|&r| {
            let v: Vec<f64> = metric.iter().zip(lr).filter(|(_, l)| **l == r).map(|(x, _)| (x - lo) / span).collect();
            (r, if v.len() > 1 { variance(&v, 1).sqrt() } else { 0.0 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fano_factor_of_poisson_like_and_repeated_counts() {
        // T = 2, R = 4, n = 1, window 2: counts (0, 1, 1, 2) → mean 1, unbiased variance 2/3.
        let spikes = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        assert!((fano_factor(&spikes, 2, 4, 1, 2).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        // Identical trials have no variance; silent neurons give no factor.
        assert_eq!(fano_factor(&[1.0, 1.0, 1.0, 1.0], 2, 2, 1, 1), Some(0.0));
        assert_eq!(fano_factor(&[0.0; 8], 2, 2, 2, 1), None);
    }

    #[test]
    fn shape_sensitivity_by_hand() {
        // Metric 0..=4 over two learning rates: normalised (0, .25, .5) at lr 1 and (.75, 1) at
        // lr 2; sample sds 0.25 and √0.03125 = 0.17678; their mean and half their sd.
        let (s, e) = shape_sensitivity(&[0.0, 1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 1.0, 2.0, 2.0]);
        let (a, b) = (0.25f64, (0.03125f64).sqrt());
        let terms = shape_sensitivity_per_lr(&[0.0, 1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 1.0, 2.0, 2.0]);
        assert_eq!(terms.iter().map(|t| t.0).collect::<Vec<_>>(), [1.0, 2.0]);
        assert!((terms[0].1 - a).abs() < 1e-12 && (terms[1].1 - b).abs() < 1e-12, "{terms:?}");
        assert!((s - (a + b) / 2.0).abs() < 1e-12, "{s}");
        let sd = (((a - (a + b) / 2.0).powi(2) + (b - (a + b) / 2.0).powi(2)) / 1.0).sqrt();
        assert!((e - sd / 2.0).abs() < 1e-12, "{e}");
        // A constant metric is not sensitive.
        assert_eq!(shape_sensitivity(&[0.5; 4], &[1.0, 1.0, 2.0, 2.0]), (0.0, 0.0));
    }
}
