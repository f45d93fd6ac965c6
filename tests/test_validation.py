"""A battery of bad command lines and bad files: each must end in one ``lava-wta: error:``
line and a non-zero exit code (no traceback, nothing silently accepted), and must leave a
good run folder byte for byte as it was.

Each row of :data:`BATTERY` is ``(argv, expected exit code, text the error must contain,
files)``: ``argv`` may name ``{t}`` (a fresh folder) and ``{run}`` (a fresh copy of a
trained run); ``files`` maps paths (same placeholders) to the bytes written there before
the command (``None`` deletes). The commands run in-process through
:func:`lava_wta.cli.main`.
"""
import contextlib
import gzip
import io
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from lava_wta.cli import main
from lava_wta.errors import EXIT_BUG

CFG, DATA, RUN, USE, OS = 2, 3, 4, 2, 6   # exit codes (lava_wta.errors)

TRAIN = ["train", "--dataset", "digits", "--neurons", "6", "--train-images", "4", "--label-images", "4",
         "--test-images", "4", "--presentation-ms", "10", "--no-progress", "--out", "{t}/out"]
EVAL = ["evaluate", "{run}", "--dataset", "digits", "--label-images", "4", "--test-images", "4",
        "--no-progress"]


def _flag(args, flag, value):
    """TRAIN with ``flag`` set to ``value`` (replaced when present, else appended)."""
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
        return args
    return args + [flag, value]


def _idx(dims, payload=None, magic=None):
    payload = bytes(int(np.prod(dims))) if payload is None else payload
    head = magic if magic is not None else bytes([0, 0, 8, len(dims)])
    return head + b"".join(struct.pack(">I", d) for d in dims) + payload


