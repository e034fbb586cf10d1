"""Paths as git sees them: the repository root, pytest's rootdir inside it, re-rooted patches.

The diffs of a result are relative to pytest's rootdir; ``git apply`` reads them relative to
the repository root, so the patches written for CI are re-rooted here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pytest_trace_opt.patch.diff import git_quote

GIT_TIMEOUT = 15.0


def git_toplevel(path: Path) -> Path | None:
    """The root of the git work tree containing ``path``, or ``None`` (no git, not a repo)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    top = done.stdout.strip()
    if done.returncode != 0 or not top:
        return None
    return Path(top)


def repo_prefix(rootdir: Path, toplevel: Path | None) -> str:
    """``rootdir`` relative to the repository root as ``"sub/dir/"`` (``""`` when equal/none)."""
    if toplevel is None:
        return ""
    try:
        rel = rootdir.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel in ("", ".") else rel.rstrip("/") + "/"


_ESCAPES = {"\\": "\\", '"': '"', "t": "\t", "n": "\n", "r": "\r", "a": "\a", "b": "\b"}
_ESCAPES |= {"f": "\f", "v": "\v"}


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of a path (``"a/x\\ty"``); unquoted names pass through."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += ch.encode()
        i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _reprefix_name(token: str, prefix: str) -> str:
    """``a/x.py`` -> ``a/<prefix>x.py`` (quoted as git would); ``/dev/null`` unchanged."""
    name = _unquote(token)
    if name == "/dev/null" or name[:2] not in ("a/", "b/"):
        return token
    return git_quote(name[:2], prefix + name[2:])


def _split_diff_git(rest: str) -> tuple[str, str] | None:
    """The two names of a ``diff --git`` line (after the command), quoted or not."""
    if rest.startswith('"'):
        match = re.match(r'("(?:\\.|[^"\\])*") (.+)$', rest)
        return (match.group(1), match.group(2)) if match else None
    if rest.endswith('"'):
        match = re.match(r'(.+?) ("(?:\\.|[^"\\])*")$', rest)
        return (match.group(1), match.group(2)) if match else None
    # Unquoted names may contain spaces: ours are the same path twice ("a/N b/N").
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return rest[:half], rest[half + 1 :]
    a_name, sep, b_name = rest.partition(" b/")
    return (a_name, "b/" + b_name) if sep else None


_HUNK_RE = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def reprefix_patch(patch: str, prefix: str) -> str:
    """Re-root a git-style patch: paths ``a/x`` become ``a/<prefix>x`` in the file headers.

    The diffs of a result are relative to pytest's rootdir; ``git apply`` reads them relative
    to the repository root. Only ``diff --git``, ``---`` and ``+++`` header lines change; hunk
    bodies (even lines that look like headers) are left alone.
    """
    prefix = prefix.strip("/")
    if not prefix or not patch:
        return patch
    prefix += "/"
    out: list[str] = []
    old_left = new_left = 0
    for line in patch.splitlines(keepends=True):
        body = line.rstrip("\n")
        if old_left > 0 or new_left > 0:  # inside a hunk
            tag = body[:1]
            if tag in (" ", ""):
                old_left, new_left = old_left - 1, new_left - 1
            elif tag == "-":
                old_left -= 1
            elif tag == "+":
                new_left -= 1
            out.append(line)
            continue
        match = _HUNK_RE.match(body)
        if match:
            old_left = int(match.group(1) if match.group(1) is not None else 1)
            new_left = int(match.group(2) if match.group(2) is not None else 1)
            out.append(line)
        elif body.startswith("diff --git "):
            names = _split_diff_git(body[len("diff --git ") :])
            if names is None:
                out.append(line)
            else:
                a_name, b_name = (_reprefix_name(n, prefix) for n in names)
                out.append(f"diff --git {a_name} {b_name}" + line[len(body) :])
        elif body.startswith(("--- ", "+++ ")):
            token, tab, rest = body[4:].partition("\t")
            name = _reprefix_name(token, prefix)
            if " " in name and not name.startswith('"'):
                tab = "\t"  # git needs the tab to see where a name with spaces ends
            out.append(body[:4] + name + tab + rest + line[len(body) :])
        else:
            out.append(line)
    return "".join(out)


def repo_path(file: str, prefix: str, toplevel: Path | None) -> str | None:
    """A target's file relative to the repository root (``None`` when outside it)."""
    path = Path(file)
    if not path.is_absolute():
        return (prefix + path.as_posix()) if prefix else path.as_posix()
    if toplevel is None:
        return None
    try:
        return path.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        return None
