#!/usr/bin/env python
"""Regenerate docs/RESULTS.md (and its figures) from the run folders of sweeps.

    python study/make_results.py                       # the sweeps of study/experiments/*.yaml
    python study/make_results.py runs/sweeps/paper_table runs/other --out docs/RESULTS.md
    python study/make_results.py --only scale adaptive_target   # these sections alone

Without folders it reads the ``out`` folder of every specification in ``study/experiments/``
but the smoke test ``tiny.yaml`` (``--specs`` changes the list). Each folder is one sweep;
its section is chosen by the sweep's name (``sweep.json``, else the specification's name, else the folder name):
``paper_table``, ``wt_sweep``, ``neurons``, ``protocol``, ``scale``; any other sweep gets a
generic table. A sweep that has no finished runs is shown as "not run yet"; every number in
the page comes from a run folder (the paper's numbers are quoted as the paper's). Each
section lies between ``<!-- BEGIN name -->`` / ``<!-- END name -->`` markers, so that
``--only`` can rewrite some sections and keep the others (a checkout that holds the run
folders of some sweeps only).
Figures are written as PNG to ``--figures`` (default: ``results/`` next to the page).
"""
from __future__ import annotations

import argparse
import math
import shlex
import sys
import typing as ty
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._page import begin_marker, end_marker, replace_section, write_text_atomic  # noqa: E402
from lava_wta.config import ScalingConfig  # noqa: E402
from lava_wta.experiments import results as R  # noqa: E402
from lava_wta.experiments.paper import DIEHL_COOK_ACCURACY, PAPER_ACCURACY, PROTOCOL  # noqa: E402
from lava_wta.experiments.spec import SpecError, load_spec  # noqa: E402
from lava_wta.experiments.sweep import SWEEP_RECORD, read_json  # noqa: E402

PAPER = PAPER_ACCURACY
"""Touda & Okuno 2026, 400 neurons, 40,000 training / 10,000 test images
(:data:`lava_wta.experiments.paper.PAPER_ACCURACY`)."""
REFERENCE = {("mnist", "l2"): "88.88 ± 0.71 (n=5, Wt 5)", ("mnist", "l1"): "87.64 ± 0.58 (n=5, Wt 78)"}
"""docs/model.md: an independent implementation of the same model, same protocol, 5 seeds."""
DATASETS = ("mnist", "fashion-mnist")
MODES = ("l2", "l1", "max", "none")
KNOWN = ("paper_table", "wt_sweep", "neurons", "protocol", "scale", "scale_long", "scale_theta", "scale_lr",
         "adaptive_target", "adaptive_target_1600")
SETTING = ("network.n_neurons", "n_train", "n_label", "n_test")
NOT_RUN = "not run yet"
SMOKE_SPECS = ("tiny",)
"""Specifications of ``study/experiments/`` left out of the default page (smoke tests of the machinery)."""


# ---------------------------------------------------------------------- helpers
def pct(s: dict) -> str:
    """``mean ± std (n=k)`` in percent, from :func:`R.summarize` of fractions."""
    if not s or not s.get("n"):
        return NOT_RUN
    if s["std"] is None:
        return f"{100 * s['mean']:.2f} (n=1)"
    return f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f} (n={s['n']})"


def ci(s: dict) -> str:
    if not s or s.get("ci95") is None:
        return "–"
    return f"[{100 * (s['mean'] - s['ci95']):.2f}, {100 * (s['mean'] + s['ci95']):.2f}]"


