#!/usr/bin/env python
"""Build lava-wta's wheel and use it as a newcomer would: ``make wheel-check``.

    python scripts/check_wheel.py                      # build, inspect, install, run the quick demo
    python scripts/check_wheel.py --cmd "lava-wta train --dataset digits --out {tmp}/run"
    python scripts/check_wheel.py --keep               # keep the temporary folder

Steps, each timed:

1. copy the files git would commit (tracked and untracked-but-not-ignored) to a temporary
   folder, so nothing built or cached in this checkout reaches the wheel;
2. create a clean Python 3.10 virtual environment there (the interpreter comes from
   ``scripts/find-python310.sh``, as for ``make install``);
3. build the wheel with that environment's pip (``pip wheel --no-deps``; the build backend
   comes from the package registry);
4. check its contents: every file under ``lava_wta/`` of the copy (modules and any package
   data) is in the wheel, nothing else is at its top level but ``lava_wta`` and its
   ``.dist-info``, and the ``lava-wta`` command is declared;
5. install the wheel (dependencies from the package registry) and, from an empty folder,
   import every module of the installed package: a module that imports ``tests``,
   ``scripts``, ``study``, ``benchmarks`` or ``examples`` (not installed) fails here;
6. run the command ``--cmd`` (default ``lava-wta demo --quick --out {tmp}/demo``; ``{tmp}``
   is the temporary folder) in that environment, from the empty folder.

Exits 0 when every step passed, 1 otherwise (the failing step says why).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import typing as ty
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "lava_wta"
COMMAND = "lava-wta"
DEFAULT_CMD = "lava-wta demo --quick --out {tmp}/demo"
NOT_INSTALLED = ("tests", "scripts", "study", "benchmarks", "examples")
"""Top-level folders of the repository that the wheel does not carry: the package must not import them."""

IMPORT_ALL = """
import importlib, pkgutil, sys, traceback
import {pkg}
failed = []
names = [{pkg}.__name__] + [m.name for m in pkgutil.walk_packages({pkg}.__path__, {pkg}.__name__ + ".")
                            if not m.name.endswith(".__main__")]          # `python -m` entry points run
for name in names:
    try:
        importlib.import_module(name)
    except (Exception, SystemExit):
        failed.append(name)
        traceback.print_exc()
print(f"imported {{len(names) - len(failed)}} of {{len(names)}} modules from {{{pkg}.__file__}}")
sys.exit(1 if failed else 0)
"""


class CheckFailed(Exception):
    pass


def run(cmd: ty.Sequence[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise CheckFailed(f"`{shlex.join(cmd)}` exited with {done.returncode}\n"
                          f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def copy_sources(dest: Path) -> int:
    """Copy what git would commit (tracked files and untracked files that are not ignored)."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    n = 0
    for rel in sorted(set(filter(None, listed.split("\0")))):
        src = ROOT / rel
        if not src.is_file():          # deleted in the work tree but not yet in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        n += 1
    return n


def find_python310() -> str:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "find-python310.sh")], capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise CheckFailed("no Python 3.10 found: install one (e.g. 'pyenv install 3.10') or set PYTHON310")
    return done.stdout.strip()


def check_contents(wheel: Path, src: Path) -> ty.List[str]:
    """What is wrong with the wheel's file list (empty: nothing)."""
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        dist_info = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        entry_points = "".join(z.read(f"{d}/entry_points.txt").decode() for d in dist_info
                               if f"{d}/entry_points.txt" in names)
    problems = []
    expected = {p.relative_to(src).as_posix() for p in (src / PACKAGE).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    missing = sorted(expected - names)
    if missing:
        problems.append(f"{len(missing)} files of {PACKAGE}/ are not in the wheel: {', '.join(missing[:10])}")
    tops = {n.split("/")[0] for n in names} - {PACKAGE} - dist_info
    if tops:
        problems.append(f"unexpected top-level entries in the wheel: {', '.join(sorted(tops))}")
    if not re.search(rf"^{re.escape(COMMAND)}\s*=\s*{PACKAGE}\.cli:main", entry_points, re.M):
        problems.append(f"the wheel declares no `{COMMAND}` command ([console_scripts] of entry_points.txt)")
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(NOT_INSTALLED)})\b", re.M)
    with zipfile.ZipFile(wheel) as z:
        for n in sorted(names):
            if n.endswith(".py") and pattern.search(z.read(n).decode("utf-8", "replace")):
                problems.append(f"{n} imports a folder the wheel does not carry ({', '.join(NOT_INSTALLED)})")
    return problems


def main(argv: ty.Optional[ty.Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cmd", default=os.environ.get("WHEEL_CHECK_CMD", DEFAULT_CMD),
                   help="command run with the installed wheel, '{tmp}' is the temporary folder "
                        "(default: $WHEEL_CHECK_CMD, else %(default)r)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="lava-wta-wheel-"))
    src, venv, dist, work = tmp / "src", tmp / "venv", tmp / "dist", tmp / "work"
    work.mkdir()
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    start = time.perf_counter()
    step_start = start

    def step(msg: str) -> None:
        nonlocal step_start
        now = time.perf_counter()
        print(f"[{now - step_start:6.1f} s] {msg}", flush=True)
        step_start = now

    try:
        n = copy_sources(src)
        step(f"copied {n} files of the checkout to {src}")
        py310 = find_python310()
        run([py310, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], env=env)
        step(f"created a clean virtual environment with {py310}")
        run([str(python), "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(src)], env=env)
        wheels = sorted(dist.glob("*.whl"))
        if len(wheels) != 1:
            raise CheckFailed(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
        wheel = wheels[0]
        step(f"built {wheel.name} ({wheel.stat().st_size / 1e3:.0f} kB)")
        problems = check_contents(wheel, src)
        if problems:
            raise CheckFailed("the wheel's contents:\n  " + "\n  ".join(problems))
        step("contents: every file of lava_wta/, nothing else, the lava-wta command")
        run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], env=env)
        step("installed the wheel and its dependencies")
        done = run([str(python), "-c", IMPORT_ALL.format(pkg=PACKAGE)], cwd=work, env=env)
        if str(venv) not in done.stdout:
            raise CheckFailed(f"the modules were not imported from the installed wheel: {done.stdout.strip()}")
        step(done.stdout.strip())
        cmd = shlex.split(args.cmd.replace("{tmp}", str(tmp)))
        print(f"running: {shlex.join(cmd)}", flush=True)
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            hint = ""
            if "unrecognized arguments: --quick" in done.stderr:
                hint = ("\n`lava-wta demo` does not know --quick in this checkout: pass another command "
                        "with --cmd or WHEEL_CHECK_CMD")
            raise CheckFailed(f"`{shlex.join(cmd)}` exited with {done.returncode}\n"
                              f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}{hint}")
        print(done.stdout[-1500:].rstrip(), flush=True)
        step(f"ran {shlex.join(cmd)}")
    except CheckFailed as exc:
        print(f"wheel check FAILED after {time.perf_counter() - start:.0f} s: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wheel check passed in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
