//! Every JSON shape the API reads or writes, in one place.
//!
//! Responses are built from domain values (`TicketState`, events) and the store's read views,
//! never serialized from them directly: the wire format is a promise to clients and must not
//! move when a table or a domain struct does. Instants are RFC 3339 strings (UTC); durations
//! are whole milliseconds (`*_ms`).
//!
//! Request bodies refuse unknown fields, so a misspelt field is a 422 naming it rather than a
//! silently ignored change.

use crate::error::ApiError;
use sanjeh_domain::event::{AgentProfile, CustomerProfile, LifecycleState};
use sanjeh_domain::{Channel, Kind, Millis, Priority, Status, TicketFacts, TicketState};
use sanjeh_store::auth::{Role, TokenInfo};
use sanjeh_store::read::{AgentView, CustomerView, GroupView, MessageView};
use serde::{Deserialize, Deserializer, Serialize};

/// Epoch milliseconds as RFC 3339 (UTC, fractional seconds only when non-zero).
pub(crate) fn rfc3339(ms: Millis) -> String {
    sanjeh_domain::from_millis(ms).to_string()
}

fn opt_rfc3339(ms: Option<Millis>) -> Option<String> {
    ms.map(rfc3339)
}

fn opt_string<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

// ---------------------------------------------------------------------------------------------
// Responses

