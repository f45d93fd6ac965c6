"""Run the runs of a sweep on Dask, resumably.

By default :func:`run_sweep` starts a ``distributed.LocalCluster`` sized to the machine:
one worker process per core, one thread per worker, and ``NUMBA_NUM_THREADS=1`` (and the
BLAS/OpenMP equivalents) in the workers' environment, so that concurrent runs do not
oversubscribe the cores. With ``scheduler="tcp://host:8786"`` (``lava-wta sweep SPEC
--scheduler ADDRESS``) it uses an existing cluster instead, for example one started by
dask-jobqueue on a SLURM machine::

    from dask_jobqueue import SLURMCluster          # pip install dask-jobqueue
    cluster = SLURMCluster(
        cores=1, processes=1, memory="4GiB", walltime="24:00:00",
        job_script_prologue=["source /path/to/lava-wta/.venv/bin/activate",
                             "export NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1"])
    cluster.scale(jobs=24)                          # 24 single-core workers
    print(cluster.scheduler_address)                # -> lava-wta sweep SPEC --scheduler ...
    # or, from Python: run_sweep(spec, client=cluster.get_client())

Workers must see the sweep's ``out`` folder at the same path (a shared file system) and
have lava-wta installed; the client resolves ``out`` to an absolute path before
submitting. Every task also calls ``numba.set_num_threads(1)`` (unless
``LAVA_WTA_RUN_THREADS`` says otherwise), so runs stay single-threaded on any cluster.

Resumability
------------
* A run whose folder holds a complete ``metrics.json`` (parsable JSON with an
  ``accuracy``, as :func:`lava_wta.pipeline.run_experiment` writes it last) is not
  submitted again when the sweep is started again (nor run, should it reach a worker).
* A run is a single Dask task writing only its own folder. A worker that dies (killed,
  out of memory, node lost) loses only the run it was executing: the scheduler reschedules
  that task on another worker (up to Dask's ``distributed.scheduler.allowed-failures``
  times, default 3), and ``run_experiment`` resumes training from the folder's
  ``checkpoint.npz`` (taken every 5,000 images by the engine), so only the images since
  the last checkpoint are presented again. In ``reset`` mode a resumed run gives exactly
  the weights of an uninterrupted one. (A kill during labelling/testing, after the
  checkpoint is removed, repeats the training.)
* A run that raises is recorded as failed (``sweep_run.json`` in its folder: the error
  and the traceback) and the sweep goes on. Errors of the run's inputs (``ValueError``,
  which includes configuration and data errors) are deterministic and are not retried;
  other exceptions (``OSError``, ``MemoryError``, ...) are retried ``retries`` times by
  Dask before the run is recorded as failed. Starting the sweep again retries failed
  runs.

Each run folder holds what ``lava-wta train`` writes (``config.json``, ``state.npz``,
``metrics.json``, figures) plus ``sweep_run.json`` (the run's parameters, status, attempts,
host, error). The sweep folder holds ``sweep.json`` (the specification and the run ids).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
import time
import traceback
import typing as ty
from dataclasses import dataclass, field, replace
from pathlib import Path

from lava_wta.errors import ConfigError
from lava_wta.experiments.spec import RunSpec, SweepSpec

WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}
"""Environment of the workers of the default LocalCluster: one thread per run."""

RUN_RECORD = "sweep_run.json"
SWEEP_RECORD = "sweep.json"


# ---------------------------------------------------------------------- run folder state
def read_json(path: Path) -> ty.Optional[dict]:
    """The JSON object in ``path``, or None if it is missing, unreadable or not an object."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def metrics_complete(folder: ty.Union[str, Path], passes: ty.Optional[int] = None) -> bool:
    """True if ``folder/metrics.json`` is a finished run's (parses, has accuracy and n_train)
    and, when ``passes`` is given, of that many training passes (a run asked for more
    passes than its folder has made is continued, see :func:`lava_wta.pipeline.run_experiment`)."""
    m = read_json(Path(folder) / "metrics.json")
    if not (bool(m) and isinstance(m.get("accuracy"), (int, float)) and "n_train" in m):
        return False
    return passes is None or len(m.get("epochs") or [m]) == passes


