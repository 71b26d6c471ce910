//! The sglab command line.
//!
//! ```text
//! sglab train CONFIG.toml|json [--out RUNS.parquet] [--checkpoint DIR] [--quiet]
//! sglab sweep SWEEP.toml [--shard i/n] [--out RUNS.parquet] [--quiet]
//! sglab merge OUT.parquet IN.parquet...
//! sglab predict slmnist-2x128|shd-2x256|CONFIG.toml [--conditions I+II+III+IV] [--measured] [--json]
//! sglab study 01|02|…|07|NAME [--scale quick|plateau|paper]
//! sglab nir CONFIG.toml MODEL.bpk OUT.nir [--dt SECONDS]
//! sglab cluster submit|status|task|gather …
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use sglab::train::sweep::{self, Shard, SweepSpec};
use sglab::train::{ProgressMode, RunOptions, TrainConfig, TrainError, train_with};

const USAGE: &str = "usage:
  sglab train CONFIG.toml|json [--out RUNS.parquet] [--checkpoint DIR] [--quiet]
  sglab sweep SWEEP.toml [--shard i/n] [--out RUNS.parquet] [--quiet]
  sglab merge OUT.parquet IN.parquet...
  sglab predict slmnist-2x128|shd-2x256|CONFIG.toml [--conditions I+II+III+IV] [--measured] [--json]
  sglab study 01|02|…|07|NAME [--scale quick|plateau|paper]
  sglab prune 01|02|…|07|NAME [--scale quick|plateau|paper]
  sglab nir CONFIG.toml MODEL.bpk OUT.nir [--dt SECONDS]
  sglab cluster submit STUDY|SWEEP.toml [--scale S] [--out RUNS.parquet] [--tasks N] [--partition P]
                       [--time T] [--cpus-per-task C] [--gpus G] [--dry-run]
  sglab cluster status [STUDY|SWEEP.toml] [--scale S] [--out RUNS.parquet]
  sglab cluster task FOLDER [--index I]
  sglab cluster gather FOLDER

train --out: the run's row (and its epochs in RUNS.history.parquet) replace any row of the
same run id; the table is locked from before training, so a bad path or a table another
process is writing fails at once.
merge: joins runs tables (sweep shards, train --out tables) and their histories, one row per
run id.

