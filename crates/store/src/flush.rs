//! Writes a folded batch: the events and every row derived from them, in the caller's
//! transaction. Multi-row statements keep the statement count per batch small.

use crate::backend::{Tx, on_tx};
use crate::changes::{Changes, EventRow, MessageRow};
use crate::error::StoreError;
use crate::rows::json_list;
use sanjeh_domain::event::{AgentProfile, CustomerProfile, EventBody, Score};
use sanjeh_domain::{Id, TicketState};
use std::collections::HashMap;

/// Inserts `rows` in as few statements as the bind-parameter limits allow. With `mut`, the
/// binding sees each row mutably, to move its long strings into the statement.
macro_rules! insert_many {
    (@by $chunks:ident, $t:expr, $head:expr, $ncols:expr, $rows:expr, |$b:ident, $r:ident| $bind:block, $tail:expr) => {{
        let per_statement = (30_000 / $ncols).clamp(1, 1000);
        for chunk in $rows.$chunks(per_statement) {
            let mut qb = sqlx::QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $r| $bind);
            qb.push($tail);
            qb.build().execute(&mut **$t).await?;
        }
    }};
    ($t:expr, $head:expr, $ncols:expr, mut $rows:expr, |$b:ident, $r:ident| $bind:block, $tail:expr) => {
        insert_many!(@by chunks_mut, $t, $head, $ncols, $rows, |$b, $r| $bind, $tail)
    };
    ($t:expr, $head:expr, $ncols:expr, $rows:expr, |$b:ident, $r:ident| $bind:block, $tail:expr) => {
        insert_many!(@by chunks, $t, $head, $ncols, $rows, |$b, $r| $bind, $tail)
    };
}

/// The rows whose strings move into their statements instead of being copied: the log's lines
/// and the messages' bodies are most of a batch's bytes.
struct Moved {
    events: Vec<EventRow>,
    messages: Vec<MessageRow>,
}

/// Writes everything `changes` holds, one group of tables at a time. The caller commits. The
/// batch's events and messages leave `changes` emptied: written, it is done with them.
pub(crate) async fn flush(tx: &mut Tx, c: &mut Changes) -> Result<(), StoreError> {
    let mut moved = Moved {
        events: std::mem::take(&mut c.events),
        messages: std::mem::take(&mut c.messages),
    };
    let written = write_all(tx, c, &mut moved).await;
    // The vectors go back empty, keeping their room for the next batch.
    moved.events.clear();
    moved.messages.clear();
    c.events = moved.events;
    c.messages = moved.messages;
    written
}

async fn write_all(tx: &mut Tx, c: &Changes, moved: &mut Moved) -> Result<(), StoreError> {
    let tickets: Vec<&TicketState> = c.dirty_tickets().collect();
    let derived = Derived::collect(c, &tickets);
    let mut step = 0;
    while flush_step(tx, c, moved, &tickets, &derived, step).await? {
        step += 1;
    }
    Ok(())
}

