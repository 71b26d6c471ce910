//! The recurrent leaky integrate-and-fire layer (Herranz-Celotti & Rouat, §3.1 of the official
//! code's LIF cell).
//!
//! For a layer of n neurons with input x_t ∈ ℝ^{B×n_in}, spikes z_t ∈ {0,1}^{B×n} and voltage
//! v_t ∈ ℝ^{B×n}, one time step is
//!
//! ```text
//! I_t = x_t·W_in + z_{t−1}·(M ⊙ W_rec) + b          M = 11ᵀ − I masks self-connections
//! v_t = α ⊙ v_{t−1} + I_t − ϑ ⊙ z_{t−1}              reset by subtraction (default)
//! v_t = (α ⊙ v_{t−1} + I_t) ⊙ (1 − z_{t−1})          multreset1
//! v_t = α ⊙ v_{t−1} ⊙ (1 − z_{t−1}) + I_t            multreset2
//! z_t = H(v_t − ϑ)                                    with a surrogate gradient (crate::spike)
//! ```
//!
//! with the per-neuron decay α = exp(−1/max(τ, τ_min)) (τ in time steps, τ_min = [`MIN_TAU`])
//! and threshold ϑ, both vectors that are learnable or fixed. The floor matters only for a
//! learnable τ near 0: Adam moves every parameter by about one learning rate per update whatever
//! its gradient, so the paper's τ₀ = 0.1 can cross 0 within a few dozen updates, where
//! exp(−1/τ) overflows and the run dies (the official code has no floor); below τ_min the decay
//! is e^{−100} ≈ 0, the memoryless neuron τ ≈ 0 already is. State starts at v_0 = z_0 = 0. With `detach_reset` the reset term
//! (ϑ ⊙ z_{t−1}, or the factor 1 − z_{t−1}) carries no gradient, as in the paper's official code;
//! by default it does.
//!
//! With `recurrent = false` the layer is feed-forward (snnTorch's `Leaky`, Norse's `LIFCell`):
//! it has no W_rec and I_t = x_t·W_in + b; the reset still couples v_t to z_{t−1}.

use burn::Tensor;
use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::Device;

use super::{RecurrentCell, Reset, check_spread, per_neuron};
use crate::dynamics::LifSpec;
use crate::rng::rng;
use crate::spike::{Forward, SpikeFn};
use crate::validate::{ConfigError, Validate, at_least_one, positive};
use crate::weights::WeightInit;

/// The smallest τ the decay is computed from (module docs).
pub const MIN_TAU: f64 = 0.01;

/// Settings of a LIF layer (sizes and surrogate are given to [`LifConfig::init`]).
#[derive(Config, Debug, PartialEq)]
pub struct LifConfig {
    /// How a spike resets the voltage.
    #[config(default = "Reset::Subtract")]
    pub reset: Reset,
    /// Membrane time constant τ in time steps; α = exp(−1/τ).
    #[config(default = 20.0)]
    pub tau: f64,
    /// Per-neuron heterogeneity of τ: relative std of a normal truncated at ±2 std
    /// (the paper uses 3/7); 0 gives every neuron the same τ.
    #[config(default = 0.0)]
    pub tau_spread: f64,
    /// Firing threshold ϑ.
    #[config(default = 1.0)]
    pub threshold: f64,
    /// Per-neuron heterogeneity of ϑ, as `tau_spread`.
    #[config(default = 0.0)]
    pub threshold_spread: f64,
    /// Whether τ is trained.
    #[config(default = false)]
    pub learn_tau: bool,
    /// Whether ϑ is trained.
    #[config(default = false)]
    pub learn_threshold: bool,
    /// Whether the layer has a (trainable, zero-initialised) bias current b.
    #[config(default = true)]
    pub bias: bool,
    /// Whether the layer has recurrent weights W_rec (false: a feed-forward layer).
    #[config(default = true)]
    pub recurrent: bool,
    /// Whether self-connections of W_rec are masked to zero.
    #[config(default = true)]
    pub mask_diagonal: bool,
    /// Whether the reset term is excluded from the gradient.
    #[config(default = false)]
    pub detach_reset: bool,
    /// Initialiser of W_in `[n_in, n]`.
    #[config(default = "WeightInit::GlorotUniform")]
    pub input_init: WeightInit,
    /// Initialiser of W_rec `[n, n]` (unused by a feed-forward layer).
    #[config(default = "WeightInit::GlorotUniform")]
    pub recurrent_init: WeightInit,
}

