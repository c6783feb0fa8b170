//! Zendesk records → interchange events.
//!
//! The converter keeps one small entry per ticket (its requester and current status, about
//! 40 bytes) and one per user whose role is known: enough to tell a customer's comment from an
//! agent's, to emit a status change only when the status changes, and to never emit a ticket's
//! change before its `ticket.created`. Everything else streams through.

use super::model::{Audit, AuditEvent, Comment, Named, SatisfactionRating, Ticket, User, Via};
use super::vocab;
use crate::json_stream::{Convert, IdMap, Mapped, Out, SourceId, parse_time};
use crate::record::{Converted, Origin};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sanjeh_domain::event::{
    AgentProfile, CustomerProfile, Score, SurveyResponse, TicketCreated, TicketMessage,
    TicketUpdated,
};
use sanjeh_domain::{Author, Channel, EventBody, Id, Status, SurveyKind};
use serde_json::Value;
use std::collections::VecDeque;

/// Zendesk's own user id for changes made by the system (triggers, automations).
const SYSTEM_USER: i64 = -1;

/// One record of any file the converter reads.
pub enum Rec {
    User(User),
    Group(Named),
    Organization(Named),
    Audit(Box<Audit>),
    Ticket(Box<Ticket>),
    Rating(SatisfactionRating),
}

/// What the converter remembers of a ticket it has created.
struct Known {
    requester: Option<i64>,
    status: Status,
    /// Created from its audits (the tickets file then adds nothing), not from the tickets file.
    from_audits: bool,
}

/// The state of one Zendesk conversion.
pub struct Zendesk {
    tz: TimeZone,
    /// Users whose role the users file gave: true for agents and admins.
    staff: IdMap<bool>,
    tickets: IdMap<Known>,
    /// CSAT comes from the satisfaction ratings file when there is one (not from audits too,
    /// which would count each answer twice).
    ratings_file: bool,
}

impl Zendesk {
    pub fn new(tz: TimeZone, ratings_file: bool) -> Zendesk {
        Zendesk {
            tz,
            staff: IdMap::default(),
            tickets: IdMap::default(),
            ratings_file,
        }
    }
}

impl Convert for Zendesk {
    type Record = Rec;

    fn record(&mut self, record: Rec, origin: Origin, out: &mut VecDeque<Converted>) {
        let mut out = Out::new(origin, out);
        match record {
            Rec::User(u) => self.user(u, &mut out),
            Rec::Group(g) => self.named(g, "group", &mut out),
            Rec::Organization(o) => self.named(o, "organization", &mut out),
            Rec::Audit(a) => self.audit(*a, &mut out),
            Rec::Ticket(t) => self.ticket(*t, &mut out),
            Rec::Rating(r) => self.rating(r, &mut out),
        }
    }
}

/// `zd-<id>` for a ticket.
pub fn ticket_id(id: SourceId) -> Id {
    id.prefixed("zd-")
}

/// `zd-u<id>` for a user, customer or agent alike (Zendesk has one user id space).
pub fn user_id(id: SourceId) -> Id {
    id.prefixed("zd-u")
}

fn group_id(id: SourceId) -> Id {
    id.prefixed("zd-g")
}

fn organization_id(id: SourceId) -> Id {
    id.prefixed("zd-o")
}

/// Tags as Sanjeh keeps them; a tag Sanjeh cannot hold (empty, over 128 bytes) is dropped.
fn tags<'a>(raw: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let kept = raw
        .into_iter()
        .flat_map(str::split_whitespace)
        .filter(|t| t.len() <= 128)
        .map(str::to_owned);
    sanjeh_domain::normalize_tags("tags", kept).unwrap_or_default()
}

/// Tags from an audit value: an array of strings or one space-separated string.
fn tags_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => tags(items.iter().filter_map(Value::as_str)),
        Value::String(s) => tags([s.as_str()]),
        _ => Vec::new(),
    }
}

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

fn id_in(value: Option<&Value>) -> Option<SourceId> {
    value.and_then(SourceId::from_value)
}

impl Zendesk {
    fn time(&self, raw: Option<&str>) -> Option<Timestamp> {
        raw.and_then(|r| parse_time(r, &self.tz))
    }

