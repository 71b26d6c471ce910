//! `TrainConfig`: everything one run needs, loaded from TOML or JSON and validated with errors
//! that name the field.
//!
//! ```toml
//! epochs = 20
//! batch_size = 64
//! seed = 3
//! backend = "flex"
//!
//! [task]
//! name = "randman"          # or "slmnist", "shd"; the task's own fields follow
//! classes = 10
//!
//! [model]
//! hidden_sizes = [128]
//! surrogate = { shape = "fast-sigmoid", dampening = 1.0, sharpness = 1.0 }
//!
//! [optimizer]
//! kind = "adamw"
//! lr = 3.16e-4
//! weight_decay = 0.01
//! clip_norm = 1.0
//!
//! [regularizer]
//! weight = 0.8
//! target = 0.1
//! schedule = { kind = "linear-ramp", start = 0.2, end = 0.6 }
//! ```

use std::path::Path;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer};
use serde::{Deserialize, Serialize};

use super::TrainError;
use crate::data::randman::RandmanConfig;
use crate::data::shd::ShdConfig;
use crate::data::slmnist::SlMnistConfig;
use crate::data::{DataError, Splits};
use crate::init::WeightInit;
use crate::network::{ClassificationLoss, NetworkConfig};
use crate::neuron::NeuronConfig;
use crate::neuron::decolle::DecolleConfig;
use crate::regularize::RateRegularizer;
use crate::spike::Implementation;
use crate::surrogate::Surrogate;

/// A complete description of one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The task and its parameters.
    pub task: TaskConfig,
    /// Network architecture, neuron model and surrogate.
    #[serde(default)]
    pub model: ModelConfig,
    /// How the weights are initialised.
    #[serde(default)]
    pub init: InitScheme,
    /// Optimiser and learning rate.
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// The classification loss (the paper: cross-entropy at every step).
    #[serde(default)]
    pub loss: ClassificationLoss,
    /// Optional firing-rate regulariser with its schedule.
    #[serde(default)]
    pub regularizer: Option<RateRegularizer>,
    /// Optional bias-only pre-training to a target initial rate.
    #[serde(default)]
    pub rate_targeting: Option<RateTargeting>,
    /// Train a DECOLLE network with its local per-step rule instead of a recurrent network with
    /// BPTT ([`crate::neuron::decolle`]); the model's `hidden_sizes`, `surrogate` and
    /// `spike_implementation` apply, its neuron settings and `loss` do not. (Left out of the
    /// serialised form when absent, so run identifiers of BPTT runs do not depend on it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decolle: Option<DecolleConfig>,
    /// Epochs E (the schedules' time base).
    pub epochs: usize,
    /// Training batch size.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Seed of the initialisation and of the batch order.
    #[serde(default)]
    pub seed: u64,
    /// Compute backend: "flex", "ndarray" or "wgpu".
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Stop after this many epochs without a better validation loss.
    #[serde(default)]
    pub patience: Option<usize>,
    /// Stop (after the current epoch) once this many seconds of wall-clock time have passed.
    #[serde(default)]
    pub time_limit_s: Option<f64>,
    /// Train on at most this many batches per epoch (quick runs).
    #[serde(default)]
    pub train_batches_per_epoch: Option<usize>,
    /// Evaluate on at most this many samples of each of validation and test (quick runs).
    #[serde(default)]
    pub eval_samples: Option<usize>,
    /// Also evaluate the test part after every epoch (the paper logs it); the final test
    /// metrics always use the restored best weights.
    #[serde(default = "yes")]
    pub test_each_epoch: bool,
}

fn default_batch_size() -> usize {
    64
}

fn default_backend() -> String {
    "flex".into()
}

/// The task, tagged by `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum TaskConfig {
    /// The random-manifold timing task, generated.
    Randman(RandmanConfig),
    /// Spike-latency MNIST (embedded digits unless `dir` is given).
    Slmnist(SlMnistConfig),
    /// Spiking Heidelberg Digits (needs the `shd` feature and the files).
    Shd(ShdConfig),
}

