//! Static images of figures: SVG and PNG through plotly.js's own static export
//! (`Plotly.toImage`) run in headless Chromium.
//!
//! A figure is drawn in a temporary page that loads the plotly.js sglab embeds, `Plotly.toImage`
//! renders it once as SVG and once as PNG, and the page writes both, base64-encoded, into its
//! DOM, which `chromium --headless --dump-dom` prints. This is what plotly's Python `kaleido`
//! does with its bundled Chromium; here the system's Chromium is used (Debian: `apt install
//! chromium`; any Chromium or Chrome binary named by `SGLAB_CHROMIUM`), so no browser driver and
//! no extra Rust crate is needed. One Chromium start exports any number of figures.
//!
//! plotly names an SVG's clip paths and definitions after a random id per drawing, and each
//! trace after a random id unless the trace has one; the export fixes both, so that the same
//! figure gives the same SVG file.
//!
//! The size is the figure's own `layout.width` / `layout.height` where it sets them, else
//! [`ImageSize::default`] (960 × 540 CSS pixels); the PNG is drawn at `scale` device pixels
//! per CSS pixel.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Figure, PlotError};

/// The size of an exported image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageSize {
    /// Width in CSS pixels, used where the figure's layout sets none.
    pub width: u32,
    /// Height in CSS pixels, used where the figure's layout sets none.
    pub height: u32,
    /// Device pixels per CSS pixel of the PNG (the SVG has no pixels).
    pub scale: f64,
}

impl Default for ImageSize {
    /// 960 × 540 at scale 2: a 1920 × 1080 PNG, sharp on a high-density screen.
    fn default() -> Self {
        ImageSize { width: 960, height: 540, scale: 2.0 }
    }
}

/// The Chromium binary: `SGLAB_CHROMIUM` if set, else the first of `chromium`,
/// `chromium-browser`, `google-chrome`, `google-chrome-stable` on `PATH`.
pub fn chromium() -> Result<PathBuf, PlotError> {
    if let Some(named) = std::env::var_os("SGLAB_CHROMIUM") {
        let path = PathBuf::from(named);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(PlotError::StaticExport(format!("SGLAB_CHROMIUM names {}, which is not a file", path.display())))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(PlotError::StaticExport(
        "no Chromium found for the SVG/PNG export: install one (Debian: apt install chromium) or name its binary in SGLAB_CHROMIUM".into(),
    ))
}

/// Writes each figure as `<stem>.svg` and `<stem>.png` (the extension is appended to the stem),
/// starting Chromium once for all of them. Files are replaced whole ([`crate::durable::replace`]).
/// When Chromium or plotly fails no file is written; a failing write leaves the files before
/// it written.
pub fn save_static(figures: &[(&Figure, &Path)], size: ImageSize) -> Result<(), PlotError> {
    if figures.is_empty() {
        return Ok(());
    }
    if !(size.width > 0 && size.height > 0 && size.scale.is_finite() && size.scale > 0.0) {
        return Err(PlotError::Input(format!("image size must be positive, got {size:?}")));
    }
    let chromium = chromium()?;
    let work = Scratch::new()?;
    let js = work.0.join("plotly.min.js");
    std::fs::write(&js, crate::display::plotly_js()).map_err(|e| PlotError::io(&js, &e))?;
    let page = work.0.join("export.html");
    let jsons: Vec<String> = figures.iter().map(|(f, _)| f.to_json().replace("</", "<\\/")).collect();
    std::fs::write(&page, export_page(&jsons, size)).map_err(|e| PlotError::io(&page, &e))?;

    let output = Command::new(&chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--allow-file-access-from-files",
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| PlotError::StaticExport(format!("cannot start {}: {e}", chromium.display())))?;
    let dom = String::from_utf8_lossy(&output.stdout);
    let images = parse_dom(&dom, figures.len()).map_err(|message| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr.lines().filter(|l| !l.contains("dbus")).collect::<Vec<_>>().join("\n");
        // The last 1,500 bytes, cut at a character boundary.
        let start = (tail.len().saturating_sub(1500)..=tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(tail.len());
        let tail = &tail[start..];
        PlotError::StaticExport(format!("{} ({}): {message}\n{tail}", chromium.display(), output.status))
    })?;
    for ((_, stem), (svg, png)) in figures.iter().zip(images) {
        write_file(&with_suffix(stem, ".svg"), &svg)?;
        write_file(&with_suffix(stem, ".png"), &png)?;
    }
    Ok(())
}

impl Figure {
    /// Writes the figure as `<stem>.svg` and `<stem>.png` at [`ImageSize::default`]
    /// ([`save_static`]; needs Chromium).
    pub fn save_static(&self, stem: impl AsRef<Path>) -> Result<(), PlotError> {
        save_static(&[(self, stem.as_ref())], ImageSize::default())
    }
}

/// The page that renders every figure and writes `SGLAB-IMAGE <k> <svg base64> <png base64>`
/// lines (or `SGLAB-ERROR <k> <message>`) into a `<pre>`, then `SGLAB-DONE`.
fn export_page(jsons: &[String], size: ImageSize) -> String {
    let figures = jsons.join(",\n");
    let (w, h, s) = (size.width, size.height, size.scale);
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"/><script src="plotly.min.js"></script></head>
<body><pre id="out"></pre><script>
const figures = [{figures}];
const out = document.getElementById("out");
const base64 = (text) => {{
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}};
(async () => {{
  for (let k = 0; k < figures.length; k++) {{
    const figure = figures[k];
    // Fixed trace ids (plotly draws a random one into each trace's class otherwise).
    (figure.data || []).forEach((trace, i) => {{ if (trace.uid === undefined) trace.uid = "t" + i; }});
    const layout = figure.layout || {{}};
    const size = {{ width: layout.width || {w}, height: layout.height || {h} }};
    const box = document.createElement("div");
    document.body.appendChild(box);
    try {{
      const gd = await Plotly.newPlot(box, figure.data, layout, {{ staticPlot: true }});
      const svg = await Plotly.toImage(gd, {{ format: "svg", ...size }});
      const png = await Plotly.toImage(gd, {{ format: "png", ...size, scale: {s} }});
      let svgText = decodeURIComponent(svg.slice(svg.indexOf(",") + 1));
      // plotly names the SVG's clip paths and definitions after a random id per drawing;
      // a fixed one makes the same figure the same file.
      const uid = svgText.match(/id="defs-([0-9a-z]+)"/);
      if (uid) svgText = svgText.replace(new RegExp('(id="|#)([A-Za-z_-]*)' + uid[1], "g"), "$1$2sglab");
      out.textContent += "SGLAB-IMAGE " + k + " " + base64(svgText) + " " + png.slice(png.indexOf(",") + 1) + "\n";
      Plotly.purge(gd);
    }} catch (e) {{
      out.textContent += "SGLAB-ERROR " + k + " " + String(e).replace(/\s+/g, " ") + "\n";
    }}
    box.remove();
  }}
  out.textContent += "SGLAB-DONE\n";
}})();
</script></body></html>
"#
    )
}

