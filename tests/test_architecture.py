"""The dependency direction of DESIGN §2, and no user-facing sentences outside the catalogs."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "knowledge", "storage", "nlu", "exports", "bot")
STDLIB = set(sys.stdlib_module_names)


def python_files(package: str) -> list[Path]:
    return list((ROOT / package).rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_every_package_exists():
    for pkg in PACKAGES + ("bot/handlers",):
        assert (ROOT / pkg / "__init__.py").is_file(), pkg
    for f in ("config.yml", "pyproject.toml", "README.md"):
        assert (ROOT / f).is_file(), f


def test_domain_imports_only_stdlib_and_pydantic():
    for path in python_files("domain"):
        bad = {
            m
            for m in imports_of(path)
            if m not in STDLIB and m not in ("pydantic", "pydantic_core", "typing_extensions", "domain")
        }
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("package", ["knowledge", "storage", "nlu", "exports"])
def test_adapters_import_only_domain(package):
    forbidden = set(PACKAGES) - {"domain", package}
    for path in python_files(package):
        bad = imports_of(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_handlers_never_import_channels_or_sqlalchemy():
    forbidden = {"telegram", "pywa", "whatsapp", "sqlalchemy", "storage", "httpx", "aiohttp"}
    for path in python_files("bot/handlers"):
        bad = imports_of(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("import sqlalchemy\nfrom storage.db import make_engine\nfrom . import y\n")
    assert imports_of(p) == {"sqlalchemy", "storage"}


# -- no user-facing literals ------------------------------------------------------------------
def sentence_literals(path: Path) -> list[str]:
    """String constants that read like a sentence for a user: Arabic letters, or three or more
    words. Docstrings, log calls and exception messages (developer-facing) are exempt."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                exempt.add(id(body[0].value))
        if isinstance(node, ast.Raise) and node.exc is not None:
            exempt.update(id(n) for n in ast.walk(node.exc))
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in (
                "debug",
                "info",
                "warning",
                "error",
                "exception",
                "critical",
                "KeyError",
                "ValueError",
                "Field",
            ):
                exempt.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in exempt:
            s = node.value
            arabic = any("\u0600" <= c <= "\u06ff" and c.isalpha() for c in s)
            words = [w for w in s.split() if any(c.isalpha() for c in w)]
            if arabic or len(words) >= 3:
                found.append(s)
    return found


@pytest.mark.parametrize("package", ["domain", "bot/handlers"])
def test_no_user_facing_literals(package):
    offenders = {str(p.relative_to(ROOT)): sentence_literals(p) for p in python_files(package)}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, offenders


def test_the_literal_checker_catches_a_sentence(tmp_path):
    p = tmp_path / "h.py"
    p.write_text(
        '"""Doc string is fine here."""\n'
        'def f():\n    return "Quel est le titre du projet ?"\n'
        'def g():\n    return "شنو"\n'
        'def h():\n    raise ValueError("developer facing message is fine")\n'
    )
    assert sentence_literals(p) == ["Quel est le titre du projet ?", "شنو"]
