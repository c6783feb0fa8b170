//! `sanjeh export`: the event log as interchange JSON Lines, or one CSV row of metric facts
//! per ticket for BI tools.

use super::{CliError, CliResult};
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Settings;
use crate::progress;
use sanjeh_domain::{Status, TicketState, from_millis};
use sanjeh_store::{Durability, Store};
use std::io::{BufWriter, Write};

pub async fn run(settings: &Settings, args: &ExportArgs) -> CliResult {
    let store = super::open(settings, Durability::Normal).await?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(path)?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout())),
    };
    match args.format {
        ExportFormat::Events => {
            let total = store.event_count().await?;
            let bar = progress::bar(total as u64, "events");
            let written = store
                .export_events(&mut out, &|n| bar.set_position(n))
                .await?;
            bar.finish_and_clear();
            eprintln!("exported {written} events");
        }
        ExportFormat::Facts => {
            let written = export_facts(&store, out).await?;
            eprintln!("exported the facts of {written} tickets");
        }
    }
    store.close().await;
    Ok(())
}

/// The columns of `export --format facts`, documented in docs/metrics.md.
pub const FACT_COLUMNS: &[&str] = &[
    "ticket",
    "created_at",
    "status",
    "priority",
    "channel",
    "kind",
    "group",
    "assignee",
    "customer",
    "organization",
    "tags",
    "merged_into",
    "outbound",
    "first_reply_at",
    "first_reply_by",
    "first_reply_s",
    "first_solved_at",
    "first_resolution_s",
    "last_solved_at",
    "full_resolution_s",
    "solved_by",
    "solves",
    "reopens",
    "agent_replies",
    "customer_messages",
    "internal_notes",
    "bot_messages",
    "assignments",
    "handle_s",
    "requester_wait_s",
    "new_s",
    "open_s",
    "pending_s",
    "on_hold_s",
    "solved_s",
    "closed_s",
];

async fn export_facts(store: &Store, out: Box<dyn Write + Send>) -> Result<u64, CliError> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(FACT_COLUMNS).map_err(csv_error)?;
    let now = jiff::Timestamp::now().as_millisecond();
    let mut failure = None;
    let n = store
        .scan_tickets(|t| {
            if failure.is_none()
                && let Err(e) = csv.write_record(fact_row(&t, now))
            {
                failure = Some(e);
            }
        })
        .await?;
    if let Some(e) = failure {
        return Err(csv_error(e));
    }
    csv.flush()?;
    Ok(n)
}

fn csv_error(e: csv::Error) -> CliError {
    CliError::Io(std::io::Error::other(e))
}

fn time(ms: Option<i64>) -> String {
    ms.map(|m| from_millis(m).to_string()).unwrap_or_default()
}

fn seconds(ms: Option<i64>) -> String {
    ms.map(|m| format!("{:.3}", m as f64 / 1000.0))
        .unwrap_or_default()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One ticket's row; time in each status counts the current stretch up to `now`.
fn fact_row(t: &TicketState, now: i64) -> Vec<String> {
    let f = &t.facts;
    let mut row = vec![
        t.id.to_string(),
        time(Some(t.created_at)),
        t.status.to_string(),
        t.priority.to_string(),
        t.channel.to_string(),
        opt(&t.kind),
        opt(&t.group),
        opt(&t.assignee),
        opt(&t.customer),
        opt(&t.organization),
        t.tags.join(";"),
        opt(&t.merged_into),
        f.outbound.to_string(),
        time(f.first_reply_at),
        opt(&f.first_reply_by),
        seconds(f.first_reply_ms()),
        time(f.first_solved_at),
        seconds(f.first_resolution_ms()),
        time(f.last_solved_at),
        seconds(f.full_resolution_ms()),
        opt(&f.solved_by),
        f.solves.to_string(),
        f.reopens.to_string(),
        f.agent_replies.to_string(),
        f.customer_messages.to_string(),
        f.internal_notes.to_string(),
        f.bot_messages.to_string(),
        f.assignments.to_string(),
        seconds(f.handle_ms),
        seconds(f.requester_wait_ms),
    ];
    row.extend(
        Status::ALL
            .iter()
            .map(|s| seconds(Some(f.time_in(*s, t.status, now)))),
    );
    row
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_row_has_a_value_for_every_column() {
        let created = sanjeh_domain::event::TicketCreated {
            ticket: sanjeh_domain::Id::parse("t", "T-1").unwrap(),
            customer: None,
            organization: None,
            channel: sanjeh_domain::Channel::Email,
            priority: sanjeh_domain::Priority::Normal,
            group: None,
            subject: None,
            tags: vec!["a".into(), "b".into()],
            kind: None,
            by: None,
        };
        let t = sanjeh_domain::TicketState::create(&created, 0);
        let row = super::fact_row(&t, 60_000);
        assert_eq!(row.len(), super::FACT_COLUMNS.len());
        assert_eq!(row[10], "a;b");
        assert_eq!(
            row[super::FACT_COLUMNS
                .iter()
                .position(|c| *c == "new_s")
                .unwrap()],
            "60.000"
        );
    }
}
