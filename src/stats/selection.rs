//! Testing a chosen point against the best of a grid, accounting for the choice.
//!
//! A sweep evaluates G grid points on the same n seeds; a prediction names one point p. Testing
//! p against the grid's *observed* optimum with an ordinary t test ignores that the optimum was
//! picked because it looked best (the winner's curse), so its p-value is too small. The max-t
//! test asks instead whether *any* grid point beats p:
//!
//! ```text
//! d_gs = m_gs − m_ps                        paired by seed s
//! t_g  = d̄_g / (s_g / √n)                  for every g ≠ p with s_g > 0
//! M    = max_g t_g
//! p    = #{flips ε ∈ {±1}ⁿ : max_g t_g(ε ⊙ d) ≥ M} / #flips
//! ```
//!
//! Flipping the sign of a seed's whole difference vector (every grid point at once) keeps the
//! dependence between grid points, so the null distribution of the maximum is exact under the
//! hypothesis that no grid point differs from p (Westfall & Young's single-step max-T). All 2ⁿ
//! flips are enumerated for n ≤ [`EXACT_SEEDS`], otherwise [`RANDOM_FLIPS`] seeded random flips
//! are drawn (plus the identity).

use rand::RngExt;

use super::{StatsError, mean, variance};

/// Up to this many seeds every sign flip is enumerated.
pub const EXACT_SEEDS: usize = 16;
/// Random flips drawn above [`EXACT_SEEDS`].
pub const RANDOM_FLIPS: usize = 100_000;

/// The outcome of a max-t test.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxT {
    /// The largest t of a grid point against the chosen point.
    pub statistic: f64,
    /// Index (into the rows given) of the grid point with that t.
    pub argmax: usize,
    /// The permutation p-value of "some grid point beats the chosen point".
    pub p_value: f64,
    /// Sign flips used.
    pub flips: usize,
}

fn t_statistics(differences: &[Vec<f64>], signs: &[f64]) -> f64 {
    differences
        .iter()
        .filter_map(|d| {
            let flipped: Vec<f64> = d.iter().zip(signs).map(|(v, s)| v * s).collect();
            let sd = variance(&flipped, 1).sqrt();
            (sd > 0.0).then(|| mean(&flipped) / (sd / (flipped.len() as f64).sqrt()))
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The max-t test (module docs) on `differences[g][s]` = metric of grid point g on seed s minus
/// that of the chosen point on seed s (rows that are all zero, such as the chosen point itself,
/// are skipped). `seed` drives the random flips when there are more than [`EXACT_SEEDS`] seeds.
pub fn max_t_sign_flip(differences: &[Vec<f64>], seed: u64) -> Result<MaxT, StatsError> {
    let n = differences.first().map_or(0, Vec::len);
    if n < 2 {
        return Err(StatsError::TooFew { what: "max-t: seeds per grid point".into(), needed: 2, got: n });
    }
    if let Some((g, d)) = differences.iter().enumerate().find(|(_, d)| d.len() != n) {
        return Err(StatsError::Unpaired { what: format!("max-t: grid point {g} against grid point 0"), first: n, second: d.len() });
    }
    if differences.iter().flatten().any(|v| !v.is_finite()) {
        return Err(StatsError::Degenerate { what: "max-t".into(), message: "a difference is NaN or infinite".into() });
    }
    let identity = vec![1.0; n];
    let statistic = t_statistics(differences, &identity);
    if !statistic.is_finite() {
        return Err(StatsError::Degenerate { what: "max-t".into(), message: "no grid point has differences with non-zero spread".into() });
    }
    let argmax = differences
        .iter()
        .enumerate()
        .filter_map(|(g, d)| {
            let sd = variance(d, 1).sqrt();
            (sd > 0.0).then(|| (g, mean(d) / (sd / (n as f64).sqrt())))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(g, _)| g)
        .expect("a finite statistic has a grid point");
    let at_least = |signs: &[f64]| t_statistics(differences, signs) >= statistic - 1e-12 * statistic.abs().max(1.0);
    let (hits, flips) = if n <= EXACT_SEEDS {
        let total = 1usize << n;
        let hits = (0..total).filter(|mask| at_least(&(0..n).map(|s| if mask >> s & 1 == 1 { -1.0 } else { 1.0 }).collect::<Vec<_>>())).count();
        (hits, total)
    } else {
        let mut rng = crate::rng::rng(seed, 0x4D41_5854); // "MAXT"
        let hits = 1 + (0..RANDOM_FLIPS).filter(|_| at_least(&(0..n).map(|_| if rng.random_bool(0.5) { -1.0 } else { 1.0 }).collect::<Vec<_>>())).count();
        (hits, RANDOM_FLIPS + 1)
    };
    Ok(MaxT { statistic, argmax, p_value: hits as f64 / flips as f64, flips })
}
