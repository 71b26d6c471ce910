//! A stack of recurrent spiking layers with a linear readout, over time-major input.
//!
//! ```text
//! x [T, B, n_in] ──► layer 1 ──z¹──► layer 2 ──z²──► … ──zᴸ──► logits_t = zᴸ_t·W_out + b_out
//! ```
//!
//! Every layer receives the spikes of the layer below at the same step. The readout is applied
//! to the last layer's spikes at every step, giving logits `[T, B, C]`; the paper's
//! classification loss is the cross-entropy of their time average.

use burn::Tensor;
use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::Device;

use crate::dynamics::LifSpec;
use crate::fused::Execution;
use crate::neuron::{Layer, LayerState, NeuronConfig, StateMismatch, Unroll};
use crate::rng::{derived_seed, rng};
use crate::spike::{Implementation, SpikeConfig, SpikeFn};
use crate::surrogate::Surrogate;
use crate::validate::ConfigError;
use crate::weights::WeightInit;

/// Architecture and initialisation of a [`Network`].
#[derive(Config, Debug, PartialEq)]
pub struct NetworkConfig {
    /// Input channels n_in.
    pub input_size: usize,
    /// Widths of the recurrent layers, bottom to top.
    pub hidden_sizes: Vec<usize>,
    /// Readout size C (classes).
    pub output_size: usize,
    /// The neuron model of every layer.
    #[config(default = "NeuronConfig::default()")]
    pub neuron: NeuronConfig,
    /// The spike of every layer: a surrogate-gradient Heaviside (default: the ∂fast-sigmoid
    /// with γ = β = 1) or escape noise.
    #[config(default = "SpikeConfig::default()")]
    pub spike: SpikeConfig,
    /// Initialiser of the readout weights `[n_L, C]`.
    #[config(default = "WeightInit::GlorotUniform")]
    pub readout_init: WeightInit,
    /// Whether the readout has a (zero-initialised) bias.
    #[config(default = true)]
    pub readout_bias: bool,
    /// Seed of every random draw of the initialisation (and of the escape noise).
    #[config(default = 0)]
    pub seed: u64,
    /// How the layers run ([`Network::with_execution`]).
    #[config(default = "Execution::Fused")]
    pub execution: Execution,
    /// Truncated-BPTT window in steps, 0 for full BPTT ([`Network::with_truncation`]).
    #[config(default = 0)]
    pub truncation: usize,
    /// Dropout rate on every layer's input in training ([`Network::forward_training`]); 0: off.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// Errors of network construction and use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// A layer's configuration is invalid.
    #[error("layer {layer}: {source}")]
    Neuron {
        /// Index of the layer, from 0 at the bottom.
        layer: usize,
        /// What is wrong.
        source: ConfigError,
    },
    /// The state given to continue from does not fit the network.
    #[error("state: {0}")]
    State(String),
    /// The network needs at least one recurrent layer.
    #[error("`hidden_sizes` must list at least one layer width, got an empty list")]
    NoHiddenLayer,
    /// The dropout rate is not in [0, 1).
    #[error("`dropout` must be a rate in [0, 1) (0: no dropout), got {0}")]
    Dropout(f64),
    /// A size is zero.
    #[error("`{field}` must be at least 1, got 0")]
    EmptySize {
        /// The field's name.
        field: &'static str,
    },
    /// The labels do not match the logits.
    #[error("expected {batch} labels, each in 0..{classes}, got {got:?}")]
    Labels {
        /// Batch size of the logits.
        batch: usize,
        /// Number of classes of the logits.
        classes: usize,
        /// The labels given.
        got: Vec<usize>,
    },
    /// The input tensor does not have the shape the network expects.
    #[error("input must be time-major [T, B, {expected_channels}] with T ≥ 1 and B ≥ 1, got {got:?}")]
    InputShape {
        /// The network's input size.
        expected_channels: usize,
        /// The shape given.
        got: [usize; 3],
    },
    /// The escape-noise settings are invalid.
    #[error("stochastic: {0}")]
    Stochastic(ConfigError),
    /// An operation that the network's neuron model does not support.
    #[error("{0}")]
    Unsupported(String),
    /// Weights given for the network do not have its parameters' shapes.
    #[error("weights: {0}")]
    WeightShape(String),
}

