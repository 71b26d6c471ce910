//! `TrainConfig`: everything one run needs, as typed values — the task, the model (with its
//! spike: a surrogate-gradient Heaviside or escape noise), the learning method (BPTT with its
//! loss, initialisation, regulariser and rate targeting, or DECOLLE's local rule), the optimiser
//! and the run control — loaded from TOML or JSON and validated once, with errors that name the
//! field by its path.
//!
//! Files keep the flat layout of [`file`] (one table per concern, as below); combinations that
//! the types cannot hold (a regulariser beside `[decolle]`, say) are refused when the file is read.
//!
//! ```toml
//! epochs = 20
//! batch_size = 64
//! seed = 3
//! backend = "flex"
//! patience = 5              # stop after 5 epochs without a lower validation loss
//! monitor = "val-loss"      # or "val-accuracy": what picks the best weights and patience watches
//! warmup_epochs = 9         # … counted only from epoch 9, the first with the rate loss fully on
//!
//! [task]
//! name = "randman"          # or "slmnist", "shd"; the task's own fields follow
//! classes = 10
//!
//! [model]
//! hidden_sizes = [128]
//! surrogate = { shape = "fast-sigmoid", dampening = 1.0, sharpness = 1.0 }
//! truncation = 50           # truncated BPTT (0: full); execution = "reference" for the per-step path
//! dropout = 0.3             # on every layer's input in training (0: off)
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
//!
//! In Rust:
//!
//! ```
//! use sglab::train::{Method, TaskConfig, TrainConfig};
//! use sglab::data::randman::RandmanConfig;
//!
//! let mut config = TrainConfig::new(TaskConfig::Randman(RandmanConfig::default()), 20);
//! config.optimizer.lr = 3.16e-4;
//! config.run.seed = 3;
//! if let Method::Bptt(bptt) = &mut config.method {
//!     let schedule = sglab::regularize::Schedule::linear_ramp();
//!     let form = sglab::regularize::RateLoss::Absolute;
//!     bptt.regularizer = Some(sglab::regularize::RateRegularizer { weight: 0.8, target: 0.1, form, schedule });
//! }
//! assert_eq!(TrainConfig::from_toml(&config.to_toml()).unwrap(), config);
//! ```

pub mod file;

use std::path::Path;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer};
use serde::{Deserialize, Serialize};

use super::TrainError;
use crate::data::randman::RandmanConfig;
use crate::data::shd::ShdConfig;
use crate::data::slmnist::SlMnistConfig;
use crate::BackendKind;
use crate::data::{DataError, Splits};
use crate::fused::Execution;
use crate::weights::WeightInit;
use crate::init::{InitContext, InitError, Initialiser};
use crate::network::{ClassificationLoss, Network, NetworkConfig};
use crate::neuron::NeuronConfig;
use crate::neuron::decolle::DecolleConfig;
use crate::regularize::{RateRegularizer, SpikeCountBound};
pub use crate::spike::SpikeConfig;
use crate::validate::{ConfigError, Validate};

pub use crate::init::fluctuation::FluctuationScheme;
pub use crate::init::rate::RateTargeting;
pub use crate::init::stability::StabilityScheme;

/// A complete description of one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "file::TrainFile", into = "file::TrainFile")]
pub struct TrainConfig {
    /// The task and its parameters.
    pub task: TaskConfig,
    /// Network architecture, neuron model and spike.
    pub model: ModelConfig,
    /// How the network learns.
    pub method: Method,
    /// Optimiser and learning rate.
    pub optimizer: OptimizerConfig,
    /// Epochs, batches, seed, backend, stopping.
    pub run: RunControl,
}

/// How the network learns.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Backpropagation through time of a recurrent network ([`crate::network`]).
    Bptt(Bptt),
    /// DECOLLE's local per-step rule on its own layers ([`crate::neuron::decolle`]); the
    /// model's `hidden_sizes` and spike apply, its neuron settings do not.
    Decolle(DecolleConfig),
}

impl Default for Method {
    fn default() -> Self {
        Method::Bptt(Bptt::default())
    }
}

