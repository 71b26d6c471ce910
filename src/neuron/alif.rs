//! The adaptive LIF layer (ALIF, Bellec et al. 2018, as in the paper's official code).
//!
//! A LIF layer ([`super::lif`]) whose threshold rises after each spike and relaxes back:
//!
//! ```text
//! a_t = ρ ⊙ a_{t−1} + (1 − ρ) ⊙ z_{t−1}              ρ = exp(−1/τ_a), a_0 = 0
//! ϑ_t = ϑ + β_a ⊙ a_t
//! v_t = LIF voltage update with ϑ_t in the reset by subtraction
//! z_t = H(v_t − ϑ_t)
//! ```

use burn::Tensor;
use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::Device;

use super::lif::{Lif, LifCell, LifConfig, LifState};
use super::{RecurrentCell, per_neuron};
use crate::rng::rng;
use crate::spike::SpikeFn;
use crate::validate::{ConfigError, Validate, finite, positive};

/// Settings of an ALIF layer.
#[derive(Config, Debug, PartialEq)]
pub struct AlifConfig {
    /// The underlying LIF settings.
    #[config(default = "LifConfig::new()")]
    pub lif: LifConfig,
    /// Adaptation time constant τ_a in time steps; ρ = exp(−1/τ_a).
    #[config(default = 100.0)]
    pub tau_adaptation: f64,
    /// Adaptation strength β_a (the paper's default 1.8).
    #[config(default = 1.8)]
    pub beta_adaptation: f64,
    /// Relative per-neuron spread of τ_a and β_a (normal truncated at ±2 std).
    #[config(default = 0.0)]
    pub adaptation_spread: f64,
    /// Whether τ_a and β_a are trained.
    #[config(default = false)]
    pub learn_adaptation: bool,
}

/// An ALIF layer's parameters.
#[derive(Module, Debug)]
pub struct Alif {
    /// The LIF part.
    pub lif: Lif,
    /// Adaptation time constants τ_a `[n]`.
    pub tau_adaptation: Param<Tensor<1>>,
    /// Adaptation strengths β_a `[n]`.
    pub beta_adaptation: Param<Tensor<1>>,
}

/// The state of an ALIF layer between steps.
#[derive(Debug, Clone)]
pub struct AlifState {
    /// Voltage and spikes.
    pub lif: LifState,
    /// Adaptation variable a_t `[B, n]`.
    pub a: Tensor<2>,
}

impl AlifState {
    /// The same state cut from the gradient (truncated BPTT).
    pub fn detach(self) -> Self {
        AlifState { lif: self.lif.detach(), a: self.a.detach() }
    }
}

/// An ALIF layer unrolled for one sequence.
#[derive(Debug, Clone)]
pub struct AlifCell {
    lif: LifCell,
    rho: Tensor<2>,
    beta: Tensor<2>,
}

impl Validate for AlifConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        self.lif.validate().map_err(|e| e.within("lif"))?;
        positive("tau_adaptation", self.tau_adaptation)?;
        finite("beta_adaptation", self.beta_adaptation)?;
        super::check_spread("adaptation_spread", self.adaptation_spread)
    }
}

impl AlifConfig {

    /// A layer of `hidden_size` neurons fed by `input_size` inputs, drawn from `seed`.
    pub fn init(
        &self,
        input_size: usize,
        hidden_size: usize,
        spike_fn: SpikeFn,
        seed: u64,
        device: &Device,
    ) -> Result<Alif, ConfigError> {
        self.validate()?;
        let lif = self.lif.init(input_size, hidden_size, spike_fn, seed, device)?;
        let tau_a = per_neuron(
            self.tau_adaptation,
            self.adaptation_spread,
            hidden_size,
            &mut rng(seed, 4),
            device,
        );
        let beta_a = per_neuron(
            self.beta_adaptation,
            self.adaptation_spread,
            hidden_size,
            &mut rng(seed, 5),
            device,
        );
        Ok(Alif {
            lif,
            tau_adaptation: Param::from_tensor(tau_a).set_require_grad(self.learn_adaptation),
            beta_adaptation: Param::from_tensor(beta_a).set_require_grad(self.learn_adaptation),
        })
    }
}

impl Alif {
    /// The adaptation's decay ρ = exp(−1/τ_a) and strength β_a as `[n]` vectors, for the fused
    /// kernels.
    pub(crate) fn fused_adaptation(&self) -> [Tensor<1>; 2] {
        let rho = self.tau_adaptation.val().recip().neg().exp();
        [rho, self.beta_adaptation.val()]
    }

    /// The per-sequence coefficients.
    pub fn cell(&self) -> AlifCell {
        AlifCell {
            lif: self.lif.cell(),
            rho: self
                .tau_adaptation
                .val()
                .recip()
                .neg()
                .exp()
                .unsqueeze_dim(0),
            beta: self.beta_adaptation.val().unsqueeze_dim(0),
        }
    }
}

impl RecurrentCell for AlifCell {
    type State = AlifState;

    /// v_0 = z_0 = a_0 = 0.
    fn initial_state(&self, batch: usize) -> AlifState {
        let lif = self.lif.initial_state(batch);
        AlifState {
            a: lif.v.zeros_like(),
            lif,
        }
    }

    /// One step: `x` `[B, n_in]` and the previous state give the next state.
    fn step(&self, x: Tensor<2>, state: &AlifState) -> AlifState {
        let a = state.a.clone() * self.rho.clone()
            + state.lif.z.clone() * (self.rho.clone().neg() + 1.0);
        let threshold = self.lif.threshold().clone() + a.clone() * self.beta.clone();
        let v = self.lif.voltage_update(x, &state.lif, &threshold);
        let z = self.lif.spike(v.clone() - threshold);
        AlifState {
            lif: LifState { v, z },
            a,
        }
    }

    fn spikes(state: &AlifState) -> &Tensor<2> {
        &state.lif.z
    }

    fn membrane(state: &AlifState) -> &Tensor<2> {
        &state.lif.v
    }

    fn detach(state: AlifState) -> AlifState {
        state.detach()
    }
}
