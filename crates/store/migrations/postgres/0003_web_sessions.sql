-- Web UI sign-in state: sessions, failed sign-ins (for rate limiting) and each user's
-- language. Security state, like credentials: never exported or replayed. Keep in step with
-- ../sqlite/0003_web_sessions.sql.

-- One row per signed-in browser. The cookie holds a random secret; only its SHA-256 is kept.
CREATE TABLE web_sessions (
    hash         BYTEA   PRIMARY KEY,  -- SHA-256 of the session cookie's secret
    agent        TEXT    NOT NULL,     -- the signed-in user (an agent, admin or manager)
    csrf         TEXT    NOT NULL,     -- the token every form of this session must carry
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX web_sessions_by_agent ON web_sessions (agent);

-- Failed sign-ins, per login name, for the sign-in rate limit; old rows are pruned.
CREATE TABLE web_signin_failures (
    login TEXT    NOT NULL,
    at    BIGINT  NOT NULL
);
CREATE INDEX web_signin_failures_by_login ON web_signin_failures (login, at);

-- The language each user picked (en, fa, ru).
CREATE TABLE web_preferences (
    agent    TEXT PRIMARY KEY,
    language TEXT NOT NULL
);