/// The settings of BPTT training.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bptt {
    /// The classification loss (the paper: cross-entropy at every step).
    pub loss: ClassificationLoss,
    /// How the weights are initialised.
    pub init: InitScheme,
    /// Optional firing-rate regulariser with its schedule.
    pub regularizer: Option<RateRegularizer>,
    /// Firing-rate homeostasis: bounds on spike counts, on from the first batch
    /// ([`SpikeCountBound::rossbroich`]); empty for none.
    pub homeostasis: Vec<SpikeCountBound>,
    /// Optional bias-only pre-training to a target initial rate.
    pub rate_targeting: Option<RateTargeting>,
}

/// The validation metric a run selects its best weights by and stops on (Keras' `EarlyStopping`
/// `monitor`); the training set's when there is no validation part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Monitor {
    /// The task loss, lower is better (the default).
    #[default]
    ValLoss,
    /// The accuracy, higher is better: for a loss that does not track accuracy, such as
    /// DECOLLE's SmoothL1 between a fixed random readout and a one-hot target.
    ValAccuracy,
}

impl Monitor {
    /// A score of `metrics` that is lower when better.
    pub fn score(self, metrics: &super::EvalMetrics) -> f64 {
        match self {
            Monitor::ValLoss => metrics.loss,
            Monitor::ValAccuracy => -metrics.accuracy,
        }
    }
}

/// Epochs, batches, seed, backend and the stopping rules of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunControl {
    /// Epochs E: the schedules' time base, and the most epochs the run trains unless
    /// `epoch_limit` says otherwise.
    pub epochs: usize,
    /// The most epochs the run trains when it differs from E (`None`: E). A limit above E lets a
    /// run go on past its schedules' end until patience or the clock stops it, as the paper's
    /// runs do: their nominal E sets the sparsity schedule, and patience ends them.
    pub epoch_limit: Option<usize>,
    /// Training batch size.
    pub batch_size: usize,
    /// Seed of the initialisation and of the batch order.
    pub seed: u64,
    /// Compute backend.
    pub backend: BackendKind,
    /// Stop after this many epochs without a better monitored metric.
    pub patience: Option<usize>,
    /// The validation metric that picks the best weights and that `patience` watches.
    pub monitor: Monitor,
    /// Stop (after the current epoch) once this many seconds of wall-clock time have passed.
    pub time_limit_s: Option<f64>,
    /// Train on at most this many batches per epoch (quick runs).
    pub train_batches_per_epoch: Option<usize>,
    /// Evaluate on at most this many samples of each of validation and test (quick runs).
    pub eval_samples: Option<usize>,
    /// Also evaluate the test part after every epoch (the paper logs it); the final test
    /// metrics always use the restored best weights.
    pub test_each_epoch: bool,
    /// Epochs at the start that are neither candidates for the best weights nor counted by
    /// `patience`: a warm-up during which the monitored loss is not yet the one the run
    /// optimises (e.g. before a scheduled rate loss is switched on), as Keras' `EarlyStopping`
    /// `start_from_epoch`. The best weights are those of the best epoch after it; 0: none.
    pub warmup_epochs: usize,
}

impl RunControl {
    /// `epochs` epochs with the defaults: batch 64, seed 0, flex, no early stopping, every
    /// batch, whole evaluation sets, test every epoch.
    pub fn new(epochs: usize) -> Self {
        RunControl {
            epochs,
            epoch_limit: None,
            batch_size: Self::default_batch_size(),
            seed: 0,
            backend: BackendKind::Flex,
            patience: None,
            monitor: Monitor::default(),
            time_limit_s: None,
            train_batches_per_epoch: None,
            eval_samples: None,
            test_each_epoch: true,
            warmup_epochs: 0,
        }
    }

    pub(crate) fn default_batch_size() -> usize {
        64
    }

    /// The most epochs the run trains: `epoch_limit`, or E.
    pub fn max_epochs(&self) -> usize {
        self.epoch_limit.unwrap_or(self.epochs)
    }
}