study: runs what is missing of a study notebook's sweeps into data/results/ (or
$SGLAB_RESULTS; SGLAB_RECOMPUTE=1 reruns them), e.g. at paper scale on a cluster, so that
the notebook only reads them. Tables computed part by part (studies 05 and 07) take
SGLAB_PARTS=TEXT to compute only the parts whose key contains TEXT (e.g. n=300; for study
07's width-300 ensembles on a GPU machine with SGLAB_BACKEND=wgpu); a later run without it
computes the rest into the same table.

sweep and study train several runs at once: SGLAB_WORKERS=N runs at once (default one per
core), SGLAB_RUN_THREADS=K threads for each run's kernels (default the cores divided between
the runs; `shared` sends every run's kernels to one pool). With more than one run at once,
sweep prints a line per finished point instead of each run's epochs.

prune: drops from a study's runs tables (and their histories and kept models) the runs its
sweeps no longer list, left there by an earlier configuration of the study.

predict: --conditions picks which conditions set the initialisation (default all four;
\"none\" or a subset such as I+II); --measured solves Condition IV over the voltages the
initialised network produces on the first 16 training samples instead of the paper's
uniform extreme-range model (needs the task's data).

nir: exports the network of CONFIG with the weights of MODEL.bpk (a sweep's kept model, or a
checkpoint's best-<g>.bpk) to OUT.nir, NIR's HDF5 file, one time step being --dt seconds
(default 0.001); LIF layers with the multreset2 reset only (the sglab::nir docs give the
mapping). Needs the binary built with the `nir` feature.

cluster: runs a study's sweeps (or a sweep file) on Slurm. submit joins what earlier tasks
finished, deals the runs still missing to at most --tasks array tasks (default 16), writes
array.sbatch and gather.sbatch into the job folder (<results>/cluster/<NN>_<scale>/, or
<out>.cluster/ for a sweep file) and submits them, the gather after the array (afterany).
--time is each task's limit (minutes, H:MM:SS or D-HH:MM; default 1.5 x the estimated
longest task); --dry-run writes and prints the scripts without submitting. status shows, per
table, the runs done, finished in tasks not yet gathered, running, queued and missing (every
study job when no target is given). task and gather are what the scripts run.";

/// Positional arguments and `--flag value` options.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut options = Vec::new();
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        if let Some(name) = a.strip_prefix("--") {
            let value = match name {
                "quiet" | "json" | "measured" | "dry-run" => None,
                "out" | "checkpoint" | "shard" | "conditions" | "scale" | "dt" | "tasks" | "partition" | "time" | "cpus-per-task" | "gpus" | "index" => {
                    Some(args.next().ok_or(format!("--{name} needs a value"))?)
                }
                _ => return Err(format!("unknown option --{name}")),
            };
            options.push((name.to_string(), value));
        } else {
            positional.push(a);
        }
    }
    Ok(Args { positional, options })
}

impl Args {
    fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    fn progress(&self) -> ProgressMode {
        if self.flag("quiet") { ProgressMode::Quiet } else { ProgressMode::Auto }
    }
}

fn train(args: &Args) -> Result<(), TrainError> {
    let [config] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("train takes one configuration file\n{USAGE}")));
    };
    let config = TrainConfig::load(&PathBuf::from(config))?;
    let options = RunOptions { checkpoint_dir: args.option("checkpoint").map(PathBuf::from), progress: args.progress(), model_file: None };
    // The output table is locked before training: a path that cannot be written, or a table
    // another process is writing, fails now rather than after the run.
    let out = args.option("out").map(PathBuf::from);
    let _writer = out.as_deref().map(sglab::durable::FileLock::acquire).transpose()?;
    let record = train_with(&config, &options)?;
    let test = record.test.as_ref();
    println!(
        "{}: {} epochs, best epoch {:?}, test accuracy {}, test loss {}, initial rates {:?}, {:.1} s",
        record.status.name(),
        record.history.len(),
        record.best_epoch,
        test.map_or("—".into(), |t| format!("{:.4}", t.accuracy)),
        test.map_or("—".into(), |t| format!("{:.4}", t.loss)),
        record.initial_rates,
        record.wall_time_s
    );
    if let Some(out) = out {
        let all = sglab::train::rows::record_run(&out, &record, |row| row)?;
        println!("{}: {} runs (epochs in {})", out.display(), all.height(), sweep::history_path(&out).display());
    }
    Ok(())
}

fn sweep(args: &Args) -> Result<(), TrainError> {
    let [file] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("sweep takes one sweep file\n{USAGE}")));
    };
    let spec = SweepSpec::load(&PathBuf::from(file))?;
    let out = args
        .option("out")
        .map(PathBuf::from)
        .or_else(|| spec.out.clone())
        .ok_or_else(|| TrainError::config("out", "an output table: give --out or `out` in the sweep file"))?;
    let shard = args.option("shard").map(str::parse::<Shard>).transpose()?;
    let workers = sglab::studies::workers().map_err(|e| TrainError::Parse(e.to_string()))?;
    let summary = sweep::run_sweep(&spec, &out, shard, &RunOptions { checkpoint_dir: None, progress: args.progress(), model_file: None }, workers)?;
    println!(
        "{}: {} points in this shard, {} run now ({} diverged), {} already done",
        out.display(),
        summary.points,
        summary.ran,
        summary.diverged,
        summary.skipped
    );
    Ok(())
}

fn merge(args: &Args) -> Result<(), TrainError> {
    let [out, inputs @ ..] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("merge takes an output and input tables\n{USAGE}")));
    };
    let inputs: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    let merged = sweep::merge(&inputs, &PathBuf::from(out))?;
    println!("{out}: {} runs from {} tables", merged.height(), inputs.len());
    Ok(())
}

