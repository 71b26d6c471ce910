//! DECOLLE: deep continuous local learning (Kaiser, Mostafa & Neftci 2020), the dense form of
//! `LenetDECOLLE`'s `LIFLayer` as used by Herranz-Celotti & Rouat's extension
//! (stable_spike.md §7).
//!
//! Layer l with input spikes S^in_t ∈ {0,1}^{B×n_in} (the previous layer's spikes, detached)
//! keeps three traces and its spikes:
//!
//! ```text
//! Q_t = β Q_{t−1} + (1 − β) S^in_t                 synaptic trace            [B, n_in]
//! P_t = α P_{t−1} + (1 − α) Q_{t−1}                membrane trace of inputs  [B, n_in]
//! R_t = α_rp R_{t−1} − (1 − α_rp) w_rp S_{t−1}     refractory trace          [B, n]
//! U_t = P_t W + b + R_t                            membrane potential        [B, n]
//! S_t = H(U_t)                                     threshold 0, surrogate gradient backward
//! Y_t = S_t G + g                                  local readout             [B, C]
//! ```
//!
//! G and g are drawn once, uniform in ±a/√n (a = `readout_amplitude`, DECOLLE's `lc_ampl`), and
//! never learn. Every trace is detached after each step and the next layer sees S_t detached, so
//! a step's gradient reaches only its own layer's W and b through U_t: learning is local in
//! space and in time (no BPTT). Each layer's loss compares its own Y_t with the target
//! (SmoothL1 to the one-hot label, [`smooth_l1`]); the trainer (`crate::train`) takes one
//! optimiser step per time step after a burn-in.
//!
//! [`DecolleNet::lsuv`] is DECOLLE's layer-sequential unit-variance initialisation: each
//! layer's W is rescaled and b shifted until U has mean 0 and variance 1 on a data batch, so the
//! network starts near the threshold (about half of the neurons firing).

use burn::Tensor;
use burn::module::{Module, Param};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::rng::rng;
use crate::spike::SpikeFn;
use crate::validate::{ConfigError, Validate, at_least_one, finite, in_interval, non_negative, positive};
use crate::weights::WeightInit;

/// The firing-rate control term of Herranz-Celotti & Rouat's DECOLLE runs: during the first
/// epochs every layer's loss at every step after the burn-in gets λ |S̄^{(l)}_t − f|, with S̄ the
/// mean over batch and neurons (`frDECOLLELoss`, flag `frcontrol`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateControl {
    /// Target rate f (the paper: 0.5, Condition I's rate, or 0.158 = 1 − Φ(1), the
    /// fluctuation-driven regime).
    pub target: f64,
    /// λ (the paper: 100).
    #[serde(default = "default_control_weight")]
    pub weight: f64,
    /// The term is on for epochs 0..=`until_epoch` (the paper's `switchep` = 1).
    #[serde(default = "default_until_epoch")]
    pub until_epoch: usize,
}

fn default_control_weight() -> f64 {
    100.0
}

fn default_until_epoch() -> usize {
    1
}

/// Settings of a DECOLLE network; the widths and the surrogate come from the model
/// configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecolleConfig {
    /// Membrane trace decay α (DVS Gesture: 0.97).
    pub alpha: f64,
    /// Synaptic trace decay β (0.92).
    pub beta: f64,
    /// Refractory trace decay α_rp (0.65).
    pub alpha_rp: f64,
    /// Refractory weight w_rp (1).
    pub refractory_weight: f64,
    /// Half-width a/√n of the fixed random readouts is set by a (DECOLLE's `lc_ampl`).
    pub readout_amplitude: f64,
    /// Steps run before learning starts, to fill the traces (DVS Gesture: 100 at 1 ms).
    pub burn_in: usize,
    /// Initialise by LSUV (DECOLLE's default) rather than leave the drawn weights.
    pub lsuv: bool,
    /// Initialiser of W before LSUV.
    pub weight_init: WeightInit,
    /// Optional firing-rate control during the first epochs.
    pub rate_control: Option<RateControl>,
}

impl Default for DecolleConfig {
    fn default() -> Self {
        DecolleConfig {
            alpha: 0.97,
            beta: 0.92,
            alpha_rp: 0.65,
            refractory_weight: 1.0,
            readout_amplitude: 2.0,
            burn_in: 5,
            lsuv: true,
            weight_init: WeightInit::GlorotUniform,
            rate_control: None,
        }
    }
}

