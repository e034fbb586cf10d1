#!/usr/bin/env python
"""Overhead of the plugin when it is installed but not switched on.

    python benchmarks/overhead.py [--tests 330] [--repeats 7] [--markdown docs/benchmarks.md]

1. Generates a suite of trivial tests (default 330: 6 files of 55) in a temporary
   directory and times ``python -m pytest -q -p no:cacheprovider`` on it, alternating
   "plugin installed but off" (the entry point loads it; no ``--trace-*`` flag) and
   ``-p no:trace_opt`` (plugin not loaded), ``--repeats`` runs each after one warm-up run of
   each. Reports the medians and their ratio (target <= 1.02).
2. Import time of ``pytest_trace_opt.plugin`` with pytest already imported, from
   ``python -X importtime`` (cumulative microseconds of the module, median of the repeats),
   and whether importing it pulls in opto / litellm / llama_cpp.

Prints a Markdown table and writes it into docs/benchmarks.md between the
``overhead`` markers (appended when the markers are missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
START, END = "<!-- overhead:start -->", "<!-- overhead:end -->"


def env() -> dict[str, str]:
    e = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_TRACE_OPT_CHILD")
    }
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    return e


def make_suite(root: Path, n_tests: int) -> None:
    per_file = 55
    files = max(1, -(-n_tests // per_file))
    made = 0
    for f in range(files):
        body = ["import pytest", ""]
        for i in range(min(per_file, n_tests - made)):
            if i % 11 == 0:
                body += [
                    "@pytest.mark.parametrize('x', [1])",
                    f"def test_p{i}(x):",
                    "    assert x + 1 == 2",
                    "",
                ]
            else:
                body += [f"def test_t{i}():", f"    assert {i} * 2 == {2 * i}", ""]
            made += 1
        (root / f"test_gen_{f}.py").write_text("\n".join(body))
    (root / "pytest.ini").write_text("[pytest]\n")  # rootdir here: no repo config leaks in


def time_run(root: Path, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env(), capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"pytest failed ({proc.returncode}):\n{proc.stdout[-2000:]}")
    return secs


def import_time_us() -> tuple[int, list[str]]:
    code = (
        "import sys, pytest; import pytest_trace_opt.plugin; "
        "print(','.join(m for m in ('opto', 'litellm', 'llama_cpp') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    cumulative = 0
    for line in proc.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package"
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == "pytest_trace_opt.plugin":
            cumulative = int(parts[1])
    heavy = [m for m in proc.stdout.strip().split(",") if m]
    return cumulative, heavy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", type=int, default=330)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--no-markdown", action="store_true")
    args = ap.parse_args(argv)

    off, without = [], []
    with tempfile.TemporaryDirectory(prefix="trace-overhead-") as tmp:
        root = Path(tmp)
        make_suite(root, args.tests)
        time_run(root, [])  # warm-up (disk cache, bytecode of the libraries)
        time_run(root, ["-p", "no:trace_opt"])
        for i in range(args.repeats):
            pair = [("off", []), ("without", ["-p", "no:trace_opt"])]
            for name, extra in pair if i % 2 == 0 else reversed(pair):
                (off if name == "off" else without).append(time_run(root, extra))
    imports = [import_time_us() for _ in range(args.repeats)]
    imp_us = statistics.median(us for us, _ in imports)
    heavy = imports[-1][1]
    m_off, m_without = statistics.median(off), statistics.median(without)
    ratio = m_off / m_without
    try:
        load = f"{os.getloadavg()[0]:.2f}"
    except OSError:
        load = "?"
    mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    command = "python benchmarks/overhead.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    lines = [
        START,
        f"### Overhead when off: {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {mem_gib} GiB RAM, Python "
        f"{platform.python_version()}, load average {load} at the end (other work was running)",
        f"- command: `{command}`; {args.tests} generated trivial tests, {args.repeats} timed "
        "runs of each setting (alternating order, after one warm-up run each), wall time of "
        "the whole `python -m pytest -q -p no:cacheprovider` process",
        "",
        "| setting | median s | min s | max s |",
        "|---|---|---|---|",
        f"| plugin installed, not switched on | {m_off:.3f} | {min(off):.3f} | {max(off):.3f} |",
        f"| `-p no:trace_opt` | {m_without:.3f} | {min(without):.3f} | {max(without):.3f} |",
        f"| **ratio of medians** | **{ratio:.3f}** (target <= 1.02) | | |",
        "",
        f"Import of `pytest_trace_opt.plugin` (pytest already imported, `python -X importtime`, "
        f"median of {args.repeats}): {imp_us / 1000:.1f} ms cumulative; heavy modules pulled in: "
        f"{', '.join(heavy) if heavy else 'none (no opto, litellm, llama_cpp)'}.",
        "",
        END,
    ]
    block = "\n".join(lines)
    print(block)
    if not args.no_markdown:
        path = args.markdown
        text = path.read_text() if path.exists() else "# Benchmarks\n"
        if START in text and END in text:
            pre, rest = text.split(START, 1)
            text = pre + block + rest.split(END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
