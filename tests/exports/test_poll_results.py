"""Poll results in the shapes other tools read: KoboToolbox XLSX/CSV and FLOIP Flow Results."""
from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime

import pytest

from exports.poll_results import (
    floip_package, kobo_rows, write_floip, write_kobo_csv, write_kobo_xlsx,
)

from tests.exports.polldata import QUESTIONS, make_wave


@pytest.fixture
def wave():
    return make_wave("baseline", 12, 0.0)


def test_kobo_headers_are_question_names_then_kobo_meta(wave):
    cols, rows = kobo_rows(*wave)
    ids = [q["id"] for q in QUESTIONS]
    assert cols[:2] == ["start", "end"]
    assert [c for c in cols if c in ids] == ids
    assert cols.index("services/health") == cols.index("services") + 1
    for meta in ("meta/instanceID", "_id", "_uuid", "_submission_time", "_index"):
        assert meta in cols
    assert len(rows) == 12  # the refusal is not a submission
    first = dict(zip(cols, rows[0]))
    assert first["meta/instanceID"] == "uuid:" + first["_uuid"]
    assert first["_index"] == 1 and first["_id"] == 1
    datetime.fromisoformat(first["_submission_time"])
    assert first["age_band"] == "18-24"  # profile kept even without a question
    assert first["change"].startswith("Histoire baseline 0")  # the story text, not its id
    chosen = first["services"].split() if first["services"] else []
    assert first["services/health"] == ((1 if "health" in chosen else 0) if chosen else None)
    assert len({r[cols.index("_uuid")] for r in rows}) == 12


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


def test_floip_package_follows_the_flow_results_layout(wave, tmp_path):
    poll, respondents, responses, stories = wave
    path = write_floip(tmp_path / "r.zip", poll, respondents, responses, stories, lang="fr")
    with zipfile.ZipFile(path) as z:
        desc = json.loads(z.read("datapackage.json"))
        res = desc["resources"][0]
        rows = json.loads(z.read(res["path"]))
    assert desc["profile"] == "flow-results-package"
    assert desc["flow_results_specification_version"].startswith("1.0")
    import uuid
    uuid.UUID(desc["id"])
    assert [f["name"] for f in res["schema"]["fields"]] == [
        "timestamp", "row_id", "contact_id", "question_id", "response", "response_metadata"]
    qs = res["schema"]["questions"]
    assert qs["respected"]["type"] == "select_one"
    assert qs["respected"]["type_options"]["choices"] == ["1", "2", "3", "4", "5"]
    assert qs["services"]["type"] == "select_many" and qs["months"]["type"] == "numeric"
    assert qs["change"]["type"] == "open"
    assert qs["respected"]["label"] == "Je me sens respecté·e dans mon quartier"
    assert all(len(r) == 6 for r in rows)
    assert len({r[1] for r in rows}) == len(rows)  # row ids unique
    assert all(r[0].endswith("+00:00") for r in rows)
    for r in rows:
        if r[3] == "respected":
            assert r[4] in qs["respected"]["type_options"]["choices"]
        if r[3] == "services":
            assert isinstance(r[4], list)
    assert "refused" not in {r[2] for r in rows}
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
    month_rows = [r for r in rows if r[3] == "months"]
    assert len(month_rows) == len(asked)
    assert all(isinstance(r[4], int) for r in month_rows)
    assert all(r[4] == sorted(r[4]) for r in rows if r[3] == "services")
