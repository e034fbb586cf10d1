"""The plan as pure functions over data: test signals, code facts, blocks and their rendering.

The projects that ``pytest --trace-plan`` runs end to end are in test_plan.py.
"""

from __future__ import annotations

from test_plan import check_width

from pytest_trace_opt.plan import (
    LoopSettings,
    TestInfo,
    build_plan,
    declared_trainables,
    infrastructure_problem,
    plan_lines,
    signal_kinds,
    strict_risks,
)
from pytest_trace_opt.plan.modules import ModuleFacts
from pytest_trace_opt.protocol import TargetInfo


def test_signal_kinds_from_test_source() -> None:
    assert signal_kinds("def t():\n    assert f(1) == 2\n") == {"assertions"}
    assert signal_kinds("def t():\n    with pytest.raises(E):\n        f()\n") == {"assertions"}
    assert signal_kinds("def t(fb):\n    fb.score(0.5)\n    fb.critique('x')\n") == {
        "scores",
        "critiques",
    }
    assert signal_kinds("def t():\n    f()\n") == set()
    assert signal_kinds(None) == set()


def test_infrastructure_problem_recognizes_setup_and_import_errors() -> None:
    setup = TestInfo("t.py::a", False, "error", feedback="E       fixture 'db' not found")
    assert infrastructure_problem(setup) == "setup error: fixture 'db' not found"
    imp = TestInfo("t.py::b", False, "failed", feedback="E   ImportError: cannot import name x")
    assert infrastructure_problem(imp).startswith("import error: ImportError")
    behaviour = TestInfo("t.py::c", False, "failed", feedback="E   assert 1 == 2")
    assert infrastructure_problem(behaviour) == ""


def test_build_plan_from_data_star_import_and_inner_closure() -> None:
    sources = {
        "m.py": (
            "from helpers import *\n\n\n"
            "def trainable(f):\n    return f\n\n\n"
            "@trainable\n"
            "def f(xs):\n"
            "    total = 0\n"
            "    def add(v):\n"
            "        return v + total\n"
            "    return [add(x) for x in xs] + [MISSING]\n"
        )
    }
    target = TargetInfo(key="m.py::f", kind="code", name="f", file="m.py", line=9,
                        original="", function_name="f")  # fmt: skip
    tests = [TestInfo("t.py::a", False, "failed", "failed", ["m.py::f"], ["m.py::f"], calls=1,
                      source="def test_a():\n    assert f([1]) == [1]\n")]  # fmt: skip
    plan = build_plan(
        targets={"m.py::f": target}, tests=tests, read=sources.get, loop=LoopSettings(rounds=2)
    )
    [block] = plan["targets"]
    texts = [r["text"] for r in block["risks"]]
    # total is a local of f seen by a nested function: not a hidden dependency.
    assert len(texts) == 1, texts
    assert "reads MISSING, which the module does not define" in texts[0]
    assert "from helpers import *" in texts[0]
    assert block["risks"][0]["evidence"] == "m.py:13"
    assert strict_risks(plan) == block["risks"]
    lines = list(plan_lines(plan))
    check_width(lines)
    assert any("after 2 rounds" in line for line in lines)


AGENT = """\
from opto.trace import bundle, model, node

from pytest_trace_opt import trainable

PROMPT = node(
    "Be brief.",
    trainable=True,
)


@model
class Agent:
    @bundle(trainable=True)
    def answer(self, question):
        return super().answer(question)


@trainable
def count(xs):
    total = 0
    for x in xs:
        total += helper(x)
    return count(xs[1:]) if xs else total


def helper(x):
    return x
"""


def failing(nodeid: str, *keys: str, **fields: object) -> TestInfo:
    return TestInfo(nodeid, False, "failed", "failed", list(keys), list(keys), calls=1,
                    source="def t():\n    assert x\n", **fields)  # type: ignore[arg-type]  # fmt: skip


def test_declared_trainables_are_targets_with_their_span() -> None:
    declared = declared_trainables(ModuleFacts("agent.py", AGENT))
    assert [(d.info.key, d.info.kind, d.info.origin, d.end_line) for d in declared] == [
        ("agent.py::Agent.answer", "code", "bundle", 14),
        ("agent.py::count", "code", "trainable", 19),
        ("agent.py::PROMPT@5", "value", "node", 8),
    ]
    answer, count, prompt = (d.info for d in declared)
    assert answer.is_method and answer.function_name == "answer" and answer.line == 14
    assert not count.is_method and count.function_name == "count"
    assert prompt.function_name is None and not prompt.is_method
    assert prompt.line == 5 and declared[2].same_as(TargetInfo(
        key="agent.py::PROMPT@6", kind="value", name="PROMPT", file="agent.py", line=6,
        original="Be brief.",
    ))  # fmt: skip


def test_blocks_of_reached_declared_and_marker_named_targets() -> None:
    prompt = TargetInfo(key="agent.py::PROMPT@5", kind="value", name="PROMPT", file="agent.py",
                        line=5, original="Be brief.", origin="node", notes=["a note"])  # fmt: skip
    tests = [
        failing("t.py::a", "agent.py::PROMPT@5"),
        TestInfo("t.py::b", True, "passed", "passed", explicit=["agent.py::gone"],
                 feeds=["agent.py::gone"]),
    ]  # fmt: skip
    plan = build_plan(
        targets={prompt.key: prompt}, tests=tests, read={"agent.py": AGENT}.get,
        scan_files=["agent.py"],
    )  # fmt: skip
    by_key = {b["key"]: b for b in plan["targets"]}
    assert list(by_key) == [
        "agent.py::PROMPT@5", "agent.py::gone", "agent.py::Agent.answer", "agent.py::count",
    ]  # fmt: skip
    reached = by_key["agent.py::PROMPT@5"]
    assert reached["reached"] and reached["what"] == "node" and reached["notes"] == ["a note"]
    assert reached["surface"]["value_type"] == "str"
    assert reached["surface"]["trainable"].startswith("the value of PROMPT: a str of 9 chars")
    # named by a marker, never run: kind and name from its key
    named = by_key["agent.py::gone"]
    assert (named["kind"], named["name"], named["origin"], named["line"]) == (
        "code", "gone", "trainable", 0,
    )  # fmt: skip
    # declared, not reached: no signal, and the static risks of its code
    answer = by_key["agent.py::Agent.answer"]
    assert not answer["reached"] and answer["what"] == "method"
    assert answer["model"] == "Agent" and answer["pattern"]["name"] == "bundle"
    assert "the only trainable of @model Agent" in answer["pattern"]["text"]
    assert {r["kind"] for r in answer["risks"]} == {"no-signal", "super-or-mangled"}
    count = by_key["agent.py::count"]
    texts = " ".join(r["text"] for r in count["risks"])
    assert "calls itself" in texts and "calls the fixed function helper()" in texts
    assert plan["summary"]["targets"] == 4 and plan["summary"]["reached"] == 2
    check_width(list(plan_lines(plan)))


def test_a_plan_without_a_run_lists_no_target() -> None:
    plan = build_plan(targets={}, tests=[], read=lambda _: None, scan_files=["x.py"], ran=False,
                      collect_errors=["test_x.py: ImportError: no module"])  # fmt: skip
    assert plan["targets"] == [] and plan["summary"]["ran"] is False
    assert plan["poor_fit"][0].startswith("collection error: test_x.py: ImportError")
    assert plan["poor_fit"][-1] == "the tagged tests did not run: no plan per target"
    assert strict_risks(plan) == []
