"""``lava-wta config --explain``: every configuration field, its value, unit and meaning."""
import dataclasses

from lava_wta.cli import main
from lava_wta.config import WTAConfig
from lava_wta.config_reference import describe, explain


def _dotted_fields(cfg):
    out = []
    for section in dataclasses.fields(cfg):
        value = getattr(cfg, section.name)
        if dataclasses.is_dataclass(value):
            out += [f"{section.name}.{f.name}" for f in dataclasses.fields(value)]
        else:
            out.append(section.name)
    return out


def test_every_field_is_described():
    infos = describe()
    assert sorted(i.name for i in infos) == sorted(_dotted_fields(WTAConfig()))
    assert all(i.doc.strip() for i in infos), [i.name for i in infos if not i.doc.strip()]
    units = {i.name: i.unit for i in infos}
    assert units["time.dt_ms"] == "ms" and units["exc.v_thresh_mv"] == "mV"
    assert units["input.pixel_rate_hz"] == "Hz" and units["seed"] == "—"


def test_config_explain_prints_every_field_with_its_value(capsys):
    assert main(["config", "--explain", "--set", "exc.tau_m_ms=50", "--scaling", "l1"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    for name in _dotted_fields(WTAConfig()):
        assert any(line.startswith(f"  {name} = ") for line in lines), name
    assert "  exc.tau_m_ms = 50.0  [ms]" in lines and "  scaling.mode = 'l1'" in lines
    # the meaning printed under a field is its docstring
    i = lines.index("  time.dt_ms = 0.5  [ms]")
    assert lines[i + 1].strip().startswith("Integration time step")
    assert text == explain(WTAConfig().with_overrides({"exc.tau_m_ms": 50.0, "scaling.mode": "l1"}))
