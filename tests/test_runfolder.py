"""Run-folder integrity: lock, atomic writes, manifest, bound checkpoints, transactional
evaluation, strict JSON, and the error policy's exit codes."""
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from lava_wta import WTAConfig, pipeline
from lava_wta.data import load_dataset
from lava_wta.errors import EXIT_BUG, EXIT_OS, BackendError, ConfigError, DataError, RunFolderError, report
from lava_wta.runfolder import Manifest, RunFolderLock, dumps_json, load_yaml, loads_json, write_atomic

BASE = {"network.n_inputs": 64, "network.n_neurons": 6, "time.presentation_ms": 10.0,
        "input.pixel_rate_hz": 1.0}
KW = dict(n_train=6, n_label=4, n_test=4, progress=False)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_a_second_process_is_refused_at_once_naming_the_holder(tmp_path):
    """A child process holds the lock; this one is refused with the child's pid, and gets
    the lock once the child has exited (no stale lock)."""
    code = ("import sys\nfrom lava_wta.runfolder import RunFolderLock\n"
            f"lock = RunFolderLock({str(tmp_path)!r}).acquire()\n"
            "print('locked', flush=True)\nsys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderError, match=f"in use by pid {child.pid} on host"):
            RunFolderLock(tmp_path).acquire()
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    with RunFolderLock(tmp_path):
        with pytest.raises(RunFolderError, match="in use by pid"):      # same process, second holder
            RunFolderLock(tmp_path).acquire()


def test_two_runs_into_one_folder_the_second_is_refused_and_changes_nothing(tmp_path, digits):
    cfg = WTAConfig().with_overrides(BASE)
    out = tmp_path / "run"
    pipeline.run_experiment(cfg, digits, out_dir=out, **KW)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"}
    with RunFolderLock(out):
        with pytest.raises(RunFolderError, match="in use by pid"):
            pipeline.run_experiment(cfg, digits, out_dir=out, **KW)
        with pytest.raises(RunFolderError, match="in use by pid"):
            pipeline.evaluate_run(out, digits, n_label=4, n_test=4, progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"} == before


def test_write_atomic_uses_unique_temporary_names_and_leaves_none(tmp_path, monkeypatch):
    import tempfile

    names = []
    real = tempfile.mkstemp

    def spy(*args, **kw):
        fd, name = real(*args, **kw)
        names.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    write_atomic(tmp_path / "a.json", "1")
    write_atomic(tmp_path / "a.json", "2")
    assert len(set(names)) == 2 and (tmp_path / "a.json").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_figures_are_written_atomically(tmp_path, monkeypatch):
    """A figure whose rendering fails leaves the old file in place and no temporary file."""
    from lava_wta import plots

    path = tmp_path / "theta.png"
    plots.plot_theta(np.array([1.0, 2.0]), path, 1.0)
    old = path.read_bytes()
    assert old.startswith(b"\x89PNG")

    def broken(self, *args, **kw):
        raise OSError(28, "No space left on device")

    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(OSError):
        plots.plot_theta(np.array([1.0, 3.0]), path, 1.0)
    assert path.read_bytes() == old and sorted(p.name for p in tmp_path.iterdir()) == ["theta.png"]


def test_manifest_accepts_an_interrupted_replacement_and_detects_damage(tmp_path):
    m = Manifest(tmp_path)
    m.write("x.bin", b"old")
    # interrupted between recording the new digest and renaming: the old file is still valid
    m.files["x.bin"] = m.files["x.bin"] + ["f" * 64]
    m._save()
    Manifest(tmp_path).verify("x.bin")
    (tmp_path / "x.bin").write_bytes(b"tampered")
    with pytest.raises(RunFolderError, match="damaged or changed"):
        Manifest(tmp_path).verify("x.bin")
    m.forget("x.bin")
    assert not (tmp_path / "x.bin").exists() and "x.bin" not in Manifest(tmp_path).files


@pytest.mark.parametrize("how", ["write", "begin"])
def test_a_first_write_killed_before_its_rename_leaves_a_usable_folder(tmp_path, monkeypatch, how):
    """A file written for the first time, its writer killed after the manifest names it
    but before the file is in place: the folder still verifies, the file counts as not
    written, and the temporary file goes at the next start."""
    from lava_wta.runfolder import remove_stale_temporaries
    from lava_wta.runfolder import write_atomic as real_write_atomic

    class Killed(BaseException):
        pass

    def killed_before_rename(path, data):
        if path.name != "state.npz":
            return real_write_atomic(path, data)
        # the temporary file is complete, the rename never happens
        (path.parent / f".{path.name}.x1y2.tmp").write_bytes(data if isinstance(data, bytes) else data.encode())
        raise Killed

    m = Manifest(tmp_path)
    if how == "write":
        monkeypatch.setattr("lava_wta.runfolder.write_atomic", killed_before_rename)
        with pytest.raises(Killed):
            m.write("state.npz", b"new")
    else:
        m.begin("checkpoint.npz")                     # the writer is killed before it writes
    name = "state.npz" if how == "write" else "checkpoint.npz"
    again = Manifest(tmp_path)
    assert again.files[name][0] == "absent"
    again.verify_all()
    assert not (tmp_path / name).exists()
    assert remove_stale_temporaries(tmp_path) == ([".state.npz.x1y2.tmp"] if how == "write" else [])
    monkeypatch.setattr("lava_wta.runfolder.write_atomic", real_write_atomic)
    again.write(name, b"done")
    assert Manifest(tmp_path).files[name] == [__import__("hashlib").sha256(b"done").hexdigest()]
    Manifest(tmp_path).verify(name)


def test_strict_json_and_yaml():
    with pytest.raises(ConfigError, match="appears twice"):
        loads_json('{"a": 1, "a": 1}')
    with pytest.raises(ConfigError, match="NaN is not a JSON number"):
        loads_json('{"a": NaN}')
    with pytest.raises(ValueError, match=r"b\[1\] = nan is not finite"):
        dumps_json({"b": [1.0, float("nan")]})
    with pytest.raises(ConfigError, match="line 3: key 'a' appears twice"):
        load_yaml("a: 1\nb: 2\na: 3\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml("!!python/object/apply:os.system ['true']")
    assert load_yaml("a: {b: 1}\nc: [1, 2]\n") == {"a": {"b": 1}, "c": [1, 2]}


def test_a_run_folder_holds_strict_json_and_a_verified_manifest(tmp_path, digits):
    out = tmp_path / "run"
    pipeline.run_experiment(WTAConfig().with_overrides(BASE), digits, out_dir=out, **KW)
    for name in ("metrics.json", "train.json", "config.json", "manifest.json"):
        loads_json((out / name).read_text())                    # no NaN or Infinity anywhere
    manifest = Manifest(out)
    assert {"config.json", "state.npz", "train.json", "metrics.json", "label_counts.npz"} <= set(manifest.files)
    manifest.verify_all()
    assert not list(out.glob("*.tmp*")) and not list(out.glob(".*.tmp"))


def test_a_checkpoint_resumes_and_a_foreign_one_is_refused_naming_the_fields(tmp_path, digits, monkeypatch):
    cfg = WTAConfig().with_overrides(BASE)
    out = tmp_path / "run"
    real_save = pipeline._RunCheckpoint.save
    calls = []

    def save_then_die(self, **kw):
        real_save(self, **kw)
        calls.append(kw["image_index"])
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline._RunCheckpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_experiment(cfg, digits, out_dir=out, checkpoint_every=2, **KW)
    monkeypatch.setattr(pipeline._RunCheckpoint, "save", real_save)
    assert calls == [2] and (out / "checkpoint.npz").is_file() and (out / "checkpoint.json").is_file()
    Manifest(out).verify("checkpoint.npz")

    # the checkpoint moved into another folder whose config says seed 1: refused, seed named
    other = tmp_path / "other"
    other.mkdir()
    for name in ("checkpoint.npz", "checkpoint.json"):
        (other / name).write_bytes((out / name).read_bytes())
    with pytest.raises(RunFolderError, match=r"another training configuration.*seed: 0 -> 1"):
        pipeline.run_experiment(cfg.replace(seed=1), digits, out_dir=other, checkpoint_every=2, **KW)
    assert not (other / "config.json").exists()

    # a damaged checkpoint is named, not resumed
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "checkpoint.json").write_bytes((out / "checkpoint.json").read_bytes())
    (damaged / "checkpoint.npz").write_bytes((out / "checkpoint.npz").read_bytes()[:100])
    with pytest.raises(RunFolderError, match="cannot read the checkpoint"):
        pipeline.run_experiment(cfg, digits, out_dir=damaged, checkpoint_every=2, **KW)

    metrics = pipeline.run_experiment(cfg, digits, out_dir=out, checkpoint_every=2, **KW)
    assert metrics["train"]["resumed_from_image"] == 2
    assert not (out / "checkpoint.npz").exists() and not (out / "checkpoint.json").exists()
    fresh = pipeline.run_experiment(cfg, digits, out_dir=tmp_path / "fresh", checkpoint_every=2, **KW)
    np.testing.assert_array_equal(np.load(out / "state.npz")["weights"],
                                  np.load(tmp_path / "fresh" / "state.npz")["weights"])
    assert metrics["accuracy"] == fresh["accuracy"]


def test_evaluate_is_transactional_and_leaves_the_run_unchanged(tmp_path, digits, monkeypatch):
    out = tmp_path / "run"
    pipeline.run_experiment(WTAConfig().with_overrides(BASE), digits, out_dir=out, **KW)

    def files():
        return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"}

    before = files()
    with pytest.raises(ConfigError, match="labelling"):
        pipeline.evaluate(WTAConfig().with_overrides(BASE), pipeline.WTAState.load(out / "state.npz"),
                          digits.train_images[:0], digits.train_labels[:0], digits.test_images[:3],
                          digits.test_labels[:3], progress=False)
    with pytest.raises(ConfigError, match="n_label"):
        pipeline.evaluate_run(out, digits, n_label=0, n_test=4, progress=False)
    with pytest.raises(ConfigError, match="n_test"):
        pipeline.evaluate_run(out, digits, n_label=4, n_test=0, progress=False)

    from lava_wta import plots

    def crash(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_confusion", crash)        # fails halfway through writing
    with pytest.raises(KeyboardInterrupt):
        pipeline.evaluate_run(out, digits, n_label=3, n_test=5, progress=False, replace=True)
    with pytest.raises(KeyboardInterrupt):
        pipeline.evaluate_run(out, digits, n_label=3, n_test=5, progress=False)
    monkeypatch.undo()
    # replace=True failed before it wrote anything into the run; the default never does
    after = {k: v for k, v in files().items() if k.parts[0] != "evaluations"}
    assert after == before

    metrics = pipeline.evaluate_run(out, digits, n_label=3, n_test=5, progress=False, name="e1")
    assert files().items() >= before.items()
    assert metrics["n_label"] == 3 and metrics["n_test"] == 5
    saved = json.loads((out / "evaluations" / "e1" / "metrics.json").read_text())
    assert saved["accuracy"] == metrics["accuracy"] and saved["n_train"] == 6
    Manifest(out / "evaluations" / "e1").verify_all()

    replaced = pipeline.evaluate_run(out, digits, n_label=3, n_test=5, progress=False, replace=True)
    assert json.loads((out / "metrics.json").read_text())["n_test"] == 5
    assert replaced["train"] == json.loads((out / "train.json").read_text())["train"]
    Manifest(out).verify_all()


@pytest.mark.parametrize("exc,code,text", [
    (ConfigError("seed: expected >= 0, got -1"), 2, "lava-wta: error: seed: expected"),
    (DataError("f: truncated"), 3, "lava-wta: error: f: truncated"),
    (RunFolderError("run: in use"), 4, "lava-wta: error: run: in use"),
    (BackendError("models: no"), 5, "lava-wta: error: models: no"),
    (IsADirectoryError(21, "Is a directory", "/tmp/x"), EXIT_OS, "lava-wta: error: /tmp/x: Is a directory"),
    (FileNotFoundError(2, "No such file", "/nope"), 2, "lava-wta: error: /nope: not found"),
    (MemoryError(), 7, "out of memory"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (ZeroDivisionError("x"), EXIT_BUG, "is a bug in lava-wta"),
])
def test_each_error_class_has_its_exit_code_and_one_line(exc, code, text):
    stream = io.StringIO()
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001
        assert report(caught, stream=stream) == code
    out = stream.getvalue()
    assert text in out
    assert ("Traceback" in out) == (code == EXIT_BUG)
    if code != EXIT_BUG:
        assert out.count("\n") == 1


def test_evaluation_fields_of_a_copied_run_may_be_edited_training_fields_may_not(tmp_path, digits):
    """The README's re-test of a copy with a longer evaluation presentation keeps working;
    an edit of a field training depends on is named."""
    import shutil

    out = tmp_path / "run"
    pipeline.run_experiment(WTAConfig().with_overrides(BASE), digits, out_dir=out, **KW)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    cfg = json.loads((copy / "config.json").read_text())
    cfg["time"]["eval_presentation_ms"] = 20.0
    (copy / "config.json").write_text(json.dumps(cfg))
    metrics = pipeline.evaluate_run(copy, digits, n_label=4, n_test=4, progress=False)
    assert metrics["evaluate"]["steps"] == 40 * metrics["evaluate"]["presentations"]   # 20 ms of 0.5 ms
    cfg["stdp"]["nu_post"] = 0.5
    (copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(RunFolderError, match=r"changed since training.*stdp\.nu_post: 0\.01 -> 0\.5"):
        pipeline.evaluate_run(copy, digits, n_label=4, n_test=4, progress=False)
