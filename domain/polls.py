"""Beneficiary perception polls: the question model, pseudonyms, scoring and results (pure).

A poll keeps a snapshot of its questions (`Poll.questions`, a list of `Question` dumps) made when
it is created, so the wording of a running poll never changes and a baseline and its follow-up
stay comparable.

Values stored in `Response.value`:
  scale5   1..5 (5 = best)          wg4     1..4 (4 = cannot do at all)
  yes_no   "yes" / "no"            choice, sex, age_band, public   the option's value (str)
  text     {"story": <Story.id>}  (the story itself is a `Story` record)
  multi    a sorted list of option values (str), never empty (select_multiple)
  integer  an int within the question's optional min..max
  None     the question was skipped

A question may carry a `relevant` condition (XLSForm skip logic, parsed by `domain.skiplogic`:
comparisons, `and`/`or` with XPath precedence, `selected()`, `not()`...) on earlier questions; it
is asked only when the condition holds, and its answers count only for respondents for whom it
holds. A question imported from a group of an XLSForm keeps the group's path (`group`).

Statistics are implemented in pure Python for small samples (DOMAIN §4.6): counts, medians,
paired improved/same/worse with an exact sign test and a Wilcoxon signed-rank test, an unpaired
Mann-Whitney U test, and breakdowns where groups smaller than `min_group_size` are suppressed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections import Counter, defaultdict
from statistics import median as _median
from typing import Any, Iterable, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.figures import favourable
from domain.skiplogic import SkipLogicError
from domain.skiplogic import parse as parse_relevant
from domain.records import Indicator, Measurement, Poll, Respondent, Response, Story
from domain.languages import LANG_TAGS, pick
from domain.text import ASCII_DIGITS, fold

QuestionKind = Literal[
    "scale5", "yes_no", "choice", "wg4", "sex", "age_band", "public", "text", "multi", "integer"
]
ORDINAL_KINDS = ("scale5", "wg4", "yes_no")
NO_OPTION_KINDS = ("text", "integer")  # the kinds answered without a list of options
PROFILE_KINDS = ("sex", "age_band", "public")  # copied into Respondent.profile
KIND_SCALE = {"wg4": "wg4", "yes_no": "yes_no", "sex": "sex", "age_band": "age_band", "public": "public"}
BREAKDOWN_KEYS = ("sex", "age_band", "disability", "public")
MAX_QUESTIONS = 30
QUESTION_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")  # an XLSForm name, as written
MULTI_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")  # no spaces: Kobo joins them with spaces
INTEGER_LIMIT = 10**9


def relevant_refs(relevant: str | None) -> list[str]:
    """The question names a `relevant` condition reads, in order."""
    return parse_relevant(relevant).refs() if relevant else []


def relevant_holds(relevant: str | None, answers: dict[str, Any]) -> bool:
    """Whether a question with this `relevant` condition is asked, given the earlier answers
    (question name -> stored value)."""
    if not relevant:
        return True
    return parse_relevant(relevant).holds(answers)


def asked_ids(questions: Sequence[Any], answers: dict[str, Any]) -> set[str]:
    """The questions someone with these answers is asked, as XLSForm reads skip logic: in
    question order, a question whose condition does not hold is not asked and its (stale)
    answer reads as empty for the conditions after it. `questions` are `Question`s or their
    dumps."""
    seen = dict(answers)
    out: set[str] = set()
    for q in questions:
        qid, rel = (q.id, q.relevant) if isinstance(q, Question) else (q.get("id"), q.get("relevant"))
        if relevant_holds(rel, seen):
            out.add(str(qid))
        else:
            seen.pop(qid, None)
    return out


def _four(v: dict[str, str], what: str) -> dict[str, str]:
    missing = [t for t in LANG_TAGS if not (v.get(t) or "").strip()]
    if missing:
        raise ValueError(f"{what}: missing variant(s) {', '.join(missing)}")
    extra = set(v) - set(LANG_TAGS)
    if extra:
        raise ValueError(f"{what}: unknown variant(s) {sorted(extra)}")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScaleOption(_Model):
    value: int | str
    emoji: str = ""
    label: dict[str, str]

    @field_validator("label")
    @classmethod
    def _label(cls, v: dict[str, str]) -> dict[str, str]:
        return _four(v, "label")


class Question(_Model):
    id: str
    kind: QuestionKind
    module: str = "custom"
    text: dict[str, str]
    short: dict[str, str] = Field(default_factory=dict)
    scale: str | None = None  # which label set a scale5 question uses
    options: list[ScaleOption] = Field(default_factory=list)
    min: int | None = None  # integer questions: the smallest and largest accepted answers
    max: int | None = None
    relevant: str | None = None  # skip logic on earlier questions (domain.skiplogic)
    group: str | None = None  # the XLSForm group path it comes from ("work/details")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not QUESTION_ID.match(v):
            raise ValueError(
                f"{v!r} is not a question name (a letter or _, then letters, digits, _ . -; at most 64)"
            )
        return v

    @model_validator(mode="after")
    def _check(self) -> "Question":
        if not any((self.text.get(t) or "").strip() for t in LANG_TAGS):
            raise ValueError(f"question {self.id}: no text")
        self._check_options()
        self._check_bounds()
        if self.relevant is not None:
            self.relevant = self.relevant.strip() or None
        if self.relevant:
            self._check_relevant(self.relevant)
        self._check_values()
        return self

    def _check_options(self) -> None:
        """Options where the kind has them, none elsewhere; a multi question's values are words."""
        if self.kind not in NO_OPTION_KINDS and not self.options:
            raise ValueError(f"question {self.id}: a {self.kind} question needs options")
        if self.kind in NO_OPTION_KINDS and self.options:
            raise ValueError(f"question {self.id}: a {self.kind} question has no options")
        if self.kind == "multi":
            bad = [
                o.value
                for o in self.options
                if not isinstance(o.value, str) or not MULTI_VALUE.match(o.value)
            ]
            if bad:
                raise ValueError(
                    f"question {self.id}: the option values of a multi question are "
                    f"words without spaces ({bad[0]!r})"
                )

    def _check_bounds(self) -> None:
        """min and max: an integer question's only, within the limit, in order."""
        if (self.min is not None or self.max is not None) and self.kind != "integer":
            raise ValueError(f"question {self.id}: only an integer question has min and max")
        for bound in (self.min, self.max):
            if bound is not None and abs(bound) > INTEGER_LIMIT:
                raise ValueError(f"question {self.id}: min and max are within ±{INTEGER_LIMIT}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"question {self.id}: min is larger than max")

    def _check_relevant(self, relevant: str) -> None:
        """Skip logic in the subset domain.skiplogic reads, never about the question itself."""
        try:
            parse_relevant(relevant)
        except SkipLogicError as exc:
            raise ValueError(f"question {self.id}: relevant {relevant!r}: {exc}") from exc
        if self.id in relevant_refs(relevant):
            raise ValueError(f"question {self.id}: relevant refers to the question itself")

    def _check_values(self) -> None:
        """The fixed values of the scales (1..5, Washington Group 1..4) and no value twice."""
        if self.kind == "scale5" and [o.value for o in self.options] != [1, 2, 3, 4, 5]:
            raise ValueError(f"question {self.id}: a scale5 question has the values 1..5")
        if self.kind == "wg4" and [o.value for o in self.options] != [1, 2, 3, 4]:
            raise ValueError(f"question {self.id}: a wg4 question has the values 1..4")
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"question {self.id}: duplicate option values")

    # -- reading ---------------------------------------------------------------------------
    def text_in(self, lang: str) -> str:
        return pick(self.text, lang)

    def shown_language(self, lang: str) -> str:
        """The variant `text_in(lang)` shows: lang itself, or the one it falls back to."""
        if (self.text.get(lang) or "").strip():
            return lang
        shown = self.text_in(lang)
        return next((t for t in LANG_TAGS if self.text.get(t) == shown), lang)

    def short_in(self, lang: str) -> str:
        return pick(self.short, lang) if self.short else self.text_in(lang)

    @property
    def ordinal(self) -> bool:
        return self.kind in ORDINAL_KINDS

    def values(self) -> list[int | str]:
        return [o.value for o in self.options]

    def coerce(self, raw: Any) -> Any:
        """The stored value for a raw answer (a button's value, a digit...), or None when the
        answer is not one of this question's options (out of range, wrong type). A multi
        answer (a list, or values separated by spaces or commas) becomes the sorted list of
        its values, None when empty or when one value is not an option; an integer answer an
        int within min..max."""
        if self.kind == "text":
            return None
        if self.kind == "multi":
            if isinstance(raw, str):
                raw = [v for v in re.split(r"[\s,]+", raw) if v]
            if not isinstance(raw, (list, tuple, set)) or not raw:
                return None
            allowed = set(self.values())
            chosen = {str(v) for v in raw}
            if not chosen <= allowed:
                return None
            return sorted(chosen)
        if self.kind == "integer":
            return self.integer(raw)
        for o in self.options:
            if raw == o.value or (
                isinstance(o.value, int) and isinstance(raw, str) and raw.strip() == str(o.value)
            ):
                return o.value
        return None

    def integer(self, raw: Any) -> int | None:
        """An int within min..max from an int, a whole float or a string of digits; else None."""
        if isinstance(raw, bool):
            return None
        if isinstance(raw, float):
            if not raw.is_integer():
                return None
            raw = int(raw)
        if isinstance(raw, str):
            if not re.fullmatch(r"\s*-?\d{1,10}\s*", raw):
                return None
            raw = int(raw)
        if not isinstance(raw, int) or abs(raw) > INTEGER_LIMIT:
            return None
        if (self.min is not None and raw < self.min) or (self.max is not None and raw > self.max):
            return None
        return raw

    def toggled(self, current: Any, value: str) -> list[str] | None:
        """A multi answer after ticking or unticking one option (None when nothing is left)."""
        chosen = set(self.coerce(current) or [])
        if value not in self.values():
            return self.coerce(sorted(chosen)) if chosen else None
        chosen.symmetric_difference_update({value})
        return sorted(chosen) or None

    def match_free(self, typed: str, lang: str, number: float | None = None) -> int | str | None:
        """An option for a free answer, when it is unambiguous: a label or emoji typed as it is
        (`match_typed`), an age for an age band ("45 ans" → 35-59; `number` is the NLU's when
        it read one in words), or one option's label inside a short sentence ("je suis une
        femme", "ana mra") with no negation outside it ("pas beaucoup" is not "beaucoup")."""
        exact = self.match_typed(typed, lang)
        if exact is not None or self.kind in NO_OPTION_KINDS or self.kind == "multi":
            return exact
        if self.kind == "age_band":
            return self._band(typed, number)
        text = f" {fold(typed)} "
        if not text.strip() or len(text) > 120:
            return None
        found: list[tuple[int, int, int | str]] = []  # (start, end, value)
        for o in self.options:
            for label in {fold(v) for v in o.label.values() if v}:
                if len(label) <= 2:  # "la", "ah": only alone (match_typed)
                    continue
                start = text.find(f" {label} ")
                if start >= 0:
                    found.append((start, start + len(label) + 1, o.value))
        kept = [
            f
            for f in found
            if not any(g != f and g[0] <= f[0] and f[1] <= g[1] and g[1] - g[0] > f[1] - f[0] for g in found)
        ]
        if not kept:
            return self._part_of_label(text.strip())
        if len({v for _, _, v in kept}) != 1:
            return None
        outside = " ".join(text[: kept[0][0]].split() + text[kept[0][1] :].split())
        if any(_negation(w) for w in outside.split()):
            return None
        return kept[0][2]

    def _part_of_label(self, text: str) -> int | str | None:
        """A few words that are part of one option's label only ("bzaf" for "Bzaf d lmerrat",
        "kbira" for "So3oba kbira"), without a negation."""
        words = text.split()
        if len(text) < 4 or len(words) > 3 or any(_negation(w) for w in words):
            return None
        hits = {
            o.value
            for o in self.options
            for label in o.label.values()
            if label and f" {text} " in f" {fold(label)} "
        }
        return hits.pop() if len(hits) == 1 else None

    def _band(self, typed: str, number: float | None) -> int | str | None:
        """The age band (values "15-17", "60+") an age falls in."""
        if number is None:  # a number of its own: the 3 of "3ndi" (Arabizi) is a letter
            t = typed.translate(ASCII_DIGITS)
            m = re.search(r"(?<![^\W_])(\d{1,3})(?![^\W_])", t) or re.search(
                r"(?<![^\W_])(\d{2,3})(?=[^\W\d_])", t
            )  # "45ans"
            number = float(m.group(1)) if m else None
        if number is None or not float(number).is_integer():
            return None
        age = int(number)
        for o in self.options:
            m = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+)|(\+))", str(o.value))
            if m and int(m.group(1)) <= age and (m.group(3) or age <= int(m.group(2))):
                return o.value
        return None

    def match_typed(self, typed: str, lang: str) -> int | str | None:
        """An option chosen by typing its emoji or its label (any variant); None if no match."""
        t = typed.strip()
        if not t:
            return None
        key = fold(t)
        for o in self.options:
            if o.emoji and t == o.emoji:
                return o.value
        for o in self.options:
            labels = [o.label.get(lang, "")] + list(o.label.values())
            if key and any(key == fold(lbl) for lbl in labels if lbl):
                return o.value
            if key and o.emoji and key == fold(f"{o.emoji} {o.label.get(lang, '')}"):
                return o.value
        return None

    def score(self, value: Any) -> float | None:
        """The numeric score of a stored value for ordinal statistics (None if not ordinal)."""
        if value is None:
            return None
        if self.kind in ("scale5", "wg4"):
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if self.kind == "yes_no":
            return {"yes": 1.0, "no": 0.0}.get(value)
        return None


