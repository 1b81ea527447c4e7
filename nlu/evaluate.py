"""Evaluate an NLU on a JSONL file: per-variant accuracy, precision/recall/F1 and confusion.

Each line: {"text", "language", "intent", "entities": [{"entity", "value"}]}; "intent" and
"entities" are optional (a language-identification file has neither: only language id is judged).
Entities are compared as (entity, value) pairs per message (spans are not judged); public and
domain get precision/recall/F1, and so do number, percent and duration when the file annotates
them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.nlu import NLU
from domain.languages import LANG_TAGS


@dataclass
class Report:
    n: Counter = field(default_factory=Counter)
    n_intent: Counter = field(default_factory=Counter)  # messages with a gold intent
    intent_ok: Counter = field(default_factory=Counter)
    lang_ok: Counter = field(default_factory=Counter)
    intent_confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lang_confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    # per (variant, entity): tp, fp, fn
    ent: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    # per (variant, intent): tp, fp, fn
    per_intent: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    # per (variant, entity): Counter of (gold value, predicted value) for the mismatches ("-": none)
    ent_confusion: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[dict[str, Any]] = field(default_factory=list)
    lang_errors: list[dict[str, Any]] = field(default_factory=list)
    engines: Counter = field(default_factory=Counter)
    # statements (gold describe_*): the statement-level model's likeliest level (nlu/levels.py)
    n_level: Counter = field(default_factory=Counter)
    level_ok: Counter = field(default_factory=Counter)

    def level_accuracy(self, lang: str) -> float | None:
        return self.level_ok[lang] / self.n_level[lang] if self.n_level[lang] else None

    def intent_accuracy(self, lang: str) -> float | None:
        return self.intent_ok[lang] / self.n_intent[lang] if self.n_intent[lang] else None

    def lang_accuracy(self, lang: str) -> float:
        return self.lang_ok[lang] / self.n[lang] if self.n[lang] else 0.0

    def entity_prf(self, lang: str | None, entity: str) -> tuple[float, float, float, int]:
        c: Counter = Counter()
        for (lg, e), v in self.ent.items():
            if e == entity and (lang is None or lg == lang):
                c.update(v)
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f, tp + fn

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for lang in self.n:
            out[lang] = {
                "n": self.n[lang],
                "intent_accuracy": _round(self.intent_accuracy(lang)),
                "language_accuracy": round(self.lang_accuracy(lang), 4),
                "level_accuracy": _round(self.level_accuracy(lang)),
                "entity_f1": {
                    e: round(self.entity_prf(lang, e)[2], 4)
                    for e in ("public", "domain", "number", "percent", "duration")
                    if self.entity_prf(lang, e)[3]
                },
            }
        return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def load(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def _norm_value(v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{float(v):g}"
    return str(v)


def evaluate(nlu: NLU, rows: list[dict[str, Any]]) -> Report:
    rep = Report()
    for row in rows:
        lang, gold = row["language"], row.get("intent")
        u = nlu.parse(row["text"])
        rep.engines[u.engine] += 1
        rep.n[lang] += 1
        rep.lang_confusion[lang][u.language or "none"] += 1
        if u.language == lang:
            rep.lang_ok[lang] += 1
        else:
            rep.lang_errors.append({"text": row["text"], "language": lang, "pred": u.language})
        if gold is not None and gold.startswith("describe_") and u.levels:
            rep.n_level[lang] += 1
            rep.level_ok[lang] += "describe_" + max(u.levels, key=u.levels.get) == gold
        if gold is not None:
            pred = u.intent.name
            rep.n_intent[lang] += 1
            rep.intent_confusion[gold][pred] += 1
            if pred == gold:
                rep.intent_ok[lang] += 1
                rep.per_intent[(lang, gold)]["tp"] += 1
            else:
                rep.per_intent[(lang, gold)]["fn"] += 1
                rep.per_intent[(lang, pred)]["fp"] += 1
                rep.errors.append({"text": row["text"], "language": lang, "gold": gold, "pred": pred})
        if "entities" not in row:
            continue  # entities not annotated (language-id lines, real statements)
        judged = {e["entity"] for e in row.get("entities", [])} | {"public", "domain"}
        g = Counter((e["entity"], _norm_value(e["value"])) for e in row.get("entities", []))
        p = Counter((e.entity, _norm_value(e.value)) for e in u.entities if e.entity in judged)
        # set semantics per message
        gs, ps = set(g), set(p)
        for kind in judged:
            gk = {x for x in gs if x[0] == kind}
            pk = {x for x in ps if x[0] == kind}
            rep.ent[(lang, kind)]["tp"] += len(gk & pk)
            rep.ent[(lang, kind)]["fp"] += len(pk - gk)
            rep.ent[(lang, kind)]["fn"] += len(gk - pk)
            missed = sorted(v for _, v in gk - pk)
            extra = sorted(v for _, v in pk - gk)
            for i in range(max(len(missed), len(extra))):
                pair = (missed[i] if i < len(missed) else "-", extra[i] if i < len(extra) else "-")
                rep.ent_confusion[(lang, kind)][pair] += 1
    return rep


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def format_report(rep: Report) -> str:
    langs = [lang for lang in LANG_TAGS if rep.n[lang]] + [lang for lang in rep.n if lang not in LANG_TAGS]
    out = []
    rows = [
        ["variant", "n", "intent acc", "lang-id acc", "public P/R/F1", "domain P/R/F1", "statement level acc"]
    ]
    for lang in langs:
        pp = rep.entity_prf(lang, "public")
        dd = rep.entity_prf(lang, "domain")
        acc = rep.intent_accuracy(lang)
        lvl = rep.level_accuracy(lang)
        rows.append(
            [
                lang,
                str(rep.n[lang]),
                "-" if acc is None else f"{acc:.3f}",
                f"{rep.lang_accuracy(lang):.3f}",
                f"{pp[0]:.2f}/{pp[1]:.2f}/{pp[2]:.3f}",
                f"{dd[0]:.2f}/{dd[1]:.2f}/{dd[2]:.3f}",
                "-" if lvl is None else f"{lvl:.3f}",
            ]
        )
    out.append("Per variant\n" + _table(rows))
    extra = [["entity", "support", "P", "R", "F1"]]
    for e in ("public", "domain", "number", "percent", "duration"):
        p, r, f, s = rep.entity_prf(None, e)
        if s:
            extra.append([e, str(s), f"{p:.3f}", f"{r:.3f}", f"{f:.3f}"])
    out.append("Entities (all variants)\n" + _table(extra))
    if not sum(rep.n_intent.values()):  # a language-identification file
        return "\n\n".join([out[0], _lang_confusion(rep, langs), _engines(rep)])
    intents = sorted({i for (_, i) in rep.per_intent})
    rows = [["intent"] + [f"{lang} P/R/F1" for lang in langs]]
    for i in intents:
        row = [i]
        for lang in langs:
            c = rep.per_intent.get((lang, i), Counter())
            tp, fp, fn = c["tp"], c["fp"], c["fn"]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            row.append(f"{p:.2f}/{r:.2f}/{f:.2f}" if tp + fp + fn else "-")
        rows.append(row)
    out.append("Intents per variant\n" + _table(rows))
    labels = sorted(set(rep.intent_confusion) | {p for c in rep.intent_confusion.values() for p in c})
    short = {lab: lab[:6] for lab in labels}
    rows = [["gold \\ pred"] + [short[lab] for lab in labels]]
    for g in labels:
        if g in rep.intent_confusion:
            rows.append([g] + [str(rep.intent_confusion[g][p] or ".") for p in labels])
    out.append("Intent confusion (rows: gold, columns: predicted)\n" + _table(rows))
    out.append(_lang_confusion(rep, langs))
    rows = [["variant", "entity", "gold", "predicted", "count"]]
    for lang in langs:
        for kind in ("public", "domain", "number", "percent", "duration"):
            for (g, p), c in sorted(rep.ent_confusion.get((lang, kind), Counter()).items()):
                rows.append([lang, kind, g, p, str(c)])
    out.append(
        "Entity confusion (mismatches only; '-' = none)\n" + (_table(rows) if len(rows) > 1 else "none")
    )
    out.append(_engines(rep))
    return "\n\n".join(out)


def _lang_confusion(rep: Report, langs: list[str]) -> str:
    tags = langs + ["none"]
    rows = [["gold \\ pred"] + tags]
    for g in langs:
        rows.append([g] + [str(rep.lang_confusion[g][p] or ".") for p in tags])
    return "Language-id confusion\n" + _table(rows)


def _engines(rep: Report) -> str:
    return "Engines: " + ", ".join(f"{k}={v}" for k, v in rep.engines.items())
