"""requirements.lock (what `make` installs) pins every dependency of pyproject.toml, the tests'
included, at a version pyproject.toml allows: a dependency added or re-bounded without `make lock`
fails here rather than on a fresh machine."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return out


def missing_or_outside(pyproject: dict, lock: dict[str, str]) -> list[str]:
    project = pyproject["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    bad = []
    for spec in wanted:
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = lock.get(canonicalize_name(req.name))
        if version is None:
            bad.append(f"{req.name}: not in requirements.lock")
        elif not req.specifier.contains(version, prereleases=True):
            bad.append(f"{req.name}=={version}: outside {req.specifier}")
    return bad


def test_the_lock_pins_every_dependency_within_its_bounds():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lock = pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert not missing_or_outside(pyproject, lock), "run `make lock`"


def test_the_check_sees_a_missing_pin_and_a_pin_out_of_bounds():
    pyproject = {
        "project": {
            "dependencies": ["weasyprint>=70,<71", "segno>=1.6"],
            "optional-dependencies": {"test": ["pytest>=8"]},
        }
    }
    lock = pins("weasyprint==80.0\n    # via athar\nsegno==1.6.6\n")
    assert missing_or_outside(pyproject, lock) == [
        "weasyprint==80.0: outside <71,>=70",
        "pytest: not in requirements.lock",
    ]