/// A stack of recurrent spiking layers and a linear readout.
#[derive(Module, Debug)]
pub struct Network {
    /// The recurrent layers, bottom to top.
    pub layers: Vec<Layer>,
    /// Readout weights `[n_L, C]`.
    pub readout_weight: Param<Tensor<2>>,
    /// Readout bias `[C]`.
    pub readout_bias: Option<Param<Tensor<1>>>,
    /// How the recurrent layers run ([`Network::with_execution`]).
    #[module(skip)]
    pub execution: Execution,
    /// Truncated-BPTT window in steps, 0 for full BPTT ([`Network::with_truncation`]).
    #[module(skip)]
    pub truncation: usize,
    /// Dropout rate on every layer's input in training ([`Network::forward_training`]).
    #[module(skip)]
    pub dropout: f64,
}

/// The state of every layer after a forward pass, from which the next chunk of a sequence
/// continues exactly ([`Network::forward_with_state`]).
#[derive(Debug, Clone)]
pub struct NetworkState {
    /// Each layer's state, bottom to top.
    pub layers: Vec<LayerState>,
}

impl NetworkState {
    /// The same state cut from the gradient (to carry it across chunks without backpropagating
    /// into the previous chunk).
    pub fn detach(self) -> Self {
        NetworkState { layers: self.layers.into_iter().map(LayerState::detach).collect() }
    }
}

/// What a forward pass produced.
#[derive(Debug, Clone)]
pub struct NetworkOutput {
    /// Readout logits at every step `[T, B, C]`.
    pub logits: Tensor<3>,
    /// Each layer's spikes `[T, B, n_l]`, bottom to top.
    pub spikes: Vec<Tensor<3>>,
    /// Each layer's voltages `[T, B, n_l]`, when requested.
    pub voltages: Option<Vec<Tensor<3>>>,
}

impl NetworkConfig {
    /// The same configuration with the surrogate-gradient spike `surrogate` (keeping the
    /// implementation when the spike already was one).
    pub fn with_surrogate(mut self, surrogate: Surrogate) -> Self {
        let implementation = match self.spike {
            SpikeConfig::Surrogate { implementation, .. } => implementation,
            SpikeConfig::Escape(_) => Implementation::default(),
        };
        self.spike = SpikeConfig::Surrogate { surrogate, implementation };
        self
    }

    /// The surrogate of the spike; `None` for escape noise.
    pub fn surrogate(&self) -> Option<Surrogate> {
        self.spike.surrogate_of()
    }
}

impl NetworkConfig {
    /// Builds the network with the configured built-in surrogate.
    pub fn init(&self, device: &Device) -> Result<Network, NetworkError> {
        let spike_fn = self.spike.spike_fn(derived_seed(self.seed, 0xE5C4_9E)).map_err(NetworkError::Stochastic)?;
        self.init_with_spike_fn(spike_fn, device)
    }

    /// Builds the network with any spike function, e.g. a user-defined surrogate or a smooth
    /// forward; `spike` is then ignored.
    pub fn init_with_spike_fn(&self, spike_fn: SpikeFn, device: &Device) -> Result<Network, NetworkError> {
        if self.hidden_sizes.is_empty() {
            return Err(NetworkError::NoHiddenLayer);
        }
        if self.input_size == 0 {
            return Err(NetworkError::EmptySize { field: "input_size" });
        }
        if self.output_size == 0 {
            return Err(NetworkError::EmptySize { field: "output_size" });
        }
        if !crate::dropout::is_rate(self.dropout) {
            return Err(NetworkError::Dropout(self.dropout));
        }
        let mut layers = Vec::with_capacity(self.hidden_sizes.len());
        let mut fan_in = self.input_size;
        for (l, &width) in self.hidden_sizes.iter().enumerate() {
            let layer_seed = derived_seed(self.seed, l as u64 + 1);
            let layer = self
                .neuron
                .init(fan_in, width, spike_fn.clone(), layer_seed, device)
                .map_err(|source| NetworkError::Neuron { layer: l, source })?;
            layers.push(layer);
            fan_in = width;
        }
        let readout = self
            .readout_init
            .tensor(fan_in, self.output_size, &mut rng(self.seed, 0), device);
        Ok(Network {
            layers,
            readout_weight: Param::from_tensor(readout),
            readout_bias: self
                .readout_bias
                .then(|| Param::from_tensor(Tensor::zeros([self.output_size], device))),
            execution: self.execution,
            truncation: self.truncation,
            dropout: self.dropout,
        })
    }
}

