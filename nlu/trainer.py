"""Train the Rasa NLU model, cached outside the repository by a hash of what it is made from.

The model is `<cache>/models/<hash>.tar.gz`, where the hash covers the training files
(nlu/rasa/data), the pipeline (nlu/rasa/config.yml), the normaliser (nlu/normalize.py) and the
pinned Rasa requirements. Training normalises every example with nlu.normalize (entity
annotations kept), exactly as the client normalises messages before /model/parse.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nlu.normalize import normalize

NLU_DIR = Path(__file__).resolve().parent
ROOT = NLU_DIR.parent
RASA_DIR = NLU_DIR / "rasa"
CONFIG = RASA_DIR / "config.yml"
DATA_DIR = RASA_DIR / "data"
RASA_VENV = ROOT / ".venv-rasa"
_ANNOT_RE = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def cache_dir() -> Path:
    base = os.environ.get("ATHAR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "athar"
    )
    return Path(base)


def model_inputs(data_dir: Path | None = None) -> list[Path]:
    return [
        CONFIG,
        NLU_DIR / "normalize.py",
        NLU_DIR / "requirements-rasa.txt",
        *sorted((data_dir or DATA_DIR).glob("*.yml")),
    ]


def data_hash(data_dir: Path | None = None) -> str:
    h = hashlib.sha256()
    for p in model_inputs(data_dir):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def model_path(data_dir: Path | None = None) -> Path:
    return cache_dir() / "models" / f"{data_hash(data_dir)}.tar.gz"


def rasa_bin() -> Path:
    return RASA_VENV / "bin" / "rasa"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "OMP_NUM_THREADS": "1",
            "LOG_LEVEL_LIBRARIES": "ERROR",
        }
    )
    return env


def _norm_piece(piece: str) -> str:
    if not piece:
        return piece
    lead = " " if piece[0].isspace() else ""
    trail = " " if piece[-1].isspace() and piece.strip() else ""
    body = normalize(piece)
    return lead + body + trail if body else (" " if piece.isspace() else "")


def normalize_example(line: str) -> str:
    """Normalise an annotated example: the text inside and outside the [..]{..} markup."""
    out, pos = [], 0
    for m in _ANNOT_RE.finditer(line):
        out.append(_norm_piece(line[pos : m.start()]))
        out.append("[" + normalize(m.group(1)) + "]" + m.group(2))
        pos = m.end()
    out.append(_norm_piece(line[pos:]))
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def write_normalised_data(dest: Path, source: Path | None = None) -> int:
    """Copy the training files to `dest` with every example normalised; return the example count."""
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in sorted((source or DATA_DIR).glob("*.yml")):
        lines = []
        for line in p.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(\s*- )(.*)$", line)
            if m and not line.lstrip().startswith(("- intent:", "- lookup:", "- synonym:", "- regex:")):
                ex = normalize_example(m.group(2))
                if not ex:
                    continue
                line = m.group(1) + ex
                n += 1
            lines.append(line)
        (dest / p.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n


def train(*, force: bool = False, log=print, data_dir: Path | None = None) -> Path:
    """Train on `data_dir` (default: nlu/rasa/data) unless a model for its hash exists; return
    the model path."""
    target = model_path(data_dir)
    if target.exists() and not force:
        log(f"NLU model up to date ({target.name}); training skipped")
        return target
    if not rasa_bin().exists():
        raise RuntimeError(f"{rasa_bin()} is missing: run `make rasa-venv` (needs Python 3.10)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="athar-nlu-") as tmp:
        data = Path(tmp) / "data"
        n = write_normalised_data(data, data_dir)
        out = Path(tmp) / "out"
        log(f"Training the NLU model on {n} normalised examples ...")
        t0 = time.monotonic()
        cmd = [
            str(rasa_bin()),
            "train",
            "nlu",
            "--config",
            str(CONFIG),
            "--nlu",
            str(data),
            "--out",
            str(out),
            "--fixed-model-name",
            target.name[: -len(".tar.gz")],
            "--quiet",
        ]
        proc = subprocess.run(cmd, cwd=tmp, env=rasa_env(), capture_output=True, text=True)
        produced = out / target.name
        if proc.returncode != 0 or not produced.exists():
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise RuntimeError(f"rasa train failed (exit {proc.returncode})")
        shutil.move(str(produced), str(target) + ".part")
        os.replace(str(target) + ".part", target)
        log(f"NLU model trained in {time.monotonic() - t0:.0f} s: {target}")
    return target
