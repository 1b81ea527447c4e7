"""Language identification for the four tags: fr, ar, ary (Darija, Arabic script), ary-Latn.

Our own component, not Rasa's and not a general library (they do not know Arabizi):
1. the script decides the pair: Arabic letters → ar or ary; Latin letters → fr or ary-Latn;
2. within the pair, a naive Bayes over character n-grams (1-4, on normalised, padded words) and
   words, trained on Athar's own training examples (nlu/rasa/data/nlu_<tag>.yml, language = file),
   its log-odds scaled to a mean per feature (it counts correlated n-grams as independent),
3. plus dialect markers, which outweigh it: a word no MSA or French text uses (ديال، شنو، واش،
   غادي، بغيت…; wach, dyal, ghadi, kat…) or Arabizi digits inside words (3afak, la2, 7na) make the
   message Darija, whatever MSA-looking or French words surround it; Darija morphology (كيدير،
   ماعرفتش، نديرو، فالحي; kaydir, mab9ach, ndiro) pushes the same way; French function words and
   MSA-only words push the other way, French ones less inside Arabizi; short French chat words
   alone ("slt", "bye", "nn", "stop") are French.
The model is built once per process from the YAML files (a fraction of a second).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from pathlib import Path

from domain.languages import LANG_TAGS
from nlu import trainingdata
from nlu.features import WORD_RE, ngram_features
from nlu.normalize import is_arabic_char, normalize

DATA_DIR = trainingdata.DATA_DIR

ARY_MARKERS = {
    "ديال",
    "ديالي",
    "ديالك",
    "ديالهم",
    "ديالنا",
    "شنو",
    "اشنو",
    "واش",
    "كيفاش",
    "بزاف",
    "دابا",
    "غادي",
    "غاديين",
    "كاين",
    "كاينه",
    "كاينين",
    "ماشي",
    "بغيت",
    "باغي",
    "باغيين",
    "بغينا",
    "علاش",
    "فين",
    "شحال",
    "بشحال",
    "هادشي",
    "هادي",
    "هاداك",
    "هداك",
    "والو",
    "مزيان",
    "واخا",
    "صافي",
    "عافاك",
    "ولاو",
    "ولات",
    "كنتمناو",
    "حنا",
    "نتا",
    "نتي",
    "راني",
    "راه",
    "خاصني",
    "خاص",
    "شي",
    "اللي",
    "لي",
    "غير",
    "كيحسو",
    "كيشاركو",
    "درنا",
    "فرقنا",
    "حومه",
    "الحومه",
    "فالحومه",
    "مابقاش",
    "ماعرفتش",
    "عاوني",
    "دوز",
    "بلاش",
    "حبس",
    "لاباس",
    "كيداير",
    "بسلامه",
    "تهلا",
    "شكون",
    "كلشي",
    "بحال",
    "ملي",
    "يلقاو",
    "ديما",
}
AR_MARKERS = {
    "الذي",
    "التي",
    "الذين",
    "هذا",
    "هذه",
    "ذلك",
    "سوف",
    "لقد",
    "ليس",
    "لست",
    "أيضا",
    "ايضا",
    "كيف",
    "ماذا",
    "لماذا",
    "أين",
    "اين",
    "نعم",
    "حسنا",
    "يمكنك",
    "أريد",
    "اريد",
    "لدي",
    "لديهم",
    "أصبح",
    "اصبح",
    "تم",
    "قد",
    "إلى",
    "الى",
    "عن",
    "من",
    "لم",
    "لن",
    "سيتم",
    "ستقوم",
    "نعمل",
    "خلال",
    "بفضل",
    "الآن",
    "الان",
    "متى",
    "ماهو",
    "ماهي",
    "عفوا",
    "نرجو",
    "يرجى",
    "منكم",
    "لكم",
    "السلامه",
    "أرجو",
    "ارجو",
    "لديكم",
}
LATN_ARY_MARKERS = {
    "wach",
    "chno",
    "achno",
    "dyal",
    "dyali",
    "dyalhom",
    "dyalek",
    "bghit",
    "baghi",
    "ghadi",
    "kayn",
    "kayna",
    "bzaf",
    "bzzaf",
    "daba",
    "3afak",
    "wakha",
    "safi",
    "mzyan",
    "la2",
    "walo",
    "machi",
    "kifach",
    "3lach",
    "fin",
    "ch7al",
    "hadchi",
    "hadi",
    "had",
    "wlaw",
    "rah",
    "rani",
    "khasni",
    "chi",
    "li",
    "ghir",
    "m3a",
    "3la",
    "mn",
    "b3d",
    "f",
    "l",
    "w",
    "o",
    "nta",
    "nti",
    "7na",
    "homa",
    "kolchi",
    "bhal",
    "mli",
    "dima",
    "labas",
    "bslama",
    "chokran",
    "khoya",
    "khti",
    "salam",
    "kay",
    "ki",
    "douz",
    "lour",
    "rje3",
    "7bes",
    "blach",
    "ma3reftch",
    "mafhmtch",
    "lah",
    "inchallah",
    "wallah",
    "ewa",
    "iyeh",
    "ih",
    "lla",
    "la",
}
FR_MARKERS = {
    "le",
    "la",
    "les",
    "des",
    "de",
    "du",
    "est",
    "et",
    "pour",
    "avec",
    "je",
    "nous",
    "vous",
    "une",
    "un",
    "pas",
    "que",
    "qui",
    "dans",
    "sur",
    "au",
    "aux",
    "ont",
    "sont",
    "ce",
    "cette",
    "il",
    "elle",
    "ils",
    "on",
    "leur",
    "leurs",
    "plus",
    "tres",
    "mais",
    "ou",
    "bien",
    "merci",
    "oui",
    "non",
    "bonjour",
    "ne",
    "été",
    "ete",
    "avons",
    "allons",
    "va",
    "vont",
    "mon",
    "ma",
    "mes",
    "s'il",
    "plait",
    "svp",
    "c'est",
}
# Short French chat words: alone they are French, not Arabizi ("slt", "bye", "nn", "stop").
FR_CHAT = {
    "slt",
    "bjr",
    "bsr",
    "cc",
    "coucou",
    "salut",
    "bonsoir",
    "stp",
    "svp",
    "mrc",
    "dac",
    "dacc",
    "daccord",
    "pk",
    "pq",
    "pourquoi",
    "jsp",
    "tkt",
    "bcp",
    "bye",
    "nn",
    "non",
    "oui",
    "ouais",
    "stop",
    "mdr",
    "ptdr",
    "voila",
    "voilà",
    "super",
    "parfait",
    "bien",
    "rdv",
    "ya",
    "qd",
    "quand",
    "comment",
    "quoi",
}
# Markers no MSA (resp. French) text uses: one of them makes the message Darija, whatever
# MSA-looking (French) words surround it ("الجمعية غادي تنظم ورشات", "la commune kat organiser").
ARY_STRONG = (
    ARY_MARKERS
    # markers that do not settle it alone (shared with MSA or other Maghreb speech: "اللي", "شي", "راني")
    - {
        "فين",
        "هادي",
        "هاداك",
        "هداك",
        "صافي",
        "كنتمناو",
        "نتا",
        "نتي",
        "راني",
        "راه",
        "خاصني",
        "خاص",
        "شي",
        "اللي",
        "لي",
        "كيحسو",
        "كيشاركو",
        "حومه",
        "الحومه",
        "فالحومه",
        "دوز",
        "بلاش",
        "حبس",
        "لاباس",
        "بسلامه",
        "تهلا",
        "بحال",
    }
) | {
    # words no MSA text uses that are not among the markers
    "هاد",
    "داكشي",
    "هادو",
    "بلا",
    "جاي",
    "جايه",
    "سيمانه",
    "مانعرف",
    "صيفط",
    "صيفطو",
    "صيفطت",
    "عطيني",
    "فاش",
    "بحالي",
}
LATN_STRONG = {
    "wach",
    "chno",
    "achno",
    "dyal",
    "dyali",
    "dyalhom",
    "dyalek",
    "dyalna",
    "bghit",
    "baghi",
    "ghadi",
    "kayn",
    "kayna",
    "bzaf",
    "bzzaf",
    "daba",
    "3afak",
    "wakha",
    "la2",
    "walo",
    "machi",
    "kifach",
    "3lach",
    "ch7al",
    "hadchi",
    "wlaw",
    "rah",
    "rani",
    "khasni",
    "7na",
    "kolchi",
    "mli",
    "ma3reftch",
    "mafhmtch",
    "kat",
    "kan",
    "kay",
    "ki",
    "had",
    "dakchi",
    "bach",
    "3la",
    "m3a",
    "b3d",
    "mzyan",
    "bezaf",
    "dial",
    "ghir",
    "chi",
    "lia",
    "lik",
    "lih",
    "liha",
    "lihom",
    "sifet",
    "sift",
    "sifetto",
    "siftli",
    "sifto",
    "3tini",
    "fach",
}
_ARABIZI_DIGIT_RE = re.compile(r"(?:[a-z][2379]|[2379][a-z])")
# Darija morphology in Latin script: the present prefix (kaydir, kan9ra, katkhdem), negation
# (ma...ch: mab9ach, ma3reftch), future "gha", first/third person plural (ndiro, ydiro, yl9aw).
_LATN_ARY_WORD = re.compile(
    r"^(?:ka[ynt]|k[ynt]|ki|gha)[a-z0-9]{2,}$|^ma[a-z0-9]{2,}ch$|^[nyt][a-z0-9]{2,}(?:aw|iw|o)$"
)
_LATN_NOT_ARY = {
    "kilo",
    "trop",
    "tout",
    "trio",
    "tempo",
    "tango",
    "type",
    "tableau",
    "niveau",
    "nouveau",
    "neo",
    "kayak",
    "kiosque",
    "kit",
    "kits",
    "kilometre",
}
# Darija morphology in Arabic script: the present prefix (كيدير، كتخدم، كنقرا), negation
# (ما...ش: مابقاش، ماعرفتش; ما before a verb: مانعرف), the Darija plural verb ending -و (يلقاو، نديرو)
# where MSA says -ون/-وا, "فال" glued to a noun (فالحي: MSA writes "في الحي").
_ARY_WORD = re.compile(
    r"^ك[يتن]\w{3,}$|^ما\w{2,}ش$|^ما[نتي]\w{3,}$|^[يتن]\w{2,}[اي]و$|^[يتن]\w{3,}و$|^فال\w{2,}$"
)
_ARY_NOT = ("كتاب", "كتب", "كتيب", "كيفي", "كيان", "كيمي", "كنيس", "كنت", "كنا")  # MSA words of that shape


def load_examples(data_dir: Path = DATA_DIR) -> dict[str, list[str]]:
    """Training examples per language tag (annotations removed)."""
    out: dict[str, list[str]] = {t: [] for t in LANG_TAGS}
    for ex in trainingdata.load(data_dir):
        out[ex.language].append(ex.text)
    return out


def _features(norm: str) -> list[str]:
    return ngram_features(norm, (1, 2, 3, 4))


class _NB:
    def __init__(self, docs: dict[str, list[str]], alpha: float = 0.2):
        self.alpha = alpha
        self.counts: dict[str, Counter[str]] = {}
        self.totals: dict[str, int] = {}
        vocab: set[str] = set()
        for tag, texts in docs.items():
            c: Counter[str] = Counter()
            for t in texts:
                c.update(_features(normalize(t)))
            self.counts[tag] = c
            self.totals[tag] = sum(c.values())
            vocab.update(c)
        self.v = max(1, len(vocab))
        # log-probabilities computed once (a text's score is then a sum of look-ups)
        self.logp: dict[str, dict[str, float]] = {}
        self.unseen: dict[str, float] = {}
        for tag, c in self.counts.items():
            denom = math.log(self.totals[tag] + self.alpha * self.v)
            self.logp[tag] = {f: math.log(n + self.alpha) - denom for f, n in c.items()}
            self.unseen[tag] = math.log(self.alpha) - denom

    def scores(self, feats: list[str], tags: tuple[str, ...]) -> dict[str, float]:
        out = {}
        for tag in tags:
            get, unseen = self.logp[tag].get, self.unseen[tag]
            out[tag] = sum([get(f, unseen) for f in feats])
        return out


# The naive Bayes counts every n-gram of a word as independent evidence: its log-odds grow with
# the length of a message far beyond what it knows. They are scaled to a mean per feature, so the
# dialect markers above can outweigh it.
_NB_SCALE = 15.0
_MODEL: _NB | None = None
_LOCK = threading.Lock()


def _model() -> _NB:
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = _NB(load_examples())
    return _MODEL


def identify(text: str) -> tuple[str | None, float]:
    """(tag, confidence) for `text`; (None, 0.0) when it holds no letters."""
    norm = normalize(text or "")
    arabic = sum(1 for c in norm if is_arabic_char(c) and c.isalpha())
    latin = sum(1 for c in norm if "a" <= c <= "z")
    if arabic == 0 and latin == 0:
        return None, 0.0
    words = WORD_RE.findall(norm)
    feats = _features(norm)
    if arabic >= latin:
        pair = ("ar", "ary")
        strong = sum(1 for w in words if w in ARY_STRONG or _strip_clitic(w) in ARY_STRONG)
        weak = sum(
            1 for w in words if w not in ARY_STRONG and (w in ARY_MARKERS or _strip_clitic(w) in ARY_MARKERS)
        )
        morph = sum(
            1
            for w in words
            if w not in ARY_MARKERS
            and w not in ARY_STRONG
            and _ARY_WORD.match(w)
            and not w.startswith(_ARY_NOT)
        )
        bonus = 6.0 * strong + 2.0 * weak + 4.0 * morph - 1.5 * sum(1 for w in words if w in AR_MARKERS)
    else:
        pair = ("fr", "ary-Latn")
        if all(w in FR_CHAT for w in words):
            return "fr", 0.9  # short chat words alone ("slt", "bye", "nn", "stop") are French
        strong = sum(1 for w in words if w in LATN_STRONG) + len(_ARABIZI_DIGIT_RE.findall(norm))
        darija = sum(1 for w in words if w in LATN_ARY_MARKERS and w not in LATN_STRONG)
        darija += sum(
            1
            for w in words
            if w not in LATN_ARY_MARKERS
            and w not in LATN_STRONG
            and w not in FR_MARKERS
            and w not in _LATN_NOT_ARY
            and _LATN_ARY_WORD.match(w)
        )
        french = sum(1 for w in words if w in FR_MARKERS or w in FR_CHAT)
        # French words are common inside Arabizi ("dyal les ateliers"): they weigh less once the
        # message shows Darija
        bonus = 5.0 * strong + 2.0 * darija - (1.0 if strong + darija else 2.5) * french
    s = _model().scores(feats, pair)
    # scale the NB log-odds so long texts do not become absurdly certain, then add the markers
    n = max(1, len(feats))
    diff = (s[pair[1]] - s[pair[0]]) * min(1.0, _NB_SCALE / n) + bonus
    p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, diff))))
    if p >= 0.5:
        return pair[1], round(p, 4)
    return pair[0], round(1.0 - p, 4)


def _strip_clitic(w: str) -> str:
    for pre in ("وال", "فال", "بال", "لل", "ال", "و", "ف", "ب", "ل"):
        if w.startswith(pre) and len(w) - len(pre) >= 3:
            return w[len(pre) :]
    return w
