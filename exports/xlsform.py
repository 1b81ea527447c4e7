"""XLSForm in and out: a poll as an XLSForm workbook (survey, choices, settings; one
`label::Language (code)` column per language) that pyxform converts, and an XLSForm read back as
poll questions (select_one, select_multiple, integer, text; simple `relevant` skip logic).

Imported questions use the shape `Poll.questions` keeps (`id`, `kind`, `text` and option
labels in fr, ar, ary, ary-Latn). A language the form does not have is filled from the nearest
one (ary from ar, ary-Latn from fr). Kinds: a 1..5 list becomes `scale5`, a yes/no list `yes_no`,
another list `choice`, a `select_multiple` `multi`; `integer` and `text` keep their names, and an
integer's `constraint` of the form `. >= a and . <= b` becomes its min and max.
`relevant` is kept as written when it is a simple condition on an earlier question
(`${q} = 'v'`, `${q} != 'v'`, `selected(${q}, 'v')`, joined by `and`/`or`; the grammar and its
evaluator live in domain.polls). Types Athar cannot ask (date, geopoint, decimal...) are listed in
`ImportedForm.unsupported` and left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from domain.polls import SIMPLE_RELEVANT, relevant_holds, relevant_refs  # noqa: F401 (re-exported)

LANGS = ("fr", "ar", "ary", "ary-Latn")
LANG_NAMES = {"fr": "French", "ar": "Arabic", "ary": "Moroccan Arabic", "ary-Latn": "Moroccan Arabic Latin"}
NEAREST = {"fr": ("fr", "ary-Latn", "ar", "ary"), "ar": ("ar", "ary", "fr", "ary-Latn"),
           "ary": ("ary", "ar", "ary-Latn", "fr"), "ary-Latn": ("ary-Latn", "fr", "ary", "ar")}
SELECT_ONE_KINDS = ("scale5", "yes_no", "choice", "wg4", "sex", "age_band", "public", "select_one")
SKIPPED_TYPES = {"note", "begin group", "end group", "begin_group", "end_group", "begin repeat",
                 "end repeat", "start", "end", "today", "deviceid", "calculate", "username",
                 "phonenumber", "simserial", "subscriberid", "audit"}
MULTI_KINDS = ("multi", "select_multiple")
_BOUND = r"\.\s*(>=|<=|>|<)\s*(-?\d{1,10})"
SIMPLE_CONSTRAINT = re.compile(rf"^\s*{_BOUND}(?:\s+and\s+{_BOUND})?\s*$")


class XLSFormError(ValueError):
    pass


def lang_column(prefix: str, lang: str) -> str:
    return f"{prefix}::{LANG_NAMES[lang]} ({lang})"


def _text(variants: Any, lang: str) -> str:
    if isinstance(variants, str):
        return variants
    for tag in NEAREST.get(lang, (lang,)):
        if (variants or {}).get(tag):
            return str(variants[tag])
    return ""


# -- out --------------------------------------------------------------------------------------------
def xlsform_rows(questions: list[dict[str, Any]], title: str, form_id: str,
                 default_lang: str = "fr") -> dict[str, list[list[Any]]]:
    survey = [["type", "name"] + [lang_column("label", t) for t in LANGS]
              + ["relevant", "constraint", "required"]]
    choices = [["list_name", "name"] + [lang_column("label", t) for t in LANGS]]
    lists: dict[tuple, str] = {}
    for q in questions:
        kind, qid = q["kind"], q["id"]
        opts = q.get("options") or []
        if kind in SELECT_ONE_KINDS or kind in MULTI_KINDS:
            key = tuple((str(o["value"]), tuple(_text(o.get("label"), t) for t in LANGS)) for o in opts)
            name = lists.get(key)
            if name is None:
                name = re.sub(r"[^A-Za-z0-9_]", "_", q.get("scale") or qid)
                while name in lists.values():
                    name += "_"
                lists[key] = name
                for o in opts:
                    choices.append([name, str(o["value"])] + [_text(o.get("label"), t) for t in LANGS])
            xtype = f"{'select_multiple' if kind in MULTI_KINDS else 'select_one'} {name}"
        elif kind in ("integer", "decimal"):
            xtype = kind
        else:
            xtype = "text"
        survey.append([xtype, qid] + [_text(q.get("text"), t) for t in LANGS]
                      + [q.get("relevant") or None, constraint_of(q), None])
    version = datetime.now(timezone.utc).strftime("%Y%m%d%H")
    settings = [["form_title", "form_id", "version", "default_language"],
                [title, form_id, version, f"{LANG_NAMES[default_lang]} ({default_lang})"]]
    return {"survey": survey, "choices": choices, "settings": settings}


def constraint_of(q: dict[str, Any]) -> str | None:
    """The XLSForm constraint of an integer question's min and max (None without bounds)."""
    parts = []
    if q.get("min") is not None:
        parts.append(f". >= {int(q['min'])}")
    if q.get("max") is not None:
        parts.append(f". <= {int(q['max'])}")
    return " and ".join(parts) or None


