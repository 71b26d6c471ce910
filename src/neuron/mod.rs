//! Spiking neuron layers: configuration, parameters, explicit state and pure step functions.
//!
//! Each model follows one pattern: `XConfig` (serialisable, validated) → `init(...)` → the
//! module `X` holding only parameters → `X::cell()` computes the per-sequence coefficients once →
//! a [`RecurrentCell`], whose `step(input, &state) -> state` is a pure function of its
//! arguments. [`Layer`] holds a layer of any model and runs its cell over a sequence from a
//! given or the zero state, returning the final state with the trace (as burn's LSTM:
//! `forward(x, Option<State>) -> (output, State)`); one generic loop ([`unroll`]) serves every
//! model. What all models share — the input current
//!
//! ```text
//! I_t = x_t·W_in + z_{t−1}·(M ⊙ W_rec) + b          M = 11ᵀ − I masks self-connections
//! ```
//!
//! — is read and replaced through [`Layer`]'s methods, whatever the model.

pub mod alif;
pub mod decolle;
pub mod lif;
pub mod qif;

pub use alif::{Alif, AlifCell, AlifConfig, AlifState};
pub use crate::dynamics::Reset;
pub use lif::{Lif, LifCell, LifConfig, LifState};
pub use qif::{Qif, QifCell, QifConfig};

use burn::Tensor;
use burn::module::{Module, Param};
use burn::tensor::Device;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::spike::SpikeFn;
use crate::validate::{ConfigError, Validate, in_interval};
use crate::weights::{truncated_normal, vector};

/// A layer asked to continue from the state of another model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {layer} layer cannot continue from the state of a {state} layer")]
pub struct StateMismatch {
    /// The layer's model.
    pub layer: &'static str,
    /// The model whose state was given.
    pub state: &'static str,
}

/// A relative spread in [0, 0.5), so that the ±2 std truncation keeps values > 0.
fn check_spread(path: &str, value: f64) -> Result<(), ConfigError> {
    in_interval(path, value, 0.0, 0.5).map_err(|e| ConfigError::new(e.path, format!("a relative spread in [0, 0.5), got {value}")))
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
#[derive(Debug, Clone, PartialEq)]
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

/// The field of a LIF table ([`LifConfig::recurrent`]) written only when it is not the default.
const RECURRENT: &str = "recurrent";

impl Serialize for NeuronConfig {
    /// A table tagged by `model` holding every field, except that a layer's `recurrent` is
    /// written only when false (a feed-forward layer): a recurrent layer's table — and the run
    /// identifier hashed from it — is what it was before feed-forward layers existed.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let value = match self {
            NeuronConfig::Lif(c) => serde_json::to_value(c),
            NeuronConfig::Alif(c) => serde_json::to_value(c),
            NeuronConfig::Qif(c) => serde_json::to_value(c),
        }
        .map_err(S::Error::custom)?;
        let serde_json::Value::Object(mut table) = value else {
            return Err(S::Error::custom("a neuron configuration serialises to a table"));
        };
        let lif = match self {
            NeuronConfig::Lif(_) => Some(&mut table),
            NeuronConfig::Alif(_) | NeuronConfig::Qif(_) => table.get_mut("lif").and_then(serde_json::Value::as_object_mut),
        };
        if let Some(lif) = lif
            && lif.get(RECURRENT) == Some(&serde_json::Value::Bool(true))
        {
            lif.remove(RECURRENT);
        }
        table.insert("model".into(), serde_json::Value::String(self.name().into()));
        table.serialize(serializer)
    }
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

impl Validate for NeuronConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        match self {
            NeuronConfig::Lif(c) => c.validate(),
            NeuronConfig::Alif(c) => c.validate(),
            NeuronConfig::Qif(c) => c.validate(),
        }
    }
}

