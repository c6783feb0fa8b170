//! Escalation and KPI alert state kept by the store.
//!
//! - Projections, folded with the events and re-derived by a rebuild: the validated
//!   `escalation.rules` / `alert.rules` events (`alerting_config`) and every
//!   `ticket.escalated` (`escalations`), by which a rule escalates one run of a target once.
//! - Operational state, like the mail queue (never exported or replayed): in-app
//!   `notifications`, the `webhook_outbox`, `alert_state` and `alert_history`, `job_leases`.
//!
//! Notifications caused by an escalation are written by the writer in the transaction of its
//! `ticket.escalated` event ([`crate::Request::Escalate`]), and those of an alert in the
//! transaction that records the alert's new state: a committed change never loses its notice.

use crate::backend::{Store, Tx, on_read, on_tx, on_write};
use crate::error::StoreError;
use crate::mail::NewOutbound;
use sanjeh_domain::event::{EventBody, TicketEscalated};
use sanjeh_domain::{FieldError, Id, Millis, Priority, to_millis};
use sanjeh_sla::rules::{
    AlertRule, AlertState, EscalationRule, parse_alert_rules, parse_escalation_rules,
};
use sanjeh_sla::{Metric, State, TicketSla};
use serde::Serialize;
use std::collections::HashMap;

/// A validated rules event, as stored in `alerting_config`.
pub(crate) struct ConfigRow {
    pub seq: i64,
    pub at: i64,
    pub kind: &'static str,
    pub body: String,
}

/// One `ticket.escalated`, as stored in `escalations`.
pub(crate) struct EscalationRow {
    pub ticket: String,
    pub rule: String,
    pub metric: String,
    pub run_started_at: i64,
    pub level: i64,
    pub seq: i64,
    pub at: i64,
}

/// A notification to queue in the transaction that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A composed mail for the outbound mail queue (`mail_outbox`).
    Mail(NewOutbound),
    /// A signed webhook POST for `webhook_outbox`.
    Webhook {
        source: String,
        url: String,
        /// `sha256=<hex HMAC-SHA256 of body>`.
        signature: String,
        body: String,
    },
    /// An in-app notification for one agent.
    InApp {
        source: String,
        agent: String,
        ticket: Option<String>,
        title: String,
        body: String,
    },
}

/// Where a batch's alerting work stood, to undo one refused request.
pub(crate) struct AlertingMark {
    config: usize,
    escalations: usize,
    outgoing: usize,
}

/// The alerting part of a batch.
#[derive(Default)]
pub(crate) struct AlertingBatch {
    pub config: Vec<ConfigRow>,
    pub escalations: Vec<EscalationRow>,
    pub outgoing: Vec<Outgoing>,
    /// When the queued notifications were made (the live write's instant).
    pub now: i64,
}

impl AlertingBatch {
    /// Validates and takes a rules event; on error nothing changes.
    pub fn configure(&mut self, body: &EventBody, at: i64, seq: i64) -> Result<(), FieldError> {
        let (kind, json) = match body {
            EventBody::EscalationRules { rules } => {
                let rules = parse_escalation_rules(rules)?;
                ("escalation.rules", serde_json::to_string(&rules))
            }
            EventBody::AlertRules { rules } => {
                let rules = parse_alert_rules(rules, sanjeh_metrics::output::KPI_IDS)?;
                ("alert.rules", serde_json::to_string(&rules))
            }
            _ => return Ok(()),
        };
        let body = json.map_err(|e| FieldError::new("rules", e.to_string()))?;
        self.config.push(ConfigRow {
            seq,
            at,
            kind,
            body,
        });
        Ok(())
    }

    /// Records a `ticket.escalated` the ticket fold accepted.
    pub fn escalated(&mut self, e: &TicketEscalated, at: i64, seq: i64) {
        self.escalations.push(EscalationRow {
            ticket: e.ticket.to_string(),
            rule: e.rule.clone(),
            metric: e.metric.clone(),
            run_started_at: e.run_started_at.map(to_millis).unwrap_or(at),
            level: i64::from(e.level),
            seq,
            at,
        });
    }

    /// Whether this batch already escalated the run.
    pub fn fired_in_batch(&self, ticket: &str, rule: &str, metric: &str, run: i64) -> bool {
        self.escalations.iter().any(|r| {
            r.ticket == ticket && r.rule == rule && r.metric == metric && r.run_started_at == run
        })
    }

