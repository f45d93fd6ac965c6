"""Sweeps of experiments: a YAML specification expanded into runs (:mod:`.spec`), run on
Dask (:mod:`.sweep`), gathered into one table (:mod:`.results`), and the ``lava-wta sweep``
/ ``lava-wta results`` subcommands (:mod:`.cli`). See ``docs/SWEEPS.md``.

Importing this package imports neither Dask nor the Lava runtime.
"""
from lava_wta.experiments.spec import RunSpec, SpecError, SweepSpec, load_spec

__all__ = ["RunSpec", "SpecError", "SweepSpec", "load_spec"]
