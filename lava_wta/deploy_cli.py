"""``lava-wta`` subcommands for deployment: NIR export, NIR round trip, Loihi fixed point.

Backends are named as everywhere else (:mod:`lava_wta.backends`): ``nir-roundtrip
--against B`` compares the ``nir`` backend with B; ``loihi-report --float-backend X
--fixed-backend Y`` takes a floating-point X and a fixed-point Y.

Wire into the main parser with::

    from lava_wta import deploy_cli
    deploy_cli.add_commands(sub)          # sub = parser.add_subparsers(...)
    ...
    if hasattr(args, "func"):
        return args.func(args)

Each subcommand sets ``func`` to a handler ``handler(args) -> int`` (0 on success, 2 on a
user error, printed as ``lava-wta: error: ...``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lava_wta.cli_support import guarded


def _dataset(args: argparse.Namespace):
    from lava_wta.data import load_dataset
    from lava_wta.pipeline import run_metadata

    meta = run_metadata(args.run)           # verified against the run's manifest
    return load_dataset(args.dataset or meta.get("dataset", "mnist"), args.data_dir)


@guarded(lava=True)
def cmd_export(args: argparse.Namespace) -> int:
    """Write the run's trained network as a NIR graph."""
    from lava_wta.nir import export_nir

    graph = export_nir(args.run, path=args.nir, profile=args.profile)
    kinds = ", ".join(f"{k}: {type(v).__name__}" for k, v in graph.nodes.items())
    print(f"wrote {args.nir} (NIR graph; {kinds})")
    return 0


@guarded(lava=True)
def cmd_nir_roundtrip(args: argparse.Namespace) -> int:
    """Export to NIR, import into lava-nc, compare with the original network on real images."""
    from lava_wta.nir.report import nir_roundtrip_report

    r = nir_roundtrip_report(args.run, _dataset(args), n_label=args.label_images,
                             n_test=args.test_images, label_from=args.label_from, nir_path=args.nir,
                             against=args.against, progress=not args.no_progress)
    print(f"original ({r['against']}): {100 * r['original_accuracy']:.2f} %, imported from NIR "
          f"({r['backend']}: lava-nc LIF/Dense): {100 * r['imported_accuracy']:.2f} % on {r['n_test']} "
          f"test images; "
          f"spike counts identical: {r['counts_identical']} "
          f"({r['images_with_different_counts']} of {r['n_label'] + r['n_test']} images differ)")
    print(f"report: {args.run / 'nir_roundtrip.json'}")
    return 0


@guarded(lava=True)
def cmd_loihi_report(args: argparse.Namespace) -> int:
    """Quantise to Loihi 2 fixed point and compare its accuracy with floating point."""
    from lava_wta.loihi import loihi_report

    r = loihi_report(args.run, _dataset(args), n_label=args.label_images, n_test=args.test_images,
                     label_from=args.label_from, float_backend=args.float_backend,
                     fixed_backend=args.fixed_backend, loihi_overrides=_loihi_overrides(args.set),
                     progress=not args.no_progress)
    print(f"floating point ({r['float_backend']}): {100 * r['float_accuracy']:.2f} %, Loihi fixed point "
          f"({r['fixed_backend']}): "
          f"{100 * r['fixed_accuracy']:.2f} % ({r['difference_percentage_points']:+.2f} points; with the "
          f"float neuron labels {100 * r['fixed_accuracy_with_float_labels']:.2f} %) on {r['n_test']} "
          f"test images; identical spike counts on {r['images_with_identical_counts']} of {r['images']} images")
    print(f"report: {args.run / 'loihi_report.json'}")
    return 0


def _loihi_overrides(items) -> dict:
    """``--set loihi.FIELD=VALUE`` items as ``{FIELD: value}`` (YAML-parsed values)."""
    import yaml

    from lava_wta.config import ConfigError

    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("loihi."):
            raise ConfigError(f"--set {item}: expected loihi.FIELD=VALUE (only the quantiser's "
                              f"loihi section can change after training)")
        out[key[len("loihi."):]] = yaml.safe_load(value)
    return out


def _backend_flag(p: argparse.ArgumentParser, flag: str, role: str, default: str, what: str) -> None:
    """A flag naming a backend of :mod:`lava_wta.backends` that fits ``role``
    (:func:`lava_wta.nir.report.deployment_choices`), its help from the registry."""
    from lava_wta.backends import get_backend
    from lava_wta.nir.report import deployment_choices

    names = deployment_choices(role)
    p.add_argument(flag, choices=names, default=default, help=what + ": " + "; ".join(
        f"{b}{' (default)' if b == default else ''}: {get_backend(b).summary}" for b in names))


def _eval_flags(p: argparse.ArgumentParser) -> None:
    from lava_wta.data import DATASETS

    p.add_argument("run", type=Path, help="run folder (config.json, state.npz, metrics.json)")
    p.add_argument("--dataset", choices=DATASETS, help="default: the run's dataset")
    p.add_argument("--data-dir", type=Path, help="folder with the four standard IDX files")
    p.add_argument("--label-images", type=int, default=0,
                   help="images presented to label the neurons here; 0 (default): keep the labels "
                        "stored in the run (from its own labelling pass) and present test images only")
    p.add_argument("--test-images", type=int, default=1000, help="test images to classify")
    p.add_argument("--label-from", choices=("heldout", "train"), default="heldout",
                   help="label with the held-out training images after the run's training set "
                        "(default) or with the first training images")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_commands(subparsers) -> None:
    """Add ``export``, ``nir-roundtrip`` and ``loihi-report`` to the ``lava-wta`` parser."""
    p = subparsers.add_parser("export", help="write a trained current-based network as a NIR graph")
    p.add_argument("run", type=Path, help="run folder (config.json, state.npz)")
    p.add_argument("--nir", type=Path, required=True, metavar="FILE", help="NIR (HDF5) file to write")
    p.add_argument("--profile", default="nir",
                   help="nir: the community conventions (potentials from rest, Euler-convention time "
                        "constants). snntorch: for snnTorch's import_from_nir, which assumes dt = 1e-4 s "
                        "and one threshold per layer; its time constants are written for that step, not "
                        "the network's. rockpool: for Rockpool's from_nir, which decays by exp(-dt/tau); "
                        "its time constants are the physical ones, not the Euler-convention ones "
                        "(see docs/DEPLOY.md, Profiles)")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "nir-roundtrip", help="export to NIR, import into lava-nc and compare with the original network")
    _eval_flags(p)
    p.add_argument("--nir", type=Path, metavar="FILE", help="NIR file to write (default RUN/network.nir)")
    _backend_flag(p, "--against", "against", "engine",
                  "the backend the original network runs in, compared with the imported one "
                  "(backend nir)")
    p.set_defaults(func=cmd_nir_roundtrip)

    p = subparsers.add_parser(
        "loihi-report", help="Loihi 2 fixed-point (bit-accurate) accuracy against floating point")
    _eval_flags(p)
    _backend_flag(p, "--float-backend", "float", "engine", "the floating-point reference")
    _backend_flag(p, "--fixed-backend", "fixed", "loihi-fixed", "the fixed-point run")
    p.add_argument("--set", action="append", metavar="loihi.FIELD=VALUE",
                   help="change a quantiser setting of the run's loihi section for this report "
                        "(e.g. --set loihi.u_range_spikes=64); repeatable")
    p.set_defaults(func=cmd_loihi_report)


def main(argv=None) -> int:
    """Run the deployment subcommands alone: ``python -m lava_wta.deploy_cli export RUN --nir F``."""
    parser = argparse.ArgumentParser(prog="lava-wta", description="lava-wta deployment commands")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
