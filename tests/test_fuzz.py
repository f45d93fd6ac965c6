"""Property-based fuzzing of the input boundaries: every input gives a valid result or a
typed error (:mod:`lava_wta.errors`), never another exception.

Examples are bounded and derandomised (the same inputs on every run)."""
import gzip
import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava_wta.config import WTAConfig
from lava_wta.data.idx import read_idx
from lava_wta.errors import ConfigError, DataError, UserError
from lava_wta.experiments.spec import SweepSpec

FUZZ = settings(derandomize=True, max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ---------------------------------------------------------------------- IDX files


def _idx(dims, payload: bytes, dtype: int = 0x08) -> bytes:
    return bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


@st.composite
def idx_blobs(draw):
    """A well-formed IDX file, then maybe damaged: header bytes flipped, truncated,
    extended, or dimensions changed."""
    ndim = draw(st.integers(1, 3))
    dims = [draw(st.integers(0, 4)) for _ in range(ndim)]
    blob = bytearray(_idx(dims, bytes(draw(st.binary(min_size=int(np.prod(dims)),
                                                       max_size=int(np.prod(dims)))))))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "cut", "extend", "dim"]))
        if kind == "flip" and blob:
            i = draw(st.integers(0, len(blob) - 1))
            blob[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del blob[draw(st.integers(0, len(blob))):]
        elif kind == "extend":
            blob += draw(st.binary(max_size=8))
        elif kind == "dim" and len(blob) >= 8:
            blob[4:8] = struct.pack(">I", draw(st.sampled_from([0, 1, 2 ** 31, 2 ** 32 - 1])))
    return bytes(blob), ndim


@FUZZ
@given(case=idx_blobs(), gz=st.booleans(), expect_ndim=st.integers(1, 3))
def test_read_idx_gives_an_array_or_a_data_error(tmp_path_factory, case, gz, expect_ndim):
    blob, _ = case
    path = tmp_path_factory.mktemp("idx") / ("f.gz" if gz else "f")
    path.write_bytes(gzip.compress(blob) if gz else blob)
    try:
        arr = read_idx(path, expect_ndim=expect_ndim)
    except DataError:
        return
    assert arr.ndim == expect_ndim and arr.dtype == np.uint8
    assert arr.size == len(blob) - 4 - 4 * expect_ndim


@FUZZ
@given(blob=st.binary(max_size=64))
def test_read_idx_of_random_bytes(tmp_path_factory, blob):
    for name in ("r", "r.gz"):
        path = tmp_path_factory.mktemp("idx") / name
        path.write_bytes(blob)
        try:
            read_idx(path, expect_ndim=1)
        except DataError:
            pass


# ---------------------------------------------------------------------- configurations
_FIELDS = {name: [f for f in section().__dataclass_fields__] for name, section in
           ((n, type(getattr(WTAConfig(), n))) for n in WTAConfig().to_dict() if n != "seed")}
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.integers(-3, 1000),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e4, 1e4),
    st.text(max_size=8), st.sampled_from(["l1", "l2", "max", "none", "rest", "reset", "current",
                                          "conductance", "additive"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=6)


@st.composite
def config_dicts(draw):
    out = {}
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.sampled_from(sorted(_FIELDS) + ["bogus"]))
        if section == "bogus" or draw(st.integers(0, 9)) == 0:
            out[draw(st.one_of(st.text(max_size=6), st.integers(0, 3)))] = draw(values)
            continue
        fields = out.setdefault(section, {})
        for _ in range(draw(st.integers(1, 3))):
            key = draw(st.sampled_from(_FIELDS[section] + ["nope"]))
            fields[key] = draw(values)
    if draw(st.booleans()):
        out["seed"] = draw(scalars)
    return out


@FUZZ
@given(data=st.one_of(config_dicts(), values))
def test_config_from_dict_gives_a_config_or_a_config_error(data):
    try:
        cfg = WTAConfig.from_dict(data)
    except ConfigError:
        return
    cfg.validate()
    assert WTAConfig.from_dict(cfg.to_dict()) == cfg
    try:
        cfg.check_trainable()
    except ConfigError:
        pass


@FUZZ
@given(text=st.one_of(st.text(max_size=80),
                      st.sampled_from(["a: 1\na: 2\n", "network:\n  n_neurons: 3\n  n_neurons: 4\n",
                                       "!!python/object:os.system {}", "[1, 2]", "seed: .nan",
                                       "{network: {n_neurons: 1e999}}", "&a [*a]", "? [1]\n: 2\n"])),
       suffix=st.sampled_from([".yaml", ".json"]))
def test_config_load_of_any_text_gives_a_config_or_a_config_error(tmp_path_factory, text, suffix):
    path = tmp_path_factory.mktemp("cfg") / f"c{suffix}"
    path.write_text(text)
    try:
        WTAConfig.load(path)
    except ConfigError:
        pass


# ---------------------------------------------------------------------- sweep specifications
spec_values = st.one_of(scalars, st.lists(scalars, max_size=3))
spec_keys = st.sampled_from(["dataset", "n_train", "n_label", "n_test", "backend", "label_from",
                             "checkpoint_every", "seed", "scaling.mode", "scaling.target_norm",
                             "network.n_neurons", "time.presentation_ms", "bogus.key", "imports"])


@st.composite
def spec_dicts(draw):
    spec = {"name": draw(st.one_of(st.just("s"), scalars)), "out": draw(st.one_of(st.just("o"), scalars))}
    settings_ = {"dataset": "digits", "n_train": 4, "n_label": 4, "n_test": 4}
    where = draw(st.sampled_from(["top", "base", "none"]))
    if where == "top":
        spec.update(settings_)
    elif where == "base":
        spec["base"] = dict(settings_)
    for part in draw(st.lists(st.sampled_from(["base", "grid", "runs", "top", "bad"]), max_size=3)):
        key, value = draw(spec_keys), draw(spec_values)
        if part in ("base", "grid") and not isinstance(spec.get(part, {}), dict):
            continue
        if part == "runs" and not isinstance(spec.get(part, []), list):
            continue
        if part == "base":
            spec.setdefault("base", {})[key] = value
        elif part == "grid":
            spec.setdefault("grid", {})[key] = draw(st.one_of(st.lists(scalars, max_size=3), scalars))
        elif part == "runs":
            spec.setdefault("runs", []).append(draw(st.one_of(st.dictionaries(spec_keys, spec_values,
                                                                              max_size=2), scalars)))
        elif part == "top":
            spec[key] = value
        else:
            spec[draw(st.sampled_from(["base", "grid", "runs", "data_dir", "imports"]))] = value
    return spec


@FUZZ
@given(data=st.one_of(spec_dicts(), values))
def test_sweep_spec_gives_runs_or_a_typed_error(data):
    try:
        runs = SweepSpec.from_dict(data).expand()
    except UserError:
        return
    for run in runs:
        assert run.n_train >= 0 and run.n_label >= 1 and run.n_test >= 1
        run.config()
