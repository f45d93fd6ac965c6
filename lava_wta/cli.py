"""The ``lava-wta`` command: parses arguments and calls :mod:`lava_wta.pipeline`."""
from __future__ import annotations

import argparse
import shlex
import sys
import time
import typing as ty
from pathlib import Path

from lava_wta.backends import backend_names, get_backend
from lava_wta.cli_support import count
from lava_wta.config import ConfigError, WTAConfig
from lava_wta.data import DATASETS, load_dataset
from lava_wta.errors import guard
from lava_wta.experiments import paper

DEMO_ARGS = paper.quick_train_args()
"""The ``lava-wta train`` line that ``lava-wta demo --quick`` runs."""


def _parse_set(items: ty.Sequence[str]) -> dict:
    from lava_wta.runfolder import load_yaml

    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected FIELD=VALUE, e.g. exc.theta_plus_mv=0.11")
        key, value = item.split("=", 1)
        if key.strip() in out:
            raise ConfigError(f"--set {key.strip()}: given twice (expected each field once), "
                              f"values {out[key.strip()]!r} and {value!r}")
        parsed = load_yaml(value, f"--set {key.strip()}")
        if isinstance(parsed, str):
            try:            # YAML 1.1 reads 1e3 (no dot, no sign) as text; mean the number
                parsed = float(parsed) if parsed.strip().lower() not in ("nan", "inf", "-inf", "infinity") \
                    else parsed
            except ValueError:
                pass
        out[key.strip()] = parsed
    return out


def build_config(args: argparse.Namespace, n_pixels: ty.Optional[int]) -> WTAConfig:
    """Defaults < --config file < explicit flags < --set."""
    config = WTAConfig.load(args.config) if args.config else WTAConfig()
    overrides = {}
    explicit = _parse_set(args.set or [])
    if n_pixels is not None and "network.n_inputs" not in explicit and not args.config:
        overrides["network.n_inputs"] = n_pixels
    for flag, key in (("neurons", "network.n_neurons"), ("scaling", "scaling.mode"),
                      ("stdp_rule", "stdp.rule"),
                      ("target_norm", "scaling.target_norm"), ("seed", "seed"),
                      ("presentation_ms", "time.presentation_ms"),
                      ("theta_plus", "exc.theta_plus_mv"), ("epochs", "training.epochs")):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[key] = value
    overrides.update(explicit)
    return config.with_overrides(overrides) if overrides else config


def _add_model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (override the configuration)")
    g.add_argument("--config", type=Path, help="YAML or JSON configuration file")
    g.add_argument("--neurons", type=count(1), help="excitatory neurons (network.n_neurons)")
    g.add_argument("--scaling", help="scaling rule: none, l1, l2, max or one a --plugin registers "
                                     "(scaling.mode)")
    g.add_argument("--stdp-rule", help="STDP rule: additive (Diehl & Cook) or one a --plugin registers "
                                       "(stdp.rule)")
    g.add_argument("--target-norm", type=float, help="target norm Wt (scaling.target_norm)")
    g.add_argument("--presentation-ms", type=float, help="presentation time in ms (time.presentation_ms)")
    g.add_argument("--theta-plus", type=float, help="theta increment per spike in mV (exc.theta_plus_mv)")
    g.add_argument("--seed", type=int, help="random seed (seed)")
    g.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="any configuration field, e.g. --set time.between_images=rest (repeatable)")


def _add_data_flags(p: argparse.ArgumentParser, backends: ty.Sequence[str]) -> None:
    p.add_argument("--dataset", choices=DATASETS,
                   help="mnist (default for train), fashion-mnist or digits; evaluate defaults to the run's")
    p.add_argument("--data-dir", type=Path, help="folder with the four standard IDX files (.gz or raw)")
    p.add_argument("--label-images", type=count(1), default=1000, help="images used to label neurons")
    p.add_argument("--test-images", type=count(1), default=1000, help="test images to classify")
    p.add_argument("--label-from", choices=("heldout", "train"), default="heldout",
                   help="label with training images not used in training (heldout) or with the "
                        "first training images (train)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--backend", choices=backends, default="engine",
                   help="; ".join(f"{b}{' (default)' if b == 'engine' else ''}: {get_backend(b).summary}"
                                  for b in backends))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose ``--help`` shows every option's default."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)


