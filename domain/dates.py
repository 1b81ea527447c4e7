"""Dates typed in a chat, resolved against today (pure: the words are nlu.dates' business).

- `parse_day`: digits only — 2026-03-15, 15/03/2026, 03/2026, 2026-03, 2026 (Latin or
  Arabic-Indic digits); a month or a year alone means its first day, or its last with `end`.
- `resolve`: the value of an NLU `date` entity ("2027-02", "end:--03", "Y+1"...: nlu/dates.py)
  to a day. A month without a year is the next such month for a future date (a target), the
  last one for a past date (a baseline).
- `add_months`: the last day of the month n months after a day ("in 12 months").
- `period_of`: the period a measurement is about ("2026-03", "2026") from such a value ("mars",
  "le mois dernier", "l3am li fat").
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from domain.text import ASCII_DIGITS


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(d: date, months: int) -> date:
    """The last day of the month `months` after `d` (a target date "in 12 months")."""
    y, m = divmod(d.month - 1 + months, 12)
    return month_end(d.year + y, m + 1)


def _in_month(year: int, month: int, where: str) -> date:
    if where == "start":
        return date(year, month, 1)
    if where == "mid":
        return date(year, month, 15)
    return month_end(year, month)


def parse_day(text: str, today: date | None = None, *, end: bool = False) -> date | None:
    """A date written in digits (see the module doc); None when there is none or it is not a
    real day (31/02/2026)."""
    t = (text or "").translate(ASCII_DIGITS).strip()
    where = "end" if end else "start"
    try:
        m = re.search(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", t)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.search(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)", t)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = re.search(r"(?<!\d)(\d{1,2})[/.-](\d{4})(?!\d)", t)
        if m:
            return _in_month(int(m.group(2)), int(m.group(1)), where)
        m = re.search(r"(?<!\d)(\d{4})-(\d{1,2})(?!\d)", t)
        if m:
            return _in_month(int(m.group(1)), int(m.group(2)), where)
        m = re.search(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)", t)
        if m:
            y = int(m.group(1))
            return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError:  # 31/02/2026 and the like
        return None
    return None


def resolve(value: str, today: date, *, end: bool = False, past: bool = False) -> date | None:
    """The day an NLU `date` value stands for (None if it is not one). `end`: a month or a year
    means its last day unless the person said "début"/"mi-"; `past`: a month without a year is
    the last one before today (a baseline), else the next one (a target)."""
    where, _, v = value.rpartition(":")
    where = where or ("end" if end else "start")
    try:
        if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", v):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := re.fullmatch(r"(\d{4})-(\d\d)", v):
            return _in_month(int(m.group(1)), int(m.group(2)), where)
        if m := re.fullmatch(r"(\d{4})", v):
            y = int(m.group(1))
            return {"start": date(y, 1, 1), "mid": date(y, 7, 1)}.get(where, date(y, 12, 31))
        if m := re.fullmatch(r"--(\d\d)(?:-(\d\d))?", v):
            month = int(m.group(1))
            year = today.year
            if past and month > today.month:
                year -= 1
            if not past and month < today.month:
                year += 1
            if m.group(2):
                return date(year, month, int(m.group(2)))
            return _in_month(year, month, where)
        if m := re.fullmatch(r"Y([+-]\d)", v):
            y = today.year + int(m.group(1))
            return {"start": date(y, 1, 1), "mid": date(y, 7, 1)}.get(where, date(y, 12, 31))
        if m := re.fullmatch(r"M([+-]\d)", v):
            first = add_months(today, int(m.group(1)))
            return _in_month(first.year, first.month, where)
    except ValueError:
        return None
    return None


def read_date(
    text: str, dates: list[str], durations: list[float], today: date, *, end: bool = False, past: bool = False
) -> tuple[date | None, bool]:
    """The day a typed answer gives: a date said in words (NLU `date` values), else a duration
    ("dans 12 mois", "f 6 chhor"; before today when `past`), else digits. Also says whether it
    came from words (then it is echoed back for confirmation)."""
    for v in dates:
        day = resolve(str(v), today, end=end, past=past)
        if day is not None:
            return day, True
    for d in durations:
        try:
            months = int(round(float(d)))
        except (TypeError, ValueError):
            continue
        if 0 < months <= 240:
            if past:
                y, m = divmod(today.month - 1 - months, 12)
                return date(today.year + y, m + 1, 1), True
            return add_months(today, months), True
    return parse_day(text, today, end=end), False


def period_of(value: str, today: date) -> str | None:
    """The measurement period (a month "YYYY-MM" or a year "YYYY") an NLU `date` value names; a
    month without a year is the last one (a value measured, not planned). None if it is none."""
    _, _, v = value.rpartition(":")
    if re.fullmatch(r"\d{4}|Y[+-]\d", v):
        day = resolve(v, today, past=True)
        return f"{day.year}" if day is not None else None
    if re.fullmatch(r"\d{4}-\d\d(?:-\d\d)?|--\d\d(?:-\d\d)?|M[+-]\d", v):
        day = resolve(v, today, past=True)
        return f"{day.year}-{day.month:02d}" if day is not None else None
    return None
