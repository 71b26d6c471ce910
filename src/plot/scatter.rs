//! Scatter of two measurements with the least-squares line and Pearson's r and p in the
//! legend (e.g. accuracy against initial firing rate, paper Fig. 4).

use plotly::common::Mode;
use plotly::{Plot, Scatter};

use super::{Figure, Labels, PlotError, colour};
use crate::stats::{Alternative, pearson};

/// Points (x, y) named `name`, and the fitted line y = a + b x named "fit: r = …, p = …".
pub fn scatter_with_fit(x: &[f64], y: &[f64], name: &str, labels: &Labels) -> Result<Figure, PlotError> {
    let r = pearson(x, y, Alternative::TwoSided)?;
    let (mx, my) = (crate::stats::mean(x), crate::stats::mean(y));
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let slope = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx;
    let intercept = my - slope * mx;
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let mut plot = Plot::new();
    plot.add_trace(Scatter::new(x.to_vec(), y.to_vec()).mode(Mode::Markers).name(name).marker(plotly::common::Marker::new().color(colour(0, 0.8))));
    plot.add_trace(
        Scatter::new(vec![lo, hi], vec![intercept + slope * lo, intercept + slope * hi])
            .mode(Mode::Lines)
            .name(format!("fit: r = {:.3}, p = {} (n = {})", r.statistic, super::format_p(r.p_value), x.len()))
            .line(plotly::common::Line::new().color(colour(1, 1.0))),
    );
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
