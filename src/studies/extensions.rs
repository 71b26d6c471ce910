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
//! Fluctuation: LIF layers of 64, SuperSpike with β_s = 20 (Rossbroich et al.'s,
//! [`FLUCTUATION_SUPERSPIKE`]), AdamW at lr 1e-2 with clipping, 10 epochs.
//! Paper scale: sl-MNIST at 100 steps with widths 128 and 30 epochs.
//!
//! Plateau scale ([`comparison_task`]: randman with 10 classes, α = 1, 20 units, 50 steps, 1,000
//! samples per class, so 1,000 validation and 1,000 test samples; every run until its
//! validation loss stops improving, patience 5):
//!
//! * DECOLLE: 2 × 64, the paper's optimiser (Adamax, β = (0, 0.95)) at lr 1e-2 and its
//!   surrogate (1/(1 + 10|U|)²), LSUV, burn-in 5, 8 seeds; best weights and stopping by validation
//!   accuracy with DECOLLE's patience of 12 ([`DECOLLE_PATIENCE`]), at most
//!   [`DECOLLE_MAX_EPOCHS`] task epochs. The lr was calibrated on the uncontrolled arm, seed 0:
//!   at 1e-3 (DECOLLE's 3.6e-4 is for DVS Gesture's 200 epochs) validation accuracy still rose
//!   by 0.03 per 5 epochs at epoch 40; 1e-2 stopped by patience at epoch 66 (best 53, test
//!   0.879), 3e-2 at epoch 48 (best 35, test 0.858). The control (λ = 100, epochs 0–1) comes on top
//!   of the task training: a controlled run may train 2 epochs longer, and best-weight
//!   selection and patience start after the control (`warmup_epochs` = 2), so every arm gets the
//!   same task budget, with the control a small share of it as in the paper.
//! * Fluctuation-driven initialisation: 1 (shallow) or 6 (deep) recurrent LIF layers of 64
//!   (τ = 20 steps, ϑ = 1), SuperSpike β_s = 20, AdamW lr 5e-3 with clipping at 1, at most
//!   [`PLATEAU_MAX_EPOCHS`] epochs, against Glorot
//!   and Kaiming (He-normal W_in and W_rec); the deep centred network also with Rossbroich et
//!   al.'s homeostasis ([`SpikeCountBound::rossbroich`], upper bound 10 spikes per sample), and
//!   the deep Kaiming network with it as its control, 8
//!   seeds ([`fluctuation_sweep`]); and the centred init in the deep network at σ_U = 0.2, 0.5
//!   and 1.5 with homeostasis and at 0.2 without, 8 seeds ([`sigma_sweep`]; σ_U = 1 is in the
//!   main sweep). Per-layer
//!   rates and gradients at initialisation span σ_U from 0.2 to 1.5 ([`init_probe`]).

use polars::prelude::{Column, DataFrame};

use super::scale::until_plateau;
use super::{Scale, StudyError, arm_runs, comparison_task, comparison_width, results_path, rows_where, with_text_column};
use crate::init::fluctuation::{FluctuationScheme, FluctuationVariant};
use crate::neuron::decolle::{DecolleConfig, RateControl};
use crate::neuron::{LifConfig, NeuronConfig};
use crate::regularize::SpikeCountBound;
use crate::weights::WeightInit;
use crate::results::Cell;
use crate::stats::{CompareOptions, Correction, GroupTest, compare_groups};
use crate::surrogate::Surrogate;
use crate::table::{distinct, fresh, string_column};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{InitScheme, Method, Monitor, OptimizerKind, SpikeConfig, TrainConfig};

/// Column of the DECOLLE rate control: "none", "f=0.5" or "f=0.158".
pub const RATE_CONTROL: &str = "rate_control";
/// Column of the initialisation: "glorot", "kaiming", "centred", "mean-at-threshold",
/// "unit-rates".
pub const INIT: &str = "initialisation";
/// Column of the depth: "shallow" or "deep".
pub const DEPTH: &str = "depth";
/// Column of the fluctuation-driven init's target σ_U (null for Glorot and Kaiming).
pub const SIGMA_U: &str = "sigma_u";
/// Column of the homeostasis: "on" or "off".
pub const HOMEOSTASIS: &str = "homeostasis";

/// Seeds of both studies.
pub fn seeds() -> Vec<u64> {
    (0..8).collect()
}

