"""Word and character n-gram features of a normalised text, for the small naive Bayes models of
language identification (nlu.langid) and of the fallback parser (nlu.fallback)."""

from __future__ import annotations

import re

WORD_RE = re.compile(r"[a-z0-9'\u0600-\u06ff]+")


def ngram_features(norm: str, sizes: tuple[int, ...]) -> list[str]:
    """Each word ("w:" + word) and its character n-grams of the given sizes, the word padded
    with a space on each side."""
    feats: list[str] = []
    for w in WORD_RE.findall(norm):
        feats.append("w:" + w)
        p = f" {w} "
        for n in sizes:
            for i in range(len(p) - n + 1):
                feats.append(p[i : i + n])
    return feats
