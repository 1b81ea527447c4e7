"""Dialogue "measures": record a value for an indicator and see the progress.

Pick an indicator of the project; say whether the value is the starting value (baseline, asked
when the indicator has none yet) or a follow-up; the period, the value, then the value of each
group the indicator is disaggregated by (sex, age band, disability, migrant status: the numbers
in the order shown, or skipped) and the source. After the summary the bot shows baseline →
latest → target and how much of the way is done (domain.effects.progress).

A baseline measurement also becomes the indicator's baseline (value, date, source), so the
logframe and the SMART check see it; there is one per indicator. Opened from "my projects" with
`edit_data`, the dialogue mends a recorded measurement instead of adding one.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.buttons import IndicatorPick, PeriodPick, YesNo
from domain.dialogue import (
    EDIT,
    SUMMARY,
    Answer,
    Ctx,
    Dialogue,
    Invalid,
    Option,
    Start,
    Step,
)
from domain.dates import period_of
from domain.effects import period_key, progress
from domain.messages import Msg, Reply, msg
from domain.languages import LANG_TAGS
from domain.text import ASCII_DIGITS, without_marks
from domain.records import Indicator, Measurement, Project

from bot.handlers import Handlers, MenuEntry, with_moment
from bot.handlers._coaching import (
    NextChoice,
    check_project_on_start,
    current_project,
    entity_values,
    fmt_number,
    next_dialogue,
    today,
)
from bot.handlers._projects import after_edit, choose_project_step, editing, mended

DIALOGUE = "measures"
NEXT = "measures_next"
KEEP = "keep"
BAR = 10
BASE_YES, BASE_NO = "base:yes", "base:no"
# the groups of each disaggregation, in the order their values are typed (DOMAIN §3: age bands)
GROUPS: dict[str, tuple[str, ...]] = {
    "sex": ("female", "male"),
    "age_band": ("0-14", "15-17", "18-24", "25-34", "35-59", "60+"),
    "disability": ("yes", "no"),
    "migrant_status": ("yes", "no"),
}
_NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)?(?![\w])")


def _d(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data


def _indicators(ctx: Ctx) -> list[tuple[Any, Any]]:
    project = current_project(ctx)
    return [(e, i) for e in (project.effects if project else []) for i in e.indicators]


def _indicator(ctx: Ctx) -> Any:
    iid = _d(ctx).get("indicator_id")
    return next((i for _, i in _indicators(ctx) if i.id == iid), None)


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _indicator_options(ctx: Ctx) -> list[Option]:
    opts = [
        Option(IndicatorPick(i.id).encode(), msg("common.raw", text=_short(i.label)))
        for _, i in _indicators(ctx)
        if i.id is not None
    ]
    if not opts:
        opts.append(Option("go:indicators", msg("measures.choose_indicators")))
    return opts


def _indicator_prompt(ctx: Ctx) -> Msg:
    return msg("measures.ask_indicator" if _indicators(ctx) else "measures.no_indicators")


def _parse_indicator(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice == "go:indicators":
        return Start("indicators", {"project_id": _d(ctx).get("project_id")})
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_indicator_options(ctx))))
    pick = IndicatorPick.read(choice)
    iid = pick.id if pick is not None else None
    if iid is None or not any(i.id == iid for _, i in _indicators(ctx)):
        return Invalid(msg("common.button_expired"))
    return iid


# -- baseline or follow-up ----------------------------------------------------------------------
def _review(ctx: Ctx) -> bool:
    return ctx.state.step in (SUMMARY, EDIT)


def _ask_baseline(ctx: Ctx) -> bool:
    """Asked when the indicator has no starting value yet; always listed in the summary."""
    if _review(ctx):
        return True
    ind = _indicator(ctx)
    return ind is not None and ind.baseline_value is None


def _baseline_options(ctx: Ctx) -> list[Option]:
    return [Option(BASE_YES, msg("measures.baseline_yes")), Option(BASE_NO, msg("measures.baseline_no"))]


def _parse_baseline(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=2))
    return "yes" if choice == BASE_YES else "no"


def _show_baseline(ctx: Ctx, value: Any) -> Msg:
    return msg("measures.baseline_shown_yes" if value == "yes" else "measures.baseline_shown_no")


# -- period and value ------------------------------------------------------------------------------
def _period_options(ctx: Ctx) -> list[Option]:
    now = today()
    semester = f"{now.year}-S{1 if now.month <= 6 else 2}"
    month = f"{now.year}-{now.month:02d}"
    return [
        Option(PeriodPick(month).encode(), msg("measures.period_month", period=month)),
        Option(PeriodPick(semester).encode(), msg("measures.period_semester", period=semester)),
        Option(PeriodPick(str(now.year)).encode(), msg("measures.period_year", period=str(now.year))),
    ]


def _parse_period(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is not None:
        period = PeriodPick.read(choice)
        return period.code if period is not None else Invalid(msg("common.button_expired"))
    if answer.button:
        return Invalid(msg("common.button_expired"))
    p = (answer.text or "").strip().upper().replace(" ", "")
    key = period_key(p)
    if key == (0, 0):  # a month or a year in words: "mars", "le mois dernier", "l3am li fat"
        said = [x for v in entity_values(answer, "date") for x in [period_of(str(v), today())] if x]
        if said:
            p, key = said[0], period_key(said[0])
            ctx.understood(p)
    if key == (0, 0) or key[0] > today().year + 1:
        return Invalid(msg("measures.period_invalid"))
    return p


def _value_prompt(ctx: Ctx) -> list[Msg]:
    ind = _indicator(ctx)
    lines = [msg("measures.ask_value", label=ind.label if ind else "")]
    if ind is not None and ind.unit == "percent":
        lines.append(msg("indicators.unit_hint.percent"))
    return lines


def _check(ctx: Ctx, v: float) -> Any:
    ind = _indicator(ctx)
    unit = ind.unit if ind is not None else None
    if unit == "percent" and not 0 <= v <= 100:
        return Invalid(msg("indicators.percent_range"))
    if unit == "yes_no" and v not in (0, 1):
        return Invalid(msg("indicators.yes_no_values"))
    return v


def _parse_value(ctx: Ctx, answer: Answer, number: Any) -> Any:
    if answer.button:
        pressed = YesNo.read(answer.button)
        return (1.0 if pressed.yes else 0.0) if pressed is not None else Invalid(msg("common.button_expired"))
    if number is None:
        return Invalid(msg("common.need_number"))
    return _check(ctx, float(number))


def _value_options(ctx: Ctx) -> list[Option]:
    ind = _indicator(ctx)
    if ind is not None and ind.unit == "yes_no":
        return [
            Option(YesNo(True).encode(), msg("indicators.answer_yes")),
            Option(YesNo(False).encode(), msg("indicators.answer_no")),
        ]
    return []


# -- disaggregated values -----------------------------------------------------------------------
def group_label(dimension: str, group: str) -> Msg:
    if dimension == "age_band":
        return msg("measures.group.age_band", band=group)
    return msg(f"measures.group.{dimension}.{group}")


def _listed(ctx: Ctx, items: list[Msg]) -> str:
    return ctx.render(msg("measures.group.sep")).join(ctx.render(m) for m in items)


def _order(ctx: Ctx, dimension: str) -> str:
    """The groups of a disaggregation, in the order their values are typed."""
    return _listed(ctx, [group_label(dimension, g) for g in GROUPS[dimension]])


def _dis_when(dimension: str):
    def when(ctx: Ctx) -> bool:
        ind = _indicator(ctx)
        return ind is not None and dimension in ind.disaggregation and ind.unit != "yes_no"

    return when


def _dis_prompt(dimension: str):
    def prompt(ctx: Ctx) -> list[Msg]:
        example = " ".join(str(3 * k + 4) for k in range(len(GROUPS[dimension])))
        return [
            msg(f"measures.ask_by.{dimension}"),
            msg(
                "measures.ask_by_order",
                n=len(GROUPS[dimension]),
                order=_order(ctx, dimension),
                example=example,
            ),
        ]

    return prompt


def _plain(text: str) -> str:
    return without_marks(text).casefold()


_ARTICLE = re.compile("^(?:" + chr(0x0627) + chr(0x0644) + r"|l(?=\w{3}))")  # al-, l-


def _stem(word: str) -> str:
    return _ARTICLE.sub("", word)


def _named(ctx: Ctx, dimension: str, text: str) -> tuple[dict[str, float] | None, bool]:
    """Values typed with their group's name, in any order and any variant ("hommes 30 femmes
    12", "العيالات 12 الرجال 30"): (the values, True) when every group is named once with a
    number; (None, True) when some are named but not all; (None, False) when none is."""
    catalog = ctx.services.catalog
    names: list[tuple[str, str]] = []
    for g in GROUPS[dimension]:
        for lang in LANG_TAGS:
            for word in _plain(catalog.render_msg(group_label(dimension, g), lang)).split():
                if len(word) >= 3:
                    names.append((_stem(word), g))

    def group_of(word: str) -> str | None:
        w = _stem(word)
        hits = {
            g
            for n, g in names
            if n == w or (len(w) >= 4 and (n.startswith(w) or w.startswith(n)) and abs(len(n) - len(w)) <= 2)
        }
        return hits.pop() if len(hits) == 1 else None

    pairs = re.findall(r"([^\W\d_][\w']*)\s*[:=]?\s*(\d+(?:[.,]\d+)?)", _plain(text))
    mentioned = any(group_of(w) for w in re.findall(r"[^\W\d_][\w']*", _plain(text)))
    values: dict[str, float] = {}
    for word, number in pairs:
        group = group_of(word)
        if group is not None:
            if group in values:
                return None, True
            values[group] = float(number.replace(",", "."))
    complete = set(values) == set(GROUPS[dimension]) and len(_NUMBER.findall(text)) == len(values)
    if not complete:
        return None, mentioned
    return {g: values[g] for g in GROUPS[dimension]}, True


def _dis_parse(dimension: str):
    def parse(ctx: Ctx, answer: Answer, txt: Any) -> Any:
        groups = GROUPS[dimension]
        if answer.button:
            return Invalid(msg("common.button_expired"))
        typed = str(txt or "").translate(ASCII_DIGITS)
        named, mentioned = _named(ctx, dimension, typed) if dimension != "age_band" else (None, False)
        if named is None:
            found = _NUMBER.findall(typed)
            if mentioned or len(found) != len(groups):
                return Invalid(msg("measures.dis_invalid", n=len(groups), order=_order(ctx, dimension)))
            named = dict(zip(groups, (float(v.replace(",", ".")) for v in found)))
        for v in named.values():
            checked = _check(ctx, v)
            if isinstance(checked, Invalid):
                return checked
        ind = _indicator(ctx)
        total = _d(ctx).get("value")
        if (
            ind is not None
            and ind.unit in (None, "number")
            and total is not None
            and abs(sum(named.values()) - float(total)) > 1e-9
        ):
            return Invalid(
                msg("measures.dis_sum", sum=fmt_number(sum(named.values())), total=fmt_number(float(total)))
            )
        return named

    return parse


def dis_values(ctx: Ctx, dimension: str, value: dict[str, Any]) -> str:
    """ "femmes 12, hommes 30": the values of one disaggregation, each with its group."""
    return _listed(
        ctx,
        [
            msg("common.raw", text=f"{ctx.render(group_label(dimension, g))} {fmt_number(v)}")
            for g in GROUPS.get(dimension, ())
            for v in [value.get(g)]
            if isinstance(v, (int, float))
        ],
    )  # in the groups' order (JSONB sorts keys)


def _dis_show(dimension: str):
    def show(ctx: Ctx, value: Any) -> Msg:
        if not value:
            return msg("summary.empty")
        return msg("common.raw", text=dis_values(ctx, dimension, value))

    return show


def disaggregation_line(ctx: Ctx, disaggregated: dict[str, Any]) -> Msg:
    """A recorded measurement's disaggregated values, a line per dimension."""
    lines = [
        ctx.render(
            msg("summary.line", label=ctx.render(msg(f"measures.label.by_{k}")), value=dis_values(ctx, k, v))
        )
        for k in GROUPS
        for v in [disaggregated.get(k)]
        if isinstance(v, dict)
    ]
    return msg("common.raw", text="\n".join(lines))


