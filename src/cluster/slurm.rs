//! The Slurm side: the two batch scripts, `sbatch` and `squeue`, and the record of what was
//! submitted (`jobs.json`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ClusterError;

/// What each array task asks Slurm for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    /// `--partition`, or Slurm's default partition.
    pub partition: Option<String>,
    /// `--time` in minutes.
    pub minutes: u64,
    /// `--cpus-per-task` (default 1).
    pub cpus_per_task: usize,
    /// `--gpus` per task, none by default.
    pub gpus: Option<usize>,
}

/// A Slurm time limit (`minutes`, `hours:minutes:seconds` or `days-hours[:minutes[:seconds]]`)
/// in minutes, rounded up.
pub fn parse_time(text: &str) -> Result<u64, ClusterError> {
    let bad = || ClusterError::Usage(format!("--time {text:?}: expected minutes, H:MM:SS or D-HH[:MM[:SS]]"));
    let (days, rest) = match text.split_once('-') {
        Some((d, r)) => (d.parse::<u64>().map_err(|_| bad())?, r),
        None => (0, text),
    };
    let fields: Vec<u64> = rest.split(':').map(|f| f.parse::<u64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let seconds = match (days > 0 || text.contains('-'), fields.as_slice()) {
        (false, [m]) => m * 60,
        (false, [m, s]) => m * 60 + s,
        (false, [h, m, s]) => h * 3600 + m * 60 + s,
        (true, [h]) => h * 3600,
        (true, [h, m]) => h * 3600 + m * 60,
        (true, [h, m, s]) => h * 3600 + m * 60 + s,
        _ => return Err(bad()),
    } + days * 86_400;
    if seconds == 0 {
        return Err(bad());
    }
    Ok(seconds.div_ceil(60))
}

/// `minutes` as Slurm's `D-HH:MM:SS`.
pub fn format_time(minutes: u64) -> String {
    format!("{}-{:02}:{:02}:00", minutes / 1440, minutes % 1440 / 60, minutes % 60)
}

/// The scripts' shared `#SBATCH` lines and environment.
struct Header<'a> {
    name: String,
    output: String,
    resources: &'a Resources,
    results: Option<&'a Path>,
}

impl Header<'_> {
    fn render(&self, extra: &[String]) -> String {
        let r = self.resources;
        let mut lines = vec!["#!/bin/bash".to_string(), format!("#SBATCH --job-name={}", self.name)];
        lines.extend(extra.iter().cloned());
        lines.push(format!("#SBATCH --output={}", self.output));
        lines.push("#SBATCH --ntasks=1".into());
        lines.push(format!("#SBATCH --cpus-per-task={}", r.cpus_per_task));
        lines.push(format!("#SBATCH --time={}", format_time(r.minutes)));
        if let Some(p) = &r.partition {
            lines.push(format!("#SBATCH --partition={p}"));
        }
        if let Some(g) = r.gpus {
            lines.push(format!("#SBATCH --gpus={g}"));
        }
        lines.push("set -euo pipefail".into());
        if let Some(results) = self.results {
            lines.push(format!("export SGLAB_RESULTS={}", quote(&results.display().to_string())));
        }
        lines.push("# Runs trained at once in a task, and the threads of each.".into());
        lines.push("export SGLAB_WORKERS=\"${SGLAB_WORKERS:-1}\"".into());
        lines.push("export RAYON_NUM_THREADS=\"${RAYON_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\"".into());
        lines.join("\n")
    }
}

/// The two scripts of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Scripts {
    /// The job array (`array.sbatch`), absent when no unit is left to run.
    pub array: Option<String>,
    /// The gather job (`gather.sbatch`).
    pub gather: String,
}

