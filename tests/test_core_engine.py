"""Unit tests of the Trace engine alone (core/engine.py): graph rebuilt from recorded calls,
what the optimizer is shown, and how its suggestions are checked.

The LLM is ``ScriptedLLMFake``: it returns canned replies and keeps the messages it got, so the
prompts the real optimizers build from the rebuilt graph can be read. No pytest run, no child.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_trace_opt.core import engine as engine_module
from pytest_trace_opt.core.engine import TraceEngine, repr_value
from pytest_trace_opt.model import ProposalRequest, TestResult
from pytest_trace_opt.protocol import CallRecord, TargetInfo

BUGGY = 'def average(xs):\n    """Mean of xs."""\n    return sum(xs) * len(xs)\n'
FIXED = 'def average(xs):\n    """Mean of xs."""\n    return sum(xs) / len(xs)\n'
MODULE = "RATE = 2\n\n\n" + BUGGY


class ScriptedLLMFake:
    """Answers each call with the next scripted reply; records every call's arguments."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, messages: list[dict[str, str]], **kwargs: Any) -> Any:
        self.calls.append({"messages": messages, **kwargs})
        n = int(kwargs.get("n", 1))
        texts = [self.replies.pop(0) for _ in range(n)]
        return SimpleNamespace(
            choices=[SimpleNamespace(message=SimpleNamespace(content=t)) for t in texts]
        )

    def prompt(self, index: int = -1) -> str:
        return "\n".join(m["content"] for m in self.calls[index]["messages"])


def code_target(key: str = "mod.py::average", original: str = BUGGY) -> TargetInfo:
    return TargetInfo(
        key=key,
        kind="code",
        name="average",
        file="mod.py",
        line=4,
        original=original,
        function_name="average",
        description="Mean of the numbers.",
    )


def value_target(key: str = "mod.py::threshold", original: Any = 0.9) -> TargetInfo:
    return TargetInfo(
        key=key, kind="value", name="threshold", file="mod.py", line=1, original=original
    )


def failing_call(key: str = "mod.py::average", **extra: Any) -> TestResult:
    call = CallRecord(
        key=key,
        function="average",
        args={"xs": "[1, 2, 3]"},
        types={"xs": "list", "return": "int"},
        output="18",
        **extra,
    )
    return TestResult(
        nodeid="test_mod.py::test_average",
        outcome="failed",
        calls=[call],
        used=[key],
        lines={key: [5, 6]},
    )


def request(failing: list[TestResult], **kw: Any) -> ProposalRequest:
    return ProposalRequest(
        current=kw.pop("current", {}),
        failing=failing,
        feedback=kw.pop("feedback", "test_average: assert 18 == 2.0"),
        temperature=kw.pop("temperature", 0.0),
        **kw,
    )


def json_reply(name: str, value: str) -> str:
    return json.dumps({"reasoning": "r", "suggestion": {name: value}})


# -- values as the child rendered them ----------------------------------------------------
def test_repr_value_carries_the_type_name_and_compares_by_text() -> None:
    value = repr_value("[1, 2]", "list")
    assert type(value).__name__ == "list"
    assert repr(value) == str(value) == "[1, 2]"
    assert value == repr_value("[1, 2]", "list")
    assert hash(value) == hash(repr_value("[1, 2]", "other"))
    assert value != "[1, 2]"
    assert type(repr_value("x", "not an identifier")).__name__ == "object"


# -- the graph OptoPrime sees -------------------------------------------------------------
def test_a_recorded_call_becomes_a_traced_call_of_the_code_parameter() -> None:
    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposals = engine.propose(request([failing_call()]))

    prompt = llm.prompt()
    assert "average" in prompt and "xs" in prompt and "[1, 2, 3]" in prompt
    assert "18" in prompt  # the recorded output
    assert "assert 18 == 2.0" in prompt  # the feedback handed to backward
    assert "def average(xs):" in prompt  # the parameter's current code
    assert proposals[0].values == {"mod.py::average": FIXED}
    assert proposals[0].prompt == engine.optimizer.last_prompt