# -- source -------------------------------------------------------------------------------------------
def _source_options(ctx: Ctx) -> list[Option]:
    ind = _indicator(ctx)
    if ind is None or not ind.source:
        return []
    return [Option(KEEP, msg("measures.same_source"), means=("yes",))]  # "ok" is this, not a source


def _source_prompt(ctx: Ctx) -> list[Msg]:
    ind = _indicator(ctx)
    lines = [msg("measures.ask_source")]
    if ind is not None and ind.source:
        lines.append(msg("indicators.current", value=ind.source))
    return lines


def _parse_source(ctx: Ctx, answer: Answer, txt: Any) -> Any:
    if answer.button == KEEP:
        ind = _indicator(ctx)
        return ind.source if ind is not None else None
    if answer.button:
        return Invalid(msg("common.button_expired"))
    return txt


def progress_lines(ind: Any) -> list[Msg]:
    """Baseline → latest → target, and the share of the way, with a small bar."""
    p = progress(ind)
    lines = [msg("measures.progress_title", label=ind.label)]
    lines.append(
        msg(
            "measures.progress_values",
            baseline=fmt_number(p.baseline) if p.baseline is not None else "?",
            latest=fmt_number(p.latest) if p.latest is not None else "?",
            period=p.latest_period or "",
            target=fmt_number(p.target) if p.target is not None else "?",
        )
    )
    if p.percent is not None:
        filled = max(0, min(BAR, round(p.percent / 100 * BAR)))
        bar = "▓" * filled + "░" * (BAR - filled)
        lines.append(msg("measures.progress_share", bar=bar, percent=p.percent))
    if p.reached:
        lines.append(msg("measures.reached"))
    elif p.share is not None and p.share < 0:
        lines.append(msg("measures.going_back"))
    elif p.baseline is None:
        lines.append(msg("measures.no_baseline"))
    return lines


