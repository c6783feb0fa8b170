//! When tickets arrive: exactly N arrival times over the year, shaped by office hours, the
//! work week and holidays of each customer region, plus a few outages that flood the desk.
//!
//! The intensity is tabulated per hour of the year. Arrival times are the order statistics of
//! N draws from that distribution, produced one at a time in increasing order (no sorting, no
//! memory for N): the k-th smallest of N uniforms follows from the previous one as
//! `x' = 1 − (1 − x)·V^(1/(N−k))`, and the inverse of the cumulative intensity maps each to a
//! time.

use crate::calendar::{DAY, HOUR, Region, Secs, hour, local_date, weekday};
use crate::sample::{DemoRng, between, weighted};
use rand::Rng;

/// Share of arrivals from each region (Tehran, Moscow, international).
const REGION_SHARE: [f64; 3] = [0.5, 0.35, 0.15];

/// Relative arrivals per local hour of the day.
const DIURNAL: [[f64; 24]; 3] = [
    // Tehran: late start, long afternoon, busy evenings on messaging apps.
    [
        0.10, 0.06, 0.04, 0.03, 0.03, 0.04, 0.08, 0.20, 0.55, 0.90, 1.00, 1.00, 0.90, 0.75, 0.85,
        0.90, 0.80, 0.60, 0.45, 0.38, 0.32, 0.28, 0.22, 0.15,
    ],
    // Moscow: office day with a lunch dip.
    [
        0.06, 0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.20, 0.60, 0.95, 1.00, 1.00, 0.95, 0.70, 0.90,
        0.95, 0.85, 0.65, 0.40, 0.30, 0.24, 0.18, 0.12, 0.08,
    ],
    // International, by UTC: customers in many zones, so flatter.
    [
        0.30, 0.25, 0.22, 0.22, 0.25, 0.35, 0.50, 0.70, 0.85, 0.95, 1.00, 1.00, 1.00, 1.00, 1.00,
        0.95, 0.90, 0.85, 0.75, 0.65, 0.55, 0.45, 0.40, 0.35,
    ],
];

/// Relative arrivals per local weekday, Monday first.
const WEEKLY: [[f64; 7]; 3] = [
    // Iran works Saturday to Wednesday, Thursday half, Friday off.
    [1.00, 1.00, 0.95, 0.55, 0.30, 1.05, 1.00],
    [1.10, 1.00, 1.00, 1.00, 0.90, 0.35, 0.30],
    [1.00, 1.00, 1.00, 1.00, 0.95, 0.40, 0.35],
];

/// How busy a local date is: public holidays are quiet.
fn holiday_factor(region: Region, month: i8, day: i8) -> f64 {
    match region {
        // Nowruz: the Persian new year, two quiet weeks; Sizdah Be-dar on 2 April.
        Region::Tehran if (month == 3 && day >= 20) || (month == 4 && day <= 2) => 0.3,
        Region::Tehran if month == 2 && day == 11 => 0.5,
        // New-year holidays, then single public holidays.
        Region::Moscow if month == 1 && day <= 8 => 0.35,
        Region::Moscow
            if matches!(
                (month, day),
                (2, 23) | (3, 8) | (5, 1) | (5, 9) | (6, 12) | (11, 4)
            ) =>
        {
            0.45
        }
        Region::Intl if matches!((month, day), (12, 24..=26) | (1, 1)) => 0.4,
        _ => 1.0,
    }
}

/// One ticket arrival: when, and where the customer is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub at: Secs,
    pub region: Region,
}

/// A stretch of time when a product outage multiplies arrivals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outage {
    pub from: Secs,
    pub to: Secs,
}

/// The arrival process: an iterator over exactly `total` arrivals in time order.
pub(crate) struct Arrivals {
    start: Secs,
    end: Secs,
    /// Per hour of the year: each region's intensity.
    weights: Vec<[f64; 3]>,
    /// Cumulative intensity before each hour (one more entry than `weights`).
    cumulative: Vec<f64>,
    outages: Vec<Outage>,
    total: u64,
    emitted: u64,
    /// The last uniform order statistic.
    x: f64,
    bucket: usize,
    rng: DemoRng,
}

