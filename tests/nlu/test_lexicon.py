"""Publics and domains from the lexicon (nlu/lexicon.py), with Arabic clitics and suffixes."""

import pytest

from nlu.lexicon import find_entities


@pytest.mark.parametrize(
    "text, expected",
    [
        ("يحصل الشباب المستفيدون على عمل", [("public", "youth"), ("domain", "employment_income")]),
        ("تحسنت وظائفهم ومداخيلهم", [("domain", "employment_income"), ("domain", "employment_income")]),
        ("دعم المقاولة الذاتية للنساء", [("domain", "employment_income"), ("public", "women")]),
        (
            "تقوية المهارات في المؤسسات التعليمية",
            [("domain", "education_training"), ("domain", "education_training")],
        ),
        (
            "تحسن الولوج إلى المستشفى والأدوية",
            [("domain", "health_wellbeing"), ("domain", "health_wellbeing")],
        ),
        ("تعزيز الاندماج الاجتماعي والتعايش", [("domain", "social_ties"), ("domain", "social_ties")]),
        ("إشراك السكان في الميزانية التشاركية", [("domain", "civic_participation")]),
        ("ربط الدوار بالكهرباء", [("domain", "access_services")]),
        ("تقدير الذات لدى الفتيات", [("domain", "empowerment"), ("public", "women")]),
        ("تنظيم المهرجانات والأنشطة الفنية", [("domain", "culture_sport"), ("domain", "culture_sport")]),
        ("تشجير الأزقة", [("domain", "living_environment"), ("domain", "living_environment")]),
        ("استفاد 40 طفلا و20 شابا", [("public", "children"), ("public", "youth")]),
        # set phrases that name no domain
        ("تنظيم ورشات عمل لفائدة النساء", [("public", "women")]),
        ("des ateliers de travail pour les femmes", [("public", "women")]),
        ("إعادة التشغيل", []),
        ("برنامج العمل الجمعوي", [("domain", "civic_participation")]),
    ],
)
def test_find_entities(text, expected):
    assert [(m.entity, m.value) for m in find_entities(text)] == expected
