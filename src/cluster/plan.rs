//! Which units each array task computes: `plan.json` in the job folder.

use std::path::{Path, PathBuf};

use super::{ClusterError, Job};

/// One unit of a job: a run (by run id or point key) or a part (by key) of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    /// The table's file name.
    pub table: String,
    /// The unit's name in that table.
    pub name: String,
}

/// The units of one submission, dealt to its array tasks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// What the job computes.
    pub job: Job,
    /// Task `i`'s units, in the order it computes them.
    pub tasks: Vec<Vec<Unit>>,
}

impl Plan {
    /// `units` dealt round-robin to `tasks` tasks (fewer when there are fewer units): units next
    /// to each other in a study's order are often arms of similar cost, so each task gets a
    /// share of every kind.
    pub fn deal(job: Job, units: Vec<Unit>, tasks: usize) -> Plan {
        let count = tasks.max(1).min(units.len());
        let mut dealt = vec![Vec::new(); count];
        for (i, unit) in units.into_iter().enumerate() {
            dealt[i % count].push(unit);
        }
        Plan { job, tasks: dealt }
    }

    /// Units in all tasks.
    pub fn units(&self) -> usize {
        self.tasks.iter().map(Vec::len).sum()
    }

    /// `plan.json` in `folder`.
    pub fn path(folder: &Path) -> PathBuf {
        folder.join("plan.json")
    }

    /// The plan of the job folder `folder`.
    pub fn load(folder: &Path) -> Result<Plan, ClusterError> {
        let path = Plan::path(folder);
        super::read_json(&path, "a plan")?.ok_or_else(|| ClusterError::io(&path, "no such file; is this a job folder written by `sglab cluster submit`?"))
    }

    /// Writes the plan to `folder` in one step.
    pub fn save(&self, folder: &Path) -> Result<(), ClusterError> {
        super::write_json(&Plan::path(folder), self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: usize) -> Vec<Unit> {
        (0..n).map(|i| Unit { table: "t.parquet".into(), name: format!("u{i}") }).collect()
    }

    fn job() -> Job {
        Job::Sweep { file: "/s.toml".into(), out: "/o.parquet".into() }
    }

    #[test]
    fn units_are_dealt_round_robin_to_at_most_as_many_tasks_as_units() {
        let plan = Plan::deal(job(), units(7), 3);
        let names: Vec<Vec<&str>> = plan.tasks.iter().map(|t| t.iter().map(|u| u.name.as_str()).collect()).collect();
        assert_eq!(names, vec![vec!["u0", "u3", "u6"], vec!["u1", "u4"], vec!["u2", "u5"]]);
        assert_eq!(Plan::deal(job(), units(2), 8).tasks.len(), 2);
        assert_eq!(Plan::deal(job(), units(0), 8).tasks.len(), 0);
        assert_eq!(plan.units(), 7);
    }

    #[test]
    fn a_plan_round_trips_through_its_file() {
        let dir = std::env::temp_dir().join(format!("sglab-plan-{}", std::process::id()));
        let plan = Plan::deal(job(), units(5), 2);
        plan.save(&dir).unwrap();
        assert_eq!(Plan::load(&dir).unwrap(), plan);
        std::fs::write(Plan::path(&dir), "{").unwrap();
        let err = Plan::load(&dir).unwrap_err().to_string();
        assert!(err.contains("plan.json") && err.contains("not a plan"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
