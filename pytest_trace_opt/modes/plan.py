"""``--trace-plan``: explain what ``--trace-optimize`` would do, without an LLM call.

Registered only when the flag is given. Like the controller it takes over
``pytest_runtestloop``: the tagged tests run twice in isolated child processes (the
ordinary :class:`~pytest_trace_opt.core.evaluator.Evaluator`, no candidate), which gives their
state, the trainables they reach, graph sizes and flakiness; :mod:`pytest_trace_opt.plan`
turns that and the source code into the plan. Nothing is written except the JSON report
when ``--trace-report-json`` is given.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.core.evaluator import Evaluator
from pytest_trace_opt.core.localize import suspicion_records
from pytest_trace_opt.model import Evaluation
from pytest_trace_opt.modes.evaluators import build_evaluator
from pytest_trace_opt.modes.tagging import collection_error_message, deselect_all, split_tagged
from pytest_trace_opt.plan import LoopSettings, TestInfo, build_plan, plan_lines, strict_risks
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.reports import write_plan_report
from pytest_trace_opt.settings import Settings

_PACKAGE_DIR = Path(__file__).resolve().parent


class PlanMode:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.visible: list[str] = []
        self.holdout: list[str] = []
        self.sources: dict[str, str | None] = {}
        self.no_tagged = False
        self.collect_errors: list[str] = []
        self.plan: dict[str, Any] | None = None
        self.reporter: Any = None

    # -- collection -------------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            last = next((ln for ln in reversed(text) if ln.strip()), "")
            last = last.strip().removeprefix("E").strip()
            self.collect_errors.append(f"{report.nodeid or '<session>'}: {last}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        self.visible, self.holdout = split_tagged(items)
        tagged = set(self.visible) | set(self.holdout)
        for item in items:
            if item.nodeid in tagged:
                self.sources[item.nodeid] = _test_source(item)
        if items and not tagged:
            self.no_tagged = True
            deselect_all(config, items)

    # -- the run ------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            self.plan = self._build(None, None)
            self._write_report()
            raise session.Interrupted(collection_error_message(session))
        if session.config.option.collectonly or not session.items:
            return None
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        tagged = [*self.visible, *self.holdout]
        self._say(
            f"trace-opt plan: running {len(tagged)} tagged test(s) twice in isolated "
            "processes (no LLM call, no candidate)"
        )
        evaluator = self._evaluator()
        first = evaluator.run({}, tagged)
        second = evaluator.run({}, tagged)
        self.plan = self._build(first, second)
        self._write_report()
        return True

    def _say(self, line: str) -> None:
        if self.reporter is not None:
            self.reporter.write_line(line)

    def _evaluator(self) -> Evaluator:
        # The plan runs only the user's own code, as plain pytest would: no sandbox.
        evaluator, _ = build_evaluator(
            self.config, self.settings, use_sandbox=False, warn=self._say
        )
        return evaluator

    def _build(self, first: Evaluation | None, second: Evaluation | None) -> dict[str, Any]:
        tests: list[TestInfo] = []
        targets: dict[str, TargetInfo] = {}
        target_errors: list[str] = []
        collect_errors = list(self.collect_errors)
        problems: list[str] = []
        if first is not None:
            targets = dict(first.targets)
            if second is not None:
                for key, info in second.targets.items():
                    targets.setdefault(key, info)
            for error in first.collect_errors:
                last = next((ln for ln in reversed(error.splitlines()) if ln.strip()), "")
                last = last.strip().removeprefix("E").strip()
                if last and not any(last in e for e in collect_errors):
                    collect_errors.append(last)
            problems = list(first.problems)
            for nodeid in [*self.visible, *self.holdout]:
                result = first.tests.get(nodeid)
                if result is None:
                    continue
                other = second.tests.get(nodeid) if second is not None else None
                used = list(dict.fromkeys([*result.used, *(other.used if other else [])]))
                tests.append(
                    TestInfo(
                        nodeid=nodeid,
                        holdout=nodeid in self.holdout,
                        outcome=result.outcome,
                        outcome2=other.outcome if other is not None else None,
                        used=used,
                        feeds=list(result.explicit) or used,
                        explicit=list(result.explicit),
                        calls=len(result.calls) + result.dropped_calls,
                        scores=list(result.scores),
                        critiques=list(result.critiques),
                        feedback=result.feedback_text() if not result.passed else "",
                        source=self.sources.get(nodeid),
                    )
                )
                for error in result.target_errors:
                    if error not in target_errors:
                        target_errors.append(error)
        s = self.settings
        return build_plan(
            targets=targets,
            tests=tests,
            read=self._read,
            scan_files=self._project_files(targets),
            loop=LoopSettings(
                rounds=s.rounds, budget=s.budget_text(), optimizer=s.optimizer, llm=s.llm
            ),
            collect_errors=collect_errors,
            problems=problems,
            target_errors=target_errors,
            ran_twice=second is not None,
            ran=first is not None,
            suspicious=self._suspicious(first, targets),
        )

    def _suspicious(
        self, first: Evaluation | None, targets: dict[str, TargetInfo]
    ) -> dict[str, list[dict[str, Any]]]:
        """Where the failing visible tests point in each target (the Repair prompt marks them)."""
        if first is None:
            return {}
        return suspicion_records(targets, first.results(self.visible))

    def _read(self, relpath: str) -> str | None:
        path = Path(relpath)
        if not path.is_absolute():
            path = self.config.rootpath / path
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _project_files(self, targets: dict[str, TargetInfo]) -> list[str]:
        """Project files loaded by collection (where unreached trainables may be declared)."""
        root = self.config.rootpath.resolve()
        files: list[str] = [info.file for info in targets.values() if info.file]
        for module in list(sys.modules.values()):
            filename = getattr(module, "__file__", None)
            if not filename or not filename.endswith(".py"):
                continue
            path = Path(filename).resolve()
            if not path.is_relative_to(root) or path.is_relative_to(_PACKAGE_DIR):
                continue
            parts = path.relative_to(root).parts
            if any(p in ("site-packages", "dist-packages") or p.startswith(".") for p in parts):
                continue
            files.append(path.relative_to(root).as_posix())
        return sorted(set(files))

    def _write_report(self) -> None:
        path = self.settings.report_json
        if path is None or self.plan is None:
            return
        write_plan_report(path, self.plan)

    # -- terminal and exit status -------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.no_tagged:
            terminalreporter.write_sep("=", "trace-opt plan", yellow=True)
            terminalreporter.write_line(
                "no test is tagged @pytest.mark.trainable among the selected tests: nothing "
                "to plan. Tag tests with @pytest.mark.trainable (see the README)."
            )
            return
        if self.plan is None:
            return
        terminalreporter.write_sep("=", "trace-opt plan", bold=True)
        for line in plan_lines(self.plan):
            terminalreporter.write_line(line)
        if self.settings.strict:
            found = strict_risks(self.plan)
            if found:
                terminalreporter.write_line(
                    f"--trace-strict: {len(found)} hidden-dependency or no-signal risk(s): "
                    "exit status 1",
                    red=True,
                )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if (
            self.settings.strict
            and self.plan is not None
            and strict_risks(self.plan)
            and session.exitstatus == pytest.ExitCode.OK
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _test_source(item: pytest.Item) -> str | None:
    function = getattr(item, "function", None)
    if function is None:
        return None
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return None
