"""Arabic documents hold no French but what users typed; every code goes through the labels."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.commands._demo_data import MemoryStore, build_demo, materialise, project_data
from exports.doc import Bullets, Para, Table
from exports.logframe import logframe_document
from exports.reports import CommuneData, ReportInput, build_report

from tests.exports.readback import clean

ALLOWED = {"SMART", "SPICED", "p"}  # names of methods and the statistic's symbol


def user_texts(pd) -> list[str]:
    """Everything a user typed into the project (and the beneficiaries into its stories)."""
    p = pd.project
    out = [p.title, p.problem or "", *p.activities]
    out += [x.detail or "" for x in p.publics]
    out += [s.how_affected or "" for s in p.stakeholders]
    for e in p.effects:
        out += [e.statement, e.horizon or ""]
        for i in e.indicators:
            out += [i.label, i.source or "", i.baseline_source or "", i.baseline_plan or ""]
            out += [m.source or "" for m in i.measurements]
    out += [s.text or "" for s in pd.stories] + [s.significance_reason or "" for s in pd.stories]
    return sorted({clean(t) for t in out if t}, key=len, reverse=True)


def texts(doc) -> str:
    parts = [doc.title, doc.subtitle or "", *doc.meta.keys(), *doc.meta.values()]
    for b in doc.blocks:
        if isinstance(b, Para) or hasattr(b, "text"):
            parts.append(b.text)
        if isinstance(b, Bullets):
            parts += b.items
        if isinstance(b, Table):
            parts += [str(h) for h in b.headers] + [str(c) for r in b.rows for c in r if c is not None]
    return clean("\n".join(parts))


def latin_left(text: str, typed: list[str]) -> set[str]:
    for t in typed:
        text = text.replace(t, " ")
    return {w for w in re.findall(r"[A-Za-zÀ-ÿ]+", text) if w not in ALLOWED}


@pytest.mark.parametrize("kind", ["semester", "final"])
def test_an_arabic_report_on_a_french_project_has_no_other_french(kind, tmp_path):
    from knowledge.loader import load_communes

    communes = {c.id: c for c in load_communes()}
    pd = project_data(materialise(build_demo("berkane"), MemoryStore()))
    doc = build_report(
        ReportInput(
            kind=kind, today=date(2026, 11, 29), communes=[CommuneData("berkane", communes["berkane"], [pd])]
        ),
        "ar",
        tmp_path,
    )
    assert latin_left(texts(doc), user_texts(pd)) == set()
    # the same report in French names codes in French, never the raw code
    fr = texts(
        build_report(
            ReportInput(
                kind=kind,
                today=date(2026, 11, 29),
                communes=[CommuneData("berkane", communes["berkane"], [pd])],
            ),
            "fr",
            tmp_path,
        )
    )
    for raw in (
        "baseline_endline",
        "quarterly",
        "semester",
        "percent",
        "follow-up",
        "on_track",
        "(s)",
        "2026-S1",
    ):
        assert raw not in fr, raw


def test_an_arabic_logframe_has_no_other_french():
    pd = project_data(materialise(build_demo("berkane"), MemoryStore()))
    for typed in (False, True):
        doc = logframe_document(pd.project, "ar", typed=typed)
        assert latin_left(texts(doc), user_texts(pd)) == set(), typed