impl TaskConfig {
    /// The short name used in result tables.
    pub fn name(&self) -> &'static str {
        match self {
            TaskConfig::Randman(_) => "randman",
            TaskConfig::Slmnist(_) => "slmnist",
            TaskConfig::Shd(_) => "shd",
        }
    }

    /// Generates or reads the task's splits.
    pub fn load(&self) -> Result<Splits, DataError> {
        match self {
            TaskConfig::Randman(c) => c.splits(),
            TaskConfig::Slmnist(c) => crate::data::slmnist::load(c),
            TaskConfig::Shd(c) => crate::data::shd::load(c),
        }
    }

    fn validate(&self) -> Result<(), DataError> {
        match self {
            TaskConfig::Randman(c) => c.validate(),
            TaskConfig::Slmnist(c) => c.validate(),
            TaskConfig::Shd(c) => c.validate(),
        }
    }
}

/// Architecture of the network; the input and output sizes come from the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Widths of the recurrent layers.
    #[serde(default = "default_hidden")]
    pub hidden_sizes: Vec<usize>,
    /// Neuron model, reset, τ/ϑ and their learnability, recurrent and input initialisers.
    #[serde(default)]
    pub neuron: NeuronConfig,
    /// The surrogate gradient.
    #[serde(default)]
    pub surrogate: Surrogate,
    /// How the surrogate gradient is attached.
    #[serde(default)]
    pub spike_implementation: Implementation,
    /// Initialiser of the readout.
    #[serde(default)]
    pub readout_init: WeightInit,
    /// Whether the readout has a bias.
    #[serde(default = "yes")]
    pub readout_bias: bool,
    /// Stochastic spikes with escape noise in every layer (`surrogate` is then unused; the
    /// backward is `stochastic.backward`). Left out of the serialised form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stochastic: Option<crate::neuron::stochastic::StochasticSpec>,
}

fn default_hidden() -> Vec<usize> {
    vec![128]
}

fn yes() -> bool {
    true
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            hidden_sizes: default_hidden(),
            neuron: NeuronConfig::default(),
            surrogate: Surrogate::default(),
            spike_implementation: Implementation::default(),
            readout_init: WeightInit::default(),
            readout_bias: true,
            stochastic: None,
        }
    }
}

impl ModelConfig {
    /// The network configuration for a task of `input_size` channels and `output_size` classes.
    pub fn network(&self, input_size: usize, output_size: usize, seed: u64) -> NetworkConfig {
        NetworkConfig::new(input_size, self.hidden_sizes.clone(), output_size)
            .with_neuron(self.neuron.clone())
            .with_surrogate(self.surrogate)
            .with_spike_implementation(self.spike_implementation)
            .with_readout_init(self.readout_init)
            .with_readout_bias(self.readout_bias)
            .with_seed(seed)
            .with_stochastic(self.stochastic)
    }
}

/// The initialisation scheme, applied to the freshly drawn network before rate targeting.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum InitScheme {
    /// The per-matrix initialisers of the model configuration (Glorot, He, orthogonal, …).
    #[default]
    Configured,
    /// Herranz-Celotti & Rouat's conditions ([`crate::init::stability`]): recurrent weights
    /// from I–II, the surrogate's γ from III and β or q from IV, for the conditions switched on.
    Stability(StabilityScheme),
    /// Fluctuation-driven weights ([`crate::init::fluctuation`]) for the input and recurrent
    /// projections of every layer.
    Fluctuation(FluctuationScheme),
}

/// Settings of [`InitScheme::Stability`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StabilityScheme {
    /// The conditions that set the initialisation (all four by default).
    pub conditions: crate::init::stability::Conditions,
    /// Solve Condition IV over voltages measured on the first `measure_samples` training
    /// samples at this initialisation, rather than the paper's uniform extreme-range model.
    pub measured_voltages: bool,
    /// Training samples of the measuring batch.
    pub measure_samples: usize,
}

