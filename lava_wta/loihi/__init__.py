"""Loihi 2 fixed-point deployment of the trained current-based network.

:func:`quantize` turns the network (as NIR, through :func:`lava_wta.nir.importer.plan_nir`)
into Loihi's integer representation; :func:`build_fixed` builds it from lava-nc's ``Dense``
(bit-accurate model) and lava-wta's ``PerNeuronLIF`` (lava-nc's bit-accurate LIF with a
threshold per neuron); :func:`loihi_report` scores it against floating point.
"""
from lava_wta.loihi.quantize import FixedConnection, FixedNeurons, FixedPlan, build_fixed, quantize
from lava_wta.loihi.report import loihi_report

__all__ = ["FixedConnection", "FixedNeurons", "FixedPlan", "build_fixed", "loihi_report", "quantize"]
