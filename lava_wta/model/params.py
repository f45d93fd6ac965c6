"""The model's parameters as compiled code reads them: named blocks (NamedTuples, which
numba compiles into plain values), derived once from a :class:`lava_wta.WTAConfig` by
:func:`pack`.

Each block holds one population's or one rule's numbers under the configuration's names
(units in the names), plus what the step derives from them once (exact per-step decay
factors, refractory steps), so compiled code reads ``P.exc.membrane.tau_m_ms`` or
``P.protocol.min_spikes``, never a position in an array.
"""
from __future__ import annotations

import typing as ty

from lava_wta.model.neurons import (
    ConductanceMembrane,
    CurrentMembrane,
    conductance_membrane_params,
    current_membrane_params,
    decay,
    refractory_steps,
)
from lava_wta.model.plasticity import StdpParams
from lava_wta.model.scaling import scaling_code, target_code
from lava_wta.model.threshold import ThetaParams

__all__ = ["ConductanceExc", "ConductanceInh", "CurrentExc", "CurrentInh", "Protocol", "Params",
           "pack"]


class ConductanceExc(ty.NamedTuple):
    """Excitatory conductance-based LIF (``config.exc``)."""

    membrane: ConductanceMembrane
    v_reset_mv: float
    v_thresh_mv: float
    theta_offset_mv: float
    decay_theta: float
    """exp(-dt / tau_theta): θ's decay per step while learning."""
    hold_steps: int
    """Steps held at v_reset after a spike (:func:`lava_wta.model.neurons.refractory_steps`)."""


class ConductanceInh(ty.NamedTuple):
    """Inhibitory conductance-based LIF (``config.inh``; no inhibitory input)."""

    membrane: ConductanceMembrane
    v_reset_mv: float
    v_thresh_mv: float
    hold_steps: int


class CurrentExc(ty.NamedTuple):
    """Excitatory current-based LIF (``config.cuba_exc``), in lava-nc's LIF form."""

    membrane: CurrentMembrane
    v_reset_mv: float
    v_thresh_mv: float
    theta_offset_mv: float
    decay_theta: float
    hold_steps: int


class CurrentInh(ty.NamedTuple):
    """Inhibitory current-based LIF (``config.cuba_inh``; no inhibitory input)."""

    membrane: CurrentMembrane
    v_reset_mv: float
    v_thresh_mv: float
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
    """The starting target norm Wt (the network state ``wt`` holds the current one)."""
    target_mode: int
    """:func:`lava_wta.model.scaling.target_code` of ``scaling.target_mode``."""
    rate_set_point: float
    rate_gain: float
    target_min: float
    target_max: float
    """Bounds of Wt in an adaptive target mode."""


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


def _conductance_membrane(section, dt) -> ConductanceMembrane:
    return conductance_membrane_params(
        dt_ms=dt, tau_m_ms=section.tau_m_ms, v_rest_mv=section.v_rest_mv,
        e_exc_mv=section.e_exc_mv, e_inh_mv=section.e_inh_mv, tau_ge_ms=section.tau_ge_ms,
        tau_gi_ms=section.tau_gi_ms)


def _conductance_exc(config) -> ConductanceExc:
    E, dt = config.exc, config.time.dt_ms
    return _typed(ConductanceExc, _conductance_membrane(E, dt), E.v_reset_mv, E.v_thresh_mv,
                  E.theta_offset_mv, decay(dt, E.tau_theta_ms), refractory_steps(E.t_ref_ms, dt))


def _conductance_inh(config) -> ConductanceInh:
    I, dt = config.inh, config.time.dt_ms
    return _typed(ConductanceInh, _conductance_membrane(I, dt), I.v_reset_mv, I.v_thresh_mv,
                  refractory_steps(I.t_ref_ms, dt))


def _current_exc(config) -> CurrentExc:
    E, dt = config.cuba_exc, config.time.dt_ms
    m = current_membrane_params(dt_ms=dt, tau_syn_ms=E.tau_syn_ms, tau_m_ms=E.tau_m_ms,
                                v_rest_mv=E.v_rest_mv, exc_current_mv=E.input_current_mv,
                                inh_current_mv=E.inh_current_mv)
    return _typed(CurrentExc, m, E.v_reset_mv, E.v_thresh_mv, E.theta_offset_mv,
                  decay(dt, E.tau_theta_ms), refractory_steps(E.t_ref_ms, dt))


def _current_inh(config) -> CurrentInh:
    I, dt = config.cuba_inh, config.time.dt_ms
    m = current_membrane_params(dt_ms=dt, tau_syn_ms=I.tau_syn_ms, tau_m_ms=I.tau_m_ms,
                                v_rest_mv=I.v_rest_mv, exc_current_mv=I.exc_current_mv,
                                inh_current_mv=0.0)
    return _typed(CurrentInh, m, I.v_reset_mv, I.v_thresh_mv, refractory_steps(I.t_ref_ms, dt))


def pack(config, *, learning: bool, seed: int) -> Params:
    """The parameters of ``config`` for compiled code, training (``learning``) or frozen,
    with the input stream of ``seed``."""
    T, IN, S = config.time, config.input, config.stdp
    E = config.exc_params
    protocol = _typed(Protocol, T.dt_ms, T.presentation_steps, T.period_steps, IN.pixel_rate_hz,
                      IN.retry_pixel_rate_hz, IN.min_spikes, IN.max_retries,
                      T.between_images == "reset", decay(T.reset_rest_ms, E.tau_theta_ms),
                      seed, learning, scaling_code(config.scaling.mode),
                      config.scaling.interval_images, config.scaling.target_norm,
                      target_code(config.scaling.target_mode), config.scaling.rate_set_point_spikes,
                      config.scaling.rate_gain, config.scaling.target_norm_min,
                      config.scaling.reachable_norm(config.network.n_inputs, S.w_max))
    return _typed(Params, config.network.neuron_model == "current", _conductance_exc(config),
                  _conductance_inh(config), _current_exc(config), _current_inh(config),
                  config.network.w_ei, config.network.w_ie,
                  _typed(StdpParams, S.nu_pre, S.nu_post, S.w_max),
                  _typed(ThetaParams, E.theta_plus_mv, E.theta_init_mv), protocol)
