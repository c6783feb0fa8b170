//! Compact, exact columns for optional instants and durations.
//!
//! Most of a ticket's instants lie within weeks of its creation and most durations are under
//! seven weeks, so a `u32` of milliseconds holds them. The rare value that does not fit (or is
//! negative, from out-of-order history) goes to a side map: 4 bytes per row instead of the 16
//! an `Option<i64>` costs, and still exact to the millisecond.

use hashbrown::HashMap;

const ABSENT: u32 = u32::MAX;
const WIDE: u32 = u32::MAX - 1;

/// An optional `i64` per row, stored as a `u32` offset from a base the caller supplies (the
/// ticket's creation for instants, zero for durations).
#[derive(Clone, Default)]
pub struct OffsetColumn {
    narrow: Vec<u32>,
    wide: HashMap<u32, i64>,
}

impl OffsetColumn {
    pub fn push_absent(&mut self) {
        self.narrow.push(ABSENT);
    }

    pub fn set(&mut self, row: u32, base: i64, value: Option<i64>) {
        let slot = &mut self.narrow[row as usize];
        if *slot == WIDE {
            self.wide.remove(&row);
        }
        *slot = match value {
            None => ABSENT,
            Some(v) => match v.checked_sub(base).and_then(|d| u32::try_from(d).ok()) {
                Some(d) if d < WIDE => d,
                _ => {
                    self.wide.insert(row, v);
                    WIDE
                }
            },
        };
    }

    #[inline]
    pub fn get(&self, row: u32, base: i64) -> Option<i64> {
        match self.narrow[row as usize] {
            ABSENT => None,
            WIDE => self.wide.get(&row).copied(),
            d => Some(base + i64::from(d)),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.narrow.capacity() * 4 + self.wide.capacity() * 17
    }

    pub fn shrink_to_fit(&mut self) {
        self.narrow.shrink_to_fit();
        self.wide.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_wide_negative_and_absent_values_round_trip() {
        let mut c = OffsetColumn::default();
        for _ in 0..5 {
            c.push_absent();
        }
        let base = 1_700_000_000_000;
        c.set(0, base, Some(base + 5));
        c.set(1, base, Some(base + 10 * 86_400_000 * 30)); // 300 days: wide
        c.set(2, base, Some(base - 1)); // before the base: wide
        c.set(3, base, None);
        assert_eq!(c.get(0, base), Some(base + 5));
        assert_eq!(c.get(1, base), Some(base + 10 * 86_400_000 * 30));
        assert_eq!(c.get(2, base), Some(base - 1));
        assert_eq!(c.get(3, base), None);
        assert_eq!(c.get(4, base), None);
        // Narrowing a wide value drops it from the side map.
        c.set(1, base, Some(base + 7));
        assert_eq!(c.get(1, base), Some(base + 7));
        assert!(c.wide.len() == 1);
    }
}
