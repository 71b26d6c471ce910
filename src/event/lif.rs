//! The current-based leaky integrate-and-fire neuron with τ_m = 2τ_s, whose next threshold
//! crossing has a closed form (Klos & Memmesheimer, arXiv 2309.14523; spikegd's `LIFNeuron`;
//! other_seeds.md §B.2):
//!
//! ```text
//! τ dV/dt = −V + I,      (τ/2) dI/dt = −I + (τ/2) Σ_j w_j Σ_{t_j} δ(t − t_j)
//! V(t + Δ) = V x + I (x − x²),   I(t + Δ) = I x²,   x = e^{−Δ/τ}
//! ```
//!
//! An input of weight w adds w to I. The neuron spikes when V reaches ϑ and restarts at V = 0
//! (I unchanged). V = ϑ is the quadratic I x² − (V + I) x + ϑ = 0 in x; the earliest crossing
//! is its larger root, x* = (V + I + √((V + I)² − 4Iϑ)) / (2I), when I > 0, the discriminant is
//! positive and 0 < x* < 1; Δ = −τ ln x*. By the implicit function theorem, with the slope at
//! the crossing V̇* = (I x*² − ϑ)/τ,
//!
//! ```text
//! ∂Δ/∂V = −x* / V̇*,      ∂Δ/∂I = −(x* − x*²) / V̇*.
//! ```
//!
//! At a tangency (V̇* → 0) the crossing vanishes and the spike disappears with a jump in every
//! later quantity: the discontinuity of the LIF loss.

use super::EventError;

/// Parameters of the current-based LIF neuron (module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CurrentLif {
    /// Membrane time constant τ = τ_m = 2τ_s.
    pub tau: f64,
    /// Threshold ϑ.
    pub threshold: f64,
}

impl CurrentLif {
    /// A current-based LIF neuron; τ > 0 and ϑ > 0 are checked.
    pub fn new(tau: f64, threshold: f64) -> Result<CurrentLif, EventError> {
        if !(tau > 0.0 && tau.is_finite()) {
            return Err(EventError::parameter("tau", format!("a finite time constant > 0, got {tau}")));
        }
        if !(threshold > 0.0 && threshold.is_finite()) {
            return Err(EventError::parameter("threshold", format!("a finite threshold > 0, got {threshold}")));
        }
        Ok(CurrentLif { tau, threshold })
    }

    /// (V, I) after Δ without input.
    pub fn flow(&self, v: f64, i: f64, dt: f64) -> (f64, f64) {
        let x = (-dt / self.tau).exp();
        (v * x + i * (x - x * x), i * x * x)
    }

    /// The time Δ to the next threshold crossing from (V, I) without input, and x* = e^{−Δ/τ};
    /// `None` when V stays below ϑ.
    pub fn crossing(&self, v: f64, i: f64) -> Option<(f64, f64)> {
        if i <= 0.0 {
            return None;
        }
        let b = v + i;
        let disc = b * b - 4.0 * i * self.threshold;
        if disc <= 0.0 {
            return None;
        }
        let x = (b + disc.sqrt()) / (2.0 * i);
        (x > 0.0 && x < 1.0).then(|| (-self.tau * x.ln(), x))
    }
}
