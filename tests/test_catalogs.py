"""Every user-facing sentence exists in the four variants with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.i18n import (
    Catalog,
    CatalogError,
    check_entries,
    default_catalog,
    load_entries,
)
from domain.languages import LANG_TAGS
from domain.messages import msg
from domain.text import FSI, PDI, RLM

ROOT = Path(__file__).resolve().parent.parent


def test_all_variants_have_the_same_keys_and_placeholders():
    entries = load_entries()
    assert len(entries) > 50
    assert check_entries(entries) == []


def test_a_missing_variant_or_placeholder_is_caught(tmp_path):
    (tmp_path / "x.yml").write_text(
        "a:\n  b: {fr: 'Bonjour {name}', ar: 'مرحبا', ary: 'مرحبا {name}', ary-Latn: ''}\n", encoding="utf-8"
    )
    problems = check_entries(load_entries(tmp_path))
    assert any("missing ary-Latn" in p for p in problems)
    assert any("placeholders differ" in p for p in problems)
    with pytest.raises(CatalogError):
        Catalog(load_entries(tmp_path))


def _keys_used_in_code() -> set[str]:
    keys: set[str] = set()
    for path in list((ROOT / "bot").rglob("*.py")) + list((ROOT / "domain").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if (
                    name in ("msg", "say", "of")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    keys.add(node.args[0].value)
    return keys


def test_every_key_used_in_code_exists():
    cat = default_catalog()
    used = _keys_used_in_code()
    assert used, "the scan found no catalog key: the scanner is broken"
    missing = sorted(k for k in used if k not in cat and re.fullmatch(r"[a-z_]+(\.[A-Za-z_-]+)+", k))
    assert not missing, missing


def test_rtl_lines_and_isolates():
    cat = default_catalog()
    out = cat.text("common.too_long", "ar", n=10000, max=500)
    assert f"{FSI}10000{PDI}" in out and f"{FSI}500{PDI}" in out
    fr = cat.text("common.too_long", "fr", n=10000, max=500)
    assert FSI not in fr  # digits need no isolation in a left-to-right sentence
    # an Arabic commune name inside a French sentence is isolated
    fr2 = cat.text("onboarding.welcome_commune", "fr", role=msg("role.official"), commune="بركان")
    assert f"{FSI}بركان{PDI}" in fr2
    # an Arabic line that would start with a Latin word gets a right-to-left mark
    line = cat.text("common.raw", "ar", text="Athar مرحبا")
    assert line.startswith(RLM)


def test_each_variant_is_really_in_its_script():
    entries = load_entries()
    arabic = re.compile(r"[\u0600-\u06ff]")
    for key, v in entries.items():
        if key.startswith(("langname.", "common.raw", "summary.line", "summary.empty")):
            continue
        assert not arabic.search(v["ary-Latn"]), f"{key}: ary-Latn must be in Latin script"
        assert not arabic.search(v["fr"]) or key.startswith("langname."), f"{key}: fr has Arabic"
        for tag in ("ar", "ary"):
            assert arabic.search(v[tag]), f"{key}: {tag} must be in Arabic script"


def test_lang_tags_are_the_contract():
    assert LANG_TAGS == ("fr", "ar", "ary", "ary-Latn")
