//! `sglab cluster submit`: plan the missing units, write the scripts, submit them.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::estimate::{SizesCache, run_seconds};
use super::plan::{Plan, Unit};
use super::slurm::{self, Resources, Scripts, Submitted};
use super::{ClusterError, Job, task_folders};

/// What `submit` is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOptions {
    /// At most this many array tasks.
    pub tasks: usize,
    /// Partition, time limit in minutes (estimated when `None`), CPUs and GPUs per task.
    pub partition: Option<String>,
    /// The time limit of each task and of the gather job, in minutes; `None`: 1.5 × the
    /// estimated longest task (rounded up, at least 10 minutes).
    pub minutes: Option<u64>,
    /// CPUs per task.
    pub cpus_per_task: usize,
    /// GPUs per task.
    pub gpus: Option<usize>,
    /// Write and print the scripts, submit nothing.
    pub dry_run: bool,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions { tasks: 16, partition: None, minutes: None, cpus_per_task: 1, gpus: None, dry_run: false }
    }
}

/// What `submit` did.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The job folder.
    pub folder: PathBuf,
    /// Units of the job, and those already done before this submission.
    pub total: usize,
    /// Units already done (in the job's tables or in earlier tasks' tables).
    pub done: usize,
    /// The plan of this submission.
    pub plan: Plan,
    /// The estimated duration of each task in seconds, where every unit has an estimate.
    pub task_seconds: Option<Vec<f64>>,
    /// The time limit asked for, in minutes.
    pub minutes: u64,
    /// The scripts written to the folder.
    pub scripts: Scripts,
    /// The job ids, unless this was a dry run.
    pub submitted: Option<Submitted>,
}

