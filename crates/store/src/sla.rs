//! SLA state kept by the store: the configuration events (`sla.policies`, `calendars`), each
//! tracked ticket's [`TicketSla`], its targets' status at its last event, and finished runs.
//! All of it is folded in the write transaction with the ticket, by [`crate::changes::Changes`],
//! and written by [`crate::flush`]; rebuild re-derives it from the log.
//!
//! With no `sla.policies` event in the log, nothing is tracked and nothing is written.

use crate::backend::{Store, Tx, on_read, on_tx};
use crate::error::StoreError;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use sanjeh_calendar::{Calendars, Schedule};
use sanjeh_domain::event::EventBody;
use sanjeh_domain::{FieldError, Id, Millis};
use sanjeh_sla::{CalendarClock, Clocks};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use sanjeh_calendar::CalendarsConfig;
pub use sanjeh_sla::{Finished, Hours, Metric, MetricStatus, Policy, PolicySet, State, TicketSla};

/// The SLA configuration in effect: every version of the policies, and the current calendars
/// (`None`: none configured, business time is calendar time).
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub policies: Arc<PolicySet>,
    pub calendars: Option<Arc<Calendars>>,
}

impl Config {
    pub fn clocks(&self) -> &dyn Clocks {
        match &self.calendars {
            Some(c) => &**c,
            None => &CalendarClock,
        }
    }

    fn active(&self) -> bool {
        !self.policies.versions().is_empty()
    }
}

/// A validated configuration event, as stored in `sla_config`.
pub(crate) struct ConfigRow {
    pub seq: i64,
    pub at: i64,
    pub kind: &'static str,
    pub body: String,
}

/// Deserializes `value`, naming the field at fault as a path under `prefix`
/// (`policies[2].targets.urgent.first_reply.minutes`, `groups.billing.holidays[0]`).
fn from_json<T: serde::de::DeserializeOwned>(prefix: &str, value: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is named only in the message; the path points at its parent.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let mut field = prefix.to_owned();
        for part in [(path != ".").then_some(path.as_str()), missing]
            .into_iter()
            .flatten()
        {
            if !part.starts_with('[') {
                field.push('.');
            }
            field.push_str(part);
        }
        FieldError::new(field, message)
    })
}

