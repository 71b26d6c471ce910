//! A heatmap of a metric over a two-parameter grid (e.g. dampening γ × sharpness β) with the
//! predicted point marked.

use plotly::common::{Marker, MarkerSymbol, Mode};
use plotly::{HeatMap, Plot, Scatter};

use super::{Figure, Labels, PlotError};

/// `z[i][j]` at (`x[j]`, `y[i]`); `predicted` marks a point with a cross named `predicted_name`.
pub fn heatmap(
    x: &[f64],
    y: &[f64],
    z: &[Vec<f64>],
    predicted: Option<(f64, f64)>,
    predicted_name: &str,
    labels: &Labels,
) -> Result<Figure, PlotError> {
    if z.len() != y.len() || z.iter().any(|row| row.len() != x.len()) {
        return Err(PlotError::Input(format!(
            "heatmap: z must have {} rows of {} values (y × x), got {} rows of lengths {:?}",
            y.len(),
            x.len(),
            z.len(),
            z.iter().map(Vec::len).collect::<Vec<_>>()
        )));
    }
    let mut plot = Plot::new();
    plot.add_trace(HeatMap::new(x.to_vec(), y.to_vec(), z.to_vec()).name(labels.title.as_str()));
    if let Some((px, py)) = predicted {
        plot.add_trace(
            Scatter::new(vec![px], vec![py])
                .mode(Mode::Markers)
                .marker(Marker::new().symbol(MarkerSymbol::X).size(14).color("white"))
                .name(predicted_name),
        );
    }
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
