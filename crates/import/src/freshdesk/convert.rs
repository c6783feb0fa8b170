//! Freshdesk records → interchange events.
//!
//! Freshdesk keeps a ticket's status changes only as times in `stats` (resolved, closed,
//! reopened, pending since). The converter turns them into status events when it reads the
//! ticket but holds them back (a few per ticket) and releases each just before the first
//! conversation that comes after it, so a ticket's events stay in time order; what remains is
//! released after the last conversations file.

use super::model::{Agent, Contact, Conversation, Named, SatisfactionRating, Stats, Ticket};
use crate::json_stream::{Convert, IdMap, IdSet, Mapped, Out, SourceId, parse_time};
use crate::record::{Converted, Origin};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sanjeh_domain::event::{
    AgentProfile, CustomerProfile, Score, SurveyResponse, TicketCreated, TicketMessage,
};
use sanjeh_domain::{Author, Channel, EventBody, Id, Kind, Priority, Status, SurveyKind};
use std::collections::VecDeque;

/// The hook step that releases the status events still held back.
pub const FLUSH: u8 = 1;

/// One record of any file the converter reads.
pub enum Rec {
    Contact(Contact),
    Agent(Agent),
    Group(Named),
    Company(Named),
    Ticket(Box<Ticket>),
    Conversation(Conversation),
    Rating(SatisfactionRating),
}

/// A status change derived from a ticket's stats, waiting for its turn.
struct Held {
    status: Status,
    at: Timestamp,
    origin: Origin,
}

/// What the converter remembers of a ticket it has created.
struct Known {
    /// Derived status changes not yet emitted, earliest first.
    held: VecDeque<Held>,
}

pub struct Freshdesk {
    tz: TimeZone,
    /// User ids of agents (from the agents file, or contacts marked `helpdesk_agent`).
    agents: IdSet,
    tickets: IdMap<Known>,
}

impl Freshdesk {
    pub fn new(tz: TimeZone) -> Freshdesk {
        Freshdesk {
            tz,
            agents: IdSet::default(),
            tickets: IdMap::default(),
        }
    }
}

impl Convert for Freshdesk {
    type Record = Rec;

    fn record(&mut self, record: Rec, origin: Origin, out: &mut VecDeque<Converted>) {
        let mut out = Out::new(origin, out);
        match record {
            Rec::Contact(c) => self.contact(c, &mut out),
            Rec::Agent(a) => self.agent(a, &mut out),
            Rec::Group(g) => self.named(g, "group", &mut out),
            Rec::Company(c) => self.named(c, "company", &mut out),
            Rec::Ticket(t) => self.ticket(*t, &mut out),
            Rec::Conversation(c) => self.conversation(c, &mut out),
            Rec::Rating(r) => self.rating(r, &mut out),
        }
    }

    fn hook(&mut self, step: u8, out: &mut VecDeque<Converted>) {
        if step == FLUSH {
            let mut ids: Vec<i64> = self.tickets.keys().copied().collect();
            ids.sort_unstable();
            for id in ids {
                self.release(SourceId(id), None, true, out);
            }
        }
    }
}

/// `fd-<id>` for a ticket.
pub fn ticket_id(id: SourceId) -> Id {
    id.prefixed("fd-")
}

/// `fd-u<id>` for a contact or an agent (Freshdesk's agents are users with a contact too).
pub fn user_id(id: SourceId) -> Id {
    id.prefixed("fd-u")
}

fn group_id(id: SourceId) -> Id {
    id.prefixed("fd-g")
}

fn company_id(id: SourceId) -> Id {
    id.prefixed("fd-o")
}

/// Ticket status: 2 open, 3 pending, 4 resolved, 5 closed. Custom statuses (6 and up) have no
/// Sanjeh counterpart; they fall back to `open` (the ticket still needs work).
pub fn status(code: i64) -> Mapped<Status> {
    match code {
        2 => Mapped::Known(Status::Open),
        3 => Mapped::Known(Status::Pending),
        4 => Mapped::Known(Status::Solved),
        5 => Mapped::Known(Status::Closed),
        _ => Mapped::Fallback(Status::Open),
    }
}

/// Priority 1–4: low, medium (normal), high, urgent.
pub fn priority(code: Option<i64>) -> Mapped<Priority> {
    match code {
        None | Some(2) => Mapped::Known(Priority::Normal),
        Some(1) => Mapped::Known(Priority::Low),
        Some(3) => Mapped::Known(Priority::High),
        Some(4) => Mapped::Known(Priority::Urgent),
        Some(_) => Mapped::Fallback(Priority::Normal),
    }
}

