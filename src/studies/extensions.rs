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

use polars::prelude::DataFrame;

use super::{Scale, StudyError, arm_runs, comparison_task, comparison_width, results_path, rows_where, with_text_column};
use crate::init::fluctuation::{FluctuationScheme, FluctuationVariant};
use crate::neuron::decolle::{DecolleConfig, RateControl};
use crate::results::Cell;
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::surrogate::{Shape, Surrogate};
use crate::table::{distinct, fresh, string_column};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{InitScheme, Method, OptimizerKind, SpikeConfig, TrainConfig};

/// Column of the DECOLLE rate control: "none", "f=0.5" or "f=0.158".
pub const RATE_CONTROL: &str = "rate_control";
/// Column of the initialisation: "glorot", "centred", "mean-at-threshold", "unit-rates".
pub const INIT: &str = "initialisation";
/// Column of the depth: "shallow" or "deep".
pub const DEPTH: &str = "depth";

/// Seeds of both studies.
pub fn seeds() -> Vec<u64> {
    (0..8).collect()
}

/// A DECOLLE arm: the target of the rate control of the first epochs, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateControlArm(pub Option<f64>);

impl std::fmt::Display for RateControlArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(target) => write!(f, "f={target}"),
        }
    }
}

impl ArmLabel for RateControlArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(RATE_CONTROL.into(), Cell::Str(self.to_string()))]
    }
}

/// DECOLLE without and with the rate control (module docs).
pub fn decolle_sweep(scale: Scale) -> ArmSweep<RateControlArm> {
    let n = comparison_width(scale);
    let arms = [None, Some(0.5), Some(0.158)]
        .into_iter()
        .map(|target| {
            let mut config = TrainConfig::new(comparison_task(scale), if scale == Scale::Quick { 6 } else { 30 });
            config.run.batch_size = 64;
            config.model.hidden_sizes = vec![n, n];
            config.model.spike = SpikeConfig::surrogate(Surrogate::new(Shape::FastSigmoid, 1.0, 5.0).expect("a valid surrogate"));
            config.optimizer.kind = OptimizerKind::Adam;
            config.optimizer.lr = 1e-2;
            config.optimizer.beta1 = 0.0;
            config.optimizer.beta2 = 0.95;
            let rate_control = target.map(|target| RateControl { target, weight: 100.0, until_epoch: 1 });
            config.method = Method::Decolle(DecolleConfig { burn_in: 5, lsuv: true, rate_control, ..DecolleConfig::default() });
            Arm::new(RateControlArm(target), config)
        })
        .collect();
    ArmSweep::new(arms, seeds())
}

/// The depth of a fluctuation-study network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// One recurrent layer.
    Shallow,
    /// Four recurrent layers.
    Deep,
}

impl Depth {
    /// "shallow" or "deep".
    pub fn name(self) -> &'static str {
        match self {
            Depth::Shallow => "shallow",
            Depth::Deep => "deep",
        }
    }

    /// The number of layers.
    pub fn layers(self) -> usize {
        match self {
            Depth::Shallow => 1,
            Depth::Deep => 4,
        }
    }
}

/// A fluctuation-study arm: the initialisation (`None`: the configured Glorot-uniform) and the
/// depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FluctuationArm {
    /// The fluctuation-driven variant, or `None` for Glorot-uniform.
    pub variant: Option<FluctuationVariant>,
    /// The depth.
    pub depth: Depth,
}

impl FluctuationArm {
    /// "glorot", "centred", "mean-at-threshold" or "unit-rates".
    pub fn init_name(&self) -> &'static str {
        match self.variant {
            None => "glorot",
            Some(FluctuationVariant::Centred) => "centred",
            Some(FluctuationVariant::MeanAtThreshold) => "mean-at-threshold",
            Some(FluctuationVariant::UnitRates) => "unit-rates",
        }
    }
}

impl std::fmt::Display for FluctuationArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.init_name(), self.depth.name())
    }
}

impl ArmLabel for FluctuationArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(INIT.into(), Cell::from(self.init_name())), (DEPTH.into(), Cell::from(self.depth.name()))]
    }
}

/// Fluctuation-driven initialisation variants and Glorot-uniform, shallow and deep.
pub fn fluctuation_sweep(scale: Scale) -> ArmSweep<FluctuationArm> {
    let n = comparison_width(scale);
    let mut arms = Vec::new();
    for variant in [None, Some(FluctuationVariant::Centred), Some(FluctuationVariant::MeanAtThreshold), Some(FluctuationVariant::UnitRates)] {
        for depth in [Depth::Shallow, Depth::Deep] {
            let mut config = TrainConfig::new(comparison_task(scale), if scale == Scale::Quick { 10 } else { 30 });
            config.run.batch_size = 64;
            config.model.hidden_sizes = vec![n; depth.layers()];
            config.model.spike = SpikeConfig::surrogate(Surrogate::new(Shape::FastSigmoid, 1.0, 1.0).expect("a valid surrogate"));
            config.optimizer.kind = OptimizerKind::AdamW;
            config.optimizer.lr = 1e-2;
            config.optimizer.clip_norm = Some(1.0);
            config.bptt_mut().expect("BPTT").init = match variant {
                None => InitScheme::Configured,
                Some(variant) => InitScheme::Fluctuation(FluctuationScheme { variant, ..FluctuationScheme::default() }),
            };
            arms.push(Arm::new(FluctuationArm { variant, depth }, config));
        }
    }
    ArmSweep::new(arms, seeds())
}

/// Runs what is missing of the DECOLLE sweep; its runs as typed rows.
pub fn decolle_runs(scale: Scale) -> Result<Vec<ArmRun<RateControlArm>>, StudyError> {
    arm_runs(&decolle_sweep(scale), &results_path("04_decolle", scale))
}

/// [`decolle_runs`] as a table, the arm in [`RATE_CONTROL`].
pub fn run_decolle(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&decolle_runs(scale)?)?)
}

/// Runs what is missing of the fluctuation sweep; its runs as typed rows.
pub fn fluctuation_runs(scale: Scale) -> Result<Vec<ArmRun<FluctuationArm>>, StudyError> {
    arm_runs(&fluctuation_sweep(scale), &results_path("04_fluctuation", scale))
}

/// [`fluctuation_runs`] as a table, the arm in [`INIT`] and [`DEPTH`].
pub fn run_fluctuation(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&fluctuation_runs(scale)?)?)
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

/// The per-epoch rows of the DECOLLE runs (from the sweep's history table), with the arm in
/// [`RATE_CONTROL`], for a plot of how the control moves the early rate.
pub fn decolle_history(scale: Scale) -> Result<DataFrame, StudyError> {
    let history = crate::results::read_parquet(&crate::train::sweep::history_path(&results_path("04_decolle", scale)))?;
    let rows = decolle_sweep(scale).history(&history)?;
    let labels = string_column(&rows, "label")?;
    with_text_column(&rows, RATE_CONTROL, labels)
}
