//! PNG rendering with `plotters` (bitmap backend, text through `ab_glyph` with the embedded
//! DejaVu Sans, so the binary needs no system fonts).
//!
//! Panels are drawn in plain `f64` coordinates; a logarithmic axis is drawn by plotting
//! `log10` of the data and labelling the ticks with `10^tick` ([`Panel::x_log`], [`Panel::y_log`]).

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera license, see `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Font family name the embedded font is registered under.
const FAMILY: &str = "sans-serif";

fn init_font() -> anyhow::Result<()> {
    static ONCE: Once = Once::new();
    let mut ok = true;
    ONCE.call_once(|| {
        ok = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok();
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the embedded font could not be loaded"))
    }
}

fn pe<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("plotting: {e}")
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// solid line
    Solid,
    /// dashed line
    Dashed,
    /// dotted line
    Dotted,
    /// dash-dotted line
    DashDot,
    /// circles, no line
    Markers,
}

/// A line or point series; non-finite points break the line.
#[derive(Debug, Clone)]
pub struct PlotSeries {
    /// legend entry (none: not in the legend)
    pub label: Option<String>,
    /// abscissae
    pub x: Vec<f64>,
    /// ordinates
    pub y: Vec<f64>,
    /// colour
    pub color: RGBColor,
    /// line style
    pub style: Style,
}

impl PlotSeries {
    /// A series with a legend entry.
    pub fn new(label: &str, x: Vec<f64>, y: Vec<f64>, color: RGBColor, style: Style) -> Self {
        Self {
            label: Some(label.to_string()),
            x,
            y,
            color,
            style,
        }
    }
}

/// A shaded band between `lo` and `hi` (e.g. mean +- std).
#[derive(Debug, Clone)]
pub struct Band {
    /// legend entry
    pub label: Option<String>,
    /// abscissae
    pub x: Vec<f64>,
    /// lower edge
    pub lo: Vec<f64>,
    /// upper edge
    pub hi: Vec<f64>,
    /// colour (drawn translucent)
    pub color: RGBColor,
}

/// One chart.
#[derive(Debug, Clone)]
pub struct Panel {
    /// caption above the chart
    pub title: String,
    /// x axis label
    pub x_label: String,
    /// y axis label
    pub y_label: String,
    /// logarithmic x axis
    pub x_log: bool,
    /// logarithmic y axis
    pub y_log: bool,
    /// lines and markers, drawn in order after the bands
    pub series: Vec<PlotSeries>,
    /// shaded bands, drawn first
    pub bands: Vec<Band>,
    /// horizontal reference lines: (y, colour, legend entry)
    pub hlines: Vec<(f64, RGBColor, Option<String>)>,
    /// fixed x range (data units), else from the data
    pub x_range: Option<(f64, f64)>,
    /// fixed y range (data units), else from the data
    pub y_range: Option<(f64, f64)>,
    /// where the legend goes
    pub legend: SeriesLabelPosition,
}

impl Panel {
    /// An empty panel with linear axes.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            x_log: false,
            y_log: false,
            series: Vec::new(),
            bands: Vec::new(),
            hlines: Vec::new(),
            x_range: None,
            y_range: None,
            legend: SeriesLabelPosition::UpperRight,
        }
    }
}

/// A colour from a fixed qualitative palette (Okabe-Ito-like, readable on white).
pub fn palette(i: usize) -> RGBColor {
    const P: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(140, 140, 140),
    ];
    P[i % P.len()]
}

/// Red of the reference lines (the paper's red dashed line at xi^2 = 1).
pub const REF_RED: RGBColor = RGBColor(220, 30, 30);
/// Grey.
pub const GREY: RGBColor = RGBColor(120, 120, 120);
/// Orange of the paper's error bands (Fig. 4).
pub const ORANGE: RGBColor = RGBColor(255, 150, 30);

fn tr(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    }
}

/// Tick label: `10^v` on a log axis, the value with trailing noise removed otherwise.
fn tick(v: f64, log: bool) -> String {
    let x = if log { 10f64.powf(v) } else { v };
    if x == 0.0 || (!log && v.abs() < 1e-12) {
        return "0".into();
    }
    if log {
        // decades only: the mesh in between is unlabelled
        if (v - v.round()).abs() > 1e-9 {
            return String::new();
        }
        let k = v.round() as i32;
        return if (-3..=4).contains(&k) {
            format!("{}", 10f64.powi(k))
        } else {
            format!("1e{k}")
        };
    }
    let mag = x.abs().log10().floor() as i32;
    let digits = (3 - mag).clamp(0, 8) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn range_of(vals: impl Iterator<Item = f64>, fixed: Option<(f64, f64)>, log: bool) -> (f64, f64) {
    if let Some((a, b)) = fixed {
        return (tr(a, log), tr(b, log));
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

fn segments(x: &[f64], y: &[f64], xl: bool, yl: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for (&a, &b) in x.iter().zip(y) {
        let (u, v) = (tr(a, xl), tr(b, yl));
        if u.is_finite() && v.is_finite() {
            out.last_mut().expect("non-empty").push((u, v));
        } else if !out.last().expect("non-empty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The plotted ranges of a panel (in the transformed coordinates of its log axes): what its
/// series, bands and horizontal lines span, or its fixed ranges.
fn panel_ranges(p: &Panel) -> ((f64, f64), (f64, f64)) {
    let (xl, yl) = (p.x_log, p.y_log);
    let xs = p
        .series
        .iter()
        .flat_map(|s| s.x.iter().copied())
        .chain(p.bands.iter().flat_map(|b| b.x.iter().copied()))
        .map(|v| tr(v, xl));
    let (x0, x1) = range_of(xs, p.x_range, xl);
    let ys = p
        .series
        .iter()
        .flat_map(|s| s.y.iter().copied())
        .chain(
            p.bands
                .iter()
                .flat_map(|b| b.lo.iter().chain(&b.hi).copied()),
        )
        .chain(p.hlines.iter().map(|h| h.0))
        .map(|v| tr(v, yl));
    let (y0, y1) = range_of(ys, p.y_range, yl);
    ((x0, x1), (y0, y1))
}

fn draw_panel(area: &DrawingArea<BitMapBackend<'_>, Shift>, p: &Panel) -> anyhow::Result<()> {
    let (xl, yl) = (p.x_log, p.y_log);
    let ((x0, x1), (y0, y1)) = panel_ranges(p);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(66)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(pe)?;
    let fx = |v: &f64| tick(*v, xl);
    let fy = |v: &f64| tick(*v, yl);
    chart
        .configure_mesh()
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .axis_desc_style((FAMILY, 18))
        .label_style((FAMILY, 15))
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .x_labels(8)
        .y_labels(8)
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(pe)?;
    let mut legend = false;
    for b in &p.bands {
        let mut pts: Vec<(f64, f64)> = Vec::new();
        let mut back: Vec<(f64, f64)> = Vec::new();
        for i in 0..b.x.len() {
            let (u, lo, hi) = (tr(b.x[i], xl), tr(b.lo[i], yl), tr(b.hi[i], yl));
            if u.is_finite() && lo.is_finite() && hi.is_finite() {
                pts.push((u, lo.clamp(y0, y1)));
                back.push((u, hi.clamp(y0, y1)));
            }
        }
        back.reverse();
        pts.extend(back);
        let style = b.color.mix(0.35).filled();
        let a = chart
            .draw_series(std::iter::once(Polygon::new(pts, style)))
            .map_err(pe)?;
        if let Some(l) = &b.label {
            legend = true;
            a.label(l.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], style));
        }
    }
    for (v, c, label) in &p.hlines {
        let y = tr(*v, yl);
        let style = c.stroke_width(2);
        let a = chart
            .draw_series(DashedLineSeries::new(vec![(x0, y), (x1, y)], 10, 6, style))
            .map_err(pe)?;
        if let Some(l) = label {
            legend = true;
            a.label(l.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
    }
    for s in &p.series {
        let style = s.color.stroke_width(2);
        let segs = segments(&s.x, &s.y, xl, yl);
        let mut first = true;
        for seg in segs {
            let anno = match s.style {
                Style::Solid => chart.draw_series(LineSeries::new(seg, style)),
                Style::Dashed => chart.draw_series(DashedLineSeries::new(seg, 9, 6, style)),
                Style::Dotted => chart.draw_series(DashedLineSeries::new(seg, 3, 4, style)),
                Style::DashDot => chart.draw_series(DashedLineSeries::new(seg, 12, 4, style)),
                Style::Markers => chart.draw_series(
                    seg.into_iter()
                        .map(|pt| Circle::new(pt, 4, s.color.stroke_width(2))),
                ),
            }
            .map_err(pe)?;
            if first {
                if let Some(l) = &s.label {
                    legend = true;
                    let markers = s.style == Style::Markers;
                    let c = s.color;
                    let (path, dot) = if markers {
                        (vec![(10, 0), (10, 0)], c.stroke_width(2))
                    } else {
                        (vec![(0, 0), (20, 0)], WHITE.mix(0.0).stroke_width(0))
                    };
                    let line = c.stroke_width(2);
                    anno.label(l.as_str()).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(path.clone(), line)
                            + Circle::new((10, 0), 4, dot)
                    });
                }
            }
            first = false;
        }
    }
    if legend {
        chart
            .configure_series_labels()
            .position(p.legend.clone())
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(150, 150, 150))
            .draw()
            .map_err(pe)?;
    }
    Ok(())
}

/// A white PNG of `size` pixels and its area below `title`.
fn canvas<'a>(
    path: &'a Path,
    title: &str,
    size: (u32, u32),
    font: u32,
) -> anyhow::Result<(Area<'a>, Area<'a>)> {
    init_font()?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(pe)?;
    let body = root.titled(title, (FAMILY, font)).map_err(pe)?;
    Ok((root, body))
}

/// A drawing area of a PNG.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Renders `panels` on a `rows x cols` grid under a title into a PNG of `size` pixels.
pub fn render(
    path: &Path,
    title: &str,
    size: (u32, u32),
    grid: (usize, usize),
    panels: &[Panel],
) -> anyhow::Result<()> {
    let (root, body) = canvas(path, title, size, 26)?;
    let areas = body.split_evenly(grid);
    for (a, p) in areas.iter().zip(panels) {
        draw_panel(a, p)?;
    }
    root.present().map_err(pe)?;
    Ok(())
}

/// One heat map: `z[ix * y.len() + iy]` at `(x[ix], y[iy])` on a uniform grid.
#[derive(Debug, Clone)]
pub struct Heat {
    /// caption
    pub title: String,
    /// x axis label
    pub x_label: String,
    /// y axis label
    pub y_label: String,
    /// grid abscissae (uniform)
    pub x: Vec<f64>,
    /// grid ordinates (uniform)
    pub y: Vec<f64>,
    /// values
    pub z: Vec<f64>,
}

fn draw_heat(area: &DrawingArea<BitMapBackend<'_>, Shift>, h: &Heat) -> anyhow::Result<()> {
    let (nx, ny) = (h.x.len(), h.y.len());
    let dx = if nx > 1 { h.x[1] - h.x[0] } else { 1.0 };
    let dy = if ny > 1 { h.y[1] - h.y[0] } else { 1.0 };
    let (x0, x1) = (h.x[0] - dx / 2.0, h.x[nx - 1] + dx / 2.0);
    let (y0, y1) = (h.y[0] - dy / 2.0, h.y[ny - 1] + dy / 2.0);
    let zmax = h.z.iter().copied().fold(0.0f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(&h.title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(pe)?;
    let f = |v: &f64| tick(*v, false);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&h.x_label)
        .y_desc(&h.y_label)
        .axis_desc_style((FAMILY, 17))
        .label_style((FAMILY, 14))
        .x_label_formatter(&f)
        .y_label_formatter(&f)
        .x_labels(5)
        .y_labels(5)
        .draw()
        .map_err(pe)?;
    let cells = (0..nx).flat_map(|i| (0..ny).map(move |j| (i, j)));
    chart
        .draw_series(cells.map(|(i, j)| {
            let v = if zmax > 0.0 {
                (h.z[i * ny + j] / zmax).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let c = ViridisRGB.get_color(v as f32);
            Rectangle::new(
                [
                    (h.x[i] - dx / 2.0, h.y[j] - dy / 2.0),
                    (h.x[i] + dx / 2.0, h.y[j] + dy / 2.0),
                ],
                c.filled(),
            )
        }))
        .map_err(pe)?;
    Ok(())
}

/// Renders heat maps (each normalised to its own maximum, viridis) on a grid with a colour bar
/// legend in the title line.
pub fn render_heat(
    path: &Path,
    title: &str,
    size: (u32, u32),
    grid: (usize, usize),
    heats: &[Heat],
) -> anyhow::Result<()> {
    let (root, body) = canvas(path, title, size, 24)?;
    let (main, bar) = body.split_vertically(size.1 as i32 - 80);
    for (a, h) in main.split_evenly(grid).iter().zip(heats) {
        draw_heat(a, h)?;
    }
    // colour bar
    let w = size.0 as i32;
    let (bx0, bx1, by0, by1) = (w / 4, 3 * w / 4, 12, 36);
    for k in 0..(bx1 - bx0) {
        let v = k as f32 / (bx1 - bx0 - 1) as f32;
        bar.draw(&Rectangle::new(
            [(bx0 + k, by0), (bx0 + k + 1, by1)],
            ViridisRGB.get_color(v).filled(),
        ))
        .map_err(pe)?;
    }
    let style = TextStyle::from((FAMILY, 16).into_font()).color(&BLACK);
    bar.draw(&Text::new("0", (bx0 - 20, by0 + 4), style.clone()))
        .map_err(pe)?;
    bar.draw(&Text::new(
        "Q / max Q of each frame",
        (bx1 + 10, by0 + 4),
        style.clone(),
    ))
    .map_err(pe)?;
    bar.draw(&Text::new("1", (bx1 - 6, by1 + 6), style))
        .map_err(pe)?;
    root.present().map_err(pe)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels() {
        assert_eq!(tick(0.30000000000000004, false), "0.3");
        assert_eq!(tick(2.0, true), "100");
        assert_eq!(tick(-2.0, true), "0.01");
        assert_eq!(tick(6.0, true), "1e6");
        assert_eq!(tick(0.5, true), "");
        assert_eq!(tick(0.0, false), "0");
        assert_eq!(tick(1250.0, false), "1250");
    }
}
