//! sglab::stats against scipy.stats and statsmodels (tests/fixtures/stats_reference.json, made
//! by scripts/stats_reference.py), plus the properties of the effect sizes, the bootstrap and
//! the group comparison that have closed forms.

use polars::prelude::{Column, DataFrame};
use serde_json::Value;
use sglab::stats::{
    self, Alternative, CiMethod, CompareOptions, Correction, GroupTest, Method, StatsError, bootstrap_ci, compare_groups,
};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stats_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// |a − b| ≤ 1e-9 |b| (and exact agreement at 0).
fn assert_rel(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs(), "{what}: {a} vs scipy {b} (rel {:e})", ((a - b) / b).abs());
}

#[test]
fn every_test_matches_scipy() {
    let f = fixture();
    let cases = f["cases"].as_array().unwrap();
    assert!(cases.len() > 100);
    for case in cases {
        let kind = case["kind"].as_str().unwrap();
        let alternative: Alternative = case["alternative"].as_str().unwrap_or("two-sided").parse().unwrap();
        let inputs = &case["inputs"];
        let method = match (case["method"].as_str(), case["continuity"].as_bool()) {
            (Some("exact"), _) => Method::Exact,
            (Some(_), continuity) => Method::Normal { continuity: continuity.unwrap_or(false) },
            (None, _) => Method::Auto,
        };
        let result = if let Some(groups) = inputs.get("groups") {
            let groups: Vec<Vec<f64>> = groups.as_array().unwrap().iter().map(floats).collect();
            let views: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
            match kind {
                "kruskal" => stats::kruskal_wallis(&views),
                "friedman" => stats::friedman(&views),
                other => panic!("unknown kind {other}"),
            }
        } else {
            let (a, b) = (floats(&inputs["a"]), floats(&inputs["b"]));
            match kind {
                "student" => stats::student_t(&a, &b, alternative),
                "welch" => stats::welch_t(&a, &b, alternative),
                "paired-t" => stats::paired_t(&a, &b, alternative),
                "wilcoxon" => stats::wilcoxon_signed_rank(&a, &b, alternative, method),
                "mann-whitney" => stats::mann_whitney_u(&a, &b, alternative, method),
                "pearson" => stats::pearson(&a, &b, alternative),
                "spearman" => stats::spearman(&a, &b, alternative),
                other => panic!("unknown kind {other}"),
            }
        }
        .unwrap_or_else(|e| panic!("{case}: {e}"));
        let what = format!("{kind} {alternative:?} {:?} {}", case["method"], inputs);
        assert_rel(result.statistic, case["statistic"].as_f64().unwrap(), &format!("{what} statistic"));
        assert_rel(result.p_value, case["p"].as_f64().unwrap(), &format!("{what} p"));
        if let Some(df) = case["df"].as_f64() {
            assert_rel(result.df.unwrap(), df, &format!("{what} df"));
        }
    }
}