fn predict(args: &Args) -> Result<(), TrainError> {
    use sglab::init::stability::{self, Conditions, Preset};
    let [target] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("predict takes a preset or a configuration file\n{USAGE}")));
    };
    let conditions: Conditions = match args.option("conditions") {
        Some(c) => c.parse().map_err(TrainError::Parse)?,
        None => Conditions::ALL,
    };
    // The network, its input statistics and, where the data is at hand, the training part.
    let (network, input, train) = match target.parse::<Preset>() {
        Ok(Preset::Slmnist2x128) => {
            let data = sglab::data::slmnist::load(&sglab::data::slmnist::SlMnistConfig::default())?;
            (Preset::Slmnist2x128.network(), data.train.statistics()?.into(), Some(data.train))
        }
        Ok(preset) => (preset.network(), preset.input()?, None),
        Err(preset_error) => {
            let path = PathBuf::from(target);
            if !path.is_file() {
                return Err(TrainError::Parse(preset_error));
            }
            let config = TrainConfig::load(&path)?;
            let splits = config.task.load()?;
            let network = config.model.network(splits.train.channels(), splits.train.classes(), config.run.seed);
            (network, splits.train.statistics()?.into(), Some(splits.train))
        }
    };
    let device = sglab::device("flex")?;
    let batch = if args.flag("measured") {
        let train = train.ok_or_else(|| {
            TrainError::Parse(format!("--measured needs the task's data; {target} has no embedded data (give a configuration file whose task loads it)"))
        })?;
        let indices: Vec<usize> = (0..train.len().min(16)).collect();
        Some(train.batch(&indices, &device)?.inputs)
    } else {
        None
    };
    let prediction = stability::predict_with(&network, input, conditions, batch, &device).map_err(|e| TrainError::Init(e.into()))?;
    if args.flag("json") {
        let layers: Vec<serde_json::Value> = prediction
            .layers
            .iter()
            .map(|p| {
                serde_json::json!({
                    "layer": p.layer,
                    "conditions": prediction.conditions.label(),
                    "voltages": prediction.voltages,
                    "dampening": p.dampening,
                    "sharpness": p.sharpness.and_then(|s| s.value),
                    "sharpness_root_fraction": p.sharpness.map(|s| s.root_fraction),
                    "tail": p.tail.and_then(|t| t.value),
                    "tail_root_fraction": p.tail.map(|t| t.root_fraction),
                    "applied_surrogate": p.surrogate,
                    "w_rec_mean": p.w_rec_mean,
                    "w_rec_var": p.w_rec_var.value,
                    "w_rec_var_exact": p.w_rec_var.exact,
                    "input_mean": p.input.mean,
                    "input_variance": p.input.variance,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&layers).expect("JSON"));
        return Ok(());
    }
    println!("input: μ_x = {:.6}, σ²_x = {:.6}; conditions {}", input.mean, input.variance, prediction.conditions.label());
    match prediction.voltages {
        stability::VoltageSource::ExtremeRange => println!("Condition IV voltages: uniform on each neuron's extreme range (the paper's model)"),
        stability::VoltageSource::Measured { samples } => println!("Condition IV voltages: measured at this initialisation, {samples} values per layer"),
    }
    for p in &prediction.layers {
        let describe = |name: &str, iv: stability::IvPrediction, kept: f64| match iv.value {
            Some(v) => format!("{name} = {v:.4} (root for {:.0} % of neurons)", 100.0 * iv.root_fraction),
            None => format!(
                "no prediction of {name} (root for {:.0} % of neurons, under {:.0} %): the configured {name} = {kept} is kept",
                100.0 * iv.root_fraction,
                100.0 * stability::MIN_ROOT_FRACTION
            ),
        };
        let iv = match (p.sharpness, p.tail) {
            (Some(b), _) => describe("β", b, p.surrogate.sharpness()),
            (_, Some(q)) => describe("q", q, p.surrogate.shape().tail().unwrap_or(f64::NAN)),
            _ => String::new(),
        };
        println!(
            "layer {} ({} → {}): W_rec mean {:.4e}, variance {:.4e}{}; γ = {:.4} (neurons {:.4}–{:.4}); {iv}",
            p.layer,
            p.n_in,
            p.n,
            p.w_rec_mean,
            p.w_rec_var.value,
            if p.w_rec_var.exact { "" } else { " (Condition II has no non-negative solution: clamped to 0)" },
            p.dampening,
            p.dampening_range.0,
            p.dampening_range.1
        );
    }
    Ok(())
}

/// The scale of `--scale`, or of `SGLAB_SCALE` when the option is absent.
fn scale_option(args: &Args) -> Result<sglab::studies::Scale, String> {
    match args.option("scale") {
        None => sglab::studies::Scale::from_env().map_err(|e| e.to_string()),
        Some(other) => other.parse().map_err(|e| format!("--scale: {e}")),
    }
}

fn study(args: &Args) -> Result<(), TrainError> {
    use sglab::studies;
    let [name] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("study takes one study name\n{USAGE}")));
    };
    let scale = scale_option(args).map_err(TrainError::Parse)?;
    let tables = studies::run_study(name, scale).map_err(|e| TrainError::Results(e.to_string()))?;
    for (table, rows) in tables {
        println!("{table}: {rows} rows");
    }
    Ok(())
}

