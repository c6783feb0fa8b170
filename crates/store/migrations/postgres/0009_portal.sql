-- The customer portal (issue #6): customer sessions, emailed sign-in links, and rate-limit
-- hits (portal link requests, the contact form, agents' failed sign-ins per client address).
-- Security state, like web_sessions: never exported or replayed. Keep in step with
-- ../sqlite/0009_portal.sql.

-- Whose session a row is: an agent's (admins and managers are agents) or a customer's. Ids
-- of the two live in different namespaces, so the kind is part of the session's identity.
ALTER TABLE web_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent';

-- Single-use sign-in links mailed to customers. The link carries a random 256-bit secret;
-- only its SHA-256 is kept. Used or expired rows are pruned after a day.
CREATE TABLE portal_links (
    hash       BYTEA   PRIMARY KEY,
    customer   TEXT    NOT NULL,
    next       TEXT,                 -- the portal page to open after signing in
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX portal_links_by_expiry ON portal_links (expires_at);

-- One row per counted attempt (bucket says what: portal-link-address, portal-link-client,
-- portal-contact-client, signin-failure-client); old rows are pruned when new ones come.
CREATE TABLE web_rate_hits (
    bucket TEXT    NOT NULL,
    key    TEXT    NOT NULL,
    at     BIGINT  NOT NULL
);
CREATE INDEX web_rate_hits_by_key ON web_rate_hits (bucket, key, at);
CREATE INDEX web_rate_hits_by_at ON web_rate_hits (at);
