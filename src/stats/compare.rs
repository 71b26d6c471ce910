//! Comparing groups of a results table: one tidy row per pair of groups with the test, its
//! p-value adjusted over the family, an effect size and a bootstrap confidence interval of the
//! difference.
//!
//! For accuracy by surrogate shape, paired by seed and learning rate:
//!
//! ```no_run
//! # fn main() -> Result<(), sglab::stats::StatsError> {
//! # let runs = polars::prelude::DataFrame::empty();
//! use sglab::stats::{CompareOptions, GroupTest, compare_groups};
//! let options = CompareOptions {
//!     test: GroupTest::Wilcoxon,
//!     pair_by: vec!["seed".into(), "lr".into()],
//!     reference: Some("fast-sigmoid".into()),
//!     ..CompareOptions::default()
//! };
//! let table = compare_groups(&runs, "accuracy", "shape", &options)?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};

use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

use super::bootstrap::{CiMethod, bootstrap_ci};
use super::correction::{Correction, adjust};
use super::effect::{hedges_g, rank_biserial_paired, rank_biserial_unpaired};
use super::nonparametric::{Method, mann_whitney_u, wilcoxon_signed_rank};
use super::ttest::{paired_t, student_t, welch_t};
use super::{Alternative, StatsError, TestResult, mean};
use crate::table::{f64_column, string_column};

/// The two-group test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupTest {
    /// Welch's t (independent groups); effect size Hedges' g.
    #[default]
    Welch,
    /// Student's t (independent groups, equal variances); Hedges' g.
    Student,
    /// Mann–Whitney U (independent groups); rank-biserial correlation.
    MannWhitney,
    /// Paired t on matched rows; Hedges' g of the differences (g_z).
    PairedT,
    /// Wilcoxon signed-rank on matched rows; matched-pairs rank-biserial correlation.
    Wilcoxon,
}

impl GroupTest {
    /// Whether rows are matched across groups.
    pub fn is_paired(self) -> bool {
        matches!(self, GroupTest::PairedT | GroupTest::Wilcoxon)
    }
}

/// Settings of [`compare_groups`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompareOptions {
    /// The test.
    pub test: GroupTest,
    /// Columns whose values match rows across groups (paired tests only), e.g. seed and lr.
    pub pair_by: Vec<String>,
    /// Compare every other group with this one; `None`: every pair of groups.
    pub reference: Option<String>,
    /// Alternative hypothesis for "group a minus group b" (b the reference when given).
    pub alternative: Alternative,
    /// Correction over the family of comparisons.
    pub correction: Correction,
    /// Confidence level of the bootstrap interval of the mean difference.
    pub ci_level: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            test: GroupTest::Welch,
            pair_by: Vec::new(),
            reference: None,
            alternative: Alternative::TwoSided,
            correction: Correction::Holm,
            ci_level: 0.95,
            resamples: 2000,
            seed: 0,
        }
    }
}

fn table_error(e: impl std::fmt::Display) -> StatsError {
    StatsError::Table(e.to_string())
}

/// One comparison's numbers.
struct Row {
    a: String,
    b: String,
    n_a: usize,
    n_b: usize,
    mean_a: f64,
    mean_b: f64,
    result: TestResult,
    effect_name: &'static str,
    effect: f64,
    ci: (f64, f64),
}

