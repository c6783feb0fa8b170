//! The support team: groups, agents, their shifts, and who is on duty when.
//!
//! Agents work fixed weekly shifts in their team's office hours (Tehran Saturday–Thursday
//! morning, Moscow Monday–Friday, an English-speaking late shift), so replies wait for the
//! morning and weekends, which is what makes business-hours KPIs differ from calendar ones.

use crate::calendar::{HOUR, MINUTE, Region, Secs, WEEK_HOURS, floor_hour, hour_of_week};
use crate::catalog::{self, Lang};
use crate::ids;
use crate::sample::{DemoRng, pick, wait};
use rand::Rng;
use sanjeh_domain::EventBody;
use sanjeh_domain::event::AgentProfile;
use std::collections::HashSet;

/// A support group (queue); its id is also the call queue's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Billing,
    Technical,
    Sales,
    /// Second line: only escalations reach it.
    L2,
}

impl Group {
    pub(crate) const ALL: [Group; 4] = [Group::Billing, Group::Technical, Group::Sales, Group::L2];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Group::Billing => "billing",
            Group::Technical => "technical",
            Group::Sales => "sales",
            Group::L2 => "l2",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Group::Billing => "Billing",
            Group::Technical => "Technical support",
            Group::Sales => "Sales",
            Group::L2 => "Level 2",
        }
    }

    pub(crate) fn id(self) -> sanjeh_domain::Id {
        ids::id(self.key().to_owned())
    }
}

/// A set of UTC hours of the week.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shift([u64; 3]);

impl Shift {
    /// Working `from..to` UTC hours on the given weekdays (Monday = 0).
    fn hours(mut self, days: &[usize], from: usize, to: usize) -> Shift {
        for &d in days {
            for h in from..to {
                let i = d * 24 + h;
                self.0[i / 64] |= 1 << (i % 64);
            }
        }
        self
    }

    fn covers(&self, hour_of_week: usize) -> bool {
        self.0[hour_of_week / 64] & (1 << (hour_of_week % 64)) != 0
    }

    /// Each team's shift; `late` moves it later in the day (each team has an early and a late
    /// rota).
    fn of(team: Region, late: bool) -> Shift {
        const IRAN_WEEK: [usize; 5] = [5, 6, 0, 1, 2]; // Saturday to Wednesday
        const WEEKDAYS: [usize; 5] = [0, 1, 2, 3, 4];
        let s = Shift::default();
        match (team, late) {
            // 08:30–17:30 Tehran, Thursday mornings too.
            (Region::Tehran, false) => s.hours(&IRAN_WEEK, 5, 14).hours(&[3], 5, 9),
            // 11:30–20:30 Tehran.
            (Region::Tehran, true) => s.hours(&IRAN_WEEK, 8, 17).hours(&[3], 5, 9),
            // 09:00–18:00 Moscow.
            (Region::Moscow, false) => s.hours(&WEEKDAYS, 6, 15),
            // 12:00–21:00 Moscow.
            (Region::Moscow, true) => s.hours(&WEEKDAYS, 9, 18),
            (Region::Intl, _) => s.hours(&WEEKDAYS, 13, 21),
        }
    }
}

/// One agent and what shapes their numbers.
#[derive(Debug)]
pub(crate) struct Agent {
    pub id: sanjeh_domain::Id,
    pub group: Group,
    pub team: Region,
    pub shift: Shift,
    /// Multiplies the agent's reply delays: below 1 is faster than the team.
    pub speed: f64,
    /// Added to customers' satisfaction with this agent's tickets.
    pub quality: f64,
    name: String,
    email: String,
    role: &'static str,
}

impl Agent {
    /// The language the agent writes internal notes in.
    pub(crate) fn lang(&self) -> Lang {
        match self.team {
            Region::Tehran => Lang::Fa,
            Region::Moscow => Lang::Ru,
            Region::Intl => Lang::En,
        }
    }
}

/// Groups in the proportion agents are hired into them.
const GROUP_CYCLE: [Group; 8] = [
    Group::Technical,
    Group::Billing,
    Group::Technical,
    Group::Sales,
    Group::Billing,
    Group::Technical,
    Group::L2,
    Group::Billing,
];
const TEAM_CYCLE: [Region; 5] = [
    Region::Tehran,
    Region::Moscow,
    Region::Tehran,
    Region::Moscow,
    Region::Intl,
];

