//! The in-memory dataset the KPIs are computed from, and how the store feeds it.
//!
//! The store calls [`Dataset::upsert_ticket`] after every change of a ticket and appends what
//! the change derived ([`Dataset::add_reply`], [`Dataset::add_solve`], [`Dataset::add_reopen`],
//! [`Dataset::add_agent_activity`]); every other event goes to [`Dataset::add_event`]. SLA
//! outcomes are replaced per ticket with [`Dataset::set_sla_outcomes`] and
//! [`Dataset::set_sla_statuses`]. Inputs
//! may arrive in any order: a reply may name a ticket not upserted yet, a call may end before
//! it is queued. Derived items are append-only and are not deduplicated, so each must be added
//! once.

use crate::history::History;
use crate::names::Names;
use crate::table::activity::{AgentTimeline, LearningIndex, ReplyTable, SolveTable};
use crate::table::events::{
    self, CostEntry, CostPeriod, EventTables, NewAnswer, OpportunityEntry, cost_category,
};
use crate::table::sla::SlaTable;
use crate::table::spans::StatusSpans;
use crate::table::tickets::TicketTable;
use hashbrown::HashMap;
use sanjeh_domain::event::{Event, EventBody, OpportunityStatus};
use sanjeh_domain::{Id, ReplyInterval, Solve, Status, StatusSpan, TicketState, to_millis};

/// Every record the KPI engine reads, compact and interned. Build it once from the store and
/// keep it current; [`crate::report`] only reads it.
#[derive(Default)]
pub struct Dataset {
    pub(crate) names: Names,
    pub(crate) tickets: TicketTable,
    pub(crate) replies: ReplyTable,
    pub(crate) solves: SolveTable,
    pub(crate) learning: LearningIndex,
    /// Per agent (by interned id), sessions and solve instants.
    pub(crate) timelines: Vec<AgentTimeline>,
    /// Reopen instants of reopened tickets, sorted (rare, so kept aside).
    pub(crate) reopen_times: HashMap<u32, Vec<i64>>,
    /// The unsolved intervals of reopened tickets, kept current from the three above.
    pub(crate) history: History,
    /// Time in new, open and on hold, for business handle and wait time.
    pub(crate) spans: StatusSpans,
    pub(crate) events: EventTables,
    /// SLA outcomes per ticket (ended runs and current target states).
    pub(crate) sla: SlaTable,
}

