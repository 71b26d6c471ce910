//! The stability conditions of Herranz-Celotti & Rouat (stable_spike.md §4) as functions of a
//! layer's sizes, reset, decay α, threshold ϑ and weights — all on the host in f64.
//!
//! For one recurrent layer of n neurons with input weights W_in `[n_in, n]` and recurrent
//! weights W_rec `[n, n]` (pre × post, diagonal masked), spikes assumed Bernoulli(½) and the
//! input x with mean μ_x and per-sample variance σ²_x:
//!
//! ```text
//! I    E[v] = ϑ  (initial rate ½)       →  mean of W_rec, μ_rec:
//!        subtractive   ϑ = αϑ + (n−1)μ/2 − ϑ/2          μ = (3 − 2α) ϑ / (n − 1)
//!        multreset2    ϑ = αϑ/2 + (n−1)μ/2               μ = (2 − α) ϑ / (n − 1)
//!        multreset1    ϑ = (αϑ + (n−1)μ/2)/2             μ = 2(2 − α) ϑ / (n − 1)
//! II   Var(recurrent current) = Var(input current)
//!        (n−1)(σ²/2 + μ²/4) = n_in Var(W_in) (σ²_x + μ²_x)
//!        σ²_rec = 2 n_in Var(W_in) (σ²_x + μ²_x)/(n − 1) − μ²_rec/2
//! III  largest one-step Jacobian path = 1   →  dampening γ, per postsynaptic neuron j:
//!        γ_j = S⁻_j / (S⁺_j (S⁻_j − ϑ)) · (1 − α − n_in γ_in S⁺_in,j)
//!        S⁺_j = Σ_i max(0, W_rec,ij),  S⁻_j = Σ_i min(0, W_rec,ij),  S⁺_in,j the same over W_in;
//!        ϑ enters only for the subtractive reset (0 otherwise); for ϑ → 0, α + γ S⁺_j = 1.
//!      Scalar form: γ = w_min / (w_max ((n − 1) w_min − ϑ)) · (1 − α − n_in γ_in max W_in).
//! IV   expected Σ_k J²_jk = 1 (mean-square Jacobian into a neuron)  →  sharpness β or tail q,
//!        with E_m = E[σ′(v − ϑ)^m] over a voltage model ([`condition_iv_residual`])
//! ```
//!
//! What Condition IV's voltage model does (measured in tests/stability.rs on sl-MNIST, 784 → 128,
//! τ = 1, ϑ = 0.01, exponential surrogate with γ = 20): the β solved over the measured voltages
//! gives a measured mean-square Jacobian of 1.00–1.01; the β of the paper's uniform
//! extreme-range model gives 2.6, because the extreme range is far wider than the voltages a
//! network visits. At Condition III's γ the equation usually has no root at all: III bounds the
//! worst excitatory path Σ_k J⁺_jk by 1, which leaves Σ_k J²_jk far below 1 for n ≫ 1.
//!
//! Differences from the official code, on purpose: Condition I for multreset1 follows the same
//! argument as the other resets (the code has 2(1 − α)ϑ/(n − 1)); Condition II keeps the factor
//! 2 of the derivation (the code omits it) and means the variance σ²_rec itself (the code's
//! initialiser realises √σ²_rec / n); Condition III's input term uses W_in (the code uses W_rec,
//! which matters only for deeper layers with γ_in > 0). A variance that comes out negative is
//! reported as such and clamped to 0, never returned silently.

use serde::{Deserialize, Serialize};

use crate::dynamics::Reset;
use crate::surrogate::{Shape, Surrogate};

/// Mean and variance of a layer's input (the task's statistics for the first layer, (½, ¼) for
/// Bernoulli(½) spikes of a layer below).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InputMoments {
    /// μ_x.
    pub mean: f64,
    /// σ²_x.
    pub variance: f64,
}

impl InputMoments {
    /// The moments of Bernoulli(½) spikes, the input of every layer above the first.
    pub const SPIKES_AT_HALF: InputMoments = InputMoments { mean: 0.5, variance: 0.25 };
}

