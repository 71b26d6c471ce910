//! The quadratic integrate-and-fire layer in discrete time (Wenig, Memmesheimer & Klos 2026;
//! other_seeds.md §B), trainable with surrogate gradients like LIF.
//!
//! The continuous neuron τ dV/dt = V(V − 1) + I has a stable rest at 0 and an unstable fixed
//! point at 1: past it V runs off to +∞ in finite time (the spike) and restarts from −∞. In the
//! phase θ of the change of variables V = ½ + tan(θ/2) (the theta neuron of Ermentrout & Kopell
//! 1986, the same dynamics exactly) the run-off is a finite rotation through θ = π:
//!
//! ```text
//! τ dθ/dt = (1 − cos θ) + (I − ¼)(1 + cos θ)
//! ```
//!
//! This layer takes an Euler step of one time step in θ, with a finite peak V_peak and reset
//! V_reset mapped to phases θ_peak = 2·atan(V_peak − ½) and θ_reset = 2·atan(V_reset − ½):
//!
//! ```text
//! I_t = x_t·W_in + z_{t−1}·(M ⊙ W_rec) + b
//! u_t = θ_{t−1} + [(1 − cos θ_{t−1}) + (I_t − ¼)(1 + cos θ_{t−1})] / τ
//! z_t = H(u_t − θ_peak)                                  surrogate gradient backward
//! θ_t = max(u_t (1 − z_t) + θ_reset z_t, θ_reset)        reset to θ_reset, which is also a floor
//! ```
//!
//! starting at rest, θ_0 = 2·atan(−½). The step's Jacobian ∂u_t/∂θ_{t−1} = 1 + (5/4 − I) sin θ / τ
//! is bounded and changes sign over a cycle, whereas an Euler step in V has the factor
//! 1 + (2V − 1)/τ, which grows with V up to the peak and makes gradients through time explode
//! (measured: gradients of a randman batch uncorrelated between batches, and no learning). The
//! state's `v` holds the phase θ; [`voltage`] maps it back to V.
//!
//! τ (steps) and V_peak come from the LIF parameters (`tau`, `threshold`), so the weights, bias,
//! masking and initialisers are those of [`super::lif`]. Unlike LIF, whose spike appears as soon
//! as v crosses ϑ, a QIF neuron past the unstable point fires a few steps later whatever its
//! input, and below it does not: a small change of the parameters moves a spike in time rather
//! than adding or removing it — the reason the paper finds smoother loss landscapes. With
//! `detach_reset` the reset carries no gradient.

use burn::Tensor;
use burn::config::Config;
use burn::module::Module;
use burn::tensor::Device;

use super::RecurrentCell;
use super::lif::{Lif, LifCell, LifConfig, LifState};
use crate::spike::SpikeFn;
use crate::validate::{ConfigError, Validate, finite};

/// Settings of a QIF layer.
#[derive(Config, Debug, PartialEq)]
pub struct QifConfig {
    /// Weights, bias, τ (in steps) and V_peak (`threshold`) as for LIF; the reset rule is
    /// replaced by the QIF reset.
    #[config(default = "LifConfig::new().with_tau(10.0).with_threshold(10.0)")]
    pub lif: LifConfig,
    /// The value v is reset to after a spike, and its floor.
    #[config(default = -1.0)]
    pub v_reset: f64,
    /// The initial bias current I₀ of every neuron. Above 1/4 a neuron fires on its own, with
    /// period τπ/√(I₀ − 1/4) in the continuous model (the oscillatory "theta" regime; Klos &
    /// Memmesheimer use I₀ = 5/4); at 0 it rests until its input drives it past 1.
    #[config(default = 0.0)]
    pub drive: f64,
}

/// A QIF layer's parameters: those of a LIF layer and the reset value.
#[derive(Module, Debug)]
pub struct Qif {
    /// Weights, bias, τ and V_peak.
    pub lif: Lif,
    /// V_reset.
    #[module(skip)]
    pub v_reset: f64,
}

