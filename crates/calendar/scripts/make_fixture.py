#!/usr/bin/env python3
"""Generate crates/calendar/tests/fixtures/business_time.jsonl with an independent reference,
Python's `businesstimedelta` (with pytz's tz database).

    pip install businesstimedelta pytz holidays
    python3 crates/calendar/scripts/make_fixture.py

Lines:
  {"schedule": ID, "definition": <sanjeh Schedule JSON>}
  {"s": ID, "op": "between", "a": EPOCH, "b": EPOCH, "want": SECONDS}
  {"s": ID, "op": "add", "a": EPOCH, "n": SECONDS, "want": EPOCH}

How each Sanjeh schedule is put to businesstimedelta, and what is kept out:
* `24:00` and a shift's part before midnight end at 23:59:59.999999 (datetime.time has no
  24:00), and results are rounded to the second: each such block is 1 µs short.
  businesstimedelta's `difference` truncates to whole seconds, so the script uses its loop
  without that truncation (`difference` below).
* An overnight shift (Fri 22:00 - Sat 06:00) is two rules, Fri 22:00-24:00 and Sat 00:00-06:00:
  businesstimedelta's own overnight rule skips a shift already under way after midnight.
* businesstimedelta blocks whole local days for a holiday, so a holiday the day after a night
  shift cuts the shift short, while in Sanjeh a shift belongs to the day it starts on. The
  night-shift schedule therefore gets no holidays on the days a shift touches (Fri, Sat).
* A holiday is blocked as local midnight + 24 h, which is not the local day on a 23 h or 25 h
  DST day; 24/7 schedules (the only ones working at midnight) get no holidays on such days.
* pytz's localize() picks the later of two repeated local times, jiff's `compatible` the
  earlier. No interval in these schedules starts or ends in a repeated hour, so both agree.
* businesstimedelta needs a holiday within five years after every instant it looks at; every
  schedule that has holidays has them in every year of its range and past its end.
* Working days (Russia's transferred Saturdays) are a small rule class added here
  (`DatesRule`), since businesstimedelta has only weekday rules.
"""
import datetime as dt
import importlib.metadata
import json
import pathlib
import random

import businesstimedelta as btd
import holidays
import pytz
from holidays.calendars.persian import _Persian

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "business_time.jsonl"
END_OF_DAY = dt.time(23, 59, 59, 999999)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CASES_PER_SCHEDULE = 1000

rng = random.Random(20261122)


class DatesRule(btd.rules.Rule):
    """Working time start-end on each of the given dates (Sanjeh's working days)."""

    def __init__(self, dates, start, end, tz):
        super().__init__(tz=tz, time_off=False)
        self.dates = sorted(dates)
        self.start, self.end = start, end

    def next(self, when):
        local = when.astimezone(self.tz)
        for d in self.dates:
            if d < local.date():
                continue
            s = self.tz.localize(dt.datetime.combine(d, self.start))
            e = self.tz.localize(dt.datetime.combine(d, self.end))
            if e <= when:
                continue
            return (max(s, when), e)
        far = self.tz.localize(dt.datetime(2100, 1, 1))
        return (far, far + dt.timedelta(hours=1))


def difference(rule, start, end):
    """`Rule.difference` as businesstimedelta writes it, less its final truncation to whole
    seconds, which would turn the 1 µs short blocks above into a whole second."""
    total, when = dt.timedelta(), start
    while True:
        period_start, period_end = rule.next(when)
        if period_end > end:
            return total + max(end - period_start, dt.timedelta())
        when = period_end
        total += period_end - period_start


def t(text):
    return dt.time.fromisoformat(text) if text != "24:00" else END_OF_DAY


def weekly(days, start, end):
    return [{"day": DAY_NAMES[d], "start": start, "end": end} for d in days]


def day_length_is_24h(tz, day):
    a = tz.localize(dt.datetime.combine(day, dt.time(0)))
    b = tz.localize(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)))
    return (b - a) == dt.timedelta(days=1)


def random_holidays(tz, first_year, last_year, per_year, avoid_weekdays=(), whole_days_only=False):
    out = set()
    for year in range(first_year, last_year + 1):
        while sum(1 for d in out if d.year == year) < per_year:
            d = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            if d.weekday() in avoid_weekdays:
                continue
            if whole_days_only and not day_length_is_24h(tz, d):
                continue
            out.add(d)
    return sorted(out)


