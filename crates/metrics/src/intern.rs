//! String interning: every identifier the engine slices by (tickets, agents, groups,
//! organizations, tags, customers, calls, currencies) becomes a dense `u32`, so the hot loops
//! compare and index integers and never hash a string.
//!
//! The strings live once, back to back, in one arena; the hash table holds only `u32`s. At
//! ten million tickets that is about 25 bytes per ticket id instead of the ~60 that a
//! `HashMap<String, u32>` costs (a heap allocation per key plus a 24-byte key slot).

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// The id every interner reserves for "no value": dense per-id arrays use slot 0 for it, and
/// a grouping shows it as `null`.
pub const NONE: u32 = 0;

/// One namespace of interned strings. Ids are dense, start at 1 and are never reused.
#[derive(Clone)]
pub struct Interner {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// All strings, back to back.
    arena: String,
    /// `offsets[id]..offsets[id + 1]` is the string of `id`; id 0 (none) is the empty string.
    offsets: Vec<u32>,
}

impl Interner {
    pub fn new() -> Interner {
        Interner {
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            arena: String::new(),
            offsets: vec![0, 0],
        }
    }

    /// How many ids are in use, counting the reserved [`NONE`]: the length of a per-id array.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The id of `s`, interning it first when it is new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let Interner {
            table,
            hasher,
            arena,
            offsets,
        } = self;
        let hash = hasher.hash_one(s);
        if let Some(&id) = table.find(hash, |&id| name_of(arena, offsets, id) == s) {
            return id;
        }
        let id =
            u32::try_from(offsets.len() - 1).expect("more than 4 billion ids in one namespace");
        arena.push_str(s);
        offsets.push(
            u32::try_from(arena.len()).expect("more than 4 GiB of identifiers in one namespace"),
        );
        table.insert_unique(hash, id, |&other| {
            hasher.hash_one(name_of(arena, offsets, other))
        });
        id
    }

    /// The string of `id` (empty for [`NONE`]).
    pub fn name(&self, id: u32) -> &str {
        if (id as usize) + 1 >= self.offsets.len() {
            return "";
        }
        name_of(&self.arena, &self.offsets, id)
    }

    /// Gives back what growth left unused.
    pub fn shrink_to_fit(&mut self) {
        let Interner {
            table,
            hasher,
            arena,
            offsets,
        } = self;
        arena.shrink_to_fit();
        offsets.shrink_to_fit();
        table.shrink_to_fit(|&id| hasher.hash_one(name_of(arena, offsets, id)));
    }

    /// Heap bytes held (approximate: the table's slots and control bytes).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.offsets.capacity() * 4 + self.table.capacity() * 5
    }

    /// The string of `id`, or `None` for [`NONE`].
    pub fn label(&self, id: u32) -> Option<&str> {
        (id != NONE).then(|| self.name(id))
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::new()
    }
}

fn name_of<'a>(arena: &'a str, offsets: &[u32], id: u32) -> &'a str {
    &arena[offsets[id as usize] as usize..offsets[id as usize + 1] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_start_at_one() {
        let mut i = Interner::new();
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.intern("bb"), 2);
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.intern("bb"), 2);
        assert_eq!(i.name(2), "bb");
        assert_eq!(i.label(NONE), None);
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn survives_growth() {
        let mut i = Interner::new();
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("T-{n}")), n + 1);
        }
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("T-{n}")), n + 1);
            assert_eq!(i.name(n + 1), format!("T-{n}"));
        }
    }
}
