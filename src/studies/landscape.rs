//! Study 06, QIF against LIF (Wenig, Memmesheimer & Klos 2026; other_seeds.md §B): both trained
//! on the same task ([`training_sweep`]), then the loss and surrogate-gradient norm along 1-D
//! slices and the loss over a 2-D slice around the trained weights
//! ([`crate::theory::landscape`]), and how fragmented the slices are ([`fragmentation`]).
//!
//! Quick scale: randman 5 classes × 200 samples, 20 units, 50 steps; one recurrent layer of 64;
//! input weights N(0, 1) for both; LIF with its defaults, QIF in the phase form with τ = 10
//! steps and V_peak = 10 ([`crate::neuron::qif`]); ∂fast-sigmoid (sharpness 1); AdamW at
//! lr 10⁻² with clipping, 30 epochs, 8 seeds. Slices on the first 128 validation samples: two
//! filter-normalised directions per network, α ∈ [−1, 1] in 201 steps; the 2-D slice of seed 0
//! on a 41 × 41 grid. Paper scale: sl-MNIST, width 128, 30 epochs.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::{Column, DataFrame};

use super::{KeptNetwork, Scale, StudyError, arm_runs, cached_table, comparison_task, comparison_width, kept_networks, results_path};
use crate::neuron::{LifConfig, NeuronConfig, QifConfig};
use crate::results::Cell;
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::surrogate::{Shape, Surrogate};
use crate::table::{f64_column, fresh, string_column};
use crate::theory::landscape::{Weights, jumps, roughness, slice_1d, slice_2d};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{OptimizerKind, SpikeConfig, TrainConfig};
use crate::weights::WeightInit;

/// Column of the neuron model: "lif" or "qif".
pub const NEURON: &str = "neuron";

/// The neuron model of an arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronModel {
    /// Leaky integrate-and-fire.
    Lif,
    /// Quadratic integrate-and-fire in the phase form.
    Qif,
}

impl std::fmt::Display for NeuronModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NeuronModel::Lif => "lif",
            NeuronModel::Qif => "qif",
        })
    }
}

impl ArmLabel for NeuronModel {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(NEURON.into(), Cell::Str(self.to_string()))]
    }
}

/// Threshold factor of [`jumps`].
pub const JUMP_FACTOR: f64 = 5.0;

/// The α grid of the 1-D slices.
pub fn slice_alphas() -> Vec<f64> {
    (0..=200).map(|i| -1.0 + i as f64 / 100.0).collect()
}

/// The α (and β) grid of the 2-D slice.
pub fn plane_alphas() -> Vec<f64> {
    (0..=40).map(|i| -1.0 + i as f64 / 20.0).collect()
}

/// Directions per network.
pub const DIRECTIONS: u64 = 2;

/// Samples of the fixed batch the slices are computed on.
pub const SLICE_SAMPLES: usize = 128;

/// LIF and QIF networks on one task (module docs); every run keeps its trained model.
pub fn training_sweep(scale: Scale) -> ArmSweep<NeuronModel> {
    let n = comparison_width(scale);
    let input_init = WeightInit::Normal { mean: 0.0, std: 1.0 };
    let arms = [NeuronModel::Lif, NeuronModel::Qif]
        .into_iter()
        .map(|model| {
            let mut config = TrainConfig::new(comparison_task(scale), 30);
            config.run.batch_size = 64;
            config.model.hidden_sizes = vec![n];
            config.model.neuron = match model {
                NeuronModel::Lif => NeuronConfig::Lif(LifConfig::new().with_input_init(input_init)),
                NeuronModel::Qif => NeuronConfig::Qif(QifConfig::new().with_lif(LifConfig::new().with_tau(10.0).with_threshold(10.0).with_input_init(input_init))),
            };
            config.model.spike = SpikeConfig::surrogate(Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).expect("a valid surrogate"));
            config.optimizer.kind = OptimizerKind::AdamW;
            config.optimizer.lr = 1e-2;
            config.optimizer.clip_norm = Some(1.0);
            Arm::new(model, config)
        })
        .collect();
    ArmSweep::new(arms, (0..8).collect()).keeping_models()
}

/// The scale of this discrete-time contrast at study scale `scale`: it has no plateau grid (it
/// is kept as the contrast to the exact-gradient study, [`super::exact_gradients`]), so
/// plateau uses the quick grid.
pub fn contrast_scale(scale: Scale) -> Scale {
    if scale == Scale::Plateau { Scale::Quick } else { scale }
}

