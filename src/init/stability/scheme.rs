//! The stability-derived initialisation as an [`Initialiser`] of a drawn network: predict with
//! the chosen conditions on the training data's input moments (and, optionally, voltages
//! measured on a batch of it), then write the recurrent weights and per-layer surrogates.

use serde::{Deserialize, Serialize};

use super::{Conditions, RecurrentDraw, apply, predict_drawing};
use crate::init::{InitContext, InitError, Initialiser};
use crate::network::{Network, NetworkConfig};
use crate::validate::{ConfigError, Validate};

/// Settings of `InitScheme::Stability` of a training configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StabilityScheme {
    /// The conditions that set the initialisation (all four by default).
    pub conditions: Conditions,
    /// Solve Condition IV over voltages measured on the first `measure_samples` training
    /// samples at this initialisation, rather than the paper's uniform extreme-range model.
    pub measured_voltages: bool,
    /// Training samples of the measuring batch.
    pub measure_samples: usize,
    /// When W_rec is drawn through the stability path (`always` for the ablation's A/A
    /// control); left out of files and run identifiers at its default.
    #[serde(skip_serializing_if = "is_default_draw")]
    pub recurrent_draw: RecurrentDraw,
}

fn is_default_draw(draw: &RecurrentDraw) -> bool {
    *draw == RecurrentDraw::default()
}

impl Default for StabilityScheme {
    fn default() -> Self {
        StabilityScheme { conditions: Conditions::ALL, measured_voltages: false, measure_samples: 16, recurrent_draw: RecurrentDraw::WhenConditioned }
    }
}

impl Initialiser<Network> for StabilityScheme {
    fn initialise(&self, net: Network, context: &InitContext<'_, NetworkConfig>) -> Result<Network, InitError> {
        let train = context.train;
        let input = train.statistics()?.into();
        let batch = if self.measured_voltages {
            let indices: Vec<usize> = (0..train.len().min(self.measure_samples)).collect();
            Some(train.batch(&indices, context.device)?.inputs)
        } else {
            None
        };
        let prediction = predict_drawing(context.config, input, self.conditions, self.recurrent_draw, batch, context.device)?;
        Ok(apply(net, &prediction, context.config.seed, true))
    }
}

impl Validate for StabilityScheme {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.measured_voltages && self.measure_samples == 0 {
            return Err(ConfigError::new("measure_samples", "at least 1 sample to measure voltages on, got 0"));
        }
        Ok(())
    }
}
