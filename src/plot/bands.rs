//! A metric against a numeric setting (learning rate, γ, …) per group: the mean over runs as a
//! line with a shaded band (paper Fig. 2).

use plotly::common::{Fill, Line, Mode};
use plotly::{Plot, Scatter};
use polars::prelude::DataFrame;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Figure, Labels, PlotError, colour, distinct};
use crate::table::{f64_column, string_column};

/// What the shaded band shows around the mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Band {
    /// ± one sample standard deviation.
    #[default]
    Std,
    /// The 95 % t confidence interval of the mean, ± t₀.₉₇₅(n − 1) s/√n.
    Ci95,
    /// No band.
    None,
}

impl Band {
    /// Half-width of the band for values `v` (0 for a single value).
    pub(crate) fn half_width(self, v: &[f64]) -> f64 {
        let n = v.len();
        if n < 2 || self == Band::None {
            return 0.0;
        }
        let sd = crate::stats::variance(v, 1).sqrt();
        match self {
            Band::Std => sd,
            Band::Ci95 => {
                let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("n ≥ 2").inverse_cdf(0.975);
                t * sd / (n as f64).sqrt()
            }
            Band::None => 0.0,
        }
    }
}

/// Mean of `y` against `x` for each value of `group` (rows with the same group and x are
/// runs, e.g. seeds), with a `band`; logarithmic x when `log_x`.
pub fn metric_vs_x(df: &DataFrame, x: &str, y: &str, group: &str, band: Band, log_x: bool, labels: &Labels) -> Result<Figure, PlotError> {
    let (xs, ys, gs) = (f64_column(df, x)?, f64_column(df, y)?, string_column(df, group)?);
    if xs.is_empty() {
        return Err(PlotError::Input("metric_vs_x: the table has no rows".into()));
    }
    let mut plot = Plot::new();
    for (k, g) in distinct(&gs).iter().enumerate() {
        let mut points: Vec<f64> = xs.iter().zip(&gs).filter(|(_, h)| *h == g).map(|(x, _)| *x).collect();
        points.sort_by(f64::total_cmp);
        points.dedup();
        let stats: Vec<(f64, f64, f64)> = points
            .iter()
            .map(|&px| {
                let v: Vec<f64> = xs.iter().zip(&ys).zip(&gs).filter(|((x, _), h)| **x == px && *h == g).map(|((_, y), _)| *y).collect();
                let m = crate::stats::mean(&v);
                let h = band.half_width(&v);
                (m, m - h, m + h)
            })
            .collect();
        if band != Band::None {
            plot.add_trace(
                Scatter::new(points.clone(), stats.iter().map(|s| s.2).collect())
                    .mode(Mode::Lines)
                    .line(Line::new().width(0.0))
                    .show_legend(false)
                    .legend_group(g)
                    .name(format!("{g} upper")),
            );
            plot.add_trace(
                Scatter::new(points.clone(), stats.iter().map(|s| s.1).collect())
                    .mode(Mode::Lines)
                    .line(Line::new().width(0.0))
                    .fill(Fill::ToNextY)
                    .fill_color(colour(k, 0.2))
                    .show_legend(false)
                    .legend_group(g)
                    .name(format!("{g} lower")),
            );
        }
        plot.add_trace(
            Scatter::new(points, stats.iter().map(|s| s.0).collect())
                .mode(Mode::LinesMarkers)
                .line(Line::new().color(colour(k, 1.0)))
                .legend_group(g)
                .name(g),
        );
    }
    plot.set_layout(labels.layout(log_x));
    Ok(Figure::new(plot))
}
