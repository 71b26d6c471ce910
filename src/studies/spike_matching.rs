//! Study 05's spike-train matching (Gygax & Zenke 2024; other_seeds.md §A.4 b): a two-layer
//! network learns to emit a target raster from frozen Poisson input, trained by gradient descent
//! on the van Rossum distance ([`crate::spike::van_rossum`]), deterministic and with sigmoid
//! escape noise, both with the noise's derivative f′ as the surrogate.
//!
//! The target: [`OUTPUTS`] output neurons over [`STEPS`] steps, neuron i spiking at the steps
//! round(T/2 ± 0.3·T·sin(πi/(N − 1))) (an ellipse on the raster; 0 and N − 1 spike once, in
//! the middle). The input: [`INPUTS`] channels, each step a spike with probability
//! [`INPUT_RATE`], drawn once (frozen). The network: LIF layers of [`HIDDEN`] and [`OUTPUTS`]
//! neurons (τ = 10 steps, ϑ = 1, the spikes of the second layer are the output), initialised
//! as Gygax & Zenke do, fluctuation-driven ([`matching_init`]: σ_U = 1 at the input's rate
//! ν = 50 Hz at Δt = 1 ms, here ν = [`INPUT_RATE`] spikes per step), Adam at [`LR`],
//! [`epochs`] updates (the paper's 1500 beyond quick scale); a stochastic network's update averages the distance over [`TRIALS`]
//! trials of the same input (the paper averages its weight updates over 10 trials), and a
//! deterministic network sees the input once per update (its trials are identical).

use burn::Tensor;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::TensorData;
use polars::prelude::{Column, DataFrame};
use rand::RngExt;

use super::stochastic::{Neuron, NOISE, noise_derivative};
use super::work::Parts;
use super::{Scale, StudyError, results_path};
use crate::network::NetworkConfig;
use crate::neuron::{LifConfig, NeuronConfig};
use crate::spike::SpikeConfig;
use crate::spike::escape::{EscapeBackward, StochasticSpec};
use crate::spike::van_rossum::VanRossum;
use crate::table::fresh;
use crate::init::fluctuation::{FluctuationInit, FluctuationVariant, PspKernel};

/// Output neurons (rows of the target raster).
pub const OUTPUTS: usize = 20;
/// Time steps.
pub const STEPS: usize = 100;
/// Input channels.
pub const INPUTS: usize = 50;
/// Spike probability per input channel and step.
pub const INPUT_RATE: f64 = 0.05;
/// Hidden neurons.
pub const HIDDEN: usize = 100;
/// Adam's learning rate.
pub const LR: f64 = 2e-3;
/// Trials averaged per update of a stochastic network, and trials of the final rasters.
pub const TRIALS: usize = 10;
/// Updates of a run at `scale`: 400 at quick scale, the paper's 1500 otherwise.
pub fn epochs(scale: Scale) -> usize {
    match scale {
        Scale::Quick => 400,
        Scale::Plateau | Scale::Paper => 1500,
    }
}

/// The target raster `[T][N]` (module docs).
pub fn target_raster() -> Vec<Vec<f64>> {
    let mut raster = vec![vec![0.0; OUTPUTS]; STEPS];
    let half = STEPS as f64 / 2.0;
    for i in 0..OUTPUTS {
        let offset = 0.3 * STEPS as f64 * (std::f64::consts::PI * i as f64 / (OUTPUTS - 1) as f64).sin();
        for t in [(half + offset).round(), (half - offset).round()] {
            raster[(t as usize).min(STEPS - 1)][i] = 1.0;
        }
    }
    raster
}

/// The frozen input `[T][INPUTS]` of seed `seed`.
pub fn frozen_input(seed: u64) -> Vec<Vec<f64>> {
    let mut rng = crate::rng::rng(seed, 0x5A7C);
    (0..STEPS).map(|_| (0..INPUTS).map(|_| if rng.random::<f64>() < INPUT_RATE { 1.0 } else { 0.0 }).collect()).collect()
}