/// Source → channel: 1 email, 2 portal, 3 phone, 4 forum, 5 Twitter, 6 Facebook, 7 chat,
/// 8 Mobihelp, 9 feedback widget, 10 outbound email, 13 WhatsApp.
pub fn channel(code: Option<i64>) -> Mapped<Channel> {
    match code {
        None => Mapped::Known(Channel::Other),
        Some(1 | 10) => Mapped::Known(Channel::Email),
        Some(2 | 4 | 9) => Mapped::Known(Channel::Web),
        Some(3) => Mapped::Known(Channel::Phone),
        Some(5 | 6 | 13) => Mapped::Known(Channel::Social),
        Some(7) => Mapped::Known(Channel::Chat),
        Some(8) => Mapped::Known(Channel::Api),
        Some(_) => Mapped::Fallback(Channel::Other),
    }
}

/// Ticket type → kind (`Question`, `Incident`, `Problem`; other types are reported).
pub fn kind(raw: Option<&str>) -> Mapped<Option<Kind>> {
    match raw.map(str::to_lowercase).as_deref() {
        None | Some("") => Mapped::Known(None),
        Some("question") => Mapped::Known(Some(Kind::Question)),
        Some("incident") => Mapped::Known(Some(Kind::Incident)),
        Some("problem") => Mapped::Known(Some(Kind::Problem)),
        Some("task") => Mapped::Known(Some(Kind::Task)),
        Some("complaint") => Mapped::Known(Some(Kind::Complaint)),
        Some(_) => Mapped::Fallback(None),
    }
}

/// A satisfaction answer on Freshdesk's scale (103 extremely happy … -103 extremely unhappy)
/// as a CSAT score 1–5: 103 → 5, 102 and 101 → 4, 100 → 3, -101 and -102 → 2, -103 → 1.
pub fn csat(code: i64) -> Option<i64> {
    Some(match code {
        103 => 5,
        101 | 102 => 4,
        100 => 3,
        -102 | -101 => 2,
        -103 => 1,
        _ => return None,
    })
}

/// Freshdesk source 10: an outbound email, opened by an agent.
const OUTBOUND_EMAIL: i64 = 10;

impl Freshdesk {
    fn time(&self, raw: Option<&str>) -> Option<Timestamp> {
        raw.and_then(|r| parse_time(r, &self.tz))
    }

    fn contact(&mut self, c: Contact, out: &mut Out<'_>) {
        let Some(id) = c.id else {
            return out.skip("id", "a contact needs an id");
        };
        let Some(at) = self.time(c.updated_at.as_deref().or(c.created_at.as_deref())) else {
            return out.skip("updated_at", "a contact needs updated_at or created_at");
        };
        if c.helpdesk_agent == Some(true) {
            self.agents.insert(id.0);
        }
        let body = EventBody::CustomerProfile(CustomerProfile {
            customer: user_id(id),
            name: c.name,
            email: c.email,
            organization: c.company_id.map(company_id),
            language: c.language,
        });
        out.event(at, format!("fd:contact:{id}@{}", at.as_second()), body);
    }

    fn agent(&mut self, a: Agent, out: &mut Out<'_>) {
        let Some(id) = a.id else {
            return out.skip("id", "an agent needs an id");
        };
        let Some(at) = self.time(a.updated_at.as_deref().or(a.created_at.as_deref())) else {
            return out.skip("updated_at", "an agent needs updated_at or created_at");
        };
        self.agents.insert(id.0);
        let contact = a.contact;
        let body = EventBody::AgentProfile(AgentProfile {
            agent: user_id(id),
            name: contact.as_ref().and_then(|c| c.name.clone()),
            email: contact.as_ref().and_then(|c| c.email.clone()),
            role: Some("agent".into()),
            groups: a.group_ids.map(|g| g.into_iter().map(group_id).collect()),
            active: contact.as_ref().and_then(|c| c.active),
        });
        out.event(at, format!("fd:agent:{id}@{}", at.as_second()), body);
    }

    fn named(&mut self, n: Named, what: &str, out: &mut Out<'_>) {
        let Some(id) = n.id else {
            return out.skip("id", format!("a {what} needs an id"));
        };
        let Some(at) = self.time(n.updated_at.as_deref().or(n.created_at.as_deref())) else {
            return out.skip(
                "updated_at",
                format!("a {what} needs updated_at or created_at"),
            );
        };
        let body = if what == "group" {
            EventBody::GroupProfile {
                group: group_id(id),
                name: n.name,
            }
        } else {
            EventBody::OrganizationProfile {
                organization: company_id(id),
                name: n.name,
            }
        };
        out.event(at, format!("fd:{what}:{id}@{}", at.as_second()), body);
    }

    /// Who wrote a conversation: an agent when the agents file says so, else the customer when
    /// it came in (`incoming`), else an agent.
    fn author(&self, user: Option<SourceId>, incoming: bool) -> Author {
        match user {
            None => Author::System,
            Some(u) if self.agents.contains(&u.0) || !incoming => Author::Agent(user_id(u)),
            Some(u) => Author::Customer(user_id(u)),
        }
    }

