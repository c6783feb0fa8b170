//! The merge that puts every planned event into one time-ordered stream.
//!
//! Each ticket's history (a *story*) is planned whole when the ticket arrives and waits here
//! until its events come due. The heap holds one entry per story, keyed by the story's next
//! event time and the story's creation sequence: ties between stories go to the older one and
//! a story's own events keep their planned order. Memory is proportional to the stories in
//! flight (tickets not yet closed, plus pending churn), not to the length of the year.

use crate::calendar::Secs;
use crate::ids::timestamp;
use sanjeh_domain::{Event, EventBody};
use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::{BinaryHeap, VecDeque};

/// Events being planned for one story, in any order; [`Schedule::add`] sorts them stably, so
/// events planned for the same second keep the order they were pushed in.
pub(crate) struct Script {
    items: Vec<(Secs, EventBody)>,
}

impl Default for Script {
    /// Room for a typical ticket's story, so planning does not keep regrowing (and moving)
    /// the large event bodies.
    fn default() -> Script {
        Script {
            items: Vec::with_capacity(16),
        }
    }
}

impl Script {
    pub(crate) fn push(&mut self, at: Secs, body: EventBody) {
        self.items.push((at, body));
    }
}

/// A condition checked when a story's event comes due: planned churn is dropped if the
/// customer came back in the meantime (see `Directory::churn_still_due`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChurnGuard {
    pub customer: u32,
    pub at: Secs,
}

struct Story {
    /// Remaining events in order. Bodies are large, so they are moved as little as possible:
    /// sorted in place, and made into an [`Event`] only when due.
    events: VecDeque<(Secs, EventBody)>,
    guard: Option<ChurnGuard>,
}

/// The pending stories and the heap that orders them.
pub(crate) struct Schedule {
    heap: BinaryHeap<Reverse<(Secs, u64, u32)>>,
    slots: Vec<Option<Story>>,
    free: Vec<u32>,
    next_seq: u64,
    start: Secs,
    end: Secs,
}

impl Schedule {
    /// Events before `start` are moved to `start`; events at or after `end` are dropped
    /// (the history ends there, leaving whatever is unfinished as backlog).
    pub(crate) fn new(start: Secs, end: Secs) -> Schedule {
        Schedule {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            start,
            end,
        }
    }

    /// Adds a story. Cutting at `end` keeps a time prefix of the story, which is itself a
    /// consistent history.
    pub(crate) fn add(&mut self, script: Script, guard: Option<ChurnGuard>) {
        let mut items = script.items;
        items.sort_by_key(|(t, _)| *t);
        let kept = items.partition_point(|(t, _)| *t < self.end);
        items.truncate(kept);
        if items.capacity() > 2 * items.len() + 8 {
            items.shrink_to_fit(); // a one-event churn story may wait for months
        }
        let Some(&(first, _)) = items.first() else {
            return;
        };
        let first = first.max(self.start);
        let events = VecDeque::from(items);
        let seq = self.next_seq;
        self.next_seq += 1;
        let story = Story { events, guard };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(story);
                slot
            }
            None => {
                self.slots.push(Some(story));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((first, seq, slot)));
    }

    /// The time of the next event due, if any.
    pub(crate) fn next_time(&self) -> Option<Secs> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Takes the next event due, with the guard of its story.
    pub(crate) fn pop(&mut self) -> Option<(Event, Option<ChurnGuard>)> {
        // Re-keying the top in place costs one sift instead of a pop and a push.
        let mut top = self.heap.peek_mut()?;
        let Reverse((_, seq, slot)) = *top;
        let story = self.slots[slot as usize]
            .as_mut()
            .expect("a scheduled slot holds a story");
        let (at, body) = story
            .events
            .pop_front()
            .expect("a scheduled story has an event left");
        let event = Event::new(timestamp(at.max(self.start)), body);
        let guard = story.guard;
        match story.events.front() {
            Some(&(next, _)) => *top = Reverse((next.max(self.start), seq, slot)),
            None => {
                PeekMut::pop(top);
                self.slots[slot as usize] = None;
                self.free.push(slot);
            }
        }
        Some((event, guard))
    }

    /// Stories still holding events: what the memory use is proportional to.
    pub(crate) fn in_flight(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(n: u32) -> EventBody {
        EventBody::CustomerLifecycle {
            customer: crate::ids::customer(n),
            state: sanjeh_domain::event::LifecycleState::Active,
        }
    }

    fn customer_of(e: &Event) -> String {
        match &e.body {
            EventBody::CustomerLifecycle { customer, .. } => customer.to_string(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn merges_in_time_order_and_keeps_ties_in_story_order() {
        let mut s = Schedule::new(0, 1_000);
        let mut a = Script::default();
        a.push(10, lifecycle(1));
        a.push(5, lifecycle(2));
        a.push(10, lifecycle(3));
        a.push(2_000, lifecycle(9));
        let mut b = Script::default();
        b.push(10, lifecycle(4));
        b.push(-5, lifecycle(5));
        s.add(a, None);
        s.add(b, None);
        let order: Vec<String> = std::iter::from_fn(|| s.pop())
            .map(|(e, _)| customer_of(&e))
            .collect();
        assert_eq!(
            order,
            ["C-00005", "C-00002", "C-00001", "C-00003", "C-00004"]
        );
        assert_eq!(s.in_flight(), 0);
    }
}
