//! One ticket's SLA targets, followed event by event.
//!
//! A target is measured by a *run*: it starts when the promise starts (the customer's ticket,
//! a customer message awaiting a reply, an agent's update), counts time while it runs (business
//! and calendar time both, so a change of target between the two keeps its history), pauses in
//! the statuses that pause it, and ends when the promise is kept or no longer owed. A run
//! whose counted time passes its target is breached at that exact instant, whether or not an
//! event happens then.
//!
//! Runs start whether or not the matching policy has a target for them, so a priority raised
//! mid-flight puts the new target on the time already waited. The policy is matched again at
//! every event of the ticket, against the policies in effect at that event: a policy change
//! applies to a ticket from its next event on, and an outcome once reached is never rewritten
//! (a target lowered below the time already counted is breached at the change, not earlier).

use crate::clock::{CalendarClock, Clocks, WorkClock};
use crate::policy::{Hours, PolicySet, Target, TicketAttrs};
use sanjeh_domain::event::TicketCreated;
use sanjeh_domain::{Author, EventBody, Millis, Status};
use serde::{Deserialize, Serialize};

/// The four promises of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    FirstReply,
    NextReply,
    PeriodicUpdate,
    Resolution,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::FirstReply,
        Metric::NextReply,
        Metric::PeriodicUpdate,
        Metric::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstReply => "first_reply",
            Metric::NextReply => "next_reply",
            Metric::PeriodicUpdate => "periodic_update",
            Metric::Resolution => "resolution",
        }
    }

    fn target(self, t: &crate::policy::Targets) -> Option<Target> {
        match self {
            Metric::FirstReply => t.first_reply,
            Metric::NextReply => t.next_reply,
            Metric::PeriodicUpdate => t.periodic_update,
            Metric::Resolution => t.resolution,
        }
    }

    /// Whether the target's clock stops in `status`. The requester does not wait while the
    /// ticket waits on them (pending); updates are not owed while pending or on hold. Replies
    /// are owed whatever the status (as Zendesk's reply targets).
    fn pauses_in(self, status: Status) -> bool {
        match self {
            Metric::Resolution => status == Status::Pending,
            Metric::PeriodicUpdate => matches!(status, Status::Pending | Status::OnHold),
            Metric::FirstReply | Metric::NextReply => false,
        }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Active,
    Paused,
    Achieved,
    Breached,
}

/// A target's state for the caller: due date, breach, outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricStatus {
    pub metric: Metric,
    pub policy: String,
    pub target: Target,
    pub state: State,
    pub started_at: Millis,
    /// When the target falls due, while it runs.
    pub due_at: Option<Millis>,
    pub breached_at: Option<Millis>,
    /// When the run ended (kept or no longer owed).
    pub ended_at: Option<Millis>,
    /// Counted time so far, in the target's hours.
    pub counted_ms: i64,
}

/// A run that ended: one data point of the achievement rate of its target and policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    pub metric: Metric,
    pub policy: String,
    pub target: Target,
    pub started_at: Millis,
    pub ended_at: Millis,
    pub breached_at: Option<Millis>,
    /// Counted time at the end, in the target's hours.
    pub counted_ms: i64,
}

impl Finished {
    pub fn achieved(&self) -> bool {
        self.breached_at.is_none()
    }
}

/// One measurement of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Run {
    metric: Metric,
    started_at: Millis,
    business_ms: i64,
    calendar_ms: i64,
    /// Time is counted up to here.
    counted_to: Millis,
    paused: bool,
    ended_at: Option<Millis>,
    /// The policy and target now applying; `None` when no policy promises this.
    target: Option<(String, Target)>,
    breached_at: Option<Millis>,
}

impl Run {
    fn new(metric: Metric, at: Millis, status: Status) -> Run {
        Run {
            metric,
            started_at: at,
            business_ms: 0,
            calendar_ms: 0,
            counted_to: at,
            paused: metric.pauses_in(status),
            ended_at: None,
            target: None,
            breached_at: None,
        }
    }

    fn counted(&self, hours: Hours) -> i64 {
        match hours {
            Hours::Business => self.business_ms,
            Hours::Calendar => self.calendar_ms,
        }
    }

    fn running(&self) -> bool {
        !self.paused && self.ended_at.is_none()
    }

    /// When the target falls due, counting on from `counted_to`.
    fn due(&self, business: &dyn WorkClock) -> Option<Millis> {
        let (_, target) = self.target.as_ref()?;
        let left = target.ms() - self.counted(target.hours);
        Some(clock_for(target.hours, business).after(self.counted_to, left.max(0)))
    }

