"""Gather the run folders of one or more sweeps into one table, and aggregate over seeds.

:func:`collect` reads, for every run folder under the given sweep folders, its
``sweep_run.json`` (parameters, status, attempts, error), ``metrics.json`` (accuracy,
timings, retries, failure signatures), ``config.json`` and ``state.npz`` and returns one
row (a flat ``dict``) per run. Plain Python and the ``csv`` module: pandas is not a
dependency (``pandas.DataFrame(rows)`` works when it is installed).

Columns
-------
* ``sweep``, ``run_id``, ``folder``, ``status`` (``done``, ``failed``, ``partial`` or
  ``pending``; see :func:`lava_wta.experiments.sweep.run_status`), ``attempts``, ``error``;
* every parameter of the run (``dataset``, ``n_train``, ``n_label``, ``n_test``,
  ``backend``, ``label_from`` and each dotted configuration key the sweep set, e.g.
  ``scaling.target_norm``), plus the configuration fields in :data:`CONFIG_COLUMNS`
  taken from ``config.json`` whether swept or not;
* metrics: ``accuracy`` (fraction, 0..1), ``train_seconds``, ``eval_seconds``,
  ``train_retries``, ``eval_retries``, ``train_capped``, ``resumed_from_image``,
  ``neurons_unassigned``, ``train_mean_spikes_per_image``, ``train_top_neuron_win_share``,
  ``eval_silent_images_fraction``, ``eval_top_neuron_win_share``, ``failure_signatures``
  (``silent``/``monopoly`` in training or evaluation, ``;``-separated, empty if none);
* weight statistics of the trained state (:func:`weight_statistics`): ``w_mean``,
  ``w_std``, ``selectivity_gini_mean``, ``selectivity_gini_std``, ``top10_l2_mass_mean``,
  ``sparsity_mean``, ``theta_mean``, ``theta_std``.

Definitions of the weight statistics (per excitatory neuron j, weight vector w_j of
n_inputs values in [0, w_max]):

* **selectivity (Gini)**: the Gini coefficient of w_j,
  ``G = sum_i (2 i - n - 1) w_(i) / (n sum_i w_(i))`` with w_(1) <= ... <= w_(n) sorted:
  0 when every pixel has the same weight (no preference), -> 1 when all the weight sits on
  one pixel. An all-zero vector counts as 0. Noise weights uniform in [0, a) give 1/3.
* **top-10 % L2 mass**: the fraction of ``sum_i w_ji**2`` carried by the 10 % largest
  weights (0.1 for a constant vector, 1 when at most 10 % of the weights are non-zero).
* **sparsity**: the fraction of the weights below 1 % of ``stdp.w_max``.

Each is averaged over neurons (``_mean``; ``_std`` is the spread over neurons);
:func:`neuron_statistics` returns the per-neuron values (for histograms).
"""
from __future__ import annotations

import csv
import math
import typing as ty
from pathlib import Path

import numpy as np

from lava_wta.experiments.sweep import RUN_RECORD, SWEEP_RECORD, read_json, run_status

CONFIG_COLUMNS = ("network.n_neurons", "network.neuron_model", "scaling.mode", "scaling.target_norm",
                  "time.presentation_ms", "time.between_images", "exc.theta_plus_mv", "seed")
"""Configuration fields always in the table (from ``config.json``), swept or not."""

METRIC_COLUMNS = ("accuracy", "train_seconds", "eval_seconds", "train_retries", "eval_retries",
                  "train_capped", "resumed_from_image", "neurons_unassigned",
                  "train_mean_spikes_per_image", "train_top_neuron_win_share",
                  "eval_silent_images_fraction", "eval_top_neuron_win_share", "failure_signatures")
STAT_COLUMNS = ("w_mean", "w_std", "selectivity_gini_mean", "selectivity_gini_std", "top10_l2_mass_mean",
                "sparsity_mean", "theta_mean", "theta_std")
LEAD_COLUMNS = ("sweep", "run_id", "status", "attempts", "dataset", "n_train", "n_label", "n_test",
                "backend", "label_from")
TAIL_COLUMNS = ("error", "folder")
NOT_PARAMETERS = set(LEAD_COLUMNS[:4]) | set(METRIC_COLUMNS) | set(STAT_COLUMNS) | set(TAIL_COLUMNS)


