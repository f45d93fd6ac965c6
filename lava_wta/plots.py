"""Figures of a run: weight mosaic, confusion matrix, theta histogram, training curve,
spike raster of one presentation, and the weights at several moments of training.

Each figure has a builder returning a matplotlib ``Figure`` (``*_figure``; show it, or
inspect it) and a ``plot_*`` function that renders it as PNG and writes it atomically
(:func:`lava_wta.runfolder.write_atomic`) to a path, or into a binary file object.
"""
from __future__ import annotations

import io
import typing as ty
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

if ty.TYPE_CHECKING:  # pragma: no cover
    from lava_wta.engine import SpikeRaster

Target = ty.Union[Path, str, ty.BinaryIO]

TILE_GAP_COLOUR = "#7f9fbf"
"""Colour of the gaps between tiles of a weight mosaic (and of empty tiles)."""
TILE_LABEL_COLOUR = "#1f4e9a"
"""Colour of the class labels on the tiles."""
UNASSIGNED = "-"
"""Tile label of a neuron without a class (it never fired while labels were assigned)."""


def _save(fig, path: Target) -> Target:
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


def weight_mosaic(weights: np.ndarray, image_shape: ty.Tuple[int, int], gap: int = 0) -> np.ndarray:
    """Tile every neuron's input weights (rows of ``weights``) into one 2-D array, row by
    row, ``gap`` pixels apart; gaps and empty tiles are NaN."""
    n = weights.shape[0]
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = image_shape
    mosaic = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for j in range(n):
        r, c = divmod(j, cols)
        y, x = r * (h + gap), c * (w + gap)
        mosaic[y:y + h, x:x + w] = weights[j].reshape(h, w)
    return mosaic


def _mosaic_axes(ax, weights, image_shape, *, vmax=None, labels: ty.Optional[ty.Sequence[str]] = None,
                 fontsize: float = 7.0):
    """Draw the mosaic of ``weights`` into ``ax`` (gaps in :data:`TILE_GAP_COLOUR`), with
    ``labels[j]`` in the corner of neuron ``j``'s tile."""
    gap = 1
    mosaic = weight_mosaic(weights, image_shape, gap=gap)
    cmap = plt.get_cmap("hot_r").copy()
    cmap.set_bad(TILE_GAP_COLOUR)
    im = ax.imshow(mosaic, cmap=cmap, interpolation="nearest", vmin=0, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if labels is not None:
        cols = int(np.ceil(np.sqrt(weights.shape[0])))
        h, w = image_shape
        for j, text in enumerate(labels):
            r, c = divmod(j, cols)
            # plain text (a box behind each label made a 1,600-neuron mosaic 6x slower to draw);
            # (on MNIST a tile's corner is a border pixel, where learned weights are small)
            ax.text(c * (w + gap), r * (h + gap), text, ha="left", va="top", fontsize=fontsize,
                    color=TILE_LABEL_COLOUR, fontweight="bold")
    return im


def tile_labels(assignments: np.ndarray, class_names: ty.Optional[ty.Sequence[str]] = None) -> ty.List[str]:
    """The label of each neuron's tile: its class name (``class_names[assignments[j]]``,
    the class index without names), :data:`UNASSIGNED` for -1."""
    out = []
    for a in np.asarray(assignments, dtype=int):
        if a < 0:
            out.append(UNASSIGNED)
        else:
            out.append(str(class_names[a]) if class_names is not None else str(a))
    return out


def weights_figure(weights: np.ndarray, image_shape: ty.Tuple[int, int], *,
                   assignments: ty.Optional[np.ndarray] = None,
                   class_names: ty.Optional[ty.Sequence[str]] = None,
                   title: str = "input weights of every excitatory neuron"):
    """The weight mosaic: one tile per neuron (its input weights as an image), tiles
    separated by a grid; with ``assignments`` (class per neuron, -1 for none) each tile
    carries its neuron's class (:func:`tile_labels`)."""
    n = weights.shape[0]
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = image_shape
    width_px, height_px = cols * (w + 1), rows * (h + 1)
    size = min(14, 2 + width_px / 40)
    fig, ax = plt.subplots(figsize=(size + 1.2, size * height_px / width_px + 0.6))
    labels = None if assignments is None else tile_labels(assignments, class_names)
    # a label about a third of a tile high, readable from 4 pt up
    tile_pt = 72 * size / cols
    im = _mosaic_axes(ax, weights, image_shape, labels=labels, fontsize=float(np.clip(tile_pt / 3, 4, 10)))
    ax.set_title(title, fontsize=9, wrap=True)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="weight")
    fig.tight_layout()
    return fig


