#!/usr/bin/env bash
# Create .venv with Python 3.10 (lava-nc 0.10 supports only Python < 3.11) and install
# lava-wta with its test dependencies. Finds python3.10 with scripts/find-python310.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(bash scripts/find-python310.sh); then
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