def num(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ",".join(num(x) for x in v)
    return str(v)


def md_table(header: ty.Sequence[str], rows: ty.Sequence[ty.Sequence[str]]) -> ty.List[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def done(rows, **match) -> ty.List[dict]:
    out = []
    for r in rows:
        if r.get("status") != "done":
            continue
        if all(_eq(r.get(k), v) for k, v in match.items()):
            out.append(r)
    return out


def _eq(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b))
    return a == b


def status_line(rows) -> str:
    counts: dict = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no runs"


def values(rows, key) -> list:
    vals = sorted({r.get(key) for r in rows if r.get(key) is not None}, key=lambda v: (str(type(v)), v))
    return vals


def rel(path: Path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        import os

        return os.path.relpath(Path(path).resolve(), base.resolve())


# ---------------------------------------------------------------------- inputs
class Sweep(ty.NamedTuple):
    name: str
    folder: Path
    spec: ty.Optional[Path]
    rows: ty.List[dict]
    ignored: int = 0
    """Run folders under ``folder`` that are not runs of the sweep as specified now."""


def _current(rows: ty.List[dict], ids: ty.Optional[ty.Collection[str]]) -> ty.Tuple[ty.List[dict], int]:
    if ids is None:
        return rows, 0
    kept = [r for r in rows if r["run_id"] in ids]
    return kept, len(rows) - len(kept)


def find_sweeps(folders: ty.Sequence[Path], specs: ty.Sequence[Path]) -> ty.List[Sweep]:
    sweeps = []
    if folders:
        for f in folders:
            meta = read_json(Path(f) / SWEEP_RECORD) or {}
            spec = Path(meta["spec"]) if meta.get("spec") else None
            rows = R.collect(f) if Path(f).is_dir() else []
            rows, ignored = _current(rows, set(meta["runs"]) if isinstance(meta.get("runs"), list) else None)
            sweeps.append(Sweep(meta.get("name") or Path(f).name, Path(f), spec, rows, ignored))
        return sweeps
    for s in specs:
        try:
            spec = load_spec(s)
        except SpecError as exc:
            print(f"make_results: skipping {s}: {exc}", file=sys.stderr)
            continue
        rows = R.collect(spec.out) if Path(spec.out).is_dir() else []
        rows, ignored = _current(rows, {r.run_id for r in spec.expand()})
        sweeps.append(Sweep(spec.name, Path(spec.out), Path(s), rows, ignored))
    return sweeps


def spec_path(sweep: ty.Optional[Sweep], name: str) -> str:
    if sweep is not None and sweep.spec is not None:
        try:
            return rel(sweep.spec, ROOT)
        except Exception:  # noqa: BLE001
            return str(sweep.spec)
    return f"study/experiments/{name}.yaml"


def commands(sweep: ty.Optional[Sweep], name: str, make_cmd: str) -> str:
    return (f"Reproduce: `lava-wta sweep {spec_path(sweep, name)}` "
            f"(then `lava-wta results {sweep.folder if sweep else 'runs/sweeps/' + name}` for the full "
            f"table), then `{make_cmd}`.")


# ---------------------------------------------------------------------- sections
def section_paper(sweep, make_cmd) -> ty.List[str]:
    rows = sweep.rows if sweep else []
    out = ["## The paper's table", "",
           "The paper: 400 neurons, one epoch of 40,000 training images, 10,000 test images "
           "(Touda & Okuno 2026); reference: the independent implementation of the same model that "
           "[model.md](model.md) quotes (labels from the 10,000 held-out training images). lava-wta: "
           "the setting of each row is in its columns (neurons; training / labelling / test images); "
           "mean ± sample std over seeds (n = seeds) and the 95 % confidence interval of the mean (Student's t).", ""]
    if sweep is None or not done(rows):
        out += [f"_{NOT_RUN}_" + (f" ({status_line(rows)})" if rows else "") + ".", ""]
    table = []
    for ds in DATASETS:
        for mode in MODES:
            sel = done(rows, dataset=ds, **{"scaling.mode": mode})
            groups: ty.Dict[tuple, ty.List[dict]] = {}
            for r in sel:
                key = tuple(num(r.get(k)) for k in SETTING) + \
                    ((num(r.get("scaling.target_norm")),) if mode != "none" else ("–",))
                groups.setdefault(key, []).append(r)
            paper = PAPER.get((ds, mode))
            for key, part in (sorted(groups.items()) or [(None, [])]):
                s = R.summarize([r["accuracy"] for r in part])
                paper_setting = key is not None and key[0] == "400" and key[1] == "40000" and key[3] == "10000"
                diff = "–"
                if paper is not None and s["n"]:
                    diff = f"{100 * s['mean'] - paper:+.2f}" if paper_setting else "– (not the paper's setting)"
                setting = ("–", "–", "–") if key is None else (key[0], " / ".join(key[1:4]), key[4])
                table.append([ds, mode, setting[2], setting[0], setting[1],
                              f"{paper:.2f}" if paper is not None else "–",
                              REFERENCE.get((ds, mode), "–"), pct(s), ci(s), diff])
    out += md_table(["dataset", "scaling", "Wt", "neurons", "train / label / test", "paper (%)",
                            "reference (%)", "lava-wta (%)", "95 % CI", "lava-wta − paper"], table)
    if rows:
        out += ["", f"Runs: {status_line(rows)} in `{sweep.folder}`." + ignored_note(sweep)]
    out += ["", commands(sweep, "paper_table", make_cmd), ""]
    return out


def _curve_table(rows, xkey, label):
    table = []
    for ds in values(rows, "dataset"):
        for mode in values(done(rows, dataset=ds), "scaling.mode"):
            for extra in _extra_groups(rows, ds, mode, xkey):
                sel = done(rows, dataset=ds, **{"scaling.mode": mode}, **extra)
                for x in values(sel, xkey):
                    s = R.summarize([r["accuracy"] for r in sel if _eq(r.get(xkey), x)])
                    tag = ", ".join(f"{k.rsplit('.', 1)[-1]} {num(v)}" for k, v in extra.items())
                    table.append([ds, mode + (f" ({tag})" if tag else ""), num(x), pct(s), ci(s)])
    return md_table(["dataset", "scaling", label, "accuracy (%)", "95 % CI"], table)


def _extra_groups(rows, ds, mode, xkey) -> ty.List[dict]:
    """Other parameters that vary within (dataset, mode): one curve per combination."""
    sel = done(rows, dataset=ds, **{"scaling.mode": mode})
    keys = [c for c in R.parameter_columns(sel) if c not in ("seed", "dataset", "scaling.mode", xkey)
            and len({str(r.get(c)) for r in sel}) > 1]
    combos = []
    for r in sel:
        c = {k: r.get(k) for k in keys}
        if c not in combos:
            combos.append(c)
    return combos or [{}]


def plot_curves(rows, xkey, xlabel, path: Path, split_modes: bool, logx: bool) -> ty.Optional[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dsets = values(done(rows), "dataset")
    if not dsets:
        return None
    modes = [m for m in ("l1", "l2", "max", "none") if done(rows, **{"scaling.mode": m})]
    cols = modes if split_modes else [None]
    width = 5 * len(cols) if split_modes else 7.5
    fig, axes = plt.subplots(len(dsets), len(cols), figsize=(width, 3.8 * len(dsets)), squeeze=False)
    for i, ds in enumerate(dsets):
        for j, col in enumerate(cols):
            ax = axes[i][j]
            for mode in ([col] if split_modes else modes):
                for extra in _extra_groups(rows, ds, mode, xkey):
                    sel = done(rows, dataset=ds, **{"scaling.mode": mode}, **extra)
                    xs = values(sel, xkey)
                    if not xs:
                        continue
                    stats = [R.summarize([r["accuracy"] for r in sel if _eq(r.get(xkey), x)]) for x in xs]
                    ys = [100 * s["mean"] for s in stats]
                    es = [100 * (s["std"] or 0.0) for s in stats]
                    tag = ", ".join(f"{k.rsplit('.', 1)[-1]} {num(v)}" for k, v in extra.items())
                    ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3,
                                label=mode + (f" ({tag})" if tag else ""))
            if logx:
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"{ds}" + (f", {col}" if col else ""))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("mean ± std over seeds")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_presentations(sweep, path: Path) -> ty.Optional[Path]:
    """Presentations per training image (1 + retries per image) against Wt, per dataset and
    mode, mean over seeds: how much the adaptive-intensity rule works at each Wt."""
    rows = done(sweep.rows) if sweep else []
    rows = [r for r in rows if r.get("n_train") and r.get("train_retries") is not None
            and r.get("scaling.mode") in ("l1", "l2")]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = [m for m in ("l1", "l2") if done(rows, **{"scaling.mode": m})]
    fig, axes = plt.subplots(1, len(modes), figsize=(5 * len(modes), 3.6), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        for ds in values(rows, "dataset"):
            sel = done(rows, dataset=ds, **{"scaling.mode": mode})
            xs = values(sel, "scaling.target_norm")
            ys = [R.summarize([1 + r["train_retries"] / r["n_train"] for r in sel
                               if _eq(r.get("scaling.target_norm"), x)])["mean"] for x in xs]
            ax.plot(xs, ys, marker="o", label=ds)
        ax.set_xscale("log")
        ax.set_xlabel("target norm Wt")
        ax.set_ylabel("presentations per training image")
        ax.set_title(mode)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ignored_note(sweep) -> str:
    if sweep is None or not sweep.ignored:
        return ""
    return (f" {sweep.ignored} other run folder(s) there are not runs of the sweep as specified now "
            f"and are left out.")


def section_curve(sweep, name, title, intro, xkey, xlabel, fig_path, page_dir, make_cmd, split_modes,
                  logx) -> ty.List[str]:
    rows = sweep.rows if sweep else []
    out = [f"## {title}", "", intro, ""]
    if not done(rows):
        out += [f"_{NOT_RUN}_" + (f" ({status_line(rows)})" if rows else "") + ".", "",
                commands(sweep, name, make_cmd), ""]
        return out
    png = plot_curves(rows, xkey, xlabel, fig_path, split_modes, logx)
    if png:
        out += [f"![{title}]({rel(png, page_dir)})", ""]
    out += _curve_table(rows, xkey, xlabel)
    if name == "protocol":
        out += [""] + protocol_verdict(rows)
    out += ["", f"Runs: {status_line(rows)} in `{sweep.folder}`." + ignored_note(sweep), "",
            commands(sweep, name, make_cmd), ""]
    return out


def protocol_verdict(rows) -> ty.List[str]:
    """For every protocol (between_images x presentation_ms) of a protocol sweep: l2 against
    each l1 target, difference of the means over seeds and Welch's test."""
    out = []
    for ds in values(done(rows), "dataset"):
        sel = done(rows, dataset=ds)
        for between in values(sel, "time.between_images"):
            for pres in values(done(sel, **{"time.between_images": between}), "time.presentation_ms"):
                here = done(sel, **{"time.between_images": between, "time.presentation_ms": pres})
                l2 = done(here, **{"scaling.mode": "l2"})
                for wt2 in values(l2, "scaling.target_norm"):
                    a2 = [100 * r["accuracy"] for r in done(l2, **{"scaling.target_norm": wt2})]
                    for wt1 in values(done(here, **{"scaling.mode": "l1"}), "scaling.target_norm"):
                        a1 = [100 * r["accuracy"] for r in done(here, **{"scaling.mode": "l1",
                                                                            "scaling.target_norm": wt1})]
                        d, test, word = _difference(a2, a1, "l2", "l1")
                        seeds = lambda n: f"{n} seed" + ("s" if n != 1 else "")  # noqa: E731
                        out.append(f"- {ds}, {between}, {num(pres)} ms: l2 Wt {num(wt2)} ({seeds(len(a2))}) − "
                                   f"l1 Wt {num(wt1)} ({seeds(len(a1))}) = {d:+.2f} points; {test} → **{word}**")
    if not out:
        return []
    return ["**Does l2 beat l1 under each protocol?** (difference of the means over seeds; Welch's t test "
            "at 5 %, two-sided):", ""] + out + [""]


def section_generic(sweep, title, make_cmd) -> ty.List[str]:
    rows = sweep.rows
    out = [f"## {title}", ""]
    if sweep.spec is not None:
        spec = read_json(sweep.folder / SWEEP_RECORD) or {}
        desc = (spec.get("specification") or {}).get("description")
        if desc:
            out += [desc, ""]
    if not done(rows):
        out += [f"_{NOT_RUN}_" + (f" ({status_line(rows)})" if rows else "") + ".", "",
                commands(sweep, sweep.name, make_cmd), ""]
        return out
    params = R.parameter_columns(rows)
    varying = [c for c in params if c != "seed" and len({str(r.get(c)) for r in rows}) > 1]
    agg = R.aggregate(rows)
    table = []
    for a in agg:
        s = {k: a[k] for k in ("n", "mean", "std", "ci95")}
        table.append([num(a.get(c)) for c in varying] + [pct(s), ci(s)])
    out += md_table(varying + ["accuracy (%)", "95 % CI"], table)
    fixed = [f"{c} = {num(rows[0].get(c))}" for c in params if c not in varying and c != "seed"]
    out += ["", "Same in every run: " + ", ".join(fixed) + ".", "",
            f"Runs: {status_line(rows)} in `{sweep.folder}`." + ignored_note(sweep), "",
            commands(sweep, sweep.name, make_cmd), ""]
    return out


SCALE_KEY = ("dataset", "time.presentation_ms", "network.n_neurons", "scaling.mode", "scaling.target_norm")
"""What tells the settings of a sweep over several passes apart (seeds are pooled)."""
SCALE_TARGETS = {("mnist", 1600): 92.5, ("mnist", 6400): 95.0, ("fashion-mnist", 6400): 82.0}
"""The targets we set for the networks of Diehl & Cook's sizes (%, within 3 passes)."""


def pass_records(row: dict) -> ty.List[dict]:
    """The passes a run has finished, each with its test accuracy and training time: from
    ``metrics.json`` when the run is done, else from the ``epochs.json`` it writes after each
    pass but the last (so a sweep still running shows the passes behind it)."""
    folder = Path(row.get("folder") or "")
    metrics = read_json(folder / "metrics.json") or {}
    if metrics.get("epochs"):
        return [r for r in metrics["epochs"] if r.get("accuracy") is not None]
    if metrics.get("accuracy") is not None and metrics.get("train"):      # one pass
        t = metrics["train"]
        return [{"epoch": 1, "accuracy": metrics["accuracy"], "seconds": t.get("seconds"),
                 "steps": t.get("steps"), "presentations": t.get("presentations")}]
    return list((read_json(folder / "epochs.json") or {}).get("epochs") or [])


def _scale_groups(rows, extra: ty.Sequence[str] = ()
                  ) -> ty.List[ty.Tuple[tuple, ty.List[ty.Tuple[dict, ty.List[dict]]]]]:
    """The rows with finished passes, grouped by :data:`SCALE_KEY` and the ``extra``
    fields (seeds pooled), each with its pass records."""
    groups: ty.Dict[tuple, list] = {}
    for r in rows:
        recs = pass_records(r)
        if recs:
            groups.setdefault(tuple(r.get(k) for k in (*SCALE_KEY, *extra)), []).append((r, recs))
    order = lambda k: tuple((str(type(v)), v if v is not None else 0) for v in k)  # noqa: E731
    return sorted(groups.items(), key=lambda kv: order(kv[0]))


def _setting_label(key: tuple) -> str:
    """The setting a group key of :func:`_scale_groups` names (its extra fields' values in
    parentheses)."""
    ds, pres, n, mode, wt = key[:5]
    return (f"{ds}, {num(n)} neurons, {mode} Wt {num(wt)}, {num(pres)} ms"
            + (f" ({', '.join(str(num(v)) for v in key[5:])})" if key[5:] else ""))


def _with_baseline(sweep, baseline) -> ty.List[dict]:
    """The rows of ``baseline`` with the settings (:data:`SCALE_KEY`) and seeds of the rows
    of ``sweep`` (a variant of them), then those of ``sweep``, each with its sweep's name."""
    keys = {tuple(r.get(k) for k in SCALE_KEY) for r in sweep.rows}
    seeds = {r.get("seed") for r in sweep.rows}
    return ([{**r, "sweep": baseline.name} for r in baseline.rows
             if tuple(r.get(k) for k in SCALE_KEY) in keys and r.get("seed") in seeds]
            + [{**r, "sweep": sweep.name} for r in sweep.rows])


EXTRA_HEADERS = {"sweep": "sweep", "exc.theta_plus_mv": "θ-plus (mV)"}
"""Table headers of the extra fields a section of passes groups its runs by."""


def _train_labelled(groups) -> ty.List[str]:
    """Finished runs also evaluated with neuron labels from the training images
    (``lava-wta evaluate RUN --label-from train``, Diehl & Cook's protocol): the accuracy
    against the run's own, labelled with the held-out images."""
    table = []
    for key, runs in groups:
        for r, _ in runs:
            folder = Path(r["folder"]) if r.get("folder") else None
            own = (read_json(folder / "metrics.json") or {}) if folder else {}
            if not isinstance(own.get("accuracy"), (int, float)):
                continue
            for ev in sorted((folder / "evaluations").glob("*/metrics.json")):
                m = read_json(ev) or {}
                if m.get("label_from") != "train" or m.get("n_test") != own.get("n_test") \
                        or not isinstance(m.get("accuracy"), (int, float)):
                    continue
                table.append([_setting_label(key), num(r.get("seed")), f"{own.get('n_label', 0):,}",
                              f"{100 * own['accuracy']:.2f}", f"{m.get('n_label', 0):,}",
                              f"{100 * m['accuracy']:.2f}", f"{100 * (m['accuracy'] - own['accuracy']):+.2f}"])
    if not table:
        return []
    return (["**Labelled as Diehl & Cook did.** They labelled the neurons with the responses of the trained "
             "network (learning off) to all 60,000 training images, not held-out ones. `lava-wta evaluate RUN "
             "--label-from train --label-images 60000 --test-images 10000` does this on a finished run (the "
             "first 50,000 of these images are the ones it trained on) and writes `RUN/evaluations/`; the "
             "test images are the same:", ""]
            + md_table(["setting", "seed", "held-out labelling images", "accuracy (%)", "training labelling "
                        "images", "accuracy (%)", "difference (points)"], table) + [""])


def plot_epochs(groups, path: Path) -> ty.Optional[Path]:
    """Test accuracy after each pass, one panel per dataset, one line per setting (mean ±
    std over the seeds that finished the pass), Diehl & Cook's accuracy at each size dashed."""
    if not groups:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dsets = sorted({k[0] for k, _ in groups}, key=lambda d: (d != "mnist", d))
    fig, axes = plt.subplots(1, len(dsets), figsize=(6.5 * len(dsets), 4.4), squeeze=False)
    for ax, ds in zip(axes[0], dsets):
        sizes = set()
        for key, runs in groups:
            if key[0] != ds:
                continue
            sizes.add(key[2])
            n_pass = max(len(recs) for _, recs in runs)
            xs, ys, es = [], [], []
            for e in range(n_pass):
                acc = [100 * recs[e]["accuracy"] for _, recs in runs if len(recs) > e]
                s = R.summarize(acc)
                xs.append(e + 1)
                ys.append(s["mean"])
                es.append(s["std"] or 0.0)
            ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=_setting_label(key).split(", ", 1)[1])
        if ds == "mnist":
            for n in sorted(sizes):
                if n in DIEHL_COOK_ACCURACY:
                    ax.axhline(DIEHL_COOK_ACCURACY[n], ls="--", lw=0.8, color="grey")
                    ax.annotate(f"Diehl & Cook, {n}", (1, DIEHL_COOK_ACCURACY[n]), fontsize=7,
                                color="grey", va="bottom")
        ax.set_xlabel("passes over the training images")
        ax.set_ylabel("test accuracy (%)")
        ax.set_xticks(range(1, 1 + max((len(recs) for k, runs in groups if k[0] == ds for _, recs in runs),
                                       default=1)))
        ax.set_title(ds)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("mean ± std over the seeds that finished each pass")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _train_command(row: dict) -> ty.Optional[str]:
    """The run's ``lava-wta train`` command with its sweep-internal flags left out."""
    cmd = (read_json(Path(row.get("folder") or "") / "metrics.json") or {}).get("command")
    if not cmd:
        return None
    words, out, skip = shlex.split(cmd), [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w == "--out":
            skip = True
            continue
        if w != "--no-progress":
            out.append(w)
    return shlex.join(out)


SCALE_INTRO = (
    "Networks of 1,600 and 6,400 excitatory neurons trained for up to 3 passes over the first "
    "50,000 MNIST (or Fashion-MNIST) training images, the first pass in the dataset's order and "
    "each later one shuffled from the seed; after every pass the neurons are labelled with the "
    "other 10,000 training images and tested on the official 10,000.")
LONG_INTRO = (
    "The 6,400-neuron networks of the previous section with 350 ms presentations (l2, Wt 5), "
    "continued from their third pass to the sixth: a run continued with more passes is, bit for bit, "
    "the run asked for all of them at once (`lava-wta train ... --epochs 6 --out RUN` on the finished "
    "run), so passes 1-3 are those of the previous section. Same protocol: 50,000 training images, "
    "10,000 labelling, 10,000 test.")

THETA_INTRO = (
    "θ-plus (the rise of an excitatory neuron's threshold per spike while learning) 0.2 mV instead of "
    "0.05 mV in the 6,400-neuron l2 settings of `scale` (MNIST at 350 ms, Fashion-MNIST at 150 ms), and "
    "0.4 mV on MNIST, beside the runs of `scale` with the same settings and seeds: does scaling it with "
    "the number of neurons (four times 1,600) bring in the neurons that never win (the `never "
    "winning` column), and the accuracy up? Same protocol: 50,000 training images, 10,000 labelling, "
    "10,000 test.")
LR_INTRO = (
    "Both STDP rates doubled (nu_pre 2e-4, nu_post 2e-2) in the 1,600- and 6,400-neuron settings with "
    "350 ms presentations, beside the runs of `scale` with the same seeds: with N neurons sharing the "
    "images, each neuron's weights move N/400 times less often than at the paper's size. Same "
    "protocol: 50,000 training images, 10,000 labelling, 10,000 test.")


def section_epochs(sweep, fig_dir: Path, page_dir: Path, make_cmd: str, *, name: str = "scale",
                   title: str = "Diehl & Cook's sizes over several passes", intro: str = SCALE_INTRO,
                   figure: str = "accuracy_vs_epochs.png", baseline=None,
                   extra: ty.Sequence[str] = ()) -> ty.List[str]:
    """Networks of Diehl & Cook's sizes over several passes: accuracy after each pass per
    setting (mean ± std over seeds), l1 against l2 at each size, training time per pass
    (the sweep ``name``; ``intro`` says what it runs). A sweep that varies the settings of
    a ``baseline`` sweep is shown beside the baseline's runs of the same settings and seeds;
    runs are told apart by :data:`SCALE_KEY`, then the sweep's name (with a baseline), then
    the ``extra`` fields."""
    rows = sweep.rows if sweep else []
    dc = ", ".join(f"{n:,} → {a} %" for n, a in sorted(DIEHL_COOK_ACCURACY.items()))
    out = [f"## {title}", "",
           f"{intro} Diehl & Cook (l1, 350 ms "
           f"presentations with 150 ms rest, several passes over all 60,000): {dc}. The targets we set: "
           + ", ".join(f"{ds} {n:,} neurons ≥ {t} %" for (ds, n), t in SCALE_TARGETS.items()) + ".", ""]
    fields = (("sweep",) if baseline is not None else ()) + tuple(extra)
    groups = _scale_groups(_with_baseline(sweep, baseline) if baseline is not None and sweep else rows, fields)
    if not [g for g in groups if baseline is None or g[0][5] == sweep.name]:
        out += [f"_{NOT_RUN}_" + (f" ({status_line(rows)})" if rows else "") + ".", "",
                commands(sweep, name, make_cmd), ""]
        return out
    png = plot_epochs(groups, fig_dir / figure)
    if png:
        out += [f"![{title}]({rel(png, page_dir)})", ""]
    n_pass = max(len(recs) for _, runs in groups for _, recs in runs)
    table = []
    for key, runs in groups:
        cells = []
        for e in range(n_pass):
            s = R.summarize([recs[e]["accuracy"] for _, recs in runs if len(recs) > e])
            cells.append(pct(s) if s["n"] else "–")
        secs = [rec["seconds"] / 60 for _, recs in runs for rec in recs if rec.get("seconds")]
        steps = [1e6 * rec["seconds"] / rec["steps"] for _, recs in runs for rec in recs
                 if rec.get("seconds") and rec.get("steps")]
        pres = [rec["presentations"] / r["n_train"] for r, recs in runs for rec in recs
                if rec.get("presentations") and r.get("n_train")]
        furthest = max(len(recs) for _, recs in runs)
        idle = [100 * recs[-1].get("failure_signatures", {}).get("neurons_never_winning_fraction", math.nan)
                for _, recs in runs if len(recs) == furthest]
        ds, p, n, mode, wt = key[:5]
        target = SCALE_TARGETS.get((ds, n))
        table.append([num(v) for v in key[5:]] + [ds, num(p), num(n), mode, num(wt)] + cells +
                      [f"{DIEHL_COOK_ACCURACY[n]}" if ds == "mnist" and n in DIEHL_COOK_ACCURACY else "–",
                       f"{target}" if target else "–", _pm(idle, 1), _pm(secs, 1), _pm(steps, 1), _pm(pres, 2)])
    out += md_table([EXTRA_HEADERS.get(f, f) for f in fields] + ["dataset", "presentation (ms)", "neurons",
                                                                   "scaling", "Wt"] +
                    [f"after pass {e + 1} (%)" for e in range(n_pass)] +
                    ["Diehl & Cook (%)", "target (%)", "never winning in the last pass (%)",
                     "training minutes per pass", "µs per step",
                     "presentations per image"], table)
    out += ["", "Accuracy: mean ± std over the seeds that finished the pass (n). Never winning: the share "
            "of the neurons that were not the most active one on any image of the setting's last pass (over "
            "the runs that finished it). "
            "Training time: wall-clock per "
            "pass of the engine on one core while the sweep's two runs (and whatever else ran) shared the "
            "machine's cores, so it measures the load as much as the engine; evaluation (labelling and "
            "testing after each pass) is not included. The step alone, at each size: `benchmarks/scale.py` "
            "in [BENCHMARKS.md](../BENCHMARKS.md).", ""]
    verdicts = []
    for key, runs in groups:
        ds, p, n, mode, wt = key[:5]
        if mode != "l2":
            continue
        for key1, runs1 in groups:
            if key1[:3] != key[:3] or key1[3] != "l1" or key1[5:] != key[5:]:
                continue
            last = min(max(len(recs) for _, recs in runs), max(len(recs) for _, recs in runs1))
            a2 = [100 * recs[last - 1]["accuracy"] for _, recs in runs if len(recs) >= last]
            a1 = [100 * recs[last - 1]["accuracy"] for _, recs in runs1 if len(recs) >= last]
            d, test, word = _difference(a2, a1, "l2", "l1")
            verdicts.append(f"- {ds}, {num(n)} neurons, {num(p)} ms, after pass {last}: l2 Wt {num(wt)} "
                            f"(n={len(a2)}) − l1 Wt {num(key1[4])} (n={len(a1)}) = {d:+.2f} points; "
                            f"{test} → **{word}**")
    out += _train_labelled([g for g in groups if baseline is None or g[0][5] == sweep.name])
    if verdicts:
        out += ["**Does l2 beat l1 at scale?** (difference of the means over seeds after the last pass both "
                "reached; Welch's t test at 5 %, two-sided):", ""] + verdicts + [""]
    cmds = [(key, _train_command(runs[0][0])) for key, runs in groups]
    cmds = [f"- {_setting_label(key)}: `{cmd}`" for key, cmd in cmds if cmd]
    if cmds:
        out += ["Each finished setting's command (`--seed` varies; add `--out DIR`):", ""] + cmds + [""]
    out += [f"Runs: {status_line(rows)} in `{sweep.folder}`." + ignored_note(sweep), "",
            commands(sweep, name, make_cmd), ""]
    return out


RATE_DEFAULTS = ScalingConfig()
"""The rate mode's set point and gain where a sweep row leaves them at their defaults."""
ADAPTIVE_SWEEPS = ("adaptive_target", "adaptive_target_1600")
"""Sweeps of the adaptive target norm (``scaling.target_mode``), shown in one section."""


def section_adaptive(sweeps: ty.Sequence[Sweep], make_cmd: str) -> ty.List[str]:
    """Fixed against adaptive target norm: per (neurons, scaling, starting Wt) the accuracy and
    the final Wt of each target mode, and the rate mode against the fixed one (Welch)."""
    title = "Adaptive target norm against fixed"
    mine = [sw for sw in sweeps if sw.name in ADAPTIVE_SWEEPS]
    out = [f"## {title}", "",
           "`scaling.target_mode: rate` moves the target norm Wt after every accepted training presentation "
           "towards a set point of excitatory spikes per presentation (`scaling.rate_set_point_spikes`, "
           "gain `scaling.rate_gain`; [model.md](model.md)); `fixed` keeps the Wt it is given. Both start from "
           "the same Wt; final Wt is the target norm at the end of training (`metrics.json`: "
           "`target_norm_final`). MNIST, one epoch of 40,000 training images, 10,000 held-out labelling "
           "images, 10,000 test images.", ""]
    rows = [r for sw in mine for r in sw.rows]
    if not done(rows):
        out += [f"_{NOT_RUN}_" + (f" ({status_line(rows)})" if rows else "") + ".", ""]
        for name in ADAPTIVE_SWEEPS:
            out += [commands(next((sw for sw in mine if sw.name == name), None), name, make_cmd), ""]
        return out

    def mode_of(r):
        """The target mode with the parameters that make one setting: runs of the rate mode
        with different set points or gains are different settings, not seeds of one."""
        mode = r.get("scaling.target_mode") or "fixed"
        if mode != "rate":
            return mode
        point, gain = (r.get(f"scaling.{f}") for f in ("rate_set_point_spikes", "rate_gain"))
        point = RATE_DEFAULTS.rate_set_point_spikes if point is None else point
        gain = RATE_DEFAULTS.rate_gain if gain is None else gain
        return f"rate, set point {num(point)}, gain {num(gain)}"

    def final_wt(r):
        return (read_json(Path(r.get("folder") or "") / "metrics.json") or {}).get("target_norm_final")

    table, verdicts = [], []
    fixed_by_wt: ty.Dict[tuple, ty.Dict[float, ty.List[float]]] = {}
    for r in done(rows):
        if mode_of(r) == "fixed":
            key = (r.get("dataset"), r.get("network.n_neurons"), r.get("scaling.mode"))
            fixed_by_wt.setdefault(key, {}).setdefault(r.get("scaling.target_norm"), []).append(100 * r["accuracy"])

    def verdict(ds, n, mode, what, a, wt_fixed, b):
        d, test, word = _difference(a, b, "adaptive", "fixed")
        return (f"- {ds}, {num(n)} neurons, {mode}: {what} (n={len(a)}) − fixed Wt {num(wt_fixed)} (n={len(b)}) "
                f"= {d:+.2f} points; {test} → **{word}**")

    keys = sorted({(r.get("dataset"), r.get("network.n_neurons"), r.get("scaling.mode"), r.get("scaling.target_norm"))
                   for r in done(rows)}, key=lambda k: tuple(str(x) for x in k[:1]) + (k[1] or 0, str(k[2]), k[3] or 0))
    for ds, n, mode, wt in keys:
        here = done(rows, dataset=ds, **{"network.n_neurons": n, "scaling.mode": mode, "scaling.target_norm": wt})
        acc = {}
        for tm in sorted({mode_of(r) for r in here}, key=lambda m: (m != "fixed", m)):
            sel = [r for r in here if mode_of(r) == tm]
            s = R.summarize([r["accuracy"] for r in sel])
            acc[tm] = [100 * r["accuracy"] for r in sel]
            table.append([ds, num(n), mode, num(wt), tm, _pm([final_wt(r) for r in sel], 2), pct(s), ci(s)])
        fixed = fixed_by_wt.get((ds, n, mode), {})
        best = max(fixed, key=lambda w: R.summarize(fixed[w])["mean"]) if fixed else None
        for tm in acc:
            if tm == "fixed":
                continue
            what = f"{tm} from Wt {num(wt)}"
            for wt_fixed in dict.fromkeys(w for w in (wt, best) if w in fixed):     # the same start, the best
                verdicts.append(verdict(ds, n, mode, what, acc[tm], wt_fixed, fixed[wt_fixed]))
    out += md_table(["dataset", "neurons", "scaling", "starting Wt", "target mode", "final Wt", "accuracy (%)",
                     "95 % CI"], table)
    if verdicts:
        out += ["", "**Does the adaptive target beat the fixed one?** Against the fixed Wt it started from and "
                "against the best fixed Wt of the same size and norm in these sweeps (Welch's t test at 5 %, "
                "two-sided):", ""] + verdicts
    for sw in mine:
        out += ["", f"Runs: {status_line(sw.rows)} in `{sw.folder}`." + ignored_note(sw), "",
                commands(sw, sw.name, make_cmd)]
    return out + [""]


TARGETS = {"mnist": 90.5, "fashion-mnist": 72.0}
"""The targets we set for our own best configuration (400 neurons, one epoch), in %."""
PAPER_SIZE = {k: PROTOCOL[k] for k in ("network.n_neurons", "n_train")}


def section_best(sweeps, make_cmd) -> ty.List[str]:
    """Every setting run at the paper's size (400 neurons, 40,000 training images), in any
    sweep, ranked by mean accuracy over its seeds, per dataset, against the targets."""
    out = ["## Best configurations at the paper's size", "",
           "Every setting run with 400 neurons and one epoch of 40,000 training images (10,000 "
           "labelling and 10,000 test images), from any sweep, ranked by mean test accuracy over its "
           "seeds (the five best per dataset). Presentations per training image count the "
           "adaptive-intensity retries (an image that drew fewer than 5 spikes is shown again at a "
           "raised rate), so they measure how much input a setting needs. The targets we set for our "
           "own best configuration: "
           + ", ".join(f"{d} ≥ {t:g} %" for d, t in TARGETS.items()) + ".", ""]
    groups: ty.Dict[tuple, ty.List[dict]] = {}
    for sw in sweeps:
        for r in done(sw.rows):
            if not all(_eq(r.get(k), v) for k, v in PAPER_SIZE.items()):
                continue
            model = r.get("network.neuron_model") or "conductance"
            wt = None if r.get("scaling.mode") == "none" else R._key(r.get("scaling.target_norm"))
            key = (r.get("dataset"), model, r.get("scaling.mode"), wt, r.get("time.presentation_ms"),
                   r.get("time.between_images"), sw.name, r.get("stdp.tau_pre_ms"))
            groups.setdefault(key, []).append(r)
    if not groups:
        return out + [f"_{NOT_RUN}_.", ""]
    order = {d: i for i, d in enumerate(DATASETS)}
    table, verdicts = [], []
    for ds in sorted({k[0] for k in groups}, key=lambda d: (order.get(d, 99), str(d))):
        ranked = sorted(((R.summarize([100 * r["accuracy"] for r in g]), k) for k, g in groups.items()
                         if k[0] == ds), key=lambda x: -x[0]["mean"])
        for stats, k in ranked[:5]:
            table.append([num(ds), num(k[1]), num(k[2]), num(k[3]) if k[3] is not None else "–", num(k[4]),
                          num(k[5]), num(k[7]) if k[7] is not None else "20 (default)",
                          _pm([(r["n_train"] + (r.get("train_retries") or 0)) / r["n_train"]
                               for r in groups[k]], 2), f"`{k[6]}`",
                          (f"{stats['mean']:.2f} ± {stats['std']:.2f}" if stats["std"] is not None
                           else f"{stats['mean']:.2f}") + f" (n={stats['n']})"])
        top, k = ranked[0]
        target = TARGETS.get(ds)
        if target is not None:
            met = top["mean"] >= target
            verdicts.append(f"- **{ds}**: best {top['mean']:.2f} % ({k[1]}, {k[2]} Wt {num(k[3])}, {num(k[4])} ms, "
                            f"{k[5]}, {top['n']} seed(s)) against the target {target:g} %: "
                            f"**{'met' if met else 'missed'}**"
                            + ("" if top["n"] >= 3 else " (fewer than 3 seeds)") + ".")
    out += md_table(["dataset", "neuron model", "scaling", "Wt", "presentation (ms)", "between images",
                     "STDP τ_pre (ms)", "presentations per training image", "sweep", "accuracy (%)"], table)
    return out + [""] + verdicts + ["", f"Regenerate: `{make_cmd}`; each setting's command is in its sweep's "
                                        f"section.", ""]


def pick_pair(sweeps: ty.Sequence[Sweep]) -> ty.Optional[ty.Tuple[dict, dict]]:
    """One finished l1 run and one l2 run with otherwise the same setting (largest
    training set, MNIST first, lowest seed), for the weight figures."""
    best = None
    for sw in sweeps:
        rows = done(sw.rows)
        for r1 in done(rows, **{"scaling.mode": "l1"}):
            for r2 in done(rows, **{"scaling.mode": "l2"}):
                same = all(_eq(r1.get(k), r2.get(k)) for k in
                           ("dataset", "seed", "n_train", "network.n_neurons", "time.between_images",
                            "time.presentation_ms"))
                if not same:
                    continue
                score = (r1.get("n_train") or 0, r1.get("dataset") == "mnist", r1.get("network.n_neurons") == 400,
                         -(r1.get("seed") or 0))
                if best is None or score > best[0]:
                    best = (score, r1, r2)
    return (best[1], best[2]) if best else None


def _load_runs(rows) -> ty.Tuple[ty.Dict[str, ty.Any], ty.List[str]]:
    """:class:`lava_wta.analysis.weights.RunData` of each finished run folder (by folder),
    and a note for each run that could not be read."""
    from lava_wta.analysis import weights as A

    loaded, problems = {}, []
    for r in rows:
        folder = r.get("folder")
        if not folder or folder in loaded:
            continue
        try:
            loaded[folder] = A.load_run(folder)
        except ValueError as exc:
            problems.append(f"`{r.get('run_id', folder)}` left out: {exc}")
    return loaded, problems


def stats_sweep(sweeps: ty.Sequence[Sweep], pair) -> ty.Tuple[ty.Optional[Sweep], ty.List[dict]]:
    """The sweep whose runs the weight statistics describe: ``paper_table`` if it has finished
    runs, else the sweep of the l1/l2 pair of the mosaics (only the runs of the pair's setting)."""
    for sw in sweeps:
        if sw.name == "paper_table" and done(sw.rows):
            return sw, done(sw.rows)
    if pair is None:
        return None, []
    for sw in sweeps:
        if any(r is pair[0] for r in sw.rows):
            keys = ("n_train", "network.n_neurons", "time.between_images", "time.presentation_ms")
            return sw, [r for r in done(sw.rows) if all(_eq(r.get(k), pair[0].get(k)) for k in keys)
                        and (r.get("scaling.mode") not in ("l1", "l2") or
                             _eq(r.get("scaling.target_norm"),
                                 pair[0 if r["scaling.mode"] == "l1" else 1].get("scaling.target_norm")))]
    return None, []


def _pm(values, digits: int = 3) -> str:
    """``mean ± std (over seeds)`` of the non-None values; the mean alone for one value."""
    x = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not x:
        return "–"
    s = R.summarize(x)
    if s["std"] is None:
        return f"{s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}"


def _compare(a: ty.Sequence[float], b: ty.Sequence[float]) -> ty.Tuple[str, ty.Optional[bool]]:
    """Welch's t test of the means of ``a`` and ``b`` (the seeds of two settings): a phrase, and
    whether the difference is clear (two-sided 5 %; None with one seed on a side)."""
    from scipy.stats import ttest_ind

    sa, sb = R.summarize(a), R.summarize(b)
    if sa["std"] is None or sb["std"] is None:
        return "one seed on a side: no test", None
    if sa["std"] == 0 and sb["std"] == 0:
        return ("clear: no spread over seeds", True) if sa["mean"] != sb["mean"] else ("equal", False)
    def finite(v):
        return [float(x) for x in v if x is not None and not math.isnan(x)]

    test = ttest_ind(finite(a), finite(b), equal_var=False)
    t = abs(float(test.statistic))
    clear = bool(test.pvalue < 0.05)
    size = "t > 100" if t > 100 else f"t = {t:.1f}"
    return f"Welch {size}, df {float(test.df):.1f}: {'clear' if clear else 'not clear at 5 %'}", clear


def _difference(a: ty.Sequence[float], b: ty.Sequence[float], a_name: str, b_name: str
                ) -> ty.Tuple[float, str, str]:
    """Mean of ``a`` minus mean of ``b`` (the seeds of two settings), Welch's phrase
    (:func:`_compare`) and the verdict: no test, no clear difference, or which is better."""
    d = R.summarize(a)["mean"] - R.summarize(b)["mean"]
    test, clear = _compare(b, a)
    if clear is None:
        return d, test, "no test"
    if not clear:
        return d, test, "no clear difference"
    return d, test, f"{a_name} better" if d > 0 else f"{b_name} better"


def plot_stat_histograms(groups: ty.Dict[str, ty.Dict[str, ty.List[ty.Any]]], wts: dict, path: Path) -> Path:
    """One row per dataset, l1 against l2 (neurons of every seed pooled): per-neuron mean
    weight, Hoyer sparsity, class selectivity, theta."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from lava_wta.analysis import weights as A

    panels = [("mean_w", "mean weight of the neuron"), ("hoyer", "Hoyer sparsity of its weights"),
              ("selectivity", "class selectivity (1 − H/log K)"), ("theta", "θ (mV)")]
    dsets = list(groups)
    fig, axes = plt.subplots(len(dsets), len(panels), figsize=(16, 3.4 * len(dsets)), squeeze=False)
    for i, ds in enumerate(dsets):
        per = {m: [A.neuron_statistics(run) for run in groups[ds][m]] for m in ("l1", "l2")}
        for j, (key, label) in enumerate(panels):
            ax = axes[i][j]
            arrays = {m: np.concatenate([p[key] for p in per[m] if key in p]) if any(key in p for p in per[m])
                      else None for m in per}
            arrays = {m: a[np.isfinite(a)] for m, a in arrays.items() if a is not None}
            if not arrays or not any(a.size for a in arrays.values()):
                ax.text(0.5, 0.5, "no labelling counts\n(scripts/label_counts.py)", ha="center", va="center",
                        transform=ax.transAxes)
            else:
                lo = min(a.min() for a in arrays.values() if a.size)
                hi = max(a.max() for a in arrays.values() if a.size)
                edges = np.linspace(lo, hi if hi > lo else lo + 1e-3, 41)
                for mode, color in (("l1", "tab:blue"), ("l2", "tab:orange")):
                    a = arrays.get(mode)
                    if a is None or not a.size:
                        continue
                    n_runs = sum(key in p for p in per[mode])
                    ax.hist(a, bins=edges, weights=np.full(a.size, 1 / a.size), alpha=0.55, color=color,
                            label=f"{mode} Wt={num(wts[ds][mode])} ({n_runs} run{'s' if n_runs > 1 else ''})")
                ax.legend(fontsize=7, loc="upper left")
            ax.set_xlabel(label)
            ax.set_ylabel("fraction of neurons")
            ax.set_title(ds, fontsize=9)
    fig.suptitle("per-neuron statistics, l1 against l2 (neurons of every finished seed pooled)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def section_weight_statistics(sweeps, fig_dir: Path, page_dir: Path, make_cmd: str, pair=None) -> ty.List[str]:
    """Weight, selectivity and θ statistics per scaling mode (mean ± std over seeds), their
    histograms (l1 against l2) and what they say about the paper's explanation."""
    from lava_wta.analysis import weights as A

    out = ["### Weight statistics and the paper's explanation", "",
           "Touda & Okuno explain L2 scaling beating L1 by L2 giving **lower mean weights** and "
           "**higher selectivity**. The statistics below test that on our trained networks "
           "(definitions: [Weight statistics](SWEEPS.md#weight-statistics) and "
           "`lava_wta/analysis/weights.py`).", ""]
    sw, rows = stats_sweep(sweeps, pair)
    if sw is None or not rows:
        return out + [f"_{NOT_RUN}_ (needs finished runs of the paper's table, or an l1 and an l2 run).", ""]
    loaded, problems = _load_runs(rows)
    rows = [r for r in rows if r.get("folder") in loaded]
    stats = {r["folder"]: A.run_statistics(loaded[r["folder"]]) for r in rows}
    groups: ty.Dict[tuple, ty.List[dict]] = {}
    for r in rows:
        wt = None if r.get("scaling.mode") == "none" else r.get("scaling.target_norm")
        groups.setdefault((r.get("dataset"), r.get("scaling.mode"), R._key(wt), r.get("network.n_neurons"),
                           r.get("n_train")), []).append(r)
    order = {d: i for i, d in enumerate(DATASETS)}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), str(k[0]), MODES.index(k[1]) if k[1] in MODES
                                         else 99, str(k[1]), str(k[2])))
    n_counts = sum(1 for r in rows if loaded[r["folder"]].counts is not None)
    out += [f"From `{sw.folder}`: {len(rows)} finished run(s); labelling spike counts (for class selectivity) "
            f"for {n_counts} of them. Each cell: mean ± std over seeds of the run's mean over its neurons.", ""]
    t1, t2 = [], []
    for k in keys:
        members = groups[k]
        col = lambda key: [stats[r["folder"]][key] for r in members]  # noqa: E731
        lead = [num(k[0]), num(k[1]), num(k[2]) if k[2] is not None else "–", num(k[3]), num(k[4]),
                str(len(members))]
        acc = [100 * r["accuracy"] for r in members if r.get("accuracy") is not None]
        t1.append(lead + [_pm(acc, 2), _pm(col("w_mean"), 4), _pm(col("neuron_mean_w_std"), 4),
                          _pm(col("frac_near_max"), 4), _pm(col("frac_near_zero"), 3), _pm(col("hoyer_mean")),
                          _pm(col("k50_mean"), 1), _pm(col("k90_mean"), 1)])
        with_counts = [s for s in col("selectivity_mean") if s is not None]
        t2.append(lead[:5] + [f"{len(with_counts)} / {len(members)}", _pm(col("selectivity_mean")),
                              _pm(col("assigned_share_mean")), _pm(col("neurons_silent_labelling"), 1),
                              _pm(col("theta_mean"), 2), _pm(col("theta_std"), 2), _pm(col("theta_q05"), 2),
                              _pm(col("theta_q50"), 2), _pm(col("theta_q95"), 2)])
    out += ["Weights:", ""]
    out += md_table(["dataset", "scaling", "Wt", "neurons", "train", "runs", "accuracy (%)", "mean w",
                     "std over neurons of mean w", "frac ≥ 0.9 w_max", "frac < 0.01 w_max", "Hoyer sparsity",
                     "inputs with 50 % L2", "inputs with 90 % L2"], t1)
    out += ["", "Class selectivity (from the labelling spike counts) and adaptive thresholds:", ""]
    out += md_table(["dataset", "scaling", "Wt", "neurons", "train", "runs with counts", "selectivity",
                     "assigned-class share", "neurons silent on labelling", "θ mean (mV)", "θ std (mV)",
                     "θ 5 % (mV)", "θ median (mV)", "θ 95 % (mV)"], t2)
    if problems:
        out += ["", "Left out: " + "; ".join(problems) + "."]
    out += [""]

    # l1 against l2, per dataset: histograms and the verdict
    per_ds: ty.Dict[str, ty.Dict[str, list]] = {}
    wts: ty.Dict[str, dict] = {}
    verdict, facts, across = [], {}, []
    for ds in [d for d in DATASETS if any(k[0] == d for k in keys)] + \
            sorted({k[0] for k in keys if k[0] not in DATASETS}, key=str):
        line = _across_modes(ds, keys, groups, stats)
        if line:
            across.append(line)
        g = {m: [k for k in keys if k[0] == ds and k[1] == m] for m in ("l1", "l2")}
        if len(g["l1"]) != 1 or len(g["l2"]) != 1:
            if g["l1"] and g["l2"]:
                verdict.append(f"- **{ds}**: several settings of l1 or l2 in this sweep; no comparison.")
            continue
        m1, m2 = groups[g["l1"][0]], groups[g["l2"][0]]
        per_ds[ds] = {"l1": [loaded[r["folder"]] for r in m1], "l2": [loaded[r["folder"]] for r in m2]}
        wts[ds] = {"l1": g["l1"][0][2], "l2": g["l2"][0][2]}
        line, facts[ds] = _verdict(ds, m1, m2, stats, wts[ds])
        verdict.append(line)
    if per_ds:
        png = plot_stat_histograms(per_ds, wts, fig_dir / "weight_stats.png")
        out += [f"![weight statistics, l1 against l2]({rel(png, page_dir)})", ""]
    out += ["**What the statistics say** (l2 against l1, generated from the numbers above; a difference "
            "is called clear when Welch's t test over the seeds rejects equal means at 5 % (two-sided); "
            "with 2 or 3 seeds per side only large differences pass):", ""]
    out += verdict or ["- no dataset has finished l1 and l2 runs yet."]
    if across:
        out += ["", "Every scaling mode of the table (means over seeds; selectivity over the runs that have "
                "labelling counts): do lower mean weight and higher selectivity go with higher accuracy "
                "across modes?", ""] + across
    if facts:
        out += ["", _conclusion(facts)]
    out += ["", "The paper's explanation needs, on a dataset where l2 is more accurate, a lower mean weight "
            "**and** a higher selectivity for l2. Note that the mean weight is set by the scaling itself: "
            "under l1 every neuron's mean weight is exactly Wt / n_inputs (78 / 784 = 0.0995); under l2 it is "
            "Wt · (L1/L2) / n_inputs, so an l2 network at Wt 5 has the lower mean weight only if its "
            "weight vectors have L1/L2 < 78 / 5 = 15.6, i.e. Hoyer sparsity above "
            "(28 − 15.6) / 27 = 0.459 (784 inputs). A mean-weight difference between l1 Wt 78 and "
            "l2 Wt 5 is therefore a statement about the two Wt values and the sparsity of the l2 "
            "weights, not about the norm alone.", "",
            f"Class selectivity needs the labelling spike counts, which the pipeline does not keep: "
            f"`NUMBA_NUM_THREADS=1 python scripts/label_counts.py {sw.folder}` recomputes them for finished "
            f"runs (a frozen labelling pass per run; it checks that the neuron assignments come out as in "
            f"`state.npz`) and writes `{A.LABEL_COUNTS_FILE}` into each run folder.", "",
            f"Regenerate: `{make_cmd}`.", ""]
    return out