/// The SVG and PNG bytes of each of `n` figures from the dumped DOM.
fn parse_dom(dom: &str, n: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
    // Only the <pre> the page writes into: the dumped DOM also holds the script's own text.
    let Some(start) = dom.find("<pre id=\"out\">") else { return Err("the export page was not loaded".into()) };
    let out = &dom[start + "<pre id=\"out\">".len()..];
    let out = &out[..out.find("</pre>").unwrap_or(out.len())];
    if !out.contains("SGLAB-DONE") {
        return Err(if out.contains("SGLAB-") {
            "the page did not finish exporting within Chromium's time budget".into()
        } else {
            "the export page did not run (was plotly.js loaded?)".into()
        });
    }
    let mut images: Vec<Option<(Vec<u8>, Vec<u8>)>> = vec![None; n];
    for line in out.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("SGLAB-ERROR ") {
            let (k, message) = rest.split_once(' ').unwrap_or((rest, ""));
            return Err(format!("figure {k}: plotly could not draw it: {message}"));
        }
        let Some(rest) = line.strip_prefix("SGLAB-IMAGE ") else { continue };
        let fields: Vec<&str> = rest.split(' ').collect();
        let [k, svg, png] = fields[..] else { return Err(format!("malformed line: {}", &line[..line.len().min(80)])) };
        let k: usize = k.parse().map_err(|_| format!("malformed figure index {k:?}"))?;
        let decode = |b64: &str, what: &str| STANDARD.decode(b64).map_err(|e| format!("figure {k}: {what} is not base64: {e}"));
        let slot = images.get_mut(k).ok_or_else(|| format!("figure index {k} out of range"))?;
        *slot = Some((decode(svg, "SVG")?, decode(png, "PNG")?));
    }
    images.into_iter().enumerate().map(|(k, i)| i.ok_or_else(|| format!("figure {k} was not exported"))).collect()
}

/// `stem` with `suffix` appended to its last component (`a/b.c` + `.svg` = `a/b.c.svg`).
fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` to `path` in one step ([`crate::durable::replace`]): a reader, or a process
/// killed mid-write, sees the old file or the new one.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    crate::durable::write(path, bytes)
        .map_err(|message| PlotError::Io { path: path.display().to_string(), message })
}

/// A temporary folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, PlotError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!("sglab-export-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).map_err(|e| PlotError::io(&dir, &e))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_dom_decodes_each_figure_and_reports_failures() {
        let line = |k: usize, svg: &str, png: &[u8]| format!("SGLAB-IMAGE {k} {} {}", STANDARD.encode(svg), STANDARD.encode(png));
        let dom = format!("<html><body><pre id=\"out\">{}\n{}\nSGLAB-DONE\n</pre></body></html>", line(1, "<svg b/>", &[9, 8]), line(0, "<svg a/>", &[1, 2, 3]));
        let images = parse_dom(&dom, 2).unwrap();
        assert_eq!(images[0], (b"<svg a/>".to_vec(), vec![1, 2, 3]));
        assert_eq!(images[1], (b"<svg b/>".to_vec(), vec![9, 8]));

        assert!(parse_dom(&format!("<pre id=\"out\">{}\nSGLAB-DONE</pre>", line(0, "x", &[1])), 2).unwrap_err().contains("figure 1 was not exported"));
        assert!(parse_dom("<pre id=\"out\">SGLAB-ERROR 0 TypeError: bad\nSGLAB-DONE</pre>", 1).unwrap_err().contains("TypeError: bad"));
        assert!(parse_dom("<pre id=\"out\">SGLAB-IMAGE 0 a b\n</pre><script>SGLAB-DONE</script>", 1).unwrap_err().contains("time budget"));
        assert!(parse_dom("<pre id=\"out\"></pre>", 1).unwrap_err().contains("did not run"));
        assert!(parse_dom("<html></html>", 1).unwrap_err().contains("not loaded"));
    }
}
