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
//!   randman ([`training_sweep`]): accuracy over the seeds, and the trial-to-trial variability of
//!   the trained networks as Fano factors of spike counts over repeated presentations of the
//!   same test samples ([`fano_factors`]);
//! * the surrogate gradient can point away from the true gradient and descend to a point that
//!   is not a minimum ([`crate::theory::surrogate_bias`], [`bias_curves`], [`bias_descents`]).
//!
//! The arms cross two factors. The forward pass ([`Neuron`]): Heaviside spikes, or escape noise
//! S ~ Bernoulli(f(x)) with f(x) = 1/(1 + e^{−10x}). The backward pass ([`Backward`]), all with
//! the spike's argument x = v − ϑ:
//!
//! ```text
//! SuperSpike        σ′(x) = 1/(1 + 10|x|)²            peak 1,    area 0.2   (sglab: fast sigmoid γ = 1, β = 5)
//! f′ at area 0.2    σ′(x) = 0.2 · 10 s(10x)(1 − s(10x))  peak 0.5,  area 0.2   (∂sigmoid γ = 0.5, β = 2.5)
//! f′                σ′(x) = 10 s(10x)(1 − s(10x))       peak 2.5,  area 1     (∂sigmoid γ = 2.5, β = 2.5)
//! ```
//!
//! SuperSpike with sharpness 10 is the paper's surrogate (its 1/(β|x| + 1)², β = 10; sglab's
//! fast sigmoid is γ/(1 + 2β|x|)², so the paper's β is sglab's 2β). f′ is the derivative of the
//! escape noise, the surrogate the theory matches to the stochastic neuron; scaled to
//! SuperSpike's area it separates "matched to the noise" (SuperSpike → f′ at area 0.2: the
//! shape changes, the area does not) from "a larger surrogate" (f′ at area 0.2 → f′: the
//! shape stays, the area grows 5×). Every arm of one seed starts from the same weights and
//! sees the same batches, so arms are compared paired by seed.
//!
//! Quick scale: randman 5 classes × 200 samples, 20 units, 50 steps, 10 epochs, 8 seeds.
//! Plateau scale: randman with 10 classes ([`super::comparison_task`]), every run trained until
//! its validation loss has not improved for [`super::scale::PLATEAU_PATIENCE`] epochs (at most
//! [`PLATEAU_MAX_EPOCHS`]), [`PLATEAU_SEEDS`] seeds; stochastic and deterministic networks are
//! called equivalent when a paired TOST puts their difference in test accuracy within
//! ±[`EQUIVALENCE_MARGIN`], a margin fixed before the runs. Both: two recurrent LIF layers of 64
//! with the centred fluctuation-driven initialisation at σ_U = 1 for every arm (Gygax & Zenke
//! use σ_U = 1.3 for their stochastic networks; one init keeps the arms paired), AdamW with
//! gradient clipping at norm 1, lr 10⁻² (quick) or [`PLATEAU_LR`]. Paper scale: sl-MNIST,
//! widths 128, 30 epochs.

use burn::Tensor;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};

use super::{Scale, StudyError, arm_runs, comparison_task, comparison_width, results_path};
use crate::data::SpikeDataset;
use crate::init::fluctuation::FluctuationScheme;
use crate::results::{Cell, Row};
use crate::spike::escape::{EscapeBackward, EscapeNoise, EscapeSpike, StochasticSpec};
use crate::stats::{CompareOptions, Correction, GroupTest};
use crate::surrogate::Surrogate;
use crate::table::{fresh, string_column};
use crate::theory::surrogate_bias::BiasNetwork;
use crate::theory::surrogate_field::{Field, PARAMETERS, loop_integral, random_plane};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{InitScheme, OptimizerKind, SpikeConfig, TrainConfig};

/// Column of the forward pass: "deterministic" or "stochastic".
pub const NEURON: &str = "neuron";