/// Epoch cap of the plateau-scale fluctuation runs (a run stops earlier once it plateaus).
pub const PLATEAU_MAX_EPOCHS: usize = 100;

/// The steepness β_s of the fluctuation study's surrogate, SuperSpike 1/(1 + β_s|U − ϑ|)²:
/// Rossbroich et al.'s (other_seeds.md §E.2). Steep enough that a neuron far from threshold
/// passes almost no gradient, which is what makes deep networks with quiet layers untrainable
/// in their argument.
pub const FLUCTUATION_SUPERSPIKE: f64 = 20.0;

/// Task-epoch cap of the plateau-scale DECOLLE runs (module docs): they stop by patience
/// first, between epochs 45 and 70 in calibration.
pub const DECOLLE_MAX_EPOCHS: usize = 100;

/// Patience of the plateau-scale DECOLLE runs, which monitor the validation accuracy:
/// DECOLLE's own protocol (early stop after 12 epochs without improvement). Its SmoothL1 loss
/// between fixed random readouts and one-hot targets does not track accuracy (it can rise while
/// accuracy rises), so it would stop runs that are still learning.
pub const DECOLLE_PATIENCE: usize = 12;

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
    let arms = [None, Some(0.5), Some(0.158)].into_iter().map(|target| Arm::new(RateControlArm(target), decolle_config(scale, target))).collect();
    ArmSweep::new(arms, seeds())
}

/// The configuration of a DECOLLE arm at `scale` (module docs).
fn decolle_config(scale: Scale, target: Option<f64>) -> TrainConfig {
    let rate_control = target.map(|target| RateControl { target, weight: 100.0, until_epoch: 1 });
    let (task, width) = (comparison_task(scale), comparison_width(scale));
    let mut config = TrainConfig::new(task, if scale == Scale::Quick { 6 } else { 30 });
    config.run.batch_size = 64;
    config.model.hidden_sizes = vec![width, width];
    // DECOLLE's 1/(1 + 10|U|)² (other_seeds.md §D).
    config.model.spike = SpikeConfig::surrogate(Surrogate::superspike(10.0).expect("a valid surrogate"));
    config.optimizer.beta1 = 0.0;
    config.optimizer.beta2 = 0.95;
    match scale {
        Scale::Plateau => {
            config.optimizer.kind = OptimizerKind::Adamax;
            config.optimizer.lr = 1e-2;
            let control_epochs = rate_control.map_or(0, |c| c.until_epoch + 1);
            until_plateau(&mut config, DECOLLE_MAX_EPOCHS + control_epochs);
            config.run.warmup_epochs = control_epochs;
            config.run.monitor = Monitor::ValAccuracy;
            config.run.patience = Some(DECOLLE_PATIENCE);
        }
        Scale::Quick | Scale::Paper => {
            config.optimizer.kind = OptimizerKind::Adam;
            config.optimizer.lr = 1e-2;
        }
    }
    config.method = Method::Decolle(DecolleConfig { burn_in: 5, lsuv: true, rate_control, ..DecolleConfig::default() });
    config
}

/// The depth of a fluctuation-study network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// One recurrent layer.
    Shallow,
    /// Four (quick scale) or six recurrent layers.
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

    /// The number of layers at `scale`.
    pub fn layers(self, scale: Scale) -> usize {
        match (self, scale) {
            (Depth::Shallow, _) => 1,
            (Depth::Deep, Scale::Quick) => 4,
            (Depth::Deep, Scale::Plateau | Scale::Paper) => 6,
        }
    }
}

/// How a fluctuation-study network's hidden weights are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initialisation {
    /// Glorot-uniform W_in and W_rec.
    Glorot,
    /// Kaiming (He-normal, N(0, 2/fan_in)) W_in and W_rec.
    Kaiming,
    /// Fluctuation-driven, aiming at a membrane-potential standard deviation σ_U (ξ = ϑ/σ_U).
    Fluctuation {
        /// The variant.
        variant: FluctuationVariant,
        /// Target σ_U in units of the threshold.
        sigma_u: f64,
    },
}

impl Initialisation {
    /// The centred fluctuation-driven init at σ_U.
    pub fn centred(sigma_u: f64) -> Self {
        Initialisation::Fluctuation { variant: FluctuationVariant::Centred, sigma_u }
    }

