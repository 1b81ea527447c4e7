"""The conversation corpus on the real Rasa: every exchange stores what it should, and typed
answers are understood at the first try often enough in each variant (figures in docs/nlu.md:
`.venv/bin/python -m pytest tests/conversations -q -s` prints them)."""

from __future__ import annotations

import pytest

from tests.conversations.runner import LANGS, load, make_services, play

pytestmark = pytest.mark.rasa

CORPUS = load()
RESULTS: dict[str, object] = {}
FIRST_TRY_BAR = 0.90  # per variant


@pytest.fixture(scope="module")
def services(rasa_nlu):
    return make_services(rasa_nlu)


def _play(exchange, services, tmp_path_factory, template):
    import shutil

    from storage.db import make_engine, make_uow_factory

    path = tmp_path_factory.mktemp("conv") / "athar.db"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        result = play(exchange, services, make_uow_factory(engine))
    finally:
        engine.dispose()
    RESULTS[exchange.id] = result
    return result


@pytest.mark.parametrize("exchange", CORPUS, ids=[e.id for e in CORPUS])
def test_exchange(exchange, services, tmp_path_factory, _sqlite_template):
    result = _play(exchange, services, tmp_path_factory, _sqlite_template)
    assert not result.problems, "\n".join(result.problems + ["", "transcript:"] + result.transcript)


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 150
    for lang in LANGS:
        assert sum(e.lang == lang for e in CORPUS) >= 30, lang


def test_answers_understood_at_the_first_try(services, tmp_path_factory, _sqlite_template):
    """Per variant, over every typed answer of the corpus (exchanges not played yet in this
    session are played here)."""
    rows = []
    for lang in LANGS:
        results = [
            RESULTS.get(e.id) or _play(e, services, tmp_path_factory, _sqlite_template)
            for e in CORPUS
            if e.lang == lang
        ]
        typed = sum(r.typed for r in results)
        first = sum(r.first_try for r in results)
        rows.append((lang, len(results), typed, first))
    print("\nvariant   exchanges  typed answers  understood at the first try")
    for lang, n, typed, first in rows:
        print(f"{lang:<9} {n:>9}  {typed:>13}  {first / typed if typed else 0:>8.1%} ({first})")
    for lang, _n, typed, first in rows:
        assert typed and first / typed >= FIRST_TRY_BAR, (lang, first, typed)