def check_questions(questions: Sequence[Question]) -> None:
    """Poll-level checks: unique ids, and skip logic only on earlier questions."""
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise ValueError(f"question {q.id} appears twice")
        missing = [r for r in relevant_refs(q.relevant) if r not in seen]
        if missing:
            raise ValueError(
                f"question {q.id}: relevant refers to {missing[0]!r}, which is not an earlier question"
            )
        seen.add(q.id)


# negation words of the four variants (folded), and Darija's ma…ch / ما…ش around a verb
_NEGATIONS = {
    "pas",
    "ne",
    "n",
    "jamais",
    "aucun",
    "aucune",
    "ni",
    "sans",
    "non",
    "machi",
    "mchi",
    "ma",
    "la",
    "walo",
    "7ta",
    "not",
    "no",
} | {
    "".join(chr(c) for c in w)
    for w in (
        (0x644, 0x627),
        (0x644, 0x64A, 0x633),
        (0x644, 0x645),
        (0x644, 0x646),
        (0x63A, 0x64A, 0x631),
        (0x645, 0x627),
        (0x645, 0x627, 0x634, 0x64A),
        (0x62D, 0x62A, 0x649),
    )
}


def _negation(word: str) -> bool:
    if word in _NEGATIONS:
        return True
    latin = len(word) >= 4 and word.startswith("ma") and word.endswith(("ch", "sh"))
    arabic = len(word) >= 3 and word.startswith(chr(0x645)) and word.endswith(chr(0x634))
    return latin or arabic


