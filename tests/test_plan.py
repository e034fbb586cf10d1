"""``pytest --trace-plan``: the plan of purpose-built projects, one per risk and pattern."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import tree_hashes

from pytest_trace_opt.plan import WIDTH

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PLAN = ("--trace-plan", "-p", "no:cacheprovider", "--trace-test-timeout", "5")


def plan_section(result: pytest.RunResult) -> list[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "trace-opt plan" in line and "==" in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("==")), len(lines))
    return lines[start + 1 : end]


def flat(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def check_width(lines: list[str]) -> None:
    too_long = [line for line in lines if len(line) > WIDTH]
    assert not too_long, too_long


def blocks(lines: list[str]) -> dict[str, str]:
    """Plan blocks by target name (the word after the kind in ``[n] kind name ...``)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith("["):
            name = line.split()[2]
            current = out.setdefault(name, [])
        elif not line.strip() or line.startswith("risks found"):
            current = None
        if current is not None:
            current.append(line)
    return {name: flat(text) for name, text in out.items()}


# --------------------------------------------------------------------------- projects

CLEAN_MODULE = '''\
import math
import re

from pytest_trace_opt import trainable


class ParseError(ValueError):
    pass


@trainable
def parse_sizes(text):
    """Numbers in `text`, rounded up to whole units; ParseError when there are none."""
    found = [float(m) for m in re.findall(r"[0-9.]+", text)]
    if not found:
        raise ParseError(text)

    def up(value):
        return math.ceil(value) + len(found) * 0

    return [up(v) for v in found]
'''

CLEAN_TESTS = """\
import pytest

from sizes import ParseError, parse_sizes

pytestmark = pytest.mark.trainable


def test_one():
    assert parse_sizes("1.2") == [2]


def test_two():
    assert parse_sizes("1.2 and 3") == [2, 3]


def test_none():
    with pytest.raises(ParseError):
        parse_sizes("none")


@pytest.mark.trainable(holdout=True)
def test_holdout():
    assert parse_sizes("0.5") == [1]
"""


