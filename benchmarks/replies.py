"""Read why a case was lost: the prompts and replies of one plugin run, from the cassette the
benchmark keeps beside its results (``<results>-reports/<case>-<system>-cassette.json``).

    python benchmarks/replies.py benchmarks/results/RUN-reports/CASE-plugin-cassette.json

The first prompt is printed whole; a later one only where it differs from the one before
(``--whole`` prints each whole). With the run's report beside the cassette, each round's
status and reason follow.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _prompt(request: dict[str, Any]) -> str:
    users = [m for m in request.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    return content if isinstance(content, str) else json.dumps(content)


def calls(cassette: dict[str, Any], whole: bool = False) -> Iterator[str]:
    """The lines to print for each recorded call, in order."""
    previous: str | None = None
    for number, item in enumerate(cassette.get("interactions", []), start=1):
        request, response = item.get("request", {}), item.get("response", {})
        usage = response.get("usage", {})
        yield (
            f"=== reply {number} (temperature {request.get('temperature')}, sample "
            f"{request.get('sample', 0)}, {usage.get('prompt_tokens', '?')}+"
            f"{usage.get('completion_tokens', '?')} tokens)"
        )
        prompt = _prompt(request)
        if prompt == previous:
            yield "--- the same prompt"
        elif previous is None or whole:
            yield "--- prompt"
            yield prompt
        else:
            yield "--- prompt, changes from the one before"
            yield from difflib.unified_diff(
                previous.splitlines(), prompt.splitlines(), n=0, lineterm=""
            )
        previous = prompt
        yield "--- reply"
        yield str(response.get("content", ""))


def rounds(report: dict[str, Any]) -> Iterator[str]:
    for record in report.get("rounds", []):
        yield f"round {record.get('round')}: {record.get('status')}: {record.get('reason', '')}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cassette", type=Path)
    ap.add_argument("--whole", action="store_true", help="print every prompt whole")
    args = ap.parse_args(argv)
    try:
        cassette = json.loads(args.cassette.read_text("utf-8"))
    except (OSError, ValueError) as e:
        ap.error(f"{args.cassette}: {e}")
    for line in calls(cassette, args.whole):
        print(line)
    report = args.cassette.with_name(args.cassette.name.replace("-cassette", "-report"))
    if report.exists():
        print("=== rounds")
        for line in rounds(json.loads(report.read_text("utf-8"))):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
