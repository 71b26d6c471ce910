//! Firing-rate regularisers and the schedules that switch them on gradually
//! (Herranz-Celotti & Rouat, stable_spike.md §5).
//!
//! With z^{(l)} ∈ {0,1}^{T×B×N} the spikes of layer l, target rate f, weight λ and switch s(e):
//!
//! ```text
//! absolute (paper 2022):   L = λ s(e) Σ_l (1/BN) Σ_{b,i} | (1/T) Σ_t z_{t,b,i} − f |
//! squared per step (HEAD): L = λ s(e) Σ_l (1/T) Σ_t ( z̄_t − f )²,   z̄_t = (1/BN) Σ_{b,i} z_{t,b,i}
//! ```
//!
//! The official HEAD code adds (z̄_t − f)² at every step, i.e. sums over t; sglab averages over t
//! so that λ does not scale with T (λ_sglab = T · λ_HEAD).
//!
//! The switch s(e) ∈ [0, 1] is a function of training progress p = e/E (e counts epochs with
//! fractional batches, E the number of epochs); see [`Schedule`].
//!
//! Firing-rate homeostasis (Rossbroich, Gygax & Zenke 2022; stork's `LowerBoundL2` and
//! `UpperBoundL2`) bounds spike counts c_{b,i} = Σ_t z_{t,b,i} from below or above, always on,
//! in every layer ([`SpikeCountBound`]):
//!
//! ```text
//! per neuron:      L = s Σ_l (1/BN) Σ_{b,i} relu(±(c_{b,i} − θ))²
//! per population:  L = s Σ_l (1/B) Σ_b relu(±(c̄_b − θ))²,   c̄_b = (1/N) Σ_i c_{b,i}
//! ```
//!
//! with + for an upper and − for a lower bound, θ in spikes per sample. Deep networks in
//! Rossbroich et al. use a per-neuron lower bound (s = 100, θ = 10⁻³: a neuron silent on a
//! sample pays, one spike suffices) with a population upper bound (s = 0.1, θ ≈ 7–10 spikes);
//! [`SpikeCountBound::rossbroich`].

use burn::Tensor;
use serde::{Deserialize, Serialize};

use crate::validate::{ConfigError, Validate};

/// How the rate loss is switched on over training, as a function of progress p = e/E ∈ [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum Schedule {
    /// s = 0: no regularisation.
    Off,
    /// s = 1 from the start.
    Constant,
    /// s = 0 for p < start, (p − start)/(end − start) between, 1 for p > end (the HEAD default
    /// `la`: start 0.2, end 0.6).
    LinearRamp {
        /// Progress where the ramp starts.
        start: f64,
        /// Progress where it reaches 1.
        end: f64,
    },
    /// s = 0 for p < start; s ← 1 − factor·(1 − s) at every batch while start ≤ p ≤ end; s = 1
    /// after end (the 2022 default `ea`: start 0.2, end 0.75, factor 0.6, which reaches ≈ 1
    /// within about 10 batches).
    ExponentialSwitch {
        /// Progress where the switch starts.
        start: f64,
        /// Progress after which s = 1.
        end: f64,
        /// Per-batch contraction of 1 − s, in (0, 1).
        factor: f64,
    },
    /// s = 0 for p < at, 1 from then on (`ha`: at 0.5).
    HardSwitch {
        /// Progress of the switch.
        at: f64,
    },
    /// s = ½(1 − cos(π (p − start)/(end − start))) between start and end, 0 before, 1 after.
    Cosine {
        /// Progress where the ramp starts.
        start: f64,
        /// Progress where it reaches 1.
        end: f64,
    },
}

impl Default for Schedule {
    /// The paper-2022 exponential switch.
    fn default() -> Self {
        Schedule::ExponentialSwitch { start: 0.2, end: 0.75, factor: 0.6 }
    }
}

impl Schedule {
    /// The HEAD default linear ramp from 20 % to 60 % of training.
    pub fn linear_ramp() -> Self {
        Schedule::LinearRamp { start: 0.2, end: 0.6 }
    }

}