def test_clean_project_has_no_false_alarm_writes_json_and_changes_nothing(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pytester.makepyfile(sizes=CLEAN_MODULE, test_sizes=CLEAN_TESTS)
    before = tree_hashes(pytester.path)
    report = tmp_path_factory.mktemp("out") / "report.json"
    result = pytester.runpytest_subprocess(
        *PLAN, "--trace-strict", "--trace-report-json", str(report)
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*trace-opt: plan (no LLM calls)*"])
    lines = plan_section(result)
    check_width(lines)
    text = flat(lines)
    assert "risks found: none" in text
    assert "Trace is a poor fit" not in text
    block = blocks(lines)["parse_sizes"]
    assert "sizes.py:12" in block
    assert "3 visible (3 pass, 0 fail) and 1 holdout (1 pass, 0 fail)" in block
    assert "10 lines (7 of code), 1 trainable parameter" in block
    assert "@trainable: fits" in block
    assert "executable (assertions, runtime errors)" in block
    assert "the libraries it uses (math, re)" in block
    assert "the loop would stop at round 0" in block
    assert tree_hashes(pytester.path) == before
    data = json.loads(report.read_text(encoding="utf-8"))
    plan = data["plan"]
    assert data["mode"] == "plan"
    assert plan["summary"]["visible"] == 3 and plan["summary"]["holdout"] == 1
    assert plan["summary"]["risks"] == {}
    [target] = plan["targets"]
    assert target["key"] == "sizes.py::parse_sizes"
    assert target["pattern"]["fits"] is True
    assert target["surface"]["code_lines"] == 7
    assert target["feedback"]["executable"] is True
    assert target["risks"] == []


HIDDEN_HELPERS = """\
def normalize(text):
    return text.strip().lower()
"""

HIDDEN_MODULE = """\
from pytest_trace_opt import trainable

from helpers import normalize

THRESHOLD = 0.5
COUNTER = 0


def scale(x):
    return x * 2


@trainable
def classify(x):
    return "high" if scale(x) > THRESHOLD else "low"


@trainable
def clean(text):
    return normalize(text)


@trainable
def bump():
    global COUNTER
    COUNTER += 1
    return COUNTER


def make_adder(n):
    @trainable
    def add(x):
        return x + n

    return add


adder = make_adder(3)
"""

HIDDEN_TESTS = """\
import pytest

from calc import adder, bump, classify, clean

pytestmark = pytest.mark.trainable


def test_classify():
    assert classify(1) == "high"


def test_clean():
    assert clean(" A ") == "a"


def test_bump():
    assert bump() == 1


def test_adder():
    assert adder(1) == 5
"""


def test_hidden_dependencies_are_flagged_with_evidence_and_fail_strict(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(helpers=HIDDEN_HELPERS, calc=HIDDEN_MODULE, test_calc=HIDDEN_TESTS)
    result = pytester.runpytest_subprocess(*PLAN)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    by_name = blocks(lines)
    classify = by_name["classify"]
    assert "hidden dependency: calls the fixed function scale() (calc.py:9)" in classify
    assert "reads the module global THRESHOLD (calc.py:5: `THRESHOLD = 0.5`)" in classify
    assert "[calc.py:15]" in classify
    assert "calls the fixed function normalize() (helpers.py:1, imported)" in by_name["clean"]
    assert "assigns the module global COUNTER (global statement)" in by_name["bump"]
    adder = by_name["make_adder.<locals>.add"]
    assert "reads n from an enclosing function (a closure)" in adder
    assert "[calc.py:33]" in adder
    assert "note: defined inside a function: a patch cannot be written" in adder
    assert "1 visible (0 pass, 1 fail)" in adder
    assert "hidden dependency: 5" in flat(lines)

    strict = pytester.runpytest_subprocess(*PLAN, "--trace-strict")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(["*--trace-strict: 5 hidden-dependency or no-signal risk(s)*"])


STRUCT_MODULE = """\
from pytest_trace_opt import trainable


@trainable
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


@trainable
def inner(x):
    return x + 1


@trainable
def outer(x):
    return inner(x) * 2


class Base:
    def area(self):
        return 0


class Square(Base):
    def __init__(self, side):
        self.__side = side

    @trainable
    def area(self):
        return super().area() + self.__side ** 2


@trainable
def one(x):
    return x


@trainable
def two(x):
    return x


@trainable
def three(x):
    return x


@trainable
def four(x):
    return x


@trainable
def long_function(x):
"""

STRUCT_TESTS = """\
import pytest

from shapes import Square, fact, four, long_function, one, outer, three, two

pytestmark = pytest.mark.trainable


def test_fact():
    assert fact(4) == 24


def test_outer():
    assert outer(1) == 4


def test_square():
    assert Square(2).area() == 4


def test_many():
    assert one(1) + two(1) + three(1) + four(1) == 4


def test_graph():
    assert sum(one(i) for i in range(10)) == 45


def test_long():
    assert long_function(0) == sum(range(1, 46))
"""


def test_structural_risks_are_flagged(pytester: pytest.Pytester) -> None:
    body = "".join(f"    x = x + {i}\n" for i in range(1, 46)) + "    return x\n"
    pytester.makepyfile(shapes=STRUCT_MODULE + body, test_shapes=STRUCT_TESTS)
    result = pytester.runpytest_subprocess(*PLAN, "--trace-strict")
    # None of these risks is a hidden dependency or a missing signal: strict passes.
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    by_name = blocks(lines)
    assert "recursion: fact calls itself" in by_name["fact"]
    assert "[shapes.py:6]" in by_name["fact"]
    assert "nested trainable: calls the trainable inner() (shapes.py:10)" in by_name["outer"]
    assert "called inside the trainable outer()" in by_name["inner"]
    square = by_name["Square.area"]
    assert "class context: super() in a trainable method" in square
    assert "name-mangled attribute self.__side" in square
    assert "the plugin compiles candidates inside the class" in square
    assert "one test exercises 4 trainables (one, two, three, four)" in by_name["two"]
    assert "[test_shapes.py::test_many]" in by_name["two"]
    graph = by_name["one"]
    assert "graph size: a test records 10 calls to trainables (> 6)" in graph
    assert "[test_shapes.py::test_graph]" in graph
    long = by_name["long_function"]
    assert "long_function has 47 lines of code (> 40)" in long
    assert "hidden dependency" not in flat(lines)
    assert "no repeatable signal" not in flat(lines)


NOSIGNAL_MODULE = """\
from pytest_trace_opt import trainable


@trainable
def reached(x):
    return x


@trainable
def never_called(x):
    return x


@trainable
def only_holdout(x):
    return x


@trainable
def coin(x):
    return x


@trainable
def describe(x):
    return f"value {x}"
"""

NOSIGNAL_TESTS = """\
from pathlib import Path

import pytest

from app import coin, describe, only_holdout, reached

pytestmark = pytest.mark.trainable

FLIP = Path(__file__).with_name("flip.txt")


def test_reached():
    assert reached(1) == 1


@pytest.mark.trainable(holdout=True)
def test_holdout():
    assert only_holdout(2) == 2


def test_flaky():
    runs = int(FLIP.read_text()) if FLIP.exists() else 0
    FLIP.write_text(str(runs + 1))
    assert coin(runs) == 0


def test_critique(trace_feedback):
    describe(3)
    trace_feedback.critique("be more concise")
"""


def test_no_signal_risks_are_flagged_and_fail_strict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=NOSIGNAL_MODULE, test_app=NOSIGNAL_TESTS)
    result = pytester.runpytest_subprocess(*PLAN, "--trace-strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    by_name = blocks(lines)
    assert "risks: none found" in by_name["reached"]
    assert "flaky: passed in the first run, failed in the second" in by_name["coin"]
    assert "only critiques" in by_name["describe"]
    assert "its tests only critique" in by_name["describe"]
    assert "only holdout tests reach it (1)" in by_name["only_holdout"]
    never = by_name["never_called"]
    assert never.index("Trace is a poor fit: no tagged test reaches it") < never.index("surface")
    assert "[app.py:10]" in never
    assert "1 not reached" in flat(lines)
    assert "no repeatable signal: 4" in flat(lines)
    result.stdout.fnmatch_lines(["*--trace-strict: 4 hidden-dependency or no-signal risk(s)*"])


PATTERN_MODULE = """\
from opto.trace import bundle, model, node

from pytest_trace_opt import trainable

DEFAULT_RULE = "be brief"

CODE_NODE = node("def rule(x):\\n    return x\\n", trainable=True)
RULE = node(DEFAULT_RULE, trainable=True)
LIMIT = node(3, trainable=True, description="how many items to keep")


@trainable
def threshold():
    return 0.5


class Pipeline:
    def __init__(self):
        self.style = node("short", trainable=True)

    @bundle(trainable=True)
    def first(self, x):
        return x

    @bundle(trainable=True)
    def second(self, x):
        return x


@model
class Solo:
    @bundle(trainable=True)
    def run(self, x):
        return x


def keep(items):
    return items[: LIMIT.data]
"""

PATTERN_TESTS = """\
import pytest

from agent import CODE_NODE, RULE, Pipeline, Solo, keep, threshold

pytestmark = pytest.mark.trainable


def test_nodes():
    assert CODE_NODE.data and RULE.data


def test_keep():
    assert keep([1, 2, 3, 4]) == [1, 2, 3]


def test_threshold():
    assert threshold() == 0.5


def test_pipeline():
    p = Pipeline()
    assert p.second(p.first(p.style.data)) == "short"


def test_solo():
    assert Solo().run(1) == 1
"""


def test_pattern_fit_messages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(agent=PATTERN_MODULE, test_agent=PATTERN_TESTS)
    result = pytester.runpytest_subprocess(*PLAN)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    by_name = blocks(lines)
    assert "node(value, trainable=True): fits" in by_name["LIMIT"]
    assert "fixed: the code reading it (keep)" in by_name["LIMIT"]
    assert "a node holding code as text" in by_name["CODE_NODE"]
    assert "the value is the name DEFAULT_RULE, not a literal" in by_name["RULE"]
    assert (
        "takes no input and returns a constant: a node(value, trainable=True) fits better"
        in (by_name["threshold"])
    )
    for name in ("style", "Pipeline.first", "Pipeline.second"):
        assert "Pipeline holds 3 trainables" in by_name[name], name
        assert "not a @model: decorate it with @model" in by_name[name]
    assert "the only trainable of @model Solo" in by_name["Solo.run"]
    assert "risks found: none" in flat(lines)


EXAMPLE_CHECKS = {
    "median": ["buggy_helper/stats.py:5", "4 visible (1 pass, 3 fail)", "@trainable: fits"],
    "GreetingAgent.decide_lang": [
        "of model GreetingAgent",
        "greeting/agent.py:26",
        "3 related trainables of one @model GreetingAgent: fits",
    ],
    "GreetingAgent.greet": ["greeting/agent.py:37", "@bundle(trainable=True): fits"],
    "name_pattern": [
        "greeting/agent.py:14",
        "node(value, trainable=True): fits",
        "the code reading it (GreetingAgent.__call__)",
    ],  # fmt: skip
    "TICKET_PROMPT": [
        "prompt_template/prompts.py:5",
        "2 visible (0 pass, 2 fail)",
        "the code reading it (build_ticket_prompt)",
        "executable (assertions, critiques, scores, runtime errors)",
    ],
}


def test_plan_of_the_examples_describes_every_target_and_flags_nothing(
    pytester: pytest.Pytester,
) -> None:
    for child in EXAMPLES.iterdir():
        if child.is_dir():
            shutil.copytree(child, pytester.path / child.name, ignore=shutil.ignore_patterns(
                "__pycache__"))  # fmt: skip
    before = tree_hashes(pytester.path)
    result = pytester.runpytest_subprocess(*PLAN, "--trace-strict")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    by_name = blocks(lines)
    assert set(by_name) == set(EXAMPLE_CHECKS)
    for name, expected in EXAMPLE_CHECKS.items():
        for text in expected:
            assert text in by_name[name], (name, text)
        assert "risks: none found" in by_name[name]
    text = flat(lines)
    assert "9 visible (7 failing), 3 holdout (2 failing); 5 trainables reached" in text
    assert "risks found: none" in text and "poor fit" not in text
    assert tree_hashes(pytester.path) == before


INFRA_MODULE = """\
from pytest_trace_opt import trainable


@trainable
def double(x):
    return x * 2
"""

INFRA_TESTS = """\
import pytest

from mod import double

pytestmark = pytest.mark.trainable


def test_needs_db(database):
    assert double(database) == 4


def test_import():
    import not_installed_anywhere  # noqa: F401

    assert double(1) == 2


def test_ok():
    assert double(2) == 4
"""


def test_infrastructure_failures_are_named_first(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(mod=INFRA_MODULE, test_mod=INFRA_TESTS)
    result = pytester.runpytest_subprocess(*PLAN)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    lines = plan_section(result)
    check_width(lines)
    assert lines[0].startswith("Trace is a poor fit here: 2 tagged tests fail for infrastructure")
    text = flat(lines)
    assert "test_mod.py::test_needs_db: setup error: fixture 'database' not found" in text
    assert "test_mod.py::test_import: import error: ModuleNotFoundError" in text
    strict = pytester.runpytest_subprocess(*PLAN, "--trace-strict")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


def test_collection_error_is_named_first_and_interrupts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        mod=INFRA_MODULE,
        test_ok="import pytest\nfrom mod import double\n\n\n@pytest.mark.trainable\n"
        "def test_ok():\n    assert double(2) == 4\n",
        test_broken="import no_such_module_xyz\n",
    )
    result = pytester.runpytest_subprocess(*PLAN)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    lines = plan_section(result)
    assert lines[0].startswith("Trace is a poor fit here: collection error: test_broken.py:")
    assert "No module named 'no_such_module_xyz'" in flat(lines)
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])


def test_no_tagged_test_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess(*PLAN)
    result.stdout.fnmatch_lines(["*no test is tagged @pytest.mark.trainable*nothing to plan*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trace-strict"], "--trace-strict only applies to --trace-plan"),
        (["--trace-plan", "--trace-optimize"], "--trace-optimize and --trace-plan are exclusive"),
    ],
)
def test_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile("def test_ok(): pass")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])
