"""Command-line options, ini mirrors, the report header, the marker and the fixture."""

from __future__ import annotations

import pytest

from pytest_trace_opt.settings import OPTIONS


def flat(text: str) -> str:
    # argparse may wrap a line after a hyphen ("read-" / "only"), depending on the width
    return " ".join(text.split()).replace("- ", "-")


def test_help_lists_every_trace_flag_with_its_default(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    text = flat(result.stdout.str())
    assert "optimize trainable code with Microsoft Trace" in text
    for option in OPTIONS:
        assert option.cli in text, option.cli
        assert f"{flat(option.help)} (default: {flat(option.default_shown)})" in text, option.cli


def test_help_lists_the_ini_mirrors(pytester: pytest.Pytester) -> None:
    text = flat(pytester.runpytest("--help").stdout.str())
    for option in OPTIONS:
        if option.ini:
            assert option.ini_name in text
            assert f"(mirror of {option.cli})" in text, option.ini_name
        else:
            assert f"(mirror of {option.cli})" not in text, option.cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trace-rounds", "0"], "--trace-rounds: invalid value '0'; expected a number >= 1"),
        (["--trace-rounds", "two"], "--trace-rounds: invalid value 'two'; expected an integer"),
        (
            ["--trace-optimizer", "Foo"],
            "--trace-optimizer: invalid value 'Foo'; expected one of Repair, OptoPrime, OPRO, "
            "TextGrad, OptoPrimeMulti",
        ),
        (
            ["--trace-record-mode", "maybe"],
            "--trace-record-mode: invalid value 'maybe'; expected one of none, once, new, all",
        ),
        (["--trace-llm-json-mode", "yes"], "expected one of on, off"),
        (
            ["--trace-llm-temperature", "9"],
            "--trace-llm-temperature: invalid value '9'; expected a number <= 2",
        ),
        (["--trace-test-timeout", "nan"], "expected a finite number"),
        (["--trace-llm", " "], "expected a non-empty value"),
        (["--trace-apply"], "--trace-apply and --trace-resume need --trace-optimize"),
        (["--trace-resume"], "--trace-apply and --trace-resume need --trace-optimize"),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile("def test_ok(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    result.stdout.no_fnmatch_line("*1 passed*")


TAGGED = """
import pytest

@pytest.mark.trainable
def test_ok():
    pass
"""


def test_choices_are_case_insensitive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest(
        "--trace-optimize", "--collect-only", "--trace-optimizer", "optoprime"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["trace-opt: optimize; optimizer OptoPrime;*"])


def test_ini_mirror_and_command_line_precedence(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntrace_rounds = 1\ntrace_llm = openai/gpt-4o-mini\n")
    pytester.makepyfile(TAGGED)
    result = pytester.runpytest("--trace-optimize", "--collect-only")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*LLM openai/gpt-4o-mini; budget 1 rounds; seed 0"])
    result = pytester.runpytest("--trace-optimize", "--collect-only", "--trace-rounds", "3")
    result.stdout.fnmatch_lines(["*LLM openai/gpt-4o-mini; budget 3 rounds; seed 0"])


def test_bad_ini_value_names_the_ini_setting(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntrace_optimizer = Foo\n")
    pytester.makepyfile("def test_ok(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini setting trace_optimizer: invalid value 'Foo'" in result.stderr.str()
    # the command line wins over a bad ini value
    result = pytester.runpytest("--trace-optimizer", "OPRO")
    assert result.ret == pytest.ExitCode.OK


def test_action_switches_have_no_ini_mirror(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntrace_optimize = true\n")
    pytester.makepyfile("def test_ok(): pass")
    result = pytester.runpytest()
    # an unknown ini key only warns; it never switches optimization on
    result.stdout.no_fnmatch_line("trace-opt:*")
    result.assert_outcomes(passed=1, warnings=1)


def test_header_shows_optimizer_llm_and_budget_only_under_trace_optimize(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(TAGGED)
    plain = pytester.runpytest("--trace-rounds", "2")
    assert plain.ret == pytest.ExitCode.OK
    plain.stdout.no_fnmatch_line("trace-opt:*")
    result = pytester.runpytest(
        "--trace-optimize", "--collect-only", "--trace-max-llm-calls", "4",
        "--trace-max-tokens", "900", "--trace-timeout", "30", "--trace-seed", "7",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "trace-opt: optimize; optimizer Repair; LLM local; "
            "budget 5 rounds, 4 LLM calls, 900 tokens, 30 s; seed 7",
            "trace-opt: only tests tagged @pytest.mark.trainable run while optimizing*",
        ]
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.trainable
        def test_tagged():
            pass

        @pytest.mark.trainable(holdout=True)
        def test_holdout():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=2)
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.trainable(*names, targets=*, holdout=False):*"])


def test_trace_feedback_fixture_records_user_properties(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_scored(trace_feedback):
            trace_feedback.critique("answer is too long")
            trace_feedback.score(0.5)

        def test_bad_score(trace_feedback):
            with pytest.raises(TypeError, match="takes a number"):
                trace_feedback.score("high")
            with pytest.raises(TypeError):
                trace_feedback.critique("")
        """
    )
    reprec = pytester.inline_run()
    reprec.assertoutcome(passed=2)
    teardown = {
        r.nodeid.split("::")[-1]: r.user_properties
        for r in reprec.getreports("pytest_runtest_logreport")
        if r.when == "teardown"
    }
    assert teardown["test_scored"] == [
        ("trace_opt.critique", "answer is too long"),
        ("trace_opt.score", 0.5),
    ]
    assert teardown["test_bad_score"] == []


def test_trace_feedback_properties_reach_junitxml(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_scored(trace_feedback):
            trace_feedback.score(0.75)
        """
    )
    result = pytester.runpytest("--junitxml=out.xml")
    result.assert_outcomes(passed=1)
    xml = (pytester.path / "out.xml").read_text()
    assert '<property name="trace_opt.score" value="0.75"' in xml


def test_outside_posix_switching_on_is_a_usage_error_and_off_stays_harmless(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_trace_opt import plugin

    monkeypatch.setattr(plugin, "POSIX", False)  # as on Windows
    pytester.makepyfile("def test_ok():\n    assert True\n")
    result = pytester.runpytest_inprocess("--trace-optimize")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*need a POSIX system (Linux, macOS, or WSL on Windows)*"])
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
