"""Rules that users extend without editing lava_wta.

STDP rules (:mod:`lava_wta.model.plasticity`), threshold rules
(:mod:`lava_wta.model.threshold`), membrane rules (:mod:`lava_wta.model.neurons`) and
synaptic scaling rules (:mod:`lava_wta.rules.scaling`) are registered by name and selected
in the configuration (``stdp.rule``, ``exc.theta_rule``, ``exc.membrane_rule``,
``scaling.mode``).
"""
from lava_wta.model.neurons import (
    ConductanceMembrane,
    CurrentMembrane,
    get_membrane_rule,
    membrane_rule_names,
    register_membrane_rule,
)
from lava_wta.model.plasticity import (
    StdpParams,
    STDPRule,
    get_stdp_rule,
    register_stdp_rule,
    stdp_rule_names,
)
from lava_wta.model.threshold import (
    ThetaParams,
    get_theta_rule,
    register_theta_rule,
    theta_rule_names,
)
from lava_wta.rules.scaling import (
    ScalingRule,
    apply_scaling,
    get_scaling_rule,
    register_scaling_rule,
    row_norms,
    scaling_rule_names,
)

__all__ = [
    "ConductanceMembrane",
    "CurrentMembrane",
    "get_membrane_rule",
    "membrane_rule_names",
    "register_membrane_rule",
    "STDPRule",
    "StdpParams",
    "get_stdp_rule",
    "register_stdp_rule",
    "stdp_rule_names",
    "ThetaParams",
    "get_theta_rule",
    "register_theta_rule",
    "theta_rule_names",
    "ScalingRule",
    "apply_scaling",
    "get_scaling_rule",
    "register_scaling_rule",
    "row_norms",
    "scaling_rule_names",
]
