//! SLA due badges: per target of a ticket, "due in" or "overdue by" and its state, from
//! `Store::sla_statuses` as of now. A ticket no policy tracks has none.

use crate::error::UiError;
use crate::i18n::DateText;
use crate::pages::Page;
use sanjeh_domain::Id;
use sanjeh_store::Store;
use sanjeh_store::sla::{MetricStatus, State};

/// One target's badge.
pub(crate) struct Badge {
    /// `running`, `overdue`, `paused`, `achieved`, `breached` (a CSS class too).
    pub state: &'static str,
    /// "First reply: due in 1 h 5 min".
    pub text: String,
    /// When it falls (or fell) due, if it runs.
    pub due: Option<DateText>,
}

/// The badge of one target at `now`.
pub(crate) fn badge(page: &Page, s: &MetricStatus, now: i64) -> Badge {
    let metric = page.t(&format!("sla-{}", s.metric.as_str()));
    let lang = page.lang;
    let secs = |ms: i64| ms as f64 / 1000.0;
    let overdue = |since: i64| {
        (
            "overdue",
            lang.t_args(
                "sla-overdue-by",
                &[("duration", lang.duration(secs(now - since)))],
            ),
        )
    };
    // `Breached` is both a running target past due and a run that ended late.
    let (state, text) = match (s.state, s.ended_at, s.breached_at, s.due_at) {
        (State::Breached, None, Some(since), _) => overdue(since),
        (State::Breached, _, _, _) => ("breached", lang.t("sla-breached")),
        (State::Active, _, _, Some(due)) if due <= now => overdue(due),
        (State::Active, _, _, Some(due)) => (
            "running",
            lang.t_args(
                "sla-due-in",
                &[("duration", lang.duration(secs(due - now)))],
            ),
        ),
        (State::Active, _, _, None) => ("running", lang.t("sla-running")),
        (State::Paused, _, _, _) => ("paused", lang.t("sla-paused")),
        (State::Achieved, _, _, _) => ("achieved", lang.t("sla-achieved")),
    };
    Badge {
        state,
        text: lang.t_args("sla-badge", &[("metric", metric), ("text", text)]),
        due: s.due_at.map(|d| lang.datetime(d, &page.tz)),
    }
}

/// The badges of `ticket` at `now`; the targets still running first.
pub(crate) async fn badges(
    store: &Store,
    page: &Page,
    ticket: &Id,
    now: i64,
) -> Result<Vec<Badge>, UiError> {
    let statuses = store.sla_statuses(ticket, now).await?;
    Ok(statuses.iter().map(|s| badge(page, s, now)).collect())
}
