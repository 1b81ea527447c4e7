"""Pure rules of the effect and indicator coaching (DOMAIN §1.4, §2.1-2.2, §3.1-3.3).

Nothing here knows a language: every word list comes in as data (`Lexicon`, built by the caller
from the knowledge base's coaching lexicon, publics and domains). The rules are:

- `classify`: is a statement an activity (what we do), an output (what we deliver and count) or
  an effect (what changes for people)? Subject test, activity verbs, counting patterns, change
  verbs, combined with the NLU statement intent when the rules are silent or weak.
- `check_effect`: does an effect say who changes, what changes, in which direction and by when?
- `change_clause` / `choose_template`: material for a better wording proposed from a template.
- `smart_check`: specific findings about an indicator (no baseline, target without date, ...);
  `wanted_direction`: which way its target should go (typed bound, library, effect's words and
  polarity).
- `progress`: where the latest measurement stands between baseline and target.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Literal, Mapping, Sequence

from domain.text import DIGIT_MAP

StatementKind = Literal["activity", "output", "effect", "unknown"]
Part = Literal["who", "change", "direction", "horizon"]
PARTS: tuple[str, ...] = ("who", "change", "direction", "horizon")
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "start", "stop", "keep")

NLU_KINDS = {"describe_activity": "activity", "describe_output": "output", "describe_effect": "effect"}
LEVELS: tuple[str, ...] = ("activity", "output", "effect")


@dataclass(frozen=True)
class Confidence:
    """How sure the coach must be before it tells the level of a statement instead of asking.

    The figures are probabilities that the statement is (or is not) an effect, read from the NLU's
    statement intents; they are calibrated on the real train split (knowledge/coaching.yml).
    - `alone`: the NLU alone, when the lexicon rules find nothing;
    - `agree`: the NLU when the rules point the same way;
    - `contra`: the NLU against the rules (a rule never overrides a confident contrary NLU).
    """

    alone: float = 0.85
    agree: float = 0.65
    contra: float = 0.9
    # The bars for telling a statement it is NOT an effect, when they differ from those for
    # telling it is one (most statements are not effects: one side can be trusted sooner).
    not_alone: float | None = None
    not_agree: float | None = None
    not_contra: float | None = None

    def bars(self, effect: bool) -> tuple[float, float, float]:
        """(alone, agree, contra) for a verdict of that side."""
        if effect:
            return self.alone, self.agree, self.contra
        return (
            self.alone if self.not_alone is None else self.not_alone,
            self.agree if self.not_agree is None else self.not_agree,
            self.contra if self.not_contra is None else self.not_contra,
        )


# Arabic letter variants (hamza forms of alef, alef wasla, alef maqsura) and Arabic-Indic and
# Persian digits
_ALEF = str.maketrans({**{c: 0x0627 for c in (0x0623, 0x0625, 0x0622, 0x0671)}, 0x0649: 0x064A, **DIGIT_MAP})
_TATWEEL = chr(0x0640)
_CLAUSE = re.compile(r"[.;:!?\u061f\u060c,\n]")  # what ends a clause (Arabic comma and question mark too)
BOUND_DIRECTION = {"at_least": "increase", "at_most": "decrease"}  # "au moins 30", "moins de 10"
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
_PROCLITICS = (
    "(?:["
    + "".join(chr(c) for c in (0x0648, 0x0641, 0x0628, 0x0643, 0x0644))
    + "]{0,2}"
    + "(?:"
    + _AL
    + ")?)"
)


def _is_arabic(word: str) -> bool:
    return any(0x0600 <= ord(c) <= 0x06FF for c in word)


def _word_re(form: str, whole: bool = False, suffixes: str = "") -> re.Pattern[str]:
    """A Latin-script form matches at the start of a word; it may be a stem ("sensibilis" →
    "sensibiliser"). An Arabic-script form matches a whole word, with or without its article,
    after a proclitic and before what `suffixes` allows (a regex of inflections and attached
    pronouns: "العمل" finds "عملا", "بالعمل"; never the taa marbuta, so that "نوعي", we raise
    awareness, does not find "نوعية", quality). With `whole`, the match runs on to the end of the
    word it starts."""
    f = plain(form).strip()
    if not _is_arabic(f):
        return re.compile(r"(?<!\w)" + re.escape(f) + (r"\w*" if whole else ""), re.IGNORECASE)
    if f.startswith(_AL) and len(f) > 3:
        f = f[2:]
    tail = r"\w*" if whole else suffixes + r"(?!\w)"
    return re.compile(r"(?<!\w)" + _PROCLITICS + re.escape(f) + tail, re.IGNORECASE)


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
    # "le projet a permis…", "ساهم المشروع في…": the project as the subject of a change it caused
    result_verbs: Sequence[str] = ()
    # words after which an actor is not the subject ("grâce au projet", "بفضل المشروع")
    subject_blockers: Sequence[str] = ()
    # words of a typed answer to the clarifying question, per level ("c'est nous", "les gens")
    answer_cues: Mapping[str, Sequence[str]] = field(default_factory=dict)
    arabic_suffixes: str = ""  # regex of what may end an Arabic word after a form (see _word_re)
    # words that bound a figure ("au moins 30 %" = at_least, "moins de 10" = at_most): a
    # direction of their own, and never read as "moins" = decrease
    bounds: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", {})

    def _compiled(self, key: str, words: Iterable[str], whole: bool = False) -> list[re.Pattern[str]]:
        cache: dict[str, list[re.Pattern[str]]] = self._cache  # type: ignore[attr-defined]
        if key not in cache:
            cache[key] = [_word_re(w, whole, self.arabic_suffixes) for w in words if w and w.strip()]
        return cache[key]

    def _regexes(self, key: str, patterns: Iterable[str]) -> list[re.Pattern[str]]:
        cache: dict[str, list[re.Pattern[str]]] = self._cache  # type: ignore[attr-defined]
        if key not in cache:
            cache[key] = [re.compile(plain_pattern(p), re.IGNORECASE) for p in patterns]
        return cache[key]

    # -- lookups -------------------------------------------------------------------------------
    def activity_verbs_in(self, text: str) -> list[str]:
        t = plain(text)
        return [
            vid
            for vid, forms in self.activity_verbs.items()
            if any(r.search(t) for r in self._compiled("act:" + vid, forms))
        ]

    def leading_activity_verb(self, text: str) -> str | None:
        """The activity verb the statement starts with ("Organiser 10 ateliers"), or that starts
        what follows a colon ("Résultat : organiser 10 ateliers")."""
        t = plain(text)
        heads = [0] + [m.end() + len(t[m.end() :]) - len(t[m.end() :].lstrip()) for m in re.finditer(":", t)]
        for vid, forms in self.activity_verbs.items():
            for r in self._compiled("act:" + vid, forms):
                if any(r.match(t, h) for h in heads):
                    return vid
        return None

    def output_pattern_in(self, text: str) -> str | None:
        t = plain(text)
        for pid, patterns in self.output_patterns.items():
            if any(r.search(t) for r in self._regexes("out:" + pid, patterns)):
                return pid
        return None

    def has_actor_subject(self, text: str) -> bool:
        """We (the commune, the association, the project) are the grammatical subject: an actor
        opens a clause, at most two words in (a time word, an Arabic verb before its subject:
        "ستقوم الجماعة"), and none of those words makes it a complement ("grâce au projet",
        "بفضل المشروع ديالنا")."""
        t = plain(text)
        blockers = self._compiled("block", self.subject_blockers)
        for r in self._compiled("actor", self.actor_subjects):
            for m in r.finditer(t):
                clause = _CLAUSE.split(t[: m.start()])[-1]
                words = clause.split()
                if len(words) > 2:
                    continue
                if any(b.match(w) for w in words for b in blockers):
                    continue
                return True
        return False

    def has_result_verb(self, text: str) -> bool:
        t = plain(text)
        return any(r.search(t) for r in self._compiled("result", self.result_verbs))

    def change_verb_span(self, text: str) -> tuple[int, int] | None:
        t = plain(text)
        hits = [
            m.span()
            for r in self._compiled("change", self.change_verbs)
            for m in [r.search(t)]
            if m is not None
        ]
        return min(hits) if hits else None

    def publics_in(self, text: str) -> list[str]:
        t = plain(text)
        return [
            pid
            for pid, words in self.publics.items()
            if any(r.search(t) for r in self._compiled("pub:" + pid, words))
        ]

    def public_span(self, text: str, public: str | None = None) -> tuple[int, int] | None:
        t = plain(text)
        ids = [public] if public else list(self.publics)
        spans = [
            m.span()
            for pid in ids
            for r in self._compiled("pubw:" + pid, self.publics.get(pid, ()), True)
            for m in [r.search(t)]
            if m is not None
        ]
        return min(spans) if spans else None

    def domains_in(self, text: str) -> list[str]:
        t = plain(text)
        return [
            did
            for did, words in self.domains.items()
            if any(r.search(t) for r in self._compiled("dom:" + did, words))
        ]

    def direction_in(self, text: str) -> str | None:
        """The direction its words give ("augmente", "davantage"; the longest phrase wins: "n'ont
        plus" is stop, not "plus"), else the direction of a bound on a figure ("moins de
        décrochage" → decrease, "au moins 30 %" → increase: never read as "moins" = decrease)."""
        t = self._without_bounds(plain(text))
        hits = [
            (m.end() - m.start(), -i, did)
            for i, did in enumerate(DIRECTIONS)
            for r in self._compiled("dir:" + did, self.directions.get(did, ()))
            for m in [r.search(t)]
            if m
        ]
        if hits:
            return max(hits)[2]
        return BOUND_DIRECTION.get(self.bound_in(text) or "")

    def bound_in(self, text: str) -> str | None:
        """ "at_least" or "at_most" when the text bounds a figure; the longest phrase wins
        ("pas moins de" over "moins de")."""
        t = plain(text)
        hits = [
            (m.end() - m.start(), kind)
            for kind, words in self.bounds.items()
            for r in self._compiled("bound:" + kind, words)
            for m in [r.search(t)]
            if m
        ]
        return max(hits)[1] if hits else None

    def _without_bounds(self, t: str) -> str:
        for kind, words in self.bounds.items():
            for r in self._compiled("bound:" + kind, words):
                t = r.sub(lambda m: " " * len(m.group(0)), t)
        return t


def plain_pattern(pattern: str) -> str:
    """A regular expression with the same letter normalisation as `plain` (escapes untouched)."""
    t = unicodedata.normalize("NFKD", pattern)
    t = "".join(c for c in t if not unicodedata.combining(c)).replace(_TATWEEL, "")
    return unicodedata.normalize("NFC", t).translate(_ALEF)


# -- activity / output / effect ---------------------------------------------------------------
@dataclass(frozen=True)
class Classification:
    kind: StatementKind  # the best guess ("unknown": no clue at all)
    sure: bool = False  # sure enough to tell the user; otherwise the coach asks
    activity_verb: str | None = None  # id of the activity verb found, for its "so what?" question
    output_pattern: str | None = None
    effect_probability: float | None = None  # P(effect) from the NLU, when it gave one
    reasons: tuple[str, ...] = ()  # the clues, for tests, logs and the evaluation


def statement_probabilities(ranking: Iterable[tuple[str, float]]) -> dict[str, float] | None:
    """P(activity), P(output), P(effect) from an NLU intent ranking, renormalised over the
    statement intents alone: at a statement step a dialogue intent never competes (a sentence
    that mentions "accueil" or "اللغة" is still a statement). None when the ranking has none."""
    probs = {NLU_KINDS[name]: float(conf) for name, conf in ranking if name in NLU_KINDS}
    total = sum(probs.values())
    if total <= 0:
        return None
    return {k: probs.get(k, 0.0) / total for k in LEVELS}


def rule_clues(text: str, lexicon: Lexicon) -> tuple[str | None, bool, list[str], str | None, str | None]:
    """The lexicon's reading of a statement (DOMAIN §1.4): (kind or None, strong?, clues,
    activity verb id, output pattern id).

    Subject test: an activity verb with us as the grammatical subject, or leading the sentence
    ("Organiser…"), is an activity; counting test: a counted delivery ("120 jeunes formés") is an
    output; a change verb whose subject is not us is an effect. Single clues (an activity noun, a
    number, a share, a change the project "made possible": "le projet a permis de…" may be
    followed by a delivery) are weak.
    """
    p = plain(text)
    verbs = lexicon.activity_verbs_in(text)
    lead = lexicon.leading_activity_verb(text)
    actor = lexicon.has_actor_subject(text)
    counted = lexicon.output_pattern_in(text)
    change = lexicon.change_verb_span(text) is not None
    result = lexicon.has_result_verb(text)
    # counting test, weak form: a statement that opens on a count ("40 femmes présentes…")
    leading_count = re.match(r"\W*\d+(?:[.,]\d+)?(?![\d.,]|\s*%)", p) is not None
    # or that counts things somewhere ("un festival, 2 000 visiteurs"), a year aside
    count_inside = re.search(r"(?<![\d.,])(?!20\d\d(?!\d))\d+(?:[.,]\d+)?(?![\d.,]|\s*%)\s+\w", p) is not None
    # a share of people ("30 % des jeunes…") is how effects are usually stated
    share = re.search(r"\d\s*%", p) is not None
    clues = [
        name
        for name, on in (
            ("activity_verb", bool(verbs)),
            ("leading_verb", bool(lead)),
            ("actor_subject", actor),
            ("counted", bool(counted)),
            ("leading_count", leading_count),
            ("counted_inside", count_inside and not leading_count),
            ("share", share),
            ("change_verb", change),
            ("result_verb", result),
        )
        if on
    ]
    verb = lead or (verbs[0] if verbs else None)
    kind: str | None = None
    strong = True
    if change and not actor and not lead:
        kind = "effect"
    elif result and not lead:  # "a permis de" alone: what follows decides, often a change
        kind, strong = "effect", False
    elif verbs and (actor or lead):
        kind = "activity"
    elif counted:
        kind = "output"
    elif verbs or actor:
        kind, strong = "activity", False
    elif (leading_count or count_inside) and not change:
        kind, strong = "output", False
    elif share:
        kind, strong = "effect", False
    return kind, strong, clues, verb, counted


def placed_by_answer(text: str, lexicon: Lexicon) -> str | None:
    """The level a typed answer to the clarifying question points to ("c'est nous qui le
    faisons" → activity, "ça se compte" → output, "les jeunes changent" → effect): the level
    whose cue comes first in the answer; None when no cue is there."""
    t = plain(text)
    hits = [
        (m.start(), level)
        for level in LEVELS
        for r in lexicon._compiled("cue:" + level, lexicon.answer_cues.get(level, ()))
        for m in [r.search(t)]
        if m is not None
    ]
    return min(hits)[1] if hits else None


def _is_effect(kind: str | None) -> bool | None:
    return None if kind is None else kind == "effect"


def effect_verdict(rule_effect: bool | None, p_effect: float, confidence: Confidence) -> bool | None:
    """Effect (True) or not (False) when sure enough, else None (ask): the NLU's side of 0.5
    decides, if its probability of that side reaches the bar for its agreement with the rules
    (`rule_effect`: what the rules say, None when they are silent); each side has its own bars
    (`Confidence.bars`)."""
    nlu_effect = p_effect >= 0.5
    sure_of = max(p_effect, 1.0 - p_effect)
    alone, agree, contra = confidence.bars(nlu_effect)
    if rule_effect is None:
        bar = alone
    elif rule_effect == nlu_effect:
        bar = agree
    else:
        bar = contra
    return nlu_effect if sure_of >= bar else None


def classify(
    text: str,
    lexicon: Lexicon,
    probabilities: Mapping[str, float] | None = None,
    confidence: Confidence = Confidence(),
) -> Classification:
    """Tell an activity, an output and an effect apart, and whether we are sure enough to say so.

    The decision that matters is effect or not (an activity or an output told it is a change for
    people, or the reverse, is the harmful mistake); `probabilities` are the NLU's statement
    probabilities (`statement_probabilities`). The NLU alone decides above `confidence.alone`;
    with the rules on its side above `confidence.agree`; against the rules only above
    `confidence.contra` (the rules never override a confident contrary NLU, and a rule against
    an unsure NLU is not enough: the coach asks). Without NLU probabilities a strong rule is sure
    and a weak one is a guess. Between an activity and an output, a strong rule's reading wins,
    otherwise the NLU's likelier of the two.
    """
    rule, strong, clues, verb, counted = rule_clues(text, lexicon)
    reasons = list(clues)
    p_effect: float | None = None
    if probabilities:
        p_effect = probabilities.get("effect", 0.0)
        reasons.append("nlu_" + max(LEVELS, key=lambda k: probabilities.get(k, 0.0)))
        rule_effect = _is_effect(rule)
        said = effect_verdict(rule_effect, p_effect, confidence)
        sure = said is not None
        effect = said if said is not None else (rule_effect if rule_effect is not None else p_effect >= 0.5)
        if sure and rule_effect is not None and said != rule_effect:
            reasons.append("nlu_over_rules")
        if effect:
            kind = "effect"
        elif rule in ("activity", "output") and strong:
            kind = rule
        else:
            kind = (
                "activity"
                if probabilities.get("activity", 0.0) >= probabilities.get("output", 0.0)
                else "output"
            )
    elif rule is not None:
        kind, sure = rule, strong
    else:
        kind, sure = "unknown", False
    return Classification(
        kind=kind,  # type: ignore[arg-type]
        sure=sure,
        activity_verb=verb if kind == "activity" else None,
        output_pattern=counted if kind == "output" else None,
        effect_probability=p_effect,
        reasons=tuple(reasons),
    )


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


def check_effect(
    text: str,
    lexicon: Lexicon,
    *,
    publics: Sequence[str] = (),
    domains: Sequence[str] = (),
    durations: Sequence[float] = (),
    kind: StatementKind | None = None,
    today: date | None = None,
) -> EffectCheck:
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
    return EffectCheck(
        public=found_publics[0] if found_publics else None,
        change=change,
        direction=direction,
        horizon=horizon,
        domain=found_domains[0] if found_domains else None,
        missing=tuple(missing),
    )


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
        after = cut[1] + len(p[cut[1] : end]) - len(p[cut[1] : end].lstrip())
        keep = [(start, cut[0]), (after, end)]
    parts = [text[index[a] : index[b - 1] + 1] for a, b in keep if b > a]
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


# a negative effect is followed to see it recede: what it makes grow, start or last should
# fall; what it makes fall or stop should come back
AGAINST = {
    "increase": "decrease",
    "start": "decrease",
    "keep": "decrease",
    "decrease": "increase",
    "stop": "increase",
}


def wanted_direction(
    *,
    target_bound: str | None = None,
    library: str | None = None,
    statement: str = "",
    polarity: str = "positive",
    lexicon: Lexicon | None = None,
) -> str:
    """Which way an indicator's target should go from its baseline, from the most explicit to
    the least: the words typed with the target ("au moins 1500" → increase, "moins de 5 %" →
    decrease), the library indicator's own direction, then the effect: its direction words or a
    bound in its statement ("au moins 30 % des jeunes…" is an increase, not "moins"), turned
    around for a negative effect (it is followed to see it shrink: "les filles gardent les
    petits" → decrease; "moins de clients au souk" → the number of clients should rise)."""
    if target_bound in BOUND_DIRECTION:
        return BOUND_DIRECTION[target_bound]
    if library in DIRECTIONS:
        return library
    said: str | None = None
    if lexicon is not None and statement:
        said = lexicon.direction_in(statement)
    if polarity == "negative":
        return AGAINST[said] if said else "decrease"
    return said or "increase"


def smart_check(  # noqa: C901
    ind: Any,
    *,
    people_based: bool = True,
    direction: str = "increase",
    today: date | None = None,
) -> list[Finding]:
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
        if direction in ("decrease", "stop") and not target < base:
            out.append(Finding("target_not_below_baseline", "target_value"))
        elif direction in ("increase", "start") and not target > base:
            out.append(Finding("target_not_above_baseline", "target_value"))
        elif direction == "keep" and target < base:
            out.append(Finding("target_below_baseline_to_keep", "target_value"))
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
    return Progress(
        baseline=base,
        latest=latest,
        latest_period=last.period if last else None,
        target=target,
        share=share,
        reached=reached,
        n_measurements=len(ms),
    )