impl Default for StabilityScheme {
    fn default() -> Self {
        StabilityScheme { conditions: crate::init::stability::Conditions::ALL, measured_voltages: false, measure_samples: 16 }
    }
}

/// Settings of [`InitScheme::Fluctuation`]. The PSP kernel is the LIF layer's (α = e^{−1/τ}
/// per step) and the threshold the neuron's ϑ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FluctuationScheme {
    /// Target mean membrane potential μ_U (the `centred` variant; the others fix it at ϑ).
    pub mu_u: f64,
    /// ξ = (ϑ − μ_U)/σ_U.
    pub xi: f64,
    /// Presynaptic rate ν of the first layer in spikes per step; `None`: the training data's
    /// mean input (its μ_x).
    pub nu: Option<f64>,
    /// ν of the deeper layers; `None`: the first layer's (as stork does).
    pub deeper_nu: Option<f64>,
    /// Share of the variance budget for the feed-forward projection (0.9 in stork).
    pub feedforward_share: f64,
    /// Centred (stork), mean-at-threshold (`muchange`) or unit rates (`ν = ε = 1`).
    pub variant: crate::init::fluctuation::FluctuationVariant,
}

impl Default for FluctuationScheme {
    fn default() -> Self {
        FluctuationScheme {
            mu_u: 0.0,
            xi: 1.0,
            nu: None,
            deeper_nu: None,
            feedforward_share: 0.9,
            variant: crate::init::fluctuation::FluctuationVariant::Centred,
        }
    }
}

/// Adam or AdamW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba).
    #[default]
    Adam,
    /// Adam with decoupled weight decay (Loshchilov & Hutter).
    AdamW,
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerConfig {
    /// Adam or AdamW.
    pub kind: OptimizerKind,
    /// Learning rate (constant).
    pub lr: f64,
    /// Decoupled weight decay (AdamW only).
    pub weight_decay: f64,
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε.
    pub epsilon: f64,
    /// Clip each parameter's gradient to this L2 norm (Keras `clipnorm`; the paper: 1).
    pub clip_norm: Option<f64>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Adam,
            lr: 1e-3,
            weight_decay: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            clip_norm: None,
        }
    }
}

impl OptimizerConfig {
    /// The burn optimiser.
    pub fn init(&self) -> ModuleOptimizer {
        let clip = self.clip_norm.map(|n| GradientClippingConfig::Norm(n as f32));
        match self.kind {
            OptimizerKind::Adam => AdamConfig::new()
                .with_beta_1(self.beta1 as f32)
                .with_beta_2(self.beta2 as f32)
                .with_epsilon(self.epsilon as f32)
                .with_grad_clipping(clip)
                .init(),
            OptimizerKind::AdamW => AdamWConfig::new()
                .with_beta_1(self.beta1 as f32)
                .with_beta_2(self.beta2 as f32)
                .with_epsilon(self.epsilon as f32)
                .with_weight_decay(self.weight_decay as f32)
                .with_grad_clipping(clip)
                .init(),
        }
    }

    fn validate(&self) -> Result<(), TrainError> {
        let bad = |field: &'static str, message: String| Err(TrainError::config(format!("optimizer.{field}"), message));
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("lr", format!("a finite learning rate > 0, got {}", self.lr));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return bad("weight_decay", format!("a finite decay ≥ 0, got {}", self.weight_decay));
        }
        if self.weight_decay > 0.0 && self.kind == OptimizerKind::Adam {
            return bad("weight_decay", "decoupled weight decay needs kind = \"adamw\"".into());
        }
        for (field, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return bad(field, format!("a value in [0, 1), got {b}"));
            }
        }
        if !(self.epsilon > 0.0) {
            return bad("epsilon", format!("a value > 0, got {}", self.epsilon));
        }
        if let Some(c) = self.clip_norm
            && !(c > 0.0 && c.is_finite())
        {
            return bad("clip_norm", format!("a finite norm > 0, got {c}"));
        }
        Ok(())
    }
}

