"""Poll results in the shapes other tools read: KoboToolbox XLSX/CSV and FLOIP Flow Results."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime

import pytest

from exports.poll_results import (
    floip_package,
    instance_id,
    kobo_rows,
    write_floip,
    write_kobo_csv,
    write_kobo_xlsx,
)

from tests.exports.polldata import QUESTIONS, make_wave


@pytest.fixture
def wave():
    return make_wave("baseline", 12, 0.0)


def test_kobo_headers_are_the_forms_names_then_kobo_meta(wave):
    cols, rows = kobo_rows(*wave)
    ids = [q["id"] for q in QUESTIONS]
    multi = [f"services/{o}" for o in ("health", "school")]
    # no column the form does not have: no pseudonym, no start/end, no profile without a question
    assert cols == ids[:5] + multi + ids[5:] + [
        "__version__",
        "meta/instanceID",
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
        "_status",
    ]
    assert len(rows) == 12  # the refusal is not a submission
    first = dict(zip(cols, rows[0]))
    assert first["meta/instanceID"] == "uuid:" + first["_uuid"]
    assert first["_index"] == 1 and first["_id"] == 1
    assert first["change"].startswith("Histoire baseline 0")  # the story text, not its id
    chosen = first["services"].split() if first["services"] else []
    assert first["services/health"] == ((1 if "health" in chosen else 0) if chosen else None)
    assert len({r[cols.index("_uuid")] for r in rows}) == 12
    poll, respondents, responses, _ = wave
    for row in rows:  # submitted after the last answer, never before
        sub = dict(zip(cols, row))
        rid = next(r.id for r in respondents if instance_id(poll, r) == sub["_uuid"])
        last = max(a.answered_at for a in responses if a.respondent_id == rid)
        assert datetime.fromisoformat(sub["_submission_time"]) >= last


def test_kobo_columns_keep_group_paths_and_names_as_written(wave):
    poll, *rest = wave
    grouped = [dict(q, group="profil/base") if q["id"] == "sex" else q for q in poll.questions]
    cols, rows = kobo_rows(poll.model_copy(update={"questions": grouped}), *rest)
    assert cols[0] == "profil/base/sex" and "sex" not in cols
    assert {r[0] for r in rows} <= {"female", "male"}


def test_small_profile_groups_are_blanked_in_row_level_files(wave):
    cols, rows = kobo_rows(*wave, min_group_size=5)  # 6 women, 6 men: shown
    assert {r[0] for r in rows} == {"female", "male"}
    cols, rows = kobo_rows(*wave, min_group_size=7)  # both groups under 7: blanked
    assert {r[0] for r in rows} == {None}
    desc, frows = floip_package(*wave, min_group_size=7)
    assert not [r for r in frows if r[4] == "sex"]


def test_each_floip_file_has_its_own_contact_ids_unless_linking_is_asked(tmp_path):
    base = make_wave("baseline", 12, 0.0)
    follow = make_wave("follow-up", 12, 0.4, start_id=100, poll_id=2)
    b_ids = {r[2] for r in floip_package(*base)[1]}
    f_ids = {r[2] for r in floip_package(*follow)[1]}
    again = {r[2] for r in floip_package(*base)[1]}
    assert len(b_ids) == 12 and not b_ids & f_ids and not b_ids & again
    linked_b = {r[2] for r in floip_package(*base, link=True)[1]}
    linked_f = {r[2] for r in floip_package(*follow, link=True)[1]}
    assert linked_b == linked_f  # the same people, linked across the two waves on request


def test_free_text_is_masked_in_row_level_files(wave):
    from domain.privacy import MASK

    poll, respondents, responses, stories = wave
    stories = [s.model_copy(update={"text": s.text + " Appelez-moi au 06 12 34 56 78."}) for s in stories]
    cols, rows = kobo_rows(poll, respondents, responses, stories)
    told = [r[cols.index("change")] for r in rows if r[cols.index("change")]]
    assert told and all(MASK in t and "56 78" not in t for t in told)
    assert all("56 78" not in str(r[5]) for r in floip_package(poll, respondents, responses, stories)[1])


def test_kobo_csv_and_xlsx_read_back(wave, tmp_path):
    poll, respondents, responses, stories = wave
    path = write_kobo_csv(tmp_path / "r.csv", poll, respondents, responses, stories)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert len(rows) == 12
    assert {r["know_help"] for r in rows} <= {"yes", "no"}
    assert all(r["respected"] in "12345" for r in rows)
    from openpyxl import load_workbook

    x = write_kobo_xlsx(tmp_path / "r.xlsx", poll, respondents, responses, stories, lang="ar")
    wb = load_workbook(x)
    data, labels = wb.worksheets
    header = [c.value for c in data[1]]
    assert header == kobo_rows(*wave)[0]
    assert data.max_row == 13
    assert isinstance(data.cell(row=2, column=header.index("months") + 1).value, int)
    texts = [c.value for row in labels.iter_rows() for c in row if c.value]
    assert "أشعر بالاحترام في حيي" in texts and "تماماً" in texts
    assert labels.sheet_view.rightToLeft


def test_floip_package_follows_the_flow_results_specification(wave, tmp_path):
    from pathlib import Path

    import jsonschema

    poll, respondents, responses, stories = wave
    path = write_floip(tmp_path / "r.zip", poll, respondents, responses, stories, lang="fr")
    with zipfile.ZipFile(path) as z:
        desc = json.loads(z.read("datapackage.json"))
        res = desc["resources"][0]
        rows = json.loads(z.read(res["path"]))
    spec = json.loads((Path(__file__).parent / "specs" / "flow-results-1.1.0.schema.json").read_text())
    jsonschema.validate(desc, spec)
    row_schema = {**spec["$defs"]["row"], "$defs": spec["$defs"]}
    for r in rows:
        jsonschema.validate(r, row_schema)
    assert desc["flow_results_specification_version"] == "1.1.0"
    import uuid

    assert uuid.UUID(desc["id"]).version == 4
    assert [f["name"] for f in res["schema"]["fields"]] == [
        "timestamp",
        "row_id",
        "contact_id",
        "session_id",
        "question_id",
        "response",
        "response_metadata",
    ]
    opens = [r for r in rows if r[4] == "change"]
    assert opens and all(r[6] == {"type": "text", "type_options": {}} for r in opens)
    assert res["schema"]["questions"]["change"]["is_personal_information"] is True
    sessions = {}
    for r in rows:
        sessions.setdefault(r[2], set()).add(r[3])
    assert all(len(s) == 1 for s in sessions.values())  # one session per person in a poll
    qs = res["schema"]["questions"]
    assert qs["respected"]["type"] == "select_one"
    assert qs["respected"]["type_options"]["choices"] == ["1", "2", "3", "4", "5"]
    assert qs["services"]["type"] == "select_many" and qs["months"]["type"] == "numeric"
    assert qs["change"]["type"] == "open"
    assert qs["respected"]["label"] == "Je me sens respecté·e dans mon quartier"
    assert all(len(r) == 7 for r in rows)
    assert len({r[1] for r in rows}) == len(rows)  # row ids unique
    assert all(r[0].endswith("+00:00") for r in rows)
    for r in rows:
        if r[4] == "respected":
            assert r[5] in qs["respected"]["type_options"]["choices"]
        if r[4] == "services":
            assert isinstance(r[5], list)
    n_answers = sum(1 for r in responses if r.value is not None)
    assert len(rows) == n_answers
    assert qs["months"]["type_options"] == {"range": [0, 24]}


def test_floip_labels_follow_the_language(wave):
    desc, _ = floip_package(*wave, lang="ar")
    schema = desc["resources"][0]["schema"]
    assert schema["language"] == "ara"
    assert schema["questions"]["know_help"]["label"] == "أعرف أين أتوجه للحصول على المساعدة"


def test_multi_integer_and_skip_logic_read_back(tmp_path):
    """A multi question as a space-separated cell plus 0/1 columns, an integer as a number, and
    an answer whose skip logic no longer holds left out of every export."""
    from openpyxl import load_workbook

    questions = [dict(q) for q in QUESTIONS]
    months = next(q for q in questions if q["id"] == "months")
    months["relevant"] = "selected(${services}, 'health')"
    poll, respondents, responses, stories = make_wave("baseline", 12, 0.0, questions=questions)
    answers: dict[int, dict] = {}
    for r in responses:
        answers.setdefault(r.respondent_id, {})[r.question] = r.value
    asked = {rid for rid, a in answers.items() if "health" in (a.get("services") or [])}
    assert 0 < len(asked) < 12
    x = write_kobo_xlsx(tmp_path / "r.xlsx", poll, respondents, responses, stories)
    data = load_workbook(x).worksheets[0]
    header = [c.value for c in data[1]]
    for row in data.iter_rows(min_row=2, values_only=True):
        cell = dict(zip(header, row))
        chosen = (cell["services"] or "").split()
        assert chosen == sorted(chosen)
        for opt in ("health", "school"):
            assert cell[f"services/{opt}"] == (1 if opt in chosen else 0 if cell["services"] else None)
        if cell["_id"] in asked:
            assert isinstance(cell["months"], int) and 0 <= cell["months"] <= 24
        else:
            assert cell["months"] is None  # not asked: blank, not a stale value
    desc, rows = floip_package(poll, respondents, responses, stories)
    month_rows = [r for r in rows if r[4] == "months"]
    assert len(month_rows) == len(asked)
    assert all(isinstance(r[5], int) for r in month_rows)
    assert all(r[5] == sorted(r[5]) for r in rows if r[4] == "services")