/// A LIF layer's parameters.
#[derive(Module, Debug)]
pub struct Lif {
    /// Input weights `[n_in, n]`.
    pub w_in: Param<Tensor<2>>,
    /// Recurrent weights `[n, n]` (row = presynaptic); the diagonal is masked at use when
    /// `mask_diagonal` is set. `None` in a feed-forward layer.
    pub w_rec: Option<Param<Tensor<2>>>,
    /// Bias current `[n]`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Membrane time constants τ `[n]`.
    pub tau: Param<Tensor<1>>,
    /// Thresholds ϑ `[n]`.
    pub threshold: Param<Tensor<1>>,
    /// The reset rule.
    #[module(skip)]
    pub reset: Reset,
    /// Whether self-connections are masked.
    #[module(skip)]
    pub mask_diagonal: bool,
    /// Whether the reset term is excluded from the gradient.
    #[module(skip)]
    pub detach_reset: bool,
    /// The spike nonlinearity and its surrogate gradient.
    #[module(skip)]
    pub spike_fn: SpikeFn,
}

/// The state of a LIF layer between steps.
#[derive(Debug, Clone)]
pub struct LifState {
    /// Membrane voltage v_t `[B, n]`.
    pub v: Tensor<2>,
    /// Spikes z_t `[B, n]`.
    pub z: Tensor<2>,
}

impl LifState {
    /// The same state cut from the gradient (truncated BPTT).
    pub fn detach(self) -> Self {
        LifState { v: self.v.detach(), z: self.z.detach() }
    }
}

/// A LIF layer unrolled for one sequence: the per-step coefficients computed once.
#[derive(Debug, Clone)]
pub struct LifCell {
    w_in: Tensor<2>,
    w_rec: Option<Tensor<2>>,
    bias: Option<Tensor<2>>,
    alpha: Tensor<2>,
    threshold: Tensor<2>,
    reset: Reset,
    detach_reset: bool,
    spike_fn: SpikeFn,
}

impl Validate for LifConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        positive("tau", self.tau)?;
        check_spread("tau_spread", self.tau_spread)?;
        positive("threshold", self.threshold)?;
        check_spread("threshold_spread", self.threshold_spread)
    }
}

impl LifConfig {

    /// A layer of `hidden_size` neurons fed by `input_size` inputs, drawn from `seed`.
    pub fn init(
        &self,
        input_size: usize,
        hidden_size: usize,
        spike_fn: SpikeFn,
        seed: u64,
        device: &Device,
    ) -> Result<Lif, ConfigError> {
        self.validate()?;
        at_least_one("input_size", input_size)?;
        at_least_one("hidden_size", hidden_size)?;
        let w_in = self
            .input_init
            .tensor(input_size, hidden_size, &mut rng(seed, 0), device);
        // Stream 1 is W_rec's alone, so a feed-forward layer's other parameters are those of
        // the recurrent layer of the same seed.
        let w_rec = self.recurrent.then(|| self.recurrent_init.tensor(hidden_size, hidden_size, &mut rng(seed, 1), device));
        let tau = per_neuron(self.tau, self.tau_spread, hidden_size, &mut rng(seed, 2), device);
        let threshold = per_neuron(
            self.threshold,
            self.threshold_spread,
            hidden_size,
            &mut rng(seed, 3),
            device,
        );
        Ok(Lif {
            w_in: Param::from_tensor(w_in),
            w_rec: w_rec.map(Param::from_tensor),
            bias: self
                .bias
                .then(|| Param::from_tensor(Tensor::zeros([hidden_size], device))),
            tau: Param::from_tensor(tau).set_require_grad(self.learn_tau),
            threshold: Param::from_tensor(threshold).set_require_grad(self.learn_threshold),
            reset: self.reset,
            mask_diagonal: self.mask_diagonal,
            detach_reset: self.detach_reset,
            spike_fn,
        })
    }
}

impl Lif {
    /// Number of neurons n.
    pub fn hidden_size(&self) -> usize {
        self.tau.dims()[0]
    }

    /// Whether the layer has recurrent weights.
    pub fn is_recurrent(&self) -> bool {
        self.w_rec.is_some()
    }

    /// Number of inputs n_in.
    pub fn input_size(&self) -> usize {
        self.w_in.dims()[0]
    }

    /// W_rec as the dynamics use it: M ⊙ W_rec, with the diagonal zeroed when `mask_diagonal`;
    /// `None` for a feed-forward layer.
    pub fn masked_recurrent(&self) -> Option<Tensor<2>> {
        let n = self.hidden_size();
        let w_rec = self.w_rec.as_ref()?.val();
        Some(if self.mask_diagonal {
            let device = w_rec.device();
            w_rec * (Tensor::<2>::ones([n, n], &device) - Tensor::<2>::eye(n, &device))
        } else {
            w_rec
        })
    }