/// The scripts of a job folder whose plan has `tasks` tasks, run with the sglab binary `exe`
/// from `workdir`; `results` is exported as `SGLAB_RESULTS` (studies). `comment` lines go
/// under the header of the array script.
pub fn scripts(folder: &Path, label: &str, tasks: usize, resources: &Resources, exe: &Path, workdir: &Path, results: Option<&Path>, comment: &[String]) -> Scripts {
    let logs = folder.join("logs");
    let name = format!("sglab-{label}");
    let cd = format!("cd {}", quote(&workdir.display().to_string()));
    let (exe, folder_arg) = (quote(&exe.display().to_string()), quote(&folder.display().to_string()));
    let array = (tasks > 0).then(|| {
        let header = Header { name: name.clone(), output: logs.join("task-%a.log").display().to_string(), resources, results };
        let mut text = header.render(&[format!("#SBATCH --array=0-{}", tasks - 1)]);
        for line in comment {
            text.push_str(&format!("\n# {line}"));
        }
        text.push_str(&format!("\n{cd}\nexec {exe} cluster task {folder_arg} --index \"$SLURM_ARRAY_TASK_ID\"\n"));
        text
    });
    let header = Header { name: format!("{name}-gather"), output: logs.join("gather-%j.log").display().to_string(), resources, results };
    let gather = format!("{}\n{cd}\nexec {exe} cluster gather {folder_arg}\n", header.render(&[]));
    Scripts { array, gather }
}

/// `text` quoted for bash where it needs it.
fn quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c)) { text.to_string() } else { format!("'{}'", text.replace('\'', "'\\''")) }
}

/// Runs a Slurm command, its stdout on success.
fn slurm(program: &str, args: &[&str]) -> Result<String, ClusterError> {
    let output = Command::new(program).args(args).output().map_err(|e| {
        ClusterError::Slurm(format!("cannot run {program}: {e} (is this a machine with Slurm's client commands? `--dry-run` writes the scripts without them)"))
    })?;
    if !output.status.success() {
        return Err(ClusterError::Slurm(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Submits `script` with `sbatch --parsable` (after `--dependency=afterany:<id>` when given) and
/// returns the job id.
pub fn sbatch(script: &Path, after: Option<u64>) -> Result<u64, ClusterError> {
    let dependency = after.map(|id| format!("--dependency=afterany:{id}"));
    let mut args = vec!["--parsable"];
    if let Some(d) = &dependency {
        args.push(d);
    }
    let script_arg = script.display().to_string();
    args.push(&script_arg);
    let out = slurm("sbatch", &args)?;
    // `--parsable` prints `id` or `id;cluster`.
    let id = out.trim().split(';').next().unwrap_or_default();
    id.parse().map_err(|_| ClusterError::Slurm(format!("sbatch printed {:?}, not a job id", out.trim())))
}

/// A task's or job's state in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueueState {
    /// Waiting for resources or a dependency.
    Pending,
    /// Running (or completing).
    Running,
}

/// The array tasks of job `array` still in the queue, by index (one line per task with `-r`);
/// pending tasks not yet split off are listed as ranges such as `[2-5%4]`, which are expanded.
pub fn array_tasks(array: u64) -> Result<Vec<(usize, QueueState)>, ClusterError> {
    let out = slurm("squeue", &["-h", "-r", "-j", &array.to_string(), "-o", "%K %T"])?;
    let mut tasks = Vec::new();
    for line in out.lines() {
        let Some((index, state)) = line.trim().split_once(' ') else { continue };
        let state = match state.trim() {
            "RUNNING" | "COMPLETING" | "CONFIGURING" => QueueState::Running,
            "PENDING" | "REQUEUED" | "SUSPENDED" => QueueState::Pending,
            _ => continue,
        };
        for i in expand_indices(index) {
            tasks.push((i, state));
        }
    }
    tasks.sort();
    Ok(tasks)
}

/// Whether job `id` (any job, not an array task) is still in the queue.
pub fn in_queue(id: u64) -> Result<bool, ClusterError> {
    Ok(!slurm("squeue", &["-h", "-j", &id.to_string(), "-o", "%i"])?.trim().is_empty())
}

/// `3`, `[2-5]`, `[2-5%4]` or `[1,3-4]` as indices.
fn expand_indices(text: &str) -> Vec<usize> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let inner = inner.split('%').next().unwrap_or_default();
    let mut out = Vec::new();
    for piece in inner.split(',') {
        match piece.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    out.extend(a..=b);
                }
            }
            None => out.extend(piece.parse::<usize>().ok()),
        }
    }
    out
}

