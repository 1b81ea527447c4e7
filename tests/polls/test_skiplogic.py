"""XLSForm skip logic read by a real parser (domain.skiplogic): XPath precedence, quoted strings,
functions, numbers, and clear refusals."""

from __future__ import annotations

import pytest

from domain.skiplogic import SkipLogicError, parse


@pytest.mark.parametrize(
    "expr,answers,expected",
    [
        # `and` binds tighter than `or`, whatever the order they are written in
        ("${a} = 'x' or ${b} = 'y' and ${c} = 'z'", {"a": "x"}, True),
        ("${a} = 'x' or ${b} = 'y' and ${c} = 'z'", {"b": "y"}, False),
        ("${b} = 'y' and ${c} = 'z' or ${a} = 'x'", {"a": "x"}, True),
        ("(${a} = 'x' or ${b} = 'y') and ${c} = 'z'", {"a": "x"}, False),
        # a quoted string may hold "and", "or", parentheses
        ("${q} = 'rock and roll'", {"q": "rock and roll"}, True),
        ('${q} != "a (b) or c"', {"q": "a (b) or c"}, False),
        # numbers compare as numbers, an unanswered question is empty
        ("${age} >= 18 and ${age} < 30", {"age": 25}, True),
        ("${age} >= 18", {"age": "9"}, False),
        ("${months} = '12'", {"months": 12}, True),
        ("${x} = ''", {}, True),
        ("${n} * 2 + 1 > 6 div 2", {"n": 2}, True),
        ("-${n} < 0", {"n": 1}, True),
        # select_multiple answers
        ("selected(${svc}, 'job')", {"svc": ["health", "job"]}, True),
        ("count-selected(${svc}) >= 2 and not(selected(${svc}, 'school'))", {"svc": ["a", "b"]}, True),
        ("string-length(${t}) > 3", {"t": "abcd"}, True),
        ("true() and not(false())", {}, True),
    ],
)
def test_conditions_evaluate_as_xpath_does(expr, answers, expected):
    assert parse(expr).holds(answers) is expected


def test_references_are_listed_in_order_and_names_keep_their_case():
    assert parse("${Age} > 3 and selected(${work-info.svc}, 'x')").refs() == ["Age", "work-info.svc"]


@pytest.mark.parametrize(
    "expr,message",
    [
        ("regex(${a}, '^x')", "not supported"),
        ("${a} = ", "unexpected"),
        ("(${a} = 'x'", r"expected '\)', found 'the end'"),
        ("${a} = 'x' 'y'", "unexpected"),
        ("selected(${a})", "takes 2"),
        ("${a} = 'x", "cannot read"),
    ],
)
def test_what_it_cannot_read_is_refused_with_a_reason(expr, message):
    with pytest.raises(SkipLogicError, match=message):
        parse(expr)
