"""XLSForm in and out: a poll as an XLSForm workbook (survey, choices, settings; one
`label::Language (code)` column per language; groups as `begin group` rows) that pyxform
converts, and an XLSForm read back as poll questions by pyxform's own reader (select_one,
select_multiple, integer, text; groups with their path and skip logic; labels in any language).

Imported questions use the shape `Poll.questions` keeps (`id`, `kind`, `text` and option
labels in fr, ar, ary, ary-Latn). A language the form does not have is filled from the nearest
one (ary from ar, ary-Latn from fr). Kinds: a 1..5 list becomes `scale5`, a yes/no list `yes_no`,
another list `choice`, a `select_multiple` `multi`; `integer` and `text` keep their names, and an
integer's `constraint` of the form `. >= a and . <= b` becomes its min and max.
`relevant` is kept (a group's condition joined to its questions' with `and`) when
`domain.skiplogic` can read it and it refers to earlier questions. Types Athar cannot ask (date,
geopoint, decimal...) and repeats are listed in `ImportedForm.unsupported` and left out; a
question asking who the person is (name, phone, address, id) is refused in an anonymous poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from domain.languages import LANG_TAGS, fallback, pick
from domain.skiplogic import SkipLogicError
from domain.text import ascii_slug, without_marks
from domain.skiplogic import parse as parse_relevant

# the column names of the languages (`label::French (fr)`): pyxform's convention, English name and code
LANG_NAMES = {"fr": "French", "ar": "Arabic", "ary": "Moroccan Arabic", "ary-Latn": "Moroccan Arabic Latin"}
SELECT_ONE_KINDS = ("scale5", "yes_no", "choice", "wg4", "sex", "age_band", "public", "select_one")
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
    return pick(variants, lang)


# -- out --------------------------------------------------------------------------------------------
def xlsform_rows(
    questions: list[dict[str, Any]], title: str, form_id: str, default_lang: str = "fr"
) -> dict[str, list[list[Any]]]:
    survey = [
        ["type", "name"]
        + [lang_column("label", t) for t in LANG_TAGS]
        + ["relevant", "constraint", "required"]
    ]
    choices = [["list_name", "name"] + [lang_column("label", t) for t in LANG_TAGS]]
    lists: dict[tuple, str] = {}
    width = len(survey[0])
    open_groups: list[str] = []

    def into(group: str | None) -> None:
        """Close and open `begin group` rows to reach the question's group path."""
        path = [g for g in (group or "").split("/") if g]
        keep = 0
        while keep < min(len(path), len(open_groups)) and path[keep] == open_groups[keep]:
            keep += 1
        while len(open_groups) > keep:
            open_groups.pop()
            survey.append(["end group"] + [None] * (width - 1))
        for g in path[keep:]:
            open_groups.append(g)
            survey.append(["begin group", g] + [g] * len(LANG_TAGS) + [None] * (width - 2 - len(LANG_TAGS)))

    for q in questions:
        kind, qid = q["kind"], q["id"]
        into(q.get("group"))
        opts = q.get("options") or []
        if kind in SELECT_ONE_KINDS or kind in MULTI_KINDS:
            key = tuple((str(o["value"]), tuple(_text(o.get("label"), t) for t in LANG_TAGS)) for o in opts)
            name = lists.get(key)
            if name is None:
                name = re.sub(r"[^A-Za-z0-9_]", "_", q.get("scale") or qid)
                while name in lists.values():
                    name += "_"
                lists[key] = name
                for o in opts:
                    choices.append([name, str(o["value"])] + [_text(o.get("label"), t) for t in LANG_TAGS])
            xtype = f"{'select_multiple' if kind in MULTI_KINDS else 'select_one'} {name}"
        elif kind in ("integer", "decimal"):
            xtype = kind
        else:
            xtype = "text"
        survey.append(
            [xtype, qid]
            + [_text(q.get("text"), t) for t in LANG_TAGS]
            + [q.get("relevant") or None, constraint_of(q), None]
        )
    into(None)
    version = datetime.now(timezone.utc).strftime("%Y%m%d%H")
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [title, form_id, version, f"{LANG_NAMES[default_lang]} ({default_lang})"],
    ]
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


def write_xlsform(
    path: Path, questions: list[dict[str, Any]], title: str, form_id: str, default_lang: str = "fr"
) -> Path:
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
    base = ascii_slug(title, "_")[:30] or "poll"
    return f"athar_{base}_{poll_id or 0}"


# -- in ---------------------------------------------------------------------------------------------
@dataclass
class ImportedForm:
    title: str
    questions: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # questions left out (type not asked)


