//! The customers and organizations, and the memory of recent tickets needed to make repeat
//! contacts, duplicates and churn consistent with what was already planned.
//!
//! Customers are kept in a compact table (16 bytes each, about a third of the ticket count
//! in customers) because they recur all year; tickets are remembered only for a few days in a
//! ring, which bounds the memory for merges and repeat contacts.

use crate::calendar::{Region, Secs};
use crate::catalog::{self, Lang};
use crate::ids;
use crate::roster::person_name;
use crate::sample::{DemoRng, chance, pick};
use rand::Rng;
use sanjeh_domain::EventBody;
use sanjeh_domain::event::{CustomerProfile, LifecycleState};

/// How far ahead of its ticket a story may start (calls queued and articles read before
/// writing in, a new customer's profile). The generator expands arrivals this far ahead.
pub(crate) const LEAD: Secs = 2 * crate::calendar::HOUR;

#[derive(Debug, Clone, Copy)]
struct Customer {
    /// The customer's latest ticket still able to receive a duplicate (0: none).
    last_ticket: u32,
    /// Organization number (0: a private person).
    org: u32,
    /// When a planned churn takes effect, in seconds after the start (0: none planned).
    churn_at: u32,
    region: Region,
    lang: Lang,
    /// Some customers write far more often (four times) than others.
    frequent: bool,
}

/// What the generator remembers about a recent ticket.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Recent {
    pub ticket: u32,
    pub customer: u32,
    pub topic: usize,
    pub created: Secs,
    /// First solve, `Secs::MAX` if never.
    pub first_solve: Secs,
    /// Closed or merged away, `Secs::MAX` if never.
    pub closed: Secs,
    pub outbound: bool,
}

/// A customer chosen for a contact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contact {
    pub customer: u32,
    pub region: Region,
    pub lang: Lang,
    pub org: u32,
    pub frequent: bool,
    /// Churned earlier and now back: active again.
    pub comeback: bool,
}

pub(crate) struct Directory {
    start: Secs,
    customers: Vec<Customer>,
    orgs_by_region: [Vec<u32>; 3],
    /// Per organization (number − 1): its rank within its region, which names it.
    org_rank: Vec<u32>,
    recent: Vec<Recent>,
    tickets: u32,
}

impl Directory {
    /// Remembers about `recent_tickets` tickets (a few days' worth).
    pub(crate) fn new(start: Secs, recent_tickets: usize) -> Directory {
        Directory {
            start,
            customers: Vec::new(),
            orgs_by_region: Default::default(),
            org_rank: Vec::new(),
            recent: vec![Recent::default(); recent_tickets.max(16)],
            tickets: 0,
        }
    }

    pub(crate) fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// The customer for an inbound contact at `t` from `region`: sometimes someone who wrote
    /// in the last days (repeat contacts), often a regular, otherwise a new customer.
    /// Returns the contact and the profile events a new one needs.
    pub(crate) fn inbound(
        &mut self,
        rng: &mut DemoRng,
        t: Secs,
        region: Region,
    ) -> (Contact, Vec<EventBody>) {
        if self.tickets > 0 && chance(rng, 0.05) {
            let k = rng.random_range(0..self.tickets.min(self.recent.len() as u32));
            let r = self.recent[((self.tickets - k) as usize) % self.recent.len()];
            if r.ticket == self.tickets - k {
                return (self.touch(r.customer, t), Vec::new());
            }
        }
        if self.customers.len() >= 30
            && !chance(rng, 0.42)
            && let Some(c) = self.regular(rng, t)
        {
            return (c, Vec::new());
        }
        self.create(rng, region)
    }

    /// A known customer for an agent to contact (outbound), or a new one if there are none.
    pub(crate) fn outbound(
        &mut self,
        rng: &mut DemoRng,
        t: Secs,
        region: Region,
    ) -> (Contact, Vec<EventBody>) {
        match self.regular(rng, t) {
            Some(c) => (c, Vec::new()),
            None => self.create(rng, region),
        }
    }

    /// Any known customer, for a relationship survey (no contact, so no churn change).
    pub(crate) fn anyone(&self, rng: &mut DemoRng) -> Option<(u32, Lang)> {
        if self.customers.is_empty() {
            return None;
        }
        let i = rng.random_range(0..self.customers.len());
        Some((i as u32 + 1, self.customers[i].lang))
    }

    /// A returning customer, frequent ones more likely; churned customers mostly stay away.
    fn regular(&mut self, rng: &mut DemoRng, t: Secs) -> Option<Contact> {
        if self.customers.is_empty() {
            return None;
        }
        for _ in 0..32 {
            let i = rng.random_range(0..self.customers.len());
            let c = self.customers[i];
            if !c.frequent && !chance(rng, 0.25) {
                continue;
            }
            if self.churned_before(&c, t) && !chance(rng, 0.25) {
                continue;
            }
            return Some(self.touch(i as u32 + 1, t));
        }
        None
    }

