//! Study 05, surrogate gradients as the derivative of escape noise (Gygax & Zenke 2024;
//! other_seeds.md §A):
//!
//! * a single stochastic neuron, S ~ Bernoulli(f(x)): the Monte-Carlo derivative of E[S] equals
//!   the matched surrogate f′ ([`escape_derivative`]);
//! * the surrogate gradient is not the gradient of any function: its loop integral around a
//!   circle in a random plane of the five-parameter toy network is not zero, while the smooth
//!   network's exact gradient integrates to zero ([`loop_integrals`],
//!   [`crate::theory::surrogate_field`]);
//! * deterministic and stochastic two-layer LIF networks trained with surrogate gradients on
//!   randman ([`training_sweep`]): accuracy over 8 seeds, and the trial-to-trial variability of
//!   the trained networks as Fano factors of spike counts over repeated presentations of the
//!   same test samples ([`fano_factors`]).
//!
//! Training (quick scale): randman 5 classes × 200 samples, 20 units, 50 steps; two recurrent
//! LIF layers of 64 with the centred fluctuation-driven initialisation (the paper's); AdamW at
//! lr 10⁻² with clipping, 10 epochs. Arms: deterministic with
//! SuperSpike σ′ = 1/(1 + 10|x|)² (fast-sigmoid, sharpness 10); stochastic with sigmoid escape
//! noise f(x) = 1/(1 + e^{−10x}) and the same SuperSpike backward (the paper's "stochastic
//! SuperSpike"); stochastic with the matched backward f′. Paper scale: sl-MNIST, widths 128,
//! 30 epochs.

use std::collections::BTreeMap;

use burn::Tensor;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};
use serde_json::{Value, json};

use super::{Scale, StudyError, cached_sweep, comparison_task, comparison_width, results_path, with_text_column};
use crate::data::SpikeDataset;
use crate::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike};
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::table::{fresh, string_column};
use crate::theory::surrogate_field::{Field, PARAMETERS, loop_integral, random_plane};
use crate::train::sweep::SweepSpec;

/// Column added by [`run_training`]: "deterministic", "stochastic" (SuperSpike backward) or
/// "stochastic-matched" (f′ backward).
pub const NEURON: &str = "neuron";

/// The escape noise of the stochastic arms, f(x) = 1/(1 + e^{−10x}).
pub const NOISE: EscapeNoise = EscapeNoise::Sigmoid { beta: 10.0 };

/// Monte-Carlo estimate of dE[S]/dx at each of `xs` for S ~ Bernoulli(f(x)): central
/// differences (E[S(x + h)] − E[S(x − h)])/2h over `draws` noise values shared by both sides
/// (common random numbers: S(x + h) − S(x − h) is 1 exactly when ξ falls between f(x − h) and
/// f(x + h)), with its standard error from the spread of the per-draw differences. Columns
/// `x`, `surrogate` (f′(x)), `monte_carlo`, `standard_error`, `bias_bound` (the central
/// difference's h²/6·|f‴| bound, f‴ from second differences of f′).
pub fn escape_derivative(noise: EscapeNoise, xs: &[f64], h: f64, draws: usize, seed: u64) -> Result<DataFrame, StudyError> {
    let device = super::analysis_device()?;
    let (mut estimate, mut se, mut bias) = (Vec::new(), Vec::new(), Vec::new());
    for (k, &x) in xs.iter().enumerate() {
        let side = |at: f64| -> Vec<f64> {
            let op = EscapeSpike::new(noise, EscapeBackward::Matched, seed.wrapping_add(k as u64)).expect("a validated noise");
            let t = Tensor::<1>::from_data(TensorData::new(vec![at; draws], [draws]), &device);
            crate::host_values(op.apply(t))
        };
        let (up, down) = (side(x + h), side(x - h));
        let differences: Vec<f64> = up.iter().zip(&down).map(|(a, b)| (a - b) / (2.0 * h)).collect();
        estimate.push(crate::stats::mean(&differences));
        se.push((crate::stats::variance(&differences, 1) / draws as f64).sqrt());
        let f3 = (noise.derivative(x + h) - 2.0 * noise.derivative(x) + noise.derivative(x - h)).abs() / (h * h);
        bias.push(h * h / 6.0 * f3);
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("x".into(), xs.to_vec()),
        Column::new("surrogate".into(), xs.iter().map(|&x| noise.derivative(x)).collect::<Vec<_>>()),
        Column::new("monte_carlo".into(), estimate),
        Column::new("standard_error".into(), se),
        Column::new("bias_bound".into(), bias),
    ])?))
}