/// Bias-only pre-training to a target initial firing rate (stable_spike.md §5.3): only the
/// recurrent layers' biases learn, with Adam at `lr`, for `epochs` epochs, on the loss
/// Σ_l (z̄^{(l)} − rate)².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTargeting {
    /// Target rate r of every layer.
    pub rate: f64,
    /// Epochs of bias training (the paper: 15).
    #[serde(default = "default_targeting_epochs")]
    pub epochs: usize,
    /// Learning rate of the bias training (default 0.1: a bias must move by about ϑ to take a
    /// silent layer to r = 0.9 within 15 epochs).
    #[serde(default = "default_targeting_lr")]
    pub lr: f64,
}

fn default_targeting_epochs() -> usize {
    15
}

fn default_targeting_lr() -> f64 {
    0.1
}

impl TrainConfig {
    /// A configuration with defaults everywhere but the task and the epochs.
    pub fn new(task: TaskConfig, epochs: usize) -> Self {
        TrainConfig {
            task,
            model: ModelConfig::default(),
            init: InitScheme::default(),
            optimizer: OptimizerConfig::default(),
            loss: ClassificationLoss::default(),
            regularizer: None,
            rate_targeting: None,
            decolle: None,
            epochs,
            batch_size: default_batch_size(),
            seed: 0,
            backend: default_backend(),
            patience: None,
            time_limit_s: None,
            train_batches_per_epoch: None,
            eval_samples: None,
            test_each_epoch: true,
        }
    }