#[test]
fn corrections_match_statsmodels_multipletests() {
    let f = fixture();
    for c in f["corrections"].as_array().unwrap() {
        let method = match c["method"].as_str().unwrap() {
            "holm" => Correction::Holm,
            "benjamini-hochberg" => Correction::BenjaminiHochberg,
            "bonferroni" => Correction::Bonferroni,
            other => panic!("{other}"),
        };
        let adjusted = stats::adjust(&floats(&c["p"]), method).unwrap();
        for (a, b) in adjusted.iter().zip(floats(&c["adjusted"])) {
            assert_rel(*a, b, &format!("{method:?} {}", c["p"]));
        }
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let err = |r: Result<stats::TestResult, StatsError>| r.unwrap_err().to_string();
    assert!(err(stats::welch_t(&[], &[1.0, 2.0], Alternative::TwoSided)).contains("empty sample"));
    assert!(err(stats::welch_t(&[1.0], &[1.0, 2.0], Alternative::TwoSided)).contains("at least 2 values"));
    let e = err(stats::student_t(&[1.0, f64::NAN], &[1.0, 2.0], Alternative::TwoSided));
    assert!(e.contains("value 1 is NaN"), "{e}");
    let e = err(stats::paired_t(&[1.0, 2.0, 3.0], &[1.0, 2.0], Alternative::TwoSided));
    assert!(e.contains("equal lengths, got 3 and 2"), "{e}");
    assert!(err(stats::wilcoxon_signed_rank(&[1.0, 2.0], &[1.0, 2.0], Alternative::TwoSided, Method::Auto)).contains("every difference is zero"));
    let e = err(stats::wilcoxon_signed_rank(&[1.0, 2.0, 4.0], &[0.0, 2.0, 1.0], Alternative::TwoSided, Method::Exact));
    assert!(e.contains("1 zero difference"), "{e}");
    assert!(err(stats::pearson(&[1.0, 2.0], &[2.0, 1.0], Alternative::TwoSided)).contains("at least 3"));
    assert!(err(stats::pearson(&[1.0, 1.0, 1.0], &[2.0, 1.0, 3.0], Alternative::TwoSided)).contains("constant"));
    assert!(err(stats::kruskal_wallis(&[&[1.0, 2.0]])).contains("at least 2"));
    assert!(err(stats::friedman(&[&[1.0, 2.0], &[1.0, 2.0], &[1.0]])).contains("equal lengths"));
    assert!(stats::adjust(&[0.2, 1.5], Correction::Holm).unwrap_err().to_string().contains("p[1]"));
    assert!(stats::cohens_d(&[1.0, 1.0], &[2.0, 2.0], false).unwrap_err().to_string().contains("zero variance"));
}

/// d = (x̄ − ȳ)/s_p by hand; J(ν) against its series 1 − 3/(4ν − 1) for large ν and its exact
/// value √(2/π)·… at ν = 2 (J(2) = Γ(1)/(1·Γ(½)) = 1/√π); rank-biserial at the extremes.
#[test]
fn effect_sizes_have_their_closed_forms() {
    let (x, y) = ([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]);
    // x̄ − ȳ = 2, s_x² = 4, s_y² = 1, s_p² = 2.5.
    assert!((stats::cohens_d(&x, &y, false).unwrap() - 2.0 / 2.5f64.sqrt()).abs() < 1e-12);
    // Paired: d = (1, 2, 3), mean 2, sd 1.
    assert!((stats::cohens_d(&x, &y, true).unwrap() - 2.0).abs() < 1e-12);
    assert!((stats::effect::hedges_correction(2.0) - 1.0 / std::f64::consts::PI.sqrt()).abs() < 1e-12);
    let j = stats::effect::hedges_correction(200.0);
    assert!((j - (1.0 - 3.0 / (4.0 * 200.0 - 1.0))).abs() < 1e-6, "{j}");
    assert!((stats::hedges_g(&x, &y, false).unwrap() - stats::effect::hedges_correction(4.0) * 2.0 / 2.5f64.sqrt()).abs() < 1e-12);
    assert_eq!(stats::rank_biserial_unpaired(&[5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap(), 1.0);
    assert_eq!(stats::rank_biserial_unpaired(&[1.0, 2.0], &[5.0, 6.0]).unwrap(), -1.0);
    // Differences (+1, −2, +3): ranks 1, 2, 3; R⁺ = 4, R⁻ = 2 → (4 − 2)/6.
    assert!((stats::rank_biserial_paired(&[2.0, 0.0, 6.0], &[1.0, 2.0, 3.0]).unwrap() - 1.0 / 3.0).abs() < 1e-12);
}

/// A fixed pseudo-random sample: standard normal (Box–Muller) or exponential of mean 1.
fn sample(n: usize, seed: u64, exponential: bool) -> Vec<f64> {
    use rand::RngExt;
    let mut rng = sglab::rng::rng(seed, 0);
    (0..n)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            if exponential { -(1.0 - u).ln() } else { (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos() }
        })
        .collect()
}

/// The percentile interval of a mean of 400 normal values is x̄ ± 1.96 s/√n within 10 % of
/// its half-width; for the mean of 60 exponential values, whose exact interval is
/// [2n x̄ / χ²_{2n}(0.975), 2n x̄ / χ²_{2n}(0.025)], BCa lands within 6 % of both ends and
/// closer to them than the percentile interval (it corrects the skew); the same seed repeats.
#[test]
fn bootstrap_intervals_match_their_analytic_counterparts() {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let mean = |s: &[&[f64]]| stats::mean(s[0]);
    let x = sample(400, 1, false);
    let ci = bootstrap_ci(&[&x], mean, 0.95, 4000, CiMethod::Percentile, 7).unwrap();
    let half = 1.959964 * (stats::variance(&x, 1) / 400.0).sqrt();
    assert!(((ci.high - ci.low) / 2.0 - half).abs() < 0.1 * half, "{ci:?} vs ±{half}");
    assert!(((ci.high + ci.low) / 2.0 - stats::mean(&x)).abs() < 0.1 * half);
    assert_eq!(bootstrap_ci(&[&x], mean, 0.95, 4000, CiMethod::Percentile, 7).unwrap(), ci);

    let e = sample(60, 3, true);
    let m = stats::mean(&e);
    let chi = ChiSquared::new(120.0).unwrap();
    let exact = (120.0 * m / chi.inverse_cdf(0.975), 120.0 * m / chi.inverse_cdf(0.025));
    let bca = bootstrap_ci(&[&e], mean, 0.95, 8000, CiMethod::Bca, 11).unwrap();
    let pct = bootstrap_ci(&[&e], mean, 0.95, 8000, CiMethod::Percentile, 11).unwrap();
    println!("exponential mean {m:.4}: exact {exact:?}, BCa ({:.4}, {:.4}), percentile ({:.4}, {:.4})", bca.low, bca.high, pct.low, pct.high);
    assert!((bca.low - exact.0).abs() < 0.06 * exact.0 && (bca.high - exact.1).abs() < 0.06 * exact.1);
    let error = |lo: f64, hi: f64| (lo - exact.0).abs() + (hi - exact.1).abs();
    assert!(error(bca.low, bca.high) < error(pct.low, pct.high));
    assert!(bootstrap_ci(&[&e], mean, 1.5, 100, CiMethod::Bca, 0).unwrap_err().to_string().contains("level"));
}

/// Accuracy of three surrogate shapes over four seeds × two learning rates: the paired table
/// has one row per non-reference shape, its statistics equal the direct calls on the matched
/// rows, Holm's adjustment of the two p-values, and a CI that contains the mean difference.
#[test]
fn compare_groups_gives_a_tidy_table() {
    let shapes = ["fast-sigmoid", "triangular", "exponential"];
    let (mut shape, mut seed, mut lr, mut acc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, s) in shapes.iter().enumerate() {
        for sd in 0..4i64 {
            for (l, rate) in [1e-3, 1e-2].iter().enumerate() {
                shape.push(*s);
                seed.push(sd);
                lr.push(*rate);
                acc.push(0.8 - 0.03 * k as f64 + 0.01 * ((sd * 7 + l as i64 * 3 + k as i64 * 5) % 5) as f64);
            }
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape.clone()),
        Column::new("seed".into(), seed.clone()),
        Column::new("lr".into(), lr.clone()),
        Column::new("accuracy".into(), acc.clone()),
    ])
    .unwrap();
    let options = CompareOptions {
        test: GroupTest::Wilcoxon,
        pair_by: vec!["seed".into(), "lr".into()],
        reference: Some("fast-sigmoid".into()),
        ..CompareOptions::default()
    };
    let table = compare_groups(&df, "accuracy", "shape", &options).unwrap();
    println!("{table}");
    assert_eq!(table.height(), 2);
    let col = |name: &str| table.column(name).unwrap().f64().unwrap().iter().map(|v| v.unwrap()).collect::<Vec<f64>>();
    let group_a: Vec<String> = table.column("group_a").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
    assert_eq!(group_a, vec!["exponential", "triangular"]);
    let of = |s: &str| acc.iter().zip(&shape).filter(|(_, sh)| **sh == s).map(|(a, _)| *a).collect::<Vec<f64>>();
    let reference = of("fast-sigmoid");
    let mut p = Vec::new();
    for (row, s) in group_a.iter().enumerate() {
        let direct = stats::wilcoxon_signed_rank(&of(s), &reference, Alternative::TwoSided, Method::Auto).unwrap();
        assert_eq!(col("statistic")[row], direct.statistic);
        assert_eq!(col("p")[row], direct.p_value);
        p.push(direct.p_value);
        let diff = stats::mean(&of(s)) - stats::mean(&reference);
        assert!(col("ci_low")[row] <= diff && diff <= col("ci_high")[row]);
    }
    assert_eq!(col("p_adjusted"), stats::adjust(&p, Correction::Holm).unwrap());

    let err = compare_groups(&df, "accuracy", "shape", &CompareOptions { test: GroupTest::PairedT, ..CompareOptions::default() })
        .unwrap_err()
        .to_string();
    assert!(err.contains("pair_by"), "{err}");
    let err = compare_groups(&df, "acc", "shape", &CompareOptions::default()).unwrap_err().to_string();
    assert!(err.contains("no column `acc`"), "{err}");
    let err = compare_groups(&df, "accuracy", "shape", &CompareOptions { test: GroupTest::Wilcoxon, pair_by: vec!["seed".into()], ..CompareOptions::default() })
        .unwrap_err()
        .to_string();
    assert!(err.contains("not unique"), "{err}");
}

/// TOST against scipy: statsmodels' `ttost_paired` / `ttost_ind(usevar="unequal")` are the two
/// one-sided scipy tests below, and p is their maximum. Reference values from scipy 1.17.1:
/// `ttest_rel(x + δ, y, alternative="greater")`, `ttest_rel(x − δ, y, alternative="less")`,
/// the 90 % interval d̄ ± t_{0.95, n−1} s_d/√n, and the same with `ttest_ind(..., equal_var=False)`.
#[test]
fn tost_matches_scipy_two_one_sided_tests() {
    let x = [0.912, 0.905, 0.921, 0.899, 0.915, 0.908, 0.917, 0.903];
    let y = [0.910, 0.909, 0.915, 0.902, 0.911, 0.906, 0.920, 0.900];
    let paired = stats::tost_paired(&x, &y, 0.01).unwrap();
    assert_rel(paired.lower.statistic, 8.268322761619952, "paired lower t");
    assert_rel(paired.lower.p_value, 3.689614316256326e-05, "paired lower p");
    assert_rel(paired.upper.statistic, -6.937788064347775, "paired upper t");
    assert_rel(paired.upper.p_value, 0.00011181099935207822, "paired upper p");
    assert_rel(paired.p_value, 0.00011181099935207822, "paired TOST p");
    assert!((paired.ci90.0 - -0.0016168647861682082).abs() < 1e-12 && (paired.ci90.1 - 0.0033668647861682098).abs() < 1e-12, "{:?}", paired.ci90);
    assert!(paired.equivalent(0.05));
    let welch = stats::tost_welch(&x, &y, 0.01).unwrap();
    assert_rel(welch.lower.statistic, 3.078389198466427, "Welch lower t");
    assert_rel(welch.lower.p_value, 0.004165979384075283, "Welch lower p");
    assert_rel(welch.upper.statistic, -2.5830162240005867, "Welch upper t");
    assert_rel(welch.p_value, 0.01097132393105382, "Welch TOST p");
    // A margin inside the observed spread cannot show equivalence, and the 90 % interval then
    // reaches past it.
    let narrow = stats::tost_paired(&x, &y, 0.001).unwrap();
    assert!(!narrow.equivalent(0.05) && narrow.ci90.1 > 0.001, "{narrow:?}");
    assert!(matches!(stats::tost_paired(&x, &y, 0.0), Err(StatsError::Degenerate { .. })));
}

/// The max-t sign-flip test in closed form: with every difference positive, the observed mean —
/// and, since Σd² is the same under every flip, the observed t — is the largest of all 2ⁿ flips,
/// so p = 2⁻ⁿ; a second grid point proportional to the first changes nothing; a grid point that
/// is worse on every seed gives p = 1; the chosen point's own all-zero row is skipped.
#[test]
fn max_t_sign_flip_has_its_closed_forms() {
    let d = vec![0.03, 0.01, 0.02, 0.05, 0.04, 0.015, 0.025, 0.035];
    let zeros = vec![0.0; 8];
    let one = stats::max_t_sign_flip(&[d.clone(), zeros.clone()], 0).unwrap();
    assert_eq!(one.flips, 256);
    assert_eq!(one.p_value, 1.0 / 256.0);
    assert_eq!(one.argmax, 0);
    let twice: Vec<f64> = d.iter().map(|v| 2.0 * v).collect();
    let two = stats::max_t_sign_flip(&[zeros.clone(), d.clone(), twice], 0).unwrap();
    assert_eq!(two.p_value, 1.0 / 256.0);
    assert!((two.statistic - one.statistic).abs() < 1e-12);
    let worse: Vec<f64> = d.iter().map(|v| -v).collect();
    assert_eq!(stats::max_t_sign_flip(&[worse], 0).unwrap().p_value, 1.0);
    // Mixed signs: between the extremes, and at least the share of flips that keep the sign
    // pattern's t (itself and, here, no other).
    let mixed = vec![0.03, -0.01, 0.02, 0.05, -0.04, 0.015, 0.025, 0.035];
    let m = stats::max_t_sign_flip(&[mixed], 0).unwrap();
    assert!(m.p_value > 1.0 / 256.0 && m.p_value < 0.5, "{m:?}");
    assert!(matches!(stats::max_t_sign_flip(&[zeros], 0), Err(StatsError::Degenerate { .. })));
    assert!(matches!(stats::max_t_sign_flip(&[vec![0.1]], 0), Err(StatsError::TooFew { .. })));
}
