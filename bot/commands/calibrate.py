"""`athar coaching calibrate`: the coach's confidence thresholds, from the real TRAIN split only.

The real train statements are cut into folds by project (a project's documents, and the Darija
renderings of their statements, never feed both the model and the statements it is judged on); for each fold a Rasa model is trained on our phrasings
plus the other folds' real statements (cached by content hash like the main model), served on
127.0.0.1, and asked for the fold's statement probabilities. On these out-of-fold probabilities
the thresholds are chosen that ask the fewest questions while every level keeps its wrong
verdicts at or under the aim (or, when no thresholds can, that make the fewest wrong verdicts
within a bound on questions); the whole trade-off is printed, and the choice, for
knowledge/coaching.yml.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

AIM = 0.04  # wrong verdicts per level, a margin under the 5 %
MAX_ASKED = 0.4  # when the aim cannot be met: the most questions we accept to get closer to it
GRID = [round(0.55 + 0.01 * i, 2) for i in range(45)]  # 0.55 … 0.99


def fold_of(row: dict[str, Any], folds: int) -> int:
    """A row's fold, by its project (`group`; its document when it has none): one project's
    documents, and the Darija renderings of their statements, always fall in one fold."""
    key = row.get("group") or row["doc"]
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % folds


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
        held = [r for r in rows if fold_of(r, folds) == k]
        if not held:
            continue
        kept = [r for r in rows if fold_of(r, folds) != k]
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


def _operating_points(scored: list[tuple[str, str, bool | None, float]]) -> list[dict[str, Any]]:
    """Every threshold triple (agree <= alone <= contra) with its share of questions and its worst
    level's share of wrong verdicts (levels pooled over the variants: per variant the train split
    has too few statements of a level for a share to mean anything)."""
    from domain.effects import Confidence, effect_verdict

    n: dict[str, int] = {}
    for _, gold, _, _ in scored:
        n[gold] = n.get(gold, 0) + 1
    points = []
    for alone in GRID:
        for agree in (g for g in GRID if g <= alone):
            for contra in (g for g in GRID if g >= alone):
                conf = Confidence(alone=alone, agree=agree, contra=contra)
                wrong: dict[str, int] = {}
                asked = 0
                for _, gold, rule, p in scored:
                    verdict = effect_verdict(rule, p, conf)
                    if verdict is None:
                        asked += 1
                    elif verdict != (gold == "effect"):
                        wrong[gold] = wrong.get(gold, 0) + 1
                points.append({"alone": alone, "agree": agree, "contra": contra, "asked": asked,
                               "asked_share": round(asked / max(1, len(scored)), 4),
                               "worst_wrong": round(max((wrong.get(k, 0) / v for k, v in n.items()), default=0.0), 4),
                               "wrong": wrong})
    return points


def choose(scored: list[tuple[str, str, bool | None, float]], aim: float = AIM,
           max_asked: float = MAX_ASKED) -> dict[str, Any]:
    """The thresholds that ask least while every level keeps its wrong verdicts <= `aim`; when no
    thresholds reach the aim, those with the fewest wrong verdicts among the ones that ask at most
    `max_asked` of the statements (a question costs one button press, a wrong verdict misleads).
    `scored`: (language, gold level, rule says effect?, P(effect))."""
    points = _operating_points(scored)
    within = [p for p in points if p["worst_wrong"] <= aim]
    if within:
        return {**min(within, key=lambda p: (p["asked"], -p["alone"])), "aim_met": True}
    bounded = [p for p in points if p["asked_share"] <= max_asked] or points
    return {**min(bounded, key=lambda p: (p["worst_wrong"], p["asked"])), "aim_met": False}


def pareto(scored: list[tuple[str, str, bool | None, float]]) -> list[dict[str, Any]]:
    """The trade-off: for each share of questions, the fewest wrong verdicts reachable."""
    out: list[dict[str, Any]] = []
    for p in sorted(_operating_points(scored), key=lambda p: (p["asked"], p["worst_wrong"])):
        if not out or p["worst_wrong"] < out[-1]["worst_wrong"]:
            out.append(p)
    return out


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
    print("questions -> worst level's wrong verdicts (out-of-fold, train split):")
    for p in pareto(scored):
        print(f"  asked {100 * p['asked_share']:5.1f} %  wrong {100 * p['worst_wrong']:5.1f} %  "
              f"(alone {p['alone']}, agree {p['agree']}, contra {p['contra']}; wrong {p['wrong']})")
    best = choose(scored, args.aim, args.max_asked)
    print(json.dumps(best, indent=2))
    print(f"knowledge/coaching.yml:\nconfidence:\n  alone: {best['alone']}\n  agree: {best['agree']}\n"
          f"  contra: {best['contra']}")
    return 0


def register(sub) -> None:
    c = sub.add_parser("calibrate", help="the coach's confidence thresholds, by grouped cross-validation "
                                         "on the real train split")
    c.add_argument("--folds", type=int, default=4)
    c.add_argument("--aim", type=float, default=AIM, help="wrong verdicts allowed per level")
    c.add_argument("--max-asked", type=float, default=MAX_ASKED,
                   help="when the aim cannot be met: the largest share of statements to ask about")
    c.add_argument("--reuse", action="store_true", help="reuse the last out-of-fold probabilities")
    c.set_defaults(func=_calibrate)