fn prune(args: &Args) -> Result<(), TrainError> {
    use sglab::studies;
    let [name] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("prune takes one study name\n{USAGE}")));
    };
    let scale = scale_option(args).map_err(TrainError::Parse)?;
    for table in studies::work::work(name, scale).map_err(|e| TrainError::Results(e.to_string()))? {
        let dropped = table.prune().map_err(|e| TrainError::Results(e.to_string()))?;
        println!("{}: {} runs dropped", table.path.display(), dropped.len());
    }
    Ok(())
}

fn cluster(args: &Args) -> Result<(), String> {
    use sglab::cluster::{self, ClusterError, Job};
    let fail = |e: ClusterError| e.to_string();
    let scale = || scale_option(args);
    let number = |name: &str| -> Result<Option<usize>, String> {
        args.option(name).map(|v| v.parse::<usize>().map_err(|_| format!("--{name} takes a whole number, got {v:?}"))).transpose()
    };
    let out = args.option("out").map(PathBuf::from);
    match args.positional.as_slice() {
        [command, target] if command == "submit" => {
            let job = Job::parse(target, scale()?, out.as_deref()).map_err(fail)?;
            let defaults = cluster::SubmitOptions::default();
            let options = cluster::SubmitOptions {
                tasks: number("tasks")?.unwrap_or(defaults.tasks),
                partition: args.option("partition").map(str::to_string),
                minutes: args.option("time").map(cluster::slurm::parse_time).transpose().map_err(fail)?,
                cpus_per_task: number("cpus-per-task")?.unwrap_or(defaults.cpus_per_task),
                gpus: number("gpus")?,
                dry_run: args.flag("dry-run"),
            };
            let s = cluster::submit(&job, &options).map_err(fail)?;
            println!("{}: {} units, {} done; {} to run in {} tasks", job.label(), s.total, s.done, s.plan.units(), s.plan.tasks.len());
            if let Some(longest) = s.longest_task_seconds() {
                println!("estimated longest task: {} (time limit {})", cluster::submit::duration(longest), cluster::slurm::format_time(s.minutes));
            }
            match &s.submitted {
                Some(ids) => match ids.array {
                    Some(array) => println!("submitted array {array} ({} tasks) and gather {} (after it ends); logs in {}", s.plan.tasks.len(), ids.gather, s.folder.join("logs").display()),
                    None => println!("nothing left to run; submitted gather {} to make the derived tables", ids.gather),
                },
                None => {
                    if let Some(array) = &s.scripts.array {
                        println!("\n# {}\n{array}", s.folder.join("array.sbatch").display());
                    }
                    println!("# {}\n{}", s.folder.join("gather.sbatch").display(), s.scripts.gather);
                    println!(
                        "# dry run: nothing submitted. To submit these scripts yourself:\n#   A=$(sbatch --parsable {})\n#   sbatch --dependency=afterany:$A {}",
                        s.folder.join("array.sbatch").display(),
                        s.folder.join("gather.sbatch").display()
                    );
                }
            }
            Ok(())
        }
        [command, targets @ ..] if command == "status" => {
            let jobs = if targets.is_empty() {
                cluster::status::study_jobs(&sglab::studies::results_dir()).map_err(fail)?
            } else {
                targets.iter().map(|t| Job::parse(t, scale()?, out.as_deref()).map_err(fail)).collect::<Result<Vec<_>, _>>()?
            };
            if jobs.is_empty() {
                println!("no study has been submitted from {}", sglab::studies::results_dir().join("cluster").display());
            }
            for job in jobs {
                print!("{}", cluster::status(&job).map_err(fail)?);
            }
            Ok(())
        }
        [command, folder] if command == "task" => {
            let index = match number("index")? {
                Some(i) => i,
                None => std::env::var("SLURM_ARRAY_TASK_ID")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| "cluster task needs --index or SLURM_ARRAY_TASK_ID".to_string())?,
            };
            let computed = cluster::run_task(&PathBuf::from(folder), index).map_err(fail)?;
            println!("task {index}: {computed} units computed");
            Ok(())
        }
        [command, folder] if command == "gather" => {
            let gathered = cluster::gather(&PathBuf::from(folder)).map_err(fail)?;
            for (table, held, units) in &gathered.tables {
                println!("{table}: {held} of {units} units");
            }
            for (table, rows) in &gathered.derived {
                println!("{table}: {rows} rows");
            }
            Ok(())
        }
        _ => Err(format!("cluster takes submit, status, task or gather and their arguments\n{USAGE}")),
    }
}

