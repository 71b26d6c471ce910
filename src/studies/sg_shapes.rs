//! Study 01, the surrogate-gradient shape comparison (Herranz-Celotti & Rouat, Fig. 1 and 2):
//! LIF networks trained with each of the six main shapes (γ = β = 1) over a learning-rate grid
//! and seeds, on randman and spike-latency MNIST.
//!
//! Quick scale (minutes on 2 cores): randman 5 classes × 200 samples, 20 units, 50 steps,
//! smoothness α = 2, one layer of 64, 10 epochs; sl-MNIST at 50 steps, one layer of 64, 3 epochs of 10 batches of 64
//! evaluated on 256 digits; lr ∈ {1e-3, 3.16e-3, 1e-2, 3.16e-2}; seeds 0–3. Paper scale: randman
//! 1000 samples per class at 100 steps and 128 neurons for 30 epochs; sl-MNIST 2 × 128 at 100
//! steps, batch 256, 40 epochs on all 6,400 training digits (the paper trains up to 300);
//! lr ∈ {1e-5, 3.16e-5, …, 1e-2}; seeds 0–3. AdamW with clipping at norm 1 throughout.
//!
//! The *sensitivity* of a task to the shape (the paper's bar plot) is
//! [`crate::stats::shape_sensitivity`] of the task's runs.

use std::path::PathBuf;

use polars::prelude::{Column, DataFrame};

use super::{Scale, StudyError, arm_runs, results_dir};
use crate::data::randman::RandmanConfig;
use crate::data::slmnist::SlMnistConfig;
use crate::results::{self, Cell};
use crate::stats::{Alternative, CompareOptions, Correction, GroupTest, compare_groups, shape_sensitivity};
use crate::surrogate::{Shape, Surrogate};
use crate::table::{distinct, f64_column, fresh, string_column};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{OptimizerKind, SpikeConfig, TaskConfig, TrainConfig};

/// The six main shapes, in the paper's order.
pub const SHAPES: [Shape; 6] = [Shape::Rectangular, Shape::Triangular, Shape::Exponential, Shape::Gaussian, Shape::Sigmoid, Shape::FastSigmoid];

/// The six shapes with γ = β = 1, named by their configuration names.
pub fn surrogates() -> Vec<(String, Surrogate)> {
    SHAPES.iter().map(|&shape| (shape.name().to_string(), Surrogate::new(shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape"))).collect()
}

/// The tasks of the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// The random-manifold timing task.
    Randman,
    /// Spike-latency MNIST.
    Slmnist,
}

impl Task {
    /// Both tasks.
    pub const ALL: [Task; 2] = [Task::Randman, Task::Slmnist];

    /// The task's name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Task::Randman => "randman",
            Task::Slmnist => "slmnist",
        }
    }
}

/// The names of [`Task::ALL`].
pub const TASKS: [&str; 2] = ["randman", "slmnist"];

/// Column of the shape in the runs table.
pub const SHAPE: &str = "shape";
/// Column of the learning rate.
pub const LR: &str = "lr";
/// Column of the task.
pub const TASK: &str = "task";

/// One arm of the study: a task, a shape and a learning rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeArm {
    /// The task.
    pub task: Task,
    /// The surrogate's shape (γ = β = 1).
    pub shape: Shape,
    /// The learning rate.
    pub lr: f64,
}

impl std::fmt::Display for ShapeArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} lr={}", self.task.name(), self.shape.name(), self.lr)
    }
}

impl ArmLabel for ShapeArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(TASK.into(), Cell::from(self.task.name())), (SHAPE.into(), Cell::from(self.shape.name())), (LR.into(), Cell::Float(self.lr))]
    }
}

/// The learning-rate grid.
pub fn learning_rates(scale: Scale) -> Vec<f64> {
    match scale {
        Scale::Quick => vec![1e-3, 3.16e-3, 1e-2, 3.16e-2],
        Scale::Paper => vec![1e-5, 3.16e-5, 1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2],
    }
}

/// The training configuration shared by every arm of `task` (module docs), with the
/// ∂fast-sigmoid as placeholder shape.
fn base(scale: Scale, task: Task) -> TrainConfig {
    let (task_config, epochs, batch_size, hidden) = match (scale, task) {
        (Scale::Quick, Task::Randman) => {
            let randman = RandmanConfig { classes: 5, units: 20, steps: 50, alpha: 2.0, samples_per_class: 200, seed: 0, ..Default::default() };
            (TaskConfig::Randman(randman), 10, 64, vec![64])
        }
        (Scale::Quick, Task::Slmnist) => (TaskConfig::Slmnist(SlMnistConfig { steps: 50, ..Default::default() }), 3, 64, vec![64]),
        (Scale::Paper, Task::Randman) => {
            let randman = RandmanConfig { classes: 10, units: 20, steps: 100, samples_per_class: 1000, seed: 0, ..Default::default() };
            (TaskConfig::Randman(randman), 30, 256, vec![128])
        }
        (Scale::Paper, Task::Slmnist) => (TaskConfig::Slmnist(SlMnistConfig { steps: 100, ..Default::default() }), 40, 256, vec![128, 128]),
    };
    let mut config = TrainConfig::new(task_config, epochs);
    config.run.batch_size = batch_size;
    if (scale, task) == (Scale::Quick, Task::Slmnist) {
        config.run.train_batches_per_epoch = Some(10);
        config.run.eval_samples = Some(256);
    }
    config.model.hidden_sizes = hidden;
    config.optimizer.kind = OptimizerKind::AdamW;
    config.optimizer.clip_norm = Some(1.0);
    config
}

