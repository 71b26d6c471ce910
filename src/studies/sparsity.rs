//! Study 03, a high initial firing rate with a gradually introduced sparsity loss
//! (Herranz-Celotti & Rouat, Fig. 3; stable_spike.md §5): networks are first brought to an
//! initial rate r by training only their biases (§5.3), then trained with or without the
//! sparsity term λ s(e) mean_{b,i} |rate − f| switched on by the 2022 exponential schedule
//! (§5.1), for three surrogate shapes.
//!
//! Grid: r ∈ {0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99} × f ∈ {none, 0.1, 0.01} × SG ∈
//! {∂fast-sigmoid, triangular, exponential} × seeds 0–3. Quick scale: randman with 5 classes ×
//! 200 samples, 20 units, 50 steps, one LIF layer of 64, 10 epochs at lr 1e-2 (AdamW, clip 1),
//! rate targeting 5 epochs at lr 0.1, λ = 0.8 (the paper's sl-MNIST value). Paper scale:
//! 2 × 128 on sl-MNIST at 100 steps for 40 epochs, lr 3.16e-4, rate targeting 15 epochs.
//!
//! The paper's test is Pearson's r between accuracy and the initial or final rate
//! ([`correlations`]); since r is set by design, [`rate_tests`] adds a rank test across the
//! seven levels of r (Kruskal–Wallis) and Spearman's ρ for a monotone trend; [`sparsity_tests`]
//! checks what the sparsity term does to the final rate and to the accuracy.

use std::collections::BTreeMap;

use polars::prelude::{Column, DataFrame};
use serde_json::{Value, json};

use super::{Scale, StudyError, cached_sweep, results_path, rows_where, with_target_label};
use crate::stats::{Alternative, CompareOptions, Correction, GroupTest, adjust, compare_groups, kruskal_wallis, pearson, spearman};
use crate::table::{distinct, f64_column, fresh, string_column};
use crate::train::sweep::SweepSpec;

/// The initial rates r.
pub const RATES: [f64; 7] = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99];
/// The sparsity targets f (`None`: no sparsity term).
pub const TARGETS: [Option<f64>; 3] = [None, Some(0.1), Some(0.01)];
/// The surrogate shapes.
pub const SHAPES: [&str; 3] = ["fast-sigmoid", "triangular", "exponential"];
/// Column of the target initial rate.
pub const RATE: &str = "rate_targeting.rate";
/// Column of the shape.
pub const SHAPE: &str = "model.surrogate.shape";
/// Column added by [`run`]: "none", "f=0.1" or "f=0.01".
pub const SPARSITY: &str = "sparsity";

/// The regulariser for target `f` (module docs), or null.
fn regularizer(target: Option<f64>) -> Value {
    match target {
        None => Value::Null,
        Some(f) => json!({ "weight": 0.8, "target": f, "form": "absolute", "schedule": { "kind": "exponential-switch", "start": 0.2, "end": 0.75, "factor": 0.6 } }),
    }
}

/// The sweep at `scale` (module docs).
pub fn sweep(scale: Scale) -> SweepSpec {
    let surrogate = json!({ "shape": "fast-sigmoid", "dampening": 1.0, "sharpness": 1.0 });
    let base = match scale {
        Scale::Quick => json!({
            "epochs": 10, "batch_size": 64,
            "task": { "name": "randman", "classes": 5, "units": 20, "steps": 50, "alpha": 2.0, "samples_per_class": 200, "seed": 0 },
            "model": { "hidden_sizes": [64], "surrogate": surrogate },
            "optimizer": { "kind": "adamw", "clip_norm": 1.0, "lr": 1e-2 },
            "rate_targeting": { "rate": 0.5, "epochs": 5, "lr": 0.1 },
        }),
        Scale::Paper => json!({
            "epochs": 40, "batch_size": 256,
            "task": { "name": "slmnist", "steps": 100 },
            "model": { "hidden_sizes": [128, 128], "surrogate": surrogate },
            "optimizer": { "kind": "adamw", "clip_norm": 1.0, "lr": 3.16e-4 },
            "rate_targeting": { "rate": 0.5, "epochs": 15, "lr": 0.1 },
        }),
    };
    let mut grid = BTreeMap::new();
    grid.insert(RATE.to_string(), RATES.iter().map(|r| json!(r)).collect());
    grid.insert("regularizer".to_string(), TARGETS.iter().map(|t| regularizer(*t)).collect());
    grid.insert(SHAPE.to_string(), SHAPES.iter().map(|s| json!(s)).collect());
    SweepSpec { base, grid, seeds: vec![0, 1, 2, 3], out: None, keep_models: false }
}

/// Runs what is missing of the sweep and returns every run with the [`SPARSITY`] label.
pub fn run(scale: Scale) -> Result<DataFrame, StudyError> {
    let runs = cached_sweep(&sweep(scale), &results_path("03_sparsity", scale))?;
    label(&runs)
}