impl Network {
    /// Number of input channels.
    pub fn input_size(&self) -> usize {
        self.layers[0].input_size()
    }

    /// Number of readout units.
    pub fn output_size(&self) -> usize {
        self.readout_weight.dims()[1]
    }

    /// Runs the network over `x` `[T, B, n_in]` from the zero state; returns logits and every
    /// layer's spikes.
    pub fn forward(&self, x: Tensor<3>) -> Result<NetworkOutput, NetworkError> {
        Ok(self.run(x, None, false, None)?.0)
    }

    /// As [`Network::forward`] for a training step: every layer's input goes through dropout at
    /// the network's rate ([`crate::dropout`]), its masks drawn from `mask_seed` (stream: the
    /// layer). Equal to [`Network::forward`] when the rate is 0.
    pub fn forward_training(&self, x: Tensor<3>, mask_seed: u64) -> Result<NetworkOutput, NetworkError> {
        Ok(self.run(x, None, false, Some(mask_seed))?.0)
    }

    /// As [`Network::forward`], also returning every layer's voltages.
    pub fn forward_with_voltages(&self, x: Tensor<3>) -> Result<NetworkOutput, NetworkError> {
        Ok(self.run(x, None, true, None)?.0)
    }

    /// Runs the network over `x` `[T, B, n_in]` from `state` (the zero state when `None`) and
    /// returns the output with every layer's state after the last step, so that a long
    /// sequence can be fed in chunks: the chunks' outputs equal those of one pass over the
    /// whole sequence. Runs the per-step path (the fused kernels start from the zero state and
    /// keep no final voltage).
    pub fn forward_with_state(&self, x: Tensor<3>, state: Option<NetworkState>) -> Result<(NetworkOutput, NetworkState), NetworkError> {
        if let Some(s) = &state
            && s.layers.len() != self.layers.len()
        {
            return Err(NetworkError::State(format!("one state per layer ({}), got {}", self.layers.len(), s.layers.len())));
        }
        let (out, state) = self.run(x, Some(state.map(|s| s.layers)), false, None)?;
        Ok((out, state.expect("the per-step path returns the state")))
    }

    /// The same network running its layers as `execution` says (the default is
    /// [`Execution::Fused`]: the fused kernels wherever they apply).
    pub fn with_execution(mut self, execution: Execution) -> Self {
        self.execution = execution;
        self
    }

    /// The same network with dropout at rate `p` on every layer's input in training
    /// ([`Network::forward_training`]).
    ///
    /// # Panics
    /// When `p` is not a rate in [0, 1) (`NetworkConfig::dropout` returns the error instead).
    pub fn with_dropout(mut self, p: f64) -> Self {
        assert!(crate::dropout::is_rate(p), "dropout must be a rate in [0, 1) (0: no dropout), got {p}");
        self.dropout = p;
        self
    }

    /// The same network trained with truncated BPTT of window `steps` (0: full BPTT): the
    /// gradient flows back through a layer's state at most to the start of the current window
    /// of `steps` steps, and further back only through the layers' inputs. Forward values are
    /// unchanged.
    pub fn with_truncation(mut self, steps: usize) -> Self {
        self.truncation = steps;
        self
    }

    /// Whether a forward pass over `x` runs the fused kernels ([`crate::fused`]): every layer is
    /// LIF (or ALIF, on a CPU backend) with a built-in surrogate and a Heaviside forward, `x` is
    /// `f32` on a CPU backend or wgpu, and the network is not set to [`Execution::Reference`].
    pub fn uses_fused(&self, x: &Tensor<3>) -> bool {
        self.fused_specs(x, false).is_some()
    }

    /// The fused kernels' settings for every layer, when all of them can run fused on `x`.
    fn fused_specs(&self, x: &Tensor<3>, record_voltages: bool) -> Option<Vec<LifSpec>> {
        let eligible = self.execution == Execution::Fused
            && !record_voltages
            && x.dtype() == burn::tensor::DType::F32
            && crate::fused::runs_fused(&x.device());
        if !eligible {
            return None;
        }
        let on_host = crate::fused::runs_on_host(&x.device());
        self.layers
            .iter()
            .map(|layer| match layer {
                Layer::Lif(lif) => lif.cell().fused_spec(self.truncation),
                Layer::Alif(alif) if on_host => alif.lif.cell().fused_spec(self.truncation),
                _ => None,
            })
            .collect()
    }

