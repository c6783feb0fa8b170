//! The KPI families: one module per table a family passes over.
//!
//! Which dimensions a family supports decides where its KPIs appear: contact families (tickets,
//! replies, answers, calls, solves, opportunities) carry every dimension, a value they lack
//! being none; families of things that are not contacts (article views and votes, costs,
//! lifecycle) only follow time (and, for lifecycle, the organization), so their KPIs are
//! absent from rows of other groupings rather than piled up under none.

pub mod agents;
pub mod calls;
pub mod customers;
pub mod money;
pub mod replies;
pub mod self_service;
pub mod sla;
pub mod surveys;
pub mod tickets;

use crate::dataset::Dataset;
use crate::engine::{Ctx, FamilyOut};
use crate::output::{Duration, Kpis};
use crate::percentile::Samples;
use crate::period::DurationClock;
use crate::period::Period;
use crate::request::Dimension;
use crate::slicing::{Attrs, Key, Keyer, Only, Slice};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Tickets,
    Replies,
    Surveys,
    Calls,
    SelfService,
    Sessions,
    Learning,
    Costs,
    Revenue,
    Customers,
    Sla,
}

impl Family {
    pub const ALL: [Family; 11] = [
        Family::Tickets,
        Family::Replies,
        Family::Surveys,
        Family::Calls,
        Family::SelfService,
        Family::Sessions,
        Family::Learning,
        Family::Costs,
        Family::Revenue,
        Family::Customers,
        Family::Sla,
    ];

    pub fn supports(self, d: Dimension) -> bool {
        match self {
            Family::Tickets
            | Family::Replies
            | Family::Surveys
            | Family::Calls
            | Family::Learning
            | Family::Revenue
            | Family::Sla => true,
            Family::Sessions => d.is_time() || d == Dimension::Agent,
            Family::SelfService | Family::Costs => d.is_time(),
            Family::Customers => d.is_time() || d == Dimension::Organization,
        }
    }

    /// The family that computes KPI `id` (`top_agents` reads several: see `report_of_kpis`).
    pub fn of_kpi(id: &str) -> Option<Family> {
        Some(match id {
            "reply_time" | "reply_time_business" => Family::Replies,
            "csat" | "nps" | "ces" => Family::Surveys,
            "abandonment_rate"
            | "speed_of_answer"
            | "speed_of_answer_business"
            | "service_level"
            | "handle_time_calls" => Family::Calls,
            "helpful_rate" | "page_views" | "self_service_ratio" => Family::SelfService,
            "resolved_per_session" => Family::Sessions,
            "learning_rate" => Family::Learning,
            "operating_cost" | "cost_per_contact" | "cost_per_call" => Family::Costs,
            "support_revenue" | "support_roi" => Family::Revenue,
            "retention_rate" | "churn_rate" | "customer_health" => Family::Customers,
            "sla_achievement_rate" => Family::Sla,
            id if crate::output::KPI_IDS.contains(&id) && id != "top_agents" => Family::Tickets,
            _ => return None,
        })
    }

    /// Rough relative cost, to start the heaviest first.
    pub fn weight(self) -> u32 {
        match self {
            Family::Tickets => 100,
            Family::Customers => 40,
            Family::Replies => 30,
            Family::Learning => 15,
            Family::Sessions => 10,
            Family::Surveys | Family::Calls => 5,
            Family::SelfService | Family::Costs | Family::Revenue | Family::Sla => 1,
        }
    }

    pub fn run<C: DurationClock>(self, ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
        match self {
            Family::Tickets => tickets::run(ctx, scopes),
            Family::Replies => replies::run(ctx, scopes),
            Family::Surveys => surveys::run(ctx, scopes),
            Family::Calls => calls::run(ctx, scopes),
            Family::SelfService => self_service::run(ctx, scopes),
            Family::Sessions => agents::run_sessions(ctx, scopes),
            Family::Learning => agents::run_learning(ctx, scopes),
            Family::Costs => money::run_costs(ctx, scopes),
            Family::Revenue => money::run_revenue(ctx, scopes),
            Family::Customers => customers::run(ctx, scopes),
            Family::Sla => sla::run(ctx, scopes),
        }
    }
}

/// Whether any scope groups by tag (tags are only looked up then).
pub fn needs_tags(scopes: &[Option<&Keyer>]) -> bool {
    scopes
        .iter()
        .flatten()
        .any(|k| k.dims.contains(&Dimension::Tag))
}

/// Fills the KPIs made of several families' results (once every family has run).
pub fn derive(k: &mut Kpis) {
    self_service::derive(k);
    money::derive(k);
}

/// A ticket row's dimension values (none for a ticket not upserted yet); its tags only when
/// `tags` (they are the one lookup outside the row).
#[inline]
pub fn ticket_attrs(ds: &Dataset, row: u32, tags: bool) -> Attrs<'_> {
    let t = ds.tickets.get(row);
    if row == 0 || !t.is_present() {
        return Attrs::default();
    }
    Attrs {
        channel: u32::from(t.channel),
        group: t.group,
        priority: u32::from(t.priority),
        kind: u32::from(t.kind),
        org: t.org,
        tags: if tags {
            ds.names.tag_sets.get(t.tag_set)
        } else {
            &[]
        },
    }
}

/// Items fed in batches of this many: their ticket rows fit in the first-level cache.
const WARM_BATCH: usize = 64;

