//! Reads for the API and the CLI: tickets with filters and cursor pagination, messages,
//! agents, groups, customers and a ticket's events. Reads use their own connections, so they
//! never wait for the writer.

use crate::backend::{Store, on_read};
use crate::error::StoreError;
use crate::rows::{TICKET_SELECT, TicketRow};
use sanjeh_domain::explain::{Explanation, explain};
use sanjeh_domain::{Channel, Event, Id, Priority, Status, TicketState};
use serde::Serialize;

/// A ticket as the API shows it.
pub type TicketView = TicketState;

/// Filters for listing tickets; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub assignee: Option<Id>,
    pub group: Option<Id>,
    pub channel: Option<Channel>,
    pub customer: Option<Id>,
    /// Only tickets updated at or after this instant (epoch ms).
    pub updated_since: Option<i64>,
    /// Only tickets nobody is assigned to.
    pub unassigned: bool,
    /// Only tickets in an unsolved status (new, open, pending, on hold); ignored when
    /// `status` is set.
    pub unsolved: bool,
    pub priority: Option<Priority>,
    /// Only tickets carrying this tag.
    pub tag: Option<String>,
    /// Only tickets whose subject contains this text (case-insensitive; SQLite folds ASCII
    /// letters only).
    pub subject_contains: Option<String>,
    /// Newest first (the cursor then pages backwards).
    pub descending: bool,
    /// Where the previous page ended (from [`Page::next_cursor`] or [`cursor_of`]).
    pub cursor: Option<String>,
    pub limit: u32,
}

/// The statuses of a ticket still to be worked.
pub const UNSOLVED: [Status; 4] = [Status::New, Status::Open, Status::Pending, Status::OnHold];

/// A cursor that starts a list just after (or, descending, just before) `ticket`.
pub fn cursor_of(ticket: &TicketState) -> String {
    encode_cursor(ticket.created_at, ticket.id.as_str())
}

