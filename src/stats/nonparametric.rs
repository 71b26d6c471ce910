//! Rank tests: Wilcoxon signed-rank (paired), Mann–Whitney U (two samples), Kruskal–Wallis
//! (k samples) and Friedman (k treatments in n blocks), with scipy's conventions.
//!
//! ```text
//! Wilcoxon      d = x − y without zeros (n left), r = ranks of |d|, R⁺ = Σ r over d > 0
//!               exact: P(R⁺ = k) = #{subsets of 1..n summing to k} / 2ⁿ   (no zeros; with ties
//!               a half-integer R⁺ is rounded conservatively, as scipy does)
//!               normal: z = (R⁺ − n(n+1)/4 − ½c·s) / √(n(n+1)(2n+1)/24 − Σ(t³−t)/48),
//!               s = sign of the deviation (two-sided), +1 (greater), −1 (less)
//!               statistic: min(R⁺, R⁻) two-sided, R⁺ one-sided
//! Mann–Whitney  U₁ = R₁ − n₁(n₁+1)/2 (R₁ the rank sum of x in the pooled sample)
//!               exact: P(U = u) = #{arrangements with u (y, x) inversions} / C(n₁+n₂, n₁),
//!               p = P(U ≥ ⌊U*⌋) (×2 two-sided, at most 1), not corrected for ties (as scipy)
//!               normal: z = (U* − n₁n₂/2 − ½c) / √(n₁n₂/12 · (N + 1 − Σ(t³−t)/(N(N−1))))
//!               with U* = max(U₁, U₂) two-sided, U₁ greater, U₂ less; statistic U₁
//! Kruskal–Wallis H = [12/(N(N+1)) Σ R_i²/n_i − 3(N+1)] / (1 − Σ(t³−t)/(N³−N)),  χ²(k−1)
//! Friedman      χ² = [12/(n k (k+1)) Σ R_j² − 3n(k+1)] / (1 − Σ(t³−t)/(n k (k²−1))),  χ²(k−1)
//! ```
//!
//! c = 1 with the continuity correction, else 0; exact two-sided p = 2 min(P(≤), P(≥)), at most 1.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::rank::{average_ranks, tie_term};
use super::{Alternative, StatsError, TestResult, check, check_paired};

/// How a rank test computes its p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Method {
    /// As scipy decides: Wilcoxon exact for n ≤ 50 pairs without zero differences, else normal
    /// without continuity correction; Mann–Whitney exact without ties when either sample has
    /// at most 8 values, else normal with continuity correction.
    #[default]
    Auto,
    /// The exact null distribution of untied data (Wilcoxon: an error with zero differences;
    /// with ties, half-integer statistics are rounded conservatively, as scipy does).
    Exact,
    /// The normal approximation with tie correction.
    Normal {
        /// Whether to apply the continuity correction.
        continuity: bool,
    },
}

/// P-value from an exact integer-valued null distribution `counts` (P(S = k) ∝ counts[k]) at
/// the observed `s`, for the alternative "greater" meaning large s.
fn exact_p(counts: &[f64], s: f64, alternative: Alternative) -> f64 {
    let total: f64 = counts.iter().sum();
    let k = s.round() as usize;
    let below: f64 = counts[..=k.min(counts.len() - 1)].iter().sum::<f64>() / total;
    let above: f64 = counts[k.min(counts.len())..].iter().sum::<f64>() / total;
    match alternative {
        Alternative::Less => below,
        Alternative::Greater => above,
        Alternative::TwoSided => (2.0 * below.min(above)).min(1.0),
    }
}

fn normal_sf(z: f64) -> f64 {
    Normal::standard().sf(z)
}

fn chi2_sf(x: f64, df: f64, what: &str) -> Result<f64, StatsError> {
    let dist = ChiSquared::new(df).map_err(|e| StatsError::Degenerate { what: what.into(), message: e.to_string() })?;
    Ok(dist.sf(x))
}

/// Counts of R⁺ = k over the 2ⁿ sign assignments of ranks 1..n.
fn signed_rank_counts(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0; max + 1];
    counts[0] = 1.0;
    for r in 1..=n {
        for k in (r..=max).rev() {
            counts[k] += counts[k - r];
        }
    }
    counts
}

