//! Tables of the events that are not ticket changes: survey answers, votes, calls, article
//! views, costs, opportunities and customer lifecycle changes.

use crate::table::zones::Zones;
use hashbrown::HashMap;
use rust_decimal::Decimal;
use sanjeh_domain::SurveyKind;
use sanjeh_domain::event::{LifecycleState, Score};
use std::sync::OnceLock;

/// Stored CSAT "good"/"bad" answers (numeric scores are stored as they are).
pub const SCORE_GOOD: u8 = 254;
pub const SCORE_BAD: u8 = 255;

pub fn survey_code(k: SurveyKind) -> u8 {
    k as u8
}

pub fn score_code(s: Score) -> u8 {
    match s {
        Score::Scale(n) => u8::try_from(n.clamp(0, 100)).unwrap_or(0),
        Score::Good => SCORE_GOOD,
        Score::Bad => SCORE_BAD,
    }
}

/// Survey answers. A ticket keeps one answer per survey kind: the latest (a customer who
/// changes a rating changes it, as in Zendesk); answers without a ticket all count.
#[derive(Default)]
pub struct SurveyTable {
    pub at: Vec<i64>,
    pub kind: Vec<u8>,
    pub score: Vec<u8>,
    pub ticket: Vec<u32>,
    pub customer: Vec<u32>,
    pub agent: Vec<u32>,
    /// False for an answer superseded by a later one on the same ticket.
    pub live: Vec<bool>,
    latest: HashMap<(u32, u8), u32>,
    /// The span of `at` per block of rows.
    pub zones: Zones,
}

pub struct NewAnswer {
    pub at: i64,
    pub kind: u8,
    pub score: u8,
    pub ticket: u32,
    pub customer: u32,
    pub agent: u32,
}

impl SurveyTable {
    pub fn push(&mut self, a: NewAnswer) {
        let idx = u32::try_from(self.at.len()).expect("more than 4 billion answers");
        let mut live = true;
        if a.ticket != 0 {
            match self.latest.get(&(a.ticket, a.kind)).copied() {
                Some(old) if self.at[old as usize] > a.at => live = false,
                Some(old) => {
                    self.live[old as usize] = false;
                    self.latest.insert((a.ticket, a.kind), idx);
                }
                None => {
                    self.latest.insert((a.ticket, a.kind), idx);
                }
            }
        }
        self.zones.note(self.at.len(), a.at);
        self.at.push(a.at);
        self.kind.push(a.kind);
        self.score.push(a.score);
        self.ticket.push(a.ticket);
        self.customer.push(a.customer);
        self.agent.push(a.agent);
        self.live.push(live);
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }
}

/// Helpful/not helpful votes on articles and replies.
#[derive(Default)]
pub struct VoteTable {
    pub at: Vec<i64>,
    pub helpful: Vec<bool>,
}

/// Sentinel for an instant a call has not reached.
pub const NEVER: i64 = i64::MIN;

/// Calls, one row per call id, filled by its events in any order.
#[derive(Default)]
pub struct CallTable {
    pub queued: Vec<i64>,
    pub answered: Vec<i64>,
    pub abandoned: Vec<i64>,
    pub ended: Vec<i64>,
    /// Wrap-up seconds (the domain bounds them to a year). Hold time needs no column: it lies
    /// inside the answer-to-end span.
    pub wrapup_s: Vec<u32>,
    pub agent: Vec<u32>,
    pub customer: Vec<u32>,
    /// The queue, interned as a group: a call queue is the phone side of a group.
    pub queue: Vec<u32>,
    /// The span of every instant of a call, per block of rows.
    pub zones: Zones,
}

impl CallTable {
    pub fn ensure(&mut self, row: u32) {
        while self.queued.len() <= row as usize {
            self.queued.push(NEVER);
            self.answered.push(NEVER);
            self.abandoned.push(NEVER);
            self.ended.push(NEVER);
            self.wrapup_s.push(0);
            self.agent.push(0);
            self.customer.push(0);
            self.queue.push(0);
        }
    }

    pub fn len(&self) -> usize {
        self.queued.len()
    }
}

/// What a cost covers, from its `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostPeriod {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Once,
}

impl CostPeriod {
    pub fn parse(s: &str) -> CostPeriod {
        match s {
            "day" => CostPeriod::Day,
            "week" => CostPeriod::Week,
            "month" => CostPeriod::Month,
            "quarter" => CostPeriod::Quarter,
            "year" => CostPeriod::Year,
            _ => CostPeriod::Once,
        }
    }
}

/// Cost categories, in the interchange format's order.
pub const COST_CATEGORIES: [&str; 5] = ["staff", "tools", "telephony", "overhead", "other"];
pub const STAFF: usize = 0;
pub const TELEPHONY: usize = 2;

pub fn cost_category(s: &str) -> usize {
    COST_CATEGORIES.iter().position(|c| *c == s).unwrap_or(4)
}

#[derive(Debug, Clone)]
pub struct CostEntry {
    pub at: i64,
    pub period: CostPeriod,
    pub category: usize,
    pub amount: Decimal,
    pub currency: u32,
}

/// An opportunity as last reported: an update of the same opportunity id replaces it.
#[derive(Debug, Clone)]
pub struct OpportunityEntry {
    pub at: i64,
    pub ticket: u32,
    pub agent: u32,
    pub amount: Decimal,
    pub currency: u32,
    pub won: bool,
}

