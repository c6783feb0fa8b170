//! Identifier formats of the demo data (`T-000001`, `C-00042`, `A-07`, `X-…`, `K-…`) and the
//! conversion of generated values into domain types.

use crate::calendar::Secs;
use sanjeh_domain::Id;

/// Wraps an identifier the generator made itself; those are always valid.
pub(crate) fn id(raw: String) -> Id {
    Id::try_from(raw).expect("generated identifiers are non-empty, short and printable")
}

pub(crate) fn ticket(n: u32) -> Id {
    id(format!("T-{n:06}"))
}

pub(crate) fn customer(n: u32) -> Id {
    id(format!("C-{n:05}"))
}

pub(crate) fn organization(n: u32) -> Id {
    id(format!("O-{n:04}"))
}

pub(crate) fn agent(n: usize) -> Id {
    id(format!("A-{n:02}"))
}

pub(crate) fn call(n: u32) -> Id {
    id(format!("X-{n:06}"))
}

pub(crate) fn article(n: usize) -> Id {
    id(format!("K-{n:03}"))
}

pub(crate) fn opportunity(n: u32) -> Id {
    id(format!("OP-{n:05}"))
}

/// Seconds to the interchange timestamp type (whole seconds print without a fraction).
pub(crate) fn timestamp(t: Secs) -> jiff::Timestamp {
    jiff::Timestamp::from_second(t).expect("demo times stay within jiff's range")
}