# -- the baseline of an indicator ------------------------------------------------------------------
def period_start(period: str) -> date | None:
    """The first day of a period ("2026-S2" → 2026-07-01), None when it cannot be read."""
    year, month = period_key(period)
    if year == 0:
        return None
    p = period.strip().upper()
    if re.search(r"S[12]$", p):
        month -= 5
    elif re.search(r"[TQ][1-4]$", p):
        month -= 2
    elif re.fullmatch(r"\d{4}", p):
        month = 1
    return date(year, max(month, 1), 1)


def set_baseline(ind: Indicator, m: Measurement) -> None:
    """This measurement is the indicator's starting value (the only one)."""
    for other in ind.measurements:
        if other is not m and other.baseline:
            other.baseline = False
    m.baseline = True
    ind.baseline_value = m.value
    ind.baseline_date = period_start(m.period)
    ind.baseline_source = m.source
    ind.baseline_plan = None


def forget_baseline(ind: Indicator, m: Measurement) -> None:
    """A baseline measurement is deleted or no longer the baseline: the indicator's starting
    value that came from it goes too."""
    if ind.baseline_value == m.value and ind.baseline_date == period_start(m.period):
        ind.baseline_value = ind.baseline_date = ind.baseline_source = None


def edit_data(project: Project, ind: Indicator, m: Measurement) -> dict[str, Any]:
    """The dialogue's data for mending a recorded measurement (opened on its summary)."""
    data: dict[str, Any] = {
        "project_id": project.id,
        "record_id": m.id,
        "indicator_id": ind.id,
        "is_baseline": "yes" if m.baseline else "no",
        "period": m.period,
        "value": m.value,
        "source": m.source,
    }
    for dimension in GROUPS:
        data[f"by_{dimension}"] = m.disaggregated.get(dimension)
    return data


