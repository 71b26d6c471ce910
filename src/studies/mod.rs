//! What the study notebooks share: the scale switch (quick for CI and the README, paper for the
//! papers' sizes), where results and figures go, and each study's grid and analysis, so that
//! notebook cells stay thin calls into compiled code.
//!
//! Environment: `SGLAB_SCALE` = `quick` (default) or `paper`; `SGLAB_BACKEND` names the device of
//! the analyses outside training (default `flex`); `SGLAB_RECOMPUTE=1` reruns
//! cached sweeps; `SGLAB_RESULTS` and `SGLAB_FIGURES` override the result and figure folders
//! (default `data/results/` and `figures/` in the crate's directory).

pub mod extensions;
pub mod landscape;
pub mod scale;
pub mod sg_ntk;
pub mod sg_shapes;
pub mod sparsity;
pub mod stability_init;
pub mod stochastic;

pub use scale::{Scale, StudyError, analysis_device, figures_dir, recompute_requested, results_dir};

use std::path::PathBuf;

use polars::prelude::{BooleanChunked, Column, DataFrame, NewChunkedArray};

use crate::results;
use crate::table::{fresh, string_column};
use crate::train::sweep::{SweepSpec, history_path, run_sweep};
use crate::train::{ProgressMode, RunOptions, TrainError};

/// The parquet table `<name>_<scale>.parquet` under [`results_dir`].
pub fn results_path(name: &str, scale: Scale) -> PathBuf {
    results_dir().join(format!("{name}_{}.parquet", scale.name()))
}

/// Runs what is missing of `spec` into `path` (everything with `SGLAB_RECOMPUTE=1`), prints a
/// line about it and returns every run of the table.
pub fn cached_sweep(spec: &SweepSpec, path: &std::path::Path) -> Result<DataFrame, StudyError> {
    if recompute_requested() {
        for p in [path.to_path_buf(), history_path(path)] {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| TrainError::Io(format!("{}: {e}", p.display())))?;
            }
        }
    }
    let options = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let summary = run_sweep(spec, path, None, &options)?;
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    println!("{name}: {} runs ({} trained now, {} cached, {} diverged) in {}", summary.points, summary.ran, summary.skipped, summary.diverged, path.display());
    Ok(fresh(&results::read_parquet(path)?))
}

/// A table computed from other results, cached at `path`: read back when its `key` column
/// holds exactly the values `keys` (the runs or settings it was computed from) and no
/// recomputation is requested, otherwise computed with `compute` and written.
pub fn cached_table(
    path: &std::path::Path,
    key: &str,
    keys: &std::collections::BTreeSet<String>,
    compute: impl FnOnce() -> Result<DataFrame, StudyError>,
) -> Result<DataFrame, StudyError> {
    if path.exists() && !recompute_requested() {
        let table = fresh(&results::read_parquet(path)?);
        let held: std::collections::BTreeSet<String> = string_column(&table, key)?.into_iter().collect();
        if &held == keys {
            return Ok(table);
        }
    }
    let mut table = compute()?;
    results::write_parquet(&mut table, path)?;
    Ok(table)
}

/// A network a sweep kept ([`SweepSpec::keep_models`]), with its run's id, label and seed.
pub struct KeptNetwork {
    /// The run's id.
    pub run_id: String,
    /// The run's value of the label column.
    pub label: String,
    /// The run's seed.
    pub seed: u64,
    /// The trained network.
    pub net: crate::network::Network,
}

/// The trained networks that the sweep `spec` writing `out` kept for the runs in `runs` (in
/// the sweep's order), labelled from `runs`' column `label`, on `device`; also the task's data,
/// loaded once. A run whose model file is missing or corrupt is an error naming the file.
pub fn kept_networks(
    spec: &SweepSpec,
    out: &std::path::Path,
    runs: &DataFrame,
    label: &str,
    device: &burn::tensor::Device,
) -> Result<(Vec<KeptNetwork>, crate::data::Splits), StudyError> {
    let points = spec.points()?;
    let first = points.first().ok_or_else(|| StudyError::Unknown("the sweep has no points".into()))?;
    let splits = first.config.task.load()?;
    let (ids, labels) = (string_column(runs, "run_id")?, string_column(runs, label)?);
    let mut nets = Vec::new();
    for point in &points {
        let run_id = crate::train::rows::config_id(&point.config);
        let Some(row) = ids.iter().position(|i| *i == run_id) else { continue };
        let path = crate::train::sweep::model_path(out, &point.config);
        let net = crate::train::load_network(&point.config, splits.train.channels(), splits.train.classes(), &path, device)?;
        nets.push(KeptNetwork { run_id, label: labels[row].clone(), seed: point.config.seed, net });
    }
    Ok((nets, splits))
}

