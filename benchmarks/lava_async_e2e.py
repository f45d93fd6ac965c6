"""The paper's experiment end to end in the engine and in ``lava-async``, on the same work, in one run.

    .venv/bin/python benchmarks/lava_async_e2e.py            # 40,000 / 10,000 / 10,000 images
    .venv/bin/python benchmarks/lava_async_e2e.py --quick    # 2,000 / 500 / 500

MNIST, 400 neurons (the configuration's defaults). Each backend runs in a fresh process of
this virtual environment: :func:`lava_wta.pipeline.train` on the first ``--train`` training
images (with a checkpoint every ``--checkpoint-every`` images, as ``lava-wta run`` does),
then :func:`lava_wta.pipeline.evaluate`: neuron labels from the next ``--label`` training
images, accuracy on the first ``--test`` test images. Before it times, each process runs the
same steps on a few images (numba's disk cache or compilation, data loading); Lava's start-up
of every timed pass is timed. Both processes must end with the same weights and θ and
the same spike counts of every labelling and test image (bit for bit), else the script
fails. Then times one transfer of the trained state out of the lava-async model, through
its ``state_out`` port (as checkpoints and the end of a pass do) and through ``Var.get``.
Prints the seconds of each part for each backend and, on its last line, the ratio
of wall times (training + labelling + testing) lava-async / engine as ``N.NNx``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import WRITE_PAGE_HELP, recording  # noqa: E402

_CHILD = r"""
import hashlib, json, sys, tempfile, time
from pathlib import Path
import numpy as np
from lava_wta import WTAConfig
from lava_wta.data import label_split, load_dataset
from lava_wta.pipeline import evaluate, train
from lava_wta.presentation import Checkpoint
from lava_wta.state import WTAState

backend = sys.argv[1]
n_train, n_label, n_test, every, n_warm = (int(a) for a in sys.argv[2:7])
data = load_dataset("mnist")
config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels})

def digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()

def once(n_tr, n_lab, n_te, folder):
    label_x, label_y = label_split(data, n_tr, n_lab, "heldout")
    t0 = time.perf_counter()
    trained = train(config, data.train_images[:n_tr], data.train_labels[:n_tr], progress=False,
                    checkpoint=Checkpoint(Path(folder) / "checkpoint.npz", every_images=every),
                    backend=backend)
    t1 = time.perf_counter()
    ev = evaluate(config, trained.state, label_x, label_y, data.test_images[:n_te],
                  data.test_labels[:n_te], progress=False, backend=backend)
    t2 = time.perf_counter()
    return {"train_s": t1 - t0, "evaluate_s": t2 - t1, "accuracy": ev.accuracy,
            "train_retries": trained.pass_.retries, "eval_retries": ev.pass_.retries,
            "state_sha256": digest(trained.state.weights, trained.state.theta),
            "counts_sha256": digest(trained.pass_.counts, ev.label_counts, ev.test_counts)}

with tempfile.TemporaryDirectory() as tmp:
    once(n_warm, n_warm, n_warm, tmp)                      # warm-up, not timed
with tempfile.TemporaryDirectory() as tmp:
    print(json.dumps(once(n_train, n_label, n_test, tmp)))
"""


_TRANSFER = r"""
import json, statistics, time
import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.models.fused_async import load_kernel
from lava_wta.processes import WTANetwork
from lava_wta.processes.network import unpack_results, unpack_state
from lava_wta.run_config import WTASimCfg
from lava_wta.state import WTAState

data = load_dataset("mnist")
config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels})
state = WTAState.initial(config)
n, n_in = config.network.n_neurons, config.network.n_inputs
load_kernel(config)
net = WTANetwork(config=config, images=data.train_images[:10], weights=state.weights,
                 theta=state.theta, learning=True, input_seed=1, buffer_images=10)
for port in (net.results_out, net.state_out, net.control_in):
    port.flag_external_pipe(buffer_size=1)
net.create_runtime(run_cfg=WTASimCfg(models={WTANetwork: "fused-async"}))

