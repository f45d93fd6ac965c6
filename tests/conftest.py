"""Shared helpers: small Lava harnesses that drive one process with scripted input."""
from __future__ import annotations

import numpy as np
import pytest

from lava_wta import WTAConfig


@pytest.fixture
def digits_config() -> WTAConfig:
    """A configuration sized for scikit-learn's 8x8 digits."""
    return WTAConfig().with_overrides({"network.n_inputs": 64, "network.n_neurons": 20})


def run_and_record(procs_to_run, n_steps: int, getters: dict) -> dict:
    """Run ``n_steps`` with lava-wta's run config, read Vars, stop."""
    from lava.magma.core.run_conditions import RunSteps

    from lava_wta.run_config import WTASimCfg

    root = procs_to_run
    root.run(condition=RunSteps(num_steps=n_steps), run_cfg=WTASimCfg())
    try:
        return {name: np.array(var.get()) for name, var in getters.items()}
    finally:
        root.stop()
