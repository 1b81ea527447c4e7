"""Pure rules of the effect and indicator coaching (DOMAIN §1.4, §2.1-2.2, §3.1-3.3).

Nothing here knows a language: every word list comes in as data (`Lexicon`, built by the caller
from the knowledge base's coaching lexicon, publics and domains). The rules are:

- `classify`: is a statement an activity (what we do), an output (what we deliver and count) or
  an effect (what changes for people)? Subject test, activity verbs, counting patterns, change
  verbs, combined with the NLU statement intent when the rules are silent or weak.
- `check_effect`: does an effect say who changes, what changes, in which direction and by when?
- `change_clause` / `choose_template`: material for a better wording proposed from a template.
- `smart_check`: specific findings about an indicator (no baseline, target without date, ...).
- `progress`: where the latest measurement stands between baseline and target.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Literal, Mapping, Sequence

StatementKind = Literal["activity", "output", "effect", "unknown"]
Part = Literal["who", "change", "direction", "horizon"]
PARTS: tuple[str, ...] = ("who", "change", "direction", "horizon")
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "start", "stop", "keep")

NLU_KINDS = {"describe_activity": "activity", "describe_output": "output",
             "describe_effect": "effect"}
NLU_MIN_CONFIDENCE = 0.5  # below this the NLU statement intent is ignored
NLU_OVERRIDES_WEAK = 0.8  # a confident NLU beats a rule that rests on one weak clue

# Arabic letter variants (hamza forms of alef, alef wasla, alef maqsura) and Arabic-Indic digits
_ALEF = str.maketrans({**{c: 0x0627 for c in (0x0623, 0x0625, 0x0622, 0x0671)}, 0x0649: 0x064A,
                       **{0x0660 + i: 0x30 + i for i in range(10)}})
_TATWEEL = chr(0x0640)
_YEAR = re.compile(r"(?<!\d)(20[2-4]\d)(?!\d)")


def plain_map(text: str) -> tuple[str, list[int]]:
    """`plain(text)` and, for each of its characters, the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text or ""):
        for ch in unicodedata.normalize("NFKD", c):
            if unicodedata.combining(ch) or ch == _TATWEEL:
                continue
            ch = "'" if ch == "\u2019" else ch.translate(_ALEF)
            out.append(ch)
            index.append(i)
    return "".join(out), index


def plain(text: str) -> str:
    """Accents and Arabic diacritics removed, Arabic letter variants and digits unified. Case and
    spaces are kept (matching is case-insensitive), so regular expressions and offsets survive."""
    return plain_map(text)[0]


_AL = chr(0x0627) + chr(0x0644)  # the Arabic article
# up to two one-letter proclitics (wa, fa, bi, ka, li) and the article may precede an Arabic word
_PROCLITICS = "(?:[" + "".join(chr(c) for c in (0x0648, 0x0641, 0x0628, 0x0643, 0x0644)) + "]{0,2}" \
    + "(?:" + _AL + ")?)"


def _is_arabic(word: str) -> bool:
    return any(0x0600 <= ord(c) <= 0x06FF for c in word)