/// `[T][N]` rows repeated over a batch of `batch`, as `[T, batch, N]`.
fn repeated(raster: &[Vec<f64>], batch: usize, device: &burn::tensor::Device) -> Tensor<3> {
    let n = raster[0].len();
    let values: Vec<f64> = raster.iter().flat_map(|row| std::iter::repeat_n(row.iter().copied(), batch).flatten()).collect();
    Tensor::from_data(TensorData::new(values, [raster.len(), batch, n]), device)
}

/// The LIF membrane of both layers: τ = 10 steps, ϑ = 1.
fn membrane() -> LifConfig {
    LifConfig::new().with_tau(10.0)
}

/// The network of a forward pass `neuron` and seed `seed` (module docs); its weights are set
/// by [`matching_init`].
pub fn network_config(neuron: Neuron, seed: u64) -> NetworkConfig {
    let lif = membrane();
    let spike = match neuron {
        Neuron::Deterministic => SpikeConfig::surrogate(noise_derivative()),
        Neuron::Stochastic => SpikeConfig::Escape(StochasticSpec { noise: NOISE, backward: EscapeBackward::Matched }),
    };
    NetworkConfig::new(INPUTS, vec![HIDDEN, OUTPUTS], 1).with_neuron(NeuronConfig::Lif(lif)).with_spike(spike).with_seed(seed)
}

/// The fluctuation-driven initialisation of the matching network (other_seeds.md §A.4 b):
/// every layer's weights N(μ_w, σ_w²) with the membrane potential's mean at 0 and standard
/// deviation σ_U = ϑ = 1 for presynaptic spikes at rate ν = [`INPUT_RATE`] per step (Gygax &
/// Zenke's 50 Hz at Δt = 1 ms, taken for the hidden layer's rate as well), 90 % of the
/// variance from the feed-forward projection ([`crate::init::fluctuation`]).
pub fn matching_init() -> FluctuationInit {
    let lif = membrane();
    FluctuationInit {
        mu_u: 0.0,
        xi: 1.0,
        nu: INPUT_RATE,
        kernel: PspKernel::Lif { tau: lif.tau },
        feedforward_share: 0.9,
        threshold: lif.threshold,
        variant: FluctuationVariant::Centred,
    }
}

/// Seeds of each forward pass at `scale`.
pub fn seeds(scale: Scale) -> Vec<u64> {
    match scale {
        Scale::Quick => vec![0, 1],
        Scale::Plateau | Scale::Paper => (0..8).collect(),
    }
}