    /// "glorot", "kaiming", "centred", "mean-at-threshold" or "unit-rates".
    pub fn name(&self) -> &'static str {
        match self {
            Initialisation::Glorot => "glorot",
            Initialisation::Kaiming => "kaiming",
            Initialisation::Fluctuation { variant: FluctuationVariant::Centred, .. } => "centred",
            Initialisation::Fluctuation { variant: FluctuationVariant::MeanAtThreshold, .. } => "mean-at-threshold",
            Initialisation::Fluctuation { variant: FluctuationVariant::UnitRates, .. } => "unit-rates",
        }
    }

    /// σ_U of a fluctuation-driven init.
    pub fn sigma_u(&self) -> Option<f64> {
        match self {
            Initialisation::Fluctuation { sigma_u, .. } => Some(*sigma_u),
            Initialisation::Glorot | Initialisation::Kaiming => None,
        }
    }

    /// Sets `config`'s LIF weight initialisers or its init scheme.
    fn apply(&self, config: &mut TrainConfig) {
        let bptt = config.bptt_mut().expect("BPTT");
        match *self {
            Initialisation::Glorot => bptt.init = InitScheme::Configured,
            Initialisation::Kaiming => {
                bptt.init = InitScheme::Configured;
                config.model.neuron = NeuronConfig::Lif(LifConfig::new().with_input_init(WeightInit::HeNormal).with_recurrent_init(WeightInit::HeNormal));
            }
            Initialisation::Fluctuation { variant, sigma_u } => {
                bptt.init = InitScheme::Fluctuation(FluctuationScheme { variant, xi: 1.0 / sigma_u, ..FluctuationScheme::default() });
            }
        }
    }
}

/// A fluctuation-study arm: initialisation, depth and homeostasis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FluctuationArm {
    /// How the hidden weights are drawn.
    pub init: Initialisation,
    /// The depth.
    pub depth: Depth,
    /// Whether Rossbroich et al.'s homeostasis is on.
    pub homeostasis: bool,
}

impl FluctuationArm {
    /// "glorot", "kaiming", "centred", "mean-at-threshold" or "unit-rates".
    pub fn init_name(&self) -> &'static str {
        self.init.name()
    }
}

impl std::fmt::Display for FluctuationArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.init.name())?;
        if let Some(sigma) = self.init.sigma_u().filter(|s| *s != 1.0) {
            write!(f, " σ_U={sigma}")?;
        }
        write!(f, " {}", self.depth.name())?;
        if self.homeostasis {
            write!(f, " +homeostasis")?;
        }
        Ok(())
    }
}

impl ArmLabel for FluctuationArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![
            (INIT.into(), Cell::from(self.init_name())),
            (DEPTH.into(), Cell::from(self.depth.name())),
            (SIGMA_U.into(), self.init.sigma_u().map_or(Cell::Null, Cell::from)),
            (HOMEOSTASIS.into(), Cell::from(if self.homeostasis { "on" } else { "off" })),
        ]
    }
}

/// The configuration of a fluctuation-study arm at `scale` (module docs).
fn fluctuation_config(scale: Scale, arm: FluctuationArm) -> TrainConfig {
    let (task, width) = (comparison_task(scale), comparison_width(scale));
    let mut config = TrainConfig::new(task, if scale == Scale::Quick { 10 } else { 30 });
    config.run.batch_size = 64;
    config.model.hidden_sizes = vec![width; arm.depth.layers(scale)];
    config.model.spike = SpikeConfig::surrogate(Surrogate::superspike(FLUCTUATION_SUPERSPIKE).expect("a valid surrogate"));
    config.optimizer.kind = OptimizerKind::AdamW;
    config.optimizer.lr = if scale == Scale::Plateau { 5e-3 } else { 1e-2 };
    config.optimizer.clip_norm = Some(1.0);
    if scale == Scale::Plateau {
        until_plateau(&mut config, PLATEAU_MAX_EPOCHS);
    }
    arm.init.apply(&mut config);
    if arm.homeostasis {
        config.bptt_mut().expect("BPTT").homeostasis = SpikeCountBound::rossbroich(10.0);
    }
    config
}

