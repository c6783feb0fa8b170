//! The ticket table: one 64-byte row per ticket with every fact the KPIs read.
//!
//! Rows rather than columns: a report reads nearly every field of every ticket, and one
//! sequential stream of cache lines is what hardware prefetchers follow best (twenty column
//! streams at once are not, and each miss costs a few hundred nanoseconds on a virtual
//! machine). Instants after creation are `u32` millisecond offsets from it and durations are
//! `u32` milliseconds; the rare value that does not fit (after 49 days, or out-of-order
//! history) is kept aside, exactly. A row's index is the ticket's interned id; replies and
//! solves may arrive before their ticket, so a row can exist without being present yet.

use crate::names::Names;
use crate::period::Period;
use crate::table::contacts::{Contacts, View};
use crate::table::zones::{Reach, RowBits, Zones};
use hashbrown::HashMap;
use sanjeh_domain::{Channel, Kind, Priority, Status, TicketState};
use std::ops::Range;

/// Row flags (low bits of `Ticket::flags`; the status sits above them).
pub const PRESENT: u8 = 1;
pub const OUTBOUND: u8 = 2;
pub const MERGED: u8 = 4;
const STATUS_SHIFT: u8 = 3;

/// Codes of the small enums, 0 meaning none (so they index per-value arrays directly).
pub fn channel_code(c: Channel) -> u8 {
    c as u8 + 1
}
pub fn priority_code(p: Priority) -> u8 {
    p as u8 + 1
}
pub fn kind_code(k: Option<Kind>) -> u8 {
    k.map_or(0, |k| k as u8 + 1)
}
pub const COMPLAINT: u8 = Kind::Complaint as u8 + 1;
pub const URGENT: u8 = Priority::Urgent as u8 + 1;

pub fn channel_label(code: u32) -> Option<&'static str> {
    code.checked_sub(1)
        .and_then(|i| Channel::ALL.get(i as usize))
        .map(|c| c.as_str())
}
pub fn priority_label(code: u32) -> Option<&'static str> {
    code.checked_sub(1)
        .and_then(|i| Priority::ALL.get(i as usize))
        .map(|c| c.as_str())
}
pub fn kind_label(code: u32) -> Option<&'static str> {
    code.checked_sub(1)
        .and_then(|i| Kind::ALL.get(i as usize))
        .map(|c| c.as_str())
}

/// Offset sentinels.
const ABSENT: u32 = u32::MAX;
const WIDE: u32 = u32::MAX - 1;

/// The fields stored as offsets, indexing the side maps of wide values.
#[derive(Clone, Copy)]
enum Field {
    FirstReply,
    FirstSolved,
    LastSolved,
    Handle,
    Wait,
}

/// One ticket, 64 bytes.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Ticket {
    pub created: i64,
    first_reply: u32,
    first_solved: u32,
    last_solved: u32,
    handle: u32,
    wait: u32,
    pub group: u32,
    pub assignee: u32,
    pub customer: u32,
    pub org: u32,
    pub first_reply_by: u32,
    pub solved_by: u32,
    pub tag_set: u32,
    /// Saturating at 65 535 (only counts of one and sums are read; no ticket gets near).
    pub agent_replies: u16,
    /// Saturating: only "reopened at least once" is read.
    pub reopens: u16,
    flags: u8,
    pub priority: u8,
    pub channel: u8,
    pub kind: u8,
}

impl Ticket {
    #[inline]
    pub fn is_present(&self) -> bool {
        self.flags & PRESENT != 0
    }
    #[inline]
    pub fn is_outbound(&self) -> bool {
        self.flags & OUTBOUND != 0
    }
    #[inline]
    pub fn is_merged(&self) -> bool {
        self.flags & MERGED != 0
    }
    #[inline]
    pub fn status(&self) -> u8 {
        self.flags >> STATUS_SHIFT
    }
    /// Solved or closed now, with a solve, and not merged away: the tickets the "last solve"
    /// KPIs count (a reopened ticket drops out until it is solved again, as in Zendesk).
    #[inline]
    pub fn is_finally_solved(&self) -> bool {
        self.flags & (PRESENT | MERGED) == PRESENT
            && !status_unsolved(self.status())
            && self.last_solved != ABSENT
    }
}

#[derive(Default)]
pub struct TicketTable {
    pub rows: Vec<Ticket>,
    /// Values that do not fit their `u32`, per field.
    wide: [HashMap<u32, i64>; 5],
    /// Merges are rare: kept aside.
    pub merged_at: HashMap<u32, i64>,
    /// Each customer's tickets and every ticket's next inbound contact (repeat contacts).
    pub contacts: Contacts,
    /// The span of every instant of the tickets of a block (creation, first reply, solves,
    /// reopens, merge): a pass over a period reads the blocks that reach into it...
    zones: Zones,
    /// ...and, in the blocks before it, the tickets whose last unsolved interval has no end
    /// (unsolved now, or never solved): they are in every later backlog.
    open_ended: RowBits,
}

