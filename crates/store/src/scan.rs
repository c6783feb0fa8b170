//! Full scans in storage order, for building in-memory aggregates at start (the KPI engine's
//! dataset) and for exports of facts. Each streams rows; memory stays flat.

use crate::backend::{Store, on_read};
use crate::error::StoreError;
use crate::rows::{TICKET_SELECT, TicketRow, id};
use futures::TryStreamExt;
use sanjeh_domain::{Event, Id, ReplyInterval, Solve, Status, StatusSpan, TicketState};

impl Store {
    /// Every ticket with its facts, in storage order.
    pub async fn scan_tickets(
        &self,
        mut f: impl FnMut(TicketState) + Send,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let sql = TICKET_SELECT.to_owned();
            let mut rows = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(sql)).fetch(p);
            while let Some(row) = rows.try_next().await? {
                f(TicketState::try_from(row)?);
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every reply interval (samples of reply time), in log order.
    pub async fn scan_replies(
        &self,
        mut f: impl FnMut(ReplyInterval) + Send,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, i64, i64, String, bool)>(
                "SELECT ticket, waiting_since, replied_at, agent, first FROM reply_intervals ORDER BY seq").fetch(p);
            while let Some((ticket, waiting_since, replied_at, agent, first)) = rows.try_next().await? {
                f(ReplyInterval { ticket: id("ticket", ticket)?, waiting_since, replied_at, agent: id("agent", agent)?, first });
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every solve, in log order.
    pub async fn scan_solves(&self, mut f: impl FnMut(Solve) + Send) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, i64, Option<String>, String)>(
                "SELECT ticket, at, agent, tags FROM solves ORDER BY seq").fetch(p);
            while let Some((ticket, at, agent, tags)) = rows.try_next().await? {
                let tags = serde_json::from_str(&tags).map_err(|e| StoreError::corrupt(format!("solve tags: {e}")))?;
                f(Solve { ticket: id("ticket", ticket)?, at, agent: agent.map(|a| id("agent", a)).transpose()?, tags });
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every reopen: ticket and instant, in log order.
    pub async fn scan_reopens(&self, mut f: impl FnMut(Id, i64) + Send) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, i64)>("SELECT ticket, at FROM reopens ORDER BY seq").fetch(p);
            while let Some((ticket, at)) = rows.try_next().await? {
                f(id("ticket", ticket)?, at);
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every stretch of time a ticket spent in new, open or on hold, in log order.
    pub async fn scan_status_spans(
        &self,
        mut f: impl FnMut(StatusSpan) + Send,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, String, i64, i64)>(
                "SELECT ticket, status, started_at, ended_at FROM status_spans ORDER BY seq").fetch(p);
            while let Some((ticket, status, from, to)) = rows.try_next().await? {
                let status = Status::parse("status", &status).map_err(|e| StoreError::corrupt(e.to_string()))?;
                f(StatusSpan { ticket: id("ticket", ticket)?, status, from, to });
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every agent action (reply, note, status change…): agent and instant, in log order.
    pub async fn scan_agent_activity(
        &self,
        mut f: impl FnMut(Id, i64) + Send,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, i64)>("SELECT agent, at FROM agent_activity ORDER BY seq").fetch(p);
            while let Some((agent, at)) = rows.try_next().await? {
                f(id("agent", agent)?, at);
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }

    /// Every event that is not a ticket change (surveys, calls, votes, views, costs,
    /// opportunities, lifecycle, profiles), parsed, in log order.
    pub async fn scan_other_events(
        &self,
        mut f: impl FnMut(Event) + Send,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        on_read!(self, p => {
            let mut rows = sqlx::query_as::<_, (i64, String)>(
                "SELECT seq, payload FROM events WHERE type NOT LIKE 'ticket.%' ORDER BY seq").fetch(p);
            while let Some((seq, payload)) = rows.try_next().await? {
                let event = Event::parse_line(&payload).map_err(|e| StoreError::corrupt(format!("event {seq}: {e}")))?;
                f(event);
                n += 1;
            }
            Ok::<(), StoreError>(())
        })?;
        Ok(n)
    }
}