def make_parser() -> argparse.ArgumentParser:
    from lava_wta import __version__

    parser = _Parser(
        prog="lava-wta", description="Unsupervised WTA spiking network with STDP and synaptic scaling, in Lava.")
    parser.add_argument("--version", action="version", version=f"lava-wta {__version__}")
    parser.add_argument("--plugin", action="append", metavar="MODULE",
                        help="import a module (name or .py path) that registers STDP or scaling rules "
                             "before the command runs; repeatable, and may stand anywhere on the line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train, label, test and write a run folder")
    _add_data_flags(p, backend_names(learns=True))
    p.add_argument("--train-images", type=count(1), default=1000, help="training images")
    p.add_argument("--epochs", type=count(1), help="passes over the training images (training.epochs; "
                                                  "default 1): later passes shuffled, accuracy after each")
    p.add_argument("--out", type=Path, help="run folder (default runs/<dataset>-<time>)")
    p.add_argument("--checkpoint-every", type=count(1),
                   help="images between checkpoints (default: " + ", ".join(
                       f"{get_backend(b).checkpoint_every} {b}" for b in backend_names(learns=True)) + ")")
    p.add_argument("--threads", type=count(1), default=1,
                   help="threads that step the training network together (backends "
                        f"{', '.join(backend_names(threads=True))}); the same results, bit for bit. "
                        "It pays at thousands of neurons with a free core per thread: "
                        "benchmarks/team.py measures it on this machine")
    _add_model_flags(p)

    p = sub.add_parser("evaluate", help="re-label and re-test the state of a run folder (any backend; "
                                        "nir, loihi-fixed and loihi-emulator: the deployed network); "
                                        "results go to RUN/evaluations/NAME/, the run's own files are "
                                        "left unchanged")
    p.add_argument("run", type=Path)
    _add_data_flags(p, backend_names())
    p.add_argument("--name", help="evaluation folder name (default label<N>-<label-from>-test<N>-<backend>)")
    p.add_argument("--replace", action="store_true",
                   help="replace the run's neuron labels, metrics.json and figures instead (written only "
                        "once the evaluation has succeeded)")

    proto = paper.PROTOCOL
    p = sub.add_parser(
        "demo", help="the paper's comparison (make demo): L2 against L1 scaling, 400 neurons, "
                     "40,000 / 10,000 / 10,000 MNIST images, two runs in parallel; --quick: "
                     "100 neurons, 1,000 images, seconds",
        description=f"Reproduces {paper.CITATION}: MNIST, {proto['network.n_neurons']} excitatory + "
                    f"{proto['network.n_neurons']} inhibitory neurons, "
                    + " and ".join(f"{m.upper()} scaling (Wt {paper.PAPER_WT[m]:g})" for m in paper.DEMO_MODES)
                    + f", {proto['n_train']:,} training / {proto['n_label']:,} labelling (held-out "
                    f"training images) / {proto['n_test']:,} test images, engine backend, seed 0. "
                    f"The runs are a sweep (lava-wta sweep): one worker process per run, at most one "
                    f"per core; a run folder that holds a finished run is not run again (delete it to "
                    f"rerun). Prints our accuracies beside the paper's "
                    + ", ".join(f"{m.upper()} {paper.PAPER_ACCURACY[('mnist', m)]:g} %" for m in paper.DEMO_MODES)
                    + " and writes each run's figures (weights.png, confusion.png, theta_hist.png, "
                    "training_curve.png) into its folder. With --quick it runs instead: lava-wta "
                    + " ".join(DEMO_ARGS) + " (any train option given after 'demo --quick' is added to "
                    "that line, e.g. --backend lava).")
    p.add_argument("--quick", action="store_true",
                   help="a first look in seconds: " + " ".join(DEMO_ARGS))
    p.add_argument("--out", type=Path, default=paper.DEMO_OUT, help="folder of the demo's runs")
    p.add_argument("--workers", type=count(1), metavar="N",
                   help="worker processes (default: one per core, at most one per run)")

    p = sub.add_parser("config", help="print a configuration (defaults, or a file after validation) as YAML; "
                                      "--explain: every field with its value, unit and meaning")
    p.add_argument("--explain", action="store_true",
                   help="print every field with its value, unit and meaning (from lava_wta/config.py)")
    _add_model_flags(p)

    from lava_wta import deploy_cli
    from lava_wta.experiments import cli as experiments_cli

    deploy_cli.add_commands(sub)       # export, nir-roundtrip, loihi-report
    experiments_cli.add_commands(sub)  # sweep, results
    return parser


