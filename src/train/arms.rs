//! Sweeps of labelled arms: a study's grid as typed values rather than dotted paths.
//!
//! An [`Arm`] is a label and the [`TrainConfig`] each of its seeds runs; an [`ArmSweep`] runs
//! every arm × seed into one runs table (with its history table beside it), skipping the runs
//! whose identifier ([`config_id`]: a hash of the configuration) the table already holds, so a
//! killed sweep resumes and a changed configuration is a new run. [`ArmSweep::results`] reads
//! the finished runs back as typed rows, [`ArmRun`]: the arm's label as the study built it and
//! the run's metrics ([`RunMetrics`]); nothing is parsed back out of a configuration column.
//!
//! ```
//! use sglab::train::arms::{Arm, ArmSweep};
//! use sglab::train::{TaskConfig, TrainConfig};
//! use sglab::data::randman::RandmanConfig;
//!
//! let base = TrainConfig::new(TaskConfig::Randman(RandmanConfig::default()), 10);
//! let arms = [1e-3, 1e-2].map(|lr| {
//!     let mut config = base.clone();
//!     config.optimizer.lr = lr;
//!     Arm::new(format!("lr={lr}"), config)
//! });
//! let sweep = ArmSweep::new(arms.to_vec(), vec![0, 1]);
//! assert_eq!(sweep.points().len(), 4);
//! ```

use std::collections::HashSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use polars::prelude::{BooleanChunked, DataFrame, NewChunkedArray};

use super::rows::config_id;
use super::sweep::{SweepSummary, train_and_record};
use super::trainer::RunOptions;
use super::workers::{Workers, run_queue};
use super::{TrainConfig, TrainError};
use crate::results::{self, Cell, Row};
use crate::table::{optional_f64_column, string_column};

/// A label that names an arm in tables and figures: its text (the `label` column) and, for
/// tables, its parts as columns.
pub trait ArmLabel: Clone + Display + Send + Sync {
    /// The label's parts as table columns (name, value); the `label` column is added beside.
    fn columns(&self) -> Vec<(String, Cell)> {
        Vec::new()
    }
}

impl ArmLabel for String {}

/// One arm of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm<L> {
    /// What the arm is, as the study names it.
    pub label: L,
    /// The configuration every seed of the arm runs (its own seed is replaced).
    pub config: TrainConfig,
}

impl<L> Arm<L> {
    /// The arm `label` running `config`.
    pub fn new(label: L, config: TrainConfig) -> Self {
        Arm { label, config }
    }
}

/// Labelled arms × seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSweep<L> {
    /// The arms, in the order of the table and of [`ArmSweep::results`].
    pub arms: Vec<Arm<L>>,
    /// The seeds of every arm.
    pub seeds: Vec<u64>,
    /// Keep every run's trained model as `<out>.models/<run id>.bpk`.
    pub keep_models: bool,
}

/// One run of a sweep: its arm, seed and configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmPoint<'a, L> {
    /// Position in the sweep (arm-major).
    pub index: usize,
    /// The arm.
    pub arm: &'a Arm<L>,
    /// The seed.
    pub seed: u64,
    /// The arm's configuration with this seed.
    pub config: TrainConfig,
    /// The run identifier of `config`.
    pub run_id: String,
}

/// The metrics of one finished run, as the runs table holds them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunMetrics {
    /// Whether the run diverged (its test metrics are then absent).
    pub diverged: bool,
    /// Epochs that ran.
    pub epochs_run: usize,
    /// Best (lowest) validation loss and that epoch's accuracy.
    pub best_val_loss: Option<f64>,
    /// Validation accuracy at the best-validation-loss epoch.
    pub best_val_accuracy: Option<f64>,
    /// The highest validation accuracy of any epoch.
    pub max_val_accuracy: Option<f64>,
    /// Test loss at the restored best weights.
    pub test_loss: Option<f64>,
    /// Test accuracy at the restored best weights.
    pub test_accuracy: Option<f64>,
    /// Each layer's firing rate before training.
    pub initial_rates: Vec<f64>,
    /// Each layer's training firing rate in the last epoch.
    pub final_rates: Vec<Option<f64>>,
    /// Validation perplexity exp(loss) at the best-validation-loss epoch (the paper's metric).
    pub best_val_perplexity: Option<f64>,
    /// Each layer's surrogate parameters as the initialisation applied them.
    pub applied: Vec<AppliedSurrogate>,
    /// Wall-clock seconds of the run.
    pub wall_time_s: f64,
}

