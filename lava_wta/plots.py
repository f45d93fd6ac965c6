"""Figures of a run: weight mosaic, confusion matrix, theta histogram, training curve."""
from __future__ import annotations

import io
import typing as ty
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: ty.Union[Path, ty.BinaryIO]) -> ty.Union[Path, ty.BinaryIO]:
    """Render ``fig`` as PNG and write it atomically (uniquely named temporary file, then
    rename), so a run folder never holds half a figure; ``path`` may also be a binary
    file object (e.g. ``io.BytesIO``), which receives the PNG."""
    from lava_wta.runfolder import write_atomic

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    if hasattr(path, "write"):
        path.write(buf.getvalue())
        return path
    return write_atomic(path, buf.getvalue())


def weight_mosaic(weights: np.ndarray, image_shape: ty.Tuple[int, int]) -> np.ndarray:
    """Tile every neuron's input weights (rows of ``weights``) into one 2-D array."""
    n = weights.shape[0]
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = image_shape
    mosaic = np.full((rows * h, cols * w), np.nan)
    for j in range(n):
        r, c = divmod(j, cols)
        mosaic[r * h:(r + 1) * h, c * w:(c + 1) * w] = weights[j].reshape(h, w)
    return mosaic


def plot_weights(weights: np.ndarray, image_shape: ty.Tuple[int, int], path: Path,
                 title: str = "input weights of every excitatory neuron") -> Path:
    mosaic = weight_mosaic(weights, image_shape)
    size = min(14, 2 + mosaic.shape[1] / 40)
    fig, ax = plt.subplots(figsize=(size + 1.2, size * mosaic.shape[0] / mosaic.shape[1] + 0.6))
    im = ax.imshow(mosaic, cmap="hot_r", interpolation="nearest", vmin=0)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="weight")
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion(cm: np.ndarray, path: Path, class_names: ty.Sequence[str],
                   title: str = "confusion matrix") -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(class_names)))
    ax.set_xticklabels(class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(class_names)))
    ax.set_yticklabels(class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    fig.tight_layout()
    return _save(fig, path)


def plot_theta(theta: np.ndarray, path: Path, theta_init: float) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(theta, bins=40, color="tab:orange", edgecolor="black", linewidth=0.4)
    ax.axvline(theta_init, color="grey", linestyle="--", label=f"initial {theta_init:g} mV")
    ax.set_xlabel("adaptive threshold theta (mV)")
    ax.set_ylabel("neurons")
    ax.set_title(f"theta after training (mean {theta.mean():.2f} mV)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_training_curve(curve: ty.Mapping[str, ty.Sequence[float]], path: Path) -> Path:
    """``curve``: images, running_accuracy (fraction, or None/nan before the first
    value), spikes_per_image."""
    fig, ax1 = plt.subplots(figsize=(7, 4))
    x = np.asarray(curve["images"])
    acc = np.asarray(curve["running_accuracy"], dtype=float)
    ax1.plot(x, 100 * acc, color="tab:blue", label="running accuracy (online labels)")
    ax1.set_xlabel("training images")
    ax1.set_ylabel("running accuracy, last 500 images (%)", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(x, np.asarray(curve["spikes_per_image"], dtype=float), color="tab:red", alpha=0.7, label="spikes per image")
    ax2.set_ylabel("excitatory spikes per image", color="tab:red")
    ax1.set_title("training progress")
    fig.tight_layout()
    return _save(fig, path)
