"""The hierarchical winner-take-all network Process."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import WTAConfig


class WTANetwork(AbstractProcess):
    """Diehl & Cook's network as one hierarchical Process.

    Its SubProcessModel (:class:`lava_wta.models.network.SubWTANetworkModel`) composes::

        PoissonImageInput --s_out--> PlasticDense --a_out--> excitatory (a_exc)
              ^                          ^ s_in_bap              |  s_out
              |                          +-----------------------+
              +---- s_in_response -------------------------------+
        excitatory --Dense(w_ei * identity)--> inhibitory (a_exc)
        inhibitory --Dense(w_ie * (1 - identity))--> excitatory (a_inh)

    Parameters
    ----------
    config : WTAConfig
        The model.
    images : ndarray (n_images, n_inputs)
        Pixel values 0..255, presented in order.
    weights : ndarray (n_neurons, n_inputs)
        Input weights (row j: neuron j), e.g. from :func:`lava_wta.state.initial_weights`.
    theta : ndarray (n_neurons,), optional
        Adaptive thresholds (mV); defaults to the ``theta_init_mv`` of the selected
        excitatory model (``config.exc`` or ``config.cuba_exc``).
    learning : bool
        Train (STDP, scaling, theta adaptation) or run frozen.
    input_seed : int
        Seed of the Poisson spike stream.
    buffer_images : int
        Rows of the spike-count ring buffer (see :class:`PoissonImageInput`).
    start_image, start_retry, start_presentations : int
        Resume position of an interrupted run.
    scaling_bookkeeping : mapping, optional
        ``{"dirty": (n,) bool, "flags": (2,) int}``: which weight columns the next scaling
        must rescale, as a checkpoint of the engine or a fused model recorded it; the fused
        models resume from it so that a resumed run rescales exactly the columns an
        uninterrupted one would (the composed graph rescales every column and ignores it).

    Vars (aliases of the sub-processes' Vars)
    ----
    weights, theta, exc_spike_count, inh_spike_count, count_buffer, image_index, retry, presentations,
    total_retries, capped; and, kept by the fused models only, scale_dirty and scale_flags
    (the scaling bookkeeping above).

    Ports
    -----
    s_out : OutPort
        Spikes of the excitatory layer, for monitors or downstream processes.
    results_out : OutPort
        ``(RESULT_HEADER + buffer_images * n_neurons,)`` int64: what a host needs after
        each ``run`` (the position Vars, then ``count_buffer`` row by row; see
        :func:`unpack_results`). Only the asynchronous fused model sends it, once per
        ``run``, when this port is connected or flagged as an external pipe.
    state_out : OutPort
        ``(n_neurons * n_inputs + 2 * n_neurons + 2,)`` float64: weights (row-major), θ,
        ``scale_dirty`` and ``scale_flags`` (see :func:`unpack_state`); sent by the
        asynchronous fused model after a ``run`` that ends with ``image_index`` at or past
        the threshold last received on ``control_in``.
    control_in : InPort
        ``(1,)``: when connected, the asynchronous fused model receives one message at the
        start of each ``run``: the ``image_index`` from which it sends ``state_out``.

    The three ports let a host read results without ``Var.get``, which lava-nc moves one
    value per message (400 x 784 weights: 313,600 messages).
    """

    def __init__(self, *, config: WTAConfig, images: np.ndarray, weights: np.ndarray,
                 theta: ty.Optional[np.ndarray] = None, learning: bool = True,
                 input_seed: int = 0, buffer_images: int = 64, start_image: int = 0,
                 start_retry: int = 0, start_presentations: int = 0,
                 scaling_bookkeeping: ty.Optional[ty.Mapping[str, np.ndarray]] = None,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None) -> None:
        n, n_in = config.network.n_neurons, config.network.n_inputs
        images = np.asarray(images)
        if images.ndim != 2:
            raise ValueError(f"WTANetwork images: expected (n_images, n_pixels), got shape {images.shape}")
        config.check_image_size(images.shape[1], source="image array")
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (n, n_in):
            raise ValueError(f"WTANetwork weights: expected shape {(n, n_in)}, got {weights.shape}")
        theta = np.full(n, config.exc_params.theta_init_mv) if theta is None else np.asarray(theta, float)
        if theta.shape != (n,):
            raise ValueError(f"WTANetwork theta: expected shape {(n,)}, got {theta.shape}")
        super().__init__(config=config, images=images, weights=weights, theta=theta,
                         learning=learning, input_seed=input_seed, buffer_images=buffer_images,
                         start_image=start_image, start_retry=start_retry,
                         start_presentations=start_presentations,
                         scaling_bookkeeping=scaling_bookkeeping, name=name, log_config=log_config)
        self.s_out = OutPort(shape=(n,))
        self.results_out = OutPort(shape=(RESULT_HEADER + buffer_images * n,))
        self.state_out = OutPort(shape=(state_size(n, n_in),))
        self.control_in = InPort(shape=(1,))
        self.weights = Var(shape=(n, n_in), init=weights)
        self.theta = Var(shape=(n,), init=theta)
        self.exc_spike_count = Var(shape=(n,), init=0)
        self.inh_spike_count = Var(shape=(n,), init=0)
        self.count_buffer = Var(shape=(buffer_images, n), init=0)
        self.image_index = Var(shape=(1,), init=start_image)
        self.retry = Var(shape=(1,), init=start_retry)
        self.presentations = Var(shape=(1,), init=start_presentations)
        self.total_retries = Var(shape=(1,), init=0)
        self.capped = Var(shape=(1,), init=0)
        book = scaling_bookkeeping or {}
        self.scale_dirty = Var(shape=(n,), init=np.asarray(book.get("dirty", np.ones(n)), dtype=bool))
        self.scale_flags = Var(shape=(2,), init=np.asarray(book.get("flags", np.ones(2)), dtype=int))


RESULT_FIELDS = ("image_index", "retry", "presentations", "total_retries", "capped")
"""The position Vars at the head of a ``results_out`` message, in order."""
RESULT_HEADER = len(RESULT_FIELDS)


def state_size(n: int, n_in: int) -> int:
    """Length of a ``state_out`` message of a network of ``n`` neurons and ``n_in`` inputs."""
    return n * n_in + 2 * n + 2


def pack_results(out: np.ndarray, position: ty.Sequence[int], count_buffer: np.ndarray) -> np.ndarray:
    """Fill ``out`` (a ``results_out`` message) with ``position`` (the values of
    :data:`RESULT_FIELDS`) and ``count_buffer``; returns ``out``."""
    out[:RESULT_HEADER] = position
    out[RESULT_HEADER:] = count_buffer.ravel()
    return out


def unpack_results(msg: np.ndarray, n: int) -> ty.Tuple[ty.Dict[str, int], np.ndarray]:
    """The position (``{field: value}``) and the ``(buffer_images, n)`` count buffer of a
    ``results_out`` message."""
    position = {k: int(v) for k, v in zip(RESULT_FIELDS, msg[:RESULT_HEADER])}
    return position, msg[RESULT_HEADER:].reshape(-1, n)


def pack_state(out: np.ndarray, weights_t: np.ndarray, theta: np.ndarray, dirty: np.ndarray,
               flags: ty.Sequence[int]) -> np.ndarray:
    """Fill ``out`` (a ``state_out`` message) from the weights given transposed
    (``(n_in, n)``, as the kernels hold them), θ and the scaling bookkeeping."""
    n_in, n = weights_t.shape
    w = n * n_in
    out[:w].reshape(n, n_in)[...] = weights_t.T
    out[w:w + n] = theta
    out[w + n:w + 2 * n] = dirty
    out[w + 2 * n:] = flags
    return out


def unpack_state(msg: np.ndarray, n: int, n_in: int) -> ty.Dict[str, np.ndarray]:
    """``weights`` ``(n, n_in)``, ``theta``, ``dirty`` (bool) and ``flags`` (int64) of a
    ``state_out`` message (copies)."""
    w = n * n_in
    return {"weights": msg[:w].reshape(n, n_in).copy(), "theta": msg[w:w + n].copy(),
            "dirty": msg[w + n:w + 2 * n].astype(bool), "flags": msg[w + 2 * n:].astype(np.int64)}
