"""The fallback parser: keywords and patterns per variant, same labels as the Rasa model.

It keeps the dialogue going when Rasa is down, slow or answers garbage, and works standalone
(`athar nlu parse --no-rasa`). Fast, deterministic, thread-safe (read-only after construction).

1. Short messages are matched against the dialogue phrasings of every variant
   (nlu.training.phrases), after normalisation and with polite decorations removed
   ("3afak", "svp", "عافاك", punctuation): an exact match is sure, a contained phrase likely.
2. Hand-written patterns catch the commonest forms of help, change of language, back, skip, cancel,
   menu, don't know, affirm and deny in the four variants.
3. Anything else goes to a naive Bayes over words and character n-grams trained on the same
   examples as Rasa, which separates activity / output / effect statements and off-topic text; a
   number with a counted noun and a past participle pushes towards output.
Entities come from the lexicon (publics, domains) and nlu.numbers.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter

from domain.nlu import STATEMENT_INTENTS, Entity, Intent, Understanding
from domain.languages import is_rtl
from nlu import dates, lexicon, numbers, trainingdata
from nlu.features import WORD_RE, ngram_features
from nlu.langid import identify
from nlu.normalize import has_letters_or_digits, normalize
from nlu.training.phrases import DIALOGUE

_DECORATION = {
    "svp",
    "stp",
    "please",
    "pls",
    "plait",
    "s'il",
    "3afak",
    "afak",
    "عافاك",
    "فضلك",
    "athar",
    "اثر",
    "khoya",
    "khti",
    "sahbi",
    "خويا",
    "ختي",
    "euh",
    "hmm",
    "bon",
    "alors",
    "ewa",
    "إيوا",
    "ايوا",
    "wallah",
    "والله",
    "يا",
    "اذن",
    "طيب",
    "allah",
    "lah",
    "yekhlik",
}

# Patterns on normalised text (see nlu.normalize): (intent, regex).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (i, re.compile(p))
    for i, p in [
        (
            "change_language",
            r"\b(changer|change|changez) (de |la )?langue\b|\b(en|in) (arabe|francais|darija)\b"
            r"|(بدل|غير|تغيير|نبدل) (اللغه|لوغه)|\b(bdel|bdl|bddel|nbdl|nbddel) (lougha|lwgha|lugha|langue|llougha)\b"
            r"|(بال|ب)(عربيه|فرنسيه|فرنساويه|دارجه)\b|\bb ?(l ?)?(3arbi(y)?a|darija|fransawiya|francais)\b"
            r"|\bparle[rz]? (en )?(arabe|francais|darija)\b",
        ),
        (
            "help",
            r"\b(aide|aidez|aider|help)\b|comprends pas|pas compris|\b3awni\b|\bt3awni\b|\bmosa3ada\b"
            r"|\bma ?fhe?mt(ch)?\b|ساعدني|مساعده|عاوني|تعاوني|ما ?فهمتش|لا افهم|لم افهم|comment (ca|faire)",
        ),
        (
            "dont_know",
            r"\bje (ne )?sais pas\b|aucune idee|\bj'ignore\b|\bma ?3(a)?r(e)?ft?ch\b|\bma3arfch\b"
            r"|ما ?عرفتش|معرفتش|ماعارفش|لا (ادري|اعرف|اعلم)|ليست لدي فكره|ماعنديش فكره|\bma3ndich fikra\b"
            r"|\bpas (sur|certain)e?\b|الله اعلم|\blah a3lam\b",
        ),
        (
            "restart",
            r"\b(re)?commencer\b|\brecommence\b|\bredemarrer\b|\brestart\b|\breset\b|depuis le debut|a zero"
            r"|من جديد|من البدايه|من الاول|من اللول|\bmn (lowl|lowel|jdid)\b|\b3awd\b|\bn3awdo\b",
        ),
        (
            "cancel",
            r"\bannule[rz]?\b|\blaisse tomber\b|\bstop\b|\barrete\b|\babandonne[rz]?\b|\b7bes\b|\bblach\b"
            r"|\blghi\b|\bnlghi\b|الغاء|\bالغ\b|توقف|اوقف|بلاش|حبس|لغي|نلغي|\bmab9itch baghi\b|مابقيتش باغي",
        ),
        (
            "back",
            r"\bretour\b|\bretourner\b|\brevenir\b|en arriere|\bprecedent(e)?\b|\brje3\b|\brj3\b|\bnrj3\b|\bnrje3\b"
            r"|\blour\b|\bllour\b|رجوع|الرجوع|السابق|ارجع|رجع|نرجع|اللور|\bback\b",
        ),
        (
            "skip",
            r"\bpasser\b|\bsuivant(e)?\b|\bje passe\b|\bon passe\b|\bsauter\b|plus tard|\bskip\b|\bnext\b"
            r"|\bdouz\b|\bdwz\b|\bfout\b|تخطي|تخطى|تجاوز|التالي|لاحقا|دوز|فوت|من بعد|\bmn b3d\b|\bmen ba3d\b",
        ),
        ("menu", r"\bmenu\b|\baccueil\b|\bmeno\b|القائمه|المونيو|لمونيو|الاختيارات|\bl?menu\b"),
        (
            "thanks",
            r"\bmerci\b|\bchokran\b|\bchoukran\b|\bmersi\b|شكرا|مرسي|\bbaraka lahofik\b|الله يخليك|بارك الله",
        ),
        (
            "greet",
            r"^(bonjour|salut|bonsoir|coucou|hello|hey|salam|slm|ahlan|marhaba|mr7ba|labas)\b"
            r"|^(مرحبا|السلام|سلام|اهلا|صباح الخير|مساء الخير|مسا الخير|لاباس)",
        ),
        (
            "goodbye",
            r"\bau revoir\b|\ba bientot\b|\bbonne (journee|soiree|nuit)\b|\bbye\b|\bciao\b|\bbslama\b|\bbeslama\b"
            r"|مع السلامه|الى اللقاء|بسلامه|بالسلامه|تهلا|\bthella\b|\bthlla\b",
        ),
        (
            "deny",
            r"^(non|nan|no|la|lla|lala|la2|laa2|لا|لالا|كلا)\b|\bpas (du tout|vraiment|d'accord)\b"
            r"|\bmachi (hadchi|howa|s7i7)\b|ماشي (هادشي|هو|صحيح)|غير صحيح|\bje ne suis pas d'accord\b",
        ),
        (
            "affirm",
            r"^(oui|ouais|ok|okay|d'accord|parfait|exactement|absolument|ih|iyeh|ah|ayeh|wakha|wkha|safi|mzyan"
            r"|نعم|اجل|موافق|حسنا|تمام|ايه|اه|واخا|صافي|مزيان|طبعا|بالتاكيد)\b|\bbien sur\b|\btout a fait\b",
        ),
    ]
]


def _strip(norm: str) -> str:
    norm = norm.replace("من فضلك", " ").replace("s'il vous plait", " ").replace("s'il te plait", " ")
    words = [w for w in WORD_RE.findall(norm) if w not in _DECORATION]
    # a lone vocative particle ("a khoya", "أ أثر") left behind
    while words and words[-1] in ("a", "ا", "يا"):
        words.pop()
    while words and words[0] in ("ا", "يا") and len(words) > 1:
        words.pop(0)
    return " ".join(words)


def _features(norm: str) -> list[str]:
    return ngram_features(norm, (2, 3, 4))


class _IntentNB:
    def __init__(self, examples: list[tuple[str, str]], alpha: float = 0.1):
        self.alpha = alpha
        self.counts: dict[str, Counter[str]] = {}
        prior: Counter[str] = Counter()
        vocab: set[str] = set()
        for text, intent in examples:
            c = self.counts.setdefault(intent, Counter())
            f = _features(normalize(text))
            c.update(f)
            vocab.update(f)
            prior[intent] += 1
        self.v = max(1, len(vocab))
        self.vocab = frozenset(f for f in vocab if f.startswith("w:"))
        total = sum(prior.values()) or 1
        self.logprior = {k: math.log(v / total) for k, v in prior.items()}
        self.denom = {k: math.log(sum(c.values()) + alpha * self.v) for k, c in self.counts.items()}

    def knows(self, word: str) -> bool:
        return ("w:" + word) in self.vocab

    def predict(self, norm: str) -> list[tuple[str, float]]:
        feats = _features(norm)[:4000]
        if not feats:
            return []
        scores = {}
        for intent, c in self.counts.items():
            d = self.denom[intent]
            scores[intent] = self.logprior[intent] + sum(
                math.log(c.get(f, 0) + self.alpha) - d for f in feats
            )
        # temper: NB is overconfident on long texts
        scale = 1.0 / max(1.0, math.sqrt(len(feats)) / 3.0)
        m = max(scores.values())
        exp = {k: math.exp((v - m) * scale) for k, v in scores.items()}
        z = sum(exp.values())
        return sorted(((k, v / z) for k, v in exp.items()), key=lambda kv: -kv[1])


_NB_SHARED: _IntentNB | None = None
_NB_LOCK = threading.Lock()


def _shared_classifier() -> _IntentNB:
    """One classifier per process (read-only once built), shared by every FallbackNLU."""
    global _NB_SHARED
    if _NB_SHARED is None:
        with _NB_LOCK:
            if _NB_SHARED is None:
                _NB_SHARED = _IntentNB([(e.text, e.intent) for e in trainingdata.load()])
    return _NB_SHARED


class FallbackNLU:
    """Keyword/pattern parser with the NLU port's contract (never raises)."""

    engine = "fallback"

    def __init__(self) -> None:
        self._phrases: dict[str, str] = {}
        for intent, by_lang in DIALOGUE.items():
            for phrases in by_lang.values():
                for p in phrases:
                    key = _strip(normalize(p))
                    if key and key not in self._phrases:
                        self._phrases[key] = intent
        self._by_len = sorted(self._phrases, key=lambda k: -len(k))
        self._nb: _IntentNB | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Build the classifier now rather than at the first text that needs it."""
        self._classifier()

    def _classifier(self) -> _IntentNB:
        if self._nb is None:
            self._nb = _shared_classifier()
        return self._nb

    def classify(self, text: str) -> tuple[str, float]:
        norm = normalize(text)
        stripped = _strip(norm)
        words = stripped.split()
        if not words:
            return "nlu_fallback", 0.0
        if stripped in self._phrases:
            return self._phrases[stripped], 0.95
        sure, contained = self._phrase_inside(stripped, len(words))
        if sure is not None:
            return sure
        if contained is not None:
            # a known phrase inside a short message: likely, but not sure enough to be taken as a
            # command by the dispatcher (which needs 0.8) - "Accueil et orientation Tanger" is a title
            return contained, 0.65
        return self._guess(norm, words)

    def _phrase_inside(self, stripped: str, nwords: int) -> tuple[tuple[str, float] | None, str | None]:
        """In a short message (six words at most): a phrase or a pattern that makes most of it
        (a sure reading), else the intent of one found inside it (a likely one)."""
        if nwords > 6:
            return None, None
        contained = None
        padded = f" {stripped} "
        for key in self._by_len:
            if len(key) >= 3 and f" {key} " in padded:
                if len(key) >= 0.6 * len(stripped):
                    return (self._phrases[key], 0.85), None
                if contained is None and len(key) >= 4:
                    contained = self._phrases[key]
        for intent, rx in _PATTERNS:
            m = rx.search(stripped)
            if m:
                if (m.end() - m.start()) >= 0.5 * len(stripped) and nwords <= 5:
                    return (intent, 0.8), None
                contained = contained or intent
        return None, contained

    def _guess(self, norm: str, words: list[str]) -> tuple[str, float]:
        """The naive Bayes' reading, for statements only; a dialogue act is never guessed."""
        short = len(words) <= 6
        nb = self._classifier()
        known = sum(1 for w in words if nb.knows(w))
        if known == 0 or (short and known < 0.34 * len(words)):
            return "nlu_fallback", 0.0  # gibberish or words we never saw: do not guess
        preds = nb.predict(norm)
        if not preds:
            return "nlu_fallback", 0.0
        intent, p = preds[0]
        statements = ("describe_activity", "describe_output", "describe_effect", "out_of_scope")
        content = len(words) >= 3 and (any(ch.isdigit() for ch in norm) or lexicon.find_entities(norm))
        if (not short or content) and intent not in statements:
            # a long message is rarely a bare dialogue act: take the best statement instead
            stmt = [kv for kv in preds if kv[0] in statements]
            if stmt and stmt[0][1] > 0.15:
                intent, p = stmt[0]
        if intent not in statements:
            # Dialogue acts come from the phrases and patterns above, never from a statistical
            # guess on a few words ("beaucoup" is not "merci beaucoup").
            return "nlu_fallback", round(min(p, 0.3), 4)
        if p < 0.3:
            return "nlu_fallback", round(p, 4)
        return intent, round(min(p, 0.9), 4)

    def statement_ranking(self, text: str) -> list[Intent]:
        """The naive Bayes' statement intents for a message of three words or more (what the
        statement steps read), likeliest first; empty for shorter ones."""
        norm = normalize(text)
        if len(norm.split()) < 3:
            return []
        return [
            Intent(name=k, confidence=round(v, 4))
            for k, v in self._classifier().predict(norm)
            if k in STATEMENT_INTENTS
        ]

    def entities(self, text: str) -> list[Entity]:
        return extract_entities(text)

    def parse(self, text: str, *, hint: str | None = None) -> Understanding:
        text = text if isinstance(text, str) else ""
        try:
            if not has_letters_or_digits(text):
                return Understanding(
                    text=text,
                    language=hint,
                    intent=Intent(name="nlu_fallback", confidence=0.0),
                    entities=[],
                    engine="none",
                )
            lang, conf = identify(text)
            if hint and (lang is None or conf < 0.7) and _script_ok(hint, text):
                lang = hint
            intent, p = self.classify(text)
            return Understanding(
                text=text,
                language=lang,
                intent=Intent(name=intent, confidence=p),
                entities=extract_entities(text),
                ranking=self.statement_ranking(text),
                engine=self.engine,
            )
        except Exception:  # never raise
            return Understanding(
                text=text,
                language=hint,
                intent=Intent(name="nlu_fallback", confidence=0.0),
                engine=self.engine,
            )


def _script_ok(hint: str, text: str) -> bool:
    from nlu.normalize import is_arabic_char

    arabic = any(is_arabic_char(c) and c.isalpha() for c in text)
    return is_rtl(hint) == arabic


def extract_entities(text: str) -> list[Entity]:
    """Publics and domains (lexicon) plus numbers, percents, durations, qualifiers and dates, in
    text order."""
    ents: list[Entity] = []
    for m in lexicon.find_entities(text):
        ents.append(Entity(entity=m.entity, value=m.value, start=m.start, end=m.end))
    for q in numbers.extract(text):
        ents.append(Entity(entity=q.entity, value=q.value, start=q.start, end=q.end))
    for d in dates.extract(text):
        ents.append(Entity(entity="date", value=d.value, start=d.start, end=d.end))
    ents.sort(key=lambda e: (e.start, e.end))
    return ents
