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
//! The *sensitivity* of a task to the shape (the paper's bar plot): min–max normalise the
//! metric over the task's runs, take the standard deviation over all runs (every shape and
//! seed) at each learning rate, and average over learning rates; the error is the standard
//! deviation over learning rates divided by 2.

use std::path::PathBuf;

use polars::prelude::{Column, DataFrame};
use serde_json::{Value, json};

use super::{Scale, StudyError, cached_sweep, results_dir};
use crate::results;
use crate::stats::{Alternative, CompareOptions, Correction, GroupTest, compare_groups, mean, variance};
use crate::table::{distinct, f64_column, fresh, string_column};
use crate::train::sweep::SweepSpec;

/// The six main shapes, in the paper's order.
pub const SHAPES: [&str; 6] = ["rectangular", "triangular", "exponential", "gaussian", "sigmoid", "fast-sigmoid"];

/// The six shapes with γ = β = 1, named as in [`SHAPES`].
pub fn surrogates() -> Vec<(String, crate::surrogate::Surrogate)> {
    SHAPES
        .iter()
        .map(|name| {
            let s = serde_json::from_value(json!({ "shape": name, "dampening": 1.0, "sharpness": 1.0 })).expect("SHAPES are surrogate shape names");
            (name.to_string(), s)
        })
        .collect()
}

/// The tasks of the study.
pub const TASKS: [&str; 2] = ["randman", "slmnist"];

/// Column of the shape in the runs table.
pub const SHAPE: &str = "model.surrogate.shape";
/// Column of the learning rate.
pub const LR: &str = "optimizer.lr";
/// Column of the task.
pub const TASK: &str = "task.name";

/// The learning-rate grid.
pub fn learning_rates(scale: Scale) -> Vec<f64> {
    match scale {
        Scale::Quick => vec![1e-3, 3.16e-3, 1e-2, 3.16e-2],
        Scale::Paper => vec![1e-5, 3.16e-5, 1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2],
    }
}

/// The training configuration shared by every point of `task` (module docs).
fn base(scale: Scale, task: &str) -> Value {
    let optimizer = json!({ "kind": "adamw", "clip_norm": 1.0 });
    // The grid sets the shape; γ = β = 1 for every shape.
    let surrogate = json!({ "shape": "fast-sigmoid", "dampening": 1.0, "sharpness": 1.0 });
    match (scale, task) {
        (Scale::Quick, "randman") => json!({
            "epochs": 10, "batch_size": 64,
            "task": { "name": "randman", "classes": 5, "units": 20, "steps": 50, "alpha": 2.0, "samples_per_class": 200, "seed": 0 },
            "model": { "hidden_sizes": [64], "surrogate": surrogate }, "optimizer": optimizer,
        }),
        (Scale::Quick, _) => json!({
            "epochs": 3, "batch_size": 64, "train_batches_per_epoch": 10, "eval_samples": 256,
            "task": { "name": "slmnist", "steps": 50 },
            "model": { "hidden_sizes": [64], "surrogate": surrogate }, "optimizer": optimizer,
        }),
        (Scale::Paper, "randman") => json!({
            "epochs": 30, "batch_size": 256,
            "task": { "name": "randman", "classes": 10, "units": 20, "steps": 100, "samples_per_class": 1000, "seed": 0 },
            "model": { "hidden_sizes": [128], "surrogate": surrogate }, "optimizer": optimizer,
        }),
        (Scale::Paper, _) => json!({
            "epochs": 40, "batch_size": 256,
            "task": { "name": "slmnist", "steps": 100 },
            "model": { "hidden_sizes": [128, 128], "surrogate": surrogate }, "optimizer": optimizer,
        }),
    }
}

/// The sweep of `task` at `scale`: shapes × learning rates × seeds 0–3.
pub fn sweep(scale: Scale, task: &str) -> SweepSpec {
    let mut grid = std::collections::BTreeMap::new();
    grid.insert(SHAPE.to_string(), SHAPES.iter().map(|s| json!(s)).collect());
    grid.insert(LR.to_string(), learning_rates(scale).into_iter().map(|lr| json!(lr)).collect());
    SweepSpec { base: base(scale, task), grid, seeds: vec![0, 1, 2, 3], out: None, keep_models: false }
}

/// The parquet table of `task` at `scale` under [`results_dir`].
pub fn results_path(scale: Scale, task: &str) -> PathBuf {
    results_dir().join(format!("01_sg_shapes_{}_{task}.parquet", scale.name()))
}

/// Runs what is missing of both sweeps (everything with `SGLAB_RECOMPUTE=1`) and returns all
/// runs, one row each (columns of [`crate::results`]).
pub fn run(scale: Scale) -> Result<DataFrame, StudyError> {
    let frames = TASKS.iter().map(|task| cached_sweep(&sweep(scale, task), &results_path(scale, task))).collect::<Result<Vec<_>, _>>()?;
    Ok(fresh(&results::concat(&frames)?))
}

use super::rows_where;

/// The paper's sensitivity of each task to the shape (module docs), on `metric` (e.g.
/// `max_val_accuracy`): columns `task`, `sensitivity`, `error`, `runs`.
pub fn sensitivity(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut task_col, mut value, mut error, mut count) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for task in distinct(&string_column(runs, TASK)?) {
        let rows = rows_where(runs, TASK, &task)?;
        let (m, lr) = (f64_column(&rows, metric)?, f64_column(&rows, LR)?);
        let (lo, hi) = m.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut rates: Vec<f64> = lr.clone();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        let per_lr: Vec<f64> = rates
            .iter()
            .map(|&r| {
                let v: Vec<f64> = m.iter().zip(&lr).filter(|(_, l)| **l == r).map(|(x, _)| (x - lo) / span).collect();
                if v.len() > 1 { variance(&v, 1).sqrt() } else { 0.0 }
            })
            .collect();
        task_col.push(task);
        value.push(mean(&per_lr));
        error.push(if per_lr.len() > 1 { variance(&per_lr, 1).sqrt() / 2.0 } else { 0.0 });
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
