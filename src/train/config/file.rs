//! The file layout of a [`TrainConfig`]: the flat TOML/JSON tables that configuration files,
//! sweep grids (dotted paths such as `model.surrogate.shape`) and results tables (one column per
//! field) use. The typed configuration converts from it, refusing combinations the types cannot
//! hold with an error that names the field, and back to it, so that files written before the
//! typed configuration keep loading and a run's identifier (a hash of this layout) is unchanged.
//!
//! | file | typed |
//! |---|---|
//! | `loss`, `init`, `regularizer`, `homeostasis`, `rate_targeting` | `method = Method::Bptt(Bptt { .. })` |
//! | `[decolle]` (and none of the five above) | `method = Method::Decolle(..)` |
//! | `model.surrogate`, `model.spike_implementation` | `model.spike = SpikeConfig::Surrogate { .. }` |
//! | `model.stochastic` | `model.spike = SpikeConfig::Escape(..)` |
//! | `epochs`, `batch_size`, `seed`, `backend`, `patience`, … | `run: RunControl` |

use serde::{Deserialize, Serialize};

use super::{Bptt, InitScheme, Method, ModelConfig, Monitor, OptimizerConfig, RateTargeting, RunControl, SpikeConfig, TaskConfig, TrainConfig};
use crate::BackendKind;
use crate::fused::Execution;
use crate::network::ClassificationLoss;
use crate::neuron::NeuronConfig;
use crate::neuron::decolle::DecolleConfig;
use crate::spike::escape::StochasticSpec;
use crate::regularize::{RateRegularizer, SpikeCountBound};
use crate::spike::Implementation;
use crate::surrogate::Surrogate;
use crate::validate::ConfigError;
use crate::weights::WeightInit;

/// A [`TrainConfig`] as its file lays it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainFile {
    task: TaskConfig,
    #[serde(default)]
    model: ModelConfig,
    #[serde(default)]
    init: InitScheme,
    #[serde(default)]
    optimizer: OptimizerConfig,
    #[serde(default)]
    loss: ClassificationLoss,
    #[serde(default)]
    regularizer: Option<RateRegularizer>,
    #[serde(default)]
    rate_targeting: Option<RateTargeting>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    homeostasis: Vec<SpikeCountBound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decolle: Option<DecolleConfig>,
    epochs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    epoch_limit: Option<usize>,
    #[serde(default = "RunControl::default_batch_size")]
    batch_size: usize,
    #[serde(default)]
    seed: u64,
    #[serde(default = "default_backend")]
    backend: String,
    #[serde(default)]
    patience: Option<usize>,
    #[serde(default, skip_serializing_if = "is_default")]
    monitor: Monitor,
    #[serde(default)]
    time_limit_s: Option<f64>,
    #[serde(default)]
    train_batches_per_epoch: Option<usize>,
    #[serde(default)]
    eval_samples: Option<usize>,
    #[serde(default = "yes")]
    test_each_epoch: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    warmup_epochs: usize,
}

fn default_backend() -> String {
    BackendKind::Flex.name().to_string()
}

