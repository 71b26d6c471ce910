//! Runs per hour of a study grid under each way of spreading a sweep over the cores
//! (`sglab::train::workers`), measured side by side in one invocation:
//!
//! * `one`: one run at a time, its kernels on the process's pool (every core);
//! * `shared`: one run per core at once, all sending their kernels to the process's pool;
//! * `per-core`: one run per core at once, each with a one-thread pool of its own;
//! * `processes`: one single-threaded process per core (`RAYON_NUM_THREADS=1`), each running
//!   its share of the runs one at a time.
//!
//! ```text
//! cargo bench --bench sweep_throughput                                   # every layout, 8 runs of 3 epochs
//! cargo bench --bench sweep_throughput -- --runs 12 --epochs 4 shared per-core
//! ```
//!
//! The grid is study 03's plateau grid (`sglab::studies::sparsity::sweep`: rate targeting to the
//! arm's initial rate, then training with the sparsity schedule, validation after every epoch),
//! `--runs` arms picked evenly across it, seed 0, each run cut to exactly `--epochs` epochs (no
//! early stopping, no warm-up) so that every layout does the same work. Each layout runs in a child process
//! of its own (this binary re-executed with `--layout`), writing to its own table in a scratch
//! folder; the parent times it from spawn to exit and finally compares every layout's test
//! losses and accuracies with the first layout's, run by run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sglab::studies::{Scale, sparsity};
use sglab::train::ProgressMode;
use sglab::train::RunOptions;
use sglab::train::arms::{Arm, ArmSweep};
use sglab::train::workers::{Workers, cores};

const LAYOUTS: [&str; 4] = ["one", "shared", "per-core", "processes"];

/// The bench's sweep: `runs` arms of study 03's plateau grid spread evenly over it, seed 0,
/// each cut to `epochs` epochs.
fn grid(runs: usize, epochs: usize) -> ArmSweep<String> {
    let full = sparsity::sweep(Scale::Plateau);
    let n = full.arms.len();
    let arms = (0..runs.min(n))
        .map(|i| {
            let arm = &full.arms[i * n / runs.min(n)];
            let mut config = arm.config.clone();
            config.run.epochs = epochs;
            config.run.epoch_limit = None;
            config.run.patience = None;
            // Warm-up only delays best-weight selection and patience, which a cut run has none of.
            config.run.warmup_epochs = 0;
            Arm::new(arm.label.to_string(), config)
        })
        .collect();
    ArmSweep::new(arms, vec![0])
}

/// Runs `sweep`'s points whose index is `part` modulo `parts` into `out` with `workers`.
fn run(sweep: &ArmSweep<String>, out: &Path, workers: Workers, part: usize, parts: usize) -> Result<(), Box<dyn std::error::Error>> {
    let ids: std::collections::HashSet<String> = sweep.points().into_iter().filter(|p| p.index % parts == part).map(|p| p.run_id).collect();
    let options = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    sweep.run_selected(out, Some(&ids), &options, workers)?;
    Ok(())
}

