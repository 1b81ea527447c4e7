"""Dialogue "indicators": how will we know an effect happened? (DESIGN §4, DOMAIN §3)

Pick an effect of the project; 2-3 indicators of the library that fit its domain, public and
level, or one's own; then the reference sheet step by step, with buttons wherever possible and a
[Keep] button for what the library already says: unit, definition, calculation, baseline (value,
date, source, or a plan to measure it), target (value, date), source of verification, frequency,
who collects, disaggregation (sex, age band, disability through the Washington Group questions,
migrant status, place). A SMART check with specific feedback comes before the summary.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.dialogue import (
    EDIT,
    SUMMARY,
    Answer,
    Ctx,
    Dialogue,
    Goto,
    Invalid,
    Option,
    Start,
    Step,
    read_number,
)
from domain.buttons import (
    DayPick,
    Disaggregation,
    EffectPick,
    FrequencyPick,
    IndicatorSuggestion,
    Preset,
    SmartFix,
    UnitPick,
    YesNo,
)
from domain.dates import add_months, parse_day, read_date
from domain.effects import Finding, smart_check, wanted_direction
from domain.knowledge import Indicator as LibraryIndicator
from domain.knowledge import suggest_indicators
from domain.messages import Msg, Reply, msg
from domain.records import Effect, Indicator, Project

from bot.handlers import Handlers, MenuEntry, with_moment
from bot.handlers._coaching import (
    NextChoice,
    check_project_on_start,
    current_project,
    entity_values,
    find_effect,
    fmt_number,
    kb,
    lexicon,
    next_dialogue,
    text,
    today,
)
from bot.handlers._projects import after_edit, choose_project_step, editing, mended

DIALOGUE = "indicators"
NEXT = "indicators_next"
OWN = "ind:own"
KEEP = "keep"
UNITS = ("number", "percent", "score", "yes_no")  # offered as buttons
ALL_UNITS = UNITS + ("days", "mad")  # the library also has durations and amounts
FREQUENCIES = ("per_activity", "monthly", "quarterly", "semester", "yearly", "baseline_endline")
DISAGGREGATIONS = ("sex", "age_band", "disability", "migrant_status", "location")
DONE = "dis:done"
KNOWN, TO_MEASURE, HELP = "base:known", "base:plan", "base:help"


def _d(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data


def _effect(ctx: Ctx) -> Any:
    return find_effect(current_project(ctx), _d(ctx).get("effect_id"))


def _library(ctx: Ctx) -> Any:
    lib = _d(ctx).get("library_id")
    return kb(ctx).indicator(lib) if lib else None


# -- the effect -------------------------------------------------------------------------------------
def _effect_options(ctx: Ctx) -> list[Option]:
    project = current_project(ctx)
    effects = sorted(project.effects if project else [], key=lambda e: not e.expected)
    opts = [
        Option(EffectPick(e.id).encode(), msg("common.raw", text=_short(e.statement)))
        for e in effects
        if e.id is not None
    ]
    if not opts:
        opts.append(Option("go:effects", msg("indicators.describe_effect")))
    return opts


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _effect_prompt(ctx: Ctx) -> Msg:
    project = current_project(ctx)
    return msg("indicators.ask_effect" if project and project.effects else "indicators.no_effects")


def _parse_effect(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice == "go:effects":
        return Start("effects", {"project_id": _d(ctx).get("project_id")})
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_effect_options(ctx))))
    pick = EffectPick.read(choice)
    effect = find_effect(current_project(ctx), pick.id) if pick is not None else None
    if effect is None:
        return Invalid(msg("common.button_expired"))
    return effect.id


# -- suggestions --------------------------------------------------------------------------------------
def _suggestions(ctx: Ctx) -> list[LibraryIndicator]:
    effect = _effect(ctx)
    if effect is None:
        return []
    taken = {i.library_id for i in effect.indicators if i.library_id}
    found = suggest_indicators(kb(ctx), effect.domain, effect.public, effect.level, limit=3 + len(taken))
    return [i for i in found if i.id not in taken][:3]


def _pick_prompt(ctx: Ctx) -> list[Msg]:
    effect = _effect(ctx)
    found = _suggestions(ctx)
    lines = [msg("indicators.for_effect", effect=effect.statement if effect else "")]
    if found:
        lines.append(msg("indicators.suggest_intro", n=len(found)))
        lines += [
            msg("indicators.suggest_line", n=i, label=text(ctx, ind.label)) for i, ind in enumerate(found, 1)
        ]
    else:
        lines.append(msg("indicators.no_suggestion"))
    return lines


def _pick_options(ctx: Ctx) -> list[Option]:
    opts = [
        Option(IndicatorSuggestion(ind.id).encode(), msg("indicators.pick", n=i))
        for i, ind in enumerate(_suggestions(ctx), 1)
    ]
    return opts + [Option(OWN, msg("indicators.write_own"))]


def _parse_pick(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    d = _d(ctx)
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_pick_options(ctx))))
    for k in ("label", "unit", "definition", "calculation", "source", "frequency"):
        d[k] = None
    if choice == OWN:
        d.update(library_id=None, own=True, disaggregation=[], direction=None)
        return choice
    ind = next((i for i in _suggestions(ctx) if IndicatorSuggestion(i.id).encode() == choice), None)
    if ind is None:
        return Invalid(msg("common.button_expired"))
    calc = text(ctx, ind.calculation.numerator)
    if ind.calculation.denominator is not None:
        calc = f"{calc} / {text(ctx, ind.calculation.denominator)}"
    d.update(
        library_id=ind.id,
        own=False,
        label=text(ctx, ind.label),
        unit=ind.unit,
        definition=text(ctx, ind.definition),
        calculation=calc,
        source=text(ctx, ind.source),
        frequency=ind.frequency,
        disaggregation=list(ind.disaggregation),
        direction=ind.direction,
        suggested=dict(
            unit=ind.unit, definition=True, calculation=True, source=True, frequency=ind.frequency
        ),
    )
    return choice


# -- fields with a [Keep] button when the library already gives a value -------------------------------
def _suggested(ctx: Ctx, field: str) -> bool:
    """The field has a value worth keeping: the library's, or the recorded one being mended."""
    source = bool(_d(ctx).get("library_id")) or editing(ctx)
    return source and bool((_d(ctx).get("suggested") or {}).get(field))