# ---------------------------------------------------------------------------------------------
# The question bank (loaded from knowledge/polls.yml)


class ModuleDef(_Model):
    id: str
    optional: bool = True
    questions: list[dict[str, Any]]


class StoryLexicon(_Model):
    domains: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    polarity: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


class QuestionBank(_Model):
    scales: dict[str, list[ScaleOption]]
    modules: list[ModuleDef]
    publics: list[ScaleOption] = Field(default_factory=list)
    public_text: dict[str, str] = Field(default_factory=dict)
    public_short: dict[str, str] = Field(default_factory=dict)
    lexicon: StoryLexicon = Field(default_factory=StoryLexicon)

    @model_validator(mode="after")
    def _check(self) -> "QuestionBank":
        for m in self.modules:
            for q in self.module_questions(m.id):  # validates every question
                if q.kind not in NO_OPTION_KINDS and not q.options:
                    raise ValueError(f"{q.id}: no options")
        ids = [q.id for m in self.modules for q in self.module_questions(m.id)]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate question id(s) {sorted(dup)}")
        return self

    @property
    def module_ids(self) -> list[str]:
        return [m.id for m in self.modules]

    @property
    def optional_modules(self) -> list[str]:
        return [m.id for m in self.modules if m.optional]

    def module_questions(self, module_id: str) -> list[Question]:
        mod = next((m for m in self.modules if m.id == module_id), None)
        if mod is None:
            raise KeyError(module_id)
        out = []
        for raw in mod.questions:
            data = dict(raw)
            data.setdefault("module", module_id)
            kind = data.get("kind")
            scale = data.get("scale") or KIND_SCALE.get(str(kind))
            if kind not in NO_OPTION_KINDS and "options" not in data:
                if scale not in self.scales:
                    raise ValueError(f"question {data.get('id')}: unknown scale {scale!r}")
                data["options"] = [o.model_dump() for o in self.scales[scale]]
            out.append(Question.model_validate(data))
        return out

    def build(
        self, modules: Iterable[str] = (), publics: Sequence[str] = (), custom: Sequence[Question] = ()
    ) -> list[Question]:
        """The questions of a new poll: the mandatory modules, the chosen optional ones, a
        'public' question when the project has several target publics, and custom questions
        (placed before the open question)."""
        chosen = set(modules)
        unknown = chosen - set(self.optional_modules)
        if unknown:
            raise ValueError(f"unknown or mandatory module(s) {sorted(unknown)}")
        out: list[Question] = []
        for m in self.modules:
            if m.optional and m.id not in chosen:
                continue
            qs = self.module_questions(m.id)
            if m.id == "profile" and len(publics) > 1:
                opts = [o for o in self.publics if o.value in publics]
                if len(opts) > 1:
                    qs.append(
                        Question(
                            id="public",
                            kind="public",
                            module="profile",
                            options=opts,
                            text=self.public_text,
                            short=self.public_short,
                        )
                    )
            if any(q.kind == "text" for q in qs):
                out.extend(custom)
                custom = ()
            out.extend(qs)
        out.extend(custom)
        if len(out) > MAX_QUESTIONS:
            raise ValueError(f"a poll has at most {MAX_QUESTIONS} questions")
        ids = [q.id for q in out]
        if len(set(ids)) != len(ids):
            raise ValueError("two questions have the same id")
        check_questions(out)
        return out


