//! The ticket table: one row per ticket, one column per fact the KPIs read.
//!
//! Column-wise so each KPI pass touches only the columns it needs, and compact (about 70 bytes
//! a ticket) so ten million tickets fit in well under a gigabyte. A row is the ticket's
//! interned id; replies and solves may arrive before their ticket, so a row can exist without
//! being `present` yet.

use crate::column::OffsetColumn;
use crate::table::contacts::{Contacts, View};
use crate::names::Names;
use hashbrown::HashMap;
use sanjeh_domain::{Channel, Kind, Priority, Status, TicketState};

/// Row flags.
pub const PRESENT: u8 = 1;
pub const OUTBOUND: u8 = 2;
pub const MERGED: u8 = 4;

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
    code.checked_sub(1).and_then(|i| Channel::ALL.get(i as usize)).map(|c| c.as_str())
}
pub fn priority_label(code: u32) -> Option<&'static str> {
    code.checked_sub(1).and_then(|i| Priority::ALL.get(i as usize)).map(|c| c.as_str())
}
pub fn kind_label(code: u32) -> Option<&'static str> {
    code.checked_sub(1).and_then(|i| Kind::ALL.get(i as usize)).map(|c| c.as_str())
}

#[derive(Default)]
pub struct TicketTable {
    pub flags: Vec<u8>,
    pub created: Vec<i64>,
    /// Instants, as offsets from `created`.
    pub first_reply: OffsetColumn,
    pub first_solved: OffsetColumn,
    pub last_solved: OffsetColumn,
    /// Durations (base 0).
    pub handle: OffsetColumn,
    pub wait: OffsetColumn,
    /// Merges are rare: kept aside.
    pub merged_at: HashMap<u32, i64>,
    pub agent_replies: Vec<u32>,
    /// Saturating: only "reopened at least once" and "has history to reconstruct" are read.
    pub reopens: Vec<u16>,
    pub status: Vec<u8>,
    pub priority: Vec<u8>,
    pub channel: Vec<u8>,
    pub kind: Vec<u8>,
    pub group: Vec<u32>,
    pub assignee: Vec<u32>,
    pub customer: Vec<u32>,
    pub org: Vec<u32>,
    pub first_reply_by: Vec<u32>,
    pub solved_by: Vec<u32>,
    pub tag_set: Vec<u32>,
    /// Each customer's tickets and every ticket's next inbound contact (repeat contacts).
    pub contacts: Contacts,
    /// How many present tickets were reopened at least once (0 skips history reconstruction).
    pub reopened_count: usize,
}

impl TicketTable {
    pub fn rows(&self) -> usize {
        self.flags.len()
    }

    /// Makes sure `row` exists (rows are ticket ids, allocated in order).
    pub fn ensure(&mut self, row: u32) {
        while self.flags.len() <= row as usize {
            self.flags.push(0);
            self.created.push(0);
            self.first_reply.push_absent();
            self.first_solved.push_absent();
            self.last_solved.push_absent();
            self.handle.push_absent();
            self.wait.push_absent();
            self.agent_replies.push(0);
            self.reopens.push(0);
            self.status.push(0);
            self.priority.push(0);
            self.channel.push(0);
            self.kind.push(0);
            self.group.push(0);
            self.assignee.push(0);
            self.customer.push(0);
            self.org.push(0);
            self.first_reply_by.push(0);
            self.solved_by.push(0);
            self.tag_set.push(0);
        }
    }

