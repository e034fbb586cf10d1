"""The JSON reports and their schema: every kind of report the plugin writes must match it.

The optimize reports come from real runs with the LLM test double of test_ci_reports (the
``fixed`` outcome is validated there and in test_html_report); the plan reports from real
``--trace-plan`` runs, one of them after a collection error.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from test_ci_reports import make_project, run_optimize, validate_report
from test_reports_terminal import changed_target, make_result

from pytest_trace_opt.reports import SCHEMA_PATH, optimization_report, plan_report


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """As it reads back from the file."""
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def test_schema_is_a_valid_draft_2020_12_schema_and_catches_drift(
    validator: jsonschema.Draft202012Validator,
) -> None:
    target = changed_target("a\n", "b\n")
    data = plain(optimization_report(make_result([target], patch=target.patch)))
    assert not list(validator.iter_errors(data))
    for broken in (
        {**data, "surprise": 1},
        {**data, "outcome": "great"},
        {**data, "schema_version": 2},
        {**data, "rounds": [{**data["rounds"][0], "status": "maybe"}]},
        {**data, "mode": "plan"},  # the plan variant requires a plan
    ):
        assert list(validator.iter_errors(broken))


def test_the_plan_variant_catches_drift(validator: jsonschema.Draft202012Validator) -> None:
    plan = {
        "summary": {"visible": 0, "visible_failing": 0, "holdout": 0, "holdout_failing": 0,
                    "targets": 0, "reached": 0, "risks": {}, "ran_twice": False, "ran": False},
        "poor_fit": ["the tagged tests did not run: no plan per target"],
        "notes": [], "risks": [], "targets": [],
        "loop": {"optimizer": "OptoPrime", "llm": "local", "rounds": 5, "budget": "5 rounds",
                 "stop": "..."},
    }  # fmt: skip
    data = plan_report(plan)
    assert not list(validator.iter_errors(data))
    for broken in (
        {**data, "surprise": 1},
        {**data, "plan": {**plan, "summary": {**plan["summary"], "risks": {"maybe": 1}}}},
        {**data, "plan": {**plan, "risks": [{"kind": "no-signal", "text": "x"}]}},
        {key: value for key, value in data.items() if key != "plan"},
    ):
        assert list(validator.iter_errors(broken))


# ----------------------------------------------------------------------------- real reports

ALL_PASS = {
    "calc.py": "from pytest_trace_opt import trainable\n\n\n@trainable\ndef add(a, b):\n"
    "    return a + b\n\n\n@trainable\ndef mul(a, b):\n    return a * b\n",
    "words.py": "from pytest_trace_opt import trainable\n\n\n@trainable\ndef shout(text):\n"
    "    return text.upper() + '!'\n",
}
NO_TRAINABLE = {
    "test_all.py": "import pytest\n\n\n@pytest.mark.trainable\ndef test_alone():\n"
    "    assert 1 + 1 == 3\n",
}


@pytest.mark.parametrize(
    ("outcome", "files", "plan"),
    [
        ("passing", ALL_PASS, []),
        ("improved", {}, ["wrong", "fix", "fix"]),  # add, mul, shout: one call each
        ("unchanged", {}, ["wrong"] * 3),
        ("error", NO_TRAINABLE, []),
    ],
)
def test_optimize_reports_of_every_outcome_match_the_schema(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    outcome: str,
    files: dict[str, str],
    plan: list[str],
) -> None:
    project = make_project(pytester.path / "proj", plan=plan)
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    report = tmp_path_factory.mktemp("json") / "report.json"
    result = run_optimize(
        pytester, monkeypatch, project, "--trace-report-json", str(report), rounds=1
    )
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout.str()
    assert validate_report(report)["outcome"] == outcome


PLAN = ("--trace-plan", "-p", "no:cacheprovider", "--trace-test-timeout", "10")


@pytest.mark.parametrize("broken", [False, True], ids=["ran", "collection-error"])
def test_plan_reports_match_the_schema(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, broken: bool
) -> None:
    project = make_project(pytester.path / "proj")
    if broken:
        (project / "test_broken.py").write_text("import no_such_module_xyz\n", encoding="utf-8")
    report = tmp_path_factory.mktemp("json") / "plan.json"
    result = pytester.runpytest_subprocess(*PLAN, "--trace-report-json", str(report), project)
    expected = pytest.ExitCode.INTERRUPTED if broken else pytest.ExitCode.OK
    assert result.ret == expected, result.stdout.str()
    data = validate_report(report)
    assert data["mode"] == "plan"
    assert data["plan"]["summary"]["ran"] is not broken
    assert bool(data["plan"]["targets"]) is not broken
