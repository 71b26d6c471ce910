//! Scatter of two measurements with the least-squares line and Pearson's r and p in the
//! legend (e.g. accuracy against initial firing rate, paper Fig. 4).

use plotly::common::Mode;
use plotly::{Plot, Scatter};

use super::{Figure, Labels, PlotError, colour};
use crate::stats::{Alternative, least_squares, pearson};

/// Points (x, y) named `name`, and the fitted line y = a + b x named "fit: r = …, p = …".
pub fn scatter_with_fit(x: &[f64], y: &[f64], name: &str, labels: &Labels) -> Result<Figure, PlotError> {
    let r = pearson(x, y, Alternative::TwoSided)?;
    let line = least_squares(x, y)?;
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let mut plot = Plot::new();
    plot.add_trace(Scatter::new(x.to_vec(), y.to_vec()).mode(Mode::Markers).name(name).marker(plotly::common::Marker::new().color(colour(0, 0.8))));
    plot.add_trace(
        Scatter::new(vec![lo, hi], vec![line.at(lo), line.at(hi)])
            .mode(Mode::Lines)
            .name(format!("fit: r = {:.3}, p = {} (n = {})", r.statistic, super::format_p(r.p_value), x.len()))
            .line(plotly::common::Line::new().color(colour(1, 1.0))),
    );
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