/// Reads the `policies` of an `sla.policies` event, naming the field of the first error.
pub fn parse_policies(policies: &Value) -> Result<Vec<Policy>, FieldError> {
    let Value::Array(items) = policies else {
        return Err(FieldError::new("policies", "expected a list of policies"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| from_json::<Policy>(&format!("policies[{i}]"), v))
        .collect()
}

/// The `calendars` event that records `config` (the whole document: it replaces the
/// calendars in effect from its instant on).
pub fn calendars_event(config: &CalendarsConfig) -> EventBody {
    let groups = (!config.groups.is_empty())
        .then(|| serde_json::to_value(&config.groups).expect("schedules serialize to JSON"));
    EventBody::Calendars {
        default: Some(serde_json::to_value(&config.default).expect("a schedule serializes")),
        groups,
    }
}

/// Reads and compiles the calendars of a `calendars` event, naming the field of the first
/// error (`groups.billing.intervals[0].end`).
pub fn parse_calendars(
    default: Option<&Value>,
    groups: Option<&Value>,
) -> Result<(CalendarsConfig, Calendars), FieldError> {
    let mut config = CalendarsConfig::default();
    if let Some(v) = default {
        config.default = from_json::<Schedule>("default", v)?;
    }
    if let Some(v) = groups {
        let Value::Object(map) = v else {
            return Err(FieldError::new("groups", "expected a JSON object"));
        };
        let mut out = BTreeMap::new();
        for (group, v) in map {
            let schedule = from_json::<Schedule>(&format!("groups.{group}"), v)?;
            out.insert(group.clone(), schedule);
        }
        config.groups = out;
    }
    let calendars =
        Calendars::from_config(&config).map_err(|e| FieldError::new(e.field, e.message))?;
    Ok((config, calendars))
}

/// Where a batch's SLA work stood, to undo one refused request.
pub(crate) struct SlaMark {
    config: Config,
    finished: usize,
    config_rows: usize,
    undo: usize,
}

/// The SLA part of a batch: configuration, the trackers of the tickets in the working set, and
/// the rows to write.
pub(crate) struct SlaBatch {
    /// Whether the configuration has been read from the store.
    pub loaded: bool,
    pub config: Config,
    pub trackers: HashMap<Id, TicketSla>,
    pub dirty: Vec<Id>,
    dirty_set: HashSet<Id>,
    /// Runs that ended, with the sequence number of the event that ended them.
    pub finished: Vec<(i64, Id, Finished)>,
    pub config_rows: Vec<ConfigRow>,
    /// Targets of the trackers changed in this batch, as of their last event, computed then
    /// (over the calendars in effect at that event, whatever comes later in the batch).
    statuses: HashMap<Id, Vec<MetricStatus>>,
    undo: Option<Vec<Undo>>,
}

/// A tracker and its statuses before a change (`None`: not in the batch).
type Undo = (Id, Option<TicketSla>, Option<Vec<MetricStatus>>);

impl SlaBatch {
    pub fn new(with_undo: bool) -> SlaBatch {
        SlaBatch {
            loaded: false,
            config: Config::default(),
            trackers: HashMap::default(),
            dirty: Vec::new(),
            dirty_set: HashSet::default(),
            finished: Vec::new(),
            config_rows: Vec::new(),
            statuses: HashMap::default(),
            undo: with_undo.then(Vec::new),
        }
    }

    /// Whether any policies were ever configured (else nothing is tracked).
    pub fn active(&self) -> bool {
        self.config.active()
    }

    /// Validates and takes a configuration event; on error nothing changes.
    pub fn configure(&mut self, body: &EventBody, at: i64, seq: i64) -> Result<(), FieldError> {
        match body {
            EventBody::SlaPolicies { policies } => {
                let policies = parse_policies(policies)?;
                let body = serde_json::to_string(&policies)
                    .map_err(|e| FieldError::new("policies", e.to_string()))?;
                let mut set = (*self.config.policies).clone();
                set.publish(at, policies)
                    .map_err(|e| FieldError::new(e.field, e.message))?;
                self.config.policies = Arc::new(set);
                self.config_rows.push(ConfigRow {
                    seq,
                    at,
                    kind: "sla.policies",
                    body,
                });
            }
            EventBody::Calendars { default, groups } => {
                let (config, calendars) = parse_calendars(default.as_ref(), groups.as_ref())?;
                let body = serde_json::to_string(&config)
                    .map_err(|e| FieldError::new("calendars", e.to_string()))?;
                self.config.calendars = Some(Arc::new(calendars));
                self.config_rows.push(ConfigRow {
                    seq,
                    at,
                    kind: "calendars",
                    body,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Follows one ticket event that the ticket fold accepted.
    pub fn follow(&mut self, id: &Id, body: &EventBody, at: i64, seq: i64) {
        if !self.active() {
            return;
        }
        let clocks = self.config.clocks();
        let sla = if let EventBody::TicketCreated(created) = body {
            if let Some(undo) = &mut self.undo {
                undo.push((id.clone(), None, self.statuses.get(id).cloned()));
            }
            let sla = TicketSla::open(created, at, &self.config.policies);
            self.trackers.entry(id.clone()).insert_entry(sla).into_mut()
        } else {
            let Some(sla) = self.trackers.get_mut(id) else {
                // Created before any policy existed: not tracked.
                return;
            };
            if let Some(undo) = &mut self.undo {
                undo.push((
                    id.clone(),
                    Some(sla.clone()),
                    self.statuses.get(id).cloned(),
                ));
            }
            let before = sla.finished().len();
            sla.apply(at, body, &self.config.policies, clocks);
            for f in &sla.finished()[before..] {
                self.finished.push((seq, id.clone(), f.clone()));
            }
            sla
        };
        let statuses = sla.statuses(sla.last_at(), clocks);
        self.statuses.insert(id.clone(), statuses);
        if self.dirty_set.insert(id.clone()) {
            self.dirty.push(id.clone());
        }
    }

    pub fn mark(&self) -> SlaMark {
        SlaMark {
            config: self.config.clone(),
            finished: self.finished.len(),
            config_rows: self.config_rows.len(),
            undo: self.undo.as_ref().map_or(0, Vec::len),
        }
    }

    pub fn rollback_to(&mut self, mark: SlaMark) {
        self.config = mark.config;
        self.finished.truncate(mark.finished);
        self.config_rows.truncate(mark.config_rows);
        if let Some(undo) = &mut self.undo {
            while undo.len() > mark.undo {
                let (id, prior, statuses) = undo.pop().expect("length checked");
                match prior {
                    Some(sla) => {
                        self.trackers.insert(id.clone(), sla);
                    }
                    None => {
                        self.trackers.remove(&id);
                    }
                }
                // No statuses: the tracker is back as stored (or gone), nothing to write.
                match statuses {
                    Some(s) => {
                        self.statuses.insert(id, s);
                    }
                    None => {
                        self.statuses.remove(&id);
                    }
                }
            }
        }
    }

    /// Forgets the rows written; the trackers go with the ticket cache.
    pub fn written(&mut self, drop_trackers: bool) {
        self.dirty.clear();
        self.dirty_set.clear();
        self.finished.clear();
        self.config_rows.clear();
        self.statuses.clear();
        if let Some(undo) = &mut self.undo {
            undo.clear();
        }
        if drop_trackers {
            self.trackers.clear();
        }
    }

    /// The SLA of the tickets this batch changed, as it will be written.
    pub fn committed(&self) -> Vec<SlaOfTicket> {
        self.dirty
            .iter()
            .filter_map(|id| {
                let (sla, statuses) = (self.trackers.get(id)?, self.statuses.get(id)?);
                Some(SlaOfTicket {
                    ticket: id.clone(),
                    finished: sla.finished().to_vec(),
                    statuses: statuses.clone(),
                })
            })
            .collect()
    }

    /// The rows to write for this batch.
    pub fn rows(&self) -> Result<Rows<'_>, StoreError> {
        let mut rows = Rows {
            config: &self.config_rows,
            trackers: Vec::with_capacity(self.dirty.len()),
            statuses: Vec::new(),
            finished: &self.finished,
        };
        for id in &self.dirty {
            // A change rolled back leaves the tracker as stored (or gone): nothing to write.
            let (Some(sla), Some(statuses)) = (self.trackers.get(id), self.statuses.get(id)) else {
                continue;
            };
            let json =
                serde_json::to_string(sla).map_err(|e| StoreError::corrupt(e.to_string()))?;
            rows.trackers.push((id.as_str(), json));
            for s in statuses {
                rows.statuses.push((id.as_str(), s));
            }
        }
        Ok(rows)
    }
}

/// One ticket's SLA as the store keeps it: every run that ended, and its targets' statuses as
/// of its last event. Handed to the KPI dataset at load and after each commit.
#[derive(Debug, Clone)]
pub struct SlaOfTicket {
    pub ticket: Id,
    pub finished: Vec<Finished>,
    pub statuses: Vec<MetricStatus>,
}

/// What one batch writes to the SLA tables.
pub(crate) struct Rows<'a> {
    pub config: &'a [ConfigRow],
    /// Ticket and its tracker as JSON; its statuses are replaced.
    pub trackers: Vec<(&'a str, String)>,
    pub statuses: Vec<(&'a str, &'a MetricStatus)>,
    pub finished: &'a [(i64, Id, Finished)],
}

impl Rows<'_> {
    pub fn is_empty(&self) -> bool {
        self.config.is_empty() && self.trackers.is_empty() && self.finished.is_empty()
    }
}

pub(crate) fn hours_str(h: Hours) -> &'static str {
    match h {
        Hours::Business => "business",
        Hours::Calendar => "calendar",
    }
}

pub(crate) fn state_str(s: State) -> &'static str {
    match s {
        State::Active => "active",
        State::Paused => "paused",
        State::Achieved => "achieved",
        State::Breached => "breached",
    }
}

type ConfigRecord = (i64, i64, String, String);

/// The last configuration compiled, by the rows it came from: compiling calendars (national
/// holidays included) is not free, and the rows rarely change.
static CONFIG_CACHE: Mutex<Option<(Vec<ConfigRecord>, Config)>> = Mutex::new(None);

fn config_from_rows(rows: Vec<ConfigRecord>) -> Result<Config, StoreError> {
    if let Ok(cache) = CONFIG_CACHE.lock()
        && let Some((cached, config)) = cache.as_ref()
        && *cached == rows
    {
        return Ok(config.clone());
    }
    let mut config = Config::default();
    let mut set = PolicySet::default();
    for (seq, at, kind, body) in &rows {
        let bad = |e: &dyn std::fmt::Display| StoreError::corrupt(format!("sla_config {seq}: {e}"));
        match kind.as_str() {
            "sla.policies" => {
                let policies: Vec<Policy> = serde_json::from_str(body).map_err(|e| bad(&e))?;
                set.publish(*at, policies).map_err(|e| bad(&e))?;
            }
            "calendars" => {
                let c: CalendarsConfig = serde_json::from_str(body).map_err(|e| bad(&e))?;
                config.calendars = Some(Arc::new(Calendars::from_config(&c).map_err(|e| bad(&e))?));
            }
            other => return Err(bad(&format!("unknown kind {other:?}"))),
        }
    }
    config.policies = Arc::new(set);
    if let Ok(mut cache) = CONFIG_CACHE.lock() {
        *cache = Some((rows, config.clone()));
    }
    Ok(config)
}

const CONFIG_SELECT: &str = "SELECT seq, at, kind, body FROM sla_config ORDER BY seq";

/// Reads the configuration into a batch, once.
pub(crate) async fn load_config(tx: &mut Tx, sla: &mut SlaBatch) -> Result<(), StoreError> {
    if sla.loaded {
        return Ok(());
    }
    let rows: Vec<ConfigRecord> =
        on_tx!(tx, t => sqlx::query_as(CONFIG_SELECT).fetch_all(&mut **t).await)?;
    sla.config = config_from_rows(rows)?;
    sla.loaded = true;
    Ok(())
}

/// Loads the trackers of `ids` (tickets just loaded into the working set).
pub(crate) async fn load_trackers(
    tx: &mut Tx,
    ids: &[String],
    sla: &mut SlaBatch,
) -> Result<(), StoreError> {
    if !sla.active() || ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, String)> = on_tx!(tx, t => {
        let mut qb = sqlx::QueryBuilder::new("SELECT ticket, state FROM sla_trackers WHERE ticket IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id.clone());
        }
        qb.push(")");
        qb.build_query_as().fetch_all(&mut **t).await
    })?;
    for (ticket, state) in rows {
        let tracker: TicketSla = serde_json::from_str(&state)
            .map_err(|e| StoreError::corrupt(format!("sla_trackers {ticket}: {e}")))?;
        let id = Id::parse("ticket", &ticket).map_err(|e| StoreError::corrupt(e.to_string()))?;
        sla.trackers.insert(id, tracker);
    }
    Ok(())
}

/// A ticket with a target overdue at the instant asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overdue {
    pub ticket: String,
    pub metric: String,
    pub policy: String,
    /// When the target fell due (its breach instant when the store has recorded one).
    pub due_at: Millis,
    /// Whether the breach was already recorded at the ticket's last event.
    pub recorded: bool,
}

/// The policies in effect since an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoliciesInEffect {
    pub since: Millis,
    pub policies: Vec<Policy>,
}

