//! Slicing: which row (cell) of a grouping an item falls in.
//!
//! A row key packs one 32-bit value per dimension (a bucket index, an interned id or an enum
//! code, 0 meaning none) into a `u128`, in the grouping's order. Families accumulate per cell;
//! a cell is found through a dense table when the grouping has few possible keys (month ×
//! channel has 13 × 9) and through a hash map otherwise.

use crate::names::Names;
use crate::period::{Buckets, Period};
use crate::request::{Dimension, Filter};
use crate::table::tickets::channel_label;
use hashbrown::HashMap;

pub type Key = u128;

/// The dimension values of an item other than its time and its agent (both vary by KPI
/// within one item: a ticket is created, replied to and solved at different times, by
/// different agents). 0 means none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attrs<'a> {
    pub channel: u32,
    pub group: u32,
    pub priority: u32,
    pub kind: u32,
    pub org: u32,
    pub tags: &'a [u32],
}

/// A request's [`Filter`] as codes: the one value each filtered dimension admits. A name the
/// dataset does not know admits nothing (its code is one no item has).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Only {
    channel: Option<u32>,
    group: Option<u32>,
    agent: Option<u32>,
}

/// The code of a name no item has.
const NOTHING: u32 = u32::MAX;

impl Only {
    pub fn resolve(f: &Filter, names: &Names) -> Only {
        let channels = sanjeh_domain::Channel::ALL.len() + 1;
        Only {
            channel: code_of(f.channel.as_deref(), channels, channel_label),
            group: code_of(f.group.as_deref(), names.groups.len(), |i| {
                names.groups.label(i)
            }),
            agent: code_of(f.agent.as_deref(), names.agents.len(), |i| {
                names.agents.label(i)
            }),
        }
    }

    /// Whether an item with these values is in the filter's slice (agents aside).
    #[inline(always)]
    pub fn admits(&self, a: &Attrs) -> bool {
        self.channel.is_none_or(|c| c == a.channel) && self.group.is_none_or(|g| g == a.group)
    }

    /// Whether a KPI credited to `agent` is in the filter's slice.
    #[inline(always)]
    pub fn credits(&self, agent: u32) -> bool {
        self.agent.is_none_or(|x| x == agent)
    }
}

/// The code among `1..n` labelled `value` ([`NOTHING`] if none is), or `None` for no value.
fn code_of<'a>(
    value: Option<&str>,
    n: usize,
    label: impl Fn(u32) -> Option<&'a str>,
) -> Option<u32> {
    let v = value?;
    Some(
        (1..n as u32)
            .find(|&i| label(i) == Some(v))
            .unwrap_or(NOTHING),
    )
}

/// How one grouping turns an item into row keys.
#[derive(Debug, Clone)]
pub struct Keyer {
    pub dims: Vec<Dimension>,
    /// The time dimension's position and buckets, if the grouping has one.
    pub time: Option<(usize, Buckets)>,
    agent_pos: Option<usize>,
    /// Mixed-radix weights of the dimensions in a dense table index (when there is one).
    strides: Vec<u64>,
    /// Number of possible keys, when small enough for a dense table.
    dense: Option<usize>,
    /// Whether any dimension is neither time nor agent.
    has_static: bool,
}

/// The largest number of possible keys given a dense table (4 bytes each).
const DENSE_LIMIT: u64 = 1 << 16;

/// Cardinalities of the interned namespaces, counting the none value.
#[derive(Debug, Clone, Copy)]
pub struct Cardinalities {
    pub groups: usize,
    pub agents: usize,
    pub orgs: usize,
    pub tags: usize,
}

impl Cardinalities {
    pub fn of(names: &crate::names::Names) -> Cardinalities {
        Cardinalities {
            groups: names.groups.len(),
            agents: names.agents.len(),
            orgs: names.orgs.len(),
            tags: names.tags.len(),
        }
    }
}

