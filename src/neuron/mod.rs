//! Spiking neuron layers: configuration, parameters, explicit state and pure step functions.
//!
//! Each model follows one pattern: `XConfig` (serialisable, validated) → `init(...)` → the
//! module `X` holding only parameters → `X::cell()` computes the per-sequence coefficients once →
//! `XCell::step(input, &state) -> state` is a pure function of its arguments. [`Layer`] runs a
//! cell over a whole sequence.

pub mod alif;
pub mod decolle;
pub mod lif;
pub mod qif;
pub mod stochastic;

pub use alif::{Alif, AlifCell, AlifConfig, AlifState};
pub use lif::{Lif, LifCell, LifConfig, LifState};
pub use qif::{Qif, QifCell, QifConfig};

use burn::Tensor;
use burn::module::Module;
use burn::tensor::Device;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::init::weights::{truncated_normal, vector};
use crate::spike::SpikeFn;

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

/// Errors of neuron configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NeuronError {
    /// A field must be a finite number > 0.
    #[error("neuron field `{field}` must be finite and > 0, got {value}")]
    NotPositive {
        /// The field's name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A field must be finite.
    #[error("neuron field `{field}` must be finite, got {value}")]
    NotFinite {
        /// The field's name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A relative spread must lie in [0, 0.5) so that the ±2 std truncation keeps values > 0.
    #[error("neuron field `{field}` (relative spread) must lie in [0, 0.5), got {value}")]
    Spread {
        /// The field's name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A field lies outside its accepted range.
    #[error("`{field}` must be {expected}, got {value}")]
    Range {
        /// The field's name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// A layer size must be at least 1.
    #[error("`{field}` must be at least 1, got 0")]
    EmptySize {
        /// The field's name.
        field: &'static str,
    },
}

fn check_positive(field: &'static str, value: f64) -> Result<(), NeuronError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(NeuronError::NotPositive { field, value })
    }
}

fn check_finite(field: &'static str, value: f64) -> Result<(), NeuronError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(NeuronError::NotFinite { field, value })
    }
}

fn check_spread(field: &'static str, value: f64) -> Result<(), NeuronError> {
    if value.is_finite() && (0.0..0.5).contains(&value) {
        Ok(())
    } else {
        Err(NeuronError::Spread { field, value })
    }
}

fn check_size(field: &'static str, value: usize) -> Result<(), NeuronError> {
    if value == 0 {
        Err(NeuronError::EmptySize { field })
    } else {
        Ok(())
    }
}

/// A per-neuron parameter vector: `mean` for every neuron, or a normal of std `spread·mean`
/// truncated at ±2 std.
fn per_neuron(mean: f64, spread: f64, n: usize, rng: &mut StdRng, device: &Device) -> Tensor<1> {
    let values = if spread == 0.0 {
        vec![mean; n]
    } else {
        truncated_normal(n, mean, spread * mean, rng)
    };
    vector(values, device)
}

/// The neuron model of a layer.
///
/// Read from configuration files as a table tagged by `model` (`"lif"` or `"alif"`) holding only
/// the fields that differ from the defaults, e.g. `{ model = "lif", reset = "multreset2",
/// recurrent_init = { kind = "orthogonal", gain = 1.0 } }`; ALIF's `lif` table is filled the same
/// way. An unknown field is an error naming it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "model")]
pub enum NeuronConfig {
    /// Leaky integrate-and-fire.
    Lif(LifConfig),
    /// Adaptive leaky integrate-and-fire.
    Alif(AlifConfig),
    /// Quadratic integrate-and-fire (its `lif` table holds weights, τ and V_peak).
    Qif(QifConfig),
}

/// Overlays `given` on `base`: tables whose default is an untagged table merge field by field;
/// anything else (values, tagged tables such as initialisers) is replaced whole. Unknown fields
/// are reported by their dotted path.
fn overlay(base: &mut serde_json::Map<String, serde_json::Value>, given: serde_json::Map<String, serde_json::Value>, path: &str) -> Result<(), String> {
    for (key, value) in given {
        let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match (base.get_mut(&key), value) {
            (None, _) => {
                let known: Vec<&String> = base.keys().collect();
                return Err(format!("unknown field `{here}`, expected one of {known:?}"));
            }
            (Some(serde_json::Value::Object(b)), serde_json::Value::Object(g)) if !b.contains_key("kind") => overlay(b, g, &here)?,
            (Some(slot), value) => *slot = value,
        }
    }
    Ok(())
}

impl<'de> Deserialize<'de> for NeuronConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut given = serde_json::Map::deserialize(deserializer)?;
        let model = given.remove("model").ok_or_else(|| D::Error::missing_field("model"))?;
        let defaults = match model.as_str() {
            Some("lif") => serde_json::to_value(LifConfig::new()),
            Some("alif") => serde_json::to_value(AlifConfig::new()),
            Some("qif") => serde_json::to_value(QifConfig::new()),
            _ => return Err(D::Error::unknown_variant(&model.to_string(), &["lif", "alif", "qif"])),
        }
        .map_err(D::Error::custom)?;
        let serde_json::Value::Object(mut base) = defaults else {
            return Err(D::Error::custom("a neuron configuration serialises to a table"));
        };
        overlay(&mut base, given, "").map_err(D::Error::custom)?;
        let value = serde_json::Value::Object(base);
        let parsed = match model.as_str() {
            Some("lif") => LifConfig::deserialize(value).map(NeuronConfig::Lif),
            Some("alif") => AlifConfig::deserialize(value).map(NeuronConfig::Alif),
            _ => QifConfig::deserialize(value).map(NeuronConfig::Qif),
        };
        parsed.map_err(D::Error::custom)
    }
}

