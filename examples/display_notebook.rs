//! Writes a small Jupyter notebook whose cells hold what evcxr displays for an sglab figure
//! and a table (text/html and text/plain), to check that `jupyter nbconvert --to html` keeps
//! them and that the exported page draws the figure with the network off
//! (scripts/check_offline_html.sh).
//!
//!     cargo run --example display_notebook -- OUT.ipynb

use polars::prelude::{Column, DataFrame};
use serde_json::json;
use sglab::display::{Table, with_plotly_once};
use sglab::plot::{Labels, surrogate_shapes};
use sglab::surrogate::{Shape, Surrogate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: display_notebook OUT.ipynb")?;
    let curves: Vec<(String, Surrogate)> = [Shape::FastSigmoid, Shape::Exponential, Shape::Gaussian]
        .iter()
        .map(|&s| Ok((format!("{s:?}"), Surrogate::new(s, 1.0, 1.0)?)))
        .collect::<Result<_, sglab::surrogate::SurrogateError>>()?;
    let figure = surrogate_shapes(&curves, (-2.0, 2.0), 201, &Labels::new("Surrogate derivatives", "v − ϑ", "σ′"))?;
    let second = surrogate_shapes(&curves[..1], (-1.0, 1.0), 51, &Labels::new("Fast sigmoid", "v − ϑ", "σ′"))?;
    let table = Table::new(DataFrame::new_infer_height(vec![
        Column::new("shape".into(), vec!["fast-sigmoid", "exponential"]),
        Column::new("accuracy".into(), vec![0.8123, 0.7911]),
    ])?)
    .caption("Accuracy by shape");
    // The outputs evcxr would produce for `figure`, `second` and `table` as last expressions.
    let display = |html: String, plain: String| {
        json!([{ "output_type": "display_data", "metadata": {}, "data": { "text/html": html, "text/plain": plain } }])
    };
    let cell = |source: &str, outputs: serde_json::Value, n: u32| {
        json!({ "cell_type": "code", "id": format!("cell-{n}"), "execution_count": n, "metadata": {}, "source": source, "outputs": outputs })
    };
    let notebook = json!({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": { "kernelspec": { "name": "rust", "display_name": "Rust", "language": "rust" }, "language_info": { "name": "Rust" } },
        "cells": [
            { "cell_type": "markdown", "id": "cell-0", "metadata": {}, "source": "# Display check\nA figure, a second figure and a table as sglab displays them." },
            cell("figure", display(with_plotly_once(&figure.html_fragment()), format!("{figure:?}")), 1),
            cell("second", display(with_plotly_once(&second.html_fragment()), format!("{second:?}")), 2),
            cell("table", display(table.to_html(), format!("{}", table.frame())), 3),
        ]
    });
    std::fs::write(&out, serde_json::to_string_pretty(&notebook)?)?;
    Ok(())
}
