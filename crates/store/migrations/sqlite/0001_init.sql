-- Sanjeh schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql; never edit an
-- applied migration, add a new one.
-- Instants are UTC epoch milliseconds; money is a decimal string; lists are JSON arrays.

-- The truth: every change, append-only, in the order it was applied.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    key     BLOB    NOT NULL UNIQUE,   -- identity for idempotent import: source id or content hash
    at      INTEGER NOT NULL,
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
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
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
    created_at               INTEGER NOT NULL,
    outbound                 BOOLEAN NOT NULL,
    first_reply_at           INTEGER,
    first_reply_by           TEXT,
    first_solved_at          INTEGER,
    last_solved_at           INTEGER,
    solved_by                TEXT,
    solves                   INTEGER NOT NULL,
    reopens                  INTEGER NOT NULL,
    agent_replies            INTEGER NOT NULL,
    customer_messages        INTEGER NOT NULL,
    internal_notes           INTEGER NOT NULL,
    bot_messages             INTEGER NOT NULL,
    assignments              INTEGER NOT NULL,
    first_assigned_at        INTEGER,
    new_ms                   INTEGER NOT NULL,
    open_ms                  INTEGER NOT NULL,
    pending_ms               INTEGER NOT NULL,
    on_hold_ms               INTEGER NOT NULL,
    solved_ms                INTEGER NOT NULL,
    closed_ms                INTEGER NOT NULL,
    status_since             INTEGER NOT NULL,
    handle_ms                INTEGER,
    requester_wait_ms        INTEGER,
    awaiting_since           INTEGER,
    last_customer_message_at INTEGER,
    last_agent_reply_at      INTEGER,
    merged_at                INTEGER
);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,  -- the seq of the event that wrote it
    ticket      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    author_kind TEXT    NOT NULL,
    author_id   TEXT,
    public      BOOLEAN NOT NULL,
    channel     TEXT,
    source_id   TEXT,
    body        TEXT    NOT NULL
);
CREATE INDEX messages_by_ticket ON messages (ticket, id);

CREATE TABLE reply_intervals (
    seq           INTEGER PRIMARY KEY,
    ticket        TEXT    NOT NULL,
    waiting_since INTEGER NOT NULL,
    replied_at    INTEGER NOT NULL,
    agent         TEXT    NOT NULL,
    first         BOOLEAN NOT NULL
);

CREATE TABLE solves (
    seq    INTEGER PRIMARY KEY,
    ticket TEXT    NOT NULL,
    at     INTEGER NOT NULL,
    agent  TEXT,
    tags   TEXT    NOT NULL
);

CREATE TABLE agent_activity (
    seq   INTEGER PRIMARY KEY,
    agent TEXT    NOT NULL,
    at    INTEGER NOT NULL
);

CREATE TABLE surveys (
    seq      INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    survey   TEXT    NOT NULL,
    score    INTEGER,              -- on the survey's scale; NULL for CSAT good/bad
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
    queued_at    INTEGER,
    answered_at  INTEGER,
    abandoned_at INTEGER,
    ended_at     INTEGER,
    hold_s       INTEGER,
    wrapup_s     INTEGER
);

CREATE TABLE votes (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    target  TEXT    NOT NULL,
    helpful BOOLEAN NOT NULL,
    visitor TEXT
);

CREATE TABLE article_views (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    article TEXT    NOT NULL,
    visitor TEXT
);

CREATE TABLE costs (
    seq      INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    period   TEXT    NOT NULL,
    category TEXT    NOT NULL,
    amount   TEXT    NOT NULL,
    currency TEXT    NOT NULL
);

CREATE TABLE opportunities (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    opportunity TEXT,
    ticket      TEXT,
    agent       TEXT,
    kind        TEXT    NOT NULL,
    amount      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    status      TEXT    NOT NULL
);

CREATE TABLE lifecycle (
    seq      INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
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
    hash       BLOB    NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    agent      TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE idempotency (
    scope        TEXT    NOT NULL,   -- the API token id
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    outcome      TEXT    NOT NULL,   -- the stored response, replayed on retry
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
