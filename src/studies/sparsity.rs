//! Study 03, a high initial firing rate with a gradually introduced sparsity loss
//! (Herranz-Celotti & Rouat, Fig. 3; stable_spike.md §5): networks are first brought to an
//! initial rate r by training only their biases (§5.3), then trained with or without a sparsity
//! term switched on gradually, for three surrogate shapes. The paper's runs (2022) used
//!
//! ```text
//! L_sp = λ s(e) Σ_l (1/BN) Σ_{b,i} | (1/T) Σ_t z^{(l)}_{t,b,i} − f |,   λ = 0.8 (sl-MNIST)
//! s(e) = 0 for e < E/5, then s ← 1 − 0.6 (1 − s) every batch (≈ 1 within 10 batches)
//! ```
//!
//! and the later official code s(e) Σ_l Σ_t (z̄^{(l)}_t − f)² with s a linear ramp from E/5 to
//! 3E/5 ([`SparsityLoss`]).
//!
//! Plateau scale (the notebook's default): the paper's neuron (τ₀ = 0.1, ϑ₀ = 0.01 learnable per
//! neuron, reset detached; [`crate::train::protocol`]) with `multreset2`, as in Fig. 3, and a
//! bias per neuron (what the rate targeting trains; the official code's `internal_current`),
//! 2 × 64 on sl-MNIST at 50 steps, batches of 64 over all 6,400 training digits, AdamW at
//! 3.16·10⁻³ with clipping at 1 (study 02's plateau setting); rate targeting 5 epochs at Adam
//! lr 10⁻²; E = 40 epochs as the schedules' time base, stopped once the validation loss has not
//! improved for 5 epochs after a warm-up that lasts until the sparsity term is fully on (epoch 9
//! for the 2022 switch, 24 for the ramp; [`SparsityLoss::warmup_epochs`]), so every selected
//! network was trained with its term; at most 40 epochs with the 2022 term and 80 with the later
//! one ([`PLATEAU_HEAD_EPOCH_LIMIT`]). Grid: r ∈ {0.01, 0.5, 0.9} × f ∈ {none, 0.1, 0.01} × SG ∈
//! {∂fast-sigmoid, triangular, exponential} × seeds 0–3 with the 2022 term (108 runs), and the
//! later term at f = 0.01 with the ∂fast-sigmoid (12 runs, [`head_sweep`]).
//!
//! Quick scale: r ∈ {0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99}, randman with 5 classes × 200 samples,
//! 20 units, 50 steps, one LIF layer of 64 (τ = 20, ϑ = 1), 10 epochs at lr 1e-2, rate
//! targeting 5 epochs at lr 0.1. Paper scale: Fig. 3's setting, 2 × 256 with `multreset2` on SHD
//! (250 steps of 4 ms), batch 256, lr 3.16·10⁻⁴, the paper's epochs, patience and wall-clock
//! stop; E = 450, the nominal SHD epochs, is the schedule's time base ([`paper_config`]).
//!
//! The paper's test is Pearson's r between accuracy and the initial or final rate of each layer
//! ([`correlations`]); since r is set by design, [`rate_tests`] adds a rank test across the
//! levels of r (Kruskal–Wallis) and Spearman's ρ for a monotone trend; [`sparsity_tests`]
//! checks what the sparsity term does to the final rate and to the accuracy, [`version_tests`]
//! compares the two versions of the term, and [`first_epoch`] whether networks started at a
//! high rate respond to their input.

use polars::prelude::{Column, DataFrame};

use super::{Scale, StudyError, arm_runs, results_path, rows_where};
use crate::data::randman::RandmanConfig;
use crate::data::slmnist::SlMnistConfig;
use crate::regularize::{RateLoss, RateRegularizer, Schedule};
use crate::results::Cell;
use crate::stats::{Alternative, CompareOptions, Correction, GroupTest, adjust, binomial_test, compare_groups, kruskal_wallis, pearson, spearman};
use crate::surrogate::{Shape, Surrogate};
use crate::table::{distinct, f64_column, fresh, string_column};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::dynamics::Reset;
use crate::neuron::NeuronConfig;
use crate::train::protocol::{self, PaperNeuron};
use crate::train::{OptimizerKind, RateTargeting, SpikeConfig, TaskConfig, TrainConfig};

