//! Sanjeh's business calendars: when a support team works, and business-time math over it.
//!
//! * [`Schedule`]: the stored form (serde): IANA time zone, weekly intervals (several a day,
//!   across midnight), [`Holiday`]s in the Gregorian or Jalali calendar (single, ranges,
//!   yearly), [`WorkingDay`]s, national sets ([`Country`]). [`parse_ics`] imports holidays
//!   from an iCalendar file.
//! * [`BusinessCalendar`]: a validated, compiled schedule answering
//!   [`business_seconds_between`](BusinessCalendar::business_seconds_between),
//!   [`add_business_seconds`](BusinessCalendar::add_business_seconds),
//!   [`is_in_hours`](BusinessCalendar::is_in_hours) and
//!   [`next_opening`](BusinessCalendar::next_opening) in well under a microsecond.
//! * [`Calendars`]: the default calendar plus per-group ones.
//!
//! Pure: no I/O, no clock; time zones come from the tzdb bundled into the binary.

mod business;
mod calendars;
mod days;
mod error;
mod holiday;
mod ics;
mod jalali;
pub mod national;
mod schedule;

pub use business::{BusinessCalendar, tz_database};
pub use calendars::{Calendars, CalendarsConfig, DEFAULT_CALENDAR};
pub use error::{IcsError, ScheduleError};
pub use holiday::{DateCalendar, Holiday};
pub use ics::parse_ics;
pub use jalali::{gregorian_to_jalali, jalali_to_gregorian};
pub use national::Country;
pub use schedule::{DayInterval, Schedule, Weekday, WeeklyInterval, WorkingDay};
