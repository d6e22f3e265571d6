//! Bar charts as server-rendered SVG: no script, no chart service. Each chart scales to its box
//! (`viewBox`, width 100 %), names itself for screen readers (`role="img"`, `<title>`, `<desc>`) and
//! comes with its figures as a table that only screen readers see.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use voltgate_domain::chart::{Buckets, Step};
use voltgate_domain::Zone;

use super::words::decimal;
use crate::i18n::{Lang, Tr};

/// A chart ready for a page: the SVG markup and its figures as text.
pub struct BarChart {
    /// The id of the chart's heading.
    pub id: String,
    pub title: String,
    /// The `<svg>` element (escaped already).
    pub svg: String,
    /// Each bar's full label and value, for the screen-reader table.
    pub rows: Vec<(String, String)>,
    /// Column headings of that table.
    pub label_heading: String,
    pub value_heading: String,
}

/// Escapes text for SVG/HTML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: a short label under it (may be empty), a full label and the value.
pub struct Bar {
    pub short: String,
    pub full: String,
    pub value: f64,
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 34.0;
/// At most this many labels under the bars, so they stay readable on a phone.
const LABELS: usize = 6;

/// Draws bars. `unit` follows every value ("kWh", "kW"); `places` is the decimals shown.
pub fn bar_chart(
    tr: Tr,
    id: &str,
    title: String,
    description: String,
    bars: &[Bar],
    unit: &str,
    places: usize,
) -> BarChart {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 {
        (HEIGHT - TOP - BOTTOM) / max
    } else {
        0.0
    };
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * LEFT) / n;
    let every = bars.len().div_ceil(LABELS).max(1);
    let value_text = |v: f64| format!("{} {unit}", decimal(tr, v.max(0.0) + 0.0, places));
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMidYMid meet\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(&title),
        escape(&description)
    );
    let _ = write!(
        svg,
        "<text class=\"chart-max\" x=\"{LEFT}\" y=\"22\">{}</text>\
         <line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\"/>",
        escape(&format!("↑ {}", value_text(max))),
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - LEFT,
    );
    for (i, bar) in bars.iter().enumerate() {
        let h = (bar.value.max(0.0) * scale).max(if bar.value > 0.0 { 1.0 } else { 0.0 }) + 0.0;
        let x = LEFT + i as f64 * slot + slot * 0.15;
        let _ = write!(
            svg,
            "<rect class=\"chart-bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}</title></rect>",
            HEIGHT - BOTTOM - h,
            slot * 0.7,
            escape(&format!("{}: {}", bar.full, value_text(bar.value)))
        );
        if i % every == 0 && !bar.short.is_empty() {
            let _ = write!(
                svg,
                "<text class=\"chart-label\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                HEIGHT - 8.0,
                escape(&bar.short)
            );
        }
    }
    svg.push_str("</svg>");
    BarChart {
        id: id.to_owned(),
        title,
        svg,
        rows: bars
            .iter()
            .map(|b| (b.full.clone(), value_text(b.value)))
            .collect(),
        label_heading: tr.t("chart-when"),
        value_heading: tr.t("chart-value"),
    }
}

/// A bucket's label under its bar and in full, in the reader's convention.
pub fn bucket_labels(tr: Tr, step: Step, start: chrono::NaiveDate) -> (String, String) {
    use chrono::Datelike;
    match step {
        Step::Day => {
            let short = match tr.0 {
                Lang::En => start.format("%d/%m").to_string(),
                _ => start.format("%d.%m.").to_string(),
            };
            (short, start.format("%Y-%m-%d").to_string())
        }
        Step::Week => {
            let week = start.iso_week();
            let text = tr.with(
                "chart-week",
                &[
                    ("week", &week.week().to_string()),
                    ("year", &week.year().to_string()),
                ],
            );
            (
                tr.with("chart-week-short", &[("week", &week.week().to_string())]),
                text,
            )
        }
        Step::Month => (
            start.format("%m/%y").to_string(),
            start.format("%Y-%m").to_string(),
        ),
    }
}

/// Energy per bucket (Wh from the store) as a bar chart in kWh.
pub fn energy_chart(tr: Tr, id: &str, title: String, buckets: &Buckets, wh: &[f64]) -> BarChart {
    let bars: Vec<Bar> = buckets
        .starts
        .iter()
        .zip(wh)
        .map(|(start, wh)| {
            let (short, full) = bucket_labels(tr, buckets.step, *start);
            Bar {
                short,
                full,
                value: wh / 1000.0,
            }
        })
        .collect();
    let total: f64 = wh.iter().sum::<f64>() / 1000.0;
    let description = tr.with(
        "chart-energy-desc",
        &[
            ("total", &decimal(tr, total.max(0.0) + 0.0, 1)),
            (
                "first",
                bars.first().map(|b| b.full.as_str()).unwrap_or_default(),
            ),
            (
                "last",
                bars.last().map(|b| b.full.as_str()).unwrap_or_default(),
            ),
        ],
    );
    bar_chart(tr, id, title, description, &bars, "kWh", 1)
}

/// Average power per hour (Wh delivered in each hour from the store) as a bar chart in kW, hours
/// labelled in the installation's time zone.
pub fn power_chart(tr: Tr, id: &str, zone: Zone, hours: &[DateTime<Utc>], wh: &[f64]) -> BarChart {
    let bars: Vec<Bar> = hours
        .windows(2)
        .zip(wh)
        .map(|(hour, wh)| {
            let local = hour[0].with_timezone(&zone.tz());
            let span = (hour[1] - hour[0]).num_seconds().max(1) as f64 / 3600.0;
            Bar {
                short: local.format("%H:%M").to_string(),
                full: zone.show(hour[0]),
                value: wh / 1000.0 / span,
            }
        })
        .collect();
    let peak = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let description = tr.with("chart-power-desc", &[("peak", &decimal(tr, peak, 1))]);
    bar_chart(
        tr,
        id,
        tr.t("chart-power-title"),
        description,
        &bars,
        "kW",
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_values_are_escaped_and_localised() {
        let bars = [Bar {
            short: "<a>".into(),
            full: "x & y".into(),
            value: 1.26,
        }];
        let chart = bar_chart(Tr(Lang::De), "c", "T\"".into(), "D".into(), &bars, "kWh", 1);
        assert!(chart.svg.contains("&lt;a&gt;"));
        assert!(chart.svg.contains("T&quot;"));
        assert!(!chart.svg.contains("<a>"));
        assert_eq!(chart.rows, vec![("x & y".to_owned(), "1,3 kWh".to_owned())]);
        assert!(chart.svg.starts_with("<svg class=\"chart\" viewBox="));
        assert!(chart.svg.contains("role=\"img\""));
    }

    #[test]
    fn empty_charts_say_zero_never_minus_zero() {
        let bars = [Bar {
            short: String::new(),
            full: "a".into(),
            value: -0.0,
        }];
        let chart = bar_chart(Tr(Lang::En), "c", "t".into(), "d".into(), &bars, "kWh", 1);
        assert_eq!(chart.rows[0].1, "0.0 kWh");
        assert!(!chart.svg.contains("-0.0"));
    }
}
