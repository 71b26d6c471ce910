//! Equivalence tests: two one-sided tests (TOST, Schuirmann 1987) of whether a difference lies
//! within a margin ±δ stated before the data were seen.
//!
//! ```text
//! H0: |μ_x − μ_y| ≥ δ        H1: −δ < μ_x − μ_y < δ
//! lower   H0: μ_x − μ_y ≤ −δ   one-sided t test of (x + δ) against y, alternative "greater"
//! upper   H0: μ_x − μ_y ≥ +δ   one-sided t test of (x − δ) against y, alternative "less"
//! p = max(p_lower, p_upper)
//! ```
//!
//! Rejecting at level α is the same as the (1 − 2α) confidence interval of the difference lying
//! inside (−δ, δ); the 90 % interval is reported beside the p-value. Paired by seed with the
//! paired t test, unpaired with Welch's. A non-significant ordinary test says nothing about
//! equivalence; this does.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Alternative, StatsError, TestResult, mean, paired_t, variance, welch_t};

/// The outcome of a TOST.
#[derive(Debug, Clone, PartialEq)]
pub struct Equivalence {
    /// The estimated difference x̄ − ȳ (the mean paired difference when paired).
    pub difference: f64,
    /// The margin δ.
    pub margin: f64,
    /// The test against the lower bound −δ.
    pub lower: TestResult,
    /// The test against the upper bound +δ.
    pub upper: TestResult,
    /// max(p_lower, p_upper): equivalence is shown at level α when this is below α.
    pub p_value: f64,
    /// The 90 % confidence interval of the difference (inside ±δ exactly when p < 0.05).
    pub ci90: (f64, f64),
}

impl Equivalence {
    /// Whether equivalence within ±δ is shown at level `alpha`.
    pub fn equivalent(&self, alpha: f64) -> bool {
        self.p_value < alpha
    }
}

fn check_margin(margin: f64) -> Result<(), StatsError> {
    if margin.is_finite() && margin > 0.0 {
        Ok(())
    } else {
        Err(StatsError::Degenerate { what: "equivalence margin".into(), message: format!("a finite margin δ > 0, got {margin}") })
    }
}

fn shifted(x: &[f64], by: f64) -> Vec<f64> {
    x.iter().map(|v| v + by).collect()
}

fn interval(difference: f64, standard_error: f64, df: f64) -> Result<(f64, f64), StatsError> {
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|e| StatsError::Degenerate { what: "TOST".into(), message: e.to_string() })?;
    let half = dist.inverse_cdf(0.95) * standard_error;
    Ok((difference - half, difference + half))
}

/// TOST on paired samples (x_i, y_i), e.g. two arms that share seed i.
pub fn tost_paired(x: &[f64], y: &[f64], margin: f64) -> Result<Equivalence, StatsError> {
    check_margin(margin)?;
    let lower = paired_t(&shifted(x, margin), y, Alternative::Greater)?;
    let upper = paired_t(&shifted(x, -margin), y, Alternative::Less)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let difference = mean(&d);
    let ci90 = interval(difference, (variance(&d, 1) / n).sqrt(), n - 1.0)?;
    Ok(Equivalence { difference, margin, p_value: lower.p_value.max(upper.p_value), lower, upper, ci90 })
}

/// TOST on independent samples with Welch's t test.
pub fn tost_welch(x: &[f64], y: &[f64], margin: f64) -> Result<Equivalence, StatsError> {
    check_margin(margin)?;
    let lower = welch_t(&shifted(x, margin), y, Alternative::Greater)?;
    let upper = welch_t(&shifted(x, -margin), y, Alternative::Less)?;
    let difference = mean(x) - mean(y);
    let (vx, vy) = (variance(x, 1) / x.len() as f64, variance(y, 1) / y.len() as f64);
    let df = lower.df.expect("Welch reports its degrees of freedom");
    let ci90 = interval(difference, (vx + vy).sqrt(), df)?;
    Ok(Equivalence { difference, margin, p_value: lower.p_value.max(upper.p_value), lower, upper, ci90 })
}
