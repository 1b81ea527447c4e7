"""Typed text against button labels: which button did the person mean?

Pure text rules, no language knowledge of their own: the labels (in every variant) and the words
people type for a meaning ("safi", "c'est bon", "هادشي هو", "👍") come in as data.

- `fold` (domain.text): case, accents, Arabic diacritics and letter variants (hamza and madda forms of alef, alef
  maqsura, taa marbuta, hamza on waw/yaa), tatweel, letter elongation and punctuation do not count.
- `Matcher.match`: in order, an emoji alone that a single label carries; a label typed exactly
  (in any variant); a word of a meaning ("done", "yes"...) when a single option has that meaning;
  a label with light typos; and, where the step is a choice ("loose"), a part of a label
  ("education" for "Éducation et formation", "12 mois" for "Dans 12 mois") or a label with a
  few words around it ("positif bien sûr"), when exactly one option fits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from domain.text import fold

# the meanings a button may carry, most specific first: when typed words fit several meanings
# ("safi" is both "done" and "yes"), the first one offered wins
MEANINGS: tuple[str, ...] = ("done", "dont_know", "no", "yes", "skip", "back")


def key(text: str) -> str:
    """`fold`, and doubled letters once ("Rjje3" = "rje3", "mzzyan" = "mzyan")."""
    return re.sub(r"(\w)\1+", r"\1", fold(text))


def _joined(text: str) -> str:
    return key(text).replace(" ", "")


def symbols(text: str) -> str:
    """The emoji and signs of a text without letters or digits ("👍🏽" → "👍"); "" otherwise."""
    t = (text or "").strip()
    if not t or any(unicodedata.category(c)[0] in ("L", "N") for c in t):
        return ""
    return "".join(
        c for c in t if not c.isspace() and c not in "\ufe0f\u200d" and not 0x1F3FB <= ord(c) <= 0x1F3FF
    )


def leading_symbols(label: str) -> str:
    """The emoji a label starts with ("✅ C'est tout" → "✅")."""
    head = re.match(r"\W+", label.strip())
    return symbols(head.group(0)) if head else ""


def edits_within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most `limit` (small strings, early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def _typo_limit(word: str) -> int:
    if word.isdigit() or len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def same_word(a: str, b: str, short: bool = False) -> bool:
    """Equal, or a light typo: one edit in a word of 4 to 7 letters, two from 8 letters; never
    in numbers. `short`: a whole one-word answer may also miss a letter of a 4-letter label
    ("akkd" for "Akked")."""
    if a == b:
        return True
    limit = min(_typo_limit(a), _typo_limit(b))
    if (
        short
        and limit == 0
        and len(a) != len(b)
        and min(len(a), len(b)) >= 3
        and a[0] == b[0]
        and max(_typo_limit(a), _typo_limit(b)) > 0
    ):
        limit = 1
    return limit > 0 and edits_within(a, b, limit)


_PREFIX = "[" + "".join(map(chr, (0x0648, 0x0641, 0x0628, 0x0644, 0x0643))) + "]"  # w f b l k
_ARTICLE = chr(0x0627) + chr(0x0644)
_CLITIC = re.compile(f"^(?:{_PREFIX}?{_ARTICLE}|{_PREFIX}{chr(0x0644)}?)(?=\\w{{3}})")


def words(text: str, stop: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The content words of a text, `key`-folded, an Arabic article or one-letter proclitic
    dropped ("والحي" → "حي"), stop words left out."""
    out = []
    for w in key(text).split():
        if w in stop:
            continue
        if 0x0600 <= ord(w[0]) <= 0x06FF:
            w = _CLITIC.sub("", w)
        out.append(w)
    return tuple(out)


def _inside(part: Sequence[str], whole: Sequence[str]) -> bool:
    """Every word of `part` is a word of `whole` (typos allowed, each word used once)."""
    free = list(whole)
    for w in part:
        hit = next((i for i, v in enumerate(free) if same_word(w, v)), None)
        if hit is None:
            return False
        free.pop(hit)
    return True


@dataclass(frozen=True)
class Choice:
    """One option as the matcher sees it: its data, its label in every variant, its meanings."""

    data: str
    labels: tuple[str, ...]
    means: tuple[str, ...] = ()
    whole: bool = False  # only its whole label selects it (typos aside), never a part of it
    also: tuple[str, ...] = ()  # other whole phrasings that select it ("une fois par an")


