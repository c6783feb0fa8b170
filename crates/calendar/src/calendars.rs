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