def split_plugins(argv: ty.Sequence[str]) -> ty.Tuple[ty.List[str], ty.List[str]]:
    """``(plugins, rest)``: the values of every ``--plugin X`` / ``--plugin=X`` in ``argv``
    (wherever they stand) and the other arguments."""
    plugins, rest, it = [], [], iter(argv)
    for arg in it:
        if arg == "--plugin":
            value = next(it, None)
            if value is None:
                raise ConfigError("--plugin: expected a module name or a .py path after it")
            plugins.append(value)
        elif arg.startswith("--plugin="):
            plugins.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    return plugins, rest


def main(argv: ty.Optional[ty.Sequence[str]] = None) -> int:
    """Run the command; every error is reported by :func:`lava_wta.errors.report` (one line
    and a per-class exit code for bad input, a traceback for a bug)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return guard(_main, argv)


def _main(argv: ty.List[str]) -> int:
    plugins, rest = split_plugins(argv)
    from lava_wta.plugins import load_plugins

    load_plugins(plugins)
    if rest[:1] == ["demo"] and "--quick" in rest[1:] and not {"-h", "--help"} & set(rest[1:]):
        rest = DEMO_ARGS + [a for a in rest[1:] if a != "--quick"]
    args = make_parser().parse_args(rest)
    if hasattr(args, "func"):
        return args.func(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "config" and args.explain:
        from lava_wta.config_reference import explain

        print(explain(build_config(args, None)), end="")
        return 0
    if args.command == "config":
        import yaml

        print(yaml.safe_dump(build_config(args, None).to_dict(), sort_keys=False), end="")
        return 0
    from lava_wta import pipeline

    if args.command == "evaluate":
        meta = pipeline.run_metadata(args.run)
        dataset = load_dataset(args.dataset or _meta_dataset(meta, args.run), args.data_dir)
        metrics = pipeline.evaluate_run(args.run, dataset, n_label=args.label_images,
                                        n_test=args.test_images, label_from=args.label_from,
                                        progress=not args.no_progress, backend=args.backend,
                                        replace=args.replace, name=args.name)
        _report(metrics, Path(metrics["evaluation_folder"]))
        return 0
    args.dataset = args.dataset or "mnist"
    dataset = load_dataset(args.dataset, args.data_dir)
    config = build_config(args, dataset.n_pixels)
    out = args.out or Path("runs") / f"{args.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    print(f"lava-wta: {dataset.name} ({dataset.source}), backend {args.backend}, "
          f"{config.network.n_neurons} neurons, "
          f"scaling {config.scaling.mode} Wt={config.scaling.target_norm:g}, "
          f"{args.train_images} training / {args.label_images} labelling / {args.test_images} test images "
          f"-> {out}", file=sys.stderr)
    previous = pipeline.finished_run(out, config, dataset, n_train=args.train_images, n_label=args.label_images,
                                     n_test=args.test_images, label_from=args.label_from, backend=args.backend)
    if previous is not None:
        print(f"run folder {out} already holds a finished run of this configuration (accuracy "
              f"{100 * previous['accuracy']:.2f} % on {previous['n_test']} test images, finished "
              f"{previous.get('finished', '?')}; its metrics.json keeps the timings measured then); "
              f"nothing to do: use another --out, or delete {out} to run it again")
        return 0
    metrics = pipeline.run_experiment(
        config, dataset, n_train=args.train_images, n_label=args.label_images,
        n_test=args.test_images, out_dir=out, label_from=args.label_from,
        progress=not args.no_progress, checkpoint_every=args.checkpoint_every,
        command="lava-wta " + " ".join(shlex.quote(a) for a in argv), backend=args.backend,
        threads=args.threads)
    _report(metrics, out)
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The paper's comparison as a sweep (see ``lava-wta demo --help``); prints the table."""
    from lava_wta.experiments.sweep import run_sweep

    spec = paper.demo_spec(args.out)
    print(f"lava-wta demo: {paper.CITATION}", flush=True)
    print("each run trains, labels and tests in a worker process of its own (no progress bars); a line "
          "follows as each run finishes, then the table", flush=True)
    report = run_sweep(spec, n_workers=args.workers, log=lambda msg: print(msg, flush=True))
    results = paper.demo_results(spec)
    print()
    print(paper.format_table(results))
    if report.skipped:
        print(f"\nnot run again: {', '.join(report.skipped)} already held a finished run (the table shows "
              f"its results and the timings measured then); delete the folder to run it again")
    for r in results:
        if r["metrics"] is not None:
            print(f"figures of {r['mode'].upper()}: {r['folder']}/" + "{weights,confusion,theta_hist,"
                  "training_curve}.png")
    return 1 if report.failed or any(r["metrics"] is None for r in results) else 0