def _idx_set(train_n=4, test_n=4, side=8, labels=None, **override):
    files = {
        "{t}/d/train-images-idx3-ubyte": _idx([train_n, side, side]),
        "{t}/d/train-labels-idx1-ubyte": _idx([train_n], bytes(labels or [1] * train_n)),
        "{t}/d/t10k-images-idx3-ubyte": _idx([test_n, side, side]),
        "{t}/d/t10k-labels-idx1-ubyte": _idx([test_n], bytes([1] * test_n)),
    }
    files.update({f"{{t}}/d/{k}": v for k, v in override.items()})
    return files


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npy(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


DATA_TRAIN = ["train", "--dataset", "mnist", "--data-dir", "{t}/d", "--neurons", "6", "--train-images", "2",
              "--label-images", "1", "--test-images", "1", "--presentation-ms", "10", "--no-progress",
              "--out", "{t}/out"]

BATTERY = []
# ---- counts: negative, zero, not integers, too many (argparse refuses or the pipeline states the limit)
for flag in ("--train-images", "--label-images", "--test-images", "--checkpoint-every", "--neurons"):
    for value in ("-5", "0", "-1", "abc", "1.5", "", "1e3"):
        BATTERY.append((_flag(TRAIN, flag, value), USE, "expected an integer", {}))
BATTERY += [
    (_flag(TRAIN, "--train-images", "1298"), CFG, "n_train (--train-images): expected an integer in 1..1297", {}),
    (_flag(TRAIN, "--train-images", "99999999999999999999"), CFG, "1..1297", {}),
    (_flag(TRAIN, "--test-images", "501"), CFG, "n_test (--test-images): expected an integer in 1..500", {}),
    (_flag(TRAIN, "--label-images", "1294"), CFG, "labelling needs images 4..1297", {}),
    (_flag(_flag(TRAIN, "--label-images", "1298"), "--label-from", "train"), CFG, "labelling needs", {}),
    (_flag(TRAIN, "--neurons", "1000000000"), CFG, "GiB", {}),
    (_flag(TRAIN, "--neurons", str(2 ** 40)), CFG, "GiB", {}),
    (_flag(TRAIN, "--neurons", str(2 ** 70)), CFG, "64-bit integer", {}),
]
# ---- configuration values given as flags
BATTERY += [
    (_flag(TRAIN, "--target-norm", v), CFG, "scaling.target_norm", {}) for v in ("nan", "inf", "-1", "0", "1e308", "9")
] + [
    (_flag(_flag(TRAIN, "--scaling", "l1"), "--target-norm", "65"), CFG, "expected <= 64", {}),
    (_flag(_flag(TRAIN, "--scaling", "max"), "--target-norm", "1.5"), CFG, "expected <= 1", {}),
    (_flag(TRAIN, "--presentation-ms", "0"), CFG, "time.presentation_ms", {}),
    (_flag(TRAIN, "--presentation-ms", "-10"), CFG, "time.presentation_ms", {}),
    (_flag(TRAIN, "--presentation-ms", "10.3"), CFG, "multiple of time.dt_ms", {}),
    (_flag(TRAIN, "--presentation-ms", "nan"), CFG, "time.presentation_ms", {}),
    (_flag(TRAIN, "--presentation-ms", "x"), USE, "invalid float", {}),
    (_flag(TRAIN, "--theta-plus", "-1"), CFG, "exc.theta_plus_mv", {}),
    (_flag(TRAIN, "--theta-plus", "inf"), CFG, "exc.theta_plus_mv", {}),
    (_flag(TRAIN, "--seed", "-1"), CFG, "seed", {}),
    (_flag(TRAIN, "--seed", str(2 ** 70)), CFG, "seed", {}),
    (_flag(TRAIN, "--seed", "1.5"), USE, "invalid int", {}),
    (_flag(TRAIN, "--scaling", "l7"), CFG, "scaling.mode", {}),
    (_flag(TRAIN, "--stdp-rule", "hebb"), CFG, "stdp.rule", {}),
    (_flag(TRAIN, "--dataset", "cifar"), USE, "invalid choice", {}),
    (_flag(TRAIN, "--backend", "gpu"), USE, "invalid choice", {}),
    (_flag(TRAIN, "--label-from", "test"), USE, "invalid choice", {}),
    (TRAIN + ["--bogus"], USE, "unrecognized arguments", {}),
    (["frobnicate"], USE, "invalid choice", {}),
    ([], USE, "required", {}),
]
# ---- configuration values given with --set
SETS = [
    ("exc.tau_m_ms=-3", "exc.tau_m_ms"), ("exc.tau_m_ms=0", "exc.tau_m_ms"), ("time.dt_ms=0", "time.dt_ms"),
    ("time.dt_ms=.nan", "time.dt_ms"), ("time.dt_ms=.inf", "time.dt_ms"), ("time.dt_ms=abc", "time.dt_ms"),
    ("time.dt_ms=[1]", "time.dt_ms"), ("time.dt_ms={a: 1}", "time.dt_ms"), ("time.dt_ms=", "time.dt_ms"),
    ("time.dt_ms=true", "time.dt_ms"), ("network.n_neurons=2.5", "network.n_neurons"),
    ("network.n_neurons=-4", "network.n_neurons"), ("network.n_neurons=1e30", "network.n_neurons"),
    ("network.n_inputs=784", "network.n_inputs"), ("network.n_inputs=0", "network.n_inputs"),
    ("network.w_ie=-1", "network.w_ie"), ("network.neuron_model=spiking", "network.neuron_model"),
    ("time.between_images=pause", "time.between_images"), ("time.rest_ms=-1", "time.rest_ms"),
    ("time.eval_presentation_ms=10.3", "time.eval_presentation_ms"),
    ("input.max_retries=100000", "input.max_retries"), ("input.min_spikes=-1", "input.min_spikes"),
    ("input.pixel_rate_hz=-0.1", "input.pixel_rate_hz"), ("input.pixel_rate_hz=100", "input.max_retries"),
    ("stdp.w_max=0", "stdp.w_max"), ("stdp.nu_pre=-1", "stdp.nu_pre"), ("stdp.tau_pre_ms=0", "stdp.tau_pre_ms"),
    ("scaling.interval_images=0", "scaling.interval_images"), ("scaling.scale_initial=maybe", "scaling.scale_initial"),
    ("scaling.target_norm=1e308", "scaling.target_norm"), ("scaling.target_norm=1.0e+308", "scaling.target_norm"),
    ("cuba_exc.tau_m_ms=0", "cuba_exc.tau_m_ms"), ("loihi.weight_bits=0", "loihi.weight_bits"),
    ("loihi.weight_exp_min=9", "loihi.weight_exp_min"), ("seed=-3", "seed"), ("seed=abc", "seed"),
    ("exc.nonexistent=1", "exc.nonexistent"), ("nosection.x=1", "nosection"), ("network=3", "network"),
    ("exc.tau_m_ms.deeper=1", "exc.tau_m_ms.deeper"), ("no_equals_sign", "FIELD=VALUE"),
    ("exc.tau_m_ms=!!python/object/apply:os.system ['true']", "--set exc.tau_m_ms"),
    ("exc.tau_m_ms=[unclosed", "not valid YAML"),
]
BATTERY += [(TRAIN + ["--set", s], CFG, text, {}) for s, text in SETS]
BATTERY += [
    (TRAIN + ["--set", "seed=1", "--set", "seed=2"], CFG, "given twice", {}),
    (["config", "--set", "exc.tau_m_ms=-3"], CFG, "exc.tau_m_ms", {}),
    (["config", "--neurons", "0"], USE, "expected an integer", {}),
]
# ---- configuration files
CONFIG_FILES = [
    ("c.yaml", b"network:\n  n_neurons: 3\n  n_neurons: 4\n", "appears twice"),
    ("c.yaml", b"seed: 1\nseed: 2\n", "appears twice"),
    ("c.yaml", b"a: &x {b: 1}\n<<: *x\nb: 2\nb: 3\n", "appears twice"),
    ("c.json", b'{"seed": 1, "seed": 2}', "appears twice"),
    ("c.json", b'{"network": {"n_neurons": 3, "n_neurons": 4}}', "appears twice"),
    ("c.json", b'{"network": {"w_ie": NaN}}', "NaN is not a JSON number"),
    ("c.json", b'{"network": {"w_ie": Infinity}}', "Infinity is not a JSON number"),
    ("c.json", b"[1, 2]", "expected a mapping"),
    ("c.json", b'"text"', "expected a mapping"),
    ("c.json", b"{", "not valid JSON"),
    ("c.json", b"\xff\xfe\x00garbage", "not UTF-8"),
    ("c.yaml", b"[1, 2]", "expected a mapping"),
    ("c.yaml", b"just text", "expected a mapping"),
    ("c.yaml", b"network: [", "not valid YAML"),
    ("c.yaml", b"!!python/object:os.system {}", "not valid YAML"),
    ("c.yaml", b"network: 3", "network: expected a mapping"),
    ("c.yaml", b"bogus: {}", "unknown field"),
    ("c.yaml", b"network: {bogus: 1}", "unknown field"),
    ("c.yaml", b"network: {n_neurons: true}", "network.n_neurons"),
    ("c.yaml", b"network: {n_neurons: '6'}", "network.n_neurons"),
    ("c.yaml", b"network: {n_inputs: 64, n_neurons: 6}\ntime: {dt_ms: .nan}", "time.dt_ms"),
    ("c.yaml", b"{}", "network.n_inputs"),        # defaults: 784 inputs, digits have 64
    ("c.yaml", b"? [1, 2]\n: 3\n", "mapping key must be a scalar"),
]
for name, content, text in CONFIG_FILES:
    BATTERY.append((TRAIN + ["--config", "{t}/" + name], CFG, text, {"{t}/" + name: content}))
BATTERY += [
    (TRAIN + ["--config", "{t}/missing.yaml"], CFG, "cannot read", {}),
    (TRAIN + ["--config", "{t}"], CFG, "cannot read", {}),
    (["config", "--config", "{t}/c.yaml"], CFG, "appears twice", {"{t}/c.yaml": b"seed: 1\nseed: 1\n"}),
]
# ---- data folders (IDX)
DATA_CASES = [
    ({}, "no complete set of IDX files"),
    ({"{t}/d/x": b""}, "no complete set of IDX files"),
    (_idx_set(**{"train-images-idx3-ubyte": b""}), "too short for an IDX header"),
    (_idx_set(**{"train-images-idx3-ubyte": b"\x00\x00\x08"}), "too short"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 8, 8])[:-3]}), "truncated"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 8, 8]) + b"x"}), "trailing data"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 8, 8], magic=b"\x00\x00\x0d\x03")}), "not an IDX file"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 8, 8], magic=b"\x01\x00\x08\x03")}), "not an IDX file"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 64])}), "expected 3 dimension(s)"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([2 ** 31, 2 ** 31, 2 ** 31], b"")}), "header announces"),
    (_idx_set(**{"train-images-idx3-ubyte": _idx([4, 8], b"")[:10]}), "expected 3 dimension(s)"),
    (_idx_set(**{"train-labels-idx1-ubyte": _idx([3], bytes([1, 1, 1]))}), "holds 4 images but"),
    (_idx_set(labels=[1, 2, 3, 200]), "label 200 outside 0..9"),
    (_idx_set(**{"t10k-images-idx3-ubyte": _idx([4, 4, 4])}), "train images have 64 pixels, test images 16"),
    ({**{k: None for k in _idx_set()}, **{k + ".gz": b"not gzip" for k in _idx_set()}}, "corrupt or truncated gzip"),
    ({**{k: None for k in _idx_set()}, **{k + ".gz": gzip.compress(v)[:-6] for k, v in _idx_set().items()}},
     "cannot read"),
]
for files, text in DATA_CASES:
    BATTERY.append((DATA_TRAIN, DATA, text, files))
