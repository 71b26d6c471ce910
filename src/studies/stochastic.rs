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

use burn::Tensor;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};

use super::{Scale, StudyError, arm_runs, comparison_task, comparison_width, results_path};
use crate::data::SpikeDataset;
use crate::init::fluctuation::FluctuationScheme;
use crate::results::{Cell, Row};
use crate::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike, StochasticSpec};
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::surrogate::{Shape, Surrogate};
use crate::table::fresh;
use crate::theory::surrogate_field::{Field, PARAMETERS, loop_integral, random_plane};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{InitScheme, OptimizerKind, SpikeConfig, TrainConfig};

/// Column of the arm: "deterministic", "stochastic" (SuperSpike backward) or
/// "stochastic-matched" (f′ backward).
pub const NEURON: &str = "neuron";

/// The arms of the training comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronArm {
    /// Heaviside spikes with the SuperSpike surrogate.
    Deterministic,
    /// Escape-noise spikes with the SuperSpike backward.
    Stochastic,
    /// Escape-noise spikes with the matched backward f′.
    StochasticMatched,
}

impl NeuronArm {
    /// The three arms.
    pub const ALL: [NeuronArm; 3] = [NeuronArm::Deterministic, NeuronArm::Stochastic, NeuronArm::StochasticMatched];

    /// The arm's name in tables.
    pub fn name(self) -> &'static str {
        match self {
            NeuronArm::Deterministic => "deterministic",
            NeuronArm::Stochastic => "stochastic",
            NeuronArm::StochasticMatched => "stochastic-matched",
        }
    }
}

impl std::fmt::Display for NeuronArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ArmLabel for NeuronArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(NEURON.into(), Cell::from(self.name()))]
    }
}

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

/// SuperSpike's surrogate as these runs configure it: the fast sigmoid with γ = 1, sharpness 10.
fn superspike() -> Surrogate {
    Surrogate::new(Shape::FastSigmoid, 1.0, 10.0).expect("a valid surrogate")
}

/// Deterministic and stochastic networks (module docs); every run keeps its trained model.
pub fn training_sweep(scale: Scale) -> ArmSweep<NeuronArm> {
    let n = comparison_width(scale);
    let arms = NeuronArm::ALL
        .into_iter()
        .map(|arm| {
            let mut config = TrainConfig::new(comparison_task(scale), if scale == Scale::Quick { 10 } else { 30 });
            config.run.batch_size = 64;
            config.model.hidden_sizes = vec![n, n];
            config.model.spike = match arm {
                NeuronArm::Deterministic => SpikeConfig::surrogate(superspike()),
                NeuronArm::Stochastic => SpikeConfig::Escape(StochasticSpec { noise: NOISE, backward: EscapeBackward::Surrogate { surrogate: superspike() } }),
                NeuronArm::StochasticMatched => SpikeConfig::Escape(StochasticSpec { noise: NOISE, backward: EscapeBackward::Matched }),
            };
            config.bptt_mut().expect("BPTT").init = InitScheme::Fluctuation(FluctuationScheme::default());
            config.optimizer.kind = OptimizerKind::AdamW;
            config.optimizer.lr = 1e-2;
            config.optimizer.clip_norm = Some(1.0);
            Arm::new(arm, config)
        })
        .collect();
    ArmSweep::new(arms, seeds()).keeping_models()
}

fn training_path(scale: Scale) -> std::path::PathBuf {
    results_path("05_stochastic", scale)
}

/// Runs what is missing of [`training_sweep`]; its runs as typed rows.
pub fn training_runs(scale: Scale) -> Result<Vec<ArmRun<NeuronArm>>, StudyError> {
    arm_runs(&training_sweep(scale), &training_path(scale))
}

/// [`training_runs`] as a table, the arm in [`NEURON`].
pub fn run_training(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&training_runs(scale)?)?)
}

/// Each stochastic arm against the deterministic one on `metric`: two-sided Welch t over the
/// seeds, Holm over the two comparisons (columns of [`compare_groups`]).
pub fn training_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("deterministic".into()), correction: Correction::Holm, ..CompareOptions::default() };
    Ok(fresh(&compare_groups(runs, metric, NEURON, &options)?))
}

/// The trial-to-trial variability of one hidden layer of one trained network.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoRow {
    /// The run.
    pub run_id: String,
    /// Its arm.
    pub neuron: NeuronArm,
    /// Its seed.
    pub seed: u64,
    /// The hidden layer, from 0.
    pub layer: usize,
    /// The Fano factor averaged over the samples with spikes; `None` when the layer was silent.
    pub fano: Option<f64>,
    /// The layer's mean rate over the trials.
    pub rate: f64,
}

