"""Bounded text (text.py), the fixture object (feedback.py), failure text (child)."""

from __future__ import annotations

import math

import pytest

from pytest_trace_opt.child.failure_text import MAX_TEST_FEEDBACK, default_feedback
from pytest_trace_opt.feedback import CRITIQUE_PROPERTY, SCORE_PROPERTY, TraceFeedback
from pytest_trace_opt.text import bounded_repr, clip, mask_addresses


def test_clip_leaves_short_text_alone() -> None:
    assert clip("hello", 10) == "hello"
    assert clip("x" * 10, 10) == "x" * 10


@pytest.mark.parametrize("size", [301, 1_000, 10_000, 5_000_000])
def test_clip_keeps_head_and_tail_within_the_limit(size: int) -> None:
    text = "H" * 100 + "m" * (size - 200) + "T" * 100
    out = clip(text, 300)
    assert len(out) <= 300
    assert out.startswith("H" * 100)
    assert out.endswith("T" * 70)
    assert "chars cut]" in out


def test_clip_reports_how_much_was_cut() -> None:
    out = clip("a" * 1000, 300)
    kept = out.split("…")
    assert int(kept[1].split()[0].strip("[")) == 1000 - len(kept[0]) - len(kept[2])


def test_bounded_repr_of_a_large_list_stays_under_the_limit() -> None:
    value = list(range(10_000))
    out = bounded_repr(value)
    assert len(out) <= 300
    assert out.startswith("[0, 1, 2")
    assert out.endswith("9998, 9999]")
    assert len(bounded_repr(value, limit=80)) <= 80


def test_bounded_repr_survives_a_raising_repr() -> None:
    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert bounded_repr(Bad()) == "<Bad object; repr() raised RuntimeError>"


def test_bounded_repr_masks_addresses() -> None:
    out = bounded_repr(object())
    assert out == "<object object>"


def test_mask_addresses() -> None:
    assert mask_addresses("<Foo object at 0x7f3a2b1c9d00>") == "<Foo object>"
    assert mask_addresses("a at 0xDEADBEEF and b at 0x12") == "a and b at 0x12"
    assert mask_addresses("no address here") == "no address here"


def test_trace_feedback_records_and_validates() -> None:
    feedback = TraceFeedback()
    feedback.critique("  too verbose  ")
    feedback.score(1)
    feedback.score(0.25)
    assert feedback.as_properties() == [
        (CRITIQUE_PROPERTY, "too verbose"),
        (SCORE_PROPERTY, 1.0),
        (SCORE_PROPERTY, 0.25),
    ]
    with pytest.raises(TypeError, match="takes a number, got str"):
        feedback.score("high")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got bool"):
        feedback.score(True)
    with pytest.raises(ValueError, match="finite"):
        feedback.score(math.nan)
    with pytest.raises(TypeError, match="non-empty string"):
        feedback.critique("   ")
    with pytest.raises(TypeError):
        feedback.critique(3)  # type: ignore[arg-type]


FAILING_TEST = """
def user_helper(value):
    raise ValueError(f"bad value {value!r}")


def test_fails():
    print("some output")
    user_helper(object())
"""


def _failed_report(pytester: pytest.Pytester, *args: str) -> pytest.TestReport:
    pytester.makepyfile(test_user=FAILING_TEST)
    reprec = pytester.inline_run(*args)
    failed = [r for r in reprec.getreports("pytest_runtest_logreport") if r.failed]
    assert len(failed) == 1
    return failed[0]


def test_default_feedback_drops_pytest_and_pluggy_frames(pytester: pytest.Pytester) -> None:
    # --fulltrace keeps pytest's and pluggy's own frames in the report
    report = _failed_report(pytester, "--fulltrace")
    assert "pluggy" in str(report.longrepr)
    assert "_pytest" in str(report.longrepr)
    text = default_feedback(report)
    assert text.startswith("test_user.py::test_fails failed:")
    assert "pluggy" not in text
    assert "_pytest" not in text
    assert "user_helper(object())" in text
    assert "ValueError: bad value <object object>" in text  # address masked
    assert " at 0x" not in text
    assert "captured stdout: some output" in text
    assert len(text) <= MAX_TEST_FEEDBACK


def test_default_feedback_keeps_the_message_of_an_internal_raising_frame(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user="""
        ns = {}
        exec(compile("def hook():\\n    raise RuntimeError('from inside')\\n",
                     "/site/pluggy/_callers.py", "exec"), ns)


        def test_fails():
            ns["hook"]()
        """
    )
    reprec = pytester.inline_run()
    report = next(r for r in reprec.getreports("pytest_runtest_logreport") if r.failed)
    text = default_feedback(report)
    assert "/site/pluggy" not in text
    assert 'ns["hook"]()' in text
    assert "E   RuntimeError: from inside" in text


def test_default_feedback_names_the_phase(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        import pytest

        @pytest.fixture
        def broken():
            raise OSError("no disk")

        def test_setup(broken):
            pass
        """
    )
    reprec = pytester.inline_run()
    report = next(r for r in reprec.getreports("pytest_runtest_logreport") if r.failed)
    text = default_feedback(report)
    assert text.startswith("test_user.py::test_setup failed during setup:")
    assert "OSError: no disk" in text


def test_default_feedback_is_bounded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        def test_big():
            print("x" * 100_000)
            assert "a" * 50_000 == "b" * 50_000
        """
    )
    reprec = pytester.inline_run()
    report = next(r for r in reprec.getreports("pytest_runtest_logreport") if r.failed)
    text = default_feedback(report)
    assert len(text) <= MAX_TEST_FEEDBACK
    assert "chars cut]" in text
