//! One ticket's story, from creation to close, planned in full when the ticket arrives.
//!
//! The story follows what a real desk does: routing and assignment, a first reply within
//! the channel's usual time (chat in a minute or two, e-mail in hours, nights and weekends
//! waiting for the next shift), rounds of questions that leave the ticket pending until the
//! customer answers, escalation to second line, solves, reopens when the customer writes
//! back, surveys, and the automatic close a few days later. Status changes are always
//! explicit events, because an import replays recorded history and applies no rules.

use crate::calendar::{DAY, HOUR, MINUTE, Secs};
use crate::catalog::{self, Lang, Phrases};
use crate::feedback::{self, Experience};
use crate::finance::dollars;
use crate::ids;
use crate::roster::{Group, Roster};
use crate::sample::{DemoRng, between, chance, lognormal, pick, wait, weighted};
use crate::schedule::Script;
use sanjeh_domain::event::{
    Opportunity, OpportunityStatus, Score, SurveyResponse, TicketCreated, TicketMessage,
    TicketUpdated,
};
use sanjeh_domain::{Author, Channel, EventBody, Id, Kind, Priority, Status};

/// The bot that greets chats and answers simple questions.
const BOT: &str = "sanjeh-bot";

/// What a ticket is about, decided at intake.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub ticket: Id,
    pub customer: Id,
    pub organization: Option<Id>,
    pub lang: Lang,
    pub group: Group,
    pub kind: Kind,
    pub priority: Priority,
    pub channel: Channel,
    pub tags: Vec<String>,
    pub subject: String,
    pub created: Secs,
}

/// How the ticket came to be.
#[derive(Debug, Clone)]
pub(crate) enum Opening {
    /// The customer wrote in.
    Inbound,
    /// The customer called; `agent` answered at the ticket's creation.
    Call { agent: usize, call: Id },
    /// An agent contacted the customer (`outreach` indexes [`catalog::OUTREACH`]).
    Outbound { agent: usize, outreach: usize },
    /// The customer wrote again about an open ticket; `agent` merges this one into it.
    Duplicate { into: Id, at: Secs, agent: usize },
}

/// What intake needs to know about the planned story.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub first_solve: Option<Secs>,
    /// Closed or merged away.
    pub closed: Option<Secs>,
    pub last_event: Secs,
    /// The customer's latent satisfaction (1–5), when the ticket was solved.
    pub satisfaction: Option<f64>,
    pub reopened: bool,
}

/// Plans the ticket's events into `script` (starting with `ticket.created`).
pub(crate) fn play(
    rng: &mut DemoRng,
    roster: &Roster,
    opportunities: &mut u32,
    req: &Request,
    opening: Opening,
    script: &mut Script,
) -> Outcome {
    let mut run = Run {
        rng,
        roster,
        opportunities,
        req,
        script,
        group: req.group,
        priority: req.priority,
        agent: None,
        status: Status::New,
        first_reply: None,
        first_solve: None,
        last_solve: None,
        last: req.created,
        reopened: false,
        rounds: 0,
        merged_at: None,
        satisfaction: None,
        outbound: matches!(opening, Opening::Outbound { .. }),
    };
    let by = match &opening {
        Opening::Outbound { agent, .. } => Some(Author::Agent(roster.agents[*agent].id.clone())),
        _ => None,
    };
    run.created(by);
    if matches!(opening, Opening::Inbound | Opening::Duplicate { .. }) {
        run.describe();
    }
    match opening {
        Opening::Inbound => run.inbound(),
        Opening::Call { agent, call } => run.call(agent, call),
        Opening::Outbound { agent, outreach } => run.outbound(agent, outreach),
        Opening::Duplicate { into, at, agent } => run.merge(into, at, agent),
    }
    if run.status == Status::Solved {
        run.after_solve();
    }
    Outcome {
        first_solve: run.first_solve,
        closed: run
            .merged_at
            .or((run.status == Status::Closed).then_some(run.last)),
        last_event: run.last,
        satisfaction: run.satisfaction,
        reopened: run.reopened,
    }
}