/// Plans the units of `job` not done yet, writes `plan.json`, `array.sbatch` and
/// `gather.sbatch` to its folder and, unless `options.dry_run`, joins what earlier tasks
/// finished into the job's tables first and submits the array and the gather job
/// ([`super`] docs). Refused while a job of the folder's last submission is in the queue, and
/// (unless a dry run) when a task's data cannot be loaded here, as the tasks would fail on it.
pub fn submit(job: &Job, options: &SubmitOptions) -> Result<Submission, ClusterError> {
    if options.tasks == 0 || options.cpus_per_task == 0 {
        return Err(ClusterError::Usage("--tasks and --cpus-per-task take at least 1".into()));
    }
    let folder = job.folder();
    std::fs::create_dir_all(folder.join("logs")).map_err(|e| ClusterError::io(&folder, e))?;
    let _submitter = crate::durable::FileLock::acquire(&Plan::path(&folder)).map_err(|e| ClusterError::io(&folder, e))?;
    if let Some(previous) = Submitted::load(&folder)? {
        // A dry run on a machine without Slurm cannot ask, and does not need to.
        match previous.queued() {
            Ok(queued) if !queued.is_empty() => {
                let ids: Vec<String> = queued.iter().map(u64::to_string).collect();
                return Err(ClusterError::Usage(format!(
                    "jobs {} of the last submission of {} are still in the queue: wait for them (sglab cluster status) or cancel them (scancel {})",
                    ids.join(", "),
                    job.label(),
                    ids.join(" ")
                )));
            }
            Err(e) if !options.dry_run => return Err(e),
            _ => {}
        }
    }
    let tables = job.work()?;
    if !options.dry_run {
        super::gather::merge(&folder, &tables)?;
    }
    let copies = task_folders(&folder)?;
    let (mut total, mut missing) = (0, Vec::new());
    let mut configs = HashMap::new();
    for table in &tables {
        let name = table.file_name();
        let mut held: HashSet<String> = table.held(&table.path)?;
        held.extend(super::held_in_copies(table, &copies)?);
        for unit in table.unit_names()? {
            total += 1;
            if !held.contains(&unit) {
                missing.push(Unit { table: name.clone(), name: unit });
            }
        }
        for (unit, config) in table.run_configs()? {
            configs.insert((name.clone(), unit), config);
        }
    }
    let done = total - missing.len();
    let plan = Plan::deal(job.clone(), missing, options.tasks);

    let mut sizes = SizesCache::default();
    let mut no_estimate = None;
    let mut task_seconds = Vec::new();
    for units in &plan.tasks {
        let mut seconds = 0.0;
        for unit in units {
            match configs.get(&(unit.table.clone(), unit.name.clone())) {
                None => no_estimate = Some(format!("{} is computed part by part", unit.table)),
                Some(config) => match sizes.of(config) {
                    Ok(s) => seconds += run_seconds(config, &s),
                    Err(e) => no_estimate = Some(format!("the data of {}'s task cannot be loaded here: {e}", unit.table)),
                },
            }
        }
        task_seconds.push(seconds);
    }
    // Tasks would fail on data the login node cannot read either (the nodes share its files).
    if let (false, Some(error)) = (options.dry_run, sizes.unavailable().first()) {
        return Err(ClusterError::Usage(format!("the tasks would fail: {error} (--dry-run writes the scripts anyway)")));
    }
    let task_seconds = no_estimate.is_none().then_some(task_seconds);
    let longest = task_seconds.as_deref().map(longest_of);
    let minutes = match (options.minutes, longest) {
        (Some(m), _) => m,
        (None, Some(longest)) => ((1.5 * longest / 60.0).ceil() as u64).max(10),
        (None, None) => {
            return Err(ClusterError::Usage(format!("no estimate of the tasks' duration ({}): give --time", no_estimate.unwrap_or_default())));
        }
    };

    let resources = Resources { partition: options.partition.clone(), minutes, cpus_per_task: options.cpus_per_task, gpus: options.gpus };
    let exe = std::env::current_exe().map_err(|e| ClusterError::Usage(format!("cannot find the sglab binary: {e}")))?;
    let workdir = std::env::current_dir().map_err(|e| ClusterError::Usage(format!("cannot read the current folder: {e}")))?;
    let results = match job {
        Job::Study { results, .. } => Some(results.as_path()),
        Job::Sweep { .. } => None,
    };
    let mut comment = vec![format!("{} units of {} ({} done before), {} tasks.", plan.units(), job.label(), done, plan.tasks.len())];
    if let Some(longest) = longest {
        comment.push(format!(
            "Longest task estimated at {} at most (one core of the machine sglab's constant was measured on; sglab::cluster::estimate), time limit 1.5x that.",
            duration(longest)
        ));
    }
    let scripts = slurm::scripts(&folder, &job.slug(), plan.tasks.len(), &resources, &exe, &workdir, results, &comment);
    plan.save(&folder)?;
    match &scripts.array {
        Some(array) => super::write_file(&folder.join("array.sbatch"), array)?,
        None => {
            let _ = std::fs::remove_file(folder.join("array.sbatch"));
        }
    }
    super::write_file(&folder.join("gather.sbatch"), &scripts.gather)?;

    let submitted = if options.dry_run {
        None
    } else {
        let array = scripts.array.as_ref().map(|_| slurm::sbatch(&folder.join("array.sbatch"), None)).transpose()?;
        let gather = slurm::sbatch(&folder.join("gather.sbatch"), array)?;
        let record = Submitted { array, gather };
        record.save(&folder)?;
        Some(record)
    };
    Ok(Submission { folder, total, done, plan, task_seconds, minutes, scripts, submitted })
}

impl Submission {
    /// The estimated duration of the longest task in seconds, where every unit has an estimate.
    pub fn longest_task_seconds(&self) -> Option<f64> {
        self.task_seconds.as_deref().map(longest_of)
    }
}

fn longest_of(seconds: &[f64]) -> f64 {
    seconds.iter().copied().fold(0.0, f64::max)
}

/// Seconds as `1 h 05 min` or `42 s`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}
