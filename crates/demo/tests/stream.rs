//! The demo stream obeys the rules an importer and the KPI engine rely on.

use sanjeh_demo::{DemoConfig, generate};
use sanjeh_domain::event::{LifecycleState, Score};
use sanjeh_domain::{Author, Event, EventBody, Id, Status, SurveyKind};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const TICKETS: u64 = 2_000;

fn config() -> DemoConfig {
    DemoConfig {
        tickets: TICKETS,
        seed: 7,
        ..DemoConfig::default()
    }
}

/// The stream for `config()`, generated once for all tests.
fn events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| generate(&config()).collect())
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let lines = |c: &DemoConfig| generate(c).map(|e| e.to_line()).collect::<Vec<_>>();
    let small = DemoConfig {
        tickets: 500,
        ..config()
    };
    assert_eq!(lines(&small), lines(&small));
    assert_ne!(
        lines(&small),
        lines(&DemoConfig {
            seed: 8,
            ..small.clone()
        })
    );
    let again: Vec<String> = events().iter().map(Event::to_line).collect();
    assert_eq!(again, lines(&config()));
}

#[test]
fn events_are_in_time_order_within_the_year() {
    let c = config();
    let (start, end) = (c.start, c.end());
    let events = events();
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(events.iter().all(|e| e.at >= start && e.at < end));
    assert!(
        events.iter().all(|e| e.at.subsec_nanosecond() == 0),
        "whole seconds"
    );
}

#[test]
fn every_line_round_trips() {
    for e in events() {
        let line = e.to_line();
        let back = Event::parse_line(&line).unwrap_or_else(|err| panic!("{line}: {err}"));
        assert_eq!(&back, e, "{line}");
    }
}

#[test]
fn exactly_the_tickets_asked_for_and_a_plausible_event_count() {
    let created = events()
        .iter()
        .filter(|e| matches!(e.body, EventBody::TicketCreated(_)))
        .count();
    assert_eq!(created as u64, TICKETS);
    let per_ticket = events().len() as f64 / TICKETS as f64;
    assert!(
        (8.0..=12.5).contains(&per_ticket),
        "{per_ticket} events per ticket"
    );
}

#[test]
fn every_event_type_appears() {
    let seen: HashSet<&str> = events().iter().map(|e| e.body.type_name()).collect();
    for t in [
        "ticket.created",
        "ticket.message",
        "ticket.status",
        "ticket.assigned",
        "ticket.updated",
        "ticket.merged",
        "survey.response",
        "vote",
        "call.queued",
        "call.answered",
        "call.abandoned",
        "call.ended",
        "article.viewed",
        "cost",
        "opportunity",
        "customer.lifecycle",
        "agent.profile",
        "customer.profile",
        "group.profile",
        "organization.profile",
    ] {
        assert!(seen.contains(t), "no {t}");
    }
}

