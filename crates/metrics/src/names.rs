//! The interned namespaces of a dataset and the interned tag sets.

use crate::intern::Interner;
use hashbrown::HashMap;

/// Every namespace of identifiers the engine interns, plus the display names that profile
/// events give some of them.
#[derive(Default)]
pub struct Names {
    pub tickets: Interner,
    pub agents: Interner,
    pub groups: Interner,
    pub orgs: Interner,
    pub tags: Interner,
    pub customers: Interner,
    pub calls: Interner,
    pub currencies: Interner,
    pub tag_sets: TagSets,
    pub agent_names: HashMap<u32, String>,
    pub group_names: HashMap<u32, String>,
    pub org_names: HashMap<u32, String>,
    pub customer_names: HashMap<u32, String>,
}

/// Interned sets of tags. Tickets share a few hundred distinct tag combinations, so each
/// ticket and solve stores one `u32` instead of a `Vec<String>`. Set 0 is the empty set.
pub struct TagSets {
    ids: HashMap<Box<[u32]>, u32>,
    offsets: Vec<u32>,
    pool: Vec<u32>,
}

impl Default for TagSets {
    fn default() -> TagSets {
        TagSets {
            ids: HashMap::new(),
            offsets: vec![0, 0],
            pool: Vec::new(),
        }
    }
}

impl TagSets {
    /// The set id of these tag ids (sorted and deduplicated here).
    pub fn intern_ids(&mut self, mut ids: Vec<u32>) -> u32 {
        if ids.is_empty() {
            return 0;
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(&id) = self.ids.get(ids.as_slice()) {
            return id;
        }
        let id = u32::try_from(self.offsets.len() - 1).expect("more than 4 billion tag sets");
        self.pool.extend_from_slice(&ids);
        self.offsets
            .push(u32::try_from(self.pool.len()).expect("tag pool over 4 billion entries"));
        self.ids.insert(ids.into_boxed_slice(), id);
        id
    }

    /// The tag ids of a set, sorted.
    #[inline]
    pub fn get(&self, set: u32) -> &[u32] {
        let (a, b) = (self.offsets[set as usize], self.offsets[set as usize + 1]);
        &self.pool[a as usize..b as usize]
    }
}

impl Names {
    /// Interns a list of tag strings as a tag set.
    pub fn tag_set(&mut self, tags: &[String]) -> u32 {
        if tags.is_empty() {
            return 0;
        }
        let ids = tags.iter().map(|t| self.tags.intern(t)).collect();
        self.tag_sets.intern_ids(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets_ignore_order_and_duplicates() {
        let mut n = Names::default();
        let a = n.tag_set(&["refund".into(), "vip".into()]);
        let b = n.tag_set(&["vip".into(), "refund".into(), "vip".into()]);
        assert_eq!(a, b);
        assert_eq!(n.tag_set(&[]), 0);
        assert_eq!(n.tag_sets.get(0), &[] as &[u32]);
        let names: Vec<_> = n.tag_sets.get(a).iter().map(|&t| n.tags.name(t)).collect();
        assert_eq!(names, ["refund", "vip"]);
    }
}
