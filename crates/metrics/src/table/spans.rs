//! Stretches of time tickets spent in new, open and on hold: what business-time handle and
//! requester wait time are measured over (the ticket table keeps only their calendar sums).

use crate::period::BusinessClocks;

/// The high bit of a span's row: the span is on hold (wait time only).
const ON_HOLD: u32 = 1 << 31;

/// Spans in arrival order, in columns (20 bytes a span).
#[derive(Default)]
pub struct StatusSpans {
    /// Ticket row, with [`ON_HOLD`] set for on-hold spans.
    row: Vec<u32>,
    from: Vec<i64>,
    to: Vec<i64>,
}

/// A ticket's business handle and wait time, once its spans are summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessSums {
    /// New and open.
    pub handle: i64,
    /// New, open and on hold.
    pub wait: i64,
    /// Whether any span of the ticket was seen (a ticket with time in those statuses but no
    /// span was written before spans were kept: its business time is unknown).
    pub seen: bool,
}

impl BusinessSums {
    const NONE: BusinessSums = BusinessSums {
        handle: 0,
        wait: 0,
        seen: false,
    };
}

impl StatusSpans {
    pub fn push(&mut self, row: u32, on_hold: bool, from: i64, to: i64) {
        assert!(row < ON_HOLD, "more than 2^31 tickets");
        self.row.push(row | if on_hold { ON_HOLD } else { 0 });
        self.from.push(from);
        self.to.push(to);
    }

    pub fn shrink_to_fit(&mut self) {
        self.row.shrink_to_fit();
        self.from.shrink_to_fit();
        self.to.shrink_to_fit();
    }

    /// Business handle and wait time of every ticket row `wanted` picks (indexed by row, `rows`
    /// long), each span measured in the calendar of its ticket's group (`group_of(row)`).
    pub fn business_sums(
        &self,
        rows: usize,
        wanted: impl Fn(u32) -> bool,
        group_of: impl Fn(u32) -> u32,
        clocks: &BusinessClocks,
    ) -> Vec<BusinessSums> {
        let mut out = vec![BusinessSums::NONE; rows];
        for i in 0..self.row.len() {
            let tagged = self.row[i];
            let row = tagged & !ON_HOLD;
            if row as usize >= rows || !wanted(row) {
                continue;
            }
            let ms = clocks.elapsed(group_of(row), self.from[i], self.to[i]);
            let s = &mut out[row as usize];
            s.seen = true;
            s.wait += ms;
            if tagged & ON_HOLD == 0 {
                s.handle += ms;
            }
        }
        out
    }
}
