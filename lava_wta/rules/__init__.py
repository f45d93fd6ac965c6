"""Plasticity rules that users extend without editing lava_wta.

Synaptic scaling rules are registered by name and selected with ``scaling.mode`` in
the configuration; see :mod:`lava_wta.rules.scaling`.
"""
from lava_wta.rules.scaling import (
    ScalingRule,
    apply_scaling,
    get_scaling_rule,
    register_scaling_rule,
    row_norms,
    scaling_rule_names,
)

__all__ = [
    "ScalingRule",
    "apply_scaling",
    "get_scaling_rule",
    "register_scaling_rule",
    "row_norms",
    "scaling_rule_names",
]