/// Column of the backward pass: "superspike", "f′ area 0.2" or "f′".
pub const BACKWARD: &str = "backward";

/// Column of the whole arm, "<neuron>, <backward>" (added by [`with_arm_column`]).
pub const ARM: &str = "arm";

/// The forward pass of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neuron {
    /// Heaviside spikes.
    Deterministic,
    /// Escape-noise spikes, S ~ Bernoulli(f(v − ϑ)) with f = [`NOISE`].
    Stochastic,
}

impl Neuron {
    /// Both, deterministic first.
    pub const ALL: [Neuron; 2] = [Neuron::Deterministic, Neuron::Stochastic];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Neuron::Deterministic => "deterministic",
            Neuron::Stochastic => "stochastic",
        }
    }
}

/// The surrogate of the backward pass (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backward {
    /// SuperSpike, 1/(1 + 10|x|)²: peak 1, area 0.2.
    SuperSpike,
    /// The escape noise's derivative f′ scaled to SuperSpike's area: peak 0.5, area 0.2.
    DerivativeAtSuperSpikeArea,
    /// The escape noise's derivative f′ = 10 s(10x)(1 − s(10x)): peak 2.5, area 1.
    Derivative,
}

impl Backward {
    /// The three, SuperSpike first.
    pub const ALL: [Backward; 3] = [Backward::SuperSpike, Backward::DerivativeAtSuperSpikeArea, Backward::Derivative];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Backward::SuperSpike => "superspike",
            Backward::DerivativeAtSuperSpikeArea => "f′ area 0.2",
            Backward::Derivative => "f′",
        }
    }

    /// The surrogate σ′ as a built-in shape.
    pub fn surrogate(self) -> Surrogate {
        match self {
            Backward::SuperSpike => superspike(),
            Backward::DerivativeAtSuperSpikeArea => {
                let f = noise_derivative();
                Surrogate::new(f.shape(), f.dampening() * superspike().area() / f.area(), f.sharpness()).expect("a valid surrogate")
            }
            Backward::Derivative => noise_derivative(),
        }
    }
}

/// One arm of the training comparison: a forward and a backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeuronArm {
    /// The forward pass.
    pub neuron: Neuron,
    /// The backward pass.
    pub backward: Backward,
}

impl NeuronArm {
    /// Every forward × backward, deterministic arms first.
    pub fn all() -> Vec<NeuronArm> {
        Neuron::ALL.into_iter().flat_map(|neuron| Backward::ALL.into_iter().map(move |backward| NeuronArm { neuron, backward })).collect()
    }

    /// The spike of a network of this arm: Heaviside with the surrogate, or escape noise with
    /// the surrogate as its backward (f′ itself as the matched backward).
    pub fn spike(self) -> SpikeConfig {
        match (self.neuron, self.backward) {
            (Neuron::Deterministic, backward) => SpikeConfig::surrogate(backward.surrogate()),
            (Neuron::Stochastic, Backward::Derivative) => SpikeConfig::Escape(StochasticSpec { noise: NOISE, backward: EscapeBackward::Matched }),
            (Neuron::Stochastic, backward) => SpikeConfig::Escape(StochasticSpec { noise: NOISE, backward: EscapeBackward::Surrogate { surrogate: backward.surrogate() } }),
        }
    }
}

impl std::fmt::Display for NeuronArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}", self.neuron.name(), self.backward.name())
    }
}

impl ArmLabel for NeuronArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(NEURON.into(), Cell::from(self.neuron.name())), (BACKWARD.into(), Cell::from(self.backward.name()))]
    }
}

/// The escape noise of the stochastic arms, f(x) = 1/(1 + e^{−10x}).
pub const NOISE: EscapeNoise = EscapeNoise::Sigmoid { beta: 10.0 };

