//! Which calendar applies to a ticket: a default plus per-group schedules.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::business::BusinessCalendar;
use crate::error::ScheduleError;
use crate::schedule::Schedule;

/// The stored form of [`Calendars`]: a default schedule and schedules by group id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarsConfig {
    #[serde(default)]
    pub default: Schedule,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Schedule>,
}

/// The name under which [`CalendarsConfig::schedule`] finds the default schedule (any other
/// name is a group id).
pub const DEFAULT_CALENDAR: &str = "default";

impl CalendarsConfig {
    /// The schedule called `name`: [`DEFAULT_CALENDAR`] or a group that has its own.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        if name == DEFAULT_CALENDAR {
            Some(&self.default)
        } else {
            self.groups.get(name)
        }
    }

    /// The schedule called `name`, to change it in place.
    pub fn schedule_mut(&mut self, name: &str) -> Option<&mut Schedule> {
        if name == DEFAULT_CALENDAR {
            Some(&mut self.default)
        } else {
            self.groups.get_mut(name)
        }
    }

    /// Sets the default schedule or a group's; returns whether one was replaced.
    pub fn set_schedule(&mut self, name: &str, schedule: Schedule) -> bool {
        if name == DEFAULT_CALENDAR {
            self.default = schedule;
            true
        } else {
            self.groups.insert(name.to_owned(), schedule).is_some()
        }
    }

    /// Removes a group's own schedule (the group then follows the default one); the default
    /// schedule cannot be removed. Returns whether there was one.
    pub fn remove_group(&mut self, name: &str) -> bool {
        name != DEFAULT_CALENDAR && self.groups.remove(name).is_some()
    }
}

/// Compiled calendars: the default one and those of groups that have their own.
#[derive(Debug, Clone)]
pub struct Calendars {
    default: BusinessCalendar,
    groups: HashMap<String, BusinessCalendar>,
}

impl Calendars {
    /// Only a default calendar.
    pub fn new(default: BusinessCalendar) -> Self {
        Calendars {
            default,
            groups: HashMap::new(),
        }
    }

    /// Compiles every schedule; an error names the field (`groups.support.intervals[0].end`).
    pub fn from_config(config: &CalendarsConfig) -> Result<Self, ScheduleError> {
        let default =
            BusinessCalendar::new(config.default.clone()).map_err(|e| e.within("default"))?;
        let mut calendars = Calendars::new(default);
        for (group, schedule) in &config.groups {
            let cal = BusinessCalendar::new(schedule.clone())
                .map_err(|e| e.within(&format!("groups.{group}")))?;
            calendars.groups.insert(group.clone(), cal);
        }
        Ok(calendars)
    }

    /// Sets a group's calendar, returning the one it replaces.
    pub fn insert_group(
        &mut self,
        group: impl Into<String>,
        calendar: BusinessCalendar,
    ) -> Option<BusinessCalendar> {
        self.groups.insert(group.into(), calendar)
    }

    /// The default calendar.
    pub fn default_calendar(&self) -> &BusinessCalendar {
        &self.default
    }

    /// The calendar of `group`, or the default one for no group or a group without its own.
    pub fn for_group(&self, group: Option<&str>) -> &BusinessCalendar {
        group
            .and_then(|g| self.groups.get(g))
            .unwrap_or(&self.default)
    }
}

impl Default for Calendars {
    fn default() -> Self {
        Calendars::new(
            BusinessCalendar::new(Schedule::default()).expect("the default schedule is valid"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holiday::{DateCalendar, Holiday};

    #[test]
    fn schedules_by_name_and_holidays_added_once_removed_by_date() {
        let mut config = CalendarsConfig::default();
        assert!(config.schedule("billing").is_none());
        assert!(!config.set_schedule("billing", Schedule::russia_office()));
        assert!(config.set_schedule("billing", Schedule::russia_office()));
        assert_eq!(
            config.schedule(DEFAULT_CALENDAR),
            Some(&Schedule::default())
        );
        let nowruz = Holiday {
            name: "Nowruz".into(),
            date: "01-01".into(),
            end: Some("01-04".into()),
            calendar: DateCalendar::Jalali,
            yearly: true,
        };
        let s = config.schedule_mut(DEFAULT_CALENDAR).unwrap();
        assert_eq!(
            s.add_holidays([nowruz.clone(), Holiday::on("2026-01-01")]),
            2
        );
        assert_eq!(s.add_holidays([nowruz.clone()]), 0, "already there");
        // Removal names the first date as written, in its calendar.
        assert_eq!(s.remove_holidays("01-01", DateCalendar::Gregorian), 0);
        assert_eq!(s.remove_holidays("01-01", DateCalendar::Jalali), 1);
        assert_eq!(s.holidays, [Holiday::on("2026-01-01")]);
        assert!(!config.remove_group(DEFAULT_CALENDAR));
        assert!(config.remove_group("billing"));
        assert!(config.groups.is_empty());
    }

    #[test]
    fn a_holiday_checks_its_own_fields() {
        assert!(Holiday::on("2026-02-28").validate().is_ok());
        let e = Holiday::on("2026-02-30").validate().unwrap_err();
        assert_eq!(e.field, "date");
        let mut h = Holiday::on("2026-03-02");
        h.end = Some("2026-03-01".into());
        assert_eq!(h.validate().unwrap_err().field, "end");
        h = Holiday::on("1403-12-30");
        h.calendar = DateCalendar::Jalali;
        assert!(h.validate().is_ok(), "1403 is a Jalali leap year");
        h.date = "1404-12-30".into();
        assert_eq!(h.validate().unwrap_err().field, "date");
    }
}
