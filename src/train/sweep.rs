//! Sweeps: a grid over any configuration fields × seeds, run point by point into a parquet
//! table that survives interruption.
//!
//! ```toml
//! seeds = [0, 1, 2, 3]
//! out = "results/shapes.parquet"        # optional; the CLI's --out wins
//!
//! [grid]                                # dotted paths into the run configuration
//! "model.surrogate.shape" = ["fast-sigmoid", "triangular", "exponential"]
//! "optimizer.lr" = [1e-3, 3.16e-4]
//!
//! [base]                                # a TrainConfig
//! epochs = 10
//! task = { name = "randman" }
//! ```
//!
//! Points are the cartesian product of the grid values (keys in sorted order, values in the
//! given order) × seeds; each has a key such as `model.surrogate.shape="triangular";
//! optimizer.lr=0.001;seed=2` stored in the `point` column. Each finished run is written to
//! the table atomically ([`super::rows::record_run`]: its epochs to `<out>.history.parquet`
//! first, replacing any rows of the same run, so that a crash between the two writes leaves
//! no duplicate). A rerun skips points already in the table, so a killed
//! sweep loses at most the runs in flight, which resume from their checkpoint under
//! `<out>.checkpoints/`. A sweep holds the table's [`crate::durable::FileLock`] while it runs, so
//! a second writer of the same table fails at once naming it; a table whose rows were run with
//! another configuration than the sweep now gives their points (a changed `[base]`) is refused.
//! `--shard i/n` runs the points whose index is i mod n, each shard into its own table;
//! [`merge`] joins the shard tables and their histories.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use serde::Deserialize;
use serde_json::Value;

use super::config::TrainConfig;
use super::rows::runs_where;
use super::progress::ProgressMode;
use super::trainer::{RunOptions, train_with};
use super::workers::{Workers, run_queue};
use super::TrainError;
use crate::results::{self, Cell};
use crate::validate::Validate;

/// A sweep file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The configuration every point starts from.
    pub base: Value,
    /// Values of each dotted field path.
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<Value>>,
    /// Seeds of every grid point.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// Output table.
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Keep every run's trained model as `<out>.models/<run id>.bpk` ([`model_path`]) for
    /// analyses of the trained networks.
    #[serde(default)]
    pub keep_models: bool,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// One point of a sweep.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// Position in the full grid.
    pub index: usize,
    /// Key stored in the `point` column.
    pub key: String,
    /// The run configuration.
    pub config: TrainConfig,
}

/// Which part of the grid this process runs: the points with index ≡ `index` (mod `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = TrainError;

    /// Parses `i/n` with 0 ≤ i < n.
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let bad = || TrainError::config("shard", format!("i/n with 0 ≤ i < n, got {s:?}"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What a sweep invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepSummary {
    /// Points in this shard.
    pub points: usize,
    /// Points run now.
    pub ran: usize,
    /// Points found already done.
    pub skipped: usize,
    /// Runs of this invocation that diverged.
    pub diverged: usize,
}

/// Sets `value` at the dotted `path` of `target`, creating objects on the way.
fn set_path(target: &mut Value, path: &str, value: Value) -> Result<(), TrainError> {
    let mut node = target;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Value::Object(map) = node else {
            return Err(TrainError::config(format!("grid.{path}"), format!("a path through tables, but {} is not a table", parts[..i].join("."))));
        };
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            return Ok(());
        }
        node = map.entry(part.to_string()).or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(())
}

impl SweepSpec {
    /// Parses a sweep file's TOML.
    pub fn from_toml(text: &str) -> Result<Self, TrainError> {
        toml::from_str(text).map_err(|e| TrainError::Parse(e.to_string()))
    }

    /// Reads a sweep file.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| TrainError::Parse(format!("{}: {e}", path.display())))
    }

    /// Every point of the grid, each configuration validated (the error names the point).
    pub fn points(&self) -> Result<Vec<SweepPoint>, TrainError> {
        if self.seeds.is_empty() {
            return Err(TrainError::config("seeds", "at least one seed"));
        }
        if let Some((k, _)) = self.grid.iter().find(|(_, v)| v.is_empty()) {
            return Err(TrainError::config(format!("grid.{k}"), "at least one value"));
        }
        let mut combos: Vec<Vec<(&String, &Value)>> = vec![Vec::new()];
        for (key, values) in &self.grid {
            combos = combos
                .into_iter()
                .flat_map(|c| values.iter().map(move |v| [c.clone(), vec![(key, v)]].concat()))
                .collect();
        }
        let mut points = Vec::new();
        for combo in &combos {
            for &seed in &self.seeds {
                let mut config = self.base.clone();
                for (key, value) in combo {
                    set_path(&mut config, key, (*value).clone())?;
                }
                set_path(&mut config, "seed", Value::from(seed))?;
                let mut parts: Vec<String> = combo.iter().map(|(k, v)| format!("{k}={v}")).collect();
                parts.push(format!("seed={seed}"));
                let key = parts.join(";");
                let config: TrainConfig = serde_json::from_value(config)
                    .map_err(|e| TrainError::Parse(format!("sweep point {key}: {e}")))?;
                config.validate().map_err(|e| TrainError::Parse(format!("sweep point {key}: {e}")))?;
                points.push(SweepPoint { index: points.len(), key, config });
            }
        }
        Ok(points)
    }
}