impl Validate for RunControl {
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::at_least_one("epochs", self.epochs)?;
        crate::validate::at_least_one("batch_size", self.batch_size)?;
        for (field, value) in [("epoch_limit", self.epoch_limit), ("patience", self.patience), ("train_batches_per_epoch", self.train_batches_per_epoch), ("eval_samples", self.eval_samples)] {
            crate::validate::optional_count(field, value)?;
        }
        if let Some(t) = self.time_limit_s {
            crate::validate::positive("time_limit_s", t)?;
        }
        if self.warmup_epochs >= self.max_epochs() {
            return Err(ConfigError::new("warmup_epochs", format!("fewer warm-up epochs than the {} epochs the run may train, got {}", self.max_epochs(), self.warmup_epochs)));
        }
        Ok(())
    }
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
#[serde(try_from = "file::ModelFile", into = "file::ModelFile")]
pub struct ModelConfig {
    /// Widths of the recurrent layers.
    pub hidden_sizes: Vec<usize>,
    /// Neuron model, reset, τ/ϑ and their learnability, recurrent and input initialisers.
    pub neuron: NeuronConfig,
    /// The spike of every layer.
    pub spike: SpikeConfig,
    /// Initialiser of the readout.
    pub readout_init: WeightInit,
    /// Whether the readout has a bias.
    pub readout_bias: bool,
    /// The fused CPU kernels where they apply (default), or the per-step reference path.
    pub execution: Execution,
    /// Truncated-BPTT window in steps; 0 for full BPTT.
    pub truncation: usize,
    /// Dropout rate p ∈ [0, 1) on every layer's input in training ([`crate::dropout`]); 0: off.
    pub dropout: f64,
}

impl Default for ModelConfig {
    /// The defaults of [`NetworkConfig`], declared there once.
    fn default() -> Self {
        let network = NetworkConfig::new(1, Self::default_hidden_sizes(), 1);
        ModelConfig {
            hidden_sizes: network.hidden_sizes,
            neuron: network.neuron,
            spike: network.spike,
            readout_init: network.readout_init,
            readout_bias: network.readout_bias,
            execution: network.execution,
            truncation: network.truncation,
            dropout: network.dropout,
        }
    }
}

impl ModelConfig {
    pub(crate) fn default_hidden_sizes() -> Vec<usize> {
        vec![128]
    }

    /// The network configuration for a task of `input_size` channels and `output_size` classes.
    pub fn network(&self, input_size: usize, output_size: usize, seed: u64) -> NetworkConfig {
        NetworkConfig::new(input_size, self.hidden_sizes.clone(), output_size)
            .with_neuron(self.neuron.clone())
            .with_spike(self.spike)
            .with_readout_init(self.readout_init)
            .with_readout_bias(self.readout_bias)
            .with_seed(seed)
            .with_execution(self.execution)
            .with_truncation(self.truncation)
            .with_dropout(self.dropout)
    }
}

/// The initialisation scheme, applied to the freshly drawn network before rate targeting.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
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

/// Adam, AdamW or Adamax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba).
    #[default]
    Adam,
    /// Adam with decoupled weight decay (Loshchilov & Hutter).
    AdamW,
    /// Adam's infinity-norm variant, DECOLLE's optimiser ([`super::adamax`]).
    Adamax,
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerConfig {
    /// Adam, AdamW or Adamax.
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
            OptimizerKind::Adamax => {
                let optim = ModuleOptimizer::from(super::adamax::Adamax { beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon });
                match clip {
                    Some(c) => optim.with_grad_clipping(c.init()),
                    None => optim,
                }
            }
        }
    }
}

