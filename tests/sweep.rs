//! Sweeps through the `sglab` binary: killed mid-way and rerun, the table holds the full grid
//! exactly once; a diverging point is recorded and the sweep goes on; shards merge to the grid.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sglab::results;
use sglab::train::sweep::SweepSpec;
use sglab::train::workers::Workers;

/// 3 learning rates (one diverging) × 2 seeds of a small randman run.
const SWEEP: &str = r#"
seeds = [0, 1]

[grid]
"optimizer.lr" = [1e-2, 3e-3, 1e37]

[base]
epochs = 3
batch_size = 16
model = { hidden_sizes = [24] }
task = { name = "randman", classes = 3, units = 10, steps = 30, alpha = 2.0, samples_per_class = 40 }
"#;

/// The `sglab` binary with `args`.
fn sglab(args: &[&str]) -> Command {
    let mut cmd = common::sglab_binary();
    cmd.args(args);
    cmd
}

fn points_in(path: &Path) -> Vec<String> {
    results::string_column(&results::read_parquet(path).unwrap(), "point").unwrap()
}

fn expected_points() -> BTreeSet<String> {
    SweepSpec::from_toml(SWEEP).unwrap().points().unwrap().into_iter().map(|p| p.key).collect()
}

/// `sglab sweep` with two runs at once (`SGLAB_WORKERS`, `SGLAB_RUN_THREADS`) trains the same
/// runs as one at a time and names every point as it finishes; a malformed setting is refused
/// naming the variable.
#[test]
fn a_sweep_file_with_two_runs_at_once_matches_one_at_a_time() {
    let dir = common::scratch_dir("sweep-workers");
    let spec = dir.join("sweep.toml");
    std::fs::write(&spec, SWEEP.replace("epochs = 3", "epochs = 1")).unwrap();
    let metrics = |path: &Path| {
        let table = results::read_parquet(path).unwrap();
        let mut rows: Vec<(String, String)> = points_in(path)
            .into_iter()
            .zip(sglab::table::optional_f64_column(&table, "test_loss").unwrap())
            .map(|(p, l)| (p, format!("{l:?}")))
            .collect();
        rows.sort();
        rows
    };
    let (one, two) = (dir.join("one.parquet"), dir.join("two.parquet"));
    let run = sglab(&["sweep", spec.to_str().unwrap(), "--out", one.to_str().unwrap(), "--quiet"]).env("SGLAB_WORKERS", "1").output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let run = sglab(&["sweep", spec.to_str().unwrap(), "--out", two.to_str().unwrap()]).env("SGLAB_WORKERS", "2").env("SGLAB_RUN_THREADS", "1").output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    for point in expected_points() {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("{point} ("))), "no line for {point} in {stdout}");
    }
    assert_eq!(metrics(&one), metrics(&two));
    let bad = sglab(&["sweep", spec.to_str().unwrap(), "--out", dir.join("bad.parquet").to_str().unwrap()]).env("SGLAB_RUN_THREADS", "many").output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SGLAB_RUN_THREADS"), "{}", String::from_utf8_lossy(&bad.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_killed_sweep_reruns_to_the_full_grid_exactly_once() {
    let dir = common::scratch_dir("kill");
    let spec = dir.join("sweep.toml");
    std::fs::write(&spec, SWEEP).unwrap();
    let out = dir.join("runs.parquet");
    let (spec_s, out_s) = (spec.to_str().unwrap(), out.to_str().unwrap());

    // Start, wait for the first finished run, kill the process mid-sweep.
    let mut child = sglab(&["sweep", spec_s, "--out", out_s, "--quiet"]).spawn().unwrap();
    let start = Instant::now();
    while !out.exists() {
        assert!(start.elapsed() < Duration::from_secs(300), "no run finished within 300 s");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sweep ended before it could be killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = points_in(&out);
    assert!(!partial.is_empty() && partial.len() < 6, "{} rows after the kill", partial.len());

    // Rerun: only the missing points run.
    let done = sglab(&["sweep", spec_s, "--out", out_s, "--quiet"]).output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(stdout.contains(&format!("{} already done", partial.len())), "{stdout}");

    let points = points_in(&out);
    assert_eq!(points.len(), 6, "{points:?}");
    assert_eq!(points.iter().cloned().collect::<BTreeSet<_>>(), expected_points());

    // The diverging learning rate is recorded as diverged for both seeds; the others are not.
    let df = results::read_parquet(&out).unwrap();
    let diverged = df.column("diverged").unwrap().bool().unwrap();
    for (point, d) in points.iter().zip(diverged.iter()) {
        assert_eq!(d, Some(point.contains("optimizer.lr=1e+37")), "{point}");
    }
    // History rows: one per finished epoch, no duplicates of the killed point.
    let history = results::read_parquet(&sglab::train::sweep::history_path(&out)).unwrap();
    let epochs: i64 = df.column("epochs_run").unwrap().i64().unwrap().iter().map(|e| e.unwrap()).sum();
    assert_eq!(history.height() as i64, epochs);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shards_merge_to_the_full_grid() {
    let dir = common::scratch_dir("shards");
    let spec = dir.join("sweep.toml");
    // One epoch is enough here.
    std::fs::write(&spec, SWEEP.replace("epochs = 3", "epochs = 1")).unwrap();
    let mut shards = Vec::new();
    for i in 0..2 {
        let out = dir.join(format!("shard{i}.parquet"));
        let run = sglab(&["sweep", spec.to_str().unwrap(), "--shard", &format!("{i}/2"), "--out", out.to_str().unwrap(), "--quiet"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        assert_eq!(points_in(&out).len(), 3);
        shards.push(out);
    }
    let merged = dir.join("all.parquet");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    // The same shard twice is merged once.
    args.push(shards[0].to_str().unwrap());
    let run = sglab(&args).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let points = points_in(&merged);
    assert_eq!(points.len(), 6);
    let one_epoch: BTreeSet<String> = expected_points();
    assert_eq!(points.into_iter().collect::<BTreeSet<_>>(), one_epoch);
    // The histories are merged too: each run's epochs once.
    let history = results::read_parquet(&sglab::train::sweep::history_path(&merged)).unwrap();
    let runs = results::read_parquet(&merged).unwrap();
    let epochs: i64 = runs.column("epochs_run").unwrap().i64().unwrap().iter().map(|e| e.unwrap()).sum();
    assert_eq!(history.height() as i64, epochs);

    // A sweep file changed after its table was written is refused, naming a changed point.
    std::fs::write(&spec, SWEEP.replace("epochs = 3", "epochs = 1").replace("hidden_sizes = [24]", "hidden_sizes = [20]")).unwrap();
    let changed = sglab(&["sweep", spec.to_str().unwrap(), "--shard", "0/2", "--out", shards[0].to_str().unwrap(), "--quiet"]).output().unwrap();
    assert!(!changed.status.success());
    let err = String::from_utf8_lossy(&changed.stderr);
    assert!(err.contains("another configuration") && err.contains("seed="), "{err}");

    let bad = sglab(&["sweep", spec.to_str().unwrap(), "--shard", "2/2", "--out", "x.parquet"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("shard"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// An arm sweep runs every arm × seed once into its table, skips them on a rerun, returns the
/// runs as typed rows carrying each arm's label (in the sweep's order), and treats a changed
/// configuration as a new run.
#[test]
fn an_arm_sweep_runs_each_arm_once_and_returns_typed_rows() {
    use sglab::data::randman::RandmanConfig;
    use sglab::train::arms::{Arm, ArmSweep, Metric};
    use sglab::train::{ProgressMode, RunOptions, TaskConfig, TrainConfig};
    let task = RandmanConfig { classes: 3, units: 10, steps: 20, alpha: 2.0, samples_per_class: 20, seed: 2, ..Default::default() };
    let mut base = TrainConfig::new(TaskConfig::Randman(task), 1);
    base.model.hidden_sizes = vec![12];
    base.run.batch_size = 16;
    let arms: Vec<Arm<String>> = [1e-2, 3e-3]
        .into_iter()
        .map(|lr| {
            let mut config = base.clone();
            config.optimizer.lr = lr;
            Arm::new(format!("lr={lr}"), config)
        })
        .collect();
    let sweep = ArmSweep::new(arms, vec![0, 1]);
    let dir = common::scratch_dir("arms");
    let out = dir.join("arms.parquet");
    let quiet = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let first = sweep.run(&out, &quiet).unwrap();
    assert_eq!((first.points, first.ran, first.skipped), (4, 4, 0));
    let again = sweep.run(&out, &quiet).unwrap();
    assert_eq!((again.ran, again.skipped), (0, 4));
    let table = results::read_parquet(&out).unwrap();
    assert_eq!(table.height(), 4);
    let runs = sweep.results(&table).unwrap();
    let labels: Vec<(&str, u64)> = runs.iter().map(|r| (r.label.as_str(), r.seed)).collect();
    assert_eq!(labels, [("lr=0.01", 0), ("lr=0.01", 1), ("lr=0.003", 0), ("lr=0.003", 1)]);
    assert!(runs.iter().all(|r| r.metrics.epochs_run == 1 && Metric::MaxValAccuracy.of(&r.metrics).is_some()));
    assert_eq!(results::string_column(&table, "label").unwrap(), ["lr=0.01", "lr=0.01", "lr=0.003", "lr=0.003"]);
    // The history table holds one epoch per run, labelled.
    let history = sweep.history(&results::read_parquet(&sglab::train::sweep::history_path(&out)).unwrap()).unwrap();
    assert_eq!(history.height(), 4);
    // A changed configuration is a new run: the old rows are not taken for it.
    let mut changed = sweep.clone();
    changed.arms[0].config.run.epochs = 2;
    let err = changed.results(&table).unwrap_err().to_string();
    assert!(err.contains("lr=0.01") && err.contains("seed 0"), "{err}");
    assert_eq!(changed.run(&out, &quiet).unwrap().ran, 2);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Two workers train the same runs as one: every run's metrics are bit-identical (each run is
/// seeded by its configuration alone), the table holds each run once, and a rerun trains
/// nothing.
#[test]
fn an_arm_sweep_with_two_workers_matches_one_worker_run_for_run() {
    use sglab::data::randman::RandmanConfig;
    use sglab::train::arms::{Arm, ArmSweep};
    use sglab::train::{ProgressMode, RunOptions, TaskConfig, TrainConfig};
    let task = RandmanConfig { classes: 3, units: 10, steps: 20, alpha: 2.0, samples_per_class: 20, seed: 5, ..Default::default() };
    let mut base = TrainConfig::new(TaskConfig::Randman(task), 2);
    base.model.hidden_sizes = vec![12];
    base.run.batch_size = 16;
    let arms: Vec<Arm<String>> = [1e-2, 3e-3, 1e-3]
        .into_iter()
        .map(|lr| {
            let mut config = base.clone();
            config.optimizer.lr = lr;
            Arm::new(format!("lr={lr}"), config)
        })
        .collect();
    let sweep = ArmSweep::new(arms, vec![0, 1]);
    let dir = common::scratch_dir("workers");
    let quiet = RunOptions { checkpoint_dir: None, progress: ProgressMode::Quiet, model_file: None };
    let (one, two) = (dir.join("one.parquet"), dir.join("two.parquet"));
    sweep.run_with_workers(&one, &quiet, Workers::one()).unwrap();
    let summary = sweep.run_with_workers(&two, &quiet, Workers::shared(2)).unwrap();
    assert_eq!((summary.points, summary.ran, summary.skipped), (6, 6, 0));
    let timeless = |path: &std::path::Path| {
        let mut runs = sweep.results(&results::read_parquet(path).unwrap()).unwrap();
        runs.iter_mut().for_each(|r| r.metrics.wall_time_s = 0.0);
        runs
    };
    assert_eq!(timeless(&one), timeless(&two));
    // Each worker in a one-thread pool of its own: the same runs again.
    let pooled = dir.join("pooled.parquet");
    sweep.run_with_workers(&pooled, &quiet, Workers::pooled(2, 1)).unwrap();
    assert_eq!(timeless(&one), timeless(&pooled));
    assert!(sweep.run_with_workers(&dir.join("none.parquet"), &quiet, Workers::pooled(2, 0)).is_err());
    assert_eq!(results::read_parquet(&two).unwrap().height(), 6);
    assert_eq!(sweep.run_with_workers(&two, &quiet, Workers::shared(2)).unwrap().ran, 0);
    assert!(sweep.run_with_workers(&two, &quiet, Workers::shared(0)).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

/// A table cached part by part computes only the parts it does not hold, drops parts no longer
/// asked for, keeps every finished part when a later one fails, and with a part filter
/// computes only the matching missing parts, the rest on a later call.
#[test]
fn cached_parts_compute_only_the_missing_parts_and_keep_finished_ones() {
    use sglab::polars::prelude::{Column, DataFrame};
    use sglab::studies::{cached_parts, cached_parts_matching};
    let path = common::scratch_dir("cached-parts").join("parts.parquet");
    let part = |key: &str| -> DataFrame { DataFrame::new_infer_height(vec![Column::new("key".into(), vec![key.to_string(); 2]), Column::new("value".into(), vec![key.len() as f64; 2])]).unwrap() };
    let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let mut computed = Vec::new();
    cached_parts(&path, "key", &keys(&["a", "bb"]), |k| { computed.push(k.to_string()); Ok(part(k)) }).unwrap();
    assert_eq!(computed, ["a", "bb"]);
    computed.clear();
    let failing = cached_parts(&path, "key", &keys(&["bb", "ccc", "dddd"]), |k| {
        computed.push(k.to_string());
        if k == "dddd" { Err(sglab::studies::StudyError::Unknown("interrupted".into())) } else { Ok(part(k)) }
    });
    assert!(failing.is_err());
    assert_eq!(computed, ["ccc", "dddd"]);
    computed.clear();
    let table = cached_parts(&path, "key", &keys(&["bb", "ccc", "dddd"]), |k| { computed.push(k.to_string()); Ok(part(k)) }).unwrap();
    assert_eq!(computed, ["dddd"]);
    let mut held = sglab::table::string_column(&table, "key").unwrap();
    held.dedup();
    assert_eq!(held, ["bb", "ccc", "dddd"]);
    // A filter computes only the missing keys containing it; the held parts stay.
    computed.clear();
    let all = keys(&["bb", "ccc", "dddd", "x1", "y1", "x2"]);
    let table = cached_parts_matching(&path, "key", &all, Some("x"), |k| { computed.push(k.to_string()); Ok(part(k)) }).unwrap();
    assert_eq!(computed, ["x1", "x2"]);
    let mut held = sglab::table::string_column(&table, "key").unwrap();
    held.dedup();
    assert_eq!(held, ["bb", "ccc", "dddd", "x1", "x2"]);
    computed.clear();
    cached_parts(&path, "key", &all, |k| { computed.push(k.to_string()); Ok(part(k)) }).unwrap();
    assert_eq!(computed, ["y1"]);
}
