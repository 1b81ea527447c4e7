"""Dialogue "measures": record a value for an indicator and see the progress.

Pick an indicator of the project, the period, the value, optionally the values for women and men
(when the indicator is disaggregated by sex) and the source; after the summary the bot shows
baseline → latest → target and how much of the way is done (domain.effects.progress).
"""
from __future__ import annotations

import re
from typing import Any

from domain.dialogue import Answer, Ctx, Dialogue, Invalid, Option, Start, Step
from domain.effects import period_key, progress
from domain.messages import Msg, Reply, msg
from domain.records import Measurement

from bot.handlers import Handlers, MenuEntry
from bot.handlers._coaching import (
    NextChoice, check_project_on_start, current_project, fmt_number, next_dialogue, today,
)
from bot.handlers._projects import choose_project_step

DIALOGUE = "measures"
NEXT = "measures_next"
KEEP = "keep"
BAR = 10


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
    opts = [Option(f"mi:{i.id}", msg("common.raw", text=_short(i.label))) for _, i in _indicators(ctx)]
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
    try:
        iid = int(str(choice)[3:])
    except ValueError:
        return Invalid(msg("common.button_expired"))
    if not any(i.id == iid for _, i in _indicators(ctx)):
        return Invalid(msg("common.button_expired"))
    return iid


def _period_options(ctx: Ctx) -> list[Option]:
    now = today()
    semester = f"{now.year}-S{1 if now.month <= 6 else 2}"
    month = f"{now.year}-{now.month:02d}"
    return [Option(f"per:{month}", msg("measures.period_month", period=month)),
            Option(f"per:{semester}", msg("measures.period_semester", period=semester)),
            Option(f"per:{now.year}", msg("measures.period_year", period=str(now.year)))]


def _parse_period(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is not None:
        return str(choice)[4:]
    if answer.button:
        return Invalid(msg("common.button_expired"))
    p = (answer.text or "").strip().upper().replace(" ", "")
    key = period_key(p)
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
    if answer.button in ("yn:1", "yn:0"):
        return float(answer.button[3:])
    if number is None:
        return Invalid(msg("common.need_number"))
    return _check(ctx, float(number))


def _value_options(ctx: Ctx) -> list[Option]:
    ind = _indicator(ctx)
    if ind is not None and ind.unit == "yes_no":
        return [Option("yn:1", msg("indicators.answer_yes")), Option("yn:0", msg("indicators.answer_no"))]
    return []


def _by_sex(ctx: Ctx) -> bool:
    ind = _indicator(ctx)
    return ind is not None and "sex" in ind.disaggregation and ind.unit != "yes_no"


def _parse_by_sex(ctx: Ctx, answer: Answer, txt: Any) -> Any:
    nums = re.findall(r"\d+(?:[.,]\d+)?", (txt or "").translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))
    if len(nums) != 2:
        return Invalid(msg("measures.by_sex_invalid"))
    women, men = (float(n.replace(",", ".")) for n in nums)
    for v in (women, men):
        checked = _check(ctx, v)
        if isinstance(checked, Invalid):
            return checked
    return {"female": women, "male": men}


def _show_by_sex(ctx: Ctx, value: Any) -> Msg:
    if not value:
        return msg("summary.empty")
    return msg("measures.by_sex_shown", women=fmt_number(value.get("female")),
               men=fmt_number(value.get("male")))


def _source_options(ctx: Ctx) -> list[Option]:
    ind = _indicator(ctx)
    return [Option(KEEP, msg("measures.same_source"))] if ind is not None and ind.source else []


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
    lines.append(msg("measures.progress_values",
                     baseline=fmt_number(p.baseline) if p.baseline is not None else "?",
                     latest=fmt_number(p.latest) if p.latest is not None else "?",
                     period=p.latest_period or "",
                     target=fmt_number(p.target) if p.target is not None else "?"))
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


def _save(ctx: Ctx) -> list[Reply]:
    d = _d(ctx)
    project = current_project(ctx)
    ind = next((i for e in (project.effects if project else []) for i in e.indicators
                if i.id == d.get("indicator_id")), None)
    if project is None or ind is None:
        return [Reply.of("projects.not_found")]
    ind.measurements.append(Measurement(period=str(d["period"]), value=float(d["value"]),
                                        disaggregated={"sex": d["by_sex"]} if d.get("by_sex") else {},
                                        source=d.get("source")))
    ctx.uow.projects.save(project)
    ctx.say("measures.saved")
    ctx.notes.append(Reply(lines=progress_lines(ind)))
    return ctx.services.engine.start(ctx, NEXT, {"project_id": project.id, "indicator_id": ind.id})


def setup(h: Handlers) -> None:
    lbl = lambda key: msg(f"measures.label.{key}")  # noqa: E731
    h.registry.add(Dialogue(
        id=DIALOGUE, on_start=check_project_on_start, on_complete=_save,
        summary_title=msg("measures.summary_title"),
        steps=[
            choose_project_step(),
            Step("indicator_id", prompt=_indicator_prompt, kind="choice", options=_indicator_options,
                 parse=_parse_indicator, label=lbl("indicator"),
                 show=lambda ctx, v: msg("common.raw", text=_indicator(ctx).label if _indicator(ctx) else "")),
            Step("period", prompt=msg("measures.ask_period"), kind="choice", options=_period_options,
                 parse=_parse_period, label=lbl("period")),
            Step("value", prompt=_value_prompt, kind="number", options=_value_options,
                 parse=_parse_value, label=lbl("value")),
            Step("by_sex", prompt=msg("measures.ask_by_sex"), kind="text", max_len=100,
                 parse=_parse_by_sex, optional=True, when=_by_sex, label=lbl("by_sex"),
                 show=_show_by_sex),
            Step("source", prompt=_source_prompt, kind="text", max_len=300, options=_source_options,
                 parse=_parse_source, optional=True, label=lbl("source")),
        ],
    ))
    h.registry.add(next_dialogue(h, NEXT, msg("measures.next.ask"), [
        NextChoice("nx:again", msg("measures.next.again"), DIALOGUE)]))
    h.add_menu(MenuEntry(data="menu:measures", label=msg("measures.menu"), dialogue=DIALOGUE, order=50))
