//! Rich display of figures and tables in evcxr notebooks that survives HTML export offline.
//!
//! evcxr shows the last expression of a cell through its `evcxr_display` method, which prints
//! `EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT` blocks. Both [`Figure`](crate::plot::Figure)
//! and [`Table`] print a `text/html` block (what `jupyter nbconvert --to html` copies into the
//! page) and a `text/plain` fallback. plotly.js is not fetched from a CDN: the first figure
//! shown by a kernel carries the embedded plotly.js in a `<script>`, and every figure after it
//! only its own `<div>` and `Plotly.newPlot` call. [`init_notebook`] emits the library
//! explicitly, in a notebook's first cell, whether or not the kernel already ran another
//! notebook.
//!
//! "Already emitted" is a marker file named after the process (its id and start time), not a
//! Rust static: evcxr compiles every cell into its own library with its own copy of sglab's
//! statics, so a static set in one cell reads unset in the next. evcxr also keeps one block per
//! MIME type per cell, so a cell shows one figure or table — its last expression.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use polars::prelude::{DataFrame, DataType};

/// Whether this process has emitted plotly.js: a marker file per process (module docs), with
/// an in-library flag as the fast path.
fn mark_plotly_emitted() -> bool {
    static EMITTED: AtomicBool = AtomicBool::new(false);
    if EMITTED.swap(true, Ordering::SeqCst) {
        return true;
    }
    let marker = std::env::temp_dir().join(format!("sglab-plotly-{}", process_key()));
    // `create_new` fails when the file exists: another cell of this process emitted it.
    std::fs::OpenOptions::new().write(true).create_new(true).open(&marker).is_err() && marker.exists()
}

/// This process's id and start time (field 22 of /proc/self/stat, in clock ticks since boot),
/// so that a later process reusing the id is not taken for this one.
fn process_key() -> String {
    let start = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(19).map(str::to_string)))
        .unwrap_or_default();
    format!("{}-{start}", std::process::id())
}

/// plotly.js (the minified library plotly.rs embeds), without the MathJax that comes with it.
pub fn plotly_js() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        let sources = plotly::Plot::offline_js_sources();
        let start = sources.find('>').map_or(0, |i| i + 1);
        let end = sources[start..].find("</script>").map_or(sources.len(), |i| start + i);
        sources[start..end].to_string()
    })
}

/// `<script>` with plotly.js.
fn plotly_script() -> String {
    format!("<script type=\"text/javascript\">{}</script>\n", plotly_js())
}

/// Prints one evcxr display block.
fn block(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// The HTML to display for `html`, preceded by plotly.js the first time in this process.
pub fn with_plotly_once(html: &str) -> String {
    if mark_plotly_emitted() { html.to_string() } else { format!("{}{html}", plotly_script()) }
}

/// Displays `html` (which may draw plotly figures) with a text fallback.
pub(crate) fn emit_html(html: &str, plain: &str) {
    block("text/html", &with_plotly_once(html));
    block("text/plain", plain);
}

/// Emits plotly.js for the notebook (its first cell); later figures in this process do not
/// repeat it. It always emits, even when an earlier notebook in the same kernel did: a runner
/// may execute several notebooks in one kernel, and each exported page needs its own copy.
pub fn init_notebook() {
    mark_plotly_emitted();
    block("text/html", &plotly_script());
}

/// A polars table shown as an HTML table in notebooks.
#[derive(Debug, Clone)]
pub struct Table {
    df: DataFrame,
    caption: Option<String>,
    digits: usize,
}

impl Table {
    /// Wraps `df`; floats show 4 significant digits.
    pub fn new(df: DataFrame) -> Self {
        Table { df, caption: None, digits: 4 }
    }

    /// With a caption above the table.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// With `digits` significant digits for floats.
    pub fn digits(mut self, digits: usize) -> Self {
        self.digits = digits.max(1);
        self
    }

    /// The table.
    pub fn frame(&self) -> &DataFrame {
        &self.df
    }

    /// The cell texts, column by column (floats with the table's digits, nulls empty).
    fn cells(&self) -> Vec<Vec<String>> {
        self.df
            .columns()
            .iter()
            .map(|c| {
                if matches!(c.dtype(), DataType::Float32 | DataType::Float64) {
                    let cast = c.cast(&DataType::Float64).expect("float column casts to f64");
                    cast.f64().expect("f64").iter().map(|v| v.map_or(String::new(), |v| format_float(v, self.digits))).collect()
                } else {
                    match c.cast(&DataType::String) {
                        Ok(s) => s.str().expect("string").iter().map(|v| v.unwrap_or("").to_string()).collect(),
                        Err(_) => (0..c.len()).map(|i| c.get(i).map_or(String::new(), |v| v.to_string())).collect(),
                    }
                }
            })
            .collect()
    }

    /// The table as an HTML `<table>` (text escaped).
    pub fn to_html(&self) -> String {
        let cells = self.cells();
        let mut html = String::from("<table class=\"sglab-table\" style=\"border-collapse:collapse\">\n");
        if let Some(c) = &self.caption {
            html.push_str(&format!("<caption>{}</caption>\n", escape(c)));
        }
        html.push_str("<thead><tr>");
        for c in self.df.columns() {
            html.push_str(&format!("<th title=\"{}\">{}</th>", escape(&c.dtype().to_string()), escape(c.name())));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in 0..self.df.height() {
            html.push_str("<tr>");
            for col in &cells {
                html.push_str(&format!("<td>{}</td>", escape(&col[row])));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n</table>");
        html
    }

    /// Shows the table in an evcxr notebook: HTML, and polars' text table as the fallback.
    pub fn evcxr_display(&self) {
        block("text/html", &self.to_html());
        block("text/plain", &format!("{}", self.df));
    }
}

impl From<DataFrame> for Table {
    fn from(df: DataFrame) -> Self {
        Table::new(df)
    }
}

/// `v` with `digits` significant digits, in scientific notation outside [10⁻³, 10⁵).
fn format_float(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-3..5).contains(&magnitude) {
        let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.prec$e}", prec = digits - 1)
    }
}

/// HTML-escapes text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_their_significant_digits() {
        assert_eq!(format_float(0.123456, 4), "0.1235");
        assert_eq!(format_float(12.3456, 4), "12.35");
        assert_eq!(format_float(0.000012345, 3), "1.23e-5");
        assert_eq!(format_float(0.0, 4), "0");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
