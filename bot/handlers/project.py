"""The "project" dialogue: title, problem, target publics, activities, period, then a summary the
user confirms; saving creates the Project (or updates it when the dialogue was opened from
"my projects" with `data["project_id"]`).

Publics are a loop (category, detail, expected number, "another one?"). The index of the public
being answered is the number of `public_cat` answers already in the history, so Back walks through
earlier publics correctly; skipping a detail or a number keeps the value already recorded.
Activities are a loop on one step: each message adds one or more activities (split on ";" and new
lines) until the user presses "That's all".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import Any, Sequence

from domain.buttons import CommunePick, PublicPick
from domain.dialogue import (
    INTENT_MEANS,
    SUMMARY,
    Answer,
    Ctx,
    Dialogue,
    Goto,
    Invalid,
    Option,
    Start,
    Step,
    parse_number,
)
from domain.languages import ALL_LANGS
from domain.messages import Msg, Reply, msg
from domain.ports import MenuChoice
from domain.records import AuditEntry, Project, TargetPublic
from domain.text import ASCII_DIGITS, fold

from bot.handlers import Handlers, MenuEntry
from bot.handlers._coaching import today as _today
from bot.handlers._projects import load_project, open_on_summary

DIALOGUE = "project"
NEXT_DIALOGUE = "project_next"
PUBLICS_OFFERED = ("youth", "women", "disability", "migrants", "other")
ALL_PUBLICS = ("youth", "women", "disability", "migrants", "children", "elderly", "other")
MAX_PUBLICS = 8
MAX_ACTIVITIES = 20
MAX_ACTIVITY_LEN = 300
MAX_NUMBER = 1_000_000
MORE_YES, MORE_NO = "pmore:yes", "pmore:no"
NUMBER_UNKNOWN = "pnum:unknown"
KEEP_DETAIL = "pdet:keep"
ACT_DONE, ACT_CLEAR = "act:done", "act:clear"
NEXT_PARTIES, NEXT_EFFECTS, NEXT_MENU = "next:parties", "next:effects", "next:menu"
EDIT_PUBLICS = "_pub_edit"
YEARS = (2000, 2100)


# -- small helpers -----------------------------------------------------------------------------
def is_programme_wide(ctx: Ctx) -> bool:
    return ctx.user is not None and ctx.user.role in ("coordinator", "admin")


def has_letters(text: str) -> bool:
    return any(unicodedata.category(c).startswith("L") for c in text)


def choice_error(answer: Answer, n: int) -> Invalid:
    """The standard refusal of a choice step: an expired/forged button, or unrecognised text."""
    if answer.button:
        return Invalid(msg("common.button_expired"))
    return Invalid(msg("common.choose_option", n=n))


def matches_label(ctx: Ctx, key: str, text: str) -> bool:
    """Typed text equals the label of `key` in any of the four variants."""
    catalog = getattr(ctx.services, "catalog", None)
    if catalog is None or not text.strip():
        return False
    folded = fold(text)
    return any(folded == fold(catalog.text(key, lang.value)) for lang in ALL_LANGS)


SURE = 0.80  # an NLU intent stands for a button only when the parser is this sure
SHORT = 4  # ... and the message is this short (a sentence is an answer, not a "yes")


def said(answer: Answer, *intents: str) -> bool:
    """The typed answer is one of `intents` (yes, no, don't know...) according to the NLU."""
    u = answer.understanding
    if u is None or answer.button or u.intent.name not in intents:
        return False
    text = answer.text or ""
    return u.intent.confidence >= SURE and len(text.split()) <= SHORT and has_letters(text)


def matches_words(ctx: Ctx, key: str, text: str) -> bool:
    """Typed text is one of the |-separated phrasings of catalog entry `key`, in any variant."""
    catalog = getattr(ctx.services, "catalog", None)
    folded = fold(text)
    if catalog is None or not folded:
        return False
    return any(folded == fold(w) for lang in ALL_LANGS for w in catalog.text(key, lang.value).split("|"))


def means(ctx: Ctx, answer: Answer | str, meaning: str) -> bool:
    """The typed answer says `meaning` ("yes", "no", "dont_know", "skip"...): nothing but the
    words people type for it (the words catalog, any variant), or the NLU is sure of it."""
    text = answer if isinstance(answer, str) else (answer.text or "")
    engine = getattr(ctx.services, "engine", None)
    if engine is not None and meaning in engine.meant(ctx, text):
        return True
    intents = [i for i, m in INTENT_MEANS.items() if m == meaning] or [meaning]
    return not isinstance(answer, str) and said(answer, *intents)


def public_label(category: str) -> Msg:
    return msg(f"project.public.{category if category in ALL_PUBLICS else 'other'}")


def public_text(ctx: Ctx, p: dict[str, Any]) -> str:
    """One public on one line: "Youth (120) — 18-30 years, Hay Salam"."""
    out = ctx.render(public_label(p.get("category") or "other"))
    if p.get("number"):
        out += f" ({int(p['number'])})"
    if p.get("detail"):
        out += f" — {p['detail']}"
    return out


def _publics(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.state.data.setdefault("publics", [])


def _index(ctx: Ctx, answering_cat: bool = False) -> int:
    """Index of the public being answered (see the module docstring)."""
    n = ctx.state.history.count("public_cat")
    return n if answering_cat else max(n - 1, 0)


def _current(ctx: Ctx) -> dict[str, Any]:
    pubs = _publics(ctx)
    k = _index(ctx)
    while len(pubs) <= k:
        pubs.append({"category": "other", "detail": None, "number": None})
    return pubs[k]


# -- commune (coordinators only) ---------------------------------------------------------------
def commune_options(ctx: Ctx) -> list[Option]:
    return [
        Option(CommunePick(c.id).encode(), msg("common.raw", text=c.name(ctx.lang)))
        for c in ctx.services.communes
    ]


def _commune(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    communes = list(ctx.services.communes)
    if choice is None and answer.text:
        key = fold(answer.text)
        found = [c for c in communes if key in (fold(c.names.fr), fold(c.names.ar), fold(c.id))]
        if found:
            return found[0].id
    if choice is None:
        return choice_error(answer, len(communes))
    commune = CommunePick.read(choice)
    return commune.code if commune is not None else Invalid(msg("common.button_expired"))


def _show_commune(ctx: Ctx, value: Any) -> Msg:
    return msg("common.raw", text=ctx.services.commune_name(value, ctx.lang))


# -- title and problem -------------------------------------------------------------------------
def _title(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if not has_letters(str(text)):
        return Invalid(msg("project.need_letters"))
    return " ".join(str(text).split())


def _problem(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if not has_letters(str(text)):
        return Invalid(msg("project.need_letters"))
    return str(text).strip()


# -- publics -----------------------------------------------------------------------------------
def public_options(ctx: Ctx) -> list[Option]:
    """The publics offered; the knowledge base's synonyms (all variants) select them too, typos
    aside ("nsaa", "chbab")."""
    kb = getattr(ctx.services, "knowledge", None)
    synonyms: dict[str, list[str]] = {}
    for p in getattr(kb, "publics", ()):
        syn = getattr(p, "synonyms", None)
        if syn is not None:
            synonyms[str(p.id)] = [w for lang in ALL_LANGS for w in syn.get(lang.value)]
    return [
        Option(
            PublicPick(c).encode(),
            public_label(c),
            words=msg("common.raw", text="|".join(synonyms[c])) if synonyms.get(c) else None,
        )
        for c in PUBLICS_OFFERED
    ]


def _public_prompt(ctx: Ctx) -> list[Msg]:
    k = ctx.state.history.count("public_cat")
    if ctx.state.editing:
        return [msg("project.publics_edit"), msg("project.ask_public")]
    return [msg("project.ask_public" if k == 0 else "project.ask_public_next")]


def _guess_public(ctx: Ctx, answer: Answer) -> str | None:
    text = (answer.text or "").strip()
    if not text:
        return None
    for c in ALL_PUBLICS:
        if matches_label(ctx, f"project.public.{c}", text):
            return c
    if answer.understanding is not None:
        values = [v for v in answer.understanding.values("public") if v in ALL_PUBLICS]
        if len(set(values)) == 1:
            return str(values[0])
    kb = getattr(ctx.services, "knowledge", None)
    if kb is not None and len(text) <= 60:
        key = fold(text)
        for p in getattr(kb, "publics", ()):
            syn = getattr(p, "synonyms", None)
            if syn is None:
                continue
            for lang in ALL_LANGS:
                if key in {fold(s) for s in syn.get(lang.value)}:
                    return str(p.id)
    return None


def _public_cat(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    st = ctx.state
    if choice:
        pick = PublicPick.read(choice)
        category = pick.code if pick is not None else None
    else:
        category = _guess_public(ctx, answer)
    if category is None or category not in ALL_PUBLICS:
        return choice_error(answer, len(PUBLICS_OFFERED))
    if st.editing:  # "edit publics" from the summary: walk the list again from the first one
        st.editing = False
        st.data[EDIT_PUBLICS] = True
        if "public_cat" in st.history:
            del st.history[st.history.index("public_cat") :]
    pubs = _publics(ctx)
    k = _index(ctx, answering_cat=True)
    if k < len(pubs):
        if pubs[k].get("category") != category:
            pubs[k] = {"category": category, "detail": None, "number": None}
    else:
        pubs.append({"category": category, "detail": None, "number": None})
    return category


def _detail_prompt(ctx: Ctx) -> list[Msg]:
    cur = _current(ctx)
    if cur["category"] == "other":  # the official's own description of the public
        lines = [msg("project.ask_other_public")]
    else:
        lines = [
            msg(
                f"project.ask_detail.{cur['category']}"
                if cur["category"] in ALL_PUBLICS
                else "project.ask_detail.other"
            )
        ]
    if cur.get("detail"):
        lines.append(msg("project.current_value", value=cur["detail"]))
    return lines


def _keep_detail(ctx: Ctx) -> list[Option]:
    """An "other" public needs its description; one already written can be kept as it is."""
    return (
        [Option(KEEP_DETAIL, msg("indicators.keep"), means=("yes",))] if _current(ctx).get("detail") else []
    )


def _detail(ctx: Ctx, answer: Answer, text: Any) -> Any:
    if answer.button == KEEP_DETAIL:
        detail = _current(ctx).get("detail")
        return detail if detail else Invalid(msg("nav.cannot_skip"))
    if answer.button:
        return Invalid(msg("common.button_expired"))
    if not has_letters(str(text or "")):
        return Invalid(msg("project.need_letters"))
    detail = " ".join(str(text).split())
    _current(ctx)["detail"] = detail
    return detail


def _number_prompt(ctx: Ctx) -> list[Msg]:
    cur = _current(ctx)
    lines = [msg("project.ask_number", public=public_label(cur["category"]))]
    if cur.get("number"):
        lines.append(msg("project.current_value", value=int(cur["number"])))
    return lines


def _number(ctx: Ctx, answer: Answer, number: Any) -> Any:
    if answer.button == NUMBER_UNKNOWN:  # typed "je sais pas" is this button (domain.matching)
        _current(ctx)["number"] = None
        ctx.say("project.number_later")
        return None
    if answer.button:
        return Invalid(msg("common.button_expired"))
    if number is None:  # the engine reads words and digits, never Arabizi letters (sab3in)
        return Invalid(msg("project.need_number"))
    if not float(number).is_integer():
        return Invalid(msg("project.need_whole_number"))
    _current(ctx)["number"] = int(number)
    return int(number)


def _more_options(ctx: Ctx) -> list[Option]:
    return [Option(MORE_YES, msg("project.more_yes")), Option(MORE_NO, msg("project.more_no"))]


def _more_prompt(ctx: Ctx) -> list[Msg]:
    pubs = _publics(ctx)[: _index(ctx) + 1]
    return [
        msg("project.publics_so_far", publics="; ".join(public_text(ctx, p) for p in pubs)),
        msg("project.ask_more"),
    ]


def _more(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    if choice is None and said(answer, "dont_know"):
        choice = MORE_NO  # yes, no and their words are the buttons' (domain.matching)
    k = _index(ctx)
    if choice == MORE_YES:
        if k + 1 >= MAX_PUBLICS:
            ctx.say("project.publics_max", max=MAX_PUBLICS)
        else:
            return Goto("public_cat")
    elif choice != MORE_NO:
        return choice_error(answer, 2)
    del _publics(ctx)[k + 1 :]
    if ctx.state.data.pop(EDIT_PUBLICS, False):
        return Goto(SUMMARY)
    return "no"


def _show_publics(ctx: Ctx, value: Any) -> Msg:
    pubs = ctx.state.data.get("publics") or []
    if not pubs:
        return msg("summary.empty")
    return msg("common.raw", text="; ".join(public_text(ctx, p) for p in pubs))


# -- activities --------------------------------------------------------------------------------
_BULLET = re.compile(r"^\s*(?:[-•*·–—]+|\d{1,2}\s*[.)-])\s*")


def split_activities(text: str) -> list[str]:
    """One activity per line or between semicolons; list bullets and numbers are dropped."""
    items = []
    for part in re.split(r"[;\n؛]+", text):
        part = _BULLET.sub("", part).strip(" \t.،,")
        if part and has_letters(part):
            items.append(" ".join(part.split())[:MAX_ACTIVITY_LEN])
    return items


def _activities_list(ctx: Ctx) -> list[str]:
    value = ctx.state.data.get("activities")
    return list(value) if isinstance(value, list) else []


def activity_options(ctx: Ctx) -> list[Option]:
    if not _activities_list(ctx):
        return []
    return [
        Option(ACT_DONE, msg("project.activities_done")),
        Option(ACT_CLEAR, msg("project.activities_clear")),
    ]


def _activities_prompt(ctx: Ctx) -> list[Msg]:
    acts = _activities_list(ctx)
    if not acts:
        return [msg("project.ask_activities")]
    listing = "\n".join(f"{i}. {a}" for i, a in enumerate(acts, 1))
    return [msg("project.activities_so_far", n=len(acts), list=listing), msg("project.ask_more_activities")]


def _activities(ctx: Ctx, answer: Answer, text: Any) -> Any:
    acts = _activities_list(ctx)
    if answer.button == ACT_DONE and acts:
        return acts
    if answer.button == ACT_CLEAR and acts:
        return Goto("activities", [])
    if answer.button:
        return Invalid(msg("common.button_expired"))
    new = split_activities(str(text or ""))
    if not new:
        return Invalid(msg("project.need_letters"))
    known = {fold(a) for a in acts}
    for item in new:
        if fold(item) not in known and len(acts) < MAX_ACTIVITIES:
            acts.append(item)
            known.add(fold(item))
    if len(acts) >= MAX_ACTIVITIES:
        ctx.say("project.activities_max", max=MAX_ACTIVITIES)
        return acts
    ctx.say("project.activities_added", n=len(acts))
    return Goto("activities", acts)


def _show_activities(ctx: Ctx, value: Any) -> Msg:
    acts = value if isinstance(value, list) else []
    if not acts:
        return msg("summary.empty")
    return msg("common.raw", text="; ".join(acts))


# -- period ------------------------------------------------------------------------------------
def parse_period(
    text: str, dates: Sequence[tuple[int, int, str]] = (), today: date | None = None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Start and end (year, month) read from "2025-2026", "03/2025 - 06/2026", "mars 2025 à
    juin 2026", "2026"... `dates`: the NLU's `date` entities (start, end, value: nlu/dates.py)
    for months said in words, also relative ("l'année prochaine", "le mois prochain") and
    without a year ("de janvier à décembre l'année prochaine", "de septembre à juin 2027": a
    month takes the year said nearest to it; with no year said, the next such month from
    `today`). A bare year starts in January and ends in December. (None, None) when no year
    is found and none can be inferred."""
    t = text.translate(ASCII_DIGITS)
    tokens: list[tuple[int, int, int, bool]] = []  # (position, year, month, month_given)
    months_only: list[tuple[int, int]] = []  # (position, month) of a month said without a year
    for start, end, value in dates:
        v = re.sub(r"^\w+:", "", str(value))
        m = re.fullmatch(r"(\d{4})(?:-(\d\d))?(?:-\d\d)?", v)
        rel = re.fullmatch(r"([YM])([+-]\d+)", v)
        only = re.fullmatch(r"--(\d\d)(?:-\d\d)?", v)
        if m:
            t = t[:start] + " " * (end - start) + t[end:]  # the digits in it are read here
            tokens.append((start, int(m.group(1)), int(m.group(2) or 0), m.group(2) is not None))
        elif rel and today is not None:
            n = int(rel.group(2))
            if rel.group(1) == "Y":
                tokens.append((start, today.year + n, 0, False))
            else:
                y, mo = divmod(today.month - 1 + n, 12)
                tokens.append((start, today.year + y, mo + 1, True))
        elif only:
            months_only.append((start, int(only.group(1))))
    pattern = re.compile(
        r"(?<!\d)(?P<m1>\d{1,2})\s*[/.\-]\s*(?P<y1>\d{4})(?!\d)"  # 03/2025
        r"|(?<!\d)(?P<y2>\d{4})\s*[/.\-]\s*(?P<m2>\d{1,2})(?!\d)"  # 2025-03
        r"|(?<!\d)(?P<y4>\d{4})(?!\d)"
    )  # 2025
    for m in pattern.finditer(t):
        if m.group("y1"):
            tokens.append((m.start(), int(m.group("y1")), int(m.group("m1")), True))
        elif m.group("y2"):
            tokens.append((m.start(), int(m.group("y2")), int(m.group("m2")), True))
        else:
            tokens.append((m.start(), int(m.group("y4")), 0, False))
    tokens = _with_months_said_alone(sorted(tokens), months_only, today)
    found = [tok[1:] for tok in tokens if YEARS[0] <= tok[1] <= YEARS[1] and 0 <= tok[2] <= 12]
    if not found:
        return None, None
    y1, m1, given1 = found[0]
    first = (y1, m1 if given1 and m1 else 1)
    if len(found) == 1:
        return first, (y1, 12) if not given1 else None
    y2, m2, given2 = found[1]
    return first, (y2, m2 if given2 and m2 else 12)


def _with_months_said_alone(
    tokens: list[tuple[int, int, int, bool]], months: list[tuple[int, int]], today: date | None
) -> list[tuple[int, int, int, bool]]:
    """The period's tokens with each month said without a year given one: the year said right
    after it ("de janvier à décembre 2027", "de novembre à mars 2027": November of 2026), else
    the first after the month before it ("septembre 2026 à juin"), else the next such month
    from `today` ("de mars à juin")."""
    if not months:
        return tokens
    yearless = [(pos, month) for pos, month in months if not any(p == pos for p, *_ in tokens)]
    out = list(tokens)
    for pos, month in sorted(yearless):
        later = [tok for tok in out if tok[0] > pos]
        earlier = [tok for tok in out if tok[0] < pos]
        if earlier and (earlier[-1][2] or not later):
            y, m = earlier[-1][1], earlier[-1][2] or 1
            year = y if month >= m else y + 1
        elif later:
            y, m = later[0][1], later[0][2] or 12
            year = y if month <= m else y - 1
        elif today is not None:
            year = today.year if month >= today.month else today.year + 1
        else:
            continue
        out.append((pos, year, month, True))
        out.sort()
    return out


def _period(ctx: Ctx, answer: Answer, text: Any) -> Any:
    raw = " ".join(str(text).split())
    u = answer.understanding
    dates = [(e.start, e.end, str(e.value)) for e in u.entities if e.entity == "date"] if u else []
    start, end = parse_period(answer.text or "", dates, _today())
    if start is None:
        # no year: keep a free text that still speaks of time ("18 mois", "3 ans"), refuse a
        # bare number ("5") or words without any figure ("beaucoup")
        number = parse_number(raw)
        if number is None or not has_letters(raw):
            return Invalid(msg("project.period_unclear"))
        ctx.say("project.period_as_text")
        return {"start": None, "end": None, "text": raw}
    if end is not None and end < start:
        return Invalid(msg("project.period_reversed"))
    return {
        "start": f"{start[0]}-{start[1]:02d}",
        "end": f"{end[0]}-{end[1]:02d}" if end else None,
        "text": raw,
    }


def period_text(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    start, end = value.get("start"), value.get("end")
    if start:
        return f"{_mm_yyyy(start)} → {_mm_yyyy(end)}" if end else f"{_mm_yyyy(start)} →"
    return value.get("text") or None


def _mm_yyyy(ym: str) -> str:
    y, m = ym.split("-")
    return f"{m}/{y}"


def _show_period(ctx: Ctx, value: Any) -> Msg:
    shown = period_text(value)
    return msg("common.raw", text=shown) if shown else msg("summary.empty")


def period_dates(value: Any) -> tuple[date | None, date | None, str | None]:
    if not isinstance(value, dict):
        return None, None, None
    start = end = None
    if value.get("start"):
        y, m = (int(x) for x in value["start"].split("-"))
        start = date(y, m, 1)
    if value.get("end"):
        y, m = (int(x) for x in value["end"].split("-"))
        end = date(y, m, calendar.monthrange(y, m)[1])
    return start, end, value.get("text")


# -- saving ------------------------------------------------------------------------------------
def prefill(project: Project) -> dict[str, Any]:
    """The dialogue data for editing an existing project."""
    period = None
    if project.period_start or project.period_end or project.period_text:
        ps, pe = project.period_start, project.period_end
        period = {
            "start": f"{ps.year}-{ps.month:02d}" if ps else None,
            "end": f"{pe.year}-{pe.month:02d}" if pe else None,
            "text": project.period_text,
        }
    return {
        "project_id": project.id,
        "commune": project.commune_id,
        "title": project.title,
        "problem": project.problem,
        "activities": list(project.activities),
        "period": period,
        "publics": [
            {"category": p.category, "detail": p.detail, "number": p.expected_number} for p in project.publics
        ],
    }


def open_for_edit(ctx: Ctx, project: Project) -> Start:
    """Open the project dialogue on its summary, filled with the project's values; Back walks
    through the steps as if they had been answered."""
    data = prefill(project)
    history = ["commune"] if is_programme_wide(ctx) else []
    history += ["title", "problem"]
    for p in data["publics"] or [{"category": "other"}]:
        history += [
            "public_cat",
            "public_other" if p["category"] == "other" else "public_detail",
            "public_number",
            "public_more",
        ]
    history += ["activities", "period"]
    return open_on_summary(DIALOGUE, data, history)


def _save(ctx: Ctx) -> list[Reply] | Start:
    d = ctx.state.data
    user = ctx.user
    if user is None:  # a project is saved by a registered user only
        ctx.say("projects.not_found")
        return []
    commune = d.get("commune") if is_programme_wide(ctx) else user.commune_id
    if commune is None or not user.can_see_commune(commune):
        ctx.say("projects.not_found")
        return []
    start, end, text = period_dates(d.get("period"))
    old: Project | None = None
    if d.get("project_id") is not None:
        old = load_project(ctx, d["project_id"])
        if old is None:
            ctx.say("projects.not_found")
            return []
    old_publics = old.publics if old else []
    publics = [
        TargetPublic(
            id=old_publics[i].id if i < len(old_publics) else None,
            category=p["category"],
            detail=p.get("detail"),
            expected_number=p.get("number"),
        )
        for i, p in enumerate(d.get("publics") or [])
    ]
    fields = dict(
        commune_id=commune,
        title=d["title"],
        problem=d.get("problem"),
        activities=list(d.get("activities") or []),
        period_start=start,
        period_end=end,
        period_text=text,
        publics=publics,
    )
    if old is None:
        saved = ctx.uow.projects.add(Project(created_by=user.id, **fields))
        action = "project.created"
    else:
        for k, v in fields.items():
            setattr(old, k, v)
        saved = ctx.uow.projects.save(old)
        action = "project.updated"
    ctx.uow.audit.add(
        AuditEntry(
            user_id=user.id,
            action=action,
            target=f"project:{saved.id}",
            detail={"commune": commune, "title": saved.title},
        )
    )
    ctx.say("project.saved" if old is None else "project.updated", title=saved.title)
    if saved.id is None:
        raise LookupError("a saved project has an id")
    return offer_next(ctx, saved.id)


# -- what next ---------------------------------------------------------------------------------
def next_options(ctx: Ctx) -> list[Option]:
    registry = ctx.services.handlers.registry
    after = ctx.state.data.get("after")
    opts = []
    if "parties" in registry and after != "parties":
        opts.append(Option(NEXT_PARTIES, msg("project.next_parties")))
    if "effects" in registry:
        opts.append(Option(NEXT_EFFECTS, msg("project.next_effects"), intent="add_effect"))
    return opts + [Option(NEXT_MENU, msg("project.next_menu"), intent="menu")]


def offer_next(ctx: Ctx, project_id: int, after: str | None = None) -> Start:
    """After saving: offer the follow-up dialogues of the project, or the menu if none (the
    follow-up dialogue's start sends there)."""
    return Start(NEXT_DIALOGUE, {"project_id": project_id, "after": after})


def _next_start(ctx: Ctx) -> Start | None:
    """Nothing to offer after the project but the menu: the menu itself."""
    return Start("menu") if [o.data for o in next_options(ctx)] == [NEXT_MENU] else None


def _next_prompt(ctx: Ctx) -> Msg:
    after = ctx.state.data.get("after")
    return msg("project.next_after_parties" if after == "parties" else "project.next_question")


def _next(ctx: Ctx, answer: Answer, choice: Any) -> Any:
    pid = ctx.state.data.get("project_id")
    if choice == NEXT_PARTIES:
        return Start("parties", {"project_id": pid})
    if choice == NEXT_EFFECTS:
        return Start("effects", {"project_id": pid})
    if choice == NEXT_MENU or said(answer, "deny", "menu"):
        return Start("menu")
    entry = _menu_entry(ctx, answer.button)
    if entry is not None:
        return Start(entry.dialogue)  # a main-menu button pressed instead: go there
    return choice_error(answer, len(next_options(ctx)))


def _menu_entry(ctx: Ctx, data: str | None) -> MenuChoice | None:
    """The main-menu entry of button data, when the user's role has it."""
    role = ctx.user.role if ctx.user is not None else None
    return next((e for e in ctx.services.handlers.menu_for(role) if e.data == data), None)


def setup(h: Handlers) -> None:
    h.registry.add(
        Dialogue(
            id=DIALOGUE,
            summary_title=msg("project.summary_title"),
            on_complete=_save,
            steps=[
                Step(
                    "commune",
                    prompt=msg("project.ask_commune"),
                    kind="choice",
                    options=commune_options,
                    parse=_commune,
                    when=is_programme_wide,
                    label=msg("project.f.commune"),
                    show=_show_commune,
                ),
                Step(
                    "title",
                    prompt=[msg("project.intro"), msg("project.ask_title")],
                    max_len=120,
                    parse=_title,
                    label=msg("project.f.title"),
                ),
                Step(
                    "problem",
                    prompt=msg("project.ask_problem"),
                    max_len=600,
                    parse=_problem,
                    label=msg("project.f.problem"),
                ),
                Step(
                    "public_cat",
                    prompt=_public_prompt,
                    kind="choice",
                    options=public_options,
                    parse=_public_cat,
                    label=msg("project.f.publics"),
                    show=_show_publics,
                ),
                Step(
                    "public_other",
                    prompt=_detail_prompt,
                    max_len=200,
                    parse=_detail,
                    options=_keep_detail,
                    skip_as=KEEP_DETAIL,
                    when=lambda ctx: ctx.state.data.get("public_cat") == "other",
                ),
                Step(
                    "public_detail",
                    prompt=_detail_prompt,
                    max_len=200,
                    parse=_detail,
                    optional=True,
                    when=lambda ctx: ctx.state.data.get("public_cat") != "other",
                ),
                Step(
                    "public_number",
                    prompt=_number_prompt,
                    kind="number",
                    optional=True,
                    options=[Option(NUMBER_UNKNOWN, msg("project.number_unknown"))],
                    min_value=1,
                    max_value=MAX_NUMBER,
                    parse=_number,
                ),
                Step(
                    "public_more",
                    prompt=_more_prompt,
                    kind="choice",
                    options=_more_options,
                    parse=_more,
                    store=False,
                ),
                Step(
                    "activities",
                    prompt=_activities_prompt,
                    max_len=3000,
                    options=activity_options,
                    parse=_activities,
                    label=msg("project.f.activities"),
                    show=_show_activities,
                ),
                Step(
                    "period",
                    prompt=msg("project.ask_period"),
                    max_len=100,
                    optional=True,
                    parse=_period,
                    label=msg("project.f.period"),
                    show=_show_period,
                ),
            ],
        )
    )
    h.registry.add(
        Dialogue(
            id=NEXT_DIALOGUE,
            confirm=False,
            then=None,
            on_start=_next_start,
            steps=[
                Step(
                    "choice",
                    prompt=_next_prompt,
                    kind="choice",
                    options=next_options,
                    parse=_next,
                    store=False,
                    takes=lambda ctx, data: _menu_entry(ctx, data) is not None,
                )
            ],
        )
    )
    h.add_menu(
        MenuEntry(
            data="menu:new_project",
            label=msg("menu.new_project"),
            dialogue=DIALOGUE,
            order=10,
            intent="new_project",
        )
    )