impl NeuronConfig {
    /// The model's name in configuration files and tables.
    pub fn name(&self) -> &'static str {
        match self {
            NeuronConfig::Lif(_) => "lif",
            NeuronConfig::Alif(_) => "alif",
            NeuronConfig::Qif(_) => "qif",
        }
    }

    /// The LIF membrane settings (τ, ϑ, reset) of a LIF or ALIF neuron (ALIF: its baseline
    /// threshold); `None` for QIF, whose τ and V_peak mean something else.
    pub fn lif_membrane(&self) -> Option<&LifConfig> {
        match self {
            NeuronConfig::Lif(c) => Some(c),
            NeuronConfig::Alif(c) => Some(&c.lif),
            NeuronConfig::Qif(_) => None,
        }
    }

    /// The firing threshold ϑ (QIF: V_peak).
    pub fn threshold(&self) -> f64 {
        match self {
            NeuronConfig::Lif(c) => c.threshold,
            NeuronConfig::Alif(c) => c.lif.threshold,
            NeuronConfig::Qif(c) => c.lif.threshold,
        }
    }

    /// A layer of this model.
    pub fn init(&self, input_size: usize, hidden_size: usize, spike_fn: SpikeFn, seed: u64, device: &Device) -> Result<Layer, ConfigError> {
        Ok(match self {
            NeuronConfig::Lif(c) => Layer::Lif(c.init(input_size, hidden_size, spike_fn, seed, device)?),
            NeuronConfig::Alif(c) => Layer::Alif(c.init(input_size, hidden_size, spike_fn, seed, device)?),
            NeuronConfig::Qif(c) => Layer::Qif(c.init(input_size, hidden_size, spike_fn, seed, device)?),
        })
    }
}

/// One layer's recurrence unrolled for a sequence: the per-sequence coefficients computed once
/// by its module's `cell()`, and a pure step.
pub trait RecurrentCell {
    /// What the layer carries from one step to the next.
    type State: Clone;

    /// The state before the first step, for a batch of `batch` sequences.
    fn initial_state(&self, batch: usize) -> Self::State;

    /// One step: the input `x_t` `[B, n_in]` and the previous state give the next state.
    fn step(&self, x: Tensor<2>, state: &Self::State) -> Self::State;

    /// The spikes z_t `[B, n]` of a state.
    fn spikes(state: &Self::State) -> &Tensor<2>;

    /// The membrane variable v_t `[B, n]` of a state (QIF: the phase θ, see [`qif::voltage`]).
    fn membrane(state: &Self::State) -> &Tensor<2>;

    /// The same state cut from the gradient (truncated BPTT).
    fn detach(state: Self::State) -> Self::State;
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

/// The state of a [`Layer`] between two steps (or two chunks of a sequence).
#[derive(Debug, Clone)]
pub enum LayerState {
    /// v_t, z_t of a LIF layer.
    Lif(LifState),
    /// v_t, z_t and the adaptation a_t of an ALIF layer.
    Alif(AlifState),
    /// θ_t, z_t of a QIF layer.
    Qif(LifState),
}

impl LayerState {
    /// The model the state belongs to.
    pub fn model(&self) -> &'static str {
        match self {
            LayerState::Lif(_) => "lif",
            LayerState::Alif(_) => "alif",
            LayerState::Qif(_) => "qif",
        }
    }

    /// The spikes z_t `[B, n]` of the last step.
    pub fn spikes(&self) -> &Tensor<2> {
        match self {
            LayerState::Lif(s) | LayerState::Qif(s) => &s.z,
            LayerState::Alif(s) => &s.lif.z,
        }
    }

    /// The same state cut from the gradient.
    pub fn detach(self) -> Self {
        match self {
            LayerState::Lif(s) => LayerState::Lif(s.detach()),
            LayerState::Alif(s) => LayerState::Alif(s.detach()),
            LayerState::Qif(s) => LayerState::Qif(s.detach()),
        }
    }
}

/// What a layer produced over a sequence, one `[B, n]` tensor per time step.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// Spikes z_t.
    pub spikes: Vec<Tensor<2>>,
    /// Membrane variables v_t (QIF: θ_t), when requested.
    pub voltages: Option<Vec<Tensor<2>>>,
}

/// How [`Layer::forward`] unrolls a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unroll {
    /// Keep every step's membrane variable in the trace.
    pub record_voltages: bool,
    /// Truncated-BPTT window K in steps (0: full BPTT): the state is detached before every
    /// step t > 0 divisible by K, so that the gradient reaches earlier steps only through the
    /// layer's input.
    pub truncation: usize,
}