def schedules():
    """(id, sanjeh schedule, businesstimedelta rules, query range as (first, last) dates)."""
    out = []

    # Iran: Sat-Wed 08-16, Thu 08-13, Tehran (DST until 2022), Iran's national holidays.
    tz = pytz.timezone("Asia/Tehran")
    ir = holidays.country_holidays("IR", years=range(2020, 2031))
    out.append((
        "tehran_office",
        {"time_zone": "Asia/Tehran",
         "intervals": weekly([SAT, SUN, MON, TUE, WED], "08:00", "16:00") + weekly([THU], "08:00", "13:00"),
         "national_holidays": ["IR"]},
        [btd.WorkDayRule(t("08:00"), t("16:00"), [SAT, SUN, MON, TUE, WED], tz=tz),
         btd.WorkDayRule(t("08:00"), t("13:00"), [THU], tz=tz),
         btd.HolidayRule(set(ir.keys()), tz=tz)],
        (dt.date(2020, 1, 1), dt.date(2025, 6, 30)),
    ))

    # Nowruz (1-4 Farvardin) and Nature Day (13 Farvardin) as yearly Jalali holidays; the
    # reference gets their Gregorian dates from `holidays`' own Persian calendar.
    # `_Persian` takes the Gregorian year in which the Jalali year begins (jy + 621).
    persian = _Persian()
    jalali_days = set()
    for gy in range(2006, 2036):
        jalali_days.update(persian.persian_to_gregorian(gy, 1, d) for d in (1, 2, 3, 4))
        if gy >= 1390 + 621:
            jalali_days.add(persian.persian_to_gregorian(gy, 1, 13))
    out.append((
        "tehran_nowruz",
        {"time_zone": "Asia/Tehran",
         "intervals": weekly([SAT, SUN, MON, TUE, WED], "08:00", "16:00") + weekly([THU], "08:00", "13:00"),
         "holidays": [
             {"name": "Nowruz", "date": "01-01", "end": "01-04", "calendar": "jalali", "yearly": True},
             {"name": "Nature Day", "date": "1390-01-13", "calendar": "jalali", "yearly": True}]},
        [btd.WorkDayRule(t("08:00"), t("16:00"), [SAT, SUN, MON, TUE, WED], tz=tz),
         btd.WorkDayRule(t("08:00"), t("13:00"), [THU], tz=tz),
         btd.HolidayRule(jalali_days, tz=tz)],
        (dt.date(2010, 1, 1), dt.date(2026, 12, 31)),
    ))

    # Russia 2020-2026: Mon-Fri 09-18, national holidays and transferred working Saturdays.
    tz = pytz.timezone("Europe/Moscow")
    ru = holidays.country_holidays("RU", years=range(2020, 2031))
    workdays = sorted(d for d in ru.weekend_workdays if 2020 <= d.year <= 2030)
    out.append((
        "moscow_office",
        {"time_zone": "Europe/Moscow", "intervals": weekly(range(5), "09:00", "18:00"),
         "national_holidays": ["RU"]},
        [btd.WorkDayRule(t("09:00"), t("18:00"), list(range(5)), tz=tz),
         DatesRule(workdays, t("09:00"), t("18:00"), tz),
         btd.HolidayRule(set(ru.keys()), tz=tz)],
        (dt.date(2020, 1, 1), dt.date(2026, 6, 30)),
    ))

    # Moscow across its 2011 (permanent +04) and 2014 (back to +03) rule changes, with an
    # explicit working Saturday and holidays entered by hand.
    hs = random_holidays(tz, 2009, 2018, 4, avoid_weekdays=(SAT, SUN))
    extra = [dt.date(2011, 3, 5), dt.date(2014, 10, 25)]  # Saturdays
    out.append((
        "moscow_2010s",
        {"time_zone": "Europe/Moscow", "intervals": weekly(range(5), "09:00", "18:00"),
         "holidays": [{"date": d.isoformat()} for d in hs],
         "working_days": [{"date": d.isoformat(), "intervals": [{"start": "10:00", "end": "15:00"}]} for d in extra]},
        [btd.WorkDayRule(t("09:00"), t("18:00"), list(range(5)), tz=tz),
         DatesRule(extra, t("10:00"), t("15:00"), tz),
         btd.HolidayRule(set(hs), tz=tz)],
        (dt.date(2010, 1, 1), dt.date(2015, 12, 31)),
    ))

    # New York: split day 09-12 and 13-17, US federal holidays, DST.
    tz = pytz.timezone("America/New_York")
    us = holidays.country_holidays("US", years=range(2018, 2032))
    out.append((
        "new_york_split",
        {"time_zone": "America/New_York",
         "intervals": weekly(range(5), "09:00", "12:00") + weekly(range(5), "13:00", "17:00"),
         "holidays": [{"date": d.isoformat()} for d in sorted(us.keys())]},
        [btd.WorkDayRule(t("09:00"), t("12:00"), list(range(5)), tz=tz),
         btd.WorkDayRule(t("13:00"), t("17:00"), list(range(5)), tz=tz),
         btd.HolidayRule(set(us.keys()), tz=tz)],
        (dt.date(2019, 1, 1), dt.date(2026, 12, 31)),
    ))

    # Berlin: Mon-Fri 09-17 plus a Friday night shift to Saturday 06:00.
    tz = pytz.timezone("Europe/Berlin")
    hs = random_holidays(tz, 2018, 2032, 5, avoid_weekdays=(FRI, SAT))
    out.append((
        "berlin_night_shift",
        {"time_zone": "Europe/Berlin",
         "intervals": weekly(range(5), "09:00", "17:00")
         + [{"day": "friday", "start": "22:00", "end": "06:00", "crosses_midnight": True}],
         "holidays": [{"date": d.isoformat()} for d in hs]},
        [btd.WorkDayRule(t("09:00"), t("17:00"), list(range(5)), tz=tz),
         btd.WorkDayRule(t("22:00"), END_OF_DAY, [FRI], tz=tz),
         btd.WorkDayRule(t("00:00"), t("06:00"), [SAT], tz=tz),
         btd.HolidayRule(set(hs), tz=tz)],
        (dt.date(2019, 1, 1), dt.date(2026, 12, 31)),
    ))

    # Berlin 24/7 with holidays (never on a DST day, see above).
    hs = random_holidays(tz, 2018, 2032, 3, whole_days_only=True)
    out.append((
        "berlin_always",
        {"time_zone": "Europe/Berlin", "intervals": weekly(range(7), "00:00", "24:00"),
         "holidays": [{"date": d.isoformat()} for d in hs]},
        [btd.WorkDayRule(t("00:00"), END_OF_DAY, list(range(7)), tz=tz),
         btd.HolidayRule(set(hs), tz=tz)],
        (dt.date(2019, 1, 1), dt.date(2026, 12, 31)),
    ))
    return out


