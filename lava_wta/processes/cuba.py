"""Current-based LIF neuron Processes (interfaces only; models in lava_wta.models.cuba).

The Loihi/NIR-native variant of lava-wta's two populations::

    tau_syn di/dt = -i                 (+ weighted input spikes; i is R*i, in mV)
    tau_m   dv/dt = (v_rest - v) + i
    spike when v > threshold and not refractory; then v = v_reset

with the discretisation of :mod:`lava_wta.model.neurons` (lava-nc's LIF
``du``/``dv`` form). Excitatory and inhibitory input arrive on separate ports (``a_exc``
and ``a_inh``, non-negative weight sums) exactly like the conductance-based neurons, so
the two variants drop into the same network; here they are scaled into one current:
``i += exc_current_mv * a_exc - inh_current_mv * a_inh`` (inhibition is a negative
current).

Every model parameter is a Var named after its configuration field (unit in the name).
"""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import CubaExcitatoryConfig, CubaInhibitoryConfig


class CurrentLIF(AbstractProcess):
    """Current-based leaky integrate-and-fire neurons (the inhibitory population).

    Parameters
    ----------
    shape : tuple of int
        Number (and topology) of neurons.
    params : CubaInhibitoryConfig or CubaExcitatoryConfig
        Physical parameters (time constants, potentials, refractory period).
    exc_current_mv, inh_current_mv : float, optional
        Current (R*i, mV) per unit of weight arriving on ``a_exc`` / ``a_inh``; default
        from ``params`` (``exc_current_mv`` of CubaInhibitoryConfig, ``input_current_mv``
        and ``inh_current_mv`` of CubaExcitatoryConfig).
    dt_ms : float
        Time step (ms).
    period_steps : int
        Steps from one presentation start to the next; 0: free-running (no resets).
    reset_between : bool
        At the end of every period reset v to v_rest, the current and refractory timers
        to zero, and discard the input delivered in the first step of the next period.

    Ports
    -----
    a_exc, a_inh : InPort
        Excitatory / inhibitory weight sums (>= 0).
    s_out : OutPort
        Spikes (bool).

    Vars
    ----
    v (mV), i_syn (R*i, mV), refractory_steps, spike_count, and dt_ms, tau_m_ms,
    tau_syn_ms, v_rest_mv, v_reset_mv, v_thresh_mv, t_ref_ms, exc_current_mv,
    inh_current_mv.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...],
                 params: ty.Union[CubaInhibitoryConfig, CubaExcitatoryConfig] = CubaInhibitoryConfig(),
                 exc_current_mv: ty.Optional[float] = None,
                 inh_current_mv: ty.Optional[float] = None,
                 dt_ms: float = 0.5, period_steps: int = 0, reset_between: bool = True,
                 v: ty.Optional[ty.Union[float, np.ndarray]] = None,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None,
                 **kwargs) -> None:
        if exc_current_mv is None:
            exc_current_mv = getattr(params, "exc_current_mv", None)
            if exc_current_mv is None:
                exc_current_mv = params.input_current_mv
        if inh_current_mv is None:
            inh_current_mv = getattr(params, "inh_current_mv", 0.0)
        super().__init__(shape=shape, params=params, dt_ms=dt_ms, period_steps=period_steps,
                         reset_between=reset_between, name=name, log_config=log_config, **kwargs)
        self.a_exc = InPort(shape=shape)
        self.a_inh = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.dt_ms = Var(shape=(1,), init=dt_ms)
        for f in ("tau_m_ms", "tau_syn_ms", "v_rest_mv", "v_reset_mv", "v_thresh_mv", "t_ref_ms"):
            setattr(self, f, Var(shape=(1,), init=getattr(params, f)))
        self.exc_current_mv = Var(shape=(1,), init=exc_current_mv)
        self.inh_current_mv = Var(shape=(1,), init=inh_current_mv)
        self.v = Var(shape=shape, init=params.v_rest_mv if v is None else v)
        self.i_syn = Var(shape=shape, init=0.0)
        self.refractory_steps = Var(shape=shape, init=0)
        self.spike_count = Var(shape=shape, init=0)


class AdaptiveCurrentLIF(CurrentLIF):
    """Current-based LIF with Diehl & Cook's adaptive threshold (the excitatory population).

    A neuron spikes when ``v > v_thresh + theta - theta_offset`` and is not refractory.
    While ``learning`` is 1 each spike adds ``theta_plus`` to ``theta`` and theta decays
    with ``tau_theta``; while ``learning`` is 0 theta is frozen.

    Parameters (in addition to :class:`CurrentLIF`)
    ----------
    params : CubaExcitatoryConfig
    theta : float or array, optional
        Initial theta (mV); defaults to ``params.theta_init_mv``.
    learning : bool
        Training (True) or frozen (False); a Var.
    rest_ms : float
        Rest (ms) that each reset between presentations stands for: with
        ``reset_between``, θ decays by ``exp(-rest_ms / tau_theta)`` at each reset while
        learning, as it would over that rest (:attr:`TimeConfig.reset_rest_ms`; default 0:
        no decay at the reset).
    """

    def __init__(self, *, shape: ty.Tuple[int, ...],
                 params: CubaExcitatoryConfig = CubaExcitatoryConfig(),
                 theta: ty.Optional[ty.Union[float, np.ndarray]] = None, learning: bool = True,
                 rest_ms: float = 0.0, **kwargs) -> None:
        super().__init__(shape=shape, params=params, **kwargs)
        for name in ("theta_offset_mv", "theta_init_mv", "theta_plus_mv", "tau_theta_ms"):
            setattr(self, name, Var(shape=(1,), init=getattr(params, name)))
        self.theta = Var(shape=shape, init=params.theta_init_mv if theta is None else theta)
        self.learning = Var(shape=(1,), init=int(learning))
        self.rest_ms = Var(shape=(1,), init=float(rest_ms))
