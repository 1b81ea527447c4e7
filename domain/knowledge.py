"""The knowledge base as domain models: indicator library, publics, domains, circle of effects,
effect examples and templates, glossary, lessons and the coaching lexicon.

Pure: standard library and pydantic only. The YAML files in `knowledge/` are validated into
these models at load time; every model forbids unknown fields, so a typo fails loudly.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain import wording
from domain.languages import LANG_TAGS, Lang, fallback
from domain.text import fold
from domain.nlu import DOMAINS, PUBLICS
from domain.records import Indicator as RecordIndicator
from domain.wording import PluralRule

# Contract enums. Publics and domains follow the NLU contract; "other" is a public the
# dialogues offer as a button although the NLU never extracts it.
PUBLIC_IDS: tuple[str, ...] = PUBLICS + ("other",)
DOMAIN_IDS: tuple[str, ...] = DOMAINS
LEVELS: tuple[str, ...] = ("output", "outcome", "impact")
UNITS: tuple[str, ...] = ("number", "percent", "score", "yes_no", "days", "mad")
FREQUENCIES: tuple[str, ...] = (
    "per_activity",
    "monthly",
    "quarterly",
    "semester",
    "yearly",
    "baseline_endline",
)
DISAGGREGATIONS: tuple[str, ...] = ("sex", "age_band", "disability", "migrant_status", "location")
PARTY_IDS: tuple[str, ...] = (
    "participants",
    "families",
    "non_selected_peers",
    "host_community",
    "associations",
    "commune_actors",
    "state_services",
    "people_losing_out",
)
# The sections of the starter library (DOMAIN.md §3.4 A-J), K = living environment (ours), and
# the institutional set.
INDICATOR_GROUPS: tuple[str, ...] = tuple("ABCDEFGHIJK") + ("institutional",)
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "start", "stop", "keep")

Level = Literal["output", "outcome", "impact"]
PublicId = Literal["youth", "women", "disability", "migrants", "children", "elderly", "other"]
DomainId = Literal[
    "employment_income",
    "education_training",
    "health_wellbeing",
    "social_ties",
    "civic_participation",
    "access_services",
    "empowerment",
    "culture_sport",
    "living_environment",
]
Unit = Literal["number", "percent", "score", "yes_no", "days", "mad"]
Frequency = Literal["per_activity", "monthly", "quarterly", "semester", "yearly", "baseline_endline"]
Disaggregation = Literal["sex", "age_band", "disability", "migrant_status", "location"]
PartyId = Literal[
    "participants",
    "families",
    "non_selected_peers",
    "host_community",
    "associations",
    "commune_actors",
    "state_services",
    "people_losing_out",
]
Polarity = Literal["positive", "negative"]
# How a party relates to the project (matches domain.records.Stakeholder.kind).
PartyKind = Literal["direct", "indirect", "intermediary", "institution", "could_lose"]
Direction = Literal["increase", "decrease", "start", "stop", "keep"]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def placeholders(text: str) -> set[str]:
    """The placeholders used in a text (`{name}`, `{name:form}`, plurals: domain.wording)."""
    return wording.names(text)


def _fill(text: str, lang: str, values: dict[str, Any], plural: PluralRule | None) -> str:
    """A template filled in (an inflected value in the form asked for, numbers by plural)."""

    def shown(value: Any, form: str) -> str:
        if wording.is_forms(value):
            return wording.pick_form(value, lang, form)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if value is None else str(value)

    return wording.render(text, values, shown, plural or (lambda n: "other"), lambda n: shown(n, ""))


def _lang_tag(lang: Lang | str) -> str:
    tag = lang.value if isinstance(lang, Lang) else str(lang)
    if tag not in LANG_TAGS:
        raise KeyError(f"unknown language variant {tag!r}")
    return tag


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(_Strict):
    """A text in French and MSA at least; Darija variants are optional and fall back
    (domain.languages.fallback: ary -> ar, ary-Latn -> fr) when missing. Used for reference-sheet
    prose."""

    fr: NonEmpty
    ar: NonEmpty
    ary: NonEmpty | None = None
    ary_latn: NonEmpty | None = Field(default=None, alias="ary-Latn")

    @model_validator(mode="after")
    def _same_placeholders(self) -> "Text":
        _check_placeholders(self._variants())
        return self

    def _variants(self) -> dict[str, str]:
        out = {"fr": self.fr, "ar": self.ar}
        if self.ary is not None:
            out["ary"] = self.ary
        if self.ary_latn is not None:
            out["ary-Latn"] = self.ary_latn
        return out

    def get(self, lang: Lang | str) -> str:
        variants = self._variants()
        return next(variants[t] for t in fallback(_lang_tag(lang)) if t in variants)

    def render(self, lang: Lang | str, plural: PluralRule | None = None, **values: Any) -> str:
        """The text in `lang` with its placeholders filled (plurals by `plural`)."""
        return _fill(self.get(lang), _lang_tag(lang), values, plural)


class Text4(Text):
    """A user-facing text: all four variants are required and non-empty."""

    ary: NonEmpty
    ary_latn: NonEmpty = Field(alias="ary-Latn")


def _check_placeholders(variants: dict[str, str]) -> None:
    sets = {tag: placeholders(t) for tag, t in variants.items()}
    ref = sets["fr"]
    for tag, found in sets.items():
        if found != ref:
            raise ValueError(
                f"placeholders differ between variants: fr has {sorted(ref)}, {tag} has {sorted(found)}"
            )


class Terms(_Strict):
    """Word lists per variant (synonyms, lexicon entries). Every variant needs at least one."""

    fr: list[NonEmpty] = Field(min_length=1)
    ar: list[NonEmpty] = Field(min_length=1)
    ary: list[NonEmpty] = Field(min_length=1)
    ary_latn: list[NonEmpty] = Field(min_length=1, alias="ary-Latn")

    def get(self, lang: Lang | str) -> list[str]:
        tag = _lang_tag(lang)
        return {"fr": self.fr, "ar": self.ar, "ary": self.ary, "ary-Latn": self.ary_latn}[tag]


def _unique(values: list[Any], what: str) -> list[Any]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"duplicate {what}: {sorted(set(map(str, seen)))}")
    return values


def _require_unique_ids(items: list[Any], what: str) -> None:
    _unique([i.id for i in items], f"{what} id")


# --- publics and domains -------------------------------------------------------------------


class Public(_Strict):
    id: PublicId
    label: Text4
    who: Text4  # as a sentence names them, with the article: "les jeunes", "الشباب"
    who_gen: dict[str, NonEmpty] = Field(default_factory=dict)  # after a preposition, where
    #                                the case changes the word (MSA: "المهاجرين"); else `who`
    description: Text4
    synonyms: Terms | None = None

    @field_validator("who_gen")
    @classmethod
    def _gen_variants(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = set(v) - set(LANG_TAGS)
        if unknown:
            raise ValueError(f"unknown variant(s) {sorted(unknown)}")
        return v

    def who_forms(self) -> dict[str, Any]:
        """The public as an inflected template value ({who}, {who:gen}: domain.wording)."""
        return wording.forms(
            {
                tag: {"": self.who.get(tag), "gen": self.who_gen.get(tag) or self.who.get(tag)}
                for tag in LANG_TAGS
            }
        )


class DomainArea(_Strict):
    """A domain of change (NLU `domain` entity)."""

    id: DomainId
    label: Text4
    description: Text4
    synonyms: Terms | None = None


# --- indicators ------------------------------------------------------------------------------


class Calculation(_Strict):
    # proposed in the chat ("Keep"): in every variant, never French in a Darija conversation
    numerator: Text4
    denominator: Text4 | None = None


class Indicator(_Strict):
    id: Slug
    group: Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "institutional"]
    label: Text4
    definition: Text4
    unit: Unit
    calculation: Calculation
    level: Level
    publics: list[PublicId] = Field(min_length=1)
    domain: DomainId
    source: Text4  # proposed in the chat too
    frequency: Frequency
    disaggregation: list[Disaggregation] = Field(default_factory=list)
    direction: Literal["increase", "decrease"] = "increase"
    tool: str | None = None
    sensitive: bool = False
    poll_question: Slug | None = None

    @field_validator("publics")
    @classmethod
    def _publics_unique(cls, v: list[str]) -> list[str]:
        return _unique(v, "public")

    @field_validator("disaggregation")
    @classmethod
    def _disagg_unique(cls, v: list[str]) -> list[str]:
        return _unique(v, "disaggregation")

    @model_validator(mode="after")
    def _percent_needs_denominator(self) -> "Indicator":
        if self.unit == "percent" and self.calculation.denominator is None:
            raise ValueError("a percent indicator needs calculation.denominator")
        return self


# --- circle of effects -----------------------------------------------------------------------


class ExampleEffect(_Strict):
    polarity: Polarity
    text: Text4


class Party(_Strict):
    """A group in the "circle of effects": who else may change because of the project."""

    id: PartyId
    kind: PartyKind
    label: Text4
    prompt: Text4
    examples: list[ExampleEffect] = Field(min_length=2)
    unexpected_prompts: list[Text4] = Field(min_length=1)

    @field_validator("examples")
    @classmethod
    def _both_polarities(cls, v: list[ExampleEffect]) -> list[ExampleEffect]:
        if {e.polarity for e in v} != {"positive", "negative"}:
            raise ValueError("needs at least one positive and one negative example")
        return v


class Prompt(_Strict):
    id: Slug
    text: Text4


# --- effect examples (results ladders) -------------------------------------------------------


class EffectExample(_Strict):
    """An activity -> output -> effect ladder for one public and domain (teaching example)."""

    id: Slug
    public: PublicId
    domain: DomainId
    activity: Text4
    output: Text4
    effect: Text4
    level: Literal["outcome", "impact"] = "outcome"
    unexpected: ExampleEffect | None = None


# --- templates -------------------------------------------------------------------------------


class EffectTemplate(_Strict):
    """A pattern to propose a better wording for an effect; placeholders are {horizon}, {who},
    {change}, and optionally {target}, {place}."""

    id: Slug
    text: Text4
    description: str = ""

    @property
    def fields(self) -> set[str]:
        return placeholders(self.text.fr)

    @model_validator(mode="after")
    def _core_placeholders(self) -> "EffectTemplate":
        missing = {"who", "change"} - self.fields
        if missing:
            raise ValueError(f"template lacks placeholder(s) {sorted(missing)}")
        return self

    def render(self, lang: Lang | str, plural: PluralRule | None = None, **values: Any) -> str:
        missing = self.fields - values.keys()
        if missing:
            raise KeyError(f"missing value(s) for {sorted(missing)}")
        return _fill(self.text.get(lang), _lang_tag(lang), values, plural)


class DirectionWord(_Strict):
    id: Direction
    label: Text4


class HorizonTemplate(_Strict):
    id: Slug
    text: Text4


class Templates(_Strict):
    effects: list[EffectTemplate] = Field(min_length=1)
    directions: list[DirectionWord]
    horizons: list[HorizonTemplate] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> "Templates":
        _require_unique_ids(self.effects, "effect template")
        _require_unique_ids(self.horizons, "horizon")
        _require_unique_ids(self.directions, "direction")
        missing = set(DIRECTIONS) - {d.id for d in self.directions}
        if missing:
            raise ValueError(f"directions missing {sorted(missing)}")
        return self

    def effect(self, template_id: str) -> EffectTemplate:
        return next(t for t in self.effects if t.id == template_id)

    def horizon(self, horizon_id: str) -> HorizonTemplate:
        return next(h for h in self.horizons if h.id == horizon_id)

    def propose(
        self,
        lang: Lang | str,
        template_id: str,
        horizon_id: str,
        horizon_values: dict[str, str | int],
        plural: PluralRule | None = None,
        **values: Any,
    ) -> str:
        """Render an effect proposal, e.g. propose("fr", "with_share", "end_of_year",
        {"year": 2026}, who="les jeunes formés", change="ont un emploi", target="30").
        `plural` is the language's CLDR plural rule (number agreement: "في غضون 6 أشهر",
        "في غضون 12 شهرا"); `who` may be inflected (domain.wording.forms)."""
        horizon = self.horizon(horizon_id)
        needed = placeholders(horizon.text.fr)
        missing = needed - horizon_values.keys()
        if missing:
            raise KeyError(f"missing horizon value(s) for {sorted(missing)}")
        rendered = _fill(horizon.text.get(lang), _lang_tag(lang), dict(horizon_values), plural)
        return self.effect(template_id).render(lang, plural=plural, horizon=rendered, **values)


# --- glossary --------------------------------------------------------------------------------


class TrapOption(_Strict):
    level: Literal["output", "outcome", "impact", "result"]
    label: Text4


class Trap(_Strict):
    """A word whose meaning depends on the framework: the bot asks before using it."""

    note: Text4
    question: Text4
    options: list[TrapOption] = Field(min_length=2)


class GlossaryTerm(_Strict):
    id: Slug
    level: Literal["input", "activity", "output", "outcome", "impact", "result", "method"]
    term: Text4
    gloss: Text4
    also: Terms | None = None
    triggers: list[NonEmpty] = Field(default_factory=list)
    trap: Trap | None = None

    @model_validator(mode="after")
    def _trap_has_triggers(self) -> "GlossaryTerm":
        if self.trap is not None and not self.triggers:
            raise ValueError("a trap needs the trigger words that raise it")
        return self


# --- lessons ---------------------------------------------------------------------------------


class Card(_Strict):
    title: Text4
    body: Text4


# The moments of need a dialogue reports (bot.handlers.reached) and a lesson may be offered at.
MOMENTS: tuple[str, ...] = (
    "effect",
    "parties",
    "indicator",
    "measurement",
    "poll",
    "report",
    "unexpected",
    "activity_as_effect",
)
Moment = Literal[
    "effect", "parties", "indicator", "measurement", "poll", "report", "unexpected", "activity_as_effect"
]
# How a practice question is answered and judged:
# - level: sort a statement into activity / output / effect (the coach's classification);
# - effect, unexpected: write a change for people (classified, then checked for its parts);
# - smart: say what an indicator lacks (the SMART check);
# - choice: pick one of the module's options, one of them right.
PracticeKind = Literal["level", "effect", "unexpected", "smart", "choice"]
# The values a practice question of each kind may use.
PRACTICE_VALUES: dict[str, frozenset[str]] = {
    "level": frozenset({"text"}),
    "effect": frozenset({"who"}),
    "unexpected": frozenset({"who"}),
    "smart": frozenset({"label"}),
    "choice": frozenset(),
}


class PracticeOption(_Strict):
    id: Slug
    label: Text4
    correct: bool = False
    why: Text4  # said when it is chosen


class Practice(_Strict):
    kind: PracticeKind
    question: Text4
    options: list[PracticeOption] = Field(default_factory=list, max_length=4)

    @model_validator(mode="after")
    def _consistent(self) -> "Practice":
        used = placeholders(self.question.fr)
        extra = used - PRACTICE_VALUES[self.kind]
        if extra:
            raise ValueError(f"a {self.kind} question cannot use {sorted(extra)}")
        if self.kind == "choice":
            if len(self.options) < 2 or sum(o.correct for o in self.options) != 1:
                raise ValueError("a choice needs two to four options, exactly one of them correct")
            _require_unique_ids(self.options, "option")
        elif self.options:
            raise ValueError(f"a {self.kind} question has no options of its own")
        return self


class Lesson(_Strict):
    """A chat micro-module: a few short cards read one at a time, a practice question on the
    user's own project, and the document (artefact) made from it."""

    id: Slug
    number: int = Field(ge=1)
    title: Text4
    goal: Text4
    cards: list[Card] = Field(min_length=3, max_length=5)
    practice: Practice
    artefact: Text4
    moments: list[Moment] = Field(default_factory=list)  # offered when a dialogue reaches one


