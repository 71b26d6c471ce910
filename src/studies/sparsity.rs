//! Study 03, a high initial firing rate with a gradually introduced sparsity loss
//! (Herranz-Celotti & Rouat, Fig. 3; stable_spike.md §5): networks are first brought to an
//! initial rate r by training only their biases (§5.3), then trained with or without the
//! sparsity term λ s(e) mean_{b,i} |rate − f| switched on by the 2022 exponential schedule
//! (§5.1), for three surrogate shapes.
//!
//! Grid: r ∈ {0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99} × f ∈ {none, 0.1, 0.01} × SG ∈
//! {∂fast-sigmoid, triangular, exponential} × seeds 0–3. Quick scale: randman with 5 classes ×
//! 200 samples, 20 units, 50 steps, one LIF layer of 64, 10 epochs at lr 1e-2 (AdamW, clip 1),
//! rate targeting 5 epochs at lr 0.1, λ = 0.8 (the paper's sl-MNIST value). Paper scale:
//! 2 × 128 on sl-MNIST at 100 steps for 40 epochs, lr 3.16e-4, rate targeting 15 epochs.
//!
//! The paper's test is Pearson's r between accuracy and the initial or final rate
//! ([`correlations`]); since r is set by design, [`rate_tests`] adds a rank test across the
//! seven levels of r (Kruskal–Wallis) and Spearman's ρ for a monotone trend; [`sparsity_tests`]
//! checks what the sparsity term does to the final rate and to the accuracy.

use polars::prelude::{Column, DataFrame};

use super::{Scale, StudyError, arm_runs, results_path, rows_where};
use crate::data::randman::RandmanConfig;
use crate::data::slmnist::SlMnistConfig;
use crate::regularize::{RateLoss, RateRegularizer, Schedule};
use crate::results::Cell;
use crate::stats::{Alternative, CompareOptions, Correction, GroupTest, adjust, compare_groups, kruskal_wallis, pearson, spearman};
use crate::surrogate::{Shape, Surrogate};
use crate::table::{distinct, f64_column, fresh, string_column};
use crate::train::arms::{Arm, ArmLabel, ArmRun, ArmSweep, runs_frame};
use crate::train::{OptimizerKind, RateTargeting, SpikeConfig, TaskConfig, TrainConfig};

/// The initial rates r.
pub const RATES: [f64; 7] = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99];
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

/// One arm: the target initial rate, the sparsity target and the surrogate's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparsityArm {
    /// Target initial rate r of the bias training.
    pub rate: f64,
    /// Target f of the sparsity term; `None`: no sparsity term.
    pub sparsity: Option<f64>,
    /// The surrogate's shape (γ = β = 1).
    pub shape: Shape,
}

impl SparsityArm {
    /// "none" or "f=<target>".
    pub fn sparsity_label(&self) -> String {
        self.sparsity.map_or_else(|| "none".to_string(), |f| format!("f={f}"))
    }
}

impl std::fmt::Display for SparsityArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r={} {} {}", self.rate, self.sparsity_label(), self.shape.name())
    }
}

impl ArmLabel for SparsityArm {
    fn columns(&self) -> Vec<(String, Cell)> {
        vec![(RATE.into(), Cell::Float(self.rate)), (SPARSITY.into(), Cell::Str(self.sparsity_label())), (SHAPE.into(), Cell::from(self.shape.name()))]
    }
}

/// The sparsity term for target `f` (module docs): λ = 0.8, absolute deviation, the 2022
/// exponential switch.
fn regularizer(f: f64) -> RateRegularizer {
    RateRegularizer { weight: 0.8, target: f, form: RateLoss::Absolute, schedule: Schedule::ExponentialSwitch { start: 0.2, end: 0.75, factor: 0.6 } }
}

/// The configuration of one arm at `scale` (module docs).
fn config(scale: Scale, arm: SparsityArm) -> TrainConfig {
    let (task, epochs, batch_size, hidden, lr, targeting_epochs) = match scale {
        Scale::Quick => {
            let randman = RandmanConfig { classes: 5, units: 20, steps: 50, alpha: 2.0, samples_per_class: 200, seed: 0, ..Default::default() };
            (TaskConfig::Randman(randman), 10, 64, vec![64], 1e-2, 5)
        }
        Scale::Paper => (TaskConfig::Slmnist(SlMnistConfig { steps: 100, ..Default::default() }), 40, 256, vec![128, 128], 3.16e-4, 15),
        Scale::Plateau => panic!("{}", super::scale::no_grid("03", scale)),
    };
    let mut config = TrainConfig::new(task, epochs);
    config.run.batch_size = batch_size;
    config.model.hidden_sizes = hidden;
    config.model.spike = SpikeConfig::surrogate(Surrogate::new(arm.shape, 1.0, 1.0).expect("γ = β = 1 is valid for every shape"));
    config.optimizer.kind = OptimizerKind::AdamW;
    config.optimizer.clip_norm = Some(1.0);
    config.optimizer.lr = lr;
    let bptt = config.bptt_mut().expect("BPTT");
    bptt.rate_targeting = Some(RateTargeting { rate: arm.rate, epochs: targeting_epochs, lr: 0.1 });
    bptt.regularizer = arm.sparsity.map(regularizer);
    config
}