/// Trial-to-trial variability of every trained network of `runs`: each of the first `samples`
/// test samples presented `trials` times, Fano factors of every hidden layer's spike counts in
/// windows of `window` steps ([`crate::stats::fano_factor`]), averaged over the samples.
pub fn fano_factors(scale: Scale, runs: &[ArmRun<NeuronArm>], samples: usize, trials: usize, window: usize) -> Result<Vec<FanoRow>, StudyError> {
    let device = super::analysis_device()?;
    let (nets, splits) = super::kept_networks(&training_sweep(scale), &training_path(scale), runs, &device)?;
    let test: &SpikeDataset = if splits.test.is_empty() { &splits.validation } else { &splits.test };
    let mut rows = Vec::new();
    for kept in &nets {
        let per_layer = layer_fano(&kept.net, test, samples.min(test.len()), trials, window, &device)?;
        for (layer, (fano, rate)) in per_layer.into_iter().enumerate() {
            rows.push(FanoRow { run_id: kept.run_id.clone(), neuron: kept.label, seed: kept.seed, layer, fano, rate });
        }
    }
    Ok(rows)
}

/// [`FanoRow`]s as a table: `run_id`, [`NEURON`], `seed`, `layer`, `fano`, `rate`.
pub fn fano_frame(rows: &[FanoRow]) -> Result<DataFrame, StudyError> {
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            vec![
                ("run_id".into(), Cell::Str(r.run_id.clone())),
                (NEURON.into(), Cell::from(r.neuron.name())),
                ("seed".into(), Cell::Int(r.seed as i64)),
                ("layer".into(), Cell::from(r.layer)),
                ("fano".into(), Cell::from(r.fano)),
                ("rate".into(), Cell::from(r.rate)),
            ]
        })
        .collect();
    Ok(crate::results::frame(&rows)?)
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
            if let Some(f) = crate::stats::fano_factor(&values, steps, trials, n, window) {
                fanos[l].push(f);
            }
        }
    }
    Ok(fanos.into_iter().zip(rates).map(|(f, r)| ((!f.is_empty()).then(|| crate::stats::mean(&f)), crate::stats::mean(&r))).collect())
}

/// The mean over the networks of one arm and layer.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoSummary {
    /// The arm.
    pub neuron: NeuronArm,
    /// The hidden layer.
    pub layer: usize,
    /// Networks averaged.
    pub networks: usize,
    /// Mean Fano factor over the networks whose layer spiked; `None` when none did.
    pub fano: Option<f64>,
    /// Mean rate.
    pub rate: f64,
}

/// Per arm and layer: the mean Fano factor and rate over the seeds, in the arms' order.
pub fn fano_summary(rows: &[FanoRow]) -> Vec<FanoSummary> {
    let layers = rows.iter().map(|r| r.layer + 1).max().unwrap_or(0);
    let mut out = Vec::new();
    for neuron in NeuronArm::ALL {
        for layer in 0..layers {
            let of: Vec<&FanoRow> = rows.iter().filter(|r| r.neuron == neuron && r.layer == layer).collect();
            if of.is_empty() {
                continue;
            }
            let fanos: Vec<f64> = of.iter().filter_map(|r| r.fano).collect();
            out.push(FanoSummary {
                neuron,
                layer,
                networks: of.len(),
                fano: (!fanos.is_empty()).then(|| crate::stats::mean(&fanos)),
                rate: crate::stats::mean(&of.iter().map(|r| r.rate).collect::<Vec<_>>()),
            });
        }
    }
    out
}

/// [`FanoSummary`]s as a table: [`NEURON`], `layer`, `networks`, `fano`, `rate`.
pub fn fano_summary_frame(summary: &[FanoSummary]) -> Result<DataFrame, StudyError> {
    Ok(DataFrame::new_infer_height(vec![
        Column::new(NEURON.into(), summary.iter().map(|s| s.neuron.name()).collect::<Vec<_>>()),
        Column::new("layer".into(), summary.iter().map(|s| s.layer as u64).collect::<Vec<_>>()),
        Column::new("networks".into(), summary.iter().map(|s| s.networks as u64).collect::<Vec<_>>()),
        Column::new("fano".into(), summary.iter().map(|s| s.fano).collect::<Vec<_>>()),
        Column::new("rate".into(), summary.iter().map(|s| s.rate).collect::<Vec<_>>()),
    ])?)
}
