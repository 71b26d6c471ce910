//! Surrogate derivatives σ′(v) over the voltage (paper Fig. 1).

use plotly::common::Mode;
use plotly::{Plot, Scatter};

use super::{Figure, Labels, PlotError, colour};
use crate::surrogate::Surrogate;

/// One line per `(name, surrogate)`: σ′(v) on `points` values of v in `range`.
pub fn surrogate_shapes(curves: &[(String, Surrogate)], range: (f64, f64), points: usize, labels: &Labels) -> Result<Figure, PlotError> {
    if curves.is_empty() {
        return Err(PlotError::Input("surrogate_shapes: no surrogate to plot".into()));
    }
    if !(range.0 < range.1) || points < 2 {
        return Err(PlotError::Input(format!("surrogate_shapes: a range lo < hi and at least 2 points, got {range:?} and {points}")));
    }
    let v: Vec<f64> = (0..points).map(|k| range.0 + (range.1 - range.0) * k as f64 / (points - 1) as f64).collect();
    let mut plot = Plot::new();
    for (k, (name, s)) in curves.iter().enumerate() {
        let y: Vec<f64> = v.iter().map(|&x| s.derivative(x)).collect();
        plot.add_trace(
            Scatter::new(v.clone(), y)
                .mode(Mode::Lines)
                .name(name)
                .line(plotly::common::Line::new().color(colour(k, 1.0))),
        );
    }
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