def _verdict(ds, m1, m2, stats, wts) -> ty.Tuple[str, dict]:
    def col(members, key):
        return [stats[r["folder"]][key] for r in members if stats[r["folder"]][key] is not None]

    def mean(x):
        return sum(x) / len(x)

    parts, checks = [], []
    a1, a2 = col(m1, "w_mean"), col(m2, "w_mean")
    phrase, clear = _compare(a2, a1)
    lower = mean(a2) < mean(a1)
    parts.append(f"l2 has the **{'lower' if lower else 'higher'} mean weight** ({_pm(a2, 4)} against "
                 f"{_pm(a1, 4)}; {phrase})")
    checks.append(f"lower mean weight: {_yes(lower, clear)}")
    facts = {"lower_w": (lower, clear), "higher_sel": None}
    h1, h2 = col(m1, "hoyer_mean"), col(m2, "hoyer_mean")
    parts.append(f"{'sparser' if mean(h2) > mean(h1) else 'less sparse'} weight vectors "
                 f"(Hoyer {_pm(h2)} against {_pm(h1)}; {_compare(h2, h1)[0]})")
    s1, s2 = col(m1, "selectivity_mean"), col(m2, "selectivity_mean")
    if s1 and s2:
        phrase, clear = _compare(s2, s1)
        higher = mean(s2) > mean(s1)
        parts.append(f"**{'higher' if higher else 'lower'} selectivity** ({_pm(s2)} against {_pm(s1)}; {phrase})")
        checks.append(f"higher selectivity: {_yes(higher, clear)}")
        facts["higher_sel"] = (higher, clear)
    else:
        parts.append("selectivity not measured (labelling counts missing for l1 or l2)")
        checks.append("higher selectivity: not measured")
    acc1 = [100 * r["accuracy"] for r in m1 if r.get("accuracy") is not None]
    acc2 = [100 * r["accuracy"] for r in m2 if r.get("accuracy") is not None]
    phrase, clear = _compare(acc2, acc1)
    better = mean(acc2) > mean(acc1)
    parts.append(f"accuracy l2 {_pm(acc2, 2)} % against l1 {_pm(acc1, 2)} % ({phrase})")
    checks.insert(0, f"l2 more accurate: {_yes(better, clear)}")
    facts["better"] = (better, clear)
    return (f"- **{ds}** (l1 Wt {num(wts['l1'])}: {len(m1)} run(s), l2 Wt {num(wts['l2'])}: {len(m2)} run(s)): "
            + "; ".join(parts) + ". In short: " + "; ".join(checks) + "."), facts


