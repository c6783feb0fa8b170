-- The email channel's configuration (issue #7), in the database so every `sanjeh serve`
-- node sharing it sees the same: each mailbox's IMAP account, the outbound relay, the
-- inbound limits, and leases so one node at a time polls a mailbox.
-- Operational state, like API tokens: it holds credentials (or the names of environment
-- variables holding them), so it stays outside the event log and is never exported.
-- Keep in step with ../postgres/0006_mail_config.sql.

-- The mailbox's IMAP account as JSON (sanjeh_email::config::ImapSettings); NULL when mail
-- reaches this mailbox another way (SMTP receiver, POST /api/v1/mail/raw).
ALTER TABLE mail_mailboxes ADD COLUMN imap TEXT;
ALTER TABLE mail_mailboxes ADD COLUMN updated_at INTEGER;

-- Named settings as JSON: `outbound` (the relay and how replies are composed), `inbound`
-- (limits).
CREATE TABLE mail_settings (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Who may do a job, and until when (`imap:<address>`): a node renews its lease while it polls;
-- another node takes the job only once the lease has run out.
CREATE TABLE mail_leases (
    name   TEXT    PRIMARY KEY,
    holder TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
