//! Hand-written SVG charts for the HTML report.
//!
//! Why not plotters: the report must be one self-contained HTML file whose text stays selectable and crisp at
//! any zoom. Inline `<svg>` with `<text>` elements does that with no font to embed and no extra dependency (the
//! browser lays the text out), and four chart types — histogram, scatter, heatmap, horizontal bars — are small.
//! Every chart is an `<svg class="plot" data-plot="NAME">` whose marks (`class="mark"`) the browser test counts.

use std::fmt::Write;

use super::stats::{Histogram, tick_label, ticks};

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 56.0;
const BLUE: &str = "#3b6ea8";

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A linear map from data to pixels.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64, from: f64, to: f64) -> Self {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
        Self { lo, hi, from, to }
    }

    fn at(self, value: f64) -> f64 {
        self.from + (value - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }
}

fn open(out: &mut String, name: &str, title: &str, width: f64, height: f64) {
    let _ = write!(
        out,
        r##"<svg class="plot" data-plot="{name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/><text x="{cx}" y="22" text-anchor="middle" font-size="15" font-weight="600">{t}</text>"##,
        t = escape(title),
        cx = width / 2.0,
    );
}

/// Axes with ticks and labels for the plot area.
/// Tick marks and labels below a horizontal axis at `y0`.
fn x_ticks(out: &mut String, x: Scale, y0: f64, at: Vec<f64>) {
    for tick in at {
        let px = x.at(tick);
        let _ = write!(
            out,
            "<line x1=\"{px:.1}\" y1=\"{y0}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"#333\"/><text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            y0 + 5.0,
            y0 + 18.0,
            tick_label(tick)
        );
    }
}

fn axes(out: &mut String, x: Scale, y: Scale, x_label: &str, y_label: &str) {
    let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP);
    let _ = write!(
        out,
        "<g class=\"axes\" font-size=\"11\" fill=\"#333\"><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#333\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#333\"/>"
    );
    x_ticks(out, x, y0, ticks(x.lo, x.hi, 6));
    for tick in ticks(y.lo, y.hi, 5) {
        let py = y.at(tick);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{py:.1}\" x2=\"{x0}\" y2=\"{py:.1}\" stroke=\"#333\"/><line x1=\"{x0}\" y1=\"{py:.1}\" x2=\"{x1}\" y2=\"{py:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 5.0,
            x0 - 8.0,
            py + 4.0,
            tick_label(tick)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\">{}</text><text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">{}</text></g>",
        f64::midpoint(x0, x1),
        HEIGHT - 14.0,
        escape(x_label),
        f64::midpoint(y0, y1),
        escape(y_label)
    );
}

/// A histogram of `values`; the y axis counts them (`y_label` says what they are).
pub fn histogram(name: &str, title: &str, x_label: &str, y_label: &str, values: &[f64]) -> String {
    let h = Histogram::of(values);
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)]
    let y = Scale::new(0.0, max as f64 * 1.05, HEIGHT - BOTTOM, TOP);
    let x = Scale::new(h.lo, h.hi, LEFT, WIDTH - RIGHT);
    let mut out = String::new();
    open(&mut out, name, title, WIDTH, HEIGHT);
    axes(&mut out, x, y, x_label, y_label);
    let width = h.width();
    for (i, count) in h.counts.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let left = h.lo + width * i as f64;
        #[allow(clippy::cast_precision_loss)]
        let top = y.at(*count as f64);
        let (px0, px1) = (x.at(left), x.at(left + width));
        let _ = write!(
            out,
            "<rect class=\"mark\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{BLUE}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>[{}, {}): {count}</title></rect>",
            px0,
            (px1 - px0).max(1.0),
            (HEIGHT - BOTTOM - top).max(0.0),
            tick_label(left),
            tick_label(left + width)
        );
    }
    out.push_str("</svg>");
    out
}

/// A scatter plot with a least-squares line.
pub fn scatter(name: &str, title: &str, x_label: &str, y_label: &str, points: &[(f64, f64)]) -> String {
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (px, py) in points {
        x_lo = x_lo.min(*px);
        x_hi = x_hi.max(*px);
        y_lo = y_lo.min(*py);
        y_hi = y_hi.max(*py);
    }
    if points.is_empty() {
        (x_lo, x_hi, y_lo, y_hi) = (0.0, 1.0, 0.0, 1.0);
    }
    let pad = |lo: f64, hi: f64| {
        let margin = ((hi - lo) * 0.05).max(1e-9);
        (lo - margin, hi + margin)
    };
    let (x_lo, x_hi) = pad(x_lo, x_hi);
    let (y_lo, y_hi) = pad(y_lo, y_hi);
    let x = Scale::new(x_lo, x_hi, LEFT, WIDTH - RIGHT);
    let y = Scale::new(y_lo, y_hi, HEIGHT - BOTTOM, TOP);
    let mut out = String::new();
    open(&mut out, name, title, WIDTH, HEIGHT);
    axes(&mut out, x, y, x_label, y_label);
    for (px, py) in points {
        let _ = write!(
            out,
            "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{BLUE}\" fill-opacity=\"0.45\"/>",
            x.at(*px),
            y.at(*py)
        );
    }
    if let Some((slope, intercept)) = least_squares(points) {
        let (a, b) = (x.lo, x.hi);
        let clamp = |v: f64| v.clamp(TOP, HEIGHT - BOTTOM);
        let _ = write!(
            out,
            "<line class=\"fit\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c0392b\" stroke-width=\"2\"/>",
            x.at(a),
            clamp(y.at(slope * a + intercept)),
            x.at(b),
            clamp(y.at(slope * b + intercept))
        );
    }
    out.push_str("</svg>");
    out
}

fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let (mx, my) = (super::stats::mean(&xs)?, super::stats::mean(&ys)?);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    Some((slope, my - slope * mx))
}

/// Horizontal bars, one per label.
pub fn bars(name: &str, title: &str, x_label: &str, items: &[(String, f64)]) -> String {
    let row = 24.0;
    #[allow(clippy::cast_precision_loss)]
    let height = (TOP + BOTTOM + row * items.len().max(1) as f64).max(160.0);
    let left = 180.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1e-12);
    let x = Scale::new(0.0, max * 1.1, left, WIDTH - RIGHT);
    let mut out = String::new();
    open(&mut out, name, title, WIDTH, height);
    let y0 = height - BOTTOM;
    let _ = write!(
        out,
        "<g font-size=\"11\" fill=\"#333\"><line x1=\"{left}\" y1=\"{y0}\" x2=\"{}\" y2=\"{y0}\" stroke=\"#333\"/>",
        WIDTH - RIGHT
    );
    x_ticks(&mut out, x, y0, ticks(0.0, max * 1.1, 5));
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\">{}</text></g>",
        f64::midpoint(left, WIDTH - RIGHT),
        height - 14.0,
        escape(x_label)
    );
    for (i, (label, value)) in items.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let top = TOP + row * i as f64 + 3.0;
        let shown: String = label.chars().take(28).collect();
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text><rect class=\"mark\" x=\"{left}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{BLUE}\"><title>{}: {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            left - 6.0,
            top + row / 2.0 + 1.0,
            escape(&shown),
            (x.at(*value) - left).max(1.0),
            row - 6.0,
            escape(label),
            tick_label(*value),
            x.at(*value) + 4.0,
            top + row / 2.0 + 1.0,
            tick_label(*value)
        );
    }
    out.push_str("</svg>");
    out
}

/// A correlation matrix as coloured cells (blue positive, red negative); `None` cells are grey.
pub fn heatmap(name: &str, title: &str, labels: &[String], matrix: &[Vec<Option<f64>>]) -> String {
    let cell = 56.0;
    let left = 140.0;
    #[allow(clippy::cast_precision_loss)]
    let side = cell * labels.len() as f64;
    let width = (left + side + RIGHT + 30.0).max(360.0);
    let height = TOP + 110.0 + side + 30.0;
    let top = TOP + 100.0;
    let mut out = String::new();
    open(&mut out, name, title, width, height);
    for (i, label) in labels.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let offset = cell * i as f64 + cell / 2.0;
        let shown = escape(&label.chars().take(20).collect::<String>());
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{shown}</text><text transform=\"translate({:.1} {:.1}) rotate(-45)\" font-size=\"12\">{shown}</text>",
            left - 6.0,
            top + offset + 4.0,
            left + offset,
            top - 6.0
        );
    }
    for (i, row) in matrix.iter().enumerate() {
        for (j, value) in row.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let (px, py) = (left + cell * j as f64, top + cell * i as f64);
            let (fill, text) = match value {
                Some(r) => (colour(*r), format!("{r:.2}")),
                None => ("#ddd".to_owned(), "n/a".to_owned()),
            };
            let ink = if value.is_some_and(|r| r.abs() > 0.6) {
                "#fff"
            } else {
                "#111"
            };
            let _ = write!(
                out,
                "<rect class=\"mark\" x=\"{px:.1}\" y=\"{py:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#fff\"><title>{} vs {}: {text}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"{ink}\">{text}</text>",
                escape(&labels[i]),
                escape(&labels[j]),
                px + cell / 2.0,
                py + cell / 2.0 + 4.0
            );
        }
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">Pearson r (blue +, red −)</text></svg>",
        left + side / 2.0,
        height - 10.0
    );
    out
}

fn colour(r: f64) -> String {
    let t = r.clamp(-1.0, 1.0).abs();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mix = |full: f64| (255.0 + (full - 255.0) * t).round() as u8;
    if r >= 0.0 {
        format!("#{:02x}{:02x}{:02x}", mix(59.0), mix(110.0), mix(168.0))
    } else {
        format!("#{:02x}{:02x}{:02x}", mix(192.0), mix(57.0), mix(43.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_have_marks_and_labels() {
        let h = histogram(
            "h",
            "Reward <final>",
            "reward",
            "samples (count)",
            &[0.0, 1.0, 1.0, 2.0],
        );
        assert!(h.contains("data-plot=\"h\"") && h.contains("Reward &lt;final&gt;"));
        assert_eq!(h.matches("class=\"mark\"").count(), 2);
        let s = scatter("s", "t", "x", "y", &[(1.0, 2.0), (2.0, 3.0)]);
        assert_eq!(s.matches("<circle class=\"mark\"").count(), 2);
        assert!(s.contains("class=\"fit\""));
        let m = heatmap(
            "m",
            "t",
            &["a".into(), "b".into()],
            &[vec![Some(1.0), None], vec![None, Some(-1.0)]],
        );
        assert_eq!(m.matches("class=\"mark\"").count(), 4);
        assert!(m.contains("n/a"));
        let b = bars("b", "t", "count", &[("ok".into(), 3.0)]);
        assert_eq!(b.matches("class=\"mark\"").count(), 1);
    }
}