def _conclusion(facts: ty.Dict[str, dict]) -> str:
    """One plain paragraph on the paper's explanation from the per-dataset facts of :func:`_verdict`."""
    if not facts:
        return ""

    def which(pred, key) -> str:
        return ", ".join(ds + _clarity(facts[ds][key][1]) for ds, f in facts.items() if pred(f)) or "none"

    better = [ds for ds, f in facts.items() if f["better"][0]]
    text = ("**In plain words:** l2 is more accurate than l1 on "
            + (", ".join(ds + _clarity(facts[ds]["better"][1]) for ds in better)
               if better else "no dataset here, so there is no l2 advantage for the explanation to account for")
            + ". ")
    text += (f"l2 has the lower mean weight on: {which(lambda f: f['lower_w'][0], 'lower_w')}; the higher on: "
             f"{which(lambda f: not f['lower_w'][0], 'lower_w')}. ")
    measured = {ds: f for ds, f in facts.items() if f["higher_sel"] is not None}
    if measured:
        text += (f"l2 neurons are more class-selective on: "
                 f"{which(lambda f: f['higher_sel'] is not None and f['higher_sel'][0], 'higher_sel')}; "
                 f"less selective on: "
                 f"{which(lambda f: f['higher_sel'] is not None and not f['higher_sel'][0], 'higher_sel')}. ")
    holds = [ds for ds, f in facts.items() if f["better"][0] and f["lower_w"][0]
             and f["higher_sel"] is not None and f["higher_sel"][0]]
    text += ("Both parts of the explanation (lower mean weight and higher selectivity with higher accuracy) hold "
             f"together on: {', '.join(holds) or 'no dataset'}.")
    return text


