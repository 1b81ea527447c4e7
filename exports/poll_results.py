"""Poll results as files: KoboToolbox-shaped XLSX and CSV, a FLOIP Flow Results package, charts.

The questions are read from `Poll.questions` (the snapshot each poll keeps: `id`, `kind`, `text`
and `short` per language, `options` with `value` and `label` per language). Kinds: select-one
kinds (scale5, yes_no, choice, wg4, sex, age_band, public), `text` (the answer is a story:
`{"story": id}` or the text itself), `multi` (select_multiple: a list of values) and `integer`.
An answer to a question whose skip logic (`relevant`) does not hold for the respondent (left
over after an earlier answer changed) is left out, as Kobo does.

Kobo shape (KoboToolbox's "XML values and headers" export): one row per submission, the
question names as headers (with their group path, `group/name`, as written in the form), option
values as cells, a select-multiple as a space-separated cell plus one 0/1 column per option
(`q/option`), then Kobo's own columns `meta/instanceID`, `_id`, `_uuid`, `_submission_time`,
`_index`, `_status`: no column the form does not have.

FLOIP: a Flow Results 1.1.0 package (descriptor `datapackage.json` and a row-array JSON file:
timestamp, row id, contact id, session id, question id, response, response metadata).

Row-level data are for coordinators only (the files say so). They never carry the respondents'
linking pseudonym unless it is asked for (`link=True`): each file gets its own contact ids, so
a baseline file and a follow-up file cannot be joined by accident. A profile answer (sex, age
band, public) of a group smaller than `min_group_size` is blanked, and free text has its phone
numbers and e-mail addresses masked.
"""

from __future__ import annotations

import csv
import json
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import hashlib
import hmac
import secrets

from domain.polls import GroupResult, asked_ids, suppress
from domain.privacy import mask_identifiers
from domain.languages import is_rtl, pick, variant
from domain.records import Poll, Respondent, Response, Story

SELECT_ONE_KINDS = ("scale5", "yes_no", "choice", "wg4", "sex", "age_band", "public", "select_one")
MULTI_KINDS = ("select_multiple", "multi")
NUMBER_KINDS = ("integer", "decimal", "number")
BREAKDOWN_KINDS = ("sex", "age_band", "public")  # answers that single people out in small groups
FLOIP_VERSION = "1.1.0"
NAMESPACE = uuid.UUID("6f1c2a52-5e0c-4d1e-9a7b-1f2e3d4c5b6a")  # Athar submissions (uuid5)


def text_in(variants: Any, lang: str) -> str:
    """A text given as one string or per language variant, in `lang` (domain.languages.pick)."""
    if isinstance(variants, str):
        return variants
    return pick(variants, lang) if isinstance(variants, dict) else ""


def qid(q: dict[str, Any]) -> str:
    return str(q.get("id") or q.get("name"))


def qkind(q: dict[str, Any]) -> str:
    return str(q.get("kind") or q.get("type") or "text")


def qlabel(q: dict[str, Any], lang: str, short: bool = False) -> str:
    if short and q.get("short"):
        return text_in(q["short"], lang)
    return text_in(q.get("text") or q.get("label") or {}, lang)


def options(q: dict[str, Any]) -> list[dict[str, Any]]:
    return list(q.get("options") or q.get("choices") or [])


def ovalue(o: dict[str, Any]) -> str:
    return str(o.get("value", o.get("name")))


def olabel(o: dict[str, Any], lang: str) -> str:
    return text_in(o.get("label") or {}, lang)


def is_select_one(q: dict[str, Any]) -> bool:
    return qkind(q) in SELECT_ONE_KINDS


def is_multi(q: dict[str, Any]) -> bool:
    return qkind(q) in MULTI_KINDS


def is_number(q: dict[str, Any]) -> bool:
    return qkind(q) in NUMBER_KINDS


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def instance_id(poll: Poll, respondent: Respondent) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{poll.token}:{poll.id}:{respondent.pseudonym}"))


