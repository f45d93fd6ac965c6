"""Neuron membranes: how ``v`` (and the synaptic input it integrates) moves over one step,
written once as small compiled functions for both neuron families.

**Conductance-based** (Diehl & Cook; ``network.neuron_model: conductance``)::

    tau_m dv/dt = (v_rest - v) + g_e (E_exc - v) + g_i (E_inh - v)
    tau_ge dg_e/dt = -g_e,   tau_gi dg_i/dt = -g_i      (each input spike adds its weight)

integrated by exponential Euler (Brian2's default for these equations): over one step
``dt`` the conductances are held at their start-of-step values, so ``v`` relaxes exactly
towards ``v_inf = (v_rest + g_e E_exc + g_i E_inh) / (1 + g_e + g_i)`` with time constant
``tau_m / (1 + g_e + g_i)``; the conductances then decay by their exact factor.

**Current-based** (lava-nc's LIF and NIR's CubaLIF; ``network.neuron_model: current``),
the synaptic current written as the potential it would hold the membrane at (R·i, mV)::

    i <- i (1 - du) + input                    du = 1 - exp(-dt / tau_syn)
    v <- v_rest + (v - v_rest)(1 - dv) + dv i   dv = 1 - exp(-dt / tau_m)

**Membrane rules.** The sub-threshold drive of the excitatory neurons is replaceable: a
membrane rule is one numba function per neuron family, of scalars, returning ``v`` after
one step of a neuron that is not refractory::

    conductance(v, g_e, g_i, m)  -> v'     m: a ConductanceMembrane
    current(v, i_syn, m)         -> v'     m: a CurrentMembrane (i_syn already holds this
                                            step's input)

The built-in rule, ``"exponential_euler"``, is the pair of equations above. Register your
own and select it with ``exc.membrane_rule`` (``cuba_exc.membrane_rule``)::

    from numba import njit
    from lava_wta.rules import register_membrane_rule

    @njit(inline="always")
    def forward_euler(v, g_e, g_i, m):       # Brian2's "euler" method
        dv = (m.v_rest_mv - v) + g_e * (m.e_exc_mv - v) + g_i * (m.e_inh_mv - v)
        return v + m.dt_ms / m.tau_m_ms * dv

    register_membrane_rule("forward_euler", conductance=forward_euler)

Refractoriness (v held at v_reset), the conductance decay and the current's input stay
the model's; the inhibitory neurons always use the built-in rule. The engine compiles the
rule into its step, the fused Lava models run that step, and the composed graph's neurons
call :func:`conductance_layer` / :func:`current_layer` (the same functions) on their Vars.

The built-in conductance step is written for speed: when every neuron has
``dt (1 + g_e + g_i) / tau_m`` small (almost always), ``v`` moves by a division-free
polynomial form that vectorises (:func:`phi_tiny`, :func:`phi_small`); otherwise by the
exact form with :func:`exp_neg`. They agree with libm's ``exp`` to about 1e-15 relative
(``tests/test_engine.py``).
"""
from __future__ import annotations

import math
import typing as ty

from numba import literally, njit
from numba.extending import overload

from lava_wta.model.registry import Rule, RuleRegistry

__all__ = [
    "ConductanceMembrane",
    "CurrentMembrane",
    "decay",
    "refractory_steps",
    "cuba_decays",
    "conductance_membrane_params",
    "current_membrane_params",
    "exp_neg",
    "phi_small",
    "phi_tiny",
    "flush",
    "exponential_euler_conductance",
    "exponential_euler_current",
    "current_input",
    "MEMBRANE_RULES",
    "register_membrane_rule",
    "get_membrane_rule",
    "membrane_rule_names",
    "conductance_layer",
    "conductance_layer_in",
    "conductance_regime",
    "current_layer",
    "integrate_conductance",
    "integrate_current",
]