# --- coaching lexicon ------------------------------------------------------------------------


class ActivityVerb(_Strict):
    id: Slug
    forms: Terms
    so_what: Text4


class OutputPattern(_Strict):
    """Regular expressions (per variant) that spot a counted delivery such as "120 jeunes formés"."""

    id: Slug
    patterns: Terms
    example: Text4

    @field_validator("patterns")
    @classmethod
    def _compile(cls, v: Terms) -> Terms:
        for tag in LANG_TAGS:
            for p in v.get(tag):
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ValueError(f"{tag} pattern {p!r} is not a valid regex: {exc}") from exc
        return v


class DirectionWords(_Strict):
    """Words that show the direction of a change (effect checklist: "it has a direction")."""

    increase: Terms
    decrease: Terms
    start: Terms
    stop: Terms
    keep: Terms


class AnswerCues(_Strict):
    """Words of a typed answer to the coach's clarifying question, per level."""

    activity: Terms
    output: Terms
    effect: Terms


class CoachConfidence(_Strict):
    """Probability thresholds of the coach's verdicts (domain.effects.Confidence), calibrated on
    the real train split by `athar coaching calibrate`."""

    alone: float = Field(ge=0.5, le=1.0)
    agree: float = Field(ge=0.5, le=1.0)
    contra: float = Field(ge=0.5, le=1.0)
    # for telling a statement it is not an effect, when different (None: the same bars)
    not_alone: float | None = Field(default=None, ge=0.5, le=1.0)
    not_agree: float | None = Field(default=None, ge=0.5, le=1.0)
    not_contra: float | None = Field(default=None, ge=0.5, le=1.0)