def _clarity(clear: ty.Optional[bool]) -> str:
    return "" if clear else " (not clearly)" if clear is False else " (one seed)"


def _spearman(x: ty.Sequence[float], y: ty.Sequence[float]) -> ty.Optional[float]:
    """Spearman's rank correlation (ties share their mean rank); None for fewer than 3 points
    or a constant side."""
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def _across_modes(ds, keys, groups, stats) -> ty.Optional[str]:
    """Every scaling mode of one dataset ordered by accuracy, with its mean weight and
    selectivity, and the rank correlations across modes."""
    entries = []
    for k in keys:
        if k[0] != ds:
            continue
        members = groups[k]
        acc = [100 * r["accuracy"] for r in members if r.get("accuracy") is not None]
        w = [stats[r["folder"]]["w_mean"] for r in members]
        sel = [stats[r["folder"]]["selectivity_mean"] for r in members
               if stats[r["folder"]]["selectivity_mean"] is not None]
        if acc:
            entries.append((k[1] + (f" Wt {num(k[2])}" if k[2] is not None else ""), sum(acc) / len(acc),
                            sum(w) / len(w), sum(sel) / len(sel) if sel else None))
    if len(entries) < 2:
        return None
    entries.sort(key=lambda e: -e[1])
    listed = "; ".join(f"{name}: {acc:.2f} %, mean w {w:.4f}, selectivity "
                       f"{'–' if sel is None else f'{sel:.3f}'}" for name, acc, w, sel in entries)
    out = f"- **{ds}**, every scaling mode by accuracy — {listed}."
    rho_w = _spearman([e[1] for e in entries], [e[2] for e in entries])
    with_sel = [e for e in entries if e[3] is not None]
    rho_s = _spearman([e[1] for e in with_sel], [e[3] for e in with_sel]) if len(with_sel) == len(entries) else None
    if rho_w is not None:
        out += (f" Spearman rank correlation with accuracy across the {len(entries)} modes: mean weight "
                f"{rho_w:+.2f}" + (f", selectivity {rho_s:+.2f}" if rho_s is not None else "") + ".")
    return out


