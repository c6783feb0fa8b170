-- SLA state, derived from the events like every other projection (rebuild re-derives it).

-- The SLA configuration events (`sla.policies`, `calendars`), validated, in log order: the
-- store reads this small table instead of scanning the log for them.
CREATE TABLE sla_config (
    seq  BIGINT PRIMARY KEY,
    at   BIGINT NOT NULL,
    kind TEXT    NOT NULL,
    body TEXT    NOT NULL
);

-- Each tracked ticket's SLA state machine (`sanjeh_sla::TicketSla`) as JSON.
CREATE TABLE sla_trackers (
    ticket TEXT PRIMARY KEY,
    state  TEXT NOT NULL
);

-- Per ticket and target, where it stood at the ticket's last event.
CREATE TABLE sla_status (
    ticket         TEXT    NOT NULL,
    metric         TEXT    NOT NULL,
    policy         TEXT    NOT NULL,
    target_minutes BIGINT NOT NULL,
    hours          TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    started_at     BIGINT NOT NULL,
    due_at         BIGINT,
    breached_at    BIGINT,
    ended_at       BIGINT,
    counted_ms     BIGINT NOT NULL,
    PRIMARY KEY (ticket, metric)
);
CREATE INDEX sla_status_due ON sla_status (due_at) WHERE ended_at IS NULL AND due_at IS NOT NULL;
CREATE INDEX sla_status_breached ON sla_status (breached_at) WHERE ended_at IS NULL AND breached_at IS NOT NULL;

-- Every finished run: one data point of its target's and policy's achievement rate.
CREATE TABLE sla_finished (
    seq            BIGINT NOT NULL,
    ticket         TEXT    NOT NULL,
    metric         TEXT    NOT NULL,
    policy         TEXT    NOT NULL,
    target_minutes BIGINT NOT NULL,
    hours          TEXT    NOT NULL,
    started_at     BIGINT NOT NULL,
    ended_at       BIGINT NOT NULL,
    breached_at    BIGINT,
    counted_ms     BIGINT NOT NULL,
    PRIMARY KEY (seq, ticket, metric)
);
CREATE INDEX sla_finished_by_policy ON sla_finished (policy, metric, ended_at);