    /// Counts time up to `to`, noting a breach that fell before it.
    fn advance(&mut self, to: Millis, business: &dyn WorkClock) {
        if to <= self.counted_to {
            return;
        }
        if self.running() {
            if self.breached_at.is_none()
                && let Some(due) = self.due(business)
                && due < to
            {
                self.breached_at = Some(due);
            }
            self.business_ms += business.counted_ms(self.counted_to, to);
            self.calendar_ms += to - self.counted_to;
        }
        self.counted_to = to;
    }

    /// Puts the target now applying on the run; a target already exceeded is breached now.
    fn retarget(&mut self, target: Option<(String, Target)>, at: Millis) {
        if self.ended_at.is_some() || self.target == target {
            return;
        }
        if let Some((_, t)) = &target
            && self.breached_at.is_none()
            && self.counted(t.hours) >= t.ms()
        {
            self.breached_at = Some(at);
        }
        self.target = target;
    }

    fn status(&self, now: Millis, business: &dyn WorkClock) -> Option<MetricStatus> {
        let (policy, target) = self.target.clone()?;
        let mut at_now = self.clone();
        at_now.advance(now, business);
        let state = match (at_now.ended_at, at_now.breached_at, at_now.paused) {
            (_, Some(_), _) => State::Breached,
            (Some(_), None, _) => State::Achieved,
            (None, None, true) => State::Paused,
            (None, None, false) => State::Active,
        };
        Some(MetricStatus {
            metric: self.metric,
            policy,
            target,
            state,
            started_at: self.started_at,
            due_at: self.running().then(|| self.due(business)).flatten(),
            breached_at: at_now.breached_at,
            ended_at: self.ended_at,
            counted_ms: at_now.counted(target.hours),
        })
    }
}

fn clock_for(hours: Hours, business: &dyn WorkClock) -> &dyn WorkClock {
    match hours {
        Hours::Business => business,
        Hours::Calendar => &CalendarClock,
    }
}

/// One ticket's SLA: its attributes as policies see them, and its runs. Serializable, so a
/// store can keep it between events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    attrs: TicketAttrs,
    status: Status,
    /// Opened by an agent: no first reply is owed (as the first reply time KPI).
    outbound: bool,
    policy: Option<String>,
    runs: Vec<Run>,
    finished: Vec<Finished>,
    last_at: Millis,
}

impl TicketSla {
    /// Starts following a ticket at its creation.
    pub fn open(created: &TicketCreated, at: Millis, policies: &PolicySet) -> TicketSla {
        let outbound = matches!(created.by, Some(Author::Agent(_)));
        let mut sla = TicketSla {
            attrs: TicketAttrs {
                priority: created.priority,
                channel: created.channel,
                group: created.group.clone(),
                organization: created.organization.clone(),
                kind: created.kind,
                tags: created.tags.clone(),
            },
            status: Status::New,
            outbound,
            policy: None,
            runs: vec![Run::new(Metric::Resolution, at, Status::New)],
            finished: Vec::new(),
            last_at: at,
        };
        if !outbound {
            sla.runs.push(Run::new(Metric::FirstReply, at, Status::New));
        }
        sla.rematch(at, policies);
        sla
    }

    /// Follows one event of this ticket (the caller routes events by ticket). Events are
    /// taken in order; one stamped before the last is taken at the last's instant.
    pub fn apply(
        &mut self,
        at: Millis,
        body: &EventBody,
        policies: &PolicySet,
        clocks: &dyn Clocks,
    ) {
        let at = at.max(self.last_at);
        self.last_at = at;
        let business = clocks.business(self.attrs.group.as_ref());
        for run in &mut self.runs {
            run.advance(at, business);
        }
        match body {
            EventBody::TicketMessage(m) if m.public => match m.author {
                Author::Agent(_) => self.agent_replied(at),
                Author::Customer(_) => self.customer_wrote(at),
                Author::Bot(_) | Author::System => {}
            },
            EventBody::TicketStatus { status, .. } => self.status_changed(*status, at),
            EventBody::TicketMerged { .. } => self.status_changed(Status::Closed, at),
            EventBody::TicketUpdated(u) => {
                let a = &mut self.attrs;
                if let Some(p) = u.priority {
                    a.priority = p;
                }
                if let Some(tags) = &u.tags {
                    a.tags = tags.clone();
                }
                if u.kind.is_some() {
                    a.kind = u.kind;
                }
                if u.group.is_some() {
                    a.group = u.group.clone();
                }
                if u.organization.is_some() {
                    a.organization = u.organization.clone();
                }
            }
            EventBody::TicketAssigned {
                group: Some(group), ..
            } => self.attrs.group = Some(group.clone()),
            _ => {}
        }
        self.rematch(at, policies);
    }

