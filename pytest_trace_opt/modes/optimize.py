"""``--trace-optimize``: the pytest-facing side of an optimization.

Registered only when the flag is given. It takes over ``pytest_runtestloop``: the
session (``core.session``) runs the tagged tests in child processes for every round, and
at the end every selected test once more against the accepted candidate; those final
reports are replayed here so the terminal, ``--junitxml`` and the exit status read as a
normal pytest run.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.core.sandbox import Sandbox
from pytest_trace_opt.core.session import OptimizationSession, Selection
from pytest_trace_opt.core.techniques import ENV as ABLATE_ENV
from pytest_trace_opt.core.techniques import Techniques, techniques_from_env
from pytest_trace_opt.model import Evaluation, OptimizationResult, RoundRecord
from pytest_trace_opt.modes.evaluators import build_evaluator
from pytest_trace_opt.modes.live import LiveLine
from pytest_trace_opt.modes.tagging import collection_error_message, deselect_all, split_tagged
from pytest_trace_opt.reports import (
    add_suite_properties,
    summary_lines,
    tagged_test_properties,
    write_outputs,
)
from pytest_trace_opt.secrets import mask
from pytest_trace_opt.settings import Settings


class OptimizeMode:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.tests = Selection([], [], [])
        self.no_tagged = False
        self.result: OptimizationResult | None = None
        self.reporter: Any = None
        self.live: LiveLine | None = None  # while the rounds run
        self.sandbox: Sandbox | None = None
        self.passing_since: dict[str, int] = {}
        try:
            self.techniques: Techniques = techniques_from_env(os.environ)
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
        # Terminal lines about the outputs written, and the exit gate.
        from pytest_trace_opt.modes.ci import CIMode

        self.ci = CIMode(config, settings)
        config.pluginmanager.register(self.ci, "trace-opt-ci")

    # -- collection -------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        visible, holdout = split_tagged(items)
        if items and not (visible or holdout):
            self.no_tagged = True
            deselect_all(config, items)
        self.tests = Selection(visible, holdout, [item.nodeid for item in items])

    # -- the run ----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(collection_error_message(session))
        if session.config.option.collectonly or not session.items:
            return None
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        try:
            with _sigterm_as_interrupt(), _interrupt_once(self._write):
                self._optimize(session)
        finally:
            if self.sandbox is not None:
                self.sandbox.cleanup()
        return True

    def _write(self, line: str, **markup: bool) -> None:
        if self.live is not None:
            self.live.write_line(mask(line), **markup)
        elif self.reporter is not None:
            self.reporter.write_line(mask(line), **markup)

    def _session(self) -> OptimizationSession:
        from pytest_trace_opt.llm import LLMError

        evaluator, self.sandbox = build_evaluator(
            self.config,
            self.settings,
            use_sandbox=True,
            warn=lambda line: self._write(line, yellow=True),
        )
        return OptimizationSession(
            self.settings,
            evaluator=evaluator,
            rootdir=self.config.rootpath,
            tests=self.tests,
            make_llm=self._make_llm,
            techniques=self.techniques,
            checkpoint_path=self._state_path(),
            say=self._write,
            on_round=self._on_round,
            stop_errors=(LLMError,),
        )

    def _make_llm(self, deadline: float | None) -> Any:
        """The hook's LLM or the configured one, either way behind the session's budget."""
        from pytest_trace_opt.llm import Budget, BudgetedLLM, build_llm

        s = self.settings
        names = {"timeout": "--trace-timeout"}
        if s.max_llm_calls is not None:
            names["llm-calls"] = f"--trace-max-llm-calls={s.max_llm_calls}"
        if s.max_tokens is not None:
            names["tokens"] = f"--trace-max-tokens={s.max_tokens}"
        budget = Budget(s.max_llm_calls, s.max_tokens, deadline, names)
        llm = self.config.hook.pytest_trace_opt_make_llm(config=self.config, settings=s)
        if llm is not None:
            return BudgetedLLM(llm, budget)
        return build_llm(s.llm_config(verbose=self.config.option.verbose > 0), budget=budget)

    def _optimize(self, session: pytest.Session) -> None:
        if self.techniques.ablated:
            off = ", ".join(self.techniques.ablated)
            self._write(f"trace-opt: techniques switched off by {ABLATE_ENV}: {off}", yellow=True)
        tests = self.tests
        untagged = len(tests.selected) - len(tests.tagged)
        self._write(
            f"trace-opt: {len(tests.visible)} visible and {len(tests.holdout)} holdout tagged "
            f"tests; {untagged} untagged tests wait for the final check",
            bold=True,
        )
        runner = self._session()
        if self.reporter is not None:
            with LiveLine(self.reporter, runner.llm_call_in_flight) as self.live:
                outcome = runner.optimize()
            self.live = None
        else:
            outcome = runner.optimize()
        state = outcome.state
        if state is None:  # interrupted before the baseline finished
            self._write("trace-opt: interrupted before the first evaluation finished", red=True)
            pytest.exit("trace-opt: interrupted", returncode=pytest.ExitCode.INTERRUPTED)
        self.passing_since = state.passing_since
        before = runner.keep_improvements(state)
        broken: list[str] = []
        if outcome.interrupted:
            final = state.best  # stop now: the best evaluation so far, no final check
        else:
            self._write("trace-opt: final check of every selected test with the accepted candidate")
            try:
                final = runner.final_check(state)
                broken = runner.broken_outside_tagged(state, final)
            except KeyboardInterrupt:
                outcome.interrupted, final, broken = True, state.best, []
                state.stop_reason = (
                    "interrupted (Ctrl-C / SIGTERM) during the final check: the change is "
                    "not confirmed; run again, or continue with --trace-resume"
                )
            else:
                self._replay(session, final)
        result = runner.result(
            state,
            final,
            before=before,
            problems=outcome.problems,
            broken=broken,
            confirmed=not outcome.interrupted,
        )
        self.result = result
        self._outputs(result)
        if outcome.interrupted:
            pytest.exit(
                "trace-opt: interrupted; best result so far reported",
                returncode=pytest.ExitCode.INTERRUPTED,
            )

    def _on_round(self, record: RoundRecord) -> None:
        self._print_round(record)
        self.config.hook.pytest_trace_opt_round(config=self.config, record=record)

    def _print_round(self, record: RoundRecord) -> None:
        c = record.counts
        stage = "edit search" if record.stage == "search" else f"round {record.round}"
        line = f"trace-opt {stage}: {c.text()} passed"
        if c.score is not None:
            line += f", score {c.score:.3g}"
        if record.stage == "search":
            line += f"; {record.status} ({record.reason.removeprefix('edit search: ')})"
        if record.round:
            line += f"; {record.status}"
            if record.reason:
                line += f" ({record.reason})"
            samples = f" ({record.samples} samples)" if record.samples > record.llm_calls else ""
            line += (
                f"; LLM {record.llm_seconds:.1f} s, {record.llm_calls} call(s){samples}, "
                f"{record.prompt_tokens}+{record.completion_tokens} tokens"
            )
        line += f"; eval {record.eval_seconds:.1f} s"
        self._write(line, green=record.status == "accepted", yellow=record.status == "rejected")
        verbose = self.config.option.verbose > 0
        notes = record.notes if verbose else record.notes[-2:]
        if record.status in ("accepted", "baseline") and not verbose:
            notes = []
        for note in notes:
            self._write(f"    {note}")

    # -- the final check, replayed ----------------------------------------------------
    def _properties(self, nodeid: str, final: Evaluation) -> list[tuple[str, str]]:
        """JUnit properties of a tagged test: its role, targets, and since when it passes."""
        if nodeid in self.tests.holdout:
            role = "holdout"
        elif nodeid in self.tests.visible:
            role = "visible"
        else:
            return []
        result = final.tests.get(nodeid)
        names = [
            final.targets[k].name if k in final.targets else k
            for k in (result.targets if result else [])
        ]
        return tagged_test_properties(role, names, self.passing_since.get(nodeid))

    def _replay(self, session: pytest.Session, final: Evaluation) -> None:
        hook = self.config.hook
        locations = {item.nodeid: item.location for item in session.items}
        for nodeid in self.tests.selected:
            result = final.tests.get(nodeid)
            if result is None:
                continue
            location = locations.get(nodeid, (nodeid, None, nodeid))
            hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
            if result.reports:
                properties = self._properties(nodeid, final)
                for data in result.reports:
                    report = hook.pytest_report_from_serializable(config=self.config, data=data)
                    report.user_properties.extend(properties)
                    hook.pytest_runtest_logreport(report=report)
            else:  # the child died in this test: synthesize a failure
                report = pytest.TestReport(
                    nodeid=nodeid, location=location, keywords={},
                    outcome="failed", longrepr=result.feedback_text(), when="call",
                )  # fmt: skip
                hook.pytest_runtest_logreport(report=report)
            hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    # -- outputs ----------------------------------------------------------------------
    def _outputs(self, result: OptimizationResult) -> None:
        add_suite_properties(self.config.pluginmanager.get_plugins(), result)
        cwd = self.config.invocation_params.dir
        self.ci.record(result, write_outputs(result, self.settings, self.config.rootpath, cwd))
        self.config.hook.pytest_trace_opt_result(config=self.config, result=result)

    def _state_path(self) -> Path | None:
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return None
        try:
            return Path(cache.mkdir("trace-opt")) / "state.json"
        except OSError as exc:  # a read-only tree: optimize anyway, without a checkpoint
            where = getattr(cache, "_cachedir", "the cache directory")
            self._write(
                f"trace-opt: no checkpoint: {where} cannot be written ({exc.strerror or exc}); "
                "--trace-resume will not be able to continue this run",
                yellow=True,
            )
            return None

    # -- terminal ---------------------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.no_tagged:
            terminalreporter.write_sep("=", "trace-opt", yellow=True)
            terminalreporter.write_line(
                "no test is tagged @pytest.mark.trainable among the selected tests: nothing "
                "to optimize. Tag tests with @pytest.mark.trainable (see the README)."
            )
            return
        if self.result is None:
            return
        terminalreporter.write_sep("=", "trace-opt summary", bold=True)
        for line in summary_lines(self.result):
            terminalreporter.write_line(mask(line))


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _interrupt_once(say: Any) -> Iterator[None]:
    """The first Ctrl-C stops the run as usual (KeyboardInterrupt: the best result so far is
    reported); a second one, while that report is being written, is only acknowledged, so it
    cannot cut the report short; a third quits at once."""
    presses = 0

    def handler(signum: int, frame: Any) -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            raise KeyboardInterrupt
        if presses == 2:
            say("trace-opt: stopping; the report is being written (Ctrl-C again to quit now)")
            return
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        if not presses:  # once interrupted, the report comes after this hook: keep the shield
            signal.signal(signal.SIGINT, previous)