class Matcher:
    """Typed text → the data of the option meant, or None. `synonyms`: meaning → words people
    type for it (all variants mixed); `stop`: words that never tell two labels apart."""

    def __init__(
        self,
        synonyms: Mapping[str, Iterable[str]],
        stop: Iterable[str] = (),
        ordinals: Sequence[Iterable[str]] = (),
    ):
        self.stop = frozenset(key(w) for w in stop if key(w))
        # "le premier", "التاني", "lowel": a position in the list of buttons (loose steps)
        self.ordinals = {w: i for i, forms in enumerate(ordinals) for w in map(words, forms) if w}
        self.phrases = {m: frozenset(key(s) for s in ws if key(s)) for m, ws in synonyms.items()}
        self.synonyms = {m: frozenset(x.replace(" ", "") for x in ws) for m, ws in self.phrases.items()}
        self.emoji = {m: frozenset(symbols(s) for s in ws if symbols(s)) for m, ws in synonyms.items()}

    def meanings(self, labels: Iterable[str]) -> tuple[str, ...]:
        """The meanings a label carries by its own words: "➡️ Non, c'est tout" is "no" and
        "done", "🤷 Je ne sais pas encore" is "dont_know"."""
        found = []
        for label in labels:
            k = key(label)
            for m in MEANINGS:
                if m in found:
                    continue
                if any(
                    k == s or k.startswith(s + " ") or k.endswith(" " + s) for s in self.phrases.get(m, ())
                ):
                    found.append(m)
        return tuple(m for m in MEANINGS if m in found)

    def match(
        self,
        text: str,
        choices: Sequence[Choice],
        loose: bool = False,
        around: bool = True,
    ) -> str | None:
        """`loose`: a part of a label, an ordinal, a label with a few words `around` it may
        select (choice steps; not `around` where typed words are a value: "f akhir yonyo 2027"
        is a date, not the button "Akhir 2027")."""
        if not choices or not (text or "").strip():
            return None
        sym = symbols(text)
        if sym:
            return self._by_symbol(sym, choices)
        k = key(text)
        if not k:
            return None
        decided, found = self._whole(text, k, choices, loose)
        if decided or not loose:
            return found
        return self._loose(text, choices, around)

    def _by_symbol(self, sym: str, choices: Sequence[Choice]) -> str | None:
        """An emoji alone: the one label that starts with it, else the option of its meaning."""
        hits = [c for c in choices if any(leading_symbols(lb) == sym for lb in c.labels)]
        if len(hits) == 1:
            return hits[0].data
        for m in MEANINGS:
            if sym in self.emoji.get(m, ()):
                return self._by_meaning(m, choices)
        return None

    def _whole(self, text: str, k: str, choices: Sequence[Choice], loose: bool) -> tuple[bool, str | None]:
        """What the whole answer selects on any step: a label typed exactly, words of a meaning,
        a meaning word and a few words after it, a label with light typos. (True, data or None)
        when that decides; (False, None) when a loose step may still read it."""
        j = _joined(text)  # "cest tout" is "c'est tout"
        exact = [c for c in choices if any(j == _joined(lb) for lb in c.labels + c.also)]
        if exact:
            return True, exact[0].data if len(exact) == 1 else None
        found = self._said(j, k, choices, loose)
        if found is not None:
            return True, found
        if k.isdigit():
            return True, None  # a number is a value or a position, never part of a label
        typed = words(text)
        typos = [
            c
            for c in choices
            if any(len(w) == len(typed) and _inside(typed, w) for w in map(words, c.labels + c.also))
            or (len(typed) == 1 and any(same_word(j, _joined(lb), short=True) for lb in c.labels + c.also))
        ]
        if len(typos) == 1:
            return True, typos[0].data
        return False, None

    def _said(self, j: str, k: str, choices: Sequence[Choice], loose: bool) -> str | None:
        """The option of a meaning the answer says: a phrase of it ("c'est bon"), only meaning
        words ("la safi", "wakha wakha"), or a meaning word first and a few words after."""
        for m in MEANINGS:
            if j in self.synonyms.get(m, ()):
                found = self._by_meaning(m, choices)
                if found is not None:
                    return found
        said = self._meanings_said(k)  # "la safi", "wakha wakha": only words of meanings
        if said:
            meant = {h for m in said for h in [self._by_meaning(m, choices)] if h is not None}
            if len(meant) == 1:
                return meant.pop()
        # "نعم نتابع", "oui on continue": a meaning word first and a few words after (on a
        # step taking free text only "that's all": "c'est tout pour les activités")
        lead = self._leading_meaning(k)
        if lead is not None and (loose or lead == "done"):
            return self._by_meaning(lead, choices)
        return None

    def _loose(self, text: str, choices: Sequence[Choice], around: bool) -> str | None:
        """On a choice step: an ordinal, a part of a single label, or a label with a few words
        around it (`around`)."""
        content = words(text, self.stop)
        if content in self.ordinals:
            i = self.ordinals[content]
            return choices[i].data if i < len(choices) and not choices[i].whole else None
        choices = [c for c in choices if not c.whole]
        if not content:
            return None
        # a part of one label ("education", "12 mois"), or one label and a few words more
        # ("positif bien sûr"): only when a single option fits
        part = [c for c in choices if any(_inside(content, w) for w in self._words(c, True))]
        if len(part) == 1:
            return part[0].data
        # "ybdaw" is a word of "Ybdaw ydiro chi 7aja" and, with one typo, of "Yb9aw 3liha": the
        # option whose label has the very words typed wins over those matched through a typo
        if len(part) > 1:
            exact_part = [c for c in part if any(set(content) <= set(w) for w in self._words(c, True))]
            if len(exact_part) == 1:
                return exact_part[0].data
        if part or not around:
            return None
        return self._most_shared(content, choices)

    def _most_shared(self, content: tuple[str, ...], choices: Sequence[Choice]) -> str | None:
        """The label sharing the most words with the answer, two at least and more than half of
        them ("le projet emploi jeunes" for "Ateliers emploi jeunes"); else the one label found
        whole among at most three more words."""
        scores = sorted(
            (
                (sum(1 for x in content if any(same_word(x, y) for y in w)), c.data)
                for c in choices
                for w in self._words(c, True)
            ),
            reverse=True,
        )
        best = {d for n, d in scores if scores and n == scores[0][0]}
        if scores and scores[0][0] >= 2 and len(best) == 1 and scores[0][0] > len(content) / 2:
            return scores[0][1]
        around_hits = [
            c
            for c in choices
            if any(w and _inside(w, content) and len(content) - len(w) <= 3 for w in self._words(c, True))
        ]
        return around_hits[0].data if len(around_hits) == 1 else None

    def meant(self, text: str) -> tuple[str, ...]:
        """The meanings of a text made only of meaning words or their emoji ("wakha wakha" →
        yes, "la safi" → no and done, "👍" → yes); () when anything else is in it."""
        sym = symbols(text)
        if sym:
            return tuple(m for m in MEANINGS if sym in self.emoji.get(m, ()))
        return tuple(dict.fromkeys(self._meanings_said(key(text))))

    def _meanings_said(self, k: str) -> list[str]:
        """The meanings of a text made only of meaning words, e.g. "la safi" → no, done
        (longest phrases first); [] when another word is in it."""
        tokens, found, i = k.split(), [], 0
        while i < len(tokens):
            for n in range(min(4, len(tokens) - i), 0, -1):
                phrase = " ".join(tokens[i : i + n])
                ms = [m for m in MEANINGS if phrase in self.phrases.get(m, ())]
                if ms:
                    found += ms
                    i += n
                    break
            else:
                return []
        return found

    def match_many(self, text: str, choices: Sequence[Choice], joiners: Iterable[str] = ()) -> list[str]:
        """Several options named in one answer ("sexe et âge", "jins w ssen", "الجنس والسن"):
        split at commas, then into runs of words each naming one option, with `joiners` ("et",
        "w", "و", also glued: "والسن") between them; [] unless every part names one."""
        joins = {key(j) for j in joiners if key(j)}
        found: list[str] = []
        for chunk in re.split(r"[,;+&\u060c\u061b/]", text or ""):
            tokens = [t for t in key(chunk).split() if t not in joins]
            if not tokens:
                continue
            picked = self._segment(tokens, choices, joins)
            if picked is None:
                return []
            found += picked
        return list(dict.fromkeys(found))

    def _segment(self, tokens: list[str], choices: Sequence[Choice], joins: set[str]) -> list[str] | None:
        if not tokens:
            return []
        for n in range(len(tokens), 0, -1):
            head = tokens[:n]
            hit = self.match(" ".join(head), choices, loose=True, around=False)
            if hit is None and head[0][:1] in joins and len(head[0]) > 2:  # "والسن"
                hit = self.match(" ".join([head[0][1:]] + head[1:]), choices, loose=True, around=False)
            if hit is not None:
                rest = self._segment(tokens[n:], choices, joins)
                if rest is not None:
                    return [hit] + rest
        return None

    def _leading_meaning(self, k: str) -> str | None:
        tokens = k.split()
        for n in range(min(3, len(tokens) - 1), 0, -1):
            if len(tokens) - n > 3:
                break
            phrase = " ".join(tokens[:n])
            ms = [m for m in MEANINGS if phrase in self.phrases.get(m, ())]
            if len(ms) == 1:
                return ms[0]
        return None

    def _by_meaning(self, meaning: str, choices: Sequence[Choice]) -> str | None:
        hits = [c for c in choices if meaning in c.means]
        return hits[0].data if len(hits) == 1 else None

    def _words(self, c: Choice, content: bool = False) -> list[tuple[str, ...]]:
        return [words(lb, self.stop if content else frozenset()) for lb in c.labels]