impl Validate for DecolleConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [("alpha", self.alpha), ("beta", self.beta), ("alpha_rp", self.alpha_rp)] {
            in_interval(field, value, 0.0, 1.0)?;
        }
        finite("refractory_weight", self.refractory_weight)?;
        positive("readout_amplitude", self.readout_amplitude)?;
        if let Some(c) = self.rate_control {
            if !(0.0..=1.0).contains(&c.target) {
                return Err(ConfigError::new("rate_control.target", format!("a rate in [0, 1], got {}", c.target)));
            }
            non_negative("rate_control.weight", c.weight)?;
        }
        Ok(())
    }
}

impl DecolleConfig {

    /// A network `input_size → hidden_sizes`, each layer with a readout of `classes` units,
    /// drawn from `seed` (no LSUV yet: that needs data, [`DecolleNet::lsuv`]).
    pub fn init(
        &self,
        input_size: usize,
        hidden_sizes: &[usize],
        classes: usize,
        spike_fn: SpikeFn,
        seed: u64,
        device: &Device,
    ) -> Result<DecolleNet, ConfigError> {
        self.validate()?;
        at_least_one("input_size", input_size)?;
        at_least_one("classes", classes)?;
        if hidden_sizes.is_empty() {
            return Err(ConfigError::new("hidden_sizes", "at least one layer width, got an empty list"));
        }
        let mut layers = Vec::with_capacity(hidden_sizes.len());
        let mut fan_in = input_size;
        for (l, &n) in hidden_sizes.iter().enumerate() {
            at_least_one(&format!("hidden_sizes[{l}]"), n)?;
            let stream = 16 * (l as u64 + 1);
            let half = self.readout_amplitude / (n as f64).sqrt();
            let readout = WeightInit::Uniform { low: -half, high: half };
            layers.push(DecolleLayer {
                weight: Param::from_tensor(self.weight_init.tensor(fan_in, n, &mut rng(seed, stream), device)),
                bias: Param::from_tensor(Tensor::zeros([n], device)),
                readout: Param::from_tensor(readout.tensor(n, classes, &mut rng(seed, stream + 1), device)).set_require_grad(false),
                readout_bias: Param::from_tensor(readout.tensor(1, classes, &mut rng(seed, stream + 2), device).reshape([classes]))
                    .set_require_grad(false),
            });
            fan_in = n;
        }
        Ok(DecolleNet {
            layers,
            alpha: self.alpha,
            beta: self.beta,
            alpha_rp: self.alpha_rp,
            refractory_weight: self.refractory_weight,
            spike_fn,
        })
    }
}

/// One DECOLLE layer's parameters: learned W and b, fixed readout G and g.
#[derive(Module, Debug)]
pub struct DecolleLayer {
    /// Input weights W `[n_in, n]`.
    pub weight: Param<Tensor<2>>,
    /// Bias b `[n]`.
    pub bias: Param<Tensor<1>>,
    /// Fixed random readout G `[n, C]` (no gradient).
    pub readout: Param<Tensor<2>>,
    /// Fixed random readout bias g `[C]` (no gradient).
    pub readout_bias: Param<Tensor<1>>,
}

/// A stack of DECOLLE layers.
#[derive(Module, Debug)]
pub struct DecolleNet {
    /// Bottom to top.
    pub layers: Vec<DecolleLayer>,
    /// α.
    #[module(skip)]
    pub alpha: f64,
    /// β.
    #[module(skip)]
    pub beta: f64,
    /// α_rp.
    #[module(skip)]
    pub alpha_rp: f64,
    /// w_rp.
    #[module(skip)]
    pub refractory_weight: f64,
    /// Heaviside with the surrogate gradient.
    #[module(skip)]
    pub spike_fn: SpikeFn,
}

/// One layer's traces between steps (all detached).
#[derive(Debug, Clone)]
pub struct DecolleLayerState {
    /// Q `[B, n_in]`.
    pub q: Tensor<2>,
    /// P `[B, n_in]`.
    pub p: Tensor<2>,
    /// R `[B, n]`.
    pub r: Tensor<2>,
    /// S `[B, n]`.
    pub s: Tensor<2>,
}

/// What one layer produced at one step, with gradients to its own W and b.
#[derive(Debug, Clone)]
pub struct DecolleLayerOutput {
    /// U_t `[B, n]`.
    pub u: Tensor<2>,
    /// S_t = H(U_t) `[B, n]`.
    pub s: Tensor<2>,
    /// Y_t `[B, C]`.
    pub y: Tensor<2>,
}

impl DecolleNet {
    /// Number of input channels.
    pub fn input_size(&self) -> usize {
        self.layers[0].weight.dims()[0]
    }

    /// Number of readout units of every layer.
    pub fn classes(&self) -> usize {
        self.layers[0].readout.dims()[1]
    }