impl Default for NeuronConfig {
    fn default() -> Self {
        NeuronConfig::Lif(LifConfig::new())
    }
}

impl NeuronConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), NeuronError> {
        match self {
            NeuronConfig::Lif(c) => c.validate(),
            NeuronConfig::Alif(c) => c.validate(),
            NeuronConfig::Qif(c) => c.validate(),
        }
    }

    /// A layer of this model.
    pub fn init(
        &self,
        input_size: usize,
        hidden_size: usize,
        spike_fn: SpikeFn,
        seed: u64,
        device: &Device,
    ) -> Result<Layer, NeuronError> {
        Ok(match self {
            NeuronConfig::Lif(c) => Layer::Lif(c.init(input_size, hidden_size, spike_fn, seed, device)?),
            NeuronConfig::Alif(c) => {
                Layer::Alif(c.init(input_size, hidden_size, spike_fn, seed, device)?)
            }
            NeuronConfig::Qif(c) => Layer::Qif(c.init(input_size, hidden_size, spike_fn, seed, device)?),
        })
    }
}

/// One recurrent spiking layer of any model.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Layer {
    /// A LIF layer.
    Lif(Lif),
    /// An ALIF layer.
    Alif(Alif),
    /// A QIF layer.
    Qif(Qif),
}

/// What a layer produced over a sequence, one `[B, n]` tensor per time step.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// Spikes z_t.
    pub spikes: Vec<Tensor<2>>,
    /// Voltages v_t, when requested.
    pub voltages: Option<Vec<Tensor<2>>>,
}

impl Layer {
    /// The LIF part of the layer (all of it for LIF).
    pub fn lif(&self) -> &Lif {
        match self {
            Layer::Lif(l) => l,
            Layer::Alif(a) => &a.lif,
            Layer::Qif(q) => &q.lif,
        }
    }

    /// The LIF part of the layer, mutably (to replace parameters).
    pub fn lif_mut(&mut self) -> &mut Lif {
        match self {
            Layer::Lif(l) => l,
            Layer::Alif(a) => &mut a.lif,
            Layer::Qif(q) => &mut q.lif,
        }
    }

    /// Number of neurons.
    pub fn hidden_size(&self) -> usize {
        self.lif().hidden_size()
    }

    /// Runs the layer over `inputs` (one `[B, n_in]` tensor per step) from the zero state.
    ///
    /// Each step does its own input matmul, so the backward pass is linear in the number of
    /// steps (slicing one tracked `[T, …]` tensor per step would make it quadratic).
    pub fn run(&self, inputs: impl IntoIterator<Item = Tensor<2>>, record_voltages: bool) -> LayerTrace {
        self.run_truncated(inputs, record_voltages, 0)
    }

    /// As [`Layer::run`], with truncated BPTT of window `truncation` (0: none): the state is
    /// detached before every step t > 0 divisible by the window, so that the gradient reaches
    /// earlier steps only through the layer's input.
    pub fn run_truncated(&self, inputs: impl IntoIterator<Item = Tensor<2>>, record_voltages: bool, truncation: usize) -> LayerTrace {
        let mut spikes = Vec::new();
        let mut voltages = record_voltages.then(Vec::new);
        let mut record = |state: &LifState| {
            spikes.push(state.z.clone());
            if let Some(v) = voltages.as_mut() {
                v.push(state.v.clone());
            }
        };
        let mut inputs = inputs.into_iter().peekable();
        let Some(batch) = inputs.peek().map(|x| x.dims()[0]) else {
            return LayerTrace {
                spikes: Vec::new(),
                voltages: record_voltages.then(Vec::new),
            };
        };
        match self {
            Layer::Lif(layer) => {
                let cell = layer.cell();
                unroll(cell.initial_state(batch), inputs, truncation, |x, s| cell.step(x, s), LifState::detach, |s| record(s));
            }
            Layer::Alif(layer) => {
                let cell = layer.cell();
                unroll(cell.initial_state(batch), inputs, truncation, |x, s| cell.step(x, s), AlifState::detach, |s| record(&s.lif));
            }
            Layer::Qif(layer) => {
                let cell = layer.cell();
                unroll(cell.initial_state(batch), inputs, truncation, |x, s| cell.step(x, s), LifState::detach, |s| record(s));
            }
        }
        LayerTrace { spikes, voltages }
    }
}

/// Steps a cell over `inputs` from `state`, handing every new state to `record`; with a
/// truncated-BPTT window the state is detached before every step t > 0 divisible by it.
fn unroll<S>(
    mut state: S,
    inputs: impl Iterator<Item = Tensor<2>>,
    truncation: usize,
    step: impl Fn(Tensor<2>, &S) -> S,
    detach: impl Fn(S) -> S,
    mut record: impl FnMut(&S),
) {
    for (t, x) in inputs.enumerate() {
        if truncation > 0 && t > 0 && t % truncation == 0 {
            state = detach(state);
        }
        state = step(x, &state);
        record(&state);
    }
}