BATTERY += [
    (_flag(DATA_TRAIN, "--data-dir", "{t}/nowhere"), DATA, "no complete set", {}),
    (_flag(DATA_TRAIN, "--train-images", "5"), CFG, "n_train (--train-images): expected an integer in 1..4",
     _idx_set()),
    (_flag(DATA_TRAIN, "--test-images", "5"), CFG, "1..4", _idx_set()),
]
# ---- the data cache of MNIST (LAVA_WTA_CACHE={t}/cache)
MNIST = ["train", "--dataset", "mnist", "--train-images", "2", "--label-images", "1", "--test-images", "1",
         "--no-progress", "--out", "{t}/out"]
GARBAGE = b"garbage, not an npz"
CACHE_CASES = [
    ({"{t}/cache/mnist.npz": GARBAGE, "{t}/cache/mnist.npz.sha256": b""}, "does not match the digest"),
    ({"{t}/cache/mnist.npz": GARBAGE, "{t}/cache/mnist.npz.sha256": b"\n\n"}, "does not match the digest"),
    ({"{t}/cache/mnist.npz": GARBAGE, "{t}/cache/mnist.npz.sha256": b"00  mnist.npz\n"}, "does not match"),
    ({"{t}/cache/mnist.npz": GARBAGE}, "does not match the digest"),
    ({"{t}/cache/mnist.npz": GARBAGE, "{t}/cache/mnist.npz.sha256": b"\xff\xfe"}, "does not match"),
    ({"{t}/cache/mnist.npz": GARBAGE, "{t}/cache/mnist.npz.sha256": "SHA(GARBAGE)"}, "unreadable cache"),
    ({"{t}/cache/mnist.npz": "NPZ_SMALL", "{t}/cache/mnist.npz.sha256": "SHA(NPZ_SMALL)"}, "MNIST arrays have shapes"),
]
for files, text in CACHE_CASES:
    BATTERY.append((MNIST, DATA, text, {**files, "env:LAVA_WTA_CACHE": "{t}/cache"}))