/// The sweep at `scale` (module docs): r × f × shape × seeds 0–3.
pub fn sweep(scale: Scale) -> ArmSweep<SparsityArm> {
    let mut arms = Vec::new();
    for rate in RATES {
        for sparsity in TARGETS {
            for shape in SHAPES {
                let arm = SparsityArm { rate, sparsity, shape };
                arms.push(Arm::new(arm, config(scale, arm)));
            }
        }
    }
    ArmSweep::new(arms, vec![0, 1, 2, 3])
}

/// Runs what is missing of the sweep and returns every run as a typed row.
pub fn runs(scale: Scale) -> Result<Vec<ArmRun<SparsityArm>>, StudyError> {
    arm_runs(&sweep(scale), &results_path("03_sparsity", scale))
}

/// [`runs`] as a table: the arm's [`RATE`], [`SPARSITY`] and [`SHAPE`] columns, seed and metrics.
pub fn run(scale: Scale) -> Result<DataFrame, StudyError> {
    Ok(runs_frame(&runs(scale)?)?)
}

/// Pearson's r (the paper's test) between `metric` and the measured initial and final rate of
/// layer 0, per shape and sparsity label: columns shape, sparsity, rate (initial/final), n, r,
/// p and p_holm (Holm over the whole table).
pub fn correlations(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut which, mut n, mut r, mut p) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let y = f64_column(&rows, metric)?;
            for (name, column) in [("initial", "initial_rate_l0"), ("final", "final_rate_l0")] {
                let result = pearson(&f64_column(&rows, column)?, &y, Alternative::TwoSided)?;
                shape.push(s.clone());
                sparsity.push(f.clone());
                which.push(name.to_string());
                n.push(y.len() as u64);
                r.push(result.statistic);
                p.push(result.p_value);
            }
        }
    }
    let holm = adjust(&p, Correction::Holm)?;
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new(SPARSITY.into(), sparsity),
        Column::new("rate".into(), which),
        Column::new("n".into(), n),
        Column::new("pearson_r".into(), r),
        Column::new("p".into(), p),
        Column::new("p_holm".into(), holm),
    ])?))
}

/// Whether the initial rate r matters, per shape and sparsity label: Kruskal–Wallis H across the
/// seven levels of r (each with its seeds) and Spearman's ρ between r and `metric`, with Holm
/// over the table for each test.
pub fn rate_tests(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (mut shape, mut sparsity, mut n, mut h, mut p_h, mut rho, mut p_rho) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in distinct(&string_column(runs, SHAPE)?) {
        let by_shape = rows_where(runs, SHAPE, &s)?;
        for f in distinct(&string_column(&by_shape, SPARSITY)?) {
            let rows = rows_where(&by_shape, SPARSITY, &f)?;
            let (rate, y) = (f64_column(&rows, RATE)?, f64_column(&rows, metric)?);
            let mut levels = rate.clone();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            let groups: Vec<Vec<f64>> = levels.iter().map(|l| rate.iter().zip(&y).filter(|(r, _)| *r == l).map(|(_, v)| *v).collect()).collect();
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

/// Per target initial rate r and sparsity label: the measured initial and final rates of
/// layer 0 and `metric`, means over shapes and seeds, with the number of runs.
pub fn rate_summary(runs: &DataFrame, metric: &str) -> Result<DataFrame, StudyError> {
    let (rate, label) = (f64_column(runs, RATE)?, string_column(runs, SPARSITY)?);
    let (initial, last, y) = (f64_column(runs, "initial_rate_l0")?, f64_column(runs, "final_rate_l0")?, f64_column(runs, metric)?);
    let (mut r_col, mut f_col, mut n_col, mut i_col, mut l_col, mut m_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut levels = rate.clone();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    for r in levels {
        for f in distinct(&label) {
            let idx: Vec<usize> = (0..rate.len()).filter(|&i| rate[i] == r && label[i] == f).collect();
            if idx.is_empty() {
                continue;
            }
            let pick = |v: &[f64]| crate::stats::mean(&idx.iter().map(|&i| v[i]).collect::<Vec<_>>());
            r_col.push(r);
            f_col.push(f.clone());
            n_col.push(idx.len() as u64);
            i_col.push(pick(&initial));
            l_col.push(pick(&last));
            m_col.push(pick(&y));
        }
    }
    Ok(fresh(&DataFrame::new_infer_height(vec![
        Column::new("target_initial_rate".into(), r_col),
        Column::new(SPARSITY.into(), f_col),
        Column::new("runs".into(), n_col),
        Column::new("initial_rate_l0".into(), i_col),
        Column::new("final_rate_l0".into(), l_col),
        Column::new(metric.into(), m_col),
    ])?))
}
