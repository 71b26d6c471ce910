//! What the study notebooks share: the scale switch (quick for CI and the README, paper for the
//! papers' sizes), where results and figures go, and each study's grid and analysis, so that
//! notebook cells stay thin calls into compiled code.
//!
//! Environment: `SGLAB_SCALE` = `quick` (default), `plateau` or `paper`; `SGLAB_WORKERS` runs
//! trained at once and `SGLAB_RUN_THREADS` the threads of each ([`workers`]); `SGLAB_BACKEND` names the device of
//! the analyses outside training (default `flex`); `SGLAB_RECOMPUTE=1` reruns
//! cached sweeps; `SGLAB_RESULTS` and `SGLAB_FIGURES` override the result and figure folders
//! (default `data/results/` and `figures/` in the crate's directory).

pub mod exact_gradients;
pub mod extensions;
pub mod landscape;
pub mod scale;
pub mod sg_ntk;
pub mod sg_shapes;
pub mod sparsity;
pub mod spike_matching;
pub mod stability_init;
pub mod stochastic;
pub mod work;

pub use scale::{Scale, StudyError, analysis_device, figures_dir, part_filter, save_figure, recompute_requested, results_dir, workers};

use std::path::PathBuf;

use polars::prelude::{BooleanChunked, Column, DataFrame, NewChunkedArray};

use crate::results;
use crate::table::{fresh, string_column};
use crate::train::arms::{ArmLabel, ArmRun, ArmSweep};
use crate::train::sweep::history_path;
use crate::train::{ProgressMode, RunOptions, TaskConfig, TrainError};

/// How far the runs of `sweep` (finished in the table at `path`, its history beside it) were
/// trained, per arm: `label`, `runs`, `at_plateau` (runs meeting [`crate::train::plateau`]'s
/// rule), `diverged`, `median_epochs`, `median_best_epoch` (0-based), `mean_test_accuracy`.
pub fn regime<L: ArmLabel>(sweep: &ArmSweep<L>, path: &std::path::Path) -> Result<DataFrame, StudyError> {
    let table = results::read_parquet(path)?;
    let runs = sweep.results(&table)?;
    let history = sweep.history(&results::read_parquet(&history_path(path))?)?;
    let (ids, accuracy) = (string_column(&history, "run_id")?, crate::table::optional_f64_column(&history, "val_accuracy")?);
    let epochs_of = |run_id: &str| -> Vec<f64> { (0..ids.len()).filter(|&i| ids[i] == run_id).filter_map(|i| accuracy[i]).collect() };
    let configured: std::collections::HashMap<String, usize> = sweep.points().into_iter().map(|p| (p.run_id, p.config.run.epochs)).collect();
    let (best_epochs, table_ids) = (crate::table::optional_f64_column(&table, "best_epoch")?, string_column(&table, "run_id")?);
    let median = |mut v: Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
    };
    let labels = crate::table::distinct(&runs.iter().map(|r| r.label.to_string()).collect::<Vec<_>>());
    let (mut label_col, mut count, mut plateau, mut diverged, mut epochs, mut best, mut test) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for label in labels {
        let of_arm: Vec<&ArmRun<L>> = runs.iter().filter(|r| r.label.to_string() == label).collect();
        let at = of_arm
            .iter()
            .filter(|r| {
                let stopped_early = !r.metrics.diverged && r.metrics.epochs_run < configured.get(&r.run_id).copied().unwrap_or(usize::MAX);
                !r.metrics.diverged && crate::train::plateau::at_plateau(&epochs_of(&r.run_id), stopped_early)
            })
            .count();
        let best_of = |r: &&ArmRun<L>| table_ids.iter().position(|i| *i == r.run_id).and_then(|k| best_epochs[k]);
        let tests: Vec<f64> = of_arm.iter().filter_map(|r| r.metrics.test_accuracy).collect();
        label_col.push(label);
        count.push(of_arm.len() as u64);
        plateau.push(at as u64);
        diverged.push(of_arm.iter().filter(|r| r.metrics.diverged).count() as u64);
        epochs.push(median(of_arm.iter().map(|r| r.metrics.epochs_run as f64).collect()));
        best.push(median(of_arm.iter().filter_map(best_of).collect()));
        test.push(if tests.is_empty() { f64::NAN } else { crate::stats::mean(&tests) });
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("label".into(), label_col),
        Column::new("runs".into(), count),
        Column::new("at_plateau".into(), plateau),
        Column::new("diverged".into(), diverged),
        Column::new("median_epochs".into(), epochs),
        Column::new("median_best_epoch".into(), best),
        Column::new("mean_test_accuracy".into(), test),
    ])?))
}