/// The initial rates r at quick and paper scale (the paper's Fig. 3 grid).
pub const RATES: [f64; 7] = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99];
/// The initial rates r at plateau scale: the paper's grid thinned towards the 90-minute budget
/// (the 108 runs took 93 minutes two at a time on 2 cores): near-silent, the theory's ½ and 90 %.
pub const PLATEAU_RATES: [f64; 3] = [0.01, 0.5, 0.9];
/// The sparsity targets f (`None`: no sparsity term).
pub const TARGETS: [Option<f64>; 3] = [None, Some(0.1), Some(0.01)];
/// The surrogate shapes.
pub const SHAPES: [Shape; 3] = [Shape::FastSigmoid, Shape::Triangular, Shape::Exponential];
/// Column of the target initial rate.
pub const RATE: &str = "target_rate";
/// Column of the shape.
pub const SHAPE: &str = "shape";
/// Column of the sparsity target: "none", "f=0.1" or "f=0.01".
pub const SPARSITY: &str = "sparsity";
/// Column of the version of the sparsity term: "2022" or "head" ([`SparsityLoss::name`]).
pub const VERSION: &str = "sparsity_version";

/// The initial rates of the sweep at `scale`.
pub fn rates(scale: Scale) -> &'static [f64] {
    match scale {
        Scale::Plateau => &PLATEAU_RATES,
        Scale::Quick | Scale::Paper => &RATES,
    }
}

/// The version of the official code's sparsity term (stable_spike.md §5.1–5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparsityLoss {
    /// The paper's runs (Sept 2022): λ s(e) (1/BN) Σ_{b,i} |(1/T) Σ_t z_{t,b,i} − f| per layer,
    /// λ = 0.8 (sl-MNIST), s the exponential switch from E/5.
    Paper2022,
    /// The later official code: s(e) Σ_t (z̄_t − f)² per layer, z̄_t the population rate at
    /// step t, no weight (sglab averages over t, so λ = T), s a linear ramp from E/5 to 3E/5.
    Head,
}

impl SparsityLoss {
    /// "2022" or "head".
    pub fn name(self) -> &'static str {
        match self {
            SparsityLoss::Paper2022 => "2022",
            SparsityLoss::Head => "head",
        }
    }

    /// The regulariser of this version for target `f` on sequences of `steps` steps.
    pub fn regularizer(self, f: f64, steps: usize) -> RateRegularizer {
        match self {
            SparsityLoss::Paper2022 => RateRegularizer { weight: 0.8, target: f, form: RateLoss::Absolute, schedule: Schedule::default() },
            SparsityLoss::Head => RateRegularizer { weight: steps as f64, target: f, form: RateLoss::SquaredPerStep, schedule: Schedule::linear_ramp() },
        }
    }

    /// Epochs of `epochs` before the term is on in full: the 2022 switch starts at ⌊E/5⌋ and
    /// exceeds 0.99 within 10 batches, so epoch ⌊E/5⌋ + 1 (from 0) is the first trained with it
    /// throughout; the ramp reaches 1 at 3E/5.
    pub fn warmup_epochs(self, epochs: usize) -> usize {
        match self {
            SparsityLoss::Paper2022 => epochs / 5 + 1,
            SparsityLoss::Head => (3 * epochs).div_ceil(5),
        }
    }
}

/// One arm: the target initial rate, the sparsity target, the surrogate's shape and the
/// version of the sparsity term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparsityArm {
    /// Target initial rate r of the bias training.
    pub rate: f64,
    /// Target f of the sparsity term; `None`: no sparsity term.
    pub sparsity: Option<f64>,
    /// The surrogate's shape (γ = β = 1).
    pub shape: Shape,
    /// The version of the sparsity term (and of its schedule).
    pub version: SparsityLoss,
}

impl SparsityArm {
    /// "none" or "f=<target>".
    pub fn sparsity_label(&self) -> String {
        self.sparsity.map_or_else(|| "none".to_string(), |f| format!("f={f}"))
    }
}