def test_a_raised_exception_is_the_calls_output() -> None:
    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    engine.propose(request([failing_call(exception="ZeroDivisionError: division by zero")]))
    assert "raised ZeroDivisionError: division by zero" in llm.prompt()


def test_without_recorded_calls_the_feedback_still_reaches_every_trainable() -> None:
    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    targets = {"mod.py::average": code_target()}
    engine = TraceEngine(targets, llm)
    no_calls = TestResult(nodeid="t.py::test_x", outcome="failed")
    proposals = engine.propose(request([no_calls]))
    assert "run_tests" in llm.prompt()
    assert proposals[0].values == {"mod.py::average": FIXED}


def test_only_the_first_tests_enter_the_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "MAX_TESTS_IN_GRAPH", 2)
    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    failing = []
    for i in range(5):
        result = failing_call()
        result.calls[0].args = {"xs": f"[{i}, 99{i}]"}
        failing.append(result)
    engine.propose(request(failing))
    prompt = llm.prompt()
    assert "[0, 990]" in prompt and "[1, 991]" in prompt
    assert "[2, 992]" not in prompt


def test_the_graph_is_rebuilt_each_round_from_the_best_code_so_far() -> None:
    better = BUGGY.replace("* len(xs)", "* 1")
    llm = ScriptedLLMFake(json_reply("__code", better), json_reply("__code", FIXED))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    engine.propose(request([failing_call()]))
    engine.propose(request([failing_call()], current={"mod.py::average": better}))
    assert "* len(xs)" in llm.prompt(0)
    second = llm.prompt(1)
    assert "sum(xs) * 1" in second and "* len(xs)" not in second
    # the graph of round one is gone: one call node per recorded call, not two
    assert second.count("[1, 2, 3]") == llm.prompt(0).count("[1, 2, 3]")


def test_the_temperature_of_the_request_reaches_the_llm() -> None:
    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    engine.propose(request([failing_call()], temperature=0.6))
    assert llm.calls[0]["temperature"] == 0.6
    assert llm.calls[0]["max_tokens"] == 1024


# -- checking what the optimizer suggests --------------------------------------------------
def test_code_given_back_unchanged_is_named_not_proposed() -> None:
    llm = ScriptedLLMFake(json_reply("__code", BUGGY))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values == {}
    assert proposal.unchanged == ["average"]


def test_code_that_defines_another_function_is_refused_with_a_reason() -> None:
    llm = ScriptedLLMFake(json_reply("__code", "def mean(xs):\n    return 0\n"))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values == {}
    assert any(note.startswith("average:") for note in proposal.notes)


def test_an_oversized_suggestion_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "MAX_SUGGESTION_CHARS", 100)
    padded = FIXED + "    # " + "x" * 200 + "\n"
    llm = ScriptedLLMFake(json_reply("__code", padded))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values == {}
    assert any("ignored (more than 100)" in note for note in proposal.notes)


def test_the_original_docstring_is_kept_when_the_reply_drops_it() -> None:
    no_doc = "def average(xs):\n    return sum(xs) / len(xs)\n"
    llm = ScriptedLLMFake(json_reply("__code", no_doc))
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values["mod.py::average"].strip() == FIXED.strip()


def test_a_value_target_gets_a_value_of_its_type() -> None:
    targets = {"mod.py::threshold": value_target()}
    failing = TestResult(nodeid="t.py::test_alert", outcome="failed", used=["mod.py::threshold"])
    llm = ScriptedLLMFake(json.dumps({"suggestion": {"threshold": 0.5}}))
    engine = TraceEngine(targets, llm)
    proposal = engine.propose(request([failing]))[0]
    assert proposal.values == {"mod.py::threshold": 0.5}
    assert "threshold" in llm.prompt() and "0.9" in llm.prompt()


