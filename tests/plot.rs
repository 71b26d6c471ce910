//! Every figure builder on a small table: the plotly JSON has the expected traces, axes and
//! titles; display and HTML files carry plotly.js the way notebooks and figure folders need it.

mod common;

use polars::prelude::{Column, DataFrame};
use serde_json::Value;
use sglab::display::Table;
use sglab::plot::{self, Band, Labels, Significance};
use sglab::surrogate::{Shape, Surrogate};

fn json(f: &plot::Figure) -> Value {
    serde_json::from_str(&f.to_json()).unwrap()
}

fn traces(v: &Value) -> &Vec<Value> {
    v["data"].as_array().unwrap()
}

fn names(v: &Value) -> Vec<String> {
    traces(v).iter().map(|t| t["name"].as_str().unwrap_or("").to_string()).collect()
}

fn title(v: &Value, path: &[&str]) -> String {
    let mut node = &v["layout"];
    for p in path {
        node = &node[*p];
    }
    node["title"]["text"].as_str().unwrap_or_else(|| panic!("no title at {path:?}: {node}")).to_string()
}

/// Accuracy of two shapes at three learning rates, two seeds each.
fn runs() -> DataFrame {
    let mut shape = Vec::new();
    let mut lr = Vec::new();
    let mut acc = Vec::new();
    let mut seed = Vec::new();
    for s in ["fast-sigmoid", "exponential"] {
        for (k, rate) in [1e-4, 1e-3, 1e-2].iter().enumerate() {
            for sd in 0..2i64 {
                shape.push(s);
                lr.push(*rate);
                seed.push(sd);
                acc.push(0.5 + 0.1 * k as f64 + 0.02 * sd as f64 + if s == "exponential" { -0.05 } else { 0.0 });
            }
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("shape".into(), shape),
        Column::new("lr".into(), lr),
        Column::new("seed".into(), seed),
        Column::new("accuracy".into(), acc),
    ])
    .unwrap()
}

#[test]
fn surrogate_shapes_plot_each_derivative() {
    let curves: Vec<(String, Surrogate)> = [Shape::FastSigmoid, Shape::Exponential, Shape::Triangular]
        .iter()
        .map(|&s| (format!("{s:?}"), Surrogate::new(s, 1.0, 1.0).unwrap()))
        .collect();
    let f = plot::surrogate_shapes(&curves, (-1.5, 1.5), 301, &Labels::new("Surrogate gradients", "v − ϑ", "σ′(v)")).unwrap();
    let v = json(&f);
    assert_eq!(names(&v), vec!["FastSigmoid", "Exponential", "Triangular"]);
    // The peak γ = 1 at v = 0 (index 150) for every shape.
    for t in traces(&v) {
        assert_eq!(t["x"].as_array().unwrap().len(), 301);
        assert!((t["y"][150].as_f64().unwrap() - 1.0).abs() < 1e-12);
    }
    assert_eq!(title(&v, &[]), "Surrogate gradients");
    assert_eq!(title(&v, &["xaxis"]), "v − ϑ");
    assert!(plot::surrogate_shapes(&[], (0.0, 1.0), 10, &Labels::default()).is_err());
}

#[test]
fn metric_vs_learning_rate_has_a_mean_line_and_a_band_per_group() {
    let f = plot::metric_vs_x(&runs(), "lr", "accuracy", "shape", Band::Std, true, &Labels::new("Accuracy vs lr", "learning rate", "accuracy")).unwrap();
    let v = json(&f);
    assert_eq!(names(&v), vec!["fast-sigmoid upper", "fast-sigmoid lower", "fast-sigmoid", "exponential upper", "exponential lower", "exponential"]);
    assert_eq!(v["layout"]["xaxis"]["type"], "log");
    // Mean over the two seeds: 0.5 + 0.1k + 0.01; band ± sd = 0.02/√2.
    let mean = &traces(&v)[2]["y"];
    let upper = &traces(&v)[0]["y"];
    for k in 0..3 {
        let m = 0.51 + 0.1 * k as f64;
        assert!((mean[k].as_f64().unwrap() - m).abs() < 1e-12);
        assert!((upper[k].as_f64().unwrap() - (m + 0.02 / 2f64.sqrt())).abs() < 1e-12);
    }
    assert_eq!(traces(&v)[1]["fill"], "tonexty");
    let err = plot::metric_vs_x(&runs(), "lr", "acc", "shape", Band::Std, true, &Labels::default()).unwrap_err().to_string();
    assert!(err.contains("no column `acc`"), "{err}");
}

