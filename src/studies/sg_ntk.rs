//! Study 07, the surrogate-gradient NTK (Eilers, Memmesheimer & Goedeke 2024; other_seeds.md
//! §C.3): ensembles of networks trained by surrogate-gradient descent ([`crate::theory::sg_descent`])
//! on the paper's toy task, against the Gaussian process the SG-NTK predicts for infinitely wide
//! networks trained to convergence ([`crate::theory::sg_ntk::predict`]).
//!
//! The task: inputs on the unit circle x = (sin α, cos α), target
//! y = 4x₀x₁² − 0.8x₀³ + 1.2x₁² − 0.8x₀²x₁, 100 test angles α_i = 2πi/100 − π, 15 of them drawn
//! (seed 3) as the training set, no noise. Networks 2 → n → n → 1 (σ_w = 1, σ_b = 0.1), forward
//! erf(m x) with m ∈ {2, 5} or sign (m = ∞), surrogate derivative erf′ with m₂ = 1, full-batch
//! gradient descent at lr 0.1. Quick scale: widths 10, 30, 100, 300, 1000, 8 networks each,
//! 2000 steps; plateau scale: the paper's 100 networks and 30 000 steps at widths 10, 30, 100
//! and 300; paper scale: the same at widths 10–1000. The cost grows with n²: on 2 cores one
//! step of 100 networks takes 0.8, 2.3, 9.7, 47 and 319 ms at widths 10, 30, 100, 300 and 1000
//! (erf forward, m = 2; `cargo bench --bench ensemble_step`), so plateau scale takes about 80
//! minutes, most of it at width 300, and width 1000 about 7 hours: paper scale is for a GPU
//! (`SGLAB_BACKEND=wgpu`) or a cluster, part by part (`SGLAB_PARTS`).
//!
//! The kernels themselves ([`kernel_snapshots`]): the empirical SG-NTK I(x, x′) = J(x)·J̃(x′)ᵀ
//! of trained networks with a finite forward steepness, at several widths and training steps,
//! against the analytic kernel ([`crate::theory::sg_ntk`]), and the naive NTK (φ̃′ = φ′) that
//! diverges as the forward steepness grows ([`naive_kernels`]).

use std::collections::BTreeSet;

use burn::Tensor;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};
use rand::seq::SliceRandom;

use super::work::Parts;
use super::{Scale, StudyError, results_path};
use crate::table::{f64_column, fresh, string_column};
use crate::theory::sg_descent::{Ensemble, points_tensor};
use crate::theory::sg_ntk::{NetworkParameters, SgNtk, SurrogateDerivative, empirical_kernel_between, empirical_kernel_of, predict};

/// The forward steepnesses m₁ (`None`: sign).
pub const FORWARD: [Option<f64>; 3] = [Some(2.0), Some(5.0), None];

/// Learning rate of the gradient descent.
pub const LEARNING_RATE: f64 = 0.1;

/// Sizes of the experiment at a scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Hidden widths n.
    pub widths: Vec<usize>,
    /// Networks per (m, width).
    pub networks: usize,
    /// Gradient-descent steps.
    pub steps: usize,
}

/// The quick or paper setting (module docs).
pub fn setting(scale: Scale) -> Setting {
    match scale {
        Scale::Quick => Setting { widths: vec![10, 30, 100, 300, 1000], networks: 8, steps: 2000 },
        Scale::Plateau => Setting { widths: vec![10, 30, 100, 300], networks: 100, steps: 30_000 },
        Scale::Paper => Setting { widths: vec![10, 30, 100, 300, 1000], networks: 100, steps: 30_000 },
    }
}

/// The label of a forward steepness: "m=2", "m=5" or "sign".
pub fn forward_label(m: Option<f64>) -> String {
    m.map_or_else(|| "sign".to_string(), |m| format!("m={m}"))
}

/// The kernel settings for a forward steepness (the paper's: σ_w = 1, σ_b = 0.1, erf′ surrogate
/// with m₂ = 1).
pub fn kernel(m: Option<f64>) -> SgNtk {
    SgNtk { m_forward: m, surrogate: SurrogateDerivative::Erf { m: 1.0 }, ..SgNtk::default() }
}

/// The toy task: test angles, test points, training indices into them, and the targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The 100 test angles.
    pub angles: Vec<f64>,
    /// (sin α, cos α) per test angle.
    pub points: Vec<Vec<f64>>,
    /// The 15 training angles' indices.
    pub train: Vec<usize>,
    /// The target at every test point.
    pub targets: Vec<f64>,
}

