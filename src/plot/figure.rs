//! The figure type the builders return.

use std::path::Path;

use plotly::Plot;
use plotly::layout::{Axis, AxisType, Layout};

use super::PlotError;

/// Title and axis titles of a figure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    /// Figure title.
    pub title: String,
    /// x-axis title.
    pub x: String,
    /// y-axis title.
    pub y: String,
}

impl Labels {
    /// Labels from three strings.
    pub fn new(title: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        Labels { title: title.into(), x: x.into(), y: y.into() }
    }

    /// A plotly layout with these titles, a logarithmic x axis when `log_x`.
    pub(crate) fn layout(&self, log_x: bool) -> Layout {
        let mut x_axis = Axis::new().title(self.x.as_str());
        if log_x {
            x_axis = x_axis.type_(AxisType::Log);
        }
        Layout::new().title(self.title.as_str()).x_axis(x_axis).y_axis(Axis::new().title(self.y.as_str()))
    }
}

/// A plotly figure.
#[derive(Clone)]
pub struct Figure {
    plot: Plot,
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Figure({} traces)", self.plot.data().len())
    }
}

impl Figure {
    /// Wraps a plotly plot.
    pub fn new(plot: Plot) -> Self {
        Figure { plot }
    }

    /// The plotly plot.
    pub fn plot(&self) -> &Plot {
        &self.plot
    }

    /// Adds a dashed vertical line at `x` from `y_range.0` to `y_range.1`, named in the legend
    /// (e.g. a predicted value on a sweep).
    pub fn add_vertical_line(&mut self, x: f64, y_range: (f64, f64), name: &str) {
        let line = plotly::Scatter::new(vec![x, x], vec![y_range.0, y_range.1])
            .mode(plotly::common::Mode::Lines)
            .name(name)
            .line(plotly::common::Line::new().dash(plotly::common::DashType::Dash).color("black"));
        self.plot.add_trace(line);
    }

    /// The figure as plotly JSON (`{"data": [...], "layout": {...}, ...}`).
    pub fn to_json(&self) -> String {
        self.plot.to_json()
    }

    /// The figure as a `<div>` and the `<script>` that draws it, for a page that has loaded
    /// plotly.js. The JSON is escaped so that it cannot close the script element.
    pub fn html_fragment(&self) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = format!(
            "sglab-figure-{}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros()),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let json = self.to_json().replace("</", "<\\/");
        format!("<div id=\"{id}\" class=\"plotly-graph-div\" style=\"width:100%;min-height:450px;\"></div>\n<script type=\"text/javascript\">Plotly.newPlot(\"{id}\", {json});</script>")
    }

    /// A self-contained HTML page with plotly.js embedded (about 4.7 MB).
    pub fn to_standalone_html(&self) -> String {
        page(&format!("<script type=\"text/javascript\">{}</script>", crate::display::plotly_js()), &self.html_fragment())
    }

    /// Writes the figure to `path` as an HTML page that loads `plotly.min.js` from its own
    /// directory, writing that file there once — a folder of figures shares one copy and
    /// opens offline. Each file is replaced in one step, so an interrupted save leaves the old
    /// page or the new one.
    pub fn save_html(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| PlotError::io(dir, &e))?;
        let js = dir.join("plotly.min.js");
        if std::fs::metadata(&js).map(|m| m.len()).unwrap_or(0) != crate::display::plotly_js().len() as u64 {
            super::export::write_file(&js, crate::display::plotly_js().as_bytes())?;
        }
        let html = page("<script type=\"text/javascript\" src=\"plotly.min.js\"></script>", &self.html_fragment());
        super::export::write_file(path, html.as_bytes())
    }

    /// Shows the figure inline in an evcxr notebook ([`crate::display`]).
    pub fn evcxr_display(&self) {
        crate::display::emit_html(&self.html_fragment(), &format!("{self:?}"));
    }
}

fn page(head: &str, body: &str) -> String {
    format!("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n")
}