/// Compares the groups of `group` on the numeric column `value` (module docs). Rows with a
/// null value are an error; paired tests use the rows whose `pair_by` key occurs in both groups
/// (once each) and say how many they used in `n_a` = `n_b`.
///
/// Columns of the result: `group_a`, `group_b`, `n_a`, `n_b`, `mean_a`, `mean_b`, `test`,
/// `statistic`, `p`, `p_adjusted`, `effect`, `effect_size`, `ci_low`, `ci_high` (bootstrap BCa
/// interval of mean(a) − mean(b), or of the mean paired difference).
pub fn compare_groups(df: &DataFrame, value: &str, group: &str, options: &CompareOptions) -> Result<DataFrame, StatsError> {
    let values = f64_column(df, value).map_err(table_error)?;
    let groups = string_column(df, group).map_err(table_error)?;
    if options.test.is_paired() && options.pair_by.is_empty() {
        return Err(StatsError::Parameter { name: "pair_by".into(), message: "the columns that match rows across groups, for a paired test".into() });
    }
    let keys: Vec<String> = if options.pair_by.is_empty() {
        (0..df.height()).map(|i| i.to_string()).collect()
    } else {
        let parts: Vec<Vec<String>> = options.pair_by.iter().map(|c| string_column(df, c)).collect::<Result<_, _>>().map_err(table_error)?;
        (0..df.height()).map(|i| parts.iter().map(|p| p[i].as_str()).collect::<Vec<_>>().join("\u{1f}")).collect()
    };
    // Group → key → value (BTreeMap: groups and pairs in a fixed order).
    let mut by_group: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut duplicates: HashMap<String, usize> = HashMap::new();
    for ((g, k), v) in groups.iter().zip(&keys).zip(&values) {
        if by_group.entry(g.clone()).or_default().insert(k.clone(), *v).is_some() {
            *duplicates.entry(g.clone()).or_default() += 1;
        }
    }
    if options.test.is_paired() && !duplicates.is_empty() {
        return Err(StatsError::Table(format!(
            "rows are not unique per ({group}, {}): repeated keys in groups {:?}",
            options.pair_by.join(", "),
            duplicates.keys().collect::<Vec<_>>()
        )));
    }
    let names: Vec<String> = by_group.keys().cloned().collect();
    if names.len() < 2 {
        return Err(StatsError::TooFew { what: format!("groups of `{group}`"), needed: 2, got: names.len() });
    }
    let pairs: Vec<(String, String)> = match &options.reference {
        Some(r) => {
            if !by_group.contains_key(r) {
                return Err(StatsError::Table(format!("reference group {r:?} is not among {names:?}")));
            }
            names.iter().filter(|n| *n != r).map(|n| (n.clone(), r.clone())).collect()
        }
        None => names.iter().enumerate().flat_map(|(i, a)| names[i + 1..].iter().map(move |b| (a.clone(), b.clone()))).collect(),
    };
    let mut rows = Vec::new();
    for (a, b) in pairs {
        let (ga, gb) = (&by_group[&a], &by_group[&b]);
        let (xa, xb): (Vec<f64>, Vec<f64>) = if options.test.is_paired() {
            ga.iter().filter_map(|(k, v)| gb.get(k).map(|w| (*v, *w))).unzip()
        } else {
            (ga.values().copied().collect(), gb.values().copied().collect())
        };
        let label = format!("{a} vs {b}");
        let context = |e: StatsError| match e {
            StatsError::Empty { what } | StatsError::Degenerate { what, .. } if options.test.is_paired() && xa.is_empty() => {
                StatsError::Table(format!("{label}: no rows match on ({}) ({what})", options.pair_by.join(", ")))
            }
            other => StatsError::Table(format!("{label}: {other}")),
        };
        let alt = options.alternative;
        let (result, effect_name, effect) = match options.test {
            GroupTest::Welch => (welch_t(&xa, &xb, alt).map_err(context)?, "hedges_g", hedges_g(&xa, &xb, false).map_err(context)?),
            GroupTest::Student => (student_t(&xa, &xb, alt).map_err(context)?, "hedges_g", hedges_g(&xa, &xb, false).map_err(context)?),
            GroupTest::MannWhitney => (
                mann_whitney_u(&xa, &xb, alt, Method::Auto).map_err(context)?,
                "rank_biserial",
                rank_biserial_unpaired(&xa, &xb).map_err(context)?,
            ),
            GroupTest::PairedT => (paired_t(&xa, &xb, alt).map_err(context)?, "hedges_g_z", hedges_g(&xa, &xb, true).map_err(context)?),
            GroupTest::Wilcoxon => (
                wilcoxon_signed_rank(&xa, &xb, alt, Method::Auto).map_err(context)?,
                "rank_biserial",
                rank_biserial_paired(&xa, &xb).map_err(context)?,
            ),
        };
        let ci = if options.test.is_paired() {
            let d: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| x - y).collect();
            bootstrap_ci(&[&d], |s| mean(s[0]), options.ci_level, options.resamples, CiMethod::Bca, options.seed)
        } else {
            bootstrap_ci(&[&xa, &xb], |s| mean(s[0]) - mean(s[1]), options.ci_level, options.resamples, CiMethod::Bca, options.seed)
        };
        // A difference that never varies across resamples has no BCa interval; report the
        // point (it is exact) rather than failing the table.
        let ci = match ci {
            Ok(c) => (c.low, c.high),
            Err(StatsError::Degenerate { .. }) => {
                let d = mean(&xa) - mean(&xb);
                (d, d)
            }
            Err(e) => return Err(context(e)),
        };
        rows.push(Row { n_a: xa.len(), n_b: xb.len(), mean_a: mean(&xa), mean_b: mean(&xb), a, b, result, effect_name, effect, ci });
    }
    let p: Vec<f64> = rows.iter().map(|r| r.result.p_value).collect();
    let adjusted = adjust(&p, options.correction)?;
    let col_f = |name: &str, f: &dyn Fn(&Row) -> f64| Column::new(name.into(), rows.iter().map(f).collect::<Vec<f64>>());
    DataFrame::new_infer_height(vec![
        Column::new("group_a".into(), rows.iter().map(|r| r.a.clone()).collect::<Vec<_>>()),
        Column::new("group_b".into(), rows.iter().map(|r| r.b.clone()).collect::<Vec<_>>()),
        Column::new("n_a".into(), rows.iter().map(|r| r.n_a as u64).collect::<Vec<_>>()),
        Column::new("n_b".into(), rows.iter().map(|r| r.n_b as u64).collect::<Vec<_>>()),
        col_f("mean_a", &|r| r.mean_a),
        col_f("mean_b", &|r| r.mean_b),
        Column::new("test".into(), rows.iter().map(|r| r.result.test.clone()).collect::<Vec<_>>()),
        col_f("statistic", &|r| r.result.statistic),
        Column::new("p".into(), p),
        Column::new("p_adjusted".into(), adjusted),
        Column::new("effect".into(), rows.iter().map(|r| r.effect_name).collect::<Vec<_>>()),
        col_f("effect_size", &|r| r.effect),
        col_f("ci_low", &|r| r.ci.0),
        col_f("ci_high", &|r| r.ci.1),
    ])
    .map(|df| crate::table::fresh(&df))
    .map_err(table_error)
}