def _word_re(form: str, whole: bool = False) -> re.Pattern[str]:
    """A form matches at the start of a word; it may be a stem ("sensibilis" → "sensibiliser").
    An Arabic form also matches with or without its article and after a proclitic ("العمل" finds
    "عملا", "بالعمل"). With `whole`, the match runs on to the end of the word it starts."""
    f = plain(form).strip()
    head = ""
    if _is_arabic(f):
        if f.startswith(_AL) and len(f) > 3:
            f = f[2:]
        head = _PROCLITICS
    return re.compile(r"(?<!\w)" + head + re.escape(f) + (r"\w*" if whole else ""), re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    """The words the rules look for, all language variants merged (users mix them)."""
    activity_verbs: Mapping[str, Sequence[str]] = field(default_factory=dict)  # id -> forms
    output_patterns: Mapping[str, Sequence[str]] = field(default_factory=dict)  # id -> regexes
    actor_subjects: Sequence[str] = ()
    change_verbs: Sequence[str] = ()
    publics: Mapping[str, Sequence[str]] = field(default_factory=dict)  # public id -> synonyms
    domains: Mapping[str, Sequence[str]] = field(default_factory=dict)  # domain id -> synonyms
    directions: Mapping[str, Sequence[str]] = field(default_factory=dict)  # direction -> words
    pronouns: Sequence[str] = ()  # subject pronouns dropped at the start of a change clause

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", {})

    def _compiled(self, key: str, words: Iterable[str], whole: bool = False) -> list[re.Pattern[str]]:
        cache: dict[str, list[re.Pattern[str]]] = self._cache  # type: ignore[attr-defined]
        if key not in cache:
            cache[key] = [_word_re(w, whole) for w in words if w and w.strip()]
        return cache[key]

    def _regexes(self, key: str, patterns: Iterable[str]) -> list[re.Pattern[str]]:
        cache: dict[str, list[re.Pattern[str]]] = self._cache  # type: ignore[attr-defined]
        if key not in cache:
            cache[key] = [re.compile(plain_pattern(p), re.IGNORECASE) for p in patterns]
        return cache[key]

    # -- lookups -------------------------------------------------------------------------------
    def activity_verbs_in(self, text: str) -> list[str]:
        t = plain(text)
        return [vid for vid, forms in self.activity_verbs.items()
                if any(r.search(t) for r in self._compiled("act:" + vid, forms))]

    def leading_activity_verb(self, text: str) -> str | None:
        """The activity verb the statement starts with ("Organiser 10 ateliers")."""
        t = plain(text)
        for vid, forms in self.activity_verbs.items():
            for r in self._compiled("act:" + vid, forms):
                m = r.search(t)
                if m is not None and m.start() == 0:
                    return vid
        return None

    def output_pattern_in(self, text: str) -> str | None:
        t = plain(text)
        for pid, patterns in self.output_patterns.items():
            if any(r.search(t) for r in self._regexes("out:" + pid, patterns)):
                return pid
        return None

    def has_actor_subject(self, text: str) -> bool:
        t = plain(text)
        return any(r.search(t) for r in self._compiled("actor", self.actor_subjects))

    def change_verb_span(self, text: str) -> tuple[int, int] | None:
        t = plain(text)
        hits = [m.span() for r in self._compiled("change", self.change_verbs)
                for m in [r.search(t)] if m is not None]
        return min(hits) if hits else None

    def publics_in(self, text: str) -> list[str]:
        t = plain(text)
        return [pid for pid, words in self.publics.items()
                if any(r.search(t) for r in self._compiled("pub:" + pid, words))]

    def public_span(self, text: str, public: str | None = None) -> tuple[int, int] | None:
        t = plain(text)
        ids = [public] if public else list(self.publics)
        spans = [m.span() for pid in ids for r in self._compiled("pubw:" + pid, self.publics.get(pid, ()), True)
                 for m in [r.search(t)] if m is not None]
        return min(spans) if spans else None

    def domains_in(self, text: str) -> list[str]:
        t = plain(text)
        return [did for did, words in self.domains.items()
                if any(r.search(t) for r in self._compiled("dom:" + did, words))]

    def direction_in(self, text: str) -> str | None:
        t = plain(text)
        for did in DIRECTIONS:
            if any(r.search(t) for r in self._compiled("dir:" + did, self.directions.get(did, ()))):
                return did
        return None


def plain_pattern(pattern: str) -> str:
    """A regular expression with the same letter normalisation as `plain` (escapes untouched)."""
    t = unicodedata.normalize("NFKD", pattern)
    t = "".join(c for c in t if not unicodedata.combining(c)).replace(_TATWEEL, "")
    return unicodedata.normalize("NFC", t).translate(_ALEF)


# -- activity / output / effect ---------------------------------------------------------------
@dataclass(frozen=True)
class Classification:
    kind: StatementKind
    activity_verb: str | None = None  # id of the activity verb found, for its "so what?" question
    output_pattern: str | None = None
    reasons: tuple[str, ...] = ()  # the clues, for tests and logs


def classify(text: str, lexicon: Lexicon, intent: str | None = None,
             confidence: float = 0.0) -> Classification:
    """Tell an activity, an output and an effect apart (DOMAIN §1.4).

    Rules first: a change verb whose subject is not "we / the commune" makes an effect; an
    activity verb led by the actor ("Organiser…", "la commune va former…") an activity; a counted
    delivery ("120 jeunes formés", "3 séances tenues") an output. A rule resting on a single weak
    clue (an activity noun alone, the actor alone) yields to a confident NLU statement intent;
    when the rules find nothing, the NLU intent decides; otherwise the kind is "unknown".
    """
    verbs = lexicon.activity_verbs_in(text)
    lead = lexicon.leading_activity_verb(text)
    actor = lexicon.has_actor_subject(text)
    counted = lexicon.output_pattern_in(text)
    change = lexicon.change_verb_span(text) is not None
    # counting test, weak form: a statement that opens on a count ("40 femmes présentes…")
    leading_count = re.match(r"\W*\d+(?:[.,]\d+)?(?![\d.,]|\s*%)", plain(text)) is not None
    # or that counts things somewhere ("un festival, 2 000 visiteurs"), a year aside
    count_inside = re.search(r"(?<![\d.,])(?!20\d\d(?!\d))\d+(?:[.,]\d+)?(?![\d.,]|\s*%)\s+\w",
                             plain(text)) is not None
    # a share of people ("30 % des jeunes…") is how effects are usually stated
    share = re.search(r"\d\s*%", plain(text)) is not None
    reasons: list[str] = []
    if verbs:
        reasons.append("activity_verb")
    if lead:
        reasons.append("leading_verb")
    if actor:
        reasons.append("actor_subject")
    if counted:
        reasons.append("counted")
    if leading_count:
        reasons.append("leading_count")
    if count_inside and not leading_count:
        reasons.append("counted_inside")
    if share:
        reasons.append("share")
    if change:
        reasons.append("change_verb")
    nlu_kind = NLU_KINDS.get(intent or "") if confidence >= NLU_MIN_CONFIDENCE else None
    if nlu_kind:
        reasons.append("nlu_" + nlu_kind)
    verb = lead or (verbs[0] if verbs else None)

    rule: str | None = None
    weak = False
    if change and not actor and not lead:
        rule = "effect"
    elif verbs and (actor or lead):
        rule = "activity"
    elif counted:
        rule = "output"
    elif verbs or actor:
        rule, weak = "activity", True
    elif (leading_count or count_inside) and not change:
        rule, weak = "output", True
    elif share:
        rule, weak = "effect", True
    if rule is None or (weak and nlu_kind and nlu_kind != rule and confidence >= NLU_OVERRIDES_WEAK):
        kind = nlu_kind or "unknown"
    else:
        kind = rule
    return Classification(kind=kind, activity_verb=verb if kind == "activity" else None,  # type: ignore[arg-type]
                          output_pattern=counted if kind == "output" else None,
                          reasons=tuple(reasons))


# -- checking an effect -----------------------------------------------------------------------
@dataclass(frozen=True)
class Horizon:
    months: int | None = None  # "in 6 months"
    year: int | None = None  # "by the end of 2026"

    @property
    def known(self) -> bool:
        return self.months is not None or self.year is not None

    def as_text(self) -> str:
        """Stored form: a year ("2026", by the end of it) or an ISO 8601 duration ("P6M")."""
        if self.year is not None:
            return str(self.year)
        return f"P{self.months}M" if self.months is not None else ""

    @classmethod
    def parse(cls, value: Any) -> "Horizon":
        """Read back `as_text`."""
        s = str(value or "").strip().upper()
        if re.fullmatch(r"\d{4}", s):
            return cls(year=int(s))
        if re.fullmatch(r"P\d{1,3}M", s):
            return cls(months=int(s[1:-1]))
        return cls()


def find_horizon(text: str, durations: Sequence[float] = (), today: date | None = None) -> Horizon:
    """A time horizon: a duration understood by the NLU (in months) or a year written in digits."""
    for d in durations:
        try:
            months = int(round(float(d)))
        except (TypeError, ValueError):
            continue
        if 0 < months <= 240:
            return Horizon(months=months)
    m = _YEAR.search(plain(text))
    if m:
        year = int(m.group(1))
        if today is None or year >= today.year:
            return Horizon(year=year)
    return Horizon()


@dataclass(frozen=True)
class EffectCheck:
    public: str | None  # who changes (a public id), if named
    change: bool  # a change verb is there
    direction: str | None  # increase / decrease / start / stop / keep, or "implied" by the verb
    horizon: Horizon
    domain: str | None
    missing: tuple[str, ...]  # the parts still to ask, in the order to ask them

    @property
    def complete(self) -> bool:
        return not self.missing


def check_effect(text: str, lexicon: Lexicon, *, publics: Sequence[str] = (),
                 domains: Sequence[str] = (), durations: Sequence[float] = (),
                 kind: StatementKind | None = None, today: date | None = None) -> EffectCheck:
    """Who, what changes, direction and horizon of an effect statement (DOMAIN §2.1-2.2).

    `publics`, `domains` and `durations` are entities the NLU found; the lexicon adds its own.
    A change verb carries its direction ("trouvent un emploi" = start, "diminue" = decrease).
    """
    found_publics = list(publics) + [p for p in lexicon.publics_in(text) if p not in publics]
    found_domains = list(domains) + [d for d in lexicon.domains_in(text) if d not in domains]
    change = lexicon.change_verb_span(text) is not None or kind == "effect"
    direction = lexicon.direction_in(text) or ("implied" if lexicon.change_verb_span(text) else None)
    horizon = find_horizon(text, durations, today)
    missing: list[str] = []
    if not found_publics:
        missing.append("who")
    if not change:
        missing.append("change")
    if direction is None:
        missing.append("direction")
    if not horizon.known:
        missing.append("horizon")
    return EffectCheck(public=found_publics[0] if found_publics else None, change=change,
                       direction=direction, horizon=horizon,
                       domain=found_domains[0] if found_domains else None,
                       missing=tuple(missing))


def change_clause(text: str, lexicon: Lexicon, public: str | None = None) -> str:
    """The change part of a statement, so that a template can put its own "who" and horizon
    around it: "Les jeunes formés trouvent du travail d'ici 2026" → "formés trouvent du travail".
    The group named before the change verb and a leading pronoun are dropped; a group named right
    after the verb (Arabic verb-subject order: "يجد الشباب عملا") is cut out; a year at the very
    end goes too, with the one or two short words that introduce it."""
    p, index = plain_map(text)
    start, end = 0, len(p)
    cut: tuple[int, int] | None = None
    span = lexicon.public_span(p, public)
    change = lexicon.change_verb_span(p)
    if span is not None and span[0] <= 30 and (change is None or span[1] <= change[0]):
        start = span[1]
    elif span is not None and change is not None and 0 <= span[0] - change[1] <= 2:
        cut = span
    start += len(p[start:]) - len(p[start:].lstrip(" ,.:;-"))
    for pron in lexicon.pronouns:
        pm = re.compile(r"(?i)" + re.escape(plain(pron)) + r"(?!\w)\s*").match(p, start)
        if pm:
            start = pm.end()
            break
    year = re.search(r"(?:\s+\S{1,5}){0,2}\s+(?<!\d)20[2-4]\d[\s.!?؟،,;]*$", p[start:])
    if year:
        end = start + year.start()
    while end > start and p[end - 1] in " .!?؟،,;:-":
        end -= 1
    if end <= start:
        return ""
    keep = [(start, end)]
    if cut is not None and start <= cut[0] and cut[1] <= end:
        after = cut[1] + len(p[cut[1]:end]) - len(p[cut[1]:end].lstrip())
        keep = [(start, cut[0]), (after, end)]
    parts = [text[index[a]:index[b - 1] + 1] for a, b in keep if b > a]
    return " ".join(x.strip() for x in parts if x.strip())


def choose_template(target: float | None, target_is_share: bool) -> str:
    """The template id for a proposal (knowledge/templates.yml)."""
    if target is None:
        return "basic"
    return "with_share" if target_is_share else "with_count"


def horizon_template(h: Horizon) -> tuple[str, dict[str, int]]:
    """The horizon template id and its values."""
    if h.year is not None:
        return "end_of_year", {"year": h.year}
    return "in_months", {"months": h.months or 12}


def level_for(h: Horizon, today: date | None = None) -> str:
    """Outcome for the short and medium term; impact beyond three years (DOMAIN §1.1)."""
    months = h.months
    if months is None and h.year is not None and today is not None:
        months = (h.year - today.year) * 12 + (12 - today.month)
    return "impact" if months is not None and months > 36 else "outcome"


# -- indicators: SMART check --------------------------------------------------------------------
Severity = Literal["problem", "advice"]


@dataclass(frozen=True)
class Finding:
    code: str  # catalog-friendly id, e.g. "no_baseline"
    field: str  # the indicator field to fix
    severity: Severity = "problem"


PEOPLE_UNITS = ("number", "percent", "score")


def smart_check(ind: Any, *, people_based: bool = True, direction: str = "increase",
                today: date | None = None) -> list[Finding]:
    """Specific findings about an indicator (domain.records.Indicator or alike), worst first.

    Specific: a definition; Measurable: a unit and, for a percentage, how it is calculated;
    a baseline or a plan to get one; a target beyond the baseline in the wanted direction, with a
    date (Time-bound); where the data comes from, how often and who collects it; disaggregation
    for an indicator about people (DOMAIN §3.1-3.3).
    """
    out: list[Finding] = []
    unit = getattr(ind, "unit", None)
    if not unit:
        out.append(Finding("no_unit", "unit"))
    if not (getattr(ind, "definition", None) or "").strip():
        out.append(Finding("no_definition", "definition"))
    if unit == "percent" and not (getattr(ind, "calculation", None) or "").strip():
        out.append(Finding("percent_without_calculation", "calculation"))
    base = getattr(ind, "baseline_value", None)
    target = getattr(ind, "target_value", None)
    if base is None and not (getattr(ind, "baseline_plan", None) or "").strip():
        out.append(Finding("no_baseline", "baseline_value"))
    if base is not None and getattr(ind, "baseline_date", None) is None:
        out.append(Finding("baseline_without_date", "baseline_date", "advice"))
    if base is not None and not (getattr(ind, "baseline_source", None) or "").strip():
        out.append(Finding("baseline_without_source", "baseline_source", "advice"))
    if target is None:
        out.append(Finding("no_target", "target_value"))
    elif getattr(ind, "target_date", None) is None:
        out.append(Finding("target_without_date", "target_date"))
    tdate, bdate = getattr(ind, "target_date", None), getattr(ind, "baseline_date", None)
    if tdate is not None and bdate is not None and tdate <= bdate:
        out.append(Finding("target_date_before_baseline", "target_date"))
    elif tdate is not None and today is not None and tdate < today:
        out.append(Finding("target_date_past", "target_date"))
    if unit == "percent":
        for name, v in (("baseline_value", base), ("target_value", target)):
            if v is not None and not 0 <= v <= 100:
                out.append(Finding("percent_out_of_range", name))
    if unit == "yes_no":
        for name, v in (("baseline_value", base), ("target_value", target)):
            if v is not None and v not in (0, 1):
                out.append(Finding("yes_no_not_0_or_1", name))
    if base is not None and target is not None:
        if direction == "decrease" and not target < base:
            out.append(Finding("target_not_below_baseline", "target_value"))
        elif direction in ("increase", "start") and not target > base:
            out.append(Finding("target_not_above_baseline", "target_value"))
    if not (getattr(ind, "source", None) or "").strip():
        out.append(Finding("no_source", "source"))
    if not getattr(ind, "frequency", None):
        out.append(Finding("no_frequency", "frequency", "advice"))
    if not (getattr(ind, "collector", None) or "").strip():
        out.append(Finding("no_collector", "collector", "advice"))
    if people_based and unit != "yes_no" and not getattr(ind, "disaggregation", None):
        out.append(Finding("no_disaggregation", "disaggregation"))
    out.sort(key=lambda f: f.severity != "problem")
    return out


# -- measurements: progress ---------------------------------------------------------------------
def period_key(period: str) -> tuple[int, int]:
    """Sortable (year, month) for "2026", "2026-S1", "2026-T2"/"2026-Q2", "2026-11", "11/2026",
    "2026-11-30". Unknown shapes sort first."""
    p = plain(period).upper()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", p)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(2))
    m = re.fullmatch(r"(?:\d{1,2}/)?(\d{1,2})/(\d{4})", p)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(2)), int(m.group(1))
    m = re.fullmatch(r"(\d{4})\s*-?\s*S([12])", p)
    if m:
        return int(m.group(1)), 6 * int(m.group(2))
    m = re.fullmatch(r"(\d{4})\s*-?\s*[TQ]([1-4])", p)
    if m:
        return int(m.group(1)), 3 * int(m.group(2))
    m = re.fullmatch(r"(\d{4})", p)
    if m:
        return int(m.group(1)), 12
    return 0, 0