    /// `ticket.created`, the description as the first message, the assignment, and the status
    /// changes its stats tell (held back until their turn).
    fn ticket(&mut self, t: Ticket, out: &mut Out<'_>) {
        let Some(ticket) = t.id else {
            return out.skip("id", "a ticket needs an id");
        };
        if self.tickets.contains_key(&ticket.0) {
            return out.skip(
                "id",
                format!("ticket {ticket} appears twice; the first is kept"),
            );
        }
        let Some(created) = self.time(t.created_at.as_deref()) else {
            return out.skip("created_at", "a ticket needs created_at (a time)");
        };
        let outbound = t.source == Some(OUTBOUND_EMAIL);
        let opener = if outbound {
            match t.responder_id {
                Some(agent) => Author::Agent(user_id(agent)),
                None => {
                    out.unmapped("responder_id", "outbound email without an agent");
                    Author::System
                }
            }
        } else {
            t.requester_id
                .map_or(Author::System, |c| Author::Customer(user_id(c)))
        };
        let source = t.source.map(|s| s.to_string());
        let channel = out.mapped("source", source.as_deref(), channel(t.source));
        let prio = t.priority.map(|p| p.to_string());
        let priority = out.mapped("priority", prio.as_deref(), priority(t.priority));
        let raw_kind = t.kind.as_deref().or(t.ticket_type.as_deref());
        let kind = out.mapped("type", raw_kind, kind(raw_kind));
        let tags = sanjeh_domain::normalize_tags(
            "tags",
            t.tags
                .iter()
                .flatten()
                .filter(|s| !s.trim().is_empty() && s.len() <= 128)
                .cloned(),
        )
        .unwrap_or_default();
        let body = TicketCreated {
            ticket: ticket_id(ticket),
            customer: t.requester_id.map(user_id),
            organization: t.company_id.map(company_id),
            channel,
            priority,
            group: t.group_id.map(group_id),
            subject: t.subject.clone(),
            tags,
            kind,
            by: Some(opener.clone()),
        };
        out.event(
            created,
            format!("fd:ticket:{ticket}"),
            EventBody::TicketCreated(body),
        );
        if let Some(text) = t.description_text.clone().or_else(|| t.description.clone()) {
            let message = TicketMessage {
                ticket: ticket_id(ticket),
                author: opener,
                public: true,
                body: text,
                channel: Some(channel),
                message: Some(ticket.prefixed("fd-d")),
            };
            out.event(
                created,
                format!("fd:ticket:{ticket}:description"),
                EventBody::TicketMessage(message),
            );
        }
        // Freshdesk has no "new": a ticket is open from the start.
        out.event(
            created,
            format!("fd:ticket:{ticket}:status:open"),
            EventBody::TicketStatus {
                ticket: ticket_id(ticket),
                status: Status::Open,
                by: None,
            },
        );
        if let Some(agent) = t.responder_id {
            out.event(
                created,
                format!("fd:ticket:{ticket}:assignee"),
                EventBody::TicketAssigned {
                    ticket: ticket_id(ticket),
                    agent: Some(user_id(agent)),
                    group: None,
                    by: None,
                },
            );
        }
        let held = self.derived_statuses(&t, created, out);
        self.tickets.insert(ticket.0, Known { held });
    }

    /// The status changes a ticket's stats and current status tell, in time order: resolved,
    /// closed, reopened, pending since; then the current status if it is not the last of
    /// those, at `status_updated_at` (else `updated_at`).
    fn derived_statuses(
        &self,
        t: &Ticket,
        created: Timestamp,
        out: &mut Out<'_>,
    ) -> VecDeque<Held> {
        let current = t.status.map(|code| {
            let raw = code.to_string();
            out.mapped("status", Some(&raw), status(code))
        });
        let empty = Stats::default();
        let stats = t.stats.as_ref().unwrap_or(&empty);
        let mut steps: Vec<(Status, Timestamp)> = [
            (Status::Solved, &stats.resolved_at),
            (Status::Closed, &stats.closed_at),
            (Status::Open, &stats.reopened_at),
        ]
        .into_iter()
        .filter_map(|(s, at)| self.time(at.as_deref()).map(|at| (s, at.max(created))))
        .collect();
        if current == Some(Status::Pending)
            && let Some(at) = self.time(stats.pending_since.as_deref())
        {
            steps.push((Status::Pending, at.max(created)));
        }
        steps.sort_by_key(|(_, at)| *at);
        let last = steps.last().map_or(Status::Open, |(s, _)| *s);
        if let Some(current) = current
            && current != last
        {
            let at = self
                .time(stats.status_updated_at.as_deref())
                .or_else(|| self.time(t.updated_at.as_deref()))
                .unwrap_or(created);
            let at = steps
                .last()
                .map_or(at, |(_, last)| at.max(*last))
                .max(created);
            steps.push((current, at));
        }
        steps
            .into_iter()
            .map(|(status, at)| Held {
                status,
                at,
                origin: out.origin.clone(),
            })
            .collect()
    }