/// Trains one network, returning its rows of [`run_matching`].
fn train_one(key: &str, neuron: Neuron, seed: u64, epochs: usize) -> Result<DataFrame, StudyError> {
    let device = super::analysis_device()?;
    let ad = device.clone().autodiff();
    let metric = VanRossum::default();
    let trials = if neuron == Neuron::Stochastic { TRIALS } else { 1 };
    let (input, target) = (frozen_input(seed), target_raster());
    let (x, y) = (repeated(&input, trials, &ad), repeated(&target, trials, &ad));
    let init = matching_init();
    let mut net = crate::init::fluctuation::apply(network_config(neuron, seed).init(&ad)?, &init, &init, seed);
    let mut optim = crate::train::OptimizerConfig { lr: LR, ..Default::default() }.init();
    let mut history = Vec::with_capacity(epochs + 1);
    for _ in 0..epochs {
        let out = net.forward(x.clone())?;
        let spikes = out.spikes.last().expect("an output layer").clone();
        let loss = metric.distance(spikes, y.clone()).mean();
        let value = loss.clone().into_scalar::<f64>();
        if !value.is_finite() {
            return Err(StudyError::Unknown(format!("{key}: the van Rossum distance diverged ({value})")));
        }
        history.push(value);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(LR, net, grads);
    }
    // The trained network: its distance and its output rasters over TRIALS trials.
    let trained = net.valid();
    let out = trained.forward(repeated(&input, TRIALS, &device))?;
    let spikes = out.spikes.last().expect("an output layer").clone();
    history.push(crate::host_values(metric.distance(spikes.clone(), repeated(&target, TRIALS, &device)).mean()).first().copied().unwrap_or(f64::NAN));
    let raster = crate::host_values(spikes);
    let mut cols: (Vec<String>, Vec<u64>, Vec<Option<f64>>, Vec<Option<u64>>, Vec<Option<u64>>, Vec<Option<u64>>) = Default::default();
    for (epoch, d) in history.iter().enumerate() {
        cols.0.push("distance".into());
        cols.1.push(epoch as u64);
        cols.2.push(Some(*d));
        cols.3.push(None);
        cols.4.push(None);
        cols.5.push(None);
    }
    for t in 0..STEPS {
        for trial in 0..TRIALS {
            for unit in 0..OUTPUTS {
                if raster[(t * TRIALS + trial) * OUTPUTS + unit] > 0.5 {
                    cols.0.push("spike".into());
                    cols.1.push(epochs as u64);
                    cols.2.push(None);
                    cols.3.push(Some(trial as u64));
                    cols.4.push(Some(t as u64));
                    cols.5.push(Some(unit as u64));
                }
            }
        }
    }
    let rows = cols.0.len();
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("setting".into(), vec![key.to_string(); rows]),
        Column::new("neuron".into(), vec![neuron.name().to_string(); rows]),
        Column::new("seed".into(), vec![seed; rows]),
        Column::new("record".into(), cols.0),
        Column::new("epoch".into(), cols.1),
        Column::new("distance".into(), cols.2),
        Column::new("trial".into(), cols.3),
        Column::new("step".into(), cols.4),
        Column::new("unit".into(), cols.5),
    ])?))
}

fn matching_runs(scale: Scale) -> Vec<(Neuron, u64)> {
    Neuron::ALL.into_iter().flat_map(|n| seeds(scale).into_iter().map(move |s| (n, s))).collect()
}

fn matching_key(neuron: Neuron, seed: u64, epochs: usize) -> String {
    format!("{};seed={seed};epochs={epochs};lr={LR};trials={TRIALS}", neuron.name())
}

/// The `setting` keys of the parts of [`run_matching`] at `scale` (one per network).
pub fn matching_keys(scale: Scale) -> Vec<String> {
    matching_runs(scale).into_iter().map(|(n, s)| matching_key(n, s, epochs(scale))).collect()
}

/// Trains the deterministic and stochastic networks of every seed (cached in
/// `05_spike_matching_<scale>.parquet`, one part per network). Rows of `record` "distance":
/// the van Rossum distance before each update (`epoch` 0 … E − 1, the mean over the update's
/// trials, E = [`epochs`]) and of the trained network (`epoch` E, mean over [`TRIALS`] trials);
/// rows of `record` "spike": one output spike of the trained network (`trial`, `step`,
/// `unit`). Also `setting`, `neuron`, `seed`.
pub fn run_matching(scale: Scale) -> Result<DataFrame, StudyError> {
    matching_parts(scale).cached(&matching_path(scale))
}

/// The table of [`run_matching`] under [`super::results_dir`].
pub fn matching_path(scale: Scale) -> std::path::PathBuf {
    results_path("05_spike_matching", scale)
}

/// The parts of [`run_matching`] (one per network) and their computation.
pub fn matching_parts(scale: Scale) -> Parts<'static> {
    let runs = matching_runs(scale);
    let epochs = epochs(scale);
    Parts::new("setting", matching_keys(scale), move |k| {
        let &(neuron, seed) = runs.iter().find(|&&(n, s)| matching_key(n, s, epochs) == k).expect("a key of the sweep");
        train_one(k, neuron, seed, epochs)
    })
}

/// The rows of `record` ("distance" or "spike") of a [`run_matching`] table.
pub fn records(table: &DataFrame, record: &str) -> Result<DataFrame, StudyError> {
    super::rows_where(table, "record", record)
}