def _yes(holds: bool, clear: ty.Optional[bool]) -> str:
    if not holds:
        return "no" + (" (the opposite, clearly)" if clear else " (not clearly)" if clear is False else "")
    return "yes" + (" (clearly)" if clear else " (not clearly)" if clear is False else " (one seed)")


def section_weights(sweeps, fig_dir: Path, page_dir: Path, make_cmd: str = "python study/make_results.py"
                    ) -> ty.List[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from lava_wta import plots

    out = ["## Learned weights: l1 against l2", ""]
    pair = pick_pair(sweeps)
    if pair is None:
        out += [f"_{NOT_RUN}_ (needs a finished l1 run and a finished l2 run of the same setting).", ""]
        return out + section_weight_statistics(sweeps, fig_dir, page_dir, make_cmd, None)
    states = {}
    for r in pair:
        st = R.load_state(r["folder"])
        if st is None:
            return out + [f"_state.npz of {r['folder']} is missing or unreadable._", ""]
        states[r["scaling.mode"]] = (r, st)
    fig_dir.mkdir(parents=True, exist_ok=True)
    vmax = max(float(st[0].max()) for _, st in states.values())
    cells = []
    for mode in ("l1", "l2"):
        r, (w, theta, w_max) = states[mode]
        side = int(round(math.sqrt(w.shape[1])))
        shape = (side, side) if side * side == w.shape[1] else (1, w.shape[1])
        mosaic = plots.weight_mosaic(w, shape)
        size = min(8.0, 2 + mosaic.shape[1] / 70)
        fig, ax = plt.subplots(figsize=(size + 1.0, size * mosaic.shape[0] / mosaic.shape[1] + 0.6))
        im = ax.imshow(mosaic, cmap="hot_r", interpolation="nearest", vmin=0, vmax=vmax)
        ax.set_title(f"{r['dataset']}, {mode} Wt={num(r['scaling.target_norm'])}, seed {r['seed']}: "
                     f"{100 * r['accuracy']:.2f} %\nmean weight {np.mean(w):.4f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="weight (same scale in both)")
        fig.tight_layout()
        png = fig_dir / f"weights_{mode}.png"
        fig.savefig(png, dpi=100)
        plt.close(fig)
        cells.append(f"![{mode} weights]({rel(png, page_dir)})")
    out += [f"One run each ({pair[0]['dataset']}, {pair[0]['network.n_neurons']} neurons, "
            f"{pair[0]['n_train']} training images, seed {pair[0]['seed']}), side by side on one colour "
            f"scale: `{pair[0]['folder']}` and `{pair[1]['folder']}`.", ""]
    out += md_table(["l1", "l2"], [cells]) + [""]
    out += section_weight_statistics(sweeps, fig_dir, page_dir, make_cmd, pair)
    out += section_competition(sweeps, make_cmd)
    # pixel statistics of every sweep (lava_wta.experiments.results)
    rows = [r for sw in sweeps for r in done(sw.rows)]
    agg_rows = []
    keyset = ("sweep", "dataset", "scaling.mode", "scaling.target_norm", "network.n_neurons")
    groups: dict = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) if not (k == "scaling.target_norm" and r.get("scaling.mode") == "none")
                                else None for k in keyset), []).append(r)
    for k, members in sorted(groups.items(), key=lambda kv: tuple((str(type(x)), x if x is not None else "")
                                                                   for x in kv[0])):
        k = tuple(num(x) for x in k)

        def m(col):
            v = [x.get(col) for x in members if x.get(col) is not None]
            return f"{np.mean(v):.3f}" if v else "–"
        agg_rows.append(list(k) + [str(len(members)), m("w_mean"), m("selectivity_gini_mean"),
                                   m("top10_l2_mass_mean"), m("sparsity_mean"), m("theta_mean")])
    out += ["### Pixel statistics of every sweep", "",
            "Mean over the runs of each setting (all seeds, all sweeps), from `lava-wta results`: Gini "
            "coefficient of a neuron's weight vector over pixels (0 uniform, → 1 all on one pixel; uniform "
            "noise gives 1/3), share of its L2 mass in its top 10 % pixels, fraction of its weights below "
            "1 % of w_max (definitions: `lava_wta/experiments/results.py`).", ""]
    out += md_table(["sweep", "dataset", "scaling", "Wt", "neurons", "runs", "mean w", "pixel Gini",
                     "top-10 % L2 mass", "frac < 0.01 w_max", "θ mean (mV)"], agg_rows)
    return out + [""]


