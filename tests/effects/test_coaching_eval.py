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
        ranking = sorted(
            [
                Intent(name="describe_activity", confidence=a),
                Intent(name="describe_output", confidence=o),
                Intent(name="describe_effect", confidence=e),
            ],
            key=lambda i: -i.confidence,
        )
        return Understanding(text=text, language=hint, intent=ranking[0], ranking=ranking)


ROWS = [
    ("Organiser 10 ateliers de recherche d'emploi", "activity", (0.9, 0.05, 0.05)),  # sure, right
    ("120 jeunes formés", "output", (0.0, 0.02, 0.98)),  # NLU over rules: wrong
    ("les jeunes trouvent un emploi", "effect", (0.01, 0.01, 0.98)),  # sure, right
    ("la maison des jeunes", "effect", (0.3, 0.2, 0.5)),  # asked, button
    ("le réseau des associations", "activity", (0.3, 0.2, 0.5)),  # asked, typed
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
    rows = [
        {"text": "la salle", "language": "fr", "label": "output"},
        {"text": "le réseau", "language": "fr", "label": "output"},
    ]
    figs = evaluate_real(rows, kb, nlu, {("fr", "output"): ["bof"]}, CONF)
    assert figs["fr"].to_dict()["placed_after_one_answer"] == 0.5  # the button yes, "bof" no


def test_calibration_gives_each_side_its_own_bars_within_the_aim():
    from bot.commands.calibrate import choose
    from domain.effects import Confidence, effect_verdict

    scored = [
        ("fr", "effect", True, 0.9),
        ("fr", "activity", False, 0.2),
        ("fr", "output", None, 0.62),
        ("fr", "effect", None, 0.7),
        ("ar", "activity", True, 0.8),
        ("ar", "effect", False, 0.97),
        ("ar", "output", None, 0.05),
    ]
    best = choose(scored, aim=0.0)
    conf = Confidence(
        **{k: best[k] for k in ("alone", "agree", "contra", "not_alone", "not_agree", "not_contra")}
    )
    verdicts = [effect_verdict(r, p, conf) for _, _, r, p in scored]
    assert all(v is None or v == (gold == "effect") for (_, gold, _, _), v in zip(scored, verdicts))
    assert best["asked"] == sum(v is None for v in verdicts) and best["worst_wrong"] == 0.0
    # the ar activity at 0.8 with the rules agreeing forces the effect side's `agree` above 0.8:
    # the fr effect at 0.9 (rules agreeing) is still told; the fr output at 0.62 (rules silent)
    # and the effect at 0.7 would be wrong or right at the same bar, so `alone` stays above 0.7.
    # The not-effect side has no contrary example at all: it tells both outputs and the activity.
    assert verdicts == [True, False, None, None, None, True, False]


def test_a_looser_aim_asks_fewer_questions():
    from bot.commands.calibrate import choose, tradeoff

    # an effect the model is sure is an activity: telling the others costs that wrong verdict
    scored = [
        ("fr", "effect", None, 0.01),
        ("fr", "activity", None, 0.02),
        ("fr", "effect", None, 0.9),
        ("fr", "output", None, 0.3),
        ("fr", "effect", None, 0.95),
    ]
    strict = choose(scored, aim=0.0)
    assert strict["worst_wrong"] == 0.0 and strict["asked"] == 3  # only the two effects told
    loose = choose(scored, aim=0.5)
    assert loose["asked"] == 0 and loose["worst_wrong"] == pytest.approx(1 / 3, abs=1e-3)
    front = tradeoff(scored, aims=(0.0, 0.5))
    assert [p["asked_share"] for p in front] == [0.6, 0.0]
