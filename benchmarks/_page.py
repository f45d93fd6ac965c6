"""Write one section of BENCHMARKS.md: what a benchmark script printed, with the command
that reproduces it and the machine it ran on.

A script's section lies between ``<!-- BEGIN <name> -->`` and ``<!-- END <name> -->``,
``<name>`` being the script's file name without ``.py`` (a script that writes several
sections names them ``<script>:<variant>``; a script may write another page of the
repository, e.g. ``docs/DEPLOY.md``). :func:`recording` copies what the
script prints and, when the script ends without an error and ``--write-page`` was given,
replaces that section (and nothing else) with the command, the machine (CPU, cores,
numba / numpy / lava-nc versions, the load average when the script started) and the
printed output. The page is written atomically (a temporary file renamed over it).
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import shlex
import sys
import tempfile
import typing as ty
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "BENCHMARKS.md"
WRITE_PAGE_HELP = "replace this script's section of BENCHMARKS.md with what it prints"


class MarkersMissing(ValueError):
    """The page lacks a section's markers (or has them more than once, or out of order)."""


def begin_marker(name: str) -> str:
    return f"<!-- BEGIN {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- END {name} -->"


def section_name(script: str, variant: str | None = None) -> str:
    """The marker name of ``script``'s section (of one of its sections, with ``variant``)."""
    stem = Path(script).stem
    return stem if variant is None else f"{stem}:{variant}"


def section_script(name: str) -> str:
    """The script (file name without ``.py``) that writes the section ``name``."""
    return name.split(":", 1)[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """One line: CPU model, cores, Python and library versions, load average now."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    py = ".".join(map(str, sys.version_info[:3]))
    return (f"{_cpu_model()}, {os.cpu_count()} cores; Python {py}, numba {_version('numba')}, "
            f"numpy {_version('numpy')}, lava-nc {_version('lava-nc')}; load average at the start {load}")


def section(command: str, machine_line: str, output: str, table: str | None = None) -> str:
    """The Markdown of one section's body (between its markers)."""
    parts = [f"Command: `{command}`", "", f"Machine: {machine_line}", "", "```", output.rstrip("\n"), "```"]
    if table:
        parts += ["", table.rstrip("\n")]
    return "\n".join(parts)


def replace_section(page: str, name: str, body: str) -> str:
    """``page`` with the text between ``name``'s markers replaced by ``body``."""
    begin, end = begin_marker(name), end_marker(name)
    if page.count(begin) != 1 or page.count(end) != 1 or page.index(begin) > page.index(end):
        raise MarkersMissing(f"the page needs exactly one {begin!r} followed by one {end!r} "
                             f"(add them where the section of benchmarks/{section_script(name)}.py "
                             f"belongs)")
    start, stop = page.index(begin) + len(begin), page.index(end)
    return page[:start] + "\n" + body.rstrip("\n") + "\n" + page[stop:]


def write_section(name: str, body: str, page: Path = PAGE) -> None:
    """Replace ``name``'s section of ``page`` atomically."""
    write_text_atomic(page, replace_section(page.read_text(), name, body))


def write_text_atomic(page: Path, text: str) -> None:
    """Write ``page`` through a temporary file renamed over it: a reader (or a crash) sees the
    old page or the new one, never half of it."""
    page = Path(page)
    fd, tmp = tempfile.mkstemp(prefix=f".{page.name}.", dir=page.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, page)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class _Tee(io.TextIOBase):
    def __init__(self, stream: ty.TextIO) -> None:
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def command_line(script: str, argv: ty.Sequence[str]) -> str:
    """How to rerun ``script`` with ``argv`` from the repository root."""
    rel = Path(script).resolve().relative_to(ROOT)
    return shlex.join([".venv/bin/python", str(rel), *argv])


@contextlib.contextmanager
def recording(script: str, argv: ty.Sequence[str] | None, write: bool,
              page: Path = PAGE, variant: str | None = None) -> ty.Iterator[dict]:
    """Copy what is printed inside the block; with ``write``, record it as ``script``'s
    section of ``page`` (``<script>:<variant>`` with a ``variant``) when the block ends
    without an error. ``argv`` defaults to ``sys.argv[1:]``. Put a Markdown table under
    ``extra["table"]`` (the yielded dict) to add it below the output."""
    name = section_name(script, variant)
    argv = list(sys.argv[1:] if argv is None else argv)
    if write:                                   # fail before measuring, not after
        replace_section(page.read_text(), name, "")
    machine_line = machine()
    extra: dict = {}
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield extra
    if write:
        write_section(name, section(command_line(script, argv), machine_line, tee.copy.getvalue(),
                                    extra.get("table")), page)
        print(f"wrote the section {name!r} of {page}")
