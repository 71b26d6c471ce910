//! A study's sweeps, or a sweep file, on a Slurm cluster: submitted as a job array, gathered by
//! a dependent job, resubmitted until every run is done.
//!
//! ```text
//! sglab cluster submit 02 --scale paper --tasks 64 --partition cpu     # or SWEEP.toml [--out RUNS.parquet]
//! sglab cluster status                                                 # done / running / queued / missing
//! sglab cluster submit 02 --scale paper                                # after failures: only the missing runs
//! ```
//!
//! A job (a study at a scale, or a sweep file and its table) is a list of tables of independent
//! units ([`crate::studies::work`]: runs, or parts of a table computed part by part). It lives
//! in one folder: `<results>/cluster/<NN>_<scale>/` for a study (`<results>` being
//! [`crate::studies::results_dir`]), `<out>.cluster/` for a sweep file. [`submit`]:
//! 1. joins what earlier tasks finished (`task-<i>/`) into the job's tables ([`gather::merge`]),
//! 2. lists the units the tables do not hold and deals them round-robin to at most `--tasks`
//!    array tasks, written as `plan.json` ([`plan::Plan`]),
//! 3. writes `array.sbatch` (each array task runs `sglab cluster task FOLDER --index
//!    $SLURM_ARRAY_TASK_ID`, computing its units into `task-<i>/`, each written as it finishes)
//!    and `gather.sbatch` (`sglab cluster gather FOLDER`: the tasks' tables joined into the job's
//!    tables, each unit once, then, for a study with every unit done, the tables computed from
//!    them),
//! 4. submits both with `sbatch`, the gather with `--dependency=afterany` on the array, so that
//!    it joins what finished even when a task failed, timed out or was cancelled.
//!
//! Queueing, time limits, retries (`#SBATCH --requeue` in the script) and the dependency are
//! Slurm's; sglab only decides which units each task runs and joins the results. A task that is
//! cancelled loses only the run in flight: a resubmission plans only the units still missing.
//! `--dry-run` writes and prints the scripts and the plan without submitting anything, for
//! users to edit and submit themselves (`sbatch array.sbatch`, then `sbatch
//! --dependency=afterany:<array id> gather.sbatch`).

pub mod estimate;
pub mod gather;
pub mod plan;
pub mod slurm;
pub mod status;
pub mod submit;
pub mod task;

use std::path::{Path, PathBuf};

use crate::studies::work::WorkTable;
use crate::studies::{Scale, StudyError};
use crate::train::sweep::SweepSpec;

pub use gather::gather;
pub use status::status;
pub use submit::{SubmitOptions, submit};
pub use task::run_task;

/// Errors of cluster submission, tasks and gathering.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A study's tables could not be listed, computed or joined.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// A Slurm command failed or is missing.
    #[error("slurm: {0}")]
    Slurm(String),
    /// A job folder's files are missing or malformed.
    #[error("{path}: {message}")]
    Folder {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An argument that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// Units the gather found missing after the tasks ended.
    #[error("{missing} of {planned} planned units are missing after the tasks ended (failed, cancelled or timed out; their logs are in {logs}): submit again to run only those")]
    Missing {
        /// Planned units not done.
        missing: usize,
        /// Units of the plan.
        planned: usize,
        /// The tasks' log folder.
        logs: PathBuf,
    },
}

impl From<crate::train::TrainError> for ClusterError {
    fn from(e: crate::train::TrainError) -> Self {
        ClusterError::Study(StudyError::Train(e))
    }
}

impl ClusterError {
    fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        ClusterError::Folder { path: path.to_path_buf(), message: e.to_string() }
    }
}

/// What a cluster job computes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Job {
    /// A study's sweeps at a scale, into the study's tables under the results folder.
    Study {
        /// The study's number, "01" … "07".
        study: String,
        /// The scale.
        scale: Scale,
        /// The results folder the study's tables are in (absolute).
        results: PathBuf,
    },
    /// A sweep file into its runs table.
    Sweep {
        /// The sweep file (absolute).
        file: PathBuf,
        /// The runs table (absolute).
        out: PathBuf,
    },
}

impl Job {
    /// Study `name` (number or name) at `scale`, its tables in [`crate::studies::results_dir`].
    pub fn study(name: &str, scale: Scale) -> Result<Job, ClusterError> {
        let study = crate::studies::study_number(name)?.to_string();
        Ok(Job::Study { study, scale, results: absolute(&crate::studies::results_dir())? })
    }

