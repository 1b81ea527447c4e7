"""Lexicons of target publics and domains in the four variants, and a matcher for them.

Surface forms are written as people type them; they are normalised (nlu.normalize) when the
matcher is built. Arabic forms are written without the article: the matcher accepts the clitics
و ف ب ل ك د and the article ال / لل in front ("للشباب", "فالحومة"); Arabizi forms accept
l / el / d / f / b in front ("lchabab", "fl7ouma"). The same lists feed the Rasa lookup tables and
synonyms when training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlu.normalize import is_arabic_char, map_span, normalize_with_map, normalize

PUBLIC_FORMS: dict[str, list[str]] = {
    "youth": [
        "jeunes",
        "jeune",
        "jeunesse",
        "adolescents",
        "adolescentes",
        "jeunes diplômés",
        "شباب",
        "شبان",
        "يافعين",
        "اليافعين",
        "فتيان",
        "شاب",
        "شابا",
        "الشابات",
        "شابات",
        "دراري",
        "الدراري",
        "شبيبة",
        "chabab",
        "chbab",
        "chebab",
        "shabab",
        "drari",
        "lchabab",
        "jeun",
    ],
    "women": [
        "femmes",
        "femme",
        "filles",
        "jeunes filles",
        "mères",
        "cooperatives féminines",
        "نساء",
        "النساء",
        "المرأة",
        "امرأة",
        "نسوة",
        "الفتيات",
        "فتيات",
        "الأمهات",
        "عيالات",
        "العيالات",
        "نسا",
        "البنات",
        "بنات",
        "الموليات",
        "l3yalat",
        "3yalat",
        "3yalat",
        "l3ayalat",
        "nsa",
        "nssa",
        "lbnat",
        "bnat",
        "lmra",
    ],
    "disability": [
        "personnes handicapées",
        "handicapés",
        "handicapées",
        "handicapé",
        "handicap",
        "situation de handicap",
        "besoins spécifiques",
        "mobilité réduite",
        "PSH",
        "إعاقة",
        "الإعاقة",
        "ذوي الإعاقة",
        "معاقين",
        "المعاقين",
        "الأشخاص في وضعية إعاقة",
        "الاحتياجات الخاصة",
        "ذوي الاحتياجات الخاصة",
        "وضعية إعاقة",
        "المعاقين",
        "اللي عندهم إعاقة",
        "الهانديكاب",
        "m3a9in",
        "mo3a9in",
        "m3aqin",
        "i3a9a",
        "l'i3a9a",
        "li 3ndhom i3a9a",
        "handicapi",
        "lhandicap",
    ],
    "migrants": [
        "migrants",
        "migrantes",
        "migrant",
        "réfugiés",
        "réfugiées",
        "subsahariens",
        "étrangers",
        "مهاجرين",
        "المهاجرين",
        "المهاجرون",
        "مهاجرون",
        "اللاجئين",
        "لاجئين",
        "الأجانب",
        "مهاجرا",
        "المهاجرات",
        "اللاجئون",
        "الميگرون",
        "الأفارقة",
        "mohajirin",
        "lmohajirin",
        "mhajrin",
        "lmhajrin",
        "l'mohajirin",
        "migri",
        "lafari9a",
        "afari9a",
    ],
    "children": [
        "enfants",
        "enfant",
        "écoliers",
        "petits",
        "élèves du primaire",
        "tout-petits",
        "أطفال",
        "الأطفال",
        "طفل",
        "الطفل",
        "الطفولة",
        "تلاميذ الابتدائي",
        "طفلا",
        "طفلة",
        "طفلات",
        "الدراري الصغار",
        "دراري صغار",
        "الصغار",
        "الولاد",
        "البراهش",
        "ولاد صغار",
        "drari sghar",
        "sghar",
        "ssghar",
        "lwlad",
        "wlad",
        "lbrahech",
        "brahech",
        "atfal",
        "l'atfal",
    ],
    "elderly": [
        "personnes âgées",
        "âgés",
        "âgées",
        "aînés",
        "seniors",
        "retraités",
        "anciens",
        "المسنين",
        "مسنين",
        "المسنون",
        "كبار السن",
        "الشيوخ",
        "المتقاعدين",
        "مسنا",
        "المسنات",
        "الشيباني",
        "الشيابين",
        "كبار فالسن",
        "الناس الكبار",
        "العواجز",
        "chyoukh",
        "chyou5",
        "chibani",
        "chyab",
        "lchyab",
        "kbar f sen",
        "kbar fsen",
        "lkbar",
        "l3wajez",
        "nas lkbar",
        "mosinin",
        "lmosinin",
    ],
}

DOMAIN_FORMS: dict[str, list[str]] = {
    "employment_income": [
        "emploi",
        "travail",
        "revenu",
        "revenus",
        "salaire",
        "stage",
        "stages",
        "insertion professionnelle",
        "auto-emploi",
        "chômage",
        "activité génératrice de revenus",
        "AGR",
        "boulot",
        "job",
        "الشغل",
        "شغل",
        "التشغيل",
        "تشغيل",
        "الدخل",
        "دخل",
        "مدخول",
        "البطالة",
        "فرص عمل",
        "سوق الشغل",
        "منصب شغل",
        "التدريب المهني",
        "العمل",
        "عمل",
        "الوظيفة",
        "وظيفة",
        "الوظائف",
        "وظائف",
        "فرص الشغل",
        "فرص العمل",
        "مناصب الشغل",
        "مناصب شغل",
        "منصب عمل",
        "سوق العمل",
        "الإدماج المهني",
        "الإدماج الاقتصادي",
        "التشغيل الذاتي",
        "المقاولة",
        "المقاولات",
        "المقاولة الذاتية",
        "الأنشطة المدرة للدخل",
        "مشاريع مدرة للدخل",
        "مدرة للدخل",
        "المداخيل",
        "الأجور",
        "الأجر",
        "الراتب",
        "الرواتب",
        "القدرة الشرائية",
        "المهن",
        "مهنة",
        "خدمة",
        "الخدمة",
        "الفلوس",
        "المدخول",
        "الخدمة ديالهم",
        "khedma",
        "khdma",
        "lkhedma",
        "lkhdma",
        "l5edma",
        "5edma",
        "flous",
        "lflous",
        "dkhel",
        "chghol",
        "lmadkhoul",
        "stage",
        "travail",
    ],
    "education_training": [
        "formation",
        "formations",
        "éducation",
        "école",
        "scolarité",
        "scolarisation",
        "apprentissage",
        "alphabétisation",
        "soutien scolaire",
        "études",
        "décrochage scolaire",
        "التعليم",
        "تعليم",
        "التكوين",
        "تكوين",
        "التربية",
        "المدرسة",
        "مدرسة",
        "الدراسة",
        "محو الأمية",
        "التمدرس",
        "الهدر المدرسي",
        "الدعم المدرسي",
        "التعلم",
        "التعلمات",
        "الجامعة",
        "التعليم الأولي",
        "الإعدادية",
        "الثانوية",
        "المدارس",
        "المؤسسات التعليمية",
        "المهارات",
        "الكفاءات",
        "القراءة والكتابة",
        "التكوين المهني",
        "التدريب",
        "الدورات التكوينية",
        "دورات تكوينية",
        "تكويني",
        "التعليمي",
        "التربوي",
        "الدعم التربوي",
        "الانقطاع عن الدراسة",
        "القراية",
        "قراية",
        "الليكول",
        "المدرسة",
        "دراسي",
        "الدراسيه",
        "مدرسي",
        "الاعدادي",
        "الثانوي",
        "collège",
        "lycée",
        "9raya",
        "l9raya",
        "qraya",
        "lqraya",
        "formation",
        "madrasa",
        "lmadrasa",
        "lakol",
        "lycee",
        "takwin",
        "ta3lim",
        "tt3lim",
    ],
    "health_wellbeing": [
        "santé",
        "bien-être",
        "soins",
        "médical",
        "médicale",
        "maladie",
        "maladies",
        "nutrition",
        "santé mentale",
        "hygiène",
        "الصحة",
        "صحة",
        "الرعاية الصحية",
        "الرفاه",
        "الصحة النفسية",
        "العلاج",
        "المرض",
        "المستشفى",
        "المستوصف",
        "المراكز الصحية",
        "العلاجات",
        "الأدوية",
        "الدواء",
        "التطبيب",
        "الأطباء",
        "التغذية",
        "سوء التغذية",
        "الأمراض",
        "التلقيح",
        "الفحوصات الطبية",
        "الفحص الطبي",
        "طبي",
        "الطبية",
        "الدعم النفسي",
        "الراحة النفسية",
        "الرفاهية",
        "السبيطار",
        "الطبيب",
        "الدوا",
        "الصحة ديالهم",
        "صحي",
        "الصحيه",
        "sanitaire",
        "sanitaires",
        "sse7a",
        "se7a",
        "sa7a",
        "s7a",
        "sbitar",
        "sbitar",
        "tbib",
        "ttbib",
        "dwa",
        "ddwa",
        "saha",
    ],
    "social_ties": [
        "liens sociaux",
        "lien social",
        "relations",
        "solidarité",
        "cohésion sociale",
        "voisins",
        "vivre-ensemble",
        "vivre ensemble",
        "isolement",
        "entraide",
        "الروابط الاجتماعية",
        "العلاقات الاجتماعية",
        "التضامن",
        "التماسك الاجتماعي",
        "العزلة",
        "الجيران",
        "العيش المشترك",
        "التآزر",
        "الاندماج الاجتماعي",
        "الإدماج الاجتماعي",
        "التعايش",
        "الروابط",
        "العلاقات الأسرية",
        "الشعور بالانتماء",
        "الانتماء",
        "الإقصاء",
        "التهميش",
        "العزلة الاجتماعية",
        "العلاقات",
        "العلاقة بين الناس",
        "الجيران",
        "التعاون بين الناس",
        "l3ala9at",
        "3ala9at",
        "l3ala9a",
        "jiran",
        "ljiran",
        "tadamon",
        "tta3awn",
        "t3awn",
    ],
    "civic_participation": [
        "participation citoyenne",
        "participation",
        "vie locale",
        "citoyenneté",
        "vote",
        "conseil communal",
        "décisions de la commune",
        "vie de la commune",
        "bénévolat",
        "المشاركة المواطنة",
        "المشاركة",
        "الحياة المحلية",
        "المواطنة",
        "الشأن المحلي",
        "التطوع",
        "العمل الجمعوي",
        "التصويت",
        "المجلس الجماعي",
        "الانتخابات",
        "التشاور",
        "الحوار",
        "الديمقراطية التشاركية",
        "المقاربة التشاركية",
        "المجتمع المدني",
        "العرائض",
        "الميزانية التشاركية",
        "الحياة العامة",
        "الشأن المحلي",
        "القرارات ديال الجماعة",
        "mocharaka",
        "lmocharaka",
        "mucharaka",
        "tatawo3",
        "chan lmahalli",
        "l9rarat dyal jma3a",
    ],
    "access_services": [
        "accès aux services",
        "services publics",
        "service public",
        "administration",
        "démarches",
        "état civil",
        "transport",
        "services de base",
        "documents administratifs",
        "الولوج إلى الخدمات",
        "الخدمات العمومية",
        "الخدمات",
        "الإدارة",
        "الخدمات الأساسية",
        "الحالة المدنية",
        "النقل",
        "الوثائق الإدارية",
        "الماء الصالح للشرب",
        "الكهرباء",
        "المرافق العمومية",
        "المرافق",
        "وسائل النقل",
        "التنقل",
        "الإدارات",
        "المصالح الإدارية",
        "الوثائق",
        "البطاقة الوطنية",
        "الخدمات الاجتماعية",
        "الحماية الاجتماعية",
        "الولوجيات",
        "الوراق",
        "الإدارة",
        "الطوبيس",
        "الخدمات ديال الجماعة",
        "lkhadamat",
        "khadamat",
        "lidara",
        "l'idara",
        "lwra9",
        "wra9",
        "tobis",
        "ttobis",
        "transport",
    ],
    "empowerment": [
        "autonomie",
        "confiance en soi",
        "estime de soi",
        "prise de décision",
        "leadership",
        "pouvoir d'agir",
        "autonomisation",
        "التمكين",
        "تمكين",
        "الثقة بالنفس",
        "الاستقلالية",
        "القيادة",
        "اتخاذ القرار",
        "تقدير الذات",
        "الاعتماد على النفس",
        "الاستقلال المادي",
        "صنع القرار",
        "ثقة بأنفسهن",
        "ثقتهن بأنفسهن",
        "الثقة في أنفسهم",
        "ثقة في أنفسهم",
        "ثقة في أنفسهن",
        "واثقين فراسهم",
        "واثقات فراسهم",
        "الثقة فالراس",
        "الثقة فراسهم",
        "الثقة فراسهوم",
        "يعتامدو على راسهم",
        "confiance en eux",
        "confiance en elles",
        "ثقه بانفسهم",
        "ثقتهم بانفسهم",
        "الثقه في النفس",
        "t9a f rashom",
        "t9a f rasshom",
        "wat9in f rashom",
        "wat9in f rasshom",
        "wati9in f rashom",
        "ti9a f nafs",
        "tamkin",
        "l'autonomie",
        "ti9a",
        "tti9a",
        "t9a",
    ],
    "culture_sport": [
        "culture",
        "culturel",
        "culturelle",
        "culturelles",
        "sport",
        "sportif",
        "sportive",
        "sportives",
        "théâtre",
        "musique",
        "football",
        "bibliothèque",
        "الثقافة",
        "ثقافة",
        "الرياضة",
        "رياضة",
        "الأنشطة الرياضية",
        "الأنشطة الثقافية",
        "المسرح",
        "الموسيقى",
        "الكورة",
        "الرياضة",
        "المكتبة",
        "الفن",
        "الفنون",
        "الأنشطة الفنية",
        "المهرجان",
        "المهرجانات",
        "الأنشطة الترفيهية",
        "الترفيه",
        "الملعب",
        "الملاعب",
        "ملعب القرب",
        "كرة القدم",
        "التظاهرات الرياضية",
        "الأنشطة الرياضية والثقافية",
        "riyada",
        "rriyada",
        "sport",
        "lkora",
        "kora",
        "t9afa",
        "taqafa",
        "ttaqafa",
        "lmasra7",
        "lmousi9a",
    ],
    "living_environment": [
        "cadre de vie",
        "environnement",
        "propreté",
        "espaces verts",
        "déchets",
        "assainissement",
        "éclairage public",
        "logement",
        "quartier",
        "البيئة",
        "إطار العيش",
        "النظافة",
        "المساحات الخضراء",
        "النفايات",
        "التطهير",
        "الإنارة العمومية",
        "السكن",
        "الحي",
        "الأزقة",
        "الإنارة",
        "التشجير",
        "الحدائق",
        "الحديقة",
        "الأحياء",
        "المحيط",
        "الصرف الصحي",
        "التلوث",
        "جمع النفايات",
        "الأزبال",
        "المطرح",
        "الحومة",
        "الزبل",
        "الضو",
        "الدرب",
        "n9aya",
        "nn9aya",
        "l7ouma",
        "7ouma",
        "zbel",
        "zzbel",
        "lbi2a",
        "bi2a",
        "ddaw",
        "derb",
        "lhouma",
    ],
}

# Set phrases that hold a form above but name no public or domain: a "workshop" (ورشة عمل, atelier
# de travail) is not about employment. A match that lies inside one of them is dropped (Rasa's too).
NOT_ENTITY_FORMS: list[str] = [
    "atelier de travail",
    "ateliers de travail",
    "groupe de travail",
    "groupes de travail",
    "réunion de travail",
    "réunions de travail",
    "plan de travail",
    "séance de travail",
    "ورشة عمل",
    "ورشات عمل",
    "ورشات العمل",
    "ورشة العمل",
    "خطة عمل",
    "خطة العمل",
    "برنامج عمل",
    "برنامج العمل",
    "مخطط عمل",
    "فريق العمل",
    "فريق عمل",
    "لقاء عمل",
    "لقاءات عمل",
    "اجتماع عمل",
    "زيارة عمل",
    "العمل على",
    "عمل على",
    "جلسة عمل",
    "جلسات عمل",
    "إعادة التشغيل",
    "إعادة تشغيل",
    "اعادة التشغيل",  # "restart", not employment
]

_AR_PREFIX = r"(?:[وفبلكد]?(?:ال|لل)?)"
_LAT_PREFIX = r"(?:(?:l|el|d|f|b|fl|bl|dl|w)'?)?"


_AR_SUFFIX = r"(?:ه|ها|هم|هن|هما|نا|ي|ك|كم)"


def _ar_body(stem: str) -> str:
    """An Arabic form with the pronoun suffixes it can take (دراسه → دراستهن, صحه → صحتهم)."""
    if " " in stem:
        return re.escape(stem)
    if stem.endswith("ه") and len(stem) > 2:
        return f"{re.escape(stem[:-1])}(?:ه|ت{_AR_SUFFIX})"
    return f"{re.escape(stem)}{_AR_SUFFIX}?"


@dataclass(frozen=True)
class Match:
    entity: str
    value: str
    start: int
    end: int


def _stem_ar(form: str) -> str:
    if form.startswith("ال") and len(form) > 4:
        return form[2:]
    return form


@dataclass(frozen=True)
class _Alt:
    key: str  # the named group (its value in _VALUES)
    core: str  # a substring every match of `pattern` contains (the prefilter)
    pattern: str


@lru_cache(maxsize=1)
def _alternatives() -> dict[str, tuple[_Alt, ...]]:
    """Per entity, the forms as regex alternatives, longest first (so "drari sghar" beats
    "drari"), each with the literal core any of its matches contains."""
    out: dict[str, tuple[_Alt, ...]] = {}
    for entity, table in (("public", PUBLIC_FORMS), ("domain", DOMAIN_FORMS)):
        forms: list[tuple[str, str]] = []
        for value, surfaces in table.items():
            for s in surfaces:
                n = normalize(s)
                forms.append((n, value))
        alts: list[_Alt] = []
        values: dict[str, str] = {}
        for n, value in sorted(set(forms), key=lambda f: (-len(f[0]), f[0], f[1])):
            key = f"g{len(values)}"
            if any(is_arabic_char(c) for c in n):
                stem = _stem_ar(n)
                core = stem[:-1] if (" " not in stem and stem.endswith("ه") and len(stem) > 2) else stem
                alts.append(_Alt(key, core, f"(?P<{key}>{_AR_PREFIX}{_ar_body(stem)})"))
            else:
                alts.append(_Alt(key, n, f"(?P<{key}>{_LAT_PREFIX}{re.escape(n)})"))
            values[key] = value
        out[entity] = tuple(alts)
        _VALUES[entity] = values
    return out


@lru_cache(maxsize=2048)
def _compiled(entity: str, chosen: tuple[int, ...]) -> re.Pattern[str]:
    alts = _alternatives()[entity]
    return re.compile(r"(?<![\w])(?:" + "|".join(alts[i].pattern for i in chosen) + r")(?![\w])")


def _patterns(norm: str | None = None) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns of each entity; given a normalised text, only the alternatives whose core
    occurs in it (the same matches: an alternative without its core in the text cannot match).
    One alternation of every form tried at every word of a message took about 3 ms a text."""
    pats: list[tuple[str, re.Pattern[str]]] = []
    for entity, alts in _alternatives().items():
        chosen = tuple(i for i, a in enumerate(alts) if norm is None or a.core in norm)
        if chosen:
            pats.append((entity, _compiled(entity, chosen)))
    return pats


