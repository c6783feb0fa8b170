//! The escalation pass: targets that meet a rule now and were not escalated by it yet are
//! escalated through the writer (the same write path as API commands, so every change is an
//! event), with their notifications queued in the same transaction.

use super::notify::{self, MailIdentity, Notice};
use sanjeh_domain::event::TicketEscalated;
use sanjeh_domain::{Escalation, Id, Millis, from_millis};
use sanjeh_sla::rules::{Action, EscalationRule};
use sanjeh_store::alerting::EscalationCandidate;
use sanjeh_store::{Request, Store, StoreError, Writer};
use serde::Serialize;
use serde_json::json;

/// Targets looked at per rule and pass; the rest wait for the next pass.
const CANDIDATES_PER_RULE: u32 = 500;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscalationReport {
    /// Escalations written (`ticket.escalated` events).
    pub escalated: u64,
    /// Escalations another pass or node wrote first.
    pub already: u64,
    /// Escalations the ticket refused (it was solved or closed meanwhile).
    pub refused: u64,
}

/// Escalates every target that meets a rule at `now`.
#[tracing::instrument(skip_all)]
pub async fn escalate_once(
    store: &Store,
    writer: &Writer,
    mail: &MailIdentity,
    now: Millis,
) -> Result<EscalationReport, StoreError> {
    let mut report = EscalationReport::default();
    let Some(rules) = store.escalation_rules().await? else {
        return Ok(report);
    };
    let candidates = store
        .escalation_candidates(&rules.rules, now, CANDIDATES_PER_RULE)
        .await?;
    for c in candidates {
        let Some(rule) = rules.rules.iter().find(|r| r.id == c.rule) else {
            continue;
        };
        let request = request(store, mail, rule, &c, now).await?;
        match writer.submit(request, None).await {
            Ok(outcome) if outcome.events.is_empty() => report.already += 1,
            Ok(_) => {
                report.escalated += 1;
                tracing::info!(
                    ticket = c.ticket,
                    rule = rule.id,
                    level = rule.level,
                    "escalated"
                );
            }
            Err(StoreError::Domain(e)) => {
                report.refused += 1;
                tracing::debug!(ticket = c.ticket, rule = rule.id, error = %e, "escalation refused");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

fn reason(c: &EscalationCandidate, rule: &EscalationRule) -> String {
    let target_min = c.target_ms / 60_000;
    if c.breached {
        format!("{} target of {target_min} min breached", c.metric.as_str())
    } else {
        format!(
            "{}% of the {} target of {target_min} min used (rule at {}%)",
            c.counted_ms * 100 / c.target_ms.max(1),
            c.metric.as_str(),
            rule.when.at_percent
        )
    }
}

async fn request(
    store: &Store,
    mail: &MailIdentity,
    rule: &EscalationRule,
    c: &EscalationCandidate,
    now: Millis,
) -> Result<Request, StoreError> {
    let bad = |e: sanjeh_domain::FieldError| StoreError::corrupt(e.to_string());
    let ticket = Id::parse("ticket", &c.ticket).map_err(bad)?;
    let reason = reason(c, rule);
    let source = format!(
        "escalation:{}:{}:{}:{}",
        c.ticket,
        rule.id,
        c.metric.as_str(),
        c.run_started_at
    );
    let title = format!("[{}] L{} escalation: {}", c.ticket, rule.level, c.subject);
    let text = format!(
        "Ticket {} ({}) was escalated to level {} by rule {:?}: {reason}.",
        c.ticket, c.subject, rule.level, rule.id
    );
    let payload = json!({
        "type": "ticket.escalated",
        "at": from_millis(now).to_string(),
        "ticket": c.ticket,
        "subject": c.subject,
        "level": rule.level,
        "rule": rule.id,
        "metric": c.metric.as_str(),
        "policy": c.policy,
        "breached": c.breached,
        "reason": reason,
        "priority": rule.raise_priority().filter(|p| *p > c.priority).unwrap_or(c.priority),
        "group": rule.reassign_group().map(|g| g.to_string()).or_else(|| c.group.clone()),
    });
    let targets: Vec<_> = rule.actions.iter().filter_map(Action::notify).collect();
    let notify = notify::outgoing(
        store,
        mail,
        &targets,
        &Notice {
            source: &source,
            ticket: Some(&c.ticket),
            assignee: c.assignee.as_deref(),
            title: &title,
            text: &text,
            payload: &payload,
        },
    )
    .await?;
    Ok(Request::Escalate {
        escalation: Escalation {
            escalated: TicketEscalated {
                ticket,
                level: rule.level,
                rule: rule.id.clone(),
                metric: c.metric.as_str().to_owned(),
                reason: Some(reason),
                run_started_at: Some(from_millis(c.run_started_at)),
            },
            raise_priority: rule.raise_priority(),
            reassign_group: rule.reassign_group().cloned(),
        },
        notify,
    })
}
