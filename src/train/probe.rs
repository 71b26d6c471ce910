//! What an initialisation does before any learning. Rossbroich, Gygax & Zenke (2022) argue that
//! in a deep network a poor initialisation silences the deeper layers and shrinks the hidden
//! layers' gradients by about two orders of magnitude, while the readout's gradient is
//! unaffected; this measures both on the network a run starts from ([`initial_network`]).
//!
//! On the first `batches` training batches in data order (size `batch_size`), with L the run's
//! task loss (no regulariser) and z^{(l)} the spikes of layer l:
//!
//! ```text
//! rate_l   = mean_{t,b,i} z^{(l)}_{t,b,i}
//! g(W)     = ‖∂L/∂W‖_F / √(#W)          the root-mean-square gradient per weight
//! ```
//!
//! each averaged over the batches, for W_in and W_rec of every layer and for the readout.

use burn::Tensor;

use super::TrainError;
use super::config::TrainConfig;
use super::trainer::initial_network;
use crate::data::SpikeDataset;

/// Rates and gradient magnitudes of a network at initialisation (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct InitialProbe {
    /// Each layer's firing rate, bottom to top.
    pub rates: Vec<f64>,
    /// Each layer's RMS gradient of W_in.
    pub input_gradients: Vec<f64>,
    /// Each layer's RMS gradient of W_rec.
    pub recurrent_gradients: Vec<f64>,
    /// The readout's RMS gradient.
    pub readout_gradient: f64,
    /// The task loss.
    pub loss: f64,
}

/// ‖g‖_F / √(#g), 0 for a parameter that received no gradient.
fn rms(gradient: Option<Tensor<2>>) -> f64 {
    gradient.map_or(0.0, |g| {
        let count = g.dims().iter().product::<usize>() as f64;
        (g.powi_scalar(2).sum().into_scalar::<f64>() / count).sqrt()
    })
}

/// Probes the network a BPTT run of `config` starts from on `batches` batches of `train`.
pub fn probe_initialisation(config: &TrainConfig, train: &SpikeDataset, batches: usize) -> Result<InitialProbe, TrainError> {
    if batches == 0 || train.is_empty() {
        return Err(TrainError::config("batches", format!("at least one batch of a non-empty training set, got {batches} of {} samples", train.len())));
    }
    let net = initial_network(config, train)?;
    let device = net.readout_weight.val().device();
    let loss_fn = config.bptt().map(|b| b.loss).unwrap_or_default();
    let layers = net.layers.len();
    let mut sums = InitialProbe { rates: vec![0.0; layers], input_gradients: vec![0.0; layers], recurrent_gradients: vec![0.0; layers], readout_gradient: 0.0, loss: 0.0 };
    let indices: Vec<usize> = (0..train.len()).collect();
    let chunks: Vec<&[usize]> = indices.chunks(config.run.batch_size).take(batches).collect();
    for chunk in &chunks {
        let batch = train.batch(chunk, &device)?;
        let out = net.forward(batch.inputs)?;
        let loss = loss_fn.loss(out.logits, &batch.labels)?;
        sums.loss += loss.clone().into_scalar::<f64>();
        for (sum, z) in sums.rates.iter_mut().zip(&out.spikes) {
            *sum += z.clone().mean().into_scalar::<f64>();
        }
        let grads = loss.backward();
        for (l, layer) in net.layers.iter().enumerate() {
            sums.input_gradients[l] += rms(layer.input_weights().grad(&grads));
            sums.recurrent_gradients[l] += rms(layer.recurrent_weights().and_then(|w| w.grad(&grads)));
        }
        sums.readout_gradient += rms(net.readout_weight.grad(&grads));
    }
    let n = chunks.len() as f64;
    let mean = |v: Vec<f64>| v.into_iter().map(|x| x / n).collect();
    Ok(InitialProbe {
        rates: mean(sums.rates),
        input_gradients: mean(sums.input_gradients),
        recurrent_gradients: mean(sums.recurrent_gradients),
        readout_gradient: sums.readout_gradient / n,
        loss: sums.loss / n,
    })
}
