"""Does the winner-take-all competition pick the best-matching prototype?

A trained neuron's input weight vector ``w_j`` is a prototype of the images it wins. Its
drive by an image ``x`` is the weighted sum ``w_j · x = ||w_j||_2 ||x||_2 cos(w_j, x)``.
With l2 scaling every ``||w_j||_2`` equals Wt, so the neuron with the largest drive is the
prototype closest to the image in angle: the competition is a nearest-prototype search.
With l1 (or max) scaling the L2 norms differ between neurons (a neuron with its weight
concentrated on few pixels has a larger L2 norm at the same L1 sum), so the largest drive
also rewards concentration, not only the match; the adaptive threshold θ can offset a
norm only additively and slowly. These statistics measure that on trained networks:

``best_match_wins``
    fraction of the labelling images (those that made the network fire) on which the
    neuron of highest cosine similarity to the image fired most (a tie for the top count
    between ``k`` neurons counts ``1 / k``): how often the competition picks the
    best-matching prototype.
``winner_rank_mean``
    mean number of neurons with a higher cosine similarity than the (first) most active
    neuron: 0 if the competition always picks the best match.
``prototype_accuracy``
    the accuracy of the weights used as a nearest-prototype classifier (each test image
    gets the label assigned to its highest-cosine neuron, the run's own assignments), with
    no spikes: how good the learned prototypes are, apart from the spiking read-out.
``norm_cv``
    coefficient of variation of ``||w_j||_2`` over neurons (0 under l2 scaling).
``rho_norm_theta`` / ``rho_norm_spikes``
    Spearman rank correlation over neurons between ``||w_j||_2`` and θ_j / the neuron's
    total labelling spikes (NaN when the norms are all equal).
"""
from __future__ import annotations

import typing as ty

import numpy as np

COMPETITION_KEYS = ("best_match_wins", "winner_rank_mean", "prototype_accuracy", "norm_cv",
                    "rho_norm_theta", "rho_norm_spikes")


def _matrix(x: ty.Any, name: str, n_cols: ty.Optional[int] = None) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d array, got shape {a.shape}")
    if n_cols is not None and a.shape[1] != n_cols:
        raise ValueError(f"{name}: expected {n_cols} columns, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: holds NaN or infinite values")
    return a


def cosine_similarity(weights: ty.Any, images: ty.Any) -> np.ndarray:
    """``cos(w_j, x_m)`` as an ``(n_images, n_neurons)`` array; 0 for an all-zero image or
    weight vector. ``weights``: ``(n_neurons, n_inputs)``; ``images``: ``(n_images, n_inputs)``."""
    w = _matrix(weights, "weights")
    x = _matrix(images, "images", w.shape[1])
    wn = np.linalg.norm(w, axis=1)
    xn = np.linalg.norm(x, axis=1)
    dots = x @ w.T
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = dots / np.outer(xn, wn)
    cos[~np.isfinite(cos)] = 0.0
    return cos


def best_match_wins(counts: ty.Any, cosine: ty.Any) -> ty.Tuple[float, float, int]:
    """``(fraction, winner_rank_mean, n_images)`` over the images with at least one spike:
    the fraction on which the highest-cosine neuron (the first of equal cosines) has the
    top spike count (shared by ``k`` neurons, the top counts ``1 / k``: the chance that it
    wins a random tie-break), and the mean number of neurons whose cosine exceeds the
    cosine of the first neuron of top count. ``(nan, nan, 0)`` without such images."""
    c = _matrix(counts, "counts")
    cos = _matrix(cosine, "cosine similarities")
    if c.shape != cos.shape:
        raise ValueError(f"counts {c.shape} and cosine similarities {cos.shape} differ in shape")
    fired = c.sum(axis=1) > 0
    if not fired.any():
        return float("nan"), float("nan"), 0
    c, cos = c[fired], cos[fired]
    rows = np.arange(c.shape[0])
    best = cos.argmax(axis=1)
    top = c.max(axis=1)
    at_top = (c == top[:, None]).sum(axis=1)
    wins = (c[rows, best] == top) / at_top          # a tie for the top count shares the win
    winner = c.argmax(axis=1)
    rank = (cos > cos[rows, winner][:, None]).sum(axis=1)
    return float(wins.mean()), float(rank.mean()), int(c.shape[0])


def prototype_accuracy(weights: ty.Any, assignments: ty.Any, images: ty.Any, labels: ty.Any) -> float:
    """Accuracy of the nearest-prototype classifier: image ``m`` gets
    ``assignments[argmax_j cos(w_j, x_m)]``, the argmax taken over the neurons with an
    assignment (``>= 0``; the first of equal cosines); NaN if no neuron has one."""
    a = np.asarray(assignments)
    y = np.asarray(labels)
    cos = cosine_similarity(weights, images)
    if a.shape != (cos.shape[1],):
        raise ValueError(f"assignments: expected shape ({cos.shape[1]},), got {a.shape}")
    if y.shape != (cos.shape[0],):
        raise ValueError(f"labels: expected shape ({cos.shape[0]},), got {y.shape}")
    usable = a >= 0
    if not usable.any():
        return float("nan")
    cos = np.where(usable[None, :], cos, -np.inf)
    return float((a[cos.argmax(axis=1)] == y).mean())


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho with average ranks for ties; NaN if either side is constant (the L2
    norms under l2 scaling are equal up to rounding: relative spread below 1e-9)."""
    from scipy.stats import rankdata

    if a.size < 3 or np.ptp(a) <= 1e-9 * max(abs(a).max(), 1e-300) or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def competition_statistics(weights: ty.Any, theta: ty.Any, *, label_images: ty.Any, label_counts: ty.Any,
                           assignments: ty.Optional[ty.Any] = None, test_images: ty.Any = None,
                           test_labels: ty.Any = None) -> ty.Dict[str, float]:
    """The statistics of the module docstring (:data:`COMPETITION_KEYS`) for one network.

    ``label_images`` ``(n_images, n_inputs)`` with their spike counts ``label_counts``
    ``(n_images, n_neurons)`` (the frozen labelling pass); ``prototype_accuracy`` needs
    ``assignments`` and the test images with their labels, else it is NaN."""
    w = _matrix(weights, "weights")
    th = np.asarray(theta, dtype=np.float64)
    if th.shape != (w.shape[0],):
        raise ValueError(f"theta: expected shape ({w.shape[0]},), got {th.shape}")
    counts = _matrix(label_counts, "label_counts", w.shape[0])
    images = _matrix(label_images, "label_images", w.shape[1])
    if images.shape[0] != counts.shape[0]:
        raise ValueError(f"label_images has {images.shape[0]} images, label_counts {counts.shape[0]}")
    frac, rank, _ = best_match_wins(counts, cosine_similarity(w, images))
    norms = np.linalg.norm(w, axis=1)
    proto = float("nan")
    if assignments is not None and test_images is not None and test_labels is not None:
        proto = prototype_accuracy(w, assignments, test_images, test_labels)
    return {
        "best_match_wins": frac,
        "winner_rank_mean": rank,
        "prototype_accuracy": proto,
        "norm_cv": float(norms.std() / norms.mean()) if norms.mean() > 0 else float("nan"),
        "rho_norm_theta": _spearman(norms, th),
        "rho_norm_spikes": _spearman(norms, counts.sum(axis=0)),
    }