/// Calls `f` on each of `items` in order, a batch at a time, after touching the ticket rows
/// (`ticket` of each item) of the whole batch. Answers, solves and replies read their
/// tickets' rows in no useful order: touched in a tight loop, the loads are independent and
/// the processor overlaps their cache misses, where `f`'s work between one load and the
/// next would leave it waiting for each in turn.
pub fn with_warm_tickets(
    ds: &Dataset,
    items: impl Iterator<Item = usize>,
    ticket: impl Fn(usize) -> u32,
    mut f: impl FnMut(usize),
) {
    let mut items = items.peekable();
    let mut batch = Vec::with_capacity(WARM_BATCH);
    while items.peek().is_some() {
        batch.clear();
        batch.extend(items.by_ref().take(WARM_BATCH));
        let mut touched = 0u8;
        for &i in &batch {
            // A row may be missing: answers can come before any ticket.
            touched ^= ds
                .tickets
                .rows
                .get(ticket(i) as usize)
                .map_or(0, |t| t.channel);
        }
        std::hint::black_box(touched);
        for &i in &batch {
            f(i);
        }
    }
}

/// A customer's organization from their profile (for records without a ticket).
pub fn customer_org(ds: &Dataset, customer: u32) -> u32 {
    ds.events.customer_org(customer)
}

/// A fresh slice per scope, feeding only what `only` admits.
pub fn per_scope<'k, A: Default>(
    scopes: &[Option<&'k Keyer>],
    period: Period,
    only: Only,
) -> Vec<Slice<'k, A>> {
    scopes
        .iter()
        .map(|k| Slice::new(*k, period).only(only))
        .collect()
}

/// Where a family's totals come from.
///
/// A grouping without tags puts each item in exactly one of its cells, so its cells' duration
/// samples also serve the totals, which then keep none of their own. A grouping without tags
/// and without time also gives every item the period's end as its end (as the totals do), so
/// every other total is the sum of its cells: the totals are not accumulated at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Totals {
    Own,
    /// Samples from this scope's cells, the rest accumulated.
    Samples(usize),
    /// Everything from this scope's cells.
    All(usize),
}

impl Totals {
    pub fn plan(scopes: &[Option<&Keyer>]) -> Totals {
        let no_tag = |k: &Keyer| !k.dims.contains(&Dimension::Tag);
        let no_time = |k: &Keyer| k.time.is_none();
        if let Some(i) = scopes
            .iter()
            .position(|k| k.is_some_and(|k| no_tag(k) && no_time(k)))
        {
            return Totals::All(i);
        }
        match scopes.iter().position(|k| k.is_some_and(no_tag)) {
            Some(i) => Totals::Samples(i),
            None => Totals::Own,
        }
    }

    /// The scope whose cells hold the totals' samples.
    pub fn partition(self) -> Option<usize> {
        match self {
            Totals::Own => None,
            Totals::Samples(i) | Totals::All(i) => Some(i),
        }
    }

    /// A slice per scope: the totals' starts from `counting` (samples counted, not kept) when
    /// the samples come from a partition, and is not fed at all when everything does.
    pub fn slices<'k, A: Default>(
        self,
        scopes: &[Option<&'k Keyer>],
        period: Period,
        only: Only,
        counting: impl Fn() -> A,
    ) -> Vec<Slice<'k, A>> {
        scopes
            .iter()
            .map(|k| match (k, self) {
                (None, Totals::Samples(_)) => Slice::with_totals(counting(), period),
                (None, Totals::All(_)) => Slice::idle_totals(counting(), period),
                _ => Slice::new(*k, period),
            })
            .map(|s| s.only(only))
            .collect()
    }

    /// With [`Totals::All`], sums the partition's cells into the totals' accumulator.
    pub fn merge<A: Merge>(self, cells: &mut [Vec<(Key, A)>], scopes: &[Option<&Keyer>]) {
        let Totals::All(g) = self else { return };
        let Some(t) = scopes.iter().position(Option::is_none) else {
            return;
        };
        let (totals, part) = if t < g {
            let (a, b) = cells.split_at_mut(g);
            (&mut a[t], &b[0])
        } else {
            let (a, b) = cells.split_at_mut(t);
            (&mut b[0], &a[g])
        };
        for (_, cell) in part {
            totals[0].1.merge(cell);
        }
    }
}

/// Accumulators whose counts add up (samples are summarised from the cells instead).
pub trait Merge {
    fn merge(&mut self, other: &Self);
}

/// Turns every scope's cells into KPIs with `f`; the totals then take what `totals` holds
/// (their durations summarised from a partition's cells).
pub fn finish_cells<A>(
    cells: Vec<Vec<(Key, A)>>,
    scopes: &[Option<&Keyer>],
    totals: Option<Kpis>,
    f: impl Fn(A) -> Kpis,
) -> FamilyOut {
    cells
        .into_iter()
        .zip(scopes)
        .map(|(scope_cells, scope)| {
            scope_cells
                .into_iter()
                .map(|(k, a)| {
                    let mut kpis = f(a);
                    if let (None, Some(t)) = (scope, &totals) {
                        kpis.absorb(t.clone());
                    }
                    (k, kpis)
                })
                .collect()
        })
        .collect()
}

/// The duration of the union of the samples `pick` names in every cell.
pub fn union_of<A>(cells: &mut [(Key, A)], pick: fn(&mut A) -> Vec<&mut Samples>) -> Duration {
    let mut parts: Vec<&mut Samples> = cells.iter_mut().flat_map(|(_, a)| pick(a)).collect();
    Duration::from_union(&mut parts)
}
