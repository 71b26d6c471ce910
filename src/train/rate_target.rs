//! Setting the initial firing rate (stable_spike.md §5.3): before training, only the recurrent
//! layers' biases learn, with Adam, on
//!
//! ```text
//! L = Σ_l ( z̄^{(l)} − r )²,     z̄^{(l)} = mean of layer l's spikes over steps, batch and neurons
//! ```
//!
//! for a few epochs, so that every layer starts firing at the target rate r. The surrogate
//! gradient carries ∂L/∂b through the Heaviside, as in training.

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;

use super::TrainError;
use super::config::RateTargeting;
use super::progress::Progress;
use crate::data::SpikeDataset;
use crate::network::Network;

/// Trains only the biases of `net` towards `targeting.rate` on `data` (batches of
/// `batch_size`, seeded order, at most `max_batches` per epoch) on the autodiff `device`.
/// Returns the network and the mean per-layer rates of the last epoch.
pub fn target_rates(
    mut net: Network,
    data: &SpikeDataset,
    targeting: &RateTargeting,
    batch_size: usize,
    max_batches: Option<usize>,
    seed: u64,
    device: &Device,
    progress: &Progress,
) -> Result<(Network, Vec<f64>), TrainError> {
    let biases: Vec<_> = net.layers.iter().filter_map(|l| l.lif().bias.as_ref().map(|b| b.id)).collect();
    if biases.len() != net.layers.len() {
        return Err(TrainError::config(
            "rate_targeting",
            "every recurrent layer to have a bias (model.neuron bias = true) so that its rate can be set",
        ));
    }
    let mut optim = AdamConfig::new().init();
    let mut last_rates = Vec::new();
    for epoch in 0..targeting.epochs {
        let mut sums = vec![0.0; net.layers.len()];
        let mut batches = 0usize;
        let stream = seed.wrapping_add(0x7A46_0000).wrapping_add(epoch as u64);
        for batch in data.batches(batch_size, Some(stream), device)?.take(max_batches.unwrap_or(usize::MAX)) {
            let out = net.forward(batch.inputs)?;
            let loss = out
                .spikes
                .iter()
                .map(|z| z.clone().mean().sub_scalar(targeting.rate).powi_scalar(2))
                .reduce(|a, b| a + b)
                .expect("a network has at least one layer");
            let value = loss.clone().into_scalar::<f64>();
            if !value.is_finite() {
                return Err(TrainError::Results(format!("rate targeting diverged in epoch {epoch} (loss {value})")));
            }
            for (s, r) in sums.iter_mut().zip(out.firing_rates()) {
                *s += r;
            }
            batches += 1;
            let mut grads = loss.backward();
            let grads = GradientsParams::from_params(&mut grads, &net, &biases);
            net = optim.step(targeting.lr, net, grads);
        }
        last_rates = sums.iter().map(|s| s / batches.max(1) as f64).collect();
        progress.note(&format!(
            "rate targeting epoch {}/{}: rates {:?} (target {})",
            epoch + 1,
            targeting.epochs,
            last_rates.iter().map(|r| (r * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
            targeting.rate
        ));
    }
    Ok((net, last_rates))
}
