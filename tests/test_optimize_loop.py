"""Unit tests of the round loop (optimize.py) with a fake evaluator and a fake engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from pytest_trace_opt.core.acceptance import counts, judge
from pytest_trace_opt.core.rounds import run_rounds
from pytest_trace_opt.core.sampling import temperature_for
from pytest_trace_opt.core.techniques import ENV, Techniques, techniques_from_env
from pytest_trace_opt.model import (
    Evaluation,
    FilledIn,
    Proposal,
    ProposalRequest,
    RoundRecord,
    TestResult,
)

VISIBLE = ["t.py::a", "t.py::b", "t.py::c"]
HOLDOUT = ["t.py::h"]


def evaluation(
    outcomes: dict[str, str], scores: dict[str, list[float]] | None = None
) -> Evaluation:
    scores = scores or {}
    tests = {
        n: TestResult(n, o, feedback=[f"{n} {o}"], scores=scores.get(n, []))
        for n, o in outcomes.items()
    }
    return Evaluation(tests, {}, [], [], 0.01)


def outcomes(passing: Sequence[str], ids: Sequence[str] = (*VISIBLE, *HOLDOUT)) -> dict[str, str]:
    return {n: "passed" if n in passing else "failed" for n in ids}


# -- judge ----------------------------------------------------------------------------
def test_judge_rejects_fewer_passing_tests() -> None:
    best = evaluation(outcomes(["t.py::a", "t.py::b"]))
    candidate = evaluation(outcomes(["t.py::a"]))
    accepted, reason = judge(best, candidate, VISIBLE, HOLDOUT)
    assert not accepted
    assert "fewer" in reason


def test_judge_rejects_broken_holdout_even_if_visible_count_rises() -> None:
    best = evaluation(outcomes(["t.py::h"]))
    candidate = evaluation(outcomes(VISIBLE))  # 3 visible now pass, the holdout broke
    accepted, reason = judge(best, candidate, VISIBLE, HOLDOUT)
    assert not accepted
    assert "hidden check" in reason
    assert "t.py::h" not in reason  # holdout names never reach the LLM


def test_judge_rejects_a_holdout_missing_from_the_candidate() -> None:
    best = evaluation(outcomes(["t.py::h"]))
    candidate = evaluation(outcomes(VISIBLE, ids=VISIBLE))
    assert judge(best, candidate, VISIBLE, HOLDOUT)[0] is False


def test_judge_accepts_equal_pass_count() -> None:
    best = evaluation(outcomes(["t.py::a"]))
    candidate = evaluation(outcomes(["t.py::b"]))
    assert judge(best, candidate, VISIBLE, HOLDOUT) == (True, "no test lost")


def test_judge_accepts_more_passing_tests() -> None:
    best = evaluation(outcomes([]))
    candidate = evaluation(outcomes(["t.py::a", "t.py::b"]))
    accepted, reason = judge(best, candidate, VISIBLE, HOLDOUT)
    assert accepted
    assert reason == "2 more test(s) pass"


def test_judge_rejects_lower_score_at_equal_count() -> None:
    best = evaluation(outcomes(["t.py::a"]), {"t.py::b": [0.8]})
    candidate = evaluation(outcomes(["t.py::a"]), {"t.py::b": [0.2]})
    accepted, reason = judge(best, candidate, VISIBLE, HOLDOUT)
    assert not accepted
    assert "lowers the score" in reason


def test_skipped_tests_are_not_counted_and_an_xfail_is_no_pass() -> None:
    ev = evaluation({"t.py::a": "passed", "t.py::b": "skipped", "t.py::c": "xfailed"})
    c = counts(ev, VISIBLE, [])
    assert (c.visible_passed, c.visible_total) == (1, 2)


# -- temperature_for --------------------------------------------------------------------
def test_temperature_first_attempt_is_the_base() -> None:
    assert temperature_for(0, 0.2) == 0.2
    assert temperature_for(0, 0.0) == 0.0


def test_temperature_rises_on_retries_and_is_capped() -> None:
    assert temperature_for(1, 0.0) == pytest.approx(0.3)
    assert temperature_for(2, 0.0) == pytest.approx(0.6)
    assert temperature_for(1, 0.5) == pytest.approx(0.8)
    assert temperature_for(10, 0.0) == 1.0
    assert temperature_for(1, -1.0) == pytest.approx(0.3)


# -- run_rounds -------------------------------------------------------------------------
class FakeEvaluator:
    """Candidate value "v" of the key "k" decides which tests pass."""

    def __init__(self, table: dict[str | None, list[str]]) -> None:
        self.table = table
        self.runs: list[dict[str, Any]] = []

    def run(
        self,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        *,
        serialize_reports: bool = False,
        deadline: float | None = None,
        first_failure: bool = False,
    ) -> Evaluation:
        self.runs.append(dict(candidate))
        return self.evaluate(candidate.get("k"), nodeids)

    def evaluate(self, value: str | None, nodeids: Sequence[str]) -> Evaluation:
        return evaluation(outcomes(self.table[value], ids=list(nodeids)))


class FakeEngine:
    """Returns the scripted proposals in order (then keeps returning the last one)."""

    def __init__(self, proposals: Sequence[Proposal | Exception]) -> None:
        self.proposals = list(proposals)
        self.calls: list[tuple[dict[str, Any], list[str], str, float | None]] = []

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        failing = [r.nodeid for r in request.failing]
        self.calls.append((dict(request.current), failing, request.feedback, request.temperature))
        item = self.proposals[min(len(self.calls), len(self.proposals)) - 1]
        if isinstance(item, Exception):
            raise item
        return [item]


class StopError(Exception):
    pass


def loop(
    evaluator: FakeEvaluator,
    engine: FakeEngine,
    rounds: int = 5,
    visible: Sequence[str] = VISIBLE,
    holdout: Sequence[str] = HOLDOUT,
    **options: Any,
) -> tuple[Any, list[RoundRecord]]:
    seen: list[RoundRecord] = []
    state = run_rounds(
        evaluator=evaluator,
        engine_factory=lambda baseline, keys: engine,
        visible=visible,
        holdout=holdout,
        rounds=rounds,
        base_temperature=0.0,
        llm_stats=lambda: None,
        on_round=seen.append,
        stop_errors=(StopError,),
        **options,
    )
    return state, seen


ALL = [*VISIBLE, *HOLDOUT]


def test_run_rounds_stops_when_all_tests_pass() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "good": ALL})
    engine = FakeEngine([Proposal(values={"k": "good"})])
    state, seen = loop(evaluator, engine, rounds=5)
    assert state.stop_reason == "all tagged tests pass"
    assert state.best_values == {"k": "good"}
    assert [r.status for r in state.history] == ["baseline", "accepted"]
    assert seen == state.history
    assert len(engine.calls) == 1
    # the engine sees the visible failures only, never the holdout
    assert engine.calls[0][1] == VISIBLE


def test_run_rounds_does_not_call_the_engine_when_everything_passes() -> None:
    evaluator = FakeEvaluator({None: ALL})
    engine = FakeEngine([StopError("must not be called")])
    state, _ = loop(evaluator, engine)
    assert state.stop_reason == "all tagged tests pass"
    assert engine.calls == []
    assert len(state.history) == 1


def test_run_rounds_stops_at_the_round_limit() -> None:
    bad = ["t.py::h"]
    evaluator = FakeEvaluator({None: ["t.py::a", "t.py::h"], "b1": bad, "b2": bad, "b3": bad})
    engine = FakeEngine([Proposal(values={"k": f"b{i}"}) for i in (1, 2, 3)])
    state, _ = loop(evaluator, engine, rounds=3)
    assert state.stop_reason == "round limit (3) reached"
    assert [r.status for r in state.history] == ["baseline"] + ["rejected"] * 3
    assert state.best_values == {}
    assert len(engine.calls) == 3
    # retries raise the temperature; the rejection is fed back to the next prompt
    assert [c[3] for c in engine.calls] == pytest.approx([0.0, 0.3, 0.6])
    assert "Rejected: it passes fewer tests" in engine.calls[1][2]


def test_a_candidate_already_rejected_is_not_evaluated_again() -> None:
    evaluator = FakeEvaluator({None: ["t.py::a", "t.py::h"], "bad": ["t.py::h"]})
    engine = FakeEngine([Proposal(values={"k": "bad"})])
    state, _ = loop(evaluator, engine, rounds=3)
    assert [r.status for r in state.history] == ["baseline", "rejected"] + ["no-proposal"] * 2
    assert [run.get("k") for run in evaluator.runs] == [None, "bad"]
    assert "already tried" in state.history[2].reason
    # the model is told, with the code, and asked warmer
    assert "already tried and rejected" in engine.calls[2][2]
    assert engine.calls[2][3] > engine.calls[1][3]


def test_run_rounds_keeps_the_best_when_a_later_candidate_is_worse() -> None:
    evaluator = FakeEvaluator(
        {None: ["t.py::h"], "half": ["t.py::a", "t.py::b", "t.py::h"], "worse": ["t.py::h"]}
    )
    engine = FakeEngine([Proposal(values={"k": "half"}), Proposal(values={"k": "worse"})])
    state, _ = loop(evaluator, engine, rounds=2)
    assert [r.status for r in state.history] == ["baseline", "accepted", "rejected"]
    assert state.best_values == {"k": "half"}
    assert counts(state.best, VISIBLE, HOLDOUT).passed == 3
    # the second round starts from the accepted candidate
    assert engine.calls[1][0] == {"k": "half"}
    assert engine.calls[1][1] == ["t.py::c"]


def test_run_rounds_rejects_a_candidate_that_breaks_the_holdout() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "overfit": VISIBLE})
    engine = FakeEngine([Proposal(values={"k": "overfit"})])
    state, _ = loop(evaluator, engine, rounds=1)
    assert state.history[-1].status == "rejected"
    assert "hidden check" in state.history[-1].reason
    assert state.best_values == {}


def test_run_rounds_records_unusable_and_terminated_replies() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"]})
    engine = FakeEngine(
        [Proposal(notes=["no JSON object in the reply"]), Proposal(terminated=True)]
    )
    state, _ = loop(evaluator, engine, rounds=2)
    assert [r.status for r in state.history[1:]] == ["no-proposal", "terminated"]
    assert "no JSON object" in state.history[1].reason
    assert "TERMINATE" in state.history[2].reason
    assert len(evaluator.runs) == 1  # nothing to evaluate after the baseline
    assert "could not be used" in engine.calls[1][2]


def test_a_reply_that_changes_nothing_is_told_so_not_told_about_the_format() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "fixed": [*VISIBLE, "t.py::h"]})
    engine = FakeEngine(
        [
            Proposal(notes=["slugify: unchanged from the current value"], unchanged=["slugify"]),
            Proposal(values={"k": "fixed"}),
        ]
    )
    state, _ = loop(evaluator, engine, rounds=2)
    assert [r.status for r in state.history[1:]] == ["no-proposal", "accepted"]
    second_prompt = engine.calls[1][2]
    assert "gave back slugify unchanged" in second_prompt
    assert "required format" not in second_prompt
    assert engine.calls[1][3] == pytest.approx(0.3)  # and the retry is warmer


def test_of_several_draws_the_one_that_changed_nothing_is_what_the_next_prompt_says() -> None:
    class DrawingFakeEngine(FakeEngine):
        def propose(self, request: ProposalRequest) -> list[Proposal]:
            first = super().propose(request)
            if len(self.calls) > 1:
                return first
            cut_off = Proposal(notes=["no code block in the reply"])  # a draw cut off
            return [*first, cut_off]

    evaluator = FakeEvaluator({None: ["t.py::h"], "fixed": [*VISIBLE, "t.py::h"]})
    engine = DrawingFakeEngine(
        [
            Proposal(notes=["slugify: unchanged from the current value"], unchanged=["slugify"]),
            Proposal(values={"k": "fixed"}),
        ]
    )
    loop(evaluator, engine, rounds=2)
    second_prompt = engine.calls[1][2]
    assert "gave back slugify unchanged" in second_prompt
    assert "required format" not in second_prompt


class FlakyFakeEvaluator(FakeEvaluator):
    """Fake: candidate "flaky" passes every test on its first run only (like set order)."""

    def run(self, candidate: dict[str, Any], nodeids: Sequence[str], **kw: Any) -> Evaluation:
        seen_before = candidate.get("k") in [r.get("k") for r in self.runs]
        result = super().run(candidate, nodeids, **kw)
        if candidate.get("k") == "flaky" and seen_before:
            return evaluation(outcomes([], ids=list(nodeids)))
        return result


def test_a_candidate_whose_outcome_changes_on_a_re_run_is_rejected() -> None:
    evaluator = FlakyFakeEvaluator({None: ["t.py::h"], "flaky": ALL, "good": ALL})
    engine = FakeEngine([Proposal(values={"k": "flaky"}), Proposal(values={"k": "good"})])
    state, _ = loop(evaluator, engine, rounds=2)
    assert [r.status for r in state.history] == ["baseline", "rejected", "accepted"]
    assert "changed on a re-run: 3 test(s)" in state.history[1].reason
    assert state.best_values == {"k": "good"}
    # each candidate that gained tests was run twice, and the model is told why one failed
    assert [run.get("k") for run in evaluator.runs] == [None, "flaky", "flaky", "good", "good"]
    assert "not deterministic" in engine.calls[1][2]
    assert "set or dict iteration order" in engine.calls[1][2]


def test_the_re_run_is_of_the_same_tests_in_the_same_order() -> None:
    # tests may depend on the ones before them: the confirmation repeats the whole run
    seen: list[list[str]] = []

    class RecordingFakeEvaluator(FakeEvaluator):
        def run(self, candidate: dict[str, Any], nodeids: Sequence[str], **kw: Any) -> Evaluation:
            seen.append(list(nodeids))
            return super().run(candidate, nodeids, **kw)

    evaluator = RecordingFakeEvaluator({None: ["t.py::a", "t.py::h"], "good": ALL})
    state, _ = loop(evaluator, FakeEngine([Proposal(values={"k": "good"})]), rounds=1)
    assert state.history[-1].status == "accepted"
    assert seen == [ALL, ALL, ALL]  # baseline, candidate, confirmation


def test_a_candidate_that_gains_nothing_is_not_run_again() -> None:
    evaluator = FakeEvaluator({None: ["t.py::a", "t.py::h"], "same": ["t.py::a", "t.py::h"]})
    state, _ = loop(evaluator, FakeEngine([Proposal(values={"k": "same"})]), rounds=1)
    assert state.history[-1].status == "rejected"  # a tie does not replace the base
    assert "no test gained" in state.history[-1].reason
    assert [run.get("k") for run in evaluator.runs] == [None, "same"]
    assert state.best_values == {}


def test_run_rounds_stops_on_a_stop_error() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"]})
    engine = FakeEngine([StopError("budget spent: llm-calls")])
    state, _ = loop(evaluator, engine, rounds=4)
    assert state.stop_reason == "budget spent: llm-calls"
    assert state.stopped_by_error == "StopError"
    assert len(state.history) == 1


def test_run_rounds_stops_when_only_holdouts_fail_and_generalizing_is_off() -> None:
    evaluator = FakeEvaluator({None: VISIBLE})
    engine = FakeEngine([StopError("must not be called")])
    state, _ = loop(evaluator, engine, techniques=Techniques(generalize=False))
    assert "only holdout tests fail" in state.stop_reason
    assert engine.calls == []


def test_run_rounds_stops_when_only_unguarded_holdouts_fail() -> None:
    evaluator = FakeEvaluator({None: VISIBLE})
    engine = FakeEngine([StopError("must not be called")])
    state, _ = loop(evaluator, engine, techniques=Techniques(holdout_guard=False))
    assert "only holdout tests fail" in state.stop_reason
    assert engine.calls == []


def test_when_only_holdouts_fail_the_next_rounds_ask_for_the_general_rule() -> None:
    # "overfit" passes every visible test (a special case, say) and not the holdout
    evaluator = FakeEvaluator({None: ["t.py::a"], "overfit": VISIBLE, "same": VISIBLE, "all": ALL})
    engine = FakeEngine(
        [
            Proposal(values={"k": "overfit"}),
            Proposal(values={"k": "same"}),
            Proposal(values={"k": "all"}),
        ]
    )
    state, _ = loop(evaluator, engine, rounds=4)
    assert state.stop_reason == "all tagged tests pass"
    assert state.best_values == {"k": "all"}
    assert [call[1] for call in engine.calls] == [["t.py::b", "t.py::c"], [], []]
    second, third = engine.calls[1][2], engine.calls[2][2]
    assert "All 3 tests shown pass, but 1 held-out test(s)" in second
    assert "t.py::h" not in second + third  # a holdout is counted, never named
    assert "Passing tests" in second
    # the candidate that gained nothing is shown as tried, with why
    assert state.history[2].status == "rejected"
    assert "held-out tests still fail with it" in state.history[2].reason
    assert "attempt 1" in third and "held-out tests still fail" in third


def test_generalizing_does_not_fill_in_a_statement() -> None:
    class InfillingFakeEngine(FakeEngine):
        infilled = 0

        def infill_ready(self, calls_after: int = 1) -> bool:
            return True

        def infill(self, request: ProposalRequest) -> FilledIn:
            self.infilled += 1
            return FilledIn([Proposal(values={"k": "all"})], ("k", "line 1"), "line 1 of f")

    evaluator = FakeEvaluator({None: VISIBLE, "all": ALL})
    engine = InfillingFakeEngine([Proposal(values={"k": "all"})])
    state, _ = loop(evaluator, engine, rounds=1)
    assert engine.infilled == 0  # no failing visible test points at a statement
    assert len(engine.calls) == 1
    assert state.best_values == {"k": "all"}


def test_several_candidates_per_round_keep_the_best_one() -> None:
    evaluator = FakeEvaluator(
        {
            None: ["t.py::h"],
            "bad": [],
            "one": ["t.py::a", "t.py::h"],
            "all": ALL,
            "overfit": VISIBLE,
        }
    )
    engine = FakeEngine(
        [Proposal(values={"k": "bad"}), Proposal(values={"k": "one"}),
         Proposal(values={"k": "overfit"}), Proposal(values={"k": "all"})]
    )  # fmt: skip
    state, _ = loop(evaluator, engine, rounds=2, candidates=3)
    # the first attempt is one sample at the base temperature; after the miss, three
    # samples of the same prompt, warmer each, all evaluated in one round
    assert [c[3] for c in engine.calls] == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert len({c[2] for c in engine.calls[1:]}) == 1
    # the kept one is run once more on the tests it newly passes
    runs = [run.get("k") for run in evaluator.runs]
    assert runs == [None, "bad", "one", "overfit", "all", "all"]
    record = state.history[2]
    assert record.status == "accepted" and "best of 3 candidates" in record.reason
    assert state.best_values == {"k": "all"}
    assert state.stop_reason == "round limit (2) reached"
    assert counts(state.best, VISIBLE, HOLDOUT).passed == 4


def test_identical_candidates_are_evaluated_once() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "bad": [], "same": ["t.py::a", "t.py::h"]})
    engine = FakeEngine([Proposal(values={"k": "bad"}), Proposal(values={"k": "same"})])
    state, _ = loop(evaluator, engine, rounds=2, candidates=3)
    assert len(engine.calls) == 1 + 3
    runs = [run.get("k") for run in evaluator.runs]
    assert runs == [None, "bad", "same", "same"]  # + the re-run
    assert state.best_values == {"k": "same"}


def test_a_budget_stop_between_candidates_still_evaluates_the_earlier_ones() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "one": ["t.py::a", "t.py::h"]})
    engine = FakeEngine([Proposal(values={"k": "one"}), StopError("budget spent: llm-calls")])
    state, _ = loop(evaluator, engine, rounds=3, candidates=2)
    assert state.best_values == {"k": "one"}
    assert state.history[-1].status == "accepted"
    assert state.stop_reason == "budget spent: llm-calls"


def test_rejected_candidates_raise_the_next_rounds_temperature_past_all_samples() -> None:
    evaluator = FakeEvaluator({None: ["t.py::a", "t.py::h"], "bad": ["t.py::h"], "b2": []})
    engine = FakeEngine([Proposal(values={"k": "bad"}), Proposal(values={"k": "b2"})])
    loop(evaluator, engine, rounds=3, candidates=2)
    # one sample first, then two per round, each round warmer than the last sample
    assert [c[3] for c in engine.calls] == pytest.approx([0.0, 0.3, 0.6, 0.9, 1.0])


class CheapBatchFakeEngine(FakeEngine):
    """An engine that draws several samples per request (Repair in process)."""

    batch_samples = True
    cheap_samples = True

    def __init__(self, proposals: Sequence[Proposal | Exception]) -> None:
        super().__init__(proposals)
        self.requests: list[ProposalRequest] = []

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        self.requests.append(request)
        found = []
        for _ in range(request.samples):
            found += super().propose(request)
        return found


def test_cheap_samples_ask_three_new_candidates_after_a_miss_with_spare_draws() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "bad": [], "b2": [], "b3": [], "all": ALL})
    engine = CheapBatchFakeEngine([Proposal(values={"k": v}) for v in ("bad", "b2", "b3", "all")])
    state, _ = loop(evaluator, engine, rounds=2)
    first, second = engine.requests
    assert (first.samples, first.draws, first.temperature) == (1, 3, 0.0)
    assert (second.samples, second.draws) == (3, 5)
    assert second.temperature == pytest.approx(0.3) and second.redraw_temperature == 0.8
    assert second.tried == [{"k": "bad"}]  # what the engine must not draw again
    assert state.best_values == {"k": "all"}


def test_without_cheap_samples_one_candidate_per_round_and_no_spare_draw() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "bad": [], "b2": []})
    engine = CheapBatchFakeEngine([Proposal(values={"k": "bad"}), Proposal(values={"k": "b2"})])
    engine.cheap_samples = False  # type: ignore[misc]
    loop(evaluator, engine, rounds=2)
    assert [(r.samples, r.draws) for r in engine.requests] == [(1, 1), (1, 1)]


def test_switching_off_the_holdout_guard_accepts_an_overfit() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "overfit": VISIBLE})
    engine = FakeEngine([Proposal(values={"k": "overfit"})])
    state, _ = loop(evaluator, engine, rounds=1, techniques=Techniques(holdout_guard=False))
    assert state.history[-1].status == "accepted"
    assert state.best_values == {"k": "overfit"}


def test_switching_off_rejection_memory_and_detailed_feedback() -> None:
    evaluator = FakeEvaluator({None: ["t.py::a", "t.py::h"], "bad": ["t.py::h"]})
    engine = FakeEngine([Proposal(values={"k": "bad"})])
    off = Techniques(rejection_memory=False, detailed_feedback=False)
    loop(evaluator, engine, rounds=2, techniques=off)
    second_prompt = engine.calls[1][2]
    assert "rejected" not in second_prompt
    assert second_prompt.splitlines() == [
        "2 of 3 tests fail.",
        "FAILED t.py::b - failed",
        "FAILED t.py::c - failed",
    ]


def test_ablation_switches_come_from_the_environment() -> None:
    assert techniques_from_env({}) == Techniques()
    off = techniques_from_env({ENV: "memory, lenient"})
    assert off.ablated == ["memory", "lenient"]
    assert off.detailed_feedback and off.holdout_guard
    off = techniques_from_env({ENV: "patterns,localization,context"})
    assert off.ablated == ["patterns", "localization", "context"]
    assert not (off.fix_patterns or off.localization or off.module_context)
    assert off.edit_search and off.detailed_feedback
    with pytest.raises(ValueError, match="unknown switch.*typo.*known: feedback"):
        techniques_from_env({ENV: "typo"})


def test_only_groups_that_improved_keep_their_changes() -> None:
    from pytest_trace_opt.core.groups import Group
    from pytest_trace_opt.core.rounds import LoopState
    from pytest_trace_opt.model import Evaluation, TestResult

    def ev(outcomes: dict[str, str]) -> Evaluation:
        tests = {n: TestResult(n, o) for n, o in outcomes.items()}
        return Evaluation(tests, {}, [], [], 0.0)

    baseline = ev({"a1": "failed", "a2": "passed", "b1": "failed"})
    best = ev({"a1": "passed", "a2": "passed", "b1": "failed"})
    state = LoopState(best_values={"mod::fa": "A", "mod::fb": "B"}, best=best, baseline=baseline)
    state.groups = [Group(["mod::fa"], ["a1", "a2"], []), Group(["mod::fb"], ["b1"], [])]
    assert state.drop_non_improvements() == ["mod::fb"]
    assert state.best_values == {"mod::fa": "A"}


def test_strip_trailing_strings_removes_reply_leftovers() -> None:
    from pytest_trace_opt.replies import strip_trailing_strings

    code = (
        "def decide(text):\n    if 'hola' in text:\n        return 'es'\n    return 'en'\n"
        '    """,\n    "__code1": """\n'
    )
    assert strip_trailing_strings(code, "decide") == (
        "def decide(text):\n    if 'hola' in text:\n        return 'es'\n    return 'en'\n"
    )
    only_doc = 'def f():\n    """Doc."""\n'
    assert strip_trailing_strings(only_doc, "f") == only_doc


def test_a_tie_is_shown_as_an_attempt_and_the_next_prompt_starts_from_the_best() -> None:
    """A tie does not become the base: the next prompt shows it as tried, warmer."""
    evaluator = FakeEvaluator({None: ["t.py::h"], "tie": ["t.py::h"], "fix": ALL})
    engine = FakeEngine([Proposal(values={"k": "tie"}), Proposal(values={"k": "fix"})])
    state, _ = loop(evaluator, engine, rounds=2)
    assert [r.status for r in state.history[1:]] == ["rejected", "accepted"]
    assert [c[3] for c in engine.calls] == pytest.approx([0.0, 0.3])
    assert engine.calls[1][0] == {}  # started from the original, not from the tie
    assert "fixed none of the failing tests" in engine.calls[1][2]
    assert "tie" in engine.calls[1][2]  # the attempt is shown
    assert "fixed none" not in engine.calls[0][2]
    assert state.best_values == {"k": "fix"}


class ComparingEvaluatorFake(FakeEvaluator):
    """Candidate value "v" of the key "k" decides what each test's call returns; a test
    passes when that equals its expected value, else fails as pytest prints it."""

    EXPECTED = {"t.py::a": "Hello, Ann!", "t.py::b": "Hola, Juan!", "t.py::c": "Hola, Lucía!",
                "t.py::h": "Hola, Pedro!"}  # fmt: skip

    def __init__(self, returns: dict[str | None, dict[str, str]]) -> None:
        super().__init__({})
        self.returns = returns

    def evaluate(self, value: str | None, nodeids: Sequence[str]) -> Evaluation:
        returned = self.returns[value]
        tests = {}
        for n in nodeids:
            got, want = returned[n], self.EXPECTED[n]
            if got == want:
                tests[n] = TestResult(n, "passed")
            else:
                line = f"E       AssertionError: assert {got!r} == {want!r}"
                tests[n] = TestResult(n, "failed", feedback=[f"{n}\n{line}"])
        return Evaluation(tests, {}, [], [], 0.01)


def greetings(spanish: str, *, name: bool) -> dict[str, str]:
    return {
        "t.py::a": "Hello, Ann!",
        "t.py::b": f"{spanish}, {'Juan' if name else 'there'}!",
        "t.py::c": f"{spanish}, {'Lucía' if name else 'there'}!",
        "t.py::h": f"{spanish}, {'Pedro' if name else 'there'}!",
    }


def test_a_fix_in_two_steps_keeps_the_first_step_that_came_closer() -> None:
    # Neither change alone makes a test pass: the language first, then the name.
    evaluator = ComparingEvaluatorFake({
        None: greetings("Hello", name=False),
        "farther": greetings("Good day to you", name=False),
        "lang": greetings("Hola", name=False),
        "both": greetings("Hola", name=True),
    })  # fmt: skip
    engine = FakeEngine([Proposal(values={"k": v}) for v in ("farther", "lang", "both")])
    state, _ = loop(evaluator, engine, rounds=3)
    assert [r.status for r in state.history] == ["baseline", "rejected", "accepted", "accepted"]
    assert "no test gained" in state.history[1].reason
    assert state.history[2].reason.startswith("no test passes yet, but 2 failing test(s)")
    # the next prompt starts from the step and says it was kept
    assert engine.calls[2][0] == {"k": "lang"}
    assert "The last change (to k) was kept" in engine.calls[2][2]
    assert state.best_values == {"k": "both"}


def test_a_step_that_fixes_nothing_in_the_end_is_not_proposed() -> None:
    evaluator = ComparingEvaluatorFake(
        {None: greetings("Hello", name=False), "lang": greetings("Hola", name=False)}
    )
    engine = FakeEngine([Proposal(values={"k": "lang"})])
    state, _ = loop(evaluator, engine, rounds=1)
    assert state.history[-1].status == "accepted" and state.best_values == {"k": "lang"}
    # no test gained over the original: the end of the run proposes nothing (the session
    # keeps improvements only, see test_only_groups_that_improved_keep_their_changes)
    from pytest_trace_opt.core.acceptance import improves

    assert not improves(counts(state.best, VISIBLE, HOLDOUT), state.history[0].counts)
    # switched off for the ways-to-win measurement: a tie, not kept
    state, _ = loop(evaluator, engine, rounds=1, techniques=Techniques(closer_steps=False))
    assert state.history[-1].status == "rejected" and state.best_values == {}


class InfillingFakeEngine(FakeEngine):
    """A fake engine whose model can fill in a statement: ``fills`` are the samples of each
    infill call (None: no statement to fill in); ``calls_left`` as an LLM budget sees it."""

    def __init__(
        self, proposals: Sequence[Proposal], fills: list[Proposal] | None, calls_left: int = 99
    ) -> None:
        super().__init__(proposals)
        self.fills = fills
        self.infills: list[dict[str, Any]] = []
        self.filled: list[list[tuple[str, str]]] = []  # what each infill request said
        self.calls_left = calls_left

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        if self.calls_left <= 0:
            raise StopError("budget spent: llm-calls")
        self.calls_left -= 1
        return super().propose(request)

    def infill_ready(self, calls_after: int = 1) -> bool:
        return self.calls_left >= 1 + calls_after

    def infill(self, request: ProposalRequest) -> FilledIn | None:
        self.infills.append(dict(request.current))
        self.filled.append(list(request.filled))
        if self.fills is None:
            return None
        self.calls_left -= 1
        n = len(self.infills)
        return FilledIn(self.fills, ("k", f"line {n}"), f"line {n} of f")


def test_the_first_call_fills_in_a_statement_and_later_ones_ask_for_the_whole_code() -> None:
    evaluator = FakeEvaluator(
        {None: ["t.py::h"], "f1": ["t.py::h"], "f2": ["t.py::a", "t.py::h"], "good": ALL}
    )
    fills = [Proposal(values={"k": "f1"}), Proposal(values={"k": "f2"}), Proposal()]
    engine = InfillingFakeEngine([Proposal(values={"k": "good"})], fills)
    state, _ = loop(evaluator, engine, rounds=3)
    assert state.best_values == {"k": "good"}
    first, second = state.history[1:]
    assert first.stage == "infill" and second.stage == ""
    assert first.status == "accepted" and first.reason.startswith("filled in line 1 of f; ")
    assert "best of 2 candidates" in first.reason  # the empty sample is no candidate
    assert len(engine.infills) == 1 and len(engine.calls) == 1  # once, then whole replies
    assert engine.calls[0][0] == {"k": "f2"}  # from the best fill


def test_without_a_statement_to_fill_the_first_round_asks_as_usual_and_the_switch_works() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "good": ALL})
    engine = InfillingFakeEngine([Proposal(values={"k": "good"})], None)
    state, _ = loop(evaluator, engine, rounds=2)
    assert state.history[1].stage == "" and state.history[1].status == "accepted"
    assert len(engine.infills) == 1 and len(engine.calls) == 1

    engine = InfillingFakeEngine([Proposal(values={"k": "good"})], [Proposal(values={"k": "x"})])
    state, _ = loop(evaluator, engine, rounds=2, techniques=Techniques(infill=False))
    assert engine.infills == [] and state.history[1].stage == ""


def test_fill_ins_and_whole_replies_take_turns_each_fill_in_at_a_new_statement() -> None:
    evaluator = FakeEvaluator({None: ["t.py::h"], "miss": [], "whole": ["t.py::h"]})
    misses = [Proposal(values={"k": "miss"})]
    # three calls: a fill-in, a whole reply, a fill-in of the next statement (the last call:
    # a whole reply came before it)
    engine = InfillingFakeEngine([Proposal(values={"k": "whole"})], misses, calls_left=3)
    state, _ = loop(evaluator, engine, rounds=5)
    assert [r.stage for r in state.history[1:]] == ["infill", "", "infill"]
    assert state.stop_reason == "budget spent: llm-calls"
    assert engine.filled == [[], [("k", "line 1")]]  # the second one passes the first over
    assert len(engine.calls) == 1
    assert state.history[1].reason.startswith("filled in line 1 of f; ")
    assert "already tried and rejected" in state.history[3].reason  # the same fill: not rerun

    # a first fill-in needs a call after it; with one call left the round asks whole
    engine = InfillingFakeEngine([Proposal(values={"k": "whole"})], misses, calls_left=1)
    state, _ = loop(evaluator, engine, rounds=5)
    assert engine.infills == [] and len(engine.calls) == 1

    # switched off for the ways-to-win measurement: one fill-in, then whole replies
    engine = InfillingFakeEngine([Proposal(values={"k": "whole"})], misses, calls_left=3)
    state, _ = loop(evaluator, engine, rounds=5, techniques=Techniques(more_holes=False))
    assert [r.stage for r in state.history[1:]] == ["infill", "", ""]