impl std::fmt::Display for SparsityArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r={} {} {}", self.rate, self.sparsity_label(), self.shape.name())?;
        if self.version != SparsityLoss::Paper2022 {
            write!(f, " {}", self.version.name())?;
        }
        Ok(())
    }
}

impl ArmLabel for SparsityArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![
            (RATE.into(), Cell::Float(self.rate)),
            (SPARSITY.into(), Cell::Str(self.sparsity_label())),
            (SHAPE.into(), Cell::from(self.shape.name())),
            (VERSION.into(), Cell::from(self.version.name())),
        ]
    }
}

/// The configuration of one arm at `scale` (module docs).
fn config(scale: Scale, arm: SparsityArm) -> TrainConfig {
    let (task, epochs, batch_size, hidden, lr, targeting_epochs) = match scale {
        Scale::Quick => {
            let randman = RandmanConfig { classes: 5, units: 20, steps: 50, alpha: 2.0, samples_per_class: 200, seed: 0, ..Default::default() };
            (TaskConfig::Randman(randman), 10, 64, vec![64], 1e-2, 5)
        }
        Scale::Paper => return paper_config(arm),
        Scale::Plateau => return plateau_config(arm),
    };
    let mut config = TrainConfig::new(task, epochs);
    config.run.batch_size = batch_size;
    config.model.hidden_sizes = hidden;
    config.model.spike = SpikeConfig::surrogate(Surrogate::new(arm.shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape"));
    config.optimizer.kind = OptimizerKind::AdamW;
    config.optimizer.clip_norm = Some(1.0);
    config.optimizer.lr = lr;
    if arm.version != SparsityLoss::Paper2022 {
        config.run.warmup_epochs = arm.version.warmup_epochs(epochs);
    }
    let steps = protocol::task_steps(&config.task);
    let bptt = config.bptt_mut().expect("BPTT");
    bptt.rate_targeting = Some(RateTargeting { rate: arm.rate, epochs: targeting_epochs, lr: 0.1 });
    bptt.regularizer = arm.sparsity.map(|f| arm.version.regularizer(f, steps));
    config
}

/// The most epochs a plateau-scale run with the 2022 term trains; also E, the time base of the
/// schedule of both terms.
pub const PLATEAU_MAX_EPOCHS: usize = 40;
/// The most epochs a plateau-scale run with the later term trains: its ramp ends at 3E/5 = 24
/// and patience only counts from there, so the runs need longer than E = 40 to plateau (with a
/// limit of 40, 2 of 12 were stopped by it); the schedule keeps E = 40 as its time base.
pub const PLATEAU_HEAD_EPOCH_LIMIT: usize = 80;
/// The sequence length at plateau scale.
pub const PLATEAU_STEPS: usize = 50;
/// The plateau-scale learning rate (study 02's plateau grid, near the optimum for 2 × 64).
pub const PLATEAU_LR: f64 = 3.16e-3;

/// A plateau-scale run (module docs): sl-MNIST at 50 steps, 2 × 64 of the paper's LIF with
/// `multreset2` and a bias (what rate targeting trains), batches of 64, until plateau after the
/// warm-up.
fn plateau_config(arm: SparsityArm) -> TrainConfig {
    let task = TaskConfig::Slmnist(SlMnistConfig { steps: PLATEAU_STEPS, time_repeat: 1, ..protocol::slmnist() });
    let surrogate = Surrogate::new(arm.shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape");
    let mut config = protocol::train_config(task, vec![64, 64], PaperNeuron::Lif, surrogate, PLATEAU_LR, PLATEAU_MAX_EPOCHS);
    config.model.neuron = NeuronConfig::Lif(protocol::lif(Reset::MultReset2).with_bias(true));
    config.model.dropout = super::scale::dropout(Scale::Plateau);
    config.run.batch_size = 64;
    super::scale::until_plateau(&mut config, PLATEAU_MAX_EPOCHS);
    config.run.warmup_epochs = arm.version.warmup_epochs(PLATEAU_MAX_EPOCHS);
    if arm.version == SparsityLoss::Head {
        config.run.epoch_limit = Some(PLATEAU_HEAD_EPOCH_LIMIT);
    }
    let bptt = config.bptt_mut().expect("BPTT");
    bptt.rate_targeting = Some(RateTargeting { rate: arm.rate, epochs: PLATEAU_TARGETING_EPOCHS, lr: PLATEAU_TARGETING_LR });
    bptt.regularizer = arm.sparsity.map(|f| arm.version.regularizer(f, PLATEAU_STEPS));
    config
}

/// A paper-scale run (module docs): Fig. 3's setting, 2 × 256 of the paper's LIF with
/// `multreset2` and a bias on SHD (the files in [`crate::data::shd::default_dir`]), batches of
/// 256, AdamW at 3.16·10⁻⁴ with the SHD weight decay 0.01, dropout 0.3, the paper's epochs,
/// patience and wall-clock stop ([`protocol::paper_run_control`]); E = 450, the nominal SHD
/// epochs, is the schedule's time base; rate targeting [`PLATEAU_TARGETING_EPOCHS`] epochs at
/// lr [`PLATEAU_TARGETING_LR`].
fn paper_config(arm: SparsityArm) -> TrainConfig {
    let task = TaskConfig::Shd(protocol::shd());
    let steps = protocol::task_steps(&task);
    let surrogate = Surrogate::new(arm.shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape");
    let mut config = protocol::train_config(task, vec![256, 256], PaperNeuron::Lif, surrogate, protocol::LEARNING_RATE, protocol::EPOCHS);
    config.model.neuron = NeuronConfig::Lif(protocol::lif(Reset::MultReset2).with_bias(true));
    config.model.dropout = super::scale::dropout(Scale::Paper);
    protocol::paper_run_control(&mut config);
    config.run.warmup_epochs = arm.version.warmup_epochs(config.run.epochs);
    let bptt = config.bptt_mut().expect("BPTT");
    bptt.rate_targeting = Some(RateTargeting { rate: arm.rate, epochs: PLATEAU_TARGETING_EPOCHS, lr: PLATEAU_TARGETING_LR });
    bptt.regularizer = arm.sparsity.map(|f| arm.version.regularizer(f, steps));
    config
}

/// Epochs of bias training at plateau scale.
pub const PLATEAU_TARGETING_EPOCHS: usize = 5;
/// Adam's learning rate of the bias training at plateau scale (10⁻³ moves the biases too little
/// in a few epochs to reach 0.01 or 0.9 from the rate near 0.4 of zero biases).
pub const PLATEAU_TARGETING_LR: f64 = 1e-2;

/// The sweep at `scale` (module docs): r × f × shape × seeds 0–3 with the 2022 sparsity term.
pub fn sweep(scale: Scale) -> ArmSweep<SparsityArm> {
    let mut arms = Vec::new();
    for &rate in rates(scale) {
        for sparsity in TARGETS {
            for shape in SHAPES {
                let arm = SparsityArm { rate, sparsity, shape, version: SparsityLoss::Paper2022 };
                arms.push(Arm::new(arm, config(scale, arm)));
            }
        }
    }
    ArmSweep::new(arms, vec![0, 1, 2, 3])
}

/// The later official code's sparsity term at `scale` (module docs): r × f = 0.01 (Fig. 3's
/// target) × ∂fast-sigmoid × seeds 0–3; no arms at quick scale.
pub fn head_sweep(scale: Scale) -> ArmSweep<SparsityArm> {
    let arms = match scale {
        Scale::Quick => Vec::new(),
        Scale::Plateau | Scale::Paper => rates(scale)
            .iter()
            .map(|&rate| {
                let arm = SparsityArm { rate, sparsity: Some(0.01), shape: Shape::FastSigmoid, version: SparsityLoss::Head };
                Arm::new(arm, config(scale, arm))
            })
            .collect(),
    };
    ArmSweep::new(arms, vec![0, 1, 2, 3])
}

/// The 2022 sweep's runs table under [`super::results_dir`].
pub fn sweep_path(scale: Scale) -> std::path::PathBuf {
    results_path("03_sparsity", scale)
}

/// The later-schedule sweep's runs table under [`super::results_dir`].
pub fn head_path(scale: Scale) -> std::path::PathBuf {
    results_path("03_sparsity_head", scale)
}

/// Runs what is missing of the sweep and returns every run as a typed row.
pub fn runs(scale: Scale) -> Result<Vec<ArmRun<SparsityArm>>, StudyError> {
    arm_runs(&sweep(scale), &sweep_path(scale))
}

/// Runs what is missing of [`head_sweep`] and returns every run as a typed row.
pub fn head_runs(scale: Scale) -> Result<Vec<ArmRun<SparsityArm>>, StudyError> {
    arm_runs(&head_sweep(scale), &head_path(scale))
}

/// How far the runs of the 2022 sweep were trained, per arm ([`super::regime`]).
pub fn regime(scale: Scale) -> Result<DataFrame, StudyError> {
    super::regime(&sweep(scale), &sweep_path(scale))
}

/// How far the runs of the later-code sweep were trained, per arm ([`super::regime`]).
pub fn head_regime(scale: Scale) -> Result<DataFrame, StudyError> {
    super::regime(&head_sweep(scale), &head_path(scale))
}

/// [`first_epoch`] of the 2022 sweep at `scale`, with the task's classes and validation size.
pub fn first_epoch_at(scale: Scale) -> Result<DataFrame, StudyError> {
    let sweep = sweep(scale);
    let Some(point) = sweep.points().into_iter().next() else {
        return Err(StudyError::Unknown(format!("runs of the {} sweep of study 03", scale.name())));
    };
    let splits = point.config.task.load()?;
    first_epoch(&sweep, &sweep_path(scale), splits.train.classes(), splits.validation.len() as u64)
}

/// [`runs`] as a table: the arm's [`RATE`], [`SPARSITY`], [`SHAPE`] and [`VERSION`] columns,
/// seed and metrics.
pub fn run(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&runs(scale)?)?)
}

/// [`head_runs`] as a table (columns of [`run`]).
pub fn run_head(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&head_runs(scale)?)?)
}

