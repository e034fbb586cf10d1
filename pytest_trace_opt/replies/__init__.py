"""LLM replies: recover the optimizer's suggestion, then check it before anything runs it.

OptoPrime asks for ``{"reasoning": ..., "answer": ..., "suggestion": {"__code0": "def f(...)"}}``
and silently drops anything its parser cannot read. Small local models wrap the JSON in fences,
put code in Python ``\"\"\"`` strings, use invented keys, suggest values for *input* nodes, copy
prompt labels into the code, or get cut off mid-JSON. :func:`parse_reply` recovers every usable
suggestion and says, in :attr:`ParsedReply.problems`, how it got it; :func:`check_code` and
:func:`check_value` decide whether it may be tried.

Pure and stdlib-only (``black`` optional): it never imports ``opto`` and never runs the code it
finds. Work is linear in the size of the reply (no regex with nested unbounded quantifiers over
the whole text, capped numbers of attempts), so a reply of several megabytes is handled quickly.
"""

from pytest_trace_opt.replies.checks import (
    UNCHANGED,
    Check,
    check_code,
    check_value,
    keep_docstring,
    strip_trailing_strings,
)
from pytest_trace_opt.replies.parse import ParsedReply, VariableSpec, parse_reply

__all__ = [
    "UNCHANGED",
    "Check",
    "ParsedReply",
    "VariableSpec",
    "check_code",
    "check_value",
    "keep_docstring",
    "parse_reply",
    "strip_trailing_strings",
]