/// The sweep of `task` at `scale`: shapes × learning rates × seeds 0–3.
pub fn sweep(scale: Scale, task: Task) -> ArmSweep<ShapeArm> {
    let mut arms = Vec::new();
    for shape in SHAPES {
        for lr in learning_rates(scale) {
            let mut config = base(scale, task);
            config.model.spike = SpikeConfig::surrogate(Surrogate::new(shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape"));
            config.optimizer.lr = lr;
            arms.push(Arm::new(ShapeArm { task, shape, lr }, config));
        }
    }
    ArmSweep::new(arms, vec![0, 1, 2, 3])
}

/// The parquet table of `task` at `scale` under [`results_dir`].
pub fn results_path(scale: Scale, task: Task) -> PathBuf {
    results_dir().join(format!("01_sg_shapes_{}_{}.parquet", scale.name(), task.name()))
}

/// Runs what is missing of both sweeps (everything with `SGLAB_RECOMPUTE=1`) and returns all
/// runs as typed rows.
pub fn runs(scale: Scale) -> Result<Vec<ArmRun<ShapeArm>>, StudyError> {
    let mut all = Vec::new();
    for task in Task::ALL {
        all.extend(arm_runs(&sweep(scale, task), &results_path(scale, task))?);
    }
    Ok(all)
}

/// [`runs`] as a table: the arm's task, shape and lr, seed and the metrics.
pub fn run(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&runs(scale)?)?)
}

use super::rows_where;

/// The paper's sensitivity of each task to the shape (module docs), on `metric` (e.g.
/// `max_val_accuracy`): columns `task`, `sensitivity`, `error`, `runs`.
pub fn sensitivity(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut task_col, mut value, mut error, mut count) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for task in distinct(&string_column(runs, TASK)?) {
        let rows = rows_where(runs, TASK, &task)?;
        let (m, lr) = (f64_column(&rows, metric)?, f64_column(&rows, LR)?);
        let (sensitivity, err) = shape_sensitivity(&m, &lr);
        task_col.push(task);
        value.push(sensitivity);
        error.push(err);
        count.push(m.len() as u64);
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("task".into(), task_col),
        Column::new("sensitivity".into(), value),
        Column::new("error".into(), error),
        Column::new("runs".into(), count),
    ])?))
}

/// Whether `reference` beats every other shape on `metric` (larger is better), per task:
/// one-sided Wilcoxon signed-rank tests of each shape against the reference, paired by
/// learning rate and seed, Holm-corrected over the shapes of a task. One row per task and
/// shape, with the columns of [`compare_groups`] and `task`.
pub fn shape_tests(runs: &DataFrame, metric: &str, reference: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions {
        test: GroupTest::Wilcoxon,
        pair_by: vec![LR.into(), "seed".into()],
        reference: Some(reference.into()),
        alternative: Alternative::Less,
        correction: Correction::Holm,
        ..CompareOptions::default()
    };
    let mut frames = Vec::new();
    for task in distinct(&string_column(runs, TASK)?) {
        let rows = rows_where(runs, TASK, &task)?;
        let mut table = compare_groups(&rows, metric, SHAPE, &options)?;
        let n = table.height();
        table.with_column(Column::new("task".into(), vec![task.as_str(); n]))?;
        frames.push(table);
    }
    Ok(fresh(&results::concat(&frames)?))
}

/// One sentence per task from [`shape_tests`]: against which shapes the reference's advantage
/// is significant at `alpha` after the correction, with the test and n named.
pub fn summary(tests: &DataFrame, alpha: f64) -> Result<String, StudyError> {
    let (tasks, shapes, references) = (string_column(tests, "task")?, string_column(tests, "group_a")?, string_column(tests, "group_b")?);
    let (adjusted, n) = (f64_column(tests, "p_adjusted")?, f64_column(tests, "n_a")?);
    let mut lines = Vec::new();
    for task in distinct(&tasks) {
        let rows: Vec<usize> = (0..tasks.len()).filter(|&i| tasks[i] == task).collect();
        let (beaten, not): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| adjusted[i] < alpha);
        let list = |idx: &[usize]| idx.iter().map(|&i| format!("{} (p_adj = {})", shapes[i], crate::plot::format_p(adjusted[i]))).collect::<Vec<_>>().join(", ");
        let pairs: Vec<String> = distinct(&rows.iter().map(|&i| format!("{}", n[i] as u64)).collect::<Vec<_>>());
        lines.push(format!(
            "{task}: {} beats {} of {} shapes at α = {alpha} (one-sided Wilcoxon signed-rank, Holm, n = {} pairs each){}{}",
            references.get(rows[0]).map_or("the reference", String::as_str),
            beaten.len(),
            rows.len(),
            pairs.join("/"),
            if beaten.is_empty() { String::new() } else { format!("; better than {}", list(&beaten)) },
            if not.is_empty() { String::new() } else { format!("; not shown better than {}", list(&not)) },
        ));
    }
    Ok(lines.join("\n"))
}
