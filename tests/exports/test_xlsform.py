"""XLSForm: a poll goes out as a form pyxform converts; a form comes in as poll questions."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from domain.polls import Question, relevant_holds
from exports.xlsform import XLSFormError, lang_column, read_xlsform, write_xlsform, xlsform_rows

from tests.exports.polldata import QUESTIONS


def bank_questions():
    from knowledge.polls import load_question_bank

    return [q.model_dump() for q in load_question_bank().build(modules=["migrants"])]


def test_a_poll_exports_as_an_xlsform_pyxform_converts(tmp_path):
    from pyxform.xls2xform import convert

    questions = bank_questions()
    path = write_xlsform(tmp_path / "form.xlsx", questions, "Sondage de départ", "athar_demo_1")
    warnings: list[str] = []
    result = convert(str(path), warnings=warnings)
    xml = result.xform
    assert "<h:title>Sondage de départ</h:title>" in xml
    assert 'lang="Arabic (ar)"' in xml and 'lang="French (fr)"' in xml
    for q in questions:
        assert f"/{q['id']}" in xml
    assert "أشعر" in xml or any(q["text"]["ar"][:6] in xml for q in questions)


def test_the_sheets_have_a_label_column_per_language():
    sheets = xlsform_rows(QUESTIONS, "T", "t1")
    header = sheets["survey"][0]
    assert header[:2] == ["type", "name"]
    assert lang_column("label", "fr") in header and lang_column("label", "ar") in header
    types = {r[1]: r[0] for r in sheets["survey"][1:]}
    assert types["respected"] == types["count_on"] and types["respected"].startswith("select_one ")
    assert types["services"].startswith("select_multiple ") and types["months"] == "integer"
    assert types["change"] == "text"
    assert sheets["settings"][1][:2] == ["T", "t1"]


def test_round_trip_keeps_questions_kinds_and_labels(tmp_path):
    questions = bank_questions()
    path = write_xlsform(tmp_path / "f.xlsx", questions, "Titre", "f1")
    form = read_xlsform(path)
    assert form.title == "Titre"
    assert [q["id"] for q in form.questions] == [q["id"] for q in questions]
    for orig, back in zip(questions, form.questions):
        assert back["text"] == orig["text"]
        if orig["kind"] == "scale5":
            assert back["kind"] == "scale5"
            assert [o["value"] for o in back["options"]] == [1, 2, 3, 4, 5]
            assert [o["label"] for o in back["options"]] == [o["label"] for o in orig["options"]]
    # what comes back is a valid poll question for the polls domain
    for q in form.questions:
        Question.model_validate(q)


def _form(
    tmp_path,
    survey,
    choices=(),
    settings=None,
    header=("list_name", "name", "label::Français (fr)", "label::Arabic (ar)"),
):
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in survey:
        ws.append(list(r))
    ch = wb.create_sheet("choices")
    ch.append(list(header))
    for r in choices:
        ch.append(list(r))
    if settings:
        st = wb.create_sheet("settings")
        for r in settings:
            st.append(list(r))
    path = tmp_path / "in.xlsx"
    wb.save(path)
    return path


def test_an_xlsform_with_every_supported_type_and_skip_logic_imports(tmp_path):
    path = _form(
        tmp_path,
        [
            ("type", "name", "label::Français (fr)", "label::Arabic (ar)", "relevant"),
            ("start", "start", "", "", ""),
            ("select_one yn", "trained", "Avez-vous suivi la formation ?", "هل تابعت التكوين؟", ""),
            (
                "select_multiple svc",
                "services",
                "Services utilisés",
                "الخدمات المستعملة",
                "${trained} = 'yes'",
            ),
            ("integer", "months", "Depuis combien de mois ?", "منذ كم شهراً؟", "selected(${services}, 'job')"),
            ("note", "thanks_note", "Merci", "شكراً", ""),
            ("select_one lvl", "level", "Niveau", "المستوى", ""),
            (
                "text",
                "change",
                "Qu'est-ce qui a changé ?",
                "ما الذي تغير؟",
                "${trained} != 'no' and ${level} = 'high'",
            ),
        ],
        choices=[
            ("yn", "yes", "Oui", "نعم"),
            ("yn", "no", "Non", "لا"),
            ("svc", "job", "Emploi", "الشغل"),
            ("svc", "health", "Santé", "الصحة"),
            ("lvl", "low", "Bas", "منخفض"),
            ("lvl", "high", "Haut", "مرتفع"),
        ],
        settings=[("form_title", "default_language"), ("Suivi jeunes", "French (fr)")],
    )
    form = read_xlsform(path)
    assert form.title == "Suivi jeunes"
    by = {q["id"]: q for q in form.questions}
    assert list(by) == ["trained", "services", "months", "level", "change"]
    assert by["trained"]["kind"] == "yes_no"
    assert by["services"]["kind"] == "multi"
    assert [o["value"] for o in by["services"]["options"]] == ["job", "health"]
    assert by["months"]["kind"] == "integer" and by["change"]["kind"] == "text"
    assert by["level"]["kind"] == "choice"
    assert by["trained"]["text"] == {
        "fr": "Avez-vous suivi la formation ?",
        "ar": "هل تابعت التكوين؟",
        "ary": "هل تابعت التكوين؟",
        "ary-Latn": "Avez-vous suivi la formation ?",
    }
    assert by["services"]["relevant"] == "${trained} = 'yes'"
    # skip logic evaluated on answers
    assert relevant_holds(by["services"]["relevant"], {"trained": "yes"})
    assert not relevant_holds(by["services"]["relevant"], {"trained": "no"})
    assert relevant_holds(by["months"]["relevant"], {"services": ["job", "health"]})
    assert not relevant_holds(by["months"]["relevant"], {"services": ["health"]})
    assert relevant_holds(by["change"]["relevant"], {"trained": "yes", "level": "high"})
    assert not relevant_holds(by["change"]["relevant"], {"trained": "yes", "level": "low"})


@pytest.mark.parametrize(
    "survey,message",
    [
        ([("type", "name", "label"), ("select_one nolist", "q1", "Q")], "nolist"),
        (
            [
                ("type", "name", "label", "relevant"),
                ("text", "q1", "Q", "${later} = 'x'"),
                ("text", "later", "L", ""),
            ],
            "survey row 2: relevant refers to 'later', which is not an earlier",
        ),
        (
            [
                ("type", "name", "label", "relevant"),
                ("text", "a", "A", ""),
                ("text", "q1", "Q", "${a} > 3 or regex(${a}, 'x')"),
            ],
            "survey row 3: relevant .* not supported",
        ),
        ([("type", "name", "label"), ("text", "a", "A"), ("text", "a", "B")], r"\[row : 3\].*must be unique"),
        ([("type", "name", "label"), ("text", "1bad", "A")], r"\[row : 2\].*invalid"),
        (
            [("type", "name", "label"), ("integer", "age", "Âge"), ("text", "nom_complet", "Votre nom")],
            "survey row 3: 'nom_complet' asks who the person is",
        ),
        (
            [("type", "name", "label::Arabic (ar)"), ("text", "q9", "ما هو رقم هاتفك؟")],
            "survey row 2: 'q9' asks who the person is",
        ),
    ],
)
def test_a_broken_form_is_refused_with_a_reason(tmp_path, survey, message):
    with pytest.raises(XLSFormError, match=message):
        read_xlsform(_form(tmp_path, survey, choices=[("other", "a", "A", "أ")]))


def test_groups_repeats_any_language_and_names_as_written(tmp_path):
    from pyxform.xls2xform import convert

    from domain.polls import asked_ids, questions_of
    from domain.records import Poll

    path = _form(
        tmp_path,
        [
            ("type", "name", "label::English (en)", "relevant"),
            ("select_one yn", "trained", "Trained?", ""),
            ("begin group", "work-info", "Work", "${trained} = 'yes'"),
            ("select_multiple svc", "services", "Services", ""),
            ("integer", "Months-in-job", "Months", "selected(${services}, 'job')"),
            ("end group", "", "", ""),
            ("begin repeat", "kids", "Children", ""),
            ("integer", "kid_age", "Age", ""),
            ("end repeat", "", "", ""),
            ("text", "change", "What changed?", ""),
        ],
        choices=[
            ("yn", "yes", "Yes", ""),
            ("yn", "no", "No", ""),
            ("svc", "job", "Job", ""),
            ("svc", "health", "Health", ""),
        ],
        header=("list_name", "name", "label::English (en)", "x"),
    )
    form = read_xlsform(path)
    by = {q["id"]: q for q in form.questions}
    assert list(by) == ["trained", "services", "Months-in-job", "change"]  # names as written
    assert by["trained"]["text"]["ar"] == "Trained?"  # an English-only form: its labels everywhere
    assert by["services"]["group"] == by["Months-in-job"]["group"] == "work-info"
    # the group's condition is kept on its questions, joined to their own
    assert by["services"]["relevant"] == "${trained} = 'yes'"
    assert relevant_holds(by["Months-in-job"]["relevant"], {"trained": "yes", "services": ["job"]})
    assert not relevant_holds(by["Months-in-job"]["relevant"], {"trained": "no", "services": ["job"]})
    assert form.unsupported == ["kids"] and "survey row 7" in form.warnings[0]
    poll = Poll(
        project_id=1, token="t", questions=[Question.model_validate(q).model_dump() for q in form.questions]
    )
    assert asked_ids(questions_of(poll), {"trained": "no"}) == {"trained", "change"}
    # and it goes out with its group again
    out = write_xlsform(tmp_path / "back.xlsx", [q.model_dump() for q in questions_of(poll)], "T", "t")
    assert "/work-info/Months-in-job" in convert(str(out), warnings=[]).xform


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"not a zip")
    with pytest.raises(XLSFormError):
        read_xlsform(p)
