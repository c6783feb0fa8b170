//! A year of realistic help-desk history as interchange events, for demos and benchmarks.
//!
//! [`generate`] yields the events of a support team of a few dozen agents in Tehran, Moscow
//! and an English-speaking late shift: profiles first, then tickets arriving by office hours
//! and work week over e-mail, web, chat, phone, SMS, social and API; replies, pending rounds,
//! escalations, solves, reopens, merges and closes; calls queued, answered and abandoned;
//! surveys with comments in English, Persian and Russian; help-centre views and votes;
//! monthly costs, sales opportunities and customer churn.
//!
//! The crate is pure: no I/O and no clock. The same [`DemoConfig`] always gives the same
//! events, byte for byte once written with `Event::to_line`. Events come in non-decreasing
//! time order. Each ticket's story is planned when it arrives and merged into the stream by a
//! heap, so memory follows the tickets open at once (plus 16 bytes per customer), not the
//! number asked for.

mod arrivals;
mod calendar;
mod catalog;
mod directory;
mod feedback;
mod finance;
mod ids;
mod intake;
mod lifecycle;
mod roster;
mod sample;
mod schedule;

use arrivals::{Arrival, Arrivals};
use calendar::Secs;
use directory::{Directory, LEAD};
use intake::Intake;
use rand::SeedableRng;
use roster::Roster;
use sample::DemoRng;
use sanjeh_domain::Event;
use schedule::{Schedule, Script};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Tickets created over the year, exactly. Agents, customers and every other volume scale
    /// with it; about 50 000 is a year of a 25-agent desk.
    pub tickets: u64,
    /// Seeds every random choice: the same seed gives the same history.
    pub seed: u64,
    /// When the year begins; the history covers one calendar year (UTC) from here.
    pub start: jiff::Timestamp,
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        DemoConfig {
            tickets: 50_000,
            seed: 42,
            start: "2025-01-01T00:00:00Z".parse().expect("a valid timestamp"),
        }
    }
}

impl DemoConfig {
    /// Where the history ends (exclusive): one calendar year after [`DemoConfig::start`].
    pub fn end(&self) -> jiff::Timestamp {
        use jiff::ToSpan;
        self.start
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(1.year())
            .map(|z| z.timestamp())
            .unwrap_or(jiff::Timestamp::MAX)
    }

    /// Agent profiles generated: at least 24, one more per 20 000 tickets, at most 200.
    pub fn agents(&self) -> usize {
        (self.tickets / 20_000).clamp(24, 200) as usize
    }
}

/// Generates the history described by `config`.
pub fn generate(config: &DemoConfig) -> Demo {
    Demo::new(config)
}

/// The stream of demo events, in non-decreasing time order. See [`generate`].
pub struct Demo {
    arrivals: Arrivals,
    next_arrival: Option<Arrival>,
    schedule: Schedule,
    intake: Intake,
}

/// Independent random streams, so that, say, a change in how tickets unfold does not move
/// every arrival time.
mod stream {
    pub const ARRIVALS: u64 = 1;
    pub const TEAM: u64 = 2;
    pub const COSTS: u64 = 3;
    pub const STORIES: u64 = 4;
}

fn rng(seed: u64, stream: u64) -> DemoRng {
    let mut rng = DemoRng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

impl Demo {
    fn new(config: &DemoConfig) -> Demo {
        let start: Secs = config.start.as_second();
        let end: Secs = config.end().as_second().max(start + 1);
        let mut schedule = Schedule::new(start, end);

        let roster = Roster::new(config.agents(), &mut rng(config.seed, stream::TEAM));
        let mut profiles = Script::default();
        for body in roster.profiles() {
            profiles.push(start, body);
        }
        schedule.add(profiles, None);

        let mut arrivals = Arrivals::new(
            start,
            end,
            config.tickets,
            rng(config.seed, stream::ARRIVALS),
        );
        let calls_per_ticket = 0.11 * 1.1;
        let costs = finance::monthly_costs(
            start,
            end,
            &arrivals,
            config.tickets,
            calls_per_ticket,
            &mut rng(config.seed, stream::COSTS),
        );
        schedule.add(costs, None);

        // Remember about four days of tickets for repeat contacts and merges.
        let recent = (config.tickets / 90).clamp(64, 1 << 15) as usize;
        let directory = Directory::new(start, recent);
        let outages = arrivals.outages().to_vec();
        let intake = Intake::new(
            rng(config.seed, stream::STORIES),
            roster,
            directory,
            outages,
            end,
            config.tickets.saturating_mul(3),
        );
        let next_arrival = arrivals.next();
        Demo {
            arrivals,
            next_arrival,
            schedule,
            intake,
        }
    }

    /// Stories (mostly tickets) planned and not yet fully emitted: what memory scales with.
    pub fn in_flight(&self) -> usize {
        self.schedule.in_flight()
    }

    /// Customers created so far.
    pub fn customers(&self) -> usize {
        self.intake.directory.customer_count()
    }
}

impl Iterator for Demo {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            // An arrival's story starts at most LEAD before it, so it must be planned before
            // anything later than that is emitted; everything already emitted is earlier.
            if let Some(a) = self.next_arrival
                && self.schedule.next_time().is_none_or(|t| a.at - LEAD <= t)
            {
                self.intake.admit(a, &mut self.schedule);
                self.next_arrival = self.arrivals.next();
                continue;
            }
            let (event, guard) = self.schedule.pop()?;
            if let Some(guard) = guard
                && !self.intake.directory.churn_still_due(guard)
            {
                continue;
            }
            return Some(event);
        }
    }
}
