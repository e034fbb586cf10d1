"""The JSON reports (--trace-report-json): of an optimization, and of a plan.

Both are described by ``report.schema.json`` beside this module (JSON Schema 2020-12); the
test suite validates every kind of report the plugin writes against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_trace_opt.model import SCHEMA_VERSION, OptimizationResult

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def optimization_report(result: OptimizationResult) -> dict[str, Any]:
    return result.to_json()


def plan_report(plan: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "mode": "plan", "plan": plan}


def report_text(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str) + "\n"