/// One page of a list and the cursor of the next (absent on the last page).
#[derive(Debug, Serialize)]
pub(crate) struct PageDto<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A whole (unpaged) list.
#[derive(Debug, Serialize)]
pub(crate) struct ListDto<T> {
    pub items: Vec<T>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TicketDto {
    pub id: String,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub kind: Option<Kind>,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub customer: Option<String>,
    pub organization: Option<String>,
    pub tags: Vec<String>,
    pub merged_into: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub facts: FactsDto,
}

/// A ticket's metric facts: the raw material of its KPIs.
#[derive(Debug, Serialize)]
pub(crate) struct FactsDto {
    /// Opened by an agent: such tickets have no first reply time.
    pub outbound: bool,
    pub first_reply_at: Option<String>,
    pub first_reply_by: Option<String>,
    pub first_reply_ms: Option<i64>,
    pub first_solved_at: Option<String>,
    pub last_solved_at: Option<String>,
    pub first_resolution_ms: Option<i64>,
    pub full_resolution_ms: Option<i64>,
    pub solved_by: Option<String>,
    pub solves: i64,
    pub reopens: i64,
    pub agent_replies: i64,
    pub customer_messages: i64,
    pub internal_notes: i64,
    pub bot_messages: i64,
    pub assignments: i64,
    pub first_assigned_at: Option<String>,
    /// Time in new and open up to the last solve.
    pub handle_ms: Option<i64>,
    /// Time in new, open and on_hold up to the last solve.
    pub requester_wait_ms: Option<i64>,
    /// The earliest customer message still waiting for an agent reply.
    pub awaiting_since: Option<String>,
    pub last_customer_message_at: Option<String>,
    pub last_agent_reply_at: Option<String>,
    pub merged_at: Option<String>,
    /// When the current status began.
    pub status_since: String,
    /// Time spent in each status up to `status_since` (the current stretch not included).
    pub status_ms: StatusMsDto,
}

/// Milliseconds per status, in the statuses' natural order.
#[derive(Debug, Serialize)]
pub(crate) struct StatusMsDto {
    pub new: i64,
    pub open: i64,
    pub pending: i64,
    pub on_hold: i64,
    pub solved: i64,
    pub closed: i64,
}

impl From<&[i64; 6]> for StatusMsDto {
    fn from(ms: &[i64; 6]) -> StatusMsDto {
        let of = |s: Status| ms[s.index()];
        StatusMsDto {
            new: of(Status::New),
            open: of(Status::Open),
            pending: of(Status::Pending),
            on_hold: of(Status::OnHold),
            solved: of(Status::Solved),
            closed: of(Status::Closed),
        }
    }
}

impl From<&TicketFacts> for FactsDto {
    fn from(f: &TicketFacts) -> FactsDto {
        FactsDto {
            outbound: f.outbound,
            first_reply_at: opt_rfc3339(f.first_reply_at),
            first_reply_by: opt_string(&f.first_reply_by),
            first_reply_ms: f.first_reply_ms(),
            first_solved_at: opt_rfc3339(f.first_solved_at),
            last_solved_at: opt_rfc3339(f.last_solved_at),
            first_resolution_ms: f.first_resolution_ms(),
            full_resolution_ms: f.full_resolution_ms(),
            solved_by: opt_string(&f.solved_by),
            solves: f.solves,
            reopens: f.reopens,
            agent_replies: f.agent_replies,
            customer_messages: f.customer_messages,
            internal_notes: f.internal_notes,
            bot_messages: f.bot_messages,
            assignments: f.assignments,
            first_assigned_at: opt_rfc3339(f.first_assigned_at),
            handle_ms: f.handle_ms,
            requester_wait_ms: f.requester_wait_ms,
            awaiting_since: opt_rfc3339(f.awaiting_since),
            last_customer_message_at: opt_rfc3339(f.last_customer_message_at),
            last_agent_reply_at: opt_rfc3339(f.last_agent_reply_at),
            merged_at: opt_rfc3339(f.merged_at),
            status_since: rfc3339(f.status_since),
            status_ms: StatusMsDto::from(&f.status_ms),
        }
    }
}

impl From<&TicketState> for TicketDto {
    fn from(t: &TicketState) -> TicketDto {
        TicketDto {
            id: t.id.to_string(),
            subject: t.subject.clone(),
            status: t.status,
            priority: t.priority,
            channel: t.channel,
            kind: t.kind,
            group: opt_string(&t.group),
            assignee: opt_string(&t.assignee),
            customer: opt_string(&t.customer),
            organization: opt_string(&t.organization),
            tags: t.tags.clone(),
            merged_into: opt_string(&t.merged_into),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            facts: FactsDto::from(&t.facts),
        }
    }
}

/// The answer to a merge: the merged-away ticket (now closed) and the one it went into.
#[derive(Debug, Serialize)]
pub(crate) struct MergedDto {
    pub ticket: TicketDto,
    pub into: TicketDto,
}

#[derive(Debug, Serialize)]
pub(crate) struct MessageDto {
    pub id: i64,
    pub ticket: String,
    pub at: String,
    /// `agent:ID`, `customer:ID`, `bot:ID` or `system`.
    pub author: String,
    /// False for an internal note.
    pub public: bool,
    pub channel: Option<String>,
    pub body: String,
}

impl From<MessageView> for MessageDto {
    fn from(m: MessageView) -> MessageDto {
        let author = match m.author_id {
            Some(id) => format!("{}:{id}", m.author_kind),
            None => m.author_kind,
        };
        MessageDto {
            id: m.id,
            ticket: m.ticket,
            at: rfc3339(m.at),
            author,
            public: m.public,
            channel: m.channel,
            body: m.body,
        }
    }
}

/// A message just posted, and the status its ticket is in afterwards (a customer reply
/// reopens a solved ticket; the first agent reply opens a new one).
#[derive(Debug, Serialize)]
pub(crate) struct PostedMessageDto {
    #[serde(flatten)]
    pub message: MessageDto,
    pub ticket_status: Status,
}

/// One event of a ticket's history: its place in the log and its interchange object.
#[derive(Debug, Serialize)]
pub(crate) struct EventDto {
    pub seq: i64,
    pub event: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub(crate) struct IngestDto {
    pub added: u64,
    pub duplicates: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct AgentDto {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// `agent`, `admin` or `manager` (a profile attribute, not an API token role).
    pub role: String,
    pub groups: Vec<String>,
    pub active: bool,
}

impl TryFrom<AgentView> for AgentDto {
    type Error = ApiError;
    fn try_from(a: AgentView) -> Result<AgentDto, ApiError> {
        let groups = match a.group_ids.as_deref() {
            None => Vec::new(),
            Some(raw) => serde_json::from_str(raw).map_err(|e| {
                ApiError::internal(&format!("agent {}: group_ids {raw:?}: {e}", a.id))
            })?,
        };
        // The schema's reading of NULLs: role agent, no groups, active.
        Ok(AgentDto {
            id: a.id,
            name: a.name,
            email: a.email,
            role: a.role.unwrap_or_else(|| "agent".into()),
            groups,
            active: a.active.unwrap_or(true),
        })
    }
}

impl From<&AgentProfile> for AgentDto {
    fn from(a: &AgentProfile) -> AgentDto {
        AgentDto {
            id: a.agent.to_string(),
            name: a.name.clone(),
            email: a.email.clone(),
            role: a.role.clone().unwrap_or_else(|| "agent".into()),
            groups: a.groups.iter().flatten().map(ToString::to_string).collect(),
            active: a.active.unwrap_or(true),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct GroupDto {
    pub id: String,
    pub name: Option<String>,
}

impl From<GroupView> for GroupDto {
    fn from(g: GroupView) -> GroupDto {
        GroupDto {
            id: g.id,
            name: g.name,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CustomerDto {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
    pub language: Option<String>,
    /// `lead`, `active`, `inactive` or `churned`, from the latest `customer.lifecycle` event.
    pub lifecycle: Option<String>,
    /// Mail to this customer that bounced (`crate::bounces::attach` fills it in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_bounces: Option<crate::bounces::EmailBouncesDto>,
}

impl From<CustomerView> for CustomerDto {
    fn from(c: CustomerView) -> CustomerDto {
        CustomerDto {
            id: c.id,
            name: c.name,
            email: c.email,
            organization: c.organization,
            language: c.language,
            lifecycle: c.lifecycle,
            email_bounces: None,
        }
    }
}

impl CustomerDto {
    pub fn from_profile(p: &CustomerProfile, lifecycle: Option<&str>) -> CustomerDto {
        CustomerDto {
            id: p.customer.to_string(),
            name: p.name.clone(),
            email: p.email.clone(),
            organization: opt_string(&p.organization),
            language: p.language.clone(),
            lifecycle: lifecycle.map(str::to_owned),
            email_bounces: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct TokenDto {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub agent: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<TokenInfo> for TokenDto {
    fn from(t: TokenInfo) -> TokenDto {
        TokenDto {
            id: t.id,
            name: t.name,
            role: t.role,
            agent: t.agent,
            created_at: rfc3339(t.created_at),
            revoked_at: opt_rfc3339(t.revoked_at),
        }
    }
}

/// A token just issued: the only response that ever holds its secret.
#[derive(Debug, Serialize)]
pub(crate) struct IssuedTokenDto {
    #[serde(flatten)]
    pub token: TokenDto,
    pub secret: String,
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`), for PATCH.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn yes() -> bool {
    true
}

/// `POST /tickets`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTicketBody {
    /// The ticket's id; one is made when absent.
    pub id: Option<String>,
    pub subject: String,
    /// Required unless `outbound`.
    pub customer: Option<String>,
    pub organization: Option<String>,
    /// Defaults to `api`.
    pub channel: Option<Channel>,
    /// Defaults to `normal`.
    pub priority: Option<Priority>,
    pub group: Option<String>,
    pub tags: Option<Vec<String>>,
    pub kind: Option<Kind>,
    /// The opening message, by the customer (or, when outbound, the token's agent).
    pub body: Option<String>,
    pub assignee: Option<String>,
    /// Opened by the token's agent rather than a customer: no first reply time.
    #[serde(default)]
    pub outbound: bool,
}

/// `PATCH /tickets/{id}`: absent fields stay as they are; `"assignee": null` unassigns.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TicketPatchBody {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "nullable")]
    pub assignee: Option<Option<String>>,
    pub group: Option<String>,
    pub tags: Option<Vec<String>>,
    pub kind: Option<Kind>,
    pub subject: Option<String>,
}

/// `POST /tickets/{id}/merge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MergeBody {
    pub into: String,
}

/// `POST /tickets/{id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMessageBody {
    /// `agent:ID`, `customer:ID`, `bot:ID` or `system`; defaults to the token's agent.
    pub author: Option<String>,
    /// False makes an internal note.
    #[serde(default = "yes")]
    pub public: bool,
    pub body: String,
    pub channel: Option<Channel>,
    /// Files sent with the message; an agent's reply mails them as attachments.
    #[serde(default)]
    pub attachments: Vec<crate::reply_files::FileBody>,
}

/// An agent profile's role attribute (not a token role).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AgentRole {
    Agent,
    Admin,
    Manager,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Agent => "agent",
            AgentRole::Admin => "admin",
            AgentRole::Manager => "manager",
        }
    }
}

/// `POST /agents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAgentBody {
    pub id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub role: Option<AgentRole>,
    pub groups: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// `PATCH /agents/{id}`: absent fields stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentPatchBody {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<AgentRole>,
    pub groups: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// `POST /groups`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGroupBody {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Lifecycle {
    Lead,
    Active,
    Inactive,
    Churned,
}

impl From<Lifecycle> for LifecycleState {
    fn from(l: Lifecycle) -> LifecycleState {
        match l {
            Lifecycle::Lead => LifecycleState::Lead,
            Lifecycle::Active => LifecycleState::Active,
            Lifecycle::Inactive => LifecycleState::Inactive,
            Lifecycle::Churned => LifecycleState::Churned,
        }
    }
}

/// `POST /customers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCustomerBody {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
    pub language: Option<String>,
    pub lifecycle: Option<Lifecycle>,
}

/// `PATCH /customers/{id}`: absent fields stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerPatchBody {
    pub name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
    pub language: Option<String>,
    pub lifecycle: Option<Lifecycle>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenRole {
    Admin,
    Agent,
    Reporter,
}

impl From<TokenRole> for Role {
    fn from(r: TokenRole) -> Role {
        match r {
            TokenRole::Admin => Role::Admin,
            TokenRole::Agent => Role::Agent,
            TokenRole::Reporter => Role::Reporter,
        }
    }
}

/// `POST /tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    pub name: String,
    pub role: TokenRole,
    /// The agent the token acts as: its changes and messages are attributed to them.
    pub agent: Option<String>,
}

/// `GET /tickets` filters; all optional, combined with AND.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TicketQuery {
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub group: Option<String>,
    pub channel: Option<Channel>,
    pub customer: Option<String>,
    /// RFC 3339; only tickets updated at or after it.
    pub updated_since: Option<jiff::Timestamp>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Paging of a plain list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}