def plot_weights(weights: np.ndarray, image_shape: ty.Tuple[int, int], path: Target,
                 title: str = "input weights of every excitatory neuron", *,
                 assignments: ty.Optional[np.ndarray] = None,
                 class_names: ty.Optional[ty.Sequence[str]] = None) -> Target:
    """:func:`weights_figure`, written to ``path``."""
    return _save(weights_figure(weights, image_shape, assignments=assignments, class_names=class_names,
                                title=title), path)


def plot_confusion(cm: np.ndarray, path: Target, class_names: ty.Sequence[str],
                   title: str = "confusion matrix") -> Target:
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


def plot_theta(theta: np.ndarray, path: Target, theta_init: float) -> Target:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(theta, bins=40, color="tab:orange", edgecolor="black", linewidth=0.4)
    ax.axvline(theta_init, color="grey", linestyle="--", label=f"initial {theta_init:g} mV")
    ax.set_xlabel("adaptive threshold theta (mV)")
    ax.set_ylabel("neurons")
    ax.set_title(f"theta after training (mean {theta.mean():.2f} mV)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def training_curve_figure(curve: ty.Mapping[str, ty.Sequence[float]], n_classes: ty.Optional[int] = None):
    """The curve of :func:`lava_wta.evaluation.training_curve`: mean excitatory spikes
    per image of each block of training images and, when labels were given, the
    accuracy of the neuron labels taken online (chance level dashed, with ``n_classes``)."""
    acc_x = list(curve.get("online_accuracy_images", []))
    panels = 2 if acc_x else 1
    fig, axes = plt.subplots(panels, 1, figsize=(7, 2.4 + 2 * panels), sharex=True, squeeze=False)
    axes = axes[:, 0]
    x = np.asarray(curve["images"])
    if acc_x:
        ax = axes[0]
        ax.plot(acc_x, 100 * np.asarray(curve["online_accuracy"], dtype=float), "o-", color="tab:blue", ms=3)
        if n_classes:
            ax.axhline(100 / n_classes, color="grey", linestyle="--", linewidth=1, label="chance")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy of online\nneuron labels (%)")
        ax.set_title("training: each point is one block of images")
    ax = axes[-1]
    ax.plot(x, np.asarray(curve["spikes_per_image"], dtype=float), "o-", color="tab:red", ms=3)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("excitatory spikes\nper image")
    ax.set_xlabel("training images presented")
    if not acc_x:
        ax.set_title("training: each point is one block of images")
    fig.tight_layout()
    return fig


def plot_training_curve(curve: ty.Mapping[str, ty.Sequence[float]], path: Target,
                        n_classes: ty.Optional[int] = None) -> Target:
    """:func:`training_curve_figure`, written to ``path``."""
    return _save(training_curve_figure(curve, n_classes), path)


def raster_figure(raster: "SpikeRaster", *, image_shape: ty.Optional[ty.Tuple[int, int]] = None,
                  image: ty.Optional[np.ndarray] = None, assignments: ty.Optional[np.ndarray] = None,
                  class_names: ty.Optional[ty.Sequence[str]] = None, title: ty.Optional[str] = None):
    """The spikes of one presentation (:class:`lava_wta.engine.SpikeRaster`): input
    spikes (pixel against time) above, excitatory spikes (neuron against time) below,
    the winner's spikes in red; with ``image`` and ``image_shape``, the image beside."""
    steps = raster.excitatory.shape[0]
    t_ms = np.arange(steps) * raster.dt_ms
    show_image = image is not None and image_shape is not None
    fig = plt.figure(figsize=(9 if show_image else 7.5, 6))
    grid = fig.add_gridspec(2, 2 if show_image else 1, width_ratios=[4, 1] if show_image else None)
    ax_in = fig.add_subplot(grid[0, 0])
    ax_ex = fig.add_subplot(grid[1, 0], sharex=ax_in)
    ts, pix = np.nonzero(raster.inputs)
    ax_in.scatter(t_ms[ts], pix, s=1.5, marker="|", color="black", linewidths=0.6)
    ax_in.set_ylabel("input (pixel index)")
    ax_in.set_ylim(-0.5, raster.inputs.shape[1] - 0.5)
    ax_in.tick_params(labelbottom=False)
    winner = raster.winner
    ts, nrn = np.nonzero(raster.excitatory)
    is_w = nrn == winner
    ax_ex.scatter(t_ms[ts[~is_w]], nrn[~is_w], s=20, marker="|", color="black", linewidths=1.0, label="spikes")
    what = "no neuron fired"
    if winner >= 0:
        cls = ""
        if assignments is not None:
            cls = tile_labels(np.asarray(assignments)[[winner]], class_names)[0]
            cls = f", class {cls}"
        what = f"winner: neuron {winner}{cls} ({int(raster.counts[winner])} spikes)"
        ax_ex.scatter(t_ms[ts[is_w]], nrn[is_w], s=30, marker="|", color="tab:red", linewidths=1.5,
                      label=what)
        ax_ex.axhline(winner, color="tab:red", alpha=0.15, linewidth=4)
        ax_ex.legend(loc="upper right", fontsize=8)
    ax_ex.set_ylim(-0.5, raster.excitatory.shape[1] - 0.5)
    ax_ex.set_ylabel("excitatory neuron")
    ax_ex.set_xlabel("time in the presentation (ms)")
    ax_ex.set_xlim(0, steps * raster.dt_ms)
    if raster.presentation_steps < steps:
        for ax in (ax_in, ax_ex):
            ax.axvline(raster.presentation_steps * raster.dt_ms, color="grey", linestyle=":")
    if show_image:
        ax_img = fig.add_subplot(grid[:, 1])
        ax_img.imshow(np.asarray(image).reshape(image_shape), cmap="gray_r", interpolation="nearest")
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        ax_img.set_title("image", fontsize=9)
    retry = f", presentation {raster.retry + 1} of the image" if raster.retry else ""
    fig.suptitle(title or f"one presentation: {int(raster.inputs.sum())} input spikes, "
                          f"{int(raster.excitatory.sum())} excitatory spikes{retry}\n{what}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_raster(raster: "SpikeRaster", path: Target, **kwargs) -> Target:
    """:func:`raster_figure` (same keywords), written to ``path``."""
    return _save(raster_figure(raster, **kwargs), path)


def snapshots_figure(snapshots: ty.Mapping[str, np.ndarray], image_shape: ty.Tuple[int, int], *,
                     title: str = "input weights during training"):
    """The weights at several moments of training (``snapshots``: ``images``, the images
    presented at each moment, ``weights`` (moments, neurons, n_inputs) and ``neurons``,
    the neuron indices recorded; see :class:`lava_wta.presentation.WeightSnapshots`), one
    mosaic per moment on one colour scale."""
    images = np.asarray(snapshots["images"])
    weights = np.asarray(snapshots["weights"])
    k = len(images)
    cols = min(k, 3)
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols + 0.8, 3.3 * rows + 0.5), squeeze=False)
    vmax = float(np.nanmax(weights)) if weights.size else 1.0
    im = None
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.axis("off")
            continue
        im = _mosaic_axes(ax, weights[i], image_shape, vmax=vmax or 1.0)
        ax.set_title(f"after {int(images[i])} images", fontsize=9)
    neurons = np.asarray(snapshots.get("neurons", np.arange(weights.shape[1] if weights.ndim == 3 else 0)))
    fig.suptitle(f"{title} ({len(neurons)} neurons)", fontsize=10)
    if im is not None:
        fig.colorbar(im, ax=list(axes.flat), fraction=0.03, pad=0.02, label="weight")
    return fig


def plot_snapshots(snapshots: ty.Mapping[str, np.ndarray], image_shape: ty.Tuple[int, int], path: Target,
                   **kwargs) -> Target:
    """:func:`snapshots_figure`, written to ``path``."""
    return _save(snapshots_figure(snapshots, image_shape, **kwargs), path)
