//! What a run leaves behind: its configuration, status, per-epoch history and final metrics.
//! `crate::results` turns records into polars tables.

use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::metrics::EvalMetrics;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum RunStatus {
    /// All configured epochs ran.
    Completed,
    /// The validation loss did not improve for `patience` epochs.
    EarlyStopped,
    /// The wall-clock limit was reached.
    TimeLimit,
    /// A NaN or infinite loss or parameter appeared during this epoch (0-based); nothing of
    /// that epoch is recorded.
    Diverged {
        /// The epoch in which it happened.
        epoch: usize,
    },
}

impl RunStatus {
    /// A short name for tables: completed, early-stopped, time-limit, diverged.
    pub fn name(&self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::EarlyStopped => "early-stopped",
            RunStatus::TimeLimit => "time-limit",
            RunStatus::Diverged { .. } => "diverged",
        }
    }

    /// Whether the run diverged.
    pub fn diverged(&self) -> bool {
        matches!(self, RunStatus::Diverged { .. })
    }
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 0-based epoch.
    pub epoch: usize,
    /// Training metrics (the loss is the task loss, without the regulariser).
    pub train: EvalMetrics,
    /// Mean regulariser loss over the epoch's batches (0 when off).
    pub regularizer_loss: f64,
    /// Switch value s(e) at the end of the epoch.
    pub switch: f64,
    /// Validation metrics (absent when the task has no validation part).
    pub validation: Option<EvalMetrics>,
    /// Test metrics of this epoch's weights (with `test_each_epoch`, as the paper logs them).
    pub test: Option<EvalMetrics>,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The configuration, as run.
    pub config: TrainConfig,
    /// How it ended.
    pub status: RunStatus,
    /// Per-layer firing rates on the validation part (else the training part) before training,
    /// after any rate targeting.
    pub initial_rates: Vec<f64>,
    /// Each layer's surrogate as the initialisation applied it (a stability scheme sets γ, β or
    /// q per layer; otherwise the configured one); `None` for escape-noise spikes.
    #[serde(default)]
    pub applied_surrogates: Vec<Option<crate::surrogate::Surrogate>>,
    /// Per-epoch history.
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights were restored for the test (best validation loss).
    pub best_epoch: Option<usize>,
    /// Test metrics with the restored weights (absent when the run diverged).
    pub test: Option<EvalMetrics>,
    /// Wall-clock seconds of the whole run, including time before a resume.
    pub wall_time_s: f64,
    /// The crate version that produced it.
    pub crate_version: String,
}

impl RunRecord {
    /// Validation metrics of the best epoch.
    pub fn best_validation(&self) -> Option<&EvalMetrics> {
        let best = self.best_epoch?;
        self.history.iter().find(|e| e.epoch == best)?.validation.as_ref()
    }

    /// Highest validation accuracy over the epochs (the paper's "validation mode accuracy").
    pub fn max_validation_accuracy(&self) -> Option<f64> {
        self.history.iter().filter_map(|e| e.validation.as_ref().map(|v| v.accuracy)).reduce(f64::max)
    }

    /// Firing rates of the last recorded epoch (training pass).
    pub fn final_rates(&self) -> Option<&[f64]> {
        self.history.last().map(|e| e.train.rates.as_slice())
    }
}
