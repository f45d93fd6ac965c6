"""Import layering: ProcessModels (lava_wta.models) do not import the engine, library
modules do not import the command-line modules or their helpers, and the package imports
nothing from the repository's folders that its wheel does not carry."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lava_wta"
CLI_MODULES = {"lava_wta.cli", "lava_wta.cli_support", "lava_wta.deploy_cli",
               "lava_wta.experiments.cli", "lava_wta.__main__"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """Every module a file imports (at any depth: function-level imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _offending(files, banned) -> list:
    return sorted(f"{_module(f)} imports {m}" for f in files for m in set(_imports(f))
                  if any(m == b or m.startswith(b + ".") for b in banned))


def test_process_models_do_not_import_the_engine():
    assert _offending(sorted((PACKAGE / "models").glob("*.py")), {"lava_wta.engine"}) == []


def test_library_modules_do_not_import_the_command_line():
    library = [f for f in sorted(PACKAGE.rglob("*.py")) if _module(f) not in CLI_MODULES]
    assert len(library) > 40
    assert _offending(library, CLI_MODULES) == []


def test_the_package_imports_no_folder_of_the_repository():
    """tests/, scripts/, study/, benchmarks/ and examples/ are not installed with the wheel."""
    files = sorted(PACKAGE.rglob("*.py"))
    assert _offending(files, {"tests", "scripts", "study", "benchmarks", "examples"}) == []
