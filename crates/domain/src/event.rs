//! The event interchange format (MISSION.md): one JSON object per line, UTF-8, RFC 3339 times.
//!
//! Parsing goes field by field so an error names the field that is wrong; fields this version
//! does not know are kept in [`Event::extra`] and written back on export.

use crate::error::FieldError;
use crate::ids::Id;
use crate::vocab::{Author, Channel, Kind, Priority, Status, SurveyKind};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: Timestamp,
    /// The source's event id, when it has one; it then identifies the event on re-import.
    pub id: Option<String>,
    pub body: EventBody,
    /// Fields this version does not know, kept as they came.
    pub extra: Map<String, Value>,
}

/// What happened, one variant per interchange `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    TicketCreated(TicketCreated),
    TicketMessage(TicketMessage),
    TicketStatus {
        ticket: Id,
        status: Status,
        by: Option<Author>,
    },
    TicketAssigned {
        ticket: Id,
        agent: Option<Id>,
        group: Option<Id>,
        by: Option<Author>,
    },
    TicketUpdated(TicketUpdated),
    TicketMerged {
        ticket: Id,
        into: Id,
        by: Option<Author>,
    },
    SurveyResponse(SurveyResponse),
    Vote {
        target: String,
        helpful: bool,
        visitor: Option<String>,
    },
    CallQueued {
        call: Id,
        queue: Option<String>,
        customer: Option<Id>,
    },
    CallAnswered {
        call: Id,
        agent: Option<Id>,
    },
    CallAbandoned {
        call: Id,
    },
    CallEnded {
        call: Id,
        hold_s: Option<i64>,
        wrapup_s: Option<i64>,
    },
    ArticleViewed {
        article: Id,
        visitor: Option<String>,
    },
    Cost(Cost),
    Opportunity(Opportunity),
    CustomerLifecycle {
        customer: Id,
        state: LifecycleState,
    },
    AgentProfile(AgentProfile),
    /// An agent became available, paused or logged out (Sanjeh's extension: telephony queues
    /// and chat record it; occupancy and staffing need it).
    AgentAvailability {
        agent: Id,
        state: Availability,
        /// The queue (or channel) it applies to; none means every queue.
        queue: Option<String>,
        reason: Option<String>,
    },
    CustomerProfile(CustomerProfile),
    GroupProfile {
        group: Id,
        name: Option<String>,
    },
    OrganizationProfile {
        organization: Id,
        name: Option<String>,
    },
    /// The whole ordered set of SLA policies, in effect from the event's instant on (Sanjeh's
    /// extension). Kept as JSON here; the store validates it with `sanjeh-sla`.
    SlaPolicies {
        policies: Value,
    },
    /// The business calendars: a default schedule and schedules by group (Sanjeh's
    /// extension), in effect from the event's instant on. Validated by the store.
    Calendars {
        default: Option<Value>,
        groups: Option<Value>,
    },
    /// The whole list of escalation rules (Sanjeh's extension), in effect from the event's
    /// instant on. Kept as JSON here; the store validates it with `sanjeh-sla`.
    EscalationRules {
        rules: Value,
    },
    /// The whole list of KPI alert rules (Sanjeh's extension), validated by the store.
    AlertRules {
        rules: Value,
    },
    /// A ticket was escalated by a rule (Sanjeh's extension): its level (1 = L1, 2 = L2, 3 =
    /// lead…), the rule, the SLA target that triggered it and why. A rule escalates a run of a
    /// target once: `run_started_at` names the run.
    TicketEscalated(TicketEscalated),
    /// A macro (canned reply) saved or deleted (Sanjeh's extension): the whole macro each
    /// time, so the last event of a macro id is the macro.
    Macro(Macro),
}

/// A canned reply with placeholders, and what applying it sets on the ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    /// The macro's id (`macro` on the wire).
    pub id: Id,
    pub name: String,
    /// The reply text; `{{customer.name}}`, `{{ticket.id}}`, `{{agent.name}}`… are filled in
    /// when applied.
    pub body: String,
    /// The agent whose personal macro this is; none: shared with the team.
    pub owner: Option<Id>,
    pub status: Option<crate::Status>,
    pub priority: Option<Priority>,
    /// Tags added to the ticket.
    pub tags: Vec<String>,
    /// Removed: the macro is no longer offered.
    pub deleted: bool,
    /// Who saved it.
    pub by: Option<Author>,
}

