//! LIF neurons with escape noise (Gygax & Zenke 2024; other_seeds.md §A.2): the layers of
//! [`super::lif`] whose spike is drawn, z_t = 1[ξ_t < f(v_t − ϑ)] with ξ_t ~ U(0, 1), instead of
//! z_t = H(v_t − ϑ), and whose backward is the matched surrogate f′ or a chosen one
//! ([`crate::spike::escape`]). A [`StochasticSpec`] on the network or model configuration makes
//! every layer stochastic; the noise stream is seeded from the network's seed, so a run repeats
//! exactly.

use serde::{Deserialize, Serialize};

use crate::spike::SpikeFn;
use crate::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike};

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
    pub fn spike_fn(&self, seed: u64) -> Result<SpikeFn, crate::validate::ConfigError> {
        EscapeSpike::new(self.noise, self.backward, seed).map(SpikeFn::Escape).map_err(|e| e.within("noise"))
    }
}
