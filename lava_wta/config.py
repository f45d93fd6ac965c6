"""Typed configuration of the WTA network: every model parameter, its default and its unit.

All numbers of the model (docs/model.md; Diehl & Cook 2015, Touda & Okuno 2026) live
here and nowhere else. Field names carry their unit (``_ms``, ``_mv``, ``_hz``); dimensionless
fields say so in their docstring. A :class:`WTAConfig` is immutable; derive variants with
:meth:`WTAConfig.replace` or :meth:`WTAConfig.with_overrides` (dotted keys).

Loading (:meth:`WTAConfig.load`, :meth:`WTAConfig.from_dict`) validates every field and
raises :class:`ConfigError` naming the offending field, what was expected and what was
found.
"""
from __future__ import annotations

import dataclasses
import math
import typing as ty
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = [
    "ConfigError",
    "NetworkConfig",
    "TimeConfig",
    "InputConfig",
    "ExcitatoryConfig",
    "InhibitoryConfig",
    "STDPConfig",
    "ScalingConfig",
    "CubaExcitatoryConfig",
    "CubaInhibitoryConfig",
    "LoihiConfig",
    "WTAConfig",
    "NEURON_MODELS",
]

NEURON_MODELS = ("conductance", "current")
"""Values of ``network.neuron_model``: Diehl & Cook's conductance-based LIF, or the
current-based (Loihi/NIR-native) variant configured by ``cuba_exc`` and ``cuba_inh``."""
TARGET_MODES = ("fixed", "rate")
"""Values of ``scaling.target_mode`` (see :class:`ScalingConfig`)."""


from lava_wta.errors import ConfigError  # noqa: E402  (defined with the other typed errors)


@dataclass(frozen=True)
class NetworkConfig:
    """Sizes and fixed connectivity."""

    n_inputs: int = 784
    """Number of input (Poisson) neurons = pixels per image (28 x 28 for MNIST)."""
    n_neurons: int = 400
    """Number of excitatory neurons; the inhibitory layer has the same size."""
    w_init_max: float = 0.3
    """Initial input->excitatory weights are uniform in [0, w_init_max) (dimensionless conductance)."""
    w_ei: float = 10.4
    """Excitatory->inhibitory one-to-one weight (added to the inhibitory g_e, dimensionless)."""
    w_ie: float = 17.0
    """Inhibitory->excitatory all-but-self weight (added to the excitatory g_i, dimensionless)."""
    neuron_model: str = "conductance"
    """``"conductance"`` (Diehl & Cook: sections ``exc`` and ``inh``) or ``"current"``
    (current-based LIF that maps exactly onto NIR ``CubaLIF`` and Loihi: sections
    ``cuba_exc`` and ``cuba_inh``). Weights (input, w_ei, w_ie) are shared by both."""


@dataclass(frozen=True)
class TimeConfig:
    """Simulation clock and presentation protocol."""

    dt_ms: float = 0.5
    """Integration time step (ms)."""
    presentation_ms: float = 150.0
    """Duration of one image presentation (ms); 2026 paper: 150, Diehl & Cook: 350."""
    between_images: str = "reset"
    """How the network returns to rest between presentations: ``"rest"`` simulates
    ``rest_ms`` with no input (Diehl & Cook); ``"reset"`` (the default, a cheaper
    equivalent within the model's specification) jumps to the
    end of that rest: v to v_rest, conductances, refractory timers and STDP traces to zero
    (they relax within tens of ms), and θ, which is not reset, decays over ``rest_ms``
    exactly while learning, as it would during the rest."""
    rest_ms: float = 150.0
    """Duration of the input-free rest after each presentation (ms): simulated in
    ``"rest"`` mode; in ``"reset"`` mode θ decays over it at each reset (0: no time passes
    between presentations, so θ decays about half as much over a run)."""
    eval_presentation_ms: float = 0.0
    """Presentation time of the frozen labelling and test passes (ms); 0 (the default):
    ``presentation_ms``, the paper's protocol. Longer test presentations give more output
    spikes per image and a less noisy vote (docs/RESULTS.md measures the effect)."""

    @property
    def presentation_steps(self) -> int:
        """Number of time steps with input per presentation."""
        return int(round(self.presentation_ms / self.dt_ms))

    @property
    def rest_steps(self) -> int:
        """Number of input-free steps after each presentation (0 in reset mode)."""
        return int(round(self.rest_ms / self.dt_ms)) if self.between_images == "rest" else 0

    @property
    def reset_rest_ms(self) -> float:
        """Rest (ms) that each reset stands for: θ decays over it while learning
        (``rest_ms`` in ``"reset"`` mode; 0 in ``"rest"`` mode, where the rest is simulated)."""
        return self.rest_ms if self.between_images == "reset" else 0.0

    @property
    def period_steps(self) -> int:
        """Time steps from the start of one presentation to the start of the next."""
        return self.presentation_steps + self.rest_steps