/// The team and when each group is staffed.
pub(crate) struct Roster {
    pub agents: Vec<Agent>,
    /// Per group, per UTC hour of the week: the agents on duty.
    on_duty: Vec<Vec<Vec<u16>>>,
    /// Per group, per hour of the week: hours until someone in the group is on duty.
    until_open: Vec<Vec<u16>>,
}

impl Roster {
    /// `size` agents, spread over groups and teams so that every group has several teams.
    pub(crate) fn new(size: usize, rng: &mut DemoRng) -> Roster {
        let mut taken = HashSet::new();
        let agents: Vec<Agent> = (0..size)
            .map(|i| {
                let group = GROUP_CYCLE[i % GROUP_CYCLE.len()];
                let team = TEAM_CYCLE[(i + i / GROUP_CYCLE.len()) % TEAM_CYCLE.len()];
                let late = (i / TEAM_CYCLE.len()) % 2 == 1;
                let (name, handle) = person_name(rng, team, team_lang(team));
                let mut email = format!("{handle}@sanjeh.example");
                if !taken.insert(email.clone()) {
                    email = format!("{handle}{}@sanjeh.example", i + 1);
                }
                Agent {
                    id: ids::agent(i + 1),
                    group,
                    team,
                    shift: Shift::of(team, late),
                    speed: crate::sample::lognormal(rng, 1.0, 0.25),
                    quality: rng.random_range(-0.35..0.3),
                    name,
                    email,
                    role: match i {
                        0 | 1 => "manager",
                        2 => "admin",
                        _ => "agent",
                    },
                }
            })
            .collect();
        let mut on_duty = vec![vec![Vec::new(); WEEK_HOURS]; Group::ALL.len()];
        for (i, a) in agents.iter().enumerate() {
            for (h, slot) in on_duty[a.group.index()].iter_mut().enumerate() {
                if a.shift.covers(h) {
                    slot.push(i as u16);
                }
            }
        }
        let until_open = on_duty
            .iter()
            .map(|slots| {
                (0..WEEK_HOURS)
                    .map(|h| {
                        (0..WEEK_HOURS as u16)
                            .find(|&k| !slots[(h + k as usize) % WEEK_HOURS].is_empty())
                            .unwrap_or(u16::MAX)
                    })
                    .collect()
            })
            .collect();
        Roster {
            agents,
            on_duty,
            until_open,
        }
    }

    /// Group and agent profiles, to be emitted before anything refers to them.
    pub(crate) fn profiles(&self) -> Vec<EventBody> {
        let groups = Group::ALL.iter().map(|g| EventBody::GroupProfile {
            group: g.id(),
            name: Some(g.title().to_owned()),
        });
        let agents = self.agents.iter().map(|a| {
            let mut groups = vec![a.group.id()];
            if a.group == Group::L2 {
                groups.push(Group::Technical.id());
            }
            EventBody::AgentProfile(AgentProfile {
                agent: a.id.clone(),
                name: Some(a.name.clone()),
                email: Some(a.email.clone()),
                role: Some(a.role.to_owned()),
                groups: Some(groups),
                active: Some(true),
            })
        });
        groups.chain(agents).collect()
    }

    /// An agent of `group` on duty at `t`, if any.
    pub(crate) fn on_duty_now(&self, group: Group, t: Secs, rng: &mut DemoRng) -> Option<usize> {
        let slot = &self.on_duty[group.index()][hour_of_week(t)];
        (!slot.is_empty()).then(|| *pick(rng, slot) as usize)
    }