# pyxform's names for the types Athar asks (after its own aliases: select_one -> "select one")
SELECT_ONE, SELECT_MULTIPLE = "select one", "select all that apply"
ASKED = {SELECT_ONE, SELECT_MULTIPLE, "integer", "text"}
SILENT = {
    "note",
    "calculate",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "simserial",
    "subscriberid",
    "audit",
    "start-geopoint",
    "hidden",
}
PHONE_TYPES = {"phonenumber"}
# a question asking who someone is, by its name or its label (any language of the form)
IDENTIFYING = re.compile(
    r"(?<![a-z])(nom|prenom|name|surname|phone|telephone|tel|mobile|gsm|whatsapp|email|e_mail|"
    r"mail|courriel|adresse|address|cin|cni|passeport|passport|id_number|numero_carte|"
    r"الاسم|اسمك|الهاتف|هاتف|رقم_البطاقة|البطاقة_الوطنية|العنوان|البريد)(?![a-z])"
)


def _sheet(wb, name: str):
    for ws in wb.worksheets:
        if ws.title.strip().lower() == name:
            return ws
    return None


def _lang_of(column: str, prefix: str, default: str) -> str | None:
    """The language tag of `label`, `label::fr`, `label::French (fr)`; None for other columns."""
    c = column.strip()
    if c.lower() == prefix:
        return default
    if not c.lower().startswith(prefix + "::"):
        return None
    rest = c[len(prefix) + 2 :].strip()
    m = re.search(r"\(([A-Za-z-]+)\)\s*$", rest)
    code = m.group(1) if m else rest
    for tag in LANG_TAGS:
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


def _fold(text: str) -> str:
    return re.sub(r"[\s\-.'’]+", "_", without_marks(text).casefold())


def _identifying(name: str, labels: dict[str, str]) -> bool:
    """Whether a question asks for a name, a phone number, an address or an id."""
    return bool(IDENTIFYING.search(_fold(name))) or any(
        IDENTIFYING.search(_fold(lbl)) for lbl in labels.values()
    )


def _lang_tag(column_lang: str, default: str) -> str | None:
    """Our language tag for a pyxform label language ("French (fr)", "default", "ar")."""
    if column_lang == "default":
        return default
    return _lang_of(f"label::{column_lang}", "label", default)


def _texts(label: Any, default: str) -> dict[str, str]:
    """The four variants of a label given in any languages: ours where the form has them, the
    nearest one else, and a language we do not know (English...) when it is the only one."""
    if isinstance(label, str):
        label = {"default": label}
    found: dict[str, str] = {}
    other = ""
    for lang, text in (label or {}).items():
        text = str(text or "").strip()
        if not text:
            continue
        tag = _lang_tag(lang, default)
        if tag:
            found.setdefault(tag, text)
        else:
            other = other or text
    if not found and other:
        found = {default: other}
    if not found:
        return {}
    return {t: next(found[x] for x in fallback(t) if x in found) for t in LANG_TAGS}


def _survey_rows(path: Path) -> dict[str, int]:
    """The survey sheet's row number of every name (for messages that name the row)."""
    from openpyxl import load_workbook

    wb = load_workbook(str(path), read_only=True, data_only=True)
    ws = _sheet(wb, "survey")
    if ws is None:
        return {}
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return {}
    header = [str(h or "").strip().lower() for h in rows[0]]
    if "name" not in header:
        return {}
    col = header.index("name")
    return {
        str(r[col]).strip(): n for n, r in enumerate(rows[1:], start=2) if col < len(r) and r[col] is not None
    }


def _both(conditions: list[str]) -> str | None:
    conds = [c for c in conditions if c]
    if len(conds) <= 1:
        return conds[0] if conds else None
    return " and ".join(f"({c})" for c in conds)


def read_xlsform(source: str | Path | bytes, anonymous: bool = True) -> ImportedForm:
    """The questions of an XLSForm, read by pyxform's own reader: groups (their path and their
    `relevant` kept), labels in any language, skip logic checked by `domain.skiplogic`. A
    repeat and the types the chat cannot ask are listed in `unsupported`. In an anonymous poll a
    question asking for a name, a phone number, an address or an id is refused. Every error
    names the survey row."""
    survey, rows = _parse_form(source)
    default = _lang_tag(str(survey.get("default_language") or "default"), "fr") or "fr"
    if default not in LANG_TAGS:
        default = "fr"
    reader = _FormReader(
        ImportedForm(title=str(survey.get("title") or ""), questions=[]), rows, default, anonymous
    )
    reader.walk(survey.get("children") or [], [], [])
    if not reader.out.questions:
        raise XLSFormError("the form has no question Athar can ask")
    return reader.out


def _parse_form(source: str | Path | bytes) -> tuple[dict[str, Any], dict[str, int]]:
    """pyxform's reading of the workbook, and the survey sheet's row of every name."""
    import tempfile

    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    with tempfile.TemporaryDirectory(prefix="athar-xlsform-") as tmp:
        if isinstance(source, bytes):
            path = Path(tmp) / "form.xlsx"
            path.write_bytes(source)
        else:
            path = Path(source)
        try:
            survey = parse_file_to_json(str(path), warnings=[])
            rows = _survey_rows(path)
        except PyXFormError as exc:
            raise XLSFormError(" ".join(str(exc).split())) from exc
        except Exception as exc:  # noqa: BLE001 - any unreadable file
            raise XLSFormError(f"not an XLSForm workbook: {exc}") from exc
    return survey, rows


