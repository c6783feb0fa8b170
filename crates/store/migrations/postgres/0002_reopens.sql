-- Reopens (a solved or closed ticket back to an unsolved status), for the backlog as of any
-- past instant.
CREATE TABLE reopens (
    seq    BIGINT PRIMARY KEY,
    ticket TEXT    NOT NULL,
    at     BIGINT NOT NULL
);