#[test]
fn grouped_bars_have_error_bars_and_significance_markers() {
    let marker = Significance { category: "0.01".into(), group_a: "fast-sigmoid".into(), group_b: "exponential".into(), p: 0.004 };
    let f = plot::grouped_bars(&runs(), "lr", "shape", "accuracy", Band::Ci95, &[marker], &Labels::new("Ablation", "lr", "accuracy")).unwrap();
    let v = json(&f);
    assert_eq!(names(&v), vec!["fast-sigmoid", "exponential"]);
    assert_eq!(v["layout"]["barmode"], "group");
    let bars = &traces(&v)[0];
    assert_eq!(bars["type"], "bar");
    // 95 % CI half-width of two values 0.02 apart: t₀.₉₇₅(1) · (0.02/√2)/√2 = 12.706 · 0.01.
    assert!((bars["error_y"]["array"][0].as_f64().unwrap() - 12.7062047 * 0.01).abs() < 1e-6);
    let marker = &v["layout"]["annotations"][0];
    assert_eq!(marker["text"], "**<br>p = 0.004");
    assert_eq!(marker["hovertext"], "fast-sigmoid vs exponential: ** (p = 0.004)");
    assert_eq!(marker["x"], "0.01");
    assert_eq!(plot::stars(0.0004), "***");
    assert_eq!(plot::stars(0.2), "n.s.");
}

#[test]
fn heatmap_marks_the_prediction() {
    let z = vec![vec![0.1, 0.2, 0.3], vec![0.4, 0.5, 0.6]];
    let f = plot::heatmap(&[0.1, 0.2, 0.4], &[0.5, 1.0], &z, Some((0.2, 1.0)), "predicted γ*, β*", &Labels::new("Accuracy", "γ", "β")).unwrap();
    let v = json(&f);
    assert_eq!(traces(&v)[0]["type"], "heatmap");
    assert_eq!(traces(&v)[0]["z"][1][2], 0.6);
    assert_eq!(traces(&v)[1]["name"], "predicted γ*, β*");
    assert_eq!(title(&v, &["yaxis"]), "β");
    let err = plot::heatmap(&[0.1], &[0.5, 1.0], &z, None, "", &Labels::default()).unwrap_err().to_string();
    assert!(err.contains("2 rows of 1 values"), "{err}");
}

#[test]
fn scatter_fit_names_r_and_p() {
    let x = [0.1, 0.3, 0.5, 0.7, 0.9];
    let y = [0.62, 0.70, 0.71, 0.80, 0.83];
    let f = plot::scatter_with_fit(&x, &y, "runs", &Labels::new("Accuracy vs initial rate", "initial rate", "accuracy")).unwrap();
    let v = json(&f);
    let r = sglab::stats::pearson(&x, &y, sglab::stats::Alternative::TwoSided).unwrap();
    assert_eq!(traces(&v)[1]["name"].as_str().unwrap(), format!("fit: r = {:.3}, p = {} (n = 5)", r.statistic, plot::format_p(r.p_value)));
    // Least-squares line through (x̄, ȳ) with slope Sxy/Sxx = 0.26.
    let line = &traces(&v)[1]["y"];
    assert!((line[0].as_f64().unwrap() - (0.732 + 0.26 * (0.1 - 0.5))).abs() < 1e-12);
}

#[test]
fn raster_traces_and_curves() {
    let spikes = vec![vec![0.0, 1.0], vec![1.0, 1.0], vec![0.0, 0.0]];
    let v = json(&plot::spike_raster(&spikes, &Labels::new("Raster", "step", "neuron")).unwrap());
    assert_eq!(traces(&v)[0]["x"], serde_json::json!([0.0, 1.0, 1.0]));
    assert_eq!(traces(&v)[0]["y"], serde_json::json!([1.0, 0.0, 1.0]));
    let v = json(&plot::voltage_traces(&[vec![0.1, 0.5, 1.2]], &["neuron 0".into()], Some(1.0), &Labels::default()).unwrap());
    assert_eq!(names(&v), vec!["neuron 0", "threshold ϑ"]);
    let history = DataFrame::new_infer_height(vec![
        Column::new("run_id".into(), vec!["a", "a", "b", "b"]),
        Column::new("epoch".into(), vec![2i64, 1, 1, 2]),
        Column::new("val_accuracy".into(), vec![0.6, 0.4, 0.5, 0.7]),
    ])
    .unwrap();
    let v = json(&plot::training_curves(&history, "epoch", &["val_accuracy"], "run_id", &Labels::new("Training", "epoch", "accuracy")).unwrap());
    assert_eq!(names(&v), vec!["a · val_accuracy", "b · val_accuracy"]);
    assert_eq!(traces(&v)[0]["y"], serde_json::json!([0.4, 0.6]));
}