impl Keyer {
    pub fn new(
        dims: &[Dimension],
        period: Period,
        tz: &jiff::tz::TimeZone,
        week_start: jiff::civil::Weekday,
        card: Cardinalities,
    ) -> Keyer {
        let mut time = None;
        let mut cardinality = Vec::new();
        for (i, &d) in dims.iter().enumerate() {
            let n = match d {
                Dimension::Day | Dimension::Week | Dimension::Month => {
                    let b = Buckets::new(d, period, tz, week_start);
                    let n = b.len();
                    time = Some((i, b));
                    n
                }
                Dimension::Channel => sanjeh_domain::Channel::ALL.len() + 1,
                Dimension::Priority => sanjeh_domain::Priority::ALL.len() + 1,
                Dimension::Kind => sanjeh_domain::Kind::ALL.len() + 1,
                Dimension::Group => card.groups,
                Dimension::Agent => card.agents,
                Dimension::Organization => card.orgs,
                Dimension::Tag => card.tags,
            };
            cardinality.push(n.max(1) as u64);
        }
        let product = cardinality
            .iter()
            .try_fold(1u64, |acc, &n| acc.checked_mul(n));
        let dense = product.filter(|&p| p <= DENSE_LIMIT).map(|p| p as usize);
        let mut strides = Vec::with_capacity(dims.len());
        let mut w = 1u64;
        for &n in &cardinality {
            strides.push(if dense.is_some() { w } else { 0 });
            w = w.saturating_mul(n);
        }
        Keyer {
            agent_pos: dims.iter().position(|&d| d == Dimension::Agent),
            has_static: dims.iter().any(|&d| !d.is_time() && d != Dimension::Agent),
            dims: dims.to_vec(),
            time,
            strides,
            dense,
        }
    }

    /// The dimension values packed in a key, in the grouping's order.
    pub fn decode(&self, key: Key) -> Vec<u32> {
        (0..self.dims.len())
            .map(|i| (key >> (32 * i)) as u32)
            .collect()
    }

    /// The key and dense-index parts of value `v` at position `i`.
    #[inline(always)]
    fn part(&self, i: usize, v: u32) -> Part {
        Part {
            key: Key::from(v) << (32 * i),
            dense: u64::from(v) * self.strides[i],
        }
    }

    /// Appends the key parts of the static dimensions (all but time and agent) to `out`: one
    /// per tag when grouping by tag (a ticket with several tags counts in each).
    #[inline]
    fn static_keys(&self, a: &Attrs, out: &mut Vec<Part>) {
        out.clear();
        if !self.has_static {
            out.push(Part::default());
            return;
        }
        let mut base = Part::default();
        let mut tag_pos = None;
        for (i, &d) in self.dims.iter().enumerate() {
            let v = match d {
                Dimension::Channel => a.channel,
                Dimension::Group => a.group,
                Dimension::Priority => a.priority,
                Dimension::Kind => a.kind,
                Dimension::Organization => a.org,
                Dimension::Tag => {
                    tag_pos = Some(i);
                    0
                }
                _ => 0,
            };
            base = base.with(self.part(i, v));
        }
        match tag_pos {
            Some(i) if !a.tags.is_empty() => {
                out.extend(a.tags.iter().map(|&t| base.with(self.part(i, t))));
            }
            _ => out.push(base),
        }
    }

    /// The key part of the agent and of the time bucket of `t` (`None` when `t` is in no bucket)
    /// and the end of that bucket's period.
    #[inline(always)]
    fn moving(&self, agent: u32, t: i64, period_end: i64) -> Option<(Part, i64)> {
        let mut p = Part::default();
        let mut end = period_end;
        if let Some(i) = self.agent_pos {
            p = p.with(self.part(i, agent));
        }
        if let Some((i, b)) = &self.time {
            let idx = b.index(t)?;
            p = p.with(self.part(*i, idx));
            end = b.ends[idx as usize];
        }
        Some((p, end))
    }
}

/// A row key and its index in a dense table, both additive over dimensions.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    key: Key,
    dense: u64,
}

impl Part {
    #[inline]
    fn with(self, o: Part) -> Part {
        Part {
            key: self.key | o.key,
            dense: self.dense + o.dense,
        }
    }
}

/// Maps keys to dense cell numbers.
enum CellMap {
    Total,
    Dense(Vec<u32>),
    Sparse(HashMap<Key, u32>),
}

/// One family's accumulators for one grouping (or for the totals, with no keyer).
pub struct Slice<'k, A> {
    keyer: Option<&'k Keyer>,
    period: Period,
    map: CellMap,
    keys: Vec<Key>,
    accs: Vec<A>,
    rest: Vec<Part>,
    /// False for totals computed from another slice's cells: feeding does nothing.
    active: bool,
    /// The request's filter, and whether the current item is outside it.
    only: Only,
    outside: bool,
}

