//! The theta neuron: an oscillatory quadratic integrate-and-fire neuron with delta-pulse
//! synapses in its phase representation (Klos & Memmesheimer, arXiv 2309.14523; spikegd's
//! `ThetaNeuron`; other_seeds.md §B.2):
//!
//! ```text
//! τ dV/dt = V (V − 1) + I₀ + τ Σ_j w_j Σ_{t_j} δ(t − t_j),        I₀ > 1/4
//! r = √(I₀ − 1/4),   Θ = τ π / r                                   period of the free oscillation
//! φ = Φ(V) = (τ / r) (arctan((V − 1/2) / r) + π/2) ∈ [0, Θ]        phase, dφ/dt = 1
//! H(φ, w) = Φ(Φ⁻¹(φ) + w)                                         an input of weight w
//! ```
//!
//! V → +∞ is the spike (φ = Θ), after which V restarts at −∞ (φ = 0). Between events the phase
//! grows at unit speed, so the state is one number: the phase offset ψ = φ − t, constant
//! between events. In the angle ϑ = φ r / τ − π/2 ∈ [−π/2, π/2] an input is
//! `ϑ' = atan2(sin ϑ + (w/r) cos ϑ, cos ϑ)`, which leaves the phase at 0 and at Θ where it is
//! (V = ∓∞ does not move), with the partial derivatives, D = cos²ϑ + (sin ϑ + (w/r) cos ϑ)²,
//!
//! ```text
//! ∂H/∂φ = 1 / D,        ∂H/∂w = τ cos²ϑ / (r² D).
//! ```
//!
//! A spike can only enter or leave the trial at its end T (the phase is continuous in every
//! parameter), which is why the loss of a theta network is continuous.

use super::EventError;

/// Parameters of the theta neuron (module docs). spikegd's MNIST defaults are τ = 6/π and
/// I₀ = 5/4, which make the period Θ = 6.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Theta {
    /// Time constant τ.
    pub tau: f64,
    /// Constant drive I₀ (> 1/4: the neuron oscillates).
    pub drive: f64,
}

impl Theta {
    /// A theta neuron; τ > 0 and I₀ > 1/4 are checked.
    pub fn new(tau: f64, drive: f64) -> Result<Theta, EventError> {
        if !(tau > 0.0 && tau.is_finite()) {
            return Err(EventError::parameter("tau", format!("a finite time constant > 0, got {tau}")));
        }
        if !(drive > 0.25 && drive.is_finite()) {
            return Err(EventError::parameter("drive", format!("a finite drive I0 > 1/4 (an oscillating neuron), got {drive}")));
        }
        Ok(Theta { tau, drive })
    }

    /// r = √(I₀ − 1/4).
    pub fn root(&self) -> f64 {
        (self.drive - 0.25).sqrt()
    }

    /// The period Θ = τπ/r, the phase at which the neuron spikes.
    pub fn period(&self) -> f64 {
        self.tau * std::f64::consts::PI / self.root()
    }

    /// The phase of the potential V, Φ(V).
    pub fn phase(&self, v: f64) -> f64 {
        let r = self.root();
        self.tau / r * (((v - 0.5) / r).atan() + std::f64::consts::FRAC_PI_2)
    }

    /// The potential of the phase φ, Φ⁻¹(φ) (±∞ at the ends).
    pub fn potential(&self, phi: f64) -> f64 {
        let r = self.root();
        r * (phi * r / self.tau - std::f64::consts::FRAC_PI_2).tan() + 0.5
    }

    /// H(φ, w) and its partial derivatives (∂H/∂φ, ∂H/∂w) (module docs).
    pub fn transfer(&self, phi: f64, w: f64) -> (f64, f64, f64) {
        let r = self.root();
        let angle = phi * r / self.tau - std::f64::consts::FRAC_PI_2;
        let (s, c) = angle.sin_cos();
        let c = c.max(0.0);
        let u = s + w / r * c;
        let d = c * c + u * u;
        let new = (u.atan2(c) + std::f64::consts::FRAC_PI_2) * self.tau / r;
        (new.clamp(0.0, self.period()), 1.0 / d, self.tau * c * c / (r * r * d))
    }
}