# -- saving -----------------------------------------------------------------------------------------
def _save(ctx: Ctx) -> list[Reply] | Start:
    d = _d(ctx)
    project = current_project(ctx)
    ind = next(
        (
            i
            for e in (project.effects if project else [])
            for i in e.indicators
            if i.id == d.get("indicator_id")
        ),
        None,
    )
    if project is None or ind is None:
        return [Reply.of("projects.not_found")]
    dis = {k: d[f"by_{k}"] for k in GROUPS if d.get(f"by_{k}")}
    if editing(ctx):
        m = _mended(ctx, project, ind, dis)
        if m is None:
            return after_edit(ctx, "records.not_found")
    else:
        m = Measurement(
            period=str(d["period"]), value=float(d["value"]), disaggregated=dis, source=d.get("source")
        )
        ind.measurements.append(m)
    if d.get("is_baseline") == "yes":
        set_baseline(ind, m)
    if editing(ctx):
        return mended(ctx, project, "measurement", m.id)
    ctx.uow.projects.save(project)
    ctx.say("measures.saved_baseline" if m.baseline else "measures.saved")
    ctx.notes.append(Reply(lines=progress_lines(ind)))
    return Start(NEXT, {"project_id": project.id, "indicator_id": ind.id})


def _mended(ctx: Ctx, project: Project, ind: Indicator, dis: dict[str, Any]) -> Measurement | None:
    """The recorded measurement with the dialogue's values (moved if its indicator changed)."""
    d = _d(ctx)
    owner, m = next(
        (
            (i, x)
            for e in project.effects
            for i in e.indicators
            for x in i.measurements
            if x.id == d.get("record_id")
        ),
        (None, None),
    )
    if owner is None or m is None:
        return None
    was_baseline = m.baseline
    if owner is not ind:
        owner.measurements = [x for x in owner.measurements if x is not m]
        ind.measurements.append(m)
    if was_baseline and (owner is not ind or d.get("is_baseline") != "yes"):
        forget_baseline(owner, m)
        m.baseline = False
    m.period, m.value = str(d["period"]), float(d["value"])
    m.disaggregated, m.source = dis, d.get("source")
    return m