/// `runs` with the [`SPARSITY`] column derived from `regularizer.target`.
pub fn label(runs: &DataFrame) -> Result<DataFrame, StudyError> {
    with_target_label(runs, "regularizer.target", SPARSITY)
}

/// Pearson's r (the paper's test) between `metric` and the measured initial and final rate of
/// layer 0, per shape and sparsity label: columns shape, sparsity, rate (initial/final), n, r,
/// p and p_holm (Holm over the whole table).
pub fn correlations(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut which, mut n, mut r, mut p) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let y = f64_column(&rows, metric)?;
            for (name, column) in [("initial", "initial_rate_l0"), ("final", "final_rate_l0")] {
                let result = pearson(&f64_column(&rows, column)?, &y, Alternative::TwoSided)?;
                shape.push(s.clone());
                sparsity.push(f.clone());
                which.push(name.to_string());
                n.push(y.len() as u64);
                r.push(result.statistic);
                p.push(result.p_value);
            }
        }
    }
    let holm = adjust(&p, Correction::Holm)?;
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new(SPARSITY.into(), sparsity),
        Column::new("rate".into(), which),
        Column::new("n".into(), n),
        Column::new("pearson_r".into(), r),
        Column::new("p".into(), p),
        Column::new("p_holm".into(), holm),
    ])?))
}

/// Whether the initial rate r matters, per shape and sparsity label: Kruskal–Wallis H across the
/// seven levels of r (each with its seeds) and Spearman's ρ between r and `metric`, with Holm
/// over the table for each test.
pub fn rate_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut n, mut h, mut p_h, mut rho, mut p_rho) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let (rate, y) = (f64_column(&rows, RATE)?, f64_column(&rows, metric)?);
            let mut levels = rate.clone();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            let groups: Vec<Vec<f64>> = levels.iter().map(|l| rate.iter().zip(&y).filter(|(r, _)| *r == l).map(|(_, v)| *v).collect()).collect();
            let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
            let kw = kruskal_wallis(&refs)?;
            let sp = spearman(&rate, &y, Alternative::TwoSided)?;
            shape.push(s.clone());
            sparsity.push(f.clone());
            n.push(y.len() as u64);
            h.push(kw.statistic);
            p_h.push(kw.p_value);
            rho.push(sp.statistic);
            p_rho.push(sp.p_value);
        }
    }
    let (holm_h, holm_rho) = (adjust(&p_h, Correction::Holm)?, adjust(&p_rho, Correction::Holm)?);
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new(SPARSITY.into(), sparsity),
        Column::new("n".into(), n),
        Column::new("kruskal_h".into(), h),
        Column::new("kruskal_p_holm".into(), holm_h),
        Column::new("spearman_rho".into(), rho),
        Column::new("spearman_p_holm".into(), holm_rho),
        Column::new("kruskal_p".into(), p_h),
        Column::new("spearman_p".into(), p_rho),
    ])?))
}

/// What the sparsity term changes in `metric` (e.g. `final_rate_l0`, or the accuracy): each f
/// against "none", paired by initial rate, shape and seed, two-sided Wilcoxon signed-rank, Holm
/// (columns of [`compare_groups`]).
pub fn sparsity_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions {
        test: GroupTest::Wilcoxon,
        pair_by: vec![RATE.into(), SHAPE.into(), "seed".into()],
        reference: Some("none".into()),
        correction: Correction::Holm,
        ..CompareOptions::default()
    };
    Ok(fresh(&compare_groups(runs, metric, SPARSITY, &options)?))
}

/// Per target initial rate r and sparsity label: the measured initial and final rates of
/// layer 0 and `metric`, means over shapes and seeds, with the number of runs.
pub fn rate_summary(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (rate, label) = (f64_column(runs, RATE)?, string_column(runs, SPARSITY)?);
    let (initial, last, y) = (f64_column(runs, "initial_rate_l0")?, f64_column(runs, "final_rate_l0")?, f64_column(runs, metric)?);
    let (mut r_col, mut f_col, mut n_col, mut i_col, mut l_col, mut m_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut levels = rate.clone();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    for r in levels {
        for f in distinct(&label) {
            let idx: Vec<usize> = (0..rate.len()).filter(|&i| rate[i] == r && label[i] == f).collect();
            if idx.is_empty() {
                continue;
            }
            let pick = |v: &[f64]| crate::stats::mean(&idx.iter().map(|&i| v[i]).collect::<Vec<_>>());
            r_col.push(r);
            f_col.push(f.clone());
            n_col.push(idx.len() as u64);
            i_col.push(pick(&initial));
            l_col.push(pick(&last));
            m_col.push(pick(&y));
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("target_initial_rate".into(), r_col),
        Column::new(SPARSITY.into(), f_col),
        Column::new("runs".into(), n_col),
        Column::new("initial_rate_l0".into(), i_col),
        Column::new("final_rate_l0".into(), l_col),
        Column::new(metric.into(), m_col),
    ])?))
}
