"""Unsupervised-network read-out (Diehl & Cook): label neurons, predict, score. numpy only."""
from __future__ import annotations

import typing as ty

import numpy as np


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Class whose images make each neuron fire most on average; -1 if it never fired.

    counts: (n_images, n_neurons) spike counts; labels: (n_images,).
    """
    counts, labels = np.asarray(counts), np.asarray(labels)
    means = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        sel = labels == c
        if sel.any():      # accumulated in float64 without a float copy of the counts
            means[c] = counts[sel].mean(axis=0, dtype=np.float64)
    return labels_from_means(means)


def labels_from_means(means: np.ndarray) -> np.ndarray:
    """Neuron labels from ``means`` (n_classes, n_neurons), each neuron's mean spike count
    per image of each class (0 for a class without images): the class of the largest
    mean (ties to the lowest class), -1 for a neuron that never fired."""
    assignments = means.argmax(axis=0)
    assignments[means.max(axis=0) <= 0] = -1
    return assignments


class OnlineLabels:
    """Neuron labels from every image seen so far, kept as running per-class spike sums
    (the labels Diehl & Cook track during training)."""

    def __init__(self, n_classes: int, n_neurons: int) -> None:
        self.sums = np.zeros((n_classes, n_neurons))
        self.seen = np.zeros(n_classes)

    def add(self, counts: np.ndarray, labels: np.ndarray) -> None:
        """Count the images ``counts`` (n_images, n_neurons) of classes ``labels``."""
        labels = np.asarray(labels)
        for c in np.unique(labels):        # (np.add.at: 1 s over a 40,000-image run)
            self.sums[c] += counts[labels == c].sum(axis=0)
        self.seen += np.bincount(labels, minlength=self.seen.size)

    def assignments(self) -> np.ndarray:
        """:func:`labels_from_means` of the images added so far."""
        return labels_from_means(self.sums / np.maximum(self.seen, 1)[:, None])


TRAINING_CURVE_POINTS = 20
"""Blocks a training pass is cut into for :func:`training_curve`."""


def training_curve(counts: np.ndarray, labels: ty.Optional[np.ndarray] = None, n_classes: int = 10,
                   points: int = TRAINING_CURVE_POINTS) -> dict:
    """What a training pass did, block by block: the images are cut into ``points``
    consecutive blocks of (nearly) equal size (as many as there are images, if fewer).

    Returns a dict of plain lists (strict JSON: every value a finite number):

    ``images``
        images presented by the end of each block;
    ``spikes_per_image``
        mean excitatory spikes of the accepted presentation of each image of the block;
    ``online_accuracy`` and ``online_accuracy_images`` (only with ``labels``)
        for every block but the first: the fraction of its images that the network
        classifies correctly when each neuron is labelled with the class it fired most
        for over all earlier images of the pass (:class:`OnlineLabels`). The first block
        has no earlier images, hence no value.
    """
    counts = np.asarray(counts)
    n_images = counts.shape[0]
    edges = np.unique(np.linspace(0, n_images, min(points, n_images) + 1).round().astype(int))
    curve: dict = {"images": [], "spikes_per_image": []}
    if labels is not None:
        curve.update(online_accuracy=[], online_accuracy_images=[])
        online = OnlineLabels(n_classes, counts.shape[1])
    for a, b in zip(edges[:-1], edges[1:]):
        block = counts[a:b]
        curve["images"].append(int(b))
        curve["spikes_per_image"].append(float(block.sum(axis=1).mean()))
        if labels is None:
            continue
        y = np.asarray(labels[a:b])
        if a > 0:
            curve["online_accuracy"].append(accuracy(y, predict(block, online.assignments(), n_classes)))
            curve["online_accuracy_images"].append(int(b))
        online.add(block, y)
    return curve


def class_scores(counts: np.ndarray, assignments: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Mean spike count of each class's assigned neurons, per image: (n_images, n_classes).
    A class without neurons scores -inf."""
    counts = np.asarray(counts)
    scores = np.full((counts.shape[0], n_classes), -np.inf)
    for c in range(n_classes):
        sel = assignments == c
        if sel.any():
            scores[:, c] = counts[:, sel].mean(axis=1, dtype=np.float64)
    return scores


def predict(counts: np.ndarray, assignments: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Predicted class per image (ties go to the lowest class index)."""
    return class_scores(counts, assignments, n_classes).argmax(axis=1)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """(true class, predicted class) counts."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(labels), np.asarray(predictions)), 1)
    return cm


def accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    labels = np.asarray(labels)
    return float((labels == np.asarray(predictions)).mean()) if labels.size else float("nan")


def failure_signatures(counts: np.ndarray) -> dict:
    """Numbers behind the failure signatures of docs/model.md for one set of presentations."""
    counts = np.asarray(counts)
    totals = counts.sum(axis=1)
    winners = counts.argmax(axis=1)[totals > 0]
    top_share = float(np.bincount(winners).max() / winners.size) if winners.size else 0.0
    return {
        "mean_spikes_per_image": float(totals.mean()) if totals.size else 0.0,
        "silent_images_fraction": float((totals == 0).mean()) if totals.size else 1.0,
        "neurons_never_winning_fraction": float(1 - np.unique(winners).size / counts.shape[1]),
        "top_neuron_win_share": top_share,
        "silent": bool(totals.size and (totals == 0).all()),
        "monopoly": bool(top_share > 0.5),
    }