/// Sizes of a dataset, for logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DatasetStats {
    pub tickets: usize,
    pub replies: usize,
    pub solves: usize,
    pub agents: usize,
    pub customers: usize,
    pub survey_answers: usize,
    pub calls: usize,
    pub article_views: usize,
    pub sessions: usize,
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset::default()
    }

    fn ticket_row(&mut self, id: &Id) -> u32 {
        let row = self.names.tickets.intern(id.as_str());
        self.tickets.ensure(row);
        row
    }

    fn agent(&mut self, id: &Id) -> u32 {
        let a = self.names.agents.intern(id.as_str());
        if self.timelines.len() <= a as usize {
            self.timelines
                .resize_with(a as usize + 1, AgentTimeline::default);
        }
        a
    }

    fn opt_agent(&mut self, id: Option<&Id>) -> u32 {
        id.map_or(0, |a| self.agent(a))
    }

    /// Inserts a ticket or replaces what was known of it (call after every change).
    pub fn upsert_ticket(&mut self, t: &TicketState) {
        let row = self.ticket_row(&t.id);
        for a in [
            t.assignee.as_ref(),
            t.facts.first_reply_by.as_ref(),
            t.facts.solved_by.as_ref(),
        ] {
            self.opt_agent(a);
        }
        self.tickets.upsert(row, t, &mut self.names);
        self.refresh_history(row);
    }

    /// Brings the unsolved intervals of ticket `row` up to date (after its state, a solve or
    /// a reopen changed).
    fn refresh_history(&mut self, row: u32) {
        self.history
            .refresh(&self.tickets, &self.solves, &self.reopen_times, row);
    }

    /// Appends one reply interval (an agent reply that answered a waiting customer).
    pub fn add_reply(&mut self, r: &ReplyInterval) {
        let ticket = self.ticket_row(&r.ticket);
        let agent = self.agent(&r.agent);
        self.replies
            .push(ticket, agent, r.waiting_since, r.replied_at);
    }

    /// Appends one solve.
    pub fn add_solve(&mut self, s: &Solve) {
        let ticket = self.ticket_row(&s.ticket);
        let agent = self.opt_agent(s.agent.as_ref());
        let tag_set = self.names.tag_set(&s.tags);
        self.tickets.note(ticket, s.at);
        let idx = self.solves.push(ticket, s.at, agent, tag_set);
        let tags = self.names.tag_sets.get(tag_set);
        self.learning
            .record(&mut self.solves, idx, agent, s.at, tags);
        if agent != 0 {
            self.timelines[agent as usize].add_solve(s.at);
        }
        self.refresh_history(ticket);
    }

    /// Appends one reopen (a ticket going from solved back to an unsolved status) at `at` ms.
    ///
    /// Not in the original contract, but needed to know a ticket's status at a past instant
    /// exactly (backlog, resolution rate): the store calls it when applying an event derives
    /// `reopened`. Without it, a reopen is taken to follow its solve at once (see docs).
    pub fn add_reopen(&mut self, ticket: &Id, at: i64) {
        let row = self.ticket_row(ticket);
        self.tickets.note(row, at);
        let list = self.reopen_times.entry(row).or_default();
        let i = list.partition_point(|&x| x <= at);
        list.insert(i, at);
        self.refresh_history(row);
    }

    /// Appends one stretch of time a ticket spent in new, open or on hold (what applying an
    /// event that left such a status derived): business-time handle and requester wait time
    /// are measured over them. Other statuses and empty spans are ignored.
    pub fn add_status_span(&mut self, s: &StatusSpan) {
        if !StatusSpan::counts(s.status) || s.to <= s.from {
            return;
        }
        let row = self.ticket_row(&s.ticket);
        self.spans
            .push(row, s.status == Status::OnHold, s.from, s.to);
    }

    /// Replaces the ended SLA runs of `ticket` (every run of every target, as
    /// [`sanjeh_sla::TicketSla`] reports them): the data points of `sla_achievement_rate`, and
    /// the breaches of the past for `overdue_backlog`. Call on load and after every change of
    /// the ticket's SLA, with all of its runs (an empty slice forgets them).
    pub fn set_sla_outcomes(&mut self, ticket: &Id, finished: &[sanjeh_sla::Finished]) {
        let row = self.ticket_row(ticket);
        self.sla.set_finished(row, finished);
    }

    /// Replaces the current SLA target states of `ticket` (running, paused, achieved or
    /// breached, with their due and breach instants): what `overdue_backlog` reads for targets
    /// still running. Call on load and after every change, with all of them.
    pub fn set_sla_statuses(&mut self, ticket: &Id, statuses: &[sanjeh_sla::MetricStatus]) {
        let row = self.ticket_row(ticket);
        self.sla.set_statuses(row, statuses);
    }

    /// Records one agent action (reply, note, status change…) at `at` ms, for work sessions.
    pub fn add_agent_activity(&mut self, agent: &Id, at: i64) {
        let a = self.agent(agent);
        self.timelines[a as usize].add_activity(at);
    }

    /// Adds a non-ticket event; ticket changes are ignored here (they come as ticket states).
    pub fn add_event(&mut self, e: &Event) {
        let at = to_millis(e.at);
        match &e.body {
            EventBody::SurveyResponse(s) => {
                let ticket = s.ticket.as_ref().map_or(0, |t| self.ticket_row(t));
                let customer = s
                    .customer
                    .as_ref()
                    .map_or(0, |c| self.names.customers.intern(c.as_str()));
                let agent = self.opt_agent(s.agent.as_ref());
                self.events.surveys.push(NewAnswer {
                    at,
                    kind: events::survey_code(s.survey),
                    score: events::score_code(s.score),
                    ticket,
                    customer,
                    agent,
                });
            }
            EventBody::Vote { helpful, .. } => {
                self.events.votes.at.push(at);
                self.events.votes.helpful.push(*helpful);
            }
            EventBody::CallQueued {
                call,
                queue,
                customer,
            } => {
                let row = self.call_row(call);
                let queue = queue.as_deref().map_or(0, |q| self.names.groups.intern(q));
                let customer = customer
                    .as_ref()
                    .map_or(0, |c| self.names.customers.intern(c.as_str()));
                let c = &mut self.events.calls;
                c.zones.note(row, at);
                c.queued[row] = at;
                c.queue[row] = queue;
                c.customer[row] = customer;
            }
            EventBody::CallAnswered { call, agent } => {
                let row = self.call_row(call);
                let agent = self.opt_agent(agent.as_ref());
                let c = &mut self.events.calls;
                c.zones.note(row, at);
                c.answered[row] = at;
                c.agent[row] = agent;
            }
            EventBody::CallAbandoned { call } => {
                let row = self.call_row(call);
                let c = &mut self.events.calls;
                c.zones.note(row, at);
                c.abandoned[row] = at;
            }
            EventBody::CallEnded { call, wrapup_s, .. } => {
                let row = self.call_row(call);
                let c = &mut self.events.calls;
                c.zones.note(row, at);
                c.ended[row] = at;
                c.wrapup_s[row] =
                    wrapup_s.map_or(0, |s| u32::try_from(s.max(0)).unwrap_or(u32::MAX));
            }
            EventBody::ArticleViewed { .. } => self.events.views.push(at),
            EventBody::Cost(c) => {
                let currency = self.names.currencies.intern(&c.currency);
                self.events.costs.push(CostEntry {
                    at,
                    period: CostPeriod::parse(&c.period),
                    category: cost_category(&c.category),
                    amount: c.amount,
                    currency,
                });
            }
            EventBody::Opportunity(o) => {
                let ticket = o.ticket.as_ref().map_or(0, |t| self.ticket_row(t));
                let agent = self.opt_agent(o.agent.as_ref());
                let currency = self.names.currencies.intern(&o.currency);
                self.events.opportunities.push(
                    o.opportunity.as_ref().map(Id::as_str),
                    OpportunityEntry {
                        at,
                        ticket,
                        agent,
                        amount: o.amount,
                        currency,
                        won: o.status == OpportunityStatus::Won,
                    },
                );
            }
            EventBody::CustomerLifecycle { customer, state } => {
                let c = self.names.customers.intern(customer.as_str());
                self.events
                    .add_lifecycle(c, at, events::lifecycle_code(*state));
            }
            EventBody::AgentProfile(p) => {
                let a = self.agent(&p.agent);
                if let Some(name) = &p.name {
                    self.names.agent_names.insert(a, name.clone());
                }
                if let Some(groups) = &p.groups {
                    let g = groups
                        .iter()
                        .map(|g| self.names.groups.intern(g.as_str()))
                        .collect();
                    self.events.agent_groups.insert(a, g);
                }
            }
            // No catalogue KPI reads availability yet (occupancy and staffing will).
            EventBody::AgentAvailability { .. } => {}
            EventBody::CustomerProfile(p) => {
                let c = self.names.customers.intern(p.customer.as_str());
                if let Some(name) = &p.name {
                    self.names.customer_names.insert(c, name.clone());
                }
                if let Some(org) = &p.organization {
                    let o = self.names.orgs.intern(org.as_str());
                    self.events.set_customer_org(c, o);
                }
            }
            EventBody::GroupProfile { group, name } => {
                let g = self.names.groups.intern(group.as_str());
                if let Some(name) = name {
                    self.names.group_names.insert(g, name.clone());
                }
            }
            EventBody::OrganizationProfile { organization, name } => {
                let o = self.names.orgs.intern(organization.as_str());
                if let Some(name) = name {
                    self.names.org_names.insert(o, name.clone());
                }
            }
            EventBody::TicketCreated(_)
            | EventBody::TicketMessage(_)
            | EventBody::TicketStatus { .. }
            | EventBody::TicketAssigned { .. }
            | EventBody::TicketUpdated(_)
            | EventBody::TicketMerged { .. }
            | EventBody::SlaPolicies { .. }
            | EventBody::Calendars { .. }
            | EventBody::EscalationRules { .. }
            | EventBody::AlertRules { .. }
            | EventBody::TicketEscalated(_)
            | EventBody::Macro(_) => {}
        }
    }

    fn call_row(&mut self, call: &Id) -> usize {
        let row = self.names.calls.intern(call.as_str());
        self.events.calls.ensure(row);
        row as usize
    }

    /// Gives back the memory that growth left unused: call after a bulk load (a growing
    /// vector may hold up to twice what it uses).
    pub fn shrink_to_fit(&mut self) {
        self.tickets.shrink_to_fit();
        let r = &mut self.replies;
        r.at.shrink_to_fit();
        r.wait.shrink_to_fit();
        r.ticket.shrink_to_fit();
        r.agent.shrink_to_fit();
        r.zones.shrink_to_fit();
        self.solves.shrink_to_fit();
        self.history.shrink_to_fit();
        for t in &mut self.timelines {
            t.sessions.shrink_to_fit();
            t.solves.shrink_to_fit();
        }
        self.events.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.sla.shrink_to_fit();
        let n = &mut self.names;
        for i in [
            &mut n.tickets,
            &mut n.agents,
            &mut n.groups,
            &mut n.orgs,
            &mut n.tags,
            &mut n.customers,
            &mut n.calls,
        ] {
            i.shrink_to_fit();
        }
    }

    /// Approximate heap bytes per part, for benchmarks and capacity planning.
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        fn v<T>(x: &Vec<T>) -> usize {
            x.capacity() * std::mem::size_of::<T>()
        }
        fn m<K, V>(x: &HashMap<K, V>) -> usize {
            x.capacity() * (std::mem::size_of::<(K, V)>() + 1)
        }
        let n = &self.names;
        let t = &self.tickets;
        let e = &self.events;
        let c = &e.calls;
        vec![
            (
                "ticket rows",
                v(&t.rows) + m(&t.merged_at) + t.zones_heap_bytes(),
            ),
            ("ticket contacts", t.contacts.heap_bytes()),
            ("ticket ids", n.tickets.heap_bytes()),
            (
                "other ids",
                n.agents.heap_bytes()
                    + n.groups.heap_bytes()
                    + n.orgs.heap_bytes()
                    + n.tags.heap_bytes()
                    + n.customers.heap_bytes()
                    + n.currencies.heap_bytes(),
            ),
            (
                "replies",
                v(&self.replies.at)
                    + self.replies.wait.heap_bytes()
                    + v(&self.replies.ticket)
                    + v(&self.replies.agent)
                    + self.replies.zones.heap_bytes(),
            ),
            ("solves", self.solves.heap_bytes()),
            ("reopened tickets' history", self.history.heap_bytes()),
            (
                "agent timelines",
                self.timelines
                    .iter()
                    .map(|a| v(&a.sessions) + v(&a.solves))
                    .sum::<usize>()
                    + v(&self.timelines),
            ),
            (
                "survey answers",
                v(&e.surveys.at) * 3 + e.surveys.zones.heap_bytes(),
            ),
            (
                "calls",
                v(&c.queued) * 4 + v(&c.agent) * 4 + n.calls.heap_bytes() + c.zones.heap_bytes(),
            ),
            ("article views", v(&e.views)),
            ("lifecycle", e.lifecycle_heap_bytes()),
        ]
    }

    pub fn stats(&self) -> DatasetStats {
        DatasetStats {
            tickets: self.tickets.rows.iter().filter(|t| t.is_present()).count(),
            replies: self.replies.len(),
            solves: self.solves.len(),
            agents: self.names.agents.len() - 1,
            customers: self.names.customers.len() - 1,
            survey_answers: self.events.surveys.len(),
            calls: self.events.calls.len().saturating_sub(1),
            article_views: self.events.views.len(),
            sessions: self.timelines.iter().map(|t| t.sessions.len()).sum(),
        }
    }
}