/// The first figure displayed in a process carries plotly.js, later ones only their div; a
/// saved figure loads the one plotly.min.js written beside it; tables are escaped HTML.
#[test]
fn display_embeds_plotly_once_and_files_open_offline() {
    let f = plot::spike_raster(&[vec![1.0]], &Labels::default()).unwrap();
    let first = sglab::display::with_plotly_once(&f.html_fragment());
    let second = sglab::display::with_plotly_once(&f.html_fragment());
    let library = sglab::display::plotly_js();
    assert!(library.len() > 1_000_000 && library.contains("plotly.js"));
    assert!(first.contains(library) && !second.contains(library));
    assert!(second.contains("Plotly.newPlot("));
    // Outside the library itself, nothing is fetched: no CDN, no require.js.
    let own = first.replace(library, "");
    assert!(!own.contains("cdn.plot.ly") && !own.contains("require(") && !own.contains("src=\"http"), "{own}");

    let dir = common::scratch_dir("plot-files");
    f.save_html(dir.join("raster.html")).unwrap();
    f.save_html(dir.join("again.html")).unwrap();
    let page = std::fs::read_to_string(dir.join("raster.html")).unwrap();
    assert!(page.contains("src=\"plotly.min.js\"") && page.contains("Plotly.newPlot("));
    assert_eq!(std::fs::read_to_string(dir.join("plotly.min.js")).unwrap(), library);
    assert!(f.to_standalone_html().contains(library));

    let df = DataFrame::new_infer_height(vec![
        Column::new("group".into(), vec!["<b>", "a&b"]),
        Column::new("p".into(), vec![0.0123456, 1.5e-7]),
    ])
    .unwrap();
    let html = Table::new(df).caption("Tests").to_html();
    assert!(html.contains("<caption>Tests</caption>"));
    assert!(html.contains("<td>&lt;b&gt;</td>") && html.contains("<td>a&amp;b</td>"));
    assert!(html.contains("<td>0.01235</td>") && html.contains("<td>1.500e-7</td>"), "{html}");
}

#[test]
fn a_vertical_line_marks_a_value_across_the_given_range() {
    let mut figure = sglab::plot::Figure::new(sglab::plotly::Plot::new());
    figure.add_vertical_line(0.204, (0.1, 0.9), "predicted γ*");
    let json: serde_json::Value = serde_json::from_str(&figure.to_json()).unwrap();
    let trace = &json["data"][0];
    assert_eq!(trace["x"], serde_json::json!([0.204, 0.204]));
    assert_eq!(trace["y"], serde_json::json!([0.1, 0.9]));
    assert_eq!(trace["name"], "predicted γ*");
    assert_eq!(trace["line"]["dash"], "dash");
}

/// Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()))
}

/// Two figures exported in one Chromium start: the SVG is plotly's drawing of each (its title
/// and legend entries as text, its size in CSS pixels), the PNG has the size times the scale —
/// the figure's own layout size where it sets one. Needs Chromium (scripts/test.sh installs it).
#[test]
fn figures_export_to_svg_and_png_through_chromium() {
    plot::chromium().expect("the static export test needs Chromium (Debian: apt install chromium; or set SGLAB_CHROMIUM)");
    let curves = plot::series(&[0.0, 1.0, 2.0], &[plot::Series::line("rising", vec![0.0, 1.0, 4.0]), plot::Series::line("falling", vec![3.0, 2.0, 0.5])],
        &Labels::new("Two curves", "step", "value")).unwrap();
    let mut sized = sglab::plotly::Plot::new();
    sized.add_trace(sglab::plotly::Scatter::new(vec![0.0, 1.0], vec![1.0, 0.0]).name("sized"));
    sized.set_layout(sglab::plotly::Layout::new().width(400).height(300).title("Own size"));
    let sized = plot::Figure::new(sized);

    let dir = common::scratch_dir("plot-static");
    let (a, b) = (dir.join("curves"), dir.join("sized.v2"));
    plot::save_static(&[(&curves, &a), (&sized, &b)], plot::ImageSize { width: 640, height: 360, scale: 1.5 }).unwrap();

    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("width=\"640\"") && svg.contains("height=\"360\""), "{}", &svg[..200.min(svg.len())]);
    for text in ["Two curves", "rising", "falling", "step"] {
        assert!(svg.contains(&format!(">{text}<")), "{text} not drawn in the SVG");
    }
    assert_eq!(png_size(&std::fs::read(dir.join("curves.png")).unwrap()), (960, 540));
    let svg = std::fs::read_to_string(dir.join("sized.v2.svg")).unwrap();
    assert!(svg.contains("width=\"400\"") && svg.contains(">Own size<"));
    assert_eq!(png_size(&std::fs::read(dir.join("sized.v2.png")).unwrap()), (600, 450));

    // The same figure gives the same SVG: plotly's random drawing id is replaced.
    let again = dir.join("again");
    plot::save_static(&[(&curves, &again)], plot::ImageSize { width: 640, height: 360, scale: 1.5 }).unwrap();
    let (first, second) = (std::fs::read(dir.join("curves.svg")).unwrap(), std::fs::read(dir.join("again.svg")).unwrap());
    assert!(first == second, "two exports of one figure differ");
    assert!(String::from_utf8(first).unwrap().contains("url(#clipsglabxyplot)"));
}
