"""The documentation says what the code does: the parameter table of docs/model.md is the
one scripts/gen_param_table.py generates from the configuration."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _gen_param_table():
    spec = importlib.util.spec_from_file_location("gen_param_table",
                                                  ROOT / "scripts" / "gen_param_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_table_is_generated_from_the_configuration():
    gen = _gen_param_table()
    page = (ROOT / "docs" / "model.md").read_text()
    assert gen.render(page) == page, "run: python scripts/gen_param_table.py"


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