/// The test loss and accuracy of every run of the table at `out`, by run id.
fn outcomes(out: &Path) -> Result<Vec<(String, f64, f64)>, Box<dyn std::error::Error>> {
    let table = sglab::results::read_parquet(out)?;
    let ids = sglab::table::string_column(&table, "run_id")?;
    let loss = sglab::table::f64_column(&table, "test_loss")?;
    let acc = sglab::table::f64_column(&table, "test_accuracy")?;
    let mut rows: Vec<(String, f64, f64)> = ids.into_iter().zip(loss).zip(acc).map(|((id, l), a)| (id, l, a)).collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    sglab::fused::retain_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let (mut runs, mut epochs, mut layouts, mut child): (usize, usize, Vec<String>, Option<(String, PathBuf, usize, usize)>) = (8, 3, Vec::new(), None);
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--runs" => runs = iter.next().ok_or("--runs needs a number")?.parse()?,
            "--epochs" => epochs = iter.next().ok_or("--epochs needs a number")?.parse()?,
            "--layout" => {
                let [layout, out, part, parts] = [(); 4].map(|_| iter.next());
                let missing = "--layout LAYOUT OUT PART PARTS";
                child = Some((layout.ok_or(missing)?, PathBuf::from(out.ok_or(missing)?), part.ok_or(missing)?.parse()?, parts.ok_or(missing)?.parse()?));
            }
            other if LAYOUTS.contains(&other) => layouts.push(other.to_string()),
            other => return Err(format!("unknown argument {other}: expected --runs N, --epochs N or layouts among {LAYOUTS:?}").into()),
        }
    }
    if runs == 0 || epochs == 0 {
        return Err("--runs and --epochs must be at least 1".into());
    }
    let sweep = grid(runs, epochs);
    if let Some((layout, out, part, parts)) = child {
        let workers = match layout.as_str() {
            "one" => Workers::one(),
            "shared" => Workers::shared(cores()),
            "per-core" => Workers::pooled(cores(), 1),
            _ => return Err(format!("a child runs one, shared or per-core, not {layout}").into()),
        };
        return run(&sweep, &out, workers, part, parts);
    }
    if layouts.is_empty() {
        layouts = LAYOUTS.iter().map(|s| s.to_string()).collect();
    }
    let scratch = std::env::temp_dir().join(format!("sglab-sweep-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let exe = std::env::current_exe()?;
    let spawn = |layout: &str, out: &Path, part: usize, parts: usize, threads: Option<usize>| {
        let mut command = Command::new(&exe);
        command.args(["--runs", &runs.to_string(), "--epochs", &epochs.to_string(), "--layout", layout]).arg(out).args([part.to_string(), parts.to_string()]);
        if let Some(t) = threads {
            command.env("RAYON_NUM_THREADS", t.to_string());
        }
        command.spawn()
    };
    println!("{} runs of study 03's plateau grid, {epochs} epochs each, {} cores", sweep.arms.len(), cores());
    println!("| layout | wall s | runs per hour | against the first row |");
    println!("|---|---:|---:|---:|");
    let mut reference: Option<(f64, Vec<(String, f64, f64)>)> = None;
    let mut comparisons = Vec::new();
    for layout in &layouts {
        let out = scratch.join(format!("{layout}.parquet"));
        let start = Instant::now();
        let children = if layout == "processes" {
            (0..cores()).map(|part| spawn("one", &out.with_extension(format!("{part}.parquet")), part, cores(), Some(1))).collect::<Result<Vec<_>, _>>()?
        } else {
            vec![spawn(layout, &out, 0, 1, None)?]
        };
        for mut c in children {
            if !c.wait()?.success() {
                return Err(format!("layout {layout} failed").into());
            }
        }
        let wall = start.elapsed().as_secs_f64();
        let mut found = Vec::new();
        if layout == "processes" {
            for part in 0..cores() {
                found.extend(outcomes(&out.with_extension(format!("{part}.parquet")))?);
            }
            found.sort_by(|a, b| a.0.cmp(&b.0));
        } else {
            found = outcomes(&out)?;
        }
        let per_hour = sweep.arms.len() as f64 / wall * 3600.0;
        let ratio = match &reference {
            Some((base, rows)) => {
                let same_loss = rows.iter().zip(&found).filter(|(a, b)| a.0 == b.0 && a.1 == b.1).count();
                let same_accuracy = rows.iter().zip(&found).filter(|(a, b)| a.0 == b.0 && a.2 == b.2).count();
                let largest = rows.iter().zip(&found).map(|(a, b)| (a.1 - b.1).abs()).fold(0.0f64, f64::max);
                comparisons.push(format!(
                    "{layout}: test loss equal in {same_loss} of {} runs (largest difference {largest:.2e}), test accuracy in {same_accuracy}",
                    rows.len()
                ));
                format!("{:.2}×", base / wall)
            }
            None => {
                reference = Some((wall, found));
                "1.00×".to_string()
            }
        };
        println!("| {layout} | {wall:.1} | {per_hour:.0} | {ratio} |");
    }
    println!("against the first layout's runs:");
    for line in comparisons {
        println!("  {line}");
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
