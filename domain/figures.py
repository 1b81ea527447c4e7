"""Every figure a reader sees, computed in one place (pure): reports, poll results and, later,
the coordinators' dashboard call these functions and nothing else.

Periods
    `semester_bounds("2026-S1")`, `semester_of(date)`, `semesters_between(start, end)`,
    `period_end(text)` (the last day of a measurement's period: "2026-S1", "2026-05", a date, a
    year), `in_period(when, period)`.
Poll answers
    `is_favourable(kind, value)`: 4-5 on a five-point scale, "yes", no or some difficulty (WG);
    `favourable(kind, values)` -> (favourable, answered); `share(part, whole)`.
Indicators
    `value_at(indicator, until)`: the last measurement known on a date (its period ended by then,
    carried forward from an earlier period when the current one has none);
    `progress(baseline, target, value)`; `indicator_status(...)`: judged against the
    indicator's own deadline (its target date, else the project's end) and its own baseline
    (never taken as 0 when missing); `indicator_figure(indicator, project, period, today)`
    bundles them for one report period.
Poll waves
    `baseline_of(followup, polls)`: the one baseline a follow-up is compared with, wherever it is
    shown (the bot's results message, `athar poll results`, reports, dashboard, results PNG);
    `choose_waves(polls, period)`: the follow-up analysed for a period (the one with the most
    people who answered in it) and its baseline.

Statuses: achieved, on_track, behind, not_achieved (the deadline has passed), worse (moved
away from the target), no_baseline, no_target, no_data, in_progress (no dates to judge a pace).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

from domain.records import Indicator, Measurement, Poll, Project, Respondent

GOOD_STATUSES = ("achieved", "on_track")
LATE_STATUSES = ("behind", "not_achieved", "worse")
# how the dashboard and the overview tables count statuses: good (achieved, on track), late
# (behind, missed at the deadline, moved away), unmeasured (no value yet), unjudged (a value, but
# no baseline, target or dates to judge it by)
STATUS_GROUPS = ("good", "late", "unmeasured", "unjudged")
PACE_TOLERANCE = 0.8  # on track: at least 80 % of the way expected by now
SEMESTER = re.compile(r"^(\d{4})-S([12])$")


# -- periods ------------------------------------------------------------------------------------
def semester_bounds(period: str) -> tuple[date, date]:
    m = SEMESTER.match(period or "")
    if not m:
        raise ValueError(f"not a semester: {period!r} (e.g. 2026-S1)")
    y = int(m.group(1))
    return (date(y, 1, 1), date(y, 6, 30)) if m.group(2) == "1" else (date(y, 7, 1), date(y, 12, 31))


def semester_of(d: date) -> str:
    return f"{d.year}-S{1 if d.month <= 6 else 2}"


def semesters_between(start: date, end: date) -> list[str]:
    """Every semester that overlaps start..end, in order."""
    out: list[str] = []
    s = semester_of(start)
    while semester_bounds(s)[0] <= end:
        out.append(s)
        y, h = int(s[:4]), int(s[-1])
        s = f"{y}-S2" if h == 1 else f"{y + 1}-S1"
    return out


def _day(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def in_period(when: date | datetime, period: str | None) -> bool:
    if period is None:
        return True
    start, end = semester_bounds(period)
    return start <= _day(when) <= end


def period_end(text: str | None) -> date | None:
    """The last day of a measurement period written as 2026-S1, 2026-T2 (quarter), 2026-05,
    2026-05-31 or 2026; None when it is none of those."""
    t = (text or "").strip()
    if m := SEMESTER.match(t):
        return semester_bounds(t)[1]
    if m := re.fullmatch(r"(\d{4})-[TQ]([1-4])", t):
        y, q = int(m.group(1)), int(m.group(2))
        return _month_end(y, 3 * q)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
        if 1 <= int(m.group(2)) <= 12:
            return _month_end(int(m.group(1)), int(m.group(2)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        try:
            return date.fromisoformat(t)
        except ValueError:
            return None
    if re.fullmatch(r"\d{4}", t):
        return date(int(t), 12, 31)
    return None


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def measured_on(m: Measurement) -> date:
    """The day a measurement counts for: the end of its period, else the day it was recorded."""
    end = period_end(m.period)
    return end if end is not None else _day(m.recorded_at)


# -- poll answers ---------------------------------------------------------------------------------
FAVOURABLE_KINDS = ("scale5", "yes_no", "wg4")


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def is_favourable(kind: str, value: Any) -> bool | None:
    """Whether an answer is favourable: 4 or 5 on a five-point scale, "yes", "no difficulty" or
    "some difficulty" on a Washington Group question. None when the kind has no favourable side
    or the answer is empty."""
    if value is None or kind not in FAVOURABLE_KINDS:
        return None
    if kind == "yes_no":
        return value == "yes" if value in ("yes", "no") else None
    i = _int(value)
    if i is None:
        return None
    return i >= 4 if kind == "scale5" else i <= 2


def favourable(kind: str, values: Iterable[Any]) -> tuple[int, int]:
    """(favourable answers, answers) among the values (empty ones not counted)."""
    judged = [f for f in (is_favourable(kind, v) for v in values) if f is not None]
    return sum(judged), len(judged)


def share(part: int, whole: int) -> float | None:
    """part / whole in percent, None when whole is 0."""
    return 100.0 * part / whole if whole else None


# -- indicators -----------------------------------------------------------------------------------
def value_at(ind: Indicator, until: date | None) -> Measurement | None:
    """The last measurement counting on or before `until` (None: the last one of all); among
    measurements of the same day the last recorded, then the last listed. A measurement marked
    as the baseline is the starting value (the indicator's baseline), never an observed one."""
    ms = [(measured_on(m), m.recorded_at, k, m) for k, m in enumerate(ind.measurements) if not m.baseline]
    if until is not None:
        ms = [x for x in ms if x[0] <= until]
    return max(ms, key=lambda x: x[:3])[3] if ms else None


def progress(baseline: float | None, target: float | None, value: float | None) -> float | None:
    """The share of the way from the baseline to the target, in percent (negative: moved away);
    None without a baseline, a target or a value, or when they are equal."""
    if baseline is None or target is None or value is None or target == baseline:
        return None
    return 100.0 * (value - baseline) / (target - baseline)


def indicator_status(
    baseline: float | None,
    target: float | None,
    value: float | None,
    at: date,
    start: date | None,
    deadline: date | None,
) -> str:
    """The status of an indicator on a day: against its own deadline and its own baseline."""
    if value is None:
        return "no_data"
    if target is None:
        return "no_target"
    if baseline is None:
        return "no_baseline"
    if target == baseline:
        return "achieved" if value == target else "worse"
    p = progress(baseline, target, value)
    assert p is not None
    if p >= 100:
        return "achieved"
    if p < 0:
        return "worse"
    if deadline is not None and at >= deadline:
        return "not_achieved"
    if start is None or deadline is None or deadline <= start:
        return "in_progress"
    expected = 100.0 * max(0, min((deadline - start).days, (at - start).days)) / (deadline - start).days
    return "on_track" if p >= PACE_TOLERANCE * expected else "behind"


def status_group(status: str) -> str:
    """The group of a status (STATUS_GROUPS)."""
    if status in GOOD_STATUSES:
        return "good"
    if status in LATE_STATUSES:
        return "late"
    return "unmeasured" if status == "no_data" else "unjudged"


@dataclass(frozen=True)
class IndicatorFigure:
    """One indicator in one report period."""

    indicator: Indicator
    measurement: Measurement | None  # the value known at the end of the period
    value: float | None
    carried: bool  # the value comes from an earlier period than the report's
    progress: float | None
    status: str
    deadline: date | None
    at: date

    @property
    def good(self) -> bool:
        return self.status in GOOD_STATUSES

    @property
    def measured(self) -> bool:
        return self.measurement is not None

    @property
    def group(self) -> str:
        return status_group(self.status)


def report_day(period: str | None, today: date) -> date:
    """The day a report judges on: the end of its semester, or today when that is earlier (and
    for a final report)."""
    return min(semester_bounds(period)[1], today) if period else today


def indicator_figure(ind: Indicator, project: Project, period: str | None, today: date) -> IndicatorFigure:
    at = report_day(period, today)
    m = value_at(ind, at)
    start = ind.baseline_date or project.period_start
    deadline = ind.target_date or project.period_end
    value = m.value if m else None
    carried = m is not None and period is not None and not in_period(measured_on(m), period)
    return IndicatorFigure(
        indicator=ind,
        measurement=m,
        value=value,
        carried=carried,
        progress=progress(ind.baseline_value, ind.target_value, value),
        status=indicator_status(ind.baseline_value, ind.target_value, value, at, start, deadline),
        deadline=deadline,
        at=at,
    )


# -- poll waves -----------------------------------------------------------------------------------
P = TypeVar("P")


@dataclass(frozen=True)
class WaveChoice(Generic[P]):
    baseline: P | None
    followup: P | None


def baseline_of(followup: Poll, polls: Iterable[tuple[P, Poll, int]]) -> P | None:
    """The baseline a follow-up poll is compared with, from (item, poll, consenting respondents)
    triples; the one rule every reader of a follow-up uses. Among the baseline polls of the
    follow-up's project created before it (by creation time, then id), the one with the most
    consenting respondents; ties: the newest. When none has answers yet, the newest of them (so
    the official reads "compared with baseline N: 0 linked" rather than nothing). None for a
    poll that is not a follow-up, or without an earlier baseline.

    A new follow-up copies the questions of the baseline this rule gives it at its creation
    (`bot.services.polls.create_poll`), so the two waves share their questions."""
    if followup.wave != "follow-up":
        return None

    def created(p: Poll) -> tuple[datetime, int]:
        return (p.created_at, p.id or 0)

    earlier = [
        (item, poll, n)
        for item, poll, n in polls
        if poll.wave == "baseline"
        and poll.project_id == followup.project_id
        and created(poll) <= created(followup)
    ]
    if not earlier:
        return None
    return max(earlier, key=lambda c: (c[2], *created(c[1])))[0]


def choose_waves(polls: Sequence[tuple[P, Poll, Sequence[Respondent]]], period: str | None) -> WaveChoice[P]:
    """The waves a period is about, from (item, poll, respondents) triples: the follow-up with
    the most people who consented in the period (ties: the newest), and its baseline
    (`baseline_of`, over all the baseline's answers), None when that baseline has no answers (a
    report has no figures to show for it). Without a follow-up in the period, the baseline with
    the most people in the period. A poll nobody answered in the period is not chosen, whatever
    its date."""

    def n_in(rs: Sequence[Respondent]) -> int:
        return sum(1 for r in rs if r.consent and in_period(r.consent_at, period))

    def best(
        cands: list[tuple[P, Poll, Sequence[Respondent]]], count: Callable[[Sequence[Respondent]], int]
    ) -> Any:
        cands = [c for c in cands if count(c[2]) > 0]
        if not cands:
            return None
        return max(cands, key=lambda c: (count(c[2]), c[1].created_at, c[1].id or 0))

    follow = best([c for c in polls if c[1].wave == "follow-up"], n_in)
    if follow is None:
        base = best([c for c in polls if c[1].wave == "baseline"], n_in)
        return WaveChoice(base[0] if base else None, None)
    return WaveChoice(baseline_with_answers(follow[1], polls), follow[0])


def baseline_with_answers(followup: Poll, polls: Iterable[tuple[P, Poll, Sequence[Respondent]]]) -> P | None:
    """`baseline_of` from (item, poll, respondents) triples, None when the baseline it gives has no
    consenting respondent: what reports and the dashboard compare a follow-up with."""
    counted = [(item, poll, sum(1 for r in rs if r.consent)) for item, poll, rs in polls]
    return baseline_of(followup, [c for c in counted if c[2] > 0])