/// Fluctuation-driven initialisation against Glorot and Kaiming, shallow and deep (module
/// docs): at quick and paper scale the variants and Glorot; at plateau scale the centred init
/// at σ_U = 1 and Kaiming, shallow and deep, Glorot deep, and the centred init and Kaiming deep
/// with homeostasis (which of the two, the init or the homeostasis, makes a deep network
/// trainable).
pub fn fluctuation_sweep(scale: Scale) -> ArmSweep<FluctuationArm> {
    let arm = |init, depth, homeostasis| FluctuationArm { init, depth, homeostasis };
    let arms: Vec<FluctuationArm> = match scale {
        Scale::Quick | Scale::Paper => [
            Initialisation::Glorot,
            Initialisation::centred(1.0),
            Initialisation::Fluctuation { variant: FluctuationVariant::MeanAtThreshold, sigma_u: 1.0 },
            Initialisation::Fluctuation { variant: FluctuationVariant::UnitRates, sigma_u: 1.0 },
        ]
        .into_iter()
        .flat_map(|init| [arm(init, Depth::Shallow, false), arm(init, Depth::Deep, false)])
        .collect(),
        Scale::Plateau => {
            let (kaiming, centred) = (Initialisation::Kaiming, Initialisation::centred(1.0));
            vec![
                arm(Initialisation::Glorot, Depth::Deep, false),
                arm(kaiming, Depth::Shallow, false),
                arm(kaiming, Depth::Deep, false),
                arm(centred, Depth::Shallow, false),
                arm(centred, Depth::Deep, false),
                arm(centred, Depth::Deep, true),
                arm(kaiming, Depth::Deep, true),
            ]
        }
    };
    ArmSweep::new(arms.into_iter().map(|a| Arm::new(a, fluctuation_config(scale, a))).collect(), seeds())
}

/// The σ_U values of the plateau-scale σ_U sweep with homeostasis ([`sigma_sweep`]; 1 is in
/// the main sweep).
pub const SIGMA_SWEEP: [f64; 3] = [0.2, 0.5, 1.5];

/// The σ_U of the σ_U sweep's arm without homeostasis: the smallest, whose deep layers start
/// silent.
pub const SIGMA_WITHOUT_HOMEOSTASIS: f64 = 0.2;

/// The centred fluctuation-driven init in the deep network at each σ_U of [`SIGMA_SWEEP`] with
/// homeostasis (without it no deep network trains at β_s = 20, whatever its σ_U), and at
/// [`SIGMA_WITHOUT_HOMEOSTASIS`] without, [`seeds`] (plateau scale; empty elsewhere).
pub fn sigma_sweep(scale: Scale) -> ArmSweep<FluctuationArm> {
    let arm = |sigma_u, homeostasis| FluctuationArm { init: Initialisation::centred(sigma_u), depth: Depth::Deep, homeostasis };
    let arms: Vec<FluctuationArm> = match scale {
        Scale::Plateau => std::iter::once(arm(SIGMA_WITHOUT_HOMEOSTASIS, false)).chain(SIGMA_SWEEP.iter().map(|&s| arm(s, true))).collect(),
        Scale::Quick | Scale::Paper => Vec::new(),
    };
    ArmSweep::new(arms.into_iter().map(|a| Arm::new(a, fluctuation_config(scale, a))).collect(), seeds())
}

/// The DECOLLE sweep's runs table under [`super::results_dir`].
pub fn decolle_path(scale: Scale) -> std::path::PathBuf {
    results_path("04_decolle", scale)
}

/// The fluctuation sweep's runs table under [`super::results_dir`].
pub fn fluctuation_path(scale: Scale) -> std::path::PathBuf {
    results_path("04_fluctuation", scale)
}

/// The σ_U sweep's runs table under [`super::results_dir`].
pub fn sigma_path(scale: Scale) -> std::path::PathBuf {
    results_path("04_fluctuation_sigma", scale)
}

/// Runs what is missing of the DECOLLE sweep; its runs as typed rows.
pub fn decolle_runs(scale: Scale) -> Result<Vec<ArmRun<RateControlArm>>, StudyError> {
    arm_runs(&decolle_sweep(scale), &decolle_path(scale))
}

/// [`decolle_runs`] as a table, the arm in [`RATE_CONTROL`].
pub fn run_decolle(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&decolle_runs(scale)?)?)
}

/// Runs what is missing of the fluctuation sweep; its runs as typed rows.
pub fn fluctuation_runs(scale: Scale) -> Result<Vec<ArmRun<FluctuationArm>>, StudyError> {
    arm_runs(&fluctuation_sweep(scale), &fluctuation_path(scale))
}

