"""A small coaching lexicon in the four variants, for the pure-rule tests (the real one lives in
the knowledge base; tests/effects/test_with_knowledge.py runs the same rules on it)."""

from __future__ import annotations

from domain.effects import Lexicon

# inflections and attached pronouns after an Arabic-script form (knowledge/coaching.yml)
SUFFIXES = "(?:ات|تا|ت|وا|و|ون|ين|ان|ا|ي)?(?:هما|ها|هم|هن|ه|كم|ك|ني|نا)?"

LEXICON = Lexicon(
    arabic_suffixes=SUFFIXES,
    activity_verbs={
        "organiser": ["organis", "animer", "تنظيم", "ننظم", "ننظمو", "نديرو", "ndiro", "nnadmo"],
        "former": ["former", "formation", "تكوين", "نكون", "نكونو", "nkawno", "takwin"],
        "sensibiliser": ["sensibilis", "تحسيس", "توعية", "نحسسو", "n7essso"],
        "distribuer": ["distribu", "توزيع", "نوزع", "نفرقو", "nfer9o"],
    },
    output_patterns={
        "people_counted": [
            r"\b\d+\s+(?:[\w'-]+\s+){0,3}?(?:formée?s?|sensibilisée?s?|participants?)\b",
            r"\d+\s+(?:\S+\s+){0,3}?(?:مستفيدا|مستفيدين|تم تكوينهم)",
            r"\d+\s+(?:\S+\s+){0,3}?(?:تكونو|حضرو)",
            r"\b\d+\s+(?:\S+\s+){0,3}?(?:tkawno|7dro)\b",
        ],
        "deliverables_counted": [
            r"\b\d+\s+(?:[\w'-]+\s+){0,2}?(?:tenue?s?|distribuée?s?)\b",
            r"\d+\s+(?:\S+\s+){0,2}?(?:موزعة|منظمة)",
            r"\d+\s+(?:\S+\s+){0,2}?(?:تفرقو|تدارو)",
            r"\b\d+\s+(?:\S+\s+){0,2}?(?:tfer9o|tdaro)\b",
        ],
    },
    actor_subjects=[
        "nous",
        "on va",
        "la commune",
        "نحن",
        "الجماعة",
        "حنا",
        "غادي نديرو",
        "7na",
        "ghadi ndiro",
        "ljama3a",
    ],
    change_verbs=[
        "trouv",
        "amélior",
        "augment",
        "diminu",
        "utilisent",
        "se sentent",
        "يجد",
        "يحصلون",
        "تتحسن",
        "يلقاو",
        "تحسن",
        "كيحسو",
        "yl9aw",
        "t7essen",
        "ky7esso",
    ],
    publics={
        "youth": ["jeunes", "jeune", "filles", "الشباب", "شباب", "chabab", "drari"],
        "women": ["femmes", "النساء", "العيالات", "nssa", "l3yalat"],
    },
    domains={
        "employment_income": ["emploi", "travail", "الشغل", "عمل", "الخدمة", "خدمة", "khedma"],
        "social_ties": ["voisins", "الجيران", "jiran"],
    },
    directions={
        "increase": ["plus", "augment", "أكثر", "كثر", "ktar"],
        "decrease": ["moins", "diminu", "أقل", "قل", "9el"],
    },
    pronouns=["ils", "elles", "هم", "هوما", "homa"],
)
