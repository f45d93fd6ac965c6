#!/usr/bin/env python
"""Regenerate docs/RESULTS.md (and its figures) from the run folders of sweeps.

    python scripts/make_results.py                       # the sweeps of experiments/*.yaml
    python scripts/make_results.py runs/sweeps/paper_table runs/other --out docs/RESULTS.md

Without folders it reads the ``out`` folder of every specification in ``experiments/``
(``--specs`` changes the list). Each folder is one sweep; its section is chosen by the
sweep's name (``sweep.json``, else the specification's name, else the folder name):
``paper_table``, ``wt_sweep``, ``neurons``, ``protocol``; any other sweep gets a generic
table. A sweep that has no finished runs is shown as "not run yet"; every number in the
page comes from a run folder (the paper's numbers are quoted as the paper's).
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

from lava_wta.experiments import results as R  # noqa: E402
from lava_wta.experiments.spec import SpecError, load_spec  # noqa: E402
from lava_wta.experiments.sweep import SWEEP_RECORD, read_json  # noqa: E402

PAPER = {("mnist", "l2"): 88.84, ("mnist", "l1"): 87.0,
         ("fashion-mnist", "l2"): 68.01, ("fashion-mnist", "l1"): 66.0}
"""Touda & Okuno 2026, 400 neurons, 40,000 training / 10,000 test images (MODEL.md)."""
REFERENCE = {("mnist", "l2"): "88.88 ± 0.71 (n=5, Wt 5)", ("mnist", "l1"): "87.64 ± 0.58 (n=5, Wt 78)"}
"""MODEL.md: an independent implementation of the same model, same protocol, 5 seeds."""
DATASETS = ("mnist", "fashion-mnist")
MODES = ("l2", "l1", "max", "none")
KNOWN = ("paper_table", "wt_sweep", "neurons", "protocol")
SETTING = ("network.n_neurons", "n_train", "n_label", "n_test")
NOT_RUN = "not run yet"


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
    return f"experiments/{name}.yaml"


def commands(sweep: ty.Optional[Sweep], name: str, make_cmd: str) -> str:
    return (f"Reproduce: `lava-wta sweep {spec_path(sweep, name)}` "
            f"(then `lava-wta results {sweep.folder if sweep else 'runs/sweeps/' + name}` for the full "
            f"table), then `{make_cmd}`.")


# ---------------------------------------------------------------------- sections
def section_paper(sweep, make_cmd) -> ty.List[str]:
    rows = sweep.rows if sweep else []
    out = ["## The paper's table", "",
           "The paper: 400 neurons, one epoch of 40,000 training images, 10,000 test images "
           "(Touda & Okuno 2026); reference: MODEL.md's independent implementation of the same model "
           "(labels from the 10,000 held-out training images). lava-wta: the setting of each row is in "
           "its columns (neurons; training / labelling / test images); mean ± sample std over seeds "
           "(n = seeds) and the 95 % confidence interval of the mean (Student's t).", ""]
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
    out += ["", f"Runs: {status_line(rows)} in `{sweep.folder}`." + ignored_note(sweep), "",
            commands(sweep, name, make_cmd), ""]
    return out


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


def section_weights(sweeps, fig_dir: Path, page_dir: Path) -> ty.List[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from lava_wta import plots

    out = ["## Learned weights: l1 against l2", ""]
    pair = pick_pair(sweeps)
    if pair is None:
        return out + [f"_{NOT_RUN}_ (needs a finished l1 run and a finished l2 run of the same setting).", ""]
    states = {}
    for r in pair:
        st = R.load_state(r["folder"])
        if st is None:
            return out + [f"_state.npz of {r['folder']} is missing or unreadable._", ""]
        states[r["scaling.mode"]] = (r, st)
    fig_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for mode in ("l1", "l2"):
        r, (w, theta, w_max) = states[mode]
        side = int(round(math.sqrt(w.shape[1])))
        shape = (side, side) if side * side == w.shape[1] else (1, w.shape[1])
        png = plots.plot_weights(w, shape, fig_dir / f"weights_{mode}.png",
                                 title=f"{r['dataset']}, {mode} Wt={num(r['scaling.target_norm'])}, "
                                       f"seed {r['seed']}: {100 * r['accuracy']:.2f} %")
        lines.append(f"![{mode} weights]({rel(png, page_dir)})")
    out += [f"One run each ({pair[0]['dataset']}, {pair[0]['network.n_neurons']} neurons, "
            f"{pair[0]['n_train']} training images, seed {pair[0]['seed']}): "
            f"`{pair[0]['folder']}` and `{pair[1]['folder']}`.", ""] + lines + [""]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    data = {}
    for mode in ("l1", "l2"):
        r, (w, theta, w_max) = states[mode]
        per = R.neuron_statistics(w, w_max)
        data[mode] = (r, [per["gini"], per["sparsity"], theta])
    labels = ["selectivity (Gini of the weight vector)", "sparsity (fraction of weights < 1 % of w_max)",
              "θ (mV)"]
    for k, (ax, label) in enumerate(zip(axes, labels)):
        edges = np.histogram_bin_edges(np.concatenate([data[m][1][k] for m in data]), bins=30)
        for mode, color in (("l1", "tab:blue"), ("l2", "tab:orange")):
            r, arrays = data[mode]
            ax.hist(arrays[k], bins=edges, alpha=0.55, color=color,
                    label=f"{mode} Wt={num(r['scaling.target_norm'])}")
        ax.set_xlabel(label)
        ax.set_ylabel("neurons")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle("per-neuron weight statistics of the two runs above")
    fig.tight_layout()
    png = fig_dir / "weight_stats.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    out += [f"![weight statistics]({rel(png, page_dir)})", "",
            "Selectivity: Gini coefficient of a neuron's input weight vector (0 uniform, → 1 all on one "
            "pixel; uniform noise gives 1/3). Sparsity: fraction of its weights below 1 % of w_max. "
            "Definitions: `lava_wta/experiments/results.py`.", ""]
    # per-setting averages over all finished runs
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
    out += ["Weight statistics, mean over the runs of each setting (all seeds, all sweeps):", ""]
    out += md_table(["sweep", "dataset", "scaling", "Wt", "neurons", "runs", "mean w", "Gini",
                     "top-10 % L2 mass", "sparsity", "θ mean (mV)"], agg_rows)
    return out + [""]


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
def build(sweeps: ty.Sequence[Sweep], out: Path, fig_dir: Path, make_cmd: str) -> str:
    page_dir = out.parent
    by_name = {}
    for sw in sweeps:
        by_name.setdefault(sw.name, sw)
    n_runs = sum(len(sw.rows) for sw in sweeps)
    lines = ["# Results", "",
             f"Generated by `{make_cmd}` from {n_runs} run folders "
             f"({', '.join(f'`{sw.folder}`' for sw in sweeps) or 'none'}); do not edit by hand. "
             "Every number below is read from a run's `metrics.json` / `state.npz`, except the "
             "paper's and MODEL.md's reference numbers, which are quoted. Sweeps are described in "
             "[SWEEPS.md](SWEEPS.md).", ""]
    lines += section_paper(by_name.get("paper_table"), make_cmd)
    lines += section_curve(
        by_name.get("wt_sweep"), "wt_sweep", "Accuracy against the target norm Wt",
        "400 neurons, 10,000 training / 10,000 labelling / 10,000 test images; too low a Wt leaves "
        "the network silent, too high pins weights at w_max.", "scaling.target_norm", "target norm Wt",
        fig_dir / "accuracy_vs_wt.png", page_dir, make_cmd, split_modes=True, logx=True)
    lines += section_curve(
        by_name.get("neurons"), "neurons", "Accuracy against the number of neurons",
        "l1 (Wt 78) against l2 (Wt 5), 40,000 training images (one epoch), 10,000 labelling, 10,000 test. "
        "Diehl & Cook (l1, several epochs): 100 → 82.9 %, 400 → 87.0 %, 1600 → 91.9 %.",
        "network.n_neurons", "excitatory neurons", fig_dir / "accuracy_vs_neurons.png", page_dir, make_cmd,
        split_modes=False, logx=True)
    lines += section_curve(
        by_name.get("protocol"), "protocol", "Presentation protocol: reset or rest, 150 or 350 ms",
        "MNIST, 400 neurons, 40,000 / 10,000 / 10,000; is the l2 advantage robust to the protocol and to "
        "retuning l1?", "time.presentation_ms", "presentation (ms)", fig_dir / "protocol.png", page_dir,
        make_cmd, split_modes=False, logx=False)
    for sw in sweeps:
        if sw.name not in KNOWN:
            lines += section_generic(sw, f"Sweep `{sw.name}`", make_cmd)
    lines += section_weights(sweeps, fig_dir, page_dir)
    lines += section_failures(sweeps)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: ty.Optional[ty.Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweeps", type=Path, nargs="*", help="sweep folders (default: the 'out' of every --specs)")
    p.add_argument("--specs", type=Path, nargs="*", help="specifications whose sweeps to read "
                                                         "(default: experiments/*.yaml)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "RESULTS.md", help="page to write")
    p.add_argument("--figures", type=Path, help="folder of the figures (default: results/ next to --out)")
    p.add_argument("--csv", type=Path, help="also write every run as one CSV table")
    args = p.parse_args(argv)
    specs = args.specs if args.specs is not None else sorted((ROOT / "experiments").glob("*.yaml"))
    sweeps = find_sweeps(args.sweeps, specs)
    fig_dir = args.figures or args.out.parent / "results"
    shown = ["python", "scripts/make_results.py"] + [str(s) for s in args.sweeps]
    if args.out.resolve() != (ROOT / "docs" / "RESULTS.md").resolve():
        shown += ["--out", str(args.out)]
    make_cmd = " ".join(shlex.quote(a) for a in shown)
    text = build(sweeps, args.out, fig_dir, make_cmd)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.csv:
        R.write_csv([r for sw in sweeps for r in sw.rows], args.csv)
    print(f"wrote {args.out} ({sum(len(s.rows) for s in sweeps)} runs from {len(sweeps)} sweeps; "
          f"figures in {fig_dir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