@dataclass(frozen=True)
class InputConfig:
    """Poisson rate coding and the adaptive-intensity rule.

    The rate of a pixel of value ``p`` (0..255) at retry ``r`` is
    ``p * (pixel_rate_hz + r * retry_pixel_rate_hz)``. The defaults give ``p / 4`` Hz
    (63.75 Hz for p = 255) and +31.875 Hz per retry at p = 255, which is exactly
    Diehl & Cook's ``rate = p / 8 * intensity`` with intensity 2, 3, 4, ...
    """

    pixel_rate_hz: float = 0.25
    """Rate per unit of pixel value at the first presentation (Hz per pixel unit)."""
    retry_pixel_rate_hz: float = 0.125
    """Rate per unit of pixel value added at each retry (Hz per pixel unit)."""
    min_spikes: int = 5
    """An image is presented again (with a higher rate) if the excitatory layer fired
    fewer than this many spikes during the presentation. 0 disables the rule."""
    max_retries: int = 10
    """Retries per image before the presentation is accepted anyway (guards against a
    silent network looping for ever; Diehl & Cook had no limit)."""


@dataclass(frozen=True)
class ExcitatoryConfig:
    """Conductance-based LIF excitatory neurons with an adaptive threshold."""

    tau_m_ms: float = 100.0
    """Membrane time constant (ms)."""
    v_rest_mv: float = -65.0
    """Resting potential (mV)."""
    v_reset_mv: float = -65.0
    """Potential after a spike (mV)."""
    v_thresh_mv: float = -52.0
    """Base threshold (mV); a neuron spikes when v > v_thresh + theta - theta_offset."""
    theta_offset_mv: float = 20.0
    """Offset subtracted from theta in the threshold (mV)."""
    e_exc_mv: float = 0.0
    """Reversal potential of excitatory synapses (mV)."""
    e_inh_mv: float = -100.0
    """Reversal potential of inhibitory synapses (mV)."""
    tau_ge_ms: float = 1.0
    """Decay time constant of the excitatory conductance (ms)."""
    tau_gi_ms: float = 2.0
    """Decay time constant of the inhibitory conductance (ms)."""
    t_ref_ms: float = 5.0
    """Refractory period (ms): v is held at v_reset and no spike is possible."""
    theta_init_mv: float = 20.0
    """Initial adaptive threshold theta (mV)."""
    theta_plus_mv: float = 0.05
    """Increment of theta per spike during training (mV); Diehl & Cook 0.05, a summary
    of the 2026 paper states 0.11."""
    tau_theta_ms: float = 1e7
    """Decay time constant of theta during training (ms); theta is frozen at test time."""
    theta_rule: str = "additive"
    """How theta moves while learning: ``additive`` (the two lines above), or a rule
    registered with :func:`lava_wta.rules.register_theta_rule`."""
    membrane_rule: str = "exponential_euler"
    """How v moves between spikes: ``exponential_euler`` (the equations above), or a rule
    registered with :func:`lava_wta.rules.register_membrane_rule`."""


@dataclass(frozen=True)
class InhibitoryConfig:
    """Conductance-based LIF inhibitory neurons (no adaptive threshold)."""

    tau_m_ms: float = 10.0
    """Membrane time constant (ms)."""
    v_rest_mv: float = -60.0
    """Resting potential (mV)."""
    v_reset_mv: float = -45.0
    """Potential after a spike (mV)."""
    v_thresh_mv: float = -40.0
    """Threshold (mV)."""
    e_exc_mv: float = 0.0
    """Reversal potential of excitatory synapses (mV)."""
    e_inh_mv: float = -85.0
    """Reversal potential of inhibitory synapses (mV)."""
    tau_ge_ms: float = 1.0
    """Decay time constant of the excitatory conductance (ms)."""
    tau_gi_ms: float = 2.0
    """Decay time constant of the inhibitory conductance (ms)."""
    t_ref_ms: float = 2.0
    """Refractory period (ms)."""


