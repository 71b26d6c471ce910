//! A study's computation as tables of independent units: what a cluster task can compute on its
//! own, and how copies of a table computed apart are joined.
//!
//! Every table a study computes from scratch is one of two kinds:
//! - **runs**: an arm sweep ([`crate::train::arms::ArmSweep`]), one unit per run, named by its
//!   run id, with its epochs in the history table beside it and, where the sweep keeps them, its
//!   trained models in `<table>.models/`; a sweep file ([`crate::train::sweep::SweepSpec`]) is
//!   one such table whose units are named by their point keys;
//! - **parts**: a table computed part by part ([`super::cached_parts`]), one unit per part key
//!   (study 05's spike matching, study 07's ensembles and kernel snapshots).
//!
//! Tables computed from finished runs (study 04's initialisation probe, study 06's slices and
//! planes, and study 06's final event-network runs, which start from the finished search) are
//! not units: the study makes them once its units are all done
//! ([`super::run_study`]). [`work`] lists a study's tables; [`WorkTable::compute`] computes
//! selected units into any table path, so that each cluster task writes its own copy, and
//! [`WorkTable::merge`] joins copies into the study's table, each unit once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use polars::prelude::{BooleanChunked, DataFrame, NewChunkedArray};

use super::{Scale, StudyError};
use crate::results;
use crate::table::{fresh, string_column};
use crate::train::arms::{ArmLabel, ArmSweep};
use crate::train::units::SelectiveSweep;
use crate::train::{ProgressMode, RunOptions, TrainConfig, TrainError};

/// A table computed part by part: its key column, every key in computation order, and the
/// computation of one part's rows.
pub struct Parts<'a> {
    /// The column naming each row's part.
    pub key: &'static str,
    /// Every part's key.
    pub keys: Vec<String>,
    compute: Box<dyn FnMut(&str) -> Result<DataFrame, StudyError> + 'a>,
}

impl<'a> Parts<'a> {
    /// Parts keyed by `key` with values `keys`, each computed by `compute`.
    pub fn new(key: &'static str, keys: Vec<String>, compute: impl FnMut(&str) -> Result<DataFrame, StudyError> + 'a) -> Self {
        Parts { key, keys, compute: Box::new(compute) }
    }

    /// The table at `path` with every part, computing the missing ones ([`super::cached_parts`]).
    pub fn cached(self, path: &Path) -> Result<DataFrame, StudyError> {
        super::cached_parts(path, self.key, &self.keys, self.compute)
    }
}

/// What a table's units are.
pub enum Units<'a> {
    /// The runs of a sweep.
    Runs(Box<dyn SelectiveSweep + 'a>),
    /// The parts of a table computed part by part.
    Parts(Parts<'a>),
}

/// One table of a study and its units.
pub struct WorkTable<'a> {
    /// Where the study keeps the table.
    pub path: PathBuf,
    /// Its units.
    pub units: Units<'a>,
}

impl<'a> WorkTable<'a> {
    /// The runs of `sweep`, kept at `path`.
    pub fn runs(path: PathBuf, sweep: impl SelectiveSweep + 'a) -> Self {
        WorkTable { path, units: Units::Runs(Box::new(sweep)) }
    }

    /// The parts of `parts`, kept at `path`.
    pub fn parts(path: PathBuf, parts: Parts<'a>) -> Self {
        WorkTable { path, units: Units::Parts(parts) }
    }