/// Where a sweep with `keep_models` writing `out` keeps the trained model of the run of `config`.
pub fn model_path(out: &Path, config: &TrainConfig) -> PathBuf {
    PathBuf::from(format!("{}.models", out.display())).join(format!("{}.bpk", super::rows::config_id(config)))
}

/// The history table beside a runs table: `x.parquet` → `x.history.parquet`.
pub fn history_path(out: &Path) -> PathBuf {
    out.with_extension("history.parquet")
}

fn checkpoint_dir(out: &Path, key: &str) -> PathBuf {
    PathBuf::from(format!("{}.checkpoints", out.display())).join(results::fnv1a_hex(key))
}

/// The points of `points` already in the table at `out`, after checking that each stored row
/// of a point was run with that point's configuration (its run id): a sweep whose `[base]` or
/// grid values changed since its table was written is refused, naming a changed point, rather
/// than keeping rows of the old configuration under the new one's keys.
fn finished_points(points: &[SweepPoint], out: &Path) -> Result<HashSet<String>, TrainError> {
    if !out.exists() {
        return Ok(HashSet::new());
    }
    finished_in(points, &results::read_parquet(out)?, out)
}

/// [`finished_points`] of the runs table `table` read from `out`.
fn finished_in(points: &[SweepPoint], table: &DataFrame, out: &Path) -> Result<HashSet<String>, TrainError> {
    let stored: std::collections::HashMap<String, String> =
        results::string_column(table, "point")?.into_iter().zip(results::string_column(table, "run_id")?).collect();
    let mut done = HashSet::new();
    for point in points {
        let Some(id) = stored.get(&point.key) else { continue };
        if *id != super::rows::config_id(&point.config) {
            return Err(TrainError::Results(format!(
                "{} holds point {} run with another configuration (run id {id}) than the sweep now gives it; the sweep file changed since the table was written: write to another table, or remove the table to recompute it",
                out.display(),
                point.key
            )));
        }
        done.insert(point.key.clone());
    }
    Ok(done)
}

/// Runs the points of `shard` (all when `None`) not yet in `out` with `workers`, appending each
/// as it finishes.
pub fn run_sweep(spec: &SweepSpec, out: &Path, shard: Option<Shard>, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
    run_points(spec, out, &|p| shard.is_none_or(|s| p.index % s.count == s.index), options, workers)
}

/// Runs the points for which `keep` holds that are not yet in `out`. With more than one run at
/// once a run's epoch lines would interleave with another's, so each run is quiet and a line
/// names every point as it finishes instead (unless `options` asks for quiet).
fn run_points(spec: &SweepSpec, out: &Path, keep: &(dyn Fn(&SweepPoint) -> bool + Sync), options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
    workers.validate()?;
    let points = spec.points()?;
    let _writer = crate::durable::FileLock::acquire(out)?;
    let done = finished_points(&points, out)?;
    let kept: Vec<&SweepPoint> = points.iter().filter(|p| keep(p)).collect();
    let todo: Vec<&SweepPoint> = kept.iter().copied().filter(|p| !done.contains(&p.key)).collect();
    let summary = SweepSummary { points: kept.len(), skipped: kept.len() - todo.len(), ..SweepSummary::default() };
    let announce = workers.runs > 1 && options.progress != ProgressMode::Quiet;
    let progress = if announce { ProgressMode::Quiet } else { options.progress };
    let total = todo.len();
    let writer = std::sync::Mutex::new(summary);
    run_queue(todo, workers, |point| {
        let tag = |mut row: results::Row| {
            row.push(("point".into(), Cell::Str(point.key.clone())));
            row.push(("point_index".into(), Cell::from(point.index)));
            row
        };
        let run_options = RunOptions { progress, ..options.clone() };
        let (record, written) = train_and_record(&point.config, out, checkpoint_dir(out, &point.key), spec.keep_models, &run_options, tag, &writer)?;
        if announce {
            let test = record.test.as_ref().map_or_else(|| "no test".to_string(), |t| format!("test acc {:.3}", t.accuracy));
            println!("{} ({written}/{total}): {} epochs, {test}, {:.0} s", point.key, record.history.len(), record.wall_time_s);
        }
        Ok(())
    })?;
    Ok(writer.into_inner().expect("the writer lock is never poisoned"))
}