/// [`fluctuation_runs`] as a table, the arm in [`INIT`], [`DEPTH`], [`SIGMA_U`] and
/// [`HOMEOSTASIS`].
pub fn run_fluctuation(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&fluctuation_runs(scale)?)?)
}

/// Runs what is missing of the σ_U sweep; its runs as typed rows.
pub fn sigma_runs(scale: Scale) -> Result<Vec<ArmRun<FluctuationArm>>, StudyError> {
    arm_runs(&sigma_sweep(scale), &sigma_path(scale))
}

/// [`sigma_runs`] as a table (columns of [`run_fluctuation`]).
pub fn run_sigma(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&sigma_runs(scale)?)?)
}

/// DECOLLE with each rate control against none on `metric`: two-sided paired t over the seeds
/// (the arms of one seed share the initial network and the batch order), Holm over the two
/// comparisons (columns of [`compare_groups`]).
pub fn decolle_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions {
        test: GroupTest::PairedT,
        pair_by: vec!["seed".into()],
        reference: Some("none".into()),
        correction: Correction::Holm,
        ..CompareOptions::default()
    };
    Ok(fresh(&compare_groups(&super::finished(runs)?, metric, RATE_CONTROL, &options)?))
}

/// The margin δ within which a DECOLLE rate control counts as making no difference: 0.03 in
/// test accuracy (three points), fixed before the plateau-scale runs.
pub const DECOLLE_MARGIN: f64 = 0.03;

/// Whether each rate control is equivalent to none on `metric` within ±[`DECOLLE_MARGIN`]: a
/// paired TOST over the seeds both finished, Holm over the two
/// ([`super::paired_equivalence`]; the control in [`RATE_CONTROL`]).
pub fn decolle_equivalence(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let pairs: Vec<(String, String)> = distinct(&string_column(runs, RATE_CONTROL)?).into_iter().filter(|a| a != "none").map(|a| (a, "none".to_string())).collect();
    super::paired_equivalence(runs, RATE_CONTROL, &pairs, metric, DECOLLE_MARGIN)
}

/// Column of a fluctuation run's cell: its depth, with " +homeostasis" when that is on.
pub const CELL: &str = "cell";

/// `runs` of the fluctuation sweeps with [`CELL`] added (depth and homeostasis), within which
/// initialisations are compared.
pub fn with_cells(runs: &DataFrame) -> Result<DataFrame, StudyError> {
    let (depths, homeostasis) = (string_column(runs, DEPTH)?, string_column(runs, HOMEOSTASIS)?);
    let cells = depths.iter().zip(&homeostasis).map(|(d, h)| if h == "on" { format!("{d} +homeostasis") } else { d.clone() }).collect();
    with_text_column(runs, CELL, cells)
}

/// Within each cell (depth × homeostasis), every initialisation against the centred
/// fluctuation-driven init on `metric`: two-sided Welch t over the seeds, Holm within a cell;
/// columns of [`compare_groups`] and [`CELL`]. Cells with one initialisation are skipped.
pub fn fluctuation_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("centred".into()), correction: Correction::Holm, ..CompareOptions::default() };
    super::compare_within(&with_cells(&super::finished(runs)?)?, CELL, metric, INIT, &options)
}

/// For each initialisation run deep both with and without homeostasis, homeostasis on against
/// off on `metric`: two-sided Welch t, Holm over the initialisations; columns of
/// [`compare_groups`] (groups "on" and "off") and [`INIT`].
pub fn homeostasis_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions { test: GroupTest::Welch, reference: Some("off".into()), correction: Correction::None, ..CompareOptions::default() };
    let deep = rows_where(&super::finished(runs)?, DEPTH, "deep")?;
    let mut table = super::compare_within(&deep, INIT, metric, HOMEOSTASIS, &options)?;
    let adjusted = crate::stats::adjust(&crate::table::f64_column(&table, "p")?, Correction::Holm)?;
    table.with_column(Column::new("p_adjusted".into(), adjusted))?;
    Ok(fresh(&table))
}

