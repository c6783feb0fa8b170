//! Escalation rules (on a breach or near-breach of an SLA target) and KPI alert rules (a
//! catalogue KPI over a rolling window against a threshold), with the notifications both send.
//!
//! Both are configuration recorded as events (`escalation.rules`, `alert.rules`); this module
//! parses and validates them, naming the field of the first error (`rules[0].when.at_percent`),
//! and decides an alert's next state. Nothing here reads a clock, a database or the network.

use crate::tracker::Metric;
use sanjeh_domain::{Channel, FieldError, Id, Millis, Priority};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Someone or something to tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Notify {
    /// Mail to an address, or to the ticket's assignee (`"to": "assignee"`; escalations only),
    /// queued in the store's outbound mail queue.
    Email { to: String },
    /// A JSON POST signed with `X-Sanjeh-Signature: sha256=<HMAC-SHA256 of the body>` under
    /// a secret, delivered from a durable queue with retries. The secret is given as `secret`
    /// and kept out of the event log: the API and CLI store it apart and record `secret_id`
    /// ([`seal_webhook_secrets`]). An inline `secret` is still read from events written so.
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret_id: Option<String>,
    },
    /// In-app notifications to agents, to every agent of groups, and (escalations only) to the
    /// ticket's assignee.
    InApp {
        #[serde(default)]
        agents: Vec<Id>,
        #[serde(default)]
        groups: Vec<Id>,
        #[serde(default)]
        assignee: bool,
    },
}

/// What an escalation rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Raise the ticket's priority to `to` (a ticket already at or above it keeps its own).
    RaisePriority {
        to: Priority,
    },
    /// Reassign the ticket to a group (unassigning the agent).
    Reassign {
        group: Id,
    },
    Email {
        to: String,
    },
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret_id: Option<String>,
    },
    InApp {
        #[serde(default)]
        agents: Vec<Id>,
        #[serde(default)]
        groups: Vec<Id>,
        #[serde(default)]
        assignee: bool,
    },
}

impl Action {
    /// The notification this action sends, if it is one.
    pub fn notify(&self) -> Option<Notify> {
        match self {
            Action::RaisePriority { .. } | Action::Reassign { .. } => None,
            Action::Email { to } => Some(Notify::Email { to: to.clone() }),
            Action::Webhook {
                url,
                secret,
                secret_id,
            } => Some(Notify::Webhook {
                url: url.clone(),
                secret: secret.clone(),
                secret_id: secret_id.clone(),
            }),
            Action::InApp {
                agents,
                groups,
                assignee,
            } => Some(Notify::InApp {
                agents: agents.clone(),
                groups: groups.clone(),
                assignee: *assignee,
            }),
        }
    }
}

/// When an escalation rule fires: a target (or any) has used `at_percent` of its time;
/// 100 is the breach itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    #[serde(default)]
    pub metric: Option<Metric>,
    #[serde(default = "hundred")]
    pub at_percent: u32,
}

fn hundred() -> u32 {
    100
}

/// Which tickets a rule is for; an empty list holds for every ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filters {
    /// SLA policy ids.
    pub policies: Vec<String>,
    pub priorities: Vec<Priority>,
    pub groups: Vec<Id>,
}

/// One escalation rule. It fires once per run of a target of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// The escalation level reached (1 = L1, 2 = L2, 3 = lead …).
    pub level: u8,
    pub when: Trigger,
    #[serde(default)]
    pub filters: Filters,
    pub actions: Vec<Action>,
}

impl EscalationRule {
    /// Whether a target that has counted `counted_ms` of `target_ms` (or is breached) meets
    /// the trigger.
    pub fn triggered(&self, counted_ms: i64, target_ms: i64, breached: bool) -> bool {
        breached || counted_ms.saturating_mul(100) >= target_ms * i64::from(self.when.at_percent)
    }

