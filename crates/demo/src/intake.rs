//! One arrival turned into stories: who the customer is, what they want and through which
//! channel, what they did before the ticket existed (help-centre reading, calls that gave up
//! in the queue), the ticket's own story, and whether the customer later churns.

use crate::arrivals::{Arrival, Outage};
use crate::calendar::{HOUR, MINUTE, Region, Secs};
use crate::catalog::{self, TOPICS};
use crate::directory::{Contact, Directory, LEAD, Recent};
use crate::feedback;
use crate::ids;
use crate::lifecycle::{self, Opening, Outcome, Request};
use crate::roster::{Group, Roster};
use crate::sample::{DemoRng, between, chance, count, popular, wait, weighted};
use crate::schedule::{Schedule, Script};
use rand::Rng;
use sanjeh_domain::event::{LifecycleState, Score, SurveyResponse};
use sanjeh_domain::{Channel, EventBody, Id, Kind, Priority};

/// Share of arrivals that are agents reaching out, when a sales or billing agent is on duty.
const OUTBOUND_RATE: f64 = 0.06;
/// Chance that a customer writing again while their ticket is open gets merged.
const MERGE_RATE: f64 = 0.45;

/// Everything that outlives a single arrival.
pub(crate) struct Intake {
    pub rng: DemoRng,
    pub roster: Roster,
    pub directory: Directory,
    outages: Vec<Outage>,
    end: Secs,
    calls: u32,
    opportunities: u32,
    /// Anonymous help-centre visitors are numbered from 1 to this.
    visitors: u64,
}

impl Intake {
    pub(crate) fn new(
        rng: DemoRng,
        roster: Roster,
        directory: Directory,
        outages: Vec<Outage>,
        end: Secs,
        visitors: u64,
    ) -> Intake {
        Intake {
            rng,
            roster,
            directory,
            outages,
            end,
            calls: 0,
            opportunities: 0,
            visitors: visitors.max(100),
        }
    }

    /// Plans everything that follows from one arrival and hands it to the schedule. Events
    /// may start up to [`LEAD`] before the arrival.
    pub(crate) fn admit(&mut self, a: Arrival, schedule: &mut Schedule) {
        let t0 = a.at;
        let mut script = Script::default();
        let outage = self.outages.iter().any(|o| t0 >= o.from && t0 < o.to);
        let outreach = if !outage && chance(&mut self.rng, OUTBOUND_RATE) {
            let group = if chance(&mut self.rng, 0.6) {
                Group::Sales
            } else {
                Group::Billing
            };
            self.roster
                .on_duty_now(group, t0, &mut self.rng)
                .map(|agent| (agent, group))
        } else {
            None
        };
        let (contact, profile) = match outreach {
            Some(_) => self.directory.outbound(&mut self.rng, t0, a.region),
            None => self.directory.inbound(&mut self.rng, t0, a.region),
        };
        for body in profile {
            script.push(t0 - LEAD, body);
        }
        let customer = ids::customer(contact.customer);
        if contact.comeback {
            script.push(
                t0,
                EventBody::CustomerLifecycle {
                    customer: customer.clone(),
                    state: LifecycleState::Active,
                },
            );
        }
        let number = self.directory.next_ticket();
        let ticket = ids::ticket(number);

        let (request, topic, opening) = match outreach {
            Some((agent, group)) => self.outreach(&contact, ticket, customer, group, agent, t0),
            None => {
                let topic = if outage && chance(&mut self.rng, 0.6) {
                    catalog::outage_topic()
                } else {
                    self.topic()
                };
                let mut request = self.request(&contact, ticket, customer, topic, t0);
                match self.duplicate(&contact, &mut request, t0) {
                    Some((opening, prev_topic)) => (request, prev_topic, opening),
                    None => {
                        let opening = self.opening(&mut request, &contact, &mut script);
                        (request, topic, opening)
                    }
                }
            }
        };
        self.read_help_centre(&mut script, &contact, t0);

        let merged = matches!(opening, Opening::Duplicate { .. });
        let outbound = matches!(opening, Opening::Outbound { .. });
        let outcome = lifecycle::play(
            &mut self.rng,
            &self.roster,
            &mut self.opportunities,
            &request,
            opening,
            &mut script,
        );
        self.directory.record(
            Recent {
                ticket: number,
                customer: contact.customer,
                topic,
                created: t0,
                first_solve: outcome.first_solve.unwrap_or(Secs::MAX),
                closed: outcome.closed.unwrap_or(Secs::MAX),
                outbound,
            },
            merged,
        );
        self.plan_churn(schedule, &contact, &request, &outcome);
        self.others_read_help_centre(&mut script, t0);
        self.relationship_survey(&mut script, t0);
        schedule.add(script, None);
    }