    fn churned_before(&self, c: &Customer, t: Secs) -> bool {
        c.churn_at != 0 && self.start + Secs::from(c.churn_at) < t - LEAD
    }

    /// Records a contact by customer `n` at `t`. A churn planned for after `t - LEAD` is
    /// cancelled (its event has not been emitted; its guard will fail); one before it has
    /// happened, so the customer is coming back.
    fn touch(&mut self, n: u32, t: Secs) -> Contact {
        let comeback = self.churned_before(&self.customers[n as usize - 1], t);
        let c = &mut self.customers[n as usize - 1];
        c.churn_at = 0;
        Contact {
            customer: n,
            region: c.region,
            lang: c.lang,
            org: c.org,
            frequent: c.frequent,
            comeback,
        }
    }

    fn create(&mut self, rng: &mut DemoRng, region: Region) -> (Contact, Vec<EventBody>) {
        let lang = match region {
            Region::Tehran if chance(rng, 0.85) => Lang::Fa,
            Region::Moscow if chance(rng, 0.88) => Lang::Ru,
            _ => Lang::En,
        };
        let mut events = Vec::new();
        let in_org = chance(rng, [0.35, 0.45, 0.5][region.index()]);
        let org = if !in_org {
            0
        } else {
            let pool = &self.orgs_by_region[region.index()];
            // A new company about every fifth business customer.
            if pool.len() >= 3 && chance(rng, 0.8) {
                *pick(rng, pool)
            } else {
                let o = self.org_rank.len() as u32 + 1;
                let rank = self.orgs_by_region[region.index()].len() as u32;
                self.org_rank.push(rank);
                self.orgs_by_region[region.index()].push(o);
                let (name, _) = catalog::organization_name(region, rank);
                events.push(EventBody::OrganizationProfile {
                    organization: ids::organization(o),
                    name: Some(name),
                });
                o
            }
        };
        let n = self.customers.len() as u32 + 1;
        let (name, handle) = person_name(rng, region, lang);
        let domain = if org != 0 {
            let rank = self.org_rank[org as usize - 1];
            format!("{}.example", catalog::organization_name(region, rank).1)
        } else {
            (*pick(rng, catalog::MAIL_DOMAINS[region.index()])).to_owned()
        };
        let frequent = chance(rng, if org != 0 { 0.2 } else { 0.06 });
        self.customers.push(Customer {
            last_ticket: 0,
            org,
            churn_at: 0,
            region,
            lang,
            frequent,
        });
        events.push(EventBody::CustomerProfile(CustomerProfile {
            customer: ids::customer(n),
            name: Some(name),
            email: Some(format!("{handle}{n}@{domain}")),
            organization: (org != 0).then(|| ids::organization(org)),
            language: Some(lang.code().to_owned()),
        }));
        events.push(EventBody::CustomerLifecycle {
            customer: ids::customer(n),
            state: LifecycleState::Active,
        });
        let contact = Contact {
            customer: n,
            region,
            lang,
            org,
            frequent,
            comeback: false,
        };
        (contact, events)
    }

    /// The next ticket number; tickets are numbered in creation order.
    pub(crate) fn next_ticket(&mut self) -> u32 {
        self.tickets += 1;
        self.tickets
    }

    /// The customer's open earlier ticket a new ticket at `t` could duplicate: created before,
    /// inbound, not yet solved. The caller still checks it is not closed at the merge time.
    pub(crate) fn duplicate_candidate(&self, customer: u32, t: Secs) -> Option<Recent> {
        let last = self.customers[customer as usize - 1].last_ticket;
        if last == 0 {
            return None;
        }
        let r = self.recent[last as usize % self.recent.len()];
        (r.ticket == last && !r.outbound && r.created < t && r.first_solve > t).then_some(r)
    }

    /// Remembers a planned ticket. A ticket merged away does not become the customer's
    /// latest: later duplicates go to the ticket still alive.
    pub(crate) fn record(&mut self, r: Recent, merged: bool) {
        let len = self.recent.len();
        self.recent[r.ticket as usize % len] = r;
        if !merged {
            self.customers[r.customer as usize - 1].last_ticket = r.ticket;
        }
    }

    /// Plans the customer's churn at `at` (replacing any earlier plan) and returns the
    /// guard its event must pass.
    pub(crate) fn plan_churn(&mut self, customer: u32, at: Secs) -> crate::schedule::ChurnGuard {
        let rel = (at - self.start).clamp(1, Secs::from(u32::MAX)) as u32;
        self.customers[customer as usize - 1].churn_at = rel;
        crate::schedule::ChurnGuard {
            customer,
            at: self.start + Secs::from(rel),
        }
    }

    /// Whether a planned churn still stands when its time comes.
    pub(crate) fn churn_still_due(&self, guard: crate::schedule::ChurnGuard) -> bool {
        let c = &self.customers[guard.customer as usize - 1];
        c.churn_at != 0 && self.start + Secs::from(c.churn_at) == guard.at
    }
}
