#!/usr/bin/env bash
# Create .venv with Python 3.10 (lava-nc 0.10 supports only Python < 3.11) and install
# lava-wta with its test dependencies. Finds python3.10 on PATH or through pyenv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

find_python310() {
  if [ -n "${PYTHON310:-}" ]; then echo "$PYTHON310"; return 0; fi
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local v
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -V -r); do
      local p
      p=$(PYENV_VERSION="$v" pyenv which python3.10 2>/dev/null || true)
      if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; return 0; fi
    done
  fi
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python310); then
    echo "error: lava-wta needs Python 3.10 (lava-nc 0.10 does not run on 3.11+)." >&2
    echo "       Install it (e.g. 'pyenv install 3.10' or your system's python3.10 package)," >&2
    echo "       or point PYTHON310=/path/to/python3.10 at one." >&2
    exit 1
  fi
  echo "Creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[dev]"

# Optional: Fashion-MNIST from Debian, when this machine can install it.
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's dataset-fashion-mnist (optional)"
  (apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1)) || \
   echo "note: dataset-fashion-mnist not installed; Fashion-MNIST then needs --data-dir" >&2
fi
touch "$VENV/.installed"
