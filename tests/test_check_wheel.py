"""scripts/check_wheel.py's inspection of a wheel's file list, on hand-built wheels (the
whole check, which installs from the package registry, is `make wheel-check`)."""
import importlib.util
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _check_wheel():
    spec = importlib.util.spec_from_file_location("check_wheel", ROOT / "scripts" / "check_wheel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENTRY_POINTS = "[console_scripts]\nlava-wta = lava_wta.cli:main\n"


def _wheel(path: Path, files: dict) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "lava_wta" / "data").mkdir(parents=True)
    (src / "lava_wta" / "__init__.py").write_text("")
    (src / "lava_wta" / "data" / "digests.json").write_text("{}")
    (src / "lava_wta" / "__pycache__").mkdir()
    (src / "lava_wta" / "__pycache__" / "x.pyc").write_bytes(b"")
    return src


def test_a_complete_wheel_passes(tmp_path):
    cw = _check_wheel()
    wheel = _wheel(tmp_path / "ok.whl", {"lava_wta/__init__.py": "", "lava_wta/data/digests.json": "{}",
                                         "lava_wta-0.1.0.dist-info/entry_points.txt": ENTRY_POINTS})
    assert cw.check_contents(wheel, _source(tmp_path)) == []


def test_missing_package_data_stray_folders_imports_of_the_repository_and_no_command_are_named(tmp_path):
    cw = _check_wheel()
    wheel = _wheel(tmp_path / "bad.whl", {
        "lava_wta/__init__.py": "from tests.reference import oracle\n",
        "tests/reference.py": "",
        "lava_wta-0.1.0.dist-info/entry_points.txt": "[console_scripts]\nother = x:main\n"})
    problems = cw.check_contents(wheel, _source(tmp_path))
    assert problems == [
        "1 files of lava_wta/ are not in the wheel: lava_wta/data/digests.json",
        "unexpected top-level entries in the wheel: tests",
        "the wheel declares no `lava-wta` command ([console_scripts] of entry_points.txt)",
        "lava_wta/__init__.py imports a folder the wheel does not carry "
        "(tests, scripts, study, benchmarks, examples)",
    ]
