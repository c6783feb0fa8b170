-- Stretches of time a ticket spent in new, open or on hold (`sanjeh_domain::StatusSpan`), so
-- that handle and requester wait time can be measured in business hours. Derived from the
-- events like every projection: tickets written before this table existed get theirs from
-- `sanjeh admin rebuild`.
CREATE TABLE status_spans (
    seq        BIGINT  PRIMARY KEY,
    ticket     TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    started_at BIGINT  NOT NULL,
    ended_at   BIGINT  NOT NULL
);
