"""The ``--trace-optimize`` session: owns the loop, the LLM and the reports.

Registered only when the flag is given. It takes over ``pytest_runtestloop``: tagged
tests run in child processes for every round, and at the end every selected test runs
once against the accepted candidate; those final reports are replayed here so the
terminal, ``--junitxml`` and the exit status read as a normal pytest run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.ablation import ENV as ABLATE_ENV
from pytest_trace_opt.ablation import techniques_from_env
from pytest_trace_opt.evaluate import Evaluator, forwarded_args
from pytest_trace_opt.model import Counts, Evaluation, OptimizationResult, RoundRecord
from pytest_trace_opt.optimize import LoopState, counts, improves, run_rounds
from pytest_trace_opt.patch import (
    build_targets,
    combined_patch,
    read_source,
    sha256_text,
    write_changes,
)
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.reports import (
    add_suite_properties,
    summary_lines,
    tagged_test_properties,
    write_outputs,
)
from pytest_trace_opt.sandbox import Sandbox, SandboxTooLarge
from pytest_trace_opt.settings import Settings
from pytest_trace_opt.tagging import collection_error_message, deselect_all, split_tagged


class CountingLLM:
    """Wraps whatever LLM object is used: counts calls and tokens, enforces budgets."""

    def __init__(self, llm: Any, settings: Settings, deadline: float | None) -> None:
        self.llm = llm
        self.max_calls = settings.max_llm_calls
        self.max_tokens = settings.max_tokens
        self.deadline = deadline
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.seconds = 0.0

    def _check(self) -> None:
        from pytest_trace_opt.llm import BudgetExhausted

        if self.max_calls is not None and self.calls >= self.max_calls:
            raise BudgetExhausted("llm-calls", f"--trace-max-llm-calls={self.max_calls}")
        if self.max_tokens is not None and self.prompt_tokens + self.completion_tokens >= (
            self.max_tokens
        ):
            raise BudgetExhausted("tokens", f"--trace-max-tokens={self.max_tokens}")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BudgetExhausted("timeout", "--trace-timeout")

    def _count(self, response: Any, started: float) -> Any:
        self.calls += 1
        self.seconds += time.monotonic() - started
        usage = getattr(response, "usage", None)
        if isinstance(usage, dict):
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)
        elif usage is not None:
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        return response

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        started = time.monotonic()
        return self._count(self.llm(*args, **kwargs), started)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        started = time.monotonic()
        create = getattr(self.llm, "create", None) or self.llm
        return self._count(create(*args, **kwargs), started)


class Controller:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.visible: list[str] = []
        self.holdout: list[str] = []
        self.all_ids: list[str] = []
        self.no_tagged = False
        self.result: OptimizationResult | None = None
        self.llm: CountingLLM | None = None
        self.llm_client: Any = None
        self.reporter: Any = None
        self.sandbox: Sandbox | None = None
        self.start_hashes: dict[str, str] = {}
        try:
            self.techniques = techniques_from_env(os.environ)
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
        self.visible, self.holdout = split_tagged(items)
        if items and not (self.visible or self.holdout):
            self.no_tagged = True
            deselect_all(config, items)
        self.all_ids = [item.nodeid for item in items]

    # -- the loop -----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(collection_error_message(session))
        if session.config.option.collectonly or not session.items:
            return None
        self.reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        try:
            with _sigterm_as_interrupt():
                self._optimize(session)
        finally:
            if self.sandbox is not None:
                self.sandbox.cleanup()
        return True

    def _write(self, line: str, **markup: bool) -> None:
        if self.reporter is not None:
            self.reporter.write_line(line, **markup)

    def _evaluator(self) -> Evaluator:
        plugin_args: list[str] = []
        name = self.config.pluginmanager.get_name(
            self.config.pluginmanager.get_plugin("trace_opt")
            or __import__("pytest_trace_opt.plugin").plugin
        )
        if name != "trace_opt" or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
            plugin_args = ["-p", "pytest_trace_opt.plugin"]
        sandbox = None
        if self.settings.sandbox == "on":
            if self.sandbox is None:
                try:
                    self.sandbox = Sandbox(self.config.rootpath)
                except SandboxTooLarge as exc:
                    self._write(
                        f"trace-opt: evaluating in the project itself, not a private copy: {exc}",
                        yellow=True,
                    )
                    self.settings = dataclasses.replace(self.settings, sandbox="off")
            sandbox = self.sandbox
        return Evaluator(
            sandbox=sandbox,
            rootdir=self.config.rootpath,
            plugin_args=plugin_args,
            user_args=forwarded_args(self.config.invocation_params.args),
            limits=self.settings.child_limits(),
            eval_timeout=self.settings.eval_timeout,
        )

    def _make_llm(self, deadline: float | None) -> CountingLLM:
        llm = self.config.hook.pytest_trace_opt_make_llm(config=self.config, settings=self.settings)
        if llm is None:
            from pytest_trace_opt.llm import LLMConfig, build_llm

            s = self.settings
            llm = build_llm(
                LLMConfig(
                    model=s.llm,
                    model_path=str(s.llm_model_path) if s.llm_model_path else None,
                    base_url=s.llm_base_url,
                    temperature=s.llm_temperature,
                    max_tokens=s.llm_max_tokens,
                    json_mode=s.llm_json_mode == "on",
                    timeout=s.llm_timeout,
                    cassette=str(s.cassette) if s.cassette else None,
                    record_mode=s.record_mode,
                    seed=s.seed,
                    verbose=self.config.option.verbose > 0,
                )
            )
            self.llm_client = llm
        return CountingLLM(llm, self.settings, deadline)

    def _optimize(self, session: pytest.Session) -> None:
        from pytest_trace_opt.llm import LLMError

        s = self.settings
        techniques = self.techniques
        if techniques.ablated:
            self._write(
                f"trace-opt: techniques switched off by {ABLATE_ENV}: "
                + ", ".join(techniques.ablated),
                yellow=True,
            )
        started = time.monotonic()
        deadline = started + s.timeout if s.timeout else None
        evaluator = self._evaluator()
        tagged = [*self.visible, *self.holdout]
        self._write(
            f"trace-opt: {len(self.visible)} visible and {len(self.holdout)} holdout tagged "
            f"tests; {len(self.all_ids) - len(tagged)} untagged tests wait for the final check",
            bold=True,
        )
        state_path = self._state_path()
        resume_state, start_round = self._load_resume(state_path, tagged) if s.resume else (None, 1)

        def engine_factory(baseline: Evaluation, keys: list[str]) -> Any:
            from pytest_trace_opt.engine import TraceEngine

            targets = {k: v for k, v in self._targets(baseline).items() if k in keys}
            if not targets:
                raise _NoTargets()
            for info in targets.values():
                path = self.config.rootpath / info.file
                with suppress(OSError):
                    self.start_hashes.setdefault(info.file, sha256_text(read_source(path)))
            if self.llm is None:
                self.llm = self._make_llm(deadline)
            return TraceEngine(
                targets,
                self.llm,
                optimizer=s.optimizer,
                max_tokens=s.llm_max_tokens,
                json_mode=s.llm_json_mode == "on",
                lenient_parsing=techniques.lenient_parsing,
            )

        def checkpoint(state: LoopState) -> None:
            self._save_state(state_path, tagged, state)

        interrupted = False
        state: LoopState | None = resume_state
        problems: list[str] = []
        try:
            state = run_rounds(
                evaluator=evaluator,
                engine_factory=engine_factory,
                visible=self.visible,
                holdout=self.holdout,
                rounds=s.rounds,
                base_temperature=s.llm_temperature,
                llm_stats=lambda: self.llm,
                on_round=self._on_round,
                stop_errors=(LLMError,),
                deadline=deadline,
                resume=resume_state,
                checkpoint=checkpoint,
                start_round=start_round,
                candidates=s.candidates,
                techniques=techniques,
            )
        except _NoTargets:
            problems.append("no trainable was reached by a failing tagged test")
            if self._last_state is not None:
                self._last_state.stop_reason = "nothing to optimize: " + problems[-1]
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self._close_llm()
        if state is None:
            state = self._last_state
        if state is None:  # interrupted before the baseline finished
            self._write("trace-opt: interrupted before the first evaluation finished", red=True)
            pytest.exit("trace-opt: interrupted", returncode=pytest.ExitCode.INTERRUPTED)
        if interrupted:
            state.stop_reason = (
                "interrupted (Ctrl-C / SIGTERM); state saved, continue with --trace-resume"
            )
        result = self._finish(session, evaluator, state, problems, started, interrupted)
        self.result = result
        if interrupted:
            self._report(result)
            pytest.exit(
                "trace-opt: interrupted; best result so far reported",
                returncode=pytest.ExitCode.INTERRUPTED,
            )
        self._report(result)

    _last_state: LoopState | None = None

    def _on_round(self, record: RoundRecord) -> None:
        self._print_round(record)
        self.config.hook.pytest_trace_opt_round(config=self.config, record=record)

    def _print_round(self, record: RoundRecord) -> None:
        c = record.counts
        line = f"trace-opt round {record.round}: {c.text()} passed"
        if c.score is not None:
            line += f", score {c.score:.3g}"
        if record.round:
            line += f"; {record.status}"
            if record.reason:
                line += f" ({record.reason})"
            line += (
                f"; LLM {record.llm_seconds:.1f} s, {record.llm_calls} call(s), "
                f"{record.prompt_tokens}+{record.completion_tokens} tokens"
            )
        line += f"; eval {record.eval_seconds:.1f} s"
        self._write(line, green=record.status == "accepted", yellow=record.status == "rejected")
        notes = record.notes if self.config.option.verbose > 0 else record.notes[-2:]
        if record.status in ("accepted", "baseline") and self.config.option.verbose <= 0:
            notes = []
        for note in notes:
            self._write(f"    {note}")

    def _targets(self, baseline: Evaluation) -> dict[str, TargetInfo]:
        """Trainables that the tagged tests exercised (or named explicitly)."""
        keys: list[str] = []
        for result in baseline.results([*self.visible, *self.holdout]):
            for key in result.targets:
                if key not in keys and key in baseline.targets:
                    keys.append(key)
        return {k: baseline.targets[k] for k in keys}

    def _finish(
        self,
        session: pytest.Session,
        evaluator: Evaluator,
        state: LoopState,
        problems: list[str],
        started: float,
        interrupted: bool = False,
    ) -> OptimizationResult:
        s = self.settings
        tagged = [*self.visible, *self.holdout]
        before = state.history[0].counts if state.history else Counts()
        target_errors = sorted({e for r in state.best.results(tagged) for e in r.target_errors})
        problems += target_errors + state.best.problems
        # Ties are accepted to keep exploring, but only an improvement is proposed.
        state.drop_non_improvements()
        best_counts = counts(state.best, self.visible, self.holdout)
        if state.best_values and not improves(best_counts, before):
            state.best_values = {}
        if interrupted:
            # Stop now: report the best evaluation so far instead of a final check.
            final = state.best
        else:
            self._write("trace-opt: final check of every selected test with the accepted candidate")
            final = evaluator.run(state.best_values, self.all_ids, serialize_reports=True)
            self._replay(session, final, state)
        after = counts(final, self.visible, self.holdout)
        broken: list[str] = []
        untagged_failing = [r.nodeid for r in final.failing(self.all_ids) if r.nodeid not in tagged]
        if state.best_values and untagged_failing and not interrupted:
            original = evaluator.run({}, untagged_failing)
            broken = [
                n for n in untagged_failing if original.tests.get(n) and original.tests[n].passed
            ]
        targets, edits = build_targets(
            self.config.rootpath,
            final.targets | state.best.targets,
            state.best_values,
            self._targets(state.best),
            self.start_hashes,
        )
        patch = combined_patch(edits)
        if after.passed == after.total and not broken:
            outcome = "fixed" if before.passed < before.total or state.best_values else "passing"
        elif after.passed > before.passed:
            outcome = "improved"
        else:
            outcome = "unchanged"
        if problems and not state.best_values and outcome == "unchanged":
            outcome = "error"
        llm_info: dict[str, Any] = {
            "model": s.llm,
            "optimizer": s.optimizer,
            "candidates": s.candidates,
            "techniques_off": self.techniques.ablated,
        }
        if self.llm is not None:
            llm_info.update(
                calls=self.llm.calls,
                prompt_tokens=self.llm.prompt_tokens,
                completion_tokens=self.llm.completion_tokens,
                seconds=round(self.llm.seconds, 3),
            )
            stats = getattr(self.llm_client, "stats", None)
            if stats is not None:
                llm_info["cost"] = getattr(stats, "cost", None)
                llm_info["replayed_calls"] = getattr(stats, "replayed_calls", 0)
        result = OptimizationResult(
            outcome=outcome,
            stop_reason=state.stop_reason,
            before=before,
            after=after,
            rounds=state.history,
            targets=targets,
            llm=llm_info,
            final_check={
                "selected": len(self.all_ids),
                "passed": final.passed(self.all_ids),
                "failed": len(final.failing(self.all_ids)),
                "broken_outside_tagged": broken,
            },
            patch=patch,
            problems=problems,
            best_values=state.best_values,
            seconds=round(time.monotonic() - started, 3),
        )
        add_suite_properties(self.config.pluginmanager.get_plugins(), result)
        if s.apply:
            if not result.changed_targets:
                result.apply_note = "nothing to apply"
            elif after.passed != after.total or broken:
                result.apply_note = (
                    "not applied: the accepted candidate does not pass every tagged test "
                    "(holdouts included) or breaks an untagged test"
                )
            else:
                result.applied, result.apply_note = write_changes(self.config.rootpath, edits)
        return result

    def _properties(
        self, nodeid: str, final: Evaluation, state: LoopState
    ) -> list[tuple[str, str]]:
        """JUnit properties of a tagged test: its role, targets, and since when it passes."""
        if nodeid in self.holdout:
            role = "holdout"
        elif nodeid in self.visible:
            role = "visible"
        else:
            return []
        result = final.tests.get(nodeid)
        names = [
            final.targets[k].name if k in final.targets else k
            for k in (result.targets if result else [])
        ]
        return tagged_test_properties(role, names, state.passing_since.get(nodeid))

    def _replay(self, session: pytest.Session, final: Evaluation, state: LoopState) -> None:
        hook = self.config.hook
        locations = {item.nodeid: item.location for item in session.items}
        for nodeid in self.all_ids:
            result = final.tests.get(nodeid)
            if result is None:
                continue
            location = locations.get(nodeid, (nodeid, None, nodeid))
            hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
            if result.reports:
                properties = self._properties(nodeid, final, state)
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

    def _report(self, result: OptimizationResult) -> None:
        cwd = self.config.invocation_params.dir
        self.ci.record(result, write_outputs(result, self.settings, self.config.rootpath, cwd))
        self.config.hook.pytest_trace_opt_result(config=self.config, result=result)

    def _close_llm(self) -> None:
        close = getattr(self.llm_client, "close", None)
        if close is not None:
            with suppress(Exception):
                close()

    # -- checkpoints ------------------------------------------------------------------
    def _state_path(self) -> Path | None:
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return None
        return Path(cache.mkdir("trace-opt")) / "state.json"

    def _fingerprint(self, tagged: list[str]) -> str:
        digest = hashlib.sha256("\n".join(tagged).encode())
        return digest.hexdigest()[:16]

    def _save_state(self, path: Path | None, tagged: list[str], state: LoopState) -> None:
        self._last_state = state
        if path is None:
            return
        data = {
            "fingerprint": self._fingerprint(tagged),
            "best_values": state.best_values,
            "rounds_done": state.history[-1].round if state.history else 0,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
        os.replace(tmp, path)

    def _load_resume(self, path: Path | None, tagged: list[str]) -> tuple[LoopState | None, int]:
        if path is None or not path.exists():
            self._write("trace-opt: no checkpoint to resume; starting from the beginning")
            return None, 1
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("fingerprint") != self._fingerprint(tagged):
            self._write("trace-opt: the checkpoint is for other tests; starting from the beginning")
            return None, 1
        evaluator = self._evaluator()
        best = evaluator.run(data["best_values"], tagged)
        state = LoopState(best_values=data["best_values"], best=best)
        state.history.append(RoundRecord(0, "baseline", counts(best, self.visible, self.holdout)))
        self._write(f"trace-opt: resuming after round {data['rounds_done']}")
        return state, int(data["rounds_done"]) + 1

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
            terminalreporter.write_line(line)


class _NoTargets(Exception):
    pass


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
