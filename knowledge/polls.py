"""Load knowledge/polls.yml (scales, question modules, story lexicon) into a QuestionBank.

Kept in its own module (not in loader.py) so that the poll content can evolve without touching
the shared loader.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from domain.polls import QuestionBank, StoryLexicon
from knowledge.loader import HERE, KnowledgeError, read_yaml

POLLS_FILE = "polls.yml"


def load_question_bank(base: Path | None = None) -> QuestionBank:
    """The validated question bank (cached for the package's own file)."""
    if base is None:
        return _cached()
    return _load(Path(base))


@lru_cache(maxsize=1)
def _cached() -> QuestionBank:
    return _load(HERE)


def _load(base: Path) -> QuestionBank:
    data = read_yaml(POLLS_FILE, base)
    if not isinstance(data, dict):
        raise KnowledgeError(f"{base / POLLS_FILE}: expected a mapping")
    try:
        pq = data.get("public_question") or {}
        return QuestionBank(
            scales=data.get("scales") or {},
            modules=data.get("modules") or [],
            publics=data.get("publics") or [],
            public_text=pq.get("text") or {},
            public_short=pq.get("short") or {},
            lexicon=StoryLexicon(
                domains=data.get("story_domains") or {}, polarity=data.get("polarity") or {}
            ),
        )
    except (ValidationError, ValueError, KeyError) as exc:
        raise KnowledgeError(f"{base / POLLS_FILE}: {exc}") from exc
