"""Extending lava-wta without editing it: a new scaling rule, an STDP variant and a neuron
variant, trained and evaluated in the same composed Lava network.

    python examples/custom_rules.py            # MNIST subset (fetches MNIST once)
    python examples/custom_rules.py --digits   # scikit-learn's 8x8 digits, faster

Three extension points:

1. Scaling rules are registered by name and selected with ``scaling.mode``.
2. An STDP variant is a subclass of the plastic synapse's ProcessModel that overrides a
   hook (``on_pre_spikes``, ``on_post_spikes``, ``decay_traces`` or ``scale``); it is
   selected per Process with ``models={PlasticDense: TheModel}``.
3. A neuron variant subclasses a neuron ProcessModel, adds a tag with ``@tag``, and is
   selected by that tag: ``models={AdaptiveConductanceLIF: "capped_theta"}``.
"""
from __future__ import annotations

import argparse

import numpy as np
from lava.magma.core.decorator import tag

from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.evaluation import accuracy
from lava_wta.models import PyAdaptiveConductanceLIFModelFloat, PyPlasticDenseModelFloat
from lava_wta.pipeline import evaluate, train
from lava_wta.processes import AdaptiveConductanceLIF, PlasticDense
from lava_wta.rules import register_scaling_rule, scaling_rule_names

# 1. A scaling rule: keep each neuron's L3 norm at the target.
if "l3" not in scaling_rule_names():
    @register_scaling_rule("l3")
    def l3_norm(weights: np.ndarray) -> np.ndarray:
        return (weights ** 3).sum(axis=1) ** (1.0 / 3.0)


# 2. An STDP variant: soft-bounded potentiation, dW = nu_post * x_pre * y2 * (w_max - W).
class SoftBoundSTDPModel(PyPlasticDenseModelFloat):
    def on_post_spikes(self, post: np.ndarray) -> None:
        if post.size == 0:
            return
        w = self.weights[post, :]
        w += self.nu_post[0] * self.y2[post, None] * self.x_pre[None, :] * (self.w_max[0] - w)
        self.weights[post, :] = np.clip(w, 0.0, self.w_max[0])
        self.y1[post] = 1.0
        self.y2[post] = 1.0


# 3. A neuron variant selected by tag: theta may not rise more than THETA_CAP_MV above its start.
THETA_CAP_MV = 2.0


@tag("capped_theta")
class CappedThetaExcitatoryModel(PyAdaptiveConductanceLIFModelFloat):
    def on_spike(self, spikes: np.ndarray) -> None:
        super().on_spike(spikes)
        np.minimum(self.theta, self.theta_init_mv[0] + THETA_CAP_MV, out=self.theta)


CUSTOM_MODELS = {PlasticDense: SoftBoundSTDPModel, AdaptiveConductanceLIF: "capped_theta"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", action="store_true", help="use scikit-learn's 8x8 digits")
    parser.add_argument("--train-images", type=int, default=300)
    parser.add_argument("--test-images", type=int, default=300)
    args = parser.parse_args()

    data = load_dataset("digits" if args.digits else "mnist")
    config = WTAConfig().with_overrides({
        "network.n_inputs": data.n_pixels, "network.n_neurons": 30,
        "scaling.mode": "l3", "scaling.target_norm": 3.0 if not args.digits else 2.5,
        "time.presentation_ms": 100.0,
        **({"input.pixel_rate_hz": 1.0} if args.digits else {}),
    })
    n_tr, n_te = args.train_images, args.test_images
    # user ProcessModels run in the composed Lava graph (the engine has only built-in rules)
    trained = train(config, data.train_images[:n_tr], data.train_labels[:n_tr], models=CUSTOM_MODELS,
                    backend="lava")
    l3 = (trained.state.weights ** 3).sum(axis=1) ** (1 / 3)
    print(f"L3 norm of every neuron after training: {l3.min():.4f} .. {l3.max():.4f} (target 3)")
    print(f"theta range: {trained.state.theta.min():.2f} .. {trained.state.theta.max():.2f} mV "
          f"(cap {config.exc.theta_init_mv + THETA_CAP_MV} mV)")
    result = evaluate(config, trained.state, data.train_images[n_tr:2 * n_tr],
                      data.train_labels[n_tr:2 * n_tr], data.test_images[:n_te], data.test_labels[:n_te],
                      models=CUSTOM_MODELS, backend="lava")
    print(f"accuracy with l3 scaling, soft-bound STDP and capped theta: "
          f"{100 * accuracy(data.test_labels[:n_te], result.predictions):.1f} % on {n_te} test images")


if __name__ == "__main__":
    main()