    fn agent_replied(&mut self, at: Millis) {
        self.end(Metric::FirstReply, at);
        self.end(Metric::NextReply, at);
        self.end(Metric::PeriodicUpdate, at);
        if !settled(self.status) {
            self.start(Metric::PeriodicUpdate, at);
        }
    }

    fn customer_wrote(&mut self, at: Millis) {
        let awaiting = self.has_run(Metric::FirstReply) || self.has_run(Metric::NextReply);
        if !awaiting {
            self.start(Metric::NextReply, at);
        }
    }

    fn status_changed(&mut self, status: Status, at: Millis) {
        let was_solved = settled(self.status);
        self.status = status;
        if settled(status) {
            for metric in [
                Metric::FirstReply,
                Metric::NextReply,
                Metric::PeriodicUpdate,
            ] {
                self.end(metric, at);
            }
            if let Some(r) = self.run_mut(Metric::Resolution) {
                r.ended_at = Some(at);
            }
            return;
        }
        if was_solved && let Some(r) = self.run_mut(Metric::Resolution) {
            // Reopened: the requester waits again, on top of the time already waited.
            r.ended_at = None;
        }
        for run in &mut self.runs {
            run.paused = run.metric.pauses_in(status);
        }
    }

    fn has_run(&self, metric: Metric) -> bool {
        self.runs.iter().any(|r| r.metric == metric)
    }

    fn run_mut(&mut self, metric: Metric) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.metric == metric)
    }

    fn start(&mut self, metric: Metric, at: Millis) {
        if !self.has_run(metric) {
            self.runs.push(Run::new(metric, at, self.status));
        }
    }

    /// Ends a run (the resolution run stays, to be reopened; the others are done).
    fn end(&mut self, metric: Metric, at: Millis) {
        let Some(i) = self.runs.iter().position(|r| r.metric == metric) else {
            return;
        };
        let run = self.runs.remove(i);
        if let Some((policy, target)) = run.target.clone() {
            let counted_ms = run.counted(target.hours);
            self.finished.push(Finished {
                counted_ms,
                metric,
                policy,
                target,
                started_at: run.started_at,
                ended_at: at,
                breached_at: run.breached_at,
            });
        }
    }

    /// Matches the policy again and puts its targets on the runs.
    fn rematch(&mut self, at: Millis, policies: &PolicySet) {
        let policy = policies.matching(at, &self.attrs);
        self.policy = policy.map(|p| p.id.clone());
        let targets = policy.and_then(|p| p.targets.get(&self.attrs.priority).map(|t| (p, t)));
        for run in &mut self.runs {
            let target = targets.and_then(|(p, t)| run.metric.target(t).map(|t| (p.id.clone(), t)));
            run.retarget(target, at);
        }
    }

    /// The instant of the last event followed.
    pub fn last_at(&self) -> Millis {
        self.last_at
    }

    /// The policy that applied at the last event.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }

    /// Each target's state at `now`: the runs under way (and the resolution run, ended or
    /// not), then for a metric with none, its last finished run.
    pub fn statuses(&self, now: Millis, clocks: &dyn Clocks) -> Vec<MetricStatus> {
        let business = clocks.business(self.attrs.group.as_ref());
        let mut out: Vec<MetricStatus> = self
            .runs
            .iter()
            .filter_map(|r| r.status(now, business))
            .collect();
        for metric in Metric::ALL {
            if out.iter().any(|s| s.metric == metric) {
                continue;
            }
            if let Some(f) = self.finished.iter().rev().find(|f| f.metric == metric) {
                out.push(MetricStatus {
                    metric,
                    policy: f.policy.clone(),
                    target: f.target,
                    state: if f.achieved() {
                        State::Achieved
                    } else {
                        State::Breached
                    },
                    started_at: f.started_at,
                    due_at: None,
                    breached_at: f.breached_at,
                    ended_at: Some(f.ended_at),
                    counted_ms: f.counted_ms,
                });
            }
        }
        out.sort_by_key(|s| s.metric);
        out
    }

    /// The runs that ended, oldest first (achievement rates count them).
    pub fn finished(&self) -> &[Finished] {
        &self.finished
    }
}

/// Solved or closed: no promise runs any more.
fn settled(status: Status) -> bool {
    matches!(status, Status::Solved | Status::Closed)
}
