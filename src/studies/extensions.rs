//! Study 04, the extensions of Herranz-Celotti & Rouat (Tables 1 and 2; stable_spike.md §7–§8):
//!
//! * DECOLLE ([`crate::neuron::decolle`]) with and without the firing-rate control
//!   λ |S̄ − f| during the first epochs, f ∈ {0.5 (Condition I), 0.158 = 1 − Φ(1) (the
//!   fluctuation-driven regime)}, λ = 100 for epochs 0–1 ([`decolle_sweep`]);
//! * the fluctuation-driven initialisation (Rossbroich, Gygax & Zenke 2022) in its centred
//!   default, `muchange` (mean at threshold) and `ν = ε = 1` variants, with Glorot-uniform as a
//!   baseline, in a shallow (1 layer) and a deep (4 layers) network ([`fluctuation_sweep`]).
//!
//! Randman stands in for DVS Gesture, SHD and CIFAR-10 at quick scale: 5 classes × 200 samples,
//! 20 units, 50 steps; 8 seeds. DECOLLE: 2 layers of 64, the ∂fast-sigmoid 1/(1 + 10|U|)²,
//! burn-in 5 steps, LSUV, Adam with β = (0, 0.95) (DECOLLE's Adamax betas) at lr 1e-2, 6 epochs.
//! Fluctuation: LIF layers of 64, ∂fast-sigmoid, AdamW at lr 1e-2 with clipping, 10 epochs.
//! Paper scale: sl-MNIST at 100 steps with widths 128 and 30 epochs.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;
use serde_json::{Value, json};

use super::{Scale, StudyError, cached_sweep, comparison_task, comparison_width, results_path, rows_where, text_or_null, with_target_label, with_text_column};
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::table::{distinct, fresh, string_column};
use crate::train::sweep::SweepSpec;

/// Column added by [`run_decolle`]: "none", "f=0.5" or "f=0.158".
pub const RATE_CONTROL: &str = "rate_control";
/// Column added by [`run_fluctuation`]: "glorot", "centred", "mean-at-threshold", "unit-rates".
pub const INIT: &str = "initialisation";
/// Column added by [`run_fluctuation`]: "shallow" or "deep".
pub const DEPTH: &str = "depth";

/// Seeds of both studies.
pub fn seeds() -> Vec<u64> {
    (0..8).collect()
}

/// DECOLLE without and with the rate control (module docs).
pub fn decolle_sweep(scale: Scale) -> SweepSpec {
    let n = comparison_width(scale);
    let base = json!({
        "epochs": if scale == Scale::Quick { 6 } else { 30 }, "batch_size": 64,
        "task": comparison_task(scale),
        "model": { "hidden_sizes": [n, n], "surrogate": { "shape": "fast-sigmoid", "dampening": 1.0, "sharpness": 5.0 } },
        "optimizer": { "kind": "adam", "lr": 1e-2, "beta1": 0.0, "beta2": 0.95 },
        "decolle": { "burn_in": 5, "lsuv": true },
    });
    let control = |f: f64| json!({ "target": f, "weight": 100.0, "until_epoch": 1 });
    let mut grid = BTreeMap::new();
    grid.insert("decolle.rate_control".to_string(), vec![Value::Null, control(0.5), control(0.158)]);
    SweepSpec { base, grid, seeds: seeds(), out: None, keep_models: false }
}

/// Fluctuation-driven initialisation variants and Glorot-uniform, shallow and deep.
pub fn fluctuation_sweep(scale: Scale) -> SweepSpec {
    let n = comparison_width(scale);
    let base = json!({
        "epochs": if scale == Scale::Quick { 10 } else { 30 }, "batch_size": 64,
        "task": comparison_task(scale),
        "model": { "hidden_sizes": [n], "surrogate": { "shape": "fast-sigmoid", "dampening": 1.0, "sharpness": 1.0 } },
        "optimizer": { "kind": "adamw", "lr": 1e-2, "clip_norm": 1.0 },
    });
    let fluctuation = |variant: &str| json!({ "kind": "fluctuation", "variant": variant });
    let mut grid = BTreeMap::new();
    grid.insert(
        "init".to_string(),
        vec![json!({ "kind": "configured" }), fluctuation("centred"), fluctuation("mean-at-threshold"), fluctuation("unit-rates")],
    );
    grid.insert("model.hidden_sizes".to_string(), vec![json!([n]), json!([n, n, n, n])]);
    SweepSpec { base, grid, seeds: seeds(), out: None, keep_models: false }
}