    /// The per-sequence coefficients: α = exp(−1/max(τ, τ_min)), ϑ, the masked W_rec and b as
    /// `[1, n]` rows.
    pub fn cell(&self) -> LifCell {
        LifCell {
            w_in: self.w_in.val(),
            w_rec: self.masked_recurrent(),
            bias: self.bias.as_ref().map(|b| b.val().unsqueeze_dim(0)),
            alpha: self.tau.val().clamp_min(MIN_TAU).recip().neg().exp().unsqueeze_dim(0),
            threshold: self.threshold.val().unsqueeze_dim(0),
            reset: self.reset,
            detach_reset: self.detach_reset,
            spike_fn: self.spike_fn.clone(),
        }
    }
}

impl RecurrentCell for LifCell {
    type State = LifState;

    /// v_0 = z_0 = 0.
    fn initial_state(&self, batch: usize) -> LifState {
        let n = self.alpha.dims()[1];
        let device = self.alpha.device();
        LifState {
            v: Tensor::zeros([batch, n], &device),
            z: Tensor::zeros([batch, n], &device),
        }
    }

    /// One step: `x` `[B, n_in]` and the previous state give the next state (v_t, z_t).
    fn step(&self, x: Tensor<2>, state: &LifState) -> LifState {
        let v = self.voltage_update(x, state, &self.threshold);
        let z = self.spike(v.clone() - self.threshold.clone());
        LifState { v, z }
    }

    fn spikes(state: &LifState) -> &Tensor<2> {
        &state.z
    }

    fn membrane(state: &LifState) -> &Tensor<2> {
        &state.v
    }

    fn detach(state: LifState) -> LifState {
        state.detach()
    }
}

impl LifCell {
    /// The threshold ϑ as a `[1, n]` row.
    pub fn threshold(&self) -> &Tensor<2> {
        &self.threshold
    }

    /// z = H(x) with the layer's surrogate gradient, x = v − ϑ.
    pub(crate) fn spike(&self, x: Tensor<2>) -> Tensor<2> {
        self.spike_fn.apply(x)
    }

    /// I_t = x_t·W_in + z_{t−1}·(M ⊙ W_rec) + b (without the recurrent term in a feed-forward
    /// layer).
    pub(crate) fn current(&self, x: Tensor<2>, z: &Tensor<2>) -> Tensor<2> {
        let input = x.matmul(self.w_in.clone());
        let current = match &self.w_rec {
            Some(w_rec) => input + z.clone().matmul(w_rec.clone()),
            None => input,
        };
        match &self.bias {
            Some(b) => current + b.clone(),
            None => current,
        }
    }

    /// The fused kernels' settings for this cell with truncated-BPTT window `truncation`
    /// (0: none), when its spike allows them: a built-in surrogate with a Heaviside forward.
    pub(crate) fn fused_spec(&self, truncation: usize) -> Option<LifSpec> {
        match &self.spike_fn {
            SpikeFn::Builtin { surrogate, forward: Forward::Heaviside, .. } => Some(LifSpec {
                reset: self.reset,
                detach_reset: self.detach_reset,
                surrogate: *surrogate,
                truncation,
                recurrent: self.w_rec.is_some(),
            }),
            _ => None,
        }
    }

    /// W_in `[n_in, n]` and M ⊙ W_rec `[n, n]` (none in a feed-forward layer), for the fused
    /// kernels.
    pub(crate) fn fused_coefficients(&self) -> (Tensor<2>, Option<Tensor<2>>) {
        (self.w_in.clone(), self.w_rec.clone())
    }

    /// b, α and ϑ as `[n]` vectors (b zero when the layer has none), for the fused kernels.
    pub(crate) fn fused_vectors(&self) -> [Tensor<1>; 3] {
        let n = self.alpha.dims()[1];
        let row = |t: &Tensor<2>| t.clone().reshape([n]);
        let bias = match &self.bias {
            Some(b) => row(b),
            None => Tensor::zeros([n], &self.alpha.device()),
        };
        [bias, row(&self.alpha), row(&self.threshold)]
    }

    /// Whether the reset term is excluded from the gradient.
    pub(crate) fn detach_reset(&self) -> bool {
        self.detach_reset
    }

    /// v_t from the input current and the reset rule, with `threshold` the threshold the reset by
    /// subtraction removes (ϑ for LIF, the adaptive ϑ_t for ALIF).
    pub(crate) fn voltage_update(&self, x: Tensor<2>, state: &LifState, threshold: &Tensor<2>) -> Tensor<2> {
        let current = self.current(x, &state.z);
        let leak = state.v.clone() * self.alpha.clone();
        let z_reset = if self.detach_reset {
            state.z.clone().detach()
        } else {
            state.z.clone()
        };
        match self.reset {
            Reset::Subtract => {
                let reset = if self.detach_reset {
                    (threshold.clone() * z_reset).detach()
                } else {
                    threshold.clone() * z_reset
                };
                leak + current - reset
            }
            Reset::MultReset1 => (leak + current) * (z_reset.neg() + 1.0),
            Reset::MultReset2 => leak * (z_reset.neg() + 1.0) + current,
        }
    }
}
