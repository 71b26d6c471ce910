//! Significance tests, effect sizes, multiple-comparison corrections and bootstrap confidence
//! intervals for comparing training runs, on statrs distributions.
//!
//! Every test returns a [`TestResult`] (statistic, p-value, degrees of freedom where they
//! exist) and follows scipy.stats' conventions for the statistic it reports, so values can be
//! checked against scipy (tests/stats.rs, fixture from scripts/stats_reference.py). Bad input —
//! empty groups, too few values for a variance, NaN or infinite values, paired samples of
//! unequal length — is a [`StatsError`] that names the argument and what was expected.

pub mod binomial;
pub mod bootstrap;
pub mod compare;
pub mod correction;
pub mod correlation;
pub mod effect;
pub mod equivalence;
pub mod measures;
pub mod nonparametric;
pub mod rank;
pub mod regression;
pub mod selection;
pub mod ttest;

use serde::{Deserialize, Serialize};

pub use binomial::binomial_test;
pub use bootstrap::{BootstrapCi, CiMethod, bootstrap_ci};
pub use compare::{CompareOptions, GroupTest, compare_groups};
pub use correction::{Correction, adjust};
pub use correlation::{pearson, spearman};
pub use equivalence::{Equivalence, tost_paired, tost_welch};
pub use selection::{MaxT, max_t_sign_flip};
pub use effect::{cohens_d, hedges_g, rank_biserial_paired, rank_biserial_unpaired};
pub use measures::{fano_factor, shape_sensitivity, shape_sensitivity_per_lr};
pub use nonparametric::{Method, friedman, kruskal_wallis, mann_whitney_u, wilcoxon_signed_rank};
pub use regression::{LineFit, least_squares};
pub use ttest::{paired_t, student_t, welch_t};

/// The alternative hypothesis, for a statistic oriented as "first minus second".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alternative {
    /// The two differ.
    #[default]
    TwoSided,
    /// The first is smaller.
    Less,
    /// The first is larger.
    Greater,
}

impl std::str::FromStr for Alternative {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "two-sided" => Ok(Alternative::TwoSided),
            "less" => Ok(Alternative::Less),
            "greater" => Ok(Alternative::Greater),
            other => Err(format!("unknown alternative {other:?}; expected two-sided, less or greater")),
        }
    }
}

/// A test's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test's name ("Welch t", "Wilcoxon signed-rank (exact)", …).
    pub test: String,
    /// The statistic, as scipy reports it.
    pub statistic: f64,
    /// The p-value.
    pub p_value: f64,
    /// Degrees of freedom, for t and χ² tests.
    pub df: Option<f64>,
}

/// Errors of the statistics functions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A sample with no values.
    #[error("{what}: empty sample; at least one value was expected")]
    Empty {
        /// The argument.
        what: String,
    },
    /// Fewer values than the statistic needs.
    #[error("{what}: at least {needed} values are needed, got {got}")]
    TooFew {
        /// The argument.
        what: String,
        /// The minimum.
        needed: usize,
        /// What came.
        got: usize,
    },
    /// A NaN or infinite value.
    #[error("{what}: value {index} is {value}; finite values were expected")]
    NotFinite {
        /// The argument.
        what: String,
        /// Its position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Paired samples of different lengths.
    #[error("{what}: paired samples must have equal lengths, got {first} and {second}")]
    Unpaired {
        /// The arguments.
        what: String,
        /// Length of the first.
        first: usize,
        /// Length of the second.
        second: usize,
    },
    /// Input on which the statistic is undefined (zero variance, all differences zero, …).
    #[error("{what}: {message}")]
    Degenerate {
        /// The argument.
        what: String,
        /// Why.
        message: String,
    },
    /// A parameter outside its range.
    #[error("invalid parameter `{name}`: expected {message}")]
    Parameter {
        /// The parameter.
        name: String,
        /// What was expected and what came.
        message: String,
    },
    /// A table problem in [`compare_groups`].
    #[error("table: {0}")]
    Table(String),
}

/// Checks that `values` is non-empty, has at least `needed` entries and is finite.
pub(crate) fn check(what: &str, values: &[f64], needed: usize) -> Result<(), StatsError> {
    if values.is_empty() {
        return Err(StatsError::Empty { what: what.into() });
    }
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::NotFinite { what: what.into(), index, value });
    }
    if values.len() < needed {
        return Err(StatsError::TooFew { what: what.into(), needed, got: values.len() });
    }
    Ok(())
}

/// Checks two paired samples: equal lengths, then [`check`] on each.
pub(crate) fn check_paired(what: &str, a: &[f64], b: &[f64], needed: usize) -> Result<(), StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::Unpaired { what: what.into(), first: a.len(), second: b.len() });
    }
    check(&format!("{what} (first)"), a, needed)?;
    check(&format!("{what} (second)"), b, needed)
}

/// Mean.
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Median (the mean of the two middle values for an even count); NaN for no values.
pub fn median(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[m] } else { 0.5 * (sorted[m - 1] + sorted[m]) }
}

/// Sample variance with `ddof` degrees of freedom removed.
pub fn variance(x: &[f64], ddof: usize) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - ddof) as f64
}

/// The p-value of a statistic with survival function `sf` and CDF `cdf` under the alternative,
/// for a distribution symmetric about 0 (t, normal).
pub(crate) fn symmetric_p(statistic: f64, alternative: Alternative, cdf: impl Fn(f64) -> f64, sf: impl Fn(f64) -> f64) -> f64 {
    match alternative {
        Alternative::TwoSided => (2.0 * sf(statistic.abs())).min(1.0),
        Alternative::Less => cdf(statistic),
        Alternative::Greater => sf(statistic),
    }
}