impl TicketTable {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Makes sure `row` exists (rows are ticket ids, allocated in order).
    pub fn ensure(&mut self, row: u32) {
        if self.rows.len() <= row as usize {
            self.rows.resize(row as usize + 1, Ticket::default());
        }
    }

    #[inline]
    pub fn get(&self, row: u32) -> &Ticket {
        &self.rows[row as usize]
    }

    #[inline]
    fn offset(&self, field: Field, row: u32, v: u32, base: i64) -> Option<i64> {
        match v {
            ABSENT => None,
            WIDE => self.wide[field as usize].get(&row).copied(),
            d => Some(base + i64::from(d)),
        }
    }

    #[inline]
    pub fn first_reply_at(&self, row: u32) -> Option<i64> {
        let t = self.get(row);
        self.offset(Field::FirstReply, row, t.first_reply, t.created)
    }
    #[inline]
    pub fn first_solved_at(&self, row: u32) -> Option<i64> {
        let t = self.get(row);
        self.offset(Field::FirstSolved, row, t.first_solved, t.created)
    }
    #[inline]
    pub fn last_solved_at(&self, row: u32) -> Option<i64> {
        let t = self.get(row);
        self.offset(Field::LastSolved, row, t.last_solved, t.created)
    }
    /// Time in new and open up to the last solve.
    #[inline]
    pub fn handle_ms(&self, row: u32) -> Option<i64> {
        self.offset(Field::Handle, row, self.get(row).handle, 0)
    }
    /// Time in new, open and on-hold up to the last solve.
    #[inline]
    pub fn wait_ms(&self, row: u32) -> Option<i64> {
        self.offset(Field::Wait, row, self.get(row).wait, 0)
    }

    /// Encodes `value` relative to `base`, keeping it aside when it does not fit.
    fn encode(&mut self, field: Field, row: u32, base: i64, value: Option<i64>) -> u32 {
        let wide = &mut self.wide[field as usize];
        wide.remove(&row);
        match value {
            None => ABSENT,
            Some(v) => match v.checked_sub(base).and_then(|d| u32::try_from(d).ok()) {
                Some(d) if d < WIDE => d,
                _ => {
                    wide.insert(row, v);
                    WIDE
                }
            },
        }
    }

    /// Widens the zone of `row` to hold `at` (a solve or a reopen of the ticket).
    pub fn note(&mut self, row: u32, at: i64) {
        self.zones.note(row as usize, at);
    }

