# Two targets a newcomer needs: `make demo` (the main job) and `make test`.
# Both create .venv with Python 3.10 on first use.
PY := .venv/bin/python

.PHONY: demo demo-quick demo-lava test lint wheel-check bench nir-interop install clean
# Touda & Okuno 2026 at full size (L2 Wt 5 against L1 Wt 78, 400 neurons, 40k/10k/10k MNIST
# images), the two runs in parallel, into runs/demo/; `lava-wta demo --help` says more.
demo: .venv/.installed
	$(PY) -m lava_wta.cli demo

# A first look in seconds: 100 neurons, 1,000 images, L2 (runs/demo-quick/).
demo-quick: .venv/.installed
	$(PY) -m lava_wta.cli demo --quick

demo-lava: .venv/.installed
	$(PY) -m lava_wta.cli demo --quick --backend lava --out runs/demo-lava

bench: .venv/.installed
	$(PY) benchmarks/engine_vs_lava.py

# A trained current-based run in third-party NIR simulators (installs them into a Python 3.11
# venv under runs/nir-interop; not part of `make test`): make nir-interop RUN=runs/<run> [N=1000]
nir-interop: .venv/.installed
	$(PY) benchmarks/nir_interop.py $(RUN) --test-images $(or $(N),1000)

test: .venv/.installed
	$(PY) -m pytest -q

# pyflakes, pycodestyle and import order, as configured in pyproject.toml ([tool.ruff]).
lint: .venv/.installed
	$(PY) -m ruff check .

# Build the wheel, install it into a clean Python 3.10 environment in a temporary folder
# (dependencies from the package registry) and run the quick demo with it.
wheel-check: .venv/.installed
	$(PY) scripts/check_wheel.py

install: .venv/.installed

.venv/.installed: pyproject.toml scripts/setup-venv.sh scripts/find-python310.sh
	bash scripts/setup-venv.sh

clean:
	rm -rf .venv runs .pytest_cache