def _keep_or(ctx: Ctx, field: str, opts: list[Option]) -> list[Option]:
    # Keep means yes: a typed "ok" or "wakha" keeps the value, it is never stored as the text
    return ([Option(KEEP, msg("indicators.keep"), means=("yes",))] if _suggested(ctx, field) else []) + opts


def _with_current(ctx: Ctx, field: str, key: str) -> list[Msg]:
    lines = [msg(key)]
    if _suggested(ctx, field) and _d(ctx).get(field):
        lines.append(msg("indicators.current", value=_shown(ctx, field, _d(ctx)[field])))
    return lines


def _text_field(field: str):
    def parse(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
        if answer.button == KEEP and _suggested(ctx, field):
            return _d(ctx).get(field)
        if answer.button:
            return _button_text(ctx, field, answer.button)
        return txt

    return parse


# ready-made answers offered as buttons for some text fields (stored in the user's language)
PRESETS = {
    "source": ("attendance", "poll", "register", "survey"),
    "collector": ("bascs", "association", "me"),
    "baseline_plan": ("poll", "register", "survey"),
    "baseline_source": ("attendance", "poll", "register", "survey"),
}


def _preset_options(field: str):
    def options(ctx: Ctx) -> list[Option]:
        opts = [Option(Preset(p).encode(), msg(f"indicators.preset.{field}.{p}")) for p in PRESETS[field]]
        return _keep_or(ctx, field, opts)

    return options


def _button_text(ctx: Ctx, field: str, button: str) -> Any:
    preset = Preset.read(button)
    if preset is not None and preset.code in PRESETS.get(field, ()):
        return ctx.render(msg(f"indicators.preset.{field}.{preset.code}"))
    return Invalid(msg("common.button_expired"))


def _parse_label(ctx: Ctx, answer: Answer, txt: str | None) -> Any:
    if txt is None:
        return Invalid(msg("common.button_expired"))
    return txt


def _unit_options(ctx: Ctx) -> list[Option]:
    # "✔️ Oui / non" names a unit, it does not say yes (or no): "ok" is Keep
    return _keep_or(
        ctx,
        "unit",
        [Option(UnitPick(u).encode(), msg(f"indicators.unit.{u}"), means=("unit",)) for u in UNITS],
    )


def _parse_unit(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice == KEEP:
        return _d(ctx).get("unit")
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_unit_options(ctx))))
    unit = UnitPick.read(choice)
    return unit.code if unit is not None else Invalid(msg("common.button_expired"))


