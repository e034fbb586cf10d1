"""Scale and overhead of an optimization round, LLM excluded.

Generates a project with 500 tagged tests over 20 trainable functions, runs
``pytest --trace-optimize`` for 10 rounds with an instant LLM test double (it always
proposes a wrong change, so every round evaluates a candidate), and reports per round:
controller RSS, open file descriptors, live child processes, evaluation seconds; and,
for comparison, the wall time of plain ``pytest`` on the same tests.

    python benchmarks/scale.py [--tests 500] [--functions 20] [--rounds 10] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = '''
import json, os, pathlib, resource
from types import SimpleNamespace

def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def _children():
    out = []
    for task in pathlib.Path(f"/proc/{os.getpid()}/task").iterdir():
        out += (task / "children").read_text().split()
    return len(out)

def pytest_trace_opt_round(config, record):
    entry = {"round": record.round, "rss_mib": round(_rss_mib(), 1),
             "fds": len(os.listdir("/proc/self/fd")), "children": _children(),
             "eval_s": record.eval_seconds}
    with open("probe.jsonl", "a") as out:
        out.write(json.dumps(entry) + "\\n")

class InstantWrongDouble:
    """Test double for the LLM: answers at once with a change that fixes nothing."""
    def __init__(self):
        self.n = 0
    def __call__(self, messages=None, **kwargs):
        self.n += 1
        text = messages[-1]["content"]
        name = text.split("the complete new definition of ")[1].split(")")[0]
        code = f"def {name}(x):\\n    return x * 2 + {self.n}\\n"
        content = json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": code}})
        msg = SimpleNamespace(content=content)
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return InstantWrongDouble()
'''


def generate(root: Path, tests: int, functions: int) -> None:
    module = ["from pytest_trace_opt import trainable\n"]
    for f in range(functions):
        module.append(f"\n@trainable\ndef f{f}(x):\n    return x + {f} + 1\n")
    (root / "funcs.py").write_text("".join(module))
    body = ["import pytest\nimport funcs\n\npytestmark = pytest.mark.trainable\n"]
    for t in range(tests):
        f = t % functions
        expected = t + f + (1 if t % 25 else 2)  # every 25th test fails: a bug to work on
        body.append(f"\ndef test_{t}():\n    assert funcs.f{f}({t}) == {expected}\n")
    (root / "test_scale.py").write_text("".join(body))
    (root / "conftest.py").write_text(PROBE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trace-opt-scale-") as tmp:
        root = Path(tmp)
        generate(root, args.tests, args.functions)
        plain = []
        for _ in range(3):
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=root, capture_output=True)  # fmt: skip
            plain.append(time.monotonic() - started)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--trace-optimize",
             f"--trace-rounds={args.rounds}"],
            cwd=root, capture_output=True,
        )  # fmt: skip
        total = time.monotonic() - started
        probes = [json.loads(x) for x in (root / "probe.jsonl").read_text().splitlines()]
    lines = [
        f"Scale: {args.tests} tagged tests over {args.functions} trainables, {args.rounds} rounds, "
        "instant LLM double (LLM time excluded).",
        "",
        "| round | controller RSS MiB | open fds | live children | evaluation s |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['round']} | {p['rss_mib']} | {p['fds']} | {p['children']} | {p['eval_s']:.2f} |"
        for p in probes
    ]
    median_plain = statistics.median(plain)
    evals = [p["eval_s"] for p in probes if p["eval_s"]]
    lines += [
        "",
        f"plain `pytest` on the same tests: median {median_plain:.2f} s of 3 runs; "
        f"an evaluation round: median {statistics.median(evals):.2f} s "
        f"({statistics.median(evals) / median_plain:.2f}x); whole optimization {total:.1f} s.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write("\n## Scale (LLM excluded)\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
