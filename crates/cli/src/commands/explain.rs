//! `sanjeh explain TICKET`: each metric of a ticket with the events that produced it.

use super::{CliError, CliResult};
use crate::cli::{ExplainArgs, ExplainFormat};
use crate::config::Settings;
use sanjeh_domain::explain::Explanation;
use sanjeh_store::Durability;

pub async fn run(settings: &Settings, args: &ExplainArgs) -> CliResult {
    let store = super::open(settings, Durability::Normal).await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let explanation = store.explain_ticket(&args.ticket, now).await?;
    store.close().await;
    let Some(x) = explanation else {
        return Err(CliError::Usage(format!("ticket {} not found", args.ticket)));
    };
    match args.format {
        ExplainFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&x).map_err(|e| CliError::Usage(e.to_string()))?
            )
        }
        ExplainFormat::Text => print!("{}", render(&x)),
    }
    Ok(())
}

fn render(x: &Explanation) -> String {
    use std::fmt::Write;
    let mut s = format!("ticket {} ({})\n\nmetrics\n", x.ticket, x.status);
    for m in &x.metrics {
        let value = match (m.value, m.unit) {
            (None, _) => "—".to_owned(),
            (Some(v), "s") => format!("{}", jiff::SignedDuration::from_secs_f64(v.round())),
            (Some(v), _) => format!("{v}"),
        };
        let events = if m.from_events.is_empty() {
            String::new()
        } else {
            format!(
                " [events {}]",
                m.from_events
                    .iter()
                    .map(|e| format!("#{e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(s, "  {:<26} {:>14}  {}{events}", m.name, value, m.note);
    }
    s.push_str("\nfacts, as the events set them\n");
    for c in &x.changes {
        let _ = writeln!(
            s,
            "  #{:<6} {} {:<16} {:<26} {} → {}",
            c.seq, c.at, c.event_type, c.fact, c.from, c.to
        );
    }
    s
}
