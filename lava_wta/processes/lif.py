"""lava-nc's LIF with a threshold and a reset potential per neuron.

lava-nc's :class:`lava.proc.lif.process.LIF` has one scalar ``vth`` and resets ``v`` to 0.
A trained WTA network has one threshold per neuron (theta folded in), and a NIR
``CubaLIF`` has per-neuron ``v_threshold`` and ``v_reset``. :class:`PerNeuronLIF` is
lava-nc's LIF (same Vars ``u``, ``v``, ``du``, ``dv``, ``bias_mant``, ``bias_exp``, same
sub-threshold dynamics, inherited by its models from lava-nc's own abstract models)
with ``vth`` and ``v_reset`` of the population's shape, and an optional reset to rest
between presentations (the protocol of :class:`lava_wta.processes.PoissonImageInput`):

    u[t] = u[t-1] * (1 - du) + a_in
    v[t] = v[t-1] * (1 - dv) + u[t] + bias
    s_out = v[t] > vth;  v[t] = v_reset where s_out

A bias cannot stand in for a per-neuron threshold: shifting ``v`` by a per-neuron constant
is undone by the reset to 0.

Models: ``floating_pt`` (:class:`lava_wta.models.lif.PyPerNeuronLifModelFloat`) and
``fixed_pt`` / ``bit_accurate_loihi`` (:class:`lava_wta.models.lif.PyPerNeuronLifModelBitAcc`:
Loihi's integer arithmetic from lava-nc's ``AbstractPyLifModelFixed``; ``vth`` is the
17-bit mantissa, shifted left by 6, and ``v_reset`` is in the same units).
"""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import LogConfig
from lava.magma.core.process.variable import Var
from lava.proc.lif.process import LIF


class PerNeuronLIF(LIF):
    """LIF neurons with per-neuron ``vth`` and ``v_reset``.

    Parameters
    ----------
    shape, u, v, du, dv, bias_mant, bias_exp, name, log_config
        As lava-nc's :class:`~lava.proc.lif.process.LIF`.
    vth : float or array
        Threshold of each neuron.
    v_reset : float or array
        Potential after a spike (0 in lava-nc's LIF).
    period_steps : int
        0 (default): free-running. Otherwise, with ``reset_between``, ``u`` and ``v`` are
        set to 0 at the end of every period of this many steps and the input arriving in
        the first step of the next period (caused by the previous one) is discarded.
    reset_between : bool
        See ``period_steps``.
    """

    def __init__(self, *, shape: ty.Tuple[int, ...], vth: ty.Union[float, np.ndarray] = 10,
                 v_reset: ty.Union[float, np.ndarray] = 0,
                 u: ty.Union[float, np.ndarray] = 0, v: ty.Union[float, np.ndarray] = 0,
                 du: float = 0, dv: float = 0, bias_mant: ty.Union[float, np.ndarray] = 0,
                 bias_exp: ty.Union[float, np.ndarray] = 0, period_steps: int = 0,
                 reset_between: bool = False, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None, **kwargs) -> None:
        vth_arr = np.broadcast_to(np.asarray(vth), shape).copy()
        reset_arr = np.broadcast_to(np.asarray(v_reset), shape).copy()
        super().__init__(shape=shape, u=u, v=v, du=du, dv=dv, bias_mant=bias_mant,
                         bias_exp=bias_exp, vth=0, name=name, log_config=log_config,
                         period_steps=int(period_steps), reset_between=bool(reset_between),
                         **kwargs)
        self.vth = Var(shape=shape, init=vth_arr)
        self.v_reset = Var(shape=shape, init=reset_arr)