    fn topic(&mut self) -> usize {
        let total: f64 = TOPICS.iter().map(|t| t.weight).sum();
        let mut x = self.rng.random::<f64>() * total;
        for (i, t) in TOPICS.iter().enumerate() {
            if x < t.weight {
                return i;
            }
            x -= t.weight;
        }
        TOPICS.len() - 1
    }

    /// An inbound request about `topic`: kind, priority, channel, subject.
    fn request(
        &mut self,
        contact: &Contact,
        ticket: Id,
        customer: Id,
        topic: usize,
        t0: Secs,
    ) -> Request {
        let rng = &mut self.rng;
        let t = &TOPICS[topic];
        let kind = if chance(rng, if t.touchy { 0.12 } else { 0.04 }) {
            Kind::Complaint
        } else if t.breakage {
            weighted(
                rng,
                &[
                    (Kind::Incident, 0.55),
                    (Kind::Problem, 0.12),
                    (Kind::Question, 0.33),
                ],
            )
        } else {
            weighted(rng, &[(Kind::Question, 0.8), (Kind::Task, 0.2)])
        };
        let priority = priority(rng, kind);
        let (social, sms, email) = if contact.region == Region::Tehran {
            (0.10, 0.06, 0.25)
        } else {
            (0.06, 0.03, 0.31)
        };
        let mut channel = weighted(
            rng,
            &[
                (Channel::Email, email),
                (Channel::Web, 0.20),
                (Channel::Chat, 0.22),
                (Channel::Phone, 0.12),
                (Channel::Social, social),
                (Channel::Sms, sms),
                (Channel::Api, 0.05),
            ],
        );
        if channel == Channel::Api && contact.org == 0 {
            channel = Channel::Web; // only companies integrate through the API
        }
        let mut tags = vec![t.tag.to_owned()];
        if contact.frequent && contact.org != 0 {
            tags.push("vip".to_owned());
        }
        Request {
            ticket,
            customer,
            organization: (contact.org != 0).then(|| ids::organization(contact.org)),
            lang: contact.lang,
            group: t.group,
            kind,
            priority,
            channel,
            tags,
            subject: catalog::subject(t, contact.lang, kind, false),
            created: t0,
        }
    }

    /// An agent's proactive contact.
    fn outreach(
        &mut self,
        contact: &Contact,
        ticket: Id,
        customer: Id,
        group: Group,
        agent: usize,
        t0: Secs,
    ) -> (Request, usize, Opening) {
        let which = self.rng.random_range(0..catalog::OUTREACH.len());
        let o = &catalog::OUTREACH[which];
        let channel = weighted(
            &mut self.rng,
            &[
                (Channel::Email, 0.7),
                (Channel::Phone, 0.2),
                (Channel::Sms, 0.1),
            ],
        );
        let request = Request {
            ticket,
            customer,
            organization: (contact.org != 0).then(|| ids::organization(contact.org)),
            lang: contact.lang,
            group,
            kind: Kind::Task,
            priority: Priority::Normal,
            channel,
            tags: vec![o.tag.to_owned(), "outbound".to_owned()],
            subject: o.subject[contact.lang.index()].to_owned(),
            created: t0,
        };
        let topic = TOPICS.iter().position(|t| t.group == group).unwrap_or(0);
        (
            request,
            topic,
            Opening::Outbound {
                agent,
                outreach: which,
            },
        )
    }