/// The distinct values of `values`, in increasing order (the levels of r).
fn levels(values: &[f64]) -> Vec<f64> {
    let mut levels = values.to_vec();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    levels
}

/// The layers with rate columns in `runs` (`initial_rate_l0`, `initial_rate_l1`, …).
fn layers(runs: &DataFrame) -> usize {
    (0..).take_while(|l| runs.column(&format!("initial_rate_l{l}")).is_ok()).count()
}

/// Pearson's r (the paper's test) between `metric` and the measured initial and final rate of
/// every layer, per shape and sparsity label: columns shape, sparsity, layer, rate
/// (initial/final), n, r, p and p_holm (Holm over the whole table).
pub fn correlations(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut layer, mut which, mut n, mut r, mut p) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let y = f64_column(&rows, metric)?;
            for l in 0..layers(&rows) {
                for name in ["initial", "final"] {
                    let result = pearson(&f64_column(&rows, &format!("{name}_rate_l{l}"))?, &y, Alternative::TwoSided)?;
                    shape.push(s.clone());
                    sparsity.push(f.clone());
                    layer.push(l as u64);
                    which.push(name.to_string());
                    n.push(y.len() as u64);
                    r.push(result.statistic);
                    p.push(result.p_value);
                }
            }
        }
    }
    let holm = adjust(&p, Correction::Holm)?;
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new(SPARSITY.into(), sparsity),
        Column::new("layer".into(), layer),
        Column::new("rate".into(), which),
        Column::new("n".into(), n),
        Column::new("pearson_r".into(), r),
        Column::new("p".into(), p),
        Column::new("p_holm".into(), holm),
    ])?))
}

