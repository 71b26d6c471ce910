//! `sglab cluster gather FOLDER`: the tasks' tables joined into the job's tables.

use std::collections::HashSet;
use std::path::Path;

use super::plan::Plan;
use super::slurm::{self, Submitted};
use super::{ClusterError, Job, task_folders};
use crate::studies::work::WorkTable;

/// What the gather did.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    /// Per table: its file name, the units it holds and the units it has.
    pub tables: Vec<(String, usize, usize)>,
    /// The tables the study computed from its units (name, rows), once all were done.
    pub derived: Vec<(String, usize)>,
}

/// Joins every task copy (`task-<i>/<table>`) of each of `tables` into the table, each unit
/// once (the table's own rows first), then removes the task folders.
pub fn merge(folder: &Path, tables: &[WorkTable<'_>]) -> Result<(), ClusterError> {
    let copies = task_folders(folder)?;
    if copies.is_empty() {
        return Ok(());
    }
    for table in tables {
        let name = table.file_name();
        let mut inputs = vec![table.path.clone()];
        inputs.extend(copies.iter().map(|c| c.join(&name)));
        table.merge(&inputs, &table.path)?;
    }
    for copy in copies {
        std::fs::remove_dir_all(&copy).map_err(|e| ClusterError::io(&copy, e))?;
    }
    Ok(())
}

/// Joins the tasks' tables of the job folder `folder` into the job's tables; when every unit
/// of the plan is done and the job is a study with every unit done, computes the tables the
/// study derives from them ([`crate::studies::run_study`], which then trains nothing). Planned
/// units still missing (a task failed, timed out or was cancelled) are
/// [`ClusterError::Missing`], after what did finish was joined. Refused while tasks of the
/// folder's array are still in the queue, as they would write into folders being removed.
pub fn gather(folder: &Path) -> Result<Gathered, ClusterError> {
    let _gatherer = crate::durable::FileLock::acquire(&Plan::path(folder)).map_err(|e| ClusterError::io(folder, e))?;
    let plan = Plan::load(folder)?;
    if let Some(Submitted { array: Some(array), .. }) = Submitted::load(folder)? {
        // Without Slurm's commands (a gather by hand elsewhere) nothing can be in its queue.
        if let Ok(queued) = slurm::array_tasks(array)
            && !queued.is_empty()
        {
            return Err(ClusterError::Usage(format!("{} tasks of array {array} are still in the queue; gather when they have ended", queued.len())));
        }
    }
    let tables = plan.job.work()?;
    merge(folder, &tables)?;
    let mut report = Gathered { tables: Vec::new(), derived: Vec::new() };
    let mut held_all: HashSet<(String, String)> = HashSet::new();
    let mut complete = true;
    for table in &tables {
        let name = table.file_name();
        let held = table.held(&table.path)?;
        let units = table.unit_names()?;
        complete &= units.iter().all(|u| held.contains(u));
        report.tables.push((name.clone(), units.iter().filter(|u| held.contains(*u)).count(), units.len()));
        held_all.extend(held.into_iter().map(|u| (name.clone(), u)));
    }
    let missing = plan.tasks.iter().flatten().filter(|u| !held_all.contains(&(u.table.clone(), u.name.clone()))).count();
    if missing > 0 {
        return Err(ClusterError::Missing { missing, planned: plan.units(), logs: folder.join("logs") });
    }
    if let Job::Study { study, scale, .. } = &plan.job
        && complete
    {
        report.derived = crate::studies::run_study(study, *scale)?;
    }
    Ok(report)
}