    pub fn mark(&self) -> AlertingMark {
        AlertingMark {
            config: self.config.len(),
            escalations: self.escalations.len(),
            outgoing: self.outgoing.len(),
        }
    }

    pub fn rollback_to(&mut self, mark: AlertingMark) {
        self.config.truncate(mark.config);
        self.escalations.truncate(mark.escalations);
        self.outgoing.truncate(mark.outgoing);
    }

    pub fn written(&mut self) {
        self.config.clear();
        self.escalations.clear();
        self.outgoing.clear();
    }
}

/// Whether `ticket`'s run of `metric` that started at `run` was escalated by `rule`.
pub(crate) async fn fired(
    tx: &mut Tx,
    ticket: &str,
    rule: &str,
    metric: &str,
    run: i64,
) -> Result<bool, StoreError> {
    let n: Option<i64> = on_tx!(tx, t => sqlx::query_scalar(
        "SELECT level FROM escalations WHERE ticket = $1 AND rule = $2 AND metric = $3 AND run_started_at = $4")
        .bind(ticket).bind(rule).bind(metric).bind(run).fetch_optional(&mut **t).await)?;
    Ok(n.is_some())
}

/// Writes a batch's alerting rows in the caller's transaction.
pub(crate) async fn flush(tx: &mut Tx, b: &AlertingBatch) -> Result<(), StoreError> {
    on_tx!(tx, t => {
        for r in &b.config {
            sqlx::query("INSERT INTO alerting_config (seq, at, kind, body) VALUES ($1, $2, $3, $4)")
                .bind(r.seq).bind(r.at).bind(r.kind).bind(r.body.as_str())
                .execute(&mut **t).await?;
        }
        for r in &b.escalations {
            sqlx::query("INSERT INTO escalations (ticket, rule, metric, run_started_at, level, seq, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(r.ticket.as_str()).bind(r.rule.as_str()).bind(r.metric.as_str())
                .bind(r.run_started_at).bind(r.level).bind(r.seq).bind(r.at)
                .execute(&mut **t).await?;
        }
        Ok::<(), sqlx::Error>(())
    })?;
    write_outgoing(tx, &b.outgoing, b.now).await
}

/// Queues notifications in the caller's transaction; a source queued before is skipped.
async fn write_outgoing(tx: &mut Tx, items: &[Outgoing], now: i64) -> Result<(), StoreError> {
    on_tx!(tx, t => {
        for item in items {
            match item {
                Outgoing::Mail(m) => {
                    sqlx::query(
                        "INSERT INTO mail_outbox (source, ticket, message_id, sender, recipient, message, \
                         status, attempts, next_attempt_at, last_error, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, NULL, $7, $7) \
                         ON CONFLICT (source) DO NOTHING")
                        .bind(m.source.as_str()).bind(m.ticket.as_str()).bind(m.message_id.as_str())
                        .bind(m.sender.as_str()).bind(m.recipient.as_str()).bind(m.message.as_slice())
                        .bind(now).execute(&mut **t).await?;
                }
                Outgoing::Webhook { source, url, signature, body } => {
                    sqlx::query(
                        "INSERT INTO webhook_outbox (source, url, signature, body, status, attempts, \
                         next_attempt_at, last_status, last_error, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'queued', 0, $5, NULL, NULL, $5, $5) \
                         ON CONFLICT (source) DO NOTHING")
                        .bind(source.as_str()).bind(url.as_str()).bind(signature.as_str())
                        .bind(body.as_str()).bind(now).execute(&mut **t).await?;
                }
                Outgoing::InApp { source, agent, ticket, title, body } => {
                    sqlx::query(
                        "INSERT INTO notifications (source, agent, ticket, title, body, created_at, read_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (source, agent) DO NOTHING")
                        .bind(source.as_str()).bind(agent.as_str()).bind(ticket.as_deref())
                        .bind(title.as_str()).bind(body.as_str()).bind(now)
                        .execute(&mut **t).await?;
                }
            }
        }
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// Rules in effect since an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesInEffect<R> {
    pub since: Millis,
    pub rules: Vec<R>,
}

/// A target of a ticket that meets an escalation rule now and was not escalated by it yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationCandidate {
    pub rule: String,
    pub ticket: String,
    pub metric: Metric,
    pub policy: String,
    pub run_started_at: Millis,
    pub counted_ms: i64,
    pub target_ms: i64,
    pub breached: bool,
    pub priority: Priority,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub subject: String,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub agent: String,
    pub ticket: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

/// A queued, delivered or failed webhook call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookRow {
    pub id: i64,
    pub source: String,
    pub url: String,
    pub signature: String,
    pub body: String,
    /// `queued`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// One notice an alert sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertHistoryRow {
    pub rule: String,
    pub at: Millis,
    pub notice: String,
    pub value: Option<f64>,
}

type WebhookTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

fn webhook_row(t: WebhookTuple) -> WebhookRow {
    WebhookRow {
        id: t.0,
        source: t.1,
        url: t.2,
        signature: t.3,
        body: t.4,
        status: t.5,
        attempts: t.6,
        next_attempt_at: t.7,
        last_status: t.8,
        last_error: t.9,
    }
}

const WEBHOOK_COLUMNS: &str =
    "id, source, url, signature, body, status, attempts, next_attempt_at, last_status, last_error";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("{what}: {e}"))
}