    /// If the customer's previous ticket is still open, this one may be the same request
    /// again: it is then about the same topic and an agent merges it into the earlier one,
    /// which must still be open at that moment.
    fn duplicate(
        &mut self,
        contact: &Contact,
        request: &mut Request,
        t0: Secs,
    ) -> Option<(Opening, usize)> {
        let prev = self.directory.duplicate_candidate(contact.customer, t0)?;
        if !chance(&mut self.rng, MERGE_RATE) {
            return None;
        }
        let topic = &TOPICS[prev.topic];
        let notice = t0 + wait(&mut self.rng, 30.0 * MINUTE as f64, 0.9);
        let (at, agent) = self.roster.take_up(topic.group, notice, &mut self.rng);
        if at + MINUTE >= prev.closed || at >= self.end {
            return None;
        }
        request.group = topic.group;
        request.tags[0] = topic.tag.to_owned();
        request.subject = catalog::subject(topic, contact.lang, request.kind, true);
        if request.channel == Channel::Phone {
            request.channel = Channel::Email;
        }
        Some((
            Opening::Duplicate {
                into: ids::ticket(prev.ticket),
                at,
                agent,
            },
            prev.topic,
        ))
    }

    /// How the ticket opens: phone calls need an agent on the line (else the customer
    /// writes instead) and may follow calls abandoned in the queue.
    fn opening(
        &mut self,
        request: &mut Request,
        contact: &Contact,
        script: &mut Script,
    ) -> Opening {
        if request.channel != Channel::Phone {
            return Opening::Inbound;
        }
        let t0 = request.created;
        let Some(agent) = self.roster.on_duty_now(request.group, t0, &mut self.rng) else {
            request.channel = Channel::Email;
            return Opening::Inbound;
        };
        let queue = request.group.key();
        let customer = ids::customer(contact.customer);
        let answered_after = wait(&mut self.rng, 10.0, 0.8).min(10 * MINUTE);
        let queued = t0 - answered_after;
        // Earlier attempts, latest first: some hang up within seconds, others after a wait.
        let attempts = if chance(&mut self.rng, 0.075) {
            1 + u32::from(chance(&mut self.rng, 0.25))
        } else {
            0
        };
        let mut abandoned = Vec::new();
        let mut before = queued;
        for _ in 0..attempts {
            let gap = between(&mut self.rng, 2 * MINUTE, 30 * MINUTE);
            let waited = if chance(&mut self.rng, 0.3) {
                between(&mut self.rng, 1, 4)
            } else {
                wait(&mut self.rng, 75.0, 0.8).min(15 * MINUTE)
            };
            before -= gap + waited;
            abandoned.push((before, waited));
        }
        for &(at, waited) in abandoned.iter().rev() {
            let call = self.next_call();
            script.push(
                at,
                EventBody::CallQueued {
                    call: call.clone(),
                    queue: Some(queue.to_owned()),
                    customer: Some(customer.clone()),
                },
            );
            script.push(at + waited, EventBody::CallAbandoned { call });
        }
        let call = self.next_call();
        script.push(
            queued,
            EventBody::CallQueued {
                call: call.clone(),
                queue: Some(queue.to_owned()),
                customer: Some(customer),
            },
        );
        script.push(
            t0,
            EventBody::CallAnswered {
                call: call.clone(),
                agent: Some(self.roster.agents[agent].id.clone()),
            },
        );
        Opening::Call { agent, call }
    }

    fn next_call(&mut self) -> Id {
        self.calls += 1;
        ids::call(self.calls)
    }

    /// The customer looking for an answer in the help centre before writing in.
    fn read_help_centre(&mut self, script: &mut Script, contact: &Contact, t0: Secs) {
        let visitor = format!("v-c{}", contact.customer);
        for _ in 0..count(&mut self.rng, 0.45) {
            let at = t0 - between(&mut self.rng, 2 * MINUTE, 90 * MINUTE);
            self.view(script, at, visitor.clone(), 0.1, 0.35);
        }
    }