/// Replays the stream with the referential rules of recorded history.
#[test]
fn references_and_transitions_are_ones_a_real_desk_makes() {
    let mut tickets: HashMap<&Id, Status> = HashMap::new();
    let mut last_ticket_number = 0u32;
    let (mut agents, mut groups, mut customers, mut orgs) = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    let mut calls: HashMap<&Id, &str> = HashMap::new();
    let known = |set: &HashSet<&Id>, id: &Option<Id>, what: &str, e: &Event| {
        if let Some(id) = id {
            assert!(set.contains(id), "{what} {id} unknown: {}", e.to_line());
        }
    };
    for e in events() {
        let line = || e.to_line();
        // Ticket events need a live ticket.
        if let Some(t) = e.body.ticket()
            && !matches!(e.body, EventBody::TicketCreated(_))
        {
            let status = tickets
                .get(t)
                .unwrap_or_else(|| panic!("unknown ticket: {}", line()));
            assert_ne!(
                *status,
                Status::Closed,
                "event on a closed ticket: {}",
                line()
            );
        }
        match &e.body {
            EventBody::GroupProfile { group, .. } => {
                groups.insert(group);
            }
            EventBody::AgentProfile(a) => {
                for g in a.groups.iter().flatten() {
                    assert!(groups.contains(g), "{}", line());
                }
                agents.insert(&a.agent);
            }
            EventBody::OrganizationProfile { organization, .. } => {
                assert!(orgs.insert(organization), "organization twice: {}", line());
            }
            EventBody::CustomerProfile(c) => {
                known(&orgs, &c.organization, "organization", e);
                assert!(customers.insert(&c.customer), "customer twice: {}", line());
            }
            EventBody::TicketCreated(c) => {
                assert!(
                    !tickets.contains_key(&c.ticket),
                    "created twice: {}",
                    line()
                );
                let n: u32 = c.ticket.as_str()[2..].parse().unwrap();
                assert_eq!(
                    n,
                    last_ticket_number + 1,
                    "tickets are numbered in creation order"
                );
                last_ticket_number = n;
                known(&customers, &c.customer, "customer", e);
                known(&orgs, &c.organization, "organization", e);
                known(&groups, &c.group, "group", e);
                if let Some(Author::Agent(a)) = &c.by {
                    assert!(agents.contains(a), "{}", line());
                }
                tickets.insert(&c.ticket, Status::New);
            }
            EventBody::TicketStatus { ticket, status, .. } => {
                assert_ne!(*status, Status::New, "back to new: {}", line());
                let from = tickets[ticket];
                assert_ne!(from, *status, "no-op status change: {}", line());
                tickets.insert(ticket, *status);
            }
            EventBody::TicketMerged { ticket, into, .. } => {
                assert_ne!(ticket, into);
                let target = tickets
                    .get(into)
                    .unwrap_or_else(|| panic!("merged into unknown: {}", line()));
                assert_ne!(
                    *target,
                    Status::Closed,
                    "merged into a closed ticket: {}",
                    line()
                );
                tickets.insert(ticket, Status::Closed);
            }
            EventBody::TicketAssigned { agent, group, .. } => {
                known(&agents, agent, "agent", e);
                known(&groups, group, "group", e);
            }
            EventBody::TicketMessage(m) => {
                if let Author::Agent(a) | Author::Customer(a) = &m.author {
                    assert!(agents.contains(a) || customers.contains(a), "{}", line());
                }
                assert!(!m.body.is_empty());
            }
            EventBody::SurveyResponse(s) => {
                known(&customers, &s.customer, "customer", e);
                known(&agents, &s.agent, "agent", e);
                let Score::Scale(v) = s.score else {
                    panic!("numeric scores")
                };
                let range = match s.survey {
                    SurveyKind::Csat => 1..=5,
                    SurveyKind::Nps => 0..=10,
                    SurveyKind::Ces => 1..=7,
                };
                assert!(range.contains(&v), "{}", line());
            }
            EventBody::CallQueued { call, customer, .. } => {
                known(&customers, customer, "customer", e);
                assert!(calls.insert(call, "queued").is_none(), "call queued twice");
            }
            EventBody::CallAnswered { call, agent } => {
                known(&agents, agent, "agent", e);
                assert_eq!(calls.insert(call, "answered"), Some("queued"), "{}", line());
            }
            EventBody::CallAbandoned { call } => {
                assert_eq!(
                    calls.insert(call, "abandoned"),
                    Some("queued"),
                    "{}",
                    line()
                );
            }
            EventBody::CallEnded { call, .. } => {
                assert_eq!(calls.insert(call, "ended"), Some("answered"), "{}", line());
            }
            EventBody::CustomerLifecycle { customer, .. } => {
                assert!(customers.contains(customer), "{}", line());
            }
            EventBody::Opportunity(o) => known(&agents, &o.agent, "agent", e),
            _ => {}
        }
    }
    let unsolved = tickets.values().filter(|s| s.is_unsolved()).count();
    assert!(unsolved > 0, "some backlog remains at the end");
    assert!(
        unsolved < TICKETS as usize / 10,
        "{unsolved} unsolved is too many"
    );
}

