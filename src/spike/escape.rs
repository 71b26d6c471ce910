//! The stochastic spike of a neuron with escape noise (Gygax & Zenke 2024; other_seeds.md §A.2):
//!
//! ```text
//! forward:   z = 1[ξ < f(x)],   ξ ~ U(0, 1) i.i.d. per element and call, from a seeded stream
//! backward:  ∂z/∂x = h(x),       by default the matched h = f′
//! ```
//!
//! with x = v − ϑ and the escape-noise function f(x) = P(spike | x):
//!
//! ```text
//! sigmoid:      f(x) = 1/(1 + e^{−βx}),    f′(x) = β f(x)(1 − f(x))
//! exponential:  f(x) = p₀ e^{x/Δu},         f′(x) = (p₀/Δu) e^{x/Δu}   (f > 1 always spikes)
//! ```
//!
//! Since E[z | x] = min(f(x), 1), the matched surrogate f′ is the derivative of the expected
//! spike (where f < 1): surrogate-gradient descent on the deterministic neuron is gradient descent
//! on the expected output of this one, for a single neuron. The noise is drawn on the host from a
//! ChaCha12 stream (the generator of rand's `StdRng`, drawing the same numbers from the same
//! seed) shared by every clone of the op, so a network's spikes are a deterministic function
//! of its seed and the order of its calls; its position is part of a checkpoint. A [`StochasticSpec`] (noise and backward) in a
//! network's [`super::SpikeConfig::Escape`] makes every LIF layer stochastic, its noise stream
//! seeded from the network's seed.

use std::sync::{Arc, Mutex};

use burn::Tensor;
use burn::tensor::TensorData;
use chacha20::ChaCha12Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::surrogate::Surrogate;
use crate::validate::{ConfigError, Validate, positive};

/// The escape-noise function f.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum EscapeNoise {
    /// f(x) = 1/(1 + e^{−βx}) (Gygax & Zenke: β = 10 in hidden layers).
    Sigmoid {
        /// Steepness β > 0.
        beta: f64,
    },
    /// f(x) = p₀ e^{x/Δu} (stork: p₀ = 0.01, Δu = 0.133).
    Exponential {
        /// Firing probability at threshold, p₀ > 0.
        p0: f64,
        /// Width Δu > 0.
        delta_u: f64,
    },
}

impl EscapeNoise {
}

impl Validate for EscapeNoise {
    /// Checks that the parameters are finite and positive.
    fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            EscapeNoise::Sigmoid { beta } => positive("beta", beta),
            EscapeNoise::Exponential { p0, delta_u } => positive("p0", p0).and(positive("delta_u", delta_u)),
        }
    }
}

impl EscapeNoise {

    /// f(x).
    pub fn probability(&self, x: f64) -> f64 {
        match *self {
            EscapeNoise::Sigmoid { beta } => 1.0 / (1.0 + (-beta * x).exp()),
            EscapeNoise::Exponential { p0, delta_u } => p0 * (x / delta_u).exp(),
        }
    }

    /// f′(x).
    pub fn derivative(&self, x: f64) -> f64 {
        match *self {
            EscapeNoise::Sigmoid { beta } => {
                let f = self.probability(x);
                beta * f * (1.0 - f)
            }
            EscapeNoise::Exponential { p0, delta_u } => p0 / delta_u * (x / delta_u).exp(),
        }
    }

    /// f(x) elementwise.
    pub fn probability_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match *self {
            EscapeNoise::Sigmoid { beta } => burn::tensor::activation::sigmoid(x * beta),
            EscapeNoise::Exponential { p0, delta_u } => (x / delta_u).exp() * p0,
        }
    }

    /// f′(x) elementwise.
    pub fn derivative_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match *self {
            EscapeNoise::Sigmoid { beta } => {
                let f = burn::tensor::activation::sigmoid(x * beta);
                f.clone() * (f.neg() + 1.0) * beta
            }
            EscapeNoise::Exponential { p0, delta_u } => (x / delta_u).exp() * (p0 / delta_u),
        }
    }

    /// The built-in surrogate equal to f′ where one exists: for the sigmoid,
    /// [`Surrogate::logistic`]. The exponential's f′ is one-sided and has no built-in shape.
    pub fn matched_surrogate(&self) -> Option<Surrogate> {
        match *self {
            EscapeNoise::Sigmoid { beta } => Surrogate::logistic(beta).ok(),
            EscapeNoise::Exponential { .. } => None,
        }
    }
}

/// The backward of the stochastic spike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum EscapeBackward {
    /// h = f′, the derivative of the expected spike.
    #[default]
    Matched,
    /// Any built-in surrogate σ′.
    Surrogate {
        /// The surrogate.
        surrogate: Surrogate,
    },
}

