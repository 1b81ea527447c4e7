"""Numbers, percentages and durations in the four variants, as normalised values.

Works on any text: it normalises it (nlu.normalize) and maps spans back to the original.
- number: digits (also Arabic-Indic), decimals with . or , and number words in French, MSA,
  Darija in Arabic script and Arabizi ("khmsa w 3chrin", "quatre-vingt-dix", "خمسة وعشرين").
- percent: a number followed by %, "pour cent", "في المائة", "f lmya"...
- duration: months or years as a number of months ("6 mois" → 6, "ستة أشهر" → 6, "3am" → 12,
  "عامين" → 24, "2 semaines" → 0.5).
- qualifier: what is said around a number: "about" ("environ 30", "une trentaine", "حوالي",
  "ta9riban"), "at_least" ("au moins", "على الأقل", "3la l2a9al", "plus de") or "at_most"
  ("moins de", "au plus", "أقل من", "machi ktar men"), spanning those words.
Thousands may be written with spaces ("1 500", "2 000 000").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from nlu.normalize import map_span, normalize, normalize_with_map

# Number words → value. Keys are normalised (nlu.normalize: "مائة" → "مايه"), like the text.
_WORDS: dict[str, float] = {}


def _add(value: float, *words: str) -> None:
    for w in words:
        _WORDS[normalize(w)] = value


# French
_add(0, "zero")
_add(1, "un", "une")
_add(2, "deux")
_add(3, "trois")
_add(4, "quatre")
_add(5, "cinq")
_add(6, "six")
_add(7, "sept")
_add(8, "huit")
_add(9, "neuf")
_add(10, "dix")
_add(11, "onze")
_add(12, "douze")
_add(13, "treize")
_add(14, "quatorze")
_add(15, "quinze")
_add(16, "seize")
_add(20, "vingt", "vingts")
_add(30, "trente")
_add(40, "quarante")
_add(50, "cinquante")
_add(60, "soixante")
_add(80, "quatrevingt", "quatrevingts")
_add(100, "cent", "cents")
_add(1000, "mille")
_add(1_000_000, "million", "millions")
# MSA (normalised: ة→ه, أ→ا, ى→ي)
_add(0, "صفر")
_add(1, "واحد", "واحده")
_add(2, "اثنان", "اثنين", "اثنتان", "اثنتين")
_add(3, "ثلاث", "ثلاثه")
_add(4, "اربع", "اربعه")
_add(5, "خمس", "خمسه")
_add(6, "ست", "سته")
_add(7, "سبع", "سبعه")
_add(8, "ثمان", "ثماني", "ثمانيه")
_add(9, "تسع", "تسعه")
_add(10, "عشر", "عشره")
_add(20, "عشرون", "عشرين")
_add(30, "ثلاثون", "ثلاثين")
_add(40, "اربعون", "اربعين")
_add(50, "خمسون", "خمسين")
_add(60, "ستون", "ستين")
_add(70, "سبعون", "سبعين")
_add(80, "ثمانون", "ثمانين")
_add(90, "تسعون", "تسعين")
_add(100, "مائه", "ميه", "مئه", "مايه", "مية")
_add(200, "مائتان", "مائتين", "مئتين", "ميتين")
_add(1000, "الف", "الاف")
_add(2000, "الفين", "الفان")
_add(1_000_000, "مليون", "ملايين")
_add(11, "احدعشر")
_add(12, "اثناعشر")
_add(1, "أحد", "إحدى")
_add(2, "اثنا", "اثني", "اثنتا", "اثنتي")  # "أحد عشر" = 11, "اثنا عشر" = 12
_add(300, "ثلاثمائة", "ثلاثمئة")
_add(400, "أربعمائة", "أربعمئة")
_add(500, "خمسمائة", "خمسمئة")
_add(600, "ستمائة", "ستمئة")
_add(700, "سبعمائة", "سبعمئة")
_add(800, "ثمانمائة", "ثمانمئة")
_add(900, "تسعمائة", "تسعمئة")
# Darija, Arabic script
_add(2, "جوج", "زوج")
_add(3, "تلاته", "تلت", "تلات")
_add(4, "ربعه")
_add(8, "تمنيه", "تمن", "تمانيه")
_add(9, "تسعود")
_add(100, "ميا")
_add(11, "حضاش", "حداش")
_add(12, "طناش")
_add(13, "طلطاش", "تلطاش")
_add(14, "ربعطاش")
_add(15, "خمسطاش")
_add(16, "سطاش")
_add(17, "سبعطاش")
_add(18, "تمنطاش")
_add(19, "تسعطاش")
_add(30, "تلاتين")
_add(40, "ربعين")
_add(80, "تمانين")
# Darija, Latin script (Arabizi)
_add(0, "sifr", "ziro")
_add(1, "wahd", "wa7d", "wahed", "wa7ed", "wa7da", "wahda")
_add(2, "jouj", "joj", "zouj", "zoj", "jooj", "tnin", "tnayn")
_add(3, "tlata", "tlat", "tlt", "tleta")
_add(4, "rb3a", "reb3a", "rab3a", "rba3", "arba3a", "reb3")
_add(5, "khmsa", "khamsa", "khemsa", "5msa", "khams", "5amsa")
_add(6, "stta", "seta", "setta", "satta", "sta", "sett")
_add(7, "sb3a", "sab3a", "seb3a", "sbe3")
_add(8, "tmnia", "tmenia", "tmania", "tmnya", "tmanya", "tmen", "tmanya")
_add(9, "ts3oud", "ts3od", "tes3oud", "ts3ud", "ts3a", "tes3a", "tsa3")
_add(10, "3chra", "3achra", "3achara", "3ashra")
_add(11, "7dach", "hdach")
_add(12, "tnach", "tnash")
_add(13, "tltach", "tlettach", "teltach")
_add(14, "rb3tach", "rba3tach", "rbe3tach")
_add(15, "khmstach", "khamstach", "5mstach")
_add(16, "sttach", "settach", "stach")
_add(17, "sb3tach", "sba3tach", "sbe3tach")
_add(18, "tmntach", "tmentach", "tmantach")
_add(19, "ts3tach", "tsa3tach", "tse3tach")
_add(20, "3chrin", "3achrin", "3echrin", "3ichrin", "3ochrin", "3eshrin")
_add(30, "tlatin", "tlatine", "tletin", "tlatine")
_add(40, "rb3in", "reb3in", "rab3in", "rba3in", "arb3in", "arba3in")
_add(50, "khmsin", "khamsin", "khemsin", "5msin", "5amsin")
_add(60, "sttin", "settin", "sattin", "stin")
_add(70, "sb3in", "sab3in", "seb3in")
_add(80, "tmanin", "tamanin", "tmenin")
_add(90, "ts3in", "tes3in", "tas3in")
_add(100, "mya", "myya", "mia", "miya", "meya")
_add(200, "mitin", "mytin", "miatin")
_add(1000, "alf", "alaf")
_add(2000, "alfin", "alfayn")
_add(1_000_000, "mlyon", "melyoun", "mlyoun")

# Words that are also articles ("un atelier", "wahd nhar"): a number only next to another
# number word, a unit, or alone.
_ARTICLES = {
    "un",
    "une",
    "wahd",
    "wahed",
    "wa7d",
    "wa7ed",
    "wahda",
    "wa7da",
    "واحد",
    "واحده",
    "احد",
    "احدي",
}  # "أحد" alone is "someone"
_CONJ = {"et", "w", "o", "و", "-"}
_PERCENT_WORDS = {"pourcent", "pourcents"}
_NUM_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])|(?<![\w.,])\d+(?:[.,]\d+)?(?=[%a-z\u0600-\u06ff])")
_TOKEN_RE = re.compile(r"\d+[.,]\d+(?![a-z\u0600-\u06ff])|[a-z0-9\u0600-\u06ff]+|%|-")
_GLUED_RE = re.compile(r"^(\d+)([a-z\u0600-\u06ff]+)$")

_PERCENT_AFTER = [
    r"%",
    r"pour ?cents?",
    r"p\.? ?c\.?",
    r"pourcents?",
    r"في ?الما[يئ]?ه",
    r"في ?المي?ه",
    r"بالما[يئ]?ه",
    r"بالمي?ه",
    r"فالمي?ه",
    r"ف ?الميه",
    r"في ?الميه",
    r"f ?l ?my+a",
    r"f ?l ?mi+a",
    r"fl ?mya",
    r"f ?l ?meya",
    r"bl ?mya",
    r"b ?l ?mia",
    r"pour ?100",
]
_PERCENT_RE = re.compile(r"^\s*(?:" + "|".join(_PERCENT_AFTER) + r")(?![a-z\u0600-\u06ff])")

# Duration units: normalised spelling → months per unit.
_UNITS: dict[str, float] = {}
for _w in (
    "mois",
    "شهر",
    "اشهر",
    "شهور",
    "شهرا",
    "chhar",
    "chher",
    "chhor",
    "chhour",
    "chhur",
    "shhar",
    "shhour",
    "chahr",
    "chehr",
    "chhar",
    "month",
    "months",
    "mwa",
):
    _UNITS[_w] = 1.0
for _w in (
    "an",
    "ans",
    "annee",
    "annees",
    "سنه",
    "سنوات",
    "سنين",
    "سنينات",
    "عام",
    "عاما",
    "اعوام",
    "عوام",
    "sna",
    "snin",
    "snawat",
    "3am",
    "3wam",
    "l3am",
    "3amat",
    "sana",
    "year",
    "years",
):
    _UNITS[_w] = 12.0
for _w in (
    "semaine",
    "semaines",
    "اسبوع",
    "اسبوعا",
    "اسابيع",
    "سيمانه",
    "simana",
    "simanat",
    "ssmana",
    "smana",
    "week",
    "weeks",
    "جمعه",
):
    _UNITS[_w] = 12.0 / 52.0
for _w in ("semestre", "semestres"):
    _UNITS[_w] = 6.0
for _w in ("trimestre", "trimestres"):
    _UNITS[_w] = 3.0
# Words that carry their own count (duals and bare units that mean "one").
_SELF_DURATION: dict[str, float] = {
    "شهرين": 2,
    "chahrayn": 2,
    "chehrayn": 2,
    "shahrayn": 2,
    "شهران": 2,
    "عامين": 24,
    "عامان": 24,
    "سنتين": 24,
    "سنتان": 24,
    "3amayn": 24,
    "3amin": 24,
    "3amine": 24,
    "عام": 12,
    "سنه": 12,
    "3am": 12,
    "l3am": 12,
    "sna": 12,
    "sana": 12,
    "an": 12,
    "annee": 12,
    "شهر": 1,
    "chhar": 1,
    "chahr": 1,
    "mois": 1,
    "semestre": 6,
    "trimestre": 3,
    "اسبوعين": 0.46,
    "simanatayn": 0.46,
    "ssimantin": 0.46,
    "سيمانتين": 0.46,
    "اسبوع": 0.23,
    "simana": 0.23,
    "semaine": 0.23,
}
# Bare unit words only count as a duration after one of these (or a number): "pendant un an".
_BARE_UNIT_OK = {
    "عامين",
    "عامان",
    "سنتين",
    "سنتان",
    "3amayn",
    "3amin",
    "3amine",
    "شهرين",
    "شهران",
    "chahrayn",
    "chehrayn",
    "shahrayn",
    "semestre",
    "trimestre",
    "اسبوعين",
    "3am",
    "l3am",
    "عام",
    "سنه",
    "sna",
    "sana",
    "شهر",
    "chhar",
    "chahr",
}
_RANGE_WORDS = {"a", "-", "ila", "الى", "ل", "l", "au", "jusqu'a"}


# Fractions: "la moitié", "nos", "النصف", "ثلثي", "un quart", "tlt rbo3". Followed by a unit
# they are a duration ("nos 3am" = 6 months), else a share of people, read as a percent ("ness
# dyal l3yalat" = 50 %). Normalised spellings.
_FRACTIONS: dict[str, float] = {
    "moitie": 1 / 2,
    "نصف": 1 / 2,
    "النصف": 1 / 2,
    "بالنصف": 1 / 2,
    "ثلث": 1 / 3,
    "الثلث": 1 / 3,
    "ثلثي": 2 / 3,
    "ثلثا": 2 / 3,
    "ربع": 1 / 4,
    "الربع": 1 / 4,
    "tolt": 1 / 3,
    "toult": 1 / 3,
    "ltolt": 1 / 3,
    "التلت": 1 / 3,
    "rob3": 1 / 4,
    "rbo3": 1 / 4,
    "rba3": 1 / 4,
    "rb3": 1 / 4,
    "lrob3": 1 / 4,
    "lrb3": 1 / 4,
}
# "nos" is also French ("nos jeunes"), "نص" also "text": a half only where nothing follows, or a
# unit, "of" or a qualifier.
_HALF_AMBIGUOUS = {"nos", "nss", "ness", "nes", "nous", "نص", "النص", "lnos", "nnos", "nnss"}
_HALF_FOLLOWERS = {
    "dyal",
    "dial",
    "d",
    "mn",
    "men",
    "ديال",
    "د",
    "من",
    "ta9riban",
    "taqriban",
    "تقريبا",
    "تقريبن",
    "b",
    "w",
    "و",
}
# Counted fractions: "deux tiers", "trois quarts", "tlt rbo3", "ثلاثة ارباع" (per one of the unit).
_FRACTION_UNITS = {
    "tiers": 1 / 3,
    "quart": 1 / 4,
    "quarts": 1 / 4,
    "ارباع": 1 / 4,
    "رباع": 1 / 4,
    "ربع": 1 / 4,
    "rbo3": 1 / 4,
    "rob3": 1 / 4,
    "rba3": 1 / 4,
    "rb3": 1 / 4,
}
_FRACTION_COUNTS = {
    "un": 1,
    "une": 1,
    "le": 1,
    "deux": 2,
    "trois": 3,
    "tlt": 3,
    "تلت": 3,
    "ثلاث": 3,
    "ثلاثه": 3,
}


# Approximate counts ("une trentaine" = about 30); "deux centaines" = about 200.
_APPROX: dict[str, float] = {
    "dizaine": 10,
    "douzaine": 12,
    "quinzaine": 15,
    "vingtaine": 20,
    "trentaine": 30,
    "quarantaine": 40,
    "cinquantaine": 50,
    "soixantaine": 60,
    "centaine": 100,
    "millier": 1000,
    "dizaines": 10,
    "centaines": 100,
    "milliers": 1000,
}
# Words said around a number (normalised like the text): before it, or after it.
QUALIFIERS: dict[str, dict[str, list[str]]] = {
    "about": {
        "before": [
            "environ",
            "a peu pres",
            "autour de",
            "aux alentours de",
            "approximativement",
            "dans les",
            "quelque",
            "حوالي",
            "حوالى",
            "تقريبا",
            "نحو",
            "قرابه",
            "ما يقارب",
            "فحدود",
            "في حدود",
            "شي",
            "فشي",
            "ta9riban",
            "t9riban",
            "ta9ryban",
            "chi",
            "f chi",
            "f 7dod",
            "f 7odod",
            "f7odod",
            "takriban",
        ],
        "after": [
            "environ",
            "a peu pres",
            "approximativement",
            "تقريبا",
            "ta9riban",
            "t9riban",
            "ou plus ou moins",
            "plus ou moins",
        ],
    },
    "at_least": {
        "before": [
            "au moins",
            "au minimum",
            "minimum",
            "pas moins de",
            "plus de",
            "au dela de",
            "على الاقل",
            "لا يقل عن",
            "ما لا يقل عن",
            "اكثر من",
            "كثر من",
            "فوق",
            "3la l2a9al",
            "3la la9al",
            "3la l a9al",
            "3al a9al",
            "3la l2a9all",
            "ktar men",
            "ktar mn",
            "kter men",
            "fo9",
            "minimum",
        ],
        "after": [
            "au moins",
            "minimum",
            "au minimum",
            "ou plus",
            "على الاقل",
            "او اكثر",
            "ola ktar",
            "wla ktar",
            "3la l2a9al",
        ],
    },
    "at_most": {
        "before": [
            "au plus",
            "au maximum",
            "maximum",
            "pas plus de",
            "moins de",
            "tout au plus",
            "en dessous de",
            "sous les",
            "على الاكثر",
            "اقل من",
            "لا يتجاوز",
            "لا يزيد عن",
            "ما لا يتجاوز",
            "قل من",
            "ماشي كثر من",
            "ما يفوتش",
            "9el men",
            "9al mn",
            "a9al mn",
            "a9al men",
            "machi ktar men",
            "ma yfotch",
            "ma yfoutch",
            "maximum",
        ],
        "after": [
            "au plus",
            "maximum",
            "au maximum",
            "ou moins",
            "على الاكثر",
            "او اقل",
            "ola 9el",
            "wla 9el",
        ],
    },
}


def _qualifier_res() -> tuple[list[tuple[str, re.Pattern[str]]], list[tuple[str, re.Pattern[str]]]]:
    before, after = [], []
    for kind, where in QUALIFIERS.items():
        words = sorted({normalize(w) for w in where["before"]}, key=len, reverse=True)
        before.append((kind, re.compile(r"(?:^|(?<=[\s(]))(?:" + "|".join(map(re.escape, words)) + r")\s*$")))
        words = sorted({normalize(w) for w in where["after"]}, key=len, reverse=True)
        after.append(
            (kind, re.compile(r"^\s*(?:" + "|".join(map(re.escape, words)) + r")(?![a-z0-9\u0600-\u06ff])"))
        )
    return before, after


_QUAL_BEFORE, _QUAL_AFTER = _qualifier_res()


@dataclass(frozen=True)
class Quantity:
    entity: str  # "number" | "percent" | "duration" | "qualifier"
    value: float | str  # a float; for a qualifier: "about", "at_least" or "at_most"
    start: int
    end: int


def number_words() -> dict[str, list[str]]:
    """Numeric value ("5", "1000") → the number words that mean it, normalised, for Rasa's
    `number` lookup table and synonyms. Words that are also articles ("un", "wahd", "واحد") are
    left out: alone they are not numbers ("un atelier")."""
    out: dict[str, list[str]] = {}
    for word, value in _WORDS.items():
        if word in _ARTICLES or not re.fullmatch(r"[a-z0-9\u0600-\u06ff]+", word):
            continue
        key = str(int(value)) if float(value).is_integer() else f"{value:g}"
        out.setdefault(key, []).append(word)
    return {k: sorted(set(v)) for k, v in sorted(out.items(), key=lambda kv: float(kv[0]))}


def _tokens(norm: str) -> list[tuple[str, int, int]]:
    toks: list[tuple[str, int, int]] = []
    for m in _TOKEN_RE.finditer(norm):
        tok, s, e = m.group(0), m.start(), m.end()
        g = _GLUED_RE.match(tok)
        if (
            g
            and tok not in _WORDS
            and tok not in _SELF_DURATION
            and (g.group(2) in _UNITS or len(g.group(1)) >= 2 or g.group(2) in _PERCENT_WORDS)
        ):
            k = len(g.group(1))
            toks.append((g.group(1), s, s + k))
            toks.append((g.group(2), s + k, e))
            continue
        toks.append((tok, s, e))
    toks = _join_thousands(norm, toks)
    # merge "quatre" "-"? "vingt" into quatrevingt
    merged: list[tuple[str, int, int]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t[0] == "quatre":
            j = i + 1
            if j < len(toks) and toks[j][0] == "-":
                j += 1
            if j < len(toks) and toks[j][0] in ("vingt", "vingts"):
                merged.append(("quatrevingt", t[1], toks[j][2]))
                i = j + 1
                continue
        merged.append(t)
        i += 1
    return merged


def _join_thousands(norm: str, toks: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """ "1 500" and "2 000 000" (groups of three digits after a space) are one number."""
    out: list[tuple[str, int, int]] = []
    for tok in toks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and re.fullmatch(r"\d{3}", tok[0])
            and re.fullmatch(r"\d{1,3}(?:\d{3})*", prev[0])
            and norm[prev[2] : tok[1]] == " "
            and (len(out) < 2 or not out[-2][0].isdigit() or norm[out[-2][2] : prev[1]] != " ")
        ):
            out[-1] = (prev[0] + tok[0], prev[1], tok[2])
            continue
        out.append(tok)
    return out


def _word_value(tok: str) -> float | None:
    if tok in _WORDS:
        return _WORDS[tok]
    # Arabic conjunction prefix و ("وعشرين"), Darija "w"/"o" glued ("wo3chrin").
    if len(tok) > 2 and tok[0] == "و" and tok[1:] in _WORDS:
        return _WORDS[tok[1:]]
    if len(tok) > 3 and tok[:1] in ("w", "o") and tok[1:] in _WORDS and tok[1:][0].isdigit():
        return _WORDS[tok[1:]]
    return None


def _digit_value(tok: str) -> float | None:
    if tok[:1].isdigit():
        try:
            return float(tok.replace(",", "."))
        except ValueError:
            return None
    return None


def _combine(values: list[float]) -> float:
    total, current = 0.0, 0.0
    for v in values:
        if v == 100 or v == 200:
            current = (current or 1) * v if v == 100 else current + v
        elif v >= 1000:
            total += (current or 1) * v
            current = 0.0
        else:
            current += v
    return total + current


# a bare unit word after these is "this year", "the same month", not a count of one
_THIS_UNIT = ("3am", "l3am", "عام", "سنه", "sna", "sana", "شهر", "chhar", "chahr")
_THIS = ("had", "هاد", "هذا", "هذه", "ce", "cette", "l", "dial", "ديال", "nfs")


@dataclass
class _Scan:
    """One pass of `extract` over the tokens of a normalised text; each reader takes the index of
    the token where a quantity may start and returns the index where the next one may."""

    norm: str
    mapping: list[int]
    toks: list[tuple[str, int, int]]
    out: list[Quantity]

    def add(self, entity: str, value: float | str, start: int, end: int) -> None:
        a, b = map_span(self.mapping, start, end)
        self.out.append(Quantity(entity, value, a, b))

    def approximation(self, i: int) -> int:
        """ "une trentaine", "des centaines", "deux centaines": a number and the qualifier "about"."""
        tok, s, e = self.toks[i]
        start, value = s, float(_APPROX[tok])
        prev = self.toks[i - 1] if i > 0 else None
        if prev is not None and prev[0] in ("un", "une", "des", "quelques"):
            start = prev[1]
        elif prev is not None and (_digit_value(prev[0]) or _word_value(prev[0])) and tok.endswith("s"):
            start, value = prev[1], (_digit_value(prev[0]) or _word_value(prev[0]) or 1) * value
        if self.out and self.out[-1].start >= map_span(self.mapping, start, start + 1)[0]:
            self.out.pop()  # "deux" read as a number a moment ago is part of "deux centaines"
        self.add("number", value, start, e)
        self.add("qualifier", "about", start, e)
        return i + 1

    def bare_unit(self, i: int) -> int:
        """A bare unit word that carries its own count ("3am", "عامين", "شهرين"), unless it is
        "this year" ("had l3am")."""
        tok, s, e = self.toks[i]
        if tok in _SELF_DURATION and tok in _BARE_UNIT_OK:
            prev = self.toks[i - 1][0] if i > 0 else ""
            if not (tok in _THIS_UNIT and prev in _THIS):
                self.add("duration", float(_SELF_DURATION[tok]), s, e)
        return i + 1

    def word_number(self, i: int, first: float) -> tuple[float, int] | None:
        """The value of the number words from token i ("cent vingt", "tlata w 3echrin") and the
        index after them; None for an article alone ("un atelier")."""
        toks, n = self.toks, len(self.toks)
        vals = [first]
        j = i + 1
        while j < n:
            t2 = toks[j][0]
            if t2 in _CONJ:
                k = j
                while k < n and toks[k][0] in _CONJ:
                    k += 1
                after = _word_value(toks[k][0]) if k < n else None
                if after is not None and k - j <= 3:
                    vals.append(after)
                    j = k + 1
                    continue
                break
            v2 = _word_value(t2)
            if v2 is None:
                break
            vals.append(v2)
            j += 1
        if len(vals) == 1 and toks[i][0] in _ARTICLES:
            nxt = toks[j][0] if j < n else ""
            if n != 1 and nxt not in _UNITS and not _PERCENT_RE.match(self.norm[toks[i][2] :]):
                return None
        return _combine(vals), j

    def fraction(self, i: int) -> int | None:
        """A fraction from token i ("la moitié", "nos", "deux tiers", "tlt rbo3"): a duration
        before a unit ("nos 3am"), else a percent; None when token i starts none."""
        toks, n = self.toks, len(self.toks)
        tok, s, e = toks[i]
        nxt = toks[i + 1][0] if i + 1 < n else None
        value: float | None = None
        j = i + 1
        if tok in _FRACTION_COUNTS and nxt in _FRACTION_UNITS:
            value, j, e = _FRACTION_COUNTS[tok] * _FRACTION_UNITS[nxt], i + 2, toks[i + 1][2]
        elif tok in _FRACTIONS:
            value = _FRACTIONS[tok]
        elif tok in _HALF_AMBIGUOUS and (nxt is None or nxt in _HALF_FOLLOWERS or nxt in _UNITS):
            value = 1 / 2
        elif tok in ("demi", "demie", "ونصف", "ونص", "wnos", "wnss"):
            value = 1 / 2
        if value is None:
            return None
        # "3am w nos", "2 ans et demi", "عام ونصف": half of the unit just read, added to it
        glued = tok in ("ونصف", "ونص", "wnos", "wnss")
        before = toks[i - (1 if glued else 2)][0] if i > (0 if glued else 1) else None
        joined = glued or toks[i - 1][0] in ("w", "et", "و", "o")
        if before in _UNITS and joined and self.out:
            last = self.out[-1]
            if last.entity == "duration":
                a, b = map_span(self.mapping, e - 1, e)
                self.out[-1] = Quantity(
                    "duration", round(float(last.value) + value * _UNITS[before], 2), last.start, b
                )
                return j
        if tok in ("demi", "demie", "ونصف", "ونص", "wnos", "wnss"):
            return None
        if tok == "moitie" and i > 0 and toks[i - 1][0] == "la":  # "au moins la moitié"
            s = toks[i - 1][1]
        unit = toks[j][0] if j < n else None
        if unit is not None and unit in _UNITS:
            self.add("duration", round(value * _UNITS[unit], 2), s, toks[j][2])
            return j + 1
        self.add("percent", round(value * 100, 1), s, e)
        return j

    def quantity(self, i: int, j: int, value: float) -> int:
        """The value read from tokens i..j-1 as a percent, a duration (a unit after it, unless it
        closes an age range: "entre 15 et 25 ans") or a plain number."""
        toks, n = self.toks, len(self.toks)
        start, end = toks[i][1], toks[j - 1][2]
        pm = _PERCENT_RE.match(self.norm[end:])
        if pm:
            stop = end + pm.end()
            self.add("percent", value, start, stop)
            while j < n and toks[j][1] < stop:  # the tokens of the percent words
                j += 1
            return j
        unit = toks[j][0] if j < n else None
        if unit is not None and unit in _UNITS:
            prev = toks[i - 1][0] if i > 0 else ""
            prev2 = toks[i - 2][0] if i > 1 else ""
            is_age_range = prev in _RANGE_WORDS and (prev2[:1].isdigit() or _word_value(prev2) is not None)
            if not is_age_range:
                self.add("duration", round(value * _UNITS[unit], 2), start, toks[j][2])
                return j + 1
        self.add("number", value, start, end)
        return j


def extract(text: str) -> list[Quantity]:
    """Every number, percent and duration in `text`, with spans in the original text."""
    norm, mapping = normalize_with_map(text or "")
    scan = _Scan(norm, mapping, _tokens(norm), [])
    i = 0
    while i < len(scan.toks):
        tok = scan.toks[i][0]
        if tok in _APPROX:
            i = scan.approximation(i)
            continue
        after_fraction = scan.fraction(i)
        if after_fraction is not None:
            i = after_fraction
            continue
        dv = _digit_value(tok)
        if dv is not None:
            i = scan.quantity(i, i + 1, dv)
            continue
        wv = _word_value(tok)
        read = scan.word_number(i, wv) if wv is not None else None
        if read is None:
            i = scan.bare_unit(i) if wv is None else i + 1
            continue
        i = scan.quantity(i, read[1], read[0])
    return _qualify(norm, mapping, scan.out)


def _qualify(norm: str, mapping: list[int], found: list[Quantity]) -> list[Quantity]:
    """Qualifier words right before or after each number or percent."""
    out: list[Quantity] = []
    for q in found:
        out.append(q)
        if q.entity not in ("number", "percent") or any(
            o.entity == "qualifier" and o.start == q.start for o in found
        ):
            continue
        s = bisect.bisect_left(mapping, q.start, 0, len(mapping) - 1)
        e = bisect.bisect_left(mapping, q.end, 0, len(mapping) - 1)
        before = [
            (m.end() - m.start(), kind, m) for kind, rx in _QUAL_BEFORE for m in [rx.search(norm[:s])] if m
        ]
        after = [(m.end(), kind, m) for kind, rx in _QUAL_AFTER for m in [rx.match(norm[e:])] if m]
        if before:  # the longest wins: "machi ktar men" (at most) over "ktar men" (at least)
            _, kind, m = max(before, key=lambda t: t[0])
            a, b = map_span(mapping, m.start(), m.start() + len(m.group(0).rstrip()))
            out.insert(len(out) - 1, Quantity("qualifier", kind, a, b))
        elif after:
            _, kind, m = max(after, key=lambda t: t[0])
            a, b = map_span(mapping, e + len(m.group(0)) - len(m.group(0).lstrip()), e + m.end())
            out.append(Quantity("qualifier", kind, a, b))
    return out


def first_number(text: str) -> float | None:
    for q in extract(text):
        if q.entity == "number":
            return q.value
    return None