_PARSED: dict[str, list[Question]] = {}


def questions_of(poll: Poll) -> list[Question]:
    """The poll's questions (parsed once per poll token: a poll's questions never change)."""
    cached = _PARSED.get(poll.token)
    if cached is not None and len(cached) == len(poll.questions):
        return list(cached)
    parsed = [Question.model_validate(q) for q in poll.questions]
    if len(_PARSED) > 256:
        _PARSED.clear()
    _PARSED[poll.token] = parsed
    return list(parsed)


def custom_question(
    qid: str,
    text: dict[str, str],
    kind: str = "scale5",
    bank: QuestionBank | None = None,
    scale: str = "amount",
) -> Question:
    """A question written by an official (its text in the variants they gave)."""
    data: dict[str, Any] = {"id": qid, "kind": kind, "module": "custom", "text": text, "short": text}
    if kind not in NO_OPTION_KINDS:
        if bank is None:
            raise ValueError("a custom scale question needs the question bank")
        key = scale if kind == "scale5" else KIND_SCALE.get(kind, kind)
        data["options"] = [o.model_dump() for o in bank.scales[key]]
        data["scale"] = key if kind == "scale5" else None
    return Question.model_validate(data)


# ---------------------------------------------------------------------------------------------
# Pseudonyms


def pseudonym(key: bytes | str, channel: str, user_ref: str, project_id: int) -> str:
    """HMAC-SHA256(key, channel:user_ref:project_id), hex. The same person gets the same
    pseudonym in every poll of a project (baseline and follow-up link up) and a different one in
    another project; without the key, nobody can go back to the channel identity."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise ValueError("the pseudonymisation key is empty")
    message = f"{channel}:{user_ref}:{project_id}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# Statistics (pure Python)


def median(values: Sequence[float]) -> float | None:
    return float(_median(values)) if values else None


def _norm_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def sign_test(improved: int, worse: int) -> float | None:
    """Exact two-sided sign test (ties dropped). For yes/no answers this is the exact McNemar
    test. None when there is no change at all."""
    n = improved + worse
    if n == 0:
        return None
    k = min(improved, worse)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2.0 * float(tail))


def _ranks(values: Sequence[float]) -> list[float]:
    """Mid-ranks (1-based) of values, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    return ranks


