"""MkDocs hooks: the pages that live at the repository's root join the site.

BENCHMARKS.md sits next to README.md (each script in benchmarks/ rewrites its own section
of it there when run with ``--write-page``); pages under
docs/ link to it as ``../BENCHMARKS.md``, which is right on GitHub. The site gets a copy
at its root and those links point at the copy.
"""
from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
ROOT_PAGES = ("BENCHMARKS.md",)


def on_files(files, config):
    for name in ROOT_PAGES:
        files.append(File.generated(config, name, abs_src_path=str(ROOT / name)))
    return files


def on_page_markdown(markdown, page, config, files):
    for name in ROOT_PAGES:
        markdown = markdown.replace(f"](../{name}", f"]({name}")
    return markdown
