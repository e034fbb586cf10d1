"""Without --trace-optimize the plugin costs nothing: no heavy imports, the same function."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_trace_opt import trainable
from pytest_trace_opt.decorator import TrainableDefinitionError
from pytest_trace_opt.protocol import CHILD_ENV

HEAVY = ("opto.optimizers", "litellm", "llama_cpp")


def test_plain_run_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        calc="""
        from pytest_trace_opt import trainable

        @trainable
        def double(x):
            return 2 * x
        """,
        test_calc=f"""
        import sys

        import pytest

        from calc import double

        @pytest.mark.trainable
        def test_double(trace_feedback):
            trace_feedback.score(1.0)
            assert double(4) == 8

        def test_heavy_modules_not_imported():
            heavy = [m for m in {HEAVY!r} if m in sys.modules]
            assert heavy == []
            inner = ("core", "modes", "child", "llm", "plan", "reports", "patch", "replies")
            light = ("pytest_trace_opt.llm", "pytest_trace_opt.llm.config")  # the defaults
            assert not [m for m in sys.modules if m not in light
                        and m.startswith("pytest_trace_opt.") and m.split(".")[1] in inner]
        """,
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("trace-opt:*")


@pytest.fixture(autouse=True)
def _not_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CHILD_ENV, raising=False)


def test_trainable_returns_the_same_function_object() -> None:
    def f(x: int) -> int:
        return x + 1

    assert trainable(f) is f
    assert trainable(description="adds one")(f) is f
    assert trainable()(f) is f


def test_trainable_keeps_static_and_class_methods() -> None:
    def g() -> int:
        return 1

    sm, cm = staticmethod(g), classmethod(g)
    assert trainable(sm) is sm
    assert trainable(cm) is cm


def test_trainable_rejects_lambdas_and_builtins() -> None:
    with pytest.raises(TrainableDefinitionError, match="lambda"):
        trainable(lambda x: x)
    with pytest.raises(TrainableDefinitionError, match="builtin"):
        trainable(len)
    with pytest.raises(TypeError, match="function defined with 'def'"):
        trainable(3)


class QuotaError(Exception):
    pass


FACTOR = 2


@trainable
def scale(x: int) -> int:
    if x < 0:
        raise QuotaError("negative")
    return FACTOR * x


def test_decorated_function_raises_its_original_exception_type() -> None:
    with pytest.raises(QuotaError, match="negative") as info:
        scale(-1)
    assert type(info.value) is QuotaError


def test_monkeypatch_of_a_module_global_is_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scale(3) == 6
    monkeypatch.setattr(sys.modules[__name__], "FACTOR", 10)
    assert scale(3) == 30


def test_trace_and_litellm_are_imported_in_the_background_when_optimizing() -> None:
    """Switched on, the heavy imports start beside round 0 (off, they never happen)."""
    code = (
        "import sys\n"
        "from pytest_trace_opt.core.session import start_background_imports\n"
        "assert 'opto.optimizers' not in sys.modules and 'litellm' not in sys.modules\n"
        "thread = start_background_imports(local=False)\n"
        "thread.join(120)\n"
        "print('opto.optimizers' in sys.modules, 'litellm' in sys.modules, thread.is_alive())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "False"]
    assert proc.stdout.count("\n") == 1  # opto's import banner does not reach the terminal


def test_an_exit_during_the_background_import_waits_for_it() -> None:
    """A run that ends at once (the edit search fixed everything) must not end the
    interpreter mid-import: LiteLLM's clean-up then aborts (exit 134) or hangs."""
    code = (
        "import atexit, threading\n"
        "from pytest_trace_opt.core.session import start_background_imports\n"
        "atexit.register(lambda: print([t.name for t in threading.enumerate()]))\n"
        "start_background_imports(local=False)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['MainThread']"  # the import ended before the exit
    assert "Exception ignored" not in proc.stderr