@dataclass(frozen=True)
class STDPConfig:
    """Diehl & Cook's trace-based STDP on the input->excitatory weights."""

    nu_pre: float = 1e-4
    """Depression on a presynaptic spike: W[i, :] -= nu_pre * y1 (dimensionless)."""
    nu_post: float = 1e-2
    """Potentiation on a postsynaptic spike: W[:, j] += nu_post * x_pre * y2 (dimensionless)."""
    tau_pre_ms: float = 20.0
    """Decay time constant of the presynaptic trace x_pre (ms)."""
    tau_post1_ms: float = 20.0
    """Decay time constant of the postsynaptic trace y1 used for depression (ms)."""
    tau_post2_ms: float = 40.0
    """Decay time constant of the postsynaptic trace y2 used for potentiation (ms)."""
    w_max: float = 1.0
    """Weights are clipped to [0, w_max] after every update (dimensionless)."""
    rule: str = "additive"
    """The weight update: ``additive`` (Diehl & Cook: the two lines above), or a rule
    registered with :func:`lava_wta.rules.register_stdp_rule` (it reads ``nu_pre``,
    ``nu_post`` and ``w_max``; traces and clipping stay as above)."""


@dataclass(frozen=True)
class ScalingConfig:
    """Homeostatic synaptic scaling of each excitatory neuron's input weight vector."""

    mode: str = "l2"
    """``none``, ``l1``, ``l2``, ``max``, or a rule registered with
    :func:`lava_wta.rules.register_scaling_rule`."""
    target_norm: float = 5.0
    """Target norm Wt (dimensionless); Diehl & Cook's l1 used 78. Range: > 0, and for the
    built-in modes no more than the norm of a weight vector with every weight at
    ``stdp.w_max`` (l1: ``n_inputs * w_max``, l2: ``sqrt(n_inputs) * w_max``, max:
    ``w_max``): a larger target cannot be held by weights clipped to [0, w_max]
    (checked before training, :meth:`WTAConfig.check_trainable`)."""
    interval_images: int = 1
    """Scale after every k-th presentation (k = interval_images)."""
    scale_initial: bool = True
    """Also scale the initial random weights before training (Diehl & Cook normalise
    before every presentation, the first included)."""
    target_mode: str = "fixed"
    """How the target norm Wt evolves while training: ``fixed`` (Wt = ``target_norm``
    throughout) or ``rate`` (a global firing-rate set point: after each accepted training
    presentation with s excitatory spikes, ``log Wt += rate_gain * (rate_set_point_spikes
    - s) / rate_set_point_spikes``, clipped to [``target_norm_min``, the largest norm
    clipped weights can hold]; ``target_norm`` is the starting value). Only backends that
    run the compiled kernel support ``rate``."""
    rate_set_point_spikes: float = 10.0
    """Set point s* of the ``rate`` mode (excitatory spikes per accepted presentation,
    all neurons together). Range: > 0."""
    rate_gain: float = 0.01
    """Gain eta of the ``rate`` mode (dimensionless: the change of log Wt per presentation
    at zero spikes). Range: > 0."""
    target_norm_min: float = 0.01
    """Lower bound of Wt in the ``rate`` mode (dimensionless, as ``target_norm``). Range:
    > 0, no more than ``target_norm``."""

    def reachable_norm(self, n_inputs: int, w_max: float) -> float:
        """The largest norm of ``mode`` that weights clipped to [0, ``w_max``] can hold
        (infinity for ``none`` and registered norms)."""
        return {"l1": n_inputs * w_max, "l2": math.sqrt(n_inputs) * w_max,
                "max": w_max}.get(self.mode, math.inf)