impl From<crate::data::InputStatistics> for InputMoments {
    fn from(s: crate::data::InputStatistics) -> Self {
        InputMoments { mean: s.mean, variance: s.variance }
    }
}

/// A dense matrix `[rows, cols]` in row-major order (rows = presynaptic, cols = postsynaptic).
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Row-major entries.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A matrix from row-major `data`; panics if the size does not match.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Self {
        assert_eq!(data.len(), rows * cols, "a [{rows}, {cols}] matrix needs {} entries", rows * cols);
        Matrix { rows, cols, data }
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Σ_i max(0, W_ij) and Σ_i min(0, W_ij) of column j, skipping i = j when `skip_diagonal`.
    pub fn column_sums(&self, j: usize, skip_diagonal: bool) -> (f64, f64) {
        (0..self.rows).filter(|&i| !(skip_diagonal && i == j)).fold((0.0, 0.0), |(p, m), i| {
            let w = self.get(i, j);
            (p + w.max(0.0), m + w.min(0.0))
        })
    }

    /// The entries in row-major order, without the diagonal when `skip_diagonal`.
    pub fn entries(&self, skip_diagonal: bool) -> impl Iterator<Item = f64> + '_ {
        (0..self.rows)
            .flat_map(move |i| (0..self.cols).map(move |j| (i, j)))
            .filter(move |&(i, j)| !(skip_diagonal && i == j))
            .map(|(i, j)| self.get(i, j))
    }

    /// Mean and (population) variance of the entries, skipping the diagonal when asked.
    pub fn moments(&self, skip_diagonal: bool) -> (f64, f64) {
        let values: Vec<f64> = self.entries(skip_diagonal).collect();
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        (mean, values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
    }
}

/// Condition I: the recurrent weight mean that puts E[v] at ϑ for a layer of n neurons.
pub fn condition_i_mean(reset: Reset, alpha: f64, threshold: f64, n: usize) -> f64 {
    let others = (n.max(2) - 1) as f64;
    match reset {
        Reset::Subtract => (3.0 - 2.0 * alpha) * threshold / others,
        Reset::MultReset2 => (2.0 - alpha) * threshold / others,
        Reset::MultReset1 => 2.0 * (2.0 - alpha) * threshold / others,
    }
}

/// A value a condition asked for, with what happened on the way.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// The value to use.
    pub value: f64,
    /// Whether the condition's equation was met exactly (a root in range, a non-negative
    /// variance); otherwise `value` is the closest admissible one.
    pub exact: bool,
    /// The equation's residual at `value` (0 for closed forms that hold).
    pub residual: f64,
}

/// Condition II: the recurrent weight variance that equalises recurrent and input current
/// variances. `w_in_variance` is the variance of the sampled W_in.
pub fn condition_ii_variance(input: InputMoments, w_in_variance: f64, n_in: usize, n: usize, mu_rec: f64) -> Solution {
    let others = (n.max(2) - 1) as f64;
    let second_moment = input.variance + input.mean * input.mean;
    let sigma2 = 2.0 * n_in as f64 * w_in_variance * second_moment / others - mu_rec * mu_rec / 2.0;
    if sigma2 >= 0.0 {
        Solution { value: sigma2, exact: true, residual: 0.0 }
    } else {
        // Even σ² = 0 leaves a recurrent variance of (n−1)μ²/4 above the input variance.
        Solution { value: 0.0, exact: false, residual: -sigma2 }
    }
}