/// The mean validation accuracy per arm and epoch over the runs of `sweep` that reached that
/// epoch (runs stop at different epochs under patience): columns `label`, `epoch`,
/// `val_accuracy`, `runs`, for [`crate::plot::training_curves`].
pub fn mean_curves<L: ArmLabel>(sweep: &ArmSweep<L>, path: &std::path::Path) -> Result<DataFrame, StudyError> {
    let history = sweep.history(&results::read_parquet(&history_path(path))?)?;
    let (labels, epochs) = (string_column(&history, "label")?, crate::table::f64_column(&history, "epoch")?);
    let accuracy = crate::table::optional_f64_column(&history, "val_accuracy")?;
    let mut cells: std::collections::BTreeMap<(String, u64), (f64, u64)> = std::collections::BTreeMap::new();
    for i in 0..labels.len() {
        if let Some(a) = accuracy[i] {
            let cell = cells.entry((labels[i].clone(), epochs[i] as u64)).or_default();
            cell.0 += a;
            cell.1 += 1;
        }
    }
    let (mut l, mut e, mut v, mut n) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((label, epoch), (sum, count)) in cells {
        l.push(label);
        e.push(epoch as f64);
        v.push(sum / count as f64);
        n.push(count);
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("label".into(), l),
        Column::new("epoch".into(), e),
        Column::new("val_accuracy".into(), v),
        Column::new("runs".into(), n),
    ])?))
}

/// The rows of `runs` that did not diverge: a diverged run keeps the metrics of the epochs
/// before it failed, which say nothing about what its arm reaches, so comparisons leave it out
/// (paired tests then pair the seeds where both arms finished).
pub fn finished(runs: &DataFrame) -> Result<DataFrame, StudyError> {
    if runs.column("diverged").is_err() {
        return Ok(fresh(runs));
    }
    let keep: Vec<bool> = crate::table::f64_column(runs, "diverged")?.iter().map(|d| *d == 0.0).collect();
    Ok(fresh(&fresh(runs).filter(&BooleanChunked::from_slice("finished".into(), &keep))?))
}

/// The parquet table `<name>_<scale>.parquet` under [`results_dir`].
pub fn results_path(name: &str, scale: Scale) -> PathBuf {
    results_dir().join(format!("{name}_{}.parquet", scale.name()))
}

/// Runs what is missing of the arm sweep `sweep` into `path` (everything with
/// `SGLAB_RECOMPUTE=1`), prints a line about it and returns the sweep's runs as typed rows, in
/// the sweep's order.
pub fn arm_runs<L: ArmLabel>(sweep: &ArmSweep<L>, path: &std::path::Path) -> Result<Vec<ArmRun<L>>, StudyError> {
    if recompute_requested() {
        for p in [path.to_path_buf(), history_path(path)] {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| TrainError::Io(format!("{}: {e}", p.display())))?;
            }
        }
    }
    let options = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let summary = sweep.run_with_workers(path, &options, scale::workers()?)?;
    let name = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    println!("{name}: {} runs ({} trained now, {} cached, {} diverged) in {}", summary.points, summary.ran, summary.skipped, summary.diverged, path.display());
    Ok(sweep.results(&results::read_parquet(path)?)?)
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
    let _writer = crate::durable::FileLock::acquire(path).map_err(|e| StudyError::Train(e.into()))?;
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

/// A table made of one part per key, cached at `path` and computed part by part: the parts
/// whose `key` value is in `keys` are read back (unless recomputation is requested), each
/// missing key's rows are computed with `compute` and the table is written after every part,
/// so an interrupted computation resumes at the first missing part. Rows of keys not in `keys`
/// are dropped. `keys` is in computation order. The part filter `SGLAB_PARTS`
/// ([`part_filter`]) limits what is computed, as `only` does in [`cached_parts_matching`].
pub fn cached_parts(path: &std::path::Path, key: &str, keys: &[String], compute: impl FnMut(&str) -> Result<DataFrame, StudyError>) -> Result<DataFrame, StudyError> {
    cached_parts_matching(path, key, keys, part_filter().as_deref(), compute)
}

/// [`cached_parts`] computing only the missing keys that contain `only` (all of them with
/// `None`): the others stay missing, and absent from the returned table, until a call without
/// the filter; the parts already held are kept whatever the filter.
pub fn cached_parts_matching(
    path: &std::path::Path,
    key: &str,
    keys: &[String],
    only: Option<&str>,
    compute: impl FnMut(&str) -> Result<DataFrame, StudyError>,
) -> Result<DataFrame, StudyError> {
    cached_parts_where(path, key, keys, &|k| only.is_none_or(|o| k.contains(o)), compute)
}

