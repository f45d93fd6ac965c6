"""Unsupervised-network read-out (Diehl & Cook): label neurons, predict, score. numpy only."""
from __future__ import annotations

import numpy as np


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Class whose images make each neuron fire most on average; -1 if it never fired.

    counts: (n_images, n_neurons) spike counts; labels: (n_images,).
    """
    counts = np.asarray(counts, dtype=float)
    means = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        sel = labels == c
        if sel.any():
            means[c] = counts[sel].mean(axis=0)
    assignments = means.argmax(axis=0)
    assignments[means.max(axis=0) <= 0] = -1
    return assignments


def class_scores(counts: np.ndarray, assignments: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Mean spike count of each class's assigned neurons, per image: (n_images, n_classes).
    A class without neurons scores -inf."""
    counts = np.asarray(counts, dtype=float)
    scores = np.full((counts.shape[0], n_classes), -np.inf)
    for c in range(n_classes):
        sel = assignments == c
        if sel.any():
            scores[:, c] = counts[:, sel].mean(axis=1)
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