_VALUES: dict[str, dict[str, str]] = {}


@lru_cache(maxsize=1)
def _not_entity_pattern() -> re.Pattern[str]:
    alts = []
    for n in sorted({normalize(f) for f in NOT_ENTITY_FORMS}, key=lambda f: (-len(f), f)):
        if any(is_arabic_char(c) for c in n):
            alts.append(_AR_PREFIX + re.escape(_stem_ar(n)))
        else:
            alts.append(_LAT_PREFIX + re.escape(n))
    return re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])")


def not_entity_spans(text: str) -> list[tuple[int, int]]:
    """Spans (in `text`) of set phrases that name no public or domain (NOT_ENTITY_FORMS)."""
    norm, mapping = normalize_with_map(text or "")
    return [map_span(mapping, m.start(), m.end()) for m in _not_entity_pattern().finditer(norm)]


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= t for s, t in spans)


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < t and s < end for s, t in spans)


def find_entities(text: str) -> list[Match]:
    """Publics and domains mentioned in `text` (normalised values, original spans)."""
    norm, mapping = normalize_with_map(text or "")
    blocked = not_entity_spans(text)
    out: list[Match] = []
    for entity, rx in _patterns(norm):
        values = _VALUES[entity]
        for m in rx.finditer(norm):
            key = m.lastgroup
            if key is None:
                continue
            a, b = map_span(mapping, m.start(), m.end())
            if inside(blocked, a, b):
                continue
            out.append(Match(entity, values[key], a, b))
    out.sort(key=lambda m: m.start)
    return out


