from __future__ import annotations

import pytest

from bot.commands._demo_data import ait_zineb, belfaa, berkane
from knowledge.loader import load_communes


@pytest.fixture(scope="session")
def communes():
    return {c.id: c for c in load_communes()}


@pytest.fixture
def project_fr():
    """A French-language project (Berkane) with every level, measurements and risks."""
    p = berkane()
    p.id = 11
    return p


@pytest.fixture
def project_ar():
    """An Arabic-language project (Aït Zineb)."""
    p = ait_zineb()
    p.id = 12
    return p


@pytest.fixture
def project_belfaa():
    p = belfaa()
    p.id = 13
    return p