/// The training sweep's runs table under [`super::results_dir`].
pub fn training_path(scale: Scale) -> std::path::PathBuf {
    results_path("06_qif_lif", scale)
}

/// Runs what is missing of [`training_sweep`]; its runs as typed rows.
pub fn training_runs(scale: Scale) -> Result<Vec<ArmRun<NeuronModel>>, StudyError> {
    arm_runs(&training_sweep(scale), &training_path(scale))
}

/// [`training_runs`] as a table, the model in [`NEURON`].
pub fn run_training(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&training_runs(scale)?)?)
}

/// QIF against LIF on `metric` (a column of the runs or of [`fragmentation`]'s per-network
/// table): two-sided Welch t over the networks.
pub fn neuron_test(table: &DataFrame, metric: &str, test: GroupTest) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test, reference: Some("lif".into()), correction: Correction::None, ..CompareOptions::default() };
    Ok(fresh(&compare_groups(table, metric, NEURON, &options)?))
}

/// The trained networks of the runs in `runs` (on `device`), the fixed slice batch and the
/// sweep's base configuration.
fn trained_networks(scale: Scale, runs: &DataFrame, device: &burn::tensor::Device) -> Result<(Vec<KeptNetwork<NeuronModel>>, crate::data::Batch, TrainConfig), StudyError> {
    let spec = training_sweep(scale);
    let config = spec.points().first().ok_or_else(|| StudyError::Unknown("the sweep has no points".into()))?.config.clone();
    let wanted = ids_of(runs)?;
    let typed: Vec<ArmRun<NeuronModel>> = training_runs(scale)?.into_iter().filter(|r| wanted.contains(&r.run_id)).collect();
    let (nets, splits) = kept_networks(&spec, &training_path(scale), &typed, device)?;
    let data = if splits.validation.is_empty() { &splits.train } else { &splits.validation };
    let indices: Vec<usize> = (0..SLICE_SAMPLES.min(data.len())).collect();
    let batch = data.batch(&indices, device)?;
    Ok((nets, batch, config))
}

fn ids_of(runs: &DataFrame) -> Result<BTreeSet<String>, StudyError> {
    Ok(string_column(runs, "run_id")?.into_iter().collect())
}