/// Runs what is missing of the DECOLLE sweep; every run with the [`RATE_CONTROL`] label.
pub fn run_decolle(scale: Scale) -> Result<DataFrame, StudyError> {
    let runs = cached_sweep(&decolle_sweep(scale), &results_path("04_decolle", scale))?;
    with_target_label(&runs, "decolle.rate_control.target", RATE_CONTROL)
}

/// Runs what is missing of the fluctuation sweep; every run with the [`INIT`] and [`DEPTH`]
/// labels.
pub fn run_fluctuation(scale: Scale) -> Result<DataFrame, StudyError> {
    let runs = cached_sweep(&fluctuation_sweep(scale), &results_path("04_fluctuation", scale))?;
    let kinds = string_column(&runs, "init.kind")?;
    let variants = text_or_null(&runs, "init.variant")?;
    let labels = kinds.iter().zip(&variants).map(|(k, v)| if k == "configured" { "glorot".to_string() } else { v.clone() }).collect();
    let layers = string_column(&runs, "model.hidden_sizes")?;
    let depth = layers.iter().map(|l| if l.matches(',').count() == 0 { "shallow".to_string() } else { "deep".to_string() }).collect();
    with_text_column(&with_text_column(&runs, INIT, labels)?, DEPTH, depth)
}

/// DECOLLE with each rate control against none on `metric`: two-sided Welch t over the seeds,
/// Holm over the two comparisons (columns of [`compare_groups`]).
pub fn decolle_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("none".into()), correction: Correction::Holm, ..CompareOptions::default() };
    Ok(fresh(&compare_groups(runs, metric, RATE_CONTROL, &options)?))
}

/// Per depth, every initialisation against the centred fluctuation default on `metric`:
/// two-sided Welch t over the seeds, Holm within a depth; columns of [`compare_groups`] and
/// `depth`.
pub fn fluctuation_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("centred".into()), correction: Correction::Holm, ..CompareOptions::default() };
    let mut frames = Vec::new();
    for depth in distinct(&string_column(runs, DEPTH)?) {
        let rows = rows_where(runs, DEPTH, &depth)?;
        let table = compare_groups(&rows, metric, INIT, &options)?;
        let n = table.height();
        frames.push(with_text_column(&table, DEPTH, vec![depth; n])?);
    }
    Ok(fresh(&crate::results::concat(&frames)?))
}

/// The per-epoch training rate of every layer of the DECOLLE runs, labelled by
/// [`RATE_CONTROL`] (from the sweep's history table), for a plot of how the control moves the
/// early rate: columns of the history table and the label.
pub fn decolle_history(scale: Scale, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let history = crate::results::read_parquet(&crate::train::sweep::history_path(&results_path("04_decolle", scale)))?;
    let (ids, labels) = (string_column(runs, "run_id")?, string_column(runs, RATE_CONTROL)?);
    let label_of: std::collections::HashMap<&str, &str> = ids.iter().map(String::as_str).zip(labels.iter().map(String::as_str)).collect();
    let history_ids = string_column(&history, "run_id")?;
    let labels = history_ids
        .iter()
        .map(|id| label_of.get(id.as_str()).map(|l| l.to_string()).ok_or_else(|| crate::table::TableError(format!("history run {id} is not in the runs table"))))
        .collect::<Result<Vec<_>, _>>()?;
    with_text_column(&history, RATE_CONTROL, labels)
}

/// Means over seeds per group value of `group`: `metric` and the initial and final rates of
/// every layer present, with the number of runs.
pub fn group_means(runs: &DataFrame, group: &str, metric: &str) -> Result<DataFrame, StudyError> {
    let labels = string_column(runs, group)?;
    let mut columns = vec![metric.to_string()];
    for prefix in ["initial_rate", "final_rate"] {
        columns.extend((0..8).map(|l| format!("{prefix}_l{l}")).filter(|c| runs.column(c).is_ok()));
    }
    let groups = distinct(&labels);
    let mut out = vec![
        polars::prelude::Column::new(group.into(), groups.clone()),
        polars::prelude::Column::new("runs".into(), groups.iter().map(|g| labels.iter().filter(|l| *l == g).count() as u64).collect::<Vec<_>>()),
    ];
    for c in &columns {
        let values = string_column(runs, c)?;
        let means: Vec<Option<f64>> = groups
            .iter()
            .map(|g| {
                let v: Vec<f64> = values.iter().zip(&labels).filter(|(_, l)| *l == g).filter_map(|(v, _)| v.parse().ok()).collect();
                (!v.is_empty()).then(|| crate::stats::mean(&v))
            })
            .collect();
        out.push(polars::prelude::Column::new(c.as_str().into(), means));
    }
    Ok(fresh(&DataFrame::new_infer_height(out)?))
}