def _frequency_options(ctx: Ctx) -> list[Option]:
    return _keep_or(
        ctx,
        "frequency",
        [
            Option(
                FrequencyPick(f).encode(),
                msg(f"indicators.frequency.{f}"),
                words=msg(f"indicators.frequency_words.{f}"),
            )
            for f in FREQUENCIES
        ],
    )


def _parse_frequency(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice == KEEP:
        return _d(ctx).get("frequency")
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_frequency_options(ctx))))
    frequency = FrequencyPick.read(choice)
    return frequency.code if frequency is not None else Invalid(msg("common.button_expired"))


# -- baseline and target -----------------------------------------------------------------------------
def _baseline_options(ctx: Ctx) -> list[Option]:
    return [
        Option(KNOWN, msg("indicators.base_known")),
        Option(TO_MEASURE, msg("indicators.base_plan")),
        Option(HELP, msg("indicators.base_help")),
    ]


def _parse_baseline(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice == HELP or answer.intent == "dont_know":
        return Invalid(msg("indicators.baseline_explained"))
    if choice is None and not answer.button:  # the value itself: "5 %", "sab3in f lmya"
        value = _typed_baseline(ctx, answer)
        if value is not None:
            return value
    if choice is None:
        return Invalid(msg("common.choose_option", n=3))
    return "known" if choice == KNOWN else "plan"


def _typed_baseline(ctx: Ctx, answer: Answer) -> Any:
    """A starting value typed where "I know it / to be measured" is asked: it is known, and
    this is it (its date is asked next). A short message only, without a date in it ("enquête
    de 2024" is not a value of 2024); a lone digit that is also a button's position has been
    asked about by the engine (the step takes values)."""
    text = answer.text or ""
    reading = read_number(answer)
    if (
        reading is None
        or len(text.split()) > 6
        or entity_values(answer, "date")
        or parse_day(text) is not None
        and not reading.percent
    ):
        return None
    value = _check_value(ctx, reading.value)
    if isinstance(value, Invalid):
        return value
    _d(ctx)["baseline_value"] = value
    if not reading.literal:
        ctx.understood(reading.shown())
    if ctx.state.editing:  # edited from the summary: back to it
        return "known"
    return Goto("baseline_date", "known")


def _is(field: str, value: str):
    return lambda ctx: _d(ctx).get(field) == value


def _check_value(ctx: Ctx, value: float) -> Any:
    unit = _d(ctx).get("unit")
    if unit == "percent" and not 0 <= value <= 100:
        return Invalid(msg("indicators.percent_range"))
    if unit == "yes_no" and value not in (0, 1):
        return Invalid(msg("indicators.yes_no_values"))
    return value


def _parse_value(ctx: Ctx, answer: Answer, number: float | None) -> Any:
    pressed = YesNo.read(answer.button)
    if pressed is not None:
        return 1.0 if pressed.yes else 0.0
    if number is None:
        return Invalid(msg("common.need_number"))
    if ctx.state.step == "target_value":  # "au moins 1500": the target's direction, said
        reading = read_number(answer)
        _d(ctx)["target_bound"] = reading.bound if reading is not None else None
    return _check_value(ctx, float(number))


def _value_options(ctx: Ctx) -> list[Option]:
    if _d(ctx).get("unit") == "yes_no":
        return [
            Option(YesNo(True).encode(), msg("indicators.answer_yes")),
            Option(YesNo(False).encode(), msg("indicators.answer_no")),
        ]
    return []


def _unit_hint(ctx: Ctx) -> Msg:
    unit = _d(ctx).get("unit")
    return msg(f"indicators.unit_hint.{unit if unit in ALL_UNITS else 'number'}")


def _baseline_value_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("indicators.ask_baseline_value"), _unit_hint(ctx)]