/// Finished runs of one target of one policy: the achievement rate is `achieved / total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Achievement {
    pub policy: String,
    pub metric: String,
    pub target_minutes: i64,
    pub hours: String,
    pub total: i64,
    pub achieved: i64,
}

impl Store {
    pub(crate) async fn sla_config(&self) -> Result<Config, StoreError> {
        let rows: Vec<ConfigRecord> =
            on_read!(self, p => sqlx::query_as(CONFIG_SELECT).fetch_all(p).await)?;
        config_from_rows(rows)
    }

    /// Each SLA target of `ticket` as it stands at `now` (due dates, breaches, outcomes).
    /// Empty for a ticket no policy tracks.
    pub async fn sla_statuses(
        &self,
        ticket: &Id,
        now: Millis,
    ) -> Result<Vec<MetricStatus>, StoreError> {
        Ok(self
            .sla_statuses_of(&[ticket.as_str()], now)
            .await?
            .remove(ticket.as_str())
            .unwrap_or_default())
    }

    /// [`Store::sla_statuses`] of several tickets at once (a list page's badges): one read of
    /// their trackers and one of the SLA configuration. Tickets no policy tracks are absent.
    pub async fn sla_statuses_of(
        &self,
        tickets: &[&str],
        now: Millis,
    ) -> Result<HashMap<String, Vec<MetricStatus>>, StoreError> {
        let mut out = HashMap::default();
        if tickets.is_empty() {
            return Ok(out);
        }
        let rows: Vec<(String, String)> = on_read!(self, p => {
            let mut q = sqlx::QueryBuilder::new("SELECT ticket, state FROM sla_trackers WHERE ticket IN (");
            let mut list = q.separated(", ");
            for t in tickets {
                list.push_bind(*t);
            }
            q.push(")");
            q.build_query_as().fetch_all(p).await
        })?;
        if rows.is_empty() {
            return Ok(out);
        }
        let config = self.sla_config().await?;
        for (ticket, state) in rows {
            let sla: TicketSla = serde_json::from_str(&state)
                .map_err(|e| StoreError::corrupt(format!("sla_trackers {ticket}: {e}")))?;
            let statuses = sla.statuses(now.max(sla.last_at()), config.clocks());
            out.insert(ticket, statuses);
        }
        Ok(out)
    }