impl Macro {
    /// A macro with a name and no more than 64 KiB of text, else the field at fault.
    pub fn checked(m: Macro) -> Result<Macro, FieldError> {
        if m.name.trim().is_empty() {
            return Err(FieldError::new("name", "is required"));
        }
        if m.name.chars().count() > 200 {
            return Err(FieldError::new("name", "longer than 200 characters"));
        }
        if m.body.len() > 65_536 {
            return Err(FieldError::new("body", "longer than 64 KiB"));
        }
        Ok(m)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketEscalated {
    pub ticket: Id,
    pub level: u8,
    pub rule: String,
    pub metric: String,
    pub reason: Option<String>,
    pub run_started_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketCreated {
    pub ticket: Id,
    pub customer: Option<Id>,
    pub organization: Option<Id>,
    pub channel: Channel,
    pub priority: Priority,
    pub group: Option<Id>,
    pub subject: Option<String>,
    pub tags: Vec<String>,
    pub kind: Option<Kind>,
    /// Who opened it; an agent here makes the ticket outbound (no first reply time).
    pub by: Option<Author>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketMessage {
    pub ticket: Id,
    pub author: Author,
    pub public: bool,
    pub body: String,
    pub channel: Option<Channel>,
    pub message: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketUpdated {
    pub ticket: Option<Id>,
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
    pub kind: Option<Kind>,
    pub group: Option<Id>,
    pub subject: Option<String>,
    pub customer: Option<Id>,
    pub organization: Option<Id>,
    pub by: Option<Author>,
}

/// A survey answer's score: a point on the survey's scale, or CSAT's good/bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    Scale(i64),
    Good,
    Bad,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SurveyResponse {
    pub survey: SurveyKind,
    pub score: Score,
    pub ticket: Option<Id>,
    pub customer: Option<Id>,
    pub agent: Option<Id>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub period: String,
    pub category: String,
    pub amount: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    pub opportunity: Option<Id>,
    pub ticket: Option<Id>,
    pub agent: Option<Id>,
    pub kind: String,
    pub amount: Decimal,
    pub currency: String,
    pub status: OpportunityStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityStatus {
    Open,
    Won,
    Lost,
}

impl OpportunityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpportunityStatus::Open => "open",
            OpportunityStatus::Won => "won",
            OpportunityStatus::Lost => "lost",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleState {
    Lead,
    Active,
    Inactive,
    Churned,
}

impl LifecycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::Lead => "lead",
            LifecycleState::Active => "active",
            LifecycleState::Inactive => "inactive",
            LifecycleState::Churned => "churned",
        }
    }
}

/// Whether an agent can take work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    Paused,
    LoggedOut,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Paused => "paused",
            Availability::LoggedOut => "logged_out",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentProfile {
    pub agent: Id,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub groups: Option<Vec<Id>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerProfile {
    pub customer: Id,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<Id>,
    pub language: Option<String>,
}

/// The largest line accepted, in bytes: a message body may be long, but not unbounded.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A line that parsed, with the text it came from (kept verbatim as the event's payload).
#[derive(Debug, Clone)]
pub struct ParsedLine {
    pub event: Event,
    pub payload: String,
}

impl EventBody {
    /// The interchange `type` of this event.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::TicketCreated(_) => "ticket.created",
            EventBody::TicketMessage(_) => "ticket.message",
            EventBody::TicketStatus { .. } => "ticket.status",
            EventBody::TicketAssigned { .. } => "ticket.assigned",
            EventBody::TicketUpdated(_) => "ticket.updated",
            EventBody::TicketMerged { .. } => "ticket.merged",
            EventBody::SurveyResponse(_) => "survey.response",
            EventBody::Vote { .. } => "vote",
            EventBody::CallQueued { .. } => "call.queued",
            EventBody::CallAnswered { .. } => "call.answered",
            EventBody::CallAbandoned { .. } => "call.abandoned",
            EventBody::CallEnded { .. } => "call.ended",
            EventBody::ArticleViewed { .. } => "article.viewed",
            EventBody::Cost(_) => "cost",
            EventBody::Opportunity(_) => "opportunity",
            EventBody::CustomerLifecycle { .. } => "customer.lifecycle",
            EventBody::AgentProfile(_) => "agent.profile",
            EventBody::AgentAvailability { .. } => "agent.availability",
            EventBody::CustomerProfile(_) => "customer.profile",
            EventBody::GroupProfile { .. } => "group.profile",
            EventBody::OrganizationProfile { .. } => "organization.profile",
            EventBody::SlaPolicies { .. } => "sla.policies",
            EventBody::Calendars { .. } => "calendars",
            EventBody::EscalationRules { .. } => "escalation.rules",
            EventBody::AlertRules { .. } => "alert.rules",
            EventBody::TicketEscalated(_) => "ticket.escalated",
            EventBody::Macro(_) => "macro",
        }
    }

    /// The ticket this event belongs to, if any (a merge belongs to the merged-away ticket).
    pub fn ticket(&self) -> Option<&Id> {
        match self {
            EventBody::TicketCreated(e) => Some(&e.ticket),
            EventBody::TicketMessage(e) => Some(&e.ticket),
            EventBody::TicketStatus { ticket, .. }
            | EventBody::TicketAssigned { ticket, .. }
            | EventBody::TicketMerged { ticket, .. } => Some(ticket),
            EventBody::TicketUpdated(e) => e.ticket.as_ref(),
            EventBody::SurveyResponse(e) => e.ticket.as_ref(),
            EventBody::Opportunity(e) => e.ticket.as_ref(),
            EventBody::TicketEscalated(e) => Some(&e.ticket),
            _ => None,
        }
    }

    /// Whether the event changes a ticket's state (and so needs the ticket to exist).
    pub fn is_ticket_change(&self) -> bool {
        matches!(
            self,
            EventBody::TicketCreated(_)
                | EventBody::TicketMessage(_)
                | EventBody::TicketStatus { .. }
                | EventBody::TicketAssigned { .. }
                | EventBody::TicketUpdated(_)
                | EventBody::TicketMerged { .. }
                | EventBody::TicketEscalated(_)
        )
    }

    /// The agent who acted, when an agent did: for activity and sessions.
    pub fn acting_agent(&self) -> Option<&Id> {
        match self {
            EventBody::TicketMessage(m) => m.author.agent(),
            EventBody::TicketStatus { by, .. }
            | EventBody::TicketAssigned { by, .. }
            | EventBody::TicketMerged { by, .. } => by.as_ref().and_then(Author::agent),
            EventBody::TicketUpdated(u) => u.by.as_ref().and_then(Author::agent),
            EventBody::TicketCreated(c) => c.by.as_ref().and_then(Author::agent),
            EventBody::CallAnswered { agent, .. } => agent.as_ref(),
            // Logging in or pausing is not work: it neither starts nor extends a session.
            _ => None,
        }
    }
}

impl Event {
    pub fn new(at: Timestamp, body: EventBody) -> Event {
        Event {
            at,
            id: None,
            body,
            extra: Map::new(),
        }
    }

    /// Parses one interchange line. Errors name the field (`type`, `at`, `ticket`, …).
    pub fn parse_line(line: &str) -> Result<Event, FieldError> {
        if line.len() > MAX_LINE_BYTES {
            return Err(FieldError::new(
                "line",
                format!("longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| FieldError::new("json", format!("not valid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(FieldError::new("json", "a line must be a JSON object"));
        };
        Event::from_object(map)
    }

    /// Builds an event from a JSON object, taking the known fields out and keeping the rest.
    pub fn from_object(map: Map<String, Value>) -> Result<Event, FieldError> {
        let mut f = Fields(map);
        let kind = f.req_str("type")?;
        let at = f.req_time("at")?;
        let id = f.opt_str("id")?;
        let body = match kind.as_str() {
            "ticket.created" => EventBody::TicketCreated(TicketCreated {
                ticket: f.req_id("ticket")?,
                customer: f.opt_id("customer")?,
                organization: f.opt_id("organization")?,
                channel: f
                    .opt_parse("channel", Channel::parse)?
                    .unwrap_or(Channel::Other),
                priority: f
                    .opt_parse("priority", Priority::parse)?
                    .unwrap_or(Priority::Normal),
                group: f.opt_id("group")?,
                subject: f.opt_str("subject")?,
                tags: f.opt_tags("tags")?.unwrap_or_default(),
                kind: f.opt_parse("kind", Kind::parse)?,
                by: f.opt_parse("by", Author::parse)?,
            }),
            "ticket.message" => EventBody::TicketMessage(TicketMessage {
                ticket: f.req_id("ticket")?,
                author: f.req_parse("author", Author::parse)?,
                public: f.opt_bool("public")?.unwrap_or(true),
                body: f.opt_str("body")?.unwrap_or_default(),
                channel: f.opt_parse("channel", Channel::parse)?,
                message: f.opt_id("message")?,
            }),
            "ticket.status" => EventBody::TicketStatus {
                ticket: f.req_id("ticket")?,
                status: f.req_parse("status", Status::parse)?,
                by: f.opt_parse("by", Author::parse)?,
            },
            "ticket.assigned" => EventBody::TicketAssigned {
                ticket: f.req_id("ticket")?,
                agent: f.opt_id("agent")?,
                group: f.opt_id("group")?,
                by: f.opt_parse("by", Author::parse)?,
            },
            "ticket.updated" => EventBody::TicketUpdated(TicketUpdated {
                ticket: Some(f.req_id("ticket")?),
                priority: f.opt_parse("priority", Priority::parse)?,
                tags: f.opt_tags("tags")?,
                kind: f.opt_parse("kind", Kind::parse)?,
                group: f.opt_id("group")?,
                subject: f.opt_str("subject")?,
                customer: f.opt_id("customer")?,
                organization: f.opt_id("organization")?,
                by: f.opt_parse("by", Author::parse)?,
            }),
            "ticket.merged" => EventBody::TicketMerged {
                ticket: f.req_id("ticket")?,
                into: f.req_id("into")?,
                by: f.opt_parse("by", Author::parse)?,
            },
            "survey.response" => {
                let survey = f.req_parse("survey", SurveyKind::parse)?;
                let score = f.req_score(survey)?;
                EventBody::SurveyResponse(SurveyResponse {
                    survey,
                    score,
                    ticket: f.opt_id("ticket")?,
                    customer: f.opt_id("customer")?,
                    agent: f.opt_id("agent")?,
                    comment: f.opt_str("comment")?,
                })
            }
            "vote" => EventBody::Vote {
                target: f.req_target("target")?,
                helpful: f.req_bool("helpful")?,
                visitor: f.opt_str("visitor")?,
            },
            "call.queued" => EventBody::CallQueued {
                call: f.req_id("call")?,
                queue: f.opt_str("queue")?,
                customer: f.opt_id("customer")?,
            },
            "call.answered" => EventBody::CallAnswered {
                call: f.req_id("call")?,
                agent: f.opt_id("agent")?,
            },
            "call.abandoned" => EventBody::CallAbandoned {
                call: f.req_id("call")?,
            },
            "call.ended" => EventBody::CallEnded {
                call: f.req_id("call")?,
                hold_s: f.opt_seconds("hold_s")?,
                wrapup_s: f.opt_seconds("wrapup_s")?,
            },
            "article.viewed" => EventBody::ArticleViewed {
                article: f.req_id("article")?,
                visitor: f.opt_str("visitor")?,
            },
            "cost" => EventBody::Cost(Cost {
                period: f.req_one_of(
                    "period",
                    &["day", "week", "month", "quarter", "year", "once"],
                )?,
                category: f.req_one_of(
                    "category",
                    &["staff", "tools", "telephony", "overhead", "other"],
                )?,
                amount: f.req_money("amount")?,
                currency: f.req_currency("currency")?,
            }),
            "opportunity" => EventBody::Opportunity(Opportunity {
                opportunity: f.opt_id("opportunity")?,
                ticket: f.opt_id("ticket")?,
                agent: f.opt_id("agent")?,
                kind: f.req_one_of("kind", &["upsell", "cross_sell", "renewal", "new"])?,
                amount: f.req_money("amount")?,
                currency: f.req_currency("currency")?,
                status: match f.opt_str("status")?.as_deref().unwrap_or("open") {
                    "open" => OpportunityStatus::Open,
                    "won" => OpportunityStatus::Won,
                    "lost" => OpportunityStatus::Lost,
                    other => {
                        return Err(FieldError::new(
                            "status",
                            format!(
                                "unknown opportunity status {other:?}; expected open, won or lost"
                            ),
                        ));
                    }
                },
            }),
            "customer.lifecycle" => EventBody::CustomerLifecycle {
                customer: f.req_id("customer")?,
                state: match f.req_str("state")?.as_str() {
                    "lead" => LifecycleState::Lead,
                    "active" => LifecycleState::Active,
                    "inactive" => LifecycleState::Inactive,
                    "churned" => LifecycleState::Churned,
                    other => {
                        return Err(FieldError::new(
                            "state",
                            format!(
                                "unknown lifecycle state {other:?}; expected lead, active, inactive or churned"
                            ),
                        ));
                    }
                },
            },
            "agent.profile" => EventBody::AgentProfile(AgentProfile {
                agent: f.req_id("agent")?,
                name: f.opt_str("name")?,
                email: f.opt_str("email")?,
                role: match f.opt_str("role")? {
                    None => None,
                    Some(r) if ["agent", "admin", "manager"].contains(&r.as_str()) => Some(r),
                    Some(r) => {
                        return Err(FieldError::new(
                            "role",
                            format!("unknown role {r:?}; expected agent, admin or manager"),
                        ));
                    }
                },
                groups: f.opt_ids("groups")?,
                active: f.opt_bool("active")?,
            }),
            "agent.availability" => EventBody::AgentAvailability {
                agent: f.req_id("agent")?,
                state: match f.req_str("state")?.as_str() {
                    "available" => Availability::Available,
                    "paused" => Availability::Paused,
                    "logged_out" => Availability::LoggedOut,
                    other => {
                        return Err(FieldError::new(
                            "state",
                            format!(
                                "unknown availability {other:?}; expected available, paused or logged_out"
                            ),
                        ));
                    }
                },
                queue: f.opt_str("queue")?,
                reason: f.opt_str("reason")?,
            },
            "sla.policies" => EventBody::SlaPolicies {
                policies: match f.take("policies") {
                    Some(v @ Value::Array(_)) => v,
                    Some(_) => {
                        return Err(FieldError::new("policies", "expected a list of policies"));
                    }
                    None => return Err(FieldError::new("policies", "required")),
                },
            },
            "calendars" => EventBody::Calendars {
                default: f.req_object_opt("default")?,
                groups: f.req_object_opt("groups")?,
            },
            "escalation.rules" => EventBody::EscalationRules {
                rules: f.req_list("rules")?,
            },
            "alert.rules" => EventBody::AlertRules {
                rules: f.req_list("rules")?,
            },
            "ticket.escalated" => EventBody::TicketEscalated(TicketEscalated {
                ticket: f.req_id("ticket")?,
                level: f.req_level("level")?,
                rule: f.req_str("rule")?,
                metric: f.req_str("metric")?,
                reason: f.opt_str("reason")?,
                run_started_at: f.opt_time("run_started_at")?,
            }),
            "macro" => EventBody::Macro(Macro::checked(Macro {
                id: f.req_id("macro")?,
                name: f.req_str("name")?,
                body: f.opt_str("body")?.unwrap_or_default(),
                owner: f.opt_id("owner")?,
                status: f.opt_parse("status", Status::parse)?,
                priority: f.opt_parse("priority", Priority::parse)?,
                tags: f.opt_tags("tags")?.unwrap_or_default(),
                deleted: f.opt_bool("deleted")?.unwrap_or(false),
                by: f.opt_parse("by", Author::parse)?,
            })?),
            "customer.profile" => EventBody::CustomerProfile(CustomerProfile {
                customer: f.req_id("customer")?,
                name: f.opt_str("name")?,
                email: f.opt_str("email")?,
                organization: f.opt_id("organization")?,
                language: f.opt_str("language")?,
            }),
            "group.profile" => EventBody::GroupProfile {
                group: f.req_id("group")?,
                name: f.opt_str("name")?,
            },
            "organization.profile" => EventBody::OrganizationProfile {
                organization: f.req_id("organization")?,
                name: f.opt_str("name")?,
            },
            other => {
                return Err(FieldError::new(
                    "type",
                    format!("unknown event type {other:?}"),
                ));
            }
        };
        Ok(Event {
            at,
            id,
            body,
            extra: f.0,
        })
    }

    /// The interchange JSON object for this event, unknown fields included.
    pub fn to_object(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// The event as one interchange line (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Writes the interchange object field by field (no intermediate map: export and the demo
/// serialize millions of events). Absent optional fields are left out.
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = serializer.serialize_map(None)?;
        let mut written: Vec<&'static str> = Vec::with_capacity(12);
        macro_rules! put {
            ($k:literal, $v:expr) => {{
                m.serialize_entry($k, &$v)?;
                written.push($k);
            }};
        }
        macro_rules! put_str {
            ($k:literal, $v:expr) => {
                put!($k, $v.to_string())
            };
        }
        macro_rules! opt {
            ($k:literal, $v:expr) => {
                if let Some(v) = &$v {
                    put_str!($k, v);
                }
            };
        }
        put!("type", self.body.type_name());
        put_str!("at", self.at);
        opt!("id", self.id);
        match &self.body {
            EventBody::TicketCreated(e) => {
                put!("ticket", e.ticket);
                opt!("customer", e.customer);
                opt!("organization", e.organization);
                put!("channel", e.channel);
                put!("priority", e.priority);
                opt!("group", e.group);
                opt!("subject", e.subject);
                put!("tags", e.tags);
                opt!("kind", e.kind);
                opt!("by", e.by);
            }
            EventBody::TicketMessage(e) => {
                put!("ticket", e.ticket);
                put!("author", e.author);
                put!("public", e.public);
                put!("body", e.body);
                opt!("channel", e.channel);
                opt!("message", e.message);
            }
            EventBody::TicketStatus { ticket, status, by } => {
                put!("ticket", ticket);
                put!("status", status);
                opt!("by", by);
            }
            EventBody::TicketAssigned {
                ticket,
                agent,
                group,
                by,
            } => {
                put!("ticket", ticket);
                opt!("agent", agent);
                opt!("group", group);
                opt!("by", by);
            }
            EventBody::TicketUpdated(e) => {
                opt!("ticket", e.ticket);
                opt!("priority", e.priority);
                if let Some(tags) = &e.tags {
                    put!("tags", tags);
                }
                opt!("kind", e.kind);
                opt!("group", e.group);
                opt!("subject", e.subject);
                opt!("customer", e.customer);
                opt!("organization", e.organization);
                opt!("by", e.by);
            }
            EventBody::TicketMerged { ticket, into, by } => {
                put!("ticket", ticket);
                put!("into", into);
                opt!("by", by);
            }
            EventBody::SurveyResponse(e) => {
                put!("survey", e.survey);
                match e.score {
                    Score::Scale(n) => put!("score", n),
                    Score::Good => put!("score", "good"),
                    Score::Bad => put!("score", "bad"),
                }
                opt!("ticket", e.ticket);
                opt!("customer", e.customer);
                opt!("agent", e.agent);
                opt!("comment", e.comment);
            }
            EventBody::Vote {
                target,
                helpful,
                visitor,
            } => {
                put!("target", target);
                put!("helpful", helpful);
                opt!("visitor", visitor);
            }
            EventBody::CallQueued {
                call,
                queue,
                customer,
            } => {
                put!("call", call);
                opt!("queue", queue);
                opt!("customer", customer);
            }
            EventBody::CallAnswered { call, agent } => {
                put!("call", call);
                opt!("agent", agent);
            }
            EventBody::CallAbandoned { call } => put!("call", call),
            EventBody::CallEnded {
                call,
                hold_s,
                wrapup_s,
            } => {
                put!("call", call);
                if let Some(v) = hold_s {
                    put!("hold_s", v);
                }
                if let Some(v) = wrapup_s {
                    put!("wrapup_s", v);
                }
            }
            EventBody::ArticleViewed { article, visitor } => {
                put!("article", article);
                opt!("visitor", visitor);
            }
            EventBody::Cost(c) => {
                put!("period", c.period);
                put!("category", c.category);
                put_str!("amount", c.amount);
                put!("currency", c.currency);
            }
            EventBody::Opportunity(e) => {
                opt!("opportunity", e.opportunity);
                opt!("ticket", e.ticket);
                opt!("agent", e.agent);
                put!("kind", e.kind);
                put_str!("amount", e.amount);
                put!("currency", e.currency);
                put!("status", e.status.as_str());
            }
            EventBody::CustomerLifecycle { customer, state } => {
                put!("customer", customer);
                put!("state", state.as_str());
            }
            EventBody::AgentProfile(a) => {
                put!("agent", a.agent);
                opt!("name", a.name);
                opt!("email", a.email);
                opt!("role", a.role);
                if let Some(groups) = &a.groups {
                    put!("groups", groups);
                }
                if let Some(active) = a.active {
                    put!("active", active);
                }
            }
            EventBody::AgentAvailability {
                agent,
                state,
                queue,
                reason,
            } => {
                put!("agent", agent);
                put!("state", state.as_str());
                opt!("queue", queue);
                opt!("reason", reason);
            }
            EventBody::CustomerProfile(c) => {
                put!("customer", c.customer);
                opt!("name", c.name);
                opt!("email", c.email);
                opt!("organization", c.organization);
                opt!("language", c.language);
            }
            EventBody::GroupProfile { group, name } => {
                put!("group", group);
                opt!("name", name);
            }
            EventBody::OrganizationProfile { organization, name } => {
                put!("organization", organization);
                opt!("name", name);
            }
            EventBody::SlaPolicies { policies } => put!("policies", policies),
            EventBody::Calendars { default, groups } => {
                if let Some(v) = default {
                    put!("default", v);
                }
                if let Some(v) = groups {
                    put!("groups", v);
                }
            }
            EventBody::EscalationRules { rules } | EventBody::AlertRules { rules } => {
                put!("rules", rules)
            }
            EventBody::TicketEscalated(e) => {
                put!("ticket", e.ticket);
                put!("level", e.level);
                put!("rule", e.rule);
                put!("metric", e.metric);
                opt!("reason", e.reason);
                opt!("run_started_at", e.run_started_at);
            }
            EventBody::Macro(m) => {
                put!("macro", m.id);
                put!("name", m.name);
                put!("body", m.body);
                opt!("owner", m.owner);
                opt!("status", m.status);
                opt!("priority", m.priority);
                put!("tags", m.tags);
                if m.deleted {
                    put!("deleted", true);
                }
                opt!("by", m.by);
            }
        }
        for (k, v) in &self.extra {
            if !written.contains(&k.as_str()) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// A JSON object whose known fields are taken out one by one, each error naming its field.
struct Fields(Map<String, Value>);

impl Fields {
    fn take(&mut self, k: &str) -> Option<Value> {
        match self.0.remove(k) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    fn req_object_opt(&mut self, k: &str) -> Result<Option<Value>, FieldError> {
        match self.take(k) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(FieldError::new(k, "expected a JSON object")),
        }
    }

    fn req_list(&mut self, k: &str) -> Result<Value, FieldError> {
        match self.take(k) {
            Some(v @ Value::Array(_)) => Ok(v),
            Some(_) => Err(FieldError::new(k, "expected a list")),
            None => Err(FieldError::new(k, "is required")),
        }
    }

    fn req_level(&mut self, k: &str) -> Result<u8, FieldError> {
        match self.take(k) {
            Some(Value::Number(n)) => match n.as_u64() {
                Some(l @ 1..=9) => Ok(l as u8),
                _ => Err(FieldError::new(k, format!("expected 1 to 9, got {n}"))),
            },
            Some(other) => Err(FieldError::new(
                k,
                format!("expected a number, got {other}"),
            )),
            None => Err(FieldError::new(k, "is required")),
        }
    }

    fn opt_time(&mut self, k: &str) -> Result<Option<Timestamp>, FieldError> {
        match self.opt_str(k)? {
            None => Ok(None),
            Some(raw) => Timestamp::from_str(&raw)
                .map(Some)
                .map_err(|e| FieldError::new(k, format!("{raw:?} is not an RFC 3339 time: {e}"))),
        }
    }

    fn opt_str(&mut self, k: &str) -> Result<Option<String>, FieldError> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(FieldError::new(
                k,
                format!("expected a string, got {other}"),
            )),
        }
    }

    fn req_str(&mut self, k: &str) -> Result<String, FieldError> {
        self.opt_str(k)?
            .ok_or_else(|| FieldError::new(k, "is required"))
    }

    fn opt_id(&mut self, k: &str) -> Result<Option<Id>, FieldError> {
        self.opt_str(k)?.map(|s| Id::parse(k, &s)).transpose()
    }

    fn req_id(&mut self, k: &str) -> Result<Id, FieldError> {
        Id::parse(k, &self.req_str(k)?)
    }

    fn opt_parse<T>(
        &mut self,
        k: &str,
        parse: impl Fn(&str, &str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        self.opt_str(k)?.map(|s| parse(k, &s)).transpose()
    }

    fn req_parse<T>(
        &mut self,
        k: &str,
        parse: impl Fn(&str, &str) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        parse(k, &self.req_str(k)?)
    }

    fn req_time(&mut self, k: &str) -> Result<Timestamp, FieldError> {
        let raw = self.req_str(k)?;
        Timestamp::from_str(&raw)
            .map_err(|e| FieldError::new(k, format!("{raw:?} is not an RFC 3339 time: {e}")))
    }

    fn opt_bool(&mut self, k: &str) -> Result<Option<bool>, FieldError> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(FieldError::new(
                k,
                format!("expected true or false, got {other}"),
            )),
        }
    }

    fn req_bool(&mut self, k: &str) -> Result<bool, FieldError> {
        self.opt_bool(k)?
            .ok_or_else(|| FieldError::new(k, "is required"))
    }

    fn opt_seconds(&mut self, k: &str) -> Result<Option<i64>, FieldError> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(s) if (0..=366 * 86_400).contains(&s) => Ok(Some(s)),
                _ => Err(FieldError::new(
                    k,
                    format!("expected whole seconds ≥ 0, got {n}"),
                )),
            },
            Some(other) => Err(FieldError::new(
                k,
                format!("expected a number, got {other}"),
            )),
        }
    }

    fn opt_tags(&mut self, k: &str) -> Result<Option<Vec<String>>, FieldError> {
        let Some(v) = self.take(k) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(FieldError::new(k, "expected an array of strings"));
        };
        let strings = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(t) => Ok(t),
                other => Err(FieldError::new(
                    format!("{k}[{i}]"),
                    format!("expected a string, got {other}"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        crate::vocab::normalize_tags(k, strings).map(Some)
    }

    fn opt_ids(&mut self, k: &str) -> Result<Option<Vec<Id>>, FieldError> {
        let Some(v) = self.take(k) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(FieldError::new(k, "expected an array of ids"));
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Id::parse(k, &s),
                other => Err(FieldError::new(k, format!("expected an id, got {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn req_one_of(&mut self, k: &str, allowed: &[&str]) -> Result<String, FieldError> {
        let v = self.req_str(k)?;
        if allowed.contains(&v.as_str()) {
            Ok(v)
        } else {
            Err(FieldError::new(
                k,
                format!("unknown {k} {v:?}; expected one of: {}", allowed.join(", ")),
            ))
        }
    }

    /// Money is a decimal string; a JSON number would already have been rounded by a float.
    fn req_money(&mut self, k: &str) -> Result<Decimal, FieldError> {
        match self.take(k) {
            None => Err(FieldError::new(k, "is required")),
            Some(Value::String(s)) => Decimal::from_str_exact(&s)
                .map_err(|e| FieldError::new(k, format!("{s:?} is not a decimal amount: {e}"))),
            Some(other) => Err(FieldError::new(
                k,
                format!("money must be a decimal string such as \"12.50\", got {other}"),
            )),
        }
    }

    fn req_currency(&mut self, k: &str) -> Result<String, FieldError> {
        let c = self.req_str(k)?;
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(c)
        } else {
            Err(FieldError::new(
                k,
                format!("{c:?} is not an ISO 4217 code such as \"USD\""),
            ))
        }
    }

    fn req_target(&mut self, k: &str) -> Result<String, FieldError> {
        let t = self.req_str(k)?;
        match t.split_once(':') {
            Some(("article" | "message", id)) if Id::parse(k, id).is_ok() => Ok(t),
            _ => Err(FieldError::new(
                k,
                format!("{t:?} is not article:ID or message:ID"),
            )),
        }
    }

    fn req_score(&mut self, survey: SurveyKind) -> Result<Score, FieldError> {
        let k = "score";
        let (lo, hi) = match survey {
            SurveyKind::Csat => (1, 5),
            SurveyKind::Nps => (0, 10),
            SurveyKind::Ces => (1, 7),
        };
        match self.take(k) {
            None => Err(FieldError::new(k, "is required")),
            Some(Value::String(s)) if survey == SurveyKind::Csat && s == "good" => Ok(Score::Good),
            Some(Value::String(s)) if survey == SurveyKind::Csat && s == "bad" => Ok(Score::Bad),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (lo..=hi).contains(&v) => Ok(Score::Scale(v)),
                _ => Err(FieldError::new(
                    k,
                    format!("{survey} score must be {lo}–{hi}, got {n}"),
                )),
            },
            Some(other) => Err(FieldError::new(
                k,
                format!(
                    "{survey} score must be a whole number {lo}–{hi}{}, got {other}",
                    if survey == SurveyKind::Csat {
                        " or \"good\"/\"bad\""
                    } else {
                        ""
                    }
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISSION_EXAMPLES: &str = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C-9","channel":"email","priority":"normal","group":"billing","subject":"…","tags":["refund"],"kind":"question"}
{"type":"ticket.message","at":"2026-01-05T09:05:00Z","ticket":"T-1","author":"agent:A-2","public":true,"body":"…"}
{"type":"ticket.status","at":"2026-01-05T09:06:00Z","ticket":"T-1","status":"solved","by":"agent:A-2"}
{"type":"ticket.assigned","at":"2026-01-05T09:01:00Z","ticket":"T-1","agent":"A-2","group":"billing"}
{"type":"ticket.updated","at":"2026-01-05T09:02:00Z","ticket":"T-1","priority":"high","tags":["refund","vip"]}
{"type":"ticket.merged","at":"2026-01-05T09:03:00Z","ticket":"T-2","into":"T-1"}
{"type":"survey.response","at":"2026-01-05T10:00:00Z","survey":"csat","score":4,"ticket":"T-1","customer":"C-9","comment":"…"}
{"type":"vote","at":"2026-01-05T10:00:00Z","target":"article:K-1","helpful":true}
{"type":"call.queued","at":"2026-01-05T10:00:00Z","call":"X-7","queue":"support","customer":"C-9"}
{"type":"call.answered","at":"2026-01-05T10:00:30Z","call":"X-7","agent":"A-2"}
{"type":"call.abandoned","at":"2026-01-05T10:00:30Z","call":"X-7"}
{"type":"call.ended","at":"2026-01-05T10:05:00Z","call":"X-7","wrapup_s":30}
{"type":"article.viewed","at":"2026-01-05T10:00:00Z","article":"K-1","visitor":"v-123"}
{"type":"cost","at":"2026-01-01T00:00:00Z","period":"month","category":"staff","amount":"12000.00","currency":"USD"}
{"type":"opportunity","at":"2026-01-05T10:00:00Z","ticket":"T-1","agent":"A-2","kind":"upsell","amount":"300.00","currency":"USD","status":"won"}
{"type":"customer.lifecycle","at":"2026-01-05T10:00:00Z","customer":"C-9","state":"active"}"#;

    #[test]
    fn every_mission_example_parses_and_round_trips() {
        for line in MISSION_EXAMPLES.lines() {
            let event = Event::parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let again = Event::parse_line(&event.to_line()).unwrap();
            assert_eq!(event, again, "{line}");
        }
    }

    #[test]
    fn sanjeh_extension_types_round_trip() {
        let lines = r#"{"type":"agent.availability","at":"2026-01-05T08:00:00Z","agent":"A-2","state":"available"}
{"type":"agent.availability","at":"2026-01-05T12:00:00Z","agent":"A-2","state":"paused","queue":"support","reason":"lunch"}
{"type":"agent.availability","at":"2026-01-05T17:00:00Z","agent":"A-2","state":"logged_out"}"#;
        for line in lines.lines() {
            let event = Event::parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(event.to_line(), line);
        }
        let bad = Event::parse_line(
            r#"{"type":"agent.availability","at":"2026-01-05T08:00:00Z","agent":"A-2","state":"asleep"}"#,
        );
        assert_eq!(bad.unwrap_err().field, "state");
    }

    #[test]
    fn unknown_fields_are_kept() {
        let e = Event::parse_line(
            r#"{"type":"call.abandoned","at":"2026-01-05T10:00:30Z","call":"X-7","position":3}"#,
        )
        .unwrap();
        assert_eq!(e.extra.get("position"), Some(&Value::from(3)));
        assert!(e.to_line().contains("\"position\":3"));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"type":"ticket.nope","at":"2026-01-05T10:00:30Z"}"#,
                "type",
            ),
            (
                r#"{"type":"ticket.status","at":"yesterday","ticket":"T","status":"open"}"#,
                "at",
            ),
            (
                r#"{"type":"ticket.status","at":"2026-01-05T10:00:30Z","status":"open"}"#,
                "ticket",
            ),
            (
                r#"{"type":"ticket.status","at":"2026-01-05T10:00:30Z","ticket":"T","status":"done"}"#,
                "status",
            ),
            (
                r#"{"type":"survey.response","at":"2026-01-05T10:00:30Z","survey":"nps","score":11}"#,
                "score",
            ),
            (
                r#"{"type":"cost","at":"2026-01-05T10:00:30Z","period":"month","category":"staff","amount":12.5,"currency":"USD"}"#,
                "amount",
            ),
            (r#"[1,2]"#, "json"),
            (
                r#"{"type":"ticket.message","at":"2026-01-05T10:00:30Z","ticket":"T","author":"robot:1"}"#,
                "author",
            ),
        ];
        for (line, field) in cases {
            let err = Event::parse_line(line).unwrap_err();
            assert_eq!(err.field, field, "{line}: {err}");
        }
    }

    #[test]
    fn money_stays_exact() {
        let e = Event::parse_line(
            r#"{"type":"cost","at":"2026-01-01T00:00:00Z","period":"month","category":"tools","amount":"0.10","currency":"EUR"}"#,
        )
        .unwrap();
        let EventBody::Cost(c) = e.body else { panic!() };
        assert_eq!(c.amount.to_string(), "0.10");
    }

    #[test]
    fn sla_config_events_round_trip_and_name_the_field() {
        let line = r#"{"type":"sla.policies","at":"2026-01-05T10:00:00Z","policies":[{"id":"p","name":"P","targets":{"normal":{"first_reply":{"minutes":60}}}}]}"#;
        let e = Event::parse_line(line).unwrap();
        assert_eq!(e.body.type_name(), "sla.policies");
        assert_eq!(Event::parse_line(&e.to_line()).unwrap(), e);
        let line = r#"{"type":"calendars","at":"2026-01-05T10:00:00Z","default":{"time_zone":"UTC","intervals":[]},"groups":{"billing":{"time_zone":"Asia/Tehran","intervals":[]}}}"#;
        let e = Event::parse_line(line).unwrap();
        assert_eq!(e.body.type_name(), "calendars");
        assert_eq!(Event::parse_line(&e.to_line()).unwrap(), e);
        for (line, field) in [
            (
                r#"{"type":"sla.policies","at":"2026-01-05T10:00:00Z"}"#,
                "policies",
            ),
            (
                r#"{"type":"sla.policies","at":"2026-01-05T10:00:00Z","policies":{}}"#,
                "policies",
            ),
            (
                r#"{"type":"calendars","at":"2026-01-05T10:00:00Z","groups":[1]}"#,
                "groups",
            ),
        ] {
            assert_eq!(Event::parse_line(line).unwrap_err().field, field, "{line}");
        }
    }

    #[test]
    fn macro_events_round_trip_and_name_the_field() {
        let line = r#"{"type":"macro","at":"2026-01-05T10:00:00Z","macro":"MAC-1","name":"Refund","body":"Hi {{customer.name}}","owner":"A-1","status":"solved","priority":"high","tags":["Refund"],"by":"agent:A-1"}"#;
        let e = Event::parse_line(line).unwrap();
        let EventBody::Macro(m) = &e.body else {
            panic!("not a macro: {e:?}");
        };
        assert_eq!(m.tags, vec!["refund".to_owned()]);
        assert_eq!(m.status, Some(Status::Solved));
        assert!(!m.deleted);
        assert_eq!(e.body.ticket(), None);
        assert_eq!(Event::parse_line(&e.to_line()).unwrap(), e);
        for (line, field) in [
            (
                r#"{"type":"macro","at":"2026-01-05T10:00:00Z","name":"x"}"#,
                "macro",
            ),
            (
                r#"{"type":"macro","at":"2026-01-05T10:00:00Z","macro":"M","name":" "}"#,
                "name",
            ),
            (
                r#"{"type":"macro","at":"2026-01-05T10:00:00Z","macro":"M","name":"x","status":"done"}"#,
                "status",
            ),
        ] {
            assert_eq!(Event::parse_line(line).unwrap_err().field, field, "{line}");
        }
    }
}