    /// Emits the held status changes of `ticket` up to `until` (all of them for `None`),
    /// those at `until` itself too when `inclusive`.
    fn release(
        &mut self,
        ticket: SourceId,
        until: Option<Timestamp>,
        inclusive: bool,
        out: &mut VecDeque<Converted>,
    ) {
        let Some(known) = self.tickets.get_mut(&ticket.0) else {
            return;
        };
        let due = |h: &Held| match until {
            None => true,
            Some(until) => h.at < until || (inclusive && h.at == until),
        };
        while known.held.front().is_some_and(due) {
            let Some(held) = known.held.pop_front() else {
                break;
            };
            let mut o = Out::new(held.origin, out);
            o.event(
                held.at,
                format!(
                    "fd:ticket:{ticket}:status:{}@{}",
                    held.status,
                    held.at.as_second()
                ),
                EventBody::TicketStatus {
                    ticket: ticket_id(ticket),
                    status: held.status,
                    by: None,
                },
            );
        }
    }

    fn conversation(&mut self, c: Conversation, out: &mut Out<'_>) {
        let Some(id) = c.id else {
            return out.skip("id", "a conversation needs an id");
        };
        let Some(ticket) = c.ticket_id else {
            return out.skip("ticket_id", "a conversation needs a ticket_id");
        };
        if !self.tickets.contains_key(&ticket.0) {
            return out.skip(
                "ticket_id",
                format!("ticket {ticket} is not in the export's tickets"),
            );
        }
        let Some(at) = self.time(c.created_at.as_deref()) else {
            return out.skip("created_at", "a conversation needs created_at (a time)");
        };
        let private = c.private.unwrap_or(false);
        let text = c.body_text.or(c.body).unwrap_or_default();
        let merged_into = private
            .then(|| merge_target(&text))
            .flatten()
            .filter(|into| *into != ticket && self.tickets.contains_key(&into.0));
        // A status change at the very time of a merge is the merge's own close: not released.
        self.release(ticket, Some(at), merged_into.is_none(), out.out);
        let author = self.author(c.user_id, c.incoming.unwrap_or(false));
        let message = TicketMessage {
            ticket: ticket_id(ticket),
            author: author.clone(),
            public: !private,
            body: text,
            channel: None,
            message: Some(id.prefixed("fd-c")),
        };
        out.event(
            at,
            format!("fd:conv:{id}"),
            EventBody::TicketMessage(message),
        );
        if let Some(into) = merged_into {
            // The merge closes the ticket; the status history Freshdesk kept after it (its
            // close) is the merge's.
            if let Some(known) = self.tickets.get_mut(&ticket.0) {
                known.held.clear();
            }
            out.event(
                at,
                format!("fd:conv:{id}:merge"),
                EventBody::TicketMerged {
                    ticket: ticket_id(ticket),
                    into: ticket_id(into),
                    by: Some(author),
                },
            );
        }
    }

    fn rating(&mut self, r: SatisfactionRating, out: &mut Out<'_>) {
        let Some(id) = r.id else {
            return out.skip("id", "a satisfaction rating needs an id");
        };
        let Some(at) = self.time(r.updated_at.as_deref().or(r.created_at.as_deref())) else {
            return out.skip("created_at", "a satisfaction rating needs created_at");
        };
        let ratings = r.ratings.unwrap_or_default();
        let answer = ratings
            .get("default_question")
            .or_else(|| ratings.values().next())
            .and_then(serde_json::Value::as_i64);
        let Some(answer) = answer else {
            return out.skip(
                "ratings",
                "a satisfaction rating needs ratings.default_question",
            );
        };
        let Some(score) = csat(answer) else {
            return out.unmapped("ratings", answer.to_string());
        };
        let body = SurveyResponse {
            survey: SurveyKind::Csat,
            score: Score::Scale(score),
            ticket: r.ticket_id.map(ticket_id),
            customer: r.user_id.map(user_id),
            agent: r.agent_id.map(user_id),
            comment: r.feedback.filter(|f| !f.is_empty()),
        };
        out.event(at, format!("fd:csat:{id}"), EventBody::SurveyResponse(body));
    }
}

/// The ticket a Freshdesk merge note names ("This ticket is closed and merged into ticket
/// #123" / "…merged into ticket 123").
fn merge_target(note: &str) -> Option<SourceId> {
    let lower = note.to_lowercase();
    let marker = "merged into ticket";
    let start = lower.find(marker)? + marker.len();
    let rest = lower[start..].trim_start().trim_start_matches('#');
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(SourceId)
}