    /// Tickets with a target overdue at `now`: breached at or before `now`, or running with
    /// its due date before `now`. Earliest first, at most `limit` tickets, one line per overdue target.
    pub async fn overdue(&self, now: Millis, limit: u32) -> Result<Vec<Overdue>, StoreError> {
        let rows: Vec<(String, String, String, i64, bool)> = on_read!(self, p => sqlx::query_as(
            "SELECT ticket, metric, policy, since, recorded FROM ( \
               SELECT ticket, metric, policy, breached_at AS since, TRUE AS recorded FROM sla_status \
                 WHERE ended_at IS NULL AND breached_at IS NOT NULL AND breached_at <= $1 \
               UNION ALL \
               SELECT ticket, metric, policy, due_at AS since, FALSE AS recorded FROM sla_status \
                 WHERE ended_at IS NULL AND due_at IS NOT NULL AND due_at < $1 AND breached_at IS NULL \
             ) o ORDER BY since, ticket, metric LIMIT $2")
            .bind(now).bind(i64::from(limit) * 4).fetch_all(p).await)?;
        let mut tickets: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for (ticket, metric, policy, since, recorded) in &rows {
            if !tickets.contains(&ticket.as_str()) {
                if tickets.len() == limit as usize {
                    continue;
                }
                tickets.push(ticket);
            }
            out.push(Overdue {
                ticket: ticket.clone(),
                metric: metric.clone(),
                policy: policy.clone(),
                due_at: *since,
                recorded: *recorded,
            });
        }
        Ok(out)
    }