/// The surrogate parameters a layer trained with (absent for escape-noise spikes or runs
/// recorded without them; `tail` only for the q-PseudoSpike).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AppliedSurrogate {
    /// Dampening γ.
    pub dampening: Option<f64>,
    /// Sharpness β.
    pub sharpness: Option<f64>,
    /// Tail fatness q.
    pub tail: Option<f64>,
}

/// A metric of a run, by name in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// The highest validation accuracy of any epoch.
    MaxValAccuracy,
    /// Validation accuracy at the best-validation-loss epoch.
    BestValAccuracy,
    /// The best validation loss.
    BestValLoss,
    /// Test accuracy at the best-validation weights.
    TestAccuracy,
    /// Test loss at the best-validation weights.
    TestLoss,
    /// Layer l's firing rate before training.
    InitialRate(usize),
    /// Layer l's training firing rate in the last epoch.
    FinalRate(usize),
    /// Validation perplexity at the best-validation-loss epoch.
    BestValPerplexity,
    /// Layer l's applied dampening γ.
    AppliedDampening(usize),
    /// Layer l's applied sharpness β.
    AppliedSharpness(usize),
    /// Layer l's applied tail q.
    AppliedTail(usize),
}

impl Metric {
    /// The metric's column in the runs table.
    pub fn column(self) -> String {
        match self {
            Metric::MaxValAccuracy => "max_val_accuracy".into(),
            Metric::BestValAccuracy => "best_val_accuracy".into(),
            Metric::BestValLoss => "best_val_loss".into(),
            Metric::TestAccuracy => "test_accuracy".into(),
            Metric::TestLoss => "test_loss".into(),
            Metric::InitialRate(l) => format!("initial_rate_l{l}"),
            Metric::FinalRate(l) => format!("final_rate_l{l}"),
            Metric::BestValPerplexity => "best_val_perplexity".into(),
            Metric::AppliedDampening(l) => format!("applied_dampening_l{l}"),
            Metric::AppliedSharpness(l) => format!("applied_sharpness_l{l}"),
            Metric::AppliedTail(l) => format!("applied_tail_l{l}"),
        }
    }

    /// The metric of `m` (absent for a diverged run's test metrics or a missing layer).
    pub fn of(self, m: &RunMetrics) -> Option<f64> {
        match self {
            Metric::MaxValAccuracy => m.max_val_accuracy,
            Metric::BestValAccuracy => m.best_val_accuracy,
            Metric::BestValLoss => m.best_val_loss,
            Metric::TestAccuracy => m.test_accuracy,
            Metric::TestLoss => m.test_loss,
            Metric::InitialRate(l) => m.initial_rates.get(l).copied(),
            Metric::FinalRate(l) => m.final_rates.get(l).copied().flatten(),
            Metric::BestValPerplexity => m.best_val_perplexity,
            Metric::AppliedDampening(l) => m.applied.get(l).and_then(|a| a.dampening),
            Metric::AppliedSharpness(l) => m.applied.get(l).and_then(|a| a.sharpness),
            Metric::AppliedTail(l) => m.applied.get(l).and_then(|a| a.tail),
        }
    }
}

impl<L: ArmLabel> super::units::SelectiveSweep for ArmSweep<L> {
    fn units(&self) -> Result<Vec<(String, TrainConfig)>, TrainError> {
        Ok(self.points().into_iter().map(|p| (p.run_id, p.config)).collect())
    }

    fn held(&self, table: &DataFrame) -> Result<Vec<String>, TrainError> {
        run_ids(table)
    }

    fn run_units(&self, out: &Path, selected: Option<&HashSet<String>>, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
        self.run_selected(out, selected, options, workers)
    }

    fn keeps_models(&self) -> bool {
        self.keep_models
    }
}

/// One finished run of an arm: the arm's label, the seed and the run's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRun<L> {
    /// The arm's label.
    pub label: L,
    /// The seed.
    pub seed: u64,
    /// The run identifier.
    pub run_id: String,
    /// What the run measured.
    pub metrics: RunMetrics,
}

impl<L: ArmLabel> ArmSweep<L> {
    /// `arms` × `seeds`, without keeping models.
    pub fn new(arms: Vec<Arm<L>>, seeds: Vec<u64>) -> Self {
        ArmSweep { arms, seeds, keep_models: false }
    }

    /// The same sweep keeping every run's trained model.
    pub fn keeping_models(mut self) -> Self {
        self.keep_models = true;
        self
    }

