-- Escalation and KPI alert rules (issue #4). Keep in step with ../postgres/0008_escalation_alerts.sql.
--
-- Projections (emptied and re-derived by a rebuild): the validated rule events and the
-- escalations the log records. Operational state (like the mail queue; never exported or
-- replayed): in-app notifications, the webhook queue, alert states and history, leases.

-- The `escalation.rules` and `alert.rules` events, validated, in log order.
CREATE TABLE alerting_config (
    seq  INTEGER PRIMARY KEY,
    at   INTEGER NOT NULL,
    kind TEXT    NOT NULL,
    body TEXT    NOT NULL
);

-- Every `ticket.escalated` event: a rule escalates one run of one target of a ticket once,
-- whatever restarts or nodes (the writer checks this table under its write lock).
CREATE TABLE escalations (
    ticket         TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    metric         TEXT    NOT NULL,
    run_started_at INTEGER NOT NULL,
    level          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    PRIMARY KEY (ticket, rule, metric, run_started_at)
);
CREATE INDEX escalations_by_seq ON escalations (seq);

-- In-app notifications, per agent; written with what caused them.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL,      -- escalation:T-1:rule:metric:run, alert:rule:at
    agent      TEXT    NOT NULL,
    ticket     TEXT,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    UNIQUE (source, agent)
);
CREATE INDEX notifications_by_agent ON notifications (agent, id);

-- Webhook deliveries, durable until a 2xx: retried with backoff. The body and its signature
-- are fixed when queued, so every attempt sends the same bytes (and the secret stays in the
-- rules, not here).
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    signature       TEXT    NOT NULL,   -- sha256=<hex HMAC-SHA256 of body>
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL,   -- queued, delivered, failed
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at);

-- Where each KPI alert stands (`sanjeh_sla::rules::AlertState` as JSON).
CREATE TABLE alert_state (
    rule       TEXT    PRIMARY KEY,
    state      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every notice an alert sent: fired, repeated, recovered.
CREATE TABLE alert_history (
    id     INTEGER PRIMARY KEY,
    rule   TEXT    NOT NULL,
    at     INTEGER NOT NULL,
    notice TEXT    NOT NULL,
    value  REAL
);
CREATE INDEX alert_history_by_rule ON alert_history (rule, at);

-- Which node runs a periodic job (the alert evaluator): held until `until_at`, renewed by
-- its holder, taken over by another node once it runs out.
CREATE TABLE job_leases (
    name     TEXT    PRIMARY KEY,
    holder   TEXT    NOT NULL,
    until_at INTEGER NOT NULL
);
