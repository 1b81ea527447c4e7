"""Generate the Rasa training files and the held-out evaluation split from our own phrasings.

    python -m nlu.training.generate      # rewrites nlu/rasa/data/*.yml and nlu/eval/heldout.jsonl

Deterministic (fixed seed). Every example is normalised to decide duplicates; one in five
(by a hash of the normalised text) goes to the held-out split, which is never used for training.
The Rasa files hold the raw text with entity annotations; `athar nlu train` normalises them with
nlu.normalize before training, exactly as the client normalises messages before parsing.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from functools import lru_cache
from pathlib import Path

from domain.languages import LANG_TAGS, is_rtl

from nlu.lexicon import find_entities, lookup_forms
from nlu.normalize import map_span, normalize, normalize_with_map
from nlu.numbers import number_words
from nlu.training import statements as S
from nlu.training.phrases import DIALOGUE, PREFIXES, SUFFIXES

NLU_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = NLU_DIR / "rasa" / "data"
HELDOUT = NLU_DIR / "eval" / "heldout.jsonl"
SEED = 20261129
DIALOGUE_TARGET = 44  # per intent and variant, before the split
STATEMENT_TARGET = 240
OOS_TARGET = 60
REAL_STYLE_FILLS = 4  # slot fillings of each real-style template

Example = dict  # {"text", "language", "intent", "entities": [{"entity", "value"}]}


def _dialogue(rng: random.Random, lang: str, intent: str) -> list[str]:
    core = DIALOGUE[intent][lang]
    out = list(dict.fromkeys(core))
    tries = 0
    while len(out) < DIALOGUE_TARGET and tries < 2000:
        tries += 1
        c = rng.choice(core)
        p = rng.choice(PREFIXES[lang]) if rng.random() < 0.5 else ""
        s = rng.choice(SUFFIXES[lang]) if rng.random() < 0.6 or not p else ""
        t = p + c + s
        if rng.random() < 0.2 and not is_rtl(lang):
            t = t.capitalize()
        if t not in out:
            out.append(t)
    return out


def _pub_de(lang: str, pub: str) -> str:
    if lang == "fr" and pub.startswith("les "):
        return "des " + pub[4:]
    return pub


def _fill(rng: random.Random, lang: str, template: str) -> tuple[str, list[dict]]:
    ents: list[dict] = []
    # entities in the fixed words of the template (slots removed)
    fixed = re.sub(r"\{\w+\}", " ", template)
    for m in find_entities(fixed):
        ents.append({"entity": m.entity, "value": m.value})
    text = template
    if "{pub" in text:
        pub, pv = rng.choice(S.PUB[lang])
        ents.append({"entity": "public", "value": pv})
        if lang == "fr" and text.startswith("{pub}"):
            text = text.replace("{pub}", pub[0].upper() + pub[1:] if rng.random() < 0.3 else pub, 1)
        bare = pub[4:] if lang == "fr" and pub.startswith("les ") else pub
        text = text.replace("{pub_de}", _pub_de(lang, pub)).replace("{pub_n}", bare).replace("{pub}", pub)
    if "{dom}" in text:
        dom, dv = rng.choice(S.DOM[lang])
        ents.append({"entity": "domain", "value": dv})
        text = text.replace("{dom}", dom)
    while "{n}" in text:
        text = text.replace("{n}", rng.choice(S.NUM[lang]), 1)
    if "{pct}" in text:
        text = text.replace("{pct}", rng.choice(S.PCT[lang]))
    text = re.sub(r"\s+", " ", text).strip()
    if is_rtl(lang):
        text = re.sub(r"(?<!\S)لال", "لل", text)  # li- before the article: "ل" + "الناس" = "للناس"
    uniq = []
    for e in ents:
        if e not in uniq:
            uniq.append(e)
    return text, uniq


def _statements(
    rng: random.Random, lang: str, grammar: dict[str, list[str]], keys: tuple[str, str, str], target: int
) -> list[tuple[str, list[dict]]]:
    a, b, c = keys
    out: dict[str, tuple[str, list[dict]]] = {}
    tries = 0
    while len(out) < target and tries < target * 30:
        tries += 1
        template = rng.choice(grammar[a]) + rng.choice(grammar[b]) + rng.choice(grammar[c])
        text, ents = _fill(rng, lang, template)
        if rng.random() < 0.3:
            text = text[0].upper() + text[1:]
        if rng.random() < 0.25:
            text += rng.choice([".", " !", "."])
        key = normalize(text)
        if key not in out:
            out[key] = (text, ents)
    return list(out.values())


def _real_style(rng: random.Random, lang: str, intent: str) -> list[tuple[str, list[dict]]]:
    """Each real-style template (statements.REAL_STYLE) filled a few times."""
    out: dict[str, tuple[str, list[dict]]] = {}
    for template in S.REAL_STYLE[lang][intent]:
        for _ in range(REAL_STYLE_FILLS if "{" in template else 1):
            text, ents = _fill(rng, lang, template)
            out.setdefault(normalize(text), (text, ents))
    return list(out.values())


def _oos(rng: random.Random, lang: str) -> list[str]:
    out: list[str] = []
    cities = S.CITIES_AR if is_rtl(lang) else S.CITIES
    tries = 0
    while len(out) < OOS_TARGET and tries < 3000:
        tries += 1
        t = (
            rng.choice(S.OUT_OF_SCOPE[lang])
            .replace("{city}", rng.choice(cities))
            .replace("{dish}", rng.choice(S.DISHES[lang]))
        )
        if t not in out:
            out.append(t)
    return out


def build() -> list[Example]:
    rng = random.Random(SEED)
    examples: list[Example] = []
    for lang in LANG_TAGS:
        for intent in DIALOGUE:
            for t in _dialogue(rng, lang, intent):
                examples.append({"text": t, "language": lang, "intent": intent, "entities": []})
        for intent, grammar, keys in (
            ("describe_activity", S.ACTIVITY[lang], ("subj", "verb", "tail")),
            ("describe_output", S.OUTPUT[lang], ("pre", "core", "post")),
            ("describe_effect", S.EFFECT[lang], ("pre", "core", "post")),
        ):
            for t, ents in _statements(rng, lang, grammar, keys, STATEMENT_TARGET) + _real_style(
                rng, lang, intent
            ):
                examples.append({"text": t, "language": lang, "intent": intent, "entities": ents})
        for t in _oos(rng, lang):
            examples.append({"text": t, "language": lang, "intent": "out_of_scope", "entities": []})
    # One normalised text, one label: drop later duplicates (same phrase in two variants/intents).
    seen: set[str] = set()
    uniq: list[Example] = []
    for ex in examples:
        key = normalize(ex["text"])
        if key in seen or not key:
            continue
        seen.add(key)
        uniq.append(ex)
    return uniq


def is_heldout(text: str) -> bool:
    h = hashlib.sha256(normalize(text).encode("utf-8")).digest()
    return h[0] % 5 == 0


@lru_cache(maxsize=1)
def _number_word_re() -> tuple[re.Pattern[str], dict[str, str]]:
    value_of = {w: v for v, ws in number_words().items() for w in ws}
    alts = "|".join(re.escape(w) for w in sorted(value_of, key=lambda w: (-len(w), w)))
    return re.compile(rf"(?<![\w])(?:{alts})(?![\w])"), value_of


def _number_word_spans(text: str) -> list[tuple[int, int, str]]:
    """Number words of the `number` lookup table in `text`: (start, end, value), original spans."""
    rx, value_of = _number_word_re()
    norm, mapping = normalize_with_map(text)
    return [(*map_span(mapping, m.start(), m.end()), value_of[m.group(0)]) for m in rx.finditer(norm)]


def _annotate(text: str) -> str:
    """Rasa markup for the publics and domains the lexicon finds in `text`, and for number words.

    Rasa's RegexEntityExtractor only uses a lookup table whose name is an entity annotated in the
    training examples, so the number words are annotated too (value: the number, as in the synonyms)."""
    found = [(m.start, m.end, m.entity, m.value) for m in find_entities(text)]
    found += [(a, b, "number", v) for a, b, v in _number_word_spans(text)]
    out, pos = [], 0
    for start, end, entity, value in sorted(found, key=lambda f: (f[0], -f[1])):
        if start < pos:
            continue
        surface = text[start:end]
        if any(ch in surface for ch in "[]{}()"):
            continue
        out.append(text[pos:start])
        out.append(f'[{surface}]{{"entity": "{entity}", "value": "{value}"}}')
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _yaml_block(lines: list[str]) -> str:
    return "".join(f"      - {ln}\n" for ln in lines)


def real_examples(rows: list[dict]) -> list[Example]:
    """Real statements of the dev set's train split (nlu.realset rows) as training examples: all
    of them train (the dev set has its own test split), with the lexicon's entities."""
    return [
        {"text": r["text"], "language": r["language"], "intent": f"describe_{r['label']}", "entities": []}
        for r in rows
    ]