class ConductanceMembrane(ty.NamedTuple):
    """What a conductance-based membrane step reads (one population)."""

    dt_ms: float
    tau_m_ms: float
    v_rest_mv: float
    e_exc_mv: float
    """Reversal potential of excitatory synapses (mV)."""
    e_inh_mv: float
    """Reversal potential of inhibitory synapses (mV)."""
    decay_ge: float
    """exp(-dt / tau_ge): g_e's factor per step."""
    decay_gi: float
    """exp(-dt / tau_gi)."""


class CurrentMembrane(ty.NamedTuple):
    """What a current-based membrane step reads (one population), in lava-nc's LIF form."""

    v_rest_mv: float
    keep_u: float
    """1 - du: the current's factor per step."""
    keep_v: float
    """1 - dv: the potential's factor per step (relative to rest)."""
    dv: float
    exc_current_mv: float
    """Current jump R·i per unit of excitatory input weight (mV)."""
    inh_current_mv: float
    """Current drop R·i per unit of inhibitory input weight (mV; 0: no inhibition)."""


# --------------------------------------------------------------- derived parameters
def decay(dt_ms: float, tau_ms: float) -> float:
    """Exact decay factor of an exponential with time constant ``tau_ms`` over ``dt_ms``."""
    return math.exp(-dt_ms / tau_ms)


def refractory_steps(t_ref_ms: float, dt_ms: float) -> int:
    """Steps after the spike step during which a neuron is held at v_reset.

    With ``r = round(t_ref / dt)``, a neuron that spikes in step ``k`` is held in steps
    ``k+1 .. k+r-1`` and may fire again in step ``k+r``, exactly ``t_ref`` later (Brian2's
    rule: refractory while ``timestep(t - lastspike) < timestep(t_ref)``).
    """
    return max(int(round(t_ref_ms / dt_ms)) - 1, 0)


def cuba_decays(dt_ms: float, tau_syn_ms: float, tau_m_ms: float) -> ty.Tuple[float, float]:
    """``(du, dv)``: the fractions of current and voltage lost per step (lava-nc's du, dv)."""
    return 1.0 - decay(dt_ms, tau_syn_ms), 1.0 - decay(dt_ms, tau_m_ms)


def conductance_membrane_params(*, dt_ms, tau_m_ms, v_rest_mv, e_exc_mv, e_inh_mv, tau_ge_ms,
                                tau_gi_ms) -> ConductanceMembrane:
    """The :class:`ConductanceMembrane` of a population (floats, decays derived once)."""
    return ConductanceMembrane(float(dt_ms), float(tau_m_ms), float(v_rest_mv), float(e_exc_mv),
                               float(e_inh_mv), decay(dt_ms, tau_ge_ms), decay(dt_ms, tau_gi_ms))


def current_membrane_params(*, dt_ms, tau_syn_ms, tau_m_ms, v_rest_mv, exc_current_mv,
                            inh_current_mv) -> CurrentMembrane:
    """The :class:`CurrentMembrane` of a population (``keep_u = 1 - du`` computed as lava-nc's
    LIF model does, so the two agree bit for bit)."""
    du, dv = cuba_decays(dt_ms, tau_syn_ms, tau_m_ms)
    return CurrentMembrane(float(v_rest_mv), 1.0 - du, 1.0 - dv, dv, float(exc_current_mv),
                           float(inh_current_mv))


# ------------------------------------------------------- libm-free exponential helpers
_C3, _C4, _C5, _C6, _C7 = 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040
_C8, _C9, _C10 = 1 / 40320, 1 / 362880, 1 / 3628800


@njit(cache=True, inline="always", error_model="numpy")
def exp_neg(x):
    """``exp(x)`` for ``x <= 0`` without libm, so that neuron loops vectorise.

    ``exp(x) = exp(x / 256) ** 256``: a degree-10 Taylor polynomial on ``[-40/256, 0]``
    then eight squarings; relative error below 1e-13 on ``[-40, 0]``; ``x < -40`` is taken
    as -40 (exp(-40) = 4e-18).
    """
    y = max(x, -40.0) * 0.00390625
    p = 1.0 + y * (1.0 + y * (0.5 + y * (_C3 + y * (_C4 + y * (_C5 + y * (_C6 + y * (
        _C7 + y * (_C8 + y * (_C9 + y * _C10)))))))))
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p * p


