//! Reads and user preferences for the agent workspace of the web UI: macros (folded from their
//! configuration events), saved filters, each user's time zone, and what the ticket page shows
//! beside the conversation (tickets merged into it, the customer's survey answers and calls,
//! opportunities logged on the ticket). Indexes and tables: migration `0010_workspace.sql`.

use crate::backend::{Store, on_read, on_write};
use crate::error::StoreError;
use sanjeh_domain::Event;
use sanjeh_domain::event::{EventBody, Macro};
use serde::Serialize;
use std::collections::BTreeMap;

/// A saved ticket filter: the list's query string under a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SavedFilter {
    pub id: String,
    pub owner: String,
    pub name: String,
    /// Shown to the whole team, not only to its owner.
    pub shared: bool,
    /// The ticket list's query string (`status=open&tag=vip`).
    pub query: String,
    pub created_at: i64,
}

/// A survey answer of a customer, for the ticket page's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SurveyAnswer {
    pub at: i64,
    pub survey: String,
    pub score: Option<i64>,
    pub rating: Option<String>,
    pub ticket: Option<String>,
    pub comment: Option<String>,
}

/// A call of a customer, for the ticket page's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CallRecord {
    pub id: String,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub queued_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub abandoned_at: Option<i64>,
    pub ended_at: Option<i64>,
}

/// An opportunity logged on a ticket (`amount` is the decimal as recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OpportunityRecord {
    pub seq: i64,
    pub at: i64,
    pub agent: Option<String>,
    pub kind: String,
    pub amount: String,
    pub currency: String,
    pub status: String,
}

/// How many rows of a customer's history the ticket page shows.
const HISTORY: i64 = 50;

impl Store {
    /// Every macro not deleted, by id: the last `macro` event of each id wins.
    pub async fn macros(&self) -> Result<Vec<Macro>, StoreError> {
        let lines: Vec<(i64, String)> = on_read!(self, p => sqlx::query_as(
            "SELECT seq, payload FROM events WHERE type = 'macro' ORDER BY seq")
            .fetch_all(p).await)?;
        let mut by_id = BTreeMap::new();
        for (seq, line) in lines {
            let event = Event::parse_line(&line)
                .map_err(|e| StoreError::corrupt(format!("event {seq}: {e}")))?;
            if let EventBody::Macro(m) = event.body {
                by_id.insert(m.id.to_string(), m);
            }
        }
        Ok(by_id.into_values().filter(|m| !m.deleted).collect())
    }

    /// Saved filters `agent` sees: their own and those shared with the team, by name.
    pub async fn saved_filters(&self, agent: &str) -> Result<Vec<SavedFilter>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT id, owner, name, shared, query, created_at FROM web_saved_filters \
             WHERE owner = $1 OR shared ORDER BY name, id")
            .bind(agent).fetch_all(p).await)?)
    }

    pub async fn saved_filter(&self, id: &str) -> Result<Option<SavedFilter>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT id, owner, name, shared, query, created_at FROM web_saved_filters WHERE id = $1")
            .bind(id).fetch_optional(p).await)?)
    }

    pub async fn save_filter(&self, f: &SavedFilter) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO web_saved_filters (id, owner, name, shared, query, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&f.id).bind(&f.owner).bind(&f.name).bind(f.shared).bind(&f.query)
            .bind(f.created_at).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Deletes a saved filter; false when there was none with that id.
    pub async fn delete_saved_filter(&self, id: &str) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query("DELETE FROM web_saved_filters WHERE id = $1")
            .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The time zone `agent` picked (an IANA name), if any.
    pub async fn web_time_zone(&self, agent: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT time_zone FROM web_time_zones WHERE agent = $1")
            .bind(agent).fetch_optional(p).await)?)
    }

    pub async fn set_web_time_zone(&self, agent: &str, zone: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO web_time_zones (agent, time_zone) VALUES ($1, $2) \
             ON CONFLICT (agent) DO UPDATE SET time_zone = excluded.time_zone")
            .bind(agent).bind(zone).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The tickets merged into `ticket`, in id order.
    pub async fn merged_into(&self, ticket: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT id FROM tickets WHERE merged_into = $1 ORDER BY id")
            .bind(ticket).fetch_all(p).await)?)
    }

    /// A customer's survey answers, newest first: those naming the customer and those on
    /// their tickets.
    pub async fn customer_surveys(&self, customer: &str) -> Result<Vec<SurveyAnswer>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT at, survey, score, rating, ticket, comment FROM surveys WHERE customer = $1 \
             UNION \
             SELECT s.at, s.survey, s.score, s.rating, s.ticket, s.comment FROM surveys s \
               JOIN tickets t ON t.id = s.ticket WHERE t.customer = $1 AND s.customer IS NULL \
             ORDER BY at DESC LIMIT $2")
            .bind(customer).bind(HISTORY).fetch_all(p).await)?)
    }

    /// A customer's calls, newest first.
    pub async fn customer_calls(&self, customer: &str) -> Result<Vec<CallRecord>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT id, queue, agent, queued_at, answered_at, abandoned_at, ended_at FROM calls \
             WHERE customer = $1 ORDER BY COALESCE(queued_at, answered_at, ended_at) DESC, id \
             LIMIT $2")
            .bind(customer).bind(HISTORY).fetch_all(p).await)?)
    }

    /// Opportunities logged on `ticket`, in order.
    pub async fn ticket_opportunities(
        &self,
        ticket: &str,
    ) -> Result<Vec<OpportunityRecord>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT seq, at, agent, kind, amount, currency, status FROM opportunities \
             WHERE ticket = $1 ORDER BY seq")
            .bind(ticket).fetch_all(p).await)?)
    }
}