    /// The policies in effect now (the last `sla.policies` event), if any was recorded.
    pub async fn sla_policies(&self) -> Result<Option<PoliciesInEffect>, StoreError> {
        let config = self.sla_config().await?;
        Ok(config.policies.versions().last().map(|v| PoliciesInEffect {
            since: v.since,
            policies: v.policies.clone(),
        }))
    }

    /// The calendars in effect (the last `calendars` event), if any was recorded.
    pub async fn sla_calendars(&self) -> Result<Option<CalendarsConfig>, StoreError> {
        let body: Option<String> = on_read!(self, p => sqlx::query_scalar(
            "SELECT body FROM sla_config WHERE kind = 'calendars' ORDER BY seq DESC LIMIT 1")
            .fetch_optional(p).await)?;
        body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::corrupt(e.to_string())))
            .transpose()
    }

    /// Every tracked ticket's SLA, for the KPI dataset at start (commits hand theirs over in
    /// [`Committed`](crate::Committed)). Nothing without policies.
    pub async fn scan_sla(&self, mut f: impl FnMut(SlaOfTicket)) -> Result<u64, StoreError> {
        let config = self.sla_config().await?;
        if config.policies.versions().is_empty() {
            return Ok(0);
        }
        let rows: Vec<(String, String)> = on_read!(self, p => sqlx::query_as(
            "SELECT ticket, state FROM sla_trackers").fetch_all(p).await)?;
        let count = rows.len() as u64;
        for (ticket, state) in rows {
            let sla: TicketSla = serde_json::from_str(&state)
                .map_err(|e| StoreError::corrupt(format!("sla_trackers {ticket}: {e}")))?;
            let ticket =
                Id::parse("ticket", &ticket).map_err(|e| StoreError::corrupt(e.to_string()))?;
            f(SlaOfTicket {
                statuses: sla.statuses(sla.last_at(), config.clocks()),
                finished: sla.finished().to_vec(),
                ticket,
            });
        }
        Ok(count)
    }

    /// The business calendars in effect, compiled: business-time KPIs count on them.
    pub async fn business_calendars(&self) -> Result<Option<Arc<Calendars>>, StoreError> {
        Ok(self.sla_config().await?.calendars)
    }

    /// Achievement per policy and target over every finished run.
    pub async fn sla_achievement(&self) -> Result<Vec<Achievement>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT policy, metric, target_minutes, hours, CAST(COUNT(*) AS BIGINT) AS total, \
             CAST(SUM(CASE WHEN breached_at IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS achieved \
             FROM sla_finished GROUP BY policy, metric, target_minutes, hours \
             ORDER BY policy, metric, target_minutes, hours")
            .fetch_all(p).await)?)
    }
}