class CoachingLexicon(_Strict):
    """The coach's words (knowledge/coaching.yml). The bot matches them through
    `domain.effects.Lexicon`, the four variants merged (bot.handlers._coaching.lexicon_of); here only
    `arabic_proclitics` is read, by the glossary's traps (`KnowledgeBase.traps_in`)."""

    # regex of the short words Arabic and Darija glue to the next word (wa-, fa-, bi-, li-, al-)
    arabic_proclitics: str
    arabic_suffixes: str  # regex: inflections and pronouns after a form (domain.effects._word_re)
    activity_verbs: list[ActivityVerb] = Field(min_length=1)
    output_patterns: list[OutputPattern] = Field(min_length=1)
    actor_subjects: Terms
    change_verbs: Terms
    direction_words: DirectionWords
    # pronouns dropped at the start of a change clause when a wording is proposed (optional)
    subject_pronouns: Terms | None = None
    # the project as the subject of a change it caused ("a permis", "ساهم في")
    result_verbs: Terms
    # words after which an actor is not the subject ("grâce", "بفضل")
    subject_blockers: Terms
    answer_cues: AnswerCues
    confidence: CoachConfidence

    @field_validator("arabic_proclitics", "arabic_suffixes")
    @classmethod
    def _proclitics_compile(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regex: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _ids(self) -> "CoachingLexicon":
        _require_unique_ids(self.activity_verbs, "activity verb")
        _require_unique_ids(self.output_patterns, "output pattern")
        return self


def _is_arabic(text: str) -> bool:
    return bool(text) and 0x0600 <= ord(text[0]) <= 0x06FF


def _has_word(haystack: str, needle: str, proclitics: str = "") -> bool:
    """A form matches at a word start; it may be a stem ("sensibilis" matches "sensibiliser").
    Arabic-script forms may follow the `proclitics` pattern (glued short words)."""
    prefix = proclitics if _is_arabic(needle) else ""
    return re.search(r"(?<!\w)" + prefix + re.escape(needle), haystack) is not None


# --- display labels of the fixed lists ------------------------------------------------------

PARTY_KINDS: tuple[str, ...] = ("direct", "indirect", "intermediary", "institution", "could_lose")
POLARITIES: tuple[str, ...] = ("positive", "negative")


class Labels(_Strict):
    """Labels in four variants for every id of the fixed lists (units, frequencies...)."""

    units: dict[str, Text4]
    frequencies: dict[str, Text4]
    levels: dict[str, Text4]
    disaggregations: dict[str, Text4]
    polarities: dict[str, Text4]
    party_kinds: dict[str, Text4]

    @model_validator(mode="after")
    def _exact_keys(self) -> "Labels":
        expected = {
            "units": UNITS,
            "frequencies": FREQUENCIES,
            "levels": LEVELS,
            "disaggregations": DISAGGREGATIONS,
            "polarities": POLARITIES,
            "party_kinds": PARTY_KINDS,
        }
        for name, ids in expected.items():
            got = set(getattr(self, name))
            if got != set(ids):
                raise ValueError(
                    f"{name}: missing {sorted(set(ids) - got)}, unknown {sorted(got - set(ids))}"
                )
        return self

    def label(self, kind: str, value: str, lang: Lang | str) -> str:
        """e.g. label("units", "percent", "fr") -> "Pourcentage (%)"."""
        label: str = getattr(self, kind)[value].get(lang)
        return label


# --- the aggregate ---------------------------------------------------------------------------


class KnowledgeBase(_Strict):
    indicators: tuple[Indicator, ...]
    publics: tuple[Public, ...]
    domains: tuple[DomainArea, ...]
    parties: tuple[Party, ...]
    unexpected_prompts: tuple[Prompt, ...]
    effect_examples: tuple[EffectExample, ...]
    templates: Templates
    glossary: tuple[GlossaryTerm, ...]
    lessons: tuple[Lesson, ...]
    coaching: CoachingLexicon
    labels: Labels

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def public(self, public_id: str) -> Public | None:
        return next((p for p in self.publics if p.id == public_id), None)

    def domain(self, domain_id: str) -> DomainArea | None:
        return next((d for d in self.domains if d.id == domain_id), None)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((m for m in self.lessons if m.id == lesson_id), None)

    def term(self, term_id: str) -> GlossaryTerm | None:
        return next((t for t in self.glossary if t.id == term_id), None)

    def traps_in(self, text: str) -> list[GlossaryTerm]:
        """Glossary terms with a trap whose trigger word appears in `text`."""
        low = fold(text)
        return [
            t
            for t in self.glossary
            if t.trap is not None
            and any(_has_word(low, fold(w), self.coaching.arabic_proclitics) for w in t.triggers)
        ]

    def examples_for(self, *, domain: str | None = None, public: str | None = None) -> list[EffectExample]:
        return [
            e
            for e in self.effect_examples
            if (domain is None or e.domain == domain) and (public is None or e.public == public)
        ]


def suggest_indicators(
    kb: KnowledgeBase,
    domain: str | None,
    public: str | None,
    level: str | None,
    limit: int = 3,
) -> list[Indicator]:
    """Library indicators that fit an effect, best first.

    Score: domain match 4, public match 2, level match 1. Indicators matching neither the domain
    nor the public are never proposed. Ties keep the library order, so results are stable.
    """
    if limit <= 0:
        return []
    scored: list[tuple[int, int, Indicator]] = []
    for pos, ind in enumerate(kb.indicators):
        d = domain is not None and ind.domain == domain
        p = public is not None and public in ind.publics
        if not (d or p):
            continue
        score = 4 * d + 2 * p + (level is not None and ind.level == level)
        scored.append((-score, pos, ind))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [ind for _, _, ind in scored[:limit]]


def indicator_draft(indicator: Indicator, lang: Lang | str) -> RecordIndicator:
    """A project indicator (domain.records.Indicator) pre-filled from a library indicator, in the
    user's language; baseline and target stay empty for the user to fill (SMART dialogue). The
    unit stays a code (UNITS), as the indicator dialogue stores it and `smart_check` reads it."""
    tag = _lang_tag(lang)
    num = indicator.calculation.numerator.get(tag)
    den = indicator.calculation.denominator
    calculation = num if den is None else f"{num} / {den.get(tag)}"
    return RecordIndicator(
        label=indicator.label.get(tag),
        definition=indicator.definition.get(tag),
        unit=indicator.unit,
        calculation=calculation,
        source=indicator.source.get(tag),
        frequency=indicator.frequency,
        disaggregation=list(indicator.disaggregation),
        library_id=indicator.id,
        poll_question=indicator.poll_question,
    )
