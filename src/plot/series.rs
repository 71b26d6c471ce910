//! Named curves y(x) sharing one x axis, each with optional ± error bars (e.g. a Monte-Carlo
//! estimate with its standard error beside the closed form it estimates).

use plotly::common::{ErrorData, ErrorType, Mode};
use plotly::{Plot, Scatter};

use super::{Figure, Labels, PlotError, colour};

/// One curve of [`series`]: its name, values and optional error half-widths.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// y at each x.
    pub y: Vec<f64>,
    /// ± error bar at each x, drawn as markers with bars; `None` draws a line.
    pub error: Option<Vec<f64>>,
}

impl Series {
    /// A line.
    pub fn line(name: impl Into<String>, y: Vec<f64>) -> Self {
        Series { name: name.into(), y, error: None }
    }

    /// Markers with ± `error` bars.
    pub fn with_errors(name: impl Into<String>, y: Vec<f64>, error: Vec<f64>) -> Self {
        Series { name: name.into(), y, error: Some(error) }
    }
}

/// Every series against `x`; each must have one value (and error) per x.
pub fn series(x: &[f64], curves: &[Series], labels: &Labels) -> Result<Figure, PlotError> {
    let mut plot = Plot::new();
    for (k, s) in curves.iter().enumerate() {
        if s.y.len() != x.len() || s.error.as_ref().is_some_and(|e| e.len() != x.len()) {
            return Err(PlotError::Input(format!("series {:?}: {} values per curve were expected (one per x)", s.name, x.len())));
        }
        let trace = Scatter::new(x.to_vec(), s.y.clone()).name(s.name.as_str());
        let trace = match &s.error {
            Some(e) => trace
                .mode(Mode::Markers)
                .marker(plotly::common::Marker::new().color(colour(k, 1.0)))
                .error_y(ErrorData::new(ErrorType::Data).array(e.clone())),
            None => trace.mode(Mode::Lines).line(plotly::common::Line::new().color(colour(k, 1.0))),
        };
        plot.add_trace(trace);
    }
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
