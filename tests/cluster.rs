//! `sglab cluster` against a real Slurm (`scripts/slurm_fixture.sh up`, which `scripts/test.sh`
//! runs, sets one up on localhost): a sweep submitted as a 4-task array, one task cancelled
//! while it runs, the gather finding its runs missing, a resubmission running only those, and
//! the gathered table equal to the same sweep run locally, every run exactly once. Skipped,
//! saying so, where no Slurm answers. Also, without Slurm: copies of a part-by-part table
//! computed apart join to the table computed at once.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sglab::cluster::slurm::Submitted;
use sglab::cluster::{self, Job};
use sglab::results;
use sglab::train::workers::Workers;

/// 4 learning rates × 2 seeds of a small randman run: a few seconds each in a debug build.
const SWEEP: &str = r#"
seeds = [0, 1]

[grid]
"optimizer.lr" = [1e-2, 3e-3, 1e-3, 3e-4]

[base]
epochs = 8
batch_size = 16
model = { hidden_sizes = [24] }
task = { name = "randman", classes = 3, units = 10, steps = 30, alpha = 2.0, samples_per_class = 100 }
"#;

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

fn squeue(args: &[&str]) -> String {
    String::from_utf8_lossy(&run(Command::new("squeue").args(args)).stdout).into_owned()
}

