"""NLU test fixtures.

`rasa_server`: the real Rasa server with the trained model (cached by data hash, trained here if
missing), started ONCE per test session on a free loopback port. Tests that use it are marked
`rasa`. When Rasa's environment (.venv-rasa, Python 3.10) is missing they FAIL with the reason:
`make test` builds it, so a missing env is a broken setup, not something to skip silently.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    from nlu import trainer

    if not trainer.rasa_bin().exists():
        pytest.fail(f"{trainer.rasa_bin()} is missing: run `make test` (it builds Rasa's Python 3.10 "
                    "environment), or see `nlu/find-python310.sh` for how to get Python 3.10")
    return trainer.train(log=lambda m: None)


@pytest.fixture(scope="session")
def rasa_server(rasa_model):
    from nlu.server import LocalRasa, free_port

    logdir = Path(tempfile.mkdtemp(prefix="athar-rasa-test-"))
    server = LocalRasa(free_port(), rasa_model, logdir / "rasa.log")
    server.start()
    try:
        server.wait_ready(timeout=300, log=lambda m: None)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rasa_nlu(rasa_server):
    from nlu.service import make_nlu

    nlu = make_nlu(rasa_server.url, timeout=10.0)
    yield nlu
    nlu.close()


@pytest.fixture(scope="session")
def heldout():
    from nlu.evaluate import load
    from nlu.training.generate import HELDOUT

    return load(HELDOUT)