/// `text` with LIKE's wildcards escaped (the escape character is `\\`).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MessageView {
    pub id: i64,
    pub ticket: String,
    pub at: i64,
    pub author_kind: String,
    pub author_id: Option<String>,
    pub public: bool,
    pub channel: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AgentView {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub group_ids: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GroupView {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CustomerView {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub organization: Option<String>,
    pub language: Option<String>,
    pub lifecycle: Option<String>,
}

/// A ticket list cursor: the (created_at, id) the last page ended on, hex-encoded.
fn encode_cursor(created_at: i64, id: &str) -> String {
    hex::encode(format!("{created_at}\t{id}"))
}

fn decode_cursor(raw: &str) -> Result<(i64, String), StoreError> {
    let bad = || StoreError::Conflict {
        field: "cursor".into(),
        message: "not a cursor this server issued".into(),
    };
    let bytes = hex::decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once('\t').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// Upper bound on a page, whatever the client asks.
pub const MAX_PAGE: u32 = 500;

impl Store {
    pub async fn ticket(&self, id: &str) -> Result<Option<TicketState>, StoreError> {
        let row: Option<TicketRow> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE t.id = $1")))
            .bind(id)
            .fetch_optional(p)
            .await)?;
        row.map(TicketState::try_from).transpose()
    }

    /// Tickets in creation order, filtered, one page at a time.
    pub async fn tickets(&self, f: &TicketFilter) -> Result<Page<TicketState>, StoreError> {
        let limit = f.limit.clamp(1, MAX_PAGE);
        let cursor = f.cursor.as_deref().map(decode_cursor).transpose()?;
        let rows: Vec<TicketRow> = on_read!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(TICKET_SELECT);
            qb.push(" WHERE 1 = 1");
            if let Some(s) = f.status {
                qb.push(" AND t.status = ").push_bind(s.as_str());
            }
            if let Some(a) = &f.assignee {
                qb.push(" AND t.assignee = ").push_bind(a.as_str().to_owned());
            }
            if let Some(g) = &f.group {
                qb.push(" AND t.group_id = ").push_bind(g.as_str().to_owned());
            }
            if let Some(c) = f.channel {
                qb.push(" AND t.channel = ").push_bind(c.as_str());
            }
            if let Some(c) = &f.customer {
                qb.push(" AND t.customer = ").push_bind(c.as_str().to_owned());
            }
            if let Some(since) = f.updated_since {
                qb.push(" AND t.updated_at >= ").push_bind(since);
            }
            if f.unassigned {
                qb.push(" AND t.assignee IS NULL");
            }
            if f.unsolved && f.status.is_none() {
                // Literal, so the partial indexes of migration 0010 (same list) apply.
                qb.push(" AND t.status IN ('new', 'open', 'pending', 'on_hold')");
            }
            if let Some(p) = f.priority {
                qb.push(" AND t.priority = ").push_bind(p.as_str());
            }
            if let Some(tag) = &f.tag {
                // Tags are a JSON array of normalized strings: match the quoted element.
                qb.push(" AND t.tags LIKE ")
                    .push_bind(format!("%\"{}\"%", like_escape(tag)))
                    .push(" ESCAPE '\\'");
            }
            if let Some(text) = f.subject_contains.as_deref().filter(|t| !t.is_empty()) {
                qb.push(" AND LOWER(t.subject) LIKE ")
                    .push_bind(format!("%{}%", like_escape(&text.to_lowercase())))
                    .push(" ESCAPE '\\'");
            }
            let (after, order) = if f.descending {
                (" AND t.id < ", " ORDER BY t.created_at DESC, t.id DESC LIMIT ")
            } else {
                (" AND t.id > ", " ORDER BY t.created_at, t.id LIMIT ")
            };
            if let Some((at, id)) = &cursor {
                qb.push(if f.descending { " AND (t.created_at < " } else { " AND (t.created_at > " }).push_bind(*at);
                qb.push(" OR (t.created_at = ").push_bind(*at);
                qb.push(after).push_bind(id.clone()).push("))");
            }
            qb.push(order)
                .push_bind(i64::from(limit) + 1);
            qb.build_query_as().fetch_all(p).await
        })?;
        let mut items = rows
            .into_iter()
            .map(TicketState::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|t| encode_cursor(t.created_at, t.id.as_str()))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// A ticket's messages in order; internal notes only when asked for.
    pub async fn messages(
        &self,
        ticket: &str,
        include_internal: bool,
    ) -> Result<Vec<MessageView>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT id, ticket, at, author_kind, author_id, public, channel, body FROM messages \
             WHERE ticket = $1 AND (public OR $2) ORDER BY id")
            .bind(ticket)
            .bind(include_internal)
            .fetch_all(p)
            .await)?)
    }

    /// A ticket's events in the order they were applied: (seq, interchange line).
    pub async fn ticket_events(&self, ticket: &str) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_as("SELECT seq, payload FROM events WHERE ticket = $1 ORDER BY seq")
            .bind(ticket)
            .fetch_all(p)
            .await)?,
        )
    }

    /// A ticket's metrics with the events that produced them (see
    /// [`sanjeh_domain::explain`]); `None` when the ticket does not exist.
    pub async fn explain_ticket(
        &self,
        ticket: &str,
        now_ms: i64,
    ) -> Result<Option<Explanation>, StoreError> {
        let events = self
            .ticket_events(ticket)
            .await?
            .into_iter()
            .map(|(seq, line)| {
                Event::parse_line(&line)
                    .map(|e| (seq, e))
                    .map_err(|e| StoreError::corrupt(format!("event {seq}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(explain(&events, now_ms))
    }

    pub async fn agents(&self) -> Result<Vec<AgentView>, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_as("SELECT id, name, email, role, group_ids, active FROM agents ORDER BY id")
            .fetch_all(p)
            .await)?,
        )
    }

    pub async fn agent(&self, id: &str) -> Result<Option<AgentView>, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_as("SELECT id, name, email, role, group_ids, active FROM agents WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?,
        )
    }

    pub async fn groups(&self) -> Result<Vec<GroupView>, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_as("SELECT id, name FROM agent_groups ORDER BY id").fetch_all(p).await)?,
        )
    }

    /// Customers in id order, a page at a time (`after` is the last id of the previous page).
    pub async fn customers(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<CustomerView>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut items: Vec<CustomerView> = on_read!(self, p => sqlx::query_as(
            "SELECT id, name, email, organization, language, lifecycle FROM customers \
             WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit) + 1)
            .fetch_all(p)
            .await)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| c.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    pub async fn customer(&self, id: &str) -> Result<Option<CustomerView>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT id, name, email, organization, language, lifecycle FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(p).await)?,
        )
    }
}