/// y(x) = 4x₀x₁² − 0.8x₀³ + 1.2x₁² − 0.8x₀²x₁.
pub fn target(x: &[f64]) -> f64 {
    4.0 * x[0] * x[1] * x[1] - 0.8 * x[0].powi(3) + 1.2 * x[1] * x[1] - 0.8 * x[0] * x[0] * x[1]
}

/// The task of the module docs.
pub fn task() -> Task {
    let angles: Vec<f64> = (0..100).map(|i| std::f64::consts::TAU * i as f64 / 100.0 - std::f64::consts::PI).collect();
    let points: Vec<Vec<f64>> = angles.iter().map(|a| vec![a.sin(), a.cos()]).collect();
    let mut order: Vec<usize> = (0..100).collect();
    order.shuffle(&mut crate::rng::rng(3, 0x7A5C));
    let mut train: Vec<usize> = order[..15].to_vec();
    train.sort_unstable();
    let targets = points.iter().map(|p| target(p)).collect();
    Task { angles, points, train, targets }
}

/// The SG-NTK prediction for every forward steepness: columns `forward`, `angle`, `mean`, `std`,
/// `nngp_mean`, `target`, `train` (whether the angle is a training point).
pub fn predictions() -> Result<DataFrame, StudyError> {
    let t = task();
    let train_points: Vec<Vec<f64>> = t.train.iter().map(|&i| t.points[i].clone()).collect();
    let train_targets: Vec<f64> = t.train.iter().map(|&i| t.targets[i]).collect();
    let mut cols: (Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<bool>) = Default::default();
    for m in FORWARD {
        let p = predict(&kernel(m), &train_points, &train_targets, &t.points).map_err(|e| StudyError::Unknown(format!("SG-NTK prediction: {e}")))?;
        for i in 0..t.angles.len() {
            cols.0.push(forward_label(m));
            cols.1.push(t.angles[i]);
            cols.2.push(p.mean[i]);
            cols.3.push(p.std[i]);
            cols.4.push(p.nngp_mean[i]);
            cols.5.push(t.targets[i]);
            cols.6.push(t.train.contains(&i));
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("forward".into(), cols.0),
        Column::new("angle".into(), cols.1),
        Column::new("mean".into(), cols.2),
        Column::new("std".into(), cols.3),
        Column::new("nngp_mean".into(), cols.4),
        Column::new("target".into(), cols.5),
        Column::new("train".into(), cols.6),
    ])?))
}

fn setting_key(m: Option<f64>, width: usize, s: &Setting) -> String {
    format!("{};n={width};networks={};steps={};lr={LEARNING_RATE}", forward_label(m), s.networks, s.steps)
}

/// The training set of [`task`] as tensors `[15, 2]` and `[15]`, and the test points `[100, 2]`.
pub fn task_tensors(t: &Task, device: &burn::tensor::Device) -> (Tensor<2>, Tensor<1>, Tensor<2>) {
    let train_points: Vec<Vec<f64>> = t.train.iter().map(|&i| t.points[i].clone()).collect();
    let x = points_tensor(&train_points, device);
    let y = Tensor::<1>::from_data(TensorData::new(t.train.iter().map(|&i| t.targets[i]).collect::<Vec<f64>>(), [t.train.len()]), device);
    (x, y, points_tensor(&t.points, device))
}

/// (forward index, m, width) of every ensemble of a setting, in computation order.
fn ensemble_parts(s: &Setting) -> Vec<(usize, Option<f64>, usize)> {
    FORWARD.iter().enumerate().flat_map(|(k, &m)| s.widths.iter().map(move |&w| (k, m, w))).collect()
}

/// The `setting` keys of the parts of [`run_ensembles`] at `scale`, in computation order.
pub fn ensemble_keys(scale: Scale) -> Vec<String> {
    let s = setting(scale);
    ensemble_parts(&s).into_iter().map(|(_, m, w)| setting_key(m, w, &s)).collect()
}

/// Trains every ensemble of the scale's setting (cached in `07_sg_ntk_<scale>.parquet`, one
/// part per (forward, width), written as each finishes): one row per (forward, width, network,
/// test angle) with the trained output; columns `setting`, `forward`, `width`, `network`,
/// `angle`, `output`, `train_loss` (the network's final loss).
pub fn run_ensembles(scale: Scale) -> Result<DataFrame, StudyError> {
    ensemble_work(scale)?.cached(&ensembles_path(scale))
}

