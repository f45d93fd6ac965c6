"""The documentation says what the code does: the parameter table of docs/model.md is the
one scripts/gen_docs.py generates from the configuration."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_table_is_generated_from_the_configuration():
    gen = _gen_docs()
    page = (ROOT / "docs" / "model.md").read_text()
    assert gen.render(page) == page, "run: python scripts/gen_docs.py"


def test_readme_results_table_is_the_one_of_results_md():
    gen = _gen_docs()
    readme = (ROOT / "README.md").read_text()
    results = (ROOT / "docs" / "RESULTS.md").read_text()
    assert gen.render_readme(readme, results) == readme, "run: python scripts/gen_docs.py"
    assert "| mnist | l2 | 5 | 88.84 |" in readme


def test_readme_is_short_and_the_docs_are_self_contained():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.split()) <= 1200
    for page in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text()
        # the parameter table quotes lava_wta/config.py's docstrings: checked there
        text = re.sub(r"<!-- BEGIN parameter table.*?<!-- END parameter table -->", "", text,
                      flags=re.S)
        assert "shared/MODEL.md" not in text and "MODEL.md" not in text.replace("model.md", ""), page
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_parameter_table_lists_every_field_with_its_default():
    import dataclasses

    from lava_wta import WTAConfig

    page = (ROOT / "docs" / "model.md").read_text()
    cfg = WTAConfig()
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                assert f"| `{section.name}.{f.name}` |" in page
    assert "| `exc.tau_m_ms` | `100.0` | ms |" in page
    assert "| `scaling.mode` | `\"l2\"` |" in page


# ---------------------------------------------------------------------- code blocks
# Every ```python block of README.md and docs/*.md runs as written. The blocks of one page
# run in order in one fresh interpreter (a page reads as one session: later blocks may use
# what earlier ones defined), in an empty folder, with this checkout first on the path.
# A block preceded by a line "<!-- docs-test: skip (why) -->" is not run: only for blocks
# that need hours, a trained run folder or a cluster.
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\b.*-->")
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def python_blocks(text: str):
    """(first line number, code, skipped) of each ```python block of a Markdown page."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            skipped = i > 0 and bool(SKIP.search(lines[i - 1]))
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            code = "\n".join(line[len(indent):] if line.startswith(indent) else line
                             for line in lines[i + 1: j])
            blocks.append((i + 2, code, skipped))
            i = j
        i += 1
    return blocks


def test_python_blocks_are_found_and_skips_are_few():
    blocks = [b for page in PAGES for b in python_blocks(page.read_text())]
    assert len(blocks) >= 10
    assert sum(skipped for _, _, skipped in blocks) <= 4     # each says why (a trained run, a cluster)


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES
                                  if any(not s for _, _, s in python_blocks(p.read_text()))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page, tmp_path):
    parts = []
    for line, code, skipped in python_blocks(page.read_text()):
        if not skipped:
            parts.append(f"# --- {page.name}:{line}\n{code}\n")
    script = tmp_path / "blocks.py"
    script.write_text("\n".join(parts))
    env = dict(__import__("os").environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{page.name}: a python block failed\n{done.stdout}\n{done.stderr}"


# ---------------------------------------------------------------------- the site
def test_the_documentation_site_builds_strictly(tmp_path):
    """mkdocs.yml builds without a warning (broken links, missing API objects), offline."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    env = dict(__import__("os").environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "register_stdp_rule" in api and "WTAConfig" in api and "backend_names" in api


# ---------------------------------------------------------------------- command lines
def command_lines(text: str):
    """Every `lava-wta ...` command of the ```bash blocks of a page, continuations joined,
    comments dropped; lines that elide arguments with "..." are left out."""
    commands, in_bash, pending = [], False, ""
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_bash = line.strip() == "```bash"
            pending = ""
            continue
        if not in_bash:
            continue
        line = pending + line.split(" #")[0].rstrip() if not line.lstrip().startswith("#") else pending
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line.strip().startswith("lava-wta ") and "..." not in line:
            commands.append(line.strip())
    return commands


def test_documented_command_lines_parse():
    import shlex

    from lava_wta.cli import make_parser, split_plugins

    checked = 0
    for page in PAGES:
        for command in command_lines(page.read_text()):
            _, rest = split_plugins(shlex.split(command)[1:])
            try:
                make_parser().parse_args(rest)
            except SystemExit:
                raise AssertionError(f"{page.name}: the CLI rejects: {command}") from None
            checked += 1
    assert checked >= 15
