-- The email channel's content (issue #7): attachment bytes, acknowledgements asked for by
-- inbound mail, bounces tied to customers and to the mail they bounced, notification kinds.
-- Operational state like 0004_mail.sql: outside the event log, never exported or replayed.
-- Keep in step with ../postgres/0007_mail_content.sql.

-- Attachment and inline-image bytes, stored once per content (SHA-256, hex).
CREATE TABLE mail_blobs (
    sha256     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    bytes      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Each attachment of an inbound message, on the ticket message it came with. Over-limit ones
-- are listed without bytes (sha256 NULL). (mail_message_id, part) makes a retried store a no-op.
CREATE TABLE mail_attachments (
    id              INTEGER PRIMARY KEY,
    ticket          TEXT    NOT NULL,
    message         INTEGER,              -- messages.id (the ticket.message event's seq)
    mail_message_id TEXT    NOT NULL,     -- the inbound mail's Message-ID
    part            INTEGER NOT NULL,     -- its position among the mail's attachments
    filename        TEXT,
    declared_type   TEXT    NOT NULL,
    sniffed_type    TEXT,
    size            INTEGER NOT NULL,
    inline          BOOLEAN NOT NULL,
    content_id      TEXT,
    sha256          TEXT,                 -- NULL: over the limit, not kept
    created_at      INTEGER NOT NULL,
    UNIQUE (mail_message_id, part)
);
CREATE INDEX mail_attachments_by_ticket ON mail_attachments (ticket, id);

-- "Ticket received" acknowledgements asked for by inbound mail; the outbox reader composes
-- them (it has the outbound settings) and marks them queued in the same transaction.
CREATE TABLE mail_acks (
    ticket       TEXT    PRIMARY KEY,     -- one acknowledgement per ticket at most
    recipient    TEXT    NOT NULL,        -- lowercased sender of the first mail
    mailbox      TEXT,                    -- the mailbox it came in on
    message_id   TEXT    NOT NULL,        -- the mail acknowledged (threading)
    requested_at INTEGER NOT NULL,
    queued       BOOLEAN NOT NULL
);
CREATE INDEX mail_acks_by_recipient ON mail_acks (recipient, requested_at);
CREATE INDEX mail_acks_pending ON mail_acks (queued, requested_at);

-- What an outbox mail is: reply, received, solved.
ALTER TABLE mail_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply';

-- The language of notifications for customers without one (en, fa, ru).
ALTER TABLE mail_mailboxes ADD COLUMN language TEXT;

-- A bounce belongs to the customer whose address bounced, and names the mail it returned.
ALTER TABLE mail_bounces ADD COLUMN customer TEXT;
ALTER TABLE mail_bounces ADD COLUMN original_message_id TEXT;
UPDATE mail_bounces SET customer =
    (SELECT id FROM customers WHERE lower(customers.email) = mail_bounces.address ORDER BY id LIMIT 1);
CREATE INDEX mail_bounces_by_customer ON mail_bounces (customer, at);
