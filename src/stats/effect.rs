//! Effect sizes.
//!
//! ```text
//! Cohen's d             d = (x̄ − ȳ) / s_p,  s_p² = ((n_x−1)s_x² + (n_y−1)s_y²)/(n_x+n_y−2)
//! paired (d_z)          d = mean(x − y) / sd(x − y)
//! Hedges' g             g = J(ν) d,  J(ν) = Γ(ν/2) / (√(ν/2) Γ((ν−1)/2)),  ν = n_x+n_y−2 (n − 1 paired)
//! rank-biserial         r = 2U₁/(n_x n_y) − 1            (two samples; U₁ of x)
//!                       r = (R⁺ − R⁻)/(R⁺ + R⁻)          (paired; signed ranks of x − y without zeros)
//! ```
//!
//! All are positive when x tends to be larger.

use statrs::function::gamma::ln_gamma;

use super::rank::average_ranks;
use super::{StatsError, check, check_paired, mean, variance};

/// Cohen's d of two independent samples (pooled standard deviation), or d_z of paired samples
/// when `paired`.
pub fn cohens_d(x: &[f64], y: &[f64], paired: bool) -> Result<f64, StatsError> {
    if paired {
        check_paired("Cohen's d (paired)", x, y, 2)?;
        let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
        let sd = variance(&d, 1).sqrt();
        if sd == 0.0 {
            return Err(StatsError::Degenerate { what: "Cohen's d (paired)".into(), message: "the differences have zero variance".into() });
        }
        return Ok(mean(&d) / sd);
    }
    check("Cohen's d: first sample", x, 2)?;
    check("Cohen's d: second sample", y, 2)?;
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let pooled = ((nx - 1.0) * variance(x, 1) + (ny - 1.0) * variance(y, 1)) / (nx + ny - 2.0);
    if pooled == 0.0 {
        return Err(StatsError::Degenerate { what: "Cohen's d".into(), message: "both samples have zero variance".into() });
    }
    Ok((mean(x) - mean(y)) / pooled.sqrt())
}

/// The exact small-sample correction J(ν) of Hedges' g.
pub fn hedges_correction(df: f64) -> f64 {
    (ln_gamma(df / 2.0) - ln_gamma((df - 1.0) / 2.0)).exp() / (df / 2.0).sqrt()
}

/// Hedges' g: Cohen's d times J(ν).
pub fn hedges_g(x: &[f64], y: &[f64], paired: bool) -> Result<f64, StatsError> {
    let d = cohens_d(x, y, paired)?;
    let df = if paired { x.len() as f64 - 1.0 } else { (x.len() + y.len()) as f64 - 2.0 };
    if df <= 1.0 {
        return Err(StatsError::TooFew { what: "Hedges' g: degrees of freedom".into(), needed: 2, got: df as usize });
    }
    Ok(hedges_correction(df) * d)
}

/// Rank-biserial correlation of two independent samples, 2U₁/(n_x n_y) − 1.
pub fn rank_biserial_unpaired(x: &[f64], y: &[f64]) -> Result<f64, StatsError> {
    check("rank-biserial: first sample", x, 1)?;
    check("rank-biserial: second sample", y, 1)?;
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let ranks = average_ranks(&pooled);
    let n1 = x.len() as f64;
    let u1 = ranks[..x.len()].iter().sum::<f64>() - n1 * (n1 + 1.0) / 2.0;
    Ok(2.0 * u1 / (n1 * y.len() as f64) - 1.0)
}

/// Matched-pairs rank-biserial correlation, (R⁺ − R⁻)/(R⁺ + R⁻).
pub fn rank_biserial_paired(x: &[f64], y: &[f64]) -> Result<f64, StatsError> {
    check_paired("rank-biserial (paired)", x, y, 1)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).filter(|d| *d != 0.0).collect();
    if d.is_empty() {
        return Err(StatsError::Degenerate { what: "rank-biserial (paired)".into(), message: "every difference is zero".into() });
    }
    let ranks = average_ranks(&d.iter().map(|v| v.abs()).collect::<Vec<_>>());
    let plus: f64 = ranks.iter().zip(&d).filter(|(_, d)| **d > 0.0).map(|(r, _)| r).sum();
    let total: f64 = ranks.iter().sum();
    Ok((2.0 * plus - total) / total)
}