impl Validate for Schedule {
    /// Checks the window and factor.
    fn validate(&self) -> Result<(), ConfigError> {
        let window = |start: f64, end: f64| {
            if (0.0..=1.0).contains(&start) && (0.0..=1.0).contains(&end) && start < end {
                Ok(())
            } else {
                Err(ConfigError::new("start", format!("a window 0 ≤ start < end ≤ 1, got start {start}, end {end}")))
            }
        };
        match *self {
            Schedule::Off | Schedule::Constant => Ok(()),
            Schedule::LinearRamp { start, end } | Schedule::Cosine { start, end } => window(start, end),
            Schedule::ExponentialSwitch { start, end, factor } => {
                window(start, end)?;
                if factor > 0.0 && factor < 1.0 {
                    Ok(())
                } else {
                    Err(ConfigError::new("factor", format!("a factor in (0, 1), got {factor}")))
                }
            }
            Schedule::HardSwitch { at } => {
                if (0.0..=1.0).contains(&at) {
                    Ok(())
                } else {
                    Err(ConfigError::new("at", format!("a switch point in [0, 1], got {at}")))
                }
            }
        }
    }
}

impl Schedule {
    /// s at progress p, given its value `previous` at the batch before (only the exponential
    /// switch uses it; start from 0).
    pub fn value(&self, progress: f64, previous: f64) -> f64 {
        let ramp = |start: f64, end: f64| ((progress - start) / (end - start)).clamp(0.0, 1.0);
        match *self {
            Schedule::Off => 0.0,
            Schedule::Constant => 1.0,
            Schedule::LinearRamp { start, end } => ramp(start, end),
            Schedule::Cosine { start, end } => 0.5 * (1.0 - (std::f64::consts::PI * ramp(start, end)).cos()),
            Schedule::HardSwitch { at } => f64::from(u8::from(progress >= at)),
            Schedule::ExponentialSwitch { start, end, factor } => {
                if progress < start {
                    0.0
                } else if progress > end {
                    1.0
                } else {
                    1.0 - factor * (1.0 - previous)
                }
            }
        }
    }
}

/// The form of the rate loss (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateLoss {
    /// Mean absolute deviation of each neuron's time-averaged rate (paper 2022).
    Absolute,
    /// Mean over steps of the squared deviation of the population rate (HEAD).
    SquaredPerStep,
}

/// A firing-rate regulariser: λ, target f, form and schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRegularizer {
    /// λ (the paper: 0.8 on sl-MNIST, 0.436 on SHD).
    pub weight: f64,
    /// Target rate f (the paper: 0.1 or 0.01).
    pub target: f64,
    /// The loss form.
    #[serde(default = "default_form")]
    pub form: RateLoss,
    /// The switch s(e).
    #[serde(default)]
    pub schedule: Schedule,
}

fn default_form() -> RateLoss {
    RateLoss::Absolute
}

impl Validate for RateRegularizer {
    /// Checks λ ≥ 0, f ∈ [0, 1] and the schedule.
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::non_negative("weight", self.weight)?;
        if !(0.0..=1.0).contains(&self.target) {
            return Err(ConfigError::new("target", format!("a rate in [0, 1], got {}", self.target)));
        }
        self.schedule.validate().map_err(|e| e.within("schedule"))
    }
}

impl RateRegularizer {

    /// The unweighted loss of one layer's spikes `[T, B, N]` (scalar `[1]` tensor).
    pub fn layer_loss(&self, spikes: Tensor<3>) -> Tensor<1> {
        match self.form {
            RateLoss::Absolute => spikes.mean_dim(0).sub_scalar(self.target).abs().mean(),
            RateLoss::SquaredPerStep => {
                let [t, _, _] = spikes.dims();
                let population = spikes.reshape([t as i32, -1]).mean_dim(1); // [T, 1]
                population.sub_scalar(self.target).powi_scalar(2).mean()
            }
        }
    }

    /// λ · s · Σ_l layer loss, for the spikes of every layer and the current switch value s.
    pub fn loss(&self, spikes: &[Tensor<3>], switch: f64) -> Option<Tensor<1>> {
        let scale = self.weight * switch;
        if scale == 0.0 || spikes.is_empty() {
            return None;
        }
        let total = spikes.iter().map(|z| self.layer_loss(z.clone())).reduce(|a, b| a + b)?;
        Some(total.mul_scalar(scale))
    }
}

