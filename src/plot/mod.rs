//! Figure builders for the studies, on plotly.rs: surrogate shapes, a metric against the
//! learning rate with a band, grouped bars with error bars and significance markers, heatmaps
//! with a marked prediction, named curves with error bars, scatter with a regression line, spike rasters, voltage traces and
//! training curves.
//!
//! Every builder returns a [`Figure`]: it displays inline in an evcxr notebook (as text/html,
//! with plotly.js embedded once per kernel — see [`crate::display`]), saves to an HTML file,
//! saves as static SVG and PNG through headless Chromium ([`save_static`]), and exposes its
//! plotly JSON for inspection.

mod bands;
mod bars;
mod curves;
mod export;
mod figure;
mod heatmap;
mod raster;
mod scatter;
mod series;
mod shapes;

pub use bands::{Band, metric_vs_x};
pub use bars::{Significance, grouped_bars, stars};
pub use curves::training_curves;
pub use export::{ImageSize, chromium, save_static};
pub use figure::{Figure, Labels};
pub use heatmap::heatmap;
pub use raster::{spike_raster, voltage_traces};
pub use scatter::scatter_with_fit;
pub use series::{Series, series};
pub use shapes::surrogate_shapes;

pub(crate) use crate::table::distinct;

/// Errors of the figure builders.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlotError {
    /// A table column that is missing, null or not numeric.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
    /// Input of the wrong shape or values.
    #[error("{0}")]
    Input(String),
    /// A statistic shown on the figure could not be computed.
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsError),
    /// The static SVG/PNG export failed (no Chromium, or the page could not draw a figure).
    #[error("static figure export: {0}")]
    StaticExport(String),
    /// A figure file could not be written.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
}

impl PlotError {
    /// A failed read or write of `path`.
    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        PlotError::Io { path: path.display().to_string(), message: e.to_string() }
    }
}

/// The colours of successive groups (plotly's default sequence), as `(r, g, b)`.
pub(crate) const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Colour k of the palette with opacity `alpha`, as a CSS string.
pub(crate) fn colour(k: usize, alpha: f64) -> String {
    let (r, g, b) = PALETTE[k % PALETTE.len()];
    format!("rgba({r},{g},{b},{alpha})")
}


/// A p-value for a label: three decimals, or scientific notation below 0.001.
pub fn format_p(p: f64) -> String {
    if p < 1e-3 { format!("{p:.1e}") } else { format!("{p:.3}") }
}
