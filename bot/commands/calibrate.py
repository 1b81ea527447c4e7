"""`athar coaching calibrate`: the coach's confidence thresholds, from the real TRAIN split only.

The real train statements are cut into folds by source document (a document never feeds both the
model and the statements it is judged on); for each fold a Rasa model is trained on our phrasings
plus the other folds' real statements (cached by content hash like the main model), served on
127.0.0.1, and asked for the fold's statement probabilities. On these out-of-fold probabilities
the thresholds are chosen that ask the fewest questions while every level keeps its wrong
verdicts at or under the aim, in every variant. They are printed for knowledge/coaching.yml.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

AIM = 0.04  # wrong verdicts per level, a margin under the 5 %
GRID = [round(0.55 + 0.01 * i, 2) for i in range(45)]  # 0.55 … 0.99


def fold_of(doc: str, folds: int) -> int:
    return int(hashlib.sha256(doc.encode("utf-8")).hexdigest(), 16) % folds


def out_of_fold(rows: list[dict[str, Any]], folds: int, log=print) -> list[dict[str, Any]]:
    """Each train row with the statement probabilities of a model that never saw its document."""
    from domain.effects import statement_probabilities
    from nlu import trainer
    from nlu.server import LocalRasa, free_port
    from nlu.service import make_nlu
    from nlu.training import generate

    phrasings = generate.build()
    out: list[dict[str, Any]] = []
    for k in range(folds):
        held = [r for r in rows if fold_of(r["doc"], folds) == k]
        if not held:
            continue
        kept = [r for r in rows if fold_of(r["doc"], folds) != k]
        with tempfile.TemporaryDirectory(prefix="athar-cv-") as tmp:
            data = Path(tmp) / "data"
            generate.write(phrasings, generate.real_examples(kept), data_dir=data, write_heldout=False)
            model = trainer.train(data_dir=data, log=log)
        rasa = LocalRasa(free_port(), model, trainer.cache_dir() / "logs" / f"cv-{k}.log")
        rasa.start()
        try:
            rasa.wait_ready(log=log)
            nlu = make_nlu(rasa.url, timeout=30.0)
            for r in held:
                u = nlu.parse(r["text"], hint=r["language"])
                probs = statement_probabilities((i.name, i.confidence) for i in (u.ranking or [u.intent]))
                out.append({**r, "probs": probs})
            nlu.close()
        finally:
            rasa.stop()
        log(f"fold {k + 1}/{folds}: {len(held)} statements")
    return out


def choose(scored: list[tuple[str, str, bool | None, float]], aim: float = AIM) -> dict[str, Any]:
    """The thresholds (alone, agree, contra) that ask least with wrong verdicts <= `aim` for each
    level in each variant. `scored`: (language, gold level, rule says effect?, P(effect))."""
    from domain.effects import Confidence, effect_verdict

    best: dict[str, Any] | None = None
    for alone in GRID:
        for agree in (g for g in GRID if g <= alone):
            for contra in (g for g in GRID if g >= alone):
                conf = Confidence(alone=alone, agree=agree, contra=contra)
                wrong: dict[tuple[str, str], int] = {}
                n: dict[tuple[str, str], int] = {}
                asked = 0
                for lang, gold, rule, p in scored:
                    n[(lang, gold)] = n.get((lang, gold), 0) + 1
                    verdict = effect_verdict(rule, p, conf)
                    if verdict is None:
                        asked += 1
                    elif verdict != (gold == "effect"):
                        wrong[(lang, gold)] = wrong.get((lang, gold), 0) + 1
                worst = max((wrong.get(k, 0) / v for k, v in n.items()), default=0.0)
                if worst <= aim and (best is None or asked < best["asked"]):
                    best = {"alone": alone, "agree": agree, "contra": contra, "asked": asked,
                            "asked_share": round(asked / max(1, len(scored)), 4), "worst_wrong": round(worst, 4)}
    return best or {"alone": 0.99, "agree": 0.99, "contra": 0.99, "asked": len(scored),
                    "asked_share": 1.0, "worst_wrong": None}


def _calibrate(args: argparse.Namespace) -> int:
    from domain.effects import rule_clues
    from knowledge.loader import load_knowledge
    from nlu import realset, trainer

    from bot.commands.coaching import _coach

    cache = trainer.cache_dir() / "calibration.jsonl"
    if args.reuse and cache.exists():
        oof = [json.loads(x) for x in cache.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        oof = out_of_fold(realset.load(split="train"), args.folds)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in oof), encoding="utf-8")
    lex, _ = _coach(load_knowledge())
    scored = []
    for r in oof:
        if not r["probs"]:
            continue
        rule = rule_clues(r["text"], lex)[0]
        scored.append((r["language"], r["label"], None if rule is None else rule == "effect",
                       r["probs"]["effect"]))
    best = choose(scored, args.aim)
    print(json.dumps(best, indent=2))
    print(f"knowledge/coaching.yml:\nconfidence:\n  alone: {best['alone']}\n  agree: {best['agree']}\n"
          f"  contra: {best['contra']}")
    return 0


def register(sub) -> None:
    c = sub.add_parser("calibrate", help="the coach's confidence thresholds, by grouped cross-validation "
                                         "on the real train split")
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--aim", type=float, default=AIM, help="wrong verdicts allowed per level and variant")
    c.add_argument("--reuse", action="store_true", help="reuse the last out-of-fold probabilities")
    c.set_defaults(func=_calibrate)