    /// The rows of `rows` a pass over `p` must read, in order: every ticket that was created,
    /// replied, solved, reopened or merged in the period, or unsolved in any part of it. That
    /// is every row of the blocks that reach into the period, and the open-ended rows of the
    /// blocks before it.
    pub fn rows_for(&self, rows: Range<u32>, p: Period) -> impl Iterator<Item = u32> + '_ {
        self.reach(rows, p)
            .into_iter()
            .flat_map(move |(run, reach)| {
                let (all, open) = match reach {
                    Reach::Into => (Some(run), None),
                    Reach::Before => (None, Some(run)),
                };
                all.into_iter()
                    .flatten()
                    .chain(open.into_iter().flat_map(|r| self.open_ended.within(r)))
                    .map(|row| row as u32)
            })
    }

    /// The row that cuts the rows a pass over `p` reads into two halves of about equal work
    /// (the open-ended rows of the blocks before the period are few and not counted).
    pub fn middle_of(&self, rows: Range<u32>, p: Period) -> u32 {
        let runs = self.full_runs(rows.clone(), p);
        let total: usize = runs.iter().map(Range::len).sum();
        let mut left = total / 2;
        for r in runs {
            if left < r.len() {
                return (r.start + left) as u32;
            }
            left -= r.len();
        }
        rows.start + (rows.end - rows.start) / 2
    }

    /// How many rows a pass over `p` reads in full (its work, give or take the open-ended
    /// rows before the period).
    pub fn rows_read(&self, p: Period) -> usize {
        self.full_runs(0..self.len() as u32, p)
            .iter()
            .map(Range::len)
            .sum()
    }

    fn full_runs(&self, rows: Range<u32>, p: Period) -> Vec<Range<usize>> {
        self.zones.runs(rows.start as usize..rows.end as usize, p)
    }

    fn reach(&self, rows: Range<u32>, p: Period) -> Vec<(Range<usize>, Reach)> {
        self.zones.reach(rows.start as usize..rows.end as usize, p)
    }

    pub fn zones_heap_bytes(&self) -> usize {
        self.zones.heap_bytes() + self.open_ended.heap_bytes()
    }

    /// Writes the current state of a ticket into its row, replacing what was there.
    pub fn upsert(&mut self, row: u32, t: &TicketState, names: &mut Names) {
        self.ensure(row);
        let f = &t.facts;
        let old = self.rows[row as usize];
        let customer = t
            .customer
            .as_ref()
            .map_or(0, |c| names.customers.intern(c.as_str()));
        let was_contact = old.is_present() && old.customer != 0;
        let moves = !was_contact
            || old.customer != customer
            || old.created != f.created_at
            || old.is_outbound() != f.outbound;
        if moves && was_contact {
            self.contacts
                .remove(old.customer, row, &View { rows: &self.rows });
        }

        let created = f.created_at;
        let mut flags = PRESENT | ((t.status.index() as u8) << STATUS_SHIFT);
        if f.outbound {
            flags |= OUTBOUND;
        }
        if t.merged_into.is_some() {
            flags |= MERGED;
            self.merged_at
                .insert(row, f.merged_at.unwrap_or(t.updated_at));
        } else {
            self.merged_at.remove(&row);
        }
        let new = Ticket {
            created,
            first_reply: self.encode(Field::FirstReply, row, created, f.first_reply_at),
            first_solved: self.encode(Field::FirstSolved, row, created, f.first_solved_at),
            last_solved: self.encode(Field::LastSolved, row, created, f.last_solved_at),
            handle: self.encode(Field::Handle, row, 0, f.handle_ms),
            wait: self.encode(Field::Wait, row, 0, f.requester_wait_ms),
            group: t
                .group
                .as_ref()
                .map_or(0, |g| names.groups.intern(g.as_str())),
            assignee: t
                .assignee
                .as_ref()
                .map_or(0, |a| names.agents.intern(a.as_str())),
            customer,
            org: t
                .organization
                .as_ref()
                .map_or(0, |o| names.orgs.intern(o.as_str())),
            first_reply_by: f
                .first_reply_by
                .as_ref()
                .map_or(0, |a| names.agents.intern(a.as_str())),
            solved_by: f
                .solved_by
                .as_ref()
                .map_or(0, |a| names.agents.intern(a.as_str())),
            tag_set: names.tag_set(&t.tags),
            agent_replies: u16::try_from(f.agent_replies.max(0)).unwrap_or(u16::MAX),
            reopens: u16::try_from(f.reopens.max(0)).unwrap_or(u16::MAX),
            flags,
            priority: priority_code(t.priority),
            channel: channel_code(t.channel),
            kind: kind_code(t.kind),
        };
        self.rows[row as usize] = new;
        for at in [
            Some(created),
            f.first_reply_at,
            f.first_solved_at,
            f.last_solved_at,
        ]
        .into_iter()
        .flatten()
        .chain(self.merged_at.get(&row).copied())
        {
            self.zones.note(row as usize, at);
        }
        // As [`crate::history::History`] sees it: a merge closes every interval, and the last
        // one stays open while the status is unsolved or there never was a solve.
        let open_ended =
            t.merged_into.is_none() && (t.status.is_unsolved() || f.first_solved_at.is_none());
        self.open_ended.set(row as usize, open_ended);

        if moves && customer != 0 {
            self.contacts.ensure(self.rows.len());
            self.contacts
                .insert(customer, row, &View { rows: &self.rows });
        }
    }

    /// Whether the customer of `row`, last solved at `at`, opened another inbound ticket
    /// within `window` ms after it (a repeat contact).
    #[inline]
    pub fn repeat_contact(&self, row: u32, at: i64, window: i64) -> bool {
        let c = self.get(row).customer;
        c != 0
            && self
                .contacts
                .after(c, row, at, window, &View { rows: &self.rows })
    }

    /// Gives back the memory that growth left unused (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        for w in &mut self.wide {
            w.shrink_to_fit();
        }
        self.merged_at.shrink_to_fit();
        self.contacts.shrink_to_fit();
        self.zones.shrink_to_fit();
        self.open_ended.shrink_to_fit();
    }
}

/// Whether a stored status code is new, open, pending or on_hold.
#[inline]
pub fn status_unsolved(code: u8) -> bool {
    Status::ALL
        .get(code as usize)
        .is_some_and(|s| s.is_unsolved())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_row_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Ticket>(), 64);
    }
}
