//! The manager dashboard: KPI cards (value, benchmark band, change against the previous
//! period) and the top-agents table, for a chosen period, with the table as CSV.
//!
//! The KPI engine computes everything (`sanjeh_metrics::report` and `top_agents` over the
//! live dataset the API's reports read); this module only picks and formats.

use super::{Page, render};
use crate::Ui;
use crate::error::UiError;
use crate::i18n::Lang;
use crate::session::User;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use sanjeh_metrics::{AgentRow, Report};
use sanjeh_web::report_params::ReportParams;
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/agents.csv", get(agents_csv))
}

/// The KPIs on cards, in order, with how each headline is shown.
const CARDS: &[(&str, Unit)] = &[
    ("solved_tickets", Unit::Count),
    ("ticket_volume", Unit::Count),
    ("backlog", Unit::Count),
    ("first_reply_time", Unit::Duration),
    ("full_resolution_time", Unit::Duration),
    ("resolution_rate", Unit::Rate),
    ("fcr_rate", Unit::Rate),
    ("csat", Unit::Rate),
];

#[derive(Debug, Clone, Copy)]
enum Unit {
    Count,
    Duration,
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Week,
    Days7,
    Days30,
    Days90,
}

impl Period {
    const ALL: [Period; 4] = [Period::Week, Period::Days7, Period::Days30, Period::Days90];

    fn code(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Days7 => "7d",
            Period::Days30 => "30d",
            Period::Days90 => "90d",
        }
    }

    fn parse(raw: Option<&str>) -> Period {
        Period::ALL
            .into_iter()
            .find(|p| Some(p.code()) == raw)
            .unwrap_or(Period::Days30)
    }

    /// [from, to): this week from its first day in the language (Saturday for Persian), or
    /// the last N days up to now.
    fn range(self, now: Timestamp, lang: Lang, tz: &jiff::tz::TimeZone) -> (Timestamp, Timestamp) {
        let days = match self {
            Period::Week => {
                let today = now.to_zoned(tz.clone()).date();
                let back = i64::from(today.weekday().since(lang.week_start()));
                let start = today
                    .checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(today);
                let from = start
                    .to_zoned(tz.clone())
                    .map(|z| z.timestamp())
                    .unwrap_or(now);
                return (from, now);
            }
            Period::Days7 => 7,
            Period::Days30 => 30,
            Period::Days90 => 90,
        };
        (now - jiff::SignedDuration::from_hours(24 * days), now)
    }
}

#[derive(Deserialize)]
struct DashboardQuery {
    period: Option<String>,
}

/// Runs the report and the agent ranking over the live dataset, off the async workers.
async fn run(ui: &Ui, period: Period, lang: Lang) -> Result<(Report, Vec<AgentRow>), UiError> {
    let Some((dataset, targets)) = ui.app.reports().cloned() else {
        return Err(UiError::Unavailable("reports are not enabled"));
    };
    let now = Timestamp::now();
    let tz = ui.options.time_zone.clone();
    let (from, to) = period.range(now, lang, &tz);
    let params = ReportParams {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        tz: tz.iana_name().map(str::to_owned),
        lang: Some(lang.code().to_owned()),
        by: Some("day".into()),
        ..ReportParams::default()
    };
    let request = params
        .to_request(now, &targets)
        .map_err(|_| UiError::Invalid {
            field: "period".into(),
            key: "error-invalid",
        })?;
    tokio::task::spawn_blocking(move || {
        let ds = dataset.read().unwrap_or_else(|p| p.into_inner());
        let report = sanjeh_metrics::report(&ds, &request);
        let agents = sanjeh_metrics::top_agents(&ds, &request, &request.rank_weights);
        (report, agents)
    })
    .await
    .map_err(|_| UiError::Unavailable("the report was interrupted"))
}

struct Card {
    id: &'static str,
    label: String,
    value: String,
    band: Option<&'static str>,
    band_label: String,
    change: String,
    /// `better`, `worse` or `same`, for colour.
    trend: &'static str,
}

struct AgentLine {
    rank: String,
    name: String,
    solved: String,
    fcr: String,
    first_reply: String,
    resolution: String,
    csat: String,
    score: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate {
    page: Page,
    periods: Vec<(String, String, bool)>,
    period_text: String,
    cards: Vec<Card>,
    agents: Vec<AgentLine>,
    csv: String,
    chart: Chart,
}

/// A bar of the daily chart, in SVG user units.
struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    /// `created` or `solved`, for colour.
    series: &'static str,
    title: String,
}

struct AxisLabel {
    x: String,
    text: String,
}

