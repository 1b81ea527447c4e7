"""Is a message nothing but a dialogue command ("retour au menu svp", "rje3ni l lmenu",
"رجعني للمونيو")? Then the dispatcher may take it for one; a message with any other word
("l'association Tanger Accueil", "un meilleur accueil") is an answer, whatever its intent.

The vocabulary is every word of our own phrasings of the global dialogue intents (help, back,
skip, menu, cancel, restart, change of language: nlu.training.phrases), plus wanting, pronoun
and politeness words, normalised (nlu.normalize) with the Arabic article and one-letter
proclitics removed ("للمونيو" → "مونيو"); light typos of long words are allowed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlu.normalize import normalize
from nlu.training.phrases import DIALOGUE

GLOBAL_INTENTS = ("help", "back", "skip", "menu", "cancel", "restart", "change_language")
# words that may surround a command without adding content
FILLERS = """
je j' j veux voudrais voulais peux peut pouvez on va aller allez moi me m' m nous s'il vous
plait svp stp please pls merci alors bon euh hmm ok ah oui non ca c' est a au aux la le les l
d' de du des un une en et tout toute maintenant directement encore athar
أريد اريد نريد أود اود ممكن لو سمحت من فضلك رجاء يا أثر اثر الآن الان إلى الى لـ و ثم
بغيت بغينا باغي باغية بغا عافاك عفاك دابا شي أ ا نيت
bghit bghina baghi baghya bgha 3afak afak daba chi a y ya wach nit safi please
""".split()
_WORD = re.compile(r"[a-z0-9\u0600-\u06ff']+")
_CLITIC = re.compile(
    "^(?:[\u0648\u0641\u0628\u0644\u0643]?\u0644?\u0627\u0644|[\u0648\u0641\u0628\u0644\u0643]\u0644?)(?=\\w{2})"
)


def _stem(word: str) -> str:
    word = word.strip("'")
    if word and "\u0600" <= word[0] <= "\u06ff":
        return _CLITIC.sub("", word)
    return re.sub(r"^(?:l|d|j|m|c|qu)'", "", word)


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for intent in GLOBAL_INTENTS:
        for phrases in DIALOGUE[intent].values():
            for p in phrases:
                words.update(_stem(w) for w in _WORD.findall(normalize(p)))
    words.update(_stem(w) for w in _WORD.findall(normalize(" ".join(FILLERS))))
    words.discard("")
    return frozenset(words)


def _close(word: str, vocab: frozenset[str]) -> bool:
    if word in vocab:
        return True
    if len(word) < 5 or word.isdigit():
        return False
    return any(abs(len(v) - len(word)) <= 1 and _one_edit(word, v) for v in vocab)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def command_only(text: str) -> bool:
    """Every word of `text` belongs to a global command's phrasings or is a filler word."""
    words = [_stem(w) for w in _WORD.findall(normalize(text or ""))]
    words = [w for w in words if w]
    if not words:
        return False
    vocab = vocabulary()
    return all(_close(w, vocab) for w in words)
