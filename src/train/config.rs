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
use crate::fused::Execution;
use crate::weights::WeightInit;
use crate::init::{InitContext, InitError, Initialiser};
use crate::network::{ClassificationLoss, Network, NetworkConfig};
use crate::neuron::NeuronConfig;
use crate::neuron::decolle::DecolleConfig;
use crate::regularize::RateRegularizer;
use crate::spike::Implementation;
use crate::surrogate::Surrogate;
use crate::validate::{ConfigError, Validate};

pub use crate::init::fluctuation::FluctuationScheme;
pub use crate::init::rate::RateTargeting;
pub use crate::init::stability::StabilityScheme;

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

}

impl Validate for TaskConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let checked = match self {
            TaskConfig::Randman(c) => c.validate(),
            TaskConfig::Slmnist(c) => c.validate(),
            TaskConfig::Shd(c) => c.validate(),
        };
        checked.map_err(|e| match e {
            DataError::Parameter(e) => e,
            other => ConfigError::new("", other.to_string()),
        })
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
    /// `"fused"` (default: the fused CPU kernels where they apply) or `"reference"` (the
    /// per-step path). Left out of the serialised form at its default.
    #[serde(default, skip_serializing_if = "is_default")]
    pub execution: Execution,
    /// Truncated-BPTT window in steps; 0 (default) for full BPTT. Left out of the serialised
    /// form at its default.
    #[serde(default, skip_serializing_if = "is_default")]
    pub truncation: usize,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
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
            execution: Execution::default(),
            truncation: 0,
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
            .with_execution(self.execution)
            .with_truncation(self.truncation)
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

impl Initialiser<Network> for InitScheme {
    /// The configured initialisers leave the drawn network as it is; the others initialise it.
    fn initialise(&self, net: Network, context: &InitContext<'_, NetworkConfig>) -> Result<Network, InitError> {
        match self {
            InitScheme::Configured => Ok(net),
            InitScheme::Stability(s) => s.initialise(net, context),
            InitScheme::Fluctuation(f) => f.initialise(net, context),
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
}

impl Validate for OptimizerConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::positive("lr", self.lr)?;
        crate::validate::non_negative("weight_decay", self.weight_decay)?;
        if self.weight_decay > 0.0 && self.kind == OptimizerKind::Adam {
            return Err(ConfigError::new("weight_decay", "0 for kind = \"adam\": decoupled weight decay needs kind = \"adamw\""));
        }
        for (field, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            crate::validate::in_interval(field, b, 0.0, 1.0)?;
        }
        crate::validate::positive("epsilon", self.epsilon)?;
        if let Some(c) = self.clip_norm {
            crate::validate::positive("clip_norm", c)?;
        }
        Ok(())
    }
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
        config.validate().map_err(TrainError::Config)?;
        Ok(config)
    }

    /// Parses JSON and validates.
    pub fn from_json(text: &str) -> Result<Self, TrainError> {
        let config: TrainConfig = serde_json::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))?;
        config.validate().map_err(TrainError::Config)?;
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

    /// Checks the initialisation scheme's fields (paths relative to `init`).
    fn validate_init(&self) -> Result<(), ConfigError> {
        if matches!(self.model.neuron, crate::neuron::NeuronConfig::Qif(_)) && self.init != InitScheme::Configured {
            return Err(ConfigError::new("", "kind = \"configured\" for QIF neurons: the stability and fluctuation schemes are derived for LIF dynamics"));
        }
        match &self.init {
            InitScheme::Configured => Ok(()),
            InitScheme::Stability(s) => {
                if s.measured_voltages && s.measure_samples == 0 {
                    return Err(ConfigError::new("measure_samples", "at least 1 sample to measure voltages on, got 0"));
                }
                Ok(())
            }
            InitScheme::Fluctuation(f) => {
                crate::validate::positive("xi", f.xi)?;
                for (field, nu) in [("nu", f.nu), ("deeper_nu", f.deeper_nu)] {
                    if let Some(nu) = nu {
                        crate::validate::positive(field, nu)?;
                    }
                }
                if !(f.feedforward_share > 0.0 && f.feedforward_share <= 1.0) {
                    return Err(ConfigError::new("feedforward_share", format!("a share in (0, 1], got {}", f.feedforward_share)));
                }
                let threshold = self.model.neuron.threshold();
                if !(f.mu_u.is_finite() && f.mu_u < threshold) {
                    return Err(ConfigError::new("mu_u", format!("a finite mean below the threshold ϑ = {threshold}, got {}", f.mu_u)));
                }
                Ok(())
            }
        }
    }
}

impl Validate for ModelConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.hidden_sizes.is_empty() || self.hidden_sizes.contains(&0) {
            return Err(ConfigError::new("hidden_sizes", format!("one or more positive widths, got {:?}", self.hidden_sizes)));
        }
        self.neuron.validate().map_err(|e| e.within("neuron"))?;
        if let Some(s) = &self.stochastic {
            s.noise.validate().map_err(|e| e.within("stochastic.noise"))?;
        }
        Ok(())
    }
}

impl Validate for TrainConfig {
    /// Checks every field; the error names it by its path (`optimizer.lr`, `task.units`, …).
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::at_least_one("epochs", self.epochs)?;
        crate::validate::at_least_one("batch_size", self.batch_size)?;
        if let Err(e) = self.backend.parse::<crate::BackendKind>() {
            return Err(ConfigError::new("backend", e.to_string()));
        }
        self.task.validate().map_err(|e| e.within("task"))?;
        self.model.validate().map_err(|e| e.within("model"))?;
        self.optimizer.validate().map_err(|e| e.within("optimizer"))?;
        if let Some(r) = &self.regularizer {
            r.validate().map_err(|e| e.within("regularizer"))?;
        }
        self.validate_init().map_err(|e| e.within("init"))?;
        if let Some(t) = &self.rate_targeting {
            t.validate().map_err(|e| e.within("rate_targeting"))?;
        }
        if let Some(d) = &self.decolle {
            d.validate().map_err(|e| e.within("decolle"))?;
            let bptt_only = [
                ("regularizer", self.regularizer.is_some(), "no entry: DECOLLE controls rates with decolle.rate_control"),
                ("rate_targeting", self.rate_targeting.is_some(), "no entry: DECOLLE starts from LSUV (decolle.lsuv)"),
                ("init", self.init != InitScheme::Configured, "kind = \"configured\": DECOLLE initialises by LSUV (decolle.lsuv)"),
            ];
            if let Some((field, _, message)) = bptt_only.into_iter().find(|(_, set, _)| *set) {
                return Err(ConfigError::new(field, message));
            }
        }
        for (field, value) in [("patience", self.patience), ("train_batches_per_epoch", self.train_batches_per_epoch), ("eval_samples", self.eval_samples)] {
            crate::validate::optional_count(field, value)?;
        }
        if let Some(t) = self.time_limit_s {
            crate::validate::positive("time_limit_s", t)?;
        }
        Ok(())
    }
}
