-- Webhook signing secrets (issue #4). Keep in step with ../sqlite/0012_webhook_secrets.sql.
--
-- Credentials, like API tokens and mail passwords: settings rows, never events, so neither
-- the event log nor its exports carry them. A rule names its secret by `secret_id`.
CREATE TABLE webhook_secrets (
    id         TEXT    PRIMARY KEY,
    secret     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