/// Condition III, per postsynaptic neuron: γ_j (module docs). `threshold` is ϑ for the
/// subtractive reset and 0 for the multiplicative ones; `gamma_in` the dampening of the layer
/// below (0 for the first layer) and `w_in` its input weights.
pub fn condition_iii_dampening(w_rec: &Matrix, w_in: &Matrix, alpha: f64, threshold: f64, gamma_in: f64) -> Vec<f64> {
    let n_in = w_in.rows as f64;
    (0..w_rec.cols)
        .map(|j| {
            let (plus, minus) = w_rec.column_sums(j, true);
            let (plus_in, _) = w_in.column_sums(j, false);
            // S⁻/(S⁻ − ϑ) → 1 as ϑ → 0, also when the neuron has no inhibitory input.
            let inhibition = if minus - threshold == 0.0 { 1.0 } else { minus / (minus - threshold) };
            inhibition / plus * (1.0 - alpha - n_in * gamma_in * plus_in)
        })
        .collect()
}

/// The threshold that enters Conditions III and IV: ϑ for the subtractive reset, 0 otherwise.
pub fn reset_threshold(reset: Reset, threshold: f64) -> f64 {
    if reset == Reset::Subtract { threshold } else { 0.0 }
}

/// A root of `f` in [lo, hi] found by scanning `grid` log-spaced points for a sign change and
/// bisecting it to `tol`; without a sign change, the grid point with the smallest |f| refined by
/// golden-section search, marked inexact. Deterministic.
pub fn solve_root(f: impl Fn(f64) -> f64, lo: f64, hi: f64, grid: usize, tol: f64) -> Solution {
    assert!(lo > 0.0 && hi > lo && grid >= 2, "a range 0 < lo < hi and at least 2 grid points");
    let point = |k: usize| lo * (hi / lo).powf(k as f64 / (grid - 1) as f64);
    let values: Vec<(f64, f64)> = (0..grid).map(|k| (point(k), f(point(k)))).collect();
    for w in values.windows(2) {
        let ((a, fa), (b, fb)) = (w[0], w[1]);
        if fa == 0.0 {
            return Solution { value: a, exact: true, residual: 0.0 };
        }
        if fa.signum() != fb.signum() {
            let (mut a, mut b, mut fa) = (a, b, fa);
            while b - a > tol * a.max(1e-300) {
                let m = 0.5 * (a + b);
                let fm = f(m);
                if fm.signum() == fa.signum() {
                    (a, fa) = (m, fm);
                } else {
                    b = m;
                }
            }
            let x = 0.5 * (a + b);
            return Solution { value: x, exact: true, residual: f(x) };
        }
    }
    let k = (0..grid).min_by(|&i, &j| values[i].1.abs().total_cmp(&values[j].1.abs())).expect("grid ≥ 2");
    let (mut a, mut b) = (point(k.saturating_sub(1)), point((k + 1).min(grid - 1)));
    let g = |x: f64| f(x).abs();
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    while b - a > tol * a.max(1e-300) {
        let (c, d) = (b - phi * (b - a), a + phi * (b - a));
        if g(c) < g(d) { b = d } else { a = c }
    }
    let x = 0.5 * (a + b);
    Solution { value: x, exact: false, residual: f(x) }
}

/// What the one-step Jacobian of a layer depends on besides its weights and surrogate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerDynamics {
    /// The reset rule.
    pub reset: Reset,
    /// Whether the reset carries no gradient (the official code always detaches it).
    pub detach_reset: bool,
    /// Decay α.
    pub alpha: f64,
    /// Threshold ϑ.
    pub threshold: f64,
}

