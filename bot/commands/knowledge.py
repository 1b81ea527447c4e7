"""`athar knowledge check [--dir DIR]` and `athar knowledge suggest --domain D [--public P]`.

`check` validates every catalog of the knowledge base (a content editor's safety net): it prints a
summary, or the file and field at fault and exits 1. `suggest` shows the indicators the bot would
propose for an effect.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from domain.knowledge import DOMAIN_IDS, LEVELS, PUBLIC_IDS, suggest_indicators
from knowledge.loader import HERE, KnowledgeError, load_knowledge


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("knowledge", help="check and explore the knowledge base")
    ksub = p.add_subparsers(dest="knowledge_command", metavar="ACTION")
    chk = ksub.add_parser("check", help="validate every YAML catalog")
    chk.add_argument("--dir", type=Path, default=HERE, help="catalog directory (default: the installed one)")
    chk.set_defaults(func=check)
    sug = ksub.add_parser("suggest", help="indicators the bot would propose for an effect")
    sug.add_argument("--domain", required=True, choices=DOMAIN_IDS)
    sug.add_argument("--public", choices=PUBLIC_IDS, default=None)
    sug.add_argument("--level", choices=LEVELS, default="outcome")
    sug.add_argument("--lang", default="fr", choices=["fr", "ar", "ary", "ary-Latn"])
    sug.add_argument("--limit", type=int, default=3)
    sug.set_defaults(func=suggest)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def check(args: argparse.Namespace) -> int:
    try:
        kb = load_knowledge(Path(args.dir).resolve())
    except KnowledgeError as exc:
        print(f"knowledge base is broken: {exc}", file=sys.stderr)
        return 1
    by_domain = Counter(i.domain for i in kb.indicators)
    print(f"indicators: {len(kb.indicators)} ({', '.join(f'{d} {n}' for d, n in sorted(by_domain.items()))})")
    print(
        f"publics: {len(kb.publics)}, domains: {len(kb.domains)}, parties: {len(kb.parties)}, "
        f"unexpected-effect prompts: {len(kb.unexpected_prompts)}"
    )
    print(
        f"effect ladders: {len(kb.effect_examples)}, effect templates: {len(kb.templates.effects)}, "
        f"glossary terms: {len(kb.glossary)} ({sum(t.trap is not None for t in kb.glossary)} traps)"
    )
    print(
        f"lessons: {len(kb.lessons)} ({sum(len(m.cards) for m in kb.lessons)} cards), "
        f"activity verbs: {len(kb.coaching.activity_verbs)}, output patterns: {len(kb.coaching.output_patterns)}"
    )
    print("OK")
    return 0


def suggest(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    found = suggest_indicators(kb, args.domain, args.public, args.level, limit=args.limit)
    if not found:
        print("no indicator fits", file=sys.stderr)
        return 1
    for n, ind in enumerate(found, 1):
        unit = kb.labels.label("units", ind.unit, args.lang)
        print(f"{n}) {ind.label.get(args.lang)} [{ind.id}; {ind.level}; {unit}]")
    return 0