def _meta_dataset(meta: dict, run: Path) -> str:
    """The dataset a run's metrics.json names (mnist when it names none)."""
    name = meta.get("dataset", "mnist")
    if name not in DATASETS:
        from lava_wta.errors import RunFolderError

        raise RunFolderError(f"{run / 'metrics.json'}: dataset: expected one of {list(DATASETS)}, "
                             f"found {name!r}; pass --dataset")
    return name


def _compile(timing: dict) -> str:
    """``" (+ compile: 1.2 s)"``: the compilation measured apart from a pass's time, if it was."""
    c = timing.get("compile_seconds")
    return "" if c is None else f" (+ compile: {c:.1f} s)"


def _report(metrics: dict, out: Path) -> None:
    tr = metrics.get("train", {})
    ev = metrics["evaluate"]
    print(f"accuracy: {100 * metrics['accuracy']:.2f} % on {metrics['n_test']} {metrics['dataset']} test images "
          f"(neurons labelled with {metrics['n_label']} images)")
    if metrics.get("epochs"):
        print("accuracy after each pass: " + ", ".join(f"{e['epoch']}: {100 * e['accuracy']:.2f} %"
                                                       for e in metrics["epochs"]))
    if tr and metrics.get("train_reused"):
        print(f"training: not repeated: {out} already held this finished training "
              f"({metrics.get('train_backend', metrics.get('backend', 'lava'))}, {tr['seconds']:.1f} s "
              f"when it ran); labelled and tested it again")
    elif tr:
        print(f"training ({metrics.get('backend', 'lava')}): {tr['seconds']:.1f} s{_compile(tr)}, "
              f"{tr['steps']} steps, {1e3 * tr['ms_per_step']:.2f} us/step, {tr['retries']} retries")
    print(f"labelling+testing: {ev['seconds']:.1f} s{_compile(ev)}, {1e3 * ev['ms_per_step']:.2f} us/step")
    if "run" in metrics:
        print(f"evaluation folder: {out} (metrics.json, state.npz, weights.png, confusion.png, theta_hist.png; "
              f"the run's own files are unchanged)")
    else:
        print(f"run folder: {out} (config.json, state.npz, metrics.json, weights.png, confusion.png, "
              f"theta_hist.png)")


if __name__ == "__main__":
    raise SystemExit(main())
