-- The email channel (issue #7): mailboxes, Message-IDs for dedup and threading, the durable
-- outbound queue and bounces. Operational state, like credentials: outside the event log,
-- never exported or replayed (the tickets and messages mail makes are ordinary events).
-- Keep in step with ../postgres/0004_mail.sql.

-- The addresses Sanjeh receives on (support@, billing@), each mapped to a group. They are
-- also Sanjeh's own addresses: mail from them is never answered (loop protection).
CREATE TABLE mail_mailboxes (
    address    TEXT    PRIMARY KEY,   -- lowercased, without a plus tag
    group_id   TEXT,
    created_at INTEGER NOT NULL
);

-- Every message stored on a ticket or sent from one, by Message-ID (without brackets): an
-- inbound message is stored once whatever the retries, and a reply's In-Reply-To or
-- References finds its ticket.
CREATE TABLE mail_messages (
    message_id  TEXT    PRIMARY KEY,
    ticket      TEXT    NOT NULL,
    direction   TEXT    NOT NULL,     -- in, out
    sender      TEXT    NOT NULL,     -- lowercased address
    subject_key TEXT    NOT NULL,     -- the normalized subject (no Re:, no token)
    mailbox     TEXT,                 -- the mailbox it came in on or went out from
    at          INTEGER NOT NULL
);
CREATE INDEX mail_messages_by_ticket ON mail_messages (ticket, at);
CREATE INDEX mail_messages_by_sender ON mail_messages (sender, subject_key, at);

-- Outbound mail, durable until sent: retried with backoff, a final failure noted on the
-- ticket. The composed message is kept, so every attempt sends the same bytes.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL UNIQUE,  -- what made it (event:SEQ): queued once
    ticket          TEXT    NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,
    sender          TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    message         BLOB    NOT NULL,         -- RFC 5322 bytes
    status          TEXT    NOT NULL,         -- queued, sent, failed
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_by_ticket ON mail_outbox (ticket, id);

-- How far a reader of the event log has got (the outbox reads agent replies from it).
CREATE TABLE mail_cursors (
    name TEXT    PRIMARY KEY,
    seq  INTEGER NOT NULL
);

-- Delivery failures reported back to us, per recipient address.
CREATE TABLE mail_bounces (
    address    TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    message_id TEXT    NOT NULL UNIQUE,   -- the bounce's own Message-ID: recorded once
    reason     TEXT
);
CREATE INDEX mail_bounces_by_address ON mail_bounces (address, at);
