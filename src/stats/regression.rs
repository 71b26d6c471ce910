//! The least-squares line through paired samples.
//!
//! ```text
//! slope b = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)²,    intercept a = ȳ − b x̄
//! ```

use super::{StatsError, check_paired, mean};

/// The line y = intercept + slope · x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// a.
    pub intercept: f64,
    /// b.
    pub slope: f64,
}

impl LineFit {
    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// The least-squares line of `y` on `x` (module docs); an error for fewer than 2 pairs, unequal
/// lengths, non-finite values or a constant `x`.
pub fn least_squares(x: &[f64], y: &[f64]) -> Result<LineFit, StatsError> {
    check_paired("least squares", x, y, 2)?;
    let (mx, my) = (mean(x), mean(y));
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if sxx == 0.0 {
        return Err(StatsError::Degenerate { what: "least squares".into(), message: "x is constant, so no line is determined".into() });
    }
    let slope = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx;
    Ok(LineFit { intercept: my - slope * mx, slope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_recovers_a_line_and_refuses_a_constant_x() {
        let x = [0.0, 1.0, 2.0, 4.0];
        let fit = least_squares(&x, &x.map(|v| 3.0 - 0.5 * v)).unwrap();
        assert!((fit.intercept - 3.0).abs() < 1e-15 && (fit.slope + 0.5).abs() < 1e-15);
        assert_eq!(fit.at(2.0), fit.intercept + 2.0 * fit.slope);
        // Σ(x − 1.5)(y − 1.5) = 3.75 − 0.25 + 0.75 + 0.75 = 5 = Σ(x − 1.5)²: slope 1, intercept 1.5 − 1.5 = 0.
        let fit = least_squares(&[0.0, 1.0, 2.0, 3.0], &[-1.0, 2.0, 3.0, 2.0]).unwrap();
        assert!((fit.slope - 1.0).abs() < 1e-15 && fit.intercept.abs() < 1e-15);
        assert!(matches!(least_squares(&[1.0, 1.0], &[0.0, 2.0]), Err(StatsError::Degenerate { .. })));
        assert!(least_squares(&[1.0], &[0.0]).is_err());
    }
}