/// What was submitted for a job folder: `jobs.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Submitted {
    /// The array job's id (none when no unit was left to run).
    pub array: Option<u64>,
    /// The gather job's id.
    pub gather: u64,
}

impl Submitted {
    fn path(folder: &Path) -> PathBuf {
        folder.join("jobs.json")
    }

    /// The record of `folder`, if anything was submitted from it.
    pub fn load(folder: &Path) -> Result<Option<Submitted>, ClusterError> {
        super::read_json(&Submitted::path(folder), "a submission record")
    }

    /// Writes the record to `folder`.
    pub fn save(&self, folder: &Path) -> Result<(), ClusterError> {
        super::write_json(&Submitted::path(folder), self)
    }

    /// The ids of this submission still in the queue (needs `squeue`).
    pub fn queued(&self) -> Result<Vec<u64>, ClusterError> {
        let mut ids = Vec::new();
        for id in self.array.into_iter().chain([self.gather]) {
            if in_queue(id)? {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_time_limits_read_as_minutes() {
        assert_eq!(parse_time("90").unwrap(), 90);
        assert_eq!(parse_time("1:30").unwrap(), 2);
        assert_eq!(parse_time("2:00:00").unwrap(), 120);
        assert_eq!(parse_time("1-00").unwrap(), 1440);
        assert_eq!(parse_time("1-2:30").unwrap(), 1440 + 150);
        assert_eq!(parse_time("0-00:00:59").unwrap(), 1);
        for bad in ["", "x", "1:2:3:4", "0", "-5"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(format_time(1440 + 150), "1-02:30:00");
        assert_eq!(parse_time(&format_time(4321)).unwrap(), 4321);
    }

    #[test]
    fn squeue_array_indices_expand() {
        assert_eq!(expand_indices("3"), vec![3]);
        assert_eq!(expand_indices("[2-5%4]"), vec![2, 3, 4, 5]);
        assert_eq!(expand_indices("[1,3-4]"), vec![1, 3, 4]);
        assert_eq!(expand_indices("N/A"), Vec::<usize>::new());
    }

    #[test]
    fn the_scripts_run_the_task_and_gather_commands_with_the_requested_resources() {
        let resources = Resources { partition: Some("gpu".into()), minutes: 75, cpus_per_task: 4, gpus: Some(1) };
        let s = scripts(Path::new("/r/cluster/02_paper"), "02-paper", 8, &resources, Path::new("/bin/sglab"), Path::new("/w d"), Some(Path::new("/r")), &["note".into()]);
        let array = s.array.unwrap();
        for line in [
            "#SBATCH --array=0-7",
            "#SBATCH --time=0-01:15:00",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --partition=gpu",
            "#SBATCH --gpus=1",
            "#SBATCH --output=/r/cluster/02_paper/logs/task-%a.log",
            "export SGLAB_RESULTS=/r",
            "# note",
            "cd '/w d'",
            "exec /bin/sglab cluster task /r/cluster/02_paper --index \"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(array.lines().any(|l| l == line), "{line} not in\n{array}");
        }
        assert!(s.gather.lines().any(|l| l == "exec /bin/sglab cluster gather /r/cluster/02_paper"), "{}", s.gather);
        assert!(!s.gather.contains("--array"));
        assert!(scripts(Path::new("/f"), "x", 0, &resources, Path::new("/s"), Path::new("/"), None, &[]).array.is_none());
    }
}