# ---- run folders: evaluate
RUN_DAMAGE = [
    ({"{run}/state.npz": b""}, RUN, "damaged or changed"),
    ({"{run}/metrics.json": b"[1, 2]"}, RUN, "metrics.json: damaged or changed"),   # verified before it is read
    ({"{run}/metrics.json": b"{}"}, RUN, "damaged or changed"),
    ({"{run}/config.json": b"{}"}, RUN, "changed since training in fields the trained state depends on"),
    ({"{run}/config.json": b"{"}, RUN, "not valid JSON"),
    ({"{run}/manifest.json": b"[]"}, RUN, "expected a JSON object"),
    ({"{run}/manifest.json": b"{"}, RUN, "not valid JSON"),
    ({"{run}/manifest.json": b'{"files": 3}'}, RUN, "expected {\"files\""),
    ({"{run}/manifest.json": b'{"files": {"state.npz": ["0"]}}'}, RUN, "damaged or changed"),
    ({"{run}/config.json": None}, RUN, "listed in"),
]
# the same damage with no manifest (a folder written by hand or by an older lava-wta)
NO_MANIFEST = {"{run}/manifest.json": None}
RUN_DAMAGE += [
    ({**NO_MANIFEST, "{run}/state.npz": b""}, RUN, "cannot load state"),
    ({**NO_MANIFEST, "{run}/state.npz": b"PK\x03\x04truncated"}, RUN, "cannot load state"),
    ({**NO_MANIFEST, "{run}/state.npz": "TRUNCATED_STATE"}, RUN, "cannot load state"),
    ({**NO_MANIFEST, "{run}/state.npz": _npy(np.zeros((6, 64)))}, RUN, "single .npy array"),
    ({**NO_MANIFEST, "{run}/state.npz": _npz(weights=np.zeros((6, 64)))}, RUN, "missing array(s) ['theta']"),
    ({**NO_MANIFEST, "{run}/state.npz": _npz(weights=np.zeros((5, 64)), theta=np.zeros(5))}, RUN, "weights have shape"),
    ({**NO_MANIFEST, "{run}/state.npz": _npz(weights=np.full((6, 64), np.nan), theta=np.zeros(6))}, RUN, "finite"),
    ({**NO_MANIFEST, "{run}/state.npz": _npz(weights=np.array(["a"] * 6), theta=np.zeros(6))}, RUN, "weights"),
    ({**NO_MANIFEST, "{run}/state.npz": None}, RUN, "expected a state file"),
    ({**NO_MANIFEST, "{run}/metrics.json": b"[1, 2]"}, RUN, "expected a JSON object"),
    ({**NO_MANIFEST, "{run}/metrics.json": b"{"}, RUN, "not valid JSON"),
    ({**NO_MANIFEST, "{run}/metrics.json": b'{"accuracy": NaN}'}, RUN, "NaN is not a JSON number"),
    ({**NO_MANIFEST, "{run}/metrics.json": b'{"n_train": 1, "n_train": 2}'}, RUN, "appears twice"),
    ({**NO_MANIFEST, "{run}/metrics.json": b'{"n_train": -3}'}, RUN, "n_train: expected an integer >= 0"),
    ({**NO_MANIFEST, "{run}/metrics.json": b'{"n_train": "x"}'}, RUN, "n_train: expected an integer >= 0"),
    ({**NO_MANIFEST, "{run}/metrics.json": b"\xff\xfe"}, RUN, "not UTF-8"),
    ({**NO_MANIFEST, "{run}/metrics.json": None}, RUN, "held-out images are unknown"),
    ({**NO_MANIFEST, "{run}/config.json": b"{"}, RUN, "not valid JSON"),
    ({**NO_MANIFEST, "{run}/config.json": b"[]"}, RUN, "expected a mapping"),
    ({**NO_MANIFEST, "{run}/config.json": None}, RUN, "expected the run's configuration"),
    ({**NO_MANIFEST, "{run}/config.json": b'{"network": {"n_neurons": 7, "n_inputs": 64}}'}, RUN,
     "weights have shape"),
]
for files, code, text in RUN_DAMAGE:
    BATTERY.append((EVAL, code, text, files))