def canonical(entity: str, surface_or_value: str) -> str | None:
    """The normalised value for a Rasa entity (already a value, or a surface form)."""
    table = PUBLIC_FORMS if entity == "public" else DOMAIN_FORMS if entity == "domain" else None
    if table is None:
        return None
    if surface_or_value in table:
        return surface_or_value
    found = [m for m in find_entities(surface_or_value) if m.entity == entity]
    return found[0].value if found else None


def lookup_forms(entity: str) -> dict[str, list[str]]:
    """value → normalised surface forms, with common Arabic clitic variants (for Rasa lookups)."""
    table = PUBLIC_FORMS if entity == "public" else DOMAIN_FORMS
    out: dict[str, list[str]] = {}
    for value, surfaces in table.items():
        seen: list[str] = []
        for s in surfaces:
            n = normalize(s)
            variants = [n]
            if any(is_arabic_char(c) for c in n):
                stem = _stem_ar(n)
                variants = [
                    stem,
                    "ال" + stem,
                    "لل" + stem,
                    "و" + "ال" + stem,
                    "ف" + "ال" + stem,
                    "ب" + "ال" + stem,
                    "د" + "ال" + stem,
                    "ل" + stem,
                ]
            elif " " not in n:
                variants = [n, "l" + n, "el" + n] if n[0] not in "l" else [n]
            for v in variants:
                if v not in seen:
                    seen.append(v)
        out[value] = seen
    return out