    /// Parses TOML and validates.
    pub fn from_toml(text: &str) -> Result<Self, TrainError> {
        let config: TrainConfig = toml::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses JSON and validates.
    pub fn from_json(text: &str) -> Result<Self, TrainError> {
        let config: TrainConfig = serde_json::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a `.toml` or `.json` file and validates.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
        let parsed = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::from_toml(&text),
            Some("json") => Self::from_json(&text),
            _ => return Err(TrainError::Parse(format!("{}: expected a .toml or .json file", path.display()))),
        };
        parsed.map_err(|e| match e {
            TrainError::Parse(m) => TrainError::Parse(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// The configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a TrainConfig serialises to TOML")
    }

    /// Checks the initialisation scheme's fields.
    fn validate_init(&self) -> Result<(), TrainError> {
        if matches!(self.model.neuron, crate::neuron::NeuronConfig::Qif(_)) && self.init != InitScheme::Configured {
            return Err(TrainError::config("init", "kind = \"configured\" for QIF neurons: the stability and fluctuation schemes are derived for LIF dynamics"));
        }
        match &self.init {
            InitScheme::Configured => Ok(()),
            InitScheme::Stability(s) => {
                if s.measured_voltages && s.measure_samples == 0 {
                    return Err(TrainError::config("init.measure_samples", "at least 1 sample to measure voltages on, got 0"));
                }
                Ok(())
            }
            InitScheme::Fluctuation(f) => {
                if !(f.xi > 0.0 && f.xi.is_finite()) {
                    return Err(TrainError::config("init.xi", format!("a finite ξ > 0, got {}", f.xi)));
                }
                for (field, nu) in [("init.nu", f.nu), ("init.deeper_nu", f.deeper_nu)] {
                    if let Some(nu) = nu
                        && !(nu > 0.0 && nu.is_finite())
                    {
                        return Err(TrainError::config(field, format!("a finite rate > 0 spikes per step, got {nu}")));
                    }
                }
                if !(f.feedforward_share > 0.0 && f.feedforward_share <= 1.0) {
                    return Err(TrainError::config("init.feedforward_share", format!("a share in (0, 1], got {}", f.feedforward_share)));
                }
                let threshold = match &self.model.neuron {
                    crate::neuron::NeuronConfig::Lif(c) => c.threshold,
                    crate::neuron::NeuronConfig::Alif(c) => c.lif.threshold,
                    crate::neuron::NeuronConfig::Qif(c) => c.lif.threshold,
                };
                if !(f.mu_u.is_finite() && f.mu_u < threshold) {
                    return Err(TrainError::config("init.mu_u", format!("a finite mean below the threshold ϑ = {threshold}, got {}", f.mu_u)));
                }
                Ok(())
            }
        }
    }

    /// Checks every field; the error names it (`optimizer.lr`, `task.units`, …).
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.epochs == 0 {
            return Err(TrainError::config("epochs", "at least 1 epoch, got 0"));
        }
        if self.batch_size == 0 {
            return Err(TrainError::config("batch_size", "at least 1 sample per batch, got 0"));
        }
        if let Err(e) = self.backend.parse::<crate::BackendKind>() {
            return Err(TrainError::config("backend", e.to_string()));
        }
        self.task.validate().map_err(|e| match e {
            DataError::Parameter { name, message } => TrainError::config(format!("task.{name}"), message),
            other => TrainError::config("task", other.to_string()),
        })?;
        if self.model.hidden_sizes.is_empty() || self.model.hidden_sizes.contains(&0) {
            return Err(TrainError::config(
                "model.hidden_sizes",
                format!("one or more positive widths, got {:?}", self.model.hidden_sizes),
            ));
        }
        self.model
            .neuron
            .validate()
            .map_err(|e| TrainError::config("model.neuron", e.to_string()))?;
        if let Some(s) = &self.model.stochastic {
            s.noise.validate().map_err(|m| TrainError::config("model.stochastic.noise", m))?;
        }
        self.optimizer.validate()?;
        if let Some(r) = &self.regularizer {
            r.validate().map_err(|(field, m)| TrainError::config(format!("regularizer.{field}"), m))?;
        }
        self.validate_init()?;
        if let Some(t) = &self.rate_targeting {
            if !(t.rate > 0.0 && t.rate < 1.0) {
                return Err(TrainError::config("rate_targeting.rate", format!("a rate in (0, 1), got {}", t.rate)));
            }
            if t.epochs == 0 {
                return Err(TrainError::config("rate_targeting.epochs", "at least 1 epoch, got 0"));
            }
            if !(t.lr > 0.0 && t.lr.is_finite()) {
                return Err(TrainError::config("rate_targeting.lr", format!("a finite rate > 0, got {}", t.lr)));
            }
        }
        if let Some(d) = &self.decolle {
            d.validate().map_err(|e| TrainError::config("decolle", e.to_string()))?;
            let bptt_only = [
                ("regularizer", self.regularizer.is_some(), "no entry: DECOLLE controls rates with decolle.rate_control"),
                ("rate_targeting", self.rate_targeting.is_some(), "no entry: DECOLLE starts from LSUV (decolle.lsuv)"),
                ("init", self.init != InitScheme::Configured, "kind = \"configured\": DECOLLE initialises by LSUV (decolle.lsuv)"),
            ];
            if let Some((field, _, message)) = bptt_only.into_iter().find(|(_, set, _)| *set) {
                return Err(TrainError::config(field, message));
            }
        }
        for (field, value) in [("patience", self.patience), ("train_batches_per_epoch", self.train_batches_per_epoch), ("eval_samples", self.eval_samples)] {
            if value == Some(0) {
                return Err(TrainError::config(field, "a positive count or no entry, got 0"));
            }
        }
        if let Some(t) = self.time_limit_s
            && !(t > 0.0)
        {
            return Err(TrainError::config("time_limit_s", format!("a positive number of seconds, got {t}")));
        }
        Ok(())
    }
}