# evaluate without --dataset reads the dataset from metrics.json
BATTERY.append((["evaluate", "{run}", "--no-progress"], RUN, "dataset: expected one of",
                {**NO_MANIFEST, "{run}/metrics.json": b'{"dataset": "cifar", "n_train": 4}'}))
BATTERY += [
    (_flag(EVAL, "--label-images", "0"), USE, "expected an integer >= 1", {}),
    (_flag(EVAL, "--test-images", "0"), USE, "expected an integer >= 1", {}),
    (_flag(EVAL, "--test-images", "-3"), USE, "expected an integer >= 1", {}),
    (_flag(EVAL, "--test-images", "501"), CFG, "1..500", {}),
    (_flag(EVAL, "--label-images", "1294"), CFG, "labelling needs", {}),
    (EVAL + ["--name", "../escape"], CFG, "plain folder name", {}),
    (EVAL + ["--name", ".."], CFG, "plain folder name", {}),
    (["evaluate", "{t}/no-run", "--no-progress"], RUN, "expected a run folder, found nothing", {}),
    (["evaluate", "{t}/file", "--no-progress"], RUN, "expected a run folder, found a file", {"{t}/file": b"x"}),
    (EVAL + ["--dataset", "mnist", "--data-dir", "{t}/nowhere"], DATA, "no complete set", {}),
    (EVAL, RUN, "in use by pid", {"lock:{run}": b""}),
]
# ---- run folders: train into an existing folder, or a path that is no folder
BATTERY += [
    (_flag(TRAIN, "--out", "{run}") + ["--seed", "1"], RUN, "seed: 0 -> 1", {}),
    (_flag(TRAIN, "--out", "{run}") + ["--set", "stdp.nu_post=0.02"], RUN, "stdp.nu_post", {}),
    (_flag(TRAIN, "--out", "{run}"), RUN, "in use by pid", {"lock:{run}": b""}),
    (_flag(TRAIN, "--out", "{run}"), RUN, "damaged or changed", {"{run}/train.json": b"{}"}),
    (_flag(TRAIN, "--out", "{t}/f"), RUN, "expected a folder, found a file", {"{t}/f": b"x"}),
    (_flag(TRAIN, "--out", "{t}/f/sub"), RUN, "is a file", {"{t}/f": b"x"}),
    (_flag(TRAIN, "--out", "/dev/null"), RUN, "expected a folder", {}),
    (_flag(TRAIN, "--out", "/proc/version/x"), RUN, "is a file", {}),
    (TRAIN, RUN, "expected {t}/out/checkpoint.json beside it", {"{t}/out/checkpoint.npz": GARBAGE}),
    (TRAIN + ["--seed", "3"], RUN, "seed: 0 -> 3", {"{t}/out/checkpoint.npz": GARBAGE,
                                                   "{t}/out/checkpoint.json": "CKPT_CONFIG"}),
    (TRAIN, RUN, "cannot read the checkpoint", {"{t}/out/checkpoint.npz": GARBAGE,
                                                "{t}/out/checkpoint.json": "CKPT_CONFIG"}),
    (TRAIN, RUN, "expected a JSON object", {"{t}/out/checkpoint.npz": GARBAGE,
                                           "{t}/out/checkpoint.json": b"[]"}),
    (TRAIN, RUN, "checkpoint.json: expected a mapping at the top level",
     {"{t}/out/checkpoint.npz": GARBAGE, "{t}/out/checkpoint.json": b"{}"}),
]
# ---- other commands
SPEC_OK = b"name: s\nout: {t}/sw\ndataset: digits\nn_train: 4\nn_label: 4\nn_test: 4\n"
BATTERY += [
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "cannot read", {}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "appears twice", {"{t}/s.yaml": SPEC_OK + b"n_test: 5\n"}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "not valid YAML", {"{t}/s.yaml": b"name: ["}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "not UTF-8", {"{t}/s.yaml": b"\xff\xfe"}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "grid.seed", {"{t}/s.yaml": SPEC_OK + b"grid: {seed: []}\n"}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "n_train",
     {"{t}/s.yaml": SPEC_OK.replace(b"n_train: 4", b"n_train: -1")}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "n_test", {"{t}/s.yaml": SPEC_OK.replace(b"n_test: 4", b"n_test: 0")}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "dataset", {"{t}/s.yaml": SPEC_OK.replace(b"digits", b"cifar")}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "unknown field", {"{t}/s.yaml": SPEC_OK + b"colour: red\n"}),
    (["sweep", "{t}/s.yaml", "--dry-run"], CFG, "scaling.target_norm",
     {"{t}/s.yaml": SPEC_OK + b"base: {scaling.target_norm: .nan}\n"}),
    (["sweep", "{t}/s.yaml", "--workers", "0", "--dry-run"], CFG, "--workers", {"{t}/s.yaml": SPEC_OK}),
    (["results", "{t}/nothing"], USE, "no such sweep folder", {}),
    (["--plugin", "no_such_rules_module", "config"], CFG, "plugin 'no_such_rules_module'", {}),
    (["config", "--plugin"], CFG, "--plugin: expected a module name", {}),
    (["--plugin", "{t}/p.py", "config"], CFG, "plugin", {"{t}/p.py": b"raise RuntimeError('boom')\n"}),
    (["export", "{run}", "--nir", "{t}"], USE, "reversal potentials", {}),
    (["export", "{t}/no-run", "--nir", "{t}/g.nir"], None, "", {}),
    # the deployment commands verify the run's files against its manifest, as evaluate does
    (["export", "{run}", "--nir", "{t}/g.nir"], RUN, "metrics.json: damaged or changed",
     {"{run}/metrics.json": b'{"n_train": 4}'}),
    (["nir-roundtrip", "{run}", "--test-images", "2"], RUN, "metrics.json: damaged or changed",
     {"{run}/metrics.json": b'{"n_train": 4}'}),
    (["loihi-report", "{run}", "--test-images", "2"], RUN, "metrics.json: damaged or changed",
     {"{run}/metrics.json": b'{"n_train": 4}'}),
    (["loihi-report", "{run}", "--test-images", "2"], RUN, "state.npz: damaged or changed",
     {"{run}/state.npz": _npz(weights=np.zeros((6, 64)), theta=np.zeros(6))}),
    (["export", "{t}/cuba", "--nir", "{t}"], OS, "{t}", {"{t}/cuba/config.json": "CUBA_CONFIG",
                                                        "{t}/cuba/state.npz": "CUBA_STATE"}),
]


