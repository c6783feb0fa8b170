//! `sanjeh report`: every KPI of the catalogue over a period, as a table, JSON (the same as
//! `GET /api/v1/reports`), CSV or Markdown.

use super::{CliError, CliResult};
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Settings;
use sanjeh_store::Durability;
use sanjeh_web::report_params::ReportParams;
use serde_json::Value;
use std::fmt::Write;

pub async fn run(settings: &Settings, args: &ReportArgs) -> CliResult {
    let params = ReportParams {
        from: args.from.clone(),
        to: args.to.clone(),
        tz: args.tz.clone(),
        by: args.by.clone(),
        lang: args.lang.clone(),
        previous: Some(!args.no_previous),
        channel: args.channel.clone(),
        group: args.group.clone(),
        agent: args.agent.clone(),
        ..ReportParams::default()
    };
    let mut request = params
        .to_request(jiff::Timestamp::now(), &settings.targets)
        .map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
    let store = super::open(settings, Durability::Normal).await?;
    let dataset = sanjeh_web::live::load_dataset(&store).await?;
    // Business-time KPIs count on the calendars in effect, when any are configured.
    request.calendars = store.business_calendars().await?;
    store.close().await;
    if let Some(n) = args.repeat {
        time_reports(&dataset, &request, n);
    }
    let json = if args.agents {
        serde_json::to_value(sanjeh_metrics::top_agents(
            &dataset,
            &request,
            &request.rank_weights,
        ))
    } else {
        serde_json::to_value(sanjeh_metrics::report(&dataset, &request))
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let out = match (args.format, args.agents) {
        (ReportFormat::Json, _) => serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        (ReportFormat::Csv, false) => csv_long(&json),
        (ReportFormat::Table, false) => table(&json, false),
        (ReportFormat::Markdown, false) => table(&json, true),
        (ReportFormat::Csv, true) => agents_csv(&json),
        (ReportFormat::Table | ReportFormat::Markdown, true) => {
            agents_table(&json, matches!(args.format, ReportFormat::Markdown))
        }
    };
    print!("{out}");
    Ok(())
}

/// Computes the report `n` times and prints min / median / max wall time and peak memory,
/// then where the time goes: each family alone on one core, best of `n`.
fn time_reports(
    dataset: &sanjeh_metrics::Dataset,
    request: &sanjeh_metrics::ReportRequest,
    n: u32,
) {
    let mut times: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let started = std::time::Instant::now();
            std::hint::black_box(sanjeh_metrics::report(dataset, request));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".into());
    eprintln!(
        "report x{}: min {:.1} ms, median {:.1} ms, max {:.1} ms; peak RSS {peak_kb} kB; {:?}",
        times.len(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        dataset.stats()
    );
    let families: Vec<String> = sanjeh_metrics::family_timings(dataset, request, n as usize)
        .into_iter()
        .map(|(family, ms)| format!("{family} {ms:.1}"))
        .collect();
    eprintln!("one core, ms: {}", families.join(", "));
}

/// KPIs given as `{"value","num","den"}` whose value is a mean per item, not a fraction.
const RATIOS: [&str; 3] = [
    "replies_per_ticket",
    "self_service_ratio",
    "resolved_per_session",
];

/// A KPI value in a few words: durations by their median, rates as percentages.
fn summary_of(id: &str, v: &Value) -> String {
    if RATIOS.contains(&id) {
        return match v["value"].as_f64() {
            Some(x) => format!("{x:.2} ({}/{})", v["num"], v["den"]),
            None => "—".into(),
        };
    }
    match v.get("value") {
        Some(Value::Number(n)) if n.is_f64() && v.get("den").is_none() => {
            format!("{:.1}", n.as_f64().unwrap_or(0.0))
        }
        // Money, per currency.
        Some(Value::Object(o)) if o.values().all(Value::is_string) => o
            .iter()
            .map(|(currency, amount)| format!("{currency} {}", amount.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(", "),
        _ => summary(v),
    }
}

fn summary(v: &Value) -> String {
    if v.get("median_s").is_some() {
        let n = v["n"].as_u64().unwrap_or(0);
        return match v["median_s"].as_f64() {
            Some(m) => format!(
                "median {} · mean {} · p90 {} (n={n})",
                duration(m),
                duration(v["mean_s"].as_f64().unwrap_or(0.0)),
                duration(v["p90_s"].as_f64().unwrap_or(0.0))
            ),
            None => format!("— (n={n})"),
        };
    }
    if let (Some(num), Some(den)) = (v.get("num"), v.get("den")) {
        return match v["value"].as_f64() {
            Some(x) => format!("{:.1}% ({num}/{den})", x * 100.0),
            None => format!("— ({num}/{den})"),
        };
    }
    if let Some(rate) = v.get("rate").filter(|r| r.is_object()) {
        return summary(rate);
    }
    match v.get("value") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "—".into(),
        Some(other) => compact(other),
        None => compact(v),
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

fn duration(seconds: f64) -> String {
    let s = seconds.round() as i64;
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn band(v: &Value) -> String {
    match v.get("band") {
        Some(Value::String(b)) => b.clone(),
        Some(Value::Object(o)) => o
            .get("level")
            .or_else(|| o.get("band"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        _ => String::new(),
    }
}

fn change(report: &Value, kpi: &str) -> String {
    match report
        .get("change")
        .and_then(|c| c.get(kpi))
        .and_then(|c| c.get("rel"))
        .and_then(Value::as_f64)
    {
        Some(rel) => format!("{:+.1}%", rel * 100.0),
        None => String::new(),
    }
}

fn row(out: &mut String, cells: &[String], markdown: bool, widths: &[usize]) {
    if markdown {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    } else {
        let line: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

/// The whole-period KPIs, then one small table per grouping.
fn table(report: &Value, markdown: bool) -> String {
    let mut out = String::new();
    let period = &report["period"];
    // The filter, if any, as `channel=email, agent=A-2`.
    let only: Vec<String> = report["filter"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(d, v)| format!("{d}={}", v.as_str().unwrap_or("")))
        .collect();
    let _ = writeln!(
        out,
        "Report {} → {} ({}){}\n",
        period["from"].as_str().unwrap_or(""),
        period["to"].as_str().unwrap_or(""),
        period["tz"].as_str().unwrap_or(""),
        if only.is_empty() {
            String::new()
        } else {
            format!(", only {}", only.join(", "))
        }
    );
    let widths = [28, 64, 8, 8];
    row(
        &mut out,
        &["KPI".into(), "value".into(), "band".into(), "change".into()],
        markdown,
        &widths,
    );
    if markdown {
        out.push_str("|---|---|---|---|\n");
    }
    if let Some(kpis) = report["kpis"].as_object() {
        for (id, v) in kpis {
            row(
                &mut out,
                &[id.clone(), summary_of(id, v), band(v), change(report, id)],
                markdown,
                &widths,
            );
        }
    }
    const SHOWN: [&str; 6] = [
        "ticket_volume",
        "solved_tickets",
        "first_reply_time",
        "full_resolution_time",
        "csat",
        "fcr_rate",
    ];
    for grouping in report["by"].as_array().into_iter().flatten() {
        let dims: Vec<String> = grouping["dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        let _ = writeln!(out, "\nby {}", dims.join(" × "));
        let mut header = dims.clone();
        header.extend(SHOWN.iter().map(|s| s.to_string()));
        let widths: Vec<usize> = header.iter().map(|h| h.len().max(14)).collect();
        row(&mut out, &header, markdown, &widths);
        if markdown {
            let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        }
        for r in grouping["rows"].as_array().into_iter().flatten() {
            let mut cells: Vec<String> = key_values(r);
            for kpi in SHOWN {
                let v = &r["kpis"][kpi];
                cells.push(if v.get("median_s").is_some() {
                    v["median_s"]
                        .as_f64()
                        .map(duration)
                        .unwrap_or_else(|| "—".into())
                } else if v.get("den").is_some() {
                    v["value"]
                        .as_f64()
                        .map(|x| format!("{:.1}%", x * 100.0))
                        .unwrap_or_else(|| "—".into())
                } else {
                    summary_of(kpi, v)
                });
            }
            row(&mut out, &cells, markdown, &widths);
        }
    }
    out
}

/// A grouped row's dimension values, in order.
fn key_values(r: &Value) -> Vec<String> {
    match &r["key"] {
        Value::Array(items) => items
            .iter()
            .map(|k| {
                k.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| k.to_string())
            })
            .collect(),
        Value::Object(o) => o
            .values()
            .map(|k| {
                k.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| k.to_string())
            })
            .collect(),
        other => vec![
            other
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| other.to_string()),
        ],
    }
}

/// Long CSV: one line per grouping row, KPI and field, so any tool can pivot it.
fn csv_long(report: &Value) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["grouping", "key", "kpi", "field", "value"]);
    let mut emit = |grouping: &str, key: &str, kpis: &Value| {
        for (id, v) in kpis.as_object().into_iter().flatten() {
            match v {
                Value::Object(fields) => {
                    for (f, x) in fields {
                        let text = match x {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        let _ = w.write_record([grouping, key, id, f, &text]);
                    }
                }
                other => {
                    let _ = w.write_record([grouping, key, id, "value", &other.to_string()]);
                }
            }
        }
    };
    emit("", "", &report["kpis"]);
    for grouping in report["by"].as_array().into_iter().flatten() {
        let dims: Vec<&str> = grouping["dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for r in grouping["rows"].as_array().into_iter().flatten() {
            emit(&dims.join(","), &key_values(r).join(","), &r["kpis"]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

const AGENT_COLUMNS: [&str; 9] = [
    "rank",
    "agent",
    "name",
    "score",
    "solved",
    "fcr",
    "first_reply_time",
    "resolution_time",
    "csat",
];

fn agent_cells(a: &Value) -> Vec<String> {
    vec![
        a["rank"].to_string(),
        a["agent"].as_str().unwrap_or("").to_owned(),
        a["name"].as_str().unwrap_or("").to_owned(),
        a["score"]
            .as_f64()
            .map(|s| format!("{s:.1}"))
            .unwrap_or_default(),
        a["solved"].to_string(),
        a["fcr"]["value"]
            .as_f64()
            .map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
        a["first_reply_time"]["median_s"]
            .as_f64()
            .map(duration)
            .unwrap_or_else(|| "—".into()),
        a["resolution_time"]["median_s"]
            .as_f64()
            .map(duration)
            .unwrap_or_else(|| "—".into()),
        a["csat"]["value"]
            .as_f64()
            .map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
    ]
}

fn agents_table(agents: &Value, markdown: bool) -> String {
    let mut out = String::new();
    let widths = [5, 8, 24, 6, 7, 7, 17, 16, 7];
    row(
        &mut out,
        &AGENT_COLUMNS.map(String::from),
        markdown,
        &widths,
    );
    if markdown {
        let _ = writeln!(out, "|{}", "---|".repeat(AGENT_COLUMNS.len()));
    }
    for a in agents.as_array().into_iter().flatten() {
        row(&mut out, &agent_cells(a), markdown, &widths);
    }
    out
}

fn agents_csv(agents: &Value) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(AGENT_COLUMNS);
    for a in agents.as_array().into_iter().flatten() {
        let _ = w.write_record(agent_cells(a));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_the_report_is_filtered_to() {
        let report = serde_json::json!({
            "period": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "tz": "UTC"},
            "filter": {"channel": "email", "agent": "A-2"},
            "kpis": {},
        });
        let first = table(&report, false).lines().next().unwrap().to_owned();
        assert!(
            first.ends_with("(UTC), only channel=email, agent=A-2"),
            "{first}"
        );
        let whole = serde_json::json!({"period": {"tz": "UTC"}, "kpis": {}});
        assert!(
            table(&whole, false)
                .lines()
                .next()
                .unwrap()
                .ends_with("(UTC)")
        );
    }
}