def bounds_of(constraint: str) -> tuple[int | None, int | None] | None:
    """min and max from `. >= a`, `. <= b`, `. > a`, `. < b` or two of them joined by `and`;
    None when the constraint says something else."""
    m = SIMPLE_CONSTRAINT.match(constraint or "")
    if not m:
        return None
    lo: int | None = None
    hi: int | None = None
    for op, num in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
        if op is None:
            continue
        n = int(num)
        if op in (">=", ">"):
            lo = n + (1 if op == ">" else 0)
        else:
            hi = n - (1 if op == "<" else 0)
    return lo, hi


def write_xlsform(path: Path, questions: list[dict[str, Any]], title: str, form_id: str,
                  default_lang: str = "fr") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets = xlsform_rows(questions, title, form_id, default_lang)
    wb = Workbook()
    first = True
    for name, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        ws.title = name
        first = False
        for row in rows:
            ws.append(row)
        for c in ws[1]:
            c.font = Font(bold=True)
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = max(10, min(60, width + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def form_id_for(title: str, poll_id: int | None) -> str:
    import unicodedata
    t = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", t).strip("_")[:30] or "poll"
    return f"athar_{base}_{poll_id or 0}"


# -- in ---------------------------------------------------------------------------------------------
@dataclass
class ImportedForm:
    title: str
    questions: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # questions left out (type not asked)


def _sheet(wb, name: str):
    for ws in wb.worksheets:
        if ws.title.strip().lower() == name:
            return ws
    return None


def _rows(ws) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for r in rows[1:]:
        if all(v is None or str(v).strip() == "" for v in r):
            continue
        out.append({h: (str(v).strip() if v is not None else "") for h, v in zip(header, r) if h})
    return out


def _lang_of(column: str, prefix: str, default: str) -> str | None:
    """The language tag of `label`, `label::fr`, `label::French (fr)`; None for other columns."""
    c = column.strip()
    if c.lower() == prefix:
        return default
    if not c.lower().startswith(prefix + "::"):
        return None
    rest = c[len(prefix) + 2:].strip()
    m = re.search(r"\(([A-Za-z-]+)\)\s*$", rest)
    code = m.group(1) if m else rest
    for tag in LANGS:
        if code.lower() == tag.lower():
            return tag
    named = {v.lower(): k for k, v in LANG_NAMES.items()}
    if rest.lower() in named:
        return named[rest.lower()]
    if code.lower().startswith("fr") or rest.lower().startswith("fran"):
        return "fr"
    if code.lower().startswith("ar") or rest.lower().startswith("arab"):
        return "ar"
    return None


def _variants(row: dict[str, Any], prefix: str, default: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for col, v in row.items():
        tag = _lang_of(col, prefix, default)
        if tag and v:
            found.setdefault(tag, v)
    if not found:
        return {}
    return {t: next(found[x] for x in NEAREST[t] if x in found) for t in LANGS}


def read_xlsform(source: str | Path | bytes) -> ImportedForm:
    from io import BytesIO

    from openpyxl import load_workbook

    try:
        wb = load_workbook(BytesIO(source) if isinstance(source, bytes) else str(source),
                           read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise XLSFormError(f"not an XLSX workbook: {exc}") from exc
    survey_ws = _sheet(wb, "survey")
    if survey_ws is None:
        raise XLSFormError("the workbook has no 'survey' sheet")
    settings = _rows(_sheet(wb, "settings")) if _sheet(wb, "settings") else []
    default = "fr"
    title = ""
    if settings:
        dl = settings[0].get("default_language") or ""
        default = _lang_of(f"label::{dl}", "label", "fr") or "fr" if dl else "fr"
        title = settings[0].get("form_title") or ""
    choices: dict[str, list[dict[str, Any]]] = {}
    if _sheet(wb, "choices") is not None:
        for row in _rows(_sheet(wb, "choices")):
            lst = row.get("list_name") or row.get("list name") or ""
            if not lst or not row.get("name"):
                continue
            choices.setdefault(lst, []).append({"value": row["name"],
                                                "label": _variants(row, "label", default)})
    out = ImportedForm(title=title, questions=[])
    ids: set[str] = set()
    for n, row in enumerate(_rows(survey_ws), start=2):
        xtype = re.sub(r"\s+", " ", (row.get("type") or "").strip())
        name = (row.get("name") or "").strip()
        base = xtype.split(" ")[0] if xtype else ""
        if not xtype or xtype in SKIPPED_TYPES or base in SKIPPED_TYPES:
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", name):
            raise XLSFormError(f"survey row {n}: invalid question name {name!r}")
        qid = name.lower()
        if qid in ids:
            raise XLSFormError(f"survey row {n}: question {name!r} appears twice")
        text = _variants(row, "label", default)
        if not text:
            raise XLSFormError(f"survey row {n}: question {name!r} has no label")
        q: dict[str, Any] = {"id": qid, "module": "custom", "text": text}
        if base in ("select_one", "select_multiple"):
            parts = xtype.split(" ")
            if len(parts) < 2 or parts[1] not in choices:
                raise XLSFormError(f"survey row {n}: the choice list of {name!r} is missing")
            opts = [dict(o) for o in choices[parts[1]]]
            for o in opts:
                if not o["label"]:
                    raise XLSFormError(f"choices of {name!r}: option {o['value']!r} has no label")
            values = [o["value"] for o in opts]
            if base == "select_multiple":
                q["kind"] = "multi"
            elif values == ["1", "2", "3", "4", "5"]:
                q["kind"], q["scale"] = "scale5", parts[1]
                for o in opts:
                    o["value"] = int(o["value"])
            elif sorted(values) == ["no", "yes"]:
                q["kind"] = "yes_no"
            else:
                q["kind"] = "choice"
            q["options"] = opts
        elif base in ("integer", "text", "string"):
            q["kind"] = "text" if base == "string" else base
        else:
            out.unsupported.append(name)
            out.warnings.append(f"{name}: type {xtype!r} is not supported, question left out")
            continue
        constraint = (row.get("constraint") or "").strip()
        if q["kind"] == "integer" and constraint:
            bounds = bounds_of(constraint)
            if bounds is None:
                out.warnings.append(f"{name}: constraint {constraint!r} is not a simple range, "
                                    "not checked")
            else:
                lo, hi = bounds
                if lo is not None and hi is not None and lo > hi:
                    raise XLSFormError(f"{name}: constraint {constraint!r} accepts no number")
                q.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
        relevant = (row.get("relevant") or "").strip()
        if relevant:
            if not SIMPLE_RELEVANT.match(relevant):
                raise XLSFormError(f"{name}: relevant {relevant!r} is not a simple condition")
            missing = [r for r in relevant_refs(relevant) if r not in ids]
            if missing:
                raise XLSFormError(f"{name}: relevant refers to {missing[0]!r}, which is not an earlier question")
            q["relevant"] = relevant
        ids.add(qid)
        out.questions.append(q)
    if not out.questions:
        raise XLSFormError("the form has no question Athar can ask")
    return out
