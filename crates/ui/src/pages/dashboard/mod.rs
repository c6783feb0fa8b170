//! The manager dashboard: KPI cards (value, benchmark band, change against the previous
//! period, a link to the tickets behind each), charts, the KPI and top-agents tables, for a
//! period (a preset or custom dates) and a channel, group and agent; every table as CSV; the
//! tickets behind a KPI, paginated.
//!
//! The KPI engine computes everything (`data`); this module only formats. Map:
//! - `view`: the GET parameters (period, filters) and the time buckets;
//! - `data`: the engine's report and the rows picked out of it;
//! - `chart`: SVG geometry of a table;
//! - `tables`: the CSV exports and the drill-down pages.

mod chart;
mod data;
mod tables;
mod view;

use super::{Page, render};
use crate::Ui;
use crate::error::UiError;
use crate::i18n::Lang;
use crate::session::User;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use data::{CardData, Dash, Unit};
use jiff::Timestamp;
use sanjeh_metrics::AgentRow;
use view::{DashQuery, Preset, View};

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/agents.csv", get(tables::agents_csv))
        .route("/dashboard/table.csv", get(tables::table_csv))
        .route("/dashboard/tickets", get(tables::drill))
        .route("/dashboard/tickets.csv", get(tables::drill_csv))
}

/// Parses the view and runs the engine over the live dataset, off the async workers.
async fn run(ui: &Ui, user: &User, q: &DashQuery) -> Result<(View, Dash), UiError> {
    user.require_reports()?;
    let Some((dataset, targets)) = ui.app.reports().cloned() else {
        return Err(UiError::Unavailable("reports are not enabled"));
    };
    let now = Timestamp::now();
    let view = View::parse(q, now, user.lang, &user.time_zone(&ui.options.time_zone))?;
    let v = view.clone();
    let dash = tokio::task::spawn_blocking(move || {
        let ds = dataset.read().unwrap_or_else(|p| p.into_inner());
        data::compute(&ds, &v, &targets, now)
    })
    .await
    .map_err(|_| UiError::Unavailable("the report was interrupted"))?;
    Ok((view, dash))
}

/// A headline as shown.
fn format(lang: Lang, unit: Unit, x: Option<f64>) -> String {
    x.map_or_else(|| lang.t("no-value"), |v| chart::show(lang, unit, v))
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
    /// The tickets behind it.
    drill: Option<String>,
    /// For first reply time: the link to the tickets never replied, and its text.
    unreplied: Option<(String, String)>,
}