def _date_options(kind: str):
    def options(ctx: Ctx) -> list[Option]:
        now = today()
        if kind == "baseline":
            return [
                Option(DayPick(now.replace(day=1).isoformat()).encode(), msg("indicators.this_month")),
                Option(
                    DayPick(date(now.year, 1, 1).isoformat()).encode(),
                    msg("indicators.start_of_year", year=now.year),
                ),
            ]
        end = _project_end(ctx)
        ends = _ends_with_project(ctx)
        return [
            Option(
                DayPick(end.isoformat()).encode(),
                # the project's own end is named so ("Fin du projet (06/2027)"), never "fin 2027"
                msg("indicators.end_of_project", date=end.strftime("%m/%Y"))
                if ends
                else msg("indicators.end_of_year", year=end.year),
                words=msg("effects.horizon_project_end") if ends else None,
            ),
            Option(DayPick(add_months(now, 12).isoformat()).encode(), msg("indicators.in_months", n=12)),
        ]

    return options


def _ends_with_project(ctx: Ctx) -> bool:
    project = current_project(ctx)
    return project is not None and project.period_end is not None and project.period_end > today()


def _project_end(ctx: Ctx) -> date:
    project = current_project(ctx)
    now = today()
    if project is not None and project.period_end is not None and project.period_end > now:
        return project.period_end
    return date(now.year if now.month < 10 else now.year + 1, 12, 31)


def _date_parser(kind: str):
    def parse(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
        if choice is not None:
            pressed = DayPick.read(choice)
            return pressed.code if pressed is not None else Invalid(msg("common.button_expired"))
        if answer.button:
            return Invalid(msg("common.button_expired"))
        day, in_words = read_date(
            answer.text or "",
            entity_values(answer, "date"),
            entity_values(answer, "duration"),
            today(),
            end=kind == "target",
            past=kind == "baseline",
        )
        if day is None:
            return Invalid(msg("indicators.date_invalid"))
        if kind == "baseline" and day > today():
            return Invalid(msg("indicators.baseline_in_future"))
        if kind == "target":
            base = _d(ctx).get("baseline_date")
            if day <= today() or (base and day <= date.fromisoformat(base)):
                return Invalid(msg("indicators.target_in_past"))
        if in_words:
            ctx.understood(day.strftime("%d/%m/%Y"))
        return day.isoformat()

    return parse


def _target_prompt(ctx: Ctx) -> list[Msg]:
    d = _d(ctx)
    lines = [msg("indicators.ask_target_value")]
    if d.get("baseline_value") is not None and d.get("baseline") == "known":
        base = fmt_number(d["baseline_value"])
        lines.append(
            msg(
                "indicators.baseline_was",
                value=msg("common.percent", n=base) if d.get("unit") == "percent" else base,
            )
        )
    lines.append(_unit_hint(ctx))
    return lines


# -- disaggregation (multi-select) -------------------------------------------------------------------
def _dis_prompt(ctx: Ctx) -> list[Msg]:
    return [msg("indicators.ask_disaggregation")]


def _dis_options(ctx: Ctx) -> list[Option]:
    chosen = _d(ctx).get("disaggregation") or []
    opts = [
        Option(
            Disaggregation(x).encode(),
            msg(
                "common.raw", text=("✅ " if x in chosen else "⬜ ") + ctx.render(msg(f"indicators.dis.{x}"))
            ),
            words=msg(f"indicators.dis.{x}"),
            as_labels=True,
        )  # in any variant ("السن")
        for x in DISAGGREGATIONS
    ]
    return opts + [Option(DONE, msg("indicators.dis_done"))]


def _parse_dis(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    chosen = list(_d(ctx).get("disaggregation") or [])
    if choice == DONE:
        return chosen
    if choice is None and answer.text:  # one name ticks it; several ("sexe et âge"): just these
        picked = [
            Disaggregation.read(c)
            for c in ctx.services.engine.pick_many(ctx, _dis_options(ctx)[:-1], answer.text)
        ]
        named = [p.code for p in picked if p is not None]
        if named:
            for x in named:
                if x not in chosen:
                    _ticked_note(ctx, x)
            keep = named if len(named) > 1 else chosen + named
            return Goto("disaggregation", [c for c in DISAGGREGATIONS if c in keep])
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(DISAGGREGATIONS) + 1))
    ticked = Disaggregation.read(choice)
    if ticked is None:
        return Invalid(msg("common.button_expired"))
    x = ticked.code
    if x in chosen:
        chosen.remove(x)
    else:
        chosen.append(x)
        _ticked_note(ctx, x)
    return Goto("disaggregation", [c for c in DISAGGREGATIONS if c in chosen])