def run_passes(run: RunSpec) -> ty.Optional[int]:
    """The training passes a run of a sweep asks for, when its parameters say."""
    return run.params.get("training.epochs")


def run_status(folder: ty.Union[str, Path], passes: ty.Optional[int] = None) -> str:
    """``done``, ``failed`` (last attempt raised), ``partial`` (a checkpoint or an attempt
    that did not finish: it will resume) or ``pending`` (``passes``: see
    :func:`metrics_complete`)."""
    folder = Path(folder)
    if metrics_complete(folder, passes):
        return "done"
    if metrics_complete(folder):           # finished with fewer passes: it will be continued
        return "partial"
    record = read_json(folder / RUN_RECORD) or {}
    if record.get("status") == "failed":
        return "failed"
    if (folder / "checkpoint.npz").is_file() or record.get("status") == "running":
        return "partial"
    return "pending"


def _write_record(folder: Path, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RUN_RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")
    os.replace(tmp, folder / RUN_RECORD)


# ---------------------------------------------------------------------- the task (in a worker)
_DATA_LOCK = threading.Lock()
_DATA_CACHE: dict = {}


def _dataset(name: str, data_dir: ty.Optional[str]):
    """Load a dataset once per worker process."""
    with _DATA_LOCK:
        key = (name, data_dir)
        if key not in _DATA_CACHE:
            from lava_wta.data import load_dataset

            _DATA_CACHE[key] = load_dataset(name, data_dir, log=lambda msg: print(msg, file=sys.stderr))
        return _DATA_CACHE[key]


def _pipeline():
    """Import :mod:`lava_wta.pipeline` in a worker process.

    lava-nc sets multiprocessing's start method to 'fork' on import and fails if one is
    already fixed; a Dask worker process is started with 'spawn', which fixes it. The
    worker's own processes are started by the nanny through explicit contexts, so the
    default may be cleared here for lava-nc to set."""
    import multiprocessing

    if ("lava.magma.runtime.message_infrastructure.multiprocessing" not in sys.modules
            and multiprocessing.get_start_method(allow_none=True) is not None):
        multiprocessing.set_start_method(None, force=True)
    from lava_wta import pipeline

    return pipeline


def _limit_threads() -> None:
    try:
        import numba

        numba.set_num_threads(min(numba.config.NUMBA_NUM_THREADS,
                                  max(1, int(os.environ.get("LAVA_WTA_RUN_THREADS", "1")))))
    except (ImportError, ValueError):
        pass


def execute_run(run_dict: dict, sweep: ty.Optional[dict] = None) -> dict:
    """Run one run of a sweep in this process; the body of every Dask task.

    Returns ``{"run_id", "status": "done"|"skipped"|"failed", ...}``; raises only for
    errors worth retrying (see the module docstring), after recording them.
    """
    run = RunSpec.from_dict(run_dict)
    folder = Path(run.folder)
    if metrics_complete(folder, run_passes(run)):
        return {"run_id": run.run_id, "status": "skipped", "folder": str(folder)}
    previous = read_json(folder / RUN_RECORD) or {}
    record = {"run_id": run.run_id, "sweep": sweep or {}, "params": run.params, "swept": list(run.swept),
              "status": "running", "attempts": int(previous.get("attempts", 0)) + 1,
              "host": socket.gethostname(), "pid": os.getpid(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "command": run.command(),
              "resumes_checkpoint": (folder / "checkpoint.npz").is_file(),
              "previous_status": previous.get("status")}
    _write_record(folder, record)
    t0 = time.perf_counter()
    try:
        _limit_threads()
        pipeline = _pipeline()
        metrics = pipeline.run_experiment(
            run.config(), _dataset(run.dataset, run.data_dir), n_train=run.n_train, n_label=run.n_label,
            n_test=run.n_test, out_dir=folder, label_from=run.label_from, backend=run.backend,
            progress=False, checkpoint_every=run.checkpoint_every, command=run.command())
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then classified
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                      seconds=time.perf_counter() - t0, finished=time.strftime("%Y-%m-%dT%H:%M:%S"))
        _write_record(folder, record)
        if isinstance(exc, ValueError):          # the run's inputs: would fail again
            return {"run_id": run.run_id, "status": "failed", "folder": str(folder), "error": record["error"]}
        raise
    record.update(status="done", accuracy=metrics["accuracy"], seconds=time.perf_counter() - t0,
                  finished=time.strftime("%Y-%m-%dT%H:%M:%S"))
    record.pop("error", None)
    _write_record(folder, record)
    return {"run_id": run.run_id, "status": "done", "folder": str(folder), "accuracy": metrics["accuracy"],
            "train_seconds": metrics["train"]["seconds"], "seconds": record["seconds"]}


# ---------------------------------------------------------------------- the sweep (client side)
@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    runs: ty.List[RunSpec]
    skipped: ty.List[str] = field(default_factory=list)
    """Run ids already done before this call (not submitted)."""
    outcomes: ty.Dict[str, dict] = field(default_factory=dict)
    """Run id -> the task's outcome (status done / skipped / failed, error, accuracy)."""

    @property
    def failed(self) -> ty.List[str]:
        return [k for k, v in self.outcomes.items() if v.get("status") == "failed"]

    @property
    def done(self) -> ty.List[str]:
        return [k for k, v in self.outcomes.items() if v.get("status") == "done"]


def plan(spec: SweepSpec) -> ty.List[ty.Tuple[RunSpec, str]]:
    """Every run of ``spec`` (folders made absolute) with its current status."""
    out = Path(spec.out).resolve()
    runs = [replace(r, folder=out / r.run_id) for r in spec.expand()]
    return [(r, run_status(r.folder, run_passes(r))) for r in runs]


def default_workers() -> int:
    """Cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def local_cluster(n_workers: ty.Optional[int] = None, **kwargs):
    """The default cluster: ``n_workers`` single-threaded worker processes (default: one
    per core), ``WORKER_ENV`` in their environment, no dashboard."""
    from distributed import LocalCluster

    kwargs.setdefault("dashboard_address", None)
    return LocalCluster(n_workers=n_workers or default_workers(), threads_per_worker=1, processes=True,
                        env=dict(WORKER_ENV), **kwargs)


def run_sweep(spec: SweepSpec, *, client=None, scheduler: ty.Optional[str] = None,
              n_workers: ty.Optional[int] = None, retries: int = 2, dry_run: bool = False,
              log: ty.Callable[[str], None] = print,
              task: ty.Optional[ty.Callable[[dict, dict], dict]] = None) -> SweepReport:
    """Run every run of ``spec`` that is not done yet; return what happened.

    ``client``: a ``distributed.Client`` to use; else ``scheduler``: the address of a
    running scheduler; else a :func:`local_cluster` of ``n_workers`` workers (started here,
    closed at the end). ``retries``: Dask retries of a run that raised an error other than
    a ``ValueError`` (see the module docstring). ``dry_run``: print the plan, run nothing.
    ``task``: the function each Dask task calls with ``(run_dict, sweep_meta)``, by default
    :func:`execute_run` (a wrapper of it can instrument runs, e.g. in tests).
    """
    if retries < 0:
        raise ConfigError(f"retries: expected >= 0, got {retries}")
    if n_workers is not None and n_workers < 1:
        raise ConfigError(f"workers: expected >= 1, got {n_workers}")
    planned = plan(spec)
    runs = [r for r, _ in planned]
    report = SweepReport(runs=runs, skipped=[r.run_id for r, s in planned if s == "done"])
    todo = [(r, s) for r, s in planned if s != "done"]
    log(f"sweep {spec.name}: {len(runs)} runs in {Path(spec.out).resolve()}: "
        f"{len(report.skipped)} done (skipped), {len(todo)} to run"
        + (f" ({sum(s == 'partial' for _, s in todo)} resume, {sum(s == 'failed' for _, s in todo)} "
           f"failed before)" if todo else ""))
    if dry_run:
        for r, s in planned:
            log(f"  {'skip' if s == 'done' else 'run ':4s} {s:8s} {r.run_id}")
        return report
    if not todo:
        return report
    out = Path(spec.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    sweep_meta = {"name": spec.name, "spec": spec.source, "out": str(out)}
    tmp = out / (SWEEP_RECORD + ".tmp")
    tmp.write_text(json.dumps({**sweep_meta, "specification": spec.to_dict(),
                               "runs": [r.run_id for r in runs],
                               "started": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2, default=str) + "\n")
    os.replace(tmp, out / SWEEP_RECORD)

    cluster = own_client = None
    try:
        if client is None:
            from distributed import Client

            if scheduler:
                client = own_client = Client(scheduler)
            else:
                cluster = local_cluster(min(n_workers or default_workers(), len(todo)))
                client = own_client = Client(cluster)
        _submit_and_wait(client, todo, sweep_meta, retries, report, log, task or execute_run)
    finally:
        # every result is already in the run folders: a slow teardown (a loaded machine,
        # a worker that does not exit in time) must not turn a finished sweep into an error
        for what, obj in (("client", own_client), ("local cluster", cluster)):
            if obj is not None:
                try:
                    obj.close()
                except Exception as exc:  # noqa: BLE001
                    log(f"note: closing the {what} failed ({type(exc).__name__}: {exc}); "
                        f"the runs' results are in their folders")
    n_ok = len(report.done)
    log(f"sweep {spec.name}: {n_ok} finished now, {len(report.skipped)} were done before, "
        f"{len(report.failed)} failed" + (f": {', '.join(report.failed)}" if report.failed else ""))
    return report


def _submit_and_wait(client, todo, sweep_meta, retries, report, log, task) -> None:
    from distributed import as_completed

    futures = {}
    for k, (run, _) in enumerate(todo):
        where = hashlib.sha1(str(run.folder).encode()).hexdigest()[:8]
        # without a priority Dask starts tasks submitted together in the order of their keys;
        # the specification's order is the one its author chose (seed 0 of everything first)
        fut = client.submit(task, run.to_dict(), sweep_meta, key=f"lava-wta-run-{run.run_id}-{where}",
                            retries=retries, pure=False, priority=len(todo) - k)
        futures[fut] = run
    total = len(futures)
    for k, fut in enumerate(as_completed(list(futures)), 1):
        run = futures[fut]
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - raised in the worker after retries, or a lost worker
            outcome = {"run_id": run.run_id, "status": "failed", "folder": str(run.folder),
                       "error": f"{type(exc).__name__}: {exc}"}
            record = read_json(Path(run.folder) / RUN_RECORD) or {"run_id": run.run_id, "params": run.params}
            record.update(status="failed", error=outcome["error"], finished=time.strftime("%Y-%m-%dT%H:%M:%S"))
            _write_record(Path(run.folder), record)
        if outcome["status"] == "skipped":
            # not finished when submitted: an earlier execution of this task finished it and
            # Dask ran it again because its result was lost with a killed worker
            record = read_json(Path(run.folder) / RUN_RECORD) or {}
            if record.get("status") == "done" and record.get("accuracy") is not None:
                outcome = {"run_id": run.run_id, "status": "done", "folder": str(run.folder),
                           "accuracy": record["accuracy"], "seconds": float(record.get("seconds") or 0.0)}
        report.outcomes[run.run_id] = outcome
        if outcome["status"] == "done":
            what = f"accuracy {100 * outcome['accuracy']:.2f} % ({outcome['seconds']:.0f} s)"
        elif outcome["status"] == "skipped":
            what = "already done"
        else:
            what = f"FAILED: {outcome.get('error')}"
        log(f"[{k}/{total}] {run.run_id}: {what}")
        fut.release()