/// The Wilcoxon signed-rank test of x − y (zero differences dropped, as scipy's "wilcox").
pub fn wilcoxon_signed_rank(x: &[f64], y: &[f64], alternative: Alternative, method: Method) -> Result<TestResult, StatsError> {
    check_paired("Wilcoxon signed-rank", x, y, 1)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).filter(|d| *d != 0.0).collect();
    let zeros = x.len() - d.len();
    if d.is_empty() {
        return Err(StatsError::Degenerate { what: "Wilcoxon signed-rank".into(), message: "every difference is zero".into() });
    }
    let n = d.len();
    let abs: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    let ranks = average_ranks(&abs);
    let r_plus: f64 = ranks.iter().zip(&d).filter(|(_, d)| **d > 0.0).map(|(r, _)| r).sum();
    let r_minus: f64 = ranks.iter().zip(&d).filter(|(_, d)| **d < 0.0).map(|(r, _)| r).sum();
    let ties = tie_term(&abs);
    let statistic = if alternative == Alternative::TwoSided { r_plus.min(r_minus) } else { r_plus };
    let method = match method {
        Method::Auto if zeros == 0 && x.len() <= 50 => Method::Exact,
        Method::Auto => Method::Normal { continuity: false },
        m => m,
    };
    let (name, p) = match method {
        Method::Exact => {
            if zeros > 0 {
                return Err(StatsError::Degenerate {
                    what: "Wilcoxon signed-rank (exact)".into(),
                    message: format!("{zeros} zero difference(s): the exact distribution does not hold; use the normal approximation"),
                });
            }
            // With ties R⁺ can be a half-integer; as scipy, round it conservatively (up for
            // P(≤), down for P(≥)) on the untied null distribution.
            let counts = signed_rank_counts(n);
            let p = match alternative {
                Alternative::Less => exact_p(&counts, r_plus.ceil(), Alternative::Less),
                Alternative::Greater => exact_p(&counts, r_plus.floor(), Alternative::Greater),
                Alternative::TwoSided => {
                    let less = exact_p(&counts, r_plus.ceil(), Alternative::Less);
                    let greater = exact_p(&counts, r_plus.floor(), Alternative::Greater);
                    (2.0 * less.min(greater)).min(1.0)
                }
            };
            ("Wilcoxon signed-rank (exact)", p)
        }
        Method::Normal { continuity } => {
            let nf = n as f64;
            let mean = nf * (nf + 1.0) / 4.0;
            let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - ties / 48.0;
            if !(var > 0.0) {
                return Err(StatsError::Degenerate { what: "Wilcoxon signed-rank".into(), message: "all |differences| tie: zero variance".into() });
            }
            let cc = if continuity { 0.5 } else { 0.0 };
            let dev = r_plus - mean;
            let p = match alternative {
                Alternative::TwoSided => (2.0 * normal_sf((dev - cc * dev.signum()).abs() / var.sqrt())).min(1.0),
                Alternative::Greater => normal_sf((dev - cc) / var.sqrt()),
                Alternative::Less => 1.0 - normal_sf((dev + cc) / var.sqrt()),
            };
            ("Wilcoxon signed-rank (normal)", p)
        }
        Method::Auto => unreachable!("resolved above"),
    };
    Ok(TestResult { test: name.into(), statistic, p_value: p, df: None })
}

/// Counts of U = u over the C(n₁+n₂, n₁) arrangements of two untied samples, by dynamic
/// programming over the last element (an x beats all j y's before it, a y beats none).
fn mann_whitney_counts(n1: usize, n2: usize) -> Vec<f64> {
    // row[j][u] for the current i: arrangements of i x's and j y's with u pairs x > y.
    let mut previous: Vec<Vec<f64>> = (0..=n2).map(|_| vec![1.0]).collect();
    for i in 1..=n1 {
        let mut row: Vec<Vec<f64>> = Vec::with_capacity(n2 + 1);
        row.push(vec![1.0]);
        for j in 1..=n2 {
            let mut counts = vec![0.0; i * j + 1];
            for (u, c) in counts.iter_mut().enumerate() {
                let from_x = if u >= j { previous[j].get(u - j).copied().unwrap_or(0.0) } else { 0.0 };
                let from_y = row[j - 1].get(u).copied().unwrap_or(0.0);
                *c = from_x + from_y;
            }
            row.push(counts);
        }
        previous = row;
    }
    previous.swap_remove(n2)
}