def _ticked_note(ctx: Ctx, x: str) -> None:
    if x == "disability":
        ctx.say("indicators.washington_group")
    if x == "migrant_status":
        ctx.say("indicators.migrant_note")


# -- SMART check -------------------------------------------------------------------------------------
def draft(ctx: Ctx) -> Indicator:
    d = _d(ctx)
    known = d.get("baseline") == "known"

    def day(key: str) -> date | None:
        return date.fromisoformat(d[key]) if d.get(key) else None

    return Indicator(
        label=str(d.get("label") or "")[:500],
        definition=d.get("definition"),
        unit=d.get("unit"),
        calculation=d.get("calculation"),
        baseline_value=d.get("baseline_value") if known else None,
        baseline_date=day("baseline_date") if known else None,
        baseline_source=d.get("baseline_source") if known else None,
        baseline_plan=d.get("baseline_plan") if not known else None,
        target_value=d.get("target_value"),
        target_date=day("target_date"),
        source=d.get("source"),
        frequency=d.get("frequency"),
        collector=d.get("collector"),
        disaggregation=list(d.get("disaggregation") or []),
        library_id=d.get("library_id"),
    )


def _direction(ctx: Ctx) -> str:
    d = _d(ctx)
    effect = _effect(ctx)
    return wanted_direction(
        target_bound=d.get("target_bound"),
        library=d.get("direction"),
        statement=effect.statement if effect else "",
        polarity=effect.polarity if effect else "positive",
        lexicon=lexicon(ctx),
    )


def findings(ctx: Ctx) -> list[Finding]:
    ind = draft(ctx)
    lib = _library(ctx)
    people = bool(lib.publics) if lib is not None else True
    return smart_check(ind, people_based=people, direction=_direction(ctx), today=today())


FIX_STEP = {
    "unit": "unit",
    "definition": "definition",
    "calculation": "calculation",
    "baseline_value": "baseline",
    "baseline_date": "baseline_date",
    "baseline_source": "baseline_source",
    "target_value": "target_value",
    "target_date": "target_date",
    "source": "source",
    "frequency": "frequency",
    "collector": "collector",
    "disaggregation": "disaggregation",
}


def _smart_prompt(ctx: Ctx) -> list[Msg]:
    found = findings(ctx)
    if not found:
        return [msg("indicators.smart_ok")]
    lines = [msg("indicators.smart_intro", n=len(found))]
    lines += [msg(f"indicators.smart.{f.code}") for f in found[:5]]
    return lines