# ---------------------------------------------------------------------- weight statistics
def neuron_statistics(weights: np.ndarray, w_max: float = 1.0) -> ty.Dict[str, np.ndarray]:
    """Per-neuron ``gini``, ``top10_l2_mass`` and ``sparsity`` of ``weights`` (n_neurons, n_inputs)."""
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[1]
    s = np.sort(w, axis=1)
    total = s.sum(axis=1)
    ranks = 2 * np.arange(1, n + 1) - n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        gini = np.where(total > 0, (s * ranks).sum(axis=1) / (n * total), 0.0)
        sq = s ** 2
        k = max(1, int(math.ceil(0.1 * n)))
        sq_total = sq.sum(axis=1)
        top = np.where(sq_total > 0, sq[:, n - k:].sum(axis=1) / sq_total, 0.0)
    sparsity = (w < 0.01 * w_max).mean(axis=1)
    return {"gini": gini, "top10_l2_mass": top, "sparsity": sparsity}


def weight_statistics(weights: np.ndarray, theta: np.ndarray, w_max: float = 1.0) -> ty.Dict[str, float]:
    """The ``STAT_COLUMNS`` of one trained state (see the module docstring)."""
    per = neuron_statistics(weights, w_max)
    theta = np.asarray(theta, dtype=np.float64)
    return {"w_mean": float(np.mean(weights)), "w_std": float(np.std(weights)),
            "selectivity_gini_mean": float(per["gini"].mean()),
            "selectivity_gini_std": float(per["gini"].std()),
            "top10_l2_mass_mean": float(per["top10_l2_mass"].mean()),
            "sparsity_mean": float(per["sparsity"].mean()),
            "theta_mean": float(theta.mean()), "theta_std": float(theta.std())}


def load_state(folder: ty.Union[str, Path]) -> ty.Optional[ty.Tuple[np.ndarray, np.ndarray, float]]:
    """(weights, theta, w_max) of a run folder, or None if it has no readable state."""
    folder = Path(folder)
    cfg = read_json(folder / "config.json") or {}
    w_max = float((cfg.get("stdp") or {}).get("w_max", 1.0))
    try:
        with np.load(folder / "state.npz", allow_pickle=False) as z:
            return np.asarray(z["weights"], float), np.asarray(z["theta"], float), w_max
    except (OSError, KeyError, ValueError):
        return None


# ---------------------------------------------------------------------- the table
def run_folders(sweep_out: ty.Union[str, Path]) -> ty.List[Path]:
    """Sub-folders of ``sweep_out`` that are run folders (``sweep_run.json``, ``metrics.json``
    or ``config.json``), sorted by name; ``sweep_out`` itself if it is a run folder."""
    root = Path(sweep_out)
    marks = (RUN_RECORD, "metrics.json", "config.json")
    if any((root / m).is_file() for m in marks):
        return [root]
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such sweep folder")
    return sorted(p for p in root.iterdir() if p.is_dir() and any((p / m).is_file() for m in marks))


def _flat_config(cfg: dict, key: str) -> ty.Any:
    node: ty.Any = cfg
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def collect_run(folder: Path, sweep: ty.Optional[str] = None) -> dict:
    """One row of the table (see the module docstring)."""
    record = read_json(folder / RUN_RECORD) or {}
    metrics = read_json(folder / "metrics.json") or {}
    cfg = read_json(folder / "config.json") or {}
    params = dict(record.get("params") or {})
    row: dict = {"sweep": sweep or (record.get("sweep") or {}).get("name") or folder.parent.name,
                 "run_id": record.get("run_id", folder.name),
                 "status": run_status(folder, params.get("training.epochs")),
                 "attempts": record.get("attempts")}
    for key in LEAD_COLUMNS[4:]:
        row[key] = params.pop(key, metrics.get(key))
    for key in CONFIG_COLUMNS:
        value, given = _flat_config(cfg, key) if cfg else None, params.pop(key, None)
        row[key] = given if given is not None else value    # the sweep's parameters first
    row.update(params)                         # other swept / base keys
    tr, ev = metrics.get("train") or {}, metrics.get("evaluate") or {}
    tfs, efs = tr.get("failure_signatures") or {}, ev.get("failure_signatures") or {}
    sig = [f"train-{k}" for k in ("silent", "monopoly") if tfs.get(k)] + \
          [f"eval-{k}" for k in ("silent", "monopoly") if efs.get(k)]
    row.update({
        "accuracy": metrics.get("accuracy"), "train_seconds": tr.get("seconds"),
        "eval_seconds": ev.get("seconds"), "train_retries": tr.get("retries"),
        "eval_retries": ev.get("retries"), "train_capped": tr.get("capped"),
        "resumed_from_image": tr.get("resumed_from_image"),
        "neurons_unassigned": metrics.get("neurons_unassigned"),
        "train_mean_spikes_per_image": tfs.get("mean_spikes_per_image"),
        "train_top_neuron_win_share": tfs.get("top_neuron_win_share"),
        "eval_silent_images_fraction": efs.get("silent_images_fraction"),
        "eval_top_neuron_win_share": efs.get("top_neuron_win_share"),
        "failure_signatures": ";".join(sig) if metrics else None,
    })
    state = load_state(folder) if row["status"] == "done" else None
    row.update(weight_statistics(*state) if state else {k: None for k in STAT_COLUMNS})
    row["error"] = record.get("error") if row["status"] == "failed" else None
    row["folder"] = str(folder)
    return row