@dataclass(frozen=True)
class CubaExcitatoryConfig:
    """Current-based LIF excitatory neurons with Diehl & Cook's adaptive threshold.

    Used when ``network.neuron_model == "current"``. The synaptic current is expressed
    as the voltage it would hold the membrane at (``R * i``, in mV), so no resistance
    field is needed (NIR ``r = 1``)::

        tau_syn di/dt = -i        (+ input_current_mv * w per input spike,
                                   - inh_current_mv * w_ie per inhibitory spike)
        tau_m   dv/dt = (v_rest - v) + i
        spike when v > v_thresh + theta - theta_offset (and not refractory)
        on spike: v = v_reset; theta += theta_plus (training only)

    Discretisation (exact for i, exponential Euler for v; see
    :mod:`lava_wta.model.neurons`): ``i <- i (1 - du) + input``,
    ``v <- v_rest + (v - v_rest)(1 - dv) + dv i`` with ``du = 1 - exp(-dt/tau_syn)``,
    ``dv = 1 - exp(-dt/tau_m)``: lava-nc's LIF ``u``/``v`` update with ``u = dv i``.

    The defaults below were tuned on small networks (100 neurons, 1,000 MNIST images) and
    kept at the paper's scale (``lava-wta sweep study/experiments/cuba.yaml``; docs/RESULTS.md
    has the accuracies). θ settles much higher than in the conductance model and most
    images need retries, so this variant sees more input per image.
    """

    tau_m_ms: float = 5.0
    """Membrane time constant (ms). Tuned for this variant by a short sweep over 5, 10, 40
    and 100 ms (the conductance model's value) on MNIST at 100 neurons; kept at the
    paper's scale (see the class docstring)."""
    tau_syn_ms: float = 1.0
    """Decay time constant of the synaptic current, excitatory and inhibitory input alike (ms)."""
    v_rest_mv: float = -65.0
    """Resting (leak) potential (mV)."""
    v_reset_mv: float = -65.0
    """Potential after a spike (mV); equal to v_rest so lava-nc's LIF (reset to 0
    relative to rest) expresses it exactly."""
    v_thresh_mv: float = -52.0
    """Base threshold (mV); a neuron spikes when v > v_thresh + theta - theta_offset."""
    theta_offset_mv: float = 20.0
    """Offset subtracted from theta in the threshold (mV)."""
    t_ref_ms: float = 0.0
    """Refractory period (ms); 0 (the default) maps exactly onto NIR and Loihi's LIF,
    which have none."""
    theta_init_mv: float = 20.0
    """Initial adaptive threshold theta (mV)."""
    theta_plus_mv: float = 0.2
    """Increment of theta per spike during training (mV); tuned (0.05 and 0.1 gave
    monopolies or lower accuracy in this variant)."""
    tau_theta_ms: float = 1e7
    """Decay time constant of theta during training (ms); frozen at test time."""
    theta_rule: str = "additive"
    """How theta moves while learning: ``additive`` (the two lines above), or a rule
    registered with :func:`lava_wta.rules.register_theta_rule`."""
    membrane_rule: str = "exponential_euler"
    """How v moves between spikes: ``exponential_euler`` (the equations above), or a rule
    registered with :func:`lava_wta.rules.register_membrane_rule`."""
    input_current_mv: float = 30.0
    """Jump of the synaptic current R*i per unit of input weight (mV per unit weight):
    input weights W (shared with the conductance model) drive the neuron with
    ``input_current_mv * W``."""
    inh_current_mv: float = 30.0
    """Drop of the synaptic current R*i per unit of ``network.w_ie`` (mV per unit
    weight): an inhibitory spike adds ``-inh_current_mv * w_ie`` to i."""


@dataclass(frozen=True)
class CubaInhibitoryConfig:
    """Current-based LIF inhibitory neurons (no adaptive threshold), used when
    ``network.neuron_model == "current"``; same equations as :class:`CubaExcitatoryConfig`
    without theta and with excitatory input only."""

    tau_m_ms: float = 10.0
    """Membrane time constant (ms)."""
    tau_syn_ms: float = 1.0
    """Decay time constant of the synaptic current (ms)."""
    v_rest_mv: float = -60.0
    """Resting (leak) potential (mV)."""
    v_reset_mv: float = -60.0
    """Potential after a spike (mV)."""
    v_thresh_mv: float = -40.0
    """Threshold (mV)."""
    t_ref_ms: float = 0.0
    """Refractory period (ms); 0 maps exactly onto NIR and Loihi."""
    exc_current_mv: float = 30.0
    """Jump of R*i per unit of ``network.w_ei`` (mV per unit weight); 30 makes one
    excitatory spike (w_ei = 10.4) fire its inhibitory partner within two steps."""


