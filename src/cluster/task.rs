//! `sglab cluster task FOLDER --index I`: what one array task runs.

use std::collections::HashSet;
use std::path::Path;

use super::plan::Plan;
use super::{ClusterError, task_folder};

/// Computes the units the plan of `folder` gives task `index` into the task's own copies of the
/// job's tables (`task-<index>/`), each written as it finishes, so that a task started again
/// computes only what it had not finished. Returns the number of units computed now. A unit the
/// job no longer has (its grid changed since the submission) is an error naming it.
pub fn run_task(folder: &Path, index: usize) -> Result<usize, ClusterError> {
    let plan = Plan::load(folder)?;
    let units = plan
        .tasks
        .get(index)
        .ok_or_else(|| ClusterError::Usage(format!("task {index} is not in the plan of {} ({} tasks)", folder.display(), plan.tasks.len())))?;
    let mut tables = plan.job.work()?;
    let known: HashSet<(String, String)> =
        tables.iter().map(|t| Ok(t.unit_names()?.into_iter().map(|u| (t.file_name(), u)).collect::<Vec<_>>())).collect::<Result<Vec<_>, ClusterError>>()?.into_iter().flatten().collect();
    if let Some(unknown) = units.iter().find(|u| !known.contains(&(u.table.clone(), u.name.clone()))) {
        return Err(ClusterError::Usage(format!(
            "unit {} of {} is not in {} any more: the grid changed since the submission (another sglab?); submit again",
            unknown.name,
            unknown.table,
            plan.job.label()
        )));
    }
    let workers = crate::studies::workers()?;
    let out_dir = task_folder(folder, index);
    let mut computed = 0;
    for table in &mut tables {
        let name = table.file_name();
        let selected: HashSet<String> = units.iter().filter(|u| u.table == name).map(|u| u.name.clone()).collect();
        if selected.is_empty() {
            continue;
        }
        let out = out_dir.join(&name);
        let ran = table.compute(&out, Some(&selected), workers)?;
        println!("{name}: {ran} of this task's {} units computed now ({} before) into {}", selected.len(), selected.len() - ran, out.display());
        computed += ran;
    }
    Ok(computed)
}
