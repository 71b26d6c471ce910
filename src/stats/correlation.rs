//! Pearson and Spearman correlation with p-values.
//!
//! ```text
//! Pearson   r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²)
//! Spearman  r_s = Pearson r of the average ranks of x and of y
//! p         from t = r √((n − 2)/(1 − r²)) with n − 2 degrees of freedom (r = ±1: p = 0 or 1)
//! ```

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::rank::average_ranks;
use super::{Alternative, StatsError, TestResult, check_paired, mean, symmetric_p};

fn correlation(name: &str, x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    if sxx == 0.0 || syy == 0.0 {
        return Err(StatsError::Degenerate { what: name.into(), message: "a constant sample has no correlation".into() });
    }
    let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    let df = (x.len() - 2) as f64;
    let p = if r.abs() == 1.0 {
        match alternative {
            Alternative::TwoSided => 0.0,
            Alternative::Greater => if r > 0.0 { 0.0 } else { 1.0 },
            Alternative::Less => if r < 0.0 { 0.0 } else { 1.0 },
        }
    } else {
        let t = r * (df / (1.0 - r * r)).sqrt();
        let dist = StudentsT::new(0.0, 1.0, df).map_err(|e| StatsError::Degenerate { what: name.into(), message: e.to_string() })?;
        symmetric_p(t, alternative, |v| dist.cdf(v), |v| dist.sf(v))
    };
    Ok(TestResult { test: name.into(), statistic: r, p_value: p, df: Some(df) })
}

/// Pearson's r of paired samples with its p-value (n ≥ 3).
pub fn pearson(x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    check_paired("Pearson r", x, y, 3)?;
    correlation("Pearson r", x, y, alternative)
}

/// Spearman's rank correlation with its p-value (n ≥ 3).
pub fn spearman(x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    check_paired("Spearman r", x, y, 3)?;
    correlation("Spearman r", &average_ranks(x), &average_ranks(y), alternative)
}