    /// The table's file name, which its copies share.
    pub fn file_name(&self) -> String {
        self.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Every unit's name, in computation order.
    pub fn unit_names(&self) -> Result<Vec<String>, StudyError> {
        Ok(match &self.units {
            Units::Runs(sweep) => sweep.units()?.into_iter().map(|(name, _)| name).collect(),
            Units::Parts(parts) => parts.keys.clone(),
        })
    }

    /// The training configuration of each run (for estimates of its cost); parts have none.
    pub fn run_configs(&self) -> Result<Vec<(String, TrainConfig)>, StudyError> {
        Ok(match &self.units {
            Units::Runs(sweep) => sweep.units()?,
            Units::Parts(_) => Vec::new(),
        })
    }

    /// The names of the units the copy of this table at `path` holds (none when there is no
    /// file there).
    pub fn held(&self, path: &Path) -> Result<HashSet<String>, StudyError> {
        if !path.exists() {
            return Ok(HashSet::new());
        }
        let table = results::read_parquet(path)?;
        Ok(match &self.units {
            Units::Runs(sweep) => sweep.held(&table)?.into_iter().collect(),
            Units::Parts(parts) => string_column(&table, parts.key)?.into_iter().collect(),
        })
    }

    /// Computes the units named in `selected` (all with `None`) that the table at `out` does not
    /// hold yet into it, each written as it finishes, runs with `workers`; returns how many
    /// were computed now.
    pub fn compute(&mut self, out: &Path, selected: Option<&HashSet<String>>, workers: crate::train::workers::Workers) -> Result<usize, StudyError> {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::Io(format!("{}: {e}", dir.display())))?;
        }
        // The parts `out` holds already (the runs' sweep finds its own).
        let held = match &self.units {
            Units::Parts(_) => self.held(out)?,
            Units::Runs(_) => HashSet::new(),
        };
        match &mut self.units {
            Units::Runs(sweep) => {
                let options = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
                Ok(sweep.run_units(out, selected, &options, workers)?.ran)
            }
            Units::Parts(parts) => {
                let wanted = |k: &str| selected.is_none_or(|s| s.contains(k));
                let todo = parts.keys.iter().filter(|k| !held.contains(*k) && wanted(k)).count();
                super::cached_parts_where(out, parts.key, &parts.keys, &wanted, &mut parts.compute)?;
                Ok(todo)
            }
        }
    }

    /// Joins the copies of this table at `inputs` (the study's own table among them, first, where
    /// it exists) into `out`, keeping each unit from the first input that holds it: runs with
    /// their epochs ([`crate::train::sweep::merge`]) and kept models, parts with all their rows.
    /// Returns the number of units `out` holds.
    pub fn merge(&self, inputs: &[PathBuf], out: &Path) -> Result<usize, StudyError> {
        let inputs: Vec<PathBuf> = inputs.iter().filter(|p| p.exists()).cloned().collect();
        if inputs.is_empty() {
            return Ok(0);
        }
        match &self.units {
            Units::Runs(sweep) => {
                crate::train::sweep::merge(&inputs, out)?;
                if sweep.keeps_models() {
                    for input in inputs.iter().filter(|i| i.as_path() != out) {
                        move_models(input, out)?;
                    }
                }
            }
            Units::Parts(parts) => {
                let _writer = crate::durable::FileLock::acquire(out).map_err(|e| StudyError::Train(e.into()))?;
                let mut seen: HashSet<String> = HashSet::new();
                let mut kept = Vec::new();
                for input in &inputs {
                    let table = fresh(&results::read_parquet(input)?);
                    let keys = string_column(&table, parts.key)?;
                    let fresh_keys: HashSet<String> = keys.iter().filter(|k| !seen.contains(*k)).cloned().collect();
                    let mask: Vec<bool> = keys.iter().map(|k| fresh_keys.contains(k)).collect();
                    kept.push(fresh(&table.filter(&BooleanChunked::from_slice("kept".into(), &mask))?));
                    seen.extend(fresh_keys);
                }
                results::write_parquet(&mut results::concat(&kept)?, out)?;
            }
        }
        Ok(self.held(out)?.len())
    }
}

impl WorkTable<'_> {
    /// Drops from the runs table, its history and its kept models every run the sweep no longer
    /// lists: runs of an earlier configuration of the study, left behind when a change to the
    /// study gave its runs new identifiers (the study computes the new runs and never reads the
    /// old ones, but the file still holds them). Returns the run ids dropped, in table order.
    /// A table computed part by part keeps exactly its parts already ([`super::cached_parts`]):
    /// nothing to drop.
    pub fn prune(&self) -> Result<Vec<String>, StudyError> {
        let Units::Runs(sweep) = &self.units else { return Ok(Vec::new()) };
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let listed: HashSet<String> = sweep.units()?.iter().map(|(_, config)| crate::train::rows::config_id(config)).collect();
        let _writer = crate::durable::FileLock::acquire(&self.path).map_err(|e| StudyError::Train(e.into()))?;
        let keep_listed = |table: &DataFrame| -> Result<(DataFrame, Vec<String>), StudyError> {
            let ids = string_column(table, "run_id")?;
            let mask: Vec<bool> = ids.iter().map(|id| listed.contains(id)).collect();
            let dropped = ids.iter().zip(&mask).filter(|(_, kept)| !**kept).map(|(id, _)| id.clone()).collect();
            Ok((fresh(&fresh(table).filter(&BooleanChunked::from_slice("listed".into(), &mask))?), dropped))
        };
        let (mut kept, dropped) = keep_listed(&results::read_parquet(&self.path)?)?;
        if dropped.is_empty() {
            return Ok(dropped);
        }
        let history = crate::train::sweep::history_path(&self.path);
        if history.exists() {
            let (mut kept_history, _) = keep_listed(&results::read_parquet(&history)?)?;
            results::write_parquet(&mut kept_history, &history)?;
        }
        results::write_parquet(&mut kept, &self.path)?;
        let models = PathBuf::from(format!("{}.models", self.path.display()));
        for id in &dropped {
            let model = models.join(format!("{id}.bpk"));
            if model.exists() {
                std::fs::remove_file(&model).map_err(|e| TrainError::Io(format!("{}: {e}", model.display())))?;
            }
        }
        Ok(dropped)
    }
}