@dataclass
class _FormReader:
    """The walk over pyxform's survey tree: every question the chat can ask, in order, with
    the group path and the conditions of the groups it is in."""

    out: ImportedForm
    rows: dict[str, int]
    default: str
    anonymous: bool
    seen: set[str] = field(default_factory=set)

    def where(self, name: str) -> str:
        return f"survey row {self.rows[name]}" if name in self.rows else f"question {name!r}"

    def walk(self, children: list[dict[str, Any]], path: list[str], conditions: list[str]) -> None:
        for child in children:
            kind = str(child.get("type") or "")
            name = str(child.get("name") or "")
            relevant = str((child.get("bind") or {}).get("relevant") or "").strip()
            if kind == "group":
                if not (child.get("control") or {}).get("bodyless"):  # pyxform's own meta group
                    self.walk(child.get("children") or [], path + [name], conditions + [relevant])
            elif kind == "repeat":
                self._leave_out(
                    name, f"{name}: a repeat is asked once per item, which the chat cannot do; left out"
                )
            elif kind not in SILENT:
                self._question(child, kind, name, path, conditions + [relevant])

    def _leave_out(self, name: str, why: str) -> None:
        self.out.unsupported.append(name)
        self.out.warnings.append(f"{self.where(name)}: {why}")

    def _question(
        self, child: dict[str, Any], kind: str, name: str, path: list[str], conditions: list[str]
    ) -> None:
        where = self.where(name)
        texts = _texts(child.get("label"), self.default)
        if self.anonymous and (kind in PHONE_TYPES or _identifying(name, texts)):
            raise XLSFormError(
                f"{where}: {name!r} asks who the person is (a name, a "
                "phone number, an address or an id): the poll is anonymous"
            )
        if kind not in ASKED:
            self._leave_out(name, f"{name}: type {kind!r} is not supported, question left out")
            return
        if name in self.seen:
            raise XLSFormError(f"{where}: question {name!r} appears twice")
        if not texts:
            raise XLSFormError(f"{where}: question {name!r} has no label in any language")
        q: dict[str, Any] = {"id": name, "module": "custom", "text": texts}
        if path:
            q["group"] = "/".join(path)
        if kind in (SELECT_ONE, SELECT_MULTIPLE):
            q.update(self._choices(child, kind, name))
        else:
            q["kind"] = kind
        if q["kind"] == "integer":
            self._range(q, child, name)
        condition = _both(conditions)
        if condition:
            q["relevant"] = self._relevant(condition, name)
        self.seen.add(name)
        self.out.questions.append(q)

    def _choices(self, child: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
        """A select question's kind (multi, scale5, yes_no or choice) and options."""
        opts = [
            {"value": str(c.get("name")), "label": _texts(c.get("label"), self.default)}
            for c in child.get("choices") or []
        ]
        if not opts:
            raise XLSFormError(f"{self.where(name)}: the choice list of {name!r} is missing")
        for o in opts:
            if not o["label"]:
                raise XLSFormError(f"{self.where(name)}: option {o['value']!r} of {name!r} has no label")
        values = [o["value"] for o in opts]
        q: dict[str, Any] = {}
        if kind == SELECT_MULTIPLE:
            q["kind"] = "multi"
        elif values == ["1", "2", "3", "4", "5"]:
            q["kind"], q["scale"] = "scale5", str(child.get("list_name") or name)
            for o in opts:
                o["value"] = int(o["value"])
        elif sorted(values) == ["no", "yes"]:
            q["kind"] = "yes_no"
        else:
            q["kind"] = "choice"
        q["options"] = opts
        return q

    def _range(self, q: dict[str, Any], child: dict[str, Any], name: str) -> None:
        """An integer question's `constraint` as its min and max, when it is a simple range."""
        constraint = str((child.get("bind") or {}).get("constraint") or "").strip()
        if not constraint:
            return
        bounds = bounds_of(constraint)
        if bounds is None:
            self.out.warnings.append(
                f"{self.where(name)}: {name}: constraint {constraint!r} is not a simple range, not checked"
            )
            return
        lo, hi = bounds
        if lo is not None and hi is not None and lo > hi:
            raise XLSFormError(f"{self.where(name)}: constraint {constraint!r} accepts no number")
        q.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})

    def _relevant(self, condition: str, name: str) -> str:
        """The question's condition, checked: in the subset, and about earlier questions only."""
        try:
            refs = parse_relevant(condition).refs()
        except SkipLogicError as exc:
            raise XLSFormError(f"{self.where(name)}: relevant {condition!r}: {exc}") from exc
        missing = [r for r in refs if r not in self.seen]
        if missing:
            raise XLSFormError(
                f"{self.where(name)}: relevant refers to {missing[0]!r}, which is not an earlier question"
            )
        return condition
