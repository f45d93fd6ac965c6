"""Extending lava-wta without editing it: an STDP rule, a threshold rule, a membrane rule
and a scaling rule, registered once and trained and evaluated on the backend of your choice.

    python examples/custom_rules.py --digits                   # the engine (default)
    python examples/custom_rules.py --digits --backend lava    # the composed Lava graph
    python examples/custom_rules.py                            # MNIST subset instead of 8x8 digits

1. An STDP rule is two small numba functions (depression, potentiation) registered by
   name and selected with ``stdp.rule``.
2. A threshold rule (how θ decays and rises) is two small numba functions registered by
   name and selected with ``exc.theta_rule``.
3. A membrane rule (how v moves between spikes) is one small numba function per neuron
   family, registered by name and selected with ``exc.membrane_rule``
   (``cuba_exc.membrane_rule`` for current-based neurons).
4. A scaling norm is two small numba functions (accumulate, finish) registered by name
   and selected with ``scaling.mode``.

Every backend (engine, lava, lava-fused, lava-async) runs the same functions: the engine
compiles them into its step, the composed Lava graph's processes call them.

This file is also a plugin: ``lava-wta --plugin examples/custom_rules.py train
--stdp-rule soft_bound --scaling l3 --set exc.theta_rule=capped
--set exc.membrane_rule=exp_if ...`` uses its rules from
the command line.
"""
from __future__ import annotations

import argparse

import numpy as np
from numba import njit

from lava_wta import WTAConfig
from lava_wta.model.neurons import exponential_euler_conductance, exponential_euler_current
from lava_wta.rules import (
    membrane_rule_names,
    register_membrane_rule,
    register_scaling_rule,
    register_stdp_rule,
    register_theta_rule,
    scaling_rule_names,
    stdp_rule_names,
    theta_rule_names,
)


# 1. An STDP rule: soft-bounded potentiation, dW = nu_post * y2 * x_pre * (w_max - W);
#    depression stays Diehl & Cook's (the additive rule's half).
@njit(inline="always")
def soft_bound_potentiate(w, x_pre, y2, p):
    return w + p.nu_post * y2 * x_pre * (p.w_max - w)


if "soft_bound" not in stdp_rule_names():
    register_stdp_rule("soft_bound", potentiate=soft_bound_potentiate)

# 2. A threshold rule: theta may not rise more than THETA_CAP_MV above its start;
#    its decay stays Diehl & Cook's.
THETA_CAP_MV = 2.0


@njit(inline="always")
def capped_theta_spike(theta, p):
    return min(theta + p.theta_plus_mv, p.theta_init_mv + THETA_CAP_MV)


if "capped" not in theta_rule_names():
    register_theta_rule("capped", spike=capped_theta_spike)

# 3. A membrane rule: an exponential integrate-and-fire drive. The built-in step, plus the
#    spike-initiation current dt/tau_m * DELTA_T * exp((v - V_T) / DELTA_T) (Fourcaud-Trocme
#    et al. 2003), which makes v run away once it comes near V_T.
V_T_MV, DELTA_T_MV = -55.0, 2.0


@njit(inline="always")
def _spike_initiation(v, dt_over_tau):
    return dt_over_tau * DELTA_T_MV * np.exp(min((v - V_T_MV) / DELTA_T_MV, 20.0))


@njit(inline="always")
def exp_if_conductance(v, g_e, g_i, m):
    return exponential_euler_conductance(v, g_e, g_i, m) + _spike_initiation(v, m.dt_ms / m.tau_m_ms)


@njit(inline="always")
def exp_if_current(v, i_syn, m):
    # dv = 1 - exp(-dt / tau_m): the fraction of the way to v_rest + i covered per step
    return exponential_euler_current(v, i_syn, m) + _spike_initiation(v, m.dv)


if "exp_if" not in membrane_rule_names():
    register_membrane_rule("exp_if", conductance=exp_if_conductance, current=exp_if_current)


# 4. A scaling norm: keep each neuron's L3 norm at the target (weights are >= 0).
@njit(inline="always")
def l3_accumulate(acc, w):
    return acc + w * w * w


@njit(inline="always")
def l3_finish(acc):
    return acc ** (1.0 / 3.0)


if "l3" not in scaling_rule_names():
    register_scaling_rule("l3", accumulate=l3_accumulate, finish=l3_finish)


def main() -> None:
    from lava_wta.backends import backend_names
    from lava_wta.data import load_dataset
    from lava_wta.evaluation import accuracy
    from lava_wta.pipeline import evaluate, train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", action="store_true", help="use scikit-learn's 8x8 digits")
    parser.add_argument("--backend", choices=backend_names(learns=True), default="engine")
    parser.add_argument("--train-images", type=int, default=300)
    parser.add_argument("--test-images", type=int, default=300)
    args = parser.parse_args()

    data = load_dataset("digits" if args.digits else "mnist")
    config = WTAConfig().with_overrides({
        "network.n_inputs": data.n_pixels, "network.n_neurons": 30,
        "stdp.rule": "soft_bound", "exc.theta_rule": "capped", "exc.membrane_rule": "exp_if",
        "scaling.mode": "l3", "scaling.target_norm": 3.0 if not args.digits else 2.5,
        "time.presentation_ms": 100.0,
        **({"input.pixel_rate_hz": 1.0} if args.digits else {}),
    })
    n_tr, n_te = args.train_images, args.test_images
    trained = train(config, data.train_images[:n_tr], data.train_labels[:n_tr], backend=args.backend,
                    progress=False)
    l3 = (trained.state.weights ** 3).sum(axis=1) ** (1 / 3)
    print(f"L3 norm of every neuron after training: {l3.min():.4f} .. {l3.max():.4f} "
          f"(target {config.scaling.target_norm:g})")
    print(f"theta range: {trained.state.theta.min():.2f} .. {trained.state.theta.max():.2f} mV "
          f"(cap {config.exc.theta_init_mv + THETA_CAP_MV} mV)")
    result = evaluate(config, trained.state, data.train_images[n_tr:2 * n_tr],
                      data.train_labels[n_tr:2 * n_tr], data.test_images[:n_te], data.test_labels[:n_te],
                      backend=args.backend, progress=False)
    print(f"accuracy with soft-bound STDP, capped theta, an exponential IF membrane, l3 scaling "
          f"({args.backend}): "
          f"{100 * accuracy(data.test_labels[:n_te], result.predictions):.1f} % on {n_te} test images")

if __name__ == "__main__":
    main()