    /// When `group` can take something up that is ready at `t`, and who does: at `t` if the
    /// group is staffed, else when the next shift starts, after the queue that built up
    /// overnight (worked through over the first hour or two).
    pub(crate) fn take_up(&self, group: Group, t: Secs, rng: &mut DemoRng) -> (Secs, usize) {
        let h = hour_of_week(t);
        let ahead = self.until_open[group.index()][h];
        if ahead == 0 {
            let agent = *pick(rng, &self.on_duty[group.index()][h]) as usize;
            return (t, agent);
        }
        assert!(ahead != u16::MAX, "group {} has no shifts", group.key());
        let opens = floor_hour(t) + Secs::from(ahead) * HOUR;
        let slot = &self.on_duty[group.index()][hour_of_week(opens)];
        let agent = *pick(rng, slot) as usize;
        (
            opens + wait(rng, 50.0 * MINUTE as f64, 0.9).min(3 * HOUR),
            agent,
        )
    }

    /// When `agent` can act on something ready at `t`: at `t` during their shift, else early
    /// in their next shift.
    pub(crate) fn available(&self, agent: usize, t: Secs, rng: &mut DemoRng) -> Secs {
        let shift = &self.agents[agent].shift;
        let h = hour_of_week(t);
        if shift.covers(h) {
            return t;
        }
        let ahead = (1..WEEK_HOURS)
            .find(|&k| shift.covers((h + k) % WEEK_HOURS))
            .unwrap_or(1);
        floor_hour(t) + ahead as Secs * HOUR + wait(rng, 40.0 * MINUTE as f64, 0.9).min(3 * HOUR)
    }
}

fn team_lang(team: Region) -> Lang {
    match team {
        Region::Tehran => Lang::Fa,
        Region::Moscow => Lang::Ru,
        Region::Intl => Lang::En,
    }
}

/// A person's display name from `region`, written for `lang`, and a lowercase Latin handle
/// `first.last` for an e-mail address. Iranians and Russians writing in English keep their
/// names, only transliterated.
pub(crate) fn person_name(rng: &mut DemoRng, region: Region, lang: Lang) -> (String, String) {
    let (first, last) = match region {
        Region::Tehran => (
            *pick(rng, catalog::PERSIAN_FIRST),
            *pick(rng, catalog::PERSIAN_LAST),
        ),
        Region::Moscow => {
            let (first, female) = *pick(rng, catalog::RUSSIAN_FIRST);
            let last = *pick(rng, catalog::RUSSIAN_LAST);
            let handle = format!(
                "{}.{}{}",
                first.latin,
                last.latin,
                if female { "a" } else { "" }
            )
            .to_ascii_lowercase();
            let name = if lang == Lang::Ru {
                format!(
                    "{} {}{}",
                    first.native,
                    last.native,
                    if female { "а" } else { "" }
                )
            } else {
                format!(
                    "{} {}{}",
                    first.latin,
                    last.latin,
                    if female { "a" } else { "" }
                )
            };
            return (name, handle);
        }
        Region::Intl => {
            let first = *pick(rng, catalog::ENGLISH_FIRST);
            let last = *pick(rng, catalog::ENGLISH_LAST);
            return (
                format!("{first} {last}"),
                format!("{first}.{last}").to_ascii_lowercase(),
            );
        }
    };
    let handle = format!("{}.{}", first.latin, last.latin).to_ascii_lowercase();
    let name = if lang == Lang::Fa {
        format!("{} {}", first.native, last.native)
    } else {
        format!("{} {}", first.latin, last.latin)
    };
    (name, handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_group_is_staffed_every_weekday_and_nobody_works_at_night() {
        let mut rng = DemoRng::seed_from_u64(1);
        let roster = Roster::new(24, &mut rng);
        for g in Group::ALL {
            for day in 0..5 {
                let staffed = (0..24).any(|h| !roster.on_duty[g.index()][day * 24 + h].is_empty());
                assert!(staffed, "{g:?} on day {day}");
            }
            // 23:00 UTC is 02:30 in Tehran and 02:00 in Moscow.
            assert!(roster.on_duty[g.index()][23].is_empty());
        }
        // Tuesday 23:30 UTC: the next shift starts Wednesday morning.
        let t = 1_736_292_600; // 2025-01-07T23:30:00Z
        let (at, agent) = roster.take_up(Group::Billing, t, &mut rng);
        assert!(at >= t + 5 * HOUR + 30 * MINUTE, "{}", at - t);
        assert!(
            roster.agents[agent]
                .shift
                .covers(hour_of_week(at - at % HOUR))
        );
    }
}
