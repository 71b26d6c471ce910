//! The scale switch and the study folders.

use std::path::PathBuf;

use crate::train::workers::{RunThreads, Workers};

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
    /// An event-driven network could not be built or trained.
    #[error(transparent)]
    Event(#[from] crate::event::EventError),
}

/// How big the studies run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Minutes on a CPU: small networks, few epochs, the embedded data — a check of the
    /// pipeline, not of a claim.
    #[default]
    Quick,
    /// Every run trained to a plateau (early stopping on the validation loss) at the paper's
    /// operating point, on evaluation sets of at least 1,000 samples (study 07: the paper's
    /// ensembles and step count at the widths that fit), each study's sweep sized to at most
    /// 90 minutes on a 2-core CPU; defined for the studies listed by [`Scale::PLATEAU_STUDIES`].
    Plateau,
    /// The papers' sizes (a GPU or a cluster).
    Paper,
}

/// A study asked for a scale it has no grid for.
pub fn no_grid(study: &str, scale: Scale) -> StudyError {
    StudyError::Unknown(format!("{} grid of study {study}: it defines {}", scale.name(), Scale::defined_for(study).iter().map(|s| s.name()).collect::<Vec<_>>().join(" and ")))
}

impl Scale {
    /// The studies with a plateau-scale grid (by number).
    pub const PLATEAU_STUDIES: [&'static str; 7] = ["01", "02", "03", "04", "05", "06", "07"];

    /// From `SGLAB_SCALE` (`quick` when unset).
    pub fn from_env() -> Result<Scale, StudyError> {
        Scale::from_env_or(Scale::Quick)
    }

    /// From `SGLAB_SCALE`, or `default` when it is unset or empty (a notebook whose claim
    /// needs the plateau scale shows it by default).
    pub fn from_env_or(default: Scale) -> Result<Scale, StudyError> {
        match std::env::var("SGLAB_SCALE") {
            Err(_) => Ok(default),
            Ok(v) => match v.trim() {
                "" => Ok(default),
                other => other.parse().map_err(|_| StudyError::Environment { name: "SGLAB_SCALE", value: v, expected: "quick, plateau or paper" }),
            },
        }
    }

    /// `quick`, `plateau` or `paper`, for file names.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Plateau => "plateau",
            Scale::Paper => "paper",
        }
    }

    /// The scales study `study` (its number, "01" … "07") has grids for.
    pub fn defined_for(study: &str) -> Vec<Scale> {
        if Scale::PLATEAU_STUDIES.contains(&study) { vec![Scale::Quick, Scale::Plateau, Scale::Paper] } else { vec![Scale::Quick, Scale::Paper] }
    }
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "quick" => Ok(Scale::Quick),
            "plateau" => Ok(Scale::Plateau),
            "paper" => Ok(Scale::Paper),
            other => Err(format!("unknown scale {other:?}; expected quick, plateau or paper")),
        }
    }
}

/// Epochs without a lower validation loss after which a plateau-scale run stops.
pub const PLATEAU_PATIENCE: usize = 5;

/// Makes `config` a plateau-scale run: it stops once the validation loss has not improved for
/// [`PLATEAU_PATIENCE`] epochs or after `max_epochs`, and its test set is evaluated once, at the
/// best-validation weights (not after every epoch).
pub fn until_plateau(config: &mut crate::train::TrainConfig, max_epochs: usize) {
    config.run.epochs = max_epochs;
    config.run.patience = Some(PLATEAU_PATIENCE);
    config.run.test_each_epoch = false;
}

/// The dropout of a study's runs at `scale`: the protocol's ([`crate::train::protocol::DROPOUT`])
/// at paper scale; 0 at the quick and plateau scales, which were sized to their budgets and
/// computed without it (protocol docs).
pub fn dropout(scale: Scale) -> f64 {
    match scale {
        Scale::Paper => crate::train::protocol::DROPOUT,
        Scale::Quick | Scale::Plateau => 0.0,
    }
}

/// How a study's (or a sweep file's) runs spread over the cores ([`Workers`]), from
/// `SGLAB_WORKERS` (runs at once) and `SGLAB_RUN_THREADS` (threads per run, or `shared` for the
/// process's pool); without them [`Workers::default`], the layout measured fastest. With
/// `SGLAB_WORKERS` alone, the runs divide the cores between them as the default does
/// ([`Workers::spread`]) or share the pool where the default shares it.
pub fn workers() -> Result<Workers, StudyError> {
    let variable = |name: &'static str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let runs = match variable("SGLAB_WORKERS") {
        None => None,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Some(n),
            _ => return Err(StudyError::Environment { name: "SGLAB_WORKERS", value: v, expected: "a whole number of runs at once, at least 1" }),
        },
    };
    let threads = match variable("SGLAB_RUN_THREADS") {
        None => None,
        Some(v) if v.trim() == "shared" => Some(RunThreads::Shared),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Some(RunThreads::Own(n)),
            _ => return Err(StudyError::Environment { name: "SGLAB_RUN_THREADS", value: v, expected: "a whole number of threads per run, at least 1, or `shared`" }),
        },
    };
    let default = Workers::default();
    Ok(match (runs, threads) {
        (None, None) => default,
        (Some(runs), None) => match default.threads {
            RunThreads::Shared => Workers::shared(runs),
            RunThreads::Own(_) => Workers::spread(runs),
        },
        (runs, Some(threads)) => Workers { runs: runs.unwrap_or(default.runs), threads },
    })
}

/// Whether `SGLAB_RECOMPUTE` asks to rerun cached sweeps (`1`, `true` or `yes`).
pub fn recompute_requested() -> bool {
    std::env::var("SGLAB_RECOMPUTE").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// The parts of a part-by-part study table ([`super::cached_parts`]) this process computes:
/// those whose key contains `SGLAB_PARTS` (e.g. `n=300;` for the width-300 ensembles of study
/// 07), so that the costly parts go to a faster machine and the rest are computed here into
/// the same table; unset or empty: every part.
pub fn part_filter() -> Option<String> {
    std::env::var("SGLAB_PARTS").ok().filter(|v| !v.trim().is_empty())
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

/// Saves a notebook's figure under [`figures_dir`] as `<name>.html` (interactive, sharing one
/// `plotly.min.js`) and, where a Chromium is found ([`crate::plot::chromium`]), as `<name>.svg`
/// and `<name>.png`. Without Chromium the static images are skipped with one line on stderr
/// (the interactive page is still written); any other failure is an error.
pub fn save_figure(figure: &crate::plot::Figure, name: &str) -> Result<(), crate::plot::PlotError> {
    let stem = figures_dir().join(name);
    figure.save_html(figures_dir().join(format!("{name}.html")))?;
    match crate::plot::chromium() {
        Ok(_) => figure.save_static(&stem),
        Err(missing) => {
            static TOLD: std::sync::Once = std::sync::Once::new();
            TOLD.call_once(|| eprintln!("{missing}; writing the interactive HTML figures only"));
            Ok(())
        }
    }
}

/// The device of the studies' analyses outside training (predictions, kept networks, slices,
/// Monte-Carlo estimates): the backend named by `SGLAB_BACKEND` (default `flex`). Training runs
/// use the backend of their configuration.
pub fn analysis_device() -> Result<burn::tensor::Device, StudyError> {
    let name = std::env::var("SGLAB_BACKEND").unwrap_or_else(|_| "flex".to_string());
    Ok(crate::device(&name)?)
}