impl<'k, A: Default> Slice<'k, A> {
    /// A totals slice starting from `acc` (rather than `A::default()`).
    pub fn with_totals(acc: A, period: Period) -> Slice<'k, A> {
        let mut s = Slice::new(None, period);
        s.accs[0] = acc;
        s
    }

    /// Totals that are not fed (they are made from another slice's cells afterwards).
    pub fn idle_totals(acc: A, period: Period) -> Slice<'k, A> {
        let mut s = Slice::with_totals(acc, period);
        s.active = false;
        s
    }

    pub fn new(keyer: Option<&'k Keyer>, period: Period) -> Slice<'k, A> {
        let map = match keyer {
            None => CellMap::Total,
            Some(k) => match k.dense {
                Some(n) => CellMap::Dense(vec![u32::MAX; n]),
                None => CellMap::Sparse(HashMap::new()),
            },
        };
        let (keys, accs) = match keyer {
            None => (vec![0], vec![A::default()]),
            Some(_) => (vec![], vec![]),
        };
        Slice {
            keyer,
            period,
            map,
            keys,
            accs,
            rest: vec![Part::default()],
            active: true,
            only: Only::default(),
            outside: false,
        }
    }

    /// Feeds only what `only` admits.
    pub fn only(mut self, only: Only) -> Slice<'k, A> {
        self.only = only;
        self
    }

    /// Sets the static dimension values of the next item(s).
    #[inline]
    pub fn begin(&mut self, a: &Attrs) {
        self.outside = !self.only.admits(a);
        if let Some(k) = self.keyer {
            k.static_keys(a, &mut self.rest);
        }
    }

    /// Whether a feed credited to `agent` is outside the filter (so it feeds nothing).
    #[inline(always)]
    fn refused(&self, agent: u32) -> bool {
        self.outside || !self.only.credits(agent)
    }

    #[inline(always)]
    fn cell(&mut self, part: Part) -> usize {
        match &self.map {
            CellMap::Total => 0,
            CellMap::Dense(t) => match t[part.dense as usize] {
                u32::MAX => self.new_cell(part),
                c => c as usize,
            },
            CellMap::Sparse(m) => match m.get(&part.key) {
                Some(&c) => c as usize,
                None => self.new_cell(part),
            },
        }
    }

    #[cold]
    #[inline(never)]
    fn new_cell(&mut self, part: Part) -> usize {
        let c = self.keys.len() as u32;
        match &mut self.map {
            CellMap::Total => return 0,
            CellMap::Dense(t) => t[part.dense as usize] = c,
            CellMap::Sparse(m) => {
                m.insert(part.key, c);
            }
        }
        self.keys.push(part.key);
        self.accs.push(A::default());
        c as usize
    }

    /// Folds another slice's cells (over other items of the same scope) into these.
    pub fn absorb(&mut self, other: Slice<'k, A>, mut merge: impl FnMut(&mut A, A)) {
        if self.keyer.is_none() {
            if let Some((_, a)) = other.finish().into_iter().next() {
                merge(&mut self.accs[0], a);
            }
            return;
        }
        for (key, a) in other.finish() {
            let c = self.cell_of_key(key);
            merge(&mut self.accs[c], a);
        }
    }

    fn cell_of_key(&mut self, key: Key) -> usize {
        let k = self.keyer.expect("a grouping");
        let values = k.decode(key);
        let part = values
            .iter()
            .enumerate()
            .fold(Part::default(), |p, (i, &v)| p.with(k.part(i, v)));
        self.cell(part)
    }

    /// Feeds every cell the current item falls in, for an event at `t` credited to `agent`;
    /// `f` also gets the end of the cell's period (the bucket's end, or the period's).
    /// `t` must be inside the period.
    #[inline]
    pub fn at(&mut self, agent: u32, t: i64, mut f: impl FnMut(&mut A, i64)) {
        if self.refused(agent) {
            return;
        }
        let Some(k) = self.keyer else {
            if self.active {
                f(&mut self.accs[0], self.period.to);
            }
            return;
        };
        let Some((moving, end)) = k.moving(agent, t, self.period.to) else {
            return;
        };
        for r in 0..self.rest.len() {
            let c = self.cell(self.rest[r].with(moving));
            f(&mut self.accs[c], end);
        }
    }

    /// Feeds the cells whose period end `T` (the whole period's end, or each time bucket's
    /// end) satisfies `open < T <= close`: for "as of the end of the period" KPIs such as the
    /// backlog. `f` receives the end instant too.
    pub fn at_ends(&mut self, agent: u32, open: i64, close: i64, mut f: impl FnMut(&mut A, i64)) {
        if self.refused(agent) {
            return;
        }
        let to = self.period.to;
        let Some(k) = self.keyer else {
            if self.active && open < to && to <= close {
                f(&mut self.accs[0], to);
            }
            return;
        };
        match &k.time {
            None => {
                if open < to && to <= close {
                    let (moving, _) = k.moving(agent, to, to).expect("no time dimension");
                    for r in 0..self.rest.len() {
                        let c = self.cell(self.rest[r].with(moving));
                        f(&mut self.accs[c], to);
                    }
                }
            }
            Some((_, b)) => {
                let first = b.ends.partition_point(|&e| e <= open);
                for i in first..b.ends.len() {
                    let end = b.ends[i];
                    if end > close {
                        break;
                    }
                    let (moving, _) = k
                        .moving(agent, b.clipped_starts[i], to)
                        .expect("inside a bucket");
                    for r in 0..self.rest.len() {
                        let c = self.cell(self.rest[r].with(moving));
                        f(&mut self.accs[c], end);
                    }
                }
            }
        }
    }

    /// The sub-periods this slice cuts: the whole period, or each time bucket's part of it.
    pub fn sub_periods(&self) -> Vec<Period> {
        match self.keyer.and_then(|k| k.time.as_ref()) {
            None => vec![self.period],
            Some((_, b)) => (0..b.len())
                .map(|i| Period {
                    from: b.clipped_starts[i],
                    to: b.ends[i],
                })
                .collect(),
        }
    }

    /// Feeds the cell of sub-period `i` of [`Slice::sub_periods`].
    pub fn at_sub(&mut self, agent: u32, i: usize, mut f: impl FnMut(&mut A)) {
        if self.refused(agent) {
            return;
        }
        let Some(k) = self.keyer else {
            if self.active {
                f(&mut self.accs[0]);
            }
            return;
        };
        let start = k
            .time
            .as_ref()
            .map_or(self.period.from, |(_, b)| b.clipped_starts[i]);
        let Some((moving, _)) = k.moving(agent, start, self.period.to) else {
            return;
        };
        for r in 0..self.rest.len() {
            let c = self.cell(self.rest[r].with(moving));
            f(&mut self.accs[c]);
        }
    }

    /// The accumulated cells with their keys.
    pub fn finish(self) -> Vec<(Key, A)> {
        self.keys.into_iter().zip(self.accs).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Weekday;
    use jiff::tz::TimeZone;

    const DAY: i64 = 86_400_000;
    const CARD: Cardinalities = Cardinalities {
        groups: 3,
        agents: 5,
        orgs: 2,
        tags: 4,
    };

    #[test]
    fn tags_multiply_rows_and_time_picks_the_bucket() {
        let p = Period {
            from: 0,
            to: 3 * DAY,
        };
        let k = Keyer::new(
            &[Dimension::Day, Dimension::Tag],
            p,
            &TimeZone::UTC,
            Weekday::Monday,
            CARD,
        );
        let mut s: Slice<u32> = Slice::new(Some(&k), p);
        s.begin(&Attrs {
            tags: &[1, 3],
            ..Attrs::default()
        });
        s.at(0, DAY + 5, |n, _| *n += 1);
        s.begin(&Attrs::default());
        s.at(0, 2 * DAY, |n, _| *n += 10);
        let mut cells: Vec<_> = s
            .finish()
            .into_iter()
            .map(|(key, n)| (k.decode(key), n))
            .collect();
        cells.sort();
        assert_eq!(cells, [(vec![1, 1], 1), (vec![1, 3], 1), (vec![2, 0], 10)]);
    }

    #[test]
    fn ends_feed_each_bucket_end_inside_the_interval() {
        let p = Period {
            from: 0,
            to: 3 * DAY,
        };
        let k = Keyer::new(&[Dimension::Day], p, &TimeZone::UTC, Weekday::Monday, CARD);
        let mut s: Slice<Vec<i64>> = Slice::new(Some(&k), p);
        s.begin(&Attrs::default());
        // Unsolved from 0.5 day to 2 days (inclusive): in the backlog at the ends of day 0 and 1.
        s.at_ends(0, DAY / 2, 2 * DAY, |v, t| v.push(t));
        let cells = s.finish();
        assert_eq!(cells.len(), 2);
        let mut totals: Slice<u32> = Slice::new(None, p);
        totals.at_ends(0, 0, 3 * DAY, |n, _| *n += 1);
        totals.at_ends(0, 0, 3 * DAY - 1, |n, _| *n += 1);
        assert_eq!(totals.finish()[0].1, 1);
    }

    #[test]
    fn large_groupings_use_a_sparse_map() {
        let big = Cardinalities {
            groups: 1000,
            agents: 1000,
            orgs: 1000,
            tags: 1000,
        };
        let p = Period { from: 0, to: DAY };
        let k = Keyer::new(
            &[Dimension::Agent, Dimension::Organization],
            p,
            &TimeZone::UTC,
            Weekday::Monday,
            big,
        );
        assert!(k.dense.is_none());
        let mut s: Slice<u32> = Slice::new(Some(&k), p);
        s.begin(&Attrs {
            org: 999,
            ..Attrs::default()
        });
        s.at(998, 0, |n, _| *n += 1);
        s.at(998, 1, |n, _| *n += 1);
        let cells = s.finish();
        assert_eq!(cells.len(), 1);
        assert_eq!(k.decode(cells[0].0), [998, 999]);
        assert_eq!(cells[0].1, 2);
    }
}