/// One run of a sweep of either kind: trains `config` with `options`, checkpointing to
/// `checkpoint` and keeping its model beside `out` when `keep_model`; then, under the `writer`
/// lock, appends its rows (tagged by `tag`) and epochs to `out`, counts it, and removes the
/// checkpoint. Returns the record and how many runs this invocation has written, this one
/// included.
pub(super) fn train_and_record(
    config: &TrainConfig,
    out: &Path,
    checkpoint: PathBuf,
    keep_model: bool,
    options: &RunOptions,
    tag: impl Fn(results::Row) -> results::Row,
    writer: &std::sync::Mutex<SweepSummary>,
) -> Result<(super::RunRecord, usize), TrainError> {
    let model_file = keep_model.then(|| model_path(out, config));
    let run_options = RunOptions { checkpoint_dir: Some(checkpoint.clone()), model_file, ..options.clone() };
    let record = train_with(config, &run_options)?;
    let mut summary = writer.lock().expect("the writer lock is never poisoned");
    super::rows::record_run(out, &record, tag)?;
    summary.ran += 1;
    summary.diverged += usize::from(record.status.diverged());
    let _ = std::fs::remove_dir_all(&checkpoint);
    Ok((record, summary.ran))
}

/// A sweep file's runs are named by their point keys.
impl super::units::SelectiveSweep for SweepSpec {
    fn units(&self) -> Result<Vec<(String, TrainConfig)>, TrainError> {
        Ok(self.points()?.into_iter().map(|p| (p.key, p.config)).collect())
    }

    /// The points the table holds, refusing (as a sweep does) a point stored with another
    /// configuration than the file now gives it.
    fn held(&self, table: &DataFrame) -> Result<Vec<String>, TrainError> {
        Ok(finished_in(&self.points()?, table, Path::new("the table"))?.into_iter().collect())
    }

    fn run_units(&self, out: &Path, selected: Option<&HashSet<String>>, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
        run_points(self, out, &|p| selected.is_none_or(|s| s.contains(&p.key)), options, workers)
    }

    fn keeps_models(&self) -> bool {
        self.keep_models
    }
}

/// Joins runs tables (shards of a sweep, or tables written by `sglab train --out`) into
/// `out`, keeping the first row of each run id, and their histories
/// (`<input>.history.parquet`, where present) into `<out>.history.parquet`, keeping each kept
/// run's epochs from the first input that holds them.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<DataFrame, TrainError> {
    if inputs.is_empty() {
        return Err(TrainError::config("inputs", "at least one table to merge"));
    }
    let _writer = crate::durable::FileLock::acquire(out)?;
    let frames = inputs.iter().map(|p| results::read_parquet(p)).collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::new();
    let firsts = frames.iter().map(|f| runs_where(f, |id| seen.insert(id.to_string()))).collect::<Result<Vec<_>, _>>()?;
    let mut merged = results::concat(&firsts)?;
    // A run is kept from one input only, so each input's history gives the epochs of the runs
    // kept from it.
    let mut histories = Vec::new();
    for (input, kept) in inputs.iter().zip(&firsts) {
        let path = history_path(input);
        if !path.exists() {
            continue;
        }
        let ids: HashSet<String> = results::string_column(kept, "run_id")?.into_iter().collect();
        histories.push(runs_where(&results::read_parquet(&path)?, |id| ids.contains(id))?);
    }
    if !histories.is_empty() {
        results::write_parquet(&mut results::concat(&histories)?, &history_path(out))?;
    }
    results::write_parquet(&mut merged, out)?;
    Ok(merged)
}