class WilcoxonResult(_Model):
    n: int  # non-zero differences
    w_plus: float
    w_minus: float
    p: float | None
    exact: bool


def wilcoxon_signed_rank(differences: Sequence[float], exact_max_n: int = 30) -> WilcoxonResult:
    """Two-sided Wilcoxon signed-rank test on paired differences (zeros dropped, Wilcoxon's
    method). Exact distribution when there are no tied |d| and n ≤ exact_max_n; otherwise the
    normal approximation with tie correction and continuity correction."""
    d = [float(x) for x in differences if x != 0]
    n = len(d)
    if n == 0:
        return WilcoxonResult(n=0, w_plus=0.0, w_minus=0.0, p=None, exact=True)
    absd = [abs(x) for x in d]
    ranks = _ranks(absd)
    w_plus = sum(r for r, x in zip(ranks, d) if x > 0)
    w_minus = sum(r for r, x in zip(ranks, d) if x < 0)
    ties = Counter(absd)
    w = min(w_plus, w_minus)
    if all(c == 1 for c in ties.values()) and n <= exact_max_n:
        # number of subsets of {1..n} with each rank sum s
        total = n * (n + 1) // 2
        counts = [0] * (total + 1)
        counts[0] = 1
        for r in range(1, n + 1):
            for s in range(total, r - 1, -1):
                counts[s] += counts[s - r]
        tail = sum(counts[: int(w) + 1]) / 2**n
        return WilcoxonResult(n=n, w_plus=w_plus, w_minus=w_minus, p=min(1.0, 2 * tail), exact=True)
    mean = n * (n + 1) / 4.0
    var = n * (n + 1) * (2 * n + 1) / 24.0 - sum(t**3 - t for t in ties.values()) / 48.0
    if var <= 0:
        return WilcoxonResult(n=n, w_plus=w_plus, w_minus=w_minus, p=None, exact=False)
    z = (abs(w_plus - mean) - 0.5) / math.sqrt(var)
    p = min(1.0, 2 * _norm_sf(max(z, 0.0)))
    return WilcoxonResult(n=n, w_plus=w_plus, w_minus=w_minus, p=p, exact=False)