/// The task studies 04–06 compare their variants on: randman with 5 classes × 200 samples, 20
/// units, 50 steps at quick scale; sl-MNIST at 100 steps at paper scale.
pub fn comparison_task(scale: Scale) -> serde_json::Value {
    match scale {
        Scale::Quick => serde_json::json!({ "name": "randman", "classes": 5, "units": 20, "steps": 50, "alpha": 2.0, "samples_per_class": 200, "seed": 0 }),
        Scale::Paper => serde_json::json!({ "name": "slmnist", "steps": 100 }),
    }
}

/// The hidden width of studies 04–06: 64 at quick scale, 128 at paper scale.
pub fn comparison_width(scale: Scale) -> usize {
    match scale {
        Scale::Quick => 64,
        Scale::Paper => 128,
    }
}

/// The rows of `runs` whose `column` (as text) equals `value`.
pub fn rows_where(runs: &DataFrame, column: &str, value: &str) -> Result<DataFrame, StudyError> {
    let mask: Vec<bool> = string_column(runs, column)?.iter().map(|v| v == value).collect();
    Ok(fresh(&fresh(runs).filter(&BooleanChunked::from_slice("mask".into(), &mask))?))
}

/// Column `name` as text, "null" where a value is missing — everywhere when the column is
/// absent (a results table leaves out a configuration field that is null in every run).
pub fn text_or_null(runs: &DataFrame, name: &str) -> Result<Vec<String>, StudyError> {
    if runs.column(name).is_ok() { Ok(string_column(runs, name)?) } else { Ok(vec!["null".to_string(); runs.height()]) }
}

/// `runs` with a text column `label` naming the target rate in the optional configuration
/// field `target`: "none" where it is absent, "f=<target>" otherwise.
pub fn with_target_label(runs: &DataFrame, target: &str, label: &str) -> Result<DataFrame, StudyError> {
    let labels = text_or_null(runs, target)?.into_iter().map(|t| if t == "null" { "none".to_string() } else { format!("f={t}") }).collect();
    with_text_column(runs, label, labels)
}

/// `runs` with a text column `name` added (or replaced).
pub fn with_text_column(runs: &DataFrame, name: &str, values: Vec<String>) -> Result<DataFrame, StudyError> {
    let mut df = fresh(runs);
    df.with_column(Column::new(name.into(), values))?;
    Ok(fresh(&df))
}

/// The studies [`run_study`] knows, by notebook number and name.
pub const STUDIES: [(&str, &str); 7] =
    [("01", "sg-shapes"), ("02", "stability-init"), ("03", "sparsity"), ("04", "extensions"), ("05", "stochastic"), ("06", "qif-lif"), ("07", "sg-ntk")];

/// Runs (what is missing of) every sweep of the study `name` ("02" or "stability-init", …) at
/// `scale` (and the tables computed from them) and returns the number of rows of each table.
pub fn run_study(name: &str, scale: Scale) -> Result<Vec<(String, usize)>, StudyError> {
    let Some(&(number, long)) = STUDIES.iter().find(|(n, l)| *n == name || *l == name) else {
        let known: Vec<String> = STUDIES.iter().map(|(n, l)| format!("{n} ({l})")).collect();
        return Err(StudyError::Unknown(format!("study {name:?}; known: {}", known.join(", "))));
    };
    let tables: Vec<(String, DataFrame)> = match number {
        "01" => vec![(long.into(), sg_shapes::run(scale)?)],
        "02" => {
            let mut t = vec![("ablation".to_string(), stability_init::run_ablation(scale)?)];
            for p in stability_init::Parameter::ALL {
                t.push((p.name().into(), stability_init::run_parameter_sweep(scale, p)?));
            }
            t
        }
        "03" => vec![(long.into(), sparsity::run(scale)?)],
        "04" => vec![("decolle".into(), extensions::run_decolle(scale)?), ("fluctuation".into(), extensions::run_fluctuation(scale)?)],
        "05" => vec![(long.into(), stochastic::run_training(scale)?)],
        "07" => vec![("ensembles".into(), sg_ntk::run_ensembles(scale)?)],
        "06" => {
            let runs = landscape::run_training(scale)?;
            let slices = landscape::slices(scale, &runs)?;
            let planes = landscape::planes(scale, &runs)?;
            vec![(long.into(), runs), ("slices".into(), slices), ("planes".into(), planes)]
        }
        other => unreachable!("study {other} is listed in STUDIES but has no sweep"),
    };
    Ok(tables.into_iter().map(|(n, df)| (n, df.height())).collect())
}
