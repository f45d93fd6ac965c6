#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (lava-nc 0.10 supports only Python < 3.11):
# $PYTHON310 if set, else python3.10 on PATH, else the newest 3.10 that pyenv knows.
# Exits 1, printing nothing, when there is none.
set -euo pipefail

if [ -n "${PYTHON310:-}" ]; then echo "$PYTHON310"; exit 0; fi
if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  command -v python3.10; exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -V -r); do
    p=$(PYENV_VERSION="$v" pyenv which python3.10 2>/dev/null || true)
    if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; exit 0; fi
  done
fi
exit 1