_F0, _F1, _F2, _F3, _F4, _F5 = 1.0, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720
_F6, _F7, _F8, _F9, _F10, _F11 = 1 / 5040, 1 / 40320, 1 / 362880, 1 / 3628800, 1 / 39916800, 1 / 479001600
PHI_MAX = 0.3
"""Largest ``dt (1 + g_e + g_i) / tau_m`` for which :func:`phi_small` is used (its
truncation error there is below 1e-16 relative)."""
PHI_TINY_MAX = 0.03
"""Largest ``dt (1 + g_e + g_i) / tau_m`` for which :func:`phi_tiny` is used (most steps of
the paper's network have every neuron below it)."""


@njit(cache=True, inline="always", error_model="numpy")
def phi_small(z):
    """``(exp(z) - 1) / z`` for ``-PHI_MAX <= z <= 0`` (degree-11 Taylor, Estrin's scheme:
    no division, no libm, a short dependency chain)."""
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    a = (_F0 + _F1 * z) + (_F2 + _F3 * z) * z2
    b = (_F4 + _F5 * z) + (_F6 + _F7 * z) * z2
    c = (_F8 + _F9 * z) + (_F10 + _F11 * z) * z2
    return a + b * z4 + c * z8


@njit(cache=True, inline="always", error_model="numpy")
def phi_tiny(z):
    """``(exp(z) - 1) / z`` for ``-PHI_TINY_MAX <= z <= 0``: degree-6 Taylor (truncation
    below 6e-16 relative there), half the operations of :func:`phi_small`."""
    z2 = z * z
    z4 = z2 * z2
    a = (_F0 + _F1 * z) + (_F2 + _F3 * z) * z2
    b = (_F4 + _F5 * z) + _F6 * z2
    return a + b * z4


G_FLUSH = 1e-30
"""Conductances below this are stored as 0. A decaying conductance never reaches 0 by
itself (multiplied by a factor above 1/2, the smallest subnormal rounds back to itself),
and arithmetic on subnormals is about 100 times slower. Below 1e-30 a conductance changes
no potential: ``1 + g`` rounds to 1 and ``g E`` lies far below the rounding unit of a
membrane potential."""


@njit(cache=True, inline="always", error_model="numpy")
def flush(g):
    """``g``, or 0 below :data:`G_FLUSH`."""
    return g if g >= G_FLUSH else 0.0


# ------------------------------------------------------------------ the built-in rule
@njit(cache=True, inline="always", error_model="numpy")
def exponential_euler_conductance(v, g_e, g_i, m):
    """One exponential-Euler step of a conductance-based membrane (exact form)."""
    total = 1.0 + g_e + g_i
    v_inf = (m.v_rest_mv + g_e * m.e_exc_mv + g_i * m.e_inh_mv) / total
    return v_inf + (v - v_inf) * exp_neg(-m.dt_ms * total / m.tau_m_ms)


@njit(cache=True, inline="always", error_model="numpy")
def exponential_euler_current(v, i_syn, m):
    """One step of a current-based membrane: v relaxes towards ``v_rest + i``."""
    return m.v_rest_mv + ((v - m.v_rest_mv) * m.keep_v + m.dv * i_syn)


@njit(cache=True, inline="always", error_model="numpy")
def current_input(i_syn, a_exc, a_inh, m):
    """The synaptic current after one step: it decays and takes this step's weighted
    input (``a_exc``, ``a_inh``: sums of the weights of arriving spikes)."""
    return i_syn * m.keep_u + (m.exc_current_mv * a_exc - m.inh_current_mv * a_inh)


BUILTIN = "exponential_euler"

MEMBRANE_RULES = RuleRegistry("membrane", "membrane rule",
                              {"conductance": exponential_euler_conductance,
                               "current": exponential_euler_current},
                              register_with="lava_wta.rules.register_membrane_rule")
