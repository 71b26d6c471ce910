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
//! 2000 steps; paper scale: 100 networks, 30 000 steps.

use std::collections::BTreeSet;

use burn::Tensor;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};
use rand::seq::SliceRandom;

use super::{Scale, StudyError, cached_table, results_path};
use crate::table::{f64_column, fresh, string_column};
use crate::theory::sg_descent::{Ensemble, points_tensor};
use crate::theory::sg_ntk::{SgNtk, SurrogateDerivative, predict};

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
        Scale::Paper => Setting { widths: vec![10, 30, 100, 300, 1000], networks: 100, steps: 30_000 },
        Scale::Plateau => panic!("{}", super::scale::no_grid("07", scale)),
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

/// Trains every ensemble of the scale's setting (cached in `07_sg_ntk_<scale>.parquet`): one row
/// per (forward, width, network, test angle) with the trained output; columns `setting`,
/// `forward`, `width`, `network`, `angle`, `output`, `train_loss` (the network's final loss).
pub fn run_ensembles(scale: Scale) -> Result<DataFrame, StudyError> {
    let s = setting(scale);
    let keys: BTreeSet<String> = FORWARD.iter().flat_map(|&m| s.widths.iter().map(move |&w| (m, w))).map(|(m, w)| setting_key(m, w, &s)).collect();
    cached_table(&results_path("07_sg_ntk", scale), "setting", &keys, || {
        let device = super::analysis_device()?;
        let t = task();
        let train_points: Vec<Vec<f64>> = t.train.iter().map(|&i| t.points[i].clone()).collect();
        let x = points_tensor(&train_points, &device);
        let y = Tensor::<1>::from_data(TensorData::new(t.train.iter().map(|&i| t.targets[i]).collect::<Vec<f64>>(), [t.train.len()]), &device);
        let test = points_tensor(&t.points, &device);
        let mut cols: (Vec<String>, Vec<String>, Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
        for (k, m) in FORWARD.into_iter().enumerate() {
            for &width in &s.widths {
                let started = std::time::Instant::now();
                let mut ensemble = Ensemble::new(kernel(m), width, s.networks, 1000 * k as u64 + width as u64, &device);
                for _ in 0..s.steps {
                    ensemble.step(&x, &y, LEARNING_RATE);
                }
                let losses = crate::host_values(ensemble.loss(&x, &y));
                let outputs = crate::host_values(ensemble.forward(&test));
                println!("{}: mean training loss {:.2e} after {} steps ({:.1} s)", setting_key(m, width, &s), crate::stats::mean(&losses), s.steps, started.elapsed().as_secs_f64());
                for net in 0..s.networks {
                    for (i, &angle) in t.angles.iter().enumerate() {
                        cols.0.push(setting_key(m, width, &s));
                        cols.1.push(forward_label(m));
                        cols.2.push(width as u64);
                        cols.3.push(net as u64);
                        cols.4.push(angle);
                        cols.5.push(outputs[net * t.angles.len() + i]);
                        cols.6.push(losses[net]);
                    }
                }
            }
        }
        Ok(fresh(&DataFrame::new_infer_height(vec![
            Column::new("setting".into(), cols.0),
            Column::new("forward".into(), cols.1),
            Column::new("width".into(), cols.2),
            Column::new("network".into(), cols.3),
            Column::new("angle".into(), cols.4),
            Column::new("output".into(), cols.5),
            Column::new("train_loss".into(), cols.6),
        ])?))
    })
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
