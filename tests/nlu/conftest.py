"""NLU test fixtures (the real Rasa server, `rasa_server` / `rasa_nlu`, is in tests/conftest.py:
one server per session, shared with the conversation corpus)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def heldout():
    from nlu.evaluate import load
    from nlu.training.generate import HELDOUT

    return load(HELDOUT)
