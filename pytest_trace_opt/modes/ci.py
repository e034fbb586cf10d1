"""The pytest side of an optimization's outputs: the terminal lines that name the files
written, the GitHub annotations, the command to apply, and the ``--trace-fail-on-proposal``
exit gate (exit status 1 when a patch was proposed but not applied).

The controller registers one :class:`CIMode` under ``--trace-optimize`` and hands it the
result and what :func:`~pytest_trace_opt.reports.write_outputs` wrote.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from pytest_trace_opt.model import OptimizationResult
from pytest_trace_opt.reports import Outputs, pending, terminal_line
from pytest_trace_opt.settings import Settings


class CIMode:
    """Prints what was written and how to apply it; turns a pending proposal into exit 1."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.result: OptimizationResult | None = None
        self.outputs = Outputs()
        self.failed_on_proposal = False

    def record(self, result: OptimizationResult, outputs: Outputs) -> None:
        """The final result, once its outputs are written."""
        self.result, self.outputs = result, outputs

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        if (
            self.settings.fail_on_proposal
            and pending(self.result)
            and session.exitstatus == pytest.ExitCode.OK
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.failed_on_proposal = True
        try:
            return (yield)
        finally:
            self._emit_annotations(None)  # only left when no terminal summary ran

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        self._emit_annotations(terminalreporter)
        for line in self.outputs.lines:
            terminalreporter.write_line(f"trace-opt {line}")
        if self.failed_on_proposal:
            terminalreporter.write_line(
                "trace-opt: exit status 1 (--trace-fail-on-proposal): a change was proposed "
                "and not applied",
                red=True,
            )
        if pending(self.result):
            # The run ends with the exact command to apply the proposal.
            cwd = self.config.invocation_params.dir
            terminalreporter.write_line(terminal_line(self.outputs.files, cwd))

    def _emit_annotations(self, reporter: Any) -> None:
        """GitHub reads workflow commands from the output, one per line of its own."""
        lines, self.outputs.annotations = self.outputs.annotations, []
        if not lines:
            return
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                sys.stdout.write(line + "\n")
        sys.stdout.flush()
