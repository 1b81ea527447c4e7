"""Settings: config.yml + ATHAR_* environment, validated with errors that name the bad key."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config.yml"
    monkeypatch.setenv("ATHAR_CONFIG", str(path))
    for k in list(__import__("os").environ):
        if k.startswith("ATHAR_") and k != "ATHAR_CONFIG":
            monkeypatch.delenv(k)
    return path


def test_defaults_from_the_repository_config(monkeypatch):
    monkeypatch.delenv("ATHAR_CONFIG", raising=False)
    s = load_settings()
    assert s.database_url.startswith("sqlite:///")
    assert s.nlu.max_chars == 1000
    assert s.sqlalchemy_url.endswith("var/athar.db")


def test_environment_overrides_file(config, monkeypatch):
    config.write_text("nlu:\n  timeout_seconds: 2\n", encoding="utf-8")
    monkeypatch.setenv("ATHAR_NLU__TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("ATHAR_DATABASE_URL", "postgresql://u@h/db")
    s = load_settings()
    assert s.nlu.timeout_seconds == 5
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_a_bad_value_names_the_key(config):
    config.write_text("nlu:\n  timeout_seconds: -1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"nlu\.timeout_seconds"):
        load_settings()


def test_an_unknown_key_is_refused_by_name(config):
    config.write_text("polls:\n  min_grop_size: 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"polls\.min_grop_size"):
        load_settings()


def test_a_secret_in_the_file_is_refused(config):
    config.write_text("telegram_token: '123:abc'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="telegram_token.*environment"):
        load_settings()


def test_secrets_come_from_the_environment_and_stay_hidden(config, monkeypatch):
    config.write_text("{}\n", encoding="utf-8")
    monkeypatch.setenv("ATHAR_TELEGRAM_TOKEN", "123:secret")
    s = load_settings()
    assert s.telegram_token.get_secret_value() == "123:secret"
    assert "123:secret" not in repr(s)


def test_the_cli_reports_a_bad_setting(config, capsys):
    from bot.cli import main
    from bot.settings import get_settings

    config.write_text("default_language: klingon\n", encoding="utf-8")
    get_settings.cache_clear()
    try:
        assert main(["admin", "invite", "--role", "coordinator"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "default_language" in err and "ATHAR_DEFAULT_LANGUAGE" in err