    /// Zero traces for a batch of `batch`.
    pub fn initial_state(&self, batch: usize) -> Vec<DecolleLayerState> {
        self.layers
            .iter()
            .map(|layer| {
                let [n_in, n] = layer.weight.dims();
                let device = layer.weight.device();
                DecolleLayerState {
                    q: Tensor::zeros([batch, n_in], &device),
                    p: Tensor::zeros([batch, n_in], &device),
                    r: Tensor::zeros([batch, n], &device),
                    s: Tensor::zeros([batch, n], &device),
                }
            })
            .collect()
    }

    /// One step of every layer (module docs) on input spikes `x` `[B, n_in]`: the new detached
    /// state and each layer's output.
    pub fn step(&self, x: Tensor<2>, state: &[DecolleLayerState]) -> (Vec<DecolleLayerState>, Vec<DecolleLayerOutput>) {
        let mut input = x.detach();
        let mut next = Vec::with_capacity(self.layers.len());
        let mut outputs = Vec::with_capacity(self.layers.len());
        for (layer, old) in self.layers.iter().zip(state) {
            let q = old.q.clone() * self.beta + input * (1.0 - self.beta);
            let p = old.p.clone() * self.alpha + old.q.clone() * (1.0 - self.alpha);
            let r = old.r.clone() * self.alpha_rp - old.s.clone() * ((1.0 - self.alpha_rp) * self.refractory_weight);
            let u = p.clone().matmul(layer.weight.val()) + layer.bias.val().unsqueeze_dim(0) + r.clone();
            let s = self.spike_fn.apply(u.clone());
            let y = s.clone().matmul(layer.readout.val()) + layer.readout_bias.val().unsqueeze_dim(0);
            input = s.clone().detach();
            next.push(DecolleLayerState { q: q.detach(), p: p.detach(), r: r.detach(), s: input.clone() });
            outputs.push(DecolleLayerOutput { u, s, y });
        }
        (next, outputs)
    }

    /// Layer-sequential unit-variance initialisation on `x` `[T, B, n_in]` (module docs): for
    /// each layer in turn, up to `iterations` rounds of W ← W/σ_U and b ← b − mean(U), with
    /// the statistics over the steps after `burn_in`, until |mean U| and |var U − 1| are both
    /// below `tolerance` (the refractory trace makes U depend on the spikes, hence the rounds).
    /// Returns each layer's final (mean U, var U).
    pub fn lsuv(mut self, x: &Tensor<3>, burn_in: usize, iterations: usize, tolerance: f64) -> (Self, Vec<(f64, f64)>) {
        let mut moments = Vec::with_capacity(self.layers.len());
        for l in 0..self.layers.len() {
            let mut current = self.membrane_moments(x, burn_in, l);
            for _ in 0..iterations {
                let (mean, var) = current;
                if mean.abs() < tolerance && (var - 1.0).abs() < tolerance {
                    break;
                }
                let layer = &mut self.layers[l];
                if var > 0.0 && var.is_finite() {
                    let w = (layer.weight.val().detach() / var.sqrt()).detach();
                    layer.weight = Param::from_tensor(w);
                }
                let b = (layer.bias.val().detach() - mean).detach();
                layer.bias = Param::from_tensor(b);
                current = self.membrane_moments(x, burn_in, l);
            }
            moments.push(current);
        }
        (self, moments)
    }

    /// Mean and variance of layer `l`'s U over batch, neurons and the steps after `burn_in`.
    fn membrane_moments(&self, x: &Tensor<3>, burn_in: usize, l: usize) -> (f64, f64) {
        let [steps, batch, _] = x.dims();
        let mut state = self.initial_state(batch);
        let mut us = Vec::new();
        for (t, xt) in x.clone().detach().iter_dim(0).enumerate() {
            let (next, outputs) = self.step(xt.squeeze_dim(0), &state);
            if t >= burn_in.min(steps - 1) {
                us.push(outputs[l].u.clone().detach().reshape([-1, 1]));
            }
            state = next;
        }
        let u = Tensor::cat(us, 0);
        (scalar(u.clone().mean()), scalar(u.var(0).mean()))
    }
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}

/// SmoothL1 (Huber with δ = 1), averaged over every element:
/// ℓ(d) = ½ d² for |d| < 1, |d| − ½ otherwise, with d = prediction − target; written as
/// ½ m² + (|d| − m) with m = min(|d|, 1), which is the same function and differentiable.
pub fn smooth_l1(prediction: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    let d = (prediction - target).abs();
    let m = d.clone().clamp_max(1.0);
    (m.clone().powi_scalar(2) * 0.5 + d - m).mean()
}
