"""A dense input->excitatory connection with Diehl & Cook STDP and synaptic scaling."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import ScalingConfig, STDPConfig


class PlasticDense(AbstractProcess):
    """Dense synapses whose weights learn by trace STDP and are rescaled at image boundaries.

    Like lava-nc's ``Dense``, ``weights`` has shape ``(n_out, n_in)``: row ``j`` is the
    input weight vector of postsynaptic neuron ``j``, and activations leave on ``a_out``
    one step after the presynaptic spikes arrive on ``s_in``. The postsynaptic
    neurons' spikes come back on ``s_in_bap`` (back-propagating action potentials, as in
    lava-nc's learning connections) in the same step they are emitted.

    STDP (while ``learning`` is 1)::

        x_pre, y1, y2 decay with tau_pre, tau_post1, tau_post2; a spike sets its traces to 1
        presynaptic spike of input i:    W[:, i] -= nu_pre * y1
        postsynaptic spike of neuron j:  W[j, :] += nu_post * x_pre * y2 (before the spike)
        then clip W to [0, w_max]

    Scaling: after every ``scaling_interval`` presentations (in the post-management
    phase of the last step of the period) each row is multiplied by
    ``target_norm / norm(row)`` with the rule named ``scaling_mode``
    (see :mod:`lava_wta.rules.scaling`).

    Parameters
    ----------
    weights : ndarray (n_out, n_in)
        Initial weights.
    stdp, scaling : STDPConfig, ScalingConfig
        Rule parameters; numeric fields become Vars.
    dt_ms : float
        Time step (ms).
    period_steps : int
        Steps per presentation period; 0: no presentations (no scaling, no resets).
    reset_between : bool
        Reset the traces and drop in-flight activation at the end of every period.
    learning : bool
        STDP and scaling on (True) or frozen weights (False); a Var.
    presentations : int
        Presentations already completed (counts towards the scaling interval).
    """

    def __init__(self, *, weights: np.ndarray, stdp: STDPConfig = STDPConfig(),
                 scaling: ScalingConfig = ScalingConfig(), dt_ms: float = 0.5,
                 period_steps: int = 0, reset_between: bool = True, learning: bool = True,
                 presentations: int = 0,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None,
                 **kwargs) -> None:
        weights = np.asarray(weights, dtype=float)
        if weights.ndim != 2:
            raise ValueError(f"PlasticDense weights: expected a 2-D (n_out, n_in) array, got shape {weights.shape}")
        super().__init__(weights=weights, stdp=stdp, scaling_mode=scaling.mode, dt_ms=dt_ms,
                         period_steps=period_steps, reset_between=reset_between,
                         name=name, log_config=log_config, **kwargs)
        n_out, n_in = weights.shape
        self.s_in = InPort(shape=(n_in,))
        self.s_in_bap = InPort(shape=(n_out,))
        self.a_out = OutPort(shape=(n_out,))
        self.weights = Var(shape=(n_out, n_in), init=weights)
        self.a_buff = Var(shape=(n_out,), init=0.0)
        self.x_pre = Var(shape=(n_in,), init=0.0)
        self.y1 = Var(shape=(n_out,), init=0.0)
        self.y2 = Var(shape=(n_out,), init=0.0)
        self.learning = Var(shape=(1,), init=int(learning))
        self.dt_ms = Var(shape=(1,), init=dt_ms)
        self.nu_pre = Var(shape=(1,), init=stdp.nu_pre)
        self.nu_post = Var(shape=(1,), init=stdp.nu_post)
        self.tau_pre_ms = Var(shape=(1,), init=stdp.tau_pre_ms)
        self.tau_post1_ms = Var(shape=(1,), init=stdp.tau_post1_ms)
        self.tau_post2_ms = Var(shape=(1,), init=stdp.tau_post2_ms)
        self.w_max = Var(shape=(1,), init=stdp.w_max)
        self.target_norm = Var(shape=(1,), init=scaling.target_norm)
        self.scaling_interval = Var(shape=(1,), init=scaling.interval_images)
        self.presentations = Var(shape=(1,), init=presentations)
