//! KPI alerts: each rule's KPI is asked of the KPI engine over `[now - window, now)` on the
//! live dataset (never computed here), compared with its threshold, and the rule's state
//! moved on: a notice when it fires, at most every `repeat_minutes` while it holds, and when
//! it recovers.

use super::notify::{self, MailIdentity, Notice};
use crate::live::SharedDataset;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use sanjeh_calendar::Calendars;
use sanjeh_domain::{Millis, from_millis};
use sanjeh_metrics::{Dataset, Dimension, ReportRequest};
use sanjeh_sla::rules::{AlertNotice, AlertRule};
use sanjeh_store::{Store, StoreError};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// One rule's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvaluation {
    pub rule: String,
    pub value: Option<f64>,
    pub firing: bool,
    pub notice: Option<AlertNotice>,
}

/// The value of `rule`'s KPI over its window ending at `now`, from the engine's report:
/// the whole period, or the row of the rule's channel and group. `None`: no data.
pub fn kpi_value(
    ds: &Dataset,
    rule: &AlertRule,
    now: Timestamp,
    calendars: Option<Arc<Calendars>>,
) -> Option<f64> {
    let from = now - SignedDuration::from_mins(i64::from(rule.window_minutes));
    let mut req = ReportRequest::new(from, now, TimeZone::UTC, now);
    req.calendars = calendars;
    let channel = rule.filters.channel.map(|c| c.as_str().to_owned());
    let group = rule.filters.group.as_ref().map(|g| g.to_string());
    let mut wanted: Vec<(Dimension, String)> = Vec::new();
    if let Some(c) = channel {
        wanted.push((Dimension::Channel, c));
    }
    if let Some(g) = group {
        wanted.push((Dimension::Group, g));
    }
    req.by = wanted.iter().map(|(d, _)| *d).collect();
    let report = sanjeh_metrics::report(ds, &req);
    let kpis = if wanted.is_empty() {
        report.kpis
    } else {
        let rows = report.by.into_iter().next()?.rows;
        rows.into_iter()
            .find(|row| {
                wanted.iter().all(|(d, v)| {
                    row.key
                        .0
                        .iter()
                        .any(|(k, kv)| *k == d.as_str() && kv.as_deref() == Some(v.as_str()))
                })
            })?
            .kpis
    };
    match &rule.stat {
        Some(stat) => {
            let json = serde_json::to_value(&kpis).ok()?;
            json.get(&rule.kpi)?.get(stat)?.as_f64()
        }
        None => {
            let mut kpis = kpis;
            kpis.headlines()
                .into_iter()
                .find(|(id, _)| *id == rule.kpi)
                .and_then(|(_, v)| v)
        }
    }
}

/// Evaluates every alert rule at `now` and records what changed, with its notices.
#[tracing::instrument(skip_all)]
pub async fn evaluate_alerts(
    store: &Store,
    dataset: &SharedDataset,
    mail: &MailIdentity,
    now: Millis,
) -> Result<Vec<AlertEvaluation>, StoreError> {
    let Some(rules) = store.alert_rules().await? else {
        return Ok(Vec::new());
    };
    let states = store.alert_states().await?;
    let calendars = store.business_calendars().await?;
    let rules = rules.rules;
    let values = {
        let ds = dataset.clone();
        let rules = rules.clone();
        tokio::task::spawn_blocking(move || {
            let ds = ds.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            rules
                .iter()
                .map(|r| kpi_value(&ds, r, from_millis(now), calendars.clone()))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| StoreError::corrupt(format!("alert evaluation interrupted: {e}")))?
    };
    let mut out = Vec::with_capacity(rules.len());
    for (rule, value) in rules.iter().zip(values) {
        let before = states.get(&rule.id).map(|(s, _)| *s).unwrap_or_default();
        let (after, notice) = rule.step(before, value, now);
        let mut queued = Vec::new();
        if let Some(notice) = notice {
            queued = notify::outgoing(
                store,
                mail,
                &rule.notify,
                &notice_for(rule, notice, value, now).as_notice(),
            )
            .await?;
        }
        if after != before || notice.is_some() || !states.contains_key(&rule.id) {
            store
                .record_alert(
                    &rule.id,
                    &after,
                    notice.map(AlertNotice::as_str),
                    &queued,
                    now,
                )
                .await?;
        }
        if let Some(n) = notice {
            tracing::info!(rule = rule.id, notice = n.as_str(), value, "KPI alert");
        }
        out.push(AlertEvaluation {
            rule: rule.id.clone(),
            value,
            firing: after.firing,
            notice,
        });
    }
    Ok(out)
}

/// The texts of an alert notice, owned so a [`Notice`] can borrow them.
struct AlertTexts {
    source: String,
    title: String,
    text: String,
    payload: serde_json::Value,
}

impl AlertTexts {
    fn as_notice(&self) -> Notice<'_> {
        Notice {
            source: &self.source,
            ticket: None,
            assignee: None,
            title: &self.title,
            text: &self.text,
            payload: &self.payload,
        }
    }
}

fn notice_for(
    rule: &AlertRule,
    notice: AlertNotice,
    value: Option<f64>,
    now: Millis,
) -> AlertTexts {
    let stat = rule.stat.as_deref().unwrap_or("headline");
    let shown = value.map_or("no data".to_owned(), |v| format!("{v}"));
    let name = if rule.name.is_empty() {
        &rule.id
    } else {
        &rule.name
    };
    let what = format!(
        "{} {stat} over the last {} min is {shown} (alert when {} {})",
        rule.kpi,
        rule.window_minutes,
        rule.op.as_str(),
        rule.threshold
    );
    let (title, text) = match notice {
        AlertNotice::Fired => (
            format!("Alert: {name}"),
            format!("Alert {:?} fired: {what}.", rule.id),
        ),
        AlertNotice::Repeated => (
            format!("Alert still firing: {name}"),
            format!("Alert {:?} is still firing: {what}.", rule.id),
        ),
        AlertNotice::Recovered => (
            format!("Recovered: {name}"),
            format!("Alert {:?} recovered: {what}.", rule.id),
        ),
    };
    AlertTexts {
        source: format!("alert:{}:{now}", rule.id),
        title,
        text,
        payload: json!({
            "type": "alert",
            "notice": notice.as_str(),
            "at": from_millis(now).to_string(),
            "rule": rule.id,
            "kpi": rule.kpi,
            "stat": rule.stat,
            "value": value,
            "op": rule.op.as_str(),
            "threshold": rule.threshold,
            "window_minutes": rule.window_minutes,
            "filters": {"channel": rule.filters.channel.map(|c| c.as_str()), "group": rule.filters.group.as_ref().map(|g| g.to_string())},
        }),
    }
}