/// The table of [`run_ensembles`] under [`super::results_dir`].
pub fn ensembles_path(scale: Scale) -> std::path::PathBuf {
    results_path("07_sg_ntk", scale)
}

/// The parts of [`run_ensembles`] (one per forward steepness and width) and their computation.
pub fn ensemble_work(scale: Scale) -> Result<Parts<'static>, StudyError> {
    let s = setting(scale);
    let parts = ensemble_parts(&s);
    let keys = ensemble_keys(scale);
    let device = super::analysis_device()?;
    let t = task();
    let (x, y, test) = task_tensors(&t, &device);
    Ok(Parts::new("setting", keys, move |key| {
        let &(k, m, width) = parts.iter().find(|&&(_, m, w)| setting_key(m, w, &s) == key).expect("a key of the setting");
        let started = std::time::Instant::now();
        let mut ensemble = Ensemble::new(kernel(m), width, s.networks, 1000 * k as u64 + width as u64, &device);
        for _ in 0..s.steps {
            ensemble.step(&x, &y, LEARNING_RATE);
        }
        let losses = crate::host_values(ensemble.loss(&x, &y));
        let outputs = crate::host_values(ensemble.forward(&test));
        println!("{key}: mean training loss {:.2e} after {} steps ({:.1} s)", crate::stats::mean(&losses), s.steps, started.elapsed().as_secs_f64());
        let rows = s.networks * t.angles.len();
        Ok(fresh(&DataFrame::new_infer_height(vec![
            Column::new("setting".into(), vec![key.to_string(); rows]),
            Column::new("forward".into(), vec![forward_label(m); rows]),
            Column::new("width".into(), vec![width as u64; rows]),
            Column::new("network".into(), (0..s.networks).flat_map(|net| std::iter::repeat_n(net as u64, t.angles.len())).collect::<Vec<_>>()),
            Column::new("angle".into(), (0..s.networks).flat_map(|_| t.angles.iter().copied()).collect::<Vec<_>>()),
            Column::new("output".into(), outputs),
            Column::new("train_loss".into(), (0..s.networks).flat_map(|net| std::iter::repeat_n(losses[net], t.angles.len())).collect::<Vec<_>>()),
        ])?))
    }))
}

/// The forward steepness of the kernel snapshots: m₁ = 5 (finite, so the true Jacobian J exists).
pub const SNAPSHOT_FORWARD: f64 = 5.0;

/// Sizes of the kernel snapshots at a scale: widths, networks per width, and the training
/// steps at which the kernels are taken.
pub fn snapshot_setting(scale: Scale) -> (Vec<usize>, usize, Vec<usize>) {
    match scale {
        Scale::Quick => (vec![10, 100], 4, vec![0, 500]),
        Scale::Plateau | Scale::Paper => (vec![10, 100, 500], 10, vec![0, 1000, 10_000]),
    }
}

fn snapshot_key(width: usize, networks: usize, steps: &[usize]) -> String {
    format!("m={SNAPSHOT_FORWARD};n={width};networks={networks};steps={steps:?};lr={LEARNING_RATE}")
}

/// The `setting` keys of the parts of [`kernel_snapshots`] at `scale` (one per width).
pub fn snapshot_keys(scale: Scale) -> Vec<String> {
    let (widths, networks, steps) = snapshot_setting(scale);
    widths.iter().map(|&w| snapshot_key(w, networks, &steps)).collect()
}

/// The empirical SG-NTK during training against the analytic kernel (cached in
/// `07_sg_ntk_kernels_<scale>.parquet`, one part per width): networks 2 → n → n → 1 with
/// forward erf([`SNAPSHOT_FORWARD`] x) and the erf′ surrogate (m₂ = 1), trained on the task by
/// SG descent, the kernel taken at each step of [`snapshot_setting`]. One row per (width,
/// step, network, test angle): `empirical` I(x₀, x) and `analytic` I(x₀, x) with x₀ the first
/// test point (α = −π), and `matrix_distance`, the network's relative Frobenius distance
/// ‖I_emp − I‖/‖I‖ over all pairs of test points; also `setting`, `width`, `step`, `network`,
/// `angle`.
pub fn kernel_snapshots(scale: Scale) -> Result<DataFrame, StudyError> {
    snapshot_work(scale)?.cached(&snapshots_path(scale))
}

