"""One optimization from start to result, with no pytest in sight.

:class:`OptimizationSession` runs the baseline and the rounds (or resumes them), the final
check of every selected test against the accepted candidate, and builds the one
:class:`~pytest_trace_opt.model.OptimizationResult` that every report reads; with
``--trace-apply`` it writes the change into the tree, only after an honest pass. The
pytest-facing mode (``modes.optimize``) gives it an evaluator, an LLM factory and a way to
print, and replays the final check's reports into pytest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_trace_opt.core.acceptance import counts, improves, only_real_passes
from pytest_trace_opt.core.checkpoint import Checkpoint, CheckpointFile
from pytest_trace_opt.core.evaluator import Evaluator
from pytest_trace_opt.core.localize import suspicion_records
from pytest_trace_opt.core.rounds import RoundLoop
from pytest_trace_opt.core.state import LoopState
from pytest_trace_opt.core.techniques import Techniques
from pytest_trace_opt.model import (
    Counts,
    Evaluation,
    OptimizationResult,
    RoundRecord,
    TargetResult,
)
from pytest_trace_opt.patch import (
    SourceError,
    build_targets,
    combined_patch,
    encode_like,
    read_source,
    sha256_text,
    write_changes,
)
from pytest_trace_opt.protocol import TargetInfo

if TYPE_CHECKING:
    from pytest_trace_opt.settings import Settings

Say = Callable[[str], None]


class NoTargets(Exception):
    """No failing tagged test reached a trainable: there is nothing to optimize."""


@dataclass
class Selection:
    """The tests of this session, by role, in collection order."""

    visible: list[str]
    holdout: list[str]
    selected: list[str]  # every selected test, tagged or not

    @property
    def tagged(self) -> list[str]:
        return [*self.visible, *self.holdout]


@dataclass
class SessionOutcome:
    """What the loop left: its state, problems found, and whether it was interrupted."""

    state: LoopState | None
    problems: list[str] = field(default_factory=list)
    interrupted: bool = False


class OptimizationSession:
    def __init__(
        self,
        settings: Settings,
        *,
        evaluator: Evaluator,
        rootdir: Path,
        tests: Selection,
        make_llm: Callable[[float | None], Any],
        techniques: Techniques,
        checkpoint_path: Path | None,
        say: Say,
        on_round: Callable[[RoundRecord], None],
        stop_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.settings = settings
        self.evaluator = evaluator
        self.rootdir = rootdir
        self.tests = tests
        self.make_llm = make_llm
        self.techniques = techniques
        self.checkpoints = CheckpointFile(checkpoint_path, tests.tagged)
        self.say = say
        self.on_round = on_round
        self.stop_errors = stop_errors
        self.llm: Any = None  # built when a group first needs it; has ``.stats``
        self.start_hashes: dict[str, str] = {}  # file -> sha256 when it was first read
        self.started = time.monotonic()
        self.deadline = self.started + settings.timeout if settings.timeout else None
        self.last_state: LoopState | None = None
        self.loop: RoundLoop | None = None

    # -- the loop ----------------------------------------------------------------------
    def optimize(self) -> SessionOutcome:
        """Baseline and rounds; Ctrl-C keeps the best state so far."""
        outcome = SessionOutcome(None)
        imports = start_background_imports(local=self.settings.llm == "local")
        resume, start_round = self._resume() if self.settings.resume else (None, 1)
        loop = self.loop = RoundLoop(
            evaluator=self.evaluator,
            engine_factory=self._engine,
            visible=self.tests.visible,
            holdout=self.tests.holdout,
            rounds=self.settings.rounds,
            base_temperature=self.settings.llm_temperature,
            llm_stats=lambda: self.llm.stats if self.llm is not None else None,
            on_round=self.on_round,
            stop_errors=self.stop_errors,
            deadline=self.deadline,
            checkpoint=self._checkpoint,
            candidates=self.settings.candidates,
            edit_search=self.settings.edit_search,
            techniques=self.techniques,
            on_ask=self._name_llm_calls,
        )
        try:
            outcome.state = loop.run(resume, start_round)
        except NoTargets:
            outcome.problems.append("no trainable was reached by a failing tagged test")
            if self.last_state is not None:
                self.last_state.stop_reason = "nothing to optimize: " + outcome.problems[-1]
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            self.close_llm()
            imports.join()  # finish the import while the interpreter is whole (see there)
        outcome.state = outcome.state or self.last_state
        if outcome.interrupted and outcome.state is not None:
            outcome.state.stop_reason = (
                "interrupted (Ctrl-C / SIGTERM); state saved, continue with --trace-resume"
            )
        return outcome

    def _name_llm_calls(self, round_number: int, label: str) -> None:
        progress = getattr(self.llm, "progress", None)
        if progress is not None:
            progress.round, progress.label = round_number, label

    def llm_call_in_flight(self) -> Any:
        """A snapshot of the LLM call running now (None when there is none)."""
        progress = getattr(self.llm, "progress", None)
        return progress.snapshot() if progress is not None else None

    def _engine(self, baseline: Evaluation, keys: list[str]) -> Any:
        loading = time.monotonic()
        from pytest_trace_opt.core.engine import TraceEngine  # waits for the background import

        targets = {k: v for k, v in self.reached(baseline).items() if k in keys}
        if not targets:
            raise NoTargets()
        for info in targets.values():
            with suppress(OSError):
                text = read_source(self.rootdir / info.file)
                self.start_hashes.setdefault(info.file, sha256_text(text))
        first = self.llm is None
        if first:
            self.llm = self.make_llm(self.deadline)
        engine = TraceEngine(
            targets,
            self.llm,
            optimizer=self.settings.optimizer,
            max_tokens=self.settings.llm_max_tokens,
            json_mode=self.settings.llm_json_mode == "on",
            lenient_parsing=self.techniques.lenient_parsing,
            read_source=self._module_text,
            module_context=self.techniques.module_context,
            localization=self.techniques.localization,
        )
        if first:
            # Loading Trace, LiteLLM or the local model is start-up, not optimization: the
            # wall-clock budget moves by the time it took (on a loaded machine it once took
            # the whole of --trace-timeout 5, and no call was made).
            self._extend_deadline(time.monotonic() - loading)
        return engine

    def _extend_deadline(self, seconds: float) -> None:
        if self.deadline is not None:
            self.deadline += seconds
            if self.loop is not None:
                self.loop.deadline = self.deadline
            budget = getattr(self.llm, "budget", None)  # BudgetedLLM and LLMClient have one
            if budget is not None:
                budget.deadline = self.deadline

    def _module_text(self, relpath: str) -> str | None:
        path = Path(relpath) if Path(relpath).is_absolute() else self.rootdir / relpath
        try:
            return read_source(path)
        except (OSError, UnicodeDecodeError):
            return None

    def reached(self, evaluation: Evaluation) -> dict[str, TargetInfo]:
        """Trainables that the tagged tests exercised (or named explicitly)."""
        keys: list[str] = []
        for result in evaluation.results(self.tests.tagged):
            for key in result.targets:
                if key not in keys and key in evaluation.targets:
                    keys.append(key)
        return {k: evaluation.targets[k] for k in keys}

    def _checkpoint(self, state: LoopState) -> None:
        self.last_state = state
        done = state.history[-1].round if state.history else 0
        self.checkpoints.save(Checkpoint(state.best_values, done))

    def _resume(self) -> tuple[LoopState | None, int]:
        checkpoint, why = self.checkpoints.load()
        if checkpoint is None:
            self.say(f"trace-opt: {why}")
            return None, 1
        # "before" is the original code, not the checkpoint: run both.
        tagged = self.tests.tagged
        baseline = self.evaluator.run({}, tagged)
        best = baseline
        if checkpoint.best_values:
            best = only_real_passes(
                self.evaluator.run(checkpoint.best_values, tagged), baseline, tagged
            )
        state = LoopState(best_values=checkpoint.best_values, best=best, baseline=baseline)
        state.note_passing(0, tagged)
        visible, holdout = self.tests.visible, self.tests.holdout
        record = RoundRecord(0, "baseline", counts(baseline, visible, holdout))
        state.history.append(record)
        self.say(f"trace-opt: resuming after round {checkpoint.rounds_done}")
        return state, checkpoint.rounds_done + 1

    def close_llm(self) -> None:
        close = getattr(self.llm, "close", None)
        if close is not None:
            with suppress(Exception):
                close()

    # -- the end -----------------------------------------------------------------------
    def keep_improvements(self, state: LoopState) -> Counts:
        """Ties are accepted to keep exploring, but only an improvement is proposed.
        Returns the counts before any change."""
        before = state.history[0].counts if state.history else Counts()
        state.drop_non_improvements()
        best_counts = counts(state.best, self.tests.visible, self.tests.holdout)
        if state.best_values and not improves(best_counts, before):
            state.best_values = {}
        return before

    def final_check(self, state: LoopState) -> Evaluation:
        """Every selected test against the accepted candidate, with reports to replay.

        In a sandbox the candidate is checked as it would be written: a fresh copy holds
        the patched files and the tests import them (a change the patch cannot carry is not
        in it); only a file outside the copy gets its value injected as in the rounds."""
        values = state.best_values
        if self.evaluator.sandbox is not None:
            overlay, values = self._as_written(state)
            self.evaluator.sandbox.recopy(overlay)  # never the copy that candidates ran in
        final = self.evaluator.run(values, self.tests.selected, serialize_reports=True)
        if state.baseline is not None:
            only_real_passes(final, state.baseline, self.tests.tagged)
        return final

    def _as_written(self, state: LoopState) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The files the patch would write (relpath -> bytes), and the values of targets
        in files outside the copy, which stay injected."""
        if not state.best_values:
            return {}, {}
        targets, edits = build_targets(
            self.rootdir,
            state.best.targets,
            state.best_values,
            self.reached(state.best),
            self.start_hashes,
        )
        overlay: dict[str, bytes] = {}
        for edit in edits:
            if Path(edit.relpath).is_absolute():
                continue
            with suppress(OSError, SourceError):
                old = (self.rootdir / edit.relpath).read_bytes()
                overlay[edit.relpath] = encode_like(edit.new_text, old, edit.relpath)
        outside = {t.key for t in targets if Path(t.file).is_absolute()}
        return overlay, {k: v for k, v in state.best_values.items() if k in outside}

    def broken_outside_tagged(self, state: LoopState, final: Evaluation) -> list[str]:
        """Untagged tests that fail with the change and passed without it."""
        tagged = set(self.tests.tagged)
        failing = [r.nodeid for r in final.failing(self.tests.selected) if r.nodeid not in tagged]
        if not (state.best_values and failing):
            return []
        if self.evaluator.sandbox is not None:
            self.evaluator.sandbox.recopy()  # the original files again
        original = self.evaluator.run({}, failing)
        return [n for n in failing if original.tests.get(n) and original.tests[n].passed]

    def result(
        self,
        state: LoopState,
        final: Evaluation,
        *,
        before: Counts,
        problems: list[str],
        broken: list[str],
        confirmed: bool = True,
    ) -> OptimizationResult:
        """``confirmed``: the final check ran to its end (not interrupted)."""
        tests = self.tests
        target_errors = sorted(
            {e for r in state.best.results(tests.tagged) for e in r.target_errors}
        )
        problems = [*problems, *target_errors, *state.best.problems]
        # an LLM that could not be reached (or a cassette without the call) is an error
        failed_llm = state.stopped_by_error in ("LLMUnavailable", "CassetteMiss")
        could_not_run = bool(problems) or failed_llm
        after = counts(final, tests.visible, tests.holdout)
        if state.best_values and confirmed and not improves(after, before):
            # it passed in its rounds (twice) but not in the final check: nothing to propose
            in_rounds = counts(state.best, tests.visible, tests.holdout).text()
            problems.append(
                f"the accepted change passed {in_rounds} in its rounds but {after.text()} in the "
                "final check, no better than the original: no change is proposed"
            )
            state.best_values = {}
        targets, edits = build_targets(
            self.rootdir,
            final.targets | state.best.targets,
            state.best_values,
            self.reached(state.best),
            self.start_hashes,
        )
        if state.baseline is not None:
            self._localize(targets, state.baseline)
        outcome = _outcome(before, after, broken, bool(state.best_values), could_not_run)
        result = OptimizationResult(
            outcome=outcome,
            stop_reason=state.stop_reason,
            before=before,
            after=after,
            rounds=state.history,
            targets=targets,
            llm=self._llm_info(),
            final_check={
                "selected": len(tests.selected),
                "passed": final.passed(tests.selected),
                "failed": len(final.failing(tests.selected)),
                "broken_outside_tagged": broken,
            },
            patch=combined_patch(edits),
            problems=problems,
            best_values=state.best_values,
            seconds=round(time.monotonic() - self.started, 3),
        )
        if self.settings.apply and not confirmed:
            result.apply_note = "not applied: the final check was interrupted"
        elif self.settings.apply:
            self._apply(result, edits, after, broken)
        return result

    def _localize(self, targets: list[TargetResult], baseline: Evaluation) -> None:
        """Where the failing visible tests pointed in the original code."""
        records = suspicion_records([t.key for t in targets], baseline.results(self.tests.visible))
        for target in targets:
            target.suspicious = records[target.key]

    def _apply(
        self, result: OptimizationResult, edits: Any, after: Counts, broken: list[str]
    ) -> None:
        """Only an honest pass is written: every tagged test, holdouts included, and no
        untagged test broken."""
        if not result.changed_targets:
            result.apply_note = "nothing to apply"
        elif after.passed != after.total or broken:
            result.apply_note = (
                "not applied: the accepted candidate does not pass every tagged test "
                "(holdouts included) or breaks an untagged test"
            )
        else:
            result.applied, result.apply_note = write_changes(self.rootdir, edits)

    def _llm_info(self) -> dict[str, Any]:
        s = self.settings
        info: dict[str, Any] = {
            "model": s.llm,
            "optimizer": s.optimizer,
            "candidates": (
                self.loop.candidates_in_use(self.last_state) if self.loop else s.candidates or 1
            ),
            "techniques_off": self.techniques.ablated,
        }
        stats = getattr(self.llm, "stats", None)
        if stats is None:  # never needed (the edit search fixed it, or nothing failed)
            info.update(calls=0, samples=0, prompt_tokens=0, completion_tokens=0, seconds=0.0)
        else:
            info.update(
                calls=stats.calls,
                samples=stats.samples,
                prompt_tokens=stats.prompt_tokens,
                completion_tokens=stats.completion_tokens,
                seconds=round(stats.seconds, 3),
                cost=stats.cost,
                replayed_calls=stats.replayed_calls,
            )
        return info