/// The deep centred networks by homeostasis and σ_U: the σ_U sweep's runs and the main sweep's
/// centred runs at σ_U = 1 (`main`, `sigma`: the two tables). One row per (homeostasis, σ_U):
/// [`HOMEOSTASIS`], [`SIGMA_U`], `runs`, `mean` and `sd` of `metric`, `median_epochs`, and the
/// mean initial and final rate of the top layer (`initial_rate_top`, `final_rate_top`); and the
/// Kruskal–Wallis test of `metric` across σ_U within the homeostasis setting (`kruskal_h`,
/// `kruskal_p`, the same on the rows of one setting; NaN where it has one σ_U only).
pub fn sigma_summary(main: &DataFrame, sigma: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    struct Run {
        homeostasis: String,
        sigma: f64,
        value: f64,
        epochs: f64,
        initial_top: f64,
        final_top: f64,
    }
    let mut runs: Vec<Run> = Vec::new();
    for table in [main, sigma] {
        let deep = rows_where(&rows_where(&super::finished(table)?, DEPTH, "deep")?, INIT, "centred")?;
        let top = deep.get_column_names().iter().filter(|n| n.starts_with("initial_rate_l")).count().max(1) - 1;
        let homeostasis = string_column(&deep, HOMEOSTASIS)?;
        let sig = crate::table::f64_column(&deep, SIGMA_U)?;
        let val = crate::table::f64_column(&deep, metric)?;
        let epochs = crate::table::f64_column(&deep, "epochs_run")?;
        let initial = crate::table::optional_f64_column(&deep, &format!("initial_rate_l{top}"))?;
        let last = crate::table::optional_f64_column(&deep, &format!("final_rate_l{top}"))?;
        for i in 0..deep.height() {
            runs.push(Run {
                homeostasis: homeostasis[i].clone(),
                sigma: sig[i],
                value: val[i],
                epochs: epochs[i],
                initial_top: initial[i].unwrap_or(f64::NAN),
                final_top: last[i].unwrap_or(f64::NAN),
            });
        }
    }
    let mut cells: Vec<(String, f64)> = runs.iter().map(|r| (r.homeostasis.clone(), r.sigma)).collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    cells.dedup();
    let of = |cell: &(String, f64), f: fn(&Run) -> f64| -> Vec<f64> { runs.iter().filter(|r| r.homeostasis == cell.0 && r.sigma == cell.1).map(f).collect() };
    let median = |mut v: Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut kruskal = std::collections::BTreeMap::new();
    for setting in distinct(&cells.iter().map(|c| c.0.clone()).collect::<Vec<_>>()) {
        let groups: Vec<Vec<f64>> = cells.iter().filter(|c| c.0 == setting).map(|c| of(c, |r| r.value)).collect();
        let test = if groups.len() > 1 {
            let slices: Vec<&[f64]> = groups.iter().map(|g| g.as_slice()).collect();
            let k = crate::stats::kruskal_wallis(&slices)?;
            (k.statistic, k.p_value)
        } else {
            (f64::NAN, f64::NAN)
        };
        kruskal.insert(setting, test);
    }
    let values: Vec<Vec<f64>> = cells.iter().map(|c| of(c, |r| r.value)).collect();
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new(HOMEOSTASIS.into(), cells.iter().map(|c| c.0.clone()).collect::<Vec<_>>()),
        Column::new(SIGMA_U.into(), cells.iter().map(|c| c.1).collect::<Vec<_>>()),
        Column::new("runs".into(), values.iter().map(|g| g.len() as u64).collect::<Vec<_>>()),
        Column::new("mean".into(), values.iter().map(|g| crate::stats::mean(g)).collect::<Vec<_>>()),
        Column::new("sd".into(), values.iter().map(|g| if g.len() > 1 { crate::stats::variance(g, 1).sqrt() } else { f64::NAN }).collect::<Vec<_>>()),
        Column::new("median_epochs".into(), cells.iter().map(|c| median(of(c, |r| r.epochs))).collect::<Vec<_>>()),
        Column::new("initial_rate_top".into(), cells.iter().map(|c| crate::stats::mean(&of(c, |r| r.initial_top))).collect::<Vec<_>>()),
        Column::new("final_rate_top".into(), cells.iter().map(|c| crate::stats::mean(&of(c, |r| r.final_top))).collect::<Vec<_>>()),
        Column::new("kruskal_h".into(), cells.iter().map(|c| kruskal[&c.0].0).collect::<Vec<_>>()),
        Column::new("kruskal_p".into(), cells.iter().map(|c| kruskal[&c.0].1).collect::<Vec<_>>()),
    ])?))
}