def _smart_options(ctx: Ctx) -> list[Option]:
    found = findings(ctx)
    if not found:
        return [Option("smart:go", msg("indicators.smart_continue"))]
    return [
        Option(SmartFix(found[0].field).encode(), msg("indicators.smart_fix")),
        Option("smart:go", msg("indicators.smart_anyway")),
    ]


def _parse_smart(ctx: Ctx, answer: Answer, choice: str | None) -> Any:
    if choice is None:
        return Invalid(msg("common.choose_option", n=len(_smart_options(ctx))))
    fix = SmartFix.read(choice)
    if fix is not None:
        step = FIX_STEP.get(fix.code, "unit")
        # fix one field, then straight to the summary (which shows the check again)
        ctx.state.editing = step != "baseline"
        return Goto(step, None)
    return len(findings(ctx))


def _show_smart(ctx: Ctx, value: Any) -> Msg:
    n = len(findings(ctx))
    return msg("indicators.smart_short_ok") if n == 0 else msg("indicators.smart_short", n=n)


# -- summary display ---------------------------------------------------------------------------------
def _shown(ctx: Ctx, field: str, value: Any) -> Msg:
    if value is None or value == "" or value == []:
        return msg("summary.empty")
    if field == "unit":
        return msg(f"indicators.unit.{value}") if value in ALL_UNITS else msg("common.raw", text=value)
    if field == "frequency":
        return msg(f"indicators.frequency.{value}") if value in FREQUENCIES else msg("common.raw", text=value)
    if field == "disaggregation":
        return msg("common.raw", text=", ".join(ctx.render(msg(f"indicators.dis.{x}")) for x in value))
    if field in ("baseline_value", "target_value"):
        return msg("common.raw", text=fmt_number(value))
    if field == "baseline":
        return msg("indicators.base_known" if value == "known" else "indicators.base_plan")
    return msg("common.raw", text=str(value))


def _show(field: str):
    return lambda ctx, value: _shown(ctx, field, value)


# -- mending a recorded indicator --------------------------------------------------------------------
KEPT = (
    "unit",
    "definition",
    "calculation",
    "source",
    "frequency",
    "collector",
    "baseline_source",
    "baseline_plan",
)


def edit_data(ctx: Ctx, project: Project, effect: Effect, ind: Indicator) -> dict[str, Any]:
    """The dialogue's data for mending a recorded indicator (opened on its summary); every field
    that has a value gets a [Keep] button."""
    lib = kb(ctx).indicator(ind.library_id) if ind.library_id else None
    baseline = "known" if ind.baseline_value is not None else "plan" if ind.baseline_plan else None
    data: dict[str, Any] = {
        "project_id": project.id,
        "effect_id": effect.id,
        "record_id": ind.id,
        "library_id": ind.library_id,
        "own": ind.library_id is None,
        "label": ind.label,
        "unit": ind.unit,
        "definition": ind.definition,
        "calculation": ind.calculation,
        "baseline": baseline,
        "baseline_value": ind.baseline_value,
        "baseline_date": ind.baseline_date.isoformat() if ind.baseline_date else None,
        "baseline_source": ind.baseline_source,
        "baseline_plan": ind.baseline_plan,
        "target_value": ind.target_value,
        "target_date": ind.target_date.isoformat() if ind.target_date else None,
        "source": ind.source,
        "frequency": ind.frequency,
        "collector": ind.collector,
        "disaggregation": list(ind.disaggregation),
        "direction": lib.direction if lib is not None else None,
    }
    data["suggested"] = {f: True for f in KEPT if data.get(f)}
    return data