def test_a_value_of_another_type_is_refused() -> None:
    targets = {"mod.py::threshold": value_target()}
    failing = TestResult(nodeid="t.py::test_alert", outcome="failed", used=["mod.py::threshold"])
    llm = ScriptedLLMFake(json.dumps({"suggestion": {"threshold": "very high"}}))
    proposal = TraceEngine(targets, llm).propose(request([failing]))[0]
    assert proposal.values == {}
    assert any(note.startswith("threshold:") for note in proposal.notes)


def test_an_unreadable_reply_proposes_nothing_and_says_why() -> None:
    llm = ScriptedLLMFake("I am not sure what to change here.")
    engine = TraceEngine({"mod.py::average": code_target()}, llm)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values == {}
    assert proposal.notes  # the parser's problem is reported, not swallowed
    assert proposal.response == "I am not sure what to change here."


# -- Repair: the plugin's own optimizer on the same graph ----------------------------------
def repair_engine(llm: ScriptedLLMFake) -> TraceEngine:
    return TraceEngine(
        {"mod.py::average": code_target()},
        llm,
        optimizer="Repair",
        read_source=lambda path: MODULE if path == "mod.py" else None,
    )


def test_repair_asks_for_one_python_block_and_marks_suspicious_lines() -> None:
    llm = ScriptedLLMFake(f"```python\n{FIXED}```")
    engine = repair_engine(llm)
    assert engine.batch_samples
    passing = TestResult(
        nodeid="test_mod.py::test_empty",
        outcome="passed",
        used=["mod.py::average"],
        lines={"mod.py::average": [5]},
    )
    proposals = engine.propose(request([failing_call()], passing=[passing]))
    assert proposals[0].values == {"mod.py::average": FIXED}
    shown = engine.optimizer.shown[engine.params["mod.py::average"].py_name]
    # line 6 runs only in the failing test: it ranks first
    assert shown.suspicious and shown.suspicious[0][0] == 6
    # a module this small is shown whole, the code to fix replaced by a comment
    assert "RATE = 2" in shown.context and "return sum(xs) * len(xs)" not in shown.context
    prompt = llm.prompt()
    assert "assert 18 == 2.0" in prompt
    assert "```python" in prompt


def test_repair_without_localization_or_context_shows_the_code_alone() -> None:
    # The ways-to-win switches "localization" and "context": the same request, the prompt
    # loses the marks or the module around the code, nothing else.
    passing = TestResult(
        nodeid="test_mod.py::test_empty",
        outcome="passed",
        used=["mod.py::average"],
        lines={"mod.py::average": [5]},
    )
    for flags, marked, context in [
        ({"localization": False}, False, True),
        ({"module_context": False}, True, False),
    ]:
        llm = ScriptedLLMFake(f"```python\n{FIXED}```")
        engine = TraceEngine(
            {"mod.py::average": code_target()},
            llm,
            optimizer="Repair",
            read_source=lambda path: MODULE,
            **flags,
        )
        engine.propose(request([failing_call()], passing=[passing]))
        shown = engine.optimizer.shown[engine.params["mod.py::average"].py_name]
        assert bool(shown.suspicious) is marked, flags
        assert ("RATE = 2" in shown.context) is context, flags
        assert ("suspicious" in llm.prompt()) is marked, flags


def test_repair_shows_a_small_module_once_for_two_trainables_of_it() -> None:
    rate = TargetInfo(
        key="mod.py::RATE", kind="value", name="RATE", file="mod.py", line=1, original=2,
    )  # fmt: skip
    llm = ScriptedLLMFake(f"```python\n{FIXED}```")
    targets = {"mod.py::average": code_target(), rate.key: rate}
    engine = TraceEngine(targets, llm, optimizer="Repair", read_source=lambda path: MODULE)
    engine.propose(request([failing_call()]))
    prompt = llm.prompt()
    assert prompt.count("## Context from mod.py") == 1
    assert "# RATE: the value to change, shown below" in prompt
    assert "# average: the code to fix, shown below" in prompt


