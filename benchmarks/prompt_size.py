#!/usr/bin/env python
"""Prompt size: tokens per optimizer call, and how it grows with the input.

    python benchmarks/prompt_size.py [--markdown docs/benchmarks.md]

For a one-function project (a ``total(values)`` that skips the first value), runs
``python -m pytest --trace-optimize --trace-rounds=1`` as a user would, with the LLM
replaced through the plugin's own ``pytest_trace_opt_make_llm`` hook by a recorder that
keeps the messages and answers nothing usable (so exactly one optimizer call is made and
nothing is changed). The prompt is the plugin's real prompt; its tokens are counted with
the local model's tokenizer (llama.cpp, vocabulary only) when it is available, else
estimated as characters / 4 (the table says which).

Varied one at a time from a base of 1 failing test, 10 values, a 6-line function:
  - the number of failing tests: 1, 5, 20, 100;
  - the size of each test's input: 10, 1,000, 100,000 values (the argument and the
    assertion message grow with it);
  - the size of the trainable function itself: 6, 60, 600 lines (the function is the
    variable being optimized: it is always shown whole, so this one grows by design).

Prints a Markdown table and writes it into docs/benchmarks.md between the
``prompt-size`` markers. No LLM calls are made; a run takes about a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
START, END = "<!-- prompt-size:start -->", "<!-- prompt-size:end -->"

RECORDER_CONFTEST = '''\
import json
from pathlib import Path
from types import SimpleNamespace

LOG = Path(__file__).with_name("prompts.jsonl")


class RecordingLLM:
    """Keeps every prompt; replies with text holding no suggestion (nothing is changed)."""

    def __call__(self, messages=None, **kwargs):
        with LOG.open("a", encoding="utf-8") as log:
            log.write(json.dumps(messages) + "\\n")
        message = SimpleNamespace(content="No suggestion.")
        return SimpleNamespace(choices=[SimpleNamespace(message=message)], usage=None)


def pytest_trace_opt_make_llm(config, settings):
    return RecordingLLM()
'''


def module_source(function_lines: int) -> str:
    padding = max(0, function_lines - 6)
    body = [f"    checked_{i} = {i}  # unrelated bookkeeping" for i in range(padding)]
    return "\n".join(
        [
            "from pytest_trace_opt import trainable",
            "",
            "",
            "@trainable",
            "def total(values):",
            '    """Return the sum of values."""',
            *body,
            "    result = 0",
            "    for value in values[1:]:",
            "        result += value",
            "    return result",
            "",
        ]
    )


def tests_source(failing: int, values: int) -> str:
    lines = ["import pytest", "", "from summing import total", ""]
    for i in range(failing):
        lines += [
            "",
            "@pytest.mark.trainable",
            f"def test_total_{i}():",
            f"    values = [{i + 1}] + list(range({values - 1}))",
            "    assert total(values) == sum(values), values",
            "",
        ]
    return "\n".join(lines)


def measure(root: Path, failing: int, values: int, function_lines: int) -> dict[str, Any]:
    project = root / f"f{failing}-v{values}-l{function_lines}"
    project.mkdir()
    (project / "conftest.py").write_text(RECORDER_CONFTEST)
    (project / "summing.py").write_text(module_source(function_lines))
    (project / "test_summing.py").write_text(tests_source(failing, values))
    cmd = [sys.executable, "-m", "pytest", "--trace-optimize", "--trace-rounds=1", "-q",
           "-p", "no:cacheprovider"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=600)
    log = project / "prompts.jsonl"
    if not log.exists():
        raise SystemExit(f"no optimizer call was made in {project}:\n{proc.stdout[-2000:]}")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    text = "\n".join(m["content"] for m in calls[0])
    return {
        "failing_tests": failing,
        "values_per_test": values,
        "function_lines": function_lines,
        "calls": len(calls),
        "chars": len(text),
        "text": text,
    }


def token_counter() -> tuple[Any, str]:
    try:
        import llama_cpp

        from pytest_trace_opt.local import default_model_path

        path = default_model_path("1.5b")
        if path.is_file():
            vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)

            def count(text: str) -> int:
                return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))

            return count, "Qwen2.5-Coder tokenizer (llama.cpp, vocabulary only)"
    except ImportError:
        pass
    return (lambda text: len(text) // 4), "estimated as characters / 4 (no local model)"


def markdown(rows: list[dict[str, Any]], counted_with: str, command: str) -> str:
    now = dt.datetime.now()
    lines = [
        START,
        f"### Prompt size: {now:%Y-%m-%d %H:%M}",
        "",
        f"- command: `{command}`; tokens: {counted_with}",
        "- one optimizer call per row (OptoPrime, the plugin's default prompt); the base "
        "project is 1 failing test, 10 values per test, a 6-line function",
        "",
        "| varied | failing tests | values per test | function lines | prompt tokens "
        "| prompt characters |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['varied']} | {r['failing_tests']} | {r['values_per_test']:,} | "
            f"{r['function_lines']} | {r['tokens']:,} | {r['chars']:,} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write_markdown(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        pre, rest = text.split(START, 1)
        text = pre + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--no-markdown", action="store_true")
    ap.add_argument("--show", action="store_true", help="print the largest prompt")
    args = ap.parse_args(argv)
    plan = [("base", 1, 10, 6)]
    plan += [("failing tests", n, 10, 6) for n in (5, 20, 100)]
    plan += [("input size", 1, n, 6) for n in (1_000, 100_000)]
    plan += [("input size, 20 tests", 20, 100_000, 6)]
    plan += [("function size", 1, 10, n) for n in (60, 600)]
    count, counted_with = token_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="trace-prompt-size-") as tmp:
        for varied, failing, values, lines in plan:
            row = measure(Path(tmp), failing, values, lines)
            row["varied"] = varied
            row["tokens"] = count(row.pop("text")) if not args.show else count(row["text"])
            rows.append(row)
            print(f"{varied}: {failing} failing, {values} values, {lines} lines -> "
                  f"{row['tokens']} tokens ({row['chars']} chars)", flush=True)  # fmt: skip
    if args.show:
        print(max(rows, key=lambda r: r["chars"])["text"])
    command = "python benchmarks/prompt_size.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    md = markdown(rows, counted_with, command)
    print(md)
    if not args.no_markdown:
        write_markdown(args.markdown, md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
