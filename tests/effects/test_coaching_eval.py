"""`athar coaching eval --real`'s figures, on a handful of statements and a scripted NLU."""
from __future__ import annotations

import pytest

from domain.nlu import Intent, Understanding
from knowledge.loader import load_knowledge

from domain.effects import Confidence

from bot.commands.coaching import evaluate_real, format_real

CONF = Confidence(alone=0.85, agree=0.65, contra=0.9)


class ScriptedNLU:
    """Statement probabilities given per text (activity, output, effect)."""

    def __init__(self, probs):
        self.probs = probs

    def parse(self, text, *, hint=None):
        a, o, e = self.probs[text]
        ranking = sorted([Intent(name="describe_activity", confidence=a), Intent(name="describe_output", confidence=o),
                          Intent(name="describe_effect", confidence=e)], key=lambda i: -i.confidence)
        return Understanding(text=text, language=hint, intent=ranking[0], ranking=ranking)


ROWS = [
    ("Organiser 10 ateliers de recherche d'emploi", "activity", (0.9, 0.05, 0.05)),     # sure, right
    ("120 jeunes formés", "output", (0.0, 0.02, 0.98)),                                  # NLU over rules: wrong
    ("les jeunes trouvent un emploi", "effect", (0.01, 0.01, 0.98)),                     # sure, right
    ("la maison des jeunes", "effect", (0.3, 0.2, 0.5)),                                 # asked, button
    ("le réseau des associations", "activity", (0.3, 0.2, 0.5)),                         # asked, typed
]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_figures_per_level_question_and_placement(kb):
    nlu = ScriptedNLU({t: p for t, _, p in ROWS})
    rows = [{"text": t, "language": "fr", "label": lv} for t, lv, _ in ROWS]
    answers = {("fr", "activity"): ["c'est nous qui le faisons"], ("fr", "effect"): ["ça change leur vie"]}
    figs = evaluate_real(rows, kb, nlu, answers, CONF)
    d = figs["fr"].to_dict()
    assert d["n"] == {"activity": 2, "output": 1, "effect": 2}
    assert d["wrong_verdicts"] == {"activity": 0.0, "output": 1.0, "effect": 0.0}
    assert d["asked"] == 0.4 and d["placed_after_one_answer"] == 1.0
    assert figs["fr"].misses[0]["text"] == "120 jeunes formés"
    assert "nlu_over_rules" in figs["fr"].misses[0]["clues"]
    table = format_real(figs, "test")
    assert "fr" in table and "100.0 %" in table and "40.0 %" in table


def test_a_typed_answer_that_points_nowhere_is_not_placed(kb):
    nlu = ScriptedNLU({"la salle": (0.3, 0.2, 0.5), "le réseau": (0.3, 0.2, 0.5)})
    rows = [{"text": "la salle", "language": "fr", "label": "output"},
            {"text": "le réseau", "language": "fr", "label": "output"}]
    figs = evaluate_real(rows, kb, nlu, {("fr", "output"): ["bof"]}, CONF)
    assert figs["fr"].to_dict()["placed_after_one_answer"] == 0.5  # the button yes, "bof" no


def test_calibration_asks_least_within_the_aim():
    from bot.commands.calibrate import choose
    from domain.effects import Confidence, effect_verdict

    scored = [("fr", "effect", True, 0.9), ("fr", "activity", False, 0.2), ("fr", "output", None, 0.62),
              ("fr", "effect", None, 0.7), ("ar", "activity", True, 0.8), ("ar", "effect", False, 0.97)]
    best = choose(scored, aim=0.0)
    assert best["aim_met"]
    conf = Confidence(alone=best["alone"], agree=best["agree"], contra=best["contra"])
    verdicts = [effect_verdict(r, p, conf) for _, _, r, p in scored]
    assert all(v is None or v == (gold == "effect") for (_, gold, _, _), v in zip(scored, verdicts))
    # the ar activity (NLU and rules both wrong at 0.8) forces agree > 0.8, so alone > 0.8 too:
    # the activity at 0.2, the two rule-less rows and that activity are asked
    assert best["asked"] == sum(v is None for v in verdicts) == 4


def test_when_the_aim_cannot_be_met_the_fewest_wrong_verdicts_within_the_question_bound():
    from bot.commands.calibrate import choose, pareto

    # an effect the NLU is sure is an activity: only asking everything avoids that mistake
    scored = [("fr", "effect", None, 0.01), ("fr", "activity", None, 0.02), ("fr", "effect", None, 0.9),
              ("fr", "output", None, 0.3)]
    best = choose(scored, aim=0.0, max_asked=0.5)
    assert not best["aim_met"] and best["asked_share"] <= 0.5 and best["worst_wrong"] == 0.5
    # the same effect at 0.05 can be asked about (alone > 0.95): then the aim is met
    scored[0] = ("fr", "effect", None, 0.05)
    assert choose(scored, aim=0.0)["aim_met"]
    front = pareto(scored)
    assert front[0]["asked"] == 0 and front[-1]["worst_wrong"] == 0.0
    assert [p["worst_wrong"] for p in front] == sorted((p["worst_wrong"] for p in front), reverse=True)