fn yes() -> bool {
    true
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl TryFrom<TrainFile> for TrainConfig {
    type Error = ConfigError;

    fn try_from(f: TrainFile) -> Result<Self, ConfigError> {
        let method = match f.decolle {
            None => Method::Bptt(Bptt { loss: f.loss, init: f.init, regularizer: f.regularizer, homeostasis: f.homeostasis, rate_targeting: f.rate_targeting }),
            Some(decolle) => {
                let bptt_only = [
                    ("regularizer", f.regularizer.is_some(), "no entry with [decolle]: DECOLLE controls rates with decolle.rate_control"),
                    ("rate_targeting", f.rate_targeting.is_some(), "no entry with [decolle]: DECOLLE starts from LSUV (decolle.lsuv)"),
                    ("homeostasis", !f.homeostasis.is_empty(), "no entry with [decolle]: DECOLLE controls rates with decolle.rate_control"),
                    ("init", f.init != InitScheme::Configured, "kind = \"configured\" with [decolle]: DECOLLE initialises by LSUV (decolle.lsuv)"),
                    ("loss", f.loss != ClassificationLoss::default(), "no entry with [decolle]: each DECOLLE layer has its own SmoothL1 readout loss"),
                ];
                if let Some((field, _, message)) = bptt_only.into_iter().find(|(_, set, _)| *set) {
                    return Err(ConfigError::new(field, message));
                }
                Method::Decolle(decolle)
            }
        };
        let backend = f.backend.parse::<BackendKind>().map_err(|e| ConfigError::new("backend", e.to_string()))?;
        let run = RunControl {
            epochs: f.epochs,
            epoch_limit: f.epoch_limit,
            batch_size: f.batch_size,
            seed: f.seed,
            backend,
            patience: f.patience,
            monitor: f.monitor,
            time_limit_s: f.time_limit_s,
            train_batches_per_epoch: f.train_batches_per_epoch,
            eval_samples: f.eval_samples,
            test_each_epoch: f.test_each_epoch,
            warmup_epochs: f.warmup_epochs,
        };
        Ok(TrainConfig { task: f.task, model: f.model, method, optimizer: f.optimizer, run })
    }
}

impl From<TrainConfig> for TrainFile {
    fn from(c: TrainConfig) -> Self {
        let (bptt, decolle) = match c.method {
            Method::Bptt(b) => (b, None),
            Method::Decolle(d) => (Bptt::default(), Some(d)),
        };
        let run = c.run;
        TrainFile {
            task: c.task,
            model: c.model,
            init: bptt.init,
            optimizer: c.optimizer,
            loss: bptt.loss,
            regularizer: bptt.regularizer,
            rate_targeting: bptt.rate_targeting,
            homeostasis: bptt.homeostasis,
            decolle,
            epochs: run.epochs,
            epoch_limit: run.epoch_limit,
            batch_size: run.batch_size,
            seed: run.seed,
            backend: run.backend.name().to_string(),
            patience: run.patience,
            monitor: run.monitor,
            time_limit_s: run.time_limit_s,
            train_batches_per_epoch: run.train_batches_per_epoch,
            eval_samples: run.eval_samples,
            test_each_epoch: run.test_each_epoch,
            warmup_epochs: run.warmup_epochs,
        }
    }
}

/// A [`ModelConfig`] as its file lays it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    #[serde(default = "ModelConfig::default_hidden_sizes")]
    hidden_sizes: Vec<usize>,
    #[serde(default)]
    neuron: NeuronConfig,
    #[serde(default)]
    surrogate: Surrogate,
    #[serde(default)]
    spike_implementation: Implementation,
    #[serde(default)]
    readout_init: WeightInit,
    #[serde(default = "yes")]
    readout_bias: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stochastic: Option<StochasticSpec>,
    #[serde(default, skip_serializing_if = "is_default")]
    execution: Execution,
    #[serde(default, skip_serializing_if = "is_default")]
    truncation: usize,
    #[serde(default, skip_serializing_if = "is_default")]
    dropout: f64,
}

impl TryFrom<ModelFile> for ModelConfig {
    type Error = ConfigError;

    /// With `stochastic`, `spike_implementation` must be absent (escape-noise spikes have their
    /// own op); a `surrogate` beside it is ignored, as files written before the typed
    /// configuration carry one (the backward is `stochastic.backward`).
    fn try_from(f: ModelFile) -> Result<Self, ConfigError> {
        let spike = match f.stochastic {
            None => SpikeConfig::Surrogate { surrogate: f.surrogate, implementation: f.spike_implementation },
            Some(spec) => {
                if f.spike_implementation != Implementation::default() {
                    return Err(ConfigError::new("model.spike_implementation", "no entry with model.stochastic: escape-noise spikes have their own op"));
                }
                SpikeConfig::Escape(spec)
            }
        };
        Ok(ModelConfig {
            hidden_sizes: f.hidden_sizes,
            neuron: f.neuron,
            spike,
            readout_init: f.readout_init,
            readout_bias: f.readout_bias,
            execution: f.execution,
            truncation: f.truncation,
            dropout: f.dropout,
        })
    }
}

impl From<ModelConfig> for ModelFile {
    fn from(m: ModelConfig) -> Self {
        let (surrogate, spike_implementation, stochastic) = match m.spike {
            SpikeConfig::Surrogate { surrogate, implementation } => (surrogate, implementation, None),
            SpikeConfig::Escape(spec) => (Surrogate::default(), Implementation::default(), Some(spec)),
        };
        ModelFile {
            hidden_sizes: m.hidden_sizes,
            neuron: m.neuron,
            surrogate,
            spike_implementation,
            readout_init: m.readout_init,
            readout_bias: m.readout_bias,
            stochastic,
            execution: m.execution,
            truncation: m.truncation,
            dropout: m.dropout,
        }
    }
}
