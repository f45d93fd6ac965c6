"""Run a trained lava-wta network, exported to NIR, in third-party simulators.

    python benchmarks/nir_interop.py RUN [--test-images N] [--venv DIR] [--profile nir] [--write-page]
    make nir-interop RUN=runs/...

Steps (each consumer in its own process, in a Python 3.11 virtual environment the script
creates on first use, ``--venv``, default ``runs/nir-interop/venv``: the CPU torch wheel,
snnTorch, Norse, Rockpool, Spyx, and Sinabs without its ``nir <= 1.0.4`` pin):

1. export the run's network (``lava_wta.nir.export_nir``, ``--profile``) and present the
   first N test images to the float network (the engine), recording each image's accepted
   presentation (its retry level) and spike counts;
2. write the input spikes of those accepted presentations (lava-wta's own Poisson stream)
   and hand the graph and the rasters to every consumer: it loads the graph with its own
   NIR importer, runs every raster from rest and returns the output spike counts of the
   presentation steps (no retry rule: every consumer gets the same spikes);
3. print a table: whether the graph loads and runs, images with counts identical to
   lava-wta's float network and to the conformance simulator under the nirtorch timing
   (``lava_wta.nir.conformance``, ``timing="delay_back_edges"``), prediction agreement with
   the float network (neurons labelled by the run), accuracy, and the consumer's version;
   a consumer that fails shows the first line of its error.

Writes ``runs/nir-interop/report.json``; with ``--write-page`` it also replaces its section
of ``docs/DEPLOY.md`` (``nir_interop`` for the default profile, ``nir_interop:<profile>``
otherwise; ``benchmarks/_page.py``). Not part of ``make test`` (it installs packages).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import typing as ty
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import recording  # noqa: E402 - benchmarks/ (this script's folder)

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "DEPLOY.md"
CONSUMERS = ("snntorch", "norse", "rockpool", "spyx", "sinabs")
PACKAGES = ["snntorch", "norse", "rockpool", "spyx", "nir", "h5py", "pbr", "matplotlib"]
"""Installed with their dependencies; then Sinabs without (pbr, matplotlib: its imports)."""
TORCH_WHEELS = Path("/opt/wheels")


# ----------------------------------------------------------------------------------------
# the consumers (run inside the 3.11 virtual environment; numpy, nir and the consumer only)
# ----------------------------------------------------------------------------------------
def _batches(rasters: np.ndarray, size: int) -> ty.Iterator[np.ndarray]:
    """(n_images, n_in, T) -> float32 batches (T, batch, n_in)."""
    for lo in range(0, rasters.shape[0], size):
        yield np.ascontiguousarray(rasters[lo:lo + size].transpose(2, 0, 1), dtype=np.float32)


def _torch_stepwise(net, rasters: np.ndarray, present: int, step) -> np.ndarray:
    import torch

    counts = []
    with torch.no_grad():
        for batch in _batches(rasters, 100):
            state, total = None, 0
            for t in range(present):                 # each image starts from rest
                out, state = step(net, torch.from_numpy(batch[t]), state)
                total = total + out.detach().numpy()
            counts.append(np.asarray(total))
    return np.concatenate(counts)


def consume_snntorch(graph, rasters, dt, present):
    import snntorch
    from snntorch import utils
    from snntorch.import_nir import import_from_nir

    net = import_from_nir(graph)

    def step(net, x, state):
        if state is None:                 # a new batch: the neurons' own hidden state too
            utils.reset(net)
            return net(x)
        return net(x, state)
    return _torch_stepwise(net, rasters, present, step), snntorch.__version__


def _nirtorch_stepwise(net, rasters, present, shape=lambda x: x, reset=lambda net: None, batch_size=100):
    """Step a nirtorch ``GraphExecutor`` one time step per call, for the presentation steps
    (each image starts from rest). It returns the output of the last node of its execution
    order (here a node of the inhibitory loop), so the output spikes are read from its
    state: the ``output`` node's, else ``exc``'s."""
    import torch

    counts = []
    with torch.no_grad():
        for batch in _batches(rasters, batch_size):
            reset(net)
            state, total = None, 0
            for t in range(present):
                _, state = net(shape(torch.from_numpy(batch[t])), state)
                cache = state.cache
                out = cache["output"] if cache.get("output") is not None else cache["exc"]
                total = total + out.reshape(out.shape[0], -1).numpy()
            counts.append(np.asarray(total))
    return np.concatenate(counts)


def consume_norse(graph, rasters, dt, present):
    import norse.torch

    net = norse.torch.from_nir(graph, dt=dt)
    return _nirtorch_stepwise(net, rasters, present), _dist_version("norse")


def consume_rockpool(graph, rasters, dt, present):
    import rockpool
    from rockpool.nn.modules.torch.nir import from_nir

    net = from_nir(graph)

    def reset(net):                     # Rockpool's modules keep their state between calls
        for module in net.modules():
            if module is not net and hasattr(module, "reset_state"):
                module.reset_state()
    # one image at a time: a Rockpool module keeps one state between calls, the first batch
    # element's (LIFBaseTorch.forward: ``self.vmem = vmem[0]``), and gives it to every element
    return (_nirtorch_stepwise(net, rasters, present, shape=lambda x: x[:, None, :], reset=reset,
                               batch_size=1),
            rockpool.__version__)


def consume_spyx(graph, rasters, dt, present):
    import jax.numpy as jnp
    import spyx.nir

    counts, model = [], None
    for batch in _batches(rasters, 100):               # time-major (T, batch, n)
        if model is None:
            model, out = spyx.nir.from_nir(graph, jnp.asarray(batch), dt=dt)
        else:
            out, _ = spyx.nir.run(model, jnp.asarray(batch))
        counts.append(np.asarray(out)[:present].sum(axis=0))
    return np.concatenate(counts), _dist_version("spyx")


def consume_sinabs(graph, rasters, dt, present):
    import sinabs
    import torch

    net = sinabs.from_nir(graph, batch_size=100)
    counts = []
    with torch.no_grad():
        for batch in _batches(rasters, 100):
            net.reset_states()
            out = net(torch.from_numpy(batch.transpose(1, 0, 2)))
            counts.append(out[:, :present].sum(dim=1).numpy())
    return np.concatenate(counts), sinabs.__version__


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def worker(consumer: str, graph_path: str, data_path: str, out_path: str) -> None:
    """One consumer: load, run, write ``{loads, runs, counts, version, error}``."""
    import traceback

    import nir

    data = np.load(data_path)
    rasters = np.unpackbits(data["rasters"], axis=2, count=int(data["steps"])).astype(np.float32)
    dt, present = float(data["dt"]), int(data["present"])
    result: dict = {"consumer": consumer, "loads": False, "runs": False}
    try:
        result["version"] = _dist_version(consumer)
    except Exception as err:  # noqa: BLE001 - reported
        result["version"] = f"not installed ({err})"
    stage = "load"
    try:
        graph = nir.read(graph_path)
        fn = globals()[f"consume_{consumer}"]
        stage = "load/run"
        counts, version = fn(graph, rasters, dt, present)
        result.update(loads=True, runs=True, version=str(version))
        np.save(out_path + ".npy", np.asarray(counts, np.int64))
    except BaseException as err:  # noqa: BLE001 - any failure of a consumer is the result
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        result["stage"] = stage
        result["where"] = lines[-2].strip().splitlines()[0] if len(lines) > 1 else ""
    Path(out_path).write_text(json.dumps(result))


# ----------------------------------------------------------------------------------------
# the orchestrator (lava-wta's Python 3.10 environment)
# ----------------------------------------------------------------------------------------
def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if marker.is_file():
        return python
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    wheels = sorted(TORCH_WHEELS.glob("torch-*+cpu-cp311-*.whl")) if TORCH_WHEELS.is_dir() else []
    pin = venv / "torch-pin.txt"
    if wheels:                       # the CPU wheel; PyPI's default pulls the CUDA libraries
        subprocess.run(pip + [str(wheels[-1])], check=True)
        pin.write_text(f"torch=={wheels[-1].name.split('-')[1]}\n")
    else:
        subprocess.run(pip + ["torch", "--index-url", "https://download.pytorch.org/whl/cpu"], check=True)
        pin.write_text("")
    subprocess.run(pip + ["-c", str(pin)] + PACKAGES, check=True)
    subprocess.run(pip + ["--no-deps", "sinabs"], check=True)     # it pins nir <= 1.0.4
    marker.write_text("")
    return python


def prepare(run: Path, n_test: int, out: Path, profile: str) -> dict:
    """Export, run the float network, write the rasters of the accepted presentations."""
    from lava_wta.data import load_dataset
    from lava_wta.engine import present_engine
    from lava_wta.kernels.poisson import presentation_raster, raster_buffers
    from lava_wta.nir import export_nir, to_nir_graph
    from lava_wta.nir.conformance import NIRSimulator
    from lava_wta.nir.readout import Readout
    from lava_wta.nir.report import load_run
    from lava_wta.state import STREAM_EVAL_INPUT, stream_seed

    config, state, metrics = load_run(run)
    config = config.for_evaluation()
    dataset = load_dataset(metrics.get("dataset", "mnist"))
    images, labels = dataset.test_images[:n_test], dataset.test_labels[:n_test]
    graph_path = out / "network.nir"
    graph = export_nir(state, config, graph_path, profile=profile)
    readout = Readout.from_metadata(graph.metadata)
    seed = stream_seed(config, STREAM_EVAL_INPUT)
    t, n_in = config.time, config.network.n_inputs
    bufs = raster_buffers(n_in, t.presentation_steps)

    def encode(index, image, retry):
        gain = config.input.pixel_rate_hz + retry * config.input.retry_pixel_rate_hz
        presentation_raster(np.ascontiguousarray(image, float), gain, t.dt_ms * 1e-3,
                            t.presentation_steps, seed, index, retry, *bufs)
        raster = np.zeros((n_in, t.period_steps), np.uint8)
        for step in range(t.presentation_steps):
            raster[bufs[1][bufs[0][step]:bufs[0][step + 1]], step] = 1
        return raster

    t0 = time.perf_counter()
    float_counts = present_engine(config, images, state, learning=False, input_seed=seed).counts
    # the accepted presentation of each image: the first retry level that meets min_spikes
    # in lava-wta's timing, found with the default graph (the conformance simulator runs it
    # count for count as the engine does) whatever the profile exported
    sim = NIRSimulator(to_nir_graph(state, config), dt=t.dt_ms * 1e-3)
    accepted, rasters = [], []
    for k, image in enumerate(images):
        def run(raster, _k=k):
            sim.reset()
            return sim.run({"input": raster})["output"]
        retry = 0
        while True:
            raster = encode(k, image, retry)
            counts = run(raster[:, :t.presentation_steps]).sum(axis=1)
            if counts.sum() >= readout.min_spikes or retry >= readout.max_retries:
                break
            retry += 1
        accepted.append(counts)
        rasters.append(raster)
    # the exported graph in the conformance simulator in both timings (a consumer profile's
    # time constants are written for its own step)
    dt = float(graph.metadata.get("profile_dt_s", graph.metadata["dt_s"]))
    # and as Rockpool reads it (reading="rockpool", nirtorch timing)
    counts_of = {"delay_every_edge": accepted} if profile == "nir" else {}
    for key, timing, reading in (("delay_every_edge", "delay_every_edge", "nir"),
                                 ("delay_back_edges", "delay_back_edges", "nir"),
                                 ("rockpool", "delay_back_edges", "rockpool")):
        if key in counts_of:
            continue
        graph_sim, counts_of[key] = NIRSimulator(graph, dt=dt, timing=timing, reading=reading), []
        for raster in rasters:
            graph_sim.reset()
            out_spikes = graph_sim.run({"input": raster[:, :t.presentation_steps]})["output"]
            counts_of[key].append(out_spikes.sum(axis=1))
    rasters = np.asarray(rasters)
    np.savez_compressed(out / "rasters.npz", rasters=np.packbits(rasters, axis=2),
                        steps=rasters.shape[2], dt=dt,
                        present=t.presentation_steps)
    return {"graph": graph_path, "readout": readout, "labels": labels, "float": float_counts,
            "conformance": np.asarray(counts_of["delay_every_edge"], np.int64),
            "conformance_nirtorch": np.asarray(counts_of["delay_back_edges"], np.int64),
            "conformance_rockpool": np.asarray(counts_of["rockpool"], np.int64),
            "prepare_s": time.perf_counter() - t0}


def main(argv: ty.Optional[ty.Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", nargs="?", help="run folder of a current-based network")
    ap.add_argument("--test-images", type=int, default=1000)
    ap.add_argument("--venv", default=str(ROOT / "runs" / "nir-interop" / "venv"))
    ap.add_argument("--out", default=str(ROOT / "runs" / "nir-interop"))
    ap.add_argument("--profile", default="nir", help="export profile (lava_wta.nir.export)")
    ap.add_argument("--consumers", default=",".join(CONSUMERS))
    ap.add_argument("--write-page", action="store_true",
                    help="replace this script's section of docs/DEPLOY.md (nir_interop, or "
                         "nir_interop:<profile> for a consumer profile) with what it prints")
    ap.add_argument("--worker", nargs=4, metavar=("CONSUMER", "GRAPH", "DATA", "OUT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if not args.run:
        ap.error("a run folder is required")
    variant = None if args.profile == "nir" else args.profile
    with recording(__file__, argv, args.write_page, PAGE, variant) as extra:
        _measure(args, extra)
    return 0


def _measure(args, extra: dict) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    python = ensure_venv(Path(args.venv))
    prep = prepare(Path(args.run), args.test_images, out, args.profile)
    readout, labels = prep["readout"], prep["labels"]
    reference = readout.predict(prep["float"])
    rows = [_row("lava-wta float (engine)", prep["float"], prep, reference, labels, "this tree"),
            _row("conformance, lava-nc timing", prep["conformance"], prep, reference, labels,
                 "lava_wta.nir.conformance"),
            _row("conformance, nirtorch timing", prep["conformance_nirtorch"], prep, reference,
                 labels, "lava_wta.nir.conformance"),
            _row("conformance, Rockpool's reading", prep["conformance_rockpool"], prep, reference,
                 labels, "lava_wta.nir.conformance")]
    for consumer in args.consumers.split(","):
        res_path = out / f"{consumer}.json"
        t0 = time.perf_counter()
        proc = subprocess.run([str(python), __file__, "--worker", consumer, str(prep["graph"]),
                               str(out / "rasters.npz"), str(res_path)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
        if not res_path.is_file():
            res = {"consumer": consumer, "loads": False, "runs": False,
                   "error": (proc.stderr.strip().splitlines() or ["no result"])[-1]}
        else:
            res = json.loads(res_path.read_text())
        res["seconds"] = time.perf_counter() - t0
        counts = np.load(str(res_path) + ".npy") if res.get("runs") else None
        rows.append(_row(consumer, counts, prep, reference, labels, res.get("version", "?"), res))
    table = _print(rows, len(labels), args, prep["prepare_s"], print_table=not args.write_page)
    extra["table"] = table
    (out / "report.json").write_text(json.dumps(rows, indent=2, default=str) + "\n")


def _row(name, counts, prep, reference, labels, version, res=None) -> dict:
    row = {"consumer": name, "version": version, "loads": True, "runs": counts is not None}
    if res is not None:
        row.update(loads=res.get("loads", False), runs=res.get("runs", False),
                   error=res.get("error"), where=res.get("where"), seconds=res.get("seconds"))
    if counts is not None:
        counts = np.asarray(counts).reshape(prep["float"].shape)
        pred = prep["readout"].predict(counts)
        row.update(
            identical_to_float=int((counts == prep["float"]).all(axis=1).sum()),
            identical_to_nirtorch_timing=int((counts == prep["conformance_nirtorch"]).all(axis=1).sum()),
            identical_to_rockpool_reading=int((counts == prep["conformance_rockpool"]).all(axis=1).sum()),
            spikes_per_image=float(counts.sum(axis=1).mean()),
            prediction_agreement=float((pred == reference).mean()),
            accuracy=float((pred == labels).mean()))
    return row


def _print(rows, n, args, prepare_s: float, print_table: bool = True) -> str:
    """Print the summary (and the table, unless it goes to the page below the output);
    returns the Markdown table."""
    print(f"NIR interop: {args.run}, {n} test images, profile {args.profile!r}; "
          f"export and float network {prepare_s:.0f} s")
    head = ("consumer", "version", "loads", "runs", "= float", "= nirtorch", "= Rockpool's reading",
            "spikes/img", "agree", "accuracy")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["runs"]:
            cells = [r["consumer"], r["version"], "yes", "yes", f"{r['identical_to_float']}/{n}",
                     f"{r['identical_to_nirtorch_timing']}/{n}",
                     f"{r['identical_to_rockpool_reading']}/{n}", f"{r['spikes_per_image']:.2f}",
                     f"{100 * r['prediction_agreement']:.1f} %", f"{100 * r['accuracy']:.1f} %"]
        else:
            cells = [r["consumer"], r["version"], "yes" if r["loads"] else "no", "no"] + [""] * 6
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    table = "\n".join(lines)
    if print_table:
        print(table)
    for r in rows:
        if r.get("seconds") is not None:
            where = (r.get("where") or "").split("site-packages/")[-1].replace('"', "")
            print(f"{r['consumer']}: {r['seconds']:.0f} s" + (f"; {r['error']} ({where})"
                                                              if r.get("error") else ""))
    return table


if __name__ == "__main__":
    sys.exit(main())