/// Moves the models a sweep kept beside `from` (`<from>.models/`) to those beside `to`, leaving
/// any model `to` already has.
fn move_models(from: &Path, to: &Path) -> Result<(), StudyError> {
    let source = PathBuf::from(format!("{}.models", from.display()));
    if !source.is_dir() {
        return Ok(());
    }
    let target = PathBuf::from(format!("{}.models", to.display()));
    let io = |p: &Path, e: std::io::Error| StudyError::Train(TrainError::Io(format!("{}: {e}", p.display())));
    std::fs::create_dir_all(&target).map_err(|e| io(&target, e))?;
    for entry in std::fs::read_dir(&source).map_err(|e| io(&source, e))? {
        let entry = entry.map_err(|e| io(&source, e))?;
        let destination = target.join(entry.file_name());
        if !destination.exists() {
            // A rename where both folders share a file system, else a copy.
            if std::fs::rename(entry.path(), &destination).is_err() {
                std::fs::copy(entry.path(), &destination).map_err(|e| io(&destination, e))?;
            }
        }
    }
    Ok(())
}

/// The tables study `study` (its number or name) computes from scratch at `scale`, in the order
/// [`super::run_study`] computes them; tables computed from these are left to the study.
pub fn work(study: &str, scale: Scale) -> Result<Vec<WorkTable<'static>>, StudyError> {
    let number = super::study_number(study)?;
    if !Scale::defined_for(number).contains(&scale) {
        return Err(super::scale::no_grid(number, scale));
    }
    let mut tables: Vec<WorkTable<'static>> = Vec::new();
    match number {
        "01" => {
            for task in super::sg_shapes::tasks(scale) {
                tables.extend(runs_of(super::sg_shapes::results_path(scale, task), super::sg_shapes::sweep(scale, task)));
            }
            tables.extend(runs_of(super::sg_shapes::size_path(scale), super::sg_shapes::size_sweep(scale)));
        }
        "02" => {
            tables.extend(runs_of(super::stability_init::ablation_path(scale), super::stability_init::ablation_sweep(scale)));
            for p in super::stability_init::Parameter::ALL {
                tables.extend(runs_of(super::stability_init::parameter_path(scale, p), super::stability_init::parameter_sweep(scale, p)));
            }
        }
        "03" => {
            tables.extend(runs_of(super::sparsity::sweep_path(scale), super::sparsity::sweep(scale)));
            tables.extend(runs_of(super::sparsity::head_path(scale), super::sparsity::head_sweep(scale)));
        }
        "04" => {
            tables.extend(runs_of(super::extensions::decolle_path(scale), super::extensions::decolle_sweep(scale)));
            tables.extend(runs_of(super::extensions::fluctuation_path(scale), super::extensions::fluctuation_sweep(scale)));
            if scale == Scale::Plateau {
                tables.extend(runs_of(super::extensions::sigma_path(scale), super::extensions::sigma_sweep(scale)));
            }
        }
        "05" => {
            tables.extend(runs_of(super::stochastic::training_path(scale), super::stochastic::training_sweep(scale)));
            tables.push(WorkTable::parts(super::spike_matching::matching_path(scale), super::spike_matching::matching_parts(scale)));
        }
        "06" => {
            let contrast = super::landscape::contrast_scale(scale);
            tables.extend(runs_of(super::landscape::training_path(contrast), super::landscape::training_sweep(contrast)));
            tables.push(WorkTable::parts(super::exact_gradients::search_path(scale), super::exact_gradients::search_parts(scale)));
        }
        "07" => {
            tables.push(WorkTable::parts(super::sg_ntk::ensembles_path(scale), super::sg_ntk::ensemble_work(scale)?));
            tables.push(WorkTable::parts(super::sg_ntk::snapshots_path(scale), super::sg_ntk::snapshot_work(scale)?));
        }
        other => unreachable!("study {other} is listed in STUDIES but has no tables"),
    }
    Ok(tables)
}

/// The runs of `sweep` at `path`, or nothing when the sweep has no runs at this scale.
fn runs_of<L: ArmLabel + 'static>(path: PathBuf, sweep: ArmSweep<L>) -> Option<WorkTable<'static>> {
    (!sweep.points().is_empty()).then(|| WorkTable::runs(path, sweep))
}