    /// Every run, arm-major.
    pub fn points(&self) -> Vec<ArmPoint<'_, L>> {
        let mut points = Vec::with_capacity(self.arms.len() * self.seeds.len());
        for arm in &self.arms {
            for &seed in &self.seeds {
                let config = arm.config.clone().with_seed(seed);
                let run_id = config_id(&config);
                points.push(ArmPoint { index: points.len(), arm, seed, config, run_id });
            }
        }
        points
    }

    /// Runs what `out` does not hold yet, appending each finished run (and its epochs to the
    /// history table beside it) as it finishes; returns what was done.
    pub fn run(&self, out: &Path, options: &RunOptions) -> Result<SweepSummary, TrainError> {
        self.run_with_workers(out, options, Workers::one())
    }

    /// [`ArmSweep::run`] with `workers` ([`Workers`]: how many runs train at once, on which
    /// threads). Every run is seeded by its configuration alone, so its result does not depend
    /// on the scheduling; finished runs are written one at a time, in the order they finish.
    /// When a run fails, the other workers finish the run they are on, write it, and stop; the
    /// first error is returned.
    pub fn run_with_workers(&self, out: &Path, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
        self.run_selected(out, None, options, workers)
    }

    /// [`ArmSweep::run_with_workers`] over the runs whose id is in `selected` only (every run
    /// with `None`); the summary counts the selected runs.
    pub fn run_selected(&self, out: &Path, selected: Option<&HashSet<String>>, options: &RunOptions, workers: Workers) -> Result<SweepSummary, TrainError> {
        if self.seeds.is_empty() || self.arms.is_empty() {
            return Err(TrainError::config(if self.arms.is_empty() { "arms" } else { "seeds" }, "at least one"));
        }
        workers.validate()?;
        let _writer = crate::durable::FileLock::acquire(out)?;
        let done: HashSet<String> = if out.exists() { run_ids(&results::read_parquet(out)?)?.into_iter().collect() } else { HashSet::new() };
        let points: Vec<ArmPoint<'_, L>> = self.points().into_iter().filter(|p| selected.is_none_or(|s| s.contains(&p.run_id))).collect();
        let mut summary = SweepSummary { points: points.len(), ..SweepSummary::default() };
        let todo: Vec<ArmPoint<'_, L>> = points.into_iter().filter(|p| !done.contains(&p.run_id)).collect();
        summary.skipped = summary.points - todo.len();
        let writer = std::sync::Mutex::new(summary);
        run_queue(todo, workers, |point| self.run_point(&point, out, options, &writer))?;
        Ok(writer.into_inner().expect("the writer lock is never poisoned"))
    }

    /// Trains one point and, under the `writer` lock, writes its history and runs rows.
    fn run_point(&self, point: &ArmPoint<'_, L>, out: &Path, options: &RunOptions, writer: &std::sync::Mutex<SweepSummary>) -> Result<(), TrainError> {
        let checkpoint = PathBuf::from(format!("{}.checkpoints", out.display())).join(&point.run_id);
        let tag = |mut row: Row| {
            row.push(("label".into(), Cell::Str(point.arm.label.to_string())));
            row.push(("point".into(), Cell::Str(format!("{};seed={}", point.arm.label, point.seed))));
            row.push(("point_index".into(), Cell::from(point.index)));
            row
        };
        train_and_record(&point.config, out, checkpoint, self.keep_models, options, tag, writer)?;
        Ok(())
    }

    /// The sweep's runs found in the runs table `runs`, in the sweep's order, each with its
    /// arm's label; a run the table does not hold is an error naming its arm and seed.
    pub fn results(&self, runs: &DataFrame) -> Result<Vec<ArmRun<L>>, TrainError> {
        let table = RunsTable::read(runs)?;
        self.points()
            .into_iter()
            .map(|p| {
                let metrics = table
                    .metrics(&p.run_id)
                    .ok_or_else(|| TrainError::Results(format!("the table holds no run of arm {} with seed {} (run id {})", p.arm.label, p.seed, p.run_id)))?;
                Ok(ArmRun { label: p.arm.label.clone(), seed: p.seed, run_id: p.run_id, metrics })
            })
            .collect()
    }

    /// The history rows (one per run and epoch) of the sweep's runs in `history`, each with
    /// its arm's `label` column, in the sweep's order.
    pub fn history(&self, history: &DataFrame) -> Result<DataFrame, TrainError> {
        let ids = run_ids(history)?;
        let mut frames = Vec::new();
        for p in self.points() {
            let mask: Vec<bool> = ids.iter().map(|i| *i == p.run_id).collect();
            let mut rows = history.filter(&BooleanChunked::from_slice("run".into(), &mask)).map_err(|e| TrainError::Results(e.to_string()))?;
            let labels = vec![p.arm.label.to_string(); rows.height()];
            rows.with_column(polars::prelude::Column::new("label".into(), labels)).map_err(|e| TrainError::Results(e.to_string()))?;
            frames.push(rows);
        }
        Ok(crate::table::fresh(&results::concat(&frames)?))
    }
}