@dataclass(frozen=True)
class Progress:
    baseline: float | None
    latest: float | None
    latest_period: str | None
    target: float | None
    share: float | None  # 0 = at baseline, 1 = target reached (may go below 0 or above 1)
    reached: bool
    n_measurements: int

    @property
    def percent(self) -> int | None:
        return None if self.share is None else int(round(self.share * 100))


def latest_measurement(measurements: Sequence[Any]) -> Any | None:
    if not measurements:
        return None
    return max(measurements, key=lambda m: (period_key(m.period), m.recorded_at))


def progress(ind: Any) -> Progress:
    """Baseline → latest → target. The share of the way works in either direction (a target
    below the baseline is a wanted decrease). A baseline measurement is the start, never the
    latest value."""
    ms = list(getattr(ind, "measurements", None) or [])
    last = latest_measurement([m for m in ms if not getattr(m, "baseline", False)])
    base, target = getattr(ind, "baseline_value", None), getattr(ind, "target_value", None)
    latest = last.value if last is not None else None
    share = None
    reached = False
    if latest is not None and target is not None:
        if base is not None and target != base:
            share = (latest - base) / (target - base)
            reached = share >= 1
        elif base is None:
            reached = latest >= target
    return Progress(baseline=base, latest=latest, latest_period=last.period if last else None,
                    target=target, share=share, reached=reached, n_measurements=len(ms))


# -- dates typed in a chat ----------------------------------------------------------------------
def parse_day(text: str, today: date | None = None, *, end: bool = False) -> date | None:
    """A date typed as 2026-03-15, 15/03/2026, 03/2026 or 2026 (Latin or Arabic-Indic digits).
    A month or a year alone means its first day, or its last day with `end` (targets)."""
    t = plain(text or "").strip()
    try:
        m = re.search(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", t)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.search(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)", t)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = re.search(r"(?<!\d)(\d{1,2})[/.-](\d{4})(?!\d)", t)
        if m:
            y, mo = int(m.group(2)), int(m.group(1))
            return _month_end(y, mo) if end else date(y, mo, 1)
        m = re.search(r"(?<!\d)(\d{4})-(\d{1,2})(?!\d)", t)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            return _month_end(y, mo) if end else date(y, mo, 1)
        m = re.search(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)", t)
        if m:
            y = int(m.group(1))
            return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError:  # 31/02/2026 and the like
        return None
    return None


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def add_months(d: date, months: int) -> date:
    """The last day of the month `months` after `d` (a target date "in 12 months")."""
    y, m = divmod(d.month - 1 + months, 12)
    return _month_end(d.year + y, m + 1)
