"""Extending lava-wta without editing it: an STDP variant, a scaling rule and a neuron
variant, trained and evaluated on the backend of your choice.

    python examples/custom_rules.py --digits                   # the engine (default)
    python examples/custom_rules.py --digits --backend lava    # the composed Lava graph
    python examples/custom_rules.py                            # MNIST subset instead of 8x8 digits

1. An STDP rule is two small numba functions registered by name and selected with
   ``stdp.rule``: every backend (engine, lava, lava-fused, lava-async) compiles or calls
   the same functions.
2. A scaling rule is a norm registered by name and selected with ``scaling.mode``; every
   backend applies it.
3. A neuron variant here is a subclass of a neuron ProcessModel, selected by tag: it runs
   in the composed Lava graph only (``--backend lava``); the other backends refuse it
   instead of running the built-in neuron.

This file is also a plugin: ``lava-wta --plugin examples/custom_rules.py train
--stdp-rule soft_bound --scaling l3 ...`` uses its two rules from the command line.
"""
from __future__ import annotations

import argparse

import numpy as np
from lava.magma.core.decorator import tag
from numba import njit

from lava_wta import WTAConfig
from lava_wta.models import PyAdaptiveConductanceLIFModelFloat
from lava_wta.processes import AdaptiveConductanceLIF
from lava_wta.rules import (
    register_scaling_rule,
    register_stdp_rule,
    scaling_rule_names,
    stdp_rule_names,
)


# 1. An STDP rule: soft-bounded potentiation, dW = nu_post * y2 * x_pre * (w_max - W);
#    depression stays Diehl & Cook's (the additive rule's half).
@njit(inline="always")
def soft_bound_potentiate(w, x_pre, y2, p):
    return w + p.nu_post * y2 * x_pre * (p.w_max - w)


if "soft_bound" not in stdp_rule_names():
    register_stdp_rule("soft_bound", potentiate=soft_bound_potentiate)

# 2. A scaling rule: keep each neuron's L3 norm at the target.
if "l3" not in scaling_rule_names():
    @register_scaling_rule("l3")
    def l3_norm(weights: np.ndarray) -> np.ndarray:
        return (weights ** 3).sum(axis=1) ** (1.0 / 3.0)

# 3. A neuron variant selected by tag: theta may not rise more than THETA_CAP_MV above its start.
THETA_CAP_MV = 2.0


@tag("capped_theta")
class CappedThetaExcitatoryModel(PyAdaptiveConductanceLIFModelFloat):
    def on_spike(self, spikes: np.ndarray) -> None:
        super().on_spike(spikes)
        np.minimum(self.theta, self.theta_init_mv[0] + THETA_CAP_MV, out=self.theta)


NEURON_MODELS = {AdaptiveConductanceLIF: "capped_theta"}


def main() -> None:
    from lava_wta.data import load_dataset
    from lava_wta.evaluation import accuracy
    from lava_wta.pipeline import evaluate, train
    from lava_wta.presentation import BACKENDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", action="store_true", help="use scikit-learn's 8x8 digits")
    parser.add_argument("--backend", choices=BACKENDS, default="engine")
    parser.add_argument("--train-images", type=int, default=300)
    parser.add_argument("--test-images", type=int, default=300)
    args = parser.parse_args()

    data = load_dataset("digits" if args.digits else "mnist")
    config = WTAConfig().with_overrides({
        "network.n_inputs": data.n_pixels, "network.n_neurons": 30,
        "stdp.rule": "soft_bound",
        "scaling.mode": "l3", "scaling.target_norm": 3.0 if not args.digits else 2.5,
        "time.presentation_ms": 100.0,
        **({"input.pixel_rate_hz": 1.0} if args.digits else {}),
    })
    # the neuron variant is a ProcessModel: only the composed graph runs it
    models = NEURON_MODELS if args.backend == "lava" else None
    variants = "soft-bound STDP, l3 scaling" + (", capped theta" if models else "")
    if not models:
        print(f"backend {args.backend}: the capped-theta neuron (a ProcessModel) runs in --backend "
              f"lava only; training with the built-in neuron")
    n_tr, n_te = args.train_images, args.test_images
    trained = train(config, data.train_images[:n_tr], data.train_labels[:n_tr], models=models,
                    backend=args.backend, progress=False)
    l3 = (trained.state.weights ** 3).sum(axis=1) ** (1 / 3)
    print(f"L3 norm of every neuron after training: {l3.min():.4f} .. {l3.max():.4f} "
          f"(target {config.scaling.target_norm:g})")
    print(f"theta range: {trained.state.theta.min():.2f} .. {trained.state.theta.max():.2f} mV"
          + (f" (cap {config.exc.theta_init_mv + THETA_CAP_MV} mV)" if models else ""))
    result = evaluate(config, trained.state, data.train_images[n_tr:2 * n_tr],
                      data.train_labels[n_tr:2 * n_tr], data.test_images[:n_te], data.test_labels[:n_te],
                      models=models, backend=args.backend, progress=False)
    print(f"accuracy with {variants} ({args.backend}): "
          f"{100 * accuracy(data.test_labels[:n_te], result.predictions):.1f} % on {n_te} test images")


if __name__ == "__main__":
    main()