/// Whether the initial rate r matters, per shape and sparsity label: Kruskal–Wallis H across the
/// levels of r (each with its seeds) and Spearman's ρ between r and `metric`, with Holm
/// over the table for each test.
pub fn rate_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut n, mut h, mut p_h, mut rho, mut p_rho) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let (rate, y) = (f64_column(&rows, RATE)?, f64_column(&rows, metric)?);
            let groups: Vec<Vec<f64>> = levels(&rate).iter().map(|l| rate.iter().zip(&y).filter(|(r, _)| *r == l).map(|(_, v)| *v).collect()).collect();
            let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
            let kw = kruskal_wallis(&refs)?;
            let sp = spearman(&rate, &y, Alternative::TwoSided)?;
            shape.push(s.clone());
            sparsity.push(f.clone());
            n.push(y.len() as u64);
            h.push(kw.statistic);
            p_h.push(kw.p_value);
            rho.push(sp.statistic);
            p_rho.push(sp.p_value);
        }
    }
    let (holm_h, holm_rho) = (adjust(&p_h, Correction::Holm)?, adjust(&p_rho, Correction::Holm)?);
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new(SPARSITY.into(), sparsity),
        Column::new("n".into(), n),
        Column::new("kruskal_h".into(), h),
        Column::new("kruskal_p_holm".into(), holm_h),
        Column::new("spearman_rho".into(), rho),
        Column::new("spearman_p_holm".into(), holm_rho),
        Column::new("kruskal_p".into(), p_h),
        Column::new("spearman_p".into(), p_rho),
    ])?))
}