def _sub(value, t, run):
    return value.replace("{t}", str(t)).replace("{run}", str(run))


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "run"
    assert main(["train", "--dataset", "digits", "--neurons", "6", "--train-images", "4",
                 "--label-images", "4", "--test-images", "4", "--presentation-ms", "10",
                 "--no-progress", "--out", str(out)]) == 0
    return out


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _special(content, t):
    """Placeholders for contents that need a computed value."""
    import hashlib

    from lava_wta import WTAConfig

    if content == "SHA(GARBAGE)":
        return hashlib.sha256(GARBAGE).hexdigest().encode()
    if content == "NPZ_SMALL":
        return _npz(train_images=np.zeros((2, 4), np.uint8), train_labels=np.zeros(2), test_images=np.zeros((1, 4)),
                    test_labels=np.zeros(1))
    if content == "SHA(NPZ_SMALL)":
        return hashlib.sha256(_special("NPZ_SMALL", t)).hexdigest().encode()
    if content == "CUBA_CONFIG":
        cfg = WTAConfig().with_overrides({"network.n_inputs": 64, "network.n_neurons": 6,
                                          "network.neuron_model": "current"})
        return json.dumps(cfg.to_dict()).encode()
    if content == "CUBA_STATE":
        return _npz(weights=np.full((6, 64), 0.1), theta=np.full(6, 20.0), assignments=np.arange(6))
    if content == "CKPT_CONFIG":
        cfg = WTAConfig().with_overrides({"network.n_inputs": 64, "network.n_neurons": 6,
                                          "time.presentation_ms": 10.0})
        return json.dumps({"config": cfg.to_dict()}).encode()
    return content