/// The name of a probe arm: the initialisation, with σ_U where it has one ("centred σ_U=0.2").
fn probe_arm(init: &str, sigma_u: Option<f64>) -> String {
    match sigma_u {
        Some(s) => format!("{init} σ_U={s}"),
        None => init.to_string(),
    }
}

/// The rows of the [`init_probe`] table for `depth` with two columns added: `arm` (the
/// initialisation, with σ_U for the fluctuation-driven one: "centred σ_U=0.2") and
/// `log10_input_gradient`.
pub fn probe_rows(probe: &DataFrame, depth: &str) -> Result<DataFrame, StudyError> {
    let rows = rows_where(probe, DEPTH, depth)?;
    let inits = string_column(&rows, INIT)?;
    let sigma = crate::table::optional_f64_column(&rows, SIGMA_U)?;
    let arms = (0..rows.height()).map(|i| probe_arm(&inits[i], sigma[i])).collect();
    let log = crate::table::f64_column(&rows, "input_gradient")?.into_iter().map(f64::log10).collect::<Vec<_>>();
    let mut rows = with_text_column(&rows, "arm", arms)?;
    rows.with_column(Column::new("log10_input_gradient".into(), log))?;
    Ok(fresh(&rows))
}

/// [`probe_rows`] averaged over seeds per arm and layer: columns `arm`, `layer`, `rate`,
/// `input_gradient`, `recurrent_gradient`, `readout_gradient`, and `gradient_ratio`: the
/// layer's input gradient over that of the centred init at σ_U = 1 in the same layer.
pub fn probe_summary(probe: &DataFrame, depth: &str) -> Result<DataFrame, StudyError> {
    let rows = probe_rows(probe, depth)?;
    let (arms, layers) = (string_column(&rows, "arm")?, crate::table::f64_column(&rows, "layer")?);
    let metrics = ["rate", "input_gradient", "recurrent_gradient", "readout_gradient"].map(|m| crate::table::f64_column(&rows, m));
    let [rate, input, recurrent, readout] = metrics;
    let (rate, input, recurrent, readout) = (rate?, input?, recurrent?, readout?);
    let order = distinct(&arms);
    let mut cells: std::collections::BTreeMap<(usize, u64), ([f64; 4], usize)> = std::collections::BTreeMap::new();
    for i in 0..rows.height() {
        let arm = order.iter().position(|a| *a == arms[i]).expect("listed");
        let cell = cells.entry((arm, layers[i] as u64)).or_insert(([0.0; 4], 0));
        for (sum, v) in cell.0.iter_mut().zip([rate[i], input[i], recurrent[i], readout[i]]) {
            *sum += v;
        }
        cell.1 += 1;
    }
    let reference_arm = order.iter().position(|a| *a == probe_arm(Initialisation::centred(1.0).name(), Some(1.0)));
    let reference: std::collections::BTreeMap<u64, f64> = cells.iter().filter(|((a, _), _)| Some(*a) == reference_arm).map(|((_, l), (sums, n))| (*l, sums[1] / *n as f64)).collect();
    let (mut arm, mut layer, mut r, mut g, mut gr, mut go, mut ratio) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((a, l), (sums, n)) in cells {
        let n = n as f64;
        arm.push(order[a].clone());
        layer.push(l);
        r.push(sums[0] / n);
        g.push(sums[1] / n);
        gr.push(sums[2] / n);
        go.push(sums[3] / n);
        ratio.push(reference.get(&l).map_or(f64::NAN, |reference| sums[1] / n / reference));
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("arm".into(), arm),
        Column::new("layer".into(), layer),
        Column::new("rate".into(), r),
        Column::new("input_gradient".into(), g),
        Column::new("recurrent_gradient".into(), gr),
        Column::new("readout_gradient".into(), go),
        Column::new("gradient_ratio".into(), ratio),
    ])?))
}

/// The init probe table of `scale` as committed (computed by `sglab study 04`).
pub fn probe_table(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(fresh(&crate::results::read_parquet(&results_path("04_fluctuation_init", scale))?))
}