MEMBRANE_RULES.add_builtin(BUILTIN)


def register_membrane_rule(name: str, *, conductance=None, current=None,
                           replace: bool = False) -> Rule:
    """Register a membrane rule under ``name`` (select it with ``exc.membrane_rule`` or
    ``cuba_exc.membrane_rule``).

    ``conductance(v, g_e, g_i, m)`` and ``current(v, i_syn, m)`` are numba-compiled
    functions returning ``v`` after one step; either may be omitted to keep the built-in's
    for that neuron family. Raises ``TypeError`` for functions that are not compiled and
    ``ValueError`` for a name in use (unless ``replace``)."""
    return MEMBRANE_RULES.register(name, replace=replace, conductance=conductance, current=current)


def get_membrane_rule(name: str) -> Rule:
    return MEMBRANE_RULES.get(name)


def membrane_rule_names() -> ty.List[str]:
    return MEMBRANE_RULES.names()


# ---------------------------------------------------- dispatch on the model key
def conductance_membrane(key, v, g_e, g_i, m):
    """``conductance`` of the membrane rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("conductance_membrane is resolved at compile time inside numba code")


def current_membrane(key, v, i_syn, m):
    """``current`` of the membrane rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("current_membrane is resolved at compile time inside numba code")


def builtin_membrane(key):
    """True when the model ``key`` names the built-in membrane rule (compiled code only)."""
    raise NotImplementedError("builtin_membrane is resolved at compile time inside numba code")


@overload(conductance_membrane, inline="always")
def _ol_conductance_membrane(key, v, g_e, g_i, m):
    rule = MEMBRANE_RULES.from_key(key)
    if rule is None:
        return lambda key, v, g_e, g_i, m: literally(key)
    fn = rule.conductance
    return lambda key, v, g_e, g_i, m: fn(v, g_e, g_i, m)


@overload(current_membrane, inline="always")
def _ol_current_membrane(key, v, i_syn, m):
    rule = MEMBRANE_RULES.from_key(key)
    if rule is None:
        return lambda key, v, i_syn, m: literally(key)
    fn = rule.current
    return lambda key, v, i_syn, m: fn(v, i_syn, m)


@overload(builtin_membrane, inline="always")
def _ol_builtin_membrane(key):
    rule = MEMBRANE_RULES.from_key(key)
    if rule is None:
        return lambda key: literally(key)
    if rule.name == BUILTIN:
        return lambda key: True
    return lambda key: False


# ------------------------------------------------------------------ whole layers
@njit(cache=True, inline="always", error_model="numpy")
def _fast_conductance(v, g_e, g_i, held, c, m, phi):
    """The division-free form of the built-in step with ``phi`` one of the polynomials
    (numba compiles one loop per ``phi``)::

        v' = v exp(-y) + (v_rest + g_e E_exc + g_i E_inh) (dt / tau_m) phi(-y),
        y  = dt (1 + g_e + g_i) / tau_m,   phi(z) = (exp(z) - 1) / z
    """
    v_rest, e_exc, e_inh, dge, dgi = m.v_rest_mv, m.e_exc_mv, m.e_inh_mv, m.decay_ge, m.decay_gi
    for j in range(v.shape[0]):
        ge = g_e[j]
        gi = g_i[j]
        z = -c * (1.0 + ge + gi)
        p = phi(z)
        x = v[j]
        x_new = x * (1.0 + z * p) + (v_rest + ge * e_exc + gi * e_inh) * c * p
        v[j] = x if held[j] > 0 else x_new
        g_e[j] = flush(ge * dge)
        g_i[j] = flush(gi * dgi)


REGIME_TINY, REGIME_SMALL, REGIME_GENERAL = 0, 1, 2
"""Forms of the built-in conductance step a whole layer can take this step
(:func:`conductance_regime`): the polynomial :func:`phi_tiny`, the polynomial
:func:`phi_small`, or the general form (any membrane rule). They combine by maximum: a
layer cut into pieces takes the largest of its pieces' regimes."""