/// The table of [`kernel_snapshots`] under [`super::results_dir`].
pub fn snapshots_path(scale: Scale) -> std::path::PathBuf {
    results_path("07_sg_ntk_kernels", scale)
}

/// The parts of [`kernel_snapshots`] (one per width) and their computation.
pub fn snapshot_work(scale: Scale) -> Result<Parts<'static>, StudyError> {
    let (widths, networks, steps) = snapshot_setting(scale);
    let kernel = kernel(Some(SNAPSHOT_FORWARD));
    let keys = snapshot_keys(scale);
    let device = super::analysis_device()?;
    let t = task();
    let (x, y, _) = task_tensors(&t, &device);
    let (_, analytic) = kernel.kernel_matrices(&t.points, &t.points);
    let points = t.points.len();
    let norm = analytic.iter().map(|v| v * v).sum::<f64>().sqrt();
    Ok(Parts::new("setting", keys, move |k| {
        let &width = widths.iter().find(|&&w| snapshot_key(w, networks, &steps) == k).expect("a key of the setting");
        let mut ensemble = Ensemble::new(kernel, width, networks, 7000 + width as u64, &device);
        let mut cols: (Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
        let mut done = 0;
        for &step in &steps {
            for _ in done..step {
                ensemble.step(&x, &y, LEARNING_RATE);
            }
            done = step;
            for (net, params) in ensemble.members().iter().enumerate() {
                let empirical = empirical_kernel_of(&kernel, params, &t.points);
                let distance = empirical.iter().zip(&analytic).map(|(e, a)| (e - a).powi(2)).sum::<f64>().sqrt() / norm;
                for j in 0..points {
                    cols.0.push(step as u64);
                    cols.1.push(net as u64);
                    cols.2.push(t.angles[j]);
                    cols.3.push(empirical[j]);
                    cols.4.push(analytic[j]);
                    cols.5.push(distance);
                }
            }
        }
        let rows = cols.0.len();
        Ok(fresh(&DataFrame::new_infer_height(vec![
            Column::new("setting".into(), vec![k.to_string(); rows]),
            Column::new("width".into(), vec![width as u64; rows]),
            Column::new("step".into(), cols.0),
            Column::new("network".into(), cols.1),
            Column::new("angle".into(), cols.2),
            Column::new("empirical".into(), cols.3),
            Column::new("analytic".into(), cols.4),
            Column::new("matrix_distance".into(), cols.5),
        ])?))
    }))
}

/// The naive NTK (the true derivative in the backward, φ̃′ = φ′) at initialisation for each
/// forward steepness of `steepnesses`: the analytic row Θ(x₀, x) over the test angles (x₀ the
/// first test point, α = −π) and the empirical row of `networks` random networks of width
/// `width`. Columns `steepness`, `angle`, `analytic`, `network`, `empirical`. The diagonal Θ(x₀, x₀) grows without bound with m₁: the kernel of the
/// sign function does not exist.
pub fn naive_kernels(steepnesses: &[f64], width: usize, networks: usize) -> Result<DataFrame, StudyError> {
    let t = task();
    let mut cols: (Vec<f64>, Vec<f64>, Vec<f64>, Vec<u64>, Vec<f64>) = Default::default();
    for &m in steepnesses {
        let naive = SgNtk { m_forward: Some(m), surrogate: SurrogateDerivative::True, ..SgNtk::default() };
        let (_, analytic) = naive.kernel_matrices(&t.points[..1], &t.points);
        let empirical: Vec<Vec<f64>> = (0..networks)
            .map(|net| empirical_kernel_between(&naive, &NetworkParameters::random(&naive, width, 9000 + net as u64), &t.points[..1], &t.points))
            .collect();
        for j in 0..t.points.len() {
            for net in 0..networks {
                cols.0.push(m);
                cols.1.push(t.angles[j]);
                cols.2.push(analytic[j]);
                cols.3.push(net as u64);
                cols.4.push(empirical[net][j]);
            }
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("steepness".into(), cols.0),
        Column::new("angle".into(), cols.1),
        Column::new("analytic".into(), cols.2),
        Column::new("network".into(), cols.3),
        Column::new("empirical".into(), cols.4),
    ])?))
}

