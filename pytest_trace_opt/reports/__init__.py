"""What an optimization reports: terminal summary, JSON, JUnit properties, GitHub Actions, HTML.

Each report is a pure function of one :class:`~pytest_trace_opt.model.OptimizationResult`
(and plain arguments such as paths); :func:`write_outputs` is the one place that writes them
to files, each once.
"""

from pytest_trace_opt.reports.apply import PatchFiles, apply_steps, pending, terminal_line
from pytest_trace_opt.reports.github import annotation_lines, summary_markdown, workflow_command
from pytest_trace_opt.reports.html import html_report
from pytest_trace_opt.reports.json_report import (
    SCHEMA_PATH,
    optimization_report,
    plan_report,
    report_text,
)
from pytest_trace_opt.reports.junit import (
    add_suite_properties,
    suite_properties,
    tagged_test_properties,
)
from pytest_trace_opt.reports.outputs import Outputs, write_outputs, write_plan_report
from pytest_trace_opt.reports.terminal import OUTCOME_TEXT, summary_lines

__all__ = [
    "OUTCOME_TEXT",
    "SCHEMA_PATH",
    "Outputs",
    "PatchFiles",
    "add_suite_properties",
    "annotation_lines",
    "apply_steps",
    "html_report",
    "optimization_report",
    "pending",
    "plan_report",
    "report_text",
    "summary_lines",
    "summary_markdown",
    "suite_properties",
    "tagged_test_properties",
    "terminal_line",
    "workflow_command",
    "write_outputs",
    "write_plan_report",
]