/// Waits until job `id` has left the queue.
fn wait_for(id: u64, limit: Duration) {
    let start = Instant::now();
    while !squeue(&["-h", "-j", &id.to_string(), "-o", "%i"]).trim().is_empty() {
        assert!(start.elapsed() < limit, "job {id} still in the queue after {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Run id → (epochs run, best validation loss, test accuracy) of a runs table.
fn metrics(path: &Path) -> BTreeMap<String, (i64, f64, f64)> {
    let df = results::read_parquet(path).unwrap();
    let ids = results::string_column(&df, "run_id").unwrap();
    let epochs: Vec<i64> = df.column("epochs_run").unwrap().i64().unwrap().into_no_null_iter().collect();
    let loss: Vec<f64> = df.column("best_val_loss").unwrap().f64().unwrap().into_no_null_iter().collect();
    let accuracy: Vec<f64> = df.column("test_accuracy").unwrap().f64().unwrap().into_no_null_iter().collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "a run id twice in {}", path.display());
    ids.into_iter().enumerate().map(|(i, id)| (id, (epochs[i], loss[i], accuracy[i]))).collect()
}

#[test]
fn a_cancelled_task_is_resubmitted_and_the_gathered_sweep_equals_the_local_one() {
    if std::env::var_os("SLURM_CONF").is_none() || Command::new("sinfo").arg("-h").output().map_or(true, |o| !o.status.success()) {
        eprintln!("SKIPPED: no Slurm answers here (`bash scripts/slurm_fixture.sh up` starts one on localhost and prints the SLURM_CONF to export)");
        return;
    }
    let dir = common::scratch_dir("cluster");
    let spec = dir.join("sweep.toml");
    std::fs::write(&spec, SWEEP).unwrap();
    let out = dir.join("runs.parquet");
    let local = dir.join("local.parquet");
    let (spec_s, out_s) = (spec.to_str().unwrap(), out.to_str().unwrap());

    // The same sweep run here, one thread as in the array tasks.
    run(common::sglab_binary().args(["sweep", spec_s, "--out", local.to_str().unwrap(), "--quiet"]).env("RAYON_NUM_THREADS", "1"));

    let job = Job::sweep(&spec, Some(&out)).unwrap();
    let folder = job.folder();
    let submitted = run(common::sglab_binary().args(["cluster", "submit", spec_s, "--out", out_s, "--tasks", "4"]).current_dir(&dir));
    let stdout = String::from_utf8_lossy(&submitted.stdout);
    assert!(stdout.contains("8 units, 0 done; 8 to run in 4 tasks"), "{stdout}");
    let first = Submitted::load(&folder).unwrap().expect("jobs.json");
    let array = first.array.expect("an array");

    // Cancel the first task seen running, mid-run.
    let start = Instant::now();
    let cancelled = loop {
        let running = squeue(&["-h", "-r", "-j", &array.to_string(), "-t", "RUNNING", "-o", "%K"]);
        if let Some(index) = running.split_whitespace().next() {
            run(Command::new("scancel").arg(format!("{array}_{index}")));
            break index.parse::<usize>().unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no task of array {array} started within 120 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    wait_for(first.gather, Duration::from_secs(600));

    // The gather joined what finished and found the cancelled task's unfinished runs missing.
    let gather_log = std::fs::read_to_string(folder.join("logs").join(format!("gather-{}.log", first.gather))).unwrap();
    assert!(gather_log.contains("missing after the tasks ended"), "{gather_log}");
    let state = cluster::status(&job).unwrap();
    let table = &state.tables[0];
    assert_eq!((table.units, table.running, table.queued, table.finished), (8, 0, 0, 0), "{state}");
    assert!(table.missing >= 1 && table.missing <= 2 && table.done == 8 - table.missing, "task {cancelled} was cancelled: {state}");
    let status_cli = String::from_utf8_lossy(&run(common::sglab_binary().args(["cluster", "status", spec_s, "--out", out_s])).stdout).into_owned();
    let row: Vec<&str> = status_cli.lines().find(|l| l.trim_start().starts_with("runs.parquet")).expect("a row of the table").split_whitespace().collect();
    assert_eq!(row[1..], ["8".to_string(), (8 - table.missing).to_string(), "0".into(), "0".into(), "0".into(), table.missing.to_string()], "{status_cli}");

    // Resubmitted: only the missing runs run.
    let again = run(common::sglab_binary().args(["cluster", "submit", spec_s, "--out", out_s, "--tasks", "4"]).current_dir(&dir));
    let stdout = String::from_utf8_lossy(&again.stdout);
    let expected = format!("8 units, {} done; {} to run in {} tasks", 8 - table.missing, table.missing, table.missing);
    assert!(stdout.contains(&expected), "{expected} not in {stdout}");
    let second = Submitted::load(&folder).unwrap().unwrap();
    assert_ne!(second.gather, first.gather);
    wait_for(second.gather, Duration::from_secs(600));
    let gather_log = std::fs::read_to_string(folder.join("logs").join(format!("gather-{}.log", second.gather))).unwrap();
    assert!(gather_log.contains("runs.parquet: 8 of 8 units"), "{gather_log}");

    // Every run exactly once, equal to the local sweep's.
    let (gathered, reference) = (metrics(&out), metrics(&local));
    assert_eq!(gathered, reference);
    let history = results::read_parquet(&sglab::train::sweep::history_path(&out)).unwrap();
    assert_eq!(history.height() as i64, gathered.values().map(|m| m.0).sum::<i64>());
    assert!(cluster::task_folders(&folder).unwrap().is_empty(), "the gathered task folders are removed");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn copies_of_a_part_by_part_table_computed_apart_join_to_the_whole_table() {
    use sglab::polars::prelude::{Column, DataFrame};
    use sglab::studies::work::{Parts, WorkTable};
    let dir = common::scratch_dir("parts");
    let keys: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
    let part = |k: &str| {
        let n = k[1..].parse::<usize>().unwrap() + 1;
        Ok(DataFrame::new_infer_height(vec![Column::new("setting".into(), vec![k.to_string(); n]), Column::new("value".into(), (0..n).map(|i| i as f64).collect::<Vec<_>>())]).unwrap())
    };
    let whole = dir.join("whole.parquet");
    let mut table = WorkTable::parts(whole.clone(), Parts::new("setting", keys.clone(), part));
    assert_eq!(table.compute(&whole, None, Workers::one()).unwrap(), 5);

    let main = dir.join("main.parquet");
    let mut split = WorkTable::parts(main.clone(), Parts::new("setting", keys.clone(), part));
    let copies = [dir.join("task-0/main.parquet"), dir.join("task-1/main.parquet")];
    let first: HashSet<String> = ["k0", "k2", "k4"].map(String::from).into();
    let second: HashSet<String> = ["k1", "k3", "k4"].map(String::from).into();
    assert_eq!(split.compute(&copies[0], Some(&first), Workers::one()).unwrap(), 3);
    assert_eq!(split.compute(&copies[1], Some(&second), Workers::one()).unwrap(), 3);
    // k4 was computed twice; the join keeps it once, from the first copy holding it.
    let mut inputs = vec![main.clone()];
    inputs.extend(copies.iter().cloned());
    assert_eq!(split.merge(&inputs, &main).unwrap(), 5);
    let read = |p: &Path| {
        let df = results::read_parquet(p).unwrap();
        let mut rows: Vec<(String, String)> =
            results::string_column(&df, "setting").unwrap().into_iter().zip(df.column("value").unwrap().f64().unwrap().into_no_null_iter().map(|v| v.to_string())).collect();
        rows.sort();
        rows
    };
    assert_eq!(read(&main), read(&whole));
    assert_eq!(read(&main).len(), 1 + 2 + 3 + 4 + 5);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A sweep file changed since its table was written: a submission refuses the table as a sweep
/// does, rather than counting the old runs as the new points' runs.
#[test]
fn a_changed_sweep_file_is_refused_as_the_sweep_command_refuses_it() {
    let dir = common::scratch_dir("changed");
    let spec = dir.join("sweep.toml");
    let one_point = SWEEP.replace("[1e-2, 3e-3, 1e-3, 3e-4]", "[1e-2]").replace("seeds = [0, 1]", "seeds = [0]").replace("epochs = 8", "epochs = 1");
    std::fs::write(&spec, &one_point).unwrap();
    let out = dir.join("runs.parquet");
    run(common::sglab_binary().args(["sweep", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]));
    let held = |job: &Job| job.work().unwrap()[0].held(&out);
    assert_eq!(held(&Job::sweep(&spec, Some(&out)).unwrap()).unwrap().len(), 1);
    std::fs::write(&spec, one_point.replace("epochs = 1", "epochs = 2")).unwrap();
    let err = held(&Job::sweep(&spec, Some(&out)).unwrap()).unwrap_err().to_string();
    assert!(err.contains("another configuration") && err.contains("optimizer.lr=0.01;seed=0"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
