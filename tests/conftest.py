"""Shared fixtures (the Lava harness of the process-model tests is tests/lava_harness.py)."""
from __future__ import annotations

import pytest

from lava_wta import WTAConfig


@pytest.fixture
def digits_config() -> WTAConfig:
    """A configuration sized for scikit-learn's 8x8 digits."""
    return WTAConfig().with_overrides({"network.n_inputs": 64, "network.n_neurons": 20})
