//! Each customer's tickets in creation order, and for every ticket the creation instant of the
//! customer's next inbound ticket: what makes the repeat-contact check a sequential read.
//!
//! A repeat contact is another inbound ticket of the same customer within N days after a
//! ticket's last solve. The next inbound ticket after the ticket's *creation* is usually the
//! first one after its solve too, so keeping that instant per ticket answers the check without
//! touching the customer's list; only when another ticket was opened while this one was still
//! open (or at the same millisecond) does the check search the list.

use crate::table::tickets::Ticket;

/// No next inbound ticket.
pub const NO_CONTACT: i64 = i64::MAX;

#[derive(Default)]
pub struct Contacts {
    /// Per customer, the rows of their tickets sorted by (created, row).
    lists: Vec<Vec<u32>>,
    /// Per row, the creation instant of the customer's first inbound ticket after it.
    pub next: Vec<i64>,
}

/// The ticket rows the contact index reads.
pub struct View<'a> {
    pub rows: &'a [Ticket],
}

impl View<'_> {
    /// An inbound ticket: not opened by an agent.
    #[inline]
    fn inbound(&self, row: u32) -> bool {
        !self.rows[row as usize].is_outbound()
    }

    #[inline]
    fn created(&self, row: u32) -> i64 {
        self.rows[row as usize].created
    }
}

impl Contacts {
    pub fn ensure(&mut self, rows: usize) {
        if self.next.len() < rows {
            self.next.resize(rows, NO_CONTACT);
        }
    }

    fn position(list: &[u32], v: &View, row: u32) -> usize {
        let key = (v.created(row), row);
        list.partition_point(|&r| (v.created(r), r) < key)
    }

    /// Takes `row` out of `customer`'s list (`v` must still show the row's old values).
    pub fn remove(&mut self, customer: u32, row: u32, v: &View) {
        let Some(list) = self.lists.get_mut(customer as usize) else {
            return;
        };
        let i = Self::position(list, v, row);
        if list.get(i) != Some(&row) {
            return;
        }
        if v.inbound(row) {
            let after = self.next[row as usize];
            for j in (0..i).rev() {
                let p = list[j];
                self.next[p as usize] = after;
                if v.inbound(p) {
                    break;
                }
            }
        }
        list.remove(i);
        self.next[row as usize] = NO_CONTACT;
    }

    /// Puts `row` into `customer`'s list (`v` shows the row's new values).
    pub fn insert(&mut self, customer: u32, row: u32, v: &View) {
        if self.lists.len() <= customer as usize {
            self.lists.resize_with(customer as usize + 1, Vec::new);
        }
        let list = &mut self.lists[customer as usize];
        let i = Self::position(list, v, row);
        self.next[row as usize] = list[i..]
            .iter()
            .find(|&&r| v.inbound(r))
            .map_or(NO_CONTACT, |&r| v.created(r));
        if v.inbound(row) {
            let at = v.created(row);
            for j in (0..i).rev() {
                let p = list[j];
                self.next[p as usize] = at;
                if v.inbound(p) {
                    break;
                }
            }
        }
        list.insert(i, row);
    }

    /// Whether `customer` opened an inbound ticket in `(at, at + window]`, `row` being one of
    /// their tickets created no later than `at`.
    #[inline]
    pub fn after(&self, customer: u32, row: u32, at: i64, window: i64, v: &View) -> bool {
        let next = self.next[row as usize];
        let first = if next > at {
            next
        } else {
            self.first_inbound_after(customer, at, v)
        };
        first != NO_CONTACT && first <= at.saturating_add(window)
    }

    fn first_inbound_after(&self, customer: u32, at: i64, v: &View) -> i64 {
        let Some(list) = self.lists.get(customer as usize) else {
            return NO_CONTACT;
        };
        let i = list.partition_point(|&r| v.created(r) <= at);
        list[i..]
            .iter()
            .find(|&&r| v.inbound(r))
            .map_or(NO_CONTACT, |&r| v.created(r))
    }

    pub fn heap_bytes(&self) -> usize {
        self.lists.capacity() * 24
            + self
                .lists
                .iter()
                .map(|l| l.capacity() * 4 + 16)
                .sum::<usize>()
            + self.next.capacity() * 8
    }

    pub fn shrink_to_fit(&mut self) {
        self.lists.shrink_to_fit();
        for l in &mut self.lists {
            l.shrink_to_fit();
        }
        self.next.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_contacts_follow_inserts_and_removals_in_any_order() {
        // Rows 1..=5 of one customer; row 3 is outbound.
        let mut rows = vec![Ticket::default(); 6];
        for (r, t) in rows.iter_mut().enumerate() {
            t.created = r as i64 * 100;
        }
        rows[3] = outbound(300);
        let mut c = Contacts::default();
        c.ensure(6);
        for row in [4, 1, 5, 3, 2] {
            c.insert(7, row, &View { rows: &rows });
        }
        assert_eq!(c.next[1..], [200, 400, 400, 500, NO_CONTACT]);
        c.remove(7, 4, &View { rows: &rows });
        assert_eq!(c.next[1..], [200, 500, 500, NO_CONTACT, NO_CONTACT]);
        // A solve at 250 of ticket 1: the next inbound after it is 500 (row 3 is outbound).
        assert!(c.after(7, 1, 250, 250, &View { rows: &rows }));
        assert!(!c.after(7, 1, 250, 249, &View { rows: &rows }));
        // Ticket 2 moves later.
        c.remove(7, 2, &View { rows: &rows });
        rows[2].created = 600;
        c.insert(7, 2, &View { rows: &rows });
        assert_eq!(c.next[1..], [500, NO_CONTACT, 500, NO_CONTACT, 600]);
    }

    /// An outbound ticket row (built through the table so the flags are right).
    fn outbound(created: i64) -> Ticket {
        use sanjeh_domain::event::TicketCreated;
        use sanjeh_domain::{Author, Channel, Id, Priority, TicketState};
        let id = Id::parse("id", "T").unwrap();
        let e = TicketCreated {
            ticket: id.clone(),
            customer: None,
            organization: None,
            channel: Channel::Email,
            priority: Priority::Normal,
            group: None,
            subject: None,
            tags: vec![],
            kind: None,
            by: Some(Author::Agent(id)),
        };
        let mut table = crate::table::tickets::TicketTable::default();
        table.upsert(
            1,
            &TicketState::create(&e, created),
            &mut crate::names::Names::default(),
        );
        *table.get(1)
    }
}