#[test]
fn the_history_has_outbound_merges_reopens_abandons_and_closes() {
    let events = events();
    let count = |f: &dyn Fn(&EventBody) -> bool| events.iter().filter(|e| f(&e.body)).count();
    let outbound = count(
        &|b| matches!(b, EventBody::TicketCreated(c) if matches!(c.by, Some(Author::Agent(_)))),
    );
    let merges = count(&|b| matches!(b, EventBody::TicketMerged { .. }));
    let closes = count(&|b| {
        matches!(
            b,
            EventBody::TicketStatus {
                status: Status::Closed,
                ..
            }
        )
    });
    let pendings = count(&|b| {
        matches!(
            b,
            EventBody::TicketStatus {
                status: Status::Pending,
                ..
            }
        )
    });
    let holds = count(&|b| {
        matches!(
            b,
            EventBody::TicketStatus {
                status: Status::OnHold,
                ..
            }
        )
    });
    let notes = count(&|b| matches!(b, EventBody::TicketMessage(m) if !m.public));
    let bots =
        count(&|b| matches!(b, EventBody::TicketMessage(m) if matches!(m.author, Author::Bot(_))));
    let churns = count(&|b| {
        matches!(
            b,
            EventBody::CustomerLifecycle {
                state: LifecycleState::Churned,
                ..
            }
        )
    });
    for (what, n, at_least) in [
        ("outbound", outbound, 20),
        ("merges", merges, 5),
        ("closes", closes, TICKETS as usize / 2),
        ("pending", pendings, 100),
        ("on hold", holds, 5),
        ("internal notes", notes, 50),
        ("bot messages", bots, 100),
        ("churns", churns, 10),
    ] {
        assert!(n >= at_least, "{what}: {n}");
    }

    // Reopens: solved → an unsolved status, always after a customer message.
    let mut status: HashMap<&Id, Status> = HashMap::new();
    let mut reopens = 0;
    for e in events {
        if let EventBody::TicketStatus {
            ticket,
            status: to,
            by,
        } = &e.body
        {
            if status.get(ticket) == Some(&Status::Solved) && to.is_unsolved() {
                reopens += 1;
                assert!(matches!(by, Some(Author::Customer(_))), "{}", e.to_line());
            }
            status.insert(ticket, *to);
        }
    }
    assert!(reopens >= 20, "reopens: {reopens}");

    // Abandoned calls: some hang up within 5 s, some after a long wait.
    let mut queued = HashMap::new();
    let (mut quick, mut long) = (0, 0);
    for e in events {
        match &e.body {
            EventBody::CallQueued { call, .. } => {
                queued.insert(call, e.at);
            }
            EventBody::CallAbandoned { call } => {
                let waited = e.at.duration_since(queued[call]).as_secs();
                if waited < 5 {
                    quick += 1;
                } else if waited >= 60 {
                    long += 1;
                }
            }
            _ => {}
        }
    }
    assert!(
        quick > 0 && long > 0,
        "abandons: {quick} quick, {long} long"
    );
}

#[test]
fn customers_come_back_and_write_in_three_languages() {
    let events = events();
    let mut per_customer: HashMap<&Id, u32> = HashMap::new();
    for e in events {
        if let EventBody::TicketCreated(c) = &e.body {
            *per_customer
                .entry(c.customer.as_ref().unwrap())
                .or_default() += 1;
        }
    }
    let repeat = per_customer.values().filter(|&&n| n > 1).count();
    assert!(
        repeat * 5 > per_customer.len(),
        "{repeat} of {} customers wrote more than once",
        per_customer.len()
    );

    let comments: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::SurveyResponse(s) => s.comment.as_deref(),
            _ => None,
        })
        .collect();
    let persian = comments
        .iter()
        .any(|c| c.chars().any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)));
    let russian = comments
        .iter()
        .any(|c| c.chars().any(|ch| ('\u{0400}'..='\u{04FF}').contains(&ch)));
    let english = comments.iter().any(|c| c.is_ascii());
    assert!(persian && russian && english);
}

#[test]
fn memory_follows_open_tickets_not_the_total() {
    let config = DemoConfig {
        tickets: 5_000,
        seed: 1,
        ..DemoConfig::default()
    };
    let mut demo = generate(&config);
    let mut most = 0;
    while demo.next().is_some() {
        most = most.max(demo.in_flight());
    }
    assert!(most < 5_000 / 10, "{most} stories held at once");
}
