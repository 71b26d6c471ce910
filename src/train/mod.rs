//! Training: configuration, the loop, metrics, checkpoints, initial-rate targeting, progress and
//! resumable sweeps.
//!
//! [`train`] runs one [`TrainConfig`] to a [`RunRecord`]. The loop is sglab's own (not burn's
//! `Learner`): per epoch a training pass (task loss + optional rate regulariser under its
//! schedule), a validation pass without autodiff graphs, early stopping on the validation loss,
//! a wall-clock limit, and a checkpoint that lets an interrupted run resume; at the end the
//! best-validation weights are restored for the test pass. A NaN or infinite loss or parameter
//! stops the run and marks it diverged; its metrics are never recorded as results.

pub mod adamax;
pub mod arms;
pub mod checkpoint;
pub mod config;
mod decolle;
mod learner;
pub mod memory;
pub mod metrics;
pub mod plateau;
pub mod probe;
pub mod protocol;
pub mod progress;
pub mod record;
pub mod rows;
pub mod sweep;
mod trainer;
pub mod units;
pub mod workers;

pub use config::{Bptt, FluctuationScheme, InitScheme, Method, ModelConfig, Monitor, OptimizerConfig, OptimizerKind, RateTargeting, RunControl, SpikeConfig, StabilityScheme, TaskConfig, TrainConfig};
pub use metrics::EvalMetrics;
pub use progress::ProgressMode;
pub use record::{EpochRecord, RunRecord, RunStatus};
pub use trainer::{RunOptions, evaluate_network, initial_network, load_network, train, train_on, train_with};

use crate::data::DataError;
use crate::network::NetworkError;
use crate::validate::ConfigError;

/// Errors of configuration, data, checkpoints and sweeps. A diverging run is not an error: it
/// is a [`RunStatus::Diverged`] record.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A configuration field with an invalid value.
    #[error("invalid configuration field {0}")]
    Config(#[from] ConfigError),
    /// A configuration that does not parse.
    #[error("cannot parse the configuration: {0}")]
    Parse(String),
    /// Data loading failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Network construction or use failed.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The backend is not available.
    #[error(transparent)]
    Backend(#[from] crate::BackendError),
    /// A file could not be read or written.
    #[error("i/o: {0}")]
    Io(String),
    /// A checkpoint that cannot be used.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A result table problem.
    #[error("results: {0}")]
    Results(String),
    /// The initialisation failed.
    #[error("initialisation: {0}")]
    Init(#[from] crate::init::InitError),
}

impl From<crate::durable::LockError> for TrainError {
    fn from(e: crate::durable::LockError) -> Self {
        TrainError::Io(e.to_string())
    }
}

impl From<crate::results::ResultsError> for TrainError {
    fn from(e: crate::results::ResultsError) -> Self {
        TrainError::Results(e.0)
    }
}

impl TrainError {
    /// A configuration error for `field` (dotted path) with what was expected.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        TrainError::Config(ConfigError::new(field, message))
    }
}
