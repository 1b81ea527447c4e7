"""`athar coaching calibrate`: the coach's confidence thresholds, from the real TRAIN split only.

The real train statements are cut into folds by project (a project's documents, and the Darija
renderings of their statements, never feed both the model and the statements it is judged on); for
each fold the statement-level model (nlu/levels.py) is trained on our phrasings plus the other
folds' real statements and gives the fold's statement probabilities. On these out-of-fold
probabilities, with the lexicon rules, each side of the verdict gets its own bars: telling a
statement it is an effect can only wrong activities and outputs, telling it it is not one only
effects, so each side says as much as it can while the levels it can wrong keep their wrong verdicts
at or under the aim. The trade-off (questions against wrong verdicts, for several aims) is printed,
and the choice, for knowledge/coaching.yml.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from typing import Any

AIM = 0.04  # wrong verdicts per level, a margin under the 5 %
GRID = [round(0.5 + 0.01 * i, 2) for i in range(50)] + [1.01]  # 0.50 … 0.99, and "never"
Scored = tuple[str, str, "bool | None", float]  # (language, gold level, rule says effect?, P(effect))


def fold_of(row: dict[str, Any], folds: int) -> int:
    """A row's fold, by its project (`group`; its document when it has none): one project's
    documents, and the Darija renderings of their statements, always fall in one fold."""
    key = row.get("group") or row["doc"]
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % folds


def out_of_fold(rows: list[dict[str, Any]], folds: int, log=print) -> list[dict[str, Any]]:
    """Each train row with the statement probabilities of a level model that never saw its project."""
    from nlu import levels

    generated = levels.generated_examples()
    out: list[dict[str, Any]] = []
    for k in range(folds):
        held = [r for r in rows if fold_of(r, folds) == k]
        if not held:
            continue
        model = levels.train(generated + levels.real_examples(r for r in rows if fold_of(r, folds) != k))
        out += [{**r, "probs": model.probabilities(r["text"], r["language"])} for r in held]
        log(f"fold {k + 1}/{folds}: {len(held)} statements")
    return out


def _wrongable(effect_side: bool) -> tuple[str, ...]:
    return ("activity", "output") if effect_side else ("effect",)


def side_points(scored: list[Scored], effect_side: bool) -> list[dict[str, Any]]:
    """Every (alone, agree, contra) for one side of the verdict, with how many verdicts it gives
    and the worst share of wrong verdicts among the levels it can wrong (levels pooled over the
    variants: per variant the train split has too few statements of a level for a share to mean
    anything)."""
    n = Counter(gold for _, gold, _, _ in scored)
    # per kind of rule agreement (silent / agrees / against), per bar: verdicts and wrong ones per
    # level; a triple of bars adds up its three kinds
    kinds = {"alone": None, "agree": effect_side, "contra": not effect_side}
    table: dict[str, list[tuple[int, Counter]]] = {}
    for kind, rule_value in kinds.items():
        qs = [
            (max(p, 1 - p), gold)
            for _, gold, rule, p in scored
            if (p >= 0.5) == effect_side and rule == rule_value
        ]
        table[kind] = []
        for bar in GRID:
            hit = [gold for q, gold in qs if q >= bar]
            table[kind].append((len(hit), Counter(g for g in hit if (g == "effect") != effect_side)))
    points = []
    for i, alone in enumerate(GRID):
        for j, agree in enumerate(GRID[: i + 1]):
            for k in range(i, len(GRID)):
                said = table["alone"][i][0] + table["agree"][j][0] + table["contra"][k][0]
                wrong = table["alone"][i][1] + table["agree"][j][1] + table["contra"][k][1]
                worst = max((wrong[lv] / n[lv] for lv in _wrongable(effect_side) if n[lv]), default=0.0)
                points.append(
                    {
                        "alone": alone,
                        "agree": agree,
                        "contra": GRID[k],
                        "said": said,
                        "worst_wrong": round(worst, 4),
                        "wrong": dict(wrong),
                    }
                )
    return points


def _best(points: list[dict[str, Any]], aim: float) -> dict[str, Any]:
    within = [p for p in points if p["worst_wrong"] <= aim]
    # most verdicts; among equals the highest bars (the safest on new text)
    return max(within, key=lambda p: (p["said"], p["alone"], p["contra"], p["agree"]))


def choose(scored: list[Scored], aim: float = AIM) -> dict[str, Any]:
    """The bars of each side that give the most verdicts while every level keeps its wrong
    verdicts <= `aim` (always reachable: a side may say nothing), and the share of questions."""
    e = _best(side_points(scored, True), aim)
    n = _best(side_points(scored, False), aim)
    asked = len(scored) - e["said"] - n["said"]
    return {
        "alone": e["alone"],
        "agree": e["agree"],
        "contra": e["contra"],
        "not_alone": n["alone"],
        "not_agree": n["agree"],
        "not_contra": n["contra"],
        "asked": asked,
        "asked_share": round(asked / max(1, len(scored)), 4),
        "worst_wrong": max(e["worst_wrong"], n["worst_wrong"]),
        "wrong": dict(Counter(e["wrong"]) + Counter(n["wrong"])),
    }


def tradeoff(scored: list[Scored], aims=(0.0, 0.02, 0.04, 0.05, 0.08, 0.1, 0.15)) -> list[dict[str, Any]]:
    """The trade-off: for each aim on wrong verdicts per level, the fewest questions."""
    e_points, n_points = side_points(scored, True), side_points(scored, False)
    out = []
    for aim in aims:
        e, n = _best(e_points, aim), _best(n_points, aim)
        asked = len(scored) - e["said"] - n["said"]
        out.append(
            {
                "aim": aim,
                "asked_share": round(asked / max(1, len(scored)), 4),
                "worst_wrong": max(e["worst_wrong"], n["worst_wrong"]),
            }
        )
    return out


def scored_rows(oof: list[dict[str, Any]], lexicon) -> list[Scored]:
    from domain.effects import rule_clues

    out = []
    for r in oof:
        if r.get("probs"):
            rule = rule_clues(r["text"], lexicon)[0]
            out.append(
                (r["language"], r["label"], None if rule is None else rule == "effect", r["probs"]["effect"])
            )
    return out


def _calibrate(args: argparse.Namespace) -> int:
    from domain.effects import Confidence
    from knowledge.loader import load_knowledge
    from nlu import realset, trainer

    from bot.commands.coaching import _coach, evaluate_real, format_real

    cache = trainer.cache_dir() / "calibration-levels.jsonl"
    if args.reuse and cache.exists():
        oof = [json.loads(x) for x in cache.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        oof = out_of_fold(realset.load(split="train"), args.folds)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in oof), encoding="utf-8")
    kb = load_knowledge()
    lex, _ = _coach(kb)
    scored = scored_rows(oof, lex)
    print("aim (wrong verdicts per level) -> questions (out of fold, train split):")
    for p in tradeoff(scored):
        print(
            f"  aim {100 * p['aim']:4.1f} %: asked {100 * p['asked_share']:5.1f} %  (worst level {100 * p['worst_wrong']:.1f} %)"
        )
    best = choose(scored, args.aim)
    print(json.dumps(best, indent=2))
    conf = Confidence(
        **{k: best[k] for k in ("alone", "agree", "contra", "not_alone", "not_agree", "not_contra")}
    )

    class _OOF:  # the out-of-fold probabilities as an NLU, for the per-variant table
        probs = {(r["text"], r["language"]): r["probs"] for r in oof}

        def parse(self, text, *, hint=None):
            from domain.nlu import Intent, Understanding

            return Understanding(
                text=text,
                language=hint,
                intent=Intent(name="describe_effect", confidence=1.0),
                levels=self.probs[(text, hint)],
            )

    print(format_real(evaluate_real(oof, kb, _OOF(), confidence=conf), "train (out of fold)"))
    print(
        "knowledge/coaching.yml:\nconfidence:\n"
        + "".join(
            f"  {k}: {min(best[k], 1.0)}\n"
            for k in ("alone", "agree", "contra", "not_alone", "not_agree", "not_contra")
        )
    )
    return 0


def register(sub) -> None:
    c = sub.add_parser(
        "calibrate",
        help="the coach's confidence thresholds, by grouped cross-validation on the real train split",
    )
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--aim", type=float, default=AIM, help="wrong verdicts allowed per level")
    c.add_argument("--reuse", action="store_true", help="reuse the last out-of-fold probabilities")
    c.set_defaults(func=_calibrate)
