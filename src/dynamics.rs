//! The LIF update rules that the per-step cells ([`crate::neuron`]) and the fused kernels
//! ([`crate::fused`]) share: the reset rule and the fixed settings of a fused layer. A leaf
//! module, so that neither of the two depends on the other.
//!
//! ```text
//! Subtract:    v_t = α v_{t−1} + I_t − ϑ z_{t−1}
//! MultReset1:  v_t = (α v_{t−1} + I_t)(1 − z_{t−1})
//! MultReset2:  v_t = α v_{t−1}(1 − z_{t−1}) + I_t
//! ```

use serde::{Deserialize, Serialize};

use crate::surrogate::Surrogate;

/// How a spike resets the membrane voltage (see [`lif`] for the equations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reset {
    /// v_t = α v_{t−1} + I_t − ϑ z_{t−1}.
    #[default]
    Subtract,
    /// v_t = (α v_{t−1} + I_t)(1 − z_{t−1}).
    #[serde(rename = "multreset1")]
    MultReset1,
    /// v_t = α v_{t−1}(1 − z_{t−1}) + I_t.
    #[serde(rename = "multreset2")]
    MultReset2,
}

/// The fixed settings of a LIF recurrence run as one fused kernel (`crate::fused`): what the
/// per-step cell ([`crate::neuron::LifCell`]) and the kernel must agree on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifSpec {
    /// How a spike resets the voltage.
    pub reset: Reset,
    /// Whether the reset term is excluded from the gradient.
    pub detach_reset: bool,
    /// The surrogate σ′ of the spike's backward.
    pub surrogate: Surrogate,
    /// Truncated BPTT window K (0: full BPTT).
    pub truncation: usize,
    /// Whether the layer has recurrent weights (false: feed-forward, no z_{t−1}·W term).
    pub recurrent: bool,
}
