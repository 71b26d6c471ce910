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
use serde::{Deserialize, Serialize};

use super::{InitContext, InitError, Initialiser};
use crate::network::{Network, NetworkConfig};
use crate::validate::{ConfigError, Validate};

/// Bias-only pre-training to a target initial firing rate (stable_spike.md §5.3): only the
/// recurrent layers' biases learn, with Adam at `lr`, for `epochs` epochs, on the loss
/// Σ_l (z̄^{(l)} − rate)².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTargeting {
    /// Target rate r of every layer.
    pub rate: f64,
    /// Epochs of bias training (the paper: 15).
    #[serde(default = "default_targeting_epochs")]
    pub epochs: usize,
    /// Learning rate of the bias training (default 0.1: a bias must move by about ϑ to take a
    /// silent layer to r = 0.9 within 15 epochs).
    #[serde(default = "default_targeting_lr")]
    pub lr: f64,
}

fn default_targeting_epochs() -> usize {
    15
}

fn default_targeting_lr() -> f64 {
    0.1
}

impl Validate for RateTargeting {
    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.rate > 0.0 && self.rate < 1.0) {
            return Err(ConfigError::new("rate", format!("a rate in (0, 1), got {}", self.rate)));
        }
        crate::validate::at_least_one("epochs", self.epochs)?;
        crate::validate::positive("lr", self.lr)
    }
}

impl Initialiser<Network> for RateTargeting {
    fn initialise(&self, net: Network, context: &InitContext<'_, NetworkConfig>) -> Result<Network, InitError> {
        Ok(target_rates(net, self, context)?.0)
    }
}

/// Trains only the biases of `net` towards `targeting.rate` on the context's training data
/// (its batch size, seeded order, at most its `max_batches` per epoch) on its autodiff device.
/// Returns the network and the mean per-layer rates of the last epoch.
pub fn target_rates(mut net: Network, targeting: &RateTargeting, context: &InitContext<'_, NetworkConfig>) -> Result<(Network, Vec<f64>), InitError> {
    let (data, batch_size, max_batches, seed, device) = (context.train, context.batch_size, context.max_batches, context.seed, context.device);
    let biases: Vec<_> = net.layers.iter().filter_map(|l| l.bias().map(|b| b.id)).collect();
    if biases.len() != net.layers.len() {
        return Err(InitError::Config(ConfigError::new(
            "rate_targeting",
            "every recurrent layer to have a bias (model.neuron bias = true) so that its rate can be set",
        )));
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
                return Err(InitError::Diverged(format!("rate targeting diverged in epoch {epoch} (loss {value})")));
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
        (context.log)(&format!(
            "rate targeting epoch {}/{}: rates {:?} (target {})",
            epoch + 1,
            targeting.epochs,
            last_rates.iter().map(|r| (r * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
            targeting.rate
        ));
    }
    Ok((net, last_rates))
}
