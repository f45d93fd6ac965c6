"""Weight, selectivity and threshold statistics of a trained network (numpy only).

These statistics test the explanation that Touda & Okuno (2026) give for L2 scaling
beating L1 scaling: that L2 leaves **lower mean weights** and **more selective**
neurons. Every statistic is computed per excitatory neuron ``j`` and then summarised
per run (:func:`run_statistics`). ``w_j`` is the neuron's input weight vector (one row
of ``weights``, ``n`` = n_inputs values in ``[0, w_max]``).

Weights
-------
* **mean weight** ``mean_w_j = sum_i w_ji / n``. Under L1 scaling every neuron has
  ``mean_w_j = Wt / n`` exactly (78 / 784 = 0.0995); under L2 scaling
  ``mean_w_j = Wt * (L1_j / L2_j) / n``, so it falls as the vector gets sparser.
* **fraction near w_max**: the share of ``w_j`` with ``w_ji >= 0.9 w_max``
  (``near_max`` changes 0.9); **fraction near 0**: the share with
  ``w_ji < 0.01 w_max`` (``near_zero``; the ``sparsity`` of
  :mod:`lava_wta.experiments.results`).

Sparsity of the weight vector
-----------------------------
* **Hoyer sparsity** (Hoyer 2004) ``h_j = (sqrt(n) - L1_j / L2_j) / (sqrt(n) - 1)``
  with ``L1_j = sum_i |w_ji|``, ``L2_j = sqrt(sum_i w_ji**2)``: 1 when all the weight
  is on one input, 0 when every input has the same weight; scale-invariant
  (``h(c w) = h(w)`` for ``c > 0``). Uniform noise weights give 0.139 for
  n = 784. Undefined (NaN) for an all-zero vector.
* **inputs holding 50 % / 90 % of the L2 mass** ``k50_j``, ``k90_j``: the smallest
  number ``k`` of inputs whose ``k`` largest squared weights sum to at least 50 % (90 %)
  of ``L2_j**2``. 1 for a one-hot vector, ``ceil(0.5 n)`` / ``ceil(0.9 n)`` for a
  constant one; NaN for an all-zero vector.

Class selectivity (needs the labelling spike counts)
----------------------------------------------------
From the spike counts of the frozen network on the labelling images (``counts``,
n_images x n_neurons, and their ``labels``) the **class response** of neuron ``j`` to
class ``c`` is its mean spike count over the labelling images of class ``c``,
``R_cj`` (:func:`class_responses`; means, not sums, so the class frequencies of the
labelling set do not matter). With ``p_cj = R_cj / sum_c R_cj`` over the ``K`` classes:

* **selectivity** ``S_j = 1 - H_j / log K`` with ``H_j = -sum_c p_cj log p_cj``
  (``0 log 0 = 0``): 1 for a neuron that fires for one class only, 0 for one that
  fires equally for every class (:func:`class_selectivity`);
* **assigned-class share** ``p_{a_j j}``: the share of its class response that comes
  from its assigned class ``a_j`` (the class it is labelled with; ``argmax_c R_cj``):
  1 / K .. 1 (:func:`assigned_class_share`).

Both are NaN for a neuron that never fired on the labelling images (it has no
assigned class either); the summaries average over the neurons that fired and report
how many did not. The labelling counts are not part of ``state.npz``: they are read
from ``label_counts.npz`` in the run folder (:data:`LABEL_COUNTS_FILE`, written by
:func:`save_label_counts`; ``scripts/label_counts.py`` recomputes it for a finished
run by repeating the frozen labelling pass). Without that file, class selectivity is
not available (``None``): the weight statistics above describe how concentrated a
neuron's weights are over *pixels*, not how selective its responses are over
*classes*, and are not used as a stand-in.

Adaptive thresholds
-------------------
``theta`` (mV, the value kept after training, initial value 20 mV): mean, standard
deviation (over neurons, ddof 0), min, max and the 5, 25, 50, 75, 95 % quantiles
(:func:`theta_summary`).

Errors name the file, the field, what was expected and what was found.
"""
from __future__ import annotations

import json
import math
import os
import typing as ty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABEL_COUNTS_FILE = "label_counts.npz"
"""Labelling spike counts of a run folder: ``counts`` (n_images, n_neurons), ``labels``
(n_images,), ``n_classes`` (scalar) and optionally ``source`` (a string)."""

NEAR_MAX = 0.9
NEAR_ZERO = 0.01
THETA_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

PathLike = ty.Union[str, Path]


# ---------------------------------------------------------------------- input checks
def _weights(weights: ty.Any, source: str = "weights") -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] < 2:
        raise ValueError(f"{source}: expected a (n_neurons, n_inputs) array with n_inputs >= 2, "
                         f"got shape {np.shape(weights)}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{source}: expected finite values, got {int((~np.isfinite(w)).sum())} NaN/inf")
    if (w < 0).any():
        raise ValueError(f"{source}: expected non-negative weights, got minimum {w.min():g}")
    return w


