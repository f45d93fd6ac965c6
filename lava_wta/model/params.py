"""The model's parameters as compiled code reads them: named blocks (NamedTuples, which
numba compiles into plain values), derived once from a :class:`lava_wta.WTAConfig` by
:func:`pack`.

Each block holds one population's or one rule's numbers under the configuration's names
(units in the names), plus what the step derives from them once (exact per-step decay
factors, refractory steps), so compiled code reads ``P.exc.tau_m_ms`` or
``P.protocol.min_spikes``, never a position in an array.
"""
from __future__ import annotations

import typing as ty

from lava_wta import dynamics
from lava_wta.model.plasticity import StdpParams
from lava_wta.model.scaling import scaling_code
from lava_wta.model.threshold import ThetaParams

__all__ = ["ConductanceExc", "ConductanceInh", "CurrentExc", "CurrentInh", "Protocol", "Params",
           "pack"]


class ConductanceExc(ty.NamedTuple):
    """Excitatory conductance-based LIF (``config.exc``)."""

    v_rest_mv: float
    v_reset_mv: float
    v_thresh_mv: float
    theta_offset_mv: float
    e_exc_mv: float
    e_inh_mv: float
    tau_m_ms: float
    decay_ge: float
    """exp(-dt / tau_ge): g_e's factor per step."""
    decay_gi: float
    """exp(-dt / tau_gi)."""
    decay_theta: float
    """exp(-dt / tau_theta): θ's decay per step while learning."""
    hold_steps: int
    """Steps held at v_reset after a spike (:func:`lava_wta.dynamics.refractory_steps`)."""


class ConductanceInh(ty.NamedTuple):
    """Inhibitory conductance-based LIF (``config.inh``; no inhibitory input)."""

    v_rest_mv: float
    v_reset_mv: float
    v_thresh_mv: float
    e_exc_mv: float
    tau_m_ms: float
    decay_ge: float
    hold_steps: int


class CurrentExc(ty.NamedTuple):
    """Excitatory current-based LIF (``config.cuba_exc``), in lava-nc's LIF form."""

    v_rest_mv: float
    v_reset_mv: float
    v_thresh_mv: float
    theta_offset_mv: float
    keep_u: float
    """1 - du, du = 1 - exp(-dt / tau_syn), computed as the Lava model does."""
    keep_v: float
    """1 - dv, dv = 1 - exp(-dt / tau_m)."""
    dv: float
    exc_current_mv: float
    """Current jump R*i per unit of excitatory input weight (mV)."""
    inh_current_mv: float
    """Current drop R*i per unit of inhibitory input weight (mV)."""
    decay_theta: float
    hold_steps: int


class CurrentInh(ty.NamedTuple):
    """Inhibitory current-based LIF (``config.cuba_inh``; no inhibitory input)."""

    v_rest_mv: float
    v_reset_mv: float
    v_thresh_mv: float
    keep_u: float
    keep_v: float
    dv: float
    exc_current_mv: float
    inh_current_mv: float
    """0: this population receives no inhibition."""
    hold_steps: int


class Protocol(ty.NamedTuple):
    """Presentation, retries, rest and scaling schedule."""

    dt_ms: float
    present_steps: int
    period_steps: int
    pixel_rate_hz: float
    """Rate of a pixel of value 1 at the first presentation (Hz per unit pixel value)."""
    retry_pixel_rate_hz: float
    """Added per retry."""
    min_spikes: int
    max_retries: int
    reset_between: bool
    theta_decay_rest: float
    """exp(-reset_rest_ms / tau_theta): θ's decay over the rest a reset stands for."""
    seed: int
    """Seed of the input stream."""
    learning: bool
    scale_mode: int
    """:func:`lava_wta.model.scaling.scaling_code` of ``scaling.mode``."""
    scale_interval: int
    target_norm: float