def one_run(state_from):
    t0 = time.perf_counter()
    net.control_in.external_pipe_csp_send_port.send(np.array([state_from]))
    net.run(condition=RunSteps(num_steps=1))
    unpack_results(net.results_out.external_pipe_csp_recv_port.recv(), n)
    if state_from == 0:
        unpack_state(net.state_out.external_pipe_csp_recv_port.recv(), n, n_in)
    return time.perf_counter() - t0

try:
    never = np.iinfo(np.int64).max
    one_run(never), one_run(0)
    with_state = statistics.median(one_run(0) for _ in range(7))
    without = statistics.median(one_run(never) for _ in range(7))
    t0 = time.perf_counter()
    net.weights.get(), net.theta.get()
    var_get = time.perf_counter() - t0
finally:
    net.stop()
print(json.dumps({"with_state_s": with_state, "without_s": without, "var_get_s": var_get}))
"""


def _transfer() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _TRANSFER], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the state-transfer measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run(backend: str, args) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _CHILD, backend, str(args.train), str(args.label),
                          str(args.test), str(args.checkpoint_every), str(args.warmup)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{backend}: the benchmark process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2,000 / 500 / 500 images")
    p.add_argument("--train", type=int, default=None, help="training images (default 40,000)")
    p.add_argument("--label", type=int, default=None, help="labelling images (default 10,000)")
    p.add_argument("--test", type=int, default=None, help="test images (default 10,000)")
    p.add_argument("--checkpoint-every", type=int, default=5000,
                   help="images between training checkpoints (both backends' default)")
    p.add_argument("--no-transfer", action="store_true",
                   help="skip timing one state transfer through the port and through Var.get")
    p.add_argument("--warmup", type=int, default=20, help="images of the untimed warm-up pass")
    p.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = p.parse_args(argv)
    with recording(__file__, argv, args.write_page):
        return _measure(args)


def _measure(args) -> int:
    sizes = (2000, 500, 500) if args.quick else (40000, 10000, 10000)
    args.train = sizes[0] if args.train is None else args.train
    args.label = sizes[1] if args.label is None else args.label
    args.test = sizes[2] if args.test is None else args.test

    print(f"MNIST, 400 neurons: train {args.train:,} images (checkpoint every "
          f"{args.checkpoint_every:,}), label {args.label:,}, test {args.test:,}; "
          f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    res = {}
    for backend in ("engine", "lava-async"):
        r = res[backend] = _run(backend, args)
        print(f"{backend:11s} train {r['train_s']:8.2f} s   label+test {r['evaluate_s']:7.2f} s   "
              f"total {r['train_s'] + r['evaluate_s']:8.2f} s   accuracy {100 * r['accuracy']:.2f} %   "
              f"retries {r['train_retries']} / {r['eval_retries']}", flush=True)
    eng, lav = res["engine"], res["lava-async"]
    for key, what in (("state_sha256", "trained weights and theta"),
                      ("counts_sha256", "spike counts of every training, labelling and test image")):
        if eng[key] != lav[key]:
            raise SystemExit(f"the backends disagree on the {what}")
    print("check: same trained weights and theta, same spike counts of every image (bit for bit)")
    if not args.no_transfer:
        tr = _transfer()
        print(f"state transfer (400 x 784 weights, theta, scaling bookkeeping) from the lava-async "
              f"model: through state_out {1e3 * (tr['with_state_s'] - tr['without_s']):.1f} ms "
              f"(a one-step run with it {1e3 * tr['with_state_s']:.1f} ms, without "
              f"{1e3 * tr['without_s']:.1f} ms; medians of 7); weights and theta through "
              f"Var.get {tr['var_get_s']:.1f} s")
    t_eng, t_lav = eng["train_s"] + eng["evaluate_s"], lav["train_s"] + lav["evaluate_s"]
    print(f"parts lava-async / engine: training {lav['train_s'] / eng['train_s']:.2f}x, "
          f"labelling + testing {lav['evaluate_s'] / eng['evaluate_s']:.2f}x")
    print(f"wall time lava-async / engine (train + label + test): {t_lav / t_eng:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
