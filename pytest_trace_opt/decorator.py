"""The ``trainable`` decorator: free outside optimization, a candidate slot inside it.

Outside ``pytest --trace-optimize`` the decorator returns the very function it was
given, so production code and ordinary test runs pay nothing.  Inside an evaluation
child (a fresh pytest process started by the controller, marked by the environment
variable below) the function is replaced by a thin wrapper that runs the candidate
code the optimizer proposed and records its calls for feedback.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any, TypeVar, overload

from pytest_trace_opt.protocol import CHILD_ENV

F = TypeVar("F", bound=Callable[..., Any])


class TrainableDefinitionError(TypeError):
    """``trainable`` was applied to something whose source cannot be optimized."""


def _check_function(fn: object) -> types.FunctionType:
    inner = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
    if isinstance(inner, types.FunctionType):
        if inner.__name__ == "<lambda>":
            raise TrainableDefinitionError(
                "trainable needs a function defined with 'def': a lambda has no "
                "definition of its own that a patch could rewrite"
            )
        return inner
    if isinstance(inner, (types.BuiltinFunctionType, types.MethodWrapperType)):
        raise TrainableDefinitionError(
            f"trainable cannot optimize the builtin {getattr(inner, '__name__', inner)!r}: "
            "it has no Python source"
        )
    raise TrainableDefinitionError(
        f"trainable expects a function defined with 'def', got {type(fn).__name__}"
    )


@overload
def trainable(fn: F) -> F: ...
@overload
def trainable(fn: None = None, *, description: str | None = None) -> Callable[[F], F]: ...


def trainable(fn: Any = None, *, description: str | None = None) -> Any:
    """Mark a function (or method) as code that ``pytest --trace-optimize`` may rewrite.

    Without ``--trace-optimize`` the function itself is returned: same object, plain
    return values, plain exceptions, ``monkeypatch`` works::

        from pytest_trace_opt import trainable

        @trainable
        def slugify(text: str) -> str:
            return text.lower().replace(" ", "_")

    ``description`` is shown to the optimizer next to the code (the docstring is used
    when it is omitted).
    """
    if fn is None:
        return lambda f: trainable(f, description=description)
    function = _check_function(fn)
    if not os.environ.get(CHILD_ENV):
        return fn
    # Evaluation child only: imported lazily so production never loads it.
    from pytest_trace_opt.child.runtime import candidate_function

    wrapped = candidate_function(function, description)
    if isinstance(fn, staticmethod):
        return staticmethod(wrapped)
    if isinstance(fn, classmethod):
        return classmethod(wrapped)
    return wrapped


__all__ = ["CHILD_ENV", "TrainableDefinitionError", "trainable"]