def run_case(argv, files, tmp_path, good_run, monkeypatch):
    t = tmp_path / "t"
    t.mkdir()
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    locks = []
    for key, content in files.items():
        if key.startswith("env:"):
            monkeypatch.setenv(key[4:], _sub(content, t, run))
            continue
        if key.startswith("lock:"):
            from lava_wta.runfolder import RunFolderLock

            locks.append(RunFolderLock(_sub(key[5:], t, run)).acquire())
            continue
        path = Path(_sub(key, t, run))
        if content is None:
            path.unlink(missing_ok=True)
            continue
        if key.endswith("state.npz") and content == "TRUNCATED_STATE":
            content = (good_run / "state.npz").read_bytes()[:200]
        content = _special(content, t)
        if isinstance(content, bytes):
            content = content.replace(b"{t}", str(t).encode())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = _snapshot(run)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main([_sub(a, t, run) for a in argv])
        except SystemExit as exc:
            rc = exc.code
    for lock in locks:
        lock.release()
    return rc, err.getvalue(), before, _snapshot(run), t


@pytest.mark.parametrize("argv,code,text,files", BATTERY, ids=[f"{i}" for i in range(len(BATTERY))])
def test_bad_input_is_refused_with_one_clear_line(argv, code, text, files, tmp_path, good_run, monkeypatch):
    rc, err, before, after, t = run_case(argv, files, tmp_path, good_run, monkeypatch)
    assert "Traceback" not in err and rc != EXIT_BUG, err
    assert rc not in (0, None), f"silently accepted: {argv}"
    if code is not None:
        assert rc == code, err
    assert _sub(text, t, tmp_path / "run") in err, err
    assert after == before, "the command changed the run folder"


