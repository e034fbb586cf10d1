"""Extension points of pytest-trace-opt (``pytest_trace_opt_*``), added via ``pytest_addhooks``.

Implement them in a ``conftest.py`` or a plugin. Defaults live in ``pytest_trace_opt.plugin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_trace_opt.model import OptimizationResult, RoundRecord
    from pytest_trace_opt.settings import Settings


@pytest.hookspec(firstresult=True)
def pytest_trace_opt_feedback(report: pytest.TestReport, item: pytest.Item) -> str | None:
    """Turn the report of a failing tagged test into the feedback text the optimizer reads.

    Called in the process that ran the test (an evaluation child). Return ``None`` to
    fall through to the next implementation; the default builds concise text from the
    assertion introspection, exception and user frames. Example::

        def pytest_trace_opt_feedback(report, item):
            if item.get_closest_marker("flaky_io"):
                return f"{item.name}: output did not match; see the expected table in the docstring"
            return None
    """


@pytest.hookspec(firstresult=True)
def pytest_trace_opt_make_llm(config: pytest.Config, settings: Settings) -> Any:
    """Return the LLM object the optimizer calls, or ``None`` to use the configured one.

    The object is duck-typed as trace-opt expects: ``llm(messages=[...],
    response_format=..., max_tokens=...)`` returning an object with
    ``.choices[0].message.content``. Example::

        def pytest_trace_opt_make_llm(config, settings):
            return MyGatewayClient(model="internal-coder")
    """


@pytest.hookspec
def pytest_trace_opt_round(config: pytest.Config, record: RoundRecord) -> None:
    """Called after each round (round 0 is the baseline) with its record.

    Example::

        def pytest_trace_opt_round(config, record):
            print(record.round, record.status, record.counts.text())
    """


@pytest.hookspec
def pytest_trace_opt_result(config: pytest.Config, result: OptimizationResult) -> None:
    """Called once with the final result of an optimization, after all reports are written.

    Example::

        def pytest_trace_opt_result(config, result):
            for target in result.targets:
                print(target.key, target.status)
    """
