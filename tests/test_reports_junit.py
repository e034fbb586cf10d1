"""reports.junit: the properties an optimization adds to pytest's JUnit XML."""

from __future__ import annotations

from test_reports_terminal import changed_target, make_result

from pytest_trace_opt.reports import add_suite_properties, suite_properties, tagged_test_properties


def test_suite_properties_summarise_the_result() -> None:
    result = make_result([changed_target("a\n", "b\n", name="add")], stop_reason="rounds done")
    assert suite_properties(result) == [
        ("trace_opt.outcome", "fixed"),
        ("trace_opt.stop_reason", "rounds done"),
        ("trace_opt.tagged_before", "1/3"),
        ("trace_opt.tagged_after", "3/3"),
        ("trace_opt.changed_targets", "add"),
    ]


def test_tagged_test_properties() -> None:
    assert tagged_test_properties("holdout", ["add", "mul"], 2) == [
        ("trace_opt.role", "holdout"),
        ("trace_opt.targets", "add, mul"),
        ("trace_opt.passing_since_round", "2"),
    ]
    assert tagged_test_properties("visible", [], None)[2] == (
        "trace_opt.passing_since_round",
        "never",
    )


def test_suite_properties_go_to_the_plugin_that_takes_them() -> None:
    class JUnitLike:
        def __init__(self) -> None:
            self.properties: list[tuple[str, str]] = []

        def add_global_property(self, name: str, value: str) -> None:
            self.properties.append((name, value))

    junit = JUnitLike()
    result = make_result([])
    add_suite_properties([object(), junit], result)
    assert junit.properties == suite_properties(result)
