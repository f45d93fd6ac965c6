"""The model's equations as small pure numpy functions.

The Lava ProcessModels call these, and tests check them against closed forms, so the
equations of MODEL.md can be read in one place. Arrays are updated in place.

Integration is exponential Euler (Brian2's default for these equations): over one step
of ``dt`` the conductances are held at their start-of-step values, so ``v`` relaxes
exactly towards ``v_inf = (v_rest + g_e E_exc + g_i E_inh) / (1 + g_e + g_i)`` with time
constant ``tau_m / (1 + g_e + g_i)``; the conductances then decay by their exact factor
``exp(-dt / tau)``.
"""
from __future__ import annotations

import math
import typing as ty

import numpy as np


def decay(dt_ms: float, tau_ms: float) -> float:
    """Exact decay factor of an exponential with time constant ``tau_ms`` over ``dt_ms``."""
    return math.exp(-dt_ms / tau_ms)


def conductance_lif_integrate(v: np.ndarray, g_exc: np.ndarray, g_inh: np.ndarray,
                              refractory: np.ndarray, *, dt_ms: float, tau_m_ms: float,
                              v_rest_mv: float, e_exc_mv: float, e_inh_mv: float,
                              tau_ge_ms: float, tau_gi_ms: float) -> None:
    """One exponential-Euler step of v (held where ``refractory``) and both conductances."""
    total = 1.0 + g_exc + g_inh
    v_inf = (v_rest_mv + g_exc * e_exc_mv + g_inh * e_inh_mv) / total
    v_new = v_inf + (v - v_inf) * np.exp(-dt_ms * total / tau_m_ms)
    np.copyto(v, v_new, where=~refractory)
    g_exc *= decay(dt_ms, tau_ge_ms)
    g_inh *= decay(dt_ms, tau_gi_ms)


def refractory_steps(t_ref_ms: float, dt_ms: float) -> int:
    """Steps after the spike step during which a neuron is held at v_reset.

    With ``r = round(t_ref / dt)``, a neuron that spikes in step ``k`` is held in steps
    ``k+1 .. k+r-1`` and may fire again in step ``k+r``, exactly ``t_ref`` later (Brian2's
    rule: refractory while ``timestep(t - lastspike) < timestep(t_ref)``).
    """
    return max(int(round(t_ref_ms / dt_ms)) - 1, 0)


def stdp_decay_traces(x_pre: np.ndarray, y1: np.ndarray, y2: np.ndarray, *, dt_ms: float,
                      tau_pre_ms: float, tau_post1_ms: float, tau_post2_ms: float) -> None:
    """Decay the STDP traces by one step."""
    x_pre *= decay(dt_ms, tau_pre_ms)
    y1 *= decay(dt_ms, tau_post1_ms)
    y2 *= decay(dt_ms, tau_post2_ms)


# ---------------------------------------------------------------------------------------
# Current-based (CUBA) variant: the Loihi/NIR-native neuron.
#
#     tau_syn di/dt = -i  (+ weighted input spikes)        i: synaptic current as R*i (mV)
#     tau_m   dv/dt = (v_rest - v) + i
#
# Discretisation over one step dt (i exact, v exponential Euler with i held at its
# end-of-step value), written in lava-nc's LIF form so that it maps onto it exactly:
#
#     i <- i * (1 - du) + input                 du = 1 - exp(-dt / tau_syn)
#     v <- v_rest + (v - v_rest) * (1 - dv) + dv * i        dv = 1 - exp(-dt / tau_m)
#
# With x = v - v_rest and u = dv * i this is exactly lava-nc's LIF update
# ``u = u (1 - du) + a_in; v = v (1 - dv) + u`` (input weights multiplied by dv, v measured
# from rest, threshold v_thresh - v_rest). It is also NIR's CubaLIF under forward Euler
# with the time constants dt / du and dt / dv, which lava_wta.nir.export writes
# (lava_wta.nir.conventions).
# ---------------------------------------------------------------------------------------
def cuba_decays(dt_ms: float, tau_syn_ms: float, tau_m_ms: float) -> ty.Tuple[float, float]:
    """``(du, dv)``: the fractions of current and voltage lost per step (lava-nc's du, dv)."""
    return 1.0 - decay(dt_ms, tau_syn_ms), 1.0 - decay(dt_ms, tau_m_ms)


def cuba_lif_integrate(v: np.ndarray, i_syn: np.ndarray, input_mv: np.ndarray,
                       refractory: np.ndarray, *, du: float, dv: float,
                       v_rest_mv: float) -> None:
    """One step of the current-based LIF, in place: the current decays and takes this
    step's input (``input_mv``: the sum of weighted spikes, as R*i in mV), then v
    (held where ``refractory``) relaxes towards ``v_rest + i``."""
    i_syn *= 1.0 - du
    i_syn += input_mv
    v_new = v_rest_mv + ((v - v_rest_mv) * (1.0 - dv) + dv * i_syn)
    np.copyto(v, v_new, where=~refractory)


def cuba_input(a_exc: np.ndarray, a_inh: ty.Optional[np.ndarray], *, exc_current_mv: float,
               inh_current_mv: float = 0.0) -> np.ndarray:
    """Synaptic input of one step as R*i (mV): excitatory weight sums scaled by
    ``exc_current_mv``, inhibitory ones subtracted after scaling by ``inh_current_mv``."""
    total = exc_current_mv * a_exc
    if a_inh is not None:
        total = total - inh_current_mv * a_inh
    return total


def adaptive_threshold_mv(v_thresh_mv: float, theta_mv: np.ndarray, theta_offset_mv: float
                          ) -> np.ndarray:
    """Diehl & Cook's threshold ``v_thresh + theta - theta_offset`` (mV)."""
    return v_thresh_mv + theta_mv - theta_offset_mv