@dataclass(frozen=True)
class LoihiConfig:
    """Loihi 2 fixed-point representation used by :mod:`lava_wta.loihi` (hardware
    constants of lava-nc's bit-accurate models, and the quantiser's choices)."""

    weight_bits: int = 8
    """Magnitude bits of a single-sign weight (lava-nc Dense: 8)."""
    decay_bits: int = 12
    """Bits of the decays du, dv (unity = 2**decay_bits = 4096)."""
    threshold_bits: int = 17
    """Unsigned bits of the threshold mantissa vth (left-shifted by threshold_shift)."""
    threshold_shift: int = 6
    """Left shift of vth and of the synaptic input (MSB alignment) in Loihi's LIF."""
    state_bits: int = 24
    """Signed bits of u and v."""
    v_range_mv: float = 100.0
    """The quantiser chooses the integer scale (units per mV) of each population so that
    +-v_range_mv (around rest) fits into v's register and the highest threshold into vth's."""
    u_range_spikes: float = 64.0
    """... and so that u's register holds this many maximal spikes of the population's
    strongest connection arriving in one step (u wraps around on overflow; dimensionless).
    In a trained current-based network many inhibitory neurons can fire in the same step;
    too small a range makes u wrap around, which turns inhibition into excitation. 64
    keeps the fixed-point spike counts at the float ones (docs/DEPLOY.md measures the
    choice with ``lava-wta loihi-report --fixed-backend loihi-emulator``)."""
    weight_exp_min: int = -8
    """Smallest shared weight exponent the quantiser uses (NxSDK documents -8..7 for
    Loihi's synapse exponent; lava-nc's bit-accurate Dense accepts any)."""
    weight_exp_max: int = 7
    """Largest shared weight exponent; a population whose input would need more gets a
    smaller integer scale instead."""


MAX_EPOCHS = 1000
"""Most passes over the training images a configuration may ask for."""


@dataclass(frozen=True)
class TrainingConfig:
    """How the training images are presented."""

    epochs: int = 1
    """Passes over the training images (1..1000). The first pass presents them in the
    dataset's order; each later pass in an order shuffled from ``seed`` and the pass's
    number, with Poisson spike trains of its own. The accuracy after every pass is
    recorded (labelling and testing with the state at its end)."""


_SECTIONS = {
    "network": NetworkConfig,
    "time": TimeConfig,
    "input": InputConfig,
    "exc": ExcitatoryConfig,
    "inh": InhibitoryConfig,
    "stdp": STDPConfig,
    "scaling": ScalingConfig,
    "cuba_exc": CubaExcitatoryConfig,
    "cuba_inh": CubaInhibitoryConfig,
    "loihi": LoihiConfig,
    "training": TrainingConfig,
}


