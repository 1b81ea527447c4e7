"""The logframe (cadre logique) of a project: a plain dict (JSON) and a document for every format.

`logframe_dict(project)` is the language-neutral content (the JSON export, and what the other
formats are built from). `logframe_document(project, lang, commune)` lays it out as the classic
Belgian-cooperation logframe (DOMAIN §5.5): intervention logic (overall objective, effects,
outputs, activities) × indicators with baseline, target and latest value × sources of verification
× assumptions and risks; then the target publics, the impacted parties and the unexpected effects.

The records hold no assumptions yet: a project attribute `assumptions` (list of str) is used when
present; risks are read from the parties who could lose out and the negative expected effects.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.commune import Commune
from domain.records import Effect, Indicator, Measurement, Project

from exports.doc import Document, Heading, Para, Table
from exports.labels import Labels

LEVELS = ("impact", "outcome", "output")


def _iso(d: date | datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def latest_measurement(indicator: Indicator) -> Measurement | None:
    """The most recently recorded measurement that is not the baseline (ties: the last one in
    the list)."""
    ms = [(m.recorded_at, k, m) for k, m in enumerate(indicator.measurements) if not m.baseline]
    return max(ms, key=lambda x: x[:2])[2] if ms else None


def indicator_dict(ind: Indicator) -> dict[str, Any]:
    last = latest_measurement(ind)
    return {
        "id": ind.id,
        "label": ind.label,
        "definition": ind.definition,
        "unit": ind.unit,
        "calculation": ind.calculation,
        "baseline": {
            "value": ind.baseline_value,
            "date": _iso(ind.baseline_date),
            "source": ind.baseline_source,
            "plan": ind.baseline_plan,
        },
        "target": {"value": ind.target_value, "date": _iso(ind.target_date)},
        "latest": None
        if last is None
        else {
            "value": last.value,
            "period": last.period,
            "source": last.source,
            "recorded_at": _iso(last.recorded_at),
        },
        "source": ind.source,
        "frequency": ind.frequency,
        "collector": ind.collector,
        "disaggregation": list(ind.disaggregation),
        "library_id": ind.library_id,
        "measurements": [
            {
                "period": m.period,
                "value": m.value,
                "source": m.source,
                "disaggregated": dict(m.disaggregated),
                "recorded_at": _iso(m.recorded_at),
            }
            for m in ind.measurements
        ],
    }


def effect_dict(e: Effect) -> dict[str, Any]:
    return {
        "id": e.id,
        "statement": e.statement,
        "level": e.level,
        "expected": e.expected,
        "polarity": e.polarity,
        "domain": e.domain,
        "public": e.public,
        "party": e.party,
        "horizon": e.horizon,
        "baseline_text": e.baseline_text,
        "indicators": [indicator_dict(i) for i in e.indicators],
    }


def logframe_dict(project: Project) -> dict[str, Any]:
    """The logframe of a project as plain JSON-ready data (no language, no layout)."""
    expected = [e for e in project.effects if e.expected]
    by_level = {lvl: [effect_dict(e) for e in expected if e.level == lvl] for lvl in LEVELS}
    risks: list[dict[str, Any]] = []
    for s in project.stakeholders:
        if s.kind == "could_lose" or s.polarity == "negative":
            risks.append({"kind": "party", "party": s.group, "how": s.how_affected})
    for e in expected:
        if e.polarity == "negative":
            risks.append({"kind": "effect", "statement": e.statement})
    assumptions = [str(a) for a in (getattr(project, "assumptions", None) or [])]
    return {
        "format": "athar.logframe",
        "version": 1,
        "project": {
            "id": project.id,
            "commune_id": project.commune_id,
            "title": project.title,
            "problem": project.problem,
            "phase": project.phase,
            "period_start": _iso(project.period_start),
            "period_end": _iso(project.period_end),
            "period_text": project.period_text,
        },
        "overall_objective": by_level["impact"],
        "effects": by_level["outcome"],
        "outputs": by_level["output"],
        "activities": list(project.activities),
        "assumptions": assumptions,
        "risks": risks,
        "target_publics": [
            {"category": p.category, "detail": p.detail, "expected_number": p.expected_number}
            for p in project.publics
        ],
        "impacted_parties": [
            {"group": s.group, "kind": s.kind, "how_affected": s.how_affected, "polarity": s.polarity}
            for s in project.stakeholders
        ],
        "unexpected_effects": [effect_dict(e) for e in project.effects if not e.expected],
    }


# -- layout -------------------------------------------------------------------------------------
def _d(iso: str | None) -> date | None:
    return date.fromisoformat(iso[:10]) if iso else None


def period_text(lf: dict[str, Any], L: Labels) -> str:
    p = lf["project"]
    if p.get("period_start") or p.get("period_end"):
        return f"{L.date(_d(p.get('period_start')))} – {L.date(_d(p.get('period_end')))}"
    return p.get("period_text") or ""


def indicator_cells(ind: dict[str, Any], L: Labels) -> list[str]:
    unit = ind.get("unit")
    label = ind["label"]
    b = ind["baseline"]
    if b["value"] is not None:
        baseline = L.number(b["value"], unit)
        if b["date"]:
            baseline = L.t("logframe.on_date", value=baseline, date=L.date(_d(b["date"])))
    elif b.get("plan"):
        baseline = L.t("logframe.baseline_plan", plan=b["plan"])
    else:
        baseline = L.t("doc.to_complete")
    t = ind["target"]
    target = L.number(t["value"], unit) if t["value"] is not None else L.t("doc.to_complete")
    if t["value"] is not None and t["date"]:
        target = L.t("logframe.on_date", value=target, date=L.date(_d(t["date"])))
    last = ind.get("latest")
    latest = (
        ""
        if last is None
        else L.t("logframe.on_date", value=L.number(last["value"], unit), date=L.period(last["period"]))
    )
    sources = "; ".join(
        x
        for x in (
            ind.get("source"),
            b.get("source") if b.get("source") != ind.get("source") else None,
            L.opt("frequency", ind.get("frequency")),
        )
        if x
    )
    return [label, baseline, target, latest, sources]


def assumption_lines(lf: dict[str, Any], L: Labels) -> list[str]:
    lines = list(lf["assumptions"])
    for r in lf["risks"]:
        if r["kind"] == "party":
            lines.append(
                L.t("logframe.risk_party", party=L.opt("party", r["party"]), how=r.get("how") or "…")
            )
        else:
            lines.append(L.t("logframe.risk_effect", statement=r["statement"]))
    return lines


def concerns(e: dict[str, Any], L: Labels) -> str:
    if e.get("party"):
        return L.opt("party", e["party"])
    return L.opt("public", e.get("public"))


def typed_cells(ind: dict[str, Any], L: Labels) -> list[Any]:
    """The indicator's values as a spreadsheet holds them: numbers and dates in their own
    columns (unit, baseline, its date, target, its date, latest value, its period)."""
    b, t, last = ind["baseline"], ind["target"], ind.get("latest")
    unit = ind.get("unit")
    return [
        ind["label"],
        L.opt("unit_name", unit),
        b["value"],
        _d(b["date"]),
        t["value"],
        _d(t["date"]),
        last["value"] if last else None,
        L.period(last["period"]) if last else None,
    ]


TYPED_COLUMNS = (
    "logic",
    "indicator",
    "unit",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "latest",
    "latest_period",
    "sources",
    "assumptions",
)


def logframe_table(lf: dict[str, Any], L: Labels, typed: bool = False) -> Table:
    """The logframe matrix. `typed`: numbers and dates as values in columns of their own (a
    spreadsheet), instead of formatted text (a document)."""
    if typed:
        return _typed_table(lf, L)
    headers = [
        L.t(f"logframe.col_{c}")
        for c in ("logic", "indicator", "baseline", "target", "latest", "sources", "assumptions")
    ]
    rows: list[list[str]] = []
    bands: set[int] = set()
    assumptions = "\n".join(assumption_lines(lf, L)) or L.t("doc.to_complete")
    placed = False
    for key, title in (
        ("overall_objective", "level_impact"),
        ("effects", "level_outcome"),
        ("outputs", "level_output"),
    ):
        bands.add(len(rows))
        rows.append([L.t(f"logframe.{title}")] + [""] * 6)
        items = lf[key]
        if not items:
            rows.append([L.t("doc.to_complete")] + [""] * 6)
        for e in items:
            first = True
            for ind in e["indicators"] or [None]:
                cells = indicator_cells(ind, L) if ind else [L.t("logframe.no_indicator"), "", "", "", ""]
                extra = ""
                if key == "effects" and not placed:
                    extra, placed = assumptions, True
                rows.append([e["statement"] if first else ""] + cells + [extra])
                first = False
    bands.add(len(rows))
    rows.append([L.t("logframe.level_activities")] + [""] * 6)
    for a in lf["activities"] or [L.t("doc.to_complete")]:
        rows.append([a] + [""] * 6)
    if not placed:  # no effect rows: the assumptions go on the first band
        rows[0][6] = assumptions
    return Table(
        headers=headers,
        rows=rows,
        widths=[3.2, 3.0, 1.6, 1.6, 1.5, 2.2, 2.6],
        sheet=L.t("logframe.sheet"),
        group_rows=bands,
    )


def _typed_table(lf: dict[str, Any], L: Labels) -> Table:
    n = len(TYPED_COLUMNS)
    rows: list[list[Any]] = []
    bands: set[int] = set()
    assumptions = "\n".join(assumption_lines(lf, L)) or L.t("doc.to_complete")
    for key, title in (
        ("overall_objective", "level_impact"),
        ("effects", "level_outcome"),
        ("outputs", "level_output"),
    ):
        bands.add(len(rows))
        rows.append([L.t(f"logframe.{title}")] + [None] * (n - 1))
        if not lf[key]:
            rows.append([L.t("doc.to_complete")] + [None] * (n - 1))
        for e in lf[key]:
            for k, ind in enumerate(e["indicators"] or [None]):
                cells = typed_cells(ind, L) if ind else [L.t("logframe.no_indicator")] + [None] * 7
                sources = indicator_cells(ind, L)[4] if ind else None
                rows.append(
                    [e["statement"] if k == 0 else None]
                    + cells
                    + [
                        sources,
                        assumptions
                        if key == "effects" and not any(r[-1] == assumptions for r in rows)
                        else None,
                    ]
                )
    bands.add(len(rows))
    rows.append([L.t("logframe.level_activities")] + [None] * (n - 1))
    rows += [[a] + [None] * (n - 1) for a in lf["activities"] or [L.t("doc.to_complete")]]
    return Table(
        headers=[L.t(f"logframe.col_{c}") for c in TYPED_COLUMNS],
        rows=rows,
        widths=[3.2, 3.0, 1.2, 1.1, 1.2, 1.1, 1.2, 1.1, 1.5, 2.2, 2.6],
        sheet=L.t("logframe.sheet"),
        group_rows=bands,
        numeric={3, 5, 7},
        dates={4, 6},
    )


def logframe_document(
    project: Project,
    lang: str,
    commune: Commune | None = None,
    lf: dict[str, Any] | None = None,
    typed: bool = False,
) -> Document:
    """The logframe as a document; `typed` for a spreadsheet (numbers and dates as values)."""
    L = Labels(lang)
    lf = lf or logframe_dict(project)
    doc = Document(title=f"{L.t('logframe.title')} — {project.title}", lang=L.lang, landscape=True)
    if commune is not None:  # its name in the document's language (never the bare id)
        doc.meta[L.t("doc.commune")] = commune.name(L.lang)
    if period_text(lf, L):
        doc.meta[L.t("doc.period")] = period_text(lf, L)
    if project.problem:
        doc.meta[L.t("doc.problem")] = project.problem
    doc.subtitle = L.t("doc.programme")
    doc.add(logframe_table(lf, L, typed), Para(L.t("logframe.reading"), style="note"))
    doc.add(Heading(L.t("logframe.publics"), 2))
    if lf["target_publics"]:
        doc.add(
            Table(
                headers=[
                    L.t("logframe.col_public"),
                    L.t("logframe.col_detail"),
                    L.t("logframe.col_expected_number"),
                ],
                rows=[
                    [
                        L.opt("public", p["category"]),
                        p.get("detail") or "",
                        p.get("expected_number") if typed else L.number(p.get("expected_number")),
                    ]
                    for p in lf["target_publics"]
                ],
                widths=[2, 4, 1.2],
                numeric={2},
                sheet=L.t("logframe.publics"),
            )
        )
    else:
        doc.add(Para(L.t("doc.none"), style="note"))
    doc.add(Heading(L.t("logframe.parties"), 2))
    if lf["impacted_parties"]:
        doc.add(
            Table(
                headers=[
                    L.t("logframe.col_party"),
                    L.t("logframe.col_kind"),
                    L.t("logframe.col_how"),
                    L.t("logframe.col_polarity"),
                ],
                rows=[
                    [
                        L.opt("party", s["group"]),
                        L.opt("kind", s.get("kind")),
                        s.get("how_affected") or "",
                        L.opt("polarity", s.get("polarity")),
                    ]
                    for s in lf["impacted_parties"]
                ],
                widths=[2.2, 1.4, 4, 1.2],
                sheet=L.t("logframe.parties"),
            )
        )
    else:
        doc.add(Para(L.t("doc.none"), style="note"))
    doc.add(Heading(L.t("logframe.unexpected"), 2))
    if lf["unexpected_effects"]:
        doc.add(
            Table(
                headers=[
                    L.t("logframe.col_effect"),
                    L.t("logframe.col_concerns"),
                    L.t("logframe.col_polarity"),
                    L.t("logframe.col_indicators"),
                ],
                rows=[
                    [
                        e["statement"],
                        concerns(e, L),
                        L.opt("polarity", e["polarity"]),
                        "\n".join(i["label"] for i in e["indicators"]),
                    ]
                    for e in lf["unexpected_effects"]
                ],
                widths=[4, 2, 1.2, 3],
                sheet=L.t("logframe.unexpected"),
            )
        )
    else:
        doc.add(Para(L.t("doc.none"), style="note"))
    return doc