/// The mean-square one-step Jacobian equation of Condition IV, as a residual that is 0 when
/// the expected Σ_k J²_jk of the entries into a neuron is 1 (stable_spike.md §4.4). For spikes
/// at rate ½ (Condition I), w² the mean square of the incoming recurrent weights and
/// E_m = E[σ′(v − ϑ)^m] over the voltage distribution:
///
/// ```text
/// subtractive, tracked reset    −1 + α² − 2αϑE₁ + ((n − 1) w² + ϑ²) E₂
/// subtractive, detached reset   −1 + α² + (n − 1) w² E₂
/// multreset2                    −1 + α²/2 + (n − 1) w² E₂
/// multreset1                    −2 + α² + (n − 1) w² E₂
/// ```
///
/// These are the expectations of [`one_step_jacobian`](super::diagnostics::one_step_jacobian)'s
/// rows, with σ′ independent of the weights. The paper's subtractive equation keeps ϑ²E₂ but
/// drops the cross term −2αϑE₁ (negligible at its α ≈ e^{−10}); its multiplicative equations
/// are those of a detached reset (the official code always detaches), so with a tracked
/// multiplicative reset the diagonal term −α v_j σ′_j is left out here too.
pub fn condition_iv_residual(dynamics: LayerDynamics, n: usize, w2: f64, e1: f64, e2: f64) -> f64 {
    let LayerDynamics { reset, detach_reset, alpha, threshold } = dynamics;
    let others = (n.max(2) - 1) as f64;
    match reset {
        Reset::Subtract if detach_reset => -1.0 + alpha * alpha + others * w2 * e2,
        Reset::Subtract => -1.0 + alpha * alpha - 2.0 * alpha * threshold * e1 + (others * w2 + threshold * threshold) * e2,
        Reset::MultReset2 => -1.0 + alpha * alpha / 2.0 + others * w2 * e2,
        Reset::MultReset1 => -2.0 + alpha * alpha + others * w2 * e2,
    }
}

/// The voltage distribution Condition IV averages the surrogate over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VoltageModel<'a> {
    /// The paper's: per postsynaptic neuron, uniform on its extreme stationary range
    /// ([`voltage_range`]).
    ExtremeRange,
    /// Measured v − ϑ of the layer (over steps, batch and neurons) on a batch of the task at
    /// this initialisation, pooled over neurons (at most [`MAX_VOLTAGE_SAMPLES`], evenly
    /// strided). The forward pass does not depend on γ, β or q, so these are the voltages the
    /// Jacobian will see.
    Measured(&'a [f64]),
}

/// Measured voltages Condition IV averages over, at most (evenly strided from the batch's).
pub const MAX_VOLTAGE_SAMPLES: usize = 16_384;

/// At most `max` of `samples`, evenly strided.
fn evenly_strided(samples: &[f64], max: usize) -> Vec<f64> {
    if samples.len() <= max {
        return samples.to_vec();
    }
    (0..max).map(|k| samples[k * samples.len() / max]).collect()
}

/// E_m = mean of σ′(x)^m over samples x of v − ϑ.
pub fn surrogate_sample_power(s: &Surrogate, m: i32, samples: &[f64]) -> f64 {
    samples.iter().map(|&x| s.derivative(x).powi(m)).sum::<f64>() / samples.len().max(1) as f64
}

/// The voltage range Condition IV assumes for postsynaptic neuron j: uniform on
/// [(S⁻_rec + S⁻_in − ϑ)/(1 − α), (S⁺_rec + S⁺_in)/(1 − α)], the extreme stationary voltages when
/// every inhibitory (excitatory) source fires at every step; ϑ only for the subtractive reset.
pub fn voltage_range(w_rec: &Matrix, w_in: &Matrix, j: usize, alpha: f64, threshold: f64) -> (f64, f64) {
    let (p, m) = w_rec.column_sums(j, true);
    let (p_in, m_in) = w_in.column_sums(j, false);
    ((m + m_in - threshold) / (1.0 - alpha), (p + p_in) / (1.0 - alpha))
}