    /// Writes the current state of a ticket into its row, replacing what was there.
    pub fn upsert(&mut self, row: u32, t: &TicketState, names: &mut Names) {
        self.ensure(row);
        let r = row as usize;
        let f = &t.facts;
        let old_contact = self.contact_key(row);
        let new_contact = (t.customer.as_ref(), f.created_at, f.outbound);
        let moves = match old_contact {
            Some((c, created, outbound)) => {
                Some(names.customers.name(c)) != t.customer.as_ref().map(|c| c.as_str())
                    || created != new_contact.1
                    || outbound != new_contact.2
            }
            None => true,
        };
        if moves {
            if let Some((c, _, _)) = old_contact {
                self.contacts.remove(c, row, &View { created: &self.created, flags: &self.flags });
            }
        }
        let was_reopened = self.flags[r] & PRESENT != 0 && self.reopens[r] > 0;

        let created = f.created_at;
        let mut flags = PRESENT;
        if f.outbound {
            flags |= OUTBOUND;
        }
        if t.merged_into.is_some() {
            flags |= MERGED;
            self.merged_at.insert(row, f.merged_at.unwrap_or(t.updated_at));
        } else {
            self.merged_at.remove(&row);
        }
        self.flags[r] = flags;
        self.created[r] = created;
        self.first_reply.set(row, created, f.first_reply_at);
        self.first_solved.set(row, created, f.first_solved_at);
        self.last_solved.set(row, created, f.last_solved_at);
        self.handle.set(row, 0, f.handle_ms);
        self.wait.set(row, 0, f.requester_wait_ms);
        self.agent_replies[r] = u32::try_from(f.agent_replies.max(0)).unwrap_or(u32::MAX);
        self.reopens[r] = u16::try_from(f.reopens.max(0)).unwrap_or(u16::MAX);
        self.status[r] = t.status.index() as u8;
        self.priority[r] = priority_code(t.priority);
        self.channel[r] = channel_code(t.channel);
        self.kind[r] = kind_code(t.kind);
        self.group[r] = t.group.as_ref().map_or(0, |g| names.groups.intern(g.as_str()));
        self.assignee[r] = t.assignee.as_ref().map_or(0, |a| names.agents.intern(a.as_str()));
        self.customer[r] = t.customer.as_ref().map_or(0, |c| names.customers.intern(c.as_str()));
        self.org[r] = t.organization.as_ref().map_or(0, |o| names.orgs.intern(o.as_str()));
        self.first_reply_by[r] = f.first_reply_by.as_ref().map_or(0, |a| names.agents.intern(a.as_str()));
        self.solved_by[r] = f.solved_by.as_ref().map_or(0, |a| names.agents.intern(a.as_str()));
        self.tag_set[r] = names.tag_set(&t.tags);

        let is_reopened = self.reopens[r] > 0;
        match (was_reopened, is_reopened) {
            (false, true) => self.reopened_count += 1,
            (true, false) => self.reopened_count -= 1,
            _ => {}
        }
        if moves && self.customer[r] != 0 {
            self.contacts.ensure(self.rows());
            let c = self.customer[r];
            self.contacts.insert(c, row, &View { created: &self.created, flags: &self.flags });
        }
    }

    /// The customer, creation and outbound flag of a present ticket with a customer.
    fn contact_key(&self, row: u32) -> Option<(u32, i64, bool)> {
        let r = row as usize;
        (self.flags[r] & PRESENT != 0 && self.customer[r] != 0)
            .then(|| (self.customer[r], self.created[r], self.flags[r] & OUTBOUND != 0))
    }

    /// Whether the customer of `row`, last solved at `at`, opened another inbound ticket
    /// within `window` ms after it (a repeat contact).
    #[inline]
    pub fn repeat_contact(&self, row: u32, at: i64, window: i64) -> bool {
        let c = self.customer[row as usize];
        c != 0 && self.contacts.after(c, row, at, window, &View { created: &self.created, flags: &self.flags })
    }

    #[inline]
    pub fn is_present(&self, row: u32) -> bool {
        self.flags[row as usize] & PRESENT != 0
    }

    #[inline]
    pub fn is_merged(&self, row: u32) -> bool {
        self.flags[row as usize] & MERGED != 0
    }

    #[inline]
    pub fn is_outbound(&self, row: u32) -> bool {
        self.flags[row as usize] & OUTBOUND != 0
    }

    /// Solved or closed now, with a solve, and not merged away: the tickets the "last solve"
    /// KPIs count (a reopened ticket drops out until it is solved again, as in Zendesk).
    #[inline]
    pub fn is_finally_solved(&self, row: u32) -> bool {
        let r = row as usize;
        self.flags[r] & (PRESENT | MERGED) == PRESENT
            && !status_unsolved(self.status[r])
            && self.last_solved.is_some(row)
    }
}

/// Whether a stored status code is new, open, pending or on_hold.
#[inline]
pub fn status_unsolved(code: u8) -> bool {
    Status::ALL.get(code as usize).is_some_and(|s| s.is_unsolved())
}
