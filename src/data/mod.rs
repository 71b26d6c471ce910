//! Spike-train datasets: generated, read from disk, split, batched onto a device.
//!
//! Every task is held as a [`SpikeDataset`]: per sample a sparse list of `(step, channel)`
//! spike events and a class label. Batching turns them into time-major `[T, B, N]` tensors.
//!
//! * [`randman`]: the random-manifold spike-timing task of Zenke & Vogels (2021), generated from
//!   a seed — the embedded default for fast studies and tests.
//! * [`slmnist`]: spike-latency MNIST (Herranz-Celotti & Rouat), from MNIST in IDX format; the
//!   crate embeds 10,000 real digits under `data/mnist-10k/`.
//! * [`shd`]: the Spiking Heidelberg Digits from their official HDF5 files (reading them needs the
//!   cargo feature `shd`).
//! * [`idx`]: the IDX file format of MNIST (gzip or raw).
//!
//! Nothing is downloaded: every loader reads local files and says where to get them when they
//! are missing.

pub mod dataset;
pub mod idx;
pub mod randman;
pub mod shd;
pub mod slmnist;

pub use dataset::{Batch, Batches, InputStatistics, SpikeDataset, Splits};

use std::path::PathBuf;

/// Errors of dataset construction, loading and batching.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A dataset's files are not where they were looked for.
    #[error("{what} not found at {path}: {hint}")]
    Missing {
        /// What was looked for.
        what: String,
        /// Where.
        path: PathBuf,
        /// Where to get it and where to put it.
        hint: String,
    },
    /// A file's content does not follow its format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        message: String,
    },
    /// Samples, labels or sizes that do not fit together.
    #[error("invalid dataset: {0}")]
    Invalid(String),
    /// The loader needs a cargo feature this build does not have.
    #[error("{what} needs sglab's cargo feature `{feature}` (build with --features {feature})")]
    FeatureDisabled {
        /// The feature.
        feature: &'static str,
        /// What was attempted.
        what: String,
    },
    /// A parameter out of its range, with its path.
    #[error("invalid parameter {0}")]
    Parameter(#[from] crate::validate::ConfigError),
}

impl DataError {
    pub(crate) fn parameter(name: &'static str, message: impl Into<String>) -> Self {
        DataError::Parameter(crate::validate::ConfigError::new(name, message))
    }

    /// `Ok` for a fraction in [0, 1), else a parameter error naming `name`.
    pub(crate) fn check_fraction(name: &'static str, value: f64) -> Result<(), DataError> {
        if (0.0..1.0).contains(&value) {
            Ok(())
        } else {
            Err(DataError::parameter(name, format!("a fraction in [0, 1), got {value}")))
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::Format { path: path.into(), message: message.into() }
    }
}