/// The plateau-rule summary ([`super::regime`]) of the DECOLLE, fluctuation and σ_U sweeps at
/// `scale`, stacked with a `sweep` column.
pub fn regimes(scale: Scale) -> Result<DataFrame, StudyError> {
    let tables = [
        ("decolle", super::regime(&decolle_sweep(scale), &decolle_path(scale))?),
        ("fluctuation", super::regime(&fluctuation_sweep(scale), &fluctuation_path(scale))?),
        ("sigma", super::regime(&sigma_sweep(scale), &sigma_path(scale))?),
    ];
    let frames: Vec<DataFrame> = tables.into_iter().map(|(name, t)| with_text_column(&t, "sweep", vec![name.to_string(); t.height()])).collect::<Result<_, _>>()?;
    Ok(fresh(&crate::results::concat(&frames)?))
}

/// The per-epoch rows of the DECOLLE runs (from the sweep's history table), with the arm in
/// [`RATE_CONTROL`], for a plot of how the control moves the early rate.
pub fn decolle_history(scale: Scale) -> Result<DataFrame, StudyError> {
    let history = crate::results::read_parquet(&crate::train::sweep::history_path(&decolle_path(scale)))?;
    let rows = decolle_sweep(scale).history(&history)?;
    let labels = string_column(&rows, "label")?;
    with_text_column(&rows, RATE_CONTROL, labels)
}

/// The σ_U values at which [`init_probe`] measures the centred fluctuation-driven init.
pub const PROBE_SIGMAS: [f64; 7] = [0.2, 0.35, 0.5, 0.75, 1.0, 1.25, 1.5];

/// The arms [`init_probe`] measures: Glorot, Kaiming and the centred init at each σ_U of
/// [`PROBE_SIGMAS`], shallow and deep, without homeostasis (it acts only through learning).
pub fn probe_arms() -> Vec<FluctuationArm> {
    let inits = [Initialisation::Glorot, Initialisation::Kaiming].into_iter().chain(PROBE_SIGMAS.iter().map(|&s| Initialisation::centred(s)));
    inits.flat_map(|init| [Depth::Shallow, Depth::Deep].map(|depth| FluctuationArm { init, depth, homeostasis: false })).collect()
}

/// Batches of 64 training samples [`init_probe`] averages over.
pub const PROBE_BATCHES: usize = 4;

/// Per-layer firing rates and RMS gradients at initialisation ([`crate::train::probe`]) of
/// every [`probe_arms`] network at `scale`, seeds 0–3: one row per run and layer with the arm's
/// columns, `seed`, `layer` (0 = bottom), `rate`, `input_gradient`, `recurrent_gradient`,
/// `readout_gradient` and `loss`; cached in `04_fluctuation_init_<scale>.parquet` under the key
/// `probe` (arm, seed and the identifier of the run's configuration, so that a changed
/// configuration — another surrogate, say — is probed again rather than read back).
pub fn init_probe(scale: Scale) -> Result<DataFrame, StudyError> {
    let seeds: Vec<u64> = (0..4).collect();
    let arms = probe_arms();
    let key = |arm: &FluctuationArm, seed: u64| {
        let mut config = fluctuation_config(scale, *arm);
        config.run.seed = seed;
        format!("{arm} seed {seed} config {}", crate::train::rows::config_id(&config))
    };
    let keys = arms.iter().flat_map(|a| seeds.iter().map(move |&s| key(a, s))).collect();
    super::cached_table(&results_path("04_fluctuation_init", scale), "probe", &keys, || {
        let splits = fluctuation_config(scale, arms[0]).task.load()?;
        let mut rows = Vec::new();
        for arm in &arms {
            for &seed in &seeds {
                let mut config = fluctuation_config(scale, *arm);
                config.run.seed = seed;
                let probe = crate::train::probe::probe_initialisation(&config, &splits.train, PROBE_BATCHES)?;
                for layer in 0..probe.rates.len() {
                    let mut row: crate::results::Row = arm.columns();
                    row.extend([
                        ("probe".to_string(), Cell::from(key(arm, seed).as_str())),
                        ("seed".to_string(), Cell::Int(seed as i64)),
                        ("layer".to_string(), Cell::Int(layer as i64)),
                        ("rate".to_string(), Cell::Float(probe.rates[layer])),
                        ("input_gradient".to_string(), Cell::Float(probe.input_gradients[layer])),
                        ("recurrent_gradient".to_string(), Cell::Float(probe.recurrent_gradients[layer])),
                        ("readout_gradient".to_string(), Cell::Float(probe.readout_gradient)),
                        ("loss".to_string(), Cell::Float(probe.loss)),
                    ]);
                    rows.push(row);
                }
            }
        }
        Ok(fresh(&crate::results::frame(&rows)?))
    })
}
