"""Quantise a current-based network to Loihi 2's fixed-point representation.

Loihi's LIF (lava-nc ``PyLifModelBitAcc``, whose arithmetic :class:`PerNeuronLIF`'s
``fixed_pt`` model inherits) works on integers::

    u <- u * (4096 - (du + 1)) >> 12  +  (a_in << 6)      (24-bit, wraps around)
    v <- v * (4096 - dv) >> 12  +  u                      (24-bit, clipped)
    spike if v > vth << 6;  then v <- v_reset << 6        (vth: 17-bit unsigned)

and a synapse delivers ``a_in = (sum of 8-bit weights of this step's spikes) << weight_exp``
(lava-nc ``PyDenseModelBitAcc``; one sign per connection: ``SignMode.EXCITATORY`` or
``INHIBITORY``, a shared exponent per connection).

The quantiser works on the network in lava-nc's float LIF form (:class:`Plan`: ``du``,
``dv``, weights in units of ``u``, thresholds relative to ``v_leak``) and chooses, per
neuron population, a scale ``Q`` (integer units of ``u``/``v`` per float unit, e.g. per mV)::

    Q = min((2**threshold_bits - 1) * 2**threshold_shift / max|vth, v_reset|,
            (2**(state_bits - 1) - 1) / v_range_mv)

so that every threshold fits its 17 bits, ``v`` has room for +-``v_range_mv`` around rest
and ``u`` for ``u_range_spikes`` maximal spikes of the strongest incoming connection in one
step (``Q <= (2**23 - 1) / (u_range_spikes * max|W|)``); the scale is halved further while
a connection would need a weight exponent above ``weight_exp_max``.
Then, per connection and sign (excitatory and inhibitory weights go to separate Dense
connections)::

    target per spike  t = W * Q / 2**6
    weight_exp  e = ceil(log2(max|t| / (2**weight_bits - 1)))
    weight      w = round(t / 2**e)           (|w| <= 255; error <= 2**(e-1) per weight)

and ``du = round(du_f * 4096) - 1`` (Loihi adds 1), ``dv = round(dv_f * 4096)``,
``vth = round(vth_f * Q / 64)``, ``v_reset = round(v_reset_f * Q / 64)``.
"""
from __future__ import annotations

import math
import typing as ty
from dataclasses import dataclass, field

import numpy as np
from lava.utils.weightutils import SignMode

from lava_wta.config import LoihiConfig
from lava_wta.nir.importer import ImportedNetwork, Plan, finish, wire


@dataclass
class FixedNeurons:
    du: int
    dv: int
    vth: np.ndarray            # 17-bit mantissas (effective threshold vth << 6)
    v_reset: np.ndarray        # same units as vth
    scale: float               # Q: integer units of u, v per float unit (mV)


@dataclass
class FixedConnection:
    src: str
    dst: str
    weights: np.ndarray        # integers, one sign
    weight_exp: int
    sign_mode: SignMode
    float_weights: np.ndarray  # the float weights (units of u) this part stands for

    def effective(self, scale: float, shift: int) -> np.ndarray:
        """The float weights (units of u) that the integers deliver."""
        return self.weights * 2.0 ** (self.weight_exp + shift) / scale