    /// Who a Zendesk user is on a ticket: the users file's role when it has the user; else the
    /// ticket's requester is the customer and anyone else an agent. `-1` is Zendesk itself.
    fn author(&self, user: Option<SourceId>, requester: Option<i64>) -> Author {
        let Some(user) = user else {
            return Author::System;
        };
        if user.0 == SYSTEM_USER {
            return Author::System;
        }
        let staff = self
            .staff
            .get(&user.0)
            .copied()
            .unwrap_or(Some(user.0) != requester);
        if staff {
            Author::Agent(user_id(user))
        } else {
            Author::Customer(user_id(user))
        }
    }

    fn user(&mut self, u: User, out: &mut Out<'_>) {
        let Some(id) = u.id else {
            return out.skip("id", "a user needs an id");
        };
        let Some(at) = self.time(u.updated_at.as_deref().or(u.created_at.as_deref())) else {
            return out.skip("updated_at", "a user needs updated_at or created_at");
        };
        let staff = match u.role.as_deref() {
            None => false,
            Some(role) => vocab::is_staff(role).unwrap_or_else(|| {
                out.unmapped("role", role);
                false
            }),
        };
        self.staff.insert(id.0, staff);
        let event_id = format!("zd:user:{id}@{}", at.as_second());
        let body = if staff {
            EventBody::AgentProfile(AgentProfile {
                agent: user_id(id),
                name: u.name,
                email: u.email,
                role: u.role.filter(|r| r == "admin").or(Some("agent".into())),
                groups: None,
                active: u.active,
            })
        } else {
            EventBody::CustomerProfile(CustomerProfile {
                customer: user_id(id),
                name: u.name,
                email: u.email,
                organization: u.organization_id.map(organization_id),
                language: u.locale,
            })
        };
        out.event(at, event_id, body);
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
        let event_id = format!("zd:{what}:{id}@{}", at.as_second());
        let body = if what == "group" {
            EventBody::GroupProfile {
                group: group_id(id),
                name: n.name,
            }
        } else {
            EventBody::OrganizationProfile {
                organization: organization_id(id),
                name: n.name,
            }
        };
        out.event(at, event_id, body);
    }

    fn audit(&mut self, mut a: Audit, out: &mut Out<'_>) {
        let Some(audit) = a.id else {
            return out.skip("id", "an audit needs an id");
        };
        let Some(ticket) = a.ticket_id else {
            return out.skip("ticket_id", "an audit needs a ticket_id");
        };
        let Some(at) = self.time(a.created_at.as_deref()) else {
            return out.skip("created_at", "an audit needs created_at (a time)");
        };
        let creates = a.events.iter().any(|e| e.kind.as_deref() == Some("Create"));
        match (self.tickets.contains_key(&ticket.0), creates) {
            (false, true) => {
                self.create_from_audit(&a, audit, ticket, at, out);
                self.apply_audit(&mut a, audit, ticket, at, true, out);
            }
            (true, false) => self.apply_audit(&mut a, audit, ticket, at, false, out),
            (false, false) => out.skip(
                "ticket_id",
                format!(
                    "ticket {ticket} has no creation audit earlier in the export; its audits are \
                     left out (the tickets file, if given, still creates it)"
                ),
            ),
            (true, true) => out.skip(
                "events",
                format!("ticket {ticket} was already created; a second creation audit is left out"),
            ),
        }
    }

    /// `ticket.created` from the audit that created the ticket: its `Create` events hold the
    /// ticket's first values, its `via` the channel.
    fn create_from_audit(
        &mut self,
        a: &Audit,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        out: &mut Out<'_>,
    ) {
        let created = |name: &str| {
            a.events
                .iter()
                .find(|e| {
                    e.kind.as_deref() == Some("Create") && e.field_name.as_deref() == Some(name)
                })
                .and_then(|e| e.value.as_ref())
        };
        let requester = id_in(created("requester_id")).or(a.author_id);
        self.tickets.insert(
            ticket.0,
            Known {
                requester: requester.map(|r| r.0),
                status: Status::New,
                from_audits: true,
            },
        );
        let via = a.via.clone().unwrap_or_default();
        let channel_name = via.channel_name();
        let channel = out.mapped(
            "via.channel",
            channel_name.as_deref(),
            vocab::channel(channel_name.as_deref()),
        );
        let priority = text(created("priority"));
        let priority = out.mapped("priority", priority, vocab::priority(priority));
        let kind = text(created("type"));
        let kind = out.mapped("type", kind, vocab::kind(kind));
        // The first comment's author opened the ticket: an agent there makes it outbound.
        let opener = a
            .events
            .iter()
            .find(|e| is_comment(e))
            .and_then(|e| e.author_id)
            .or(a.author_id);
        let body = TicketCreated {
            ticket: ticket_id(ticket),
            customer: requester.map(user_id),
            organization: id_in(created("organization_id")).map(organization_id),
            channel,
            priority,
            group: id_in(created("group_id")).map(group_id),
            subject: text(created("subject")).map(str::to_owned),
            tags: created("tags").map(tags_of).unwrap_or_default(),
            kind,
            by: Some(self.author(opener, requester.map(|r| r.0))),
        };
        out.event(
            at,
            format!("zd:audit:{audit}"),
            EventBody::TicketCreated(body),
        );
    }