/// The loop integrals of the toy network around the circle of radius 1.8 about 0 in the
/// random plane drawn from `seed`, with `segments` segments, for each steepness in `betas`:
/// one row per (β, field) with the total (`loop_integral`), and the running integral along
/// the path as a second table (`beta`, `field`, `angle`, `running`). The field is "surrogate"
/// (the spiking network's surrogate gradient) or "smooth" (the sigmoid network's gradient).
pub fn loop_integrals(betas: &[f64], segments: usize, seed: u64) -> Result<(DataFrame, DataFrame), StudyError> {
    let device = super::analysis_device()?.autodiff();
    let plane = random_plane(seed);
    let centre = [0.0; PARAMETERS];
    let (mut beta_col, mut field_col, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    let (mut path_beta, mut path_field, mut angles, mut running) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &beta in betas {
        for (field, name) in [(Field::Surrogate, "surrogate"), (Field::Smooth, "smooth")] {
            let integral = loop_integral(&centre, &plane, 1.8, segments, beta, field, &device);
            beta_col.push(beta);
            field_col.push(name.to_string());
            totals.push(integral.total);
            path_beta.extend(std::iter::repeat_n(format!("β={beta}"), integral.angles.len()));
            path_field.extend(std::iter::repeat_n(format!("{name}, β={beta}"), integral.angles.len()));
            angles.extend(integral.angles);
            running.extend(integral.running);
        }
    }
    let totals = DataFrame::new_infer_height(vec![
        Column::new("beta".into(), beta_col),
        Column::new("field".into(), field_col),
        Column::new("loop_integral".into(), totals),
    ])?;
    let paths = DataFrame::new_infer_height(vec![
        Column::new("beta".into(), path_beta),
        Column::new("field".into(), path_field),
        Column::new("angle".into(), angles),
        Column::new("running".into(), running),
    ])?;
    Ok((fresh(&totals), fresh(&paths)))
}

/// Seeds of every arm.
pub fn seeds() -> Vec<u64> {
    (0..8).collect()
}

/// Deterministic and stochastic networks (module docs); every run keeps its trained model.
pub fn training_sweep(scale: Scale) -> SweepSpec {
    let n = comparison_width(scale);
    let epochs = if scale == Scale::Quick { 10 } else { 30 };
    let superspike = json!({ "shape": "fast-sigmoid", "dampening": 1.0, "sharpness": 10.0 });
    let base = json!({
        "epochs": epochs, "batch_size": 64,
        "task": comparison_task(scale),
        "model": { "hidden_sizes": [n, n], "surrogate": superspike },
        "init": { "kind": "fluctuation", "variant": "centred" },
        "optimizer": { "kind": "adamw", "lr": 1e-2, "clip_norm": 1.0 },
    });
    let noise = serde_json::to_value(NOISE).expect("noise serialises");
    let mut grid = BTreeMap::new();
    grid.insert(
        "model.stochastic".to_string(),
        vec![
            Value::Null,
            json!({ "noise": noise, "backward": { "kind": "surrogate", "surrogate": superspike } }),
            json!({ "noise": noise, "backward": { "kind": "matched" } }),
        ],
    );
    SweepSpec { base, grid, seeds: seeds(), out: None, keep_models: true }
}

fn training_path(scale: Scale) -> std::path::PathBuf {
    results_path("05_stochastic", scale)
}

/// Runs what is missing of [`training_sweep`]; every run labelled in [`NEURON`].
pub fn run_training(scale: Scale) -> Result<DataFrame, StudyError> {
    let runs = cached_sweep(&training_sweep(scale), &training_path(scale))?;
    let kinds = super::text_or_null(&runs, "model.stochastic.backward.kind")?;
    let labels = kinds
        .iter()
        .map(|k| match k.as_str() {
            "null" => "deterministic",
            "matched" => "stochastic-matched",
            _ => "stochastic",
        })
        .map(String::from)
        .collect();
    with_text_column(&runs, NEURON, labels)
}

/// Each stochastic arm against the deterministic one on `metric`: two-sided Welch t over the
/// seeds, Holm over the two comparisons (columns of [`compare_groups`]).
pub fn training_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("deterministic".into()), correction: Correction::Holm, ..CompareOptions::default() };
    Ok(fresh(&compare_groups(runs, metric, NEURON, &options)?))
}

