//! `sglab cluster status`: per table, the units done, finished in tasks not yet gathered,
//! running, queued and missing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::plan::Plan;
use super::slurm::{self, QueueState, Submitted};
use super::{ClusterError, Job, task_folders};

/// The units of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStatus {
    /// The table's file name.
    pub table: String,
    /// Its units.
    pub units: usize,
    /// Units the table holds.
    pub done: usize,
    /// Units finished in a task's table, not yet gathered.
    pub finished: usize,
    /// Units of running tasks, not finished.
    pub running: usize,
    /// Units of tasks waiting in the queue.
    pub queued: usize,
    /// Units nobody is computing.
    pub missing: usize,
}

/// A job's state.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    /// What the job computes.
    pub label: String,
    /// Its folder.
    pub folder: PathBuf,
    /// What was submitted last, if anything.
    pub submitted: Option<Submitted>,
    /// Whether the gather job is still in the queue (`None`: unknown, no Slurm here).
    pub gather_queued: Option<bool>,
    /// One row per table.
    pub tables: Vec<TableStatus>,
}

/// The state of `job`, from its tables, its tasks' tables and, where Slurm's commands answer,
/// the queue.
pub fn status(job: &Job) -> Result<JobStatus, ClusterError> {
    let folder = job.folder();
    let plan = match Plan::load(&folder) {
        Ok(p) => Some(p),
        Err(_) if !Plan::path(&folder).exists() => None,
        Err(e) => return Err(e),
    };
    let submitted = Submitted::load(&folder)?;
    // Task index → queue state, for the last array.
    let (queue, gather_queued): (HashMap<usize, QueueState>, Option<bool>) = match &submitted {
        Some(s) => {
            let tasks = s.array.map(slurm::array_tasks).transpose();
            let gather = slurm::in_queue(s.gather);
            match (tasks, gather) {
                (Ok(tasks), Ok(g)) => (tasks.unwrap_or_default().into_iter().collect(), Some(g)),
                _ => (HashMap::new(), None),
            }
        }
        None => (HashMap::new(), Some(false)),
    };
    let copies = task_folders(&folder)?;
    let mut rows = Vec::new();
    for table in job.work()? {
        let name = table.file_name();
        let done = table.held(&table.path)?;
        let finished: HashSet<String> = super::held_in_copies(&table, &copies)?.into_iter().filter(|u| !done.contains(u)).collect();
        let mut state_of: HashMap<&str, QueueState> = HashMap::new();
        if let Some(plan) = &plan {
            for (i, units) in plan.tasks.iter().enumerate() {
                if let Some(&state) = queue.get(&i) {
                    for u in units.iter().filter(|u| u.table == name) {
                        state_of.insert(u.name.as_str(), state);
                    }
                }
            }
        }
        let mut row = TableStatus { table: name.clone(), units: 0, done: 0, finished: 0, running: 0, queued: 0, missing: 0 };
        for unit in table.unit_names()? {
            row.units += 1;
            if done.contains(&unit) {
                row.done += 1;
            } else if finished.contains(&unit) {
                row.finished += 1;
            } else {
                match state_of.get(unit.as_str()) {
                    Some(QueueState::Running) => row.running += 1,
                    Some(QueueState::Pending) => row.queued += 1,
                    None => row.missing += 1,
                }
            }
        }
        rows.push(row);
    }
    Ok(JobStatus { label: job.label(), folder, submitted, gather_queued, tables: rows })
}

/// The jobs with a folder under `results/cluster/` (studies), from their plans.
pub fn study_jobs(results: &Path) -> Result<Vec<Job>, ClusterError> {
    let root = results.join("cluster");
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root).map_err(|e| ClusterError::io(&root, e))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    folders.sort();
    Ok(folders.into_iter().filter(|f| Plan::path(f).exists()).map(|f| Plan::load(&f).map(|p| p.job)).collect::<Result<_, _>>()?)
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.label, self.folder.display())?;
        match (&self.submitted, self.gather_queued) {
            (None, _) => writeln!(f, ": never submitted")?,
            (Some(s), queued) => {
                let array = s.array.map_or_else(|| "no array".to_string(), |a| format!("array {a}"));
                let gather = match queued {
                    Some(true) => "in the queue",
                    Some(false) => "ended",
                    None => "state unknown (no squeue here)",
                };
                writeln!(f, ": {array}, gather {} {gather}", s.gather)?;
            }
        }
        let width = self.tables.iter().map(|t| t.table.len()).max().unwrap_or(5).max(5);
        writeln!(f, "  {:<width$}  {:>6}  {:>6}  {:>13}  {:>7}  {:>6}  {:>7}", "table", "units", "done", "in task files", "running", "queued", "missing")?;
        for t in &self.tables {
            writeln!(f, "  {:<width$}  {:>6}  {:>6}  {:>13}  {:>7}  {:>6}  {:>7}", t.table, t.units, t.done, t.finished, t.running, t.queued, t.missing)?;
        }
        Ok(())
    }
}