/// Which side of a [`SpikeCountBound`] is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoundSide {
    /// Counts below the threshold pay: relu(θ − c)².
    Lower,
    /// Counts above the threshold pay: relu(c − θ)².
    Upper,
}

/// Whose spike count a [`SpikeCountBound`] constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountScope {
    /// Every neuron on every sample (stork's `dims=False`).
    Neuron,
    /// The mean count over a layer's neurons, per sample (stork's `dims=1`).
    Population,
}

/// A squared-hinge bound on spike counts, on in every layer from the first batch (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeCountBound {
    /// Lower or upper.
    pub side: BoundSide,
    /// Per neuron or per population.
    pub scope: CountScope,
    /// Strength s.
    pub strength: f64,
    /// Threshold θ in spikes per sample.
    pub threshold: f64,
}

impl SpikeCountBound {
    /// Rossbroich et al.'s homeostasis of deep networks: a per-neuron lower bound (s = 100,
    /// θ = 10⁻³ spikes) and a population upper bound (s = 0.1, θ = `upper_count` spikes per
    /// sample; 7 on SHD's 0.7 s, 10 on their other tasks).
    pub fn rossbroich(upper_count: f64) -> Vec<SpikeCountBound> {
        vec![
            SpikeCountBound { side: BoundSide::Lower, scope: CountScope::Neuron, strength: 100.0, threshold: 1e-3 },
            SpikeCountBound { side: BoundSide::Upper, scope: CountScope::Population, strength: 0.1, threshold: upper_count },
        ]
    }

    /// The weighted loss of one layer's spikes `[T, B, N]` (scalar `[1]` tensor).
    pub fn layer_loss(&self, spikes: Tensor<3>) -> Tensor<1> {
        let [_, b, n] = spikes.dims();
        let counts = spikes.sum_dim(0).reshape([b, n]);
        let counts = match self.scope {
            CountScope::Neuron => counts,
            CountScope::Population => counts.mean_dim(1),
        };
        let excess = match self.side {
            BoundSide::Lower => counts.neg().add_scalar(self.threshold),
            BoundSide::Upper => counts.sub_scalar(self.threshold),
        };
        burn::tensor::activation::relu(excess).powi_scalar(2).mean().mul_scalar(self.strength)
    }

    /// Σ over `bounds` and over the layers' spikes, `None` when there is nothing to add.
    pub fn total(bounds: &[SpikeCountBound], spikes: &[Tensor<3>]) -> Option<Tensor<1>> {
        bounds.iter().flat_map(|bound| spikes.iter().map(move |z| bound.layer_loss(z.clone()))).reduce(|a, b| a + b)
    }
}

impl Validate for SpikeCountBound {
    /// Checks s ≥ 0 and θ ≥ 0, both finite.
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::non_negative("strength", self.strength)?;
        crate::validate::non_negative("threshold", self.threshold)
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    /// Counts worked by hand: two samples × two neurons over three steps, counts
    /// [[0, 2], [3, 1]]; lower per neuron θ = 1, s = 2: 2·(1² + 0 + 0 + 0)/4 = 0.5; upper per
    /// population θ = 1: means (1, 2), s·(0 + 1²)/2 = 1 at s = 2.
    #[test]
    fn bounds_match_counts_by_hand() {
        let device = burn::tensor::Device::default();
        // z[t][b][i]
        let z = Tensor::<3>::from_floats(
            [[[0.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]],
            &device,
        );
        let lower = SpikeCountBound { side: BoundSide::Lower, scope: CountScope::Neuron, strength: 2.0, threshold: 1.0 };
        let upper = SpikeCountBound { side: BoundSide::Upper, scope: CountScope::Population, strength: 2.0, threshold: 1.0 };
        assert!((lower.layer_loss(z.clone()).into_scalar::<f64>() - 0.5).abs() < 1e-6);
        assert!((upper.layer_loss(z.clone()).into_scalar::<f64>() - 1.0).abs() < 1e-6);
        let both = SpikeCountBound::total(&[lower, upper], &[z.clone(), z]).expect("terms");
        assert!((both.into_scalar::<f64>() - 3.0).abs() < 1e-6);
        assert!(SpikeCountBound::total(&[], &[]).is_none());
    }
}
