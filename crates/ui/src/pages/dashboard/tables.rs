//! The dashboard's tables as CSV (headers in the user's language, numbers machine-readable:
//! seconds, fractions, ISO dates) and the tickets behind a KPI (a paginated page and a CSV).

use super::view::{DashQuery, View};
use super::{Page, bucket_header, period_text, render, run};
use crate::Ui;
use crate::error::UiError;
use crate::session::User;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use sanjeh_metrics::drill::{DrillItem, DrillKpi};

/// Tickets per drill-down page.
const PAGE: usize = 50;

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> Result<Response, UiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| UiError::Template(e.to_string());
    for r in rows {
        w.write_record(&r).map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| UiError::Template(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The top-agents table.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
pub(super) async fn agents_csv(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let (view, dash) = run(&ui, &user, &q).await?;
    let lang = view.lang;
    let mut rows = vec![
        [
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
        .collect(),
    ];
    for a in &dash.agents {
        rows.push(vec![
            a.rank.to_string(),
            a.agent.clone(),
            a.name.clone().unwrap_or_default(),
            a.solved.to_string(),
            opt(a.fcr.value),
            opt(a.first_reply_time.mean_s),
            opt(a.resolution_time.mean_s),
            opt(a.csat.value),
            format!("{:.1}", a.score),
        ]);
    }
    csv_response(&format!("top-agents-{}", file_part(&view)), rows)
}

/// The period in a file name.
fn file_part(view: &View) -> String {
    let d = |t: Timestamp| t.to_zoned(view.tz.clone()).date().to_string();
    format!("{}-{}", d(view.from), d(view.to))
}

/// The KPI table (`table=kpis`) or a chart's data (`table=volume`, `first_reply`…).
#[tracing::instrument(skip_all, fields(agent = %user.id))]
pub(super) async fn table_csv(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let (view, dash) = run(&ui, &user, &q).await?;
    let lang = view.lang;
    let which = q.table.as_deref().unwrap_or("kpis");
    let rows = if which == "kpis" {
        let mut rows = vec![
            [
                "dash-col-kpi-id",
                "dash-col-kpi",
                "dash-col-value",
                "dash-col-previous",
                "dash-col-change",
                "dash-col-band",
            ]
            .iter()
            .map(|k| lang.t(k))
            .collect::<Vec<_>>(),
        ];
        for c in &dash.cards {
            rows.push(vec![
                c.id.to_owned(),
                lang.t(&format!("kpi-{}", c.id)),
                opt(c.value),
                opt(c.previous),
                opt(c.change.and_then(|ch| ch.abs)),
                c.band.unwrap_or_default().to_owned(),
            ]);
        }
        rows
    } else {
        let t = dash
            .tables
            .iter()
            .find(|t| t.id == which)
            .ok_or_else(|| UiError::Invalid {
                field: "table".into(),
                key: "dash-error-table",
            })?;
        let mut head = vec![bucket_header(&view)];
        head.extend(t.columns.iter().map(|c| lang.t(c)));
        let mut rows = vec![head];
        for (b, vs) in &t.rows {
            let mut r = vec![b.clone()];
            r.extend(vs.iter().map(|v| opt(*v)));
            rows.push(r);
        }
        rows
    };
    csv_response(&format!("{which}-{}", file_part(&view)), rows)
}

/// The tickets behind a KPI, over the view (off the async workers).
async fn behind(
    ui: &Ui,
    user: &User,
    q: &DashQuery,
) -> Result<(View, DrillKpi, Vec<DrillItem>), UiError> {
    user.require_reports()?;
    let kpi = q
        .kpi
        .as_deref()
        .and_then(DrillKpi::parse)
        .ok_or_else(|| UiError::Invalid {
            field: "kpi".into(),
            key: "dash-error-kpi",
        })?;
    let Some((dataset, targets)) = ui.app.reports().cloned() else {
        return Err(UiError::Unavailable("reports are not enabled"));
    };
    let now = Timestamp::now();
    let view = View::parse(q, now, user.lang, &user.time_zone(&ui.options.time_zone))?;
    let (from, to, tz, filter) = (view.from, view.to, view.tz.clone(), view.filter.clone());
    let items = tokio::task::spawn_blocking(move || {
        let ds = dataset.read().unwrap_or_else(|p| p.into_inner());
        let mut req = sanjeh_metrics::ReportRequest::new(from, to, tz, now);
        req.targets = targets;
        sanjeh_metrics::drill::tickets_behind(&ds, &req, kpi, &filter)
    })
    .await
    .map_err(|_| UiError::Unavailable("the list was interrupted"))?;
    Ok((view, kpi, items))
}

struct DrillLine {
    id: String,
    href: String,
    subject: String,
    status: String,
    channel: String,
    at: crate::i18n::DateText,
}

#[derive(Template)]
#[template(path = "dashboard_tickets.html")]
struct DrillTemplate {
    page: Page,
    heading: String,
    period_text: String,
    count: String,
    lines: Vec<DrillLine>,
    back: String,
    csv: String,
    prev: Option<String>,
    next: Option<String>,
    position: String,
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
pub(super) async fn drill(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let (view, kpi, items) = behind(&ui, &user, &q).await?;
    let lang = view.lang;
    let query = view.query();
    let pages = items.len().div_ceil(PAGE).max(1);
    let n = (q.page.unwrap_or(1).max(1) as usize).min(pages);
    let store = ui.app.store();
    let tz = &user.time_zone(&ui.options.time_zone);
    let mut lines = Vec::new();
    for item in items.iter().skip((n - 1) * PAGE).take(PAGE) {
        let t = store.ticket(&item.ticket).await?;
        lines.push(DrillLine {
            href: format!("/tickets/{}", super::view::encode(&item.ticket)),
            id: item.ticket.clone(),
            subject: t.as_ref().map(|t| t.subject.clone()).unwrap_or_default(),
            status: t
                .as_ref()
                .map(|t| lang.t(&format!("status-{}", t.status.as_str())))
                .unwrap_or_default(),
            channel: t
                .as_ref()
                .map(|t| lang.t(&format!("channel-{}", t.channel.as_str())))
                .unwrap_or_default(),
            at: lang.datetime(item.at_ms, tz),
        });
    }
    let link = |p: usize| format!("/dashboard/tickets?kpi={}&{query}&page={p}", kpi.as_str());
    let template = DrillTemplate {
        page: Page::signed_in(&ui, &user, "dash-drill-title", link(n)),
        heading: lang.t(&format!("dash-drill-{}", kpi.as_str())),
        period_text: period_text(&view, tz),
        count: lang.t_count("tickets-count", items.len() as u64),
        lines,
        back: format!("/dashboard?{query}"),
        csv: format!("/dashboard/tickets.csv?kpi={}&{query}", kpi.as_str()),
        prev: (n > 1).then(|| link(n - 1)),
        next: (n < pages).then(|| link(n + 1)),
        position: lang.t_args(
            "dash-page",
            &[("n", lang.int(n as i64)), ("of", lang.int(pages as i64))],
        ),
    };
    Ok(render(&template))
}

/// Every ticket behind a KPI: id, the instant the KPI files it under, its page.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
pub(super) async fn drill_csv(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<DashQuery>,
) -> Result<Response, UiError> {
    let (view, kpi, items) = behind(&ui, &user, &q).await?;
    let lang = view.lang;
    let mut rows = vec![
        ["col-ticket", "dash-col-at"]
            .iter()
            .map(|k| lang.t(k))
            .collect::<Vec<_>>(),
    ];
    for i in &items {
        let at = Timestamp::from_millisecond(i.at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        rows.push(vec![i.ticket.clone(), at]);
    }
    csv_response(&format!("{}-{}", kpi.as_str(), file_part(&view)), rows)
}