    /// Layer `layer`'s input `[T, B, n]` after dropout, when `mask_seed` asks for a training pass
    /// and the rate is not 0; `input` itself otherwise.
    fn dropped(&self, input: Tensor<3>, layer: usize, mask_seed: Option<u64>) -> Tensor<3> {
        match mask_seed {
            Some(seed) => crate::dropout::apply(input, self.dropout, seed, layer as u64),
            None => input,
        }
    }

    /// The forward pass; with `state` (`Some(None)`: from zero) the per-step path runs and the
    /// final state is returned, otherwise the fused kernels run where they apply; with
    /// `mask_seed`, every layer's input goes through dropout.
    fn run(&self, x: Tensor<3>, state: Option<Option<Vec<LayerState>>>, record_voltages: bool, mask_seed: Option<u64>) -> Result<(NetworkOutput, Option<NetworkState>), NetworkError> {
        let [steps, batch, channels] = x.dims();
        if steps == 0 || batch == 0 || channels != self.input_size() {
            return Err(NetworkError::InputShape {
                expected_channels: self.input_size(),
                got: [steps, batch, channels],
            });
        }
        let mut voltages = record_voltages.then(Vec::new);
        let mut final_state = None;
        let fused = if state.is_none() { self.fused_specs(&x, record_voltages) } else { None };
        let spikes = match fused {
            Some(specs) => {
                let mut spikes: Vec<Tensor<3>> = Vec::with_capacity(self.layers.len());
                for (l, (layer, spec)) in self.layers.iter().zip(specs).enumerate() {
                    let input = self.dropped(spikes.last().cloned().unwrap_or_else(|| x.clone()), l, mask_seed);
                    spikes.push(run_fused(layer, input, spec));
                }
                spikes
            }
            None => {
                let mut given = state.flatten().map(Vec::into_iter);
                let how = Unroll { record_voltages, truncation: self.truncation };
                let steps_of = |t: Tensor<3>| -> Vec<Tensor<2>> { t.iter_dim(0).map(|xt| xt.squeeze_dim(0)).collect() };
                let mut inputs: Vec<Tensor<2>> = steps_of(self.dropped(x.clone(), 0, mask_seed));
                let mut spikes = Vec::with_capacity(self.layers.len());
                let mut states = Vec::with_capacity(self.layers.len());
                for (l, layer) in self.layers.iter().enumerate() {
                    let start = given.as_mut().and_then(Iterator::next);
                    let (trace, end) = layer
                        .forward(inputs, start, how)
                        .map_err(|e: StateMismatch| NetworkError::State(format!("layer {l}: {e}")))?;
                    if let (Some(all), Some(v)) = (voltages.as_mut(), trace.voltages) {
                        all.push(Tensor::stack(v, 0));
                    }
                    let layer_spikes: Tensor<3> = Tensor::stack(trace.spikes.clone(), 0);
                    inputs = match mask_seed {
                        Some(_) if self.dropout != 0.0 && l + 1 < self.layers.len() => steps_of(self.dropped(layer_spikes.clone(), l + 1, mask_seed)),
                        _ => trace.spikes,
                    };
                    spikes.push(layer_spikes);
                    states.push(end);
                }
                final_state = Some(NetworkState { layers: states });
                spikes
            }
        };
        let top: &Tensor<3> = spikes.last().expect("at least one layer");
        let [_, _, width] = top.dims();
        let mut logits = top
            .clone()
            .reshape([steps * batch, width])
            .matmul(self.readout_weight.val());
        if let Some(b) = &self.readout_bias {
            logits = logits + b.val().unsqueeze_dim(0);
        }
        let output = NetworkOutput {
            logits: logits.reshape([steps, batch, self.output_size()]),
            spikes,
            voltages,
        };
        Ok((output, final_state))
    }
}

