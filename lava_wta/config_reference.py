"""What each configuration field means: read from the docstring written under the field in
:mod:`lava_wta.config`, with its unit taken from the name's suffix (``_ms``, ``_mv``,
``_hz``) or the word "dimensionless" in its docstring.

The one source of the field descriptions: ``lava-wta config --explain`` prints them, and
``scripts/gen_docs.py`` writes the parameter table of ``docs/model.md`` from them.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import re
import textwrap
import typing as ty
from pathlib import Path

from lava_wta import config as config_module
from lava_wta.config import WTAConfig

UNITS = {"_ms": "ms", "_mv": "mV", "_hz": "Hz", "_spikes": "spikes per presentation"}
"""Unit of a field by the suffix of its name."""


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """One configuration field: ``section`` (``""`` at the top level), its dotted name, its
    value in the configuration described, unit and docstring."""

    section: str
    name: str
    value: ty.Any
    unit: str
    doc: str


@functools.lru_cache(maxsize=None)
def field_docstrings() -> ty.Dict[ty.Tuple[str, str], str]:
    """(class name, field name) -> the docstring written under the field in ``config.py``."""
    tree = ast.parse(Path(config_module.__file__).read_text())
    docs = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        body = node.body
        for stmt, nxt in zip(body, body[1:]):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[(node.name, stmt.target.id)] = nxt.value.value
    return docs


def plain(text: str) -> str:
    """A docstring as one line of plain text (reST roles and double backquotes simplified)."""
    text = " ".join(text.split())
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def first_sentence(text: str) -> str:
    """The first sentence of a docstring, as :func:`plain` text."""
    text = plain(text)
    match = re.search(r"(?<=[.)])\s+(?=[A-Z0-9`])", text)
    return text[: match.start()] if match else text


def unit_of(name: str, doc: str) -> str:
    """The unit of field ``name`` (``—`` when it has none stated)."""
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            return unit
    if "dimensionless" in doc:
        return "dimensionless"
    return "—"


def section_summary(section: ty.Any) -> str:
    """The first sentence of a section class's docstring."""
    return first_sentence((type(section).__doc__ or "").strip().split("\n\n")[0])


def describe(config: ty.Optional[WTAConfig] = None) -> ty.List[FieldInfo]:
    """Every field of ``config`` (default: the defaults), sections in order, then the top level."""
    cfg = config or WTAConfig()
    docs = field_docstrings()
    out, top = [], []
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if not dataclasses.is_dataclass(value):
            doc = docs.get(("WTAConfig", section.name), "")
            top.append(FieldInfo("", section.name, value, unit_of(section.name, doc), doc))
            continue
        for f in dataclasses.fields(value):
            doc = docs.get((type(value).__name__, f.name), "")
            out.append(FieldInfo(section.name, f"{section.name}.{f.name}", getattr(value, f.name),
                                 unit_of(f.name, doc), doc))
    return out + top


def explain(config: ty.Optional[WTAConfig] = None, width: int = 88) -> str:
    """Every field of ``config`` with its value, unit and meaning, as plain text grouped by
    section (``lava-wta config --explain``)."""
    cfg = config or WTAConfig()
    lines: ty.List[str] = []
    current = None
    for info in describe(cfg):
        if info.section != current:
            current = info.section
            head = (f"{info.section}: {section_summary(getattr(cfg, info.section))}" if info.section
                    else "top level")
            lines += ([""] if lines else []) + [head]
        unit = "" if info.unit == "—" else f"  [{info.unit}]"
        lines.append(f"  {info.name} = {info.value!r}{unit}")
        meaning = plain(info.doc) or "(no description)"
        lines += textwrap.wrap(meaning, width=width, initial_indent="      ", subsequent_indent="      ")
    return "\n".join(lines) + "\n"
