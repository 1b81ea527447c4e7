"""`athar knowledge check|suggest` (the content editor's tools)."""

from __future__ import annotations

from bot.cli import main


def test_check_passes_on_the_real_catalogs(capsys):
    assert main(["knowledge", "check"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("OK") and "indicators: " in out


def test_check_reports_file_and_field_of_a_broken_copy(kb_copy, capsys):
    def drop(d):
        del d["lessons"][0]["title"]["ary"]

    base = kb_copy("lessons.yml", drop)
    assert main(["knowledge", "check", "--dir", str(base)]) == 1
    err = capsys.readouterr().err
    assert "lessons.yml" in err and "title.ary" in err


def test_suggest_prints_library_indicators(capsys):
    assert main(["knowledge", "suggest", "--domain", "employment_income", "--public", "youth"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and "trainees_in_work_6_months" in out[0]
