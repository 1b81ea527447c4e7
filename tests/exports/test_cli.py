"""`athar export …` end to end on a real database (the CLI builds the app from settings)."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.commands._demo_data import berkane

from tests.exports.readback import docx_text


@pytest.fixture
def db(sqlite_db_url, sqlite_uow_factory, monkeypatch):
    monkeypatch.setenv("ATHAR_DATABASE_URL", sqlite_db_url)
    from bot.settings import get_settings
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    yield sqlite_uow_factory
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()


def test_logframe_json_and_docx(db, tmp_path, capsys):
    with db() as uow:
        pid = uow.projects.add(berkane()).id
        uow.commit()
    out = tmp_path / "lf.json"
    assert main(["export", "logframe", "--project", str(pid), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["project"]["title"] == "Passerelle emploi jeunes"
    assert data["effects"][0]["indicators"][0]["latest"]["value"] == 31
    out2 = tmp_path / "lf.docx"
    assert main(["export", "logframe", "--project", str(pid), "--format", "docx", "--lang", "ar",
                 "-o", str(out2)]) == 0
    assert "الإطار المنطقي" in docx_text(out2)
    assert str(out2) in capsys.readouterr().out


def test_unknown_project_is_an_error(db, tmp_path, capsys):
    assert main(["export", "logframe", "--project", "999", "-o", str(tmp_path / "x.json")]) == 2
    assert "999" in capsys.readouterr().err