fn card(lang: Lang, c: &CardData, query: &str) -> Card {
    let (change, trend) = match c.change.and_then(|ch| ch.abs.map(|a| (a, ch.rel))) {
        None => (lang.t("change-none"), "same"),
        Some((0.0, _)) => (lang.t("change-same"), "same"),
        Some((a, rel)) => {
            let amount = match (c.unit, rel) {
                (Unit::Rate, _) => {
                    lang.t_args("points", &[("value", lang.number(a.abs() * 100.0, 1))])
                }
                (Unit::Score, _) => lang.number(a.abs(), 1),
                (_, Some(r)) => lang.percent(r.abs()),
                (u, None) => format(lang, u, Some(a.abs())),
            };
            let key = if a > 0.0 { "change-up" } else { "change-down" };
            let better = (a > 0.0) != c.lower_is_better;
            (
                lang.t_args(key, &[("amount", amount)]),
                if better { "better" } else { "worse" },
            )
        }
    };
    Card {
        id: c.id,
        label: lang.t(&format!("kpi-{}", c.id)),
        value: format(lang, c.unit, c.value),
        band: c.band,
        band_label: c
            .band
            .map(|b| lang.t(&format!("band-{b}")))
            .unwrap_or_default(),
        change,
        trend,
        drill: c
            .drill
            .map(|d| format!("/dashboard/tickets?kpi={}&{query}", d.as_str())),
        unreplied: c.unreplied.map(|n| {
            (
                format!("/dashboard/tickets?kpi=unreplied&{query}"),
                lang.t_count("dash-unreplied", n),
            )
        }),
    }
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

/// A chart with its data as a table (the accessible fallback) and its CSV link.
struct ChartView {
    svg: chart::Svg,
    head: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    csv: String,
}

/// One line of the KPI table.
struct KpiLine {
    label: String,
    value: String,
    previous: String,
    change: String,
    band: String,
}

/// An option of a filter's select: (value, label, selected).
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate {
    page: Page,
    periods: Vec<(String, String, bool)>,
    custom: bool,
    from: String,
    to: String,
    channels: Vec<Choice>,
    groups: Vec<Choice>,
    agents_choice: Vec<Choice>,
    period_text: String,
    filtered: bool,
    cards: Vec<Card>,
    charts: Vec<ChartView>,
    kpis: Vec<KpiLine>,
    kpis_csv: String,
    agents: Vec<AgentLine>,
    agents_csv: String,
}

/// "From … to …" of a view, in the page's calendar.
fn period_text(view: &View, tz: &jiff::tz::TimeZone) -> String {
    let lang = view.lang;
    let d = |t: Timestamp| lang.datetime(t.as_millisecond(), tz).text;
    lang.t_args(
        "period-range",
        &[("from", d(view.from)), ("to", d(view.to))],
    )
}

/// The header of a chart table's first column.
fn bucket_header(view: &View) -> String {
    view.lang
        .t(&format!("dash-bucket-{}", view.bucket.as_str()))
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn dashboard(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let (view, dash) = run(&ui, &user, &q).await?;
    let lang = view.lang;
    let query = view.query();
    let store = ui.app.store();
    let (groups, agents) = (store.groups().await?, store.agents().await?);
    let page = Page::signed_in(&ui, &user, "dashboard-title", format!("/dashboard?{query}"));
    let tz = &user.time_zone(&ui.options.time_zone);

    let all = |sel: &Option<String>| (String::new(), lang.t("dash-all"), sel.is_none());
    let f = &view.filter;
    let mut channels = vec![all(&f.channel)];
    channels.extend(sanjeh_domain::Channel::ALL.iter().map(|c| {
        (
            c.as_str().to_owned(),
            lang.t(&format!("channel-{}", c.as_str())),
            f.channel.as_deref() == Some(c.as_str()),
        )
    }));
    let mut group_choices = vec![all(&f.group)];
    group_choices.extend(groups.iter().map(|g| {
        (
            g.id.clone(),
            g.name.clone().unwrap_or_else(|| g.id.clone()),
            f.group.as_deref() == Some(g.id.as_str()),
        )
    }));
    let mut agent_choices = vec![all(&f.agent)];
    agent_choices.extend(
        agents
            .iter()
            .filter(|a| !matches!(a.role.as_deref(), Some("manager")))
            .map(|a| {
                (
                    a.id.clone(),
                    a.name.clone().unwrap_or_else(|| a.id.clone()),
                    f.agent.as_deref() == Some(a.id.as_str()),
                )
            }),
    );
    // Presets keep the filters.
    let filters_only = {
        let mut v = view.clone();
        v.preset = Preset::Days30;
        v.query()
            .split('&')
            .filter(|p| !p.starts_with("period="))
            .map(|p| format!("&{p}"))
            .collect::<String>()
    };
    let charts = dash
        .tables
        .iter()
        .map(|t| {
            let title = lang.t(&format!("dash-chart-{}", t.id));
            let mut head = vec![bucket_header(&view)];
            head.extend(t.columns.iter().map(|c| lang.t(c)));
            ChartView {
                svg: chart::draw(&view, t, title),
                head,
                rows: t
                    .rows
                    .iter()
                    .map(|(b, vs)| {
                        (
                            view.bucket_text(b),
                            vs.iter().map(|v| format(lang, t.unit, *v)).collect(),
                        )
                    })
                    .collect(),
                csv: format!("/dashboard/table.csv?table={}&{query}", t.id),
            }
        })
        .collect();
    let template = DashboardTemplate {
        periods: Preset::ALL
            .iter()
            .map(|p| {
                (
                    format!("/dashboard?period={}{filters_only}", p.code()),
                    lang.t(&format!("period-{}", p.code())),
                    *p == view.preset,
                )
            })
            .collect(),
        custom: view.preset == Preset::Custom,
        from: view
            .from_date
            .unwrap_or_else(|| view.from.to_zoned(tz.clone()).date())
            .to_string(),
        to: view
            .to_date
            .unwrap_or_else(|| view.to.to_zoned(tz.clone()).date())
            .to_string(),
        channels,
        groups: group_choices,
        agents_choice: agent_choices,
        period_text: period_text(&view, tz),
        filtered: view.is_filtered(),
        cards: dash.cards.iter().map(|c| card(lang, c, &query)).collect(),
        kpis: dash
            .cards
            .iter()
            .map(|c| {
                let shown = card(lang, c, &query);
                KpiLine {
                    label: shown.label,
                    value: shown.value,
                    previous: format(lang, c.unit, c.previous),
                    change: shown.change,
                    band: shown.band_label,
                }
            })
            .collect(),
        kpis_csv: format!("/dashboard/table.csv?table=kpis&{query}"),
        agents: dash
            .agents
            .iter()
            .take(20)
            .map(|a| agent_line(lang, a))
            .collect(),
        agents_csv: format!("/dashboard/agents.csv?{query}"),
        charts,
        page,
    };
    Ok(render(&template))
}