/// The stochastic spike op (module docs): escape noise, backward, and the seeded noise stream.
#[derive(Clone)]
pub struct EscapeSpike {
    noise: EscapeNoise,
    backward: EscapeBackward,
    rng: Arc<Mutex<ChaCha12Rng>>,
}

impl std::fmt::Debug for EscapeSpike {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EscapeSpike({:?}, {:?})", self.noise, self.backward)
    }
}

impl EscapeSpike {
    /// The op with escape noise `noise`, backward `backward` and noise seed `seed`.
    pub fn new(noise: EscapeNoise, backward: EscapeBackward, seed: u64) -> Result<Self, ConfigError> {
        noise.validate()?;
        Ok(EscapeSpike { noise, backward, rng: Arc::new(Mutex::new(ChaCha12Rng::seed_from_u64(seed))) })
    }

    /// How far the noise stream has advanced: 32-bit words drawn since its seed (ChaCha12's word
    /// position, the state a checkpoint saves so that a resumed run draws what it would have).
    pub fn stream_position(&self) -> u128 {
        self.rng.lock().expect("the noise stream is not poisoned").get_word_pos()
    }

    /// Moves the noise stream to `position` (a value of [`Self::stream_position`]) for every
    /// clone sharing it.
    pub fn seek(&self, position: u128) {
        self.rng.lock().expect("the noise stream is not poisoned").set_word_pos(position);
    }

    /// The escape-noise function.
    pub fn noise(&self) -> EscapeNoise {
        self.noise
    }

    /// The backward.
    pub fn backward(&self) -> EscapeBackward {
        self.backward
    }

    /// h(x) elementwise (the derivative the backward uses).
    pub fn backward_tensor<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self.backward {
            EscapeBackward::Matched => self.noise.derivative_tensor(x),
            EscapeBackward::Surrogate { surrogate } => surrogate.derivative_tensor(x),
        }
    }

    /// U(0, 1) draws of the shape of `x`, on its device, from the shared stream.
    fn uniform<const D: usize>(&self, x: &Tensor<D>) -> Tensor<D> {
        let shape = x.shape();
        let n = shape.num_elements();
        let values: Vec<f64> = {
            let mut rng = self.rng.lock().expect("the noise stream is not poisoned");
            (0..n).map(|_| rng.random_range(0.0..1.0)).collect()
        };
        Tensor::from_data(TensorData::new(values, shape), &x.device())
    }

    /// z = 1[ξ < f(x)] forward, h(x) backward (module docs).
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let detached = x.clone().detach();
        let xi = self.uniform(&detached);
        let value = super::heaviside(self.noise.probability_tensor(detached) - xi);
        super::inject(value, x, |xd| self.backward_tensor(xd))
    }
}

/// Escape noise and backward of every layer of a stochastic network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StochasticSpec {
    /// f, the firing probability as a function of v − ϑ.
    pub noise: EscapeNoise,
    /// The surrogate of the backward pass (default: the matched f′).
    #[serde(default)]
    pub backward: EscapeBackward,
}

impl StochasticSpec {
    /// The spike op with its noise stream seeded by `seed`.
    pub fn spike_fn(&self, seed: u64) -> Result<crate::spike::SpikeFn, ConfigError> {
        EscapeSpike::new(self.noise, self.backward, seed).map(crate::spike::SpikeFn::Escape).map_err(|e| e.within("noise"))
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    /// The noise stream is rand's `StdRng` stream (runs computed before the stream became
    /// seekable draw the same spikes), and seeking to a saved position continues it exactly.
    #[test]
    fn the_noise_stream_is_std_rng_and_resumes_where_it_was() {
        let mut std = rand::rngs::StdRng::seed_from_u64(42);
        let spike = super::EscapeSpike::new(super::EscapeNoise::Sigmoid { beta: 10.0 }, super::EscapeBackward::Matched, 42).unwrap();
        let a: Vec<u64> = (0..37).map(|_| std.next_u64()).collect();
        let b: Vec<u64> = (0..37).map(|_| spike.rng.lock().unwrap().next_u64()).collect();
        assert_eq!(a, b);
        // Advance the shared stream by an odd number of words, save, draw, seek back, draw again.
        for _ in 0..13 {
            spike.rng.lock().unwrap().next_u32();
        }
        let saved = spike.stream_position();
        assert_eq!(saved, 2 * 37 + 13);
        let first: Vec<u32> = (0..40).map(|_| spike.rng.lock().unwrap().next_u32()).collect();
        let other = super::EscapeSpike::new(super::EscapeNoise::Sigmoid { beta: 10.0 }, super::EscapeBackward::Matched, 42).unwrap();
        other.seek(saved);
        let again: Vec<u32> = (0..40).map(|_| other.rng.lock().unwrap().next_u32()).collect();
        assert_eq!(first, again);
    }
}