impl Validate for OptimizerConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        crate::validate::positive("lr", self.lr)?;
        crate::validate::non_negative("weight_decay", self.weight_decay)?;
        if self.weight_decay > 0.0 && self.kind != OptimizerKind::AdamW {
            return Err(ConfigError::new("weight_decay", "0 unless kind = \"adamw\": decoupled weight decay needs kind = \"adamw\""));
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
        TrainConfig { task, model: ModelConfig::default(), method: Method::default(), optimizer: OptimizerConfig::default(), run: RunControl::new(epochs) }
    }

    /// The BPTT settings, when the method is BPTT.
    pub fn bptt(&self) -> Option<&Bptt> {
        match &self.method {
            Method::Bptt(b) => Some(b),
            Method::Decolle(_) => None,
        }
    }

    /// The BPTT settings to change, when the method is BPTT.
    pub fn bptt_mut(&mut self) -> Option<&mut Bptt> {
        match &mut self.method {
            Method::Bptt(b) => Some(b),
            Method::Decolle(_) => None,
        }
    }

    /// The same configuration with seed `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.run.seed = seed;
        self
    }

    /// Parses TOML and validates.
    pub fn from_toml(text: &str) -> Result<Self, TrainError> {
        let written: serde_json::Value = toml::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))?;
        let file: file::TrainFile = toml::from_str(text).map_err(|e| parse_error(e.to_string(), &written))?;
        Self::from_file(file, &written)
    }

    /// Parses JSON and validates.
    pub fn from_json(text: &str) -> Result<Self, TrainError> {
        let written: serde_json::Value = serde_json::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))?;
        let file: file::TrainFile = serde_json::from_str(text).map_err(|e| parse_error(e.to_string(), &written))?;
        Self::from_file(file, &written)
    }

    /// The typed value of a parsed file, validated; a combination the types cannot hold or an
    /// invalid value is a configuration error naming the field, and so is a field written
    /// beside a unit variant's tag ([`crate::validate::field_beside_unit_tag`]) in `written`,
    /// the file as written.
    fn from_file(file: file::TrainFile, written: &serde_json::Value) -> Result<Self, TrainError> {
        let config = TrainConfig::try_from(file).map_err(TrainError::Config)?;
        let parsed = serde_json::to_value(&config).map_err(|e| TrainError::Parse(e.to_string()))?;
        if let Some(path) = crate::validate::field_beside_unit_tag(written, &parsed, "") {
            let (table, key) = path.rsplit_once('.').unwrap_or(("", &path));
            return Err(TrainError::Config(ConfigError::new(path.clone(), format!("no field `{key}`: the `{table}` table of this kind has no fields besides `kind`"))));
        }
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

}