    /// Other visitors, most of whom find their answer and never write in.
    fn others_read_help_centre(&mut self, script: &mut Script, t0: Secs) {
        for _ in 0..count(&mut self.rng, 0.6) {
            let at = t0 + between(&mut self.rng, 0, 3 * HOUR);
            let visitor = format!("v-{}", self.rng.random_range(1..=self.visitors));
            self.view(script, at, visitor, 0.15, 0.8);
        }
    }

    fn view(
        &mut self,
        script: &mut Script,
        at: Secs,
        visitor: String,
        vote_rate: f64,
        helpful_rate: f64,
    ) {
        let article = ids::article(popular(&mut self.rng, catalog::ARTICLES) + 1);
        let target = format!("article:{article}");
        script.push(
            at,
            EventBody::ArticleViewed {
                article,
                visitor: Some(visitor.clone()),
            },
        );
        if chance(&mut self.rng, vote_rate) {
            let helpful = chance(&mut self.rng, helpful_rate);
            script.push(
                at + between(&mut self.rng, 20, 300),
                EventBody::Vote {
                    target,
                    helpful,
                    visitor: Some(visitor),
                },
            );
        }
    }

    /// Now and then a customer answers the periodic "would you recommend us?" survey.
    fn relationship_survey(&mut self, script: &mut Script, t0: Secs) {
        if !chance(&mut self.rng, 0.025) {
            return;
        }
        let Some((customer, lang)) = self.directory.anyone(&mut self.rng) else {
            return;
        };
        let a = feedback::relationship_nps(&mut self.rng, lang);
        script.push(
            t0 + between(&mut self.rng, 0, HOUR),
            EventBody::SurveyResponse(SurveyResponse {
                survey: a.survey,
                score: Score::Scale(a.score),
                ticket: None,
                customer: Some(ids::customer(customer)),
                agent: None,
                comment: a.comment.map(str::to_owned),
            }),
        );
    }

    /// Unhappy customers sometimes leave a month or so later, unless they come back first.
    fn plan_churn(
        &mut self,
        schedule: &mut Schedule,
        contact: &Contact,
        request: &Request,
        outcome: &Outcome,
    ) {
        let s = outcome.satisfaction.unwrap_or(3.5);
        let p =
            0.02 + if s < 2.5 {
                0.2
            } else if s < 3.5 {
                0.05
            } else {
                0.0
            } + if request.kind == Kind::Complaint {
                0.05
            } else {
                0.0
            } + if outcome.reopened { 0.03 } else { 0.0 };
        if !chance(&mut self.rng, p) {
            return;
        }
        let at = outcome.last_event + wait(&mut self.rng, 30.0 * 86_400.0, 0.6);
        if at >= self.end {
            return;
        }
        let guard = self.directory.plan_churn(contact.customer, at);
        let mut script = Script::default();
        script.push(
            guard.at,
            EventBody::CustomerLifecycle {
                customer: ids::customer(contact.customer),
                state: LifecycleState::Churned,
            },
        );
        schedule.add(script, Some(guard));
    }
}

fn priority(rng: &mut DemoRng, kind: Kind) -> Priority {
    use Priority::*;
    let weights: &[(Priority, f64)] = match kind {
        Kind::Incident => &[(Low, 0.03), (Normal, 0.45), (High, 0.37), (Urgent, 0.15)],
        Kind::Problem => &[(Normal, 0.5), (High, 0.4), (Urgent, 0.1)],
        Kind::Complaint => &[(Normal, 0.5), (High, 0.45), (Urgent, 0.05)],
        Kind::Question => &[(Low, 0.22), (Normal, 0.68), (High, 0.09), (Urgent, 0.01)],
        Kind::Task => &[(Low, 0.3), (Normal, 0.62), (High, 0.08)],
    };
    weighted(rng, weights)
}