@njit(cache=True, inline="always", error_model="numpy")
def conductance_regime(g_e, g_i, m, key):
    """The form of the step that every neuron of the layer (conductances ``g_e``, ``g_i``)
    can use: :data:`REGIME_TINY` when ``dt (1 + g_e + g_i) / tau_m`` is at most
    :data:`PHI_TINY_MAX` for all, :data:`REGIME_SMALL` when at most :data:`PHI_MAX`,
    otherwise (or with a registered membrane rule) :data:`REGIME_GENERAL`."""
    if not builtin_membrane(key):
        return REGIME_GENERAL
    c = m.dt_ms / m.tau_m_ms
    # (integer counts, not float max: LLVM vectorises these reductions)
    n_large = 0
    n_mid = 0
    for j in range(g_e.shape[0]):
        y = c * (1.0 + g_e[j] + g_i[j])
        n_large += y > PHI_MAX
        n_mid += y > PHI_TINY_MAX
    if n_mid == 0:
        return REGIME_TINY
    return REGIME_SMALL if n_large == 0 else REGIME_GENERAL


@njit(cache=True, inline="always", error_model="numpy")
def conductance_layer(v, g_e, g_i, held, m, key):
    """One step of a conductance-based layer, in place: ``v`` moved by the membrane rule
    the model ``key`` names (held where ``held[j] > 0``: refractory), then both
    conductances decayed (and flushed below :data:`G_FLUSH`)."""
    conductance_layer_in(v, g_e, g_i, held, m, key, conductance_regime(g_e, g_i, m, key))


@njit(cache=True, inline="always", error_model="numpy")
def conductance_layer_in(v, g_e, g_i, held, m, key, regime):
    """:func:`conductance_layer` in the form ``regime`` (:func:`conductance_regime` of the
    whole layer, of which ``v``, ``g_e``, ``g_i``, ``held`` may be a piece)."""
    if regime == REGIME_TINY:
        _fast_conductance(v, g_e, g_i, held, m.dt_ms / m.tau_m_ms, m, phi_tiny)
        return
    if regime == REGIME_SMALL:
        _fast_conductance(v, g_e, g_i, held, m.dt_ms / m.tau_m_ms, m, phi_small)
        return
    for j in range(v.shape[0]):
        ge = g_e[j]
        gi = g_i[j]
        x = v[j]
        x_new = conductance_membrane(key, x, ge, gi, m)
        v[j] = x if held[j] > 0 else x_new
        g_e[j] = flush(ge * m.decay_ge)
        g_i[j] = flush(gi * m.decay_gi)


@njit(cache=True, inline="always", error_model="numpy")
def current_layer(v, i_syn, a_exc, a_inh, held, m, key):
    """One step of a current-based layer, in place: the current takes the input
    ``a_exc``/``a_inh`` (weight sums of last step's spikes; cleared here, as a port's
    buffer is), then ``v`` moves by the membrane rule the model ``key`` names (held where
    ``held[j] > 0``)."""
    for j in range(v.shape[0]):
        i = current_input(i_syn[j], a_exc[j], a_inh[j], m)
        i_syn[j] = i
        x = v[j]
        x_new = current_membrane(key, x, i, m)
        v[j] = x if held[j] > 0 else x_new
        a_exc[j] = 0.0
        a_inh[j] = 0.0


# ------------------------------------------------- entry points for Python (Lava models)
@njit(cache=True, error_model="numpy")
def integrate_conductance(v, g_e, g_i, held, m, key):
    """:func:`conductance_layer` callable from Python (bind the key with
    :func:`lava_wta.model.key.bind_key`)."""
    conductance_layer(v, g_e, g_i, held, m, key)


@njit(cache=True, error_model="numpy")
def integrate_current(v, i_syn, a_exc, a_inh, held, m, key):
    """:func:`current_layer` callable from Python."""
    current_layer(v, i_syn, a_exc, a_inh, held, m, key)
