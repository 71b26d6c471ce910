//! Spike rasters and membrane voltage traces of one sample.

use plotly::common::{DashType, Line, Marker, MarkerSymbol, Mode};
use plotly::{Plot, Scatter};

use super::{Figure, Labels, PlotError, colour};

/// A dot at (t, neuron) for every spike of `spikes[t][neuron]` > 0.5 (`[T][N]`).
pub fn spike_raster(spikes: &[Vec<f64>], labels: &Labels) -> Result<Figure, PlotError> {
    let width = spikes.first().map_or(0, Vec::len);
    if let Some(t) = spikes.iter().position(|row| row.len() != width) {
        return Err(PlotError::Input(format!("spike_raster: step {t} has {} neurons, step 0 has {width}", spikes[t].len())));
    }
    let (mut t, mut n) = (Vec::new(), Vec::new());
    for (step, row) in spikes.iter().enumerate() {
        for (neuron, &s) in row.iter().enumerate() {
            if s > 0.5 {
                t.push(step as f64);
                n.push(neuron as f64);
            }
        }
    }
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(t, n)
            .mode(Mode::Markers)
            .marker(Marker::new().symbol(MarkerSymbol::LineNSOpen).size(6).color(colour(0, 1.0)))
            .name("spikes"),
    );
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}

/// One line per trace `v[k][t]` named `names[k]`, and a dashed threshold line when given.
pub fn voltage_traces(v: &[Vec<f64>], names: &[String], threshold: Option<f64>, labels: &Labels) -> Result<Figure, PlotError> {
    if v.len() != names.len() {
        return Err(PlotError::Input(format!("voltage_traces: {} traces but {} names", v.len(), names.len())));
    }
    let steps = v.iter().map(Vec::len).max().unwrap_or(0);
    let mut plot = Plot::new();
    for (k, (trace, name)) in v.iter().zip(names).enumerate() {
        let t: Vec<f64> = (0..trace.len()).map(|s| s as f64).collect();
        plot.add_trace(Scatter::new(t, trace.clone()).mode(Mode::Lines).name(name).line(Line::new().color(colour(k, 1.0))));
    }
    if let Some(theta) = threshold {
        plot.add_trace(
            Scatter::new(vec![0.0, steps.saturating_sub(1) as f64], vec![theta, theta])
                .mode(Mode::Lines)
                .name("threshold ϑ")
                .line(Line::new().dash(DashType::Dash).color("black")),
        );
    }
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