def _update(ctx: Ctx, project: Project, effect: Effect) -> Start:
    rid = _d(ctx).get("record_id")
    index = next((k for k, i in enumerate(effect.indicators) if i.id == rid), None)
    if index is None:
        return after_edit(ctx, "records.not_found")
    old = effect.indicators[index]
    new = draft(ctx)
    new.id, new.poll_question, new.measurements = old.id, old.poll_question, old.measurements
    base = next((m for m in new.measurements if m.baseline), None)
    if base is not None and new.baseline_value is not None and base.value != new.baseline_value:
        base.value = new.baseline_value  # the measured starting value follows the indicator's
    effect.indicators[index] = new
    return mended(ctx, project, "indicator", new.id)


# -- saving ------------------------------------------------------------------------------------------
def _save(ctx: Ctx) -> list[Reply] | Start:
    project = current_project(ctx)
    effect = find_effect(project, _d(ctx).get("effect_id"))
    if project is None or effect is None:
        return [Reply.of("projects.not_found")]
    if editing(ctx):
        return _update(ctx, project, effect)
    effect.indicators.append(draft(ctx))
    ctx.uow.projects.save(project)
    ctx.say("indicators.saved", n=len(effect.indicators))
    return Start(NEXT, {"project_id": project.id, "effect_id": effect.id})


def _on_start(ctx: Ctx) -> Start | None:
    elsewhere = check_project_on_start(ctx)
    if elsewhere is None and _d(ctx).get("effect_id") is not None and _effect(ctx) is None:
        _d(ctx)["effect_id"] = None
    return elsewhere


def _when_own(ctx: Ctx) -> bool:
    return bool(_d(ctx).get("own"))


def _review(ctx: Ctx) -> bool:
    return ctx.state.step in (SUMMARY, EDIT)