/// The LIF membrane of a layer: per-neuron τ and ϑ with the reset rule.
#[derive(Debug, Clone, Copy)]
pub struct LifMembrane<'a> {
    /// Membrane time constants τ `[n]` in steps.
    pub tau: &'a Param<Tensor<1>>,
    /// Thresholds ϑ `[n]` (ALIF: the baseline ϑ).
    pub threshold: &'a Param<Tensor<1>>,
    /// The reset rule.
    pub reset: Reset,
    /// Whether the reset term is excluded from the gradient.
    pub detach_reset: bool,
}

/// Replaces `param`'s tensor by `tensor`, keeping whether it is trained.
pub(crate) fn replace_param<const D: usize>(param: &mut Param<Tensor<D>>, tensor: Tensor<D>) {
    let require_grad = param.val().is_require_grad();
    *param = Param::from_tensor(tensor).set_require_grad(require_grad);
}

/// Steps `cell` over `inputs` from `state` as `unroll` says; returns the trace and the final state.
pub fn unroll<C: RecurrentCell>(cell: &C, inputs: impl IntoIterator<Item = Tensor<2>>, mut state: C::State, unroll: Unroll) -> (LayerTrace, C::State) {
    let mut spikes = Vec::new();
    let mut voltages = unroll.record_voltages.then(Vec::new);
    for (t, x) in inputs.into_iter().enumerate() {
        if unroll.truncation > 0 && t > 0 && t % unroll.truncation == 0 {
            state = C::detach(state);
        }
        state = cell.step(x, &state);
        spikes.push(C::spikes(&state).clone());
        if let Some(v) = voltages.as_mut() {
            v.push(C::membrane(&state).clone());
        }
    }
    (LayerTrace { spikes, voltages }, state)
}

