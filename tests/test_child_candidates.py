"""How a candidate runs inside an evaluation child (the child's real runtime, in process):
as the original would, whatever it names. A method's candidate is compiled inside a stand-in
class of the same name, yet the class name in its body still means the module's class; a
candidate's ``global`` assignments change the module, as the original's do; a relative import
inside it resolves against the module's package."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pytest

from pytest_trace_opt.child import runtime as child_runtime


class Vec:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vec) and self.x == other.x and self.y == other.x

    def __add__(self, other: Vec) -> Vec:
        return Vec(self.x + other.x, self.y + other.x)


def test_a_method_candidate_that_names_its_class_means_the_real_class(
    runtime: child_runtime.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    eq = child_runtime.candidate_function(Vec.__dict__["__eq__"], None)
    add = child_runtime.candidate_function(Vec.__dict__["__add__"], None)
    monkeypatch.setattr(Vec, "__eq__", eq)
    monkeypatch.setattr(Vec, "__add__", add)
    runtime.candidate = {
        add.__trace_opt_target__.key: (
            "def __add__(self, other):\n    return Vec(self.x + other.x, self.y + other.y)\n"
        ),
        eq.__trace_opt_target__.key: (
            "def __eq__(self, other):\n"
            "    return isinstance(other, Vec) and self.x == other.x and self.y == other.y\n"
        ),
    }
    runtime.begin_test()
    total = Vec(1, 2) + Vec(3, 4)
    assert type(total) is Vec  # not the stand-in class the candidate was compiled in
    assert total == Vec(4, 6)
    assert Vec(1, 2) != Vec(1, 3)


_issued = 0


def next_ticket(prefix: str) -> str:
    global _issued
    _issued += 1
    return f"{prefix}-{_issued:03d}0"


def test_a_candidate_that_assigns_a_global_changes_the_module(
    runtime: child_runtime.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_issued", 0)
    wrapped = child_runtime.candidate_function(next_ticket, None)  # type: ignore[arg-type]
    runtime.candidate = {
        wrapped.__trace_opt_target__.key: (
            "def next_ticket(prefix):\n"
            "    global _issued\n"
            "    _issued += STEP\n"
            '    return f"{prefix}-{_issued:03d}"\n'
            "STEP = 1\n"  # a constant the candidate adds goes along
        )
    }
    runtime.begin_test()
    assert (wrapped("A"), wrapped("B")) == ("A-001", "B-002")
    assert _issued == 2  # what the rest of the module sees


def test_a_relative_import_inside_a_candidate_resolves_against_its_package(
    runtime: child_runtime.Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "shop_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rates.py").write_text("RATE = 2\n")
    (package / "prices.py").write_text(
        "def double(x):\n    from .rates import RATE\n    return x * RATE + 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    prices = importlib.import_module("shop_pkg.prices")
    wrapped = child_runtime.candidate_function(prices.double, None)
    runtime.candidate = {
        wrapped.__trace_opt_target__.key: (
            "def double(x):\n    from .rates import RATE\n    return x * RATE\n"
        )
    }
    runtime.begin_test()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under a project's filterwarnings = error
        assert wrapped(3) == 6