/// E_m = mean of σ′(v − ϑ)^m for v uniform on [y_min, y_max]: closed form for the exponential
/// surrogate, E_m = γ^m/(β(y_max − y_min)) [A_m(β(y_max − ϑ)) − A_m(β(y_min − ϑ))] with
/// A_m(u) = sign(u)(1 − e^{−2m|u|})/(2m); composite Simpson's rule on 2,000 intervals otherwise.
pub fn surrogate_mean_power(s: &Surrogate, m: i32, y_min: f64, y_max: f64, threshold: f64) -> f64 {
    let width = y_max - y_min;
    if !(width > 0.0) {
        return s.derivative(y_min - threshold).powi(m);
    }
    if s.shape() == Shape::Exponential {
        let a = |u: f64| u.signum() * (1.0 - (-2.0 * f64::from(m) * u.abs()).exp()) / (2.0 * f64::from(m));
        let beta = s.sharpness();
        return s.dampening().powi(m) / (beta * width) * (a(beta * (y_max - threshold)) - a(beta * (y_min - threshold)));
    }
    let intervals = 2000;
    let h = width / intervals as f64;
    let f = |k: usize| s.derivative(y_min + k as f64 * h - threshold).powi(m);
    let inner: f64 = (1..intervals).map(|k| if k % 2 == 1 { 4.0 * f(k) } else { 2.0 * f(k) }).sum();
    (f(0) + inner + f(intervals)) * h / 3.0 / width
}

/// What Condition IV adjusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionIvTarget {
    /// The sharpness β of the surrogate (the paper: exponential shape).
    Sharpness,
    /// The tail fatness q of the q-PseudoSpike (β kept).
    Tail,
}

