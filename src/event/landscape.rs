//! Loss and gradient landscapes of an event network around given parameters (Li et al. 2018,
//! as other_seeds.md §B.4 proposes): L(θ + α d) along a random direction d drawn N(0, 1) per
//! weight and scaled so that each neuron's row of d has the norm of its row of θ ("filter"
//! normalisation); the initial phases are not moved. Evaluated on a batch or on single
//! samples, with the exact gradient's norm and the hidden spike count at each α, so that the
//! jumps of a slice can be matched to spikes appearing or disappearing.

use rand_distr::{Distribution, StandardNormal};

use super::{EventNetwork, EventSample, FirstSpikeLoss};

/// A filter-normalised random direction in parameter space (module docs), from `seed`.
pub fn random_direction(net: &EventNetwork, seed: u64) -> Vec<f64> {
    let mut rng = crate::rng::rng(seed, 0x534C_4943_4500_0000);
    let mut d = vec![0.0; net.params.len()];
    for l in 1..=net.depth() {
        let (w0, _) = net.offsets(l);
        let n_in = net.sizes[l - 1];
        for i in 0..net.sizes[l] {
            let row = w0 + i * n_in..w0 + (i + 1) * n_in;
            let draw: Vec<f64> = (0..n_in).map(|_| StandardNormal.sample(&mut rng)).collect();
            let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let scale = norm(&net.params[row.clone()]) / norm(&draw).max(f64::MIN_POSITIVE);
            d[row].iter_mut().zip(&draw).for_each(|(x, y)| *x = y * scale);
        }
    }
    d
}

/// One point of a slice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlicePoint {
    /// Displacement α.
    pub alpha: f64,
    /// Mean loss.
    pub loss: f64,
    /// Norm of the exact gradient of the mean loss.
    pub gradient_norm: f64,
    /// Hidden spikes summed over the samples.
    pub hidden_spikes: usize,
    /// Output spikes in the trial summed over the samples.
    pub output_spikes: usize,
}

/// L(θ + α d) for each α of `alphas` over `samples` (module docs).
pub fn slice(net: &EventNetwork, direction: &[f64], alphas: &[f64], samples: &[&EventSample], loss: &FirstSpikeLoss) -> Vec<SlicePoint> {
    alphas
        .iter()
        .map(|&alpha| {
            let mut moved = net.clone();
            moved.params.iter_mut().zip(direction).for_each(|(p, d)| *p += alpha * d);
            let r = moved.evaluate(samples, loss, true);
            let n = r.samples.max(1) as f64;
            let gradient_norm = r.gradient.iter().map(|g| (g / n).powi(2)).sum::<f64>().sqrt();
            SlicePoint { alpha, loss: r.mean_loss(), gradient_norm, hidden_spikes: r.hidden_spikes.iter().sum(), output_spikes: r.output_spikes }
        })
        .collect()
}
