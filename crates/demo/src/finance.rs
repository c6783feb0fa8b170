//! What the support operation costs: one `cost` event per category at the start of each
//! month, sized from the contacts expected that month.
//!
//! Costs follow the workload (full-time equivalents) rather than the number of agent profiles,
//! so cost per contact stays near the industry's few dollars whatever ticket count is asked
//! for.

use crate::arrivals::Arrivals;
use crate::calendar::Secs;
use crate::sample::{DemoRng, normal};
use crate::schedule::Script;
use jiff::ToSpan;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use sanjeh_domain::EventBody;
use sanjeh_domain::event::Cost;

/// US dollars per contact for agents' time.
const STAFF_PER_CONTACT: f64 = 5.40;
/// Help-desk, chat and knowledge-base licences per contact, plus a fixed base.
const TOOLS_PER_CONTACT: f64 = 0.45;
const TOOLS_BASE: f64 = 150.0;
/// Telephony per call (minutes and numbers), plus a fixed base.
const TELEPHONY_PER_CALL: f64 = 0.55;
const TELEPHONY_BASE: f64 = 80.0;
/// Office, management and training, as a share of staff cost.
const OVERHEAD_SHARE: f64 = 0.16;

/// Monthly costs for the months starting in `[start, end)` (the first month starts at
/// `start`). `calls_per_ticket` is the expected calls (answered and abandoned) per ticket.
pub(crate) fn monthly_costs(
    start: Secs,
    end: Secs,
    arrivals: &Arrivals,
    tickets: u64,
    calls_per_ticket: f64,
    rng: &mut DemoRng,
) -> Script {
    let mut script = Script::default();
    let Ok(ts) = jiff::Timestamp::from_second(start) else {
        return script;
    };
    let mut month = ts.to_zoned(TimeZone::UTC);
    while month.timestamp().as_second() < end {
        let Ok(next) = month.checked_add(1.month()) else {
            break;
        };
        let (from, to) = (
            month.timestamp().as_second(),
            next.timestamp().as_second().min(end),
        );
        let expected = tickets as f64 * arrivals.share(from, to);
        let calls = expected * calls_per_ticket;
        let contacts = expected + calls * 0.15; // abandoned calls are contacts without tickets
        let staff = contacts * STAFF_PER_CONTACT * (1.0 + 0.03 * normal(rng));
        let amounts = [
            ("staff", staff),
            ("tools", TOOLS_BASE + contacts * TOOLS_PER_CONTACT),
            (
                "telephony",
                TELEPHONY_BASE + calls * TELEPHONY_PER_CALL * (1.0 + 0.05 * normal(rng)),
            ),
            ("overhead", staff * OVERHEAD_SHARE),
        ];
        for (category, amount) in amounts {
            script.push(
                from,
                EventBody::Cost(Cost {
                    period: "month".to_owned(),
                    category: category.to_owned(),
                    amount: dollars(amount),
                    currency: "USD".to_owned(),
                }),
            );
        }
        month = next;
    }
    script
}

/// An amount in whole cents.
pub(crate) fn dollars(amount: f64) -> Decimal {
    Decimal::new((amount.max(0.0) * 100.0).round() as i64, 2)
}
