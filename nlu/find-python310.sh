#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter for Rasa 3.6, or explains how to get one.
set -uo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
for cand in "${RASA_PYTHON:-}" python3.10; do
    [ -n "$cand" ] || continue
    if ok "$cand"; then command -v "$cand" 2>/dev/null || echo "$cand"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
    for p in "$root"/versions/3.10*/bin/python3.10; do
        if [ -x "$p" ] && ok "$p"; then echo "$p"; exit 0; fi
    done
fi
if command -v uv >/dev/null 2>&1; then
    p="$(uv python find 3.10 2>/dev/null || true)"
    if [ -n "$p" ] && ok "$p"; then echo "$p"; exit 0; fi
fi
cat >&2 <<'MSG'
Rasa 3.6 needs Python 3.10, and none was found (tried $RASA_PYTHON, python3.10, pyenv, uv).
Get one of these, then run make again:
  - pyenv:  pyenv install 3.10      (make finds it under $(pyenv root)/versions)
  - uv:     uv python install 3.10
  - or run Rasa's official 3.6 container and point Athar at it instead of a local server:
      docker run -p 5005:5005 -v "$PWD/nlu/models:/app/models" rasa/rasa:3.6.21-full run --enable-api
      ATHAR_NLU__URL=http://127.0.0.1:5005 make run
    (a model trained by `athar nlu train` elsewhere goes into nlu/models/)
Or set RASA_PYTHON=/path/to/python3.10.
MSG
exit 1