    /// Whether the rule is for a ticket with this policy, priority and group.
    pub fn applies(
        &self,
        metric: Metric,
        policy: &str,
        priority: Priority,
        group: Option<&Id>,
    ) -> bool {
        let f = &self.filters;
        self.when.metric.is_none_or(|m| m == metric)
            && (f.policies.is_empty() || f.policies.iter().any(|p| p == policy))
            && (f.priorities.is_empty() || f.priorities.contains(&priority))
            && (f.groups.is_empty() || group.is_some_and(|g| f.groups.contains(g)))
    }

    /// The priority the rule raises to, if any.
    pub fn raise_priority(&self) -> Option<Priority> {
        self.actions.iter().find_map(|a| match a {
            Action::RaisePriority { to } => Some(*to),
            _ => None,
        })
    }

    /// The group the rule reassigns to, if any.
    pub fn reassign_group(&self) -> Option<&Id> {
        self.actions.iter().find_map(|a| match a {
            Action::Reassign { group } => Some(group),
            _ => None,
        })
    }
}

/// How an alert compares the KPI's value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = ">")]
    Above,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "<=")]
    AtMost,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::AtLeast => value >= threshold,
            Comparison::Below => value < threshold,
            Comparison::AtMost => value <= threshold,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
        }
    }
}

/// The slice of the data an alert looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertFilters {
    pub channel: Option<Channel>,
    pub group: Option<Id>,
}

/// One KPI alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// A catalogue KPI id (`first_reply_time`, `abandonment_rate` …).
    pub kpi: String,
    /// Which number of the KPI (`median_s`, `p90_s`, `value` …); none: its headline (the mean
    /// of a duration, the value of a rate).
    #[serde(default)]
    pub stat: Option<String>,
    pub op: Comparison,
    pub threshold: f64,
    /// The rolling window: `[now - window, now)`.
    pub window_minutes: u32,
    #[serde(default)]
    pub filters: AlertFilters,
    /// While true, the notice is repeated at most this often; 0 never repeats.
    #[serde(default = "sixty")]
    pub repeat_minutes: u32,
    pub notify: Vec<Notify>,
}

fn sixty() -> u32 {
    60
}

/// The numbers of a KPI an alert may compare.
pub const ALERT_STATS: &[&str] = &["value", "mean_s", "median_s", "p90_s", "n", "num", "den"];

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertState {
    pub firing: bool,
    /// When it last started or stopped firing.
    pub since: Option<Millis>,
    pub last_notified_at: Option<Millis>,
    pub last_value: Option<f64>,
}

/// What an evaluation tells the notify targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertNotice {
    Fired,
    Repeated,
    Recovered,
}

impl AlertNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertNotice::Fired => "fired",
            AlertNotice::Repeated => "repeated",
            AlertNotice::Recovered => "recovered",
        }
    }
}

impl AlertRule {
    /// The next state given the KPI's value at `now` (`None`: no data in the window, which
    /// changes nothing), and the notice to send, if any: once when the condition becomes
    /// true, again at most every `repeat_minutes` while it stays true, once when it turns false.
    pub fn step(
        &self,
        state: AlertState,
        value: Option<f64>,
        now: Millis,
    ) -> (AlertState, Option<AlertNotice>) {
        let mut next = AlertState {
            last_value: value,
            ..state
        };
        let Some(v) = value else {
            return (next, None);
        };
        let holds = self.op.holds(v, self.threshold);
        let notice = match (state.firing, holds) {
            (false, true) => {
                next.firing = true;
                next.since = Some(now);
                Some(AlertNotice::Fired)
            }
            (true, false) => {
                next.firing = false;
                next.since = Some(now);
                Some(AlertNotice::Recovered)
            }
            (true, true) => {
                let repeat = i64::from(self.repeat_minutes) * 60_000;
                let last = state.last_notified_at.or(state.since).unwrap_or(now);
                (repeat > 0 && now - last >= repeat).then_some(AlertNotice::Repeated)
            }
            (false, false) => None,
        };
        if notice.is_some() {
            next.last_notified_at = Some(now);
        }
        (next, notice)
    }
}