COMPETITION_SWEEPS = {"paper_table": "paper's", "cuba": "paper's", "best": "low", "best_l2": "low"}
"""Sweeps whose l1 / l2 / max runs the competition section reads, and which Wt they use: the
paper's (l1 78, l2 5, max 0.5) or the low targets the Wt sweep found best (l1 10, l2 0.5)."""


def competition_rows(sweeps) -> ty.Tuple[ty.List[dict], ty.List[str]]:
    """Finished l1 / l2 / max runs of the ``paper_table`` and ``cuba`` sweeps that have
    labelling counts, each with its :func:`lava_wta.analysis.competition.competition_statistics`."""
    from lava_wta.analysis import competition as CP
    from lava_wta.data import label_split, load_dataset

    rows = [{**r, "sweep_name": sw.name} for sw in sweeps if sw.name in COMPETITION_SWEEPS for r in done(sw.rows)
            if r.get("scaling.mode") in ("l1", "l2", "max")]
    loaded, problems = _load_runs(rows)
    datasets: dict = {}
    out = []
    for r in rows:
        run = loaded.get(r.get("folder"))
        if run is None:
            continue
        if run.counts is None:
            problems.append(f"`{r['run_id']}` left out: no labelling counts")
            continue
        name = r.get("dataset")
        try:
            if name not in datasets:
                datasets[name] = load_dataset(name, log=lambda msg: None)
            ds = datasets[name]
            label_x, label_y = label_split(ds, int(r["n_train"]), int(r["n_label"]), r.get("label_from") or "heldout")
            n_test = int(r.get("n_test") or len(ds.test_images))
            if label_x.shape[0] != run.counts.shape[0] or not (label_y == run.labels).all():
                raise ValueError("its labelling counts are not those of the labelling images it names")
            stats = CP.competition_statistics(
                run.weights, run.theta, label_images=label_x, label_counts=run.counts,
                assignments=run.assignments, test_images=ds.test_images[:n_test], test_labels=ds.test_labels[:n_test])
        except Exception as exc:  # noqa: BLE001 - one unreadable run must not stop the page
            problems.append(f"`{r['run_id']}` left out: {exc}")
            continue
        out.append({**r, **stats, "network.neuron_model": r.get("network.neuron_model") or "conductance",
                    "wt_choice": COMPETITION_SWEEPS[r["sweep_name"]]})
    return out, problems


def _mean_or_none(values) -> ty.Optional[float]:
    x = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return R.summarize(x)["mean"] if x else None


def section_competition(sweeps, make_cmd: str) -> ty.List[str]:
    """l1 against l2: how often the competition picks the best-matching prototype, and how good
    the prototypes are; the prose is derived from the numbers it shows."""
    out = ["### l1 against l2: does the competition pick the best-matching prototype?", "",
           "A neuron's drive by an image is `w_j · x = ‖w_j‖₂ ‖x‖₂ cos(w_j, x)`. Under l2 scaling every "
           "`‖w_j‖₂` is Wt, so among neurons with equal thresholds the most driven one is the prototype "
           "closest to the image in angle; under l1 (or max) the L2 norms differ between neurons, and a "
           "neuron whose weights are concentrated on fewer pixels has the larger L2 norm at the same L1 sum. "
           "The adaptive thresholds θ and the Poisson noise also decide who fires first, so whether the "
           "norm matters is measured here (`lava_wta/analysis/competition.py`, definitions in "
           "[SWEEPS.md](SWEEPS.md#competition-statistics-does-the-competition-pick-the-best-matching-prototype)): "
           "**best match wins** = share of labelling images on which the neuron of highest cosine similarity "
           "fired most (a tie for the top count between k neurons counts 1/k); **winner rank** = mean number "
           "of neurons with a better cosine than the most active one; **prototype accuracy** = test accuracy "
           "of the weights alone as a nearest-prototype (cosine) classifier with the run's neuron labels, no "
           "spikes; **‖w‖₂ CV** = coefficient of variation of the neurons' L2 norms; **ρ** = Spearman "
           "correlations over neurons of the L2 norm with θ and with the neuron's labelling spikes. "
           "Mean ± std over seeds.", ""]
    rows, problems = competition_rows(sweeps)
    if not rows:
        return out + [f"_{NOT_RUN}_ (needs finished l1 and l2 runs of "
                      f"{', '.join(f'`{n}`' for n in COMPETITION_SWEEPS)} with labelling counts).", ""]
    groups: ty.Dict[tuple, ty.List[dict]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["network.neuron_model"], r["scaling.mode"],
                           R._key(r.get("scaling.target_norm")), r.get("network.n_neurons"), r.get("n_train"),
                           r["wt_choice"]), []).append(r)
    order = {d: i for i, d in enumerate(DATASETS)}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), str(k[0]), str(k[1]), str(k[6]),
                                         MODES.index(k[2]), str(k[4]), str(k[5])))
    pct100 = lambda xs: [None if x is None else 100 * x for x in xs]  # noqa: E731
    table = []
    for k in keys:
        g = groups[k]
        col = lambda key: [x.get(key) for x in g]  # noqa: E731
        table.append([num(k[0]), num(k[1]), num(k[2]), num(k[3]), num(k[6]), num(k[4]), num(k[5]), str(len(g)),
                      _pm(pct100(col("accuracy")), 2), _pm(pct100(col("best_match_wins")), 1),
                      _pm(col("winner_rank_mean"), 1), _pm(pct100(col("prototype_accuracy")), 2),
                      _pm(col("norm_cv"), 3), _pm(col("rho_norm_theta"), 2), _pm(col("rho_norm_spikes"), 2)])
    out += md_table(["dataset", "neuron model", "scaling", "Wt", "Wt choice", "neurons", "train", "runs",
                     "accuracy (%)",
                     "best match wins (%)", "winner rank", "prototype accuracy (%)", "‖w‖₂ CV", "ρ(‖w‖₂, θ)",
                     "ρ(‖w‖₂, spikes)"], table)
    out += ["", "**l2 against l1** in each dataset and neuron model (same neurons and training images; "
            "clear = Welch's t test over seeds at 5 %, two-sided):", ""]
    both_clear, same_sign_clear, unresolved = 0, 0, 0
    for ds in sorted({k[0] for k in keys}, key=lambda d: (order.get(d, 99), str(d))):
        for model in sorted({k[1] for k in keys if k[0] == ds}):
            for setting in sorted({(k[4], k[5], k[6]) for k in keys if k[:2] == (ds, model)}, key=str):
                g1 = [groups[k] for k in keys if k[:3] == (ds, model, "l1") and (k[4], k[5], k[6]) == setting]
                g2 = [groups[k] for k in keys if k[:3] == (ds, model, "l2") and (k[4], k[5], k[6]) == setting]
                if len(g1) != 1 or len(g2) != 1:
                    continue
                parts, clears, signs = [], [], []
                for key, label, digits in (("accuracy", "accuracy", 2), ("best_match_wins", "best match wins", 1),
                                           ("prototype_accuracy", "prototype accuracy", 2)):
                    v1 = [100 * x[key] for x in g1[0] if x.get(key) is not None and not math.isnan(x[key])]
                    v2 = [100 * x[key] for x in g2[0] if x.get(key) is not None and not math.isnan(x[key])]
                    m1, m2 = _mean_or_none(v1), _mean_or_none(v2)
                    if m1 is None or m2 is None:
                        parts.append(f"{label} –")
                        clears.append(None)
                        signs.append(None)
                        continue
                    test, clear = _compare(v1, v2)
                    parts.append(f"{label} {m2 - m1:+.{digits}f} points ({test})")
                    clears.append(clear)
                    signs.append(m2 > m1)
                if clears[0] and clears[1]:
                    both_clear += 1
                    same = signs[0] == signs[1]
                    same_sign_clear += same
                    tail = ("both clear, same direction" if same else "both clear, opposite directions")
                else:
                    unresolved += 1
                    tail = "not both clear: no conclusion"
                out.append(f"- **{ds}, {model}, {setting[2]} Wt** ({num(setting[0])} neurons, {num(setting[1])} "
                           f"training images): "
                           f"l2 − l1: " + "; ".join(parts) + f". {tail.capitalize()}.")
    if both_clear or unresolved:
        out += ["", f"Pairs where the accuracy difference and the best-match difference are both clear: "
                f"{both_clear}; in {same_sign_clear} of them the scaling mode whose competition picks the best "
                f"match more often is also the more accurate one. {unresolved} pair(s) give no conclusion "
                f"(a difference not clear, or one seed on a side). The ρ columns are correlations, not causes: "
                f"under l1 the neurons with the larger L2 norm also have the higher θ, as the adaptive threshold "
                f"rises with every spike."]
    if problems:
        out += ["", "Left out: " + "; ".join(problems) + "."]
    return out + ["", f"Regenerate: `{make_cmd}` (labelling counts of older runs: "
                      f"`NUMBA_NUM_THREADS=1 python scripts/label_counts.py runs/sweeps/<sweep>`).", ""]


