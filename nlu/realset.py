"""The real dev set in nlu/eval/real/ (provenance and labelling rules: its README.md).

- statements.jsonl: statements quoted from public project documents (fr, ar, a few real ary), each
  with its source document and a results-chain label (activity / output / effect);
- renderings.jsonl: Darija renderings (ary, ary-Latn) written by the team, each from one statement,
  keeping its label and its split;
- sources.jsonl: one line per source document, with the split of its group (one project's documents
  form one group, so a project never feeds both splits);
- langid.jsonl: chat-style lines per language variant for language identification.

The split is decided once per group by `split_of` and recorded in the files. Train and calibrate on
split "train" only; "test" is for the final measurement.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from domain.languages import LANG_TAGS

REAL_DIR = Path(__file__).resolve().parent / "eval" / "real"
LABELS = ("activity", "output", "effect")
SPLITS = ("train", "test")
STATEMENT_LANGS = ("fr", "ar", "ary")
RENDERING_LANGS = ("ary", "ary-Latn")
LANGID_LANGS = LANG_TAGS
_SPLIT_SALT = "athar-real-v1:"
# query parameters that never identify a document (tracking, AMP, print views)
_NOISE_PARAMS = {"amp", "s", "fbclid", "output", "lang", "hl", "print"}


def intent_of(label: str) -> str:
    """The NLU statement intent for a results-chain label (activity -> describe_activity)."""
    return f"describe_{label}"


def split_of(group: str) -> str:
    """The split of a group of documents: a fixed hash, so adding documents never moves old ones."""
    digest = hashlib.sha256((_SPLIT_SALT + group).encode("utf-8")).hexdigest()
    return "test" if int(digest, 16) % 2 else "train"


def url_key(url: str) -> str:
    """A document's address without what does not identify it: scheme, www./m./fr./ar. prefixes,
    trailing slash or /amp, case of the path, tracking parameters. Two URLs of one page share it."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "www2.", "m.", "amp.", "fr.", "ar.", "en."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
            break
    path = unquote(parts.path).rstrip("/").lower()
    if path.endswith("/amp"):
        path = path[: -len("/amp")]
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _NOISE_PARAMS and not k.lower().startswith("utm_")
    )
    return host + path + ("?" + "&".join(f"{k}={v}" if v else k for k, v in query) if query else "")


def url_key_hash(url: str) -> str:
    return hashlib.sha256(url_key(url).encode("utf-8")).hexdigest()


def _read(name: str, base: Path) -> list[dict[str, Any]]:
    path = base / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=4)
def _cached(name: str, base: Path) -> tuple[dict[str, Any], ...]:
    return tuple(_read(name, base))


def sources(base: Path = REAL_DIR) -> dict[str, dict[str, Any]]:
    return {s["doc"]: dict(s) for s in _cached("sources.jsonl", base)}


def statements(base: Path = REAL_DIR) -> list[dict[str, Any]]:
    return [dict(r) for r in _cached("statements.jsonl", base)]


def renderings(base: Path = REAL_DIR) -> list[dict[str, Any]]:
    return [dict(r) for r in _cached("renderings.jsonl", base)]


def load(
    split: str | None = None, languages: tuple[str, ...] | None = None, base: Path = REAL_DIR
) -> list[dict[str, Any]]:
    """Statements and renderings as evaluation rows: text, language, label, intent, split, id, doc
    (a rendering's doc is its statement's), group (the project of that doc: cross-validation
    folds go by it) and, for renderings, `from`. The rows fit nlu.evaluate.evaluate as they are."""
    by_id = {r["id"]: r for r in statements(base)}
    docs = sources(base)
    rows = []
    for r in statements(base) + renderings(base):
        row = dict(r)
        if "from" in row:
            row["doc"] = by_id[row["from"]]["doc"]
        row["group"] = docs[row["doc"]]["group"] if row["doc"] in docs else row["doc"]
        row["intent"] = intent_of(row["label"])
        if (split is None or row["split"] == split) and (languages is None or row["language"] in languages):
            rows.append(row)
    return rows


def langid_lines(split: str | None = None, base: Path = REAL_DIR) -> list[dict[str, Any]]:
    return [dict(r) for r in _cached("langid.jsonl", base) if split is None or r["split"] == split]


def counts_table(base: Path = REAL_DIR) -> str:
    """The README's table of counts (a test keeps it in sync with the files)."""
    rows = load(base=base)
    lines = ["| variant | split | activity | output | effect | total |", "|---|---|---|---|---|---|"]
    for lang in LANG_TAGS:
        for split in SPLITS:
            c = [r for r in rows if r["language"] == lang and r["split"] == split]
            if c:
                per = [sum(r["label"] == label for r in c) for label in LABELS]
                lines.append(f"| {lang} | {split} | " + " | ".join(map(str, per)) + f" | {len(c)} |")
    lid = langid_lines(base=base)
    lines += ["", "| language-id lines | train | test | total |", "|---|---|---|---|"]
    for lang in LANGID_LANGS:
        c = [r for r in lid if r["language"] == lang]
        if c:
            n_train = sum(r["split"] == "train" for r in c)
            lines.append(f"| {lang} | {n_train} | {len(c) - n_train} | {len(c)} |")
    docs = sources(base)
    groups = {s["group"] for s in docs.values()}
    lines += [
        "",
        f"{len(docs)} source documents in {len(groups)} groups "
        f"({sum(s['split'] == 'test' for s in docs.values())} documents in the test split).",
    ]
    return "\n".join(lines)


README = REAL_DIR / "README.md"
_COUNTS_RE = r"(<!-- counts -->\n)(.*?)(<!-- /counts -->)"


def readme_counts(text: str) -> str:
    m = re.search(_COUNTS_RE, text, re.S)
    return m.group(2).strip() if m else ""


if __name__ == "__main__":  # python -m nlu.realset: rewrite the README's counts after editing the files
    body = README.read_text(encoding="utf-8")
    README.write_text(
        re.sub(_COUNTS_RE, lambda m: m.group(1) + counts_table() + "\n" + m.group(3), body, flags=re.S),
        encoding="utf-8",
    )