def _on_start(ctx: Ctx) -> Start | None:
    elsewhere = check_project_on_start(ctx)
    if elsewhere is None and _d(ctx).get("indicator_id") is not None and _indicator(ctx) is None:
        _d(ctx)["indicator_id"] = None
    return elsewhere


def setup(h: Handlers) -> None:
    lbl = lambda key: msg(f"measures.label.{key}")  # noqa: E731
    dis_steps = [
        Step(
            f"by_{k}",
            prompt=_dis_prompt(k),
            kind="text",
            max_len=200,
            parse=_dis_parse(k),
            optional=True,
            when=_dis_when(k),
            label=lbl(f"by_{k}"),
            show=_dis_show(k),
        )
        for k in GROUPS
    ]
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=with_moment(_on_start, DIALOGUE, "measurement"),
            on_complete=_save,
            summary_title=msg("measures.summary_title"),
            steps=[
                choose_project_step(),
                Step(
                    "indicator_id",
                    prompt=_indicator_prompt,
                    kind="choice",
                    options=_indicator_options,
                    parse=_parse_indicator,
                    label=lbl("indicator"),
                    when=lambda ctx: _d(ctx).get("indicator_id") is None or _review(ctx),
                    show=lambda ctx, v: msg(
                        "common.raw", text=_indicator(ctx).label if _indicator(ctx) else ""
                    ),
                ),
                Step(
                    "is_baseline",
                    prompt=msg("measures.ask_baseline"),
                    kind="choice",
                    options=_baseline_options,
                    parse=_parse_baseline,
                    when=_ask_baseline,
                    label=lbl("is_baseline"),
                    show=_show_baseline,
                ),
                Step(
                    "period",
                    prompt=msg("measures.ask_period"),
                    kind="choice",
                    options=_period_options,
                    parse=_parse_period,
                    values="text",
                    label=lbl("period"),
                ),
                Step(
                    "value",
                    prompt=_value_prompt,
                    kind="number",
                    options=_value_options,
                    parse=_parse_value,
                    label=lbl("value"),
                ),
                *dis_steps,
                Step(
                    "source",
                    prompt=_source_prompt,
                    kind="text",
                    max_len=300,
                    options=_source_options,
                    parse=_parse_source,
                    optional=True,
                    label=lbl("source"),
                ),
            ],
        )
    )
    h.registry.add(
        next_dialogue(
            h,
            NEXT,
            msg("measures.next.ask"),
            [NextChoice("nx:again", msg("measures.next.again"), DIALOGUE, intent="add_measure")],
        )
    )
    h.add_menu(
        MenuEntry(
            data="menu:measures",
            label=msg("measures.menu"),
            dialogue=DIALOGUE,
            order=50,
            intent="add_measure",
        )
    )