/// The Mann–Whitney U test of x against y; the statistic is U₁ of x.
///
/// statrs 0.19.1 has this test, but its exact p-value is wrong for moderate samples (p = 1
/// where scipy gives 0.0055 for n₁ = 8, n₂ = 9: its enumeration of combinations stops early),
/// so the exact distribution is computed here by dynamic programming; the normal
/// approximation is the same formula as statrs' and scipy's.
pub fn mann_whitney_u(x: &[f64], y: &[f64], alternative: Alternative, method: Method) -> Result<TestResult, StatsError> {
    check("Mann–Whitney U: first sample", x, 1)?;
    check("Mann–Whitney U: second sample", y, 1)?;
    let (n1, n2) = (x.len(), y.len());
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let ranks = average_ranks(&pooled);
    let u1 = ranks[..n1].iter().sum::<f64>() - (n1 * (n1 + 1)) as f64 / 2.0;
    let u2 = (n1 * n2) as f64 - u1;
    let ties = tie_term(&pooled);
    let method = match method {
        Method::Auto if ties == 0.0 && (n1 <= 8 || n2 <= 8) => Method::Exact,
        Method::Auto => Method::Normal { continuity: true },
        m => m,
    };
    // U* = max(U₁, U₂) (two-sided, doubled), U₁ (greater), U₂ (less); p = P(U ≥ U*).
    let u = match alternative {
        Alternative::TwoSided => u1.max(u2),
        Alternative::Greater => u1,
        Alternative::Less => u2,
    };
    let (name, p) = match method {
        Method::Exact => ("Mann–Whitney U (exact)", exact_p(&mann_whitney_counts(n1, n2), u.floor(), Alternative::Greater)),
        Method::Normal { continuity } => {
            let (nf1, nf2, n) = (n1 as f64, n2 as f64, (n1 + n2) as f64);
            let var = nf1 * nf2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
            if !(var > 0.0) {
                return Err(StatsError::Degenerate { what: "Mann–Whitney U".into(), message: "all values tie: zero variance".into() });
            }
            let cc = if continuity { 0.5 } else { 0.0 };
            ("Mann–Whitney U (normal)", normal_sf((u - nf1 * nf2 / 2.0 - cc) / var.sqrt()))
        }
        Method::Auto => unreachable!("resolved above"),
    };
    let p = if alternative == Alternative::TwoSided { (2.0 * p).min(1.0) } else { p };
    Ok(TestResult { test: name.into(), statistic: u1, p_value: p, df: None })
}

/// The Kruskal–Wallis H test of k ≥ 2 independent samples (χ² approximation, tie-corrected).
pub fn kruskal_wallis(groups: &[&[f64]]) -> Result<TestResult, StatsError> {
    if groups.len() < 2 {
        return Err(StatsError::TooFew { what: "Kruskal–Wallis: groups".into(), needed: 2, got: groups.len() });
    }
    for (i, g) in groups.iter().enumerate() {
        check(&format!("Kruskal–Wallis: group {i}"), g, 1)?;
    }
    let pooled: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let n = pooled.len() as f64;
    let ranks = average_ranks(&pooled);
    let mut start = 0;
    let mut sum = 0.0;
    for g in groups {
        let r: f64 = ranks[start..start + g.len()].iter().sum();
        sum += r * r / g.len() as f64;
        start += g.len();
    }
    let h = 12.0 / (n * (n + 1.0)) * sum - 3.0 * (n + 1.0);
    let correction = 1.0 - tie_term(&pooled) / (n * n * n - n);
    if !(correction > 0.0) {
        return Err(StatsError::Degenerate { what: "Kruskal–Wallis".into(), message: "all values tie".into() });
    }
    let h = h / correction;
    let df = (groups.len() - 1) as f64;
    Ok(TestResult { test: "Kruskal–Wallis H".into(), statistic: h, p_value: chi2_sf(h, df, "Kruskal–Wallis")?, df: Some(df) })
}

/// The Friedman test of k ≥ 3 treatments measured on the same n ≥ 2 blocks (e.g. seeds):
/// `treatments[j][i]` is treatment j on block i.
pub fn friedman(treatments: &[&[f64]]) -> Result<TestResult, StatsError> {
    let k = treatments.len();
    if k < 3 {
        return Err(StatsError::TooFew { what: "Friedman: treatments".into(), needed: 3, got: k });
    }
    let n = treatments[0].len();
    for (j, t) in treatments.iter().enumerate() {
        if t.len() != n {
            return Err(StatsError::Unpaired { what: format!("Friedman: treatment {j} against treatment 0"), first: n, second: t.len() });
        }
        check(&format!("Friedman: treatment {j}"), t, 2)?;
    }
    let mut rank_sums = vec![0.0; k];
    let mut ties = 0.0;
    for i in 0..n {
        let block: Vec<f64> = treatments.iter().map(|t| t[i]).collect();
        for (j, r) in average_ranks(&block).into_iter().enumerate() {
            rank_sums[j] += r;
        }
        ties += tie_term(&block);
    }
    let (nf, kf) = (n as f64, k as f64);
    let chi2 = 12.0 / (nf * kf * (kf + 1.0)) * rank_sums.iter().map(|r| r * r).sum::<f64>() - 3.0 * nf * (kf + 1.0);
    let correction = 1.0 - ties / (nf * kf * (kf * kf - 1.0));
    if !(correction > 0.0) {
        return Err(StatsError::Degenerate { what: "Friedman".into(), message: "every block ties completely".into() });
    }
    let chi2 = chi2 / correction;
    let df = kf - 1.0;
    Ok(TestResult { test: "Friedman χ²".into(), statistic: chi2, p_value: chi2_sf(chi2, df, "Friedman")?, df: Some(df) })
}