def section_failures(sweeps) -> ty.List[str]:
    bad = [(sw.name, r) for sw in sweeps for r in sw.rows if r["status"] == "failed"]
    sig = [(sw.name, r) for sw in sweeps for r in done(sw.rows) if r.get("failure_signatures")]
    out = ["## Failed runs and failure signatures", ""]
    if not bad and not sig:
        return out + ["None among the runs found.", ""]
    table = [[n, f"`{r['run_id']}`", "failed: " + str(r.get("error") or "").replace("|", "/")[:160]] for n, r in bad]
    table += [[n, f"`{r['run_id']}`", f"{r['failure_signatures']} ({100 * r['accuracy']:.2f} %)"] for n, r in sig]
    return out + md_table(["sweep", "run", "what"], table) + [""]


# ---------------------------------------------------------------------- main
def sections(sweeps: ty.Sequence[Sweep], out: Path, fig_dir: Path, make_cmd: str
             ) -> ty.List[ty.Tuple[str, ty.Callable[[], ty.List[str]]]]:
    """The page's sections in order, each as (name, a function that writes its lines); the
    name is that of its markers in the page (``<!-- BEGIN name -->``)."""
    page_dir = out.parent
    by_name: ty.Dict[str, Sweep] = {}
    for sw in sweeps:
        by_name.setdefault(sw.name, sw)

    def wt_sweep() -> ty.List[str]:
        lines = section_curve(
            by_name.get("wt_sweep"), "wt_sweep", "Accuracy against the target norm Wt",
            "400 neurons, 10,000 training / 10,000 labelling / 10,000 test images. The paper expects a "
            "cliff at each end: too low a Wt leaves the network silent, too high pins weights at w_max. "
            "Here the adaptive-intensity rule (an image that drew fewer than 5 spikes is shown again at a "
            "raised rate, up to 10 times) keeps low-Wt networks learning; the second figure shows how many "
            "presentations each training image took.", "scaling.target_norm", "target norm Wt",
            fig_dir / "accuracy_vs_wt.png", page_dir, make_cmd, split_modes=True, logx=True)
        png = plot_presentations(by_name.get("wt_sweep"), fig_dir / "presentations_vs_wt.png")
        if png:
            lines += [f"![presentations per training image against Wt]({rel(png, page_dir)})", ""]
        return lines

    dc = ", ".join(f"{n} → {a} %" for n, a in sorted(DIEHL_COOK_ACCURACY.items()) if n <= 1600)
    out_sections: ty.List[ty.Tuple[str, ty.Callable[[], ty.List[str]]]] = [
        ("paper_table", lambda: section_paper(by_name.get("paper_table"), make_cmd)),
        ("best_configurations", lambda: section_best(sweeps, make_cmd)),
        ("wt_sweep", wt_sweep),
        ("neurons", lambda: section_curve(
            by_name.get("neurons"), "neurons", "Accuracy against the number of neurons",
            "l1 (Wt 78) against l2 (Wt 5), 40,000 training images (one epoch), 10,000 labelling, 10,000 test. "
            f"Diehl & Cook (l1, several epochs): {dc}.",
            "network.n_neurons", "excitatory neurons", fig_dir / "accuracy_vs_neurons.png", page_dir, make_cmd,
            split_modes=False, logx=True)),
        ("protocol", lambda: section_curve(
            by_name.get("protocol"), "protocol", "Presentation protocol: reset or rest, 150 or 350 ms",
            "MNIST, 400 neurons, 40,000 / 10,000 / 10,000; is the l2 advantage robust to the protocol and to "
            "retuning l1?", "time.presentation_ms", "presentation (ms)", fig_dir / "protocol.png", page_dir,
            make_cmd, split_modes=False, logx=False)),
        ("scale", lambda: section_epochs(by_name.get("scale"), fig_dir, page_dir, make_cmd)),
        ("scale_theta", lambda: section_epochs(
            by_name.get("scale_theta"), fig_dir, page_dir, make_cmd, name="scale_theta",
            title="6,400 neurons with θ-plus scaled to the size", intro=THETA_INTRO,
            figure="accuracy_vs_epochs_theta.png", baseline=by_name.get("scale"), extra=("exc.theta_plus_mv",))),
        ("scale_lr", lambda: section_epochs(
            by_name.get("scale_lr"), fig_dir, page_dir, make_cmd, name="scale_lr",
            title="Doubled STDP rates at Diehl & Cook's sizes", intro=LR_INTRO,
            figure="accuracy_vs_epochs_lr.png", baseline=by_name.get("scale"))),
        ("scale_long", lambda: section_epochs(
            by_name.get("scale_long"), fig_dir, page_dir, make_cmd, name="scale_long",
            title="6,400 neurons over more passes", intro=LONG_INTRO, figure="accuracy_vs_epochs_long.png")),
        ("adaptive_target", lambda: section_adaptive(sweeps, make_cmd)),
    ]
    for sw in sweeps:
        if sw.name not in KNOWN:
            out_sections.append((sw.name, lambda sw=sw: section_generic(sw, f"Sweep `{sw.name}`", make_cmd)))
    out_sections += [("weights", lambda: section_weights(sweeps, fig_dir, page_dir, make_cmd)),
                     ("failures", lambda: section_failures(sweeps))]
    return out_sections


def header(make_cmd: str) -> ty.List[str]:
    return ["# Results", "",
            f"Generated by `{make_cmd}` from the run folders of the sweeps of `study/experiments/`; do not edit "
            "by hand. Each section names its folder and runs, and `python study/make_results.py --only NAME` "
            "rewrites the section NAME alone (between its `<!-- BEGIN NAME -->` and `<!-- END NAME -->` "
            "markers) from the folders present. Every number below is read from a run's `metrics.json` / "
            "`state.npz`, except the paper's, Diehl & Cook's and the reference implementation's numbers, "
            "which are quoted. Sweeps are described in [SWEEPS.md](SWEEPS.md).", "",
            "Protocol: in `reset` mode (the default) each reset between presentations stands for the "
            "`time.rest_ms` (150 ms) rest it replaces, so θ decays over it while learning. With "
            "`--set time.rest_ms=0` a reset stands for no time and θ decays half as much over a run.", ""]


def _body(lines: ty.List[str]) -> str:
    return "\n".join(lines).strip("\n")


def build(sweeps: ty.Sequence[Sweep], out: Path, fig_dir: Path, make_cmd: str) -> str:
    """The whole page: the header and every section between its markers."""
    lines = header(make_cmd)
    for name, make in sections(sweeps, out, fig_dir, make_cmd):
        lines += [begin_marker(name), _body(make()), end_marker(name), ""]
    return "\n".join(lines).rstrip() + "\n"


def rebuild_sections(page: str, names: ty.Sequence[str], sweeps: ty.Sequence[Sweep], out: Path,
                     fig_dir: Path, make_cmd: str) -> str:
    """``page`` with the sections ``names`` written again and everything else kept: for a
    checkout that holds the run folders of some sweeps only. Unknown names and sections
    without their markers are refused before anything is computed."""
    known = dict(sections(sweeps, out, fig_dir, make_cmd))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"--only: unknown section(s) {unknown}; the sections are {sorted(known)}")
    for n in names:
        replace_section(page, n, "")            # raises MarkersMissing before any work
    for n in names:
        page = replace_section(page, n, _body(known[n]()))
    return page


def main(argv: ty.Optional[ty.Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweeps", type=Path, nargs="*", help="sweep folders (default: the 'out' of every --specs)")
    p.add_argument("--specs", type=Path, nargs="*", help="specifications whose sweeps to read "
                                                         "(default: study/experiments/*.yaml)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "RESULTS.md", help="page to write")
    p.add_argument("--figures", type=Path, help="folder of the figures (default: results/ next to --out)")
    p.add_argument("--csv", type=Path, help="also write every run as one CSV table")
    p.add_argument("--only", nargs="+", metavar="NAME", help="rewrite only these sections of the existing "
                                                             "page (e.g. scale), keeping the others")
    args = p.parse_args(argv)
    specs = args.specs if args.specs is not None else [
        s for s in sorted((ROOT / "study" / "experiments").glob("*.yaml")) if s.stem not in SMOKE_SPECS]
    sweeps = find_sweeps(args.sweeps, specs)
    fig_dir = args.figures or args.out.parent / "results"
    shown = ["python", "study/make_results.py"] + [str(s) for s in args.sweeps]
    if args.specs is not None and not args.sweeps:
        shown += ["--specs"] + [rel(s, ROOT) if Path(s).is_absolute() else str(s) for s in args.specs]
    if args.out.resolve() != (ROOT / "docs" / "RESULTS.md").resolve():
        shown += ["--out", str(args.out)]
    make_cmd = " ".join(shlex.quote(a) for a in shown)
    if args.only:
        try:
            text = rebuild_sections(args.out.read_text(), args.only, sweeps, args.out, fig_dir, make_cmd)
        except (OSError, ValueError) as exc:
            print(f"make_results: {exc}", file=sys.stderr)
            return 2
    else:
        text = build(sweeps, args.out, fig_dir, make_cmd)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, text)
    if args.csv:
        R.write_csv([r for sw in sweeps for r in sw.rows], args.csv)
    print(f"wrote {args.out} ({sum(len(s.rows) for s in sweeps)} runs from {len(sweeps)} sweeps; "
          f"figures in {fig_dir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
