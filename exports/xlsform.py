"""XLSForm in and out: a poll as an XLSForm workbook (survey, choices, settings; one
`label::Language (code)` column per language) that pyxform converts, and an XLSForm read back as
poll questions (select_one, select_multiple, integer, text; simple `relevant` skip logic).

Imported questions use the shape `Poll.questions` keeps (`id`, `kind`, `text` and option
labels in fr, ar, ary, ary-Latn). A language the form does not have is filled from the nearest
one (ary from ar, ary-Latn from fr). Kinds: a 1..5 list becomes `scale5`, a yes/no list `yes_no`,
another list `choice`; `select_multiple`, `integer` and `text` keep their XLSForm names.
`relevant` is kept as written when it is a simple condition on an earlier question
(`${q} = 'v'`, `${q} != 'v'`, `selected(${q}, 'v')`, joined by `and`/`or`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

LANGS = ("fr", "ar", "ary", "ary-Latn")
LANG_NAMES = {"fr": "French", "ar": "Arabic", "ary": "Moroccan Arabic", "ary-Latn": "Moroccan Arabic Latin"}
NEAREST = {"fr": ("fr", "ary-Latn", "ar", "ary"), "ar": ("ar", "ary", "fr", "ary-Latn"),
           "ary": ("ary", "ar", "ary-Latn", "fr"), "ary-Latn": ("ary-Latn", "fr", "ary", "ar")}
SELECT_ONE_KINDS = ("scale5", "yes_no", "choice", "wg4", "sex", "age_band", "public", "select_one")
SKIPPED_TYPES = {"note", "begin group", "end group", "begin_group", "end_group", "begin repeat",
                 "end repeat", "start", "end", "today", "deviceid", "calculate", "username",
                 "phonenumber", "simserial", "subscriberid", "audit"}
_COND = r"(?:\$\{(\w+)\}\s*(=|!=)\s*'([^']*)'|selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\))"
SIMPLE_RELEVANT = re.compile(rf"^\s*{_COND}(\s+(and|or)\s+{_COND})*\s*$")


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
    survey = [["type", "name"] + [lang_column("label", t) for t in LANGS] + ["relevant", "required"]]
    choices = [["list_name", "name"] + [lang_column("label", t) for t in LANGS]]
    lists: dict[tuple, str] = {}
    for q in questions:
        kind, qid = q["kind"], q["id"]
        opts = q.get("options") or []
        if kind in SELECT_ONE_KINDS or kind == "select_multiple":
            key = tuple((str(o["value"]), tuple(_text(o.get("label"), t) for t in LANGS)) for o in opts)
            name = lists.get(key)
            if name is None:
                name = re.sub(r"[^A-Za-z0-9_]", "_", q.get("scale") or qid)
                while name in lists.values():
                    name += "_"
                lists[key] = name
                for o in opts:
                    choices.append([name, str(o["value"])] + [_text(o.get("label"), t) for t in LANGS])
            xtype = f"{'select_multiple' if kind == 'select_multiple' else 'select_one'} {name}"
        elif kind in ("integer", "decimal"):
            xtype = kind
        else:
            xtype = "text"
        survey.append([xtype, qid] + [_text(q.get("text"), t) for t in LANGS]
                      + [q.get("relevant") or None, None])
    version = datetime.now(timezone.utc).strftime("%Y%m%d%H")
    settings = [["form_title", "form_id", "version", "default_language"],
                [title, form_id, version, f"{LANG_NAMES[default_lang]} ({default_lang})"]]
    return {"survey": survey, "choices": choices, "settings": settings}


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
                q["kind"] = "select_multiple"
            elif values == ["1", "2", "3", "4", "5"]:
                q["kind"], q["scale"] = "scale5", parts[1]
                for o in opts:
                    o["value"] = int(o["value"])
            elif sorted(values) == ["no", "yes"]:
                q["kind"] = "yes_no"
            else:
                q["kind"] = "choice"
            q["options"] = opts
        elif base in ("integer", "text"):
            q["kind"] = base
        elif base in ("decimal", "string"):
            q["kind"] = "integer" if base == "decimal" else "text"
            out.warnings.append(f"{name}: {base} read as {q['kind']}")
        else:
            out.warnings.append(f"{name}: type {xtype!r} is not supported, question left out")
            continue
        relevant = (row.get("relevant") or "").strip()
        if relevant:
            refs = re.findall(r"\$\{(\w+)\}", relevant)
            if not SIMPLE_RELEVANT.match(relevant):
                raise XLSFormError(f"{name}: relevant {relevant!r} is not a simple condition")
            missing = [r for r in refs if r.lower() not in ids]
            if missing:
                raise XLSFormError(f"{name}: relevant refers to {missing[0]!r}, which is not an earlier question")
            q["relevant"] = relevant
        ids.add(qid)
        out.questions.append(q)
    if not out.questions:
        raise XLSFormError("the form has no question Athar can ask")
    return out


def relevant_holds(relevant: str | None, answers: dict[str, Any]) -> bool:
    """Whether a question with this `relevant` condition is asked, given the earlier answers."""
    if not relevant:
        return True
    tokens = re.split(r"\s+(and|or)\s+", relevant.strip())
    result = _cond(tokens[0], answers)
    for op, cond in zip(tokens[1::2], tokens[2::2]):
        result = (result and _cond(cond, answers)) if op == "and" else (result or _cond(cond, answers))
    return result


def _cond(text: str, answers: dict[str, Any]) -> bool:
    m = re.fullmatch(_COND, text.strip())
    if not m:
        return True
    if m.group(1):
        value = answers.get(m.group(1).lower())
        got = " ".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
        return (got == m.group(3)) if m.group(2) == "=" else (got != m.group(3))
    value = answers.get(m.group(4).lower())
    chosen = [str(v) for v in value] if isinstance(value, list) else str(value or "").split()
    return m.group(5) in chosen
