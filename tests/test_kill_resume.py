"""A training run killed with SIGKILL and started again with the same command ends with the
run folder of an uninterrupted run: the same weights, θ and neuron labels (bit for bit),
the same metrics and training record (timings and the command line aside), the same
files, each verified by the manifest; on every backend that learns.

Each run is a real ``lava-wta train`` process. A small wrapper counts the moments where
a kill matters most (a checkpoint about to be taken: the images since the last one are
lost; a finished temporary file about to be renamed into place: ``checkpoint.npz`` in the
middle of a checkpoint, ``state.npz`` / ``train.json`` at the end of training) and sends
its own process SIGKILL at the one a seeded random generator picked; a second kill, on
the Lava backends, comes after a seeded delay, wherever the run then is.
"""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lava_wta.runfolder import Manifest, loads_json

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="SIGKILL and prctl(PR_SET_PDEATHSIG) semantics are Linux's")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["train", "--dataset", "digits", "--neurons", "20", "--train-images", "30",
        "--label-images", "10", "--test-images", "10", "--checkpoint-every", "4", "--seed", "3",
        "--no-progress"]

WRAPPER = r'''
import os, signal, sys
from lava_wta import cli, pipeline

main_pid = os.getpid()
log = open(os.environ["KR_EVENTS"], "a")
target, _, nth = os.environ.get("KR_KILL", "").rpartition(":")
seen = {}


def event(name):
    if os.getpid() != main_pid:
        return
    log.write(name + "\n")
    log.flush()
    n = seen.get(name, 0)
    seen[name] = n + 1
    if name == target and n == int(nth):
        os.kill(main_pid, signal.SIGKILL)


real_replace = os.replace


def replace(src, dst, *args, **kwargs):
    event("replace:" + os.path.basename(os.fspath(dst)))
    return real_replace(src, dst, *args, **kwargs)


real_save = pipeline._RunCheckpoint.save


def save(self, **kwargs):
    event("checkpoint")
    return real_save(self, **kwargs)


os.replace = replace
pipeline._RunCheckpoint.save = save
sys.exit(cli.main(sys.argv[1:]))
'''

VOLATILE = {"seconds", "compile_seconds", "ms_per_step", "finished", "command", "resumed_from_image",
            "train_reused"}
"""Fields that describe a process, not the result: wall times, the command line (it names
the folder), the image the last process resumed from, and whether the training had
already finished in an earlier process (a kill during labelling or testing)."""


def _stable(data):
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def _start(tmp_path, backend, out, events, kill=""):
    wrapper = tmp_path / "kill_wrapper.py"
    wrapper.write_text(WRAPPER)
    env = dict(os.environ, KR_EVENTS=str(events), KR_KILL=kill,
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    err = open(tmp_path / f"{out.name}.stderr", "ab")
    return subprocess.Popen([sys.executable, str(wrapper), *ARGS, "--backend", backend, "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def _finish(proc, tmp_path, out, timeout=240.0):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"{out.name}: still running after {timeout} s: "
                    f"{(tmp_path / f'{out.name}.stderr').read_text()[-2000:]}")


def _arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _folder(out):
    Manifest(out).verify_all()
    files = sorted(p.name for p in out.iterdir())
    return {
        "files": files,
        "state": _arrays(out / "state.npz"),
        "label_counts": _arrays(out / "label_counts.npz"),
        "metrics": _stable(loads_json((out / "metrics.json").read_text())),
        "train": _stable(loads_json((out / "train.json").read_text())),
    }


def _plan(backend, events):
    """The kill moments of ``backend``: (what, event label, which occurrence) for the
    first process, chosen by a seeded generator among the events of the uninterrupted
    run, and a delay (seconds after the start) for the process that resumes, or None."""
    rng = random.Random(f"kill-resume-{backend}")
    n_ckpt = events.count("checkpoint")
    n_write = events.count("replace:checkpoint.npz")
    assert n_ckpt >= 3 and n_write >= 2, f"too few checkpoints to aim at: {events}"
    choices = {
        "engine": [("before the first checkpoint", "checkpoint", 0),
                   ("during a checkpoint write", "replace:checkpoint.npz", rng.randrange(n_write))],
        "lava-fused": [("between checkpoints", "checkpoint", rng.randrange(1, n_ckpt)),
                       ("at the end of training", "replace:state.npz", 0)],
        "lava-async": [("during a checkpoint write", "replace:checkpoint.npz", rng.randrange(n_write))],
        "lava": [("between checkpoints", "checkpoint", rng.randrange(1, n_ckpt)),
                 ("after the state, before the training record", "replace:train.json", 0)],
    }[backend]
    first = rng.choice(choices)
    delay = rng.uniform(0.2, 0.8) if backend.startswith("lava") else None
    return first, delay


@pytest.mark.parametrize("backend", ["engine", "lava-fused", "lava-async", "lava"])
def test_a_killed_training_resumes_to_the_uninterrupted_run_bit_for_bit(tmp_path, backend):
    ref_out, out = tmp_path / "uninterrupted", tmp_path / "killed"
    ref_events = tmp_path / "uninterrupted.events"
    t0 = time.monotonic()
    assert _finish(_start(tmp_path, backend, ref_out, ref_events), tmp_path, ref_out) == 0, \
        (tmp_path / "uninterrupted.stderr").read_text()[-2000:]
    ref_seconds = time.monotonic() - t0
    events = ref_events.read_text().split()
    (what, label, nth), delay = _plan(backend, events)

    # first kill: at the chosen event
    first = _finish(_start(tmp_path, backend, out, tmp_path / "killed.events", f"{label}:{nth}"),
                    tmp_path, out)
    assert first == -signal.SIGKILL, f"the kill {what} ({label} #{nth}) did not happen: rc {first}"
    assert not (out / "metrics.json").exists()
    # second kill (Lava backends): after a seeded delay, wherever the resumed run then is
    if delay is not None:
        proc = _start(tmp_path, backend, out, tmp_path / "killed.events")
        try:
            proc.wait(timeout=delay * ref_seconds)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        _finish(proc, tmp_path, out)
    # the same command again completes the run
    assert _finish(_start(tmp_path, backend, out, tmp_path / "killed.events"), tmp_path, out) == 0, \
        (tmp_path / "killed.stderr").read_text()[-2000:]

    want, got = _folder(ref_out), _folder(out)
    assert got["files"] == want["files"]          # no checkpoint, no temporary file left
    for group in ("state", "label_counts"):
        assert sorted(got[group]) == sorted(want[group])
        for name in want[group]:
            np.testing.assert_array_equal(got[group][name], want[group][name], err_msg=f"{group}.{name}")
            assert got[group][name].dtype == want[group][name].dtype
    assert got["train"] == want["train"]
    assert got["metrics"] == want["metrics"]