/// Tickets created and solved per day, as server-side SVG. On right-to-left pages time runs
/// from right to left, and every label is in the page's digits.
struct Chart {
    width: u32,
    height: u32,
    baseline: String,
    bars: Vec<Bar>,
    labels: Vec<AxisLabel>,
    max_label: String,
    legend_created: String,
    legend_solved: String,
    anchor: &'static str,
    empty: bool,
}

const CHART_W: u32 = 720;
const CHART_H: u32 = 220;
const PLOT_TOP: f64 = 28.0;
const PLOT_BOTTOM: f64 = 190.0;

fn chart(lang: Lang, report: &Value, tz: &jiff::tz::TimeZone) -> Chart {
    let rows = report
        .pointer("/by/0/rows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let count = |row: &Value, kpi: &str| {
        row.pointer(&format!("/kpis/{kpi}/value"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    };
    let days: Vec<(String, f64, f64)> = rows
        .iter()
        .map(|r| {
            let key = r
                .pointer("/key/day")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (key, count(r, "ticket_volume"), count(r, "solved_tickets"))
        })
        .collect();
    let max = days
        .iter()
        .map(|(_, c, s)| c.max(*s))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let rtl = lang.dir() == "rtl";
    let n = days.len().max(1) as f64;
    let slot = f64::from(CHART_W) / n;
    let bar_w = (slot * 0.4).max(1.0);
    let scale = (PLOT_BOTTOM - PLOT_TOP) / max;
    let slot_x = |i: usize| {
        if rtl {
            f64::from(CHART_W) - (i as f64 + 1.0) * slot
        } else {
            i as f64 * slot
        }
    };
    let day_text = |key: &str| {
        key.parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(tz.clone()).ok())
            .map(|z| {
                let full = lang.datetime(z.timestamp().as_millisecond(), tz).text;
                // The date without its time: everything before the last separator.
                full.rsplit_once([',', '،'])
                    .map_or(full.clone(), |(d, _)| d.to_owned())
            })
            .unwrap_or_else(|| key.to_owned())
    };
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    let every = (days.len() / 8).max(1);
    for (i, (key, created, solved)) in days.iter().enumerate() {
        let x0 = slot_x(i) + (slot - 2.0 * bar_w) / 2.0;
        let day = day_text(key);
        for (j, (series, v)) in [("created", *created), ("solved", *solved)]
            .into_iter()
            .enumerate()
        {
            // The first series sits on the side time comes from.
            let x = if rtl {
                x0 + bar_w * (1 - j) as f64
            } else {
                x0 + bar_w * j as f64
            };
            let h = v * scale;
            bars.push(Bar {
                x: format!("{x:.1}"),
                y: format!("{:.1}", PLOT_BOTTOM - h),
                width: format!("{bar_w:.1}"),
                height: format!("{h:.1}"),
                series,
                title: lang.t_args(
                    &format!("chart-{series}-title"),
                    &[("day", day.clone()), ("n", lang.int(v as i64))],
                ),
            });
        }
        if i % every == 0 {
            labels.push(AxisLabel {
                x: format!("{:.1}", slot_x(i) + slot / 2.0),
                text: day,
            });
        }
    }
    let anchor = if rtl { "end" } else { "start" };
    Chart {
        width: CHART_W,
        height: CHART_H,
        baseline: format!("{PLOT_BOTTOM:.1}"),
        empty: days.iter().all(|(_, c, s)| *c == 0.0 && *s == 0.0),
        bars,
        labels,
        max_label: lang.t_args("chart-max", &[("n", lang.int(max as i64))]),
        legend_created: lang.t("chart-created"),
        legend_solved: lang.t("chart-solved"),
        anchor,
    }
}

fn format(lang: Lang, unit: Unit, x: f64) -> String {
    match unit {
        Unit::Count => lang.int(x.round() as i64),
        Unit::Duration => lang.duration(x),
        Unit::Rate => lang.percent(x),
    }
}

fn headline(kpi: &Value, unit: Unit) -> Option<f64> {
    match unit {
        Unit::Duration => kpi.get("mean_s")?.as_f64(),
        Unit::Count | Unit::Rate => kpi.get("value")?.as_f64(),
    }
}

fn card(lang: Lang, report: &Value, id: &'static str, unit: Unit) -> Card {
    let kpi = report.pointer(&format!("/kpis/{id}"));
    let value = kpi.and_then(|k| headline(k, unit));
    let band = kpi
        .and_then(|k| k.get("band"))
        .and_then(Value::as_str)
        .and_then(|b| ["best", "average", "poor"].into_iter().find(|x| *x == b));
    let change = report.pointer(&format!("/change/{id}"));
    let abs = change.and_then(|c| c.get("abs")).and_then(Value::as_f64);
    let rel = change.and_then(|c| c.get("rel")).and_then(Value::as_f64);
    let lower_is_better = report
        .pointer(&format!("/thresholds/{id}/better"))
        .and_then(Value::as_str)
        .map_or(matches!(unit, Unit::Duration), |b| b == "lower");
    let (change_text, trend) = match abs {
        None => (lang.t("change-none"), "same"),
        Some(0.0) => (lang.t("change-same"), "same"),
        Some(a) => {
            let amount = match (unit, rel) {
                (Unit::Rate, _) => {
                    lang.t_args("points", &[("value", lang.number(a.abs() * 100.0, 1))])
                }
                (_, Some(r)) => lang.percent(r.abs()),
                (_, None) => format(lang, unit, a.abs()),
            };
            let key = if a > 0.0 { "change-up" } else { "change-down" };
            let better = (a > 0.0) != lower_is_better;
            (
                lang.t_args(key, &[("amount", amount)]),
                if better { "better" } else { "worse" },
            )
        }
    };
    Card {
        id,
        label: lang.t(&format!("kpi-{id}")),
        value: value.map_or_else(|| lang.t("no-value"), |v| format(lang, unit, v)),
        band,
        band_label: band
            .map(|b| lang.t(&format!("band-{b}")))
            .unwrap_or_default(),
        change: change_text,
        trend,
    }
}

fn agent_line(lang: Lang, a: &AgentRow) -> AgentLine {
    let dash = || lang.t("no-value");
    AgentLine {
        rank: lang.int(i64::from(a.rank)),
        name: a.name.clone().unwrap_or_else(|| a.agent.clone()),
        solved: lang.int(a.solved as i64),
        fcr: a.fcr.value.map_or_else(dash, |v| lang.percent(v)),
        first_reply: a
            .first_reply_time
            .mean_s
            .map_or_else(dash, |v| lang.duration(v)),
        resolution: a
            .resolution_time
            .mean_s
            .map_or_else(dash, |v| lang.duration(v)),
        csat: a.csat.value.map_or_else(dash, |v| lang.percent(v)),
        score: lang.number(a.score, 1),
    }
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn dashboard(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, UiError> {
    user.require_reports()?;
    let lang = user.lang;
    let period = Period::parse(q.period.as_deref());
    let (report, agents) = run(&ui, period, lang).await?;
    let json = serde_json::to_value(&report).map_err(|e| UiError::Template(e.to_string()))?;
    let page = Page::signed_in(
        &ui,
        &user,
        "dashboard-title",
        format!("/dashboard?period={}", period.code()),
    );
    let tz = &ui.options.time_zone;
    let from = report
        .period
        .from
        .parse::<Timestamp>()
        .map(|t| lang.datetime(t.as_millisecond(), tz).text)
        .unwrap_or_default();
    let to = report
        .period
        .to
        .parse::<Timestamp>()
        .map(|t| lang.datetime(t.as_millisecond(), tz).text)
        .unwrap_or_default();
    let template = DashboardTemplate {
        periods: Period::ALL
            .iter()
            .map(|p| {
                (
                    format!("/dashboard?period={}", p.code()),
                    lang.t(&format!("period-{}", p.code())),
                    *p == period,
                )
            })
            .collect(),
        period_text: lang.t_args("period-range", &[("from", from), ("to", to)]),
        cards: CARDS
            .iter()
            .map(|(id, unit)| card(lang, &json, id, *unit))
            .collect(),
        agents: agents
            .iter()
            .take(20)
            .map(|a| agent_line(lang, a))
            .collect(),
        csv: format!("/dashboard/agents.csv?period={}", period.code()),
        chart: chart(lang, &json, tz),
        page,
    };
    Ok(render(&template))
}

/// The top-agents table as CSV: headers in the user's language, numbers machine-readable
/// (seconds, fractions) so a spreadsheet can compute on them.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn agents_csv(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, UiError> {
    user.require_reports()?;
    let lang = user.lang;
    let period = Period::parse(q.period.as_deref());
    let (_, agents) = run(&ui, period, lang).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = [
        "col-rank",
        "col-agent-id",
        "col-agent",
        "col-solved",
        "col-fcr",
        "col-first-reply-s",
        "col-resolution-s",
        "col-csat",
        "col-score",
    ]
    .iter()
    .map(|k| lang.t(k))
    .collect();
    let fail = |e: csv::Error| UiError::Template(e.to_string());
    w.write_record(&header).map_err(fail)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for a in &agents {
        w.write_record([
            a.rank.to_string(),
            a.agent.clone(),
            a.name.clone().unwrap_or_default(),
            a.solved.to_string(),
            opt(a.fcr.value),
            opt(a.first_reply_time.mean_s),
            opt(a.resolution_time.mean_s),
            opt(a.csat.value),
            format!("{:.1}", a.score),
        ])
        .map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| UiError::Template(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"top-agents-{}.csv\"", period.code()),
            ),
        ],
        body,
    )
        .into_response())
}