def setup(h: Handlers) -> None:
    lbl = lambda key: msg(f"indicators.label.{key}")  # noqa: E731
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            on_start=with_moment(_on_start, DIALOGUE, "indicator"),
            on_complete=_save,
            summary_title=msg("indicators.summary_title"),
            steps=[
                choose_project_step(),
                Step(
                    "effect_id",
                    prompt=_effect_prompt,
                    kind="choice",
                    options=_effect_options,
                    parse=_parse_effect,
                    when=lambda ctx: _d(ctx).get("effect_id") is None,
                ),
                Step("pick", prompt=_pick_prompt, kind="choice", options=_pick_options, parse=_parse_pick),
                Step(
                    "label",
                    prompt=msg("indicators.ask_label"),
                    kind="text",
                    max_len=300,
                    parse=_parse_label,
                    when=lambda ctx: _when_own(ctx) or _review(ctx),
                    label=lbl("label"),
                    show=_show("label"),
                ),
                Step(
                    "unit",
                    prompt=lambda ctx: _with_current(ctx, "unit", "indicators.ask_unit"),
                    kind="choice",
                    options=_unit_options,
                    parse=_parse_unit,
                    label=lbl("unit"),
                    show=_show("unit"),
                ),
                Step(
                    "definition",
                    prompt=lambda ctx: _with_current(ctx, "definition", "indicators.ask_definition"),
                    kind="text",
                    max_len=600,
                    options=lambda ctx: _keep_or(ctx, "definition", []),
                    parse=_text_field("definition"),
                    label=lbl("definition"),
                    show=_show("definition"),
                ),
                Step(
                    "calculation",
                    prompt=lambda ctx: _with_current(ctx, "calculation", "indicators.ask_calculation"),
                    kind="text",
                    max_len=400,
                    options=lambda ctx: _keep_or(ctx, "calculation", []),
                    parse=_text_field("calculation"),
                    optional=True,
                    when=lambda ctx: _d(ctx).get("unit") in ("percent", "score") or _review(ctx),
                    label=lbl("calculation"),
                    show=_show("calculation"),
                ),
                Step(
                    "baseline",
                    prompt=msg("indicators.ask_baseline"),
                    kind="choice",
                    options=_baseline_options,
                    parse=_parse_baseline,
                    label=lbl("baseline"),
                    values="number",
                    show=_show("baseline"),
                ),
                Step(
                    "baseline_value",
                    prompt=_baseline_value_prompt,
                    kind="number",
                    options=_value_options,
                    parse=_parse_value,
                    when=_is("baseline", "known"),
                    label=lbl("baseline_value"),
                    show=_show("baseline_value"),
                ),
                Step(
                    "baseline_date",
                    prompt=msg("indicators.ask_baseline_date"),
                    kind="choice",
                    options=_date_options("baseline"),
                    parse=_date_parser("baseline"),
                    values="text",
                    when=_is("baseline", "known"),
                    label=lbl("baseline_date"),
                    show=_show("baseline_date"),
                ),
                Step(
                    "baseline_source",
                    prompt=msg("indicators.ask_baseline_source"),
                    kind="text",
                    max_len=300,
                    options=_preset_options("baseline_source"),
                    parse=_text_field("baseline_source"),
                    when=_is("baseline", "known"),
                    label=lbl("baseline_source"),
                    show=_show("baseline_source"),
                ),
                Step(
                    "baseline_plan",
                    prompt=msg("indicators.ask_baseline_plan"),
                    kind="text",
                    max_len=400,
                    options=_preset_options("baseline_plan"),
                    parse=_text_field("baseline_plan"),
                    when=_is("baseline", "plan"),
                    label=lbl("baseline_plan"),
                    show=_show("baseline_plan"),
                ),
                Step(
                    "target_value",
                    prompt=_target_prompt,
                    kind="number",
                    options=_value_options,
                    parse=_parse_value,
                    label=lbl("target_value"),
                    show=_show("target_value"),
                ),
                Step(
                    "target_date",
                    prompt=msg("indicators.ask_target_date"),
                    kind="choice",
                    options=_date_options("target"),
                    parse=_date_parser("target"),
                    values="text",
                    label=lbl("target_date"),
                    show=_show("target_date"),
                ),
                Step(
                    "source",
                    prompt=lambda ctx: _with_current(ctx, "source", "indicators.ask_source"),
                    kind="text",
                    max_len=300,
                    options=_preset_options("source"),
                    parse=_text_field("source"),
                    label=lbl("source"),
                    show=_show("source"),
                ),
                Step(
                    "frequency",
                    prompt=msg("indicators.ask_frequency"),
                    kind="choice",
                    options=_frequency_options,
                    parse=_parse_frequency,
                    label=lbl("frequency"),
                    show=_show("frequency"),
                ),
                Step(
                    "collector",
                    prompt=msg("indicators.ask_collector"),
                    kind="text",
                    max_len=200,
                    options=_preset_options("collector"),
                    parse=_text_field("collector"),
                    label=lbl("collector"),
                    show=_show("collector"),
                ),
                Step(
                    "disaggregation",
                    prompt=_dis_prompt,
                    kind="choice",
                    options=_dis_options,
                    parse=_parse_dis,
                    multi=True,
                    label=lbl("disaggregation"),
                    show=_show("disaggregation"),
                ),
                Step(
                    "smart",
                    prompt=_smart_prompt,
                    kind="choice",
                    options=_smart_options,
                    parse=_parse_smart,
                    label=lbl("smart"),
                    show=_show_smart,
                ),
            ],
        )
    )
    h.registry.add(
        next_dialogue(
            h,
            NEXT,
            msg("indicators.next.ask"),
            [
                NextChoice(
                    "nx:same", msg("indicators.next.same"), DIALOGUE, keep=("project_id", "effect_id")
                ),
                NextChoice("nx:other", msg("indicators.next.other"), DIALOGUE),
                NextChoice("nx:measure", msg("indicators.next.measure"), "measures", intent="add_measure"),
            ],
        )
    )
    h.add_menu(
        MenuEntry(
            data="menu:indicators",
            label=msg("indicators.menu"),
            dialogue=DIALOGUE,
            order=40,
            intent="add_indicator",
        )
    )