/// A parse error of a configuration file; an unknown field is prefixed with the dotted paths
/// where `written` (the file as written) holds a key of that name, since the parser's message
/// names only the key (and, for TOML, its line).
fn parse_error(message: String, written: &serde_json::Value) -> TrainError {
    fn paths(value: &serde_json::Value, key: &str, here: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = if here.is_empty() { k.clone() } else { format!("{here}.{k}") };
                    if k == key {
                        out.push(path.clone());
                    }
                    paths(v, key, &path, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    paths(v, key, &format!("{here}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let unknown = message.split("unknown field `").nth(1).and_then(|rest| rest.split('`').next());
    let mut found = Vec::new();
    if let Some(key) = unknown {
        paths(written, key, "", &mut found);
    }
    if found.is_empty() {
        TrainError::Parse(message)
    } else {
        TrainError::Parse(format!("{}: {message}", found.join(" or ")))
    }
}

impl Validate for Bptt {
    /// Paths relative to the file's top level (`init.xi`, `regularizer.target`).
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(r) = &self.regularizer {
            r.validate().map_err(|e| e.within("regularizer"))?;
        }
        if let Some(t) = &self.rate_targeting {
            t.validate().map_err(|e| e.within("rate_targeting"))?;
        }
        for (i, bound) in self.homeostasis.iter().enumerate() {
            bound.validate().map_err(|e| e.within(&format!("homeostasis[{i}]")))?;
        }
        match &self.init {
            InitScheme::Configured => Ok(()),
            InitScheme::Stability(s) => s.validate().map_err(|e| e.within("init")),
            InitScheme::Fluctuation(f) => f.validate().map_err(|e| e.within("init")),
        }
    }
}

impl Validate for ModelConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.hidden_sizes.is_empty() || self.hidden_sizes.contains(&0) {
            return Err(ConfigError::new("hidden_sizes", format!("one or more positive widths, got {:?}", self.hidden_sizes)));
        }
        self.neuron.validate().map_err(|e| e.within("neuron"))?;
        if !crate::dropout::is_rate(self.dropout) {
            return Err(ConfigError::new("dropout", format!("a rate in [0, 1) (0: no dropout), got {}", self.dropout)));
        }
        if let SpikeConfig::Escape(s) = &self.spike {
            s.noise.validate().map_err(|e| e.within("stochastic.noise"))?;
        }
        Ok(())
    }
}

impl Validate for TrainConfig {
    /// Checks every field; the error names it by its path in the file (`optimizer.lr`,
    /// `task.units`, `model.neuron.tau`, …).
    fn validate(&self) -> Result<(), ConfigError> {
        self.run.validate()?;
        self.task.validate().map_err(|e| e.within("task"))?;
        self.model.validate().map_err(|e| e.within("model"))?;
        self.optimizer.validate().map_err(|e| e.within("optimizer"))?;
        match &self.method {
            Method::Bptt(bptt) => {
                bptt.validate()?;
                let lif_only = !matches!(bptt.init, InitScheme::Configured) && self.model.neuron.lif_membrane().is_none();
                if lif_only {
                    return Err(ConfigError::new("init", "kind = \"configured\" for QIF neurons: the stability and fluctuation schemes are derived for LIF dynamics"));
                }
                if let InitScheme::Fluctuation(f) = &bptt.init {
                    let threshold = self.model.neuron.threshold();
                    if !(f.mu_u.is_finite() && f.mu_u < threshold) {
                        return Err(ConfigError::new("init.mu_u", format!("a finite mean below the threshold ϑ = {threshold}, got {}", f.mu_u)));
                    }
                }
                Ok(())
            }
            Method::Decolle(_) if self.model.dropout != 0.0 => {
                Err(ConfigError::new("model.dropout", format!("0 with [decolle]: DECOLLE's local rule trains without dropout, got {}", self.model.dropout)))
            }
            Method::Decolle(d) => d.validate().map_err(|e| e.within("decolle")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::escape::StochasticSpec;
    use crate::spike::escape::{EscapeBackward, EscapeNoise};

    fn randman(epochs: usize) -> TrainConfig {
        TrainConfig::new(TaskConfig::Randman(RandmanConfig::default()), epochs)
    }

    #[test]
    fn the_example_configurations_load() {
        for (name, text) in [("randman.toml", include_str!("../../../examples/configs/randman.toml")), ("slmnist.toml", include_str!("../../../examples/configs/slmnist.toml"))] {
            let config = TrainConfig::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(matches!(config.method, Method::Bptt(_)), "{name}");
            assert_eq!(TrainConfig::from_toml(&config.to_toml()).unwrap(), config, "{name} round trip");
        }
    }

    #[test]
    fn typed_configurations_round_trip_through_the_file_layout() {
        let mut escape = randman(2);
        escape.model.spike = SpikeConfig::Escape(StochasticSpec { noise: EscapeNoise::Sigmoid { beta: 10.0 }, backward: EscapeBackward::Matched });
        escape.model.truncation = 25;
        escape.model.execution = Execution::Reference;
        escape.model.dropout = 0.3;
        let mut decolle = randman(2);
        decolle.method = Method::Decolle(DecolleConfig::default());
        decolle.run.backend = BackendKind::Ndarray;
        for config in [randman(3), escape, decolle] {
            assert_eq!(TrainConfig::from_toml(&config.to_toml()).unwrap(), config);
            assert_eq!(TrainConfig::from_json(&serde_json::to_string(&config).unwrap()).unwrap(), config);
        }
    }

    #[test]
    fn settings_at_their_defaults_stay_out_of_the_file() {
        // Run identifiers hash the file layout: a BPTT run writes no [decolle] table, no
        // stochastic spike and no execution or truncation entry unless they are set.
        let text = serde_json::to_string(&randman(1)).unwrap();
        for absent in ["decolle", "stochastic", "execution", "truncation", "dropout"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert!(!text.contains("homeostasis"), "{text}");
        let mut homeostatic = randman(1);
        homeostatic.bptt_mut().unwrap().homeostasis = crate::regularize::SpikeCountBound::rossbroich(7.0);
        homeostatic.optimizer.kind = OptimizerKind::Adamax;
        let file = homeostatic.to_toml();
        assert!(file.contains("[[homeostasis]]") && file.contains("kind = \"adamax\""), "{file}");
        assert_eq!(TrainConfig::from_toml(&file).unwrap(), homeostatic);
        let mut truncated = randman(1);
        truncated.model.truncation = 50;
        assert!(truncated.to_toml().contains("truncation = 50"));
    }

    #[test]
    fn combinations_the_types_cannot_hold_are_refused_by_name() {
        let decolle = {
            let mut c = randman(1);
            c.method = Method::Decolle(DecolleConfig::default());
            c.to_toml()
        };
        assert!(decolle.contains("loss = \"per-step\""), "{decolle}");
        let texts = [(format!("{decolle}\n[regularizer]\nweight = 1.0\ntarget = 0.1\n"), "regularizer"), (decolle.replace("loss = \"per-step\"", "loss = \"time-averaged\""), "loss")];
        for (text, field) in texts {
            let err = TrainConfig::from_toml(&text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{field}`")) && err.contains("[decolle]"), "{field}: {err}");
        }
        let homeostasis = format!("{decolle}\n[[homeostasis]]\nside = \"lower\"\nscope = \"neuron\"\nstrength = 100.0\nthreshold = 0.001\n");
        let err = TrainConfig::from_toml(&homeostasis).unwrap_err().to_string();
        assert!(err.contains("`homeostasis`") && err.contains("[decolle]"), "{err}");
        let stochastic = "epochs = 1\n[task]\nname = \"randman\"\n[model]\nspike_implementation = \"injection\"\nstochastic = { noise = { kind = \"sigmoid\", beta = 10.0 } }\n";
        let err = TrainConfig::from_toml(stochastic).unwrap_err().to_string();
        assert!(err.contains("`model.spike_implementation`"), "{err}");
        let err = TrainConfig::from_toml("epochs = 1\nbackend = \"tpu\"\n[task]\nname = \"randman\"\n").unwrap_err().to_string();
        assert!(err.contains("`backend`"), "{err}");
    }

    #[test]
    fn validation_names_the_field_by_its_path() {
        let path = |c: &TrainConfig| c.validate().unwrap_err().path;
        let mut c = randman(1);
        c.run.epochs = 0;
        assert_eq!(path(&c), "epochs");
        let mut c = randman(1);
        c.model.hidden_sizes = vec![8, 0];
        assert_eq!(path(&c), "model.hidden_sizes");
        let mut c = randman(1);
        c.model.dropout = 1.0;
        assert_eq!(path(&c), "model.dropout", "p = 1 drops every input");
        let mut c = randman(1);
        c.model.dropout = 0.1;
        c.method = Method::Decolle(DecolleConfig::default());
        assert_eq!(path(&c), "model.dropout", "DECOLLE trains without dropout");
        let mut c = randman(1);
        c.bptt_mut().unwrap().init = InitScheme::Fluctuation(FluctuationScheme { xi: -1.0, ..FluctuationScheme::default() });
        assert_eq!(path(&c), "init.xi");
        let mut c = randman(1);
        c.bptt_mut().unwrap().init = InitScheme::Fluctuation(FluctuationScheme { mu_u: 2.0, ..FluctuationScheme::default() });
        assert_eq!(path(&c), "init.mu_u", "above the default threshold 1");
        let mut c = randman(1);
        c.optimizer.beta2 = 1.0;
        assert_eq!(path(&c), "optimizer.beta2");
        let mut c = randman(1);
        c.optimizer.kind = OptimizerKind::Adamax;
        c.optimizer.weight_decay = 0.01;
        assert_eq!(path(&c), "optimizer.weight_decay", "decoupled decay is AdamW's");
        let mut c = randman(1);
        c.bptt_mut().unwrap().homeostasis = crate::regularize::SpikeCountBound::rossbroich(7.0);
        c.bptt_mut().unwrap().homeostasis[1].strength = -0.1;
        assert_eq!(path(&c), "homeostasis[1].strength");
        let mut c = randman(1);
        c.method = Method::Decolle(DecolleConfig { beta: 1.5, ..DecolleConfig::default() });
        assert_eq!(path(&c), "decolle.beta");
        assert!(randman(1).validate().is_ok());
    }
}