class Params(ty.NamedTuple):
    """Everything the compiled step reads besides the state."""

    current: bool
    """The current-based neuron model (``network.neuron_model == "current"``)."""
    exc: ConductanceExc
    inh: ConductanceInh
    cuba_exc: CurrentExc
    cuba_inh: CurrentInh
    w_ei: float
    """Excitatory -> inhibitory weight (each neuron drives its partner)."""
    w_ie: float
    """Inhibitory -> excitatory weight (every other neuron)."""
    stdp: StdpParams
    theta: ThetaParams
    protocol: Protocol


_CASTS = {"float": float, "int": int, "bool": bool}


def _typed(cls, *values):
    """``cls(*values)`` with each value cast to its field's type (a configuration accepts
    ints for floats; compiled code must see one type per field)."""
    return cls(*(_CASTS[t](v) if t in _CASTS else v
                 for t, v in zip(cls.__annotations__.values(), values)))


def _conductance_exc(config) -> ConductanceExc:
    E, dt = config.exc, config.time.dt_ms
    return _typed(ConductanceExc, E.v_rest_mv, E.v_reset_mv, E.v_thresh_mv, E.theta_offset_mv,
                  E.e_exc_mv, E.e_inh_mv, E.tau_m_ms, dynamics.decay(dt, E.tau_ge_ms),
                  dynamics.decay(dt, E.tau_gi_ms), dynamics.decay(dt, E.tau_theta_ms),
                  dynamics.refractory_steps(E.t_ref_ms, dt))


def _conductance_inh(config) -> ConductanceInh:
    I, dt = config.inh, config.time.dt_ms
    return _typed(ConductanceInh, I.v_rest_mv, I.v_reset_mv, I.v_thresh_mv, I.e_exc_mv, I.tau_m_ms,
                  dynamics.decay(dt, I.tau_ge_ms), dynamics.refractory_steps(I.t_ref_ms, dt))


def _current_exc(config) -> CurrentExc:
    E, dt = config.cuba_exc, config.time.dt_ms
    du, dv = dynamics.cuba_decays(dt, E.tau_syn_ms, E.tau_m_ms)
    return _typed(CurrentExc, E.v_rest_mv, E.v_reset_mv, E.v_thresh_mv, E.theta_offset_mv,
                  1.0 - du, 1.0 - dv, dv, E.input_current_mv, E.inh_current_mv,
                  dynamics.decay(dt, E.tau_theta_ms), dynamics.refractory_steps(E.t_ref_ms, dt))


def _current_inh(config) -> CurrentInh:
    I, dt = config.cuba_inh, config.time.dt_ms
    du, dv = dynamics.cuba_decays(dt, I.tau_syn_ms, I.tau_m_ms)
    return _typed(CurrentInh, I.v_rest_mv, I.v_reset_mv, I.v_thresh_mv, 1.0 - du, 1.0 - dv, dv,
                  I.exc_current_mv, 0.0, dynamics.refractory_steps(I.t_ref_ms, dt))


def pack(config, *, learning: bool, seed: int) -> Params:
    """The parameters of ``config`` for compiled code, training (``learning``) or frozen,
    with the input stream of ``seed``."""
    T, IN, S = config.time, config.input, config.stdp
    E = config.exc_params
    protocol = _typed(Protocol, T.dt_ms, T.presentation_steps, T.period_steps, IN.pixel_rate_hz,
                      IN.retry_pixel_rate_hz, IN.min_spikes, IN.max_retries,
                      T.between_images == "reset", dynamics.decay(T.reset_rest_ms, E.tau_theta_ms),
                      seed, learning, scaling_code(config.scaling.mode),
                      config.scaling.interval_images, config.scaling.target_norm)
    return _typed(Params, config.network.neuron_model == "current", _conductance_exc(config),
                  _conductance_inh(config), _current_exc(config), _current_inh(config),
                  config.network.w_ei, config.network.w_ie,
                  _typed(StdpParams, S.nu_pre, S.nu_post, S.w_max),
                  _typed(ThetaParams, E.theta_plus_mv, E.theta_init_mv), protocol)