    /// The audit's comments, then its changes (assignment, fields), then its status change, so
    /// that a reply and the solve it came with are counted in that order.
    fn apply_audit(
        &mut self,
        a: &mut Audit,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        creating: bool,
        out: &mut Out<'_>,
    ) {
        let requester = self.tickets.get(&ticket.0).and_then(|k| k.requester);
        let by = self.author(a.author_id, requester);
        let channel = a.via.as_ref().and_then(known_channel);
        // Read before the comments' bodies move into their messages: a merge names its target
        // in the comment.
        let merged = a.via.as_ref().and_then(Via::channel_name).as_deref() == Some("merge");
        let merge_into = if merged {
            merge_target(a, ticket)
        } else {
            None
        };
        let audit_author = a.author_id;
        for e in a.events.iter_mut().filter(|e| is_comment(e)) {
            self.comment_event(e, audit_author, audit, ticket, at, channel, requester, out);
        }
        let wanted = if creating { "Create" } else { "Change" };
        let changes: Vec<&AuditEvent> = a
            .events
            .iter()
            .filter(|e| e.kind.as_deref() == Some(wanted))
            .collect();
        self.assignment(&changes, audit, ticket, at, creating, &by, out);
        if !creating {
            for e in &changes {
                self.field_change(e, audit, ticket, at, &by, out);
            }
        }
        let status = changes
            .iter()
            .find(|e| e.field_name.as_deref() == Some("status"));
        if let Some(e) = status {
            self.status_change(e, merged.then_some(merge_into), audit, ticket, at, &by, out);
        }
        if !self.ratings_file {
            for e in a
                .events
                .iter()
                .filter(|e| e.kind.as_deref() == Some("SatisfactionRating"))
            {
                self.rating_event(e, audit, ticket, at, requester, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn comment_event(
        &self,
        e: &mut AuditEvent,
        audit_author: Option<SourceId>,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        channel: Option<Channel>,
        requester: Option<i64>,
        out: &mut Out<'_>,
    ) {
        let Some(event) = e.id else {
            return out.skip("events.id", "a comment needs an id");
        };
        let author = self.author(e.author_id.or(audit_author), requester);
        let voice = e.kind.as_deref() == Some("VoiceComment");
        let body = TicketMessage {
            ticket: ticket_id(ticket),
            author,
            public: e.public.unwrap_or(true),
            body: e.body.take().unwrap_or_default(),
            channel: if voice { Some(Channel::Phone) } else { channel },
            message: Some(event.prefixed("zd-c")),
        };
        out.event(
            at,
            format!("zd:audit:{audit}:{event}"),
            EventBody::TicketMessage(body),
        );
    }

    /// Assignee and group changes of one audit, as one `ticket.assigned` when the assignee
    /// changed (it sets both), else a group-only `ticket.updated`.
    #[allow(clippy::too_many_arguments)]
    fn assignment(
        &self,
        changes: &[&AuditEvent],
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        creating: bool,
        by: &Author,
        out: &mut Out<'_>,
    ) {
        let field = |name: &str| {
            changes
                .iter()
                .find(|e| e.field_name.as_deref() == Some(name))
        };
        let assignee = field("assignee_id");
        let group = field("group_id").and_then(|e| id_in(e.value.as_ref()));
        match assignee {
            Some(e) => {
                let agent = id_in(e.value.as_ref());
                if creating && agent.is_none() {
                    return;
                }
                let event = e.id.map_or_else(|| "assignee".into(), |id| id.to_string());
                out.event(
                    at,
                    format!("zd:audit:{audit}:{event}"),
                    EventBody::TicketAssigned {
                        ticket: ticket_id(ticket),
                        agent: agent.map(user_id),
                        group: if creating { None } else { group.map(group_id) },
                        by: Some(by.clone()),
                    },
                );
            }
            None if !creating => {
                if let (Some(group), Some(e)) = (group, field("group_id")) {
                    let event = e.id.map_or_else(|| "group".into(), |id| id.to_string());
                    let update = TicketUpdated {
                        ticket: Some(ticket_id(ticket)),
                        group: Some(group_id(group)),
                        by: Some(by.clone()),
                        ..TicketUpdated::default()
                    };
                    out.event(
                        at,
                        format!("zd:audit:{audit}:{event}"),
                        EventBody::TicketUpdated(update),
                    );
                }
            }
            None => {}
        }
    }

    /// A change of priority, type, tags, subject, requester or organization.
    fn field_change(
        &mut self,
        e: &AuditEvent,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        by: &Author,
        out: &mut Out<'_>,
    ) {
        let mut update = TicketUpdated {
            ticket: Some(ticket_id(ticket)),
            by: Some(by.clone()),
            ..TicketUpdated::default()
        };
        let value = e.value.as_ref();
        match e.field_name.as_deref() {
            Some("priority") => {
                let raw = text(value);
                update.priority = Some(out.mapped("priority", raw, vocab::priority(raw)));
            }
            Some("type") => {
                let raw = text(value);
                update.kind = out.mapped("type", raw, vocab::kind(raw));
                if update.kind.is_none() {
                    return;
                }
            }
            Some("tags") => update.tags = Some(value.map(tags_of).unwrap_or_default()),
            Some("subject") => update.subject = Some(text(value).unwrap_or_default().to_owned()),
            Some("requester_id") => {
                let Some(requester) = id_in(value) else {
                    return;
                };
                if let Some(known) = self.tickets.get_mut(&ticket.0) {
                    known.requester = Some(requester.0);
                }
                update.customer = Some(user_id(requester));
            }
            Some("organization_id") => {
                let Some(organization) = id_in(value) else {
                    return;
                };
                update.organization = Some(organization_id(organization));
            }
            _ => return,
        }
        let event = e.id.map_or_else(|| "change".into(), |id| id.to_string());
        out.event(
            at,
            format!("zd:audit:{audit}:{event}"),
            EventBody::TicketUpdated(update),
        );
    }

    /// A status change; a close by a merge (`merge` is `Some` for an audit via `merge`, with
    /// the target it names) is a `ticket.merged` when the ticket merged into is known.
    #[allow(clippy::too_many_arguments)]
    fn status_change(
        &mut self,
        e: &AuditEvent,
        merge: Option<Option<SourceId>>,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        by: &Author,
        out: &mut Out<'_>,
    ) {
        let Some(raw) = text(e.value.as_ref()) else {
            return;
        };
        let Some(status) = vocab::status(raw) else {
            return out.unmapped("status", raw);
        };
        let event = e.id.map_or_else(|| "status".into(), |id| id.to_string());
        let event_id = format!("zd:audit:{audit}:{event}");
        let current = self.tickets.get(&ticket.0).map(|k| k.status);
        if current == Some(status) {
            return;
        }
        if let Some(target) = merge
            && status == Status::Closed
        {
            match target.filter(|t| self.tickets.contains_key(&t.0)) {
                Some(into) => {
                    out.event(
                        at,
                        event_id,
                        EventBody::TicketMerged {
                            ticket: ticket_id(ticket),
                            into: ticket_id(into),
                            by: Some(by.clone()),
                        },
                    );
                    self.set_status(ticket, status);
                    return;
                }
                None => out.unmapped("merge", "target ticket not found in the export"),
            }
        }
        out.event(
            at,
            event_id,
            EventBody::TicketStatus {
                ticket: ticket_id(ticket),
                status,
                by: Some(by.clone()),
            },
        );
        self.set_status(ticket, status);
    }

    fn set_status(&mut self, ticket: SourceId, status: Status) {
        if let Some(known) = self.tickets.get_mut(&ticket.0) {
            known.status = status;
        }
    }

    fn rating_event(
        &self,
        e: &AuditEvent,
        audit: SourceId,
        ticket: SourceId,
        at: Timestamp,
        requester: Option<i64>,
        out: &mut Out<'_>,
    ) {
        let Some(raw) = e.score.as_deref() else {
            return;
        };
        let good = match vocab::csat(raw) {
            Ok(Some(good)) => good,
            Ok(None) => return,
            Err(()) => return out.unmapped("score", raw),
        };
        let event = e.id.map_or_else(|| "rating".into(), |id| id.to_string());
        let body = SurveyResponse {
            survey: SurveyKind::Csat,
            score: if good { Score::Good } else { Score::Bad },
            ticket: Some(ticket_id(ticket)),
            customer: requester.map(|r| user_id(SourceId(r))),
            agent: e.assignee_id.map(user_id),
            comment: e.body.clone().filter(|b| !b.is_empty()),
        };
        out.event(
            at,
            format!("zd:audit:{audit}:{event}"),
            EventBody::SurveyResponse(body),
        );
    }

    /// A ticket from the tickets file. A ticket created from its audits gets nothing more;
    /// any other is created here, with what a ticket record tells: its first values are its
    /// current ones, its embedded comments (full exports) become messages, and its current
    /// status is reached at `updated_at` (a solve at `metric_set.solved_at` when given).
    fn ticket(&mut self, t: Ticket, out: &mut Out<'_>) {
        let Some(ticket) = t.id else {
            return out.skip("id", "a ticket needs an id");
        };
        if let Some(known) = self.tickets.get(&ticket.0) {
            if !known.from_audits {
                out.skip(
                    "id",
                    format!("ticket {ticket} appears twice; the first is kept"),
                );
            }
            return;
        }
        let Some(created) = self.time(t.created_at.as_deref()) else {
            return out.skip("created_at", "a ticket needs created_at (a time)");
        };
        let requester = t.requester_id;
        let mut comments: Vec<(Timestamp, &Comment)> = t
            .comments
            .iter()
            .flatten()
            .map(|c| (self.time(c.created_at.as_deref()).unwrap_or(created), c))
            .collect();
        comments.sort_by_key(|(at, _)| *at);
        let opener = comments
            .first()
            .and_then(|(_, c)| c.author_id)
            .or(t.submitter_id)
            .or(requester);
        let via = t.via.clone().unwrap_or_default();
        let channel_name = via.channel_name();
        let channel = out.mapped(
            "via.channel",
            channel_name.as_deref(),
            vocab::channel(channel_name.as_deref()),
        );
        let priority = out.mapped(
            "priority",
            t.priority.as_deref(),
            vocab::priority(t.priority.as_deref()),
        );
        let kind = out.mapped("type", t.kind.as_deref(), vocab::kind(t.kind.as_deref()));
        self.tickets.insert(
            ticket.0,
            Known {
                requester: requester.map(|r| r.0),
                status: Status::New,
                from_audits: false,
            },
        );
        let body = TicketCreated {
            ticket: ticket_id(ticket),
            customer: requester.map(user_id),
            organization: t.organization_id.map(organization_id),
            channel,
            priority,
            group: t.group_id.map(group_id),
            subject: t.subject.clone(),
            tags: tags(t.tags.iter().flatten().map(String::as_str)),
            kind,
            by: Some(self.author(opener, requester.map(|r| r.0))),
        };
        out.event(
            created,
            format!("zd:ticket:{ticket}"),
            EventBody::TicketCreated(body),
        );
        if let Some(assignee) = t.assignee_id {
            out.event(
                created,
                format!("zd:ticket:{ticket}:assignee"),
                EventBody::TicketAssigned {
                    ticket: ticket_id(ticket),
                    agent: Some(user_id(assignee)),
                    group: None,
                    by: None,
                },
            );
        }
        let mut last = created;
        for (at, c) in &comments {
            self.embedded_comment(c, *at, ticket, requester, out);
            last = last.max(*at);
        }
        self.derived_status(&t, ticket, last, out);
    }

    fn embedded_comment(
        &self,
        c: &Comment,
        at: Timestamp,
        ticket: SourceId,
        requester: Option<SourceId>,
        out: &mut Out<'_>,
    ) {
        let Some(comment) = c.id else {
            return out.skip("comments.id", "a comment needs an id");
        };
        let body = TicketMessage {
            ticket: ticket_id(ticket),
            author: self.author(c.author_id, requester.map(|r| r.0)),
            public: c.public.unwrap_or(true),
            body: c
                .plain_body
                .clone()
                .or_else(|| c.body.clone())
                .unwrap_or_default(),
            channel: c.via.as_ref().and_then(known_channel),
            message: Some(comment.prefixed("zd-c")),
        };
        out.event(
            at,
            format!("zd:comment:{comment}"),
            EventBody::TicketMessage(body),
        );
    }

    /// The current status of a ticket known only from the tickets file, reached at
    /// `updated_at`; a solved or closed ticket is solved at `metric_set.solved_at` when given.
    fn derived_status(&mut self, t: &Ticket, ticket: SourceId, last: Timestamp, out: &mut Out<'_>) {
        let Some(raw) = t.status.as_deref() else {
            return;
        };
        let Some(status) = vocab::status(raw) else {
            return out.unmapped("status", raw);
        };
        if status == Status::New {
            return;
        }
        let updated = self.time(t.updated_at.as_deref()).unwrap_or(last).max(last);
        let solved_at = t
            .metric_set
            .as_ref()
            .and_then(|m| self.time(m.solved_at.as_deref()))
            .map(|s| s.max(last));
        let mut steps = Vec::with_capacity(2);
        match (status, solved_at) {
            (Status::Solved, Some(s)) => steps.push((Status::Solved, s)),
            (Status::Closed, Some(s)) => {
                steps.push((Status::Solved, s));
                steps.push((Status::Closed, updated.max(s)));
            }
            _ => steps.push((status, updated)),
        }
        for (status, at) in steps {
            out.event(
                at,
                format!("zd:ticket:{ticket}:status:{status}"),
                EventBody::TicketStatus {
                    ticket: ticket_id(ticket),
                    status,
                    by: None,
                },
            );
            self.set_status(ticket, status);
        }
    }

    fn rating(&mut self, r: SatisfactionRating, out: &mut Out<'_>) {
        let Some(id) = r.id else {
            return out.skip("id", "a satisfaction rating needs an id");
        };
        let Some(raw) = r.score.as_deref() else {
            return out.skip("score", "a satisfaction rating needs a score");
        };
        let good = match vocab::csat(raw) {
            Ok(Some(good)) => good,
            Ok(None) => return,
            Err(()) => return out.unmapped("score", raw),
        };
        let Some(at) = self.time(r.updated_at.as_deref().or(r.created_at.as_deref())) else {
            return out.skip(
                "updated_at",
                "a satisfaction rating needs updated_at or created_at",
            );
        };
        let body = SurveyResponse {
            survey: SurveyKind::Csat,
            score: if good { Score::Good } else { Score::Bad },
            ticket: r.ticket_id.map(ticket_id),
            customer: r.requester_id.map(user_id),
            agent: r.assignee_id.map(user_id),
            comment: r.comment.filter(|c| !c.is_empty()),
        };
        out.event(at, format!("zd:csat:{id}"), EventBody::SurveyResponse(body));
    }
}

/// A message's channel, when `via` names one Sanjeh has (a message's channel is optional, so
/// an unknown one is simply left out rather than reported on every comment).
fn known_channel(via: &Via) -> Option<Channel> {
    match vocab::channel(via.channel_name().as_deref()) {
        Mapped::Known(channel) => Some(channel),
        Mapped::Fallback(_) => None,
    }
}

fn is_comment(e: &AuditEvent) -> bool {
    matches!(e.kind.as_deref(), Some("Comment" | "VoiceComment"))
}

/// The ticket a merge closed `ticket` into: named in the audit's `via.source` (`to` or `from`,
/// `ticket_id` or `ticket_ids`), else in its comment ("…merged into request #123").
fn merge_target(a: &Audit, ticket: SourceId) -> Option<SourceId> {
    let source = a.via.as_ref().and_then(|v| v.source.as_ref());
    let in_source = source
        .into_iter()
        .flat_map(|s| [s.to.as_ref(), s.from.as_ref()]);
    for side in in_source.flatten() {
        let candidates = side.get("ticket_id").into_iter().chain(
            side.get("ticket_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        if let Some(id) = candidates
            .filter_map(SourceId::from_value)
            .find(|id| *id != ticket)
        {
            return Some(id);
        }
    }
    a.events
        .iter()
        .filter(|e| is_comment(e))
        .filter_map(|e| e.body.as_deref())
        .find_map(|body| number_after(body, "merged into"))
        .filter(|id| *id != ticket)
}

/// The first `#123` after `marker` in `text` (case-insensitive marker).
fn number_after(text: &str, marker: &str) -> Option<SourceId> {
    let lower = text.to_lowercase();
    let start = lower.find(marker)? + marker.len();
    let rest = &lower[start..];
    let hash = rest.find('#')?;
    let digits: String = rest[hash + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(SourceId)
}
