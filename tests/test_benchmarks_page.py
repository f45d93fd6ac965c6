"""BENCHMARKS.md (and the measured sections of docs/) are written by the benchmark scripts:
every section belongs to a script that writes it, every such script has its section, and
writing one section leaves the rest of the page as it was. Nothing here runs a benchmark."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
MARKER = re.compile(r"<!-- (BEGIN|END) (\S+) -->")


def _page_module():
    spec = importlib.util.spec_from_file_location("_page", BENCHMARKS / "_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(text: str) -> list[str]:
    found = MARKER.findall(text)
    begins = [name for kind, name in found if kind == "BEGIN"]
    ends = [name for kind, name in found if kind == "END"]
    assert begins == ends, "every BEGIN marker needs its END marker, in the same order"
    return begins


def _all_sections() -> list[str]:
    """Sections of BENCHMARKS.md and of every page under docs/ but RESULTS.md (whose sections
    study/make_results.py writes, see tests/test_results_page.py)."""
    pages = [ROOT / "BENCHMARKS.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if p.name != "RESULTS.md")]
    return [name for page in pages for name in _sections(page.read_text())]


def _writers() -> set[str]:
    return {p.stem for p in BENCHMARKS.glob("*.py")
            if not p.name.startswith("_") and "--write-page" in p.read_text() and "recording(" in p.read_text()}


def test_every_section_belongs_to_a_script_that_writes_it():
    page_mod = _page_module()
    sections = _all_sections()
    assert len(sections) == len(set(sections)), "a section appears twice"
    writers = _writers()
    for name in sections:
        assert page_mod.section_script(name) in writers, f"no script in benchmarks/ writes the section {name!r}"


def test_every_script_that_writes_the_page_has_its_section():
    page_mod = _page_module()
    scripts = {page_mod.section_script(name) for name in _all_sections()}
    writers = _writers()
    assert {"engine_vs_lava", "extension_rule", "engine_ab", "scale", "nir_interop"} <= writers
    assert writers <= scripts, f"scripts without a section on a page: {sorted(writers - scripts)}"


def test_a_variant_names_its_own_section(tmp_path):
    page_mod = _page_module()
    assert page_mod.section_name("benchmarks/nir_interop.py", "rockpool") == "nir_interop:rockpool"
    assert page_mod.section_script("nir_interop:rockpool") == "nir_interop"
    page = tmp_path / "DEPLOY.md"
    page.write_text("<!-- BEGIN nir_interop -->\nA\n<!-- END nir_interop -->\n"
                    "<!-- BEGIN nir_interop:rockpool -->\nB\n<!-- END nir_interop:rockpool -->\n")
    with page_mod.recording(str(BENCHMARKS / "nir_interop.py"), ["--profile", "rockpool"], True, page,
                            variant="rockpool"):
        print("rockpool table")
    text = page.read_text()
    assert "\nA\n" in text and "\nB\n" not in text and "```\nrockpool table\n```" in text


def test_writing_a_section_replaces_it_and_nothing_else(tmp_path):
    page_mod = _page_module()
    page = tmp_path / "BENCHMARKS.md"
    original = (ROOT / "BENCHMARKS.md").read_text()
    page.write_text(original)
    name = _sections(original)[0]
    body = page_mod.section(".venv/bin/python benchmarks/x.py --write-page", "a machine", "line 1\nline 2\n",
                            "| a | b |\n|---|---|\n| 1 | 2 |")
    page_mod.write_section(name, body, page)
    new = page.read_text()
    begin, end = page_mod.begin_marker(name), page_mod.end_marker(name)
    assert new[new.index(begin) + len(begin):new.index(end)] == "\n" + body + "\n"
    assert new[:new.index(begin)] == original[:original.index(begin)]
    assert new[new.index(end):] == original[original.index(end):]
    assert "```\nline 1\nline 2\n```" in body and "| 1 | 2 |" in body
    assert [p.name for p in tmp_path.iterdir()] == ["BENCHMARKS.md"]    # no temporary file left
    page_mod.write_section(name, body, page)                              # idempotent
    assert page.read_text() == new


def test_missing_or_doubled_markers_are_a_clear_error(tmp_path):
    page_mod = _page_module()
    page = tmp_path / "BENCHMARKS.md"
    page.write_text("# Benchmarks\n")
    with pytest.raises(page_mod.MarkersMissing, match="BEGIN scale"):
        page_mod.write_section("scale", "body", page)
    doubled = "<!-- BEGIN scale -->\n<!-- END scale -->\n"
    page.write_text(doubled * 2)
    with pytest.raises(page_mod.MarkersMissing):
        page_mod.write_section("scale", "body", page)
    assert page.read_text() == doubled * 2


def test_recording_writes_what_was_printed_with_the_command_and_the_machine(tmp_path, capsys):
    page_mod = _page_module()
    page = tmp_path / "BENCHMARKS.md"
    page.write_text("intro\n<!-- BEGIN scale -->\nold\n<!-- END scale -->\nafter\n")
    with page_mod.recording(str(BENCHMARKS / "scale.py"), ["--images", "3", "--write-page"], True, page):
        print("measured 1.00x")
    text = page.read_text()
    assert "old" not in text and text.startswith("intro\n") and text.endswith("after\n")
    assert "Command: `.venv/bin/python benchmarks/scale.py --images 3 --write-page`" in text
    assert "load average at the start" in text and "numba" in text
    assert "```\nmeasured 1.00x\n```" in text
    assert "measured 1.00x" in capsys.readouterr().out           # still printed


def test_recording_writes_nothing_when_the_script_fails(tmp_path):
    page_mod = _page_module()
    page = tmp_path / "BENCHMARKS.md"
    before = "<!-- BEGIN scale -->\nold\n<!-- END scale -->\n"
    page.write_text(before)
    with pytest.raises(RuntimeError):
        with page_mod.recording(str(BENCHMARKS / "scale.py"), [], True, page):
            print("half a measurement")
            raise RuntimeError("failed")
    assert page.read_text() == before


def test_scale_figure_draws_each_tree_against_the_neurons(tmp_path):
    """benchmarks/scale.py's figure from given medians (no measurement): a PNG with both trees."""
    spec = importlib.util.spec_from_file_location("scale_bench", BENCHMARKS / "scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    med = {n: {"us_per_step": 1e-3 * n, "s_per_image": 3e-7 * n} for n in (400, 1600, 6400)}
    png = scale.plot({"this tree": med, "abc1234": {n: dict(m, us_per_step=2 * m["us_per_step"])
                                                    for n, m in med.items()}}, tmp_path / "f" / "scale.png")
    assert png == tmp_path / "f" / "scale.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