/// Kernel rows averaged over the networks: per value of the `by` columns (text) and angle, the
/// mean and standard deviation over the networks of `empirical`, and `analytic`. Columns:
/// the `by` columns, `angle`, `empirical_mean`, `empirical_sd`, `analytic`, `networks`. Serves
/// [`kernel_snapshots`] (by width and step) and [`naive_kernels`] (by steepness).
pub fn kernel_row_means(rows: &DataFrame, by: &[&str]) -> Result<DataFrame, StudyError> {
    let keys: Vec<Vec<String>> = by.iter().map(|c| string_column(rows, c)).collect::<Result<_, _>>()?;
    let (angle, empirical, analytic) = (f64_column(rows, "angle")?, f64_column(rows, "empirical")?, f64_column(rows, "analytic")?);
    let mut groups: std::collections::BTreeMap<(Vec<String>, i64), (f64, f64, Vec<f64>)> = Default::default();
    for i in 0..angle.len() {
        let key: Vec<String> = keys.iter().map(|k| k[i].clone()).collect();
        groups.entry((key, (angle[i] * 1e9).round() as i64)).or_insert((angle[i], analytic[i], Vec::new())).2.push(empirical[i]);
    }
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); by.len()];
    let (mut a, mut mean, mut sd, mut an, mut n) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((key, _), (angle, analytic, values)) in groups {
        for (c, k) in columns.iter_mut().zip(key) {
            c.push(k);
        }
        a.push(angle);
        mean.push(crate::stats::mean(&values));
        sd.push(if values.len() > 1 { crate::stats::variance(&values, 1).sqrt() } else { 0.0 });
        an.push(analytic);
        n.push(values.len() as u64);
    }
    let mut out: Vec<Column> = by.iter().zip(columns).map(|(name, values)| Column::new((*name).into(), values)).collect();
    out.extend([
        Column::new("angle".into(), a),
        Column::new("empirical_mean".into(), mean),
        Column::new("empirical_sd".into(), sd),
        Column::new("analytic".into(), an),
        Column::new("networks".into(), n),
    ]);
    Ok(fresh(&DataFrame::new_infer_height(out)?))
}

/// Per (width, step) of [`kernel_snapshots`]: the mean and standard deviation over the networks
/// of the relative Frobenius distance to the analytic kernel. Columns `width`, `step`,
/// `distance_mean`, `distance_sd`, `networks`.
pub fn kernel_distances(snapshots: &DataFrame) -> Result<DataFrame, StudyError> {
    let (width, step, network, distance) = (f64_column(snapshots, "width")?, f64_column(snapshots, "step")?, f64_column(snapshots, "network")?, f64_column(snapshots, "matrix_distance")?);
    let mut per: std::collections::BTreeMap<(u64, u64), std::collections::BTreeMap<u64, f64>> = Default::default();
    for i in 0..distance.len() {
        per.entry((width[i] as u64, step[i] as u64)).or_default().insert(network[i] as u64, distance[i]);
    }
    let mut cols: (Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>, Vec<u64>) = Default::default();
    for ((w, st), nets) in per {
        let d: Vec<f64> = nets.into_values().collect();
        cols.0.push(w);
        cols.1.push(st);
        cols.2.push(crate::stats::mean(&d));
        cols.3.push(if d.len() > 1 { crate::stats::variance(&d, 1).sqrt() } else { 0.0 });
        cols.4.push(d.len() as u64);
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("width".into(), cols.0),
        Column::new("step".into(), cols.1),
        Column::new("distance_mean".into(), cols.2),
        Column::new("distance_sd".into(), cols.3),
        Column::new("networks".into(), cols.4),
    ])?))
}

/// The ensemble mean output per (forward, width, angle): columns `forward`, `width`, `angle`,
/// `ensemble_mean`.
pub fn ensemble_means(ensembles: &DataFrame) -> Result<DataFrame, StudyError> {
    let (forward, width, angle, output) = (string_column(ensembles, "forward")?, string_column(ensembles, "width")?, f64_column(ensembles, "angle")?, f64_column(ensembles, "output")?);
    let mut sums: std::collections::BTreeMap<(String, u64, i64), (f64, f64, usize)> = Default::default();
    for i in 0..output.len() {
        let w: u64 = width[i].parse().map_err(|_| crate::table::TableError(format!("width {:?}", width[i])))?;
        let e = sums.entry((forward[i].clone(), w, (angle[i] * 1e9).round() as i64)).or_insert((angle[i], 0.0, 0));
        e.1 += output[i];
        e.2 += 1;
    }
    let mut cols: (Vec<String>, Vec<u64>, Vec<f64>, Vec<f64>) = Default::default();
    for ((f, w, _), (a, sum, n)) in sums {
        cols.0.push(f);
        cols.1.push(w);
        cols.2.push(a);
        cols.3.push(sum / n as f64);
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("forward".into(), cols.0),
        Column::new("width".into(), cols.1),
        Column::new("angle".into(), cols.2),
        Column::new("ensemble_mean".into(), cols.3),
    ])?))
}

