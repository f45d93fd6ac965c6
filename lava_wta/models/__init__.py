"""ProcessModels of lava-wta's Processes, grouped like lava-nc's ``models.py`` files.

Importing this package registers every built-in model; :class:`lava_wta.run_config.WTASimCfg`
selects among them (and among users' subclasses) by tag.
"""
from lava_wta.models.fused import PyWTANetworkFusedModel
from lava_wta.models.fused_async import PyWTANetworkAsyncModel
from lava_wta.models.network import SubWTANetworkModel
from lava_wta.models.neurons import (
    AbstractPyConductanceLIFModelFloat,
    PyAdaptiveConductanceLIFModelFloat,
    PyConductanceLIFModelFloat,
)
from lava_wta.models.plastic_dense import PyPlasticDenseModelFloat
from lava_wta.models.poisson import PyPoissonImageInputModel

__all__ = [
    "AbstractPyConductanceLIFModelFloat",
    "PyAdaptiveConductanceLIFModelFloat",
    "PyConductanceLIFModelFloat",
    "PyPlasticDenseModelFloat",
    "PyPoissonImageInputModel",
    "PyWTANetworkAsyncModel",
    "PyWTANetworkFusedModel",
    "SubWTANetworkModel",
]

from lava_wta.models.cuba import (  # noqa: E402  (current-based variant)
    AbstractPyCurrentLIFModelFloat,
    PyAdaptiveCurrentLIFModelFloat,
    PyCurrentLIFModelFloat,
)

__all__ += ["AbstractPyCurrentLIFModelFloat", "PyAdaptiveCurrentLIFModelFloat",
            "PyCurrentLIFModelFloat"]

from lava_wta.models.lif import PyPerNeuronLifModelBitAcc, PyPerNeuronLifModelFloat  # noqa: E402

__all__ += ["PyPerNeuronLifModelBitAcc", "PyPerNeuronLifModelFloat"]