    /// The sweep file `file` into `out` (the file's `out` when `None`).
    pub fn sweep(file: &Path, out: Option<&Path>) -> Result<Job, ClusterError> {
        let spec = SweepSpec::load(file)?;
        let out = out
            .map(Path::to_path_buf)
            .or(spec.out)
            .ok_or_else(|| ClusterError::Usage(format!("{}: give --out or `out` in the sweep file", file.display())))?;
        Ok(Job::Sweep { file: absolute(file)?, out: absolute(&out)? })
    }

    /// A study number or name, or a sweep file (a path ending in `.toml`).
    pub fn parse(target: &str, scale: Scale, out: Option<&Path>) -> Result<Job, ClusterError> {
        if target.ends_with(".toml") { Job::sweep(Path::new(target), out) } else { Job::study(target, scale) }
    }

    /// The job's folder: `<results>/cluster/<NN>_<scale>/` or `<out>.cluster/`.
    pub fn folder(&self) -> PathBuf {
        match self {
            Job::Study { study, scale, results } => results.join("cluster").join(format!("{study}_{}", scale.name())),
            Job::Sweep { out, .. } => PathBuf::from(format!("{}.cluster", out.display())),
        }
    }

    /// A short name: `02 at paper scale`, or the sweep file's name.
    pub fn label(&self) -> String {
        match self {
            Job::Study { study, scale, .. } => format!("study {study} at {} scale", scale.name()),
            Job::Sweep { file, .. } => format!("sweep {}", file.display()),
        }
    }

    /// A name for its Slurm jobs: `02-paper`, or the sweep table's file stem.
    pub fn slug(&self) -> String {
        match self {
            Job::Study { study, scale, .. } => format!("{study}-{}", scale.name()),
            Job::Sweep { out, .. } => out.file_stem().map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned()),
        }
    }

    /// The job's tables (in the study's results folder, or the sweep's table).
    pub fn work(&self) -> Result<Vec<WorkTable<'static>>, ClusterError> {
        match self {
            Job::Study { study, scale, results } => {
                let here = absolute(&crate::studies::results_dir())?;
                if &here != results {
                    return Err(ClusterError::Usage(format!(
                        "this job's tables are in {}, but this process's results folder is {} (set SGLAB_RESULTS={})",
                        results.display(),
                        here.display(),
                        results.display()
                    )));
                }
                Ok(crate::studies::work::work(study, *scale)?)
            }
            Job::Sweep { file, out } => Ok(vec![WorkTable::runs(out.clone(), SweepSpec::load(file)?)]),
        }
    }
}

/// Replaces the file `path` by `text` in one step ([`crate::durable::write`]).
fn write_file(path: &Path, text: &str) -> Result<(), ClusterError> {
    crate::durable::write(path, text).map_err(|e| ClusterError::io(path, e))
}

/// Writes `value` as JSON to `path` in one step.
fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ClusterError> {
    write_file(path, &serde_json::to_string_pretty(value).expect("a job folder's records serialise"))
}

/// The JSON record `what` at `path`, `None` where there is no file.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Option<T>, ClusterError> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ClusterError::io(path, e)),
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| ClusterError::io(path, format!("not {what}: {e}"))),
    }
}

/// `path` made absolute against the current folder (without resolving links, so a folder
/// that does not exist yet is fine).
fn absolute(path: &Path) -> Result<PathBuf, ClusterError> {
    std::path::absolute(path).map_err(|e| ClusterError::io(path, e))
}

/// The folder of task `index` of a job folder.
pub fn task_folder(folder: &Path, index: usize) -> PathBuf {
    folder.join(format!("task-{index}"))
}

/// The units of `table` that its copies in the task folders `copies` hold.
fn held_in_copies(table: &WorkTable<'_>, copies: &[PathBuf]) -> Result<std::collections::HashSet<String>, ClusterError> {
    let mut held = std::collections::HashSet::new();
    for copy in copies {
        held.extend(table.held(&copy.join(table.file_name()))?);
    }
    Ok(held)
}

/// Every task folder (`task-<i>/`) of a job folder, in index order.
pub fn task_folders(folder: &Path) -> Result<Vec<PathBuf>, ClusterError> {
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(usize, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(|e| ClusterError::io(folder, e))? {
        let entry = entry.map_err(|e| ClusterError::io(folder, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(i) = name.strip_prefix("task-").and_then(|i| i.parse::<usize>().ok()) {
            found.push((i, entry.path()));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}
