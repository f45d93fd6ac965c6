"""Classify images with a lava-wta NIR graph run by any simulator (numpy and numba; no Lava).

A NIR graph holds the network; classifying also needs what lava-wta's exporter puts in
the graph's metadata (:data:`lava_wta.nir.conventions.GRAPH_KEYS`): how an image becomes
input spikes (Poisson rates, ``presentation_steps``), the retry rule (an image that makes
the output fire fewer than ``min_spikes`` spikes is presented again at a higher rate) and the
class label of each output neuron. :class:`Readout` reads them and applies them around a
consumer's simulator::

    import nir
    from lava_wta.nir.readout import Readout

    graph = nir.read("network.nir")
    readout = Readout.from_metadata(graph.metadata)

    def run(raster):                 # (n_inputs, period_steps) 0/1 -> (n_outputs, period_steps)
        my_sim.reset()               # only in "reset" mode: every presentation starts at rest
        return my_sim(raster)

    predictions, counts = readout.classify(run, images, rng=np.random.default_rng(0))

The raster holds ``presentation_steps`` steps of input followed by the input-free rest
(``period_steps - presentation_steps`` steps, none in ``"reset"`` mode); the output spikes
of the presentation steps are counted. ``readout.predict(counts)`` turns output spike
counts alone into classes.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

import numpy as np

from lava_wta import evaluation
from lava_wta.model.protocol import RETRY, end_of_presentation, presentation_gain_hz

RunFn = ty.Callable[[np.ndarray], np.ndarray]
"""``run(raster (n_inputs, period_steps)) -> output spikes (n_outputs, period_steps)``."""
EncodeFn = ty.Callable[[int, np.ndarray, int], np.ndarray]


def _number(meta: ty.Mapping, key: str, kind=float):
    if key not in meta:
        raise KeyError(f"NIR metadata: no {key!r} (a lava-wta graph's read-out needs it)")
    return kind(np.asarray(meta[key]))


@dataclass(frozen=True)
class Readout:
    """The read-out protocol of a lava-wta graph (see the module docstring)."""

    dt_s: float
    pixel_rate_hz: float
    retry_pixel_rate_hz: float
    min_spikes: int
    max_retries: int
    presentation_steps: int
    period_steps: int
    assignments: np.ndarray
    n_classes: int

    @classmethod
    def from_metadata(cls, meta: ty.Mapping) -> "Readout":
        """Read a graph's metadata (``nir.read(path).metadata``)."""
        if "assignments" not in meta:
            raise KeyError("NIR metadata: no 'assignments' (the network was exported before its "
                           "neurons were labelled)")
        return cls(dt_s=_number(meta, "dt_s"), pixel_rate_hz=_number(meta, "pixel_rate_hz"),
                   retry_pixel_rate_hz=_number(meta, "retry_pixel_rate_hz"),
                   min_spikes=_number(meta, "min_spikes", int),
                   max_retries=_number(meta, "max_retries", int),
                   presentation_steps=_number(meta, "presentation_steps", int),
                   period_steps=_number(meta, "period_steps", int),
                   assignments=np.asarray(meta["assignments"], np.int64),
                   n_classes=_number(meta, "n_classes", int))

    def spike_probability(self, image: np.ndarray, retry: int) -> np.ndarray:
        """Per-pixel probability of a spike in one step of presentation ``retry`` (0 first)."""
        gain_hz = presentation_gain_hz(self.pixel_rate_hz, self.retry_pixel_rate_hz, retry)
        return np.clip(np.asarray(image, float) * gain_hz * self.dt_s, 0.0, 1.0)

    def encode(self, image: np.ndarray, retry: int, rng: np.random.Generator) -> np.ndarray:
        """A Poisson raster ``(n_inputs, period_steps)`` of 0/1 for one presentation (no
        input in the rest steps)."""
        p = self.spike_probability(image, retry)
        raster = np.zeros((p.size, self.period_steps))
        raster[:, :self.presentation_steps] = rng.random((p.size, self.presentation_steps)) < p[:, None]
        return raster

    def predict(self, counts: np.ndarray) -> np.ndarray:
        """Class of each image from its output spike counts ``(n_images, n_outputs)``."""
        return evaluation.predict(np.atleast_2d(counts), self.assignments, self.n_classes)

    def present(self, run: RunFn, image: np.ndarray, *, index: int = 0,
                rng: ty.Optional[np.random.Generator] = None,
                encode: ty.Optional[EncodeFn] = None) -> ty.Tuple[np.ndarray, int]:
        """Present one image with the retry rule: ``(counts of the accepted presentation,
        retries)``. ``encode(index, image, retry)`` replaces the Poisson encoder (to replay
        given spikes; same shape as :meth:`encode`'s); otherwise ``rng`` draws them."""
        if encode is None:
            if rng is None:
                raise ValueError("present: pass rng (a numpy Generator) or encode")
            encode = lambda i, img, retry: self.encode(img, retry, rng)  # noqa: E731
        retry = 0
        while True:
            spikes = np.asarray(run(encode(index, image, retry)))
            counts = spikes[:, :self.presentation_steps].sum(axis=1).astype(np.int64)
            if end_of_presentation(int(counts.sum()), retry, self.min_spikes,
                                   self.max_retries) != RETRY:
                return counts, retry
            retry += 1

    def classify(self, run: RunFn, images: np.ndarray, *,
                 rng: ty.Optional[np.random.Generator] = None,
                 encode: ty.Optional[EncodeFn] = None) -> ty.Tuple[np.ndarray, np.ndarray]:
        """``(predictions, counts)`` of every image (rows of ``images``, pixels 0..255)."""
        counts = np.stack([self.present(run, img, index=k, rng=rng, encode=encode)[0]
                           for k, img in enumerate(np.asarray(images))])
        return self.predict(counts), counts