fn nir(args: &Args) -> Result<(), TrainError> {
    let [config, model, out] = args.positional.as_slice() else {
        return Err(TrainError::Parse(format!("nir takes a configuration, a model file and an output file\n{USAGE}")));
    };
    let dt = match args.option("dt") {
        None => 1e-3,
        Some(v) => v.parse::<f64>().map_err(|_| TrainError::Parse(format!("--dt takes seconds, got {v:?}")))?,
    };
    let config = TrainConfig::load(&PathBuf::from(config))?;
    let splits = config.task.load()?;
    let device = sglab::device("flex").map_err(|e| TrainError::Parse(e.to_string()))?;
    let net = sglab::train::load_network(&config, splits.train.channels(), splits.train.classes(), &PathBuf::from(model), &device)?;
    let graph = sglab::nir::export(&net, dt).map_err(|e| TrainError::Results(e.to_string()))?;
    write_nir(&graph, &PathBuf::from(out))?;
    let kinds: Vec<String> = sglab::nir::node_kinds(&graph).into_iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("{out}: {} (dt = {dt} s)", kinds.join(", "));
    Ok(())
}

#[cfg(feature = "nir")]
fn write_nir(graph: &sglab::nir::NirGraph, out: &std::path::Path) -> Result<(), TrainError> {
    sglab::nir::file::write(graph, out).map_err(|e| TrainError::Io(e.to_string()))
}

#[cfg(not(feature = "nir"))]
fn write_nir(_: &sglab::nir::NirGraph, _: &std::path::Path) -> Result<(), TrainError> {
    Err(TrainError::Parse("this sglab was built without the `nir` feature (NIR files need HDF5): cargo build --release --bin sglab --features nir".into()))
}

/// A command's error as the text printed after `error: `.
struct ErrorText(String);

impl From<TrainError> for ErrorText {
    fn from(e: TrainError) -> Self {
        ErrorText(e.to_string())
    }
}

fn main() -> ExitCode {
    // Training frees and reallocates multi-megabyte buffers every step; keep them for reuse.
    sglab::fused::retain_freed_memory();
    let mut argv = std::env::args().skip(1);
    let Some(command) = argv.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match parse(argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "train" => train(&args).map_err(ErrorText::from),
        "sweep" => sweep(&args).map_err(ErrorText::from),
        "merge" => merge(&args).map_err(ErrorText::from),
        "predict" => predict(&args).map_err(ErrorText::from),
        "study" => study(&args).map_err(ErrorText::from),
        "prune" => prune(&args).map_err(ErrorText::from),
        "nir" => nir(&args).map_err(ErrorText::from),
        "cluster" => cluster(&args).map_err(ErrorText),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(TrainError::Parse(format!("unknown command {other:?}\n{USAGE}")).into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(ErrorText(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
