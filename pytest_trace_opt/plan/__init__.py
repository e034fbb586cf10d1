"""``--trace-plan`` analysis: what would be optimized, from which signal, and what could go wrong.

Pure functions over data (the targets and test results of two ordinary isolated runs, the
source texts of the files involved), so the analysis is testable without pytest processes.
:func:`build_plan` returns a JSON-serializable dict; :func:`plan_lines` renders it for a
terminal of 100 columns; :func:`strict_risks` lists the risks that make
``--trace-plan --trace-strict`` fail.
"""

from pytest_trace_opt.plan._text import WIDTH
from pytest_trace_opt.plan.build import build_plan, declared_trainables
from pytest_trace_opt.plan.inputs import (
    LoopSettings,
    TestInfo,
    infrastructure_problem,
    signal_kinds,
)
from pytest_trace_opt.plan.render import plan_lines, strict_risks
from pytest_trace_opt.plan.risks import RISK_TITLES, STRICT_KINDS

__all__ = [
    "RISK_TITLES",
    "STRICT_KINDS",
    "WIDTH",
    "LoopSettings",
    "TestInfo",
    "build_plan",
    "declared_trainables",
    "infrastructure_problem",
    "plan_lines",
    "signal_kinds",
    "strict_risks",
]