/// Condition IV per postsynaptic neuron: the β (or q) of `surrogate` (with its dampening γ,
/// usually Condition III's) that makes the mean-square Jacobian 1, searched on
/// β ∈ [0.01, 100] or q ∈ [1.01, 100], with E_m averaged over `voltages`. Neurons without a
/// root get the minimiser of the residual's magnitude with `exact = false`.
pub fn condition_iv(
    surrogate: &Surrogate,
    target: ConditionIvTarget,
    w_rec: &Matrix,
    w_in: &Matrix,
    dynamics: LayerDynamics,
    voltages: VoltageModel,
) -> Vec<Solution> {
    let theta = reset_threshold(dynamics.reset, dynamics.threshold);
    let with = |x: f64| {
        match target {
            ConditionIvTarget::Sharpness => Surrogate::new(surrogate.shape(), surrogate.dampening(), x),
            ConditionIvTarget::Tail => Surrogate::new(Shape::PseudoSpike { tail: x }, surrogate.dampening(), surrogate.sharpness()),
        }
        .expect("the search ranges keep β > 0 and q > 1")
    };
    let (lo, hi) = match target {
        ConditionIvTarget::Sharpness => (0.01, 100.0),
        ConditionIvTarget::Tail => (1.01, 100.0),
    };
    let pooled = match voltages {
        VoltageModel::Measured(samples) => evenly_strided(samples, MAX_VOLTAGE_SAMPLES),
        VoltageModel::ExtremeRange => Vec::new(),
    };
    (0..w_rec.cols)
        .map(|j| {
            let w2 = (0..w_rec.rows).filter(|&i| i != j).map(|i| w_rec.get(i, j).powi(2)).sum::<f64>() / (w_rec.rows.max(2) - 1) as f64;
            let powers = |s: &Surrogate| match voltages {
                VoltageModel::ExtremeRange => {
                    let (y_min, y_max) = voltage_range(w_rec, w_in, j, dynamics.alpha, theta);
                    (
                        surrogate_mean_power(s, 1, y_min, y_max, dynamics.threshold),
                        surrogate_mean_power(s, 2, y_min, y_max, dynamics.threshold),
                    )
                }
                VoltageModel::Measured(_) => (surrogate_sample_power(s, 1, &pooled), surrogate_sample_power(s, 2, &pooled)),
            };
            let residual = |x: f64| {
                let (e1, e2) = powers(&with(x));
                condition_iv_residual(dynamics, w_rec.cols, w2, e1, e2)
            };
            solve_root(residual, lo, hi, 60, 1e-9)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_i_solves_its_stationarity_equation() {
        let (alpha, theta, n) = (0.9, 1.0, 101);
        let mu = condition_i_mean(Reset::Subtract, alpha, theta, n);
        assert!((alpha * theta + 100.0 * mu / 2.0 - theta / 2.0 - theta).abs() < 1e-12);
        let mu = condition_i_mean(Reset::MultReset2, alpha, theta, n);
        assert!((alpha * theta / 2.0 + 100.0 * mu / 2.0 - theta).abs() < 1e-12);
        let mu = condition_i_mean(Reset::MultReset1, alpha, theta, n);
        assert!(((alpha * theta + 100.0 * mu / 2.0) / 2.0 - theta).abs() < 1e-12);
    }

    #[test]
    fn condition_ii_equalises_the_two_variances() {
        let input = InputMoments { mean: 0.1, variance: 0.09 };
        let (n_in, n, var_in, mu) = (50, 41, 0.02, 0.01);
        let s = condition_ii_variance(input, var_in, n_in, n, mu);
        assert!(s.exact);
        let recurrent = 40.0 * (s.value / 2.0 + mu * mu / 4.0);
        let inputs = 50.0 * var_in * (0.09 + 0.01);
        assert!((recurrent - inputs).abs() < 1e-12);
        let none = condition_ii_variance(input, 0.0, n_in, n, 1.0);
        assert!(!none.exact && none.value == 0.0 && none.residual > 0.0);
    }

    #[test]
    fn condition_iii_makes_the_worst_excitatory_path_one_without_threshold() {
        // Column 0 (off the diagonal): S⁺ = 2 + 0.5, S⁻ = 0; column 1: S⁺ = 0.5, S⁻ = −1.
        let w = Matrix::new(3, 3, vec![9.0, 0.5, 0.0, 2.0, 9.0, 0.0, 0.5, -1.0, 9.0]);
        let w_in = Matrix::new(1, 3, vec![0.0; 3]);
        let gamma = condition_iii_dampening(&w, &w_in, 0.2, 0.0, 0.0);
        assert!((0.2 + gamma[0] * 2.5 - 1.0).abs() < 1e-12, "{gamma:?}");
        assert!((0.2 + gamma[1] * 0.5 - 1.0).abs() < 1e-12, "{gamma:?}");
        // With a threshold (subtractive reset) the inhibition S⁻ = −1 scales γ by S⁻/(S⁻ − ϑ).
        let with_theta = condition_iii_dampening(&w, &w_in, 0.2, 0.5, 0.0);
        assert!((with_theta[1] - gamma[1] * (-1.0 / -1.5)).abs() < 1e-12);
    }

    #[test]
    fn root_finder_finds_roots_and_flags_their_absence() {
        let s = solve_root(|x| x * x - 2.0, 0.1, 10.0, 50, 1e-12);
        assert!(s.exact && (s.value - 2f64.sqrt()).abs() < 1e-9);
        let s = solve_root(|x| (x - 3.0).powi(2) + 1.0, 0.1, 10.0, 50, 1e-10);
        assert!(!s.exact && (s.value - 3.0).abs() < 1e-4 && (s.residual - 1.0).abs() < 1e-6);
    }

    #[test]
    fn exponential_mean_powers_match_numeric_integration() {
        // The closed form against Simpson's rule on the same surrogate through another shape
        // path: integrate γ^m e^{−2mβ|v−ϑ|} directly.
        let s = Surrogate::new(Shape::Exponential, 0.7, 1.3).unwrap();
        for (m, lo, hi, theta) in [(1, -2.0, 3.0, 0.5), (2, -0.4, 0.1, 0.2), (2, 0.5, 4.0, 0.0)] {
            let closed = surrogate_mean_power(&s, m, lo, hi, theta);
            let n = 200_000;
            let h = (hi - lo) / n as f64;
            let numeric: f64 = (0..n)
                .map(|k| {
                    let v = lo + (k as f64 + 0.5) * h;
                    (0.7f64).powi(m) * (-2.0 * f64::from(m) * 1.3 * (v - theta).abs()).exp()
                })
                .sum::<f64>()
                * h
                / (hi - lo);
            assert!((closed - numeric).abs() < 1e-8, "m {m}: {closed} vs {numeric}");
        }
    }
}
