//! t-tests on two samples (Student with pooled variance, Welch) and on paired samples.
//!
//! ```text
//! Student   t = (x̄ − ȳ) / √(s_p² (1/n_x + 1/n_y)),  s_p² = ((n_x−1)s_x² + (n_y−1)s_y²)/(n_x+n_y−2),  ν = n_x+n_y−2
//! Welch     t = (x̄ − ȳ) / √(s_x²/n_x + s_y²/n_y),    ν = (s_x²/n_x + s_y²/n_y)² / ((s_x²/n_x)²/(n_x−1) + (s_y²/n_y)²/(n_y−1))
//! paired    t = d̄ / (s_d/√n),  d = x − y,  ν = n − 1
//! ```
//!
//! with p from Student's t distribution with ν degrees of freedom.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Alternative, StatsError, TestResult, check, check_paired, mean, symmetric_p, variance};

fn t_result(name: &str, t: f64, df: f64, alternative: Alternative) -> Result<TestResult, StatsError> {
    if !t.is_finite() {
        return Err(StatsError::Degenerate { what: name.into(), message: "both samples have zero variance; t is undefined".into() });
    }
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|e| StatsError::Degenerate { what: name.into(), message: e.to_string() })?;
    let p = symmetric_p(t, alternative, |x| dist.cdf(x), |x| dist.sf(x));
    Ok(TestResult { test: name.into(), statistic: t, p_value: p, df: Some(df) })
}

/// Student's two-sample t-test (equal variances).
pub fn student_t(x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    check("Student t: first sample", x, 1)?;
    check("Student t: second sample", y, 1)?;
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    if x.len() + y.len() < 3 {
        return Err(StatsError::TooFew { what: "Student t: both samples together".into(), needed: 3, got: x.len() + y.len() });
    }
    let ss = |v: &[f64]| if v.len() > 1 { variance(v, 1) * (v.len() - 1) as f64 } else { 0.0 };
    let df = nx + ny - 2.0;
    let pooled = (ss(x) + ss(y)) / df;
    let t = (mean(x) - mean(y)) / (pooled * (1.0 / nx + 1.0 / ny)).sqrt();
    t_result("Student t", t, df, alternative)
}

/// Welch's two-sample t-test (unequal variances).
pub fn welch_t(x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    check("Welch t: first sample", x, 2)?;
    check("Welch t: second sample", y, 2)?;
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (vx, vy) = (variance(x, 1) / nx, variance(y, 1) / ny);
    let t = (mean(x) - mean(y)) / (vx + vy).sqrt();
    let df = (vx + vy).powi(2) / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));
    t_result("Welch t", t, df, alternative)
}

/// The paired t-test on x − y.
pub fn paired_t(x: &[f64], y: &[f64], alternative: Alternative) -> Result<TestResult, StatsError> {
    check_paired("paired t", x, y, 2)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let t = mean(&d) / (variance(&d, 1) / n).sqrt();
    t_result("paired t", t, n - 1.0, alternative)
}
