"""``lava-wta sweep`` and ``lava-wta results``.

Wire into the main parser with::

    from lava_wta.experiments import cli as experiments_cli
    experiments_cli.add_commands(sub)        # sub = parser.add_subparsers(...)
    ...
    if hasattr(args, "func"):
        return args.func(args)

Each subcommand sets ``func`` to ``handler(args) -> int``: 0 on success, 1 when some runs
of a sweep failed (recorded in their folders), 2 on a user error (printed as
``lava-wta: error: ...``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lava_wta.cli_support import guarded


def _spec_errors():
    from lava_wta.experiments.spec import SpecError

    return (SpecError,)


@guarded(extra_errors=_spec_errors)
def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or with --dry-run, list) the runs of a sweep specification."""
    from lava_wta.experiments.spec import load_spec
    from lava_wta.experiments.sweep import run_sweep

    spec = load_spec(args.spec, out=args.out)
    if args.workers is not None and args.workers < 1:
        from lava_wta.errors import ConfigError

        raise ConfigError(f"--workers: expected >= 1, got {args.workers}")
    report = run_sweep(spec, scheduler=args.scheduler, n_workers=args.workers, retries=args.retries,
                       dry_run=args.dry_run, log=lambda msg: print(msg, flush=True))
    if not args.dry_run:
        print(f"table: lava-wta results {spec.out}")
    return 1 if report.failed else 0


@guarded(extra_errors=_spec_errors)
def cmd_results(args: argparse.Namespace) -> int:
    """Gather the run folders of sweeps into one table; print it aggregated over seeds."""
    from lava_wta.experiments import results as R

    rows = R.collect(args.sweep_out)
    if not rows:
        raise FileNotFoundError(f"{', '.join(map(str, args.sweep_out))}: no run folders found")
    if args.csv:
        R.write_csv(rows, args.csv)
        print(f"wrote {args.csv} ({len(rows)} runs, {len(R.columns(rows))} columns)")
    if args.parquet:
        try:
            R.write_parquet(rows, args.parquet)
        except ImportError:
            from lava_wta.errors import ConfigError

            raise ConfigError("--parquet: expected pyarrow to be installed (pip install pyarrow), found "
                              "none; use --csv") from None
        print(f"wrote {args.parquet}")
    params = R.parameter_columns(rows)
    varying = [c for c in params if c != "seed" and len({str(r.get(c)) for r in rows}) > 1]
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"{len(rows)} runs: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    agg = R.aggregate(rows)
    for a in agg:
        for k in ("mean", "std", "ci95"):
            if a[k] is not None:
                a[k] = round(100 * a[k], 2)
    print("accuracy (%) over seeds:")
    print(R.format_table(agg, (varying or params[:1]) + ["n", "mean", "std", "ci95", "seeds"]))
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        print(f"failed: {r['run_id']}: {r.get('error')}")
    return 0


def add_commands(subparsers) -> None:
    """Add ``sweep`` and ``results`` to the ``lava-wta`` parser."""
    p = subparsers.add_parser(
        "sweep", help="run a sweep of experiments (YAML specification) on Dask, resumably",
        description="Expand a sweep specification into runs and run those not finished yet on a Dask "
                    "cluster (default: a local cluster, one single-threaded worker per core). Started "
                    "again, it skips finished runs and resumes interrupted ones. See docs/SWEEPS.md.")
    p.add_argument("spec", type=Path, help="sweep specification (YAML), e.g. study/experiments/paper_table.yaml")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler (e.g. tcp://host:8786, from dask-jobqueue's "
                        "SLURMCluster); default: start a LocalCluster")
    p.add_argument("--workers", type=int, metavar="N", help="workers of the local cluster (default: one per core)")
    p.add_argument("--retries", type=int, default=2,
                   help="Dask retries of a run that raised an error other than a ValueError (default 2)")
    p.add_argument("--out", type=Path, help="sweep folder (default: the specification's 'out')")
    p.add_argument("--dry-run", action="store_true", help="list the runs and which are done; run nothing")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "results", help="gather the runs of sweeps into one table (CSV) and summarise over seeds")
    p.add_argument("sweep_out", type=Path, nargs="+", help="sweep folder(s) (the 'out' of a specification)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write every run (parameters, metrics, weight "
                                                              "statistics) as CSV")
    p.add_argument("--parquet", type=Path, metavar="FILE", help="also write Parquet (needs pyarrow)")
    p.set_defaults(func=cmd_results)


def main(argv=None) -> int:
    """Run these subcommands alone: ``python -m lava_wta.experiments.cli sweep SPEC``."""
    parser = argparse.ArgumentParser(prog="lava-wta", description="lava-wta sweeps")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
