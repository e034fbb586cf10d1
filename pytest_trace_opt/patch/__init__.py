"""Map optimized values back onto the user's real source files, as patches or in place.

Pure text manipulation (stdlib only): locate a function or a ``node(...)`` literal, splice
new source in or rewrite the literal while every other byte stays identical, render
git-style diffs (re-rooted at the repository root for CI), and write files atomically.
"""

from pytest_trace_opt.patch._text import NotALiteralError, SourceChangedError, SourceError
from pytest_trace_opt.patch.diff import first_changed_line, unified_diff
from pytest_trace_opt.patch.edits import FileEdit, build_targets, combined_patch, write_changes
from pytest_trace_opt.patch.files import (
    atomic_write,
    encode_like,
    read_source,
    sha256_file,
    sha256_text,
)
from pytest_trace_opt.patch.literals import replace_literal
from pytest_trace_opt.patch.locate import (
    FunctionLocation,
    LiteralLocation,
    child_bodies,
    locate_function,
    locate_function_at,
    locate_node_literal,
)
from pytest_trace_opt.patch.paths import git_toplevel, repo_path, repo_prefix, reprefix_patch
from pytest_trace_opt.patch.splice import splice_function

__all__ = [
    "FileEdit",
    "FunctionLocation",
    "LiteralLocation",
    "NotALiteralError",
    "SourceChangedError",
    "SourceError",
    "atomic_write",
    "build_targets",
    "child_bodies",
    "combined_patch",
    "encode_like",
    "first_changed_line",
    "git_toplevel",
    "locate_function",
    "locate_function_at",
    "locate_node_literal",
    "read_source",
    "replace_literal",
    "repo_path",
    "repo_prefix",
    "reprefix_patch",
    "sha256_file",
    "sha256_text",
    "splice_function",
    "unified_diff",
    "write_changes",
]
