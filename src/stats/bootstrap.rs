//! Seeded bootstrap confidence intervals: percentile and bias-corrected and accelerated (BCa,
//! Efron 1987), for a statistic of one or more independent samples.
//!
//! Each of B resamples draws every sample with replacement (independently per sample) and
//! evaluates the statistic, giving θ*_1..θ*_B. For a level 1 − 2α:
//!
//! ```text
//! percentile   [q(α), q(1 − α)]                           q the linearly interpolated quantile of θ*
//! BCa          [q(α₁), q(α₂)],  α_{1,2} = Φ(z₀ + (z₀ + z_{α,1−α}) / (1 − a (z₀ + z_{α,1−α})))
//!              z₀ = Φ⁻¹(#{θ*_b < θ̂}/B)
//!              a  = Σ_j Σ_i U³_ji / n_j³ / (6 (Σ_j Σ_i U²_ji / n_j²)^{3/2}),  U_ji = (n_j − 1)(θ̄_j· − θ_j(i))
//! ```
//!
//! with θ_j(i) the statistic with value i of sample j left out (the jackknife, as scipy's
//! `bootstrap` computes it for several samples).

use rand::RngExt;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::{StatsError, check};

/// Random stream of the bootstrap resamples.
const BOOTSTRAP_STREAM: u64 = 0x424F_4F54_0000_0000; // "BOOT"

/// The interval method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiMethod {
    /// Percentile interval.
    Percentile,
    /// Bias-corrected and accelerated.
    #[default]
    Bca,
}

/// A bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapCi {
    /// The statistic on the data.
    pub estimate: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Confidence level.
    pub level: f64,
}

/// Linearly interpolated quantile of sorted values (numpy's default "linear").
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The `level` confidence interval of `statistic` over the independent `samples`, from
/// `resamples` seeded resamples.
pub fn bootstrap_ci(
    samples: &[&[f64]],
    statistic: impl Fn(&[&[f64]]) -> f64,
    level: f64,
    resamples: usize,
    method: CiMethod,
    seed: u64,
) -> Result<BootstrapCi, StatsError> {
    if samples.is_empty() {
        return Err(StatsError::Empty { what: "bootstrap: samples".into() });
    }
    for (j, s) in samples.iter().enumerate() {
        check(&format!("bootstrap: sample {j}"), s, 2)?;
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::Parameter { name: "level".into(), message: format!("a confidence level in (0, 1), got {level}") });
    }
    if resamples < 2 {
        return Err(StatsError::Parameter { name: "resamples".into(), message: format!("at least 2 resamples, got {resamples}") });
    }
    let estimate = statistic(samples);
    let mut rng = crate::rng::rng(seed, BOOTSTRAP_STREAM);
    let mut buffers: Vec<Vec<f64>> = samples.iter().map(|s| vec![0.0; s.len()]).collect();
    let mut thetas = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for (buffer, s) in buffers.iter_mut().zip(samples) {
            for v in buffer.iter_mut() {
                *v = s[rng.random_range(0..s.len())];
            }
        }
        let views: Vec<&[f64]> = buffers.iter().map(Vec::as_slice).collect();
        thetas.push(statistic(&views));
    }
    if let Some(bad) = thetas.iter().find(|t| !t.is_finite()) {
        return Err(StatsError::Degenerate { what: "bootstrap".into(), message: format!("the statistic gave {bad} on a resample") });
    }
    let alpha = (1.0 - level) / 2.0;
    let (q_low, q_high) = match method {
        CiMethod::Percentile => (alpha, 1.0 - alpha),
        CiMethod::Bca => {
            let normal = Normal::standard();
            let below = thetas.iter().filter(|&&t| t < estimate).count() as f64 / resamples as f64;
            let z0 = normal.inverse_cdf(below);
            if !z0.is_finite() {
                return Err(StatsError::Degenerate {
                    what: "bootstrap (BCa)".into(),
                    message: "every resample lies on one side of the estimate; the bias correction is infinite".into(),
                });
            }
            let a = acceleration(samples, &statistic);
            let shift = |z: f64| normal.cdf(z0 + (z0 + z) / (1.0 - a * (z0 + z)));
            let z_alpha = normal.inverse_cdf(alpha);
            (shift(z_alpha), shift(-z_alpha))
        }
    };
    thetas.sort_by(f64::total_cmp);
    Ok(BootstrapCi { estimate, low: quantile(&thetas, q_low), high: quantile(&thetas, q_high), level })
}

/// The jackknife acceleration a of BCa (module docs); 0 when the jackknife values do not vary.
fn acceleration(samples: &[&[f64]], statistic: &impl Fn(&[&[f64]]) -> f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (j, s) in samples.iter().enumerate() {
        let n = s.len() as f64;
        let jack: Vec<f64> = (0..s.len())
            .map(|i| {
                let left_out: Vec<f64> = s.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, v)| *v).collect();
                let mut views: Vec<&[f64]> = samples.to_vec();
                views[j] = &left_out;
                statistic(&views)
            })
            .collect();
        let dot = jack.iter().sum::<f64>() / n;
        let u: Vec<f64> = jack.iter().map(|t| (n - 1.0) * (dot - t)).collect();
        num += u.iter().map(|u| u.powi(3)).sum::<f64>() / n.powi(3);
        den += u.iter().map(|u| u.powi(2)).sum::<f64>() / n.powi(2);
    }
    if den == 0.0 { 0.0 } else { num / (6.0 * den.powf(1.5)) }
}