/// What the sparsity term changes in `metric` (e.g. `final_rate_l0`, or the accuracy): each f
/// against "none", paired by initial rate, shape and seed, two-sided Wilcoxon signed-rank, Holm
/// (columns of [`compare_groups`]).
pub fn sparsity_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let options = CompareOptions {
        test: GroupTest::Wilcoxon,
        pair_by: vec![RATE.into(), SHAPE.into(), "seed".into()],
        reference: Some("none".into()),
        correction: Correction::Holm,
        ..CompareOptions::default()
    };
    Ok(fresh(&compare_groups(runs, metric, SPARSITY, &options)?))
}

/// Per target initial rate r and sparsity label: the measured initial and final rates of every
/// layer and `metric` (means over shapes and seeds), the number of runs, and the largest
/// |measured initial rate − r| of any run and layer (how well the bias training hit its target).
pub fn rate_summary(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (rate, label, y) = (f64_column(runs, RATE)?, string_column(runs, SPARSITY)?, f64_column(runs, metric)?);
    let n_layers = layers(runs);
    let mut rates = Vec::new();
    for l in 0..n_layers {
        rates.push((format!("initial_rate_l{l}"), f64_column(runs, &format!("initial_rate_l{l}"))?));
    }
    for l in 0..n_layers {
        rates.push((format!("final_rate_l{l}"), f64_column(runs, &format!("final_rate_l{l}"))?));
    }
    let (mut r_col, mut f_col, mut n_col, mut m_col, mut worst) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rate_cols: Vec<Vec<f64>> = vec![Vec::new(); rates.len()];
    for r in levels(&rate) {
        for f in distinct(&label) {
            let idx: Vec<usize> = (0..rate.len()).filter(|&i| rate[i] == r && label[i] == f).collect();
            if idx.is_empty() {
                continue;
            }
            let pick = |v: &[f64]| crate::stats::mean(&idx.iter().map(|&i| v[i]).collect::<Vec<_>>());
            r_col.push(r);
            f_col.push(f.clone());
            n_col.push(idx.len() as u64);
            for (col, (_, values)) in rate_cols.iter_mut().zip(&rates) {
                col.push(pick(values));
            }
            m_col.push(pick(&y));
            worst.push(rates[..n_layers].iter().flat_map(|(_, v)| idx.iter().map(move |&i| (v[i] - r).abs())).fold(0.0, f64::max));
        }
    }
    let mut columns = vec![Column::new("target_initial_rate".into(), r_col), Column::new(SPARSITY.into(), f_col), Column::new("runs".into(), n_col)];
    for ((name, _), values) in rates.iter().zip(rate_cols) {
        columns.push(Column::new(name.as_str().into(), values));
    }
    columns.push(Column::new(metric.into(), m_col));
    columns.push(Column::new("max_initial_deviation".into(), worst));
    Ok(fresh(&DataFrame::new_infer_height(columns)?))
}

