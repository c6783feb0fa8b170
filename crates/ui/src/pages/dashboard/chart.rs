//! Server-side SVG charts of a dashboard table: lines (one per column) or stacked bars.
//!
//! Geometry only; the template writes the elements. On right-to-left pages time runs from
//! right to left and the value axis sits on the right; every label uses the page's digits
//! and calendar. Colours come from the stylesheet through classes (`s0`, `s1`…), so the
//! strict CSP needs no inline style. Each point and bar has a `<title>`, and the page shows
//! the same numbers as a table beside the chart.

use super::data::{Kind, Table, Unit};
use super::view::View;
use crate::i18n::Lang;

pub const W: f64 = 640.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 196.0;
/// Room for the value labels on the axis side.
const AXIS: f64 = 56.0;
const EDGE: f64 = 8.0;

pub struct Rect {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub class: String,
    pub title: String,
}

pub struct Line {
    pub points: String,
    pub class: String,
}

pub struct Dot {
    pub x: String,
    pub y: String,
    pub class: String,
    pub title: String,
}

pub struct Label {
    pub x: String,
    pub y: String,
    pub anchor: &'static str,
    pub text: String,
}

pub struct Grid {
    pub x1: String,
    pub x2: String,
    pub y: String,
}

/// A chart ready for the template.
pub struct Svg {
    pub id: String,
    pub title: String,
    pub dir: &'static str,
    pub rects: Vec<Rect>,
    pub lines: Vec<Line>,
    pub dots: Vec<Dot>,
    pub x_labels: Vec<Label>,
    pub y_labels: Vec<Label>,
    pub grid: Vec<Grid>,
    /// Legend entries: (class, name).
    pub legend: Vec<(String, String)>,
    /// Nothing to draw (no value in any bucket).
    pub empty: bool,
}

/// A value as shown in this unit.
pub fn show(lang: Lang, unit: Unit, v: f64) -> String {
    match unit {
        Unit::Count => lang.int(v.round() as i64),
        Unit::Duration => lang.duration(v),
        Unit::Rate => lang.percent(v),
        Unit::Score => lang.number(v, 1),
    }
}

fn f(x: f64) -> String {
    format!("{x:.1}")
}

pub fn draw(view: &View, t: &Table, title: String) -> Svg {
    let lang = view.lang;
    let rtl = lang.dir() == "rtl";
    let n = t.rows.len().max(1);
    let (left, right) = if rtl {
        (EDGE, W - AXIS)
    } else {
        (AXIS, W - EDGE)
    };
    let slot = (right - left) / n as f64;
    // The centre of bucket `i`: time runs from the axis side's opposite in RTL.
    let cx = |i: usize| {
        if rtl {
            right - (i as f64 + 0.5) * slot
        } else {
            left + (i as f64 + 0.5) * slot
        }
    };
    let (lo, hi) = match t.unit {
        Unit::Rate => (0.0, 1.0),
        Unit::Score => (-100.0, 100.0),
        _ => {
            let max = t
                .rows
                .iter()
                .map(|(_, vs)| match t.kind {
                    Kind::Stacked => vs.iter().flatten().sum::<f64>(),
                    Kind::Lines => vs.iter().flatten().fold(0.0, |a: f64, b| a.max(*b)),
                })
                .fold(0.0, f64::max);
            (0.0, if max > 0.0 { max } else { 1.0 })
        }
    };
    let y = |v: f64| BOTTOM - (v - lo) / (hi - lo) * (BOTTOM - TOP);
    let class = |c: usize| format!("s{}", c % 8);
    let names: Vec<String> = t.columns.iter().map(|k| lang.t(k)).collect();
    let texts: Vec<String> = t.rows.iter().map(|(b, _)| view.bucket_text(b)).collect();

    let mut svg = Svg {
        id: format!("chart-{}", t.id),
        title,
        dir: lang.dir(),
        rects: vec![],
        lines: vec![],
        dots: vec![],
        x_labels: vec![],
        y_labels: vec![],
        grid: vec![],
        legend: names
            .iter()
            .enumerate()
            .map(|(i, n)| (class(i), n.clone()))
            .collect(),
        empty: t
            .rows
            .iter()
            .all(|(_, vs)| vs.iter().all(|v| v.is_none_or(|x| x == 0.0))),
    };
    for k in 0..=2 {
        let v = lo + (hi - lo) * f64::from(k) / 2.0;
        svg.grid.push(Grid {
            x1: f(left),
            x2: f(right),
            y: f(y(v)),
        });
        svg.y_labels.push(Label {
            x: f(if rtl { right + 4.0 } else { left - 4.0 }),
            y: f(y(v) + 4.0),
            anchor: "end",
            text: show(lang, t.unit, v),
        });
    }
    // In RTL the value labels start at the axis and run right (text-anchor start).
    if rtl {
        for l in &mut svg.y_labels {
            l.anchor = "start";
        }
    }
    let every = n.div_ceil(8);
    for (i, text) in texts.iter().enumerate() {
        if i % every == 0 {
            svg.x_labels.push(Label {
                x: f(cx(i)),
                y: f(BOTTOM + 18.0),
                anchor: "middle",
                text: text.clone(),
            });
        }
    }
    match t.kind {
        Kind::Stacked => {
            let w = (slot * 0.7).max(1.0);
            for (i, (_, vs)) in t.rows.iter().enumerate() {
                let mut base = 0.0;
                for (c, v) in vs.iter().enumerate() {
                    let v = v.unwrap_or(0.0);
                    if v <= 0.0 {
                        continue;
                    }
                    let (top, bottom) = (y(base + v), y(base));
                    svg.rects.push(Rect {
                        x: f(cx(i) - w / 2.0),
                        y: f(top),
                        w: f(w),
                        h: f(bottom - top),
                        class: class(c),
                        title: lang.t_args(
                            "dash-point",
                            &[
                                ("bucket", texts[i].clone()),
                                ("series", names[c].clone()),
                                ("value", show(lang, t.unit, v)),
                            ],
                        ),
                    });
                    base += v;
                }
            }
        }
        Kind::Lines => {
            for (c, name) in names.iter().enumerate() {
                let mut run: Vec<String> = Vec::new();
                let flush = |run: &mut Vec<String>, lines: &mut Vec<Line>| {
                    if run.len() > 1 {
                        lines.push(Line {
                            points: run.join(" "),
                            class: class(c),
                        });
                    }
                    run.clear();
                };
                for (i, (_, vs)) in t.rows.iter().enumerate() {
                    match vs.get(c).copied().flatten() {
                        Some(v) => {
                            let (px, py) = (cx(i), y(v.clamp(lo, hi)));
                            run.push(format!("{px:.1},{py:.1}"));
                            svg.dots.push(Dot {
                                x: f(px),
                                y: f(py),
                                class: class(c),
                                title: lang.t_args(
                                    "dash-point",
                                    &[
                                        ("bucket", texts[i].clone()),
                                        ("series", name.clone()),
                                        ("value", show(lang, t.unit, v)),
                                    ],
                                ),
                            });
                        }
                        None => flush(&mut run, &mut svg.lines),
                    }
                }
                flush(&mut run, &mut svg.lines);
            }
        }
    }
    svg
}