/// The Fano factor of spike counts over repeated trials of one input: for each neuron and
/// window, F = Var_r[c] / E_r[c] over the trials r, averaged over the (neuron, window) cells
/// with a non-zero mean count; `spikes` is `[T, R, n]` row-major (R trials of the same input),
/// windows of `window` steps from t = 0 (a last, shorter window is dropped). `None` when no
/// cell has spikes. The variance is the unbiased one (R − 1).
pub fn fano_factor(spikes: &[f64], steps: usize, trials: usize, neurons: usize, window: usize) -> Option<f64> {
    assert_eq!(spikes.len(), steps * trials * neurons, "spikes must be [T, R, n]");
    assert!(trials >= 2 && window >= 1, "a Fano factor needs at least 2 trials and a window of at least 1 step");
    let mut factors = Vec::new();
    for w in 0..steps / window {
        for j in 0..neurons {
            let counts: Vec<f64> = (0..trials).map(|r| (w * window..(w + 1) * window).map(|t| spikes[(t * trials + r) * neurons + j]).sum()).collect();
            let mean = crate::stats::mean(&counts);
            if mean > 0.0 {
                let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (trials - 1) as f64;
                factors.push(var / mean);
            }
        }
    }
    (!factors.is_empty()).then(|| crate::stats::mean(&factors))
}

/// Trial-to-trial variability of every trained network of the sweep: each of the first
/// `samples` test samples presented `trials` times, Fano factors of every hidden layer's spike
/// counts in windows of `window` steps ([`fano_factor`]), averaged over the samples. Columns
/// `run_id`, [`NEURON`], `seed`, `layer`, `fano`, `rate` (the layer's mean rate over the trials).
pub fn fano_factors(scale: Scale, runs: &DataFrame, samples: usize, trials: usize, window: usize) -> Result<DataFrame, StudyError> {
    let device = super::analysis_device()?;
    let (nets, splits) = super::kept_networks(&training_sweep(scale), &training_path(scale), runs, NEURON, &device)?;
    let test: &SpikeDataset = if splits.test.is_empty() { &splits.validation } else { &splits.test };
    let (mut out_ids, mut out_labels, mut out_seeds, mut layers, mut fanos, mut rates) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for kept in &nets {
        let per_layer = layer_fano(&kept.net, test, samples.min(test.len()), trials, window, &device)?;
        for (layer, (fano, rate)) in per_layer.into_iter().enumerate() {
            out_ids.push(kept.run_id.clone());
            out_labels.push(kept.label.clone());
            out_seeds.push(kept.seed);
            layers.push(layer as u64);
            fanos.push(fano);
            rates.push(rate);
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("run_id".into(), out_ids),
        Column::new(NEURON.into(), out_labels),
        Column::new("seed".into(), out_seeds),
        Column::new("layer".into(), layers),
        Column::new("fano".into(), fanos),
        Column::new("rate".into(), rates),
    ])?))
}

/// Per hidden layer: the Fano factor averaged over the samples (samples without spikes left
/// out) and the mean rate.
fn layer_fano(
    net: &crate::network::Network,
    data: &SpikeDataset,
    samples: usize,
    trials: usize,
    window: usize,
    device: &burn::tensor::Device,
) -> Result<Vec<(Option<f64>, f64)>, StudyError> {
    let layers = net.layers.len();
    let (mut fanos, mut rates) = (vec![Vec::new(); layers], vec![Vec::new(); layers]);
    for s in 0..samples {
        let batch = data.batch(&vec![s; trials], device)?;
        let out = net.forward(batch.inputs)?;
        for (l, spikes) in out.spikes.into_iter().enumerate() {
            let [steps, _, n] = spikes.dims();
            let values = crate::host_values(spikes);
            rates[l].push(crate::stats::mean(&values));
            if let Some(f) = fano_factor(&values, steps, trials, n, window) {
                fanos[l].push(f);
            }
        }
    }
    Ok(fanos.into_iter().zip(rates).map(|(f, r)| ((!f.is_empty()).then(|| crate::stats::mean(&f)), crate::stats::mean(&r))).collect())
}

/// Per arm and layer: the mean Fano factor and rate over the seeds; columns [`NEURON`],
/// `layer`, `networks`, `fano`, `rate`.
pub fn fano_summary(fano: &DataFrame) -> Result<DataFrame, StudyError> {
    let labels = string_column(fano, NEURON)?;
    let layers = string_column(fano, "layer")?;
    let values = string_column(fano, "fano")?;
    let rates = crate::table::f64_column(fano, "rate")?;
    let (mut g, mut l, mut count, mut f, mut r) = (vec![], vec![], vec![], vec![], vec![]);
    for label in crate::table::distinct(&labels) {
        for layer in crate::table::distinct(&layers) {
            let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label && layers[i] == layer).collect();
            let fs: Vec<f64> = rows.iter().filter_map(|&i| values[i].parse().ok()).collect();
            g.push(label.clone());
            l.push(layer.clone());
            count.push(rows.len() as u64);
            f.push((!fs.is_empty()).then(|| crate::stats::mean(&fs)));
            r.push(crate::stats::mean(&rows.iter().map(|&i| rates[i]).collect::<Vec<_>>()));
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new(NEURON.into(), g),
        Column::new("layer".into(), l),
        Column::new("networks".into(), count),
        Column::new("fano".into(), f),
        Column::new("rate".into(), r),
    ])?))
}
