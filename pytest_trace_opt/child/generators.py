"""A trainable generator function inside an evaluation child.

Calling a generator function runs none of its body: the body runs later, a piece at a time,
each time its consumer (``list(...)``, a ``for`` loop) asks for the next value. So the wrapper
hands back a generator of its own that resumes the real one and counts every resumption as
the trainable running: the lines it ran feed fault localization, and its call record shows
the values it yielded (``evens(n=5) yielded [1, 3]``) instead of a generator object.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from pytest_trace_opt.protocol import YIELDED, CallRecord
from pytest_trace_opt.text import bounded_repr

if TYPE_CHECKING:
    from pytest_trace_opt.child.runtime import Runtime

MAX_KEPT = 100  # yielded values kept for the record (a consumer may take a million)


def recorded(
    inner: Generator[Any, Any, Any],
    runtime: Runtime,
    record: CallRecord | None,
    check: Callable[[Any], None],
) -> Generator[Any, Any, Any]:
    """``inner`` (already created: its arguments were bound where the call was made), each
    resumption recorded as a run of the trainable whose call ``record`` was begun and
    suspended by the caller; ``check`` vets each yielded value (an honest value)."""
    __tracebackhide__ = True  # pytest shows the generator's own code, not this frame
    test = runtime.current
    yielded: list[Any] = []
    resume: Callable[[Any], Any] = inner.send
    sent: Any = None
    while True:
        live = runtime.current is test and test is not None  # still the test that made it
        if live:
            runtime.resume_call(record)
        runtime.lines.enter()
        try:
            value = resume(sent)
            check(value)
        except StopIteration as stop:
            runtime.lines.exit()
            if live:
                runtime.end_call(record, result=yielded)
                _as_yielded(record)
            return stop.value
        except BaseException as exc:
            runtime.lines.exit()
            if live:
                runtime.end_call(record, exc=exc)
                _as_yielded(record)
            raise
        runtime.lines.exit()
        if live:
            runtime.suspend_call()
        if len(yielded) < MAX_KEPT:
            yielded.append(value)
            if live and record is not None:  # a consumer may stop early: say what it drew
                record.output = bounded_repr(yielded, runtime.max_repr)
                _as_yielded(record)
        try:
            sent = yield value
            resume = inner.send
        except GeneratorExit:
            inner.close()
            raise
        except BaseException as exc:  # thrown in by the consumer: the generator handles it
            resume, sent = inner.throw, exc


def _as_yielded(record: CallRecord | None) -> None:
    if record is not None:
        record.types["return"] = YIELDED