impl Arrivals {
    pub(crate) fn new(start: Secs, end: Secs, total: u64, mut rng: DemoRng) -> Arrivals {
        let hours = ((end - start + HOUR - 1) / HOUR) as usize;
        let days = ((end - start) / DAY).max(1);
        // Four or so outages a year, a couple of hours each, in any hour.
        let outages: Vec<Outage> = (0..(days * 4 / 365).max(1))
            .map(|_| {
                let from = start + between(&mut rng, 0, (end - start - 8 * HOUR).max(1));
                Outage {
                    from,
                    to: from + between(&mut rng, 2 * HOUR, 6 * HOUR),
                }
            })
            .collect();
        let mut weights = Vec::with_capacity(hours);
        let mut cumulative = Vec::with_capacity(hours + 1);
        cumulative.push(0.0);
        for b in 0..hours {
            let mid = start + b as Secs * HOUR + HOUR / 2;
            // A growing business: a fifth more contacts at the end of the year than at the start.
            let trend = 0.9 + 0.2 * (b as f64 / hours as f64);
            let surge = if outages.iter().any(|o| mid >= o.from && mid < o.to) {
                3.0
            } else {
                1.0
            };
            let mut w = [0.0; 3];
            for r in Region::ALL {
                let off = r.offset();
                let date = local_date(mid, off);
                w[r.index()] = REGION_SHARE[r.index()]
                    * DIURNAL[r.index()][hour(mid, off)]
                    * WEEKLY[r.index()][weekday(mid, off)]
                    * holiday_factor(r, date.month(), date.day())
                    * trend
                    * surge;
            }
            cumulative.push(cumulative[b] + w.iter().sum::<f64>());
            weights.push(w);
        }
        Arrivals {
            start,
            end,
            weights,
            cumulative,
            outages,
            total,
            emitted: 0,
            x: 0.0,
            bucket: 0,
            rng,
        }
    }

    pub(crate) fn outages(&self) -> &[Outage] {
        &self.outages
    }

    /// The expected share of all arrivals that fall in `[from, to)` (for budgeting costs).
    pub(crate) fn share(&self, from: Secs, to: Secs) -> f64 {
        let at = |t: Secs| {
            let h = ((t - self.start).max(0) / HOUR) as usize;
            self.cumulative[h.min(self.weights.len())]
        };
        (at(to) - at(from)) / self.cumulative[self.weights.len()]
    }
}

impl Iterator for Arrivals {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        if self.emitted == self.total || self.weights.is_empty() {
            return None;
        }
        let left = (self.total - self.emitted) as f64;
        let v: f64 = 1.0 - self.rng.random::<f64>(); // (0, 1]
        self.x = 1.0 - (1.0 - self.x) * v.powf(1.0 / left);
        self.emitted += 1;
        let last = self.weights.len();
        let target = self.x * self.cumulative[last];
        while self.bucket + 1 < last && self.cumulative[self.bucket + 1] <= target {
            self.bucket += 1;
        }
        let b = self.bucket;
        let w = self.weights[b];
        let width = self.cumulative[b + 1] - self.cumulative[b];
        let frac = if width > 0.0 {
            ((target - self.cumulative[b]) / width).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let at = (self.start + b as Secs * HOUR + (frac * HOUR as f64) as Secs).min(self.end - 1);
        let region = weighted(
            &mut self.rng,
            &[
                (Region::Tehran, w[0]),
                (Region::Moscow, w[1]),
                (Region::Intl, w[2]),
            ],
        );
        Some(Arrival { at, region })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::hour;
    use rand::SeedableRng;

    #[test]
    fn exactly_n_arrivals_in_order_busier_on_weekday_afternoons() {
        let start = 1_735_689_600; // 2025-01-01T00:00:00Z
        let end = start + 365 * DAY;
        let arrivals: Vec<Arrival> =
            Arrivals::new(start, end, 20_000, DemoRng::seed_from_u64(7)).collect();
        assert_eq!(arrivals.len(), 20_000);
        assert!(arrivals.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(arrivals.iter().all(|a| a.at >= start && a.at < end));
        let moscow_noon = arrivals
            .iter()
            .filter(|a| hour(a.at, 3 * HOUR) == 11)
            .count();
        let moscow_4am = arrivals
            .iter()
            .filter(|a| hour(a.at, 3 * HOUR) == 4)
            .count();
        assert!(
            moscow_noon > 8 * moscow_4am,
            "{moscow_noon} vs {moscow_4am}"
        );
        let fridays_in_tehran = arrivals
            .iter()
            .filter(|a| a.region == Region::Tehran && weekday(a.at, Region::Tehran.offset()) == 4)
            .count();
        let sundays_in_tehran = arrivals
            .iter()
            .filter(|a| a.region == Region::Tehran && weekday(a.at, Region::Tehran.offset()) == 6)
            .count();
        assert!(sundays_in_tehran > 2 * fridays_in_tehran);
    }
}
