"""Independent derivation of the KPIs pinned in crates/cli/tests/import_formats.rs and
reported in docs/data.md, straight from the source files (no Sanjeh code involved).

    python3 crates/cli/tests/data/reference_kpis.py

Italian help-desk log: a case is created at its first row; "Resolve ticket" solves it and
"Closed" closes it (a close of an unsolved case counts as its solve, as in Sanjeh's catalogue);
"Take in charge ticket" or "Wait" after a solve reopens it. Full resolution time = last solve -
creation, over cases solved or closed at the end; percentiles by linear interpolation.
Asterisk queue_log: calls entered (ENTERQUEUE), abandoned (ABANDON, EXITWITHTIMEOUT,
EXITWITHKEY, EXITEMPTY), answered (CONNECT), wait = CONNECT - ENTERQUEUE, service level = answered
within 20 s over entered.
"""
import csv
import datetime
import statistics
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parents[5] / "shared" / "data"


def percentile(values, p):
    k = (len(values) - 1) * p
    f = int(k)
    return values[f] + (values[min(f + 1, len(values) - 1)] - values[f]) * (k - f)


def italian():
    rome = ZoneInfo("Europe/Rome")
    cases = {}
    with open(DATA / "helpdesk_italian" / "helpdesk_full_finale.csv") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            t = datetime.datetime.strptime(row[3], "%Y/%m/%d %H:%M:%S.%f")
            cases.setdefault(row[0], []).append((row[1], t.replace(tzinfo=rome).timestamp()))
    full, reopened, solved = [], 0, 0
    for rows in cases.values():
        created, status, last, reopen = rows[0][1], "new", None, False
        for activity, t in rows:
            if activity in ("Resolve ticket", "Closed"):
                if status not in ("solved", "closed"):
                    last = t
                status = "solved" if activity == "Resolve ticket" else "closed"
            elif activity in ("Take in charge ticket", "Wait"):
                reopen |= status in ("solved", "closed")
                status = "open" if activity != "Wait" else "on_hold"
        if status in ("solved", "closed"):
            solved += 1
            reopened += reopen
            full.append(last - created)
    full.sort()
    print(f"italian: volume {len(cases)}, solved {solved}, reopened {reopened}, "
          f"full resolution mean {sum(full) / len(full)} median {statistics.median(full)} "
          f"p90 {percentile(full, 0.9)}")


def asterisk():
    enter, waits, entered, abandoned = {}, [], 0, 0
    with open(DATA / "asterisk_queue_log_voipreports" / "queue_log.csv") as f:
        for r in csv.DictReader(f):
            event, call, t = r["event"], r["callid"], int(r["date_time"])
            if event == "ENTERQUEUE":
                enter[call] = t
                entered += 1
            elif event == "CONNECT" and call in enter:
                waits.append(t - enter[call])
            elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY"):
                abandoned += 1
    waits.sort()
    print(f"asterisk: entered {entered}, abandoned {abandoned}, answered {len(waits)}, "
          f"speed of answer median {statistics.median(waits)}, "
          f"answered within 20 s {sum(1 for w in waits if w <= 20)}")


italian()
asterisk()
