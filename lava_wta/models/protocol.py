"""The presentation clock shared by every lava-wta ProcessModel.

All models of one network see the same global ``time_step`` (LoihiProtocol counts it
from 1), so each one knows locally where a presentation starts and ends: no control
messages are needed between processes.
"""
from __future__ import annotations


class PresentationClock:
    """Mixin for PyLoihiProcessModels whose Process has ``period_steps`` and
    ``reset_between`` proc params (period 0: no presentations)."""

    time_step: int
    proc_params: dict

    def local_step(self) -> int:
        """Step within the current period, 0-based (valid during ``run_spk`` and after)."""
        period = self.proc_params["period_steps"]
        return (self.time_step - 1) % period if period else self.time_step - 1

    def is_last_step_of_period(self) -> bool:
        period = self.proc_params["period_steps"]
        return bool(period) and self.local_step() == period - 1

    def reset_between(self) -> bool:
        return bool(self.proc_params["period_steps"]) and bool(self.proc_params["reset_between"])

    def drops_input(self) -> bool:
        """True in the first step of a presentation after a reset: the input arriving
        then was caused by spikes of the previous presentation."""
        return self.reset_between() and self.time_step > 1 and self.local_step() == 0