def dst_days(tz, first, last):
    days = []
    d = first
    while d <= last:
        if not day_length_is_24h(tz, d):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def random_instant(tz, first, last, special_days):
    if special_days and rng.random() < 0.3:
        day = rng.choice(special_days)
        local = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=rng.randrange(86400))
        ts = tz.localize(local).timestamp()
    else:
        a = tz.localize(dt.datetime.combine(first, dt.time(0))).timestamp()
        b = tz.localize(dt.datetime.combine(last, dt.time(0))).timestamp()
        ts = rng.randrange(int(a), int(b))
    if rng.random() < 0.15:
        ts -= ts % 3600  # on the hour: openings and closings
    return int(ts)


def span():
    r = rng.random()
    if r < 0.05:
        return 0
    if r < 0.5:
        return rng.randrange(3 * 86400)
    if r < 0.85:
        return rng.randrange(30 * 86400)
    return rng.randrange(120 * 86400)


def business_seconds():
    r = rng.random()
    if r < 0.05:
        return 0
    if r < 0.5:
        return rng.randrange(1, 10 * 3600)
    if r < 0.85:
        return rng.randrange(1, 100 * 3600)
    return rng.randrange(1, 1000 * 3600)


def main():
    lines = []
    for sid, definition, rules, (first, last) in schedules():
        tz = rules[0].tz
        rule = btd.Rules(rules)
        lines.append(json.dumps({"schedule": sid, "definition": definition}, separators=(",", ":")))
        special = dst_days(tz, first, last)
        for i in range(CASES_PER_SCHEDULE):
            a = random_instant(tz, first, last, special)
            start = dt.datetime.fromtimestamp(a, pytz.utc)
            if i % 2 == 0:
                b = a + span()
                end = dt.datetime.fromtimestamp(b, pytz.utc)
                want = round(difference(rule, start, end).total_seconds()) if b > a else 0
                lines.append(json.dumps({"s": sid, "op": "between", "a": a, "b": b, "want": want}, separators=(",", ":")))
            else:
                n = business_seconds()
                got = start + btd.BusinessTimeDelta(rule, seconds=n)
                want = round(got.timestamp())
                lines.append(json.dumps({"s": sid, "op": "add", "a": a, "n": n, "want": want}, separators=(",", ":")))
        print(sid, "done", flush=True)
    header = {"generated_by": "scripts/make_fixture.py",
              "businesstimedelta": importlib.metadata.version("businesstimedelta"), "pytz": pytz.__version__, "holidays": holidays.__version__}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(header) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(lines)} lines")


if __name__ == "__main__":
    main()
