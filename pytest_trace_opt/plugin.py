"""pytest entry point: options, markers, hooks, fixture. Nothing heavy is imported here.

The stateful parts are registered only when switched on: the optimization controller
under ``--trace-optimize``, the planner under ``--trace-plan``, and the evaluation
recorder inside the child processes that the controller starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pytest_trace_opt import hookspecs
from pytest_trace_opt.feedback import TraceFeedback, feedback_key
from pytest_trace_opt.protocol import CHILD_ENV
from pytest_trace_opt.secrets import parse_passthrough, secret_names
from pytest_trace_opt.settings import Settings, add_options, read_settings

settings_key = pytest.StashKey[Settings]()

MARKER_DOC = (
    "trainable(*names, targets=[...], holdout=False): run this test under --trace-optimize and "
    "use its result as feedback for the trainables it exercises (or only the given targets: "
    "dotted names, or objects in targets=[...]); holdout=True judges candidates without "
    "showing failures to the optimizer"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> object:
    # Under --trace-optimize the controller runs no test itself: pytest-xdist's -n/--dist
    # are handed to the evaluation children (forwarded from the command line) instead of
    # making this process start workers. This runs before xdist reads them.
    distributing = getattr(config.option, "numprocesses", None) or getattr(
        config.option, "tx", None
    )
    if distributing and config.getoption("trace_optimize", None) and not os.environ.get(CHILD_ENV):
        config.option.numprocesses = None
        config.option.tx = []
        config.option.dist = "no"
    return (yield)


POSIX = os.name == "posix"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_DOC)
    settings = read_settings(config)
    config.stash[settings_key] = settings
    if os.environ.get(CHILD_ENV):
        # An evaluation child started by the controller: record, never optimize.
        from pytest_trace_opt.child.recorder import ChildRecorder

        config.pluginmanager.register(ChildRecorder(config), "trace-opt-child")
    elif settings.active and not POSIX:
        raise pytest.UsageError(
            "trace-opt: --trace-optimize and --trace-plan need a POSIX system (Linux, macOS, "
            "or WSL on Windows): evaluation children run in process groups under POSIX timers"
        )
    elif settings.optimize:
        from pytest_trace_opt.modes.optimize import OptimizeMode

        config.pluginmanager.register(OptimizeMode(config, settings), "trace-opt-controller")
    elif settings.plan:
        from pytest_trace_opt.modes.plan import PlanMode

        config.pluginmanager.register(PlanMode(config, settings), "trace-opt-planner")


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash.get(settings_key, None)
    if settings is None or not settings.active or os.environ.get(CHILD_ENV):
        return None
    mode = "optimize" if settings.optimize else "plan (no LLM calls)"
    lines = [
        f"trace-opt: {mode}; optimizer {settings.optimizer}; LLM {settings.llm}; "
        f"budget {settings.budget_text()}; seed {settings.seed}",
        "trace-opt: only tests tagged @pytest.mark.trainable run while optimizing; "
        "every selected test runs once more against the accepted candidate",
    ]
    if settings.optimize:
        from pytest_trace_opt.modes.evaluators import sandbox_text

        lines.append(f"trace-opt: evaluations run in {sandbox_text(settings.sandbox)}")
    withheld = secret_names(os.environ, keep=parse_passthrough(settings.env_passthrough))
    if withheld:
        lines.append(
            f"trace-opt: {len(withheld)} credential variable(s) withheld from test processes"
            " and masked in everything written (keep one with --trace-env-passthrough)"
        )
    return lines


@pytest.hookimpl(trylast=True)
def pytest_trace_opt_feedback(report: pytest.TestReport, item: pytest.Item) -> str | None:
    from pytest_trace_opt.child.failure_text import default_feedback  # only children call it

    return default_feedback(report)


@pytest.fixture
def trace_feedback(request: pytest.FixtureRequest) -> Iterator[TraceFeedback]:
    """Add feedback beyond assertions: ``trace_feedback.critique(text)``, ``.score(x)``.

    Outside optimization it only records (the values show up as ``user_properties``).
    """
    feedback = TraceFeedback()
    request.node.stash[feedback_key] = feedback
    yield feedback
    for name, value in feedback.as_properties():
        request.node.user_properties.append((name, value))


def _node_data(value: object) -> object:
    module = type(value).__module__ or ""
    if module.startswith("opto.trace") and hasattr(value, "_data"):
        return value._data
    return value


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """Show the values inside Trace nodes instead of ``<MessageNode object at 0x…>``."""
    left_data, right_data = _node_data(left), _node_data(right)
    if left_data is left and right_data is right:
        return None
    return [
        f"{left_data!r} {op} {right_data!r}",
        "(Trace nodes, compared by their data)",
    ]
