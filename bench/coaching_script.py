"""The coaching conversation the Telegram benchmark drives: a registered official at the main menu
describes a new project (typed title, problem and activity; the public, the number, the period by
button), confirms it, walks the circle of effects (two groups answered in words, a polarity each,
a proposed unexpected effect declined, four groups passed by button), confirms the circle and goes
back to the menu: 20 button presses and 5 typed texts, the 4 : 1 mix of the load aims, and every
round stores a project and two stakeholders.

Each step says what the bot must answer: the button data of the message that asks the next
question (exactly, in order), and where buttons do not tell the questions apart, words of that
message (a catalog text in the user's language, the group's "n/8", or what the user typed, which
the summaries repeat). Button data and catalog keys are the bot's own constants, so the script
follows the dialogues when they change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from domain.buttons import PublicPick
from domain.dialogue import BACK_DATA, CANCEL_DATA, CONFIRM_DATA, EDIT_DATA, SKIP_DATA

from bot.handlers import parties as pa
from bot.handlers import project as pr

# What an official types, in the user's language; {n} makes every text different (no cache of
# the bot's or of the NLU's sees the same text twice).
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Ateliers emploi jeunes {n}",
        "problem": "Dans le quartier {n} jeunes sont sans travail après le bac",
        "activity": "organiser {n} ateliers d'orientation",
        "how_participants": "les participants découvrent des métiers dans {n} entreprises",
        "how_families": "les filles gardent les petits frères dans {n} familles",
    },
    "ar": {
        "title": "ورشات تشغيل الشباب {n}",
        "problem": "في الحي {n} شاب بدون عمل بعد البكالوريا",
        "activity": "تنظيم {n} ورشة للتوجيه",
        "how_participants": "المشاركون يكتشفون مهنا جديدة في {n} مقاولة",
        "how_families": "البنات يعتنين بإخوتهن الصغار في {n} أسرة",
    },
    "ary": {
        "title": "ورشات الخدمة ديال الشباب {n}",
        "problem": "فالحومة كاينين {n} ديال الشباب ما خدامينش من بعد الباك",
        "activity": "نديرو {n} ورشة ديال التوجيه",
        "how_participants": "المشاركين كيكتاشفو حرايف جداد ف {n} شركة",
        "how_families": "البنات كيبقاو يتهلاو فخوتهم الصغار ف {n} دار",
    },
    "ary-Latn": {
        "title": "Ateliers lkhedma dial chabab {n}",
        "problem": "f lhouma kaynin {n} dial chabab ma khddaminch mn b3d lbac",
        "activity": "ndiro {n} ateliers dial tawjih",
        "how_participants": "lmocharikin kayktachfo l7rayf jdad f {n} charikat",
        "how_families": "lbnat kayb9aw yt3tnaw b khouthom sghar f {n} dyour",
    },
}

GROUP = (pa.YES, pa.NO, pa.UNKNOWN, pa.DONE, SKIP_DATA, BACK_DATA)
SUMMARY = (CONFIRM_DATA, EDIT_DATA, CANCEL_DATA)
_INVISIBLE = re.compile("[\u200e\u200f\u2066-\u2069]")  # direction marks and isolates


@dataclass(frozen=True)
class Step:
    kind: str  # "button" (send = callback data) or "text" (send = a TEXTS key)
    send: str
    shows: tuple[str, ...]  # the answering message's button data, exactly
    says_key: str | None = None  # a catalog text (without placeholders) it contains
    says_group: int | None = None  # the circle's group number it shows ("2/8")
    echoes: tuple[str, ...] = ()  # TEXTS keys typed earlier in the round that it repeats
    may_also: frozenset[str] = frozenset()  # buttons of a message that may come before it
    saves: str | None = None  # "project" or "circle": what its answer has stored


def build(menu: tuple[str, ...]) -> list[Step]:
    """The round, from the main menu back to it (`menu`: the menu's button data)."""
    b, t = "button", "text"
    lesson = frozenset({"lsn:go:who_is_affected", "lsn:no:who_is_affected"})
    return [
        Step(b, "menu:new_project", (), says_key="project.ask_title"),
        Step(t, "title", (BACK_DATA,), says_key="project.ask_problem"),
        Step(
            t,
            "problem",
            tuple(PublicPick(p).encode() for p in ("youth", "women", "disability", "migrants", "other"))
            + (BACK_DATA,),
        ),
        Step(b, PublicPick("youth").encode(), (SKIP_DATA, BACK_DATA)),
        Step(b, SKIP_DATA, (pr.NUMBER_UNKNOWN, SKIP_DATA, BACK_DATA)),
        Step(b, pr.NUMBER_UNKNOWN, (pr.MORE_YES, pr.MORE_NO, BACK_DATA)),
        Step(b, pr.MORE_NO, (BACK_DATA,), says_key="project.ask_activities"),
        Step(t, "activity", (pr.ACT_DONE, pr.ACT_CLEAR, BACK_DATA), echoes=("activity",)),
        Step(b, pr.ACT_DONE, (SKIP_DATA, BACK_DATA), says_key="project.ask_period"),
        Step(b, SKIP_DATA, SUMMARY, echoes=("title", "problem", "activity")),
        Step(b, CONFIRM_DATA, (pr.NEXT_PARTIES, pr.NEXT_EFFECTS, pr.NEXT_MENU), saves="project"),
        Step(b, pr.NEXT_PARTIES, GROUP[:-1], says_group=1, may_also=lesson),
        Step(t, "how_participants", (pa.POSITIVE, pa.NEGATIVE, pa.BOTH, BACK_DATA)),
        Step(b, pa.POSITIVE, GROUP, says_group=2),
        Step(b, pa.YES, (BACK_DATA,)),
        Step(t, "how_families", (pa.POSITIVE, pa.NEGATIVE, pa.BOTH, BACK_DATA)),
        Step(b, pa.NEGATIVE, (pa.KEEP, pa.DROP, BACK_DATA)),
        Step(b, pa.DROP, GROUP, says_group=3),
        Step(b, pa.NO, GROUP, says_group=4),
        Step(b, pa.UNKNOWN, GROUP, says_group=5),
        Step(b, SKIP_DATA, GROUP, says_group=6),
        Step(b, pa.NO, GROUP, says_group=7),
        Step(b, pa.DONE, SUMMARY, echoes=("how_participants", "how_families")),
        Step(b, CONFIRM_DATA, (pr.NEXT_EFFECTS, pr.NEXT_MENU), saves="circle"),
        Step(b, pr.NEXT_MENU, menu),
    ]


@dataclass
class Round:
    """One user's place in the script and the texts typed in the current round."""

    lang: str
    pos: int = 0
    typed: dict[str, str] = field(default_factory=dict)


def visible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def type_text(step: Step, rnd: Round, n: int) -> str:
    """What the user types at a text step (`n` makes it unique); kept for the summaries' echo."""
    text = TEXTS[rnd.lang][step.send].format(n=n)
    if step.send == "title":  # a new round
        rnd.typed.clear()
    rnd.typed[step.send] = text
    return text


def note_saved(step: Step, rnd: Round, saved: dict[str, list[str]]) -> None:
    """Once `step` is answered: what the database must now hold (a project's title, the circle's
    two stakeholders' words)."""
    if step.saves == "project":
        saved.setdefault("project", []).append(rnd.typed["title"])
    elif step.saves == "circle":
        saved.setdefault("circle", []).extend([rnd.typed["how_participants"], rnd.typed["how_families"]])


def judge(
    step: Step,
    rnd: Round,
    text: str,
    buttons: list[str],
    groups: int,
    catalog_text: Callable[[str, str], str],
) -> tuple[bool, str | None]:
    """(True, None): the message answers `step`; (False, None): a note or an allowed offer
    before the answer; (False, what is wrong): a message in place of the answer."""
    problem = check(step, rnd, text, buttons, groups, catalog_text)
    if problem is None:
        return True, None
    if not buttons or set(buttons) <= step.may_also:
        return False, None
    return False, problem


def check(
    step: Step,
    rnd: Round,
    text: str,
    buttons: list[str],
    groups: int,
    catalog_text: Callable[[str, str], str],
) -> str | None:
    """None when the message answers `step` as it must; else what is wrong with it."""
    if tuple(buttons) != step.shows:
        return f"buttons {buttons}, expected {list(step.shows)}"
    shown = visible(text)
    wanted: list[str] = []
    if step.says_key:
        wanted.append(visible(catalog_text(step.says_key, rnd.lang)))
    if step.says_group is not None:
        wanted.append(f"{step.says_group}/{groups}")
    wanted += [rnd.typed[k] for k in step.echoes]
    missing = [w for w in wanted if w not in shown]
    return f"text without {missing!r}" if missing else None
