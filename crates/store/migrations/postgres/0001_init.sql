-- Sanjeh schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_init.sql; never edit an
-- applied migration, add a new one.
-- Instants are UTC epoch milliseconds; money is a decimal string; lists are JSON arrays.

-- The truth: every change, append-only, in the order it was applied.
CREATE TABLE events (
    seq     BIGINT PRIMARY KEY,
    key     BYTEA    NOT NULL UNIQUE,   -- identity for idempotent import: source id or content hash
    at      BIGINT NOT NULL,
    type    TEXT    NOT NULL,
    ticket  TEXT,
    payload TEXT    NOT NULL           -- the interchange line
);
CREATE INDEX events_by_ticket ON events (ticket, seq) WHERE ticket IS NOT NULL;

-- Current state, derived from the events (rebuildable with `sanjeh admin rebuild`).
CREATE TABLE tickets (
    id           TEXT PRIMARY KEY,
    subject      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    priority     TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    kind         TEXT,
    group_id     TEXT,
    assignee     TEXT,
    customer     TEXT,
    organization TEXT,
    tags         TEXT    NOT NULL,
    merged_into  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX tickets_by_created ON tickets (created_at, id);
CREATE INDEX tickets_by_updated ON tickets (updated_at, id);
CREATE INDEX tickets_by_status ON tickets (status, created_at);
CREATE INDEX tickets_by_assignee ON tickets (assignee, created_at);
CREATE INDEX tickets_by_group ON tickets (group_id, created_at);
CREATE INDEX tickets_by_customer ON tickets (customer, created_at);

-- Per-ticket metric facts, kept current with the ticket (see sanjeh_domain::TicketFacts).
CREATE TABLE ticket_facts (
    ticket                   TEXT PRIMARY KEY,
    created_at               BIGINT NOT NULL,
    outbound                 BOOLEAN NOT NULL,
    first_reply_at           BIGINT,
    first_reply_by           TEXT,
    first_solved_at          BIGINT,
    last_solved_at           BIGINT,
    solved_by                TEXT,
    solves                   BIGINT NOT NULL,
    reopens                  BIGINT NOT NULL,
    agent_replies            BIGINT NOT NULL,
    customer_messages        BIGINT NOT NULL,
    internal_notes           BIGINT NOT NULL,
    bot_messages             BIGINT NOT NULL,
    assignments              BIGINT NOT NULL,
    first_assigned_at        BIGINT,
    new_ms                   BIGINT NOT NULL,
    open_ms                  BIGINT NOT NULL,
    pending_ms               BIGINT NOT NULL,
    on_hold_ms               BIGINT NOT NULL,
    solved_ms                BIGINT NOT NULL,
    closed_ms                BIGINT NOT NULL,
    status_since             BIGINT NOT NULL,
    handle_ms                BIGINT,
    requester_wait_ms        BIGINT,
    awaiting_since           BIGINT,
    last_customer_message_at BIGINT,
    last_agent_reply_at      BIGINT,
    merged_at                BIGINT
);

CREATE TABLE messages (
    id          BIGINT PRIMARY KEY,  -- the seq of the event that wrote it
    ticket      TEXT    NOT NULL,
    at          BIGINT NOT NULL,
    author_kind TEXT    NOT NULL,
    author_id   TEXT,
    public      BOOLEAN NOT NULL,
    channel     TEXT,
    source_id   TEXT,
    body        TEXT    NOT NULL
);
CREATE INDEX messages_by_ticket ON messages (ticket, id);

CREATE TABLE reply_intervals (
    seq           BIGINT PRIMARY KEY,
    ticket        TEXT    NOT NULL,
    waiting_since BIGINT NOT NULL,
    replied_at    BIGINT NOT NULL,
    agent         TEXT    NOT NULL,
    first         BOOLEAN NOT NULL
);

CREATE TABLE solves (
    seq    BIGINT PRIMARY KEY,
    ticket TEXT    NOT NULL,
    at     BIGINT NOT NULL,
    agent  TEXT,
    tags   TEXT    NOT NULL
);

CREATE TABLE agent_activity (
    seq   BIGINT PRIMARY KEY,
    agent TEXT    NOT NULL,
    at    BIGINT NOT NULL
);

CREATE TABLE surveys (
    seq      BIGINT PRIMARY KEY,
    at       BIGINT NOT NULL,
    survey   TEXT    NOT NULL,
    score    BIGINT,              -- on the survey's scale; NULL for CSAT good/bad
    rating   TEXT,                 -- 'good' or 'bad' for two-point CSAT
    ticket   TEXT,
    customer TEXT,
    agent    TEXT,
    comment  TEXT
);

CREATE TABLE calls (
    id           TEXT PRIMARY KEY,
    queue        TEXT,
    customer     TEXT,
    agent        TEXT,
    queued_at    BIGINT,
    answered_at  BIGINT,
    abandoned_at BIGINT,
    ended_at     BIGINT,
    hold_s       BIGINT,
    wrapup_s     BIGINT
);

CREATE TABLE votes (
    seq     BIGINT PRIMARY KEY,
    at      BIGINT NOT NULL,
    target  TEXT    NOT NULL,
    helpful BOOLEAN NOT NULL,
    visitor TEXT
);

CREATE TABLE article_views (
    seq     BIGINT PRIMARY KEY,
    at      BIGINT NOT NULL,
    article TEXT    NOT NULL,
    visitor TEXT
);

CREATE TABLE costs (
    seq      BIGINT PRIMARY KEY,
    at       BIGINT NOT NULL,
    period   TEXT    NOT NULL,
    category TEXT    NOT NULL,
    amount   TEXT    NOT NULL,
    currency TEXT    NOT NULL
);

CREATE TABLE opportunities (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    opportunity TEXT,
    ticket      TEXT,
    agent       TEXT,
    kind        TEXT    NOT NULL,
    amount      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    status      TEXT    NOT NULL
);

CREATE TABLE lifecycle (
    seq      BIGINT PRIMARY KEY,
    at       BIGINT NOT NULL,
    customer TEXT    NOT NULL,
    state    TEXT    NOT NULL
);

CREATE TABLE agents (
    id     TEXT PRIMARY KEY,
    name   TEXT,
    email  TEXT,
    role   TEXT,                       -- NULL reads as 'agent'
    group_ids TEXT,                    -- JSON array; NULL reads as []
    active BOOLEAN                      -- NULL reads as true
);

CREATE TABLE agent_groups (
    id   TEXT PRIMARY KEY,
    name TEXT
);

CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    name         TEXT,
    email        TEXT,
    organization TEXT,
    language     TEXT,
    lifecycle    TEXT
);
CREATE INDEX customers_by_email ON customers (email);

CREATE TABLE organizations (
    id   TEXT PRIMARY KEY,
    name TEXT
);

-- Security state: secrets are not domain history and never leave through export.
CREATE TABLE credentials (
    agent         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    hash       BYTEA    NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    agent      TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE idempotency (
    scope        TEXT    NOT NULL,   -- the API token id
    key          TEXT    NOT NULL,
    request_hash BYTEA    NOT NULL,
    outcome      TEXT    NOT NULL,   -- the stored response, replayed on retry
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