/// SuperSpike as the paper writes it, 1/(1 + 10|x|)² ([`Surrogate::superspike`] with steepness
/// 10: sglab's fast sigmoid with γ = 1, β = 5; area 0.2).
pub fn superspike() -> Surrogate {
    Surrogate::superspike(10.0).expect("a valid surrogate")
}

/// f′ of [`NOISE`], 10 s(10x)(1 − s(10x)), as sglab's ∂sigmoid (peak 2.5, area 1).
pub fn noise_derivative() -> Surrogate {
    match NOISE {
        EscapeNoise::Sigmoid { beta } => Surrogate::logistic(beta).expect("β > 0"),
        other => unreachable!("the study's noise is a sigmoid, not {other:?}"),
    }
}

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

/// Steepness of the forward pass of the bias network ([`BiasNetwork::default`]).
pub const BIAS_BETA: f64 = 100.0;

/// The surrogate steepnesses β_SG of the bias demonstration (the paper's).
pub const BIAS_SURROGATES: [f64; 2] = [15.0, 30.0];

/// The name of a backward steepness in the bias tables: "true (β = 100)" or "surrogate, β_SG = 30".
fn bias_label(backward: f64) -> String {
    if backward == BIAS_BETA { format!("true (β = {BIAS_BETA})") } else { format!("surrogate, β_SG = {backward}") }
}

/// The bias network's output and derivatives along w ∈ [`from`, `to`] at `points` points: one
/// row per (backward, w) for the true derivative and each of [`BIAS_SURROGATES`], with `output`
/// (y(w)), `derivative` and `integrated` (y(from) plus the trapezoidal integral of the
/// derivative from `from`: the curve whose slope the descent follows; for the true derivative
/// it is y itself up to the quadrature error).
pub fn bias_curves(from: f64, to: f64, points: usize) -> Result<DataFrame, StudyError> {
    let net = BiasNetwork::default();
    let ws: Vec<f64> = (0..points).map(|i| from + (to - from) * i as f64 / (points - 1) as f64).collect();
    let (mut label, mut w_col, mut output, mut derivative, mut integrated) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for backward in std::iter::once(BIAS_BETA).chain(BIAS_SURROGATES) {
        let d: Vec<f64> = ws.iter().map(|&w| net.derivative(w, backward)).collect();
        let mut running = net.output(from);
        for i in 0..points {
            if i > 0 {
                running += 0.5 * (d[i] + d[i - 1]) * (ws[i] - ws[i - 1]);
            }
            label.push(bias_label(backward));
            w_col.push(ws[i]);
            output.push(net.output(ws[i]));
            derivative.push(d[i]);
            integrated.push(running);
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("backward".into(), label),
        Column::new("w".into(), w_col),
        Column::new("output".into(), output),
        Column::new("derivative".into(), derivative),
        Column::new("integrated".into(), integrated),
    ])?))
}

/// Gradient descent on the bias network's output from each of `starts` with the true
/// derivative and each surrogate ([`BiasNetwork::descend`], `steps` steps at `lr`): one row
/// per (backward, start) with `end` (the final w), `output` (y there) and `true_derivative`
/// (dy/dw there: 0 at a minimum).
pub fn bias_descents(starts: &[f64], lr: f64, steps: usize) -> Result<DataFrame, StudyError> {
    let net = BiasNetwork::default();
    let (mut label, mut start_col, mut end, mut output, mut slope) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for backward in std::iter::once(BIAS_BETA).chain(BIAS_SURROGATES) {
        for &start in starts {
            let w = net.descend(start, lr, steps, backward);
            label.push(bias_label(backward));
            start_col.push(start);
            end.push(w);
            output.push(net.output(w));
            slope.push(net.derivative(w, BIAS_BETA));
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("backward".into(), label),
        Column::new("start".into(), start_col),
        Column::new("end".into(), end),
        Column::new("output".into(), output),
        Column::new("true_derivative".into(), slope),
    ])?))
}

/// Seeds per arm at plateau scale.
pub const PLATEAU_SEEDS: u64 = 10;