/// The 1-D slices of every trained network (cached in `06_slices_<scale>.parquet`): columns
/// `run_id`, [`NEURON`], `seed`, `direction`, `alpha`, `loss`, `gradient_norm`.
pub fn slices(scale: Scale, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    cached_table(&results_path("06_slices", scale), "run_id", &ids_of(runs)?, || {
        let device = super::analysis_device()?.autodiff();
        let (nets, batch, config) = trained_networks(scale, runs, &device)?;
        let loss = config.bptt().map_or_else(Default::default, |b| b.loss);
        let alphas = slice_alphas();
        let mut cols: (Vec<String>, Vec<String>, Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
        for t in &nets {
            for k in 0..DIRECTIONS {
                let direction = Weights::of(&t.net).random_direction(1000 * t.seed + k);
                let values = slice_1d(&t.net, &direction, &alphas, &batch.inputs, &batch.labels, loss, &device)?;
                for (&a, (loss, grad)) in alphas.iter().zip(values) {
                    cols.0.push(t.run_id.clone());
                    cols.1.push(t.label.to_string());
                    cols.2.push(t.seed);
                    cols.3.push(k);
                    cols.4.push(a);
                    cols.5.push(loss);
                    cols.6.push(grad);
                }
            }
        }
        Ok(fresh(&DataFrame::new_infer_height(vec![
            Column::new("run_id".into(), cols.0),
            Column::new(NEURON.into(), cols.1),
            Column::new("seed".into(), cols.2),
            Column::new("direction".into(), cols.3),
            Column::new("alpha".into(), cols.4),
            Column::new("loss".into(), cols.5),
            Column::new("gradient_norm".into(), cols.6),
        ])?))
    })
}

/// The 2-D slice of the seed-0 network of each neuron model (cached in
/// `06_planes_<scale>.parquet`): columns `run_id`, [`NEURON`], `alpha`, `beta`, `loss`.
pub fn planes(scale: Scale, runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let seeds = string_column(runs, "seed")?;
    let ids: BTreeSet<String> = string_column(runs, "run_id")?.into_iter().zip(&seeds).filter(|(_, s)| *s == "0").map(|(i, _)| i).collect();
    cached_table(&results_path("06_planes", scale), "run_id", &ids, || {
        let device = super::analysis_device()?;
        let (nets, batch, config) = trained_networks(scale, runs, &device)?;
        let loss = config.bptt().map_or_else(Default::default, |b| b.loss);
        let grid = plane_alphas();
        let mut cols: (Vec<String>, Vec<String>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
        for t in nets.iter().filter(|t| t.seed == 0) {
            let base = Weights::of(&t.net);
            let (d1, d2) = (base.random_direction(0), base.random_direction(1));
            let values = slice_2d(&t.net, (&d1, &d2), &grid, &grid, &batch.inputs, &batch.labels, loss, &device)?;
            for (i, &a) in grid.iter().enumerate() {
                for (j, &b) in grid.iter().enumerate() {
                    cols.0.push(t.run_id.clone());
                    cols.1.push(t.label.to_string());
                    cols.2.push(a);
                    cols.3.push(b);
                    cols.4.push(values[i * grid.len() + j]);
                }
            }
        }
        Ok(fresh(&DataFrame::new_infer_height(vec![
            Column::new("run_id".into(), cols.0),
            Column::new(NEURON.into(), cols.1),
            Column::new("alpha".into(), cols.2),
            Column::new("beta".into(), cols.3),
            Column::new("loss".into(), cols.4),
        ])?))
    })
}

/// The loss over the 2-D slice of one neuron model as rows of β (the heatmap's y) by α.
pub fn plane_grid(planes: &DataFrame, neuron: &str) -> Result<(Vec<f64>, Vec<Vec<f64>>), StudyError> {
    let rows = super::rows_where(planes, NEURON, neuron)?;
    let (alphas, betas, loss) = (f64_column(&rows, "alpha")?, f64_column(&rows, "beta")?, f64_column(&rows, "loss")?);
    let grid = plane_alphas();
    let index = |v: f64| grid.iter().position(|g| (g - v).abs() < 1e-9);
    let mut z = vec![vec![f64::NAN; grid.len()]; grid.len()];
    for ((a, b), l) in alphas.iter().zip(&betas).zip(&loss) {
        if let (Some(i), Some(j)) = (index(*a), index(*b)) {
            z[j][i] = *l;
        }
    }
    Ok((grid, z))
}

/// Fragmentation of every slice: per (network, direction) the [`jumps`] and [`roughness`] of
/// the loss and of the gradient norm, then averaged over the directions per network. Columns
/// `run_id`, [`NEURON`], `seed`, `loss_jumps`, `loss_roughness`, `gradient_jumps`,
/// `gradient_roughness`.
pub fn fragmentation(slices: &DataFrame) -> Result<DataFrame, StudyError> {
    let ids = string_column(slices, "run_id")?;
    let labels = string_column(slices, NEURON)?;
    let seeds = string_column(slices, "seed")?;
    let directions = string_column(slices, "direction")?;
    let (loss, grad) = (f64_column(slices, "loss")?, f64_column(slices, "gradient_norm")?);
    let mut per_run: BTreeMap<String, (String, u64, Vec<[f64; 4]>)> = BTreeMap::new();
    let mut start = 0;
    while start < ids.len() {
        let end = (start..ids.len()).find(|&i| ids[i] != ids[start] || directions[i] != directions[start]).unwrap_or(ids.len());
        let (l, g) = (&loss[start..end], &grad[start..end]);
        let measures = [jumps(l, JUMP_FACTOR) as f64, roughness(l), jumps(g, JUMP_FACTOR) as f64, roughness(g)];
        let seed = seeds[start].parse().map_err(|_| crate::table::TableError(format!("seed {:?} is not a number", seeds[start])))?;
        per_run.entry(ids[start].clone()).or_insert_with(|| (labels[start].clone(), seed, Vec::new())).2.push(measures);
        start = end;
    }
    let mut cols: (Vec<String>, Vec<String>, Vec<u64>, [Vec<f64>; 4]) = Default::default();
    for (id, (label, seed, measures)) in per_run {
        cols.0.push(id);
        cols.1.push(label);
        cols.2.push(seed);
        for (k, column) in cols.3.iter_mut().enumerate() {
            column.push(crate::stats::mean(&measures.iter().map(|m| m[k]).collect::<Vec<_>>()));
        }
    }
    let [lj, lr, gj, gr] = cols.3;
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("run_id".into(), cols.0),
        Column::new(NEURON.into(), cols.1),
        Column::new("seed".into(), cols.2),
        Column::new("loss_jumps".into(), lj),
        Column::new("loss_roughness".into(), lr),
        Column::new("gradient_jumps".into(), gj),
        Column::new("gradient_roughness".into(), gr),
    ])?))
}