/// Reads and validates the `rules` of an `escalation.rules` event.
pub fn parse_escalation_rules(rules: &Value) -> Result<Vec<EscalationRule>, FieldError> {
    let items = list(rules)?;
    let mut out: Vec<EscalationRule> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("rules[{i}]");
        let rule: EscalationRule = typed(&at, item)?;
        check_id(&at, &rule.id, out.iter().map(|r| r.id.as_str()))?;
        if !(1..=9).contains(&rule.level) {
            return Err(FieldError::new(format!("{at}.level"), "must be 1 to 9"));
        }
        if !(1..=100).contains(&rule.when.at_percent) {
            return Err(FieldError::new(
                format!("{at}.when.at_percent"),
                "must be 1 to 100 (100 is the breach)",
            ));
        }
        if rule.actions.is_empty() {
            return Err(FieldError::new(
                format!("{at}.actions"),
                "must not be empty",
            ));
        }
        for (j, action) in rule.actions.iter().enumerate() {
            let at = format!("{at}.actions[{j}]");
            if let Some(n) = action.notify() {
                check_notify(&at, &n, true)?;
            }
        }
        for kind in ["raise_priority", "reassign"] {
            let n = rule
                .actions
                .iter()
                .filter(|a| {
                    matches!(
                        (kind, a),
                        ("raise_priority", Action::RaisePriority { .. })
                            | ("reassign", Action::Reassign { .. })
                    )
                })
                .count();
            if n > 1 {
                return Err(FieldError::new(
                    format!("{at}.actions"),
                    format!("at most one {kind} action"),
                ));
            }
        }
        out.push(rule);
    }
    Ok(out)
}

/// Reads and validates the `rules` of an `alert.rules` event; `kpis` are the catalogue's ids.
pub fn parse_alert_rules(rules: &Value, kpis: &[&str]) -> Result<Vec<AlertRule>, FieldError> {
    let items = list(rules)?;
    let mut out: Vec<AlertRule> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("rules[{i}]");
        let rule: AlertRule = typed(&at, item)?;
        check_id(&at, &rule.id, out.iter().map(|r| r.id.as_str()))?;
        if !kpis.contains(&rule.kpi.as_str()) {
            return Err(FieldError::new(
                format!("{at}.kpi"),
                format!(
                    "unknown KPI {:?}; expected a catalogue id such as first_reply_time",
                    rule.kpi
                ),
            ));
        }
        if let Some(stat) = &rule.stat
            && !ALERT_STATS.contains(&stat.as_str())
        {
            return Err(FieldError::new(
                format!("{at}.stat"),
                format!(
                    "unknown stat {stat:?}; expected one of: {}",
                    ALERT_STATS.join(", ")
                ),
            ));
        }
        if !rule.threshold.is_finite() {
            return Err(FieldError::new(
                format!("{at}.threshold"),
                "must be a finite number",
            ));
        }
        if !(1..=44_640).contains(&rule.window_minutes) {
            return Err(FieldError::new(
                format!("{at}.window_minutes"),
                "must be 1 to 44640 (31 days)",
            ));
        }
        if rule.notify.is_empty() {
            return Err(FieldError::new(format!("{at}.notify"), "must not be empty"));
        }
        for (j, n) in rule.notify.iter().enumerate() {
            check_notify(&format!("{at}.notify[{j}]"), n, false)?;
        }
        out.push(rule);
    }
    Ok(out)
}

fn list(rules: &Value) -> Result<&Vec<Value>, FieldError> {
    match rules {
        Value::Array(items) => Ok(items),
        _ => Err(FieldError::new("rules", "expected a list of rules")),
    }
}

