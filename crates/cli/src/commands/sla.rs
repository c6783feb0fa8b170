//! `sanjeh sla …`: record the SLA policies and the business calendars (as events, through the
//! store's write path), show the policies, a ticket's targets and the overdue tickets.

use super::{CliError, CliResult};
use crate::config::Settings;
use clap::Subcommand;
use sanjeh_calendar::{
    BusinessCalendar, CalendarsConfig, DEFAULT_CALENDAR, DateCalendar, Holiday, Schedule, parse_ics,
};
use sanjeh_domain::{EventBody, Id, Millis, from_millis};
use sanjeh_store::sla::{Metric, MetricStatus, calendars_event};
use sanjeh_store::{Durability, Request, Writer};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// SLA policies: the ordered set in effect from now on.
    #[command(subcommand)]
    Policies(PoliciesCommand),
    /// Business calendars: the default schedule and schedules by group.
    #[command(subcommand)]
    Calendars(CalendarsCommand),
    /// Escalation rules: what happens on a breach or near-breach.
    #[command(subcommand)]
    Escalation(super::rules::EscalationCommand),
    /// KPI alert rules and where each alert stands.
    #[command(subcommand)]
    Alerts(super::rules::AlertsCommand),
    /// A ticket's SLA targets: due dates, breaches, outcomes.
    Status {
        ticket: String,
        /// The instant to evaluate at (RFC 3339); now by default.
        #[arg(long)]
        at: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Tickets with a target breached or due before the instant.
    Overdue {
        /// The instant to evaluate at (RFC 3339); now by default.
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Record a new version of the policies, from a JSON file: `{"policies":[…]}` or `[…]`.
    Set { file: PathBuf },
    /// Print the policies in effect (JSON).
    Show,
}

#[derive(Debug, Subcommand)]
pub enum CalendarsCommand {
    /// Record new calendars from a JSON file: `{"default":{…},"groups":{"billing":{…}}}`.
    Set { file: PathBuf },
    /// Print the calendars in effect (JSON).
    Show,
    /// Record one schedule (`default` or a group id) from a JSON file, keeping the others.
    Schedule { name: String, file: PathBuf },
    /// Holidays of one schedule (`default` or a group id).
    #[command(subcommand)]
    Holidays(HolidaysCommand),
}

#[derive(Debug, Subcommand)]
pub enum HolidaysCommand {
    /// Add a holiday: one day, a range (`--end`), yearly (`--yearly`, `MM-DD` or from a year
    /// on), in the Gregorian or the Jalali calendar.
    Add {
        /// `default` or a group id.
        calendar: String,
        /// `YYYY-MM-DD`, or `MM-DD` with `--yearly`.
        date: String,
        /// The last day, inclusive.
        #[arg(long)]
        end: Option<String>,
        /// The calendar the dates are written in.
        #[arg(long = "in", value_enum, default_value = "gregorian")]
        date_calendar: DateCalendarArg,
        #[arg(long)]
        yearly: bool,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Add the holidays of an iCalendar (`.ics`) file.
    ImportIcs { calendar: String, file: PathBuf },
    /// Remove the holidays that start on a date (as written when added).
    Remove {
        calendar: String,
        date: String,
        #[arg(long = "in", value_enum, default_value = "gregorian")]
        date_calendar: DateCalendarArg,
    },
    /// List the holidays of a schedule (JSON).
    List { calendar: String },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DateCalendarArg {
    Gregorian,
    Jalali,
}

impl From<DateCalendarArg> for DateCalendar {
    fn from(c: DateCalendarArg) -> DateCalendar {
        match c {
            DateCalendarArg::Gregorian => DateCalendar::Gregorian,
            DateCalendarArg::Jalali => DateCalendar::Jalali,
        }
    }
}

pub async fn run(settings: &Settings, command: SlaCommand) -> CliResult {
    let store = super::open(settings, Durability::Full).await?;
    let result = run_on(&store, command).await;
    store.close().await;
    result
}

async fn run_on(store: &sanjeh_store::Store, command: SlaCommand) -> CliResult {
    match command {
        SlaCommand::Escalation(command) => super::rules::escalation(store, command).await?,
        SlaCommand::Alerts(command) => super::rules::alerts(store, command).await?,
        SlaCommand::Policies(PoliciesCommand::Set { file }) => {
            let body = match read_json(&file)? {
                Value::Object(mut map) => {
                    let policies = map.remove("policies").unwrap_or(Value::Null);
                    if let Some(other) = map.keys().next() {
                        return Err(CliError::Usage(format!(
                            "{}: {other}: unknown field; expected policies",
                            file.display()
                        )));
                    }
                    policies
                }
                list @ Value::Array(_) => list,
                _ => Value::Null,
            };
            if !body.is_array() {
                return Err(CliError::Usage(format!(
                    "{}: policies: expected a list of policies",
                    file.display()
                )));
            }
            let n = body.as_array().map_or(0, Vec::len);
            record(store, EventBody::SlaPolicies { policies: body }).await?;
            println!("{n} SLA policies recorded, in effect from now on");
        }
        SlaCommand::Policies(PoliciesCommand::Show) => match store.sla_policies().await? {
            Some(p) => {
                let out = serde_json::json!({
                    "since": from_millis(p.since).to_string(),
                    "policies": p.policies,
                });
                println!("{}", pretty(&out));
            }
            None => println!("no SLA policies recorded"),
        },
        SlaCommand::Calendars(CalendarsCommand::Set { file }) => {
            let Value::Object(mut map) = read_json(&file)? else {
                return Err(CliError::Usage(format!(
                    "{}: expected a JSON object with default and groups",
                    file.display()
                )));
            };
            let default = map.remove("default");
            let groups = map.remove("groups");
            if let Some(other) = map.keys().next() {
                return Err(CliError::Usage(format!(
                    "{}: {other}: unknown field; expected default, groups",
                    file.display()
                )));
            }
            record(store, EventBody::Calendars { default, groups }).await?;
            println!("calendars recorded, in effect from now on");
        }
        SlaCommand::Calendars(CalendarsCommand::Show) => match store.sla_calendars().await? {
            Some(c) => println!("{}", pretty(&c)),
            None => println!("no calendars recorded (business time is calendar time)"),
        },
        SlaCommand::Calendars(CalendarsCommand::Schedule { name, file }) => {
            let schedule: Schedule = serde_json::from_value(read_json(&file)?)
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            BusinessCalendar::new(schedule.clone())
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            let mut config = match store.sla_calendars().await? {
                Some(c) => c,
                None if name == DEFAULT_CALENDAR => CalendarsConfig::default(),
                None => {
                    return Err(CliError::Usage(
                        "no calendars recorded yet: set the default schedule first".into(),
                    ));
                }
            };
            config.set_schedule(&name, schedule);
            record(store, calendars_event(&config)).await?;
            println!("schedule {name} recorded, in effect from now on");
        }
        SlaCommand::Calendars(CalendarsCommand::Holidays(command)) => {
            holidays(store, command).await?;
        }
        SlaCommand::Status { ticket, at, json } => {
            let id = Id::parse("ticket", &ticket).map_err(|e| CliError::Usage(e.to_string()))?;
            if store.ticket(id.as_str()).await?.is_none() {
                return Err(CliError::Usage(format!("ticket {ticket} not found")));
            }
            let now = instant(at.as_deref())?;
            let statuses = store.sla_statuses(&id, now).await?;
            if json {
                println!("{}", pretty(&statuses));
            } else if statuses.is_empty() {
                println!("ticket {ticket}: no SLA targets");
            } else {
                println!("ticket {ticket} at {}", from_millis(now));
                for s in &statuses {
                    println!("{}", status_line(s));
                }
            }
        }
        SlaCommand::Overdue { at, limit, json } => {
            let now = instant(at.as_deref())?;
            let rows = store.overdue(now, limit).await?;
            if json {
                println!("{}", pretty(&rows));
            } else {
                for o in &rows {
                    let what = if o.recorded { "breached" } else { "due" };
                    println!(
                        "{}\t{}\t{}\t{what} {}",
                        o.ticket,
                        o.metric,
                        o.policy,
                        from_millis(o.due_at)
                    );
                }
                eprintln!("{} overdue targets at {}", rows.len(), from_millis(now));
            }
        }
    }
    Ok(())
}

/// Changes the holidays of one schedule and records the calendars whole.
async fn holidays(store: &sanjeh_store::Store, command: HolidaysCommand) -> CliResult {
    let name = match &command {
        HolidaysCommand::Add { calendar, .. }
        | HolidaysCommand::ImportIcs { calendar, .. }
        | HolidaysCommand::Remove { calendar, .. }
        | HolidaysCommand::List { calendar } => calendar.clone(),
    };
    let mut config = store.sla_calendars().await?.ok_or_else(|| {
        CliError::Usage("no calendars recorded (sanjeh sla calendars set FILE)".into())
    })?;
    let schedule = config.schedule_mut(&name).ok_or_else(|| {
        CliError::Usage(format!(
            "{name}: no such schedule (default or a group with its own)"
        ))
    })?;
    let changed = match command {
        HolidaysCommand::List { .. } => {
            println!("{}", pretty(&schedule.holidays));
            return Ok(());
        }
        HolidaysCommand::Add {
            date,
            end,
            date_calendar,
            yearly,
            name: holiday_name,
            ..
        } => {
            let holiday = Holiday {
                name: holiday_name,
                date,
                end,
                calendar: date_calendar.into(),
                yearly,
            };
            holiday
                .validate()
                .map_err(|e| CliError::Usage(e.to_string()))?;
            schedule.add_holidays([holiday])
        }
        HolidaysCommand::ImportIcs { file, .. } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            let found = parse_ics(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            schedule.add_holidays(found)
        }
        HolidaysCommand::Remove {
            date,
            date_calendar,
            ..
        } => {
            let n = schedule.remove_holidays(&date, date_calendar.into());
            if n == 0 {
                return Err(CliError::Usage(format!(
                    "{name}: no holiday starts on {date}"
                )));
            }
            println!("{n} holidays removed from {name}");
            record(store, calendars_event(&config)).await?;
            return Ok(());
        }
    };
    if changed == 0 {
        println!("{name} already has these holidays: nothing recorded");
    } else {
        record(store, calendars_event(&config)).await?;
        println!("{changed} holidays added to {name}, in effect from now on");
    }
    Ok(())
}

async fn record(store: &sanjeh_store::Store, body: EventBody) -> CliResult {
    let writer = Writer::start(store.clone(), None);
    writer.submit(Request::Record(vec![body]), None).await?;
    Ok(())
}

fn read_json(file: &PathBuf) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not valid JSON: {e}", file.display())))
}

fn instant(at: Option<&str>) -> Result<Millis, CliError> {
    match at {
        None => Ok(jiff::Timestamp::now().as_millisecond()),
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|e| CliError::Usage(format!("--at: expected an RFC 3339 instant: {e}"))),
    }
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn status_line(s: &MetricStatus) -> String {
    let metric = match s.metric {
        Metric::FirstReply => "first_reply",
        Metric::NextReply => "next_reply",
        Metric::PeriodicUpdate => "periodic_update",
        Metric::Resolution => "resolution",
    };
    let hours = serde_json::to_value(s.target.hours)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let state = serde_json::to_value(s.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut line = format!(
        "{metric}\t{}\t{} min {hours}\t{state}",
        s.policy, s.target.minutes
    );
    if let Some(due) = s.due_at {
        line.push_str(&format!("\tdue {}", from_millis(due)));
    }
    if let Some(b) = s.breached_at {
        line.push_str(&format!("\tbreached {}", from_millis(b)));
    }
    if let Some(e) = s.ended_at {
        line.push_str(&format!("\tended {}", from_millis(e)));
    }
    line
}
