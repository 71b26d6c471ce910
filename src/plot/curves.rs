//! Training curves: metrics against epoch, one line per run or group.

use plotly::common::{Line, Mode};
use plotly::{Plot, Scatter};
use polars::prelude::DataFrame;

use super::{Figure, Labels, PlotError, colour, distinct};
use crate::table::{f64_column, string_column};

/// For each column of `metrics` and each value of `group` (e.g. `run_id` of a history table),
/// the metric against `x` (e.g. `epoch`), as "group · metric" lines; rows with a null metric
/// are an error naming the row (select or fill them first).
pub fn training_curves(df: &DataFrame, x: &str, metrics: &[&str], group: &str, labels: &Labels) -> Result<Figure, PlotError> {
    if metrics.is_empty() {
        return Err(PlotError::Input("training_curves: no metric column given".into()));
    }
    let (xs, gs) = (f64_column(df, x)?, string_column(df, group)?);
    let mut plot = Plot::new();
    let groups = distinct(&gs);
    for (m, metric) in metrics.iter().enumerate() {
        let ys = f64_column(df, metric)?;
        for (k, g) in groups.iter().enumerate() {
            let mut points: Vec<(f64, f64)> = xs.iter().zip(&ys).zip(&gs).filter(|(_, h)| *h == g).map(|((x, y), _)| (*x, *y)).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let dash = if m == 0 { plotly::common::DashType::Solid } else { plotly::common::DashType::Dash };
            plot.add_trace(
                Scatter::new(points.iter().map(|p| p.0).collect(), points.iter().map(|p| p.1).collect())
                    .mode(Mode::Lines)
                    .name(format!("{g} · {metric}"))
                    .line(Line::new().color(colour(k, 1.0)).dash(dash)),
            );
        }
    }
    plot.set_layout(labels.layout(false));
    Ok(Figure::new(plot))
}