def _outcome(
    before: Counts, after: Counts, broken: list[str], changed: bool, problems: bool
) -> str:
    if after.passed == after.total and not broken:
        return "fixed" if before.passed < before.total or changed else "passing"
    if after.passed > before.passed:
        return "improved"
    if problems and not changed:
        return "error"
    return "unchanged"


def _import_quietly(local: bool) -> None:
    try:
        from pytest_trace_opt.core.optoprime import import_optimizers

        import_optimizers()
        if not local:
            from pytest_trace_opt.llm.backends import import_litellm

            import_litellm()
    except Exception:  # noqa: BLE001 - the import is done again, and reported, where it is used
        pass


def start_background_imports(local: bool) -> threading.Thread:
    """Trace's optimizers (LiteLLM under them) take seconds to import on a loaded machine:
    import them while round 0 runs its tests, not on the ``--trace-timeout`` clock after it.
    A later import of the same modules waits for this one (Python's import lock). Not a
    daemon: a run that ends early (the edit search fixed everything) waits for the import
    at exit, since an interpreter that shuts down mid-import of LiteLLM aborts or hangs in
    LiteLLM's own clean-up."""
    thread = threading.Thread(
        target=_import_quietly, args=(local,), name="trace-opt-imports", daemon=False
    )
    thread.start()
    return thread
