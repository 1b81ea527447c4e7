"""Multi-answer and integer questions and skip logic in the pure poll domain."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from domain.polls import (
    Question,
    check_questions,
    compare,
    poll_results,
    question_result,
    relevant_holds,
)
from domain.records import Poll, Respondent, Response


def four(text: str) -> dict[str, str]:
    return {"fr": text, "ar": "نص", "ary": "نص", "ary-Latn": text}


def opt(value) -> dict:
    return {"value": value, "label": four(str(value))}


def multi(**kw) -> Question:
    data = {
        "id": "services",
        "kind": "multi",
        "text": four("Services"),
        "options": [opt("job"), opt("health"), opt("school")],
    }
    return Question.model_validate({**data, **kw})


def integer(**kw) -> Question:
    return Question.model_validate({"id": "months", "kind": "integer", "text": four("Mois"), **kw})


def yes_no(qid="trained", **kw) -> Question:
    return Question.model_validate(
        {"id": qid, "kind": "yes_no", "text": four("Formé ?"), "options": [opt("yes"), opt("no")], **kw}
    )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"id": "m", "kind": "multi", "text": four("M")}, "needs options"),
        ({"id": "m", "kind": "multi", "text": four("M"), "options": [opt("a b")]}, "without spaces"),
        ({"id": "m", "kind": "multi", "text": four("M"), "options": [opt(1), opt(2)]}, "without spaces"),
        ({"id": "n", "kind": "integer", "text": four("N"), "options": [opt("a")]}, "has no options"),
        ({"id": "n", "kind": "integer", "text": four("N"), "min": 5, "max": 2}, "min is larger"),
        ({"id": "n", "kind": "text", "text": four("N"), "min": 1}, "only an integer"),
        ({"id": "n", "kind": "text", "text": four("N"), "relevant": "regex(${a}, 'x')"}, "not supported"),
        ({"id": "n", "kind": "text", "text": four("N"), "relevant": "${n} = 'x'"}, "itself"),
    ],
)
def test_invalid_questions_are_refused(data, message):
    with pytest.raises(ValidationError, match=message):
        Question.model_validate(data)


def test_skip_logic_may_only_read_earlier_questions():
    later = Question.model_validate(
        {"id": "q1", "kind": "text", "text": four("Q"), "relevant": "${q2} = 'yes'"}
    )
    with pytest.raises(ValueError, match="not an earlier question"):
        check_questions([later, yes_no("q2")])
    check_questions([yes_no("q2"), later])
    with pytest.raises(ValueError, match="twice"):
        check_questions([yes_no("q2"), yes_no("q2")])


def test_a_multi_answer_is_the_sorted_list_of_its_values():
    q = multi()
    assert q.coerce(["school", "job"]) == ["job", "school"]
    assert q.coerce("school job") == ["job", "school"]
    assert q.coerce("school,job,job") == ["job", "school"]
    assert q.coerce(["job", "nope"]) is None
    assert q.coerce([]) is None and q.coerce(None) is None and q.coerce(3) is None
    assert q.toggled(None, "job") == ["job"]
    assert q.toggled(["job"], "school") == ["job", "school"]
    assert q.toggled(["job"], "job") is None  # nothing left
    assert q.toggled(["job"], "forged") == ["job"]


def test_an_integer_answer_is_a_whole_number_in_range():
    q = integer(min=0, max=60)
    assert q.coerce(12) == 12 and q.coerce("12") == 12 and q.coerce(12.0) == 12
    assert isinstance(q.coerce("12"), int)
    for bad in (12.5, "12.5", "douze", -1, 61, True, None, [], "1e3"):
        assert q.coerce(bad) is None, bad
    assert integer().coerce(-5) == -5 and integer().coerce(10**12) is None


def test_relevant_conditions():
    answers = {"trained": "yes", "services": ["health", "job"], "months": 12, "level": None}
    assert relevant_holds(None, {})
    assert relevant_holds("${trained} = 'yes'", answers)
    assert not relevant_holds("${trained} != 'yes'", answers)
    assert relevant_holds("selected(${services}, 'job')", answers)
    assert not relevant_holds("selected(${services}, 'school')", answers)
    assert relevant_holds("${months} = '12'", answers)
    assert relevant_holds("${trained} = 'no' or selected(${services}, 'health')", answers)
    assert not relevant_holds("${trained} = 'yes' and ${level} = 'high'", answers)
    assert not relevant_holds("${trained} = 'yes'", {})  # not answered: the condition fails


def test_multi_counts_each_option_once_per_respondent():
    q = multi()
    r = question_result(q, [["job", "health"], ["job"], ["job", "job"], None, ["school", "nope"]])
    # ["school", "nope"] is not a valid answer; None is a skip
    assert r.n == 3 and r.skipped == 2
    assert r.distribution == {"job": 3, "health": 1, "school": 0}
    assert r.share("job") == 1.0 and r.share("health") == pytest.approx(1 / 3)
    assert r.median is None and r.favourable is None


def test_integer_results_median_min_max():
    r = question_result(integer(min=0, max=60), [3, 12, 7, None, 61, "8"])
    assert r.n == 4 and r.skipped == 2  # 61 is out of range: not counted
    assert (r.median, r.minimum, r.maximum) == (7.5, 3, 12)
    assert r.distribution == {}
    empty = question_result(integer(), [None])
    assert empty.n == 0 and empty.median is None and empty.minimum is None


T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def wave(poll_id: int, people: list[dict], wave_name="baseline", profiles=None):
    qs = [
        yes_no(),
        multi(relevant="${trained} = 'yes'"),
        integer(min=0, max=60, relevant="selected(${services}, 'job')"),
    ]
    poll = Poll(
        id=poll_id, project_id=1, wave=wave_name, token=f"t{poll_id}", questions=[q.model_dump() for q in qs]
    )
    respondents, responses = [], []
    for n, answers in enumerate(people):
        rid = poll_id * 100 + n
        respondents.append(
            Respondent(
                id=rid,
                poll_id=poll_id,
                pseudonym=f"p{n}",
                consent=True,
                consent_at=T0,
                completed_at=T0,
                profile=(profiles or {}).get(n, {}),
            )
        )
        responses += [Response(respondent_id=rid, question=k, value=v) for k, v in answers.items()]
    return poll, respondents, responses


def test_skipped_by_the_condition_is_not_a_missing_answer():
    poll, respondents, responses = wave(
        1,
        [
            {"trained": "yes", "services": ["job"], "months": 10},
            {"trained": "yes", "services": ["health"]},
            {"trained": "yes", "services": None},  # asked, passed: a skip
            {"trained": "no"},
            # answered "yes" first, then went back and said "no": the stale answers do not count
            {"trained": "no", "services": ["job", "school"], "months": 40},
        ],
    )
    res = poll_results(poll, respondents, responses)
    by = {q.id: q for q in res.questions}
    assert by["trained"].n == 5
    assert by["services"].n == 2 and by["services"].skipped == 1 and by["services"].not_asked == 1
    assert by["services"].distribution == {"job": 1, "health": 1, "school": 0}
    assert by["months"].n == 1 and by["months"].skipped == 0 and by["months"].median == 10
    assert by["months"].not_asked == 1


def test_suppression_and_comparison_keep_working_with_skip_logic():
    bands = {n: {"age_band": "18-24" if n < 7 else "25-34" if n < 13 else "35-59"} for n in range(15)}
    people = [{"trained": "yes", "services": ["job"], "months": 5} for _ in range(15)]
    poll, respondents, responses = wave(1, people, profiles=bands)
    res = poll_results(poll, respondents, responses, min_group_size=5)
    groups = {g.group: g for g in res.breakdowns["trained"]["age_band"]}
    assert not groups["18-24"].suppressed and groups["18-24"].n == 7
    # 35-59 (2 people) is hidden, and so is the next smallest group, so it cannot be worked out
    assert groups["35-59"].suppressed and groups["25-34"].suppressed
    assert groups["35-59"].n == 0 and groups["35-59"].favourable is None
    assert "services" not in res.breakdowns and "months" not in res.breakdowns
    follow = wave(2, [{"trained": "no", "services": ["job"]} for _ in range(15)], "follow-up")
    cmp = compare(poll, respondents, responses, *follow)
    [paired] = cmp.paired
    assert paired.id == "trained" and paired.n_pairs == 15 and paired.worse == 15