/// Distance of the trained ensembles from the SG-NTK prediction per (forward, width): columns
/// `forward`, `width`, `rms_to_gp_mean` (√ mean over the test angles of (ensemble mean − μ)²),
/// `rms_gp_mean` (√ mean μ², the scale it is compared with), `sampling_rms` (the ensemble
/// mean's own sampling error √(mean σ²/E) if the networks were draws of the GP),
/// `within_band` (fraction of the individual outputs within μ ± 2σ; 0.95 for the GP itself),
/// `train_loss` (mean final training loss).
pub fn distances(ensembles: &DataFrame, predictions: &DataFrame) -> Result<DataFrame, StudyError> {
    let (forward, width, angle, output, loss) = (
        string_column(ensembles, "forward")?,
        string_column(ensembles, "width")?,
        f64_column(ensembles, "angle")?,
        f64_column(ensembles, "output")?,
        f64_column(ensembles, "train_loss")?,
    );
    let (p_forward, p_angle, p_mean, p_std) = (string_column(predictions, "forward")?, f64_column(predictions, "angle")?, f64_column(predictions, "mean")?, f64_column(predictions, "std")?);
    let key = |f: &str, a: f64| (f.to_string(), (a * 1e9).round() as i64);
    let gp: std::collections::HashMap<(String, i64), (f64, f64)> = (0..p_angle.len()).map(|i| (key(&p_forward[i], p_angle[i]), (p_mean[i], p_std[i]))).collect();
    let means = ensemble_means(ensembles)?;
    let (m_forward, m_width, m_angle, m_mean) = (string_column(&means, "forward")?, string_column(&means, "width")?, f64_column(&means, "angle")?, f64_column(&means, "ensemble_mean")?);
    let mut out: (Vec<String>, Vec<u64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
    let groups: BTreeSet<(String, u64)> = m_forward.iter().zip(&m_width).map(|(f, w)| (f.clone(), w.parse().unwrap_or(0))).collect();
    for (f, w) in groups {
        let lookup = |a: f64| gp.get(&key(&f, a)).copied().ok_or_else(|| StudyError::Unknown(format!("no SG-NTK prediction for {f} at angle {a}")));
        let rows: Vec<usize> = (0..m_mean.len()).filter(|&i| m_forward[i] == f && m_width[i] == w.to_string()).collect();
        let mut sq = Vec::new();
        let mut scale = Vec::new();
        let mut var = Vec::new();
        for &i in &rows {
            let (mu, sd) = lookup(m_angle[i])?;
            sq.push((m_mean[i] - mu).powi(2));
            scale.push(mu * mu);
            var.push(sd * sd);
        }
        let members: Vec<usize> = (0..output.len()).filter(|&i| forward[i] == f && width[i] == w.to_string()).collect();
        let networks = members.len() / rows.len().max(1);
        let mut inside = 0usize;
        for &i in &members {
            let (mu, sd) = lookup(angle[i])?;
            inside += usize::from((output[i] - mu).abs() <= 2.0 * sd);
        }
        out.0.push(f.clone());
        out.1.push(w);
        out.2.push(crate::stats::mean(&sq).sqrt());
        out.3.push(crate::stats::mean(&scale).sqrt());
        out.4.push((crate::stats::mean(&var) / networks.max(1) as f64).sqrt());
        out.5.push(inside as f64 / members.len().max(1) as f64);
        out.6.push(crate::stats::mean(&members.iter().map(|&i| loss[i]).collect::<Vec<_>>()));
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("forward".into(), out.0),
        Column::new("width".into(), out.1),
        Column::new("rms_to_gp_mean".into(), out.2),
        Column::new("rms_gp_mean".into(), out.3),
        Column::new("sampling_rms".into(), out.4),
        Column::new("within_band".into(), out.5),
        Column::new("train_loss".into(), out.6),
    ])?))
}