/// Most epochs of a plateau-scale run.
pub const PLATEAU_MAX_EPOCHS: usize = 100;

/// Learning rate of the plateau-scale runs.
pub const PLATEAU_LR: f64 = 5e-3;

/// The margin δ within which a stochastic network counts as matching its deterministic twin:
/// 0.02 in test accuracy (the gap the paper's SHD figure shows between the two, ≈ 0.02), fixed
/// before the plateau-scale runs.
pub const EQUIVALENCE_MARGIN: f64 = 0.02;

/// Seeds of every arm at `scale`.
pub fn seeds(scale: Scale) -> Vec<u64> {
    match scale {
        Scale::Plateau => (0..PLATEAU_SEEDS).collect(),
        Scale::Quick | Scale::Paper => (0..8).collect(),
    }
}

/// The configuration of an arm at `scale` (module docs).
pub fn arm_config(scale: Scale, arm: NeuronArm) -> TrainConfig {
    let n = comparison_width(scale);
    let mut config = TrainConfig::new(comparison_task(scale), if scale == Scale::Quick { 10 } else { 30 });
    config.run.batch_size = 64;
    config.model.hidden_sizes = vec![n, n];
    config.model.spike = arm.spike();
    config.bptt_mut().expect("BPTT").init = InitScheme::Fluctuation(FluctuationScheme::default());
    config.optimizer.kind = OptimizerKind::AdamW;
    config.optimizer.lr = 1e-2;
    config.optimizer.clip_norm = Some(1.0);
    if scale == Scale::Plateau {
        config.optimizer.lr = PLATEAU_LR;
        super::scale::until_plateau(&mut config, PLATEAU_MAX_EPOCHS);
    }
    config
}

/// Deterministic and stochastic networks with each backward (module docs); every run keeps
/// its trained model.
pub fn training_sweep(scale: Scale) -> ArmSweep<NeuronArm> {
    let arms = NeuronArm::all().into_iter().map(|arm| Arm::new(arm, arm_config(scale, arm))).collect();
    ArmSweep::new(arms, seeds(scale)).keeping_models()
}

/// The training sweep's runs table under [`super::results_dir`].
pub fn training_path(scale: Scale) -> std::path::PathBuf {
    results_path("05_stochastic", scale)
}

/// Runs what is missing of [`training_sweep`]; its runs as typed rows.
pub fn training_runs(scale: Scale) -> Result<Vec<ArmRun<NeuronArm>>, StudyError> {
    arm_runs(&training_sweep(scale), &training_path(scale))
}

/// [`training_runs`] as a table, the arm in [`NEURON`] and [`BACKWARD`], and in [`ARM`].
pub fn run_training(scale: Scale) -> Result<DataFrame, StudyError> {
    with_arm_column(&runs_frame(&training_runs(scale)?)?)
}

/// `runs` with [`ARM`] = "<neuron>, <backward>" added.
pub fn with_arm_column(runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let (neurons, backwards) = (string_column(runs, NEURON)?, string_column(runs, BACKWARD)?);
    super::with_text_column(runs, ARM, neurons.iter().zip(&backwards).map(|(n, b)| format!("{n}, {b}")).collect())
}

/// Stochastic against deterministic with the same backward, on `metric`: a two-sided paired t
/// per backward (columns of [`compare_groups`](crate::stats::compare_groups) and [`BACKWARD`]).
pub fn stochasticity_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::PairedT, pair_by: vec!["seed".into()], reference: Some(Neuron::Deterministic.name().into()), correction: Correction::Holm, ..CompareOptions::default() };
    super::compare_within(&super::finished(runs)?, BACKWARD, metric, NEURON, &options)
}

