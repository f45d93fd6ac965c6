"""docs/tutorial.ipynb runs from top to bottom (at a small size: its parameters cell is
overridden) and every cell succeeds."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
SMALL = """
DATASET = "digits"
N_NEURONS = 10
N_TRAIN = 40
N_LABEL = 20
N_TEST = 20
N_LAVA = 1
N_RULE = 10
OUT = {out!r}
"""


def test_the_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1


def test_the_tutorial_notebook_runs_every_cell(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])][0]
    params.source += "\n" + SMALL.format(out=str(tmp_path / "run"))
    # the kernel imports this checkout (not another install of lava_wta)
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path
    try:
        client.execute()              # raises CellExecutionError naming the failing cell
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    out = tmp_path / "run"
    for name in ("weights.png", "raster.png", "weights_over_training.png", "training_curve.png",
                 "network.nir", "loihi_report.json"):
        assert (out / name).is_file(), name
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "same spike counts as the engine: True" in text