@dataclass(frozen=True)
class WTAConfig:
    """The whole model: one object, shared by every way of running it."""

    network: NetworkConfig = field(default_factory=NetworkConfig)
    time: TimeConfig = field(default_factory=TimeConfig)
    input: InputConfig = field(default_factory=InputConfig)
    exc: ExcitatoryConfig = field(default_factory=ExcitatoryConfig)
    inh: InhibitoryConfig = field(default_factory=InhibitoryConfig)
    stdp: STDPConfig = field(default_factory=STDPConfig)
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    cuba_exc: CubaExcitatoryConfig = field(default_factory=CubaExcitatoryConfig)
    cuba_inh: CubaInhibitoryConfig = field(default_factory=CubaInhibitoryConfig)
    loihi: LoihiConfig = field(default_factory=LoihiConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    seed: int = 0
    """Seed of every random stream (initial weights, Poisson spikes)."""

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid field."""
        for name, cls in _SECTIONS.items():
            section = getattr(self, name)
            if not isinstance(section, cls):
                raise ConfigError(f"{name}: expected a {cls.__name__}, got {type(section).__name__}")
            for f in fields(section):
                value = getattr(section, f.name)
                _check_type(f"{name}.{f.name}", value, f.type)
                if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
                    raise ConfigError(f"{name}.{f.name}: expected a 64-bit integer "
                                      f"({_INT64[0]}..{_INT64[1]}), got {value}")
                if isinstance(value, float) and not math.isfinite(value):
                    raise ConfigError(f"{name}.{f.name}: expected a finite number, got {value}")
        _check_type("seed", self.seed, "int")
        if not 0 <= self.seed <= _INT64[1]:
            raise ConfigError(f"seed: expected an integer in 0..{_INT64[1]}, got {self.seed}")

        for path in ("network.n_inputs", "network.n_neurons"):
            _positive(path, self._get(path))
        _non_negative("network.w_init_max", self.network.w_init_max)
        _non_negative("network.w_ei", self.network.w_ei)
        _non_negative("network.w_ie", self.network.w_ie)

        for path in ("time.dt_ms", "time.presentation_ms"):
            _positive(path, self._get(path))
        if self.time.between_images not in ("reset", "rest"):
            raise ConfigError(
                f"time.between_images: expected 'reset' or 'rest', got {self.time.between_images!r}")
        if self.time.between_images == "rest":
            _positive("time.rest_ms", self.time.rest_ms)
        else:
            _non_negative("time.rest_ms", self.time.rest_ms)
        _non_negative("time.eval_presentation_ms", self.time.eval_presentation_ms)
        stepped = ["time.presentation_ms", "exc.t_ref_ms", "inh.t_ref_ms"]
        if self.time.eval_presentation_ms > 0:
            stepped.append("time.eval_presentation_ms")
        if self.time.between_images == "rest":
            stepped.append("time.rest_ms")
        for path in stepped:
            steps = self._get(path) / self.time.dt_ms
            if abs(steps - round(steps)) > 1e-9:
                raise ConfigError(
                    f"{path}: expected a multiple of time.dt_ms = {self.time.dt_ms}, "
                    f"got {self._get(path)}")

        if not 1 <= self.training.epochs <= MAX_EPOCHS:
            raise ConfigError(f"training.epochs: expected an integer in 1..{MAX_EPOCHS}, "
                              f"got {self.training.epochs}")

        _non_negative("input.pixel_rate_hz", self.input.pixel_rate_hz)
        _non_negative("input.retry_pixel_rate_hz", self.input.retry_pixel_rate_hz)
        _non_negative("input.min_spikes", self.input.min_spikes)
        _non_negative("input.max_retries", self.input.max_retries)
        max_p = 255 * (self.input.pixel_rate_hz + self.input.max_retries * self.input.retry_pixel_rate_hz)
        if max_p * self.time.dt_ms * 1e-3 > 1.0:
            raise ConfigError(
                f"input.max_retries: the highest input rate ({max_p:.1f} Hz) gives a spike "
                f"probability above 1 per step of {self.time.dt_ms} ms")

        for sec in ("exc", "inh"):
            for f in fields(getattr(self, sec)):
                if f.name.startswith("tau_") or f.name == "t_ref_ms":
                    check = _non_negative if f.name == "t_ref_ms" else _positive
                    check(f"{sec}.{f.name}", getattr(getattr(self, sec), f.name))
        _non_negative("exc.theta_plus_mv", self.exc.theta_plus_mv)

        for f in fields(self.stdp):
            if f.name == "rule":
                continue
            check = _positive if f.name.startswith("tau_") or f.name == "w_max" else _non_negative
            check(f"stdp.{f.name}", getattr(self.stdp, f.name))

        from lava_wta.rules import (  # late: rules may be user-registered
            membrane_rule_names,
            scaling_rule_names,
            stdp_rule_names,
            theta_rule_names,
        )

        for path, names, register in (
                ("stdp.rule", stdp_rule_names(), "register_stdp_rule"),
                ("exc.theta_rule", theta_rule_names(), "register_theta_rule"),
                ("cuba_exc.theta_rule", theta_rule_names(), "register_theta_rule"),
                ("exc.membrane_rule", membrane_rule_names(), "register_membrane_rule"),
                ("cuba_exc.membrane_rule", membrane_rule_names(), "register_membrane_rule")):
            if self._get(path) not in names:
                raise ConfigError(
                    f"{path}: expected one of {sorted(names)} (register a rule with "
                    f"lava_wta.rules.{register}, or load its module with --plugin), "
                    f"got {self._get(path)!r}")

        if self.scaling.mode not in scaling_rule_names():
            raise ConfigError(
                f"scaling.mode: expected one of {sorted(scaling_rule_names())}, "
                f"got {self.scaling.mode!r}")
        if self.scaling.mode != "none":
            _positive("scaling.target_norm", self.scaling.target_norm)
        _positive("scaling.interval_images", self.scaling.interval_images)
        if self.scaling.target_mode not in TARGET_MODES:
            raise ConfigError(f"scaling.target_mode: expected one of {list(TARGET_MODES)}, "
                              f"got {self.scaling.target_mode!r}")
        _positive("scaling.rate_set_point_spikes", self.scaling.rate_set_point_spikes)
        _positive("scaling.rate_gain", self.scaling.rate_gain)
        _positive("scaling.target_norm_min", self.scaling.target_norm_min)
        if self.scaling.target_mode != "fixed" and self.scaling.mode == "none":
            raise ConfigError(f"scaling.target_mode: expected 'fixed' with scaling.mode 'none' (no norm to "
                              f"adapt), got {self.scaling.target_mode!r}")
        if self.scaling.target_mode != "fixed" and self.scaling.target_norm_min > self.scaling.target_norm:
            raise ConfigError(f"scaling.target_norm_min: expected <= scaling.target_norm = "
                              f"{self.scaling.target_norm:g}, got {self.scaling.target_norm_min:g}")

        if self.network.neuron_model not in NEURON_MODELS:
            raise ConfigError(f"network.neuron_model: expected one of {list(NEURON_MODELS)}, "
                              f"got {self.network.neuron_model!r}")
        for sec in ("cuba_exc", "cuba_inh"):
            for f in fields(getattr(self, sec)):
                value = getattr(getattr(self, sec), f.name)
                if f.name.startswith("tau_"):
                    _positive(f"{sec}.{f.name}", value)
                elif f.name in ("t_ref_ms", "theta_plus_mv") or f.name.endswith("_current_mv"):
                    _non_negative(f"{sec}.{f.name}", value)
            if self.network.neuron_model == "current":
                path = f"{sec}.t_ref_ms"
                steps = self._get(path) / self.time.dt_ms
                if abs(steps - round(steps)) > 1e-9:
                    raise ConfigError(f"{path}: expected a multiple of time.dt_ms = "
                                      f"{self.time.dt_ms}, got {self._get(path)}")
        for f in fields(self.loihi):
            if f.name not in ("threshold_shift", "weight_exp_min", "weight_exp_max"):
                _positive(f"loihi.{f.name}", getattr(self.loihi, f.name))
        _non_negative("loihi.threshold_shift", self.loihi.threshold_shift)
        if self.loihi.weight_exp_min > self.loihi.weight_exp_max:
            raise ConfigError(f"loihi.weight_exp_min: expected <= loihi.weight_exp_max = "
                              f"{self.loihi.weight_exp_max}, got {self.loihi.weight_exp_min}")

    @property
    def exc_params(self) -> ty.Union[ExcitatoryConfig, CubaExcitatoryConfig]:
        """The excitatory section of the selected ``network.neuron_model``."""
        return self.cuba_exc if self.network.neuron_model == "current" else self.exc

    @property
    def inh_params(self) -> ty.Union[InhibitoryConfig, CubaInhibitoryConfig]:
        """The inhibitory section of the selected ``network.neuron_model``."""
        return self.cuba_inh if self.network.neuron_model == "current" else self.inh

    def _get(self, path: str) -> ty.Any:
        obj: ty.Any = self
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    def check_image_size(self, n_pixels: int, source: str = "dataset") -> None:
        """Raise if images of ``n_pixels`` pixels cannot drive this network."""
        if n_pixels != self.network.n_inputs:
            raise ConfigError(
                f"network.n_inputs: the {source} has images of {n_pixels} pixels, "
                f"the configuration expects {self.network.n_inputs}")

    def check_trainable(self) -> None:
        """Raise :class:`ConfigError` if training with this configuration is meaningless:
        a built-in scaling target that weights in [0, stdp.w_max] cannot reach (see
        ``scaling.target_norm``). Checked before training rather than in :meth:`validate`,
        as it ties three fields that overrides may change one at a time."""
        n, w_max = self.network.n_inputs, self.stdp.w_max
        reachable = self.scaling.reachable_norm(n, w_max)
        if self.scaling.target_norm > reachable * (1 + 1e-12):
            raise ConfigError(
                f"scaling.target_norm: expected <= {reachable:g} (the {self.scaling.mode} norm of "
                f"network.n_inputs = {n} weights all at stdp.w_max = {w_max:g}, the largest that "
                f"clipped weights can hold), got {self.scaling.target_norm:g}")

    # ------------------------------------------------------------------ derivation
    def replace(self, **changes: ty.Any) -> "WTAConfig":
        """A copy with top-level fields or whole sections replaced."""
        return dataclasses.replace(self, **changes)

    def for_evaluation(self) -> "WTAConfig":
        """The configuration of frozen labelling and test passes: ``time.presentation_ms``
        replaced by ``time.eval_presentation_ms`` when that is set (> 0)."""
        if self.time.eval_presentation_ms <= 0:
            return self
        return self.with_overrides({"time.presentation_ms": self.time.eval_presentation_ms})

    def with_overrides(self, overrides: ty.Mapping[str, ty.Any]) -> "WTAConfig":
        """A copy with dotted fields replaced, e.g. ``{"scaling.mode": "l1"}``."""
        data = self.to_dict()
        for key, value in overrides.items():
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                if part not in node or not isinstance(node[part], dict):
                    raise ConfigError(f"{key}: unknown configuration section {part!r}")
                node = node[part]
            if parts[-1] not in node:
                raise ConfigError(f"{key}: unknown configuration field")
            node[parts[-1]] = value
        return WTAConfig.from_dict(data)

    #: Fields that do not change training (evaluation protocol, fixed-point export): a
    #: partly trained run may resume when only these differ from its saved configuration.
    NOT_TRAINING_FIELDS: ty.ClassVar[ty.Tuple[str, ...]] = ("time.eval_presentation_ms", "loihi.")

    def diff(self, other: "WTAConfig") -> ty.List[str]:
        """The dotted fields whose values differ, as ``"field: A -> B"`` strings (A from
        ``self``, B from ``other``)."""
        def flat(d: ty.Mapping[str, ty.Any], prefix: str = "") -> ty.Dict[str, ty.Any]:
            out: ty.Dict[str, ty.Any] = {}
            for k, v in d.items():
                if isinstance(v, dict):
                    out.update(flat(v, f"{prefix}{k}."))
                else:
                    out[f"{prefix}{k}"] = v
            return out
        a, b = flat(self.to_dict()), flat(other.to_dict())
        return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]

    def training_diff(self, other: "WTAConfig") -> ty.List[str]:
        """:meth:`diff` without the fields of :attr:`NOT_TRAINING_FIELDS`."""
        return [d for d in self.diff(other)
                if not any(d.startswith(f if f.endswith(".") else f + ":") for f in self.NOT_TRAINING_FIELDS)]

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: ty.Mapping[str, ty.Any], source: str = "configuration") -> "WTAConfig":
        """Build and validate a configuration; missing fields take their defaults."""
        if not isinstance(data, ty.Mapping):
            raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
        unknown = set(data) - set(_SECTIONS) - {"seed"}
        if unknown:
            raise ConfigError(f"{source}: unknown field(s) {sorted(unknown, key=repr)}; "
                              f"expected some of {sorted(_SECTIONS) + ['seed']}")
        kwargs: dict = {}
        for name, section_cls in _SECTIONS.items():
            if name not in data:
                continue
            values = data[name]
            if not isinstance(values, ty.Mapping):
                raise ConfigError(f"{name}: expected a mapping, got {type(values).__name__}")
            known = {f.name: f for f in fields(section_cls)}
            bad = set(values) - set(known)
            if bad:
                raise ConfigError(f"{name}: unknown field(s) {sorted(bad, key=repr)}; "
                                  f"expected some of {sorted(known)}")
            converted = {k: _coerce(f"{name}.{k}", v, known[k].type) for k, v in values.items()}
            kwargs[name] = section_cls(**converted)
        if "seed" in data:
            kwargs["seed"] = _coerce("seed", data["seed"], "int")
        return cls(**kwargs)

    def save(self, path: ty.Union[str, Path]) -> Path:
        """Write JSON (``.json``) or YAML (``.yaml``/``.yml``)."""
        from lava_wta.runfolder import write_atomic

        path = Path(path)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return write_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False))
        return write_atomic(path, self.to_json())

    def to_json(self) -> str:
        """The configuration as the strict JSON text :meth:`save` writes."""
        from lava_wta.runfolder import dumps_json

        return dumps_json(self.to_dict())

    @classmethod
    def load(cls, path: ty.Union[str, Path]) -> "WTAConfig":
        """Read and validate a JSON or YAML configuration file."""
        from lava_wta.runfolder import read_structured

        path = Path(path)
        # strict: a key written twice, or NaN/Infinity in JSON, is an error
        data = read_structured(path, ConfigError, what="configuration")
        if data is None:
            data = {}
        try:
            return cls.from_dict(data, source=str(path))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------- helpers
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
"""Integer fields are 64-bit in the kernels and in saved files."""


def _finite(value: float) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def _positive(path: str, value: float) -> None:
    if not value > 0 or not _finite(value):
        raise ConfigError(f"{path}: expected a finite value > 0, got {value}")


def _non_negative(path: str, value: float) -> None:
    if not value >= 0 or not _finite(value):
        raise ConfigError(f"{path}: expected a finite value >= 0, got {value}")


def _check_type(path: str, value: ty.Any, type_name: ty.Any) -> None:
    type_name = getattr(type_name, "__name__", type_name)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
    }[type_name]
    if not ok:
        raise ConfigError(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")


def _coerce(path: str, value: ty.Any, type_name: ty.Any) -> ty.Any:
    """Accept ints for floats (JSON writes 1.0 as 1) but nothing else silently."""
    type_name = getattr(type_name, "__name__", type_name)
    if type_name == "float" and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise ConfigError(f"{path}: expected a finite number, got an integer of "
                              f"{len(str(abs(value)))} digits") from None
    _check_type(path, value, type_name)
    return value
