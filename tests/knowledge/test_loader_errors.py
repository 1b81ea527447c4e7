"""A broken catalog fails loudly, naming the file and the field."""

from __future__ import annotations

import pytest

from knowledge.loader import (
    KnowledgeError,
    load_glossary,
    load_indicators,
    load_knowledge,
    load_lessons,
    load_parties,
    load_publics,
    load_templates,
)


def test_clean_copy_loads(kb_copy):
    base = kb_copy("publics.yml", lambda d: None)
    assert len(load_knowledge(base).indicators) >= 60


def test_missing_variant_names_file_item_and_field(kb_copy):
    def drop(d):
        del d["indicators"][3]["label"]["ary-Latn"]

    base = kb_copy("indicators.yml", drop)
    with pytest.raises(KnowledgeError) as err:
        load_indicators(base)
    msg = str(err.value)
    assert "indicators.yml" in msg
    assert "label.ary-Latn" in msg
    assert "micro_enterprises_active_12_months" in msg


def test_empty_variant_is_rejected(kb_copy):
    def blank(d):
        d["publics"][0]["label"]["ary"] = "   "

    base = kb_copy("publics.yml", blank)
    with pytest.raises(KnowledgeError, match=r"publics\.yml.*label\.ary"):
        load_publics(base)


def test_unknown_enum_value_is_rejected(kb_copy):
    def bad_unit(d):
        d["indicators"][0]["unit"] = "litres"

    base = kb_copy("indicators.yml", bad_unit)
    with pytest.raises(KnowledgeError, match=r"indicators\.yml.*field 'unit'"):
        load_indicators(base)


def test_unknown_field_is_rejected(kb_copy):
    def extra(d):
        d["indicators"][0]["colour"] = "blue"

    base = kb_copy("indicators.yml", extra)
    with pytest.raises(KnowledgeError, match=r"field 'colour'"):
        load_indicators(base)


def test_percent_without_denominator_is_rejected(kb_copy):
    def no_den(d):
        ind = next(i for i in d["indicators"] if i["unit"] == "percent")
        del ind["calculation"]["denominator"]

    base = kb_copy("indicators.yml", no_den)
    with pytest.raises(KnowledgeError, match="denominator"):
        load_indicators(base)


def test_duplicate_ids_are_rejected(kb_copy):
    def dup(d):
        d["indicators"][1]["id"] = d["indicators"][0]["id"]

    base = kb_copy("indicators.yml", dup)
    with pytest.raises(KnowledgeError, match=r"indicators\.yml.*duplicate"):
        load_indicators(base)


def test_template_placeholders_must_match_across_variants(kb_copy):
    def typo(d):
        d["effects"][0]["text"]["ary"] = "{horizon}، {who} {chnage}."

    base = kb_copy("templates.yml", typo)
    with pytest.raises(KnowledgeError) as err:
        load_templates(base)
    msg = str(err.value)
    assert "templates.yml" in msg and "effects[basic].text" in msg and "placeholders" in msg


def test_party_needs_both_polarities(kb_copy):
    def only_positive(d):
        d["parties"][2]["examples"] = [e for e in d["parties"][2]["examples"] if e["polarity"] == "positive"]

    base = kb_copy("parties.yml", only_positive)
    with pytest.raises(KnowledgeError, match=r"parties\.yml.*non_selected_peers.*examples"):
        load_parties(base)


def test_trap_needs_triggers(kb_copy):
    def no_triggers(d):
        term = next(t for t in d["terms"] if t["id"] == "result")
        term["triggers"] = []

    base = kb_copy("glossary.yml", no_triggers)
    with pytest.raises(KnowledgeError, match=r"glossary\.yml.*result"):
        load_glossary(base)


def test_lesson_numbering_gap_is_rejected(kb_copy):
    def gap(d):
        d["lessons"][-1]["number"] = 12

    base = kb_copy("lessons.yml", gap)
    with pytest.raises(KnowledgeError, match=r"lessons\.yml.*number"):
        load_lessons(base)


def test_lesson_with_too_many_cards_is_rejected(kb_copy):
    def many(d):
        cards = d["lessons"][0]["cards"]
        d["lessons"][0]["cards"] = cards + cards

    base = kb_copy("lessons.yml", many)
    with pytest.raises(KnowledgeError, match=r"lessons\.yml.*doing_to_changing.*cards"):
        load_lessons(base)


def test_missing_contract_public_is_reported(kb_copy):
    def drop(d):
        d["publics"] = [p for p in d["publics"] if p["id"] != "migrants"]

    base = kb_copy("publics.yml", drop)
    with pytest.raises(KnowledgeError, match=r"publics\.yml.*migrants"):
        load_knowledge(base)


def test_invalid_yaml_syntax_names_the_file(tmp_path):
    (tmp_path / "indicators.yml").write_text("indicators:\n  - id: x\n   label: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"indicators\.yml: invalid YAML"):
        load_indicators(tmp_path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(KnowledgeError, match=r"glossary\.yml: file missing"):
        load_glossary(tmp_path)


def test_bad_output_regex_is_rejected(kb_copy):
    def bad(d):
        d["output_patterns"][0]["patterns"]["fr"] = ["(unclosed"]

    base = kb_copy("coaching.yml", bad)
    with pytest.raises(KnowledgeError, match=r"coaching\.yml.*output_patterns\[people_counted\]\.patterns"):
        load_knowledge(base)


def test_labels_must_cover_exactly_the_fixed_lists(kb_copy):
    def drop(d):
        del d["frequencies"]["semester"]

    base = kb_copy("labels.yml", drop)
    with pytest.raises(KnowledgeError, match=r"labels\.yml.*frequencies: missing \['semester'\]"):
        load_knowledge(base)
