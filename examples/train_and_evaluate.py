"""Train, label and test the WTA network from Python, then look at what it learned.

    python examples/train_and_evaluate.py                       # MNIST, 100 neurons, 500 images
    python examples/train_and_evaluate.py --dataset fashion-mnist --scaling l1 --target-norm 78
"""
from __future__ import annotations

import argparse

from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.pipeline import run_experiment


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--neurons", type=int, default=100)
    p.add_argument("--scaling", default="l2")
    p.add_argument("--target-norm", type=float, default=5.0)
    p.add_argument("--images", type=int, default=500, help="training, labelling and test images each")
    p.add_argument("--out", default="runs/example")
    p.add_argument("--backend", default="engine", choices=("engine", "lava-fused", "lava"),
                   help="engine (fast, default), lava-fused or lava (the composed Lava graph)")
    args = p.parse_args()

    data = load_dataset(args.dataset)
    config = WTAConfig().with_overrides({
        "network.n_inputs": data.n_pixels,
        "network.n_neurons": args.neurons,
        "scaling.mode": args.scaling,
        "scaling.target_norm": args.target_norm,
    })
    metrics = run_experiment(config, data, n_train=args.images, n_label=args.images,
                             n_test=args.images, out_dir=args.out, backend=args.backend)
    print(f"{data.name}: accuracy {100 * metrics['accuracy']:.2f} % "
          f"({1e3 * metrics['train']['ms_per_step']:.2f} us per step while training, {args.backend})")
    worst = min(metrics["per_class_accuracy"].items(), key=lambda kv: kv[1])
    print(f"hardest class: {worst[0]} ({100 * worst[1]:.1f} %); figures in {args.out}/")


if __name__ == "__main__":
    main()