/// The table of typed runs: the label's columns, `label`, `seed`, `run_id` and the metrics.
pub fn runs_frame<L: ArmLabel>(runs: &[ArmRun<L>]) -> Result<DataFrame, TrainError> {
    let rows: Vec<Row> = runs
        .iter()
        .map(|r| {
            let mut row: Row = r.label.columns();
            row.push(("label".into(), Cell::Str(r.label.to_string())));
            row.push(("seed".into(), Cell::Int(r.seed as i64)));
            row.push(("run_id".into(), Cell::Str(r.run_id.clone())));
            let m = &r.metrics;
            row.push(("diverged".into(), Cell::Bool(m.diverged)));
            row.push(("epochs_run".into(), Cell::from(m.epochs_run)));
            for metric in [Metric::MaxValAccuracy, Metric::BestValAccuracy, Metric::BestValLoss, Metric::BestValPerplexity, Metric::TestAccuracy, Metric::TestLoss] {
                row.push((metric.column(), Cell::from(metric.of(m))));
            }
            for l in 0..m.initial_rates.len().max(m.final_rates.len()) {
                row.push((Metric::InitialRate(l).column(), Cell::from(Metric::InitialRate(l).of(m))));
                row.push((Metric::FinalRate(l).column(), Cell::from(Metric::FinalRate(l).of(m))));
            }
            for l in 0..m.applied.len() {
                for metric in [Metric::AppliedDampening(l), Metric::AppliedSharpness(l), Metric::AppliedTail(l)] {
                    row.push((metric.column(), Cell::from(metric.of(m))));
                }
            }
            row.push(("wall_time_s".into(), Cell::from(m.wall_time_s)));
            row
        })
        .collect();
    Ok(crate::table::fresh(&results::frame(&rows)?))
}

fn run_ids(df: &DataFrame) -> Result<Vec<String>, TrainError> {
    string_column(df, "run_id").map_err(|e| TrainError::Results(e.to_string()))
}

/// A runs table's metric columns, by run id.
struct RunsTable {
    ids: Vec<String>,
    columns: std::collections::HashMap<String, Vec<Option<f64>>>,
    layers: usize,
}

impl RunsTable {
    fn read(df: &DataFrame) -> Result<Self, TrainError> {
        let ids = run_ids(df)?;
        let mut columns = std::collections::HashMap::new();
        let names: Vec<String> = df.columns().iter().map(|c| c.name().to_string()).collect();
        let layers = names.iter().filter(|n| n.starts_with("initial_rate_l")).count();
        for name in &names {
            let numeric = ["diverged", "epochs_run", "wall_time_s"].contains(&name.as_str())
                || name.ends_with("_accuracy")
                || name.ends_with("_loss")
                || name.starts_with("initial_rate_l")
                || name.ends_with("_perplexity")
                || name.starts_with("final_rate_l")
                || name.starts_with("applied_");
            if numeric {
                columns.insert(name.clone(), optional_f64_column(df, name).map_err(|e| TrainError::Results(e.to_string()))?);
            }
        }
        Ok(RunsTable { ids, columns, layers })
    }

    fn value(&self, column: &str, row: usize) -> Option<f64> {
        self.columns.get(column).and_then(|c| c[row])
    }

    fn metrics(&self, run_id: &str) -> Option<RunMetrics> {
        let row = self.ids.iter().position(|i| i == run_id)?;
        let v = |c: &str| self.value(c, row);
        Some(RunMetrics {
            diverged: v("diverged").is_some_and(|d| d != 0.0),
            epochs_run: v("epochs_run").unwrap_or(0.0) as usize,
            best_val_loss: v("best_val_loss"),
            best_val_accuracy: v("best_val_accuracy"),
            max_val_accuracy: v("max_val_accuracy"),
            test_loss: v("test_loss"),
            test_accuracy: v("test_accuracy"),
            initial_rates: (0..self.layers).filter_map(|l| v(&format!("initial_rate_l{l}"))).collect(),
            final_rates: (0..self.layers).map(|l| v(&format!("final_rate_l{l}"))).collect(),
            best_val_perplexity: v("best_val_perplexity"),
            applied: (0..self.layers)
                .map(|l| AppliedSurrogate {
                    dampening: v(&format!("applied_dampening_l{l}")),
                    sharpness: v(&format!("applied_sharpness_l{l}")),
                    tail: v(&format!("applied_tail_l{l}")),
                })
                .collect(),
            wall_time_s: v("wall_time_s").unwrap_or(f64::NAN),
        })
    }
}
