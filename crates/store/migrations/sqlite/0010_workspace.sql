-- The agent workspace (issue #6): indexes for its views and reads, saved filters and each
-- user's time zone. Keep in step with ../postgres/0010_workspace.sql.

-- "My open" (assignee = me) and "unassigned" (assignee IS NULL) over unsolved tickets, in
-- creation order: one index range each, with cursor pagination. The status list is the one
-- `Store::tickets` writes literally for `TicketFilter::unsolved`.
CREATE INDEX tickets_unsolved_by_assignee ON tickets (assignee, created_at, id)
    WHERE status IN ('new', 'open', 'pending', 'on_hold');
CREATE INDEX tickets_unsolved_unassigned ON tickets (created_at, id)
    WHERE assignee IS NULL AND status IN ('new', 'open', 'pending', 'on_hold');

-- The ticket page: tickets merged into this one, the customer's survey answers and calls,
-- opportunities logged on the ticket.
CREATE INDEX tickets_by_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX surveys_by_customer ON surveys (customer, at) WHERE customer IS NOT NULL;
CREATE INDEX surveys_by_ticket ON surveys (ticket) WHERE ticket IS NOT NULL;
CREATE INDEX calls_by_customer ON calls (customer) WHERE customer IS NOT NULL;
CREATE INDEX opportunities_by_ticket ON opportunities (ticket, seq) WHERE ticket IS NOT NULL;

-- Macros are configuration events (type 'macro'); the store folds them from the log, found
-- through this small partial index rather than a projection table.
CREATE INDEX events_macros ON events (seq) WHERE type = 'macro';

-- Saved ticket filters of the web UI: the list's query string under a name, private to its
-- owner or shared with the team. A user preference like the language, not domain history:
-- outside the event log, never exported or replayed.
CREATE TABLE web_saved_filters (
    id         TEXT    PRIMARY KEY,   -- random, hex
    owner      TEXT    NOT NULL,      -- the agent who saved it
    name       TEXT    NOT NULL,
    shared     BOOLEAN NOT NULL,
    query      TEXT    NOT NULL,      -- the ticket list's query string (status=open&tag=vip)
    created_at INTEGER  NOT NULL
);
CREATE INDEX web_saved_filters_by_owner ON web_saved_filters (owner, created_at);

-- The time zone each user picked (IANA name); dates on their pages render in it.
CREATE TABLE web_time_zones (
    agent     TEXT PRIMARY KEY,
    time_zone TEXT NOT NULL
);