class MannWhitneyResult(_Model):
    n1: int
    n2: int
    u: float  # U of the second sample (follow-up): > n1*n2/2 means it tends to be higher
    p: float | None
    effect: float | None  # probability of superiority U/(n1*n2): 0.5 = no difference


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> MannWhitneyResult:
    """Two-sided Mann-Whitney U test (normal approximation, tie and continuity corrections)."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return MannWhitneyResult(n1=n1, n2=n2, u=0.0, p=None, effect=None)
    allv = list(a) + list(b)
    ranks = _ranks(allv)
    r2 = sum(ranks[n1:])
    u2 = r2 - n2 * (n2 + 1) / 2.0
    n = n1 + n2
    ties = Counter(allv)
    mean = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - sum(t**3 - t for t in ties.values()) / (n * (n - 1)))
    if var <= 0:
        p = None
    else:
        z = (abs(u2 - mean) - 0.5) / math.sqrt(var)
        p = min(1.0, 2 * _norm_sf(max(z, 0.0)))
    return MannWhitneyResult(n1=n1, n2=n2, u=u2, p=p, effect=u2 / (n1 * n2))


# ---------------------------------------------------------------------------------------------
# Results


def disability_from_wg(answers: dict[str, Any]) -> str | None:
    """'yes' if at least one functioning question is answered 'a lot of difficulty' or 'cannot do
    at all' (the usual cut-off), 'no' if all six are answered below it, else None (unknown)."""
    wg = {k: v for k, v in answers.items() if k.startswith("wg_")}
    if any(isinstance(v, int) and v >= 3 for v in wg.values()):
        return "yes"
    if len(wg) >= 6 and all(isinstance(v, int) for v in wg.values()):
        return "no"
    return None


def profile_update(
    profile: dict[str, Any], question: Question, value: Any, answers: dict[str, Any]
) -> dict[str, Any]:
    """The respondent's profile after this answer (sex, age band, public, disability)."""
    out = dict(profile)
    if question.kind in PROFILE_KINDS:
        if value is None:
            out.pop(question.kind, None)
        else:
            out[question.kind] = value
    if question.kind == "wg4":
        dis = disability_from_wg(answers)
        if dis is None:
            out.pop("disability", None)
        else:
            out["disability"] = dis
    return out


class QuestionResult(_Model):
    id: str
    kind: str
    module: str
    n: int  # answered (not skipped)
    skipped: int
    distribution: dict[str, int]  # option value (as text) -> count, in option order
    median: float | None = None
    favourable: float | None = None  # share answering 4-5 (scale5) or yes (yes_no)
    minimum: float | None = None  # integer questions
    maximum: float | None = None
    not_asked: int = 0  # answer rows of respondents the skip logic passed over (not counted)

    def share(self, value: Any) -> float | None:
        """The share of the respondents who answered (n) that chose this option; for a multi
        question each option is counted once per respondent, so shares may add up to more
        than 1."""
        if not self.n:
            return None
        return self.distribution.get(str(value), 0) / self.n


class GroupResult(_Model):
    group: str
    n: int
    suppressed: bool
    median: float | None = None
    favourable: float | None = None


class PairedResult(_Model):
    id: str
    n_pairs: int
    improved: int
    same: int
    worse: int
    median_change: float | None
    sign_p: float | None
    wilcoxon_p: float | None


class UnpairedResult(_Model):
    id: str
    n_baseline: int
    n_followup: int
    favourable_baseline: int = 0  # favourable answers among n_baseline (domain.figures)
    favourable_followup: int = 0
    median_baseline: float | None
    median_followup: float | None
    u: float | None
    p: float | None
    effect: float | None


class StoryView(_Model):
    id: int | None
    text: str | None
    media: bool
    tags: list[str]
    polarity: str | None
    significant: bool
    reason: str | None


class PollResults(_Model):
    poll_id: int | None
    project_id: int
    wave: str
    is_open: bool
    respondents: int
    completed: int
    refusals: int
    questions: list[QuestionResult]
    breakdowns: dict[str, dict[str, list[GroupResult]]]  # question -> key -> groups
    stories: list[StoryView] = Field(default_factory=list)


class Comparison(_Model):
    baseline_poll_id: int | None
    followup_poll_id: int | None
    n_linked: int
    paired: list[PairedResult]
    unpaired: list[UnpairedResult]


