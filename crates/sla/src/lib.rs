//! SLA policies and the per-ticket SLA state machine.
//!
//! A [`PolicySet`] holds the ordered policies in effect from each instant on (a policy change
//! is a new version: it applies to tickets from then on and never rewrites history). A
//! [`TicketSla`] follows one ticket's events and keeps, per target (first reply, next reply,
//! periodic update, resolution), how much counted time has run, whether it is paused, and when
//! it was achieved or breached. Counted time is business time (the ticket's schedule, through
//! [`WorkClock`]) or calendar time, per target.
//!
//! Nothing here reads a clock or a database: callers pass instants and schedules in.

pub mod clock;
pub mod policy;
pub mod rules;
pub mod tracker;

pub use clock::{CalendarClock, Clocks, WorkClock};
pub use policy::{Conditions, Hours, Policy, PolicyError, PolicySet, Target, Targets};
pub use rules::{AlertRule, EscalationRule};
pub use tracker::{Finished, Metric, MetricStatus, State, TicketSla};