impl Layer {
    /// The model's name.
    pub fn model(&self) -> &'static str {
        match self {
            Layer::Lif(_) => "lif",
            Layer::Alif(_) => "alif",
            Layer::Qif(_) => "qif",
        }
    }

    /// The parameters of the input current, which every model has.
    fn synapses(&self) -> &Lif {
        match self {
            Layer::Lif(l) => l,
            Layer::Alif(a) => &a.lif,
            Layer::Qif(q) => &q.lif,
        }
    }

    fn synapses_mut(&mut self) -> &mut Lif {
        match self {
            Layer::Lif(l) => l,
            Layer::Alif(a) => &mut a.lif,
            Layer::Qif(q) => &mut q.lif,
        }
    }

    /// Number of neurons n.
    pub fn hidden_size(&self) -> usize {
        self.synapses().hidden_size()
    }

    /// Number of inputs n_in.
    pub fn input_size(&self) -> usize {
        self.synapses().input_size()
    }

    /// Input weights W_in `[n_in, n]`.
    pub fn input_weights(&self) -> &Param<Tensor<2>> {
        &self.synapses().w_in
    }

    /// Recurrent weights W_rec `[n, n]` as stored (row = presynaptic; see
    /// [`Layer::masked_recurrent`] for what the dynamics use); `None` for a feed-forward layer.
    pub fn recurrent_weights(&self) -> Option<&Param<Tensor<2>>> {
        self.synapses().w_rec.as_ref()
    }

    /// Whether the layer has recurrent weights (false: feed-forward).
    pub fn is_recurrent(&self) -> bool {
        self.synapses().is_recurrent()
    }

    /// M ⊙ W_rec, the recurrent weights as the dynamics use them; `None` for a feed-forward
    /// layer.
    pub fn masked_recurrent(&self) -> Option<Tensor<2>> {
        self.synapses().masked_recurrent()
    }

    /// M ⊙ W_rec, or the zero matrix of a feed-forward layer (the same dynamics).
    pub fn recurrent_or_zero(&self) -> Tensor<2> {
        let n = self.hidden_size();
        self.masked_recurrent().unwrap_or_else(|| Tensor::zeros([n, n], &self.input_weights().val().device()))
    }

    /// Whether self-connections of W_rec are masked.
    pub fn masks_diagonal(&self) -> bool {
        self.synapses().mask_diagonal
    }

    /// The bias current b `[n]`, when the layer has one.
    pub fn bias(&self) -> Option<&Param<Tensor<1>>> {
        self.synapses().bias.as_ref()
    }

    /// Replaces W_in, keeping whether it is trained.
    pub fn replace_input_weights(&mut self, w: Tensor<2>) {
        replace_param(&mut self.synapses_mut().w_in, w);
    }

    /// Replaces W_rec, keeping whether it is trained; a feed-forward layer keeps none.
    pub fn replace_recurrent_weights(&mut self, w: Tensor<2>) {
        if let Some(w_rec) = self.synapses_mut().w_rec.as_mut() {
            replace_param(w_rec, w);
        }
    }

    /// Replaces the bias b, keeping whether it is trained; a layer without a bias keeps none.
    pub fn replace_bias(&mut self, b: Tensor<1>) {
        if let Some(bias) = self.synapses_mut().bias.as_mut() {
            replace_param(bias, b);
        }
    }

    /// The spike function (forward and surrogate gradient).
    pub fn spike_fn(&self) -> &SpikeFn {
        &self.synapses().spike_fn
    }

    /// Replaces the spike function (e.g. with a per-layer predicted surrogate).
    pub fn set_spike_fn(&mut self, spike_fn: SpikeFn) {
        self.synapses_mut().spike_fn = spike_fn;
    }

    /// The LIF membrane (τ, ϑ, reset) of a LIF or ALIF layer; `None` for QIF.
    pub fn lif_membrane(&self) -> Option<LifMembrane<'_>> {
        let lif = match self {
            Layer::Lif(l) => l,
            Layer::Alif(a) => &a.lif,
            Layer::Qif(_) => return None,
        };
        Some(LifMembrane { tau: &lif.tau, threshold: &lif.threshold, reset: lif.reset, detach_reset: lif.detach_reset })
    }

    /// The LIF layer itself, when the layer is one.
    pub fn as_lif(&self) -> Option<&Lif> {
        match self {
            Layer::Lif(l) => Some(l),
            _ => None,
        }
    }

    /// The zero state of this layer for a batch of `batch` sequences.
    pub fn initial_state(&self, batch: usize) -> LayerState {
        match self {
            Layer::Lif(l) => LayerState::Lif(l.cell().initial_state(batch)),
            Layer::Alif(a) => LayerState::Alif(a.cell().initial_state(batch)),
            Layer::Qif(q) => LayerState::Qif(q.cell().initial_state(batch)),
        }
    }

    /// Runs the layer over `inputs` (one `[B, n_in]` tensor per step) from `state` (the zero
    /// state when `None`); returns the trace and the state after the last step, from which a
    /// following chunk of the sequence continues exactly.
    ///
    /// Each step does its own input matmul, so the backward pass is linear in the number of
    /// steps (slicing one tracked `[T, …]` tensor per step would make it quadratic).
    pub fn forward(&self, inputs: Vec<Tensor<2>>, state: Option<LayerState>, how: Unroll) -> Result<(LayerTrace, LayerState), StateMismatch> {
        let batch = inputs.first().map_or(0, |x| x.dims()[0]);
        let state = state.unwrap_or_else(|| self.initial_state(batch));
        let mismatch = |state: &LayerState| StateMismatch { layer: self.model(), state: state.model() };
        Ok(match (self, state) {
            (Layer::Lif(l), LayerState::Lif(s)) => {
                let (trace, s) = unroll(&l.cell(), inputs, s, how);
                (trace, LayerState::Lif(s))
            }
            (Layer::Alif(a), LayerState::Alif(s)) => {
                let (trace, s) = unroll(&a.cell(), inputs, s, how);
                (trace, LayerState::Alif(s))
            }
            (Layer::Qif(q), LayerState::Qif(s)) => {
                let (trace, s) = unroll(&q.cell(), inputs, s, how);
                (trace, LayerState::Qif(s))
            }
            (_, other) => return Err(mismatch(&other)),
        })
    }

    /// Runs the layer over `inputs` from the zero state (`record_voltages`: keep v_t).
    pub fn run(&self, inputs: Vec<Tensor<2>>, record_voltages: bool) -> LayerTrace {
        let how = Unroll { record_voltages, truncation: 0 };
        self.forward(inputs, None, how).expect("the layer's own zero state").0
    }
}
