//! The scale switch and the study folders.

use std::path::PathBuf;

/// Errors of a study.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// An environment variable with a value that is not understood.
    #[error("environment variable {name}={value:?}: expected {expected}")]
    Environment {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is understood.
        expected: &'static str,
    },
    /// Training or its result tables failed.
    #[error(transparent)]
    Train(#[from] crate::train::TrainError),
    /// A statistic failed.
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsError),
    /// A table column was missing or malformed.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    /// A figure could not be made.
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    /// A study name that is not known.
    #[error("unknown {0}")]
    Unknown(String),
    /// A polars operation failed.
    #[error("table: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// A dataset could not be loaded or batched.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A network could not be built or run.
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    /// A backend is not available.
    #[error(transparent)]
    Backend(#[from] crate::BackendError),
    /// A results table could not be built, read or written.
    #[error(transparent)]
    Results(#[from] crate::results::ResultsError),
    /// An initialisation or stability prediction failed.
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
}

/// How big the studies run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Minutes on a CPU: small networks, few epochs, the embedded data.
    #[default]
    Quick,
    /// The papers' sizes (a GPU or a cluster).
    Paper,
}

impl Scale {
    /// From `SGLAB_SCALE` (`quick` when unset).
    pub fn from_env() -> Result<Scale, StudyError> {
        match std::env::var("SGLAB_SCALE") {
            Err(_) => Ok(Scale::Quick),
            Ok(v) => match v.trim() {
                "" | "quick" => Ok(Scale::Quick),
                "paper" => Ok(Scale::Paper),
                _ => Err(StudyError::Environment { name: "SGLAB_SCALE", value: v, expected: "quick or paper" }),
            },
        }
    }

    /// `quick` or `paper`, for file names.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Paper => "paper",
        }
    }
}

/// Whether `SGLAB_RECOMPUTE` asks to rerun cached sweeps (`1`, `true` or `yes`).
pub fn recompute_requested() -> bool {
    std::env::var("SGLAB_RECOMPUTE").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn folder(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default))
}

/// Where study results are cached as parquet: `SGLAB_RESULTS` or `data/results/`.
pub fn results_dir() -> PathBuf {
    folder("SGLAB_RESULTS", "data/results")
}

/// Where figures are written: `SGLAB_FIGURES` or `figures/`.
pub fn figures_dir() -> PathBuf {
    folder("SGLAB_FIGURES", "figures")
}

/// The device of the studies' analyses outside training (predictions, kept networks, slices,
/// Monte-Carlo estimates): the backend named by `SGLAB_BACKEND` (default `flex`). Training runs
/// use the backend of their configuration.
pub fn analysis_device() -> Result<burn::tensor::Device, StudyError> {
    let name = std::env::var("SGLAB_BACKEND").unwrap_or_else(|_| "flex".to_string());
    Ok(crate::device(&name)?)
}