/// A LIF or ALIF layer's spikes `[T, B, n]` for the input `[T, B, n_in]` through the fused
/// kernels: one (event-driven) input projection for all steps, then the recurrence in one kernel.
fn run_fused(layer: &Layer, x: Tensor<3>, spec: LifSpec) -> Tensor<3> {
    let (cell, adaptation) = match layer {
        Layer::Lif(lif) => (lif.cell(), None),
        Layer::Alif(alif) => (alif.lif.cell(), Some(alif.fused_adaptation())),
        Layer::Qif(_) => unreachable!("fused layers are LIF or ALIF (fused_specs)"),
    };
    let [steps, batch, n_in] = x.dims();
    let (w_in, w_rec) = cell.fused_coefficients();
    let n = w_in.dims()[1];
    let current = crate::fused::project(x.reshape([steps * batch, n_in]), w_in).reshape([steps, batch, n]);
    let [bias, alpha, threshold] = cell.fused_vectors();
    crate::fused::lif_recurrence(current, w_rec, bias, alpha, threshold, adaptation, spec)
}

impl NetworkOutput {
    /// Each layer's mean firing rate over time, batch and neurons (spikes per neuron per step).
    pub fn firing_rates(&self) -> Vec<f64> {
        self.spikes
            .iter()
            .map(|s| s.clone().detach().mean().into_scalar::<f64>())
            .collect()
    }
}

/// Which cross-entropy a classification run minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassificationLoss {
    /// Cross-entropy at every step against the repeated label, averaged over steps (the paper's
    /// Keras loss): −(1/TB) Σ_t Σ_b log softmax(logits_{t,b})[label_b].
    #[default]
    PerStep,
    /// Cross-entropy of the time-averaged logits: −(1/B) Σ_b log softmax(mean_t logits_{t,b})[label_b].
    TimeAveraged,
}

impl ClassificationLoss {
    /// The loss of `logits` `[T, B, C]` against one label per sample.
    pub fn loss(self, logits: Tensor<3>, labels: &[usize]) -> Result<Tensor<1>, NetworkError> {
        match self {
            ClassificationLoss::PerStep => per_step_cross_entropy(logits, labels),
            ClassificationLoss::TimeAveraged => time_averaged_cross_entropy(logits, labels),
        }
    }
}

/// One-hot targets `[B, C]` on `device`, after checking the labels against the logits' shape.
fn one_hot(labels: &[usize], batch: usize, classes: usize, device: &burn::tensor::Device) -> Result<Tensor<2>, NetworkError> {
    if labels.len() != batch || labels.iter().any(|&l| l >= classes) {
        return Err(NetworkError::Labels {
            batch,
            classes,
            got: labels.to_vec(),
        });
    }
    let mut one_hot = vec![0.0f64; batch * classes];
    for (b, &l) in labels.iter().enumerate() {
        one_hot[b * classes + l] = 1.0;
    }
    Ok(Tensor::<2>::from_data(burn::tensor::TensorData::new(one_hot, [batch, classes]), device))
}

/// Cross-entropy of the time-averaged logits (the metric behind the paper's "mode accuracy").
///
/// `logits` is `[T, B, C]`; `labels` holds one class index in `0..C` per sample. With
/// m = mean_t logits_t, the loss is −(1/B) Σ_b log softmax(m_b)[label_b].
pub fn time_averaged_cross_entropy(logits: Tensor<3>, labels: &[usize]) -> Result<Tensor<1>, NetworkError> {
    let [_, batch, classes] = logits.dims();
    let targets = one_hot(labels, batch, classes, &logits.device())?;
    let mean: Tensor<2> = logits.mean_dim(0).squeeze_dim(0);
    Ok(burn::tensor::loss::cross_entropy_with_logits(mean, targets))
}

/// Cross-entropy at every step against the repeated label, averaged over steps and samples
/// (the paper's training loss): −(1/TB) Σ_t Σ_b log softmax(logits_{t,b})[label_b].
pub fn per_step_cross_entropy(logits: Tensor<3>, labels: &[usize]) -> Result<Tensor<1>, NetworkError> {
    let [steps, batch, classes] = logits.dims();
    let targets = one_hot(labels, batch, classes, &logits.device())?
        .unsqueeze_dim::<3>(0)
        .repeat_dim(0, steps)
        .reshape([steps * batch, classes]);
    Ok(burn::tensor::loss::cross_entropy_with_logits(logits.reshape([steps * batch, classes]), targets))
}