/// The ticket while its story is being planned.
struct Run<'a> {
    rng: &'a mut DemoRng,
    roster: &'a Roster,
    opportunities: &'a mut u32,
    req: &'a Request,
    script: &'a mut Script,
    group: Group,
    priority: Priority,
    agent: Option<usize>,
    status: Status,
    first_reply: Option<Secs>,
    first_solve: Option<Secs>,
    last_solve: Option<Secs>,
    last: Secs,
    reopened: bool,
    rounds: u32,
    merged_at: Option<Secs>,
    satisfaction: Option<f64>,
    outbound: bool,
}

impl Run<'_> {
    fn ticket(&self) -> Id {
        self.req.ticket.clone()
    }

    fn emit(&mut self, t: Secs, body: EventBody) {
        debug_assert!(
            self.status != Status::Closed && self.merged_at.is_none(),
            "event after close"
        );
        self.last = self.last.max(t);
        self.script.push(t, body);
    }

    fn created(&mut self, by: Option<Author>) {
        let r = self.req;
        self.emit(
            r.created,
            EventBody::TicketCreated(TicketCreated {
                ticket: r.ticket.clone(),
                customer: Some(r.customer.clone()),
                organization: r.organization.clone(),
                channel: r.channel,
                priority: r.priority,
                group: Some(r.group.id()),
                subject: Some(r.subject.clone()),
                tags: r.tags.clone(),
                kind: Some(r.kind),
                by,
            }),
        );
    }

    /// The customer's first message, which the ticket was made from.
    fn describe(&mut self) {
        let detail = *pick(
            self.rng,
            catalog::phrases(&catalog::CUSTOMER_DETAIL, self.req.lang),
        );
        let body = catalog::opening_message(&self.req.subject, self.req.lang, detail);
        let author = self.customer_author();
        self.message(self.req.created, author, true, body);
    }

    // ---- who says what ----

    fn agent_author(&self) -> Author {
        let agent = self.agent.expect("an agent is assigned before acting");
        Author::Agent(self.roster.agents[agent].id.clone())
    }

    fn customer_author(&self) -> Author {
        Author::Customer(self.req.customer.clone())
    }

    fn bot_author() -> Author {
        Author::Bot(ids::id(BOT.to_owned()))
    }

    fn message(&mut self, t: Secs, author: Author, public: bool, body: String) {
        if public && matches!(author, Author::Agent(_)) {
            self.first_reply.get_or_insert(t);
        }
        let ticket = self.ticket();
        self.emit(
            t,
            EventBody::TicketMessage(TicketMessage {
                ticket,
                author,
                public,
                body,
                channel: None,
                message: None,
            }),
        );
    }

    fn phrase(&mut self, p: &Phrases) -> String {
        (*pick(self.rng, catalog::phrases(p, self.req.lang))).to_owned()
    }

    fn agent_says(&mut self, t: Secs, p: &Phrases) {
        let body = self.phrase(p);
        let author = self.agent_author();
        self.message(t, author, true, body);
    }

    fn customer_says(&mut self, t: Secs, p: &Phrases) {
        let body = self.phrase(p);
        let author = self.customer_author();
        self.message(t, author, true, body);
    }

    fn bot_says(&mut self, t: Secs, p: &Phrases) {
        let body = self.phrase(p);
        self.message(t, Self::bot_author(), true, body);
    }

    /// An internal note in the agent's own language.
    fn note(&mut self, t: Secs, p: &Phrases) {
        let agent = self.agent.expect("an agent is assigned before a note");
        let body = (*pick(
            self.rng,
            catalog::phrases(p, self.roster.agents[agent].lang()),
        ))
        .to_owned();
        let author = self.agent_author();
        self.message(t, author, false, body);
    }

    /// Records a status change; real desks never go back to new or touch a closed ticket.
    fn set_status(&mut self, t: Secs, to: Status, by: Author) {
        assert!(
            to != Status::New && self.status != Status::Closed,
            "{} → {to}",
            self.status
        );
        if self.status == to {
            return;
        }
        if self.status.is_unsolved() && !to.is_unsolved() {
            self.first_solve.get_or_insert(t);
            self.last_solve = Some(t);
        } else if !self.status.is_unsolved() && to.is_unsolved() {
            self.reopened = true;
        }
        let ticket = self.ticket();
        self.emit(
            t,
            EventBody::TicketStatus {
                ticket,
                status: to,
                by: Some(by),
            },
        );
        self.status = to;
    }

    fn agent_sets(&mut self, t: Secs, to: Status) {
        let by = self.agent_author();
        self.set_status(t, to, by);
    }

    fn customer_sets(&mut self, t: Secs, to: Status) {
        let by = self.customer_author();
        self.set_status(t, to, by);
    }

    fn assign(&mut self, t: Secs, agent: usize, group: Group) {
        self.agent = Some(agent);
        self.group = group;
        let ticket = self.ticket();
        let agent = self.roster.agents[agent].id.clone();
        self.emit(
            t,
            EventBody::TicketAssigned {
                ticket,
                agent: Some(agent),
                group: Some(group.id()),
                by: None,
            },
        );
    }

    // ---- how long things take ----

    /// The usual wait for an agent's reply on this channel and priority, before shifts.
    fn reply_delay(&mut self, first: bool) -> Secs {
        let (median, sigma) = match self.req.channel {
            Channel::Chat => (90.0, 0.9),
            Channel::Phone => (40.0 * MINUTE as f64, 1.0),
            Channel::Social => (25.0 * MINUTE as f64, 1.0),
            Channel::Sms => (20.0 * MINUTE as f64, 1.0),
            Channel::Web => (50.0 * MINUTE as f64, 1.0),
            Channel::Email => (2.5 * HOUR as f64, 1.0),
            Channel::Api => (1.5 * HOUR as f64, 1.1),
            Channel::Other => (1.0 * HOUR as f64, 1.0),
        };
        let speed = self.agent.map_or(1.0, |a| self.roster.agents[a].speed);
        let later = if first { 1.0 } else { 0.8 };
        wait(
            self.rng,
            median * priority_factor(self.priority) * speed * later,
            sigma,
        )
    }

    /// Time to investigate and fix after acknowledging.
    fn work_delay(&mut self) -> Secs {
        wait(
            self.rng,
            3.0 * HOUR as f64 * priority_factor(self.priority),
            1.2,
        )
    }

    /// How long the customer takes to answer a question.
    fn customer_delay(&mut self) -> Secs {
        if self.req.channel == Channel::Chat && chance(self.rng, 0.7) {
            wait(self.rng, 150.0, 0.8)
        } else {
            wait(self.rng, 3.0 * HOUR as f64, 1.3)
        }
    }

    /// When the assigned agent can act on something ready at `t`.
    fn ready(&mut self, t: Secs) -> Secs {
        let agent = self.agent.expect("an agent is assigned");
        self.roster.available(agent, t, self.rng)
    }

    // ---- the openings ----

    fn inbound(&mut self) {
        let t0 = self.req.created;
        let greets = match self.req.channel {
            Channel::Chat => true,
            Channel::Web => chance(self.rng, 0.5),
            Channel::Social => chance(self.rng, 0.3),
            _ => false,
        };
        if greets {
            let t = t0 + between(self.rng, 1, 5);
            self.bot_says(t, &catalog::BOT_GREETING);
        }
        let mut ready = t0;
        if self.req.channel == Channel::Chat
            && self.req.kind == Kind::Question
            && chance(self.rng, 0.12)
        {
            // Self-service: the bot answers with an article and marks the chat solved.
            let t = t0 + between(self.rng, 30, 150);
            self.bot_says(t, &catalog::BOT_ANSWER);
            self.set_status(t + 2, Status::Solved, Self::bot_author());
            if !chance(self.rng, 0.2) {
                return;
            }
            ready = t + wait(self.rng, 8.0 * MINUTE as f64, 0.8);
            self.customer_says(ready, &catalog::WANTS_HUMAN);
            self.customer_sets(ready, Status::Open);
        }
        let routing = if self.req.channel == Channel::Chat {
            between(self.rng, 5, 40)
        } else {
            wait(self.rng, 3.0 * MINUTE as f64, 0.8)
        };
        let (assigned, agent) = self.roster.take_up(self.group, ready + routing, self.rng);
        self.assign(assigned, agent, self.group);
        if chance(self.rng, 0.1) {
            let t = assigned + between(self.rng, 20, 600);
            self.triage(t);
        }
        let first = self.reply_delay(true);
        let t = self.ready(assigned.max(ready + first));
        self.maybe_opportunity(t);
        self.work(t);
    }

    /// Raises the priority once the agent has read the ticket.
    fn triage(&mut self, t: Secs) {
        let raised = match self.priority {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High | Priority::Urgent => Priority::Urgent,
        };
        self.priority = raised;
        let by = Some(self.agent_author());
        let ticket = Some(self.ticket());
        let mut tags = self.req.tags.clone();
        tags.push("priority-raised".to_owned());
        self.emit(
            t,
            EventBody::TicketUpdated(TicketUpdated {
                ticket,
                priority: Some(raised),
                tags: Some(tags),
                by,
                ..TicketUpdated::default()
            }),
        );
    }

    /// A phone ticket: the call is the first reply; most are solved on the line.
    fn call(&mut self, agent: usize, call: Id) {
        let t0 = self.req.created;
        self.assign(t0, agent, self.group);
        let talk = wait(self.rng, 4.0 * MINUTE as f64, 0.6).min(HOUR);
        let hold = if chance(self.rng, 0.3) {
            between(self.rng, 20, 180)
        } else {
            0
        };
        let wrapup = between(self.rng, 15, 120);
        let end = t0 + talk + hold;
        self.script.push(
            end,
            EventBody::CallEnded {
                call,
                hold_s: Some(hold),
                wrapup_s: Some(wrapup),
            },
        );
        self.agent_says(end, &catalog::CALL_SUMMARY);
        self.maybe_opportunity(end);
        if chance(self.rng, 0.72) {
            self.agent_sets(end + wrapup, Status::Solved);
        } else {
            self.agent_sets(end + wrapup, Status::Open);
            let t = self.work_delay();
            let t = self.ready(end + wrapup + t);
            self.work(t);
        }
    }

    /// A contact the agent starts: a question to the customer, who may never answer.
    fn outbound(&mut self, agent: usize, outreach: usize) {
        let t0 = self.req.created;
        self.assign(t0, agent, self.group);
        let t = t0 + between(self.rng, 20, 120);
        let body = catalog::OUTREACH[outreach].message[self.req.lang.index()].to_owned();
        let author = self.agent_author();
        self.message(t, author, true, body);
        self.agent_sets(t, Status::Pending);
        if chance(self.rng, 0.2) {
            let t = t + between(self.rng, 30, 600);
            self.opportunity(t);
        }
        if chance(self.rng, 0.62) {
            let answered = t + wait(self.rng, 5.0 * HOUR as f64, 1.2);
            self.customer_says(answered, &catalog::CUSTOMER_OUTREACH_REPLY);
            self.customer_sets(answered, Status::Open);
            let delay = self.reply_delay(false);
            let t = self.ready(answered + delay);
            self.agent_says(t, &catalog::AGENT_SOLUTION);
            self.agent_sets(t, Status::Solved);
        } else {
            self.no_response(t);
        }
    }

    /// A duplicate: greeted like any ticket, then merged into the earlier one.
    fn merge(&mut self, into: Id, at: Secs, agent: usize) {
        if matches!(self.req.channel, Channel::Chat | Channel::Web) {
            let t = self.req.created + between(self.rng, 1, 5);
            self.bot_says(t, &catalog::BOT_GREETING);
        }
        let ticket = self.ticket();
        let by = Some(Author::Agent(self.roster.agents[agent].id.clone()));
        self.emit(
            at.max(self.last + 1),
            EventBody::TicketMerged { ticket, into, by },
        );
        self.merged_at = Some(self.last);
    }

    // ---- working the ticket ----

    /// From the moment the agent answers publicly at `t` until the solve.
    fn work(&mut self, mut t: Secs) {
        if chance(self.rng, 0.006) {
            // Forgotten: acknowledged, then nobody comes back to it (the backlog).
            self.agent_says(t, &catalog::AGENT_ACK);
            self.agent_sets(t, Status::Open);
            return;
        }
        let serious = matches!(self.req.kind, Kind::Incident | Kind::Problem);
        if chance(self.rng, if serious { 0.4 } else { 0.12 }) {
            self.agent_says(t, &catalog::AGENT_ACK);
            self.agent_sets(t, Status::Open);
            let w = self.work_delay();
            t = self.ready(t + w);
        }
        if self.group == Group::Technical && chance(self.rng, if serious { 0.25 } else { 0.05 }) {
            t = self.escalate(t);
        }
        if chance(self.rng, 0.15) {
            let at = t + between(self.rng, 10, 300);
            self.note(at, &catalog::INTERNAL_NOTE);
            t = at + between(self.rng, 10, 120);
        }
        let rounds = if self.req.channel == Channel::Chat {
            weighted(self.rng, &[(0, 0.7), (1, 0.25), (2, 0.05)])
        } else {
            weighted(self.rng, &[(0, 0.55), (1, 0.32), (2, 0.1), (3, 0.03)])
        };
        for _ in 0..rounds {
            match self.ask(t) {
                Some(next) => t = next,
                None => return,
            }
        }
        self.agent_says(t, &catalog::AGENT_SOLUTION);
        self.agent_sets(t, Status::Solved);
    }

    /// A pending round: the agent asks at `t`, the ticket waits for the customer. Returns
    /// when the agent can answer the reply, or `None` if the customer never replied and the
    /// ticket was solved for lack of response.
    fn ask(&mut self, t: Secs) -> Option<Secs> {
        self.rounds += 1;
        self.agent_says(t, &catalog::AGENT_QUESTION);
        self.agent_sets(t, Status::Pending);
        if chance(self.rng, 0.07) {
            self.no_response(t);
            return None;
        }
        let answered = t + self.customer_delay();
        self.customer_says(answered, &catalog::CUSTOMER_ANSWER);
        self.customer_sets(answered, Status::Open);
        let delay = self.reply_delay(false);
        Some(self.ready(answered + delay))
    }

    /// Solves a pending ticket after days without an answer.
    fn no_response(&mut self, asked: Secs) {
        let days = between(self.rng, 3 * DAY, 5 * DAY);
        let t = self.ready(asked + days);
        self.agent_says(t, &catalog::AGENT_NO_RESPONSE);
        self.agent_sets(t, Status::Solved);
    }

    /// Hands the ticket to second line, sometimes on hold while a developer looks.
    fn escalate(&mut self, t: Secs) -> Secs {
        let noted = t + between(self.rng, 30, 300);
        self.note(noted, &catalog::ESCALATION_NOTE);
        let (taken, l2) =
            self.roster
                .take_up(Group::L2, noted + between(self.rng, 60, 900), self.rng);
        self.assign(taken, l2, Group::L2);
        if self.status == Status::Open && chance(self.rng, 0.4) {
            self.agent_sets(taken + 60, Status::OnHold);
            let back = wait(self.rng, 20.0 * HOUR as f64, 0.9);
            let back = self.ready(taken + 60 + back);
            self.agent_sets(back, Status::Open);
            back
        } else {
            let w = self.work_delay();
            self.ready(taken + w)
        }
    }

    /// Reopens, surveys and the close that follow the solve.
    fn after_solve(&mut self) {
        let serious = matches!(self.req.kind, Kind::Incident | Kind::Problem);
        let reopen_rate = 0.05
            + if serious { 0.04 } else { 0.0 }
            + if self.req.kind == Kind::Complaint {
                0.08
            } else {
                0.0
            };
        if self.agent.is_some() && chance(self.rng, reopen_rate) {
            let solved = self.last_solve.expect("solved");
            let back = solved + wait(self.rng, 18.0 * HOUR as f64, 1.0);
            if back - solved < 3 * DAY {
                self.customer_says(back, &catalog::CUSTOMER_REOPEN);
                self.customer_sets(back, Status::Open);
                let delay = self.reply_delay(false);
                let mut t = self.ready(back + delay);
                if chance(self.rng, 0.25) {
                    match self.ask(t) {
                        Some(next) => t = next,
                        None => return self.survey_and_close(),
                    }
                }
                self.agent_says(t, &catalog::AGENT_SOLUTION);
                self.agent_sets(t, Status::Solved);
            }
        }
        self.survey_and_close();
    }

    fn survey_and_close(&mut self) {
        let solved = self.last_solve.expect("solved");
        let experience = Experience {
            reopened: self.reopened,
            rounds: self.rounds,
            complaint: self.req.kind == Kind::Complaint,
            first_reply: self.first_reply.map(|f| f - self.req.created),
            resolution: solved - self.req.created,
            agent_quality: self.agent.map_or(0.0, |a| self.roster.agents[a].quality),
            outbound: self.outbound,
        };
        let (satisfaction, answers) = feedback::answers(self.rng, &experience, self.req.lang);
        self.satisfaction = Some(satisfaction);
        for a in answers {
            let agent = self.agent.map(|i| self.roster.agents[i].id.clone());
            self.script.push(
                solved + a.delay,
                EventBody::SurveyResponse(SurveyResponse {
                    survey: a.survey,
                    score: Score::Scale(a.score),
                    ticket: Some(self.ticket()),
                    customer: Some(self.req.customer.clone()),
                    agent,
                    comment: a.comment.map(str::to_owned),
                }),
            );
            self.last = self.last.max(solved + a.delay);
        }
        // Most desks close solved tickets automatically after a few days of silence.
        if chance(self.rng, 0.7) {
            let at = (solved + between(self.rng, 3 * DAY, 5 * DAY)).max(self.last + 10 * MINUTE);
            self.set_status(at, Status::Closed, Author::System);
        }
    }

    // ---- revenue ----

    fn maybe_opportunity(&mut self, t: Secs) {
        let rate = match self.group {
            Group::Sales => 0.2,
            Group::Billing => 0.06,
            Group::Technical | Group::L2 => 0.02,
        };
        if chance(self.rng, rate) {
            let t = t + between(self.rng, 60, 1800);
            self.opportunity(t);
        }
    }

    /// An upsell or cross-sell the agent spotted, and how it ended some days later.
    fn opportunity(&mut self, t: Secs) {
        *self.opportunities += 1;
        let id = ids::opportunity(*self.opportunities);
        let kind = if chance(self.rng, 0.6) {
            "upsell"
        } else {
            "cross_sell"
        };
        // Prices like 49, 99, 219: round to tens, minus one.
        let price = ((lognormal(self.rng, 220.0, 0.9) / 10.0).round() * 10.0 - 1.0).max(19.0);
        let agent = self.agent.map(|a| self.roster.agents[a].id.clone());
        let offer = |status| {
            EventBody::Opportunity(Opportunity {
                opportunity: Some(id.clone()),
                ticket: Some(self.req.ticket.clone()),
                agent: agent.clone(),
                kind: kind.to_owned(),
                amount: dollars(price),
                currency: "USD".to_owned(),
                status,
            })
        };
        let opened = offer(OpportunityStatus::Open);
        let outcome = weighted(
            self.rng,
            &[
                (Some(OpportunityStatus::Won), 0.36),
                (Some(OpportunityStatus::Lost), 0.44),
                (None, 0.2),
            ],
        );
        let decided = t + wait(self.rng, 6.0 * DAY as f64, 0.7).min(30 * DAY);
        let closed = outcome.map(offer);
        self.emit(t, opened);
        if let Some(body) = closed {
            self.emit(decided, body);
        }
    }
}

/// Urgent tickets are answered faster, low ones slower.
fn priority_factor(p: Priority) -> f64 {
    match p {
        Priority::Low => 1.5,
        Priority::Normal => 1.0,
        Priority::High => 0.55,
        Priority::Urgent => 0.3,
    }
}