def _responses(responses: ty.Any, source: str = "class responses") -> np.ndarray:
    r = np.asarray(responses, dtype=np.float64)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] < 2:
        raise ValueError(f"{source}: expected a (n_classes, n_neurons) array with n_classes >= 2, "
                         f"got shape {np.shape(responses)}")
    if not np.all(np.isfinite(r)) or (r < 0).any():
        raise ValueError(f"{source}: expected finite non-negative responses")
    return r


# ---------------------------------------------------------------------- weight vectors
def hoyer_sparsity(weights: ty.Any) -> np.ndarray:
    """Hoyer sparsity of each row: ``(sqrt(n) - L1/L2) / (sqrt(n) - 1)``; NaN for a zero row."""
    w = _weights(weights)
    n = w.shape[1]
    l1 = w.sum(axis=1)
    l2 = np.sqrt((w ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(l2 > 0, l1 / np.where(l2 > 0, l2, 1.0), np.nan)
    h = (math.sqrt(n) - ratio) / (math.sqrt(n) - 1)
    return np.clip(h, 0.0, 1.0, where=np.isfinite(h), out=h)


def l2_mass_count(weights: ty.Any, fraction: float) -> np.ndarray:
    """Smallest number of inputs of each row whose squared weights hold ``fraction`` of the
    row's ``sum w**2`` (float array; NaN for a zero row)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction: expected a value in (0, 1], got {fraction!r}")
    w = _weights(weights)
    sq = -np.sort(-(w ** 2), axis=1)                    # descending
    cum = np.cumsum(sq, axis=1)
    total = cum[:, -1]
    reached = cum >= fraction * total[:, None] * (1 - 1e-12)
    k = reached.argmax(axis=1).astype(np.float64) + 1
    k[total <= 0] = np.nan
    return k


def weight_statistics(weights: ty.Any, w_max: float = 1.0, near_max: float = NEAR_MAX,
                      near_zero: float = NEAR_ZERO) -> ty.Dict[str, np.ndarray]:
    """Per-neuron ``mean_w``, ``frac_near_max``, ``frac_near_zero``, ``hoyer``, ``k50``,
    ``k90`` of ``weights`` (n_neurons, n_inputs); see the module docstring."""
    if not (isinstance(w_max, (int, float)) and math.isfinite(w_max) and w_max > 0):
        raise ValueError(f"w_max: expected a finite value > 0, got {w_max!r}")
    w = _weights(weights)
    return {"mean_w": w.mean(axis=1),
            "frac_near_max": (w >= near_max * w_max).mean(axis=1),
            "frac_near_zero": (w < near_zero * w_max).mean(axis=1),
            "hoyer": hoyer_sparsity(w),
            "k50": l2_mass_count(w, 0.5),
            "k90": l2_mass_count(w, 0.9)}


# ---------------------------------------------------------------------- class selectivity
def class_responses(counts: ty.Any, labels: ty.Any, n_classes: int) -> np.ndarray:
    """Mean spike count of each neuron over the images of each class: (n_classes, n_neurons).
    A class without images gets a row of NaN (and makes selectivity undefined): an error."""
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    if counts.ndim != 2:
        raise ValueError(f"counts: expected (n_images, n_neurons), got shape {counts.shape}")
    if labels.shape != (counts.shape[0],):
        raise ValueError(f"labels: expected shape ({counts.shape[0]},) to match counts, got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels: expected classes 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    n_per = np.bincount(labels.astype(np.int64), minlength=n_classes)
    if (n_per == 0).any():
        raise ValueError(f"labels: class(es) {np.flatnonzero(n_per == 0).tolist()} have no labelling images")
    sums = np.zeros((n_classes, counts.shape[1]))
    np.add.at(sums, labels.astype(np.int64), counts)
    return sums / n_per[:, None]


def class_selectivity(responses: ty.Any) -> np.ndarray:
    """``1 - H(p) / log K`` per neuron, p its class responses normalised to sum 1
    (responses: (K classes, n_neurons)); NaN for a neuron with no response."""
    r = _responses(responses)
    total = r.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = r / np.where(total > 0, total, 1.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    s = 1.0 + plogp.sum(axis=0) / math.log(r.shape[0])
    s = np.clip(s, 0.0, 1.0)
    s[total <= 0] = np.nan
    return s


def assigned_class_share(responses: ty.Any, assignments: ty.Optional[ty.Any] = None) -> np.ndarray:
    """Share of each neuron's class response from its assigned class (``assignments``, -1 for
    none; default ``argmax`` of the responses); NaN for a neuron with no response or no class."""
    r = _responses(responses)
    k, n = r.shape
    if assignments is None:
        a = r.argmax(axis=0)
    else:
        a = np.asarray(assignments)
        if a.shape != (n,):
            raise ValueError(f"assignments: expected shape ({n},), got {a.shape}")
        if a.size and (a.max() >= k or a.min() < -1):
            raise ValueError(f"assignments: expected classes -1..{k - 1}, got {a.min()}..{a.max()}")
        a = a.astype(np.int64)
    total = r.sum(axis=0)
    share = np.full(n, np.nan)
    ok = (total > 0) & (a >= 0)
    share[ok] = r[a[ok], np.flatnonzero(ok)] / total[ok]
    return share


# ---------------------------------------------------------------------- theta
def theta_summary(theta: ty.Any) -> ty.Dict[str, float]:
    """``theta_mean``, ``theta_std`` (ddof 0), ``theta_min``, ``theta_max`` and
    ``theta_q05`` .. ``theta_q95`` (mV)."""
    t = np.asarray(theta, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError(f"theta: expected a non-empty 1-D array of finite values, got shape {t.shape}")
    out = {"theta_mean": float(t.mean()), "theta_std": float(t.std()),
           "theta_min": float(t.min()), "theta_max": float(t.max())}
    for q, v in zip(THETA_QUANTILES, np.quantile(t, THETA_QUANTILES)):
        out[f"theta_q{int(round(100 * q)):02d}"] = float(v)
    return out


# ---------------------------------------------------------------------- run folders
@dataclass
class RunData:
    """What a run folder holds for these statistics."""
    folder: Path
    weights: np.ndarray                       # (n_neurons, n_inputs)
    theta: np.ndarray                         # (n_neurons,)
    w_max: float
    assignments: ty.Optional[np.ndarray] = None
    counts: ty.Optional[np.ndarray] = None    # labelling spike counts (n_images, n_neurons)
    labels: ty.Optional[np.ndarray] = None    # (n_images,)
    n_classes: ty.Optional[int] = None
    counts_source: ty.Optional[str] = None

    @property
    def responses(self) -> ty.Optional[np.ndarray]:
        if self.counts is None:
            return None
        return class_responses(self.counts, self.labels, self.n_classes)


def _npz_fields(path: Path, required: ty.Sequence[str]) -> ty.Dict[str, np.ndarray]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read as .npz: {exc}") from None
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(f"{path}: missing field(s) {missing}; found {sorted(data)}")
    return data


def load_label_counts(path: PathLike, n_neurons: ty.Optional[int] = None
                      ) -> ty.Tuple[np.ndarray, np.ndarray, int, ty.Optional[str]]:
    """``(counts, labels, n_classes, source)`` of a :data:`LABEL_COUNTS_FILE`."""
    path = Path(path)
    d = _npz_fields(path, ("counts", "labels", "n_classes"))
    counts, labels = d["counts"], d["labels"]
    if counts.ndim != 2 or (n_neurons is not None and counts.shape[1] != n_neurons):
        raise ValueError(f"{path}: field 'counts': expected shape (n_images, {n_neurons or 'n_neurons'}), "
                         f"got {counts.shape}")
    if not np.issubdtype(counts.dtype, np.number) or (counts < 0).any():
        raise ValueError(f"{path}: field 'counts': expected non-negative spike counts")
    if labels.shape != (counts.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: field 'labels': expected {counts.shape[0]} integer labels, "
                         f"got shape {labels.shape} dtype {labels.dtype}")
    if d["n_classes"].shape != () or int(d["n_classes"]) < 2:
        raise ValueError(f"{path}: field 'n_classes': expected a scalar >= 2, got {d['n_classes']!r}")
    n_classes = int(d["n_classes"])
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{path}: field 'labels': expected classes 0..{n_classes - 1}, "
                         f"got {labels.min()}..{labels.max()}")
    source = str(d["source"]) if "source" in d else None
    return counts, labels.astype(np.int64), n_classes, source


def save_label_counts(path: PathLike, counts: ty.Any, labels: ty.Any, n_classes: int,
                      source: ty.Optional[str] = None) -> Path:
    """Write a :data:`LABEL_COUNTS_FILE` atomically (counts as uint16 when they fit, compressed)."""
    path = Path(path)
    counts = np.asarray(counts)
    labels = np.asarray(labels)
    if counts.ndim != 2 or labels.shape != (counts.shape[0],):
        raise ValueError(f"label counts: expected counts (n_images, n_neurons) and as many labels, "
                         f"got {counts.shape} and {labels.shape}")
    if counts.size and (counts.min() < 0):
        raise ValueError("label counts: expected non-negative spike counts")
    dtype = np.uint16 if not counts.size or counts.max() < 2 ** 16 else np.int64
    arrays = {"counts": counts.astype(dtype), "labels": labels.astype(np.int16),
              "n_classes": np.asarray(int(n_classes))}
    if source is not None:
        arrays["source"] = np.asarray(str(source))
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_run(folder: PathLike) -> RunData:
    """Weights, theta, assignments and w_max of a run folder (``state.npz``, ``config.json``),
    and its labelling counts if it has a :data:`LABEL_COUNTS_FILE`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such run folder")
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise ValueError(f"{cfg_path}: no such file")
    try:
        cfg = json.loads(cfg_path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{cfg_path}: cannot read as JSON: {exc}") from None
    w_max = (cfg.get("stdp") or {}).get("w_max") if isinstance(cfg, dict) else None
    if not isinstance(w_max, (int, float)) or isinstance(w_max, bool) or not (w_max > 0):
        raise ValueError(f"{cfg_path}: field 'stdp.w_max': expected a number > 0, got {w_max!r}")
    state_path = folder / "state.npz"
    d = _npz_fields(state_path, ("weights", "theta"))
    weights, theta = d["weights"], d["theta"]
    if weights.ndim != 2:
        raise ValueError(f"{state_path}: field 'weights': expected (n_neurons, n_inputs), got shape "
                         f"{weights.shape}")
    n = weights.shape[0]
    if theta.shape != (n,):
        raise ValueError(f"{state_path}: field 'theta': expected shape ({n},), got {theta.shape}")
    _weights(weights, f"{state_path}: field 'weights'")
    assignments = d.get("assignments")
    if assignments is not None and assignments.shape != (n,):
        raise ValueError(f"{state_path}: field 'assignments': expected shape ({n},), got {assignments.shape}")
    run = RunData(folder, weights.astype(np.float64), theta.astype(np.float64), float(w_max),
                  None if assignments is None else assignments.astype(np.int64))
    counts_path = folder / LABEL_COUNTS_FILE
    if counts_path.is_file():
        run.counts, run.labels, run.n_classes, run.counts_source = load_label_counts(counts_path, n)
    return run


# ---------------------------------------------------------------------- per neuron, per run
def neuron_statistics(run: RunData) -> ty.Dict[str, np.ndarray]:
    """Per-neuron arrays: the :func:`weight_statistics`, ``theta``, and (with labelling
    counts) ``selectivity`` and ``assigned_share``."""
    out = weight_statistics(run.weights, run.w_max)
    out["theta"] = run.theta
    responses = run.responses
    if responses is not None:
        out["selectivity"] = class_selectivity(responses)
        out["assigned_share"] = assigned_class_share(responses)
    return out


SUMMARY_KEYS = ("w_mean", "neuron_mean_w_std", "frac_near_max", "frac_near_zero", "hoyer_mean", "hoyer_std",
                "k50_mean", "k90_mean", "selectivity_mean", "selectivity_std", "assigned_share_mean",
                "neurons_silent_labelling", "theta_mean", "theta_std", "theta_min", "theta_max",
                "theta_q05", "theta_q25", "theta_q50", "theta_q75", "theta_q95")
"""Keys of :func:`run_statistics`."""


def run_statistics(run: RunData) -> ty.Dict[str, ty.Optional[float]]:
    """One run's summary (:data:`SUMMARY_KEYS`): means over neurons of the per-neuron
    statistics (``_std``: spread over neurons), the theta summary, and the number of
    neurons that never fired on the labelling images. Selectivity keys are ``None``
    without labelling counts; means skip NaN neurons (zero weight vectors, silent neurons)."""
    per = neuron_statistics(run)

    def m(key):
        x = per[key]
        return float(np.nanmean(x)) if np.isfinite(x).any() else None

    def s(key):
        x = per[key]
        return float(np.nanstd(x)) if np.isfinite(x).any() else None

    out: ty.Dict[str, ty.Optional[float]] = {
        "w_mean": float(run.weights.mean()), "neuron_mean_w_std": float(per["mean_w"].std()),
        "frac_near_max": m("frac_near_max"), "frac_near_zero": m("frac_near_zero"),
        "hoyer_mean": m("hoyer"), "hoyer_std": s("hoyer"), "k50_mean": m("k50"), "k90_mean": m("k90"),
        "selectivity_mean": None, "selectivity_std": None, "assigned_share_mean": None,
        "neurons_silent_labelling": None}
    if "selectivity" in per:
        out.update({"selectivity_mean": m("selectivity"), "selectivity_std": s("selectivity"),
                    "assigned_share_mean": m("assigned_share"),
                    "neurons_silent_labelling": int(np.isnan(per["selectivity"]).sum())})
    out.update(theta_summary(run.theta))
    return out
