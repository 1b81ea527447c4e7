"""`athar coaching eval [--nlu] [--real]`: how well the coach tells an activity, an output and an
effect apart.

Without --real: on the teaching ladders of the knowledge base (activity → output → effect, per
public and domain, in the four language variants); --nlu combines the rules with the configured
NLU as the dialogues do.

With --real: on the real dev set (nlu/eval/real/, statements from public project documents and
their Darija renderings), split "test" by default, through the configured NLU (Rasa; --no-rasa:
the fallback parser) and the coach's decision exactly as in the dialogue: a verdict when sure,
otherwise one clarifying question, answered truthfully by a simulated official (every other time
a button, otherwise a typed answer from nlu/eval/clarify_answers.jsonl), and the statement placed
from that answer. Per variant: wrong verdicts for each level (an activity or an output accepted
as an effect; an effect told it is an activity or an output), the share of statements that got a
question, and the share placed right after one clarifying answer.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from domain.languages import LANG_TAGS

LEVELS = ("activity", "output", "effect")
ANSWERS = Path(__file__).resolve().parents[2] / "nlu" / "eval" / "clarify_answers.jsonl"


def _coach(kb) -> tuple[Any, Any]:
    """The coaching lexicon and calibrated thresholds, as the dialogues build them."""
    from bot.handlers._coaching import confidence_of, lexicon_of

    return lexicon_of(kb), confidence_of(kb)


def _probabilities(nlu, text: str, lang: str | None) -> dict[str, float] | None:
    from domain.effects import statement_probabilities

    if nlu is None:
        return None
    u = nlu.parse(text, hint=lang)
    if u.levels:
        return dict(u.levels)
    return statement_probabilities((i.name, i.confidence) for i in (u.ranking or [u.intent]))


def evaluate(kb, nlu=None) -> dict[str, Counter]:
    """Per language: counts of (expected, found) pairs over the ladders of `kb`."""
    from domain.effects import classify

    lex, conf = _coach(kb)
    out: dict[str, Counter] = {lang: Counter() for lang in LANG_TAGS}
    for ex in kb.effect_examples:
        for lang in LANG_TAGS:
            for level in LEVELS:
                text = getattr(ex, level).get(lang)
                out[lang][(level, classify(text, lex, _probabilities(nlu, text, lang), conf).kind)] += 1
    return out


# -- the real dev set ------------------------------------------------------------------------------
@dataclass
class RealFigures:
    """What the coach did with the statements of one language variant."""

    n: Counter = field(default_factory=Counter)  # statements per gold level
    wrong: Counter = field(default_factory=Counter)  # sure verdicts on the wrong side of "effect"
    sure: Counter = field(default_factory=Counter)  # sure verdicts per gold level
    sure_exact: Counter = field(default_factory=Counter)  # ... that also named the right level
    asked: Counter = field(default_factory=Counter)  # clarifying questions per gold level
    placed: Counter = field(default_factory=Counter)  # placed right after the answer
    misses: list[dict[str, Any]] = field(default_factory=list)

    def rate(self, counter: Counter, level: str | None = None) -> float | None:
        if level is None:
            total = sum(self.n.values())
            return sum(counter.values()) / total if total else None
        return counter[level] / self.n[level] if self.n[level] else None

    def placement(self) -> float | None:
        asked = sum(self.asked.values())
        return sum(self.placed.values()) / asked if asked else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": dict(self.n),
            "wrong_verdicts": {lv: _r(self.rate(self.wrong, lv)) for lv in LEVELS},
            "asked": _r(self.rate(self.asked)),
            "placed_after_one_answer": _r(self.placement()),
            "sure_level_accuracy": _r(
                sum(self.sure_exact.values()) / sum(self.sure.values()) if sum(self.sure.values()) else None
            ),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def load_answers(path: Path = ANSWERS) -> dict[tuple[str, str], list[str]]:
    """The simulated official's typed answers, per (language, level)."""
    out: dict[tuple[str, str], list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.setdefault((row["language"], row["level"]), []).append(row["text"])
    return out


def evaluate_real(
    rows: Iterable[dict[str, Any]],
    kb,
    nlu=None,
    answers: dict[tuple[str, str], list[str]] | None = None,
    confidence=None,
) -> dict[str, RealFigures]:
    """The coach on real statements (rows with text, language, label), per language variant;
    `confidence` replaces the knowledge base's thresholds."""
    from domain.effects import classify, placed_by_answer

    lex, conf = _coach(kb)
    conf = confidence or conf
    answers = load_answers() if answers is None else answers
    out: dict[str, RealFigures] = {}
    for row in rows:
        lang, gold, text = row["language"], row["label"], row["text"]
        fig = out.setdefault(lang, RealFigures())
        fig.n[gold] += 1
        c = classify(text, lex, _probabilities(nlu, text, lang), conf)
        if c.sure:
            fig.sure[gold] += 1
            fig.sure_exact[gold] += c.kind == gold
            if (c.kind == "effect") != (gold == "effect"):
                fig.wrong[gold] += 1
                fig.misses.append(
                    {"language": lang, "gold": gold, "said": c.kind, "text": text, "clues": list(c.reasons)}
                )
            continue
        asked = sum(fig.asked.values())
        fig.asked[gold] += 1
        typed = answers.get((lang, gold)) or []
        if asked % 2 == 0 or not typed:  # a button: the truthful one
            placed = gold
        else:
            placed = placed_by_answer(typed[(asked // 2) % len(typed)], lex)
        fig.placed[gold] += placed == gold
    return out


def format_real(figures: dict[str, RealFigures], split: str) -> str:
    rows = [
        [
            "variant",
            "n (a/o/e)",
            "activity→effect",
            "output→effect",
            "effect→not",
            "asked",
            "placed after 1 answer",
            "sure: level right",
        ]
    ]

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    for lang in [lg for lg in LANG_TAGS if lg in figures] + [lg for lg in figures if lg not in LANG_TAGS]:
        f = figures[lang]
        d = f.to_dict()
        rows.append(
            [
                lang,
                "/".join(str(f.n[lv]) for lv in LEVELS),
                pct(d["wrong_verdicts"]["activity"]),
                pct(d["wrong_verdicts"]["output"]),
                pct(d["wrong_verdicts"]["effect"]),
                pct(d["asked"]),
                pct(d["placed_after_one_answer"]),
                pct(d["sure_level_accuracy"]),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)
    return (
        f"Coach on the real dev set, split {split} (targets: wrong verdicts <= 5 % for each "
        f"level, asked <= 30 %, placed after one answer >= 95 %)\n{table}"
    )


def _eval(args: argparse.Namespace) -> int:
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    if args.real:
        return _eval_real(args, kb)
    nlu = None
    if args.nlu:
        from bot.app import make_nlu
        from bot.settings import get_settings

        nlu = make_nlu(get_settings())
    results = evaluate(kb, nlu)
    print(f"{'variant':10} {'accuracy':>9}   " + "  ".join(f"{lv:>8}" for lv in LEVELS) + "   unknown")
    for lang, counts in results.items():
        total = sum(counts.values())
        right = sum(n for (want, got), n in counts.items() if want == got)
        per = [
            f"{counts[(lv, lv)]:>3}/{sum(n for (w, _), n in counts.items() if w == lv):<4}" for lv in LEVELS
        ]
        unknown = sum(n for (_, got), n in counts.items() if got == "unknown")
        print(f"{lang:10} {right / total:>8.0%}   " + "  ".join(f"{p:>8}" for p in per) + f"   {unknown:>7}")
    return 0


def _eval_real(args: argparse.Namespace, kb) -> int:
    from nlu import realset

    from bot.commands.nlu import nlu_for_cli

    rows = realset.load(split=args.split)
    if not rows:
        print(f"no real statements in split {args.split!r} (nlu/eval/real/)")
        return 1
    with nlu_for_cli(args.no_rasa) as nlu:
        figures = evaluate_real(rows, kb, nlu)
    if args.json:
        print(json.dumps({lang: f.to_dict() for lang, f in figures.items()}, indent=2, ensure_ascii=False))
        return 0
    print(format_real(figures, args.split))
    for f in figures.values():
        for m in f.misses[: args.errors]:
            print(f"  [{m['language']}] {m['gold']} told {m['said']}: {m['text']}  ({', '.join(m['clues'])})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("coaching", help="coaching rules: evaluation on the knowledge base")
    sub = p.add_subparsers(dest="coaching_command", required=True)
    e = sub.add_parser("eval", help="activity/output/effect: the teaching ladders, or the real dev set")
    e.add_argument("--nlu", action="store_true", help="ladders: combine with the configured NLU")
    e.add_argument(
        "--real",
        action="store_true",
        help="the real dev set (nlu/eval/real/) through the NLU and the coach's decision",
    )
    e.add_argument("--split", choices=("test", "train"), default="test", help="with --real (default: test)")
    e.add_argument("--no-rasa", action="store_true", help="with --real: the fallback parser only")
    e.add_argument("--json", action="store_true", help="with --real: the figures as JSON")
    e.add_argument(
        "--errors", type=int, default=0, help="with --real: list up to N wrong verdicts per variant"
    )
    e.set_defaults(func=_eval)
    from bot.commands import calibrate

    calibrate.register(sub)
