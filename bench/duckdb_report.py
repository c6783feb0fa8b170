#!/usr/bin/env python3
"""The ticket KPIs of Sanjeh's full report, computed by DuckDB on the same demo data.

Usage: bench/duckdb_report.py FACTS_CSV [REPEAT]

FACTS_CSV is `sanjeh export --format facts` of a demo store: one row per ticket with its metric
facts (docs/metrics.md). The data is loaded into a DuckDB table first (not timed); then, warm,
the same KPIs as `sanjeh report --from 2025-01-01 --to 2026-01-01 --by "month,channel;agent"`
computes for tickets are computed for the whole year, by month x channel and by agent:
ticket_volume, solved_tickets, resolution_rate, first_reply_time, first_resolution_time,
full_resolution_time, handle_time, requester_wait_time (mean, median, p90 with linear
interpolation, n), reopen_rate, fcr_rate and replies_per_ticket. Prints the timings in ms.
"""
import statistics
import sys
import time

import duckdb

FROM, TO = "2025-01-01", "2026-01-01"

DURATIONS = {
    "first_reply_time": ("first_reply_s", "first_reply_at"),
    "first_resolution_time": ("first_resolution_s", "first_solved_at"),
    "full_resolution_time": ("full_resolution_s", "last_solved_at"),
    "handle_time": ("handle_s", "last_solved_at"),
    "requester_wait_time": ("requester_wait_s", "last_solved_at"),
}


def kpi_sql(keys: str) -> str:
    """All ticket KPIs grouped by `keys` ('' for the whole period), as one query."""
    group = f"GROUP BY {keys}" if keys else ""
    select_keys = f"{keys}," if keys else ""
    in_period = lambda col: f"{col} >= TIMESTAMP '{FROM}' AND {col} < TIMESTAMP '{TO}'"
    parts = [
        f"count(*) FILTER (WHERE {in_period('created_at')}) AS ticket_volume",
        f"count(*) FILTER (WHERE {in_period('last_solved_at')} AND merged_into IS NULL) AS solved_tickets",
        f"count(*) FILTER (WHERE {in_period('created_at')} AND last_solved_at IS NOT NULL AND merged_into IS NULL)"
        f" / nullif(count(*) FILTER (WHERE {in_period('created_at')} AND merged_into IS NULL), 0) AS resolution_rate",
        f"avg((reopens > 0)::INT) FILTER (WHERE {in_period('last_solved_at')} AND merged_into IS NULL) AS reopen_rate",
        f"avg((agent_replies = 1 AND reopens = 0)::INT) FILTER (WHERE {in_period('last_solved_at')} AND merged_into IS NULL) AS fcr_rate",
        f"avg(agent_replies) FILTER (WHERE {in_period('last_solved_at')} AND merged_into IS NULL) AS replies_per_ticket",
    ]
    for name, (col, at) in DURATIONS.items():
        cond = f"{in_period(at)} AND {col} IS NOT NULL"
        if at != "first_reply_at":
            cond += " AND merged_into IS NULL"
        parts += [
            f"avg({col}) FILTER (WHERE {cond}) AS {name}_mean",
            f"quantile_cont({col}, 0.5) FILTER (WHERE {cond}) AS {name}_median",
            f"quantile_cont({col}, 0.9) FILTER (WHERE {cond}) AS {name}_p90",
            f"count({col}) FILTER (WHERE {cond}) AS {name}_n",
        ]
    return f"SELECT {select_keys} {', '.join(parts)} FROM tickets {group}"


def main() -> None:
    path = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(
        f"""CREATE TABLE tickets AS SELECT *, strftime(created_at, '%Y-%m') AS month,
            coalesce(solved_by, assignee) AS agent FROM read_csv_auto('{path}', header=true)"""
    )
    rows = con.execute("SELECT count(*) FROM tickets").fetchone()[0]
    print(f"loaded {rows} tickets into DuckDB {duckdb.__version__} in {time.perf_counter() - started:.1f} s")
    queries = [kpi_sql(""), kpi_sql("month, channel"), kpi_sql("agent")]
    times = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        for q in queries:
            con.execute(q).fetchall()
        elapsed = (time.perf_counter() - t0) * 1000
        if i > 0:  # the first run warms up
            times.append(elapsed)
    times.sort()
    print(f"duckdb ticket KPIs (year, by month x channel, by agent) x{repeat}: "
          f"min {times[0]:.1f} ms, median {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
