"""Lava Process classes of lava-wta (interfaces only: Vars and ports).

Their ProcessModels live in :mod:`lava_wta.models`; run them with
:class:`lava_wta.run_config.WTASimCfg`, which tells Lava's compiler where to find them.
"""
from lava_wta.processes.network import WTANetwork
from lava_wta.processes.neurons import AdaptiveConductanceLIF, ConductanceLIF
from lava_wta.processes.plastic_dense import PlasticDense
from lava_wta.processes.poisson import PoissonImageInput

__all__ = ["AdaptiveConductanceLIF", "ConductanceLIF", "PlasticDense", "PoissonImageInput", "WTANetwork"]

from lava_wta.processes.cuba import AdaptiveCurrentLIF, CurrentLIF  # noqa: E402

__all__ += ["AdaptiveCurrentLIF", "CurrentLIF"]

from lava_wta.processes.lif import PerNeuronLIF  # noqa: E402

__all__ += ["PerNeuronLIF"]
