"""JUnit XML properties of an optimization (--junitxml): of the suite, and of each tagged test."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_trace_opt.model import OptimizationResult


def suite_properties(result: OptimizationResult) -> list[tuple[str, str]]:
    return [
        ("trace_opt.outcome", result.outcome),
        ("trace_opt.stop_reason", result.stop_reason),
        ("trace_opt.tagged_before", f"{result.before.passed}/{result.before.total}"),
        ("trace_opt.tagged_after", f"{result.after.passed}/{result.after.total}"),
        ("trace_opt.changed_targets", ", ".join(t.name for t in result.changed_targets)),
    ]


def tagged_test_properties(
    role: str, targets: Iterable[str], since: int | None
) -> list[tuple[str, str]]:
    """A tagged test's role (visible or holdout), its targets, and since when it passes."""
    return [
        ("trace_opt.role", role),
        ("trace_opt.targets", ", ".join(targets)),
        ("trace_opt.passing_since_round", "never" if since is None else str(since)),
    ]


def add_suite_properties(plugins: Iterable[object], result: OptimizationResult) -> None:
    """Hand the suite properties to pytest's junitxml plugin, when it is active."""
    # pytest offers no public handle on the junitxml plugin outside fixtures: find it
    # among the registered plugins by its method.
    for plugin in plugins:
        add = getattr(plugin, "add_global_property", None)
        if add is None:
            continue
        for name, value in suite_properties(result):
            add(name, value)
