//! Grouped bar charts of a mean per (category, group) with error bars and significance
//! markers (paper Table 1-style comparisons, the conditions ablation).

use plotly::common::{ErrorData, ErrorType};
use plotly::layout::{Annotation, BarMode};
use plotly::{Bar, Plot};
use polars::prelude::DataFrame;

use super::{Band, Figure, Labels, PlotError, colour, distinct};
use crate::table::{f64_column, string_column};

/// A significance marker between two groups within one category.
#[derive(Debug, Clone, PartialEq)]
pub struct Significance {
    /// The category (x position).
    pub category: String,
    /// First group.
    pub group_a: String,
    /// Second group.
    pub group_b: String,
    /// The (adjusted) p-value.
    pub p: f64,
}

/// The usual star code: `***` p < 0.001, `**` p < 0.01, `*` p < 0.05, `n.s.` otherwise.
pub fn stars(p: f64) -> &'static str {
    if p < 0.001 {
        "***"
    } else if p < 0.01 {
        "**"
    } else if p < 0.05 {
        "*"
    } else {
        "n.s."
    }
}

/// Bars of the mean of `value` per `category` (x) and `group` (colour), with `error` bars, and
/// one annotation per marker above its category: the stars over the p-value ("**" over
/// "p = 0.004"), narrow enough for one category's width, with "a vs b: ** (p = 0.004)" as its
/// hover text (a caption says what was compared).
pub fn grouped_bars(
    df: &DataFrame,
    category: &str,
    group: &str,
    value: &str,
    error: Band,
    markers: &[Significance],
    labels: &Labels,
) -> Result<Figure, PlotError> {
    let (cs, gs, vs) = (string_column(df, category)?, string_column(df, group)?, f64_column(df, value)?);
    if vs.is_empty() {
        return Err(PlotError::Input("grouped_bars: the table has no rows".into()));
    }
    let categories = distinct(&cs);
    let mut plot = Plot::new();
    let mut top = f64::NEG_INFINITY;
    for (k, g) in distinct(&gs).iter().enumerate() {
        let (mut x, mut y, mut e) = (Vec::new(), Vec::new(), Vec::new());
        for c in &categories {
            let v: Vec<f64> = vs.iter().zip(&cs).zip(&gs).filter(|((_, cc), gg)| *cc == c && *gg == g).map(|((v, _), _)| *v).collect();
            if v.is_empty() {
                continue;
            }
            let (m, h) = (crate::stats::mean(&v), error.half_width(&v));
            top = top.max(m + h);
            x.push(c.clone());
            y.push(m);
            e.push(h);
        }
        let mut bar = Bar::new(x, y).name(g).marker(plotly::common::Marker::new().color(colour(k, 0.85)));
        if error != Band::None {
            bar = bar.error_y(ErrorData::new(ErrorType::Data).array(e).visible(true));
        }
        plot.add_trace(bar);
    }
    let mut annotations = Vec::new();
    for (i, m) in markers.iter().enumerate() {
        if !categories.contains(&m.category) {
            return Err(PlotError::Input(format!("grouped_bars: marker category {:?} is not among {categories:?}", m.category)));
        }
        let stacked = markers[..i].iter().filter(|o| o.category == m.category).count() as f64;
        let (code, p) = (stars(m.p), super::format_p(m.p));
        annotations.push(
            Annotation::new()
                .x(m.category.clone())
                .y(top * (1.05 + 0.1 * stacked))
                .text(format!("{code}<br>p = {p}"))
                .hover_text(format!("{} vs {}: {code} (p = {p})", m.group_a, m.group_b))
                .show_arrow(false),
        );
    }
    let layout = labels.layout(false).bar_mode(BarMode::Group).annotations(annotations);
    plot.set_layout(layout);
    Ok(Figure::new(plot))
}
