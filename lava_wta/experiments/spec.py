"""A sweep of experiments, written as YAML and expanded into a deterministic list of runs.

Example (``study/experiments/paper_table.yaml``)::

    name: paper_table
    out: runs/sweeps/paper_table        # root folder; each run goes to out/<run_id>
    n_train: 40000                      # run settings may sit at the top level,
    n_label: 10000                      # in base, in grid or in runs
    n_test: 10000
    base:                               # dotted configuration overrides for every run
      network.n_neurons: 400
    grid:                               # every combination of these lists
      dataset: [mnist, fashion-mnist]
      seed: [0, 1, 2]
    runs:                               # explicit combinations, crossed with the grid
      - {scaling.mode: l2, scaling.target_norm: 5}
      - {scaling.mode: l1, scaling.target_norm: 78}

Keys
----
Every key of ``base``, ``grid`` and a ``runs`` entry is either a dotted field of
:class:`lava_wta.WTAConfig` (``scaling.mode``, ``time.presentation_ms``, ``seed``, ...; an
unknown one is reported with :meth:`WTAConfig.with_overrides`'s error) or a run setting:

==============  =========================================================  =========
key             meaning                                                    default
==============  =========================================================  =========
``dataset``     ``mnist``, ``fashion-mnist`` or ``digits``                 required
``n_train``     training images (the first ``n_train`` of the train set)   required
``n_label``     images that label the neurons                              required
``n_test``      test images                                                required
``backend``     a backend that learns (``backend_names(learns=True)``)     engine
``label_from``  ``heldout`` (images after the training ones) or ``train``  heldout
==============  =========================================================  =========

``checkpoint_every`` (images between training checkpoints; default: the backend's, 5,000
for the engine) is a setting of how a run executes, not of what it computes: it is not
part of the run id.

``network.n_inputs`` follows the dataset (784 or 64 pixels) unless given explicitly.
Run settings may also be written at the top level of the file (same as in ``base``).

``imports`` (top level) lists modules to import before the runs are expanded and in every
worker before a run starts, as ``--plugin`` does on the command line (module names, or
``.py`` paths relative to the current folder): a sweep can then select the rules they
register (``stdp.rule: soft_bound``, ``scaling.mode: l3``)::

    imports: [examples/custom_rules.py]
    grid:
      stdp.rule: [additive, soft_bound]

Expansion
---------
* ``grid`` only: the Cartesian product of its lists, in the order the keys are written
  (the last key varies fastest), each merged over ``base``.
* ``runs`` only: each entry merged over ``base`` (one run per entry).
* ``grid`` and ``runs``: every grid combination crossed with every entry (grid outer,
  entries inner). A key may not be in both ``grid`` and an entry: that is an error, as
  the intention would be ambiguous.
* Precedence: ``base`` < ``grid`` < ``runs`` entry (a grid or entry key overrides ``base``).

Every run gets a stable id: a readable slug of the values that came from ``grid`` and
``runs`` (``mnist_l1_target_norm=78_seed=0``), a dash, and the first 8 hex digits of the
SHA-1 of its full parameter dict (every explicit key, values typed as the configuration
types them, so ``5`` and ``5.0`` are the same run). Its folder is ``out/<run_id>``. Adding
values to a grid list or entries to ``runs`` leaves the ids of existing runs unchanged,
so an extended sweep reuses every finished run; changing ``base`` changes every id.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import typing as ty
from dataclasses import dataclass, field
from pathlib import Path

from lava_wta.backends import backend_names
from lava_wta.config import ConfigError, WTAConfig
from lava_wta.data import DATASETS

DATASET_PIXELS = {"mnist": 784, "fashion-mnist": 784, "digits": 64}
DATASET_SIZES = {"mnist": (60000, 10000), "fashion-mnist": (60000, 10000), "digits": (1297, 500)}
"""(training images, test images) of the built-in sources; checked when ``data_dir`` is not set."""

RUN_SETTINGS = ("dataset", "n_train", "n_label", "n_test", "backend", "label_from")
EXECUTION_SETTINGS = ("checkpoint_every",)

SETTING_DEFAULTS = {"backend": "engine", "label_from": "heldout"}
TOP_LEVEL = ("name", "out", "description", "data_dir", "imports", "base", "grid", "runs") + RUN_SETTINGS \
    + EXECUTION_SETTINGS


class SpecError(ConfigError):
    """A sweep specification is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything ``run_experiment`` needs, and where it writes."""

    run_id: str
    folder: Path
    dataset: str
    n_train: int
    n_label: int
    n_test: int
    backend: str
    label_from: str
    overrides: ty.Dict[str, ty.Any]
    """Dotted configuration overrides (``network.n_inputs`` and ``seed`` included)."""
    params: ty.Dict[str, ty.Any]
    """Every explicit parameter of the run (run settings and overrides), typed; hashed into the id."""
    swept: ty.Tuple[str, ...]
    """Keys of ``params`` that came from ``grid`` or ``runs`` (the rest came from ``base``)."""
    data_dir: ty.Optional[str] = None
    checkpoint_every: ty.Optional[int] = None
    """Images between training checkpoints (None: the backend's default); not in the id."""
    imports: ty.Tuple[str, ...] = ()
    """Plugins to import before the run (see :mod:`lava_wta.plugins`); not in the id."""

    def config(self) -> WTAConfig:
        from lava_wta.plugins import load_plugins

        load_plugins(self.imports)
        return WTAConfig().with_overrides(self.overrides)

    def command(self) -> str:
        """An equivalent single ``lava-wta train`` command line for this run."""
        import shlex

        args = ["lava-wta"] + [a for spec in self.imports for a in ("--plugin", spec)]
        args += ["train", "--dataset", self.dataset, "--train-images", str(self.n_train),
                "--label-images", str(self.n_label), "--test-images", str(self.n_test),
                "--label-from", self.label_from, "--backend", self.backend, "--out", str(self.folder),
                "--no-progress"]
        if self.data_dir:
            args += ["--data-dir", str(self.data_dir)]
        if self.checkpoint_every:
            args += ["--checkpoint-every", str(self.checkpoint_every)]
        for key, value in sorted(self.overrides.items()):
            if key == "network.n_inputs" and "network.n_inputs" not in self.params:
                continue          # the CLI sets it from the dataset
            args += ["--set", f"{key}={_yaml_scalar(value)}"]
        return " ".join(shlex.quote(a) for a in args)

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "folder": str(self.folder), "dataset": self.dataset,
                "n_train": self.n_train, "n_label": self.n_label, "n_test": self.n_test,
                "backend": self.backend, "label_from": self.label_from, "overrides": self.overrides,
                "params": self.params, "swept": list(self.swept), "data_dir": self.data_dir,
                "checkpoint_every": self.checkpoint_every, "imports": list(self.imports)}

    @classmethod
    def from_dict(cls, d: ty.Mapping[str, ty.Any]) -> "RunSpec":
        d = dict(d)
        d["folder"] = Path(d["folder"])
        d["swept"] = tuple(d["swept"])
        d["imports"] = tuple(d.get("imports", ()))
        return cls(**d)


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, validated sweep (see the module docstring for the format)."""

    name: str
    out: Path
    base: ty.Dict[str, ty.Any] = field(default_factory=dict)
    grid: ty.Dict[str, ty.List[ty.Any]] = field(default_factory=dict)
    runs: ty.List[ty.Dict[str, ty.Any]] = field(default_factory=list)
    description: str = ""
    data_dir: ty.Optional[str] = None
    source: str = "sweep specification"
    imports: ty.Tuple[str, ...] = ()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: ty.Union[str, Path], out: ty.Optional[ty.Union[str, Path]] = None) -> "SweepSpec":
        """Read a YAML file. A relative ``out`` is relative to the current directory."""
        from lava_wta.runfolder import read_structured

        path = Path(path)
        data = read_structured(path, SpecError, what="sweep specification", fmt="yaml")
        return cls.from_dict(data, source=str(path), out=out)

    @classmethod
    def from_dict(cls, data: ty.Any, source: str = "sweep specification",
                  out: ty.Optional[ty.Union[str, Path]] = None) -> "SweepSpec":
        if not isinstance(data, ty.Mapping):
            raise SpecError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
        unknown = [k for k in data if k not in TOP_LEVEL]
        if unknown:
            raise SpecError(f"{source}: unknown field(s) {unknown}; expected some of {list(TOP_LEVEL)}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"{source}: name: expected a non-empty string, got {name!r}")
        if out is None:
            out = data.get("out")
            if not isinstance(out, str) or not out.strip():
                raise SpecError(f"{source}: out: expected a folder path (string), got {out!r}")
        base = data.get("base") or {}
        if not isinstance(base, ty.Mapping):
            raise SpecError(f"{source}: base: expected a mapping of dotted keys to values, "
                            f"got {type(base).__name__}")
        base = dict(base)
        for key in RUN_SETTINGS + EXECUTION_SETTINGS:
            if key in data:
                if key in base:
                    raise SpecError(f"{source}: {key}: given both at the top level and in base")
                base[key] = data[key]
        grid = data.get("grid") or {}
        if not isinstance(grid, ty.Mapping):
            raise SpecError(f"{source}: grid: expected a mapping of keys to lists, got {type(grid).__name__}")
        for key, values in grid.items():
            if not isinstance(values, list):
                raise SpecError(f"{source}: grid.{key}: expected a list of values, "
                                f"got {type(values).__name__} {values!r}")
            if not values:
                raise SpecError(f"{source}: grid.{key}: expected a non-empty list, got []")
            if len({_canon(v) for v in values}) != len(values):
                raise SpecError(f"{source}: grid.{key}: repeated value in {values!r}")
        runs = data.get("runs") or []
        if not isinstance(runs, list):
            raise SpecError(f"{source}: runs: expected a list of mappings, got {type(runs).__name__}")
        for i, entry in enumerate(runs):
            if not isinstance(entry, ty.Mapping) or not entry:
                raise SpecError(f"{source}: runs[{i}]: expected a non-empty mapping of keys to values, "
                                f"got {entry!r}")
            clash = [k for k in entry if k in grid]
            if clash:
                raise SpecError(f"{source}: runs[{i}]: key(s) {clash} are also in grid; a key may be "
                                f"swept in grid or set per entry, not both")
        description = data.get("description") or ""
        data_dir = data.get("data_dir")
        if data_dir is not None and not isinstance(data_dir, str):
            raise SpecError(f"{source}: data_dir: expected a folder path (string), got {data_dir!r}")
        imports = data.get("imports") or []
        if not isinstance(imports, list) or not all(isinstance(m, str) and m.strip() for m in imports):
            raise SpecError(f"{source}: imports: expected a list of module names or .py paths, "
                            f"got {imports!r}")
        from lava_wta.plugins import PluginError, load_plugins, resolve_plugin

        imports = tuple(resolve_plugin(m.strip()) for m in imports)
        try:
            load_plugins(imports)
        except PluginError as exc:
            raise SpecError(f"{source}: imports: {exc}") from None
        spec = cls(name=name.strip(), out=Path(out), base=base, grid={k: list(v) for k, v in grid.items()},
                   runs=[dict(e) for e in runs], description=str(description), data_dir=data_dir,
                   source=source, imports=imports)
        spec._check_keys()
        return spec

    def _check_keys(self) -> None:
        default = WTAConfig()
        places = [("base", self.base)] + [("grid", {k: None for k in self.grid})] + \
                 [(f"runs[{i}]", e) for i, e in enumerate(self.runs)]
        for where, mapping in places:
            for key in mapping:
                if not isinstance(key, str):
                    raise SpecError(f"{self.source}: {where}: keys must be strings, got {key!r}")
                if key in RUN_SETTINGS or key in EXECUTION_SETTINGS:
                    continue
                try:
                    default.with_overrides({key: default._get(key) if _has(default, key) else None})
                except ConfigError as exc:
                    raise SpecError(f"{self.source}: {where}: {exc} (run settings: "
                                    f"{list(RUN_SETTINGS + EXECUTION_SETTINGS)})") from None

    # ------------------------------------------------------------------ expansion
    def combinations(self) -> ty.List[ty.Tuple[dict, ty.Tuple[str, ...], str]]:
        """(merged parameters, swept keys, where) for every run, in order."""
        keys = list(self.grid)
        points = [dict(zip(keys, vals)) for vals in itertools.product(*(self.grid[k] for k in keys))] \
            if keys else [{}]
        entries = [(f"runs[{i}]", e) for i, e in enumerate(self.runs)] or [("", {})]
        out = []
        for point in points:
            for where, entry in entries:
                merged = {**self.base, **point, **entry}
                label = ", ".join(f"{k}={v}" for k, v in {**point, **entry}.items())
                out.append((merged, tuple(keys) + tuple(k for k in entry if k not in keys),
                            f"{where} ({label})" if where else f"grid ({label})" if label else "base"))
        return out

    def expand(self) -> ty.List[RunSpec]:
        """Every run, in a deterministic order, validated (see the module docstring)."""
        runs: ty.List[RunSpec] = []
        seen: ty.Dict[str, str] = {}
        for merged, swept, where in self.combinations():
            run = self._make_run(merged, swept, where)
            if run.run_id in seen:
                raise SpecError(f"{self.source}: {where} repeats the run of {seen[run.run_id]} "
                                f"(same parameters, run id {run.run_id})")
            seen[run.run_id] = where
            runs.append(run)
        return runs

    def _make_run(self, merged: dict, swept: ty.Tuple[str, ...], where: str) -> RunSpec:
        ctx = f"{self.source}: {where}"
        settings = {**SETTING_DEFAULTS, **{k: v for k, v in merged.items() if k in RUN_SETTINGS}}
        for key in ("dataset", "n_train", "n_label", "n_test"):
            if key not in settings:
                raise SpecError(f"{ctx}: {key}: required (in base, grid, runs or at the top level), not given")
        dataset = settings["dataset"]
        if dataset not in DATASETS:
            raise SpecError(f"{ctx}: dataset: expected one of {list(DATASETS)}, got {dataset!r}")
        for key in ("n_train", "n_label", "n_test"):
            v = settings[key]
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key == "n_train" else 1):
                raise SpecError(f"{ctx}: {key}: expected an integer >= {0 if key == 'n_train' else 1}, got {v!r}")
        trainers = backend_names(learns=True)      # a sweep run trains
        if settings["backend"] not in trainers:
            raise SpecError(f"{ctx}: backend: expected one of {trainers} (the backends that learn), "
                            f"got {settings['backend']!r}")
        if settings["label_from"] not in ("heldout", "train"):
            raise SpecError(f"{ctx}: label_from: expected 'heldout' or 'train', got {settings['label_from']!r}")
        if self.data_dir is None:
            n_tr, n_te = DATASET_SIZES[dataset]
            need = settings["n_train"] + (settings["n_label"] if settings["label_from"] == "heldout" else 0)
            need = max(need, settings["n_label"])
            if need > n_tr:
                raise SpecError(f"{ctx}: n_train/n_label: {dataset} has {n_tr} training images, the run needs "
                                f"{need} (n_train {settings['n_train']} + n_label {settings['n_label']}, "
                                f"label_from {settings['label_from']})")
            if settings["n_test"] > n_te:
                raise SpecError(f"{ctx}: n_test: {dataset} has {n_te} test images, got {settings['n_test']}")
        every = merged.get("checkpoint_every")
        if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
            raise SpecError(f"{ctx}: checkpoint_every: expected a positive number of images, got {every!r}")
        overrides = {k: v for k, v in merged.items() if k not in RUN_SETTINGS and k not in EXECUTION_SETTINGS}
        explicit_inputs = "network.n_inputs" in overrides
        overrides.setdefault("network.n_inputs", DATASET_PIXELS[dataset])
        try:
            config = WTAConfig().with_overrides(overrides)
        except ConfigError as exc:
            raise SpecError(f"{ctx}: {exc}") from None
        typed = {k: config._get(k) for k in overrides}
        if not explicit_inputs:
            typed.pop("network.n_inputs")
        params = {k: settings[k] for k in RUN_SETTINGS}
        params.update(typed)
        run_id = make_run_id(params, swept)
        return RunSpec(run_id=run_id, folder=self.out / run_id, dataset=dataset,
                       n_train=settings["n_train"], n_label=settings["n_label"], n_test=settings["n_test"],
                       backend=settings["backend"], label_from=settings["label_from"],
                       overrides={k: config._get(k) for k in overrides}, params=params,
                       swept=tuple(k for k in params if k in swept), data_dir=self.data_dir,
                       checkpoint_every=every, imports=self.imports)

    def to_dict(self) -> dict:
        return {"name": self.name, "out": str(self.out), "description": self.description,
                "data_dir": self.data_dir, "imports": list(self.imports), "base": self.base,
                "grid": self.grid, "runs": self.runs, "source": self.source}


def load_spec(path: ty.Union[str, Path], out: ty.Optional[ty.Union[str, Path]] = None) -> SweepSpec:
    """:meth:`SweepSpec.load`."""
    return SweepSpec.load(path, out=out)


# ---------------------------------------------------------------------- run ids
_SLUG_BARE = ("dataset", "scaling.mode", "backend")


def param_hash(params: ty.Mapping[str, ty.Any]) -> str:
    """First 8 hex digits of the SHA-1 of the canonical JSON of ``params``."""
    blob = json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()[:8]


def make_run_id(params: ty.Mapping[str, ty.Any], swept: ty.Sequence[str]) -> str:
    """``<slug>-<hash>``: the slug shows the swept values (dataset first, seed last)."""
    order = sorted((k for k in swept if k in params),
                   key=lambda k: (k != "dataset", k == "seed", list(swept).index(k)))
    parts = []
    for key in order:
        value = params[key]
        text = _fmt(value)
        parts.append(text if key in _SLUG_BARE else f"{key.rsplit('.', 1)[-1]}={text}")
    slug = re.sub(r"[^A-Za-z0-9=._+-]+", "-", "_".join(parts)).strip("-_")[:90] or "run"
    return f"{slug}-{param_hash(params)}"


def _fmt(value: ty.Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _canon(value: ty.Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return json.dumps(value, sort_keys=True, default=str)


def _has(config: WTAConfig, key: str) -> bool:
    try:
        config._get(key)
        return True
    except AttributeError:
        return False


def _yaml_scalar(value: ty.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