/// Whether each stochastic arm matches its deterministic twin on `metric` within
/// ±[`EQUIVALENCE_MARGIN`]: paired TOST per backward, Holm over the three
/// ([`super::paired_equivalence`] on [`ARM`]).
pub fn stochasticity_equivalence(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let pairs: Vec<(String, String)> = Backward::ALL
        .into_iter()
        .map(|b| (NeuronArm { neuron: Neuron::Stochastic, backward: b }.to_string(), NeuronArm { neuron: Neuron::Deterministic, backward: b }.to_string()))
        .collect();
    super::paired_equivalence(&with_arm_column(runs)?, ARM, &pairs, metric, EQUIVALENCE_MARGIN)
}

/// The backwards against each other within each forward pass, on `metric`: two-sided paired t
/// for every pair, Holm within a forward pass (columns of [`compare_groups`](crate::stats::compare_groups) and [`NEURON`]).
/// SuperSpike against f′ at area 0.2 is the shape at equal area; f′ at area 0.2 against f′ is
/// the area at equal shape.
pub fn backward_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::PairedT, pair_by: vec!["seed".into()], correction: Correction::Holm, ..CompareOptions::default() };
    super::compare_within(&super::finished(runs)?, NEURON, metric, BACKWARD, &options)
}

/// The trial-to-trial variability of one hidden layer of one trained network.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoRow {
    /// The run.
    pub run_id: String,
    /// Its arm.
    pub arm: NeuronArm,
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
            rows.push(FanoRow { run_id: kept.run_id.clone(), arm: kept.label, seed: kept.seed, layer, fano, rate });
        }
    }
    Ok(rows)
}

/// [`FanoRow`]s as a table: `run_id`, [`NEURON`], [`BACKWARD`], [`ARM`], `seed`, `layer`, `fano`, `rate`.
pub fn fano_frame(rows: &[FanoRow]) -> Result<DataFrame, StudyError> {
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            vec![
                ("run_id".into(), Cell::Str(r.run_id.clone())),
                (NEURON.into(), Cell::from(r.arm.neuron.name())),
                (BACKWARD.into(), Cell::from(r.arm.backward.name())),
                (ARM.into(), Cell::Str(r.arm.to_string())),
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
    pub arm: NeuronArm,
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
    for arm in NeuronArm::all() {
        for layer in 0..layers {
            let of: Vec<&FanoRow> = rows.iter().filter(|r| r.arm == arm && r.layer == layer).collect();
            if of.is_empty() {
                continue;
            }
            let fanos: Vec<f64> = of.iter().filter_map(|r| r.fano).collect();
            out.push(FanoSummary {
                arm,
                layer,
                networks: of.len(),
                fano: (!fanos.is_empty()).then(|| crate::stats::mean(&fanos)),
                rate: crate::stats::mean(&of.iter().map(|r| r.rate).collect::<Vec<_>>()),
            });
        }
    }
    out
}

/// [`FanoSummary`]s as a table: [`NEURON`], [`BACKWARD`], [`ARM`], `layer`, `networks`, `fano`, `rate`.
pub fn fano_summary_frame(summary: &[FanoSummary]) -> Result<DataFrame, StudyError> {
    Ok(DataFrame::new_infer_height(vec![
        Column::new(NEURON.into(), summary.iter().map(|s| s.arm.neuron.name()).collect::<Vec<_>>()),
        Column::new(BACKWARD.into(), summary.iter().map(|s| s.arm.backward.name()).collect::<Vec<_>>()),
        Column::new(ARM.into(), summary.iter().map(|s| s.arm.to_string()).collect::<Vec<_>>()),
        Column::new("layer".into(), summary.iter().map(|s| s.layer as u64).collect::<Vec<_>>()),
        Column::new("networks".into(), summary.iter().map(|s| s.networks as u64).collect::<Vec<_>>()),
        Column::new("fano".into(), summary.iter().map(|s| s.fano).collect::<Vec<_>>()),
        Column::new("rate".into(), summary.iter().map(|s| s.rate).collect::<Vec<_>>()),
    ])?)
}
