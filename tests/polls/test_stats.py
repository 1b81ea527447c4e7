"""Pure statistics and poll rules, checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from domain.polls import (
    GroupResult,
    Question,
    custom_question,
    disability_from_wg,
    mann_whitney_u,
    median,
    pseudonym,
    sign_test,
    suppress,
    tag_story,
    wilcoxon_signed_rank,
)
from knowledge.polls import load_question_bank


def test_sign_test_exact_values():
    assert sign_test(8, 0) == pytest.approx(2 / 256)
    assert sign_test(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert sign_test(3, 3) == 1.0  # capped at 1
    assert sign_test(0, 0) is None
    assert sign_test(1, 0) == 1.0


def test_wilcoxon_exact_without_ties():
    r = wilcoxon_signed_rank([1, 2, 3, 4, 5, 6, 7, 8])
    assert r.exact and r.w_minus == 0 and r.w_plus == 36
    assert r.p == pytest.approx(2 / 256)
    # one negative difference with the smallest rank: W- = 1 → P(W<=1) = 2/256
    r = wilcoxon_signed_rank([-1, 2, 3, 4, 5, 6, 7, 8])
    assert r.w_minus == 1 and r.p == pytest.approx(4 / 256)
    # zeros are dropped
    assert wilcoxon_signed_rank([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]).p == pytest.approx(2 / 256)
    assert wilcoxon_signed_rank([0, 0]).p is None


def test_wilcoxon_with_ties_uses_the_corrected_normal_approximation():
    d = [1, 1, 1, 1, 1, 1, 2, 2, -1, -1]
    r = wilcoxon_signed_rank(d)
    assert not r.exact
    # |d|: eight 1s (mid-rank 4.5) and two 2s (mid-rank 9.5)
    assert r.w_minus == pytest.approx(9.0) and r.w_plus == pytest.approx(46.0)
    n = 10
    var = n * (n + 1) * (2 * n + 1) / 24 - ((8**3 - 8) + (2**3 - 2)) / 48
    z = (abs(46 - 27.5) - 0.5) / math.sqrt(var)
    assert r.p == pytest.approx(math.erfc(z / math.sqrt(2)))


def test_mann_whitney():
    r = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert r.u == 9 and r.effect == 1.0
    var = 3 * 3 / 12 * 7
    z = (abs(9 - 4.5) - 0.5) / math.sqrt(var)
    assert r.p == pytest.approx(math.erfc(z / math.sqrt(2)))
    same = mann_whitney_u([3, 3, 3], [3, 3])
    assert same.p is None and same.effect == 0.5
    assert mann_whitney_u([], [1]).p is None


def test_median():
    assert median([1, 5, 3]) == 3 and median([1, 2, 3, 4]) == 2.5 and median([]) is None


def test_suppression_hides_small_groups_and_one_more():
    groups = [
        GroupResult(group="female", n=12, suppressed=False, median=4),
        GroupResult(group="male", n=3, suppressed=False, median=2),
    ]
    out = suppress(groups, 5)
    assert all(g.suppressed and g.n == 0 and g.median is None for g in out)
    three = [GroupResult(group=g, n=n, suppressed=False) for g, n in (("a", 2), ("b", 7), ("c", 9))]
    out = {g.group: g for g in suppress(three, 5)}
    assert out["a"].suppressed and out["b"].suppressed and not out["c"].suppressed
    assert out["c"].n == 9
    fine = suppress(
        [GroupResult(group="x", n=5, suppressed=False), GroupResult(group="y", n=6, suppressed=False)], 5
    )
    assert not any(g.suppressed for g in fine)


def test_pseudonym_has_no_identity_and_depends_on_project_and_key():
    a = pseudonym(b"k", "telegram", "123456789", 1)
    assert "123456789" not in a and "telegram" not in a and len(a) == 64
    assert a == pseudonym(b"k", "telegram", "123456789", 1)
    assert a != pseudonym(b"k", "telegram", "123456789", 2)
    assert a != pseudonym(b"other", "telegram", "123456789", 1)
    assert a != pseudonym(b"k", "whatsapp", "123456789", 1)
    with pytest.raises(ValueError):
        pseudonym(b"", "telegram", "1", 1)


def test_disability_cut_off():
    assert disability_from_wg({"wg_see": 1, "wg_walk": 3}) == "yes"
    assert disability_from_wg({f"wg_{k}": 2 for k in "abcdef"}) == "no"
    assert disability_from_wg({"wg_see": 2}) is None


def test_question_bank_modules_and_values():
    bank = load_question_bank()
    qs = bank.build()
    ids = [q.id for q in qs]
    core = [q for q in qs if q.module == "core"]
    assert 6 <= len(core) <= 8 and ids[-1] == "change" and {"sex", "age_band"} <= set(ids)
    for q in qs:
        for lang in ("fr", "ar", "ary", "ary-Latn"):
            assert q.text_in(lang)
    all_q = bank.build(["migrants", "wellbeing", "wg"], publics=["youth", "women"])
    assert "public" in [q.id for q in all_q] and "wg_talk" in [q.id for q in all_q]
    with pytest.raises(ValueError):
        bank.build(["core"])  # mandatory modules are not chosen
    scale = next(q for q in qs if q.kind == "scale5")
    assert scale.coerce("4") == 4 and scale.coerce(6) is None and scale.coerce("x") is None
    assert scale.match_typed("🙂", "fr") == 4
    custom = custom_question("bus", {"fr": "Le bus passe-t-il ?"}, "yes_no", bank)
    assert custom.coerce("yes") == "yes" and custom.coerce("maybe") is None
    with_custom = bank.build(custom=[custom])
    assert [q.id for q in with_custom][-2:] == ["bus", "change"]
    with pytest.raises(ValueError):
        Question(id="Bad Id", kind="text", text={"fr": "x"})


def test_story_tagging():
    lex = load_question_bank().lexicon
    tags, pol = tag_story("J'ai trouvé un travail et je suis content", lex)
    assert "autonomy" in tags and pol == "positive"
    tags, pol = tag_story("Walo, ma tbddel walo", lex)
    assert tags == ["other"] and pol == "negative"
    assert tag_story(None, lex) == (["other"], None)
