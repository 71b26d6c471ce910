//! The exact binomial test of k successes in n trials against a success probability p₀
//! (scipy.stats.binomtest):
//!
//! ```text
//! greater    p = P(K ≥ k) = Σ_{i=k}^{n} C(n, i) p₀^i (1 − p₀)^{n−i}
//! less       p = P(K ≤ k)
//! two-sided  p = Σ_{i : P(K = i) ≤ P(K = k)(1 + 10⁻⁷)} P(K = i)     (scipy's "minlike")
//! ```
//!
//! The probabilities are summed in log space from `ln C(n, i) = ln Γ(n+1) − ln Γ(i+1) −
//! ln Γ(n−i+1)`, exact enough for the evaluation sets of a study (n in the thousands).

use statrs::function::gamma::ln_gamma;

use super::{Alternative, StatsError, TestResult};

/// P(K = i) for K ~ Binomial(n, p).
fn probability(n: u64, i: u64, p: f64) -> f64 {
    if p == 0.0 {
        return f64::from(u8::from(i == 0));
    }
    if p == 1.0 {
        return f64::from(u8::from(i == n));
    }
    let (n_f, i_f) = (n as f64, i as f64);
    let log = ln_gamma(n_f + 1.0) - ln_gamma(i_f + 1.0) - ln_gamma(n_f - i_f + 1.0) + i_f * p.ln() + (n_f - i_f) * (1.0 - p).ln();
    log.exp()
}

/// The exact binomial test of `successes` in `trials` against probability `p0` (module docs);
/// the statistic is the observed proportion k/n.
pub fn binomial_test(successes: u64, trials: u64, p0: f64, alternative: Alternative) -> Result<TestResult, StatsError> {
    if trials == 0 {
        return Err(StatsError::TooFew { what: "binomial test".into(), needed: 1, got: 0 });
    }
    if successes > trials {
        return Err(StatsError::Parameter { name: "successes".into(), message: format!("at most the {trials} trials, got {successes}") });
    }
    if !(0.0..=1.0).contains(&p0) {
        return Err(StatsError::Parameter { name: "p0".into(), message: format!("a probability in [0, 1], got {p0}") });
    }
    let pmf = |i: u64| probability(trials, i, p0);
    let p_value = match alternative {
        Alternative::Greater => (successes..=trials).map(pmf).sum::<f64>(),
        Alternative::Less => (0..=successes).map(pmf).sum::<f64>(),
        Alternative::TwoSided => {
            let limit = pmf(successes) * (1.0 + 1e-7);
            (0..=trials).map(pmf).filter(|&q| q <= limit).sum::<f64>()
        }
    };
    Ok(TestResult { test: "exact binomial".into(), statistic: successes as f64 / trials as f64, p_value: p_value.min(1.0), df: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy 1.x `binomtest(k, n, p, alternative).pvalue`: greater, less, two-sided.
    #[test]
    fn p_values_match_scipy() {
        let cases = [
            (20, 100, 0.1, [0.0019785608657712354, 0.9991924261256337, 0.0023002489189653513]),
            (3, 10, 0.5, [0.9453125, 0.171875, 0.34375]),
            (7, 40, 0.1, [0.09951642396555122, 0.9580980573266362, 0.11429730690698581]),
            (176, 1600, 0.1, [0.09943670173859871, 0.9139940924063634, 0.18236693448848004]),
            (5, 100, 0.1, [0.9762889173365231, 0.05757688648703396, 0.13014985175191468]),
        ];
        for (k, n, p, expected) in cases {
            for (alternative, want) in [Alternative::Greater, Alternative::Less, Alternative::TwoSided].into_iter().zip(expected) {
                let got = binomial_test(k, n, p, alternative).unwrap().p_value;
                assert!((got - want).abs() < 1e-9 * want.max(1e-3), "k {k} n {n} p {p} {alternative:?}: {got} vs {want}");
            }
        }
        assert!(binomial_test(3, 2, 0.5, Alternative::Greater).is_err());
        assert!(binomial_test(0, 0, 0.5, Alternative::Greater).is_err());
        assert!(binomial_test(1, 2, 1.5, Alternative::Greater).is_err());
    }
}
