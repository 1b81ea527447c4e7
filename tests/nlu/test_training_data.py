"""The training data: coverage per intent and variant, a clean held-out split, in sync with the generator."""

from collections import Counter

from domain.nlu import DIALOGUE_INTENTS, DOMAINS, PUBLICS, STATEMENT_INTENTS
from nlu import trainingdata
from nlu.lexicon import DOMAIN_FORMS, PUBLIC_FORMS
from nlu.normalize import normalize
from nlu.trainer import data_hash
from nlu.training import generate

LANGS = ("fr", "ar", "ary", "ary-Latn")


def test_every_intent_has_enough_examples_in_every_variant():
    exs = trainingdata.load()
    per = Counter((e.intent, e.language) for e in exs)
    total = Counter(e.intent for e in exs)
    for intent in DIALOGUE_INTENTS:
        assert total[intent] >= 40, intent
        assert all(per[(intent, lang)] >= 10 for lang in LANGS), (intent, per)
    for intent in STATEMENT_INTENTS:
        assert total[intent] >= 150, intent
        assert all(per[(intent, lang)] >= 150 for lang in LANGS), (intent, per)
    assert all(per[("out_of_scope", lang)] >= 20 for lang in LANGS)


def test_entities_are_annotated_for_every_public_and_domain():
    exs = trainingdata.load()
    annotated = " ".join(e.annotated for e in exs)
    for v in PUBLICS:
        assert f'"value": "{v}"' in annotated, v
    for v in DOMAINS:
        assert f'"value": "{v}"' in annotated, v
    assert set(PUBLIC_FORMS) == set(PUBLICS) and set(DOMAIN_FORMS) == set(DOMAINS)


def test_heldout_never_trained_on(heldout):
    train = {normalize(e.text) for e in trainingdata.load()}
    assert heldout
    assert not [r["text"] for r in heldout if normalize(r["text"]) in train]
    langs = Counter(r["language"] for r in heldout)
    assert all(langs[lang] >= 100 for lang in LANGS), langs


def test_committed_files_match_the_generator(tmp_path, monkeypatch):
    """The Rasa files and the held-out split are what nlu/training/generate.py writes (our phrasings
    and the real dev set's train split)."""
    monkeypatch.setattr(generate, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(generate, "HELDOUT", tmp_path / "heldout.jsonl")
    from nlu import realset

    generate.write(generate.build(), generate.real_examples(realset.load(split="train")))
    for p in sorted((tmp_path / "data").glob("*.yml")):
        assert p.read_text(encoding="utf-8") == (trainingdata.DATA_DIR / p.name).read_text(
            encoding="utf-8"
        ), p.name
    assert (tmp_path / "heldout.jsonl").read_text(encoding="utf-8") == generate.HELDOUT.__class__(
        trainingdata.DATA_DIR.parent.parent / "eval" / "heldout.jsonl"
    ).read_text(encoding="utf-8")


def test_model_hash_follows_the_data(tmp_path, monkeypatch):
    from nlu import trainer

    before = data_hash()
    assert data_hash() == before
    data = tmp_path / "data"
    data.mkdir()
    for p in trainer.DATA_DIR.glob("*.yml"):
        (data / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(trainer, "DATA_DIR", data)
    assert data_hash() == before
    with (data / "nlu_fr.yml").open("a", encoding="utf-8") as fh:
        fh.write("      - une phrase de plus\n")
    assert data_hash() != before