/// A QIF layer unrolled for one sequence: the LIF cell's current, V_peak (its threshold) and
/// spike op, with 1/τ and V_reset.
#[derive(Debug, Clone)]
pub struct QifCell {
    lif: LifCell,
    inverse_tau: Tensor<2>,
    theta_peak: Tensor<2>,
    theta_reset: f64,
}

impl Validate for QifConfig {
    /// Checks every field; V_reset must lie below the unstable point 1 and V_peak above it.
    fn validate(&self) -> Result<(), ConfigError> {
        self.lif.validate().map_err(|e| e.within("lif"))?;
        finite("v_reset", self.v_reset)?;
        finite("drive", self.drive)?;
        if self.drive != 0.0 && !self.lif.bias {
            return Err(ConfigError::new("drive", format!("0 when the layer has no bias (lif.bias = false), got {}", self.drive)));
        }
        if self.v_reset >= 1.0 {
            return Err(ConfigError::new("v_reset", format!("a value below the unstable fixed point 1, got {}", self.v_reset)));
        }
        if self.lif.threshold <= 1.0 {
            return Err(ConfigError::new("lif.threshold", format!("V_peak above the unstable fixed point 1, got {}", self.lif.threshold)));
        }
        Ok(())
    }
}

impl QifConfig {

    /// A layer of `hidden_size` neurons fed by `input_size` inputs, drawn from `seed`.
    pub fn init(&self, input_size: usize, hidden_size: usize, spike_fn: SpikeFn, seed: u64, device: &Device) -> Result<Qif, ConfigError> {
        self.validate()?;
        let mut lif = self.lif.init(input_size, hidden_size, spike_fn, seed, device)?;
        if let Some(bias) = lif.bias.as_mut() {
            *bias = burn::module::Param::from_tensor(Tensor::full([hidden_size], self.drive, device));
        }
        Ok(Qif { lif, v_reset: self.v_reset })
    }
}

impl Qif {
    /// The per-sequence coefficients.
    pub fn cell(&self) -> QifCell {
        let lif = self.lif.cell();
        let theta_peak = phase(lif.threshold().clone());
        QifCell { lif, inverse_tau: self.lif.tau.val().recip().unsqueeze_dim(0), theta_peak, theta_reset: phase_of(self.v_reset) }
    }
}

impl RecurrentCell for QifCell {
    type State = LifState;

    /// θ_0 = 2·atan(−½) (V = 0, rest) and z_0 = 0.
    fn initial_state(&self, batch: usize) -> LifState {
        let LifState { v, z } = self.lif.initial_state(batch);
        LifState { v: v + phase_of(0.0), z }
    }

    /// One step (module docs).
    fn step(&self, x: Tensor<2>, state: &LifState) -> LifState {
        let current = self.lif.current(x, &state.z);
        let theta = state.v.clone();
        let cos = theta.clone().cos();
        let drift = (cos.clone().neg() + 1.0) + (current - 0.25) * (cos + 1.0);
        let u = theta + drift * self.inverse_tau.clone();
        let z = self.lif.spike(u.clone() - self.theta_peak.clone());
        let gate = if self.lif.detach_reset() { z.clone().detach() } else { z.clone() };
        let reset = u * (gate.clone().neg() + 1.0) + gate * self.theta_reset;
        LifState { v: reset.clamp_min(self.theta_reset), z }
    }

    fn spikes(state: &LifState) -> &Tensor<2> {
        &state.z
    }

    /// The phase θ_t (see [`voltage`]).
    fn membrane(state: &LifState) -> &Tensor<2> {
        &state.v
    }

    fn detach(state: LifState) -> LifState {
        state.detach()
    }
}

/// The phase of a voltage, θ = 2·atan(V − ½).
pub fn phase(v: Tensor<2>) -> Tensor<2> {
    (v - 0.5).atan() * 2.0
}

/// The phase of one voltage value, θ = 2·atan(V − ½).
pub fn phase_of(v: f64) -> f64 {
    2.0 * (v - 0.5).atan()
}

/// The voltage of a phase, V = ½ + tan(θ/2).
pub fn voltage(theta: Tensor<2>) -> Tensor<2> {
    (theta * 0.5).tan() + 0.5
}