#[derive(Default)]
pub struct OpportunityTable {
    pub entries: Vec<OpportunityEntry>,
    by_id: HashMap<String, usize>,
}

impl OpportunityTable {
    pub fn push(&mut self, id: Option<&str>, e: OpportunityEntry) {
        match id.and_then(|id| self.by_id.get(id).copied()) {
            Some(i) if self.entries[i].at <= e.at => self.entries[i] = e,
            Some(_) => {}
            None => {
                if let Some(id) = id {
                    self.by_id.insert(id.to_owned(), self.entries.len());
                }
                self.entries.push(e);
            }
        }
    }
}

pub fn lifecycle_code(s: LifecycleState) -> u8 {
    s as u8
}
pub const ACTIVE: u8 = LifecycleState::Active as u8;

/// One `customer.lifecycle` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleChange {
    pub at: i64,
    pub customer: u32,
    pub state: u8,
}

/// Everything else a dataset holds besides tickets and their derivatives.
#[derive(Default)]
pub struct EventTables {
    pub surveys: SurveyTable,
    pub votes: VoteTable,
    pub calls: CallTable,
    /// Help-centre article views (instants only: the KPIs count them).
    pub views: Vec<i64>,
    pub costs: Vec<CostEntry>,
    pub opportunities: OpportunityTable,
    /// Lifecycle changes as they came: 16 bytes each (a map of vectors costs over 100 per
    /// customer).
    lifecycle: Vec<LifecycleChange>,
    /// The same sorted by customer and instant, made by the first report that asks and kept
    /// until the next change: sorting them is most of the retention KPIs' work, and a
    /// report asks twice (its period and the previous one).
    lifecycle_sorted: OnceLock<Vec<LifecycleChange>>,
    /// Each customer's organization (0 for none), from customer profiles (for calls and
    /// answers without a ticket, and retention), indexed by customer: 4 bytes a customer,
    /// read in customer order by retention where a hash table's reads would miss the cache.
    customer_org: Vec<u32>,
    /// Agents' groups, from agent profiles.
    pub agent_groups: HashMap<u32, Vec<u32>>,
}

impl EventTables {
    pub fn shrink_to_fit(&mut self) {
        let s = &mut self.surveys;
        s.at.shrink_to_fit();
        s.kind.shrink_to_fit();
        s.score.shrink_to_fit();
        s.ticket.shrink_to_fit();
        s.customer.shrink_to_fit();
        s.agent.shrink_to_fit();
        s.live.shrink_to_fit();
        s.zones.shrink_to_fit();
        let c = &mut self.calls;
        c.zones.shrink_to_fit();
        for v in [
            &mut c.queued,
            &mut c.answered,
            &mut c.abandoned,
            &mut c.ended,
        ] {
            v.shrink_to_fit();
        }
        for v in [&mut c.wrapup_s, &mut c.agent, &mut c.customer, &mut c.queue] {
            v.shrink_to_fit();
        }
        self.views.shrink_to_fit();
        self.lifecycle.shrink_to_fit();
        self.lifecycle_sorted.take();
        self.votes.at.shrink_to_fit();
        self.votes.helpful.shrink_to_fit();
    }

    pub fn add_lifecycle(&mut self, customer: u32, at: i64, state: u8) {
        self.lifecycle.push(LifecycleChange {
            at,
            customer,
            state,
        });
        self.lifecycle_sorted.take();
    }

    /// Records a customer's organization (0 for none).
    pub fn set_customer_org(&mut self, customer: u32, org: u32) {
        let c = customer as usize;
        if self.customer_org.len() <= c {
            self.customer_org.resize(c + 1, 0);
        }
        self.customer_org[c] = org;
    }

    /// A customer's organization from their profile (0 for none).
    pub fn customer_org(&self, customer: u32) -> u32 {
        self.customer_org
            .get(customer as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The heap bytes of the lifecycle changes and of their sorted copy, if made.
    pub fn lifecycle_heap_bytes(&self) -> usize {
        let sorted = self.lifecycle_sorted.get().map_or(0, Vec::capacity);
        (self.lifecycle.capacity() + sorted) * std::mem::size_of::<LifecycleChange>()
    }

    /// The lifecycle changes sorted by customer and instant (changes of one customer at one
    /// instant in the order they came).
    pub fn lifecycle_by_customer(&self) -> &[LifecycleChange] {
        self.lifecycle_sorted.get_or_init(|| {
            let mut all = self.lifecycle.clone();
            all.sort_by_key(|c| (c.customer, c.at));
            all
        })
    }

    /// The lifecycle state just before `t` (after every change before `t`) of the customer
    /// whose changes, sorted by instant, are `list`.
    pub fn lifecycle_at(list: &[LifecycleChange], t: i64) -> Option<u8> {
        let i = list.partition_point(|c| c.at < t);
        i.checked_sub(1).map(|i| list[i].state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sorted_lifecycle_follows_every_change() {
        let mut e = EventTables::default();
        e.add_lifecycle(2, 10, ACTIVE);
        e.add_lifecycle(1, 20, ACTIVE);
        let customers = |e: &EventTables| -> Vec<(u32, i64)> {
            e.lifecycle_by_customer()
                .iter()
                .map(|c| (c.customer, c.at))
                .collect()
        };
        assert_eq!(customers(&e), [(1, 20), (2, 10)]);
        // A change after a report has sorted them is in the next report's order.
        e.add_lifecycle(1, 5, ACTIVE);
        assert_eq!(customers(&e), [(1, 5), (1, 20), (2, 10)]);
    }
}
