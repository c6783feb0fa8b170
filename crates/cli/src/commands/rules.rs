//! `sanjeh sla escalation …` and `sanjeh sla alerts …`: record the escalation rules and the
//! KPI alert rules (each a configuration event through the store's write path, validated by
//! the store exactly as `PUT /api/v1/escalation-rules` and `/alert-rules` are), show them, and
//! show where each alert stands.

use super::{CliError, CliResult};
use clap::Subcommand;
use sanjeh_domain::{EventBody, from_millis};
use sanjeh_store::alerting::RulesInEffect;
use sanjeh_store::{Request, Store, Writer};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum EscalationCommand {
    /// Record the escalation rules from a JSON file (`{"rules":[…]}` or `[…]`), in effect from
    /// now on (they replace the previous list).
    Set { file: PathBuf },
    /// Print the rules in effect (JSON).
    Show,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Record the KPI alert rules from a JSON file (`{"rules":[…]}` or `[…]`), in effect from
    /// now on (they replace the previous list).
    Set { file: PathBuf },
    /// Print the rules in effect (JSON).
    Show,
    /// Each rule's state (firing or ok, since when, last value) and its latest notices.
    Status {
        /// Notices shown per rule.
        #[arg(long, default_value_t = 5)]
        history: u32,
    },
}

pub async fn escalation(store: &Store, command: EscalationCommand) -> CliResult {
    match command {
        EscalationCommand::Set { file } => {
            let body = read_json(&file)?;
            let event = store
                .escalation_rules_event(body, jiff::Timestamp::now().as_millisecond())
                .await?;
            let n = rules_count(&event);
            record(store, event).await?;
            println!("{n} escalation rules recorded, in effect from now on");
        }
        EscalationCommand::Show => print_rules(store.escalation_rules().await?),
    }
    Ok(())
}

pub async fn alerts(store: &Store, command: AlertsCommand) -> CliResult {
    match command {
        AlertsCommand::Set { file } => {
            let body = read_json(&file)?;
            let event = store
                .alert_rules_event(body, jiff::Timestamp::now().as_millisecond())
                .await?;
            let n = rules_count(&event);
            record(store, event).await?;
            println!("{n} alert rules recorded, in effect from now on");
        }
        AlertsCommand::Show => print_rules(store.alert_rules().await?),
        AlertsCommand::Status { history } => {
            let rules = store
                .alert_rules()
                .await?
                .map(|r| r.rules)
                .unwrap_or_default();
            let states = store.alert_states().await?;
            let mut items = Vec::with_capacity(rules.len());
            for rule in &rules {
                let (state, evaluated_at) = states
                    .get(&rule.id)
                    .map(|(s, at)| (Some(*s), Some(*at)))
                    .unwrap_or((None, None));
                let notices = store.alert_history(Some(&rule.id), history).await?;
                items.push(json!({
                    "rule": rule.id,
                    "name": rule.name,
                    "kpi": rule.kpi,
                    "state": match state {
                        None => "unknown",
                        Some(s) if s.firing => "firing",
                        Some(_) => "ok",
                    },
                    "since": state.and_then(|s| s.since).map(|t| from_millis(t).to_string()),
                    "last_value": state.and_then(|s| s.last_value),
                    "evaluated_at": evaluated_at.map(|t| from_millis(t).to_string()),
                    "history": notices.iter().map(|n| json!({
                        "at": from_millis(n.at).to_string(),
                        "notice": n.notice,
                        "value": n.value,
                    })).collect::<Vec<_>>(),
                }));
            }
            println!("{}", pretty(&json!({ "items": items })));
        }
    }
    Ok(())
}

/// A rules file's JSON (`{"rules": […]}` or a bare list; the store checks which).
fn read_json(file: &Path) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not valid JSON: {e}", file.display())))
}

fn rules_count(event: &EventBody) -> usize {
    match event {
        EventBody::EscalationRules { rules } | EventBody::AlertRules { rules } => {
            rules.as_array().map_or(0, Vec::len)
        }
        _ => 0,
    }
}

/// Records the event through the writer: the store validates it (a bad rule is refused
/// naming its field, exit 65) in the same transaction that would record it.
async fn record(store: &Store, body: EventBody) -> CliResult {
    let writer = Writer::start(store.clone(), None);
    writer.submit(Request::Record(vec![body]), None).await?;
    Ok(())
}

fn print_rules<R: Serialize>(rules: Option<RulesInEffect<R>>) {
    let out = match rules {
        Some(r) => json!({"since": from_millis(r.since).to_string(), "rules": r.rules}),
        None => json!({"since": null, "rules": []}),
    };
    println!("{}", pretty(&out));
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