def write(
    examples: list[Example],
    real: list[Example] = (),
    data_dir: Path | None = None,
    heldout: Path | None = None,
    *,
    write_heldout: bool = True,
) -> tuple[int, int]:
    """The Rasa files into `data_dir` (default: nlu/rasa/data) and, with `write_heldout`, the
    held-out split into `heldout` (default: nlu/eval/heldout.jsonl)."""
    data_dir = data_dir or DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    train = [e for e in examples if not is_heldout(e["text"])]
    held = [e for e in examples if is_heldout(e["text"])]
    seen = {normalize(e["text"]) for e in examples}
    train += [e for e in real if normalize(e["text"]) not in seen]
    for lang in LANG_TAGS:
        by_intent: dict[str, list[str]] = {}
        for e in train:
            if e["language"] == lang:
                by_intent.setdefault(e["intent"], []).append(_annotate(e["text"]))
        parts = [
            'version: "3.1"\n',
            f"# Generated by nlu/training/generate.py ({lang}); edit the phrasings there.\n",
            "nlu:\n",
        ]
        for intent, lines in by_intent.items():
            parts.append(f"  - intent: {intent}\n    examples: |\n{_yaml_block(lines)}")
        (data_dir / f"nlu_{lang}.yml").write_text("".join(parts), encoding="utf-8")
    # Lookup tables and synonyms (normalised forms, with Arabic clitic variants).
    parts = [
        'version: "3.1"\n',
        "# Generated by nlu/training/generate.py from nlu/lexicon.py and nlu/numbers.py.\n",
        "nlu:\n",
    ]
    for entity in ("public", "domain"):
        forms = lookup_forms(entity)
        # Longest first: Rasa joins a lookup table into one alternation in file order, and the
        # first alternative that matches wins ("drari sghar" must come before "drari").
        allf = sorted({f for fs in forms.values() for f in fs}, key=lambda f: (-len(f), f))
        parts.append(f"  - lookup: {entity}\n    examples: |\n{_yaml_block(allf)}")
        for value, fs in forms.items():
            parts.append(f"  - synonym: {value}\n    examples: |\n{_yaml_block(sorted(set(fs)))}")
    # Number words (not the ones that are also articles: "un atelier"); the synonym is the value.
    words = number_words()
    allw = sorted({w for ws in words.values() for w in ws}, key=lambda f: (-len(f), f))
    parts.append(f"  - lookup: number\n    examples: |\n{_yaml_block(allw)}")
    for value, ws in words.items():
        parts.append(f'  - synonym: "{value}"\n    examples: |\n{_yaml_block(ws)}')
    (data_dir / "lookups.yml").write_text("".join(parts), encoding="utf-8")
    if write_heldout:
        heldout = heldout or HELDOUT
        heldout.parent.mkdir(parents=True, exist_ok=True)
        with heldout.open("w", encoding="utf-8") as fh:
            for e in held:
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    return len(train), len(held)


def main() -> None:
    from nlu import realset

    n_train, n_held = write(build(), real_examples(realset.load(split="train")))
    print(f"wrote {n_train} training examples to {DATA_DIR} and {n_held} held-out to {HELDOUT}")


if __name__ == "__main__":
    main()