def test_the_battery_is_large():
    assert len(BATTERY) >= 150


def test_input_errors_raised_below_the_command_line_are_typed(tmp_path):
    """Bad input that reaches the library (not only the command line) raises the typed
    error of its class, which names the field or file."""
    from lava_wta.data import load_dataset
    from lava_wta.errors import ConfigError, RunFolderError
    from lava_wta.experiments.sweep import run_sweep
    from lava_wta.nir.report import eval_images
    from lava_wta.presentation import Checkpoint

    with pytest.raises(ConfigError, match="retries: expected >= 0, got -1"):
        run_sweep(None, retries=-1)
    with pytest.raises(ConfigError, match="workers: expected >= 1, got 0"):
        run_sweep(None, n_workers=0)
    digits = load_dataset("digits")
    with pytest.raises(RunFolderError, match="metrics.json: expected the run's metrics"):
        eval_images(digits, {}, n_label=2, n_test=2)
    with pytest.raises(ConfigError, match=r"n_test \(--test-images\).*got 501"):
        eval_images(digits, {"n_train": 4}, n_label=2, n_test=501)
    ckpt = Checkpoint(tmp_path / "c.npz")
    ckpt.save(weights=np.zeros((2, 3)), theta=np.zeros(2), image_index=1, retry=0, presentations=1,
              counts=np.zeros((4, 2), np.int64), retries=0, capped=0, steps=10, seconds=0.1,
              images_sha256="a" * 64)
    with pytest.raises(RunFolderError, match="c.npz: checkpoint of a pass over other images"):
        ckpt.resume("b" * 64, (2, 3))