impl Store {
    async fn last_rules(&self, kind: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT at, body FROM alerting_config WHERE kind = $1 ORDER BY seq DESC LIMIT 1")
            .bind(kind).fetch_optional(p).await)?)
    }

    /// The escalation rules in effect (the last `escalation.rules` event), if any was recorded.
    pub async fn escalation_rules(
        &self,
    ) -> Result<Option<RulesInEffect<EscalationRule>>, StoreError> {
        self.last_rules("escalation.rules")
            .await?
            .map(|(since, body)| {
                Ok(RulesInEffect {
                    since,
                    rules: serde_json::from_str(&body)
                        .map_err(|e| corrupt("escalation rules", e))?,
                })
            })
            .transpose()
    }

    /// The KPI alert rules in effect (the last `alert.rules` event), if any was recorded.
    pub async fn alert_rules(&self) -> Result<Option<RulesInEffect<AlertRule>>, StoreError> {
        self.last_rules("alert.rules")
            .await?
            .map(|(since, body)| {
                Ok(RulesInEffect {
                    since,
                    rules: serde_json::from_str(&body).map_err(|e| corrupt("alert rules", e))?,
                })
            })
            .transpose()
    }

    /// The targets that meet `rules` at `now` and were not escalated by the rule yet: for
    /// each rule, running targets (`sla_status`, not ended) whose calendar time since the run
    /// started could hold the rule's share of the target (counted time never exceeds it),
    /// then checked exactly on the ticket's SLA tracker at `now` (business hours, pauses).
    /// At most `limit` rows are looked at per rule, oldest runs first.
    pub async fn escalation_candidates(
        &self,
        rules: &[EscalationRule],
        now: Millis,
        limit: u32,
    ) -> Result<Vec<EscalationCandidate>, StoreError> {
        type Row = (
            String,
            String,
            String,
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
        );
        let mut rows_by_rule: Vec<(&EscalationRule, Vec<Row>)> = Vec::new();
        for rule in rules {
            let metric = rule.when.metric.map(|m| m.as_str());
            let rows: Vec<Row> = on_read!(self, p => sqlx::query_as(
                "SELECT s.ticket, s.metric, s.policy, s.started_at, t.priority, t.group_id, t.assignee, t.subject \
                 FROM sla_status s JOIN tickets t ON t.id = s.ticket \
                 WHERE s.ended_at IS NULL AND t.status NOT IN ('solved', 'closed') \
                   AND s.started_at + s.target_minutes * $1 * 600 <= $2 \
                   AND ($3 IS NULL OR s.metric = $3) \
                   AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.ticket = s.ticket AND e.rule = $4 \
                                   AND e.metric = s.metric AND e.run_started_at = s.started_at) \
                 ORDER BY s.started_at, s.ticket LIMIT $5")
                .bind(i64::from(rule.when.at_percent)).bind(now).bind(metric).bind(rule.id.as_str())
                .bind(i64::from(limit)).fetch_all(p).await)?;
            if !rows.is_empty() {
                rows_by_rule.push((rule, rows));
            }
        }
        if rows_by_rule.is_empty() {
            return Ok(Vec::new());
        }
        // Each ticket's statuses at `now`, computed once over the calendars in effect.
        let config = self.sla_config().await?;
        let mut statuses: HashMap<String, Vec<sanjeh_sla::MetricStatus>> = HashMap::new();
        let mut out = Vec::new();
        for (rule, rows) in rows_by_rule {
            for (ticket, metric, policy, started_at, priority, group, assignee, subject) in rows {
                if !statuses.contains_key(&ticket) {
                    let state: Option<String> = on_read!(self, p => sqlx::query_scalar(
                        "SELECT state FROM sla_trackers WHERE ticket = $1")
                        .bind(ticket.as_str()).fetch_optional(p).await)?;
                    let list = match state {
                        Some(s) => {
                            let sla: TicketSla = serde_json::from_str(&s)
                                .map_err(|e| corrupt(&format!("sla_trackers {ticket}"), e))?;
                            sla.statuses(now.max(sla.last_at()), config.clocks())
                        }
                        None => Vec::new(),
                    };
                    statuses.insert(ticket.clone(), list);
                }
                let Some(status) = statuses[&ticket].iter().find(|s| {
                    s.metric.as_str() == metric
                        && s.started_at == started_at
                        && s.ended_at.is_none()
                }) else {
                    continue;
                };
                let priority = Priority::parse("priority", &priority)
                    .map_err(|e| corrupt(&format!("tickets {ticket}"), e))?;
                let group_id = group
                    .as_deref()
                    .map(|g| Id::parse("group", g))
                    .transpose()
                    .map_err(|e| corrupt(&format!("tickets {ticket}"), e))?;
                let breached = status.state == State::Breached || status.breached_at.is_some();
                if !rule.applies(status.metric, &policy, priority, group_id.as_ref())
                    || !rule.triggered(status.counted_ms, status.target.ms(), breached)
                {
                    continue;
                }
                out.push(EscalationCandidate {
                    rule: rule.id.clone(),
                    ticket,
                    metric: status.metric,
                    policy,
                    run_started_at: started_at,
                    counted_ms: status.counted_ms,
                    target_ms: status.target.ms(),
                    breached,
                    priority,
                    group,
                    assignee,
                    subject,
                });
            }
        }
        Ok(out)
    }

    /// Agents by group (from their profiles), for notifying a group.
    pub async fn agents_of_group(&self, group: &str) -> Result<Vec<String>, StoreError> {
        // group_ids is a JSON array; NULL reads as [].
        let rows: Vec<(String, Option<String>)> = on_read!(self, p => sqlx::query_as(
            "SELECT id, group_ids FROM agents ORDER BY id").fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .filter(|(_, groups)| {
                serde_json::from_str::<Vec<String>>(groups.as_deref().unwrap_or("[]"))
                    .map(|g| g.iter().any(|x| x == group))
                    .unwrap_or(false)
            })
            .map(|(id, _)| id)
            .collect())
    }

    /// An agent's email address from its profile.
    pub async fn agent_email(&self, agent: &str) -> Result<Option<String>, StoreError> {
        let email: Option<Option<String>> = on_read!(self, p => sqlx::query_scalar(
            "SELECT email FROM agents WHERE id = $1").bind(agent).fetch_optional(p).await)?;
        Ok(email.flatten())
    }

    /// An agent's in-app notifications, newest first.
    pub async fn notifications(
        &self,
        agent: &str,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        type Row = (
            i64,
            String,
            Option<String>,
            String,
            String,
            i64,
            Option<i64>,
        );
        let rows: Vec<Row> = on_read!(self, p => sqlx::query_as(
            "SELECT id, agent, ticket, title, body, created_at, read_at FROM notifications \
             WHERE agent = $1 AND ($2 = FALSE OR read_at IS NULL) ORDER BY id DESC LIMIT $3")
            .bind(agent).bind(unread_only).bind(i64::from(limit)).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|r| Notification {
                id: r.0,
                agent: r.1,
                ticket: r.2,
                title: r.3,
                body: r.4,
                created_at: r.5,
                read_at: r.6,
            })
            .collect())
    }

    /// Marks an agent's notification read; false if the agent has no such notification.
    pub async fn mark_notification_read(
        &self,
        id: i64,
        agent: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND agent = $2")
            .bind(id).bind(agent).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Webhook calls due at `now`, oldest first.
    pub async fn due_webhooks(
        &self,
        now: Millis,
        limit: u32,
    ) -> Result<Vec<WebhookRow>, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhook_outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        );
        let rows: Vec<WebhookTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now).bind(i64::from(limit)).fetch_all(p).await)?;
        Ok(rows.into_iter().map(webhook_row).collect())
    }

    /// Every webhook call, newest first (for operators and tests).
    pub async fn webhooks(&self, limit: u32) -> Result<Vec<WebhookRow>, StoreError> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhook_outbox ORDER BY id DESC LIMIT $1");
        let rows: Vec<WebhookTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(i64::from(limit)).fetch_all(p).await)?;
        Ok(rows.into_iter().map(webhook_row).collect())
    }

    /// Takes a due call for one attempt: moves its next attempt to `lease_until` unless another
    /// sender (another node) took it first. True if taken.
    pub async fn claim_webhook(
        &self,
        id: i64,
        expected_next: Millis,
        lease_until: Millis,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE webhook_outbox SET next_attempt_at = $3 \
             WHERE id = $1 AND status = 'queued' AND next_attempt_at = $2")
            .bind(id).bind(expected_next).bind(lease_until).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records an attempt: delivered (a 2xx), to retry at `retry_at`, or given up (`None`).
    pub async fn webhook_attempt(
        &self,
        id: i64,
        delivered: bool,
        http_status: Option<i64>,
        error: Option<&str>,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let status = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "queued",
            (false, None) => "failed",
        };
        on_write!(self, p => sqlx::query(
            "UPDATE webhook_outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, \
             last_status = $4, last_error = $5, updated_at = $6 WHERE id = $1")
            .bind(id).bind(status).bind(retry_at.unwrap_or(now)).bind(http_status).bind(error).bind(now)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Each alert rule's state, by rule id.
    pub async fn alert_states(&self) -> Result<HashMap<String, (AlertState, Millis)>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_read!(self, p => sqlx::query_as(
            "SELECT rule, state, updated_at FROM alert_state").fetch_all(p).await)?;
        rows.into_iter()
            .map(|(rule, state, at)| {
                let s: AlertState =
                    serde_json::from_str(&state).map_err(|e| corrupt("alert_state", e))?;
                Ok((rule, (s, at)))
            })
            .collect()
    }

    /// The notices alerts sent, newest first; of one rule if given.
    pub async fn alert_history(
        &self,
        rule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AlertHistoryRow>, StoreError> {
        let rows: Vec<(String, i64, String, Option<f64>)> = on_read!(self, p => sqlx::query_as(
            "SELECT rule, at, notice, value FROM alert_history WHERE ($1 IS NULL OR rule = $1) \
             ORDER BY id DESC LIMIT $2")
            .bind(rule).bind(i64::from(limit)).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(rule, at, notice, value)| AlertHistoryRow {
                rule,
                at,
                notice,
                value,
            })
            .collect())
    }

    /// Records an alert's evaluation in one transaction: its new state, and when it sent a
    /// notice, the notice in its history and the notifications to queue.
    pub async fn record_alert(
        &self,
        rule: &str,
        state: &AlertState,
        notice: Option<&str>,
        outgoing: &[Outgoing],
        now: Millis,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(state).map_err(|e| corrupt("alert state", e))?;
        let mut tx = self.begin_write().await?;
        let written = async {
            on_tx!(&mut tx, t => {
                sqlx::query("INSERT INTO alert_state (rule, state, updated_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (rule) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
                    .bind(rule).bind(json.as_str()).bind(now).execute(&mut **t).await?;
                if let Some(n) = notice {
                    sqlx::query("INSERT INTO alert_history (rule, at, notice, value) VALUES ($1, $2, $3, $4)")
                        .bind(rule).bind(now).bind(n).bind(state.last_value).execute(&mut **t).await?;
                }
                Ok::<(), sqlx::Error>(())
            })?;
            write_outgoing(&mut tx, outgoing, now).await
        };
        match written.await {
            Ok(()) => tx.commit().await,
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`: true if `holder`
    /// holds it now (it was free, ran out, or was already its own).
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Millis,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO job_leases (name, holder, until_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.until_at < $4")
            .bind(name).bind(holder).bind(now + ttl_ms).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