/// Deserializes one item, naming the exact field that is wrong (`rules[0].actions[1].to`).
fn typed<T: DeserializeOwned>(at: &str, item: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(item).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            at.to_owned()
        } else if path.starts_with('[') {
            format!("{at}{path}")
        } else {
            format!("{at}.{path}")
        };
        FieldError::new(field, e.into_inner().to_string())
    })
}

fn check_id<'a>(
    at: &str,
    id: &str,
    earlier: impl Iterator<Item = &'a str>,
) -> Result<(), FieldError> {
    let field = format!("{at}.id");
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        return Err(FieldError::new(
            field,
            "must be 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let mut earlier = earlier;
    if earlier.any(|e| e == id) {
        return Err(FieldError::new(
            field,
            format!("{id:?} is used by an earlier rule"),
        ));
    }
    Ok(())
}

fn check_notify(at: &str, n: &Notify, escalation: bool) -> Result<(), FieldError> {
    match n {
        Notify::Email { to } => {
            if escalation && to == "assignee" {
                return Ok(());
            }
            if !is_address(to) {
                return Err(FieldError::new(
                    format!("{at}.to"),
                    if escalation {
                        format!("{to:?} is not an email address or \"assignee\"")
                    } else {
                        format!("{to:?} is not an email address")
                    },
                ));
            }
        }
        Notify::Webhook {
            url,
            secret,
            secret_id,
        } => {
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/'))
                || url.chars().any(char::is_whitespace)
            {
                return Err(FieldError::new(
                    format!("{at}.url"),
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
            match (secret, secret_id) {
                (Some(secret), None) if secret.len() < 16 => {
                    return Err(FieldError::new(
                        format!("{at}.secret"),
                        "must be at least 16 characters",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(FieldError::new(
                        format!("{at}.secret"),
                        "give a new secret or the secret_id of a stored one, not both",
                    ));
                }
                (None, None) => {
                    return Err(FieldError::new(
                        format!("{at}.secret"),
                        "is required (or the secret_id of a secret stored before)",
                    ));
                }
                _ => {}
            }
        }
        Notify::InApp {
            agents,
            groups,
            assignee,
        } => {
            if *assignee && !escalation {
                return Err(FieldError::new(
                    format!("{at}.assignee"),
                    "an alert has no ticket, so no assignee",
                ));
            }
            if agents.is_empty() && groups.is_empty() && !assignee {
                return Err(FieldError::new(
                    at.to_owned(),
                    "names no one: give agents, groups or assignee",
                ));
            }
        }
    }
    Ok(())
}

/// A plain `local@domain` address (no display name, no spaces or line breaks).
fn is_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && (domain.contains('.') || domain == "localhost")
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !"<>,;\"()".contains(c))
}

/// The list of rules a request body holds: `{"rules": […]}` or a bare list.
pub fn rules_list(body: Value) -> Result<Value, FieldError> {
    match body {
        Value::Array(_) => Ok(body),
        Value::Object(mut map) => {
            let rules = map.remove("rules");
            if let Some(other) = map.keys().next() {
                return Err(FieldError::new(
                    other.clone(),
                    "unknown field; expected rules",
                ));
            }
            match rules {
                Some(v @ Value::Array(_)) => Ok(v),
                Some(_) => Err(FieldError::new("rules", "expected a list of rules")),
                None => Err(FieldError::new("rules", "is required")),
            }
        }
        _ => Err(FieldError::new(
            "rules",
            "expected {\"rules\": […]} or a list",
        )),
    }
}

/// A webhook secret taken out of a rules list, to be stored apart under `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub id: String,
    pub secret: String,
}

/// Takes every webhook's inline `secret` out of `rules` (a list as [`parse_escalation_rules`]
/// or [`parse_alert_rules`] read it), putting in its place a `secret_id` from `new_id`, and
/// returns the secrets to store. Secrets so kept never reach the event log or its exports.
/// Also returns the `secret_id`s the list already named, with their paths, for the caller
/// to check against the stored ones.
pub fn seal_webhook_secrets(
    rules: &mut Value,
    mut new_id: impl FnMut() -> String,
) -> (Vec<SealedSecret>, Vec<(String, String)>) {
    let mut sealed = Vec::new();
    let mut named = Vec::new();
    let Value::Array(list) = rules else {
        return (sealed, named);
    };
    for (r, rule) in list.iter_mut().enumerate() {
        for key in ["actions", "notify"] {
            let Some(Value::Array(targets)) = rule.get_mut(key) else {
                continue;
            };
            for (i, target) in targets.iter_mut().enumerate() {
                let Some(map) = target.as_object_mut() else {
                    continue;
                };
                if map.get("type").and_then(Value::as_str) != Some("webhook") {
                    continue;
                }
                if map.contains_key("secret_id") {
                    if let Some(Value::String(id)) = map.get("secret_id") {
                        named.push((format!("rules[{r}].{key}[{i}].secret_id"), id.clone()));
                    }
                    continue;
                }
                if let Some(Value::String(secret)) = map.remove("secret") {
                    let id = new_id();
                    map.insert("secret_id".into(), Value::String(id.clone()));
                    sealed.push(SealedSecret { id, secret });
                }
            }
        }
    }
    (sealed, named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> FieldError {
        parse_escalation_rules(&v).unwrap_err()
    }

    #[test]
    fn escalation_errors_name_the_field() {
        let ok = json!({"id": "r1", "level": 1, "when": {"metric": "first_reply", "at_percent": 75},
                        "actions": [{"type": "raise_priority", "to": "high"}]});
        assert_eq!(
            parse_escalation_rules(&json!([ok.clone()])).unwrap().len(),
            1
        );
        let mut bad = ok.clone();
        bad["when"]["at_percent"] = json!(150);
        assert_eq!(err(json!([bad])).field, "rules[0].when.at_percent");
        let mut bad = ok.clone();
        bad["actions"] =
            json!([{"type": "raise_priority", "to": "high"}, {"type": "email", "to": "nobody"}]);
        assert_eq!(err(json!([bad])).field, "rules[0].actions[1].to");
        let mut bad = ok.clone();
        bad["actions"] =
            json!([{"type": "webhook", "url": "ftp://x", "secret": "0123456789abcdef"}]);
        assert_eq!(err(json!([bad])).field, "rules[0].actions[0].url");
        let mut bad = ok.clone();
        bad["actions"] = json!([{"type": "raise_priority", "to": "extreme"}]);
        // A bad value inside a tagged action names the action; the message names the value.
        let e = err(json!([bad]));
        assert_eq!(e.field, "rules[0].actions[0]", "{e:?}");
        assert!(e.message.contains("\"extreme\""), "{e:?}");
        let mut bad = ok.clone();
        bad["when"]["metric"] = json!("lunch");
        assert_eq!(err(json!([bad])).field, "rules[0].when.metric");
        assert_eq!(err(json!([ok.clone(), ok])).field, "rules[1].id");
    }

    #[test]
    fn alert_errors_name_the_field() {
        let ok = json!({"id": "a", "kpi": "first_reply_time", "stat": "median_s", "op": ">",
                        "threshold": 300, "window_minutes": 60,
                        "notify": [{"type": "email", "to": "lead@example.com"}]});
        let kpis = ["first_reply_time"];
        assert!(parse_alert_rules(&json!([ok.clone()]), &kpis).is_ok());
        let mut bad = ok.clone();
        bad["kpi"] = json!("happiness");
        assert_eq!(
            parse_alert_rules(&json!([bad]), &kpis).unwrap_err().field,
            "rules[0].kpi"
        );
        let mut bad = ok.clone();
        bad["op"] = json!("~");
        assert_eq!(
            parse_alert_rules(&json!([bad]), &kpis).unwrap_err().field,
            "rules[0].op"
        );
        let mut bad = ok;
        bad["notify"] = json!([{"type": "email", "to": "assignee"}]);
        assert_eq!(
            parse_alert_rules(&json!([bad]), &kpis).unwrap_err().field,
            "rules[0].notify[0].to"
        );
    }

    #[test]
    fn alert_fires_once_repeats_and_recovers() {
        let rule: AlertRule = serde_json::from_value(json!({"id": "a", "kpi": "k", "op": ">",
            "threshold": 10, "window_minutes": 60, "repeat_minutes": 30,
            "notify": [{"type": "email", "to": "x@example.com"}]}))
        .unwrap();
        let min = 60_000;
        let (s, n) = rule.step(AlertState::default(), Some(11.0), 0);
        assert_eq!(n, Some(AlertNotice::Fired));
        let (s, n) = rule.step(s, Some(12.0), 29 * min);
        assert_eq!(n, None);
        let (s, n) = rule.step(s, None, 31 * min);
        assert_eq!(n, None, "no data changes nothing");
        let (s, n) = rule.step(s, Some(12.0), 30 * min);
        assert_eq!(n, Some(AlertNotice::Repeated));
        let (s, n) = rule.step(s, Some(12.0), 59 * min);
        assert_eq!(n, None);
        let (s, n) = rule.step(s, Some(10.0), 61 * min);
        assert_eq!(n, Some(AlertNotice::Recovered));
        assert!(!s.firing);
        let (_, n) = rule.step(s, Some(9.0), 200 * min);
        assert_eq!(n, None);
    }

    #[test]
    fn webhook_secrets_are_sealed_and_ids_kept() {
        let mut rules = json!([
            {"id": "a", "actions": [{"type": "webhook", "url": "https://h/x", "secret": "0123456789abcdef"},
                                    {"type": "email", "to": "x@example.com"}]},
            {"id": "b", "notify": [{"type": "webhook", "url": "https://h/y", "secret_id": "whsec_1"}]}
        ]);
        let mut n = 0;
        let (sealed, named) = seal_webhook_secrets(&mut rules, || {
            n += 1;
            format!("id{n}")
        });
        assert_eq!(
            sealed,
            [SealedSecret {
                id: "id1".into(),
                secret: "0123456789abcdef".into()
            }]
        );
        assert_eq!(
            named,
            [(
                "rules[1].notify[0].secret_id".to_owned(),
                "whsec_1".to_owned()
            )]
        );
        assert_eq!(
            rules[0]["actions"][0],
            json!({"type": "webhook", "url": "https://h/x", "secret_id": "id1"})
        );
        assert!(!rules.to_string().contains("0123456789abcdef"));
        // A webhook needs one of the two, not both.
        let base = json!({"id": "r", "level": 1, "when": {}, "actions": [{"type": "webhook", "url": "https://h/x"}]});
        assert_eq!(
            err(json!([base.clone()])).field,
            "rules[0].actions[0].secret"
        );
        let mut both = base;
        both["actions"][0]["secret"] = json!("0123456789abcdef");
        both["actions"][0]["secret_id"] = json!("whsec_1");
        assert_eq!(err(json!([both])).field, "rules[0].actions[0].secret");
    }

    #[test]
    fn a_rules_body_is_a_list_or_an_object_holding_one() {
        assert_eq!(rules_list(json!([])).unwrap(), json!([]));
        assert_eq!(rules_list(json!({"rules": [1]})).unwrap(), json!([1]));
        assert_eq!(rules_list(json!({})).unwrap_err().field, "rules");
        assert_eq!(rules_list(json!({"rules": 3})).unwrap_err().field, "rules");
        assert_eq!(
            rules_list(json!({"rules": [], "rulez": []}))
                .unwrap_err()
                .field,
            "rulez"
        );
        assert_eq!(rules_list(json!("x")).unwrap_err().field, "rules");
    }
}