class Contacts:
    """The contact id written for a respondent: a pseudonym of its own for this file (a random
    key per export), or the linking pseudonym when the coordinator asks for it."""

    def __init__(self, link: bool = False):
        self.link = link
        self.key = secrets.token_bytes(16)

    def __call__(self, r: Respondent) -> str:
        if self.link:
            return r.pseudonym
        return hmac.new(self.key, r.pseudonym.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def hidden_groups(poll: Poll, subs: list[dict[str, Any]], min_group_size: int) -> dict[str, set[str]]:
    """For each profile question (sex, age band, public), the answers given by fewer than
    `min_group_size` people (plus the next smallest when only one is, as in the results)."""
    out: dict[str, set[str]] = {}
    for q in poll.questions:
        if qkind(q) not in BREAKDOWN_KINDS:
            continue
        counts: dict[str, int] = {}
        for sub in subs:
            v = sub["values"].get(qid(q))
            if v is not None:
                counts[str(v)] = counts.get(str(v), 0) + 1
        groups = suppress(
            [GroupResult(group=g, n=n, suppressed=False) for g, n in counts.items()], min_group_size
        )
        out[qid(q)] = {g.group for g in groups if g.suppressed}
    return out


def _story_text(value: Any, stories: dict[int, Story]) -> Any:
    if isinstance(value, dict) and "story" in value:
        s = stories.get(value.get("story"))  # type: ignore[arg-type]
        return mask_identifiers(s.text or "") if s is not None else ""
    if isinstance(value, str):
        return mask_identifiers(value)
    return value


def submissions(
    poll: Poll,
    respondents: Sequence[Respondent],
    responses: Sequence[Response],
    stories: Iterable[Story] = (),
    min_group_size: int = 1,
) -> list[dict[str, Any]]:
    """One dict per respondent who consented: answers by question id (profile answers of
    small groups blanked) and the time of the last answer ("end", Kobo's submission time)."""
    by_story = {s.id: s for s in stories if s.id is not None}
    answers: dict[int, dict[str, Response]] = {}
    for r in responses:
        answers.setdefault(r.respondent_id, {})[r.question] = r
    out = []
    for resp in sorted(respondents, key=lambda r: (r.consent_at, r.id or 0)):
        if not resp.consent:
            continue
        given = answers.get(resp.id or -1, {})
        times = [a.answered_at for a in given.values()]
        asked = asked_ids(poll.questions, {k: a.value for k, a in given.items()})
        out.append(
            {
                "respondent": resp,
                "end": max(times + [resp.completed_at or resp.consent_at]),
                "values": {k: _story_text(a.value, by_story) for k, a in given.items() if k in asked},
            }
        )
    hidden = hidden_groups(poll, out, min_group_size)
    for sub in out:
        for q, values in hidden.items():
            if str(sub["values"].get(q)) in values:
                sub["values"][q] = None
    return out


def kobo_name(q: dict[str, Any]) -> str:
    """The question's column: its group path and its name, as Kobo writes them."""
    group = str(q.get("group") or "").strip("/")
    return f"{group}/{qid(q)}" if group else qid(q)


KOBO_META = ["__version__", "meta/instanceID", "_id", "_uuid", "_submission_time", "_index", "_status"]


def kobo_columns(poll: Poll) -> list[str]:
    cols: list[str] = []
    for q in poll.questions:
        cols.append(kobo_name(q))
        if is_multi(q):
            cols += [f"{kobo_name(q)}/{ovalue(o)}" for o in options(q)]
    return cols + KOBO_META


def kobo_rows(
    poll: Poll,
    respondents: Sequence[Respondent],
    responses: Sequence[Response],
    stories: Iterable[Story] = (),
    min_group_size: int = 1,
) -> tuple[list[str], list[list[Any]]]:
    cols = kobo_columns(poll)
    rows = []
    version = f"athar-{poll.id}-{poll.wave}"
    for i, sub in enumerate(submissions(poll, respondents, responses, stories, min_group_size), start=1):
        r: Respondent = sub["respondent"]
        vals = sub["values"]
        row: dict[str, Any] = {}
        for q in poll.questions:
            name, v = kobo_name(q), vals.get(qid(q))
            if is_multi(q):
                chosen = (
                    [str(x) for x in (v or [])]
                    if isinstance(v, list)
                    else ([] if v in (None, "") else str(v).split())
                )
                row[name] = " ".join(chosen) if v is not None else None
                for o in options(q):
                    row[f"{name}/{ovalue(o)}"] = (1 if ovalue(o) in chosen else 0) if v is not None else None
            else:
                row[name] = v
        uid = instance_id(poll, r)
        row.update(
            {
                "__version__": version,
                "meta/instanceID": f"uuid:{uid}",
                "_id": i,
                "_uuid": uid,
                "_submission_time": _iso(sub["end"]),
                "_index": i,
                "_status": "submitted_via_web",
            }
        )
        rows.append([row.get(c) for c in cols])
    return cols, rows


def write_kobo_csv(
    path: Path, poll: Poll, respondents, responses, stories=(), min_group_size: int = 1
) -> Path:
    """Kobo's CSV export uses `;` between fields; we do the same (UTF-8 with a BOM for Excel)."""
    cols, rows = kobo_rows(poll, respondents, responses, stories, min_group_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(cols)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
    return path


def write_kobo_xlsx(
    path: Path,
    poll: Poll,
    respondents,
    responses,
    stories=(),
    lang: str = "fr",
    labels: dict[str, str] | None = None,
    min_group_size: int = 1,
) -> Path:
    """The data sheet (named like Kobo's) plus a `labels` sheet: the question and option texts
    in the export language, so the values can be read without the form, and `labels["notice"]`
    (who may read the file) on top of it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = labels or {}
    cols, rows = kobo_rows(poll, respondents, responses, stories, min_group_size)
    wb = Workbook()
    ws = wb.active
    ws.title = (poll.title or f"poll {poll.id}")[:31].replace("/", "-")
    ws.append(cols)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    ws.freeze_panes = "A2"
    lab = wb.create_sheet("labels")
    lab.sheet_view.rightToLeft = is_rtl(lang)
    if labels.get("notice"):
        lab.append([labels["notice"]])
        lab["A1"].font = Font(bold=True)
        lab.append([])
    lab.append(
        [
            labels.get("name", "name"),
            labels.get("label", "label"),
            labels.get("value", "value"),
            labels.get("choice", "choice"),
        ]
    )
    for c in lab[lab.max_row]:
        c.font = Font(bold=True)
    for q in poll.questions:
        lab.append([qid(q), qlabel(q, lang), None, None])
        for o in options(q):
            lab.append([qid(q), None, ovalue(o), olabel(o, lang)])
    for sheet in (ws, lab):
        for col in sheet.columns:
            width = max(len(str(c.value or "")) for c in col[:50])
            sheet.column_dimensions[col[0].column_letter].width = max(8, min(50, width + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


# -- FLOIP Flow Results ---------------------------------------------------------------------------
FLOIP_FIELDS = [
    {"name": "timestamp", "title": "Timestamp", "type": "datetime"},
    {"name": "row_id", "title": "Row ID", "type": "string"},
    {"name": "contact_id", "title": "Contact ID", "type": "string"},
    {"name": "session_id", "title": "Session ID", "type": "string"},
    {"name": "question_id", "title": "Question ID", "type": "string"},
    {"name": "response", "title": "Response", "type": "any"},
    {"name": "response_metadata", "title": "Response Metadata", "type": "object"},
]


def floip_question(q: dict[str, Any], lang: str) -> dict[str, Any]:
    if is_select_one(q):
        return {
            "type": "select_one",
            "label": qlabel(q, lang),
            "type_options": {"choices": [ovalue(o) for o in options(q)]},
        }
    if is_multi(q):
        return {
            "type": "select_many",
            "label": qlabel(q, lang),
            "type_options": {"choices": [ovalue(o) for o in options(q)]},
        }
    if is_number(q):
        rng = [q["min"], q["max"]] if q.get("min") is not None and q.get("max") is not None else None
        return {"type": "numeric", "label": qlabel(q, lang), "type_options": {"range": rng} if rng else {}}
    # an open question: each row says what it holds (text); free text may identify someone
    return {"type": "open", "label": qlabel(q, lang), "type_options": {}, "is_personal_information": True}


def _floip_ts(dt: datetime) -> str:
    # RFC 3339 with an explicit +00:00 offset (the specification asks for it instead of Z)
    return (
        (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc))
        .astimezone(timezone.utc)
        .isoformat(timespec="seconds")
    )


def floip_package(
    poll: Poll,
    respondents,
    responses,
    stories=(),
    lang: str = "fr",
    created: datetime | None = None,
    min_group_size: int = 1,
    link: bool = False,
    description: str | None = None,
) -> tuple[dict[str, Any], list[list[Any]]]:
    """The Flow Results descriptor (datapackage.json) and its data rows."""
    name = f"athar-poll-{poll.id}-{poll.wave}".lower()
    created_at = created or datetime.now(timezone.utc)
    questions = {qid(q): floip_question(q, lang) for q in poll.questions}
    resp_by_id = {r.id: r for r in respondents if r.consent}
    by_story = {s.id: s for s in stories if s.id is not None}
    contact = Contacts(link)
    hidden = hidden_groups(poll, submissions(poll, respondents, responses, stories), min_group_size)
    rows: list[list[Any]] = []
    ordered = sorted(
        (r for r in responses if r.respondent_id in resp_by_id),
        key=lambda r: (r.answered_at, r.respondent_id, r.question),
    )
    qmap = {qid(q): q for q in poll.questions}
    given: dict[int, dict[str, Any]] = {}
    for r in ordered:
        given.setdefault(r.respondent_id, {})[r.question] = r.value
    asked = {rid: asked_ids(poll.questions, a) for rid, a in given.items()}
    for i, r in enumerate(ordered, start=1):
        q = qmap.get(r.question)
        if q is None or r.question not in asked[r.respondent_id]:
            continue
        value = _story_text(r.value, by_story)
        if value is None or str(value) in hidden.get(r.question, ()):
            continue
        if is_select_one(q):
            value = str(value)
        elif is_multi(q):
            value = [str(v) for v in (value if isinstance(value, list) else str(value).split())]
        if is_select_one(q) or is_multi(q):
            meta: dict[str, Any] | None = {"choice_order": [ovalue(o) for o in options(q)]}
        elif floip_question(q, lang)["type"] == "open":
            meta = {"type": "text", "type_options": {}}
        else:
            meta = None
        who = resp_by_id[r.respondent_id]
        rows.append(
            [
                _floip_ts(r.answered_at),
                str(r.id if r.id is not None else i),
                contact(who),
                instance_id(poll, who),
                r.question,
                value,
                meta,
            ]
        )
    descriptor = {
        "profile": "flow-results-package",
        "flow_results_specification_version": FLOIP_VERSION,
        "created": _floip_ts(poll.created_at),
        "modified": _floip_ts(created_at),
        "id": str(uuid.uuid4()),  # each export is a package of its own (its own contact ids)
        "name": name,
        "title": poll.title or name,
        **({"description": description} if description else {}),
        "resources": [
            {
                "path": f"{name}-responses.json",
                "name": f"{name}-responses",
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
                "schema": {
                    "language": variant(lang).iso639_3,
                    "fields": FLOIP_FIELDS,
                    "questions": questions,
                },
            }
        ],
    }
    return descriptor, rows


def write_floip(
    path: Path,
    poll: Poll,
    respondents,
    responses,
    stories=(),
    lang: str = "fr",
    min_group_size: int = 1,
    link: bool = False,
    description: str | None = None,
) -> Path:
    """A zip holding `datapackage.json` and the responses file it points to."""
    descriptor, rows = floip_package(
        poll,
        respondents,
        responses,
        stories,
        lang,
        min_group_size=min_group_size,
        link=link,
        description=description,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2))
        z.writestr(descriptor["resources"][0]["path"], json.dumps(rows, ensure_ascii=False))
    return path
