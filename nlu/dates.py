"""Dates as people write them, in the four variants: "février 2027", "15 mars 2027", "يونيو 2027",
"fin mars", "début juin", "f akhir chtenber", "نهاية السنة", "l3am jay", "le mois prochain",
"le mois dernier", "العام اللي فات".

Each date found is a `date` entity whose value says what was written, without resolving it
against today (domain.dates.resolve does, knowing whether a past or a future date is wanted):

    "2027-02-15"   a day            "2027-02"   a month of a year      "2027"   a year
    "--03"         a month, year not said ("fin mars")      "--03-15"  a day of such a month
    "Y+0" / "Y+1"  this year / next year                     "M+0" / "M+1"  this / next month
    prefix "end:", "start:" or "mid:" when it was said ("fin", "début", "mi-", "آخر", "بداية")

Durations ("dans 12 mois", "f 6 chhor") are nlu.numbers' business (entity `duration`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlu.normalize import map_span, normalize, normalize_with_map

# month names, normalised (nlu.normalize): French, MSA (Moroccan, Mashriq and Algerian forms),
# Darija in both scripts
MONTHS: dict[int, list[str]] = {
    1: ["janvier", "janv", "jan", "يناير", "جانفي", "كانون الثاني", "yanayr", "yennayer", "yanayer", "ynayr"],
    2: [
        "fevrier",
        "fev",
        "fevr",
        "fevrie",
        "فبراير",
        "فيفري",
        "شباط",
        "fbrayr",
        "febrayer",
        "fbrayer",
        "febrayr",
    ],
    3: ["mars", "مارس", "اذار", "mars", "mares"],
    4: ["avril", "avr", "ابريل", "افريل", "نيسان", "abril", "ebril"],
    5: ["mai", "ماي", "مايو", "ايار", "may", "mayo"],
    6: ["juin", "يونيو", "يونيه", "جوان", "حزيران", "yonyo", "younyou", "yonyou", "yunyu", "yunyo"],
    7: ["juillet", "juil", "يوليوز", "يوليو", "جويليه", "تموز", "yolyoz", "youlyouz", "yulyuz", "yolyouz"],
    8: ["aout", "غشت", "اغسطس", "اوت", "ghocht", "ghucht", "ghoucht", "ghoct"],
    9: [
        "septembre",
        "sept",
        "sep",
        "شتنبر",
        "سبتمبر",
        "ايلول",
        "chtenber",
        "chtanbir",
        "chtanber",
        "chtenbr",
    ],
    10: ["octobre", "oct", "اكتوبر", "كتوبر", "تشرين الاول", "oktobr", "ktober", "ktobr", "oktober"],
    11: ["novembre", "nov", "نونبر", "نوفمبر", "تشرين الثاني", "nonber", "nounbir", "nonbir", "novembr"],
    12: [
        "decembre",
        "dec",
        "دجنبر",
        "ديسمبر",
        "كانون الاول",
        "dujanber",
        "dejanber",
        "djanbir",
        "dujamber",
        "dojanbir",
    ],
}
# "fin mars", "début juin", "mi-juillet" (the words before a month or a year)
MARKERS: dict[str, list[str]] = {
    "end": [
        "fin",
        "fin de",
        "fin du mois de",
        "a la fin de",
        "a la fin du mois de",
        "avant la fin de",
        "d'ici fin",
        "d'ici la fin de",
        "jusqu'a fin",
        "نهايه",
        "في نهايه",
        "قبل نهايه",
        "مع نهايه",
        "اخر",
        "في اخر",
        "اواخر",
        "فاخر",
        "ف اخر",
        "فالاخر ديال",
        "مع اخر",
        "حتى لاخر",
        "f akhir",
        "f akher",
        "f lakhr dyal",
        "f lakher dyal",
        "akhir",
        "akher",
        "m3a akhir",
        "7ta l akhir",
        "f l'akhir",
        "f lakhir dyal",
    ],
    "start": [
        "debut",
        "au debut de",
        "des le debut de",
        "بدايه",
        "في بدايه",
        "اوائل",
        "مع بدايه",
        "فالبدايه ديال",
        "ف بدايه",
        "f lbdya dyal",
        "f bdya",
        "f lbidaya dyal",
        "f bidayat",
        "m3a bdya",
        "f lowl dyal",
        "f lawel dyal",
    ],
    "mid": [
        "mi",
        "a la mi",
        "milieu",
        "au milieu de",
        "منتصف",
        "في منتصف",
        "وسط",
        "فوسط",
        "ف وسط",
        "f wst",
        "f west",
        "f wast",
    ],
}
# this / next year or month, and the year or month said alone after a marker ("fin d'année")
RELATIVE: dict[str, list[str]] = {
    "Y+1": [
        "l'annee prochaine",
        "l'an prochain",
        "annee prochaine",
        "an prochain",
        "السنه المقبله",
        "العام المقبل",
        "العام القادم",
        "السنه القادمه",
        "العام الجاي",
        "العام اللي جاي",
        "السنه الجايه",
        "l3am jay",
        "l3am li jay",
        "l3am lmaji",
        "l3am lmaj",
        "sna jaya",
        "l3am jayi",
    ],
    "Y+0": [
        "cette annee",
        "de l'annee",
        "d'annee",
        "l'annee",
        "هذه السنه",
        "هذا العام",
        "هاد العام",
        "هاد السنه",
        "السنه",
        "العام",
        "had l3am",
        "had sna",
        "l3am",
        "dyal l3am",
        "had l3am",
    ],
    "M+1": [
        "le mois prochain",
        "du mois prochain",
        "mois prochain",
        "الشهر المقبل",
        "الشهر القادم",
        "الشهر الجاي",
        "chhar jay",
        "chhar li jay",
        "ch-har jay",
    ],
    "M+0": ["ce mois", "ce mois-ci", "du mois", "هذا الشهر", "هاد الشهر", "had chhar", "had ch-har"],
    # the past, for a baseline ("le mois dernier", "العام اللي فات")
    "Y-1": [
        "l'annee derniere",
        "l'an dernier",
        "l'annee passee",
        "annee derniere",
        "an dernier",
        "السنه الماضيه",
        "العام الماضي",
        "السنه الفارطه",
        "العام الفائت",
        "العام اللي فات",
        "العام لي فات",
        "العام الفايت",
        "العام اللول",
        "l3am li fat",
        "l3am lli fat",
        "l3am lfayt",
        "l3am lowl",
        "l3am lowel",
        "l3am lawel",
        "sna li fatet",
    ],
    "M-1": [
        "le mois dernier",
        "le mois passe",
        "mois dernier",
        "الشهر الماضي",
        "الشهر الفائت",
        "الشهر اللي فات",
        "الشهر لي فات",
        "الشهر الفايت",
        "chhar li fat",
        "chhar lli fat",
        "chher li fat",
        "chhar lfayt",
        "ch-har li fat",
    ],
}


# "l3am", "السنة", "du mois" alone are not "this year / month": only after "fin", "début"...
_BARE = {"l'annee", "السنه", "العام", "l3am", "d'annee", "de l'annee", "du mois", "dyal l3am"}


@dataclass(frozen=True)
class DateMention:
    value: str
    start: int
    end: int


def _canon(words: str) -> str:
    return re.sub(r"[\s-]+", " ", normalize(words)).strip()


def _alt(words: list[str]) -> str:
    forms = sorted({normalize(w) for w in words}, key=len, reverse=True)
    return "|".join(re.escape(f).replace(r"\ ", r"[\s-]+") for f in forms)


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], dict[str, int], dict[str, str], dict[str, str]]:
    month_of = {_canon(w): m for m, ws in MONTHS.items() for w in ws}
    marker_of = {_canon(w): k for k, ws in MARKERS.items() for w in ws}
    relative_of = {_canon(w): k for k, ws in RELATIVE.items() for w in ws}
    w = r"(?<![\w])"
    e = r"(?![\w])"
    month = rf"(?P<month>{_alt([x for ws in MONTHS.values() for x in ws])})"
    marker = rf"(?:(?P<marker>{_alt([x for ws in MARKERS.values() for x in ws])})[\s-]*(?:(?:de|du|d'|dyal|ديال)\s*)?)?"
    day = r"(?:(?P<day>[0-3]?\d)(?:er)?[\s-]+)?(?:(?:le\s+)?mois\s+(?:de\s+|d')?|شهر\s+|chhar\s+|ch-har\s+)?"
    year = r"(?:[\s,-]+(?:de\s+|d'|ديال\s+|dyal\s+)?(?P<year>(?:19|20)\d\d))?"
    rel = rf"(?P<rel>{_alt([x for ws in RELATIVE.values() for x in ws])})"
    rx = re.compile(
        rf"{w}{marker}(?:{day}{month}\.?{year}"  # fin mars 2027, 15 fevrier 2027, mars
        rf"|{rel}"  # l'annee prochaine, l3am jay
        rf"|(?P<yonly>(?:19|20)\d\d)){e}"
    )  # fin 2026 (a bare year needs a marker)
    return rx, month_of, marker_of, relative_of


def extract(text: str) -> list[DateMention]:
    """Every date written with a month name, a marker or a relative year or month; a bare year
    ("2026") or digits ("15/03/2027") are left to the digit reader (domain.dates.parse_day)."""
    norm, mapping = normalize_with_map(text or "")
    rx, month_of, marker_of, relative_of = _patterns()
    out: list[DateMention] = []
    for m in rx.finditer(norm):
        marker = marker_of.get(_canon(m.group("marker"))) if m.group("marker") else None
        if m.group("month"):
            if (
                len(m.group("month")) <= 4
                and not (m.group("year") or marker or m.group("day"))
                and _canon(m.group("month")) not in ("mars", "mai", "juin", "aout", "may", "ماي")
            ):
                continue  # "sept jeunes", "dec": an abbreviation alone is not a month
            month = month_of[_canon(m.group("month"))]
            if m.group("year"):
                value = f"{m.group('year')}-{month:02d}"
            else:
                value = f"--{month:02d}"
            if m.group("day") and not marker:
                d = int(m.group("day"))
                if not 1 <= d <= 31:
                    continue
                value += f"-{d:02d}"
        elif m.group("rel"):
            rel = relative_of[_canon(m.group("rel"))]
            if rel.endswith("+0") and not marker and _canon(m.group("rel")) in _BARE:
                continue  # "l3am" alone is a duration or a word, not "this year"
            value = rel
        else:
            if not marker:
                continue
            value = m.group("yonly")
        if marker:
            value = f"{marker}:{value}"
        a, b = map_span(mapping, m.start(), m.end())
        out.append(DateMention(value, a, b))
    return out