/// [`cached_parts`] computing only the missing keys for which `wanted` holds.
pub(crate) fn cached_parts_where(
    path: &std::path::Path,
    key: &str,
    keys: &[String],
    wanted: &dyn Fn(&str) -> bool,
    mut compute: impl FnMut(&str) -> Result<DataFrame, StudyError>,
) -> Result<DataFrame, StudyError> {
    let _writer = crate::durable::FileLock::acquire(path).map_err(|e| StudyError::Train(e.into()))?;
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut held: std::collections::BTreeSet<String> = Default::default();
    if path.exists() && !recompute_requested() {
        let table = fresh(&results::read_parquet(path)?);
        let wanted: Vec<bool> = string_column(&table, key)?.into_iter().map(|k| keys.contains(&k)).collect();
        let kept = fresh(&table.filter(&BooleanChunked::from_slice("kept".into(), &wanted))?);
        held = string_column(&kept, key)?.into_iter().collect();
        parts.push(kept);
    }
    for k in keys.iter().filter(|k| !held.contains(*k) && wanted(k)) {
        parts.push(compute(k)?);
        let mut table = results::concat(&parts)?;
        results::write_parquet(&mut table, path)?;
    }
    if parts.is_empty() {
        return Ok(DataFrame::empty());
    }
    Ok(fresh(&results::concat(&parts)?))
}

/// A network a sweep kept ([`ArmSweep::keep_models`]), with its run's id, arm label and seed.
pub struct KeptNetwork<L> {
    /// The run's id.
    pub run_id: String,
    /// The run's arm.
    pub label: L,
    /// The run's seed.
    pub seed: u64,
    /// The trained network.
    pub net: crate::network::Network,
}

/// The trained networks that `sweep` (writing `out`, keeping models) kept for `runs`, in their
/// order, on `device`; also the task's data, loaded once. A run whose model file is missing or
/// corrupt is an error naming the file.
pub fn kept_networks<L: ArmLabel>(
    sweep: &ArmSweep<L>,
    out: &std::path::Path,
    runs: &[ArmRun<L>],
    device: &burn::tensor::Device,
) -> Result<(Vec<KeptNetwork<L>>, crate::data::Splits), StudyError> {
    let points = sweep.points();
    let first = points.first().ok_or_else(|| StudyError::Unknown("the sweep has no points".into()))?;
    let splits = first.config.task.load()?;
    let mut nets = Vec::new();
    for run in runs {
        let Some(point) = points.iter().find(|p| p.run_id == run.run_id) else { continue };
        let path = crate::train::sweep::model_path(out, &point.config);
        let net = crate::train::load_network(&point.config, splits.train.channels(), splits.train.classes(), &path, device)?;
        nets.push(KeptNetwork { run_id: run.run_id.clone(), label: run.label.clone(), seed: run.seed, net });
    }
    Ok((nets, splits))
}

/// The task studies 04–06 compare their variants on: randman with 5 classes × 200 samples, 20
/// units, 50 steps at quick scale; at plateau scale randman with 10 classes, α = 1 (Zenke &
/// Vogels' hard setting), 20 units, one spike each in the first half of 50 steps and 1,000
/// samples per class split 80/10/10 (study 04's grid; 05 and 06 have none there); sl-MNIST at
/// 100 steps at paper scale.
pub fn comparison_task(scale: Scale) -> TaskConfig {
    let randman = crate::data::randman::RandmanConfig { units: 20, steps: 50, seed: 0, ..Default::default() };
    match scale {
        Scale::Quick => TaskConfig::Randman(crate::data::randman::RandmanConfig { classes: 5, alpha: 2.0, samples_per_class: 200, ..randman }),
        Scale::Plateau => TaskConfig::Randman(crate::data::randman::RandmanConfig { classes: 10, alpha: 1.0, samples_per_class: 1000, ..randman }),
        Scale::Paper => TaskConfig::Slmnist(crate::data::slmnist::SlMnistConfig { steps: 100, ..Default::default() }),
    }
}

/// The hidden width of studies 04–06: 64 at quick and plateau scale, 128 at paper scale.
pub fn comparison_width(scale: Scale) -> usize {
    match scale {
        Scale::Quick | Scale::Plateau => 64,
        Scale::Paper => 128,
    }
}

