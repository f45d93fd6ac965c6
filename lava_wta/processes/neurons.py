"""Conductance-based LIF neuron Processes (interfaces only; models in lava_wta.models).

Both populations follow Diehl & Cook (2015)::

    tau_m dv/dt = (v_rest - v) + g_e (E_exc - v) + g_i (E_inh - v)
    dg_e/dt = -g_e / tau_ge          dg_i/dt = -g_i / tau_gi

Excitatory and inhibitory synaptic input arrive on separate ports (``a_exc`` and
``a_inh``, both non-negative conductance increments), because a conductance-based
neuron needs to know which reversal potential an input drives towards.

Every model parameter is a Var named after its configuration field, with its unit in
the name, so it can be read and changed with ``get``/``set`` like lava-nc's ``du``,
``dv`` and ``vth``.
"""
from __future__ import annotations

import typing as ty
from dataclasses import fields

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import ExcitatoryConfig, InhibitoryConfig

_STATE = ("v", "g_exc", "g_inh", "refractory_steps", "spike_count")


class ConductanceLIF(AbstractProcess):
    """Conductance-based leaky integrate-and-fire neurons (the inhibitory population).

    Parameters
    ----------
    shape : tuple of int
        Number (and topology) of neurons.
    params : InhibitoryConfig or ExcitatoryConfig
        Physical parameters; each field of InhibitoryConfig becomes a Var of the same name.
    dt_ms : float
        Time step (ms).
    period_steps : int
        Steps from one presentation start to the next; 0 means no presentations
        (a free-running population).
    reset_between : bool
        At the end of every period, reset v to v_rest and conductances and refractory
        timers to zero, and discard the synaptic input delivered in the first step of the
        next period (it was caused by spikes of the previous presentation).

    Ports
    -----
    a_exc : InPort
        Excitatory conductance increments (dimensionless, >= 0).
    a_inh : InPort
        Inhibitory conductance increments (dimensionless, >= 0).
    s_out : OutPort
        Spikes (bool).

    Vars
    ----
    v (mV), g_exc, g_inh, refractory_steps (steps left), spike_count (spikes since
    start), and one Var per field of ``params``.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...],
                 params: ty.Union[InhibitoryConfig, ExcitatoryConfig] = InhibitoryConfig(),
                 dt_ms: float = 0.5, period_steps: int = 0, reset_between: bool = True,
                 v: ty.Optional[ty.Union[float, np.ndarray]] = None,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None,
                 **kwargs) -> None:
        super().__init__(shape=shape, params=params, dt_ms=dt_ms, period_steps=period_steps,
                         reset_between=reset_between, name=name, log_config=log_config, **kwargs)
        self.a_exc = InPort(shape=shape)
        self.a_inh = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.dt_ms = Var(shape=(1,), init=dt_ms)
        for f in fields(InhibitoryConfig):  # the fields every conductance-based LIF has
            setattr(self, f.name, Var(shape=(1,), init=getattr(params, f.name)))
        self.v = Var(shape=shape, init=params.v_rest_mv if v is None else v)
        self.g_exc = Var(shape=shape, init=0.0)
        self.g_inh = Var(shape=shape, init=0.0)
        self.refractory_steps = Var(shape=shape, init=0)
        self.spike_count = Var(shape=shape, init=0)


class AdaptiveConductanceLIF(ConductanceLIF):
    """Conductance-based LIF with Diehl & Cook's adaptive threshold (the excitatory population).

    A neuron spikes when ``v > v_thresh + theta - theta_offset`` and is not refractory.
    While ``learning`` is 1, each spike adds ``theta_plus`` to ``theta`` and theta decays
    with ``tau_theta``; while ``learning`` is 0, theta is frozen (test mode).

    Parameters (in addition to :class:`ConductanceLIF`)
    ----------
    params : ExcitatoryConfig
    theta : float or array, optional
        Initial theta (mV); defaults to ``params.theta_init_mv``.
    learning : bool
        Training (True) or frozen (False) mode; a Var, so it can be switched between runs.
    rest_ms : float
        Rest (ms) that each reset between presentations stands for: with
        ``reset_between``, θ decays by ``exp(-rest_ms / tau_theta)`` at each reset while
        learning, as it would over that rest (:attr:`TimeConfig.reset_rest_ms`; default 0:
        no decay at the reset).
    """

    def __init__(self, *, shape: ty.Tuple[int, ...], params: ExcitatoryConfig = ExcitatoryConfig(),
                 theta: ty.Optional[ty.Union[float, np.ndarray]] = None, learning: bool = True,
                 rest_ms: float = 0.0, **kwargs) -> None:
        super().__init__(shape=shape, params=params, **kwargs)
        for name in ("theta_offset_mv", "theta_init_mv", "theta_plus_mv", "tau_theta_ms"):
            setattr(self, name, Var(shape=(1,), init=getattr(params, name)))
        self.theta = Var(shape=shape, init=params.theta_init_mv if theta is None else theta)
        self.learning = Var(shape=(1,), init=int(learning))
        self.rest_ms = Var(shape=(1,), init=float(rest_ms))