/// Writes one group of tables; false once every group is written.
async fn flush_step(
    tx: &mut Tx,
    c: &Changes,
    moved: &mut Moved,
    tickets: &[&TicketState],
    derived: &Derived<'_>,
    step: usize,
) -> Result<bool, StoreError> {
    match step {
        0 => on_tx!(tx, t => {
        insert_many!(t, "INSERT INTO events (seq, key, at, type, ticket, payload) ", 6, mut moved.events, |b, e| {
            b.push_bind(e.seq).push_bind(e.key.to_vec()).push_bind(e.at).push_bind(e.kind)
                .push_bind(e.ticket.as_ref().map(Id::shared)).push_bind(std::mem::take(&mut e.payload));
        }, "");

            Ok::<(), StoreError>(())
        })?,
        1 => on_tx!(tx, t => {
        insert_many!(t, "INSERT INTO tickets (id, subject, status, priority, channel, kind, group_id, \
            assignee, customer, organization, tags, merged_into, created_at, updated_at) ", 14, tickets, |b, s| {
            b.push_bind(s.id.shared()).push_bind(s.subject.as_str()).push_bind(s.status.as_str())
                .push_bind(s.priority.as_str()).push_bind(s.channel.as_str())
                .push_bind(s.kind.map(|k| k.as_str())).push_bind(s.group.as_ref().map(Id::shared))
                .push_bind(s.assignee.as_ref().map(Id::shared)).push_bind(s.customer.as_ref().map(Id::shared))
                .push_bind(s.organization.as_ref().map(Id::shared)).push_bind(json_list(&s.tags))
                .push_bind(s.merged_into.as_ref().map(Id::shared)).push_bind(s.created_at).push_bind(s.updated_at);
        }, " ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, status = excluded.status, \
            priority = excluded.priority, channel = excluded.channel, kind = excluded.kind, \
            group_id = excluded.group_id, assignee = excluded.assignee, customer = excluded.customer, \
            organization = excluded.organization, tags = excluded.tags, merged_into = excluded.merged_into, \
            created_at = excluded.created_at, updated_at = excluded.updated_at");

        insert_many!(t, "INSERT INTO ticket_facts (ticket, created_at, outbound, first_reply_at, \
            first_reply_by, first_solved_at, last_solved_at, solved_by, solves, reopens, agent_replies, \
            customer_messages, internal_notes, bot_messages, assignments, first_assigned_at, new_ms, \
            open_ms, pending_ms, on_hold_ms, solved_ms, closed_ms, status_since, handle_ms, \
            requester_wait_ms, awaiting_since, last_customer_message_at, last_agent_reply_at, merged_at) ",
            29, tickets, |b, s| {
            let f = &s.facts;
            b.push_bind(s.id.shared()).push_bind(f.created_at).push_bind(f.outbound)
                .push_bind(f.first_reply_at).push_bind(f.first_reply_by.as_ref().map(Id::shared))
                .push_bind(f.first_solved_at).push_bind(f.last_solved_at)
                .push_bind(f.solved_by.as_ref().map(Id::shared)).push_bind(f.solves).push_bind(f.reopens)
                .push_bind(f.agent_replies).push_bind(f.customer_messages).push_bind(f.internal_notes)
                .push_bind(f.bot_messages).push_bind(f.assignments).push_bind(f.first_assigned_at);
            for ms in f.status_ms {
                b.push_bind(ms);
            }
            b.push_bind(f.status_since).push_bind(f.handle_ms).push_bind(f.requester_wait_ms)
                .push_bind(f.awaiting_since).push_bind(f.last_customer_message_at)
                .push_bind(f.last_agent_reply_at).push_bind(f.merged_at);
        }, " ON CONFLICT (ticket) DO UPDATE SET created_at = excluded.created_at, outbound = excluded.outbound, \
            first_reply_at = excluded.first_reply_at, first_reply_by = excluded.first_reply_by, \
            first_solved_at = excluded.first_solved_at, last_solved_at = excluded.last_solved_at, \
            solved_by = excluded.solved_by, solves = excluded.solves, reopens = excluded.reopens, \
            agent_replies = excluded.agent_replies, customer_messages = excluded.customer_messages, \
            internal_notes = excluded.internal_notes, bot_messages = excluded.bot_messages, \
            assignments = excluded.assignments, first_assigned_at = excluded.first_assigned_at, \
            new_ms = excluded.new_ms, open_ms = excluded.open_ms, pending_ms = excluded.pending_ms, \
            on_hold_ms = excluded.on_hold_ms, solved_ms = excluded.solved_ms, closed_ms = excluded.closed_ms, \
            status_since = excluded.status_since, handle_ms = excluded.handle_ms, \
            requester_wait_ms = excluded.requester_wait_ms, awaiting_since = excluded.awaiting_since, \
            last_customer_message_at = excluded.last_customer_message_at, \
            last_agent_reply_at = excluded.last_agent_reply_at, merged_at = excluded.merged_at");

            Ok::<(), StoreError>(())
        })?,
        2 => on_tx!(tx, t => {
        insert_many!(t, "INSERT INTO messages (id, ticket, at, author_kind, author_id, public, channel, source_id, body) ",
            9, mut moved.messages, |b, m| {
            b.push_bind(m.id).push_bind(m.ticket.shared()).push_bind(m.at).push_bind(m.author_kind)
                .push_bind(m.author_id.as_ref().map(Id::shared)).push_bind(m.public).push_bind(m.channel)
                .push_bind(m.source_id.as_ref().map(Id::shared)).push_bind(std::mem::take(&mut m.body));
        }, "");

        insert_many!(t, "INSERT INTO reply_intervals (seq, ticket, waiting_since, replied_at, agent, first) ",
            6, c.replies, |b, row| {
            let (seq, r) = row;
            b.push_bind(*seq).push_bind(r.ticket.shared()).push_bind(r.waiting_since).push_bind(r.replied_at)
                .push_bind(r.agent.shared()).push_bind(r.first);
        }, "");

        insert_many!(t, "INSERT INTO solves (seq, ticket, at, agent, tags) ", 5, c.solves, |b, row| {
            let (seq, s) = row;
            b.push_bind(*seq).push_bind(s.ticket.shared()).push_bind(s.at)
                .push_bind(s.agent.as_ref().map(Id::shared)).push_bind(json_list(&s.tags));
        }, "");

        insert_many!(t, "INSERT INTO reopens (seq, ticket, at) ", 3, c.reopens, |b, row| {
            let (seq, ticket, at) = row;
            b.push_bind(*seq).push_bind(ticket.shared()).push_bind(*at);
        }, "");

        insert_many!(t, "INSERT INTO status_spans (seq, ticket, status, started_at, ended_at) ", 5, c.status_spans, |b, row| {
            let (seq, s) = row;
            b.push_bind(*seq).push_bind(s.ticket.shared()).push_bind(s.status.as_str())
                .push_bind(s.from).push_bind(s.to);
        }, "");

        insert_many!(t, "INSERT INTO agent_activity (seq, agent, at) ", 3, c.activity, |b, row| {
            let (seq, agent, at) = row;
            b.push_bind(*seq).push_bind(agent.shared()).push_bind(*at);
        }, "");

            Ok::<(), StoreError>(())
        })?,
        3 => on_tx!(tx, t => {
        // Everything a ticket or event names exists as a row, profiled or not.
        for (table, ids) in [("customers", &derived.customer_refs), ("agents", &derived.agent_refs),
            ("agent_groups", &derived.group_refs), ("organizations", &derived.org_refs)] {
            insert_many!(t, format!("INSERT INTO {table} (id) "), 1, ids, |b, id| {
                b.push_bind(id.shared());
            }, " ON CONFLICT (id) DO NOTHING");
        }

        insert_many!(t, "INSERT INTO agents (id, name, email, role, group_ids, active) ", 6, derived.agents, |b, a| {
            b.push_bind(a.agent.shared()).push_bind(a.name.as_deref()).push_bind(a.email.as_deref())
                .push_bind(a.role.as_deref()).push_bind(a.groups.as_ref().map(|g| json_list(g)))
                .push_bind(a.active);
        }, " ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, agents.name), \
            email = COALESCE(excluded.email, agents.email), role = COALESCE(excluded.role, agents.role), \
            group_ids = COALESCE(excluded.group_ids, agents.group_ids), active = COALESCE(excluded.active, agents.active)");

        insert_many!(t, "INSERT INTO customers (id, name, email, organization, language, lifecycle) ", 6,
            derived.customers, |b, row| {
            let (p, lifecycle) = row;
            b.push_bind(p.customer.shared()).push_bind(p.name.as_deref()).push_bind(p.email.as_deref())
                .push_bind(p.organization.as_ref().map(Id::shared)).push_bind(p.language.as_deref())
                .push_bind(*lifecycle);
        }, " ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, customers.name), \
            email = COALESCE(excluded.email, customers.email), \
            organization = COALESCE(excluded.organization, customers.organization), \
            language = COALESCE(excluded.language, customers.language), \
            lifecycle = COALESCE(excluded.lifecycle, customers.lifecycle)");

        for (table, rows) in [("agent_groups", &derived.groups), ("organizations", &derived.orgs)] {
            insert_many!(t, format!("INSERT INTO {table} (id, name) "), 2, rows, |b, row| {
                b.push_bind(row.0.shared()).push_bind(row.1);
            }, format!(" ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, {table}.name)"));
        }

            Ok::<(), StoreError>(())
        })?,
        4 => on_tx!(tx, t => {
        insert_many!(t, "INSERT INTO calls (id, queue, customer, agent, queued_at, answered_at, abandoned_at, \
            ended_at, hold_s, wrapup_s) ", 10, derived.calls, |b, c| {
            b.push_bind(c.id.shared()).push_bind(c.queue.as_deref()).push_bind(c.customer.as_ref().map(Id::shared))
                .push_bind(c.agent.as_ref().map(Id::shared)).push_bind(c.queued_at).push_bind(c.answered_at)
                .push_bind(c.abandoned_at).push_bind(c.ended_at).push_bind(c.hold_s).push_bind(c.wrapup_s);
        }, " ON CONFLICT (id) DO UPDATE SET queue = COALESCE(excluded.queue, calls.queue), \
            customer = COALESCE(excluded.customer, calls.customer), agent = COALESCE(excluded.agent, calls.agent), \
            queued_at = COALESCE(excluded.queued_at, calls.queued_at), \
            answered_at = COALESCE(excluded.answered_at, calls.answered_at), \
            abandoned_at = COALESCE(excluded.abandoned_at, calls.abandoned_at), \
            ended_at = COALESCE(excluded.ended_at, calls.ended_at), hold_s = COALESCE(excluded.hold_s, calls.hold_s), \
            wrapup_s = COALESCE(excluded.wrapup_s, calls.wrapup_s)");

        insert_many!(t, "INSERT INTO surveys (seq, at, survey, score, rating, ticket, customer, agent, comment) ", 9,
            derived.surveys, |b, row| {
            let (seq, at, s) = row;
            let (score, rating) = match s.score {
                Score::Scale(n) => (Some(n), None),
                Score::Good => (None, Some("good")),
                Score::Bad => (None, Some("bad")),
            };
            b.push_bind(*seq).push_bind(*at).push_bind(s.survey.as_str()).push_bind(score).push_bind(rating)
                .push_bind(s.ticket.as_ref().map(Id::shared)).push_bind(s.customer.as_ref().map(Id::shared))
                .push_bind(s.agent.as_ref().map(Id::shared)).push_bind(s.comment.as_deref());
        }, "");

        insert_many!(t, "INSERT INTO votes (seq, at, target, helpful, visitor) ", 5, derived.votes, |b, row| {
            let (seq, at, target, helpful, visitor) = row;
            b.push_bind(*seq).push_bind(*at).push_bind(*target).push_bind(*helpful).push_bind(*visitor);
        }, "");

        insert_many!(t, "INSERT INTO article_views (seq, at, article, visitor) ", 4, derived.views, |b, row| {
            let (seq, at, article, visitor) = row;
            b.push_bind(*seq).push_bind(*at).push_bind(article.shared()).push_bind(*visitor);
        }, "");

        insert_many!(t, "INSERT INTO costs (seq, at, period, category, amount, currency) ", 6, derived.costs, |b, row| {
            let (seq, at, cost) = row;
            b.push_bind(*seq).push_bind(*at).push_bind(cost.period.as_str()).push_bind(cost.category.as_str())
                .push_bind(cost.amount.to_string()).push_bind(cost.currency.as_str());
        }, "");

        insert_many!(t, "INSERT INTO opportunities (seq, at, opportunity, ticket, agent, kind, amount, currency, status) ",
            9, derived.opportunities, |b, row| {
            let (seq, at, o) = row;
            b.push_bind(*seq).push_bind(*at).push_bind(o.opportunity.as_ref().map(Id::shared))
                .push_bind(o.ticket.as_ref().map(Id::shared)).push_bind(o.agent.as_ref().map(Id::shared))
                .push_bind(o.kind.as_str()).push_bind(o.amount.to_string()).push_bind(o.currency.as_str())
                .push_bind(o.status.as_str());
        }, "");

        insert_many!(t, "INSERT INTO lifecycle (seq, at, customer, state) ", 4, derived.lifecycle, |b, row| {
            let (seq, at, customer, state) = row;
            b.push_bind(*seq).push_bind(*at).push_bind(customer.shared()).push_bind(*state);
        }, "");
            Ok::<(), StoreError>(())
        })?,
        5 => {
            let rows = c.sla.rows()?;
            if !rows.is_empty() {
                flush_sla(tx, &rows).await?;
            }
        }
        6 => crate::alerting::flush(tx, &c.alerting).await?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Writes the SLA rows of a batch: configuration events, trackers, their targets' current
/// status (replaced per ticket) and finished runs.
async fn flush_sla(tx: &mut Tx, rows: &crate::sla::Rows<'_>) -> Result<(), StoreError> {
    use crate::sla::{hours_str, state_str};
    on_tx!(tx, t => {
        insert_many!(t, "INSERT INTO sla_config (seq, at, kind, body) ", 4, rows.config, |b, r| {
            b.push_bind(r.seq).push_bind(r.at).push_bind(r.kind).push_bind(r.body.as_str());
        }, "");

        insert_many!(t, "INSERT INTO sla_trackers (ticket, state) ", 2, rows.trackers, |b, r| {
            b.push_bind(r.0).push_bind(r.1.as_str());
        }, " ON CONFLICT (ticket) DO UPDATE SET state = excluded.state");

        for chunk in rows.trackers.chunks(900) {
            let mut qb = sqlx::QueryBuilder::new("DELETE FROM sla_status WHERE ticket IN (");
            let mut list = qb.separated(", ");
            for (id, _) in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut **t).await?;
        }

        insert_many!(t, "INSERT INTO sla_status (ticket, metric, policy, target_minutes, hours, state, \
            started_at, due_at, breached_at, ended_at, counted_ms) ", 11, rows.statuses, |b, r| {
            let (ticket, s) = r;
            b.push_bind(*ticket).push_bind(s.metric.as_str()).push_bind(s.policy.as_str())
                .push_bind(i64::from(s.target.minutes)).push_bind(hours_str(s.target.hours))
                .push_bind(state_str(s.state)).push_bind(s.started_at).push_bind(s.due_at)
                .push_bind(s.breached_at).push_bind(s.ended_at).push_bind(s.counted_ms);
        }, "");

        insert_many!(t, "INSERT INTO sla_finished (seq, ticket, metric, policy, target_minutes, hours, \
            started_at, ended_at, breached_at, counted_ms) ", 10, rows.finished, |b, r| {
            let (seq, ticket, f) = r;
            b.push_bind(*seq).push_bind(ticket.shared()).push_bind(f.metric.as_str())
                .push_bind(f.policy.as_str()).push_bind(i64::from(f.target.minutes))
                .push_bind(hours_str(f.target.hours)).push_bind(f.started_at).push_bind(f.ended_at)
                .push_bind(f.breached_at).push_bind(f.counted_ms);
        }, "");

        Ok::<(), StoreError>(())
    })
}

/// A call's columns as one batch leaves them; `None` keeps what is stored.
struct CallRow {
    id: Id,
    queue: Option<String>,
    customer: Option<Id>,
    agent: Option<Id>,
    queued_at: Option<i64>,
    answered_at: Option<i64>,
    abandoned_at: Option<i64>,
    ended_at: Option<i64>,
    hold_s: Option<i64>,
    wrapup_s: Option<i64>,
}

impl CallRow {
    fn new(id: &Id) -> CallRow {
        CallRow {
            id: id.clone(),
            queue: None,
            customer: None,
            agent: None,
            queued_at: None,
            answered_at: None,
            abandoned_at: None,
            ended_at: None,
            hold_s: None,
            wrapup_s: None,
        }
    }
}

/// The rows the non-ticket events of a batch derive, merged per id where a table holds one
/// row per thing (a statement may not upsert the same row twice).
#[derive(Default)]
struct Derived<'a> {
    customer_refs: Vec<&'a Id>,
    agent_refs: Vec<&'a Id>,
    group_refs: Vec<&'a Id>,
    org_refs: Vec<&'a Id>,
    agents: Vec<AgentProfile>,
    customers: Vec<(CustomerProfile, Option<&'static str>)>,
    groups: Vec<(&'a Id, Option<&'a String>)>,
    orgs: Vec<(&'a Id, Option<&'a String>)>,
    calls: Vec<CallRow>,
    surveys: Vec<(i64, i64, &'a sanjeh_domain::event::SurveyResponse)>,
    votes: Vec<(i64, i64, &'a str, bool, Option<&'a str>)>,
    views: Vec<(i64, i64, &'a Id, Option<&'a str>)>,
    costs: Vec<(i64, i64, &'a sanjeh_domain::event::Cost)>,
    opportunities: Vec<(i64, i64, &'a sanjeh_domain::event::Opportunity)>,
    lifecycle: Vec<(i64, i64, &'a Id, &'static str)>,
}

/// Keeps one entry per key, in first-seen order, merging later values into it.
struct Merged<K, V> {
    index: HashMap<K, usize>,
    items: Vec<V>,
}

impl<K: std::hash::Hash + Eq, V> Merged<K, V> {
    fn new() -> Self {
        Merged {
            index: HashMap::new(),
            items: Vec::new(),
        }
    }

    fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let idx = *self.index.entry(key).or_insert_with(|| {
            self.items.push(make());
            self.items.len() - 1
        });
        &mut self.items[idx]
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

impl<'a> Derived<'a> {
    fn collect(c: &'a Changes, tickets: &[&'a TicketState]) -> Derived<'a> {
        let mut d = Derived::default();
        let mut refs: [Vec<&'a Id>; 4] = Default::default();
        let [customers, agents, groups, orgs] = &mut refs;
        for s in tickets {
            customers.extend(&s.customer);
            agents.extend(&s.assignee);
            groups.extend(&s.group);
            orgs.extend(&s.organization);
        }
        for (_, agent, _) in &c.activity {
            agents.push(agent);
        }
        let mut agent_profiles = Merged::new();
        let mut customer_profiles = Merged::new();
        let mut group_names = Merged::new();
        let mut org_names = Merged::new();
        let mut calls = Merged::new();
        for (seq, at, body) in &c.others {
            let (seq, at) = (*seq, *at);
            match body {
                EventBody::SurveyResponse(s) => {
                    customers.extend(&s.customer);
                    agents.extend(&s.agent);
                    d.surveys.push((seq, at, s));
                }
                EventBody::Vote {
                    target,
                    helpful,
                    visitor,
                } => {
                    d.votes
                        .push((seq, at, target, *helpful, visitor.as_deref()));
                }
                EventBody::ArticleViewed { article, visitor } => {
                    d.views.push((seq, at, article, visitor.as_deref()));
                }
                EventBody::Cost(cost) => d.costs.push((seq, at, cost)),
                EventBody::Opportunity(o) => {
                    agents.extend(&o.agent);
                    d.opportunities.push((seq, at, o));
                }
                EventBody::CustomerLifecycle { customer, state } => {
                    d.lifecycle.push((seq, at, customer, state.as_str()));
                    let entry =
                        customer_profiles.entry(customer, || (empty_customer(customer), None));
                    entry.1 = Some(state.as_str());
                }
                EventBody::AgentProfile(p) => {
                    if let Some(g) = &p.groups {
                        groups.extend(g);
                    }
                    let entry = agent_profiles.entry(&p.agent, || AgentProfile {
                        agent: p.agent.clone(),
                        name: None,
                        email: None,
                        role: None,
                        groups: None,
                        active: None,
                    });
                    set(&mut entry.name, p.name.clone());
                    set(&mut entry.email, p.email.clone());
                    set(&mut entry.role, p.role.clone());
                    set(&mut entry.groups, p.groups.clone());
                    set(&mut entry.active, p.active);
                }
                EventBody::CustomerProfile(p) => {
                    orgs.extend(&p.organization);
                    let entry = customer_profiles
                        .entry(&p.customer, || (empty_customer(&p.customer), None));
                    set(&mut entry.0.name, p.name.clone());
                    set(&mut entry.0.email, p.email.clone());
                    set(&mut entry.0.organization, p.organization.clone());
                    set(&mut entry.0.language, p.language.clone());
                }
                EventBody::GroupProfile { group, name } => {
                    let entry = group_names.entry(group, || (group, None));
                    set(&mut entry.1, name.as_ref());
                }
                EventBody::OrganizationProfile { organization, name } => {
                    let entry = org_names.entry(organization, || (organization, None));
                    set(&mut entry.1, name.as_ref());
                }
                EventBody::CallQueued {
                    call,
                    queue,
                    customer,
                } => {
                    customers.extend(customer);
                    let row = calls.entry(call, || CallRow::new(call));
                    set(&mut row.queue, queue.clone());
                    set(&mut row.customer, customer.clone());
                    row.queued_at = Some(at);
                }
                EventBody::CallAnswered { call, agent } => {
                    agents.extend(agent);
                    let row = calls.entry(call, || CallRow::new(call));
                    set(&mut row.agent, agent.clone());
                    row.answered_at = Some(at);
                }
                EventBody::CallAbandoned { call } => {
                    let row = calls.entry(call, || CallRow::new(call));
                    row.abandoned_at = Some(at);
                }
                EventBody::CallEnded {
                    call,
                    hold_s,
                    wrapup_s,
                } => {
                    let row = calls.entry(call, || CallRow::new(call));
                    row.ended_at = Some(at);
                    set(&mut row.hold_s, *hold_s);
                    set(&mut row.wrapup_s, *wrapup_s);
                }
                _ => {}
            }
        }
        for list in refs.iter_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let [customers, agents, groups, orgs] = refs;
        d.customer_refs = customers;
        d.agent_refs = agents;
        d.group_refs = groups;
        d.org_refs = orgs;
        d.agents = agent_profiles.items;
        d.customers = customer_profiles.items;
        d.groups = group_names.items;
        d.orgs = org_names.items;
        d.calls = calls.items;
        d
    }
}

fn empty_customer(id: &Id) -> CustomerProfile {
    CustomerProfile {
        customer: id.clone(),
        name: None,
        email: None,
        organization: None,
        language: None,
    }
}