/// [`compare_groups`](crate::stats::compare_groups) of the groups in column `group` on `metric`
/// within each value of `within` (each its own family for the correction), with that value in a
/// column named `within`; values holding fewer than two groups are left out.
pub fn compare_within(runs: &DataFrame, within: &str, metric: &str, group: &str, options: &crate::stats::CompareOptions) -> Result<DataFrame, StudyError> {
    let mut frames = Vec::new();
    for value in crate::table::distinct(&string_column(runs, within)?) {
        let rows = rows_where(runs, within, &value)?;
        if crate::table::distinct(&string_column(&rows, group)?).len() < 2 {
            continue;
        }
        let table = crate::stats::compare_groups(&rows, metric, group, options)?;
        let n = table.height();
        frames.push(with_text_column(&table, within, vec![value; n])?);
    }
    Ok(fresh(&results::concat(&frames)?))
}

/// The rows of `runs` whose `column` (as text) equals `value`.
pub fn rows_where(runs: &DataFrame, column: &str, value: &str) -> Result<DataFrame, StudyError> {
    let mask: Vec<bool> = string_column(runs, column)?.iter().map(|v| v == value).collect();
    Ok(fresh(&fresh(runs).filter(&BooleanChunked::from_slice("mask".into(), &mask))?))
}

/// `runs` with a text column `name` added (or replaced).
pub fn with_text_column(runs: &DataFrame, name: &str, values: Vec<String>) -> Result<DataFrame, StudyError> {
    let mut df = fresh(runs);
    df.with_column(Column::new(name.into(), values))?;
    Ok(fresh(&df))
}

/// Means over seeds per group value of `group`: `metric` and the initial and final rates of
/// every layer present (`initial_rate_l*`, `final_rate_l*`; nulls left out), with the number of
/// runs.
pub fn group_means(runs: &DataFrame, group: &str, metric: &str) -> Result<DataFrame, StudyError> {
    let labels = string_column(runs, group)?;
    let names: Vec<String> = runs.columns().iter().map(|c| c.name().to_string()).collect();
    let mut columns = vec![metric.to_string()];
    for prefix in ["initial_rate_l", "final_rate_l"] {
        columns.extend(names.iter().filter(|n| n.starts_with(prefix)).cloned());
    }
    let groups = crate::table::distinct(&labels);
    let mut out = vec![
        Column::new(group.into(), groups.clone()),
        Column::new("runs".into(), groups.iter().map(|g| labels.iter().filter(|l| *l == g).count() as u64).collect::<Vec<_>>()),
    ];
    for c in &columns {
        let values = crate::table::optional_f64_column(runs, c)?;
        let means: Vec<Option<f64>> = groups
            .iter()
            .map(|g| {
                let v: Vec<f64> = values.iter().zip(&labels).filter(|(_, l)| *l == g).filter_map(|(v, _)| *v).collect();
                (!v.is_empty()).then(|| crate::stats::mean(&v))
            })
            .collect();
        out.push(Column::new(c.as_str().into(), means));
    }
    Ok(DataFrame::new_infer_height(out)?)
}

/// The studies [`run_study`] knows, by notebook number and name.
pub const STUDIES: [(&str, &str); 7] =
    [("01", "sg-shapes"), ("02", "stability-init"), ("03", "sparsity"), ("04", "extensions"), ("05", "stochastic"), ("06", "qif-lif"), ("07", "sg-ntk")];

/// The number ("01" … "07") of the study named `name` by its number or its name ("sg-shapes").
pub fn study_number(name: &str) -> Result<&'static str, StudyError> {
    match STUDIES.iter().find(|(n, l)| *n == name || *l == name) {
        Some(&(number, _)) => Ok(number),
        None => {
            let known: Vec<String> = STUDIES.iter().map(|(n, l)| format!("{n} ({l})")).collect();
            Err(StudyError::Unknown(format!("study {name:?}; known: {}", known.join(", "))))
        }
    }
}