def collect(sweep_outs: ty.Union[str, Path, ty.Sequence[ty.Union[str, Path]]]) -> ty.List[dict]:
    """Rows of every run folder under one or more sweep folders, in folder order."""
    if isinstance(sweep_outs, (str, Path)):
        sweep_outs = [sweep_outs]
    rows = []
    for out in sweep_outs:
        out = Path(out)
        meta = read_json(out / SWEEP_RECORD) or {}
        for folder in run_folders(out):
            rows.append(collect_run(folder, meta.get("name")))
    return rows


def columns(rows: ty.Sequence[dict]) -> ty.List[str]:
    """Every column of ``rows``: lead, parameters (first-seen order), metrics, statistics, tail."""
    seen: ty.List[str] = []
    for row in rows:
        for k in row:
            if k not in seen:
                seen.append(k)
    fixed = list(LEAD_COLUMNS) + list(CONFIG_COLUMNS)
    params = [k for k in seen if k not in fixed and k not in NOT_PARAMETERS]
    return fixed + params + list(METRIC_COLUMNS) + list(STAT_COLUMNS) + list(TAIL_COLUMNS)


def parameter_columns(rows: ty.Sequence[dict]) -> ty.List[str]:
    """The columns that describe a run's setting (everything but status, metrics, statistics)."""
    return [c for c in columns(rows) if c not in NOT_PARAMETERS]


def write_csv(rows: ty.Sequence[dict], path: ty.Union[str, Path]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = columns(rows)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in cols})
    return path


def write_parquet(rows: ty.Sequence[dict], path: ty.Union[str, Path]) -> Path:
    """Parquet, if pyarrow is installed (raises ImportError otherwise)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(rows)
    table = pa.table({c: [_plain(r.get(c)) for r in rows] for c in cols})
    pq.write_table(table, str(path))
    return Path(path)


def _plain(v):
    return v if v is None or isinstance(v, (int, float, str, bool)) else str(v)


# ---------------------------------------------------------------------- aggregation over seeds
def t_quantile_975(dof: int) -> float:
    """The 97.5 % quantile of Student's t with ``dof`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


def summarize(values: ty.Sequence[float]) -> dict:
    """``n``, ``mean``, ``std`` (sample, ddof 1; None for n < 2) and ``ci95`` (half-width of
    the 95 % confidence interval of the mean, Student's t; None for n < 2)."""
    x = np.asarray([v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))],
                   dtype=float)
    n = int(x.size)
    if n == 0:
        return {"n": 0, "mean": None, "std": None, "ci95": None}
    mean = float(x.mean())
    if n < 2:
        return {"n": 1, "mean": mean, "std": None, "ci95": None}
    std = float(x.std(ddof=1))
    return {"n": n, "mean": mean, "std": std, "ci95": t_quantile_975(n - 1) * std / math.sqrt(n)}


def aggregate(rows: ty.Sequence[dict], value: str = "accuracy", over: str = "seed",
              by: ty.Optional[ty.Sequence[str]] = None) -> ty.List[dict]:
    """Mean ± std and 95 % CI of ``value`` over ``over`` (the seeds), grouped by ``by``
    (default: every parameter column except ``over`` and ``sweep``-level bookkeeping).

    Only rows with status ``done`` count. Returns one dict per group, in first-seen order:
    the group's parameters, ``n``, ``mean``, ``std``, ``ci95``, and ``seeds`` (the values of
    ``over`` that contributed).
    """
    done = [r for r in rows if r.get("status") == "done"]
    if by is None:
        by = [c for c in parameter_columns(rows) if c != over]
    groups: ty.Dict[tuple, ty.List[dict]] = {}
    for r in done:
        groups.setdefault(tuple(_key(r.get(c)) for c in by), []).append(r)
    out = []
    for members in groups.values():
        first = members[0]
        entry = {c: first.get(c) for c in by}
        entry.update(summarize([m.get(value) for m in members]))
        entry[over + "s"] = [m.get(over) for m in members]
        out.append(entry)
    return out


def _key(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v if isinstance(v, (int, float, str, bool, type(None))) else str(v)


def format_table(rows: ty.Sequence[dict], cols: ty.Sequence[str]) -> str:
    """A plain fixed-width text table (for the terminal)."""
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, list):
            return ",".join(str(x) for x in v)
        return str(v)

    body = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(b[i]) for b in body]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(x.ljust(w) for x, w in zip(b, widths)) for b in body]
    return "\n".join(lines)