def answers_by_respondent(responses: Iterable[Response]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for r in responses:
        out[r.respondent_id][r.question] = r.value
    return dict(out)


def _favourable(q: Question, vals: list[Any]) -> float | None:
    """The favourable share (0..1) of the answers, by `domain.figures.is_favourable`."""
    fav, n = favourable(q.kind, vals)
    return fav / n if n else None


def question_result(q: Question, values: list[Any], not_asked: int = 0) -> QuestionResult:
    """Counts for one question from the stored values of the respondents it was asked to
    (None = skipped). Multi: each option counted once per respondent; integer: median, min and
    max of the numbers."""
    answered = [q.coerce(v) for v in values]
    answered = [v for v in answered if v is not None]
    if q.kind == "multi":
        counts = Counter(o for v in answered for o in set(v))
    else:
        counts = Counter(answered)
    dist = {str(v): counts.get(v, 0) for v in q.values()}
    if q.kind == "integer":
        nums = [float(v) for v in answered]
        return QuestionResult(
            id=q.id,
            kind=q.kind,
            module=q.module,
            n=len(answered),
            skipped=len(values) - len(answered),
            distribution={},
            median=median(nums),
            minimum=min(nums) if nums else None,
            maximum=max(nums) if nums else None,
            not_asked=not_asked,
        )
    scores = [s for s in (q.score(v) for v in answered) if s is not None]
    return QuestionResult(
        id=q.id,
        kind=q.kind,
        module=q.module,
        n=len(answered),
        skipped=len(values) - len(answered),
        distribution=dist,
        median=median(scores) if q.ordinal else None,
        favourable=_favourable(q, answered),
        not_asked=not_asked,
    )


def suppress(groups: list[GroupResult], min_group_size: int) -> list[GroupResult]:
    """Hide groups under min_group_size; when exactly one group is hidden, also hide the next
    smallest one, so that the hidden count cannot be worked out from the total."""
    out = [g.model_copy(update={"suppressed": g.n < min_group_size}) for g in groups]
    hidden = [g for g in out if g.suppressed]
    if len(hidden) == 1 and len(out) > 1:
        visible = sorted((g for g in out if not g.suppressed), key=lambda g: g.n)
        if visible:
            visible[0].suppressed = True
    return [
        g.model_copy(update={"n": 0, "median": None, "favourable": None}) if g.suppressed else g for g in out
    ]


def breakdown(
    q: Question,
    respondents: Sequence[Respondent],
    answers: dict[int, dict[str, Any]],
    key: str,
    min_group_size: int,
    asked: dict[int, set[str]] | None = None,
) -> list[GroupResult]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in respondents:
        group = r.profile.get(key)
        value = answers.get(r.id or -1, {}).get(q.id)
        if group is None or q.coerce(value) is None:
            continue
        if asked is not None and q.id not in asked.get(r.id or -1, set()):
            continue
        groups[str(group)].append(value)
    out = []
    for name in sorted(groups):
        vals = groups[name]
        scores = [s for s in (q.score(v) for v in vals) if s is not None]
        out.append(
            GroupResult(
                group=name,
                n=len(vals),
                suppressed=False,
                median=median(scores),
                favourable=_favourable(q, vals),
            )
        )
    return suppress(out, min_group_size)


def poll_results(
    poll: Poll,
    respondents: Sequence[Respondent],
    responses: Sequence[Response],
    stories: Sequence[Story] = (),
    refusals: int = 0,
    min_group_size: int = 5,
) -> PollResults:
    qs = questions_of(poll)
    ids = {r.id for r in respondents}
    answers = answers_by_respondent(r for r in responses if r.respondent_id in ids)
    asked_by = {rid: asked_ids(qs, a) for rid, a in answers.items()}
    results, breakdowns = [], {}
    for q in qs:
        # a respondent the skip logic passed over is not a missing answer: left out entirely
        # (a stale answer, given before an earlier answer changed, is not counted either)
        asked = [a for rid, a in answers.items() if q.id in a and q.id in asked_by[rid]]
        not_asked = sum(1 for a in answers.values() if q.id in a) - len(asked)
        if q.kind == "text":
            vals = [a.get(q.id) for a in asked]
            n = sum(1 for v in vals if v is not None)
            results.append(
                QuestionResult(
                    id=q.id,
                    kind=q.kind,
                    module=q.module,
                    n=n,
                    skipped=len(vals) - n,
                    distribution={},
                    not_asked=not_asked,
                )
            )
            continue
        results.append(question_result(q, [a[q.id] for a in asked], not_asked))
        if q.ordinal:
            breakdowns[q.id] = {
                k: breakdown(q, respondents, answers, k, min_group_size, asked_by) for k in BREAKDOWN_KEYS
            }
    views = [
        StoryView(
            id=s.id,
            text=s.text,
            media=bool(s.media_ref),
            tags=list(s.tags),
            polarity=s.polarity,
            significant=s.significant,
            reason=s.significance_reason,
        )
        for s in stories
        if s.respondent_id in ids
    ]
    return PollResults(
        poll_id=poll.id,
        project_id=poll.project_id,
        wave=poll.wave,
        is_open=poll.is_open,
        respondents=len(respondents),
        completed=sum(1 for r in respondents if r.completed_at is not None),
        refusals=refusals,
        questions=results,
        breakdowns=breakdowns,
        stories=views,
    )


def _asked_only(questions: list[Question], answers: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each respondent's answers without those to questions the skip logic passed over."""
    out = {}
    for rid, a in answers.items():
        keep = asked_ids(questions, a)
        out[rid] = {k: v for k, v in a.items() if k in keep}
    return out


def compare(
    baseline: Poll,
    b_respondents: Sequence[Respondent],
    b_responses: Sequence[Response],
    followup: Poll,
    f_respondents: Sequence[Respondent],
    f_responses: Sequence[Response],
) -> Comparison:
    """Baseline against follow-up for every ordinal question both polls share: paired (the same
    pseudonym answered both) and unpaired (everyone who answered each wave)."""
    bq = {q.id: q for q in questions_of(baseline)}
    fq = {q.id: q for q in questions_of(followup)}
    b_ans = _asked_only(list(bq.values()), answers_by_respondent(b_responses))
    f_ans = _asked_only(list(fq.values()), answers_by_respondent(f_responses))
    b_by_pseudo = {r.pseudonym: b_ans.get(r.id or -1, {}) for r in b_respondents}
    f_by_pseudo = {r.pseudonym: f_ans.get(r.id or -1, {}) for r in f_respondents}
    linked = sorted(set(b_by_pseudo) & set(f_by_pseudo))
    paired, unpaired = [], []
    for qid, q in fq.items():
        if qid not in bq or not q.ordinal or bq[qid].kind != q.kind:
            continue
        diffs = []
        for p in linked:
            b, f = q.score(b_by_pseudo[p].get(qid)), q.score(f_by_pseudo[p].get(qid))
            if b is not None and f is not None:
                diffs.append(f - b)
        sign = -1.0 if q.kind == "wg4" else 1.0  # for wg4 a lower value is better
        better = sum(1 for d in diffs if d * sign > 0)
        worse = sum(1 for d in diffs if d * sign < 0)
        wil = wilcoxon_signed_rank(diffs)
        paired.append(
            PairedResult(
                id=qid,
                n_pairs=len(diffs),
                improved=better,
                same=len(diffs) - better - worse,
                worse=worse,
                median_change=median(diffs),
                sign_p=sign_test(better, worse),
                wilcoxon_p=wil.p,
            )
        )
        b_all = [s for s in (q.score(a.get(qid)) for a in b_ans.values()) if s is not None]
        f_all = [s for s in (q.score(a.get(qid)) for a in f_ans.values()) if s is not None]
        mw = mann_whitney_u(b_all, f_all)
        fav_b = favourable(q.kind, (a.get(qid) for a in b_ans.values()))[0]
        fav_f = favourable(q.kind, (a.get(qid) for a in f_ans.values()))[0]
        unpaired.append(
            UnpairedResult(
                id=qid,
                n_baseline=len(b_all),
                n_followup=len(f_all),
                favourable_baseline=fav_b,
                favourable_followup=fav_f,
                median_baseline=median(b_all),
                median_followup=median(f_all),
                u=mw.u if mw.p is not None else None,
                p=mw.p,
                effect=mw.effect,
            )
        )
    return Comparison(
        baseline_poll_id=baseline.id,
        followup_poll_id=followup.id,
        n_linked=len(linked),
        paired=paired,
        unpaired=unpaired,
    )


# ---------------------------------------------------------------------------------------------
# Stories and indicators


def tag_story(text: str | None, lexicon: StoryLexicon) -> tuple[list[str], str | None]:
    """Domain tags and polarity of a story from word lists (a first guess officials can fix):
    every domain with a matching word; 'other' when none matches."""
    if not text:
        return ["other"], None
    words = [w for w in fold(text).split() if w]

    def hits(lists: dict[str, list[str]]) -> int:
        stems = [fold(s) for variants in lists.values() for s in variants]
        return sum(1 for w in words for s in stems if s and (w == s or (len(s) >= 4 and w.startswith(s))))

    tags = [d for d, lists in lexicon.domains.items() if hits(lists)]
    pos = hits(lexicon.polarity.get("positive", {}))
    neg = hits(lexicon.polarity.get("negative", {}))
    polarity = "positive" if pos > neg else "negative" if neg > pos else None
    return tags or ["other"], polarity


def measurement_from_results(
    indicator: Indicator, results: PollResults, period: str, min_group_size: int = 5
) -> Measurement | None:
    """The value of an indicator linked to a poll question (`Indicator.poll_question`): the share
    of respondents with a favourable answer, in percent (scale5: 4 or 5; yes/no: yes; wg4: no or
    some difficulty), disaggregated by the breakdowns that are not suppressed. None if the poll
    has no such question or nobody answered it."""
    qid = indicator.poll_question
    qr = next((q for q in results.questions if q.id == qid), None)
    if qr is None or qr.n == 0 or qr.favourable is None:
        return None
    dis: dict[str, Any] = {"n": qr.n}
    for key, groups in results.breakdowns.get(qr.id, {}).items():
        shown = {
            g.group: round(100 * g.favourable, 1)
            for g in groups
            if not g.suppressed and g.favourable is not None
        }
        if shown:
            dis[key] = shown
    return Measurement(
        period=period,
        value=round(100 * qr.favourable, 1),
        disaggregated=dis,
        source=f"poll:{results.poll_id}:{results.wave}",
    )
