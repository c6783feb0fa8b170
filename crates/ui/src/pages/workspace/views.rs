//! Ticket views: the built-in ones (my open, unassigned, overdue, pending, all) and filters
//! (status, assignee, group, channel, priority, tag, text in the subject), which agents may
//! save under a name. Every view but "overdue" is one store query with cursor pagination; the
//! same query finds the next and previous ticket for the ticket page.

use crate::error::UiError;
use crate::session::now_ms;
use sanjeh_domain::{Channel, Id, Priority, Status, TicketState};
use sanjeh_store::read::cursor_of;
use sanjeh_store::{Store, StoreError, TicketFilter};
use serde::Deserialize;

/// Rows on one page of a view.
pub(crate) const PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Mine,
    Unassigned,
    Overdue,
    Pending,
    All,
    /// The filter fields of the query.
    Filter,
}

impl View {
    pub const BUILT_IN: [View; 5] = [
        View::Mine,
        View::Unassigned,
        View::Overdue,
        View::Pending,
        View::All,
    ];

    pub fn code(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::Overdue => "overdue",
            View::Pending => "pending",
            View::All => "all",
            View::Filter => "filter",
        }
    }

    fn parse(raw: Option<&str>) -> View {
        View::BUILT_IN
            .into_iter()
            .chain([View::Filter])
            .find(|v| Some(v.code()) == raw)
            .unwrap_or(View::Mine)
    }
}

/// The query string of a list (and of a ticket opened from it, to find its neighbours).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ListQuery {
    pub view: Option<String>,
    pub cursor: Option<String>,
    /// Empty: any; `unsolved`; or a status.
    #[serde(default)]
    pub status: String,
    /// Empty: anyone; `none`: unassigned; `me`; or an agent id.
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub tag: String,
    /// Text in the subject.
    #[serde(default)]
    pub q: String,
}

fn invalid(field: &str) -> UiError {
    UiError::Invalid {
        field: field.into(),
        key: "error-invalid",
    }
}

/// Appends `k=v` to a query string, percent-encoding the value.
fn push_pair(out: &mut String, k: &str, v: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(k);
    out.push('=');
    out.push_str(&super::super::tickets::segment(v));
}

impl ListQuery {
    pub fn view(&self) -> View {
        View::parse(self.view.as_deref())
    }

    /// The filter fields, in a fixed order (what a saved filter keeps).
    pub fn filter_fields(&self) -> [(&'static str, &str); 7] {
        [
            ("status", &self.status),
            ("assignee", &self.assignee),
            ("group", &self.group),
            ("channel", &self.channel),
            ("priority", &self.priority),
            ("tag", &self.tag),
            ("q", &self.q),
        ]
    }

    /// The query string of this view without the cursor (`view=filter&status=open`).
    pub fn query_string(&self) -> String {
        let view = self.view();
        let mut out = String::new();
        push_pair(&mut out, "view", view.code());
        if view == View::Filter {
            for (k, v) in self.filter_fields() {
                if !v.is_empty() {
                    push_pair(&mut out, k, v);
                }
            }
        }
        out
    }

    /// The query string of the filter fields alone (a saved filter's).
    pub fn filter_string(&self) -> String {
        let mut out = String::new();
        push_pair(&mut out, "view", "filter");
        for (k, v) in self.filter_fields() {
            if !v.is_empty() {
                push_pair(&mut out, k, v);
            }
        }
        out
    }

    /// The store filter of this view for `me` (not for "overdue", which the SLA reads serve).
    pub fn to_filter(&self, me: &str) -> Result<TicketFilter, UiError> {
        let me = Id::parse("agent", me).map_err(|_| UiError::Forbidden)?;
        let mut f = TicketFilter {
            limit: PAGE,
            ..TicketFilter::default()
        };
        match self.view() {
            View::Mine => {
                f.assignee = Some(me);
                f.unsolved = true;
            }
            View::Unassigned => {
                f.unassigned = true;
                f.unsolved = true;
            }
            View::Pending => f.status = Some(Status::Pending),
            View::All | View::Overdue => {}
            View::Filter => {
                match self.status.as_str() {
                    "" => {}
                    "unsolved" => f.unsolved = true,
                    raw => {
                        f.status =
                            Some(Status::parse("status", raw).map_err(|_| invalid("status"))?)
                    }
                }
                match self.assignee.as_str() {
                    "" => {}
                    "none" => f.unassigned = true,
                    "me" => f.assignee = Some(me),
                    raw => {
                        f.assignee =
                            Some(Id::parse("assignee", raw).map_err(|_| invalid("assignee"))?);
                    }
                }
                if !self.group.is_empty() {
                    f.group = Some(Id::parse("group", &self.group).map_err(|_| invalid("group"))?);
                }
                if !self.channel.is_empty() {
                    f.channel = Some(
                        Channel::parse("channel", &self.channel).map_err(|_| invalid("channel"))?,
                    );
                }
                if !self.priority.is_empty() {
                    f.priority = Some(
                        Priority::parse("priority", &self.priority)
                            .map_err(|_| invalid("priority"))?,
                    );
                }
                let tag = self.tag.trim().to_lowercase();
                if !tag.is_empty() {
                    f.tag = Some(tag);
                }
                let text = self.q.trim();
                if !text.is_empty() {
                    f.subject_contains = Some(text.to_owned());
                }
            }
        }
        Ok(f)
    }
}

fn cursor_error(e: StoreError) -> UiError {
    match e {
        StoreError::Conflict { .. } => invalid("cursor"),
        other => other.into(),
    }
}

/// One page of a view and the cursor of the next page.
pub(crate) async fn page(
    store: &Store,
    q: &ListQuery,
    me: &str,
) -> Result<(Vec<TicketState>, Option<String>), UiError> {
    if q.view() == View::Overdue {
        return Ok((overdue(store, PAGE).await?, None));
    }
    let mut f = q.to_filter(me)?;
    f.cursor = q.cursor.clone().filter(|c| !c.is_empty());
    let page = store.tickets(&f).await.map_err(cursor_error)?;
    Ok((page.items, page.next_cursor))
}

/// Unsolved tickets with an SLA target overdue now, the earliest due first.
async fn overdue(store: &Store, limit: u32) -> Result<Vec<TicketState>, UiError> {
    let mut ids: Vec<String> = Vec::new();
    for o in store.overdue(now_ms(), limit).await? {
        if !ids.contains(&o.ticket) {
            ids.push(o.ticket);
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(t) = store.ticket(&id).await? {
            out.push(t);
        }
    }
    Ok(out)
}

/// The tickets before and after `t` in the view `q`.
pub(crate) async fn neighbours(
    store: &Store,
    q: &ListQuery,
    me: &str,
    t: &TicketState,
) -> Result<(Option<String>, Option<String>), UiError> {
    if q.view() == View::Overdue {
        let list = overdue(store, 500).await?;
        let Some(i) = list.iter().position(|o| o.id == t.id) else {
            return Ok((None, list.first().map(|o| o.id.to_string())));
        };
        return Ok((
            i.checked_sub(1).map(|p| list[p].id.to_string()),
            list.get(i + 1).map(|n| n.id.to_string()),
        ));
    }
    let mut f = q.to_filter(me)?;
    f.limit = 1;
    f.cursor = Some(cursor_of(t));
    let next = store.tickets(&f).await?.items.pop();
    f.descending = true;
    let prev = store.tickets(&f).await?.items.pop();
    Ok((
        prev.map(|p| p.id.to_string()),
        next.map(|n| n.id.to_string()),
    ))
}