@dataclass
class FixedPlan:
    neurons: ty.Dict[str, FixedNeurons]
    connections: ty.List[FixedConnection]
    inputs: dict
    outputs: dict
    dt: float
    loihi: LoihiConfig
    float_plan: Plan
    notes: ty.List[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Quantisation errors and register usage, for reports."""
        out: dict = {"neurons": {}, "connections": [], "notes": list(self.notes)}
        shift = self.loihi.threshold_shift
        for name, fn in self.neurons.items():
            fp = self.float_plan.neurons[name]
            out["neurons"][name] = {
                "scale_per_unit": fn.scale, "du": fn.du, "dv": fn.dv,
                "du_float": fp.du, "du_effective": (fn.du + 1) / 2 ** self.loihi.decay_bits,
                "dv_float": fp.dv, "dv_effective": fn.dv / 2 ** self.loihi.decay_bits,
                "vth_max": int(fn.vth.max()), "vth_min": int(fn.vth.min()),
                "threshold_max_abs_error": float(np.abs(fn.vth * 2.0 ** shift / fn.scale - fp.vth).max()),
            }
        for c in self.connections:
            eff = c.effective(self.neurons[c.dst].scale, shift)
            err = np.abs(eff - c.float_weights)
            out["connections"].append({
                "src": c.src, "dst": c.dst, "sign_mode": c.sign_mode.name, "weight_exp": c.weight_exp,
                "max_abs_weight": int(np.abs(c.weights).max()),
                "max_abs_error": float(err.max()),
                "max_relative_error": float(err.max() / max(np.abs(c.float_weights).max(), 1e-300)),
                "nonzero_float_weights_rounded_to_zero": int(((c.weights == 0) & (c.float_weights != 0)).sum()),
            })
        return out


def _population_scale(vth: np.ndarray, v_reset: np.ndarray, strongest: float, cfg: LoihiConfig,
                      name: str) -> float:
    if np.any(vth < 0):
        raise ValueError(f"neuron node {name!r}: a threshold below v_leak ({vth.min()}) has no "
                         f"unsigned {cfg.threshold_bits}-bit Loihi threshold")
    top = max(float(np.abs(vth).max()), float(np.abs(v_reset).max()), 1e-300)
    limit = 2 ** (cfg.state_bits - 1) - 1
    q_thr = (2 ** cfg.threshold_bits - 1) * 2 ** cfg.threshold_shift / top
    q_v = limit / cfg.v_range_mv
    q_u = limit / (cfg.u_range_spikes * strongest) if strongest > 0 else math.inf
    return min(q_thr, q_v, q_u)


def _needed_exp(part: np.ndarray, scale: float, cfg: LoihiConfig) -> int:
    top = float(np.abs(part).max()) * scale / 2 ** cfg.threshold_shift
    return int(math.ceil(math.log2(top / (2 ** cfg.weight_bits - 1)))) if top > 0 else 0


def _quantize_part(part: np.ndarray, scale: float, cfg: LoihiConfig) -> ty.Tuple[np.ndarray, int]:
    exp = max(_needed_exp(part, scale, cfg), cfg.weight_exp_min)
    w_max = 2 ** cfg.weight_bits - 1
    weights = np.clip(np.round(part * scale / 2 ** cfg.threshold_shift / 2.0 ** exp),
                      -w_max, w_max).astype(np.int32)
    return weights, exp


def _parts(weight: np.ndarray):
    for sign, mode in ((1, SignMode.EXCITATORY), (-1, SignMode.INHIBITORY)):
        part = np.where(sign * weight > 0, weight, 0.0)
        if np.any(part):
            yield mode, part


def quantize(plan: Plan, loihi: LoihiConfig = LoihiConfig()) -> FixedPlan:
    """Loihi integers for every neuron population and connection of ``plan``."""
    unity = 2 ** loihi.decay_bits
    neurons = {}
    for name, p in plan.neurons.items():
        incoming = [np.abs(w).max() for src, dst, w in plan.connections if dst == name and w.size]
        q = _population_scale(p.vth, p.v_reset, max(incoming, default=0.0), loihi, name)
        # a smaller scale (by powers of two) where an input connection would need a weight
        # exponent above the allowed range
        need = max((_needed_exp(part, q, loihi) for src, dst, w in plan.connections if dst == name
                    for _, part in _parts(w)), default=loihi.weight_exp_min)
        if need > loihi.weight_exp_max:
            q /= 2.0 ** (need - loihi.weight_exp_max)
        neurons[name] = FixedNeurons(
            du=int(np.clip(round(p.du * unity) - 1, 0, unity - 1)),
            dv=int(np.clip(round(p.dv * unity), 0, unity - 1)),
            vth=np.round(p.vth * q / 2 ** loihi.threshold_shift).astype(np.int64),
            v_reset=np.round(p.v_reset * q / 2 ** loihi.threshold_shift).astype(np.int64),
            scale=q)
    connections = []
    notes = []
    for src, dst, weight in plan.connections:
        for mode, part in _parts(weight):
            w, e = _quantize_part(part, neurons[dst].scale, loihi)
            connections.append(FixedConnection(src, dst, w, e, mode, part))
    # headroom of the 24-bit current: the largest input one step can bring to one neuron
    limit = 2 ** (loihi.state_bits - 1) - 1
    for c in connections:
        worst = float(np.abs(c.weights).sum(axis=1).max()) * 2.0 ** (c.weight_exp + loihi.threshold_shift)
        if worst > limit / 4:
            notes.append(f"{c.src}->{c.dst} ({c.sign_mode.name}): all sources spiking in one step "
                         f"would bring {worst:.3g} to u ({worst / limit:.2f} of its 24-bit range, "
                         f"which wraps around)")
    return FixedPlan(neurons, connections, dict(plan.inputs), dict(plan.outputs), plan.dt, loihi,
                     plan, notes)


def build_fixed(fixed: FixedPlan, *, period_steps: int = 0, reset_between: bool = False
                ) -> ImportedNetwork:
    """Lava Processes of a quantised network: lava-nc ``Dense`` (weights, ``weight_exp``,
    ``num_weight_bits``, ``sign_mode``) and lava-wta ``PerNeuronLIF`` (integer ``du``, ``dv``,
    ``vth``, ``v_reset``). Run with ``WTASimCfg(select_tag="fixed_pt")``."""
    from lava.proc.dense.process import Dense

    from lava_wta.processes.lif import PerNeuronLIF

    net = ImportedNetwork(dt=fixed.dt, params=fixed.float_plan.neurons)
    for name, fn in fixed.neurons.items():
        net.neurons[name] = PerNeuronLIF(
            shape=(fn.vth.size,), du=fn.du, dv=fn.dv, vth=fn.vth, v_reset=fn.v_reset,
            period_steps=period_steps, reset_between=bool(reset_between and period_steps),
            name=name)
    for c in fixed.connections:
        dense = Dense(weights=c.weights, weight_exp=c.weight_exp,
                      num_weight_bits=fixed.loihi.weight_bits, sign_mode=c.sign_mode,
                      name=f"{c.src}->{c.dst}:{c.sign_mode.name.lower()}")
        net.connections[(c.src, c.dst, c.sign_mode.name)] = dense
        wire(net, c.src, dense, c.dst)
    return finish(net, fixed.float_plan)