/// Whether the networks respond to their input from the start, per target initial rate: the
/// validation accuracy after the first epoch of training (mean and lowest over the runs), the
/// chance level 1/`classes`, and the one-sided exact binomial p of the lowest run against
/// chance on its `validation_samples` samples. From the sweep's history beside `path`.
pub fn first_epoch(sweep: &ArmSweep<SparsityArm>, path: &std::path::Path, classes: usize, validation_samples: u64) -> Result<DataFrame, StudyError> {
    let history = crate::results::read_parquet(&crate::train::sweep::history_path(path))?;
    let (ids, epochs, accuracy) = (string_column(&history, "run_id")?, f64_column(&history, "epoch")?, crate::table::optional_f64_column(&history, "val_accuracy")?);
    let first: std::collections::HashMap<&str, f64> = (0..ids.len()).filter(|&i| epochs[i] == 0.0).filter_map(|i| accuracy[i].map(|a| (ids[i].as_str(), a))).collect();
    let chance = 1.0 / classes as f64;
    let (mut r_col, mut n_col, mut mean_col, mut min_col, mut p_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let points = sweep.points();
    for r in levels(&points.iter().map(|p| p.arm.label.rate).collect::<Vec<_>>()) {
        let values: Vec<f64> = points.iter().filter(|p| p.arm.label.rate == r).filter_map(|p| first.get(p.run_id.as_str()).copied()).collect();
        if values.is_empty() {
            continue;
        }
        let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
        let correct = (lowest * validation_samples as f64).round() as u64;
        r_col.push(r);
        n_col.push(values.len() as u64);
        mean_col.push(crate::stats::mean(&values));
        min_col.push(lowest);
        p_col.push(binomial_test(correct, validation_samples, chance, Alternative::Greater)?.p_value);
    }
    let chance_col = vec![chance; r_col.len()];
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("target_initial_rate".into(), r_col),
        Column::new("runs".into(), n_col),
        Column::new("mean_epoch1_val_accuracy".into(), mean_col),
        Column::new("lowest_epoch1_val_accuracy".into(), min_col),
        Column::new("chance".into(), chance_col),
        Column::new("p_lowest_above_chance".into(), p_col),
    ])?))
}

/// The later official sparsity term against the 2022 one on `metric`, where both ran (f = 0.01,
/// ∂fast-sigmoid), paired by initial rate and seed: two-sided Wilcoxon signed-rank (columns of
/// [`compare_groups`]; group_a is "head", group_b the reference "2022").
pub fn version_tests(runs: &DataFrame, head: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (f, shape) = (head_label(head, SPARSITY)?, head_label(head, SHAPE)?);
    let matched = rows_where(&rows_where(runs, SPARSITY, &f)?, SHAPE, &shape)?;
    // Built column by column: a frame's cached schema can be stale in evcxr (crate::table).
    let (mut rate, mut version, mut seed, mut value) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for table in [&matched, head] {
        rate.extend(f64_column(table, RATE)?);
        version.extend(string_column(table, VERSION)?);
        seed.extend(f64_column(table, "seed")?);
        value.extend(f64_column(table, metric)?);
    }
    let both = DataFrame::new_infer_height(vec![
        Column::new(RATE.into(), rate),
        Column::new(VERSION.into(), version),
        Column::new("seed".into(), seed),
        Column::new(metric.into(), value),
    ])?;
    let options = CompareOptions {
        test: GroupTest::Wilcoxon,
        pair_by: vec![RATE.into(), "seed".into()],
        reference: Some(SparsityLoss::Paper2022.name().into()),
        correction: Correction::Holm,
        ..CompareOptions::default()
    };
    Ok(fresh(&compare_groups(&both, metric, VERSION, &options)?))
}

/// The one value of `column` in `table` (the later-code runs share one f and one shape).
fn head_label(table: &DataFrame, column: &str) -> Result<String, StudyError> {
    match distinct(&string_column(table, column)?).as_slice() {
        [one] => Ok(one.clone()),
        other => Err(StudyError::Unknown(format!("one value of {column} in the later-code runs, got {other:?}"))),
    }
}
