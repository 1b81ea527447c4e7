"""`athar coaching eval [--nlu]`: how well the coaching rules tell an activity, an output and an
effect apart, on the teaching ladders of the knowledge base (activity → output → effect, per
public and domain, in the four language variants). With --nlu, the rules are combined with the
configured NLU (Rasa, or the fallback parser) as in the dialogues."""
from __future__ import annotations

import argparse
from collections import Counter
from types import SimpleNamespace

LEVELS = ("activity", "output", "effect")
LANGS = ("fr", "ar", "ary", "ary-Latn")


def evaluate(kb, nlu=None) -> dict[str, Counter]:
    """Per language: counts of (expected, found) pairs over the ladders of `kb`."""
    from domain.dialogue import Ctx, DialogueState
    from domain.effects import classify

    from bot.handlers._coaching import lexicon

    lex = lexicon(Ctx(state=DialogueState(), lang="fr", uow=None,
                      services=SimpleNamespace(knowledge=kb)))
    out: dict[str, Counter] = {lang: Counter() for lang in LANGS}
    for ex in kb.effect_examples:
        for lang in LANGS:
            for level in LEVELS:
                text = getattr(ex, level).get(lang)
                intent, conf = None, 0.0
                if nlu is not None:
                    u = nlu.parse(text, hint=lang)
                    intent, conf = u.intent.name, u.intent.confidence
                out[lang][(level, classify(text, lex, intent, conf).kind)] += 1
    return out


def _eval(args: argparse.Namespace) -> int:
    from knowledge.loader import load_knowledge

    nlu = None
    if args.nlu:
        from bot.app import make_nlu
        from bot.settings import get_settings
        nlu = make_nlu(get_settings())
    results = evaluate(load_knowledge(), nlu)
    print(f"{'variant':10} {'accuracy':>9}   " + "  ".join(f"{lv:>8}" for lv in LEVELS) + "   unknown")
    for lang, counts in results.items():
        total = sum(counts.values())
        right = sum(n for (want, got), n in counts.items() if want == got)
        per = [f"{counts[(lv, lv)]:>3}/{sum(n for (w, _), n in counts.items() if w == lv):<4}"
               for lv in LEVELS]
        unknown = sum(n for (_, got), n in counts.items() if got == "unknown")
        print(f"{lang:10} {right / total:>8.0%}   " + "  ".join(f"{p:>8}" for p in per)
              + f"   {unknown:>7}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("coaching", help="coaching rules: evaluation on the knowledge base")
    sub = p.add_subparsers(dest="coaching_command", required=True)
    e = sub.add_parser("eval", help="activity/output/effect accuracy on the teaching ladders")
    e.add_argument("--nlu", action="store_true", help="combine with the configured NLU")
    e.set_defaults(func=_eval)