/// Runs (what is missing of) every sweep of the study `name` ("02" or "stability-init", …) at
/// `scale` (and the tables computed from them) and returns the number of rows of each table.
pub fn run_study(name: &str, scale: Scale) -> Result<Vec<(String, usize)>, StudyError> {
    let number = study_number(name)?;
    let long = STUDIES.iter().find(|(n, _)| *n == number).map_or(number, |(_, l)| l);
    if !Scale::defined_for(number).contains(&scale) {
        return Err(scale::no_grid(number, scale));
    }
    let tables: Vec<(String, DataFrame)> = match number {
        "01" => {
            let mut t = vec![(long.into(), sg_shapes::run(scale)?)];
            if !sg_shapes::size_sweep(scale).points().is_empty() {
                t.push(("training-set size".into(), sg_shapes::run_size(scale)?));
            }
            t
        }
        "02" => {
            let mut t = vec![("ablation".to_string(), stability_init::run_ablation(scale)?)];
            for p in stability_init::Parameter::ALL {
                t.push((p.name().into(), stability_init::run_parameter_sweep(scale, p)?));
            }
            t
        }
        "03" => {
            let mut t = vec![(long.into(), sparsity::run(scale)?)];
            if !sparsity::head_sweep(scale).points().is_empty() {
                t.push(("sparsity-head".into(), sparsity::run_head(scale)?));
            }
            t
        }
        "04" => {
            let mut tables = vec![("decolle".into(), extensions::run_decolle(scale)?), ("fluctuation".into(), extensions::run_fluctuation(scale)?)];
            if scale == Scale::Plateau {
                tables.push(("fluctuation-sigma".into(), extensions::run_sigma(scale)?));
                tables.push(("fluctuation-init".into(), extensions::init_probe(scale)?));
            }
            tables
        }
        "05" => vec![(long.into(), stochastic::run_training(scale)?), ("spike-matching".into(), spike_matching::run_matching(scale)?)],
        "07" => vec![("ensembles".into(), sg_ntk::run_ensembles(scale)?), ("kernels".into(), sg_ntk::kernel_snapshots(scale)?)],
        "06" => {
            let contrast = landscape::contrast_scale(scale);
            let runs = landscape::run_training(contrast)?;
            let slices = landscape::slices(contrast, &runs)?;
            let planes = landscape::planes(contrast, &runs)?;
            let mut tables = vec![(format!("{long} (surrogate gradients)"), runs), ("slices".into(), slices), ("planes".into(), planes)];
            tables.extend(exact_gradients::run_all(scale)?);
            tables
        }
        other => unreachable!("study {other} is listed in STUDIES but has no sweep"),
    };
    Ok(tables.into_iter().map(|(n, df)| (n, df.height())).collect())
}

/// Whether each `(arm, reference)` of `pairs` (values of `column`) are equivalent on `metric`
/// within ±`margin`: a paired TOST over the seeds both finished (two one-sided t tests on the
/// differences arm − reference; equivalent when the 90 % interval lies inside the margin), Holm
/// over the pairs. One row per pair: `column` (the arm), `reference`, `difference`, `ci90_low`,
/// `ci90_high`, `margin`, `tost_p`, `tost_p_adjusted`, `n`.
pub fn paired_equivalence(runs: &DataFrame, column: &str, pairs: &[(String, String)], metric: &str, margin: f64) -> Result<DataFrame, StudyError> {
    let runs = finished(runs)?;
    let (mut difference, mut low, mut high, mut p, mut n) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (arm, reference) in pairs {
        let (x, y): (Vec<f64>, Vec<f64>) = paired_by_seed(&runs, column, arm, reference, metric)?.into_iter().unzip();
        let e = crate::stats::tost_paired(&x, &y, margin)?;
        difference.push(e.difference);
        low.push(e.ci90.0);
        high.push(e.ci90.1);
        p.push(e.p_value);
        n.push(x.len() as u64);
    }
    let adjusted = crate::stats::adjust(&p, crate::stats::Correction::Holm)?;
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new(column.into(), pairs.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>()),
        Column::new("reference".into(), pairs.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>()),
        Column::new("difference".into(), difference),
        Column::new("ci90_low".into(), low),
        Column::new("ci90_high".into(), high),
        Column::new("margin".into(), vec![margin; pairs.len()]),
        Column::new("tost_p".into(), p),
        Column::new("tost_p_adjusted".into(), adjusted),
        Column::new("n".into(), n),
    ])?))
}

/// `(a, b)` values of `metric` for the rows whose `column` is `a` and `b`, matched by seed (seeds
/// present in both, in increasing order).
pub(crate) fn paired_by_seed(runs: &DataFrame, column: &str, a: &str, b: &str, metric: &str) -> Result<Vec<(f64, f64)>, StudyError> {
    let (labels, seeds, values) = (string_column(runs, column)?, crate::table::f64_column(runs, "seed")?, crate::table::f64_column(runs, metric)?);
    let (x, y) = (by_seed(&labels, &a.to_string(), &seeds, &values), by_seed(&labels, &b.to_string(), &seeds, &values));
    Ok(x.iter().filter_map(|(s, v)| y.get(s).map(|w| (*v, *w))).collect())
}

/// The finite `values` of the rows whose key is `key`, by seed.
pub(crate) fn by_seed<K: PartialEq>(keys: &[K], key: &K, seeds: &[f64], values: &[f64]) -> std::collections::BTreeMap<u64, f64> {
    (0..keys.len()).filter(|&i| keys[i] == *key && values[i].is_finite()).map(|i| (seeds[i] as u64, values[i])).collect()
}
