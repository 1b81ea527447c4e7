"""The statement-level model (nlu/levels.py): learns from the real TRAIN split and our phrasings
only, is deterministic, answers any text, and is what the NLU service gives the coach."""

from __future__ import annotations

import pytest

from nlu import levels, realset
from nlu.service import ResilientNLU

SMALL = [
    ("organiser des ateliers de formation pour les jeunes", "fr", "activity", 1.0),
    ("nous allons sensibiliser les femmes du quartier", "fr", "activity", 1.0),
    ("120 jeunes ont été formés", "fr", "output", 1.0),
    ("30 kits distribués aux familles", "fr", "output", 1.0),
    ("les jeunes trouvent un emploi stable", "fr", "effect", 1.0),
    ("les femmes ont davantage confiance en elles", "fr", "effect", 1.0),
] * 2


def test_the_test_split_is_never_learnt_from():
    test_rows = realset.load(split="test")
    with pytest.raises(ValueError):
        levels.real_examples(test_rows[:1])
    assert len(levels.real_examples(realset.load(split="train"))) == len(realset.load(split="train"))


def test_training_is_deterministic_and_learns():
    a = levels.train(SMALL, iterations=150)
    b = levels.train(SMALL, iterations=150)
    text = "les jeunes trouvent un emploi"
    assert a.probabilities(text, "fr") == b.probabilities(text, "fr")
    assert max(a.probabilities(text, "fr"), key=a.probabilities(text, "fr").get) == "effect"
    p = a.probabilities("organiser des ateliers", "fr")
    assert max(p, key=p.get) == "activity"


@pytest.mark.parametrize("text", ["", "🙂🙂", "x" * 10_000, "ça marche 3la had lprojet", "12", "؟؟"])
def test_any_text_gets_three_probabilities(text):
    p = levels.train(SMALL, iterations=20).probabilities(text, None)
    assert set(p) == set(levels.LEVELS) and sum(p.values()) == pytest.approx(1.0)


def test_save_and_load_give_the_same_model(tmp_path):
    m = levels.train(SMALL, iterations=50)
    m.save(tmp_path / "m.npz")
    back = levels.LevelModel.load(tmp_path / "m.npz")
    assert back.probabilities("120 jeunes formés", "fr") == pytest.approx(
        m.probabilities("120 jeunes formés", "fr"), abs=1e-5
    )


def test_the_built_model_reads_real_looking_statements():
    """The cached model (built by `athar nlu train`), on statements of our own (not the dev set)."""
    m = levels.model()
    for text, lang, want in [
        ("Organisation de 12 ateliers de sensibilisation au profit des femmes", "fr", "activity"),
        ("les jeunes formés ont trouvé un emploi grâce au projet", "fr", "effect"),
        ("تحسن دخل النساء المنخرطات في التعاونية", "ar", "effect"),
        ("غادي نديرو دورات تكوينية للشباب", "ary", "activity"),
    ]:
        p = m.probabilities(text, lang)
        assert max(p, key=p.get) == want, (text, p)


class _Down:
    def parse(self, text):
        from nlu.client import RasaError

        raise RasaError("down")

    def close(self):
        pass


def test_the_service_gives_levels_with_or_without_rasa():
    model = levels.train(SMALL, iterations=50)
    nlu = ResilientNLU(_Down(), level_model=lambda: model)
    u = nlu.parse("les jeunes trouvent un emploi", hint="fr")
    assert (
        u.engine == "fallback"
        and u.levels is not None
        and sum(u.levels.values()) == pytest.approx(1.0, abs=1e-3)
    )
    assert nlu.parse("🙂").levels is None  # nothing to read: no statement
    # a broken model never breaks parsing: the coach then reads the intent ranking
    broken = ResilientNLU(None, level_model=lambda: (_ for _ in ()).throw(OSError("no model")))
    u = broken.parse("les jeunes trouvent un emploi")
    assert u.levels is None and u.intent.name


def test_the_cached_model_follows_its_inputs():
    """Editing the dev set, the phrasings, the normaliser or the model's code trains a new model."""
    names = {p.name for p in levels.model_inputs()}
    assert {
        "statements.jsonl",
        "renderings.jsonl",
        "sources.jsonl",
        "levels.py",
        "normalize.py",
        "statements.py",
        "phrases.py",
        "generate.py",
    } <= names
    assert levels.model_path().name == f"levels-{levels.inputs_hash()}.npz"