def test_repair_draws_several_samples_of_one_prompt() -> None:
    other = FIXED.replace("/ len(xs)", "/ max(len(xs), 1)")
    llm = ScriptedLLMFake(f"```python\n{FIXED}```", f"```python\n{other}```")
    engine = repair_engine(llm)
    proposals = engine.propose(request([failing_call()], samples=2, draws=2))
    # the second draw continues the same prompt (one call in process), warmer
    assert [c.get("first_sample") for c in llm.calls] == [None, 1]
    assert llm.calls[0]["messages"] == llm.calls[1]["messages"]
    assert [c["temperature"] for c in llm.calls] == [0.0, 0.8]
    assert [p.values["mod.py::average"] for p in proposals] == [FIXED, other]


def test_repair_replaces_a_draw_that_brings_nothing_new() -> None:
    tried = FIXED.replace("/ len(xs)", "/ (len(xs) + 1)")
    llm = ScriptedLLMFake(
        f"```python\n{BUGGY}```",  # the code given back unchanged
        f"```python\n{tried}```",  # an attempt already rejected
        f"```python\n{FIXED}```",
        "never asked",
    )
    engine = repair_engine(llm)
    proposals = engine.propose(
        request([failing_call()], draws=4, tried=[{"mod.py::average": tried}])
    )
    assert len(llm.calls) == 3  # stops at the first new candidate
    assert [p.values.get("mod.py::average") for p in proposals][-1] == FIXED
    assert proposals[0].unchanged == ["average"]


def test_repair_stops_after_its_draws_when_nothing_new_comes() -> None:
    llm = ScriptedLLMFake(*[f"```python\n{BUGGY}```"] * 3, "never asked")
    proposals = repair_engine(llm).propose(request([failing_call()], draws=3))
    assert len(llm.calls) == 3 and not any(p.values for p in proposals)


def test_repair_reply_limit_follows_the_code_shown() -> None:
    llm = ScriptedLLMFake(f"```python\n{FIXED}```")
    repair_engine(llm).propose(request([failing_call()]))
    assert llm.calls[0]["max_tokens"] < 1024  # a short function gets a short reply


def test_repair_shows_the_constants_the_function_reads() -> None:
    reads_rate = "def average(xs):\n    return sum(xs) * RATE\n"
    llm = ScriptedLLMFake(f"```python\n{FIXED}```")
    engine = TraceEngine(
        {"mod.py::average": code_target(original=reads_rate)},
        llm,
        optimizer="Repair",
        read_source=lambda path: "RATE = 2\n\n\n" + reads_rate,
    )
    engine.propose(request([failing_call()]))
    assert "RATE = 2" in engine.optimizer.shown[engine.params["mod.py::average"].py_name].context
    assert "RATE = 2" in llm.prompt()


def test_a_suggestion_the_patch_could_not_write_is_refused_with_the_reason() -> None:
    # The file holds the function in a class body, where the patch can write nothing but
    # the function; the checks saw a plain function (its record said so) and allowed an
    # import above it. Refused in its round, it cannot pass there and fail the final check.
    in_class = "class Stats:\n" + "".join("    " + line for line in BUGGY.splitlines(True))
    target = TargetInfo(
        key="mod.py::average", kind="code", name="average", file="mod.py", line=2,
        original=BUGGY, function_name="average",
    )  # fmt: skip
    llm = ScriptedLLMFake(json_reply("__code", "import math\n\n\n" + FIXED))
    engine = TraceEngine({target.key: target}, llm, read_source={"mod.py": in_class}.get)
    proposal = engine.propose(request([failing_call()]))[0]
    assert proposal.values == {}
    assert any("the patch could not write it" in note for note in proposal.notes)

    llm = ScriptedLLMFake(json_reply("__code", FIXED))
    engine = TraceEngine({target.key: target}, llm, read_source={"mod.py": in_class}.get)
    assert engine.propose(request([failing_call()]))[0].values == {target.key: FIXED}
