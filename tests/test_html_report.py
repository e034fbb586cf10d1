"""The HTML report (--trace-report-html) of a real run: self-contained, and rendered by a real
headless Chromium with the diff and the plot visible (marked ``browser``)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
from test_ci_reports import GITHUB_VARS, make_project, validate_report

# Colours the report's CSS and SVG use (pytest_trace_opt/reports/html.py).
ADDED_LINE = (0xDA, 0xFB, 0xE1)  # .add background
REMOVED_LINE = (0xFF, 0xEB, 0xE9)  # .del background
ACCEPTED = (0x1A, 0x7F, 0x37)  # accepted dots and the best-so-far line of the plot
REJECTED = (0xCF, 0x22, 0x2E)  # rejected dots


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real ``--trace-optimize`` run for this module: a rejected round, then the fix.

    add, mul and shout are separate groups (one LLM call each per round): round 1 fixes mul
    and shout but not add (partly accepted), round 2 proposes another wrong add (rejected),
    round 3 fixes it.
    """
    out = tmp_path_factory.mktemp("html-report")
    project = make_project(out / "proj", plan=["wrong", "fix", "fix", "wrong2"])
    report, report_json = out / "report.html", out / "report.json"
    env = {k: v for k, v in os.environ.items() if k not in GITHUB_VARS}
    command = [
        sys.executable, "-m", "pytest", "--trace-optimize", "--trace-rounds", "3",
        "--trace-test-timeout", "10", "--trace-report-html", str(report),
        "--trace-report-json", str(report_json),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "trace-opt HTML report: " in done.stdout
    validate_report(report_json)
    return report


def test_a_real_run_writes_a_self_contained_report(html_report: Path) -> None:
    page = html_report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<span class="badge fixed" id="outcome">fixed</span>' in page
    # per target, the coloured diff
    for name in ("add", "mul", "shout"):
        assert f"<h3>{name} <span" in page
    a_op_b = '<span class="n">a</span> <span class="o">{}</span> <span class="n">b</span>'
    assert (
        f'<span class="line del">-    <span class="k">return</span> {a_op_b.format("-")}\n</span>'
        in page
    )
    assert (
        f'<span class="line add">+    <span class="k">return</span> {a_op_b.format("+")}\n</span>'
        in page
    )
    # the plot: one dot per round, coloured by status
    assert '<svg id="passed-plot"' in page
    assert page.count('<circle class="round ') == 4
    assert '<circle class="round rejected"' in page
    # the feedback each round sent and the reply it got, HTML-escaped
    assert '<details class="exchange" id="round-1">' in page
    assert "assert -1 == 5" in page  # pytest's introspection, in the feedback
    assert "```python\ndef " in page  # the reply
    # nothing is fetched from anywhere
    for external in ("src=", "href=", "url(", "@import", "<link", "<script", "http:", "https:"):
        assert external not in page


# ----------------------------------------------------------------------------- the browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI (.ci/run installs it with apt-get)")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def _run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--force-color-profile=srgb", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG with the stdlib: (width, height, pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    pixels: list[tuple[int, ...]] = []
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, bpp))
        previous = line
    return width, height, pixels


@pytest.mark.browser
def test_chromium_renders_the_diff_and_the_plot(html_report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    url = html_report.resolve().as_uri()
    dom = _run_chromium(browser, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<svg id="passed-plot"' in dom.stdout
    assert dom.stdout.count("<circle ") == 4
    assert 'class="line add"' in dom.stdout and '<span class="k">return</span>' in dom.stdout

    shot = tmp_path / "report.png"
    done = _run_chromium(
        browser, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1200,1600", url
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    copy = os.environ.get("TRACE_OPT_SCREENSHOT")  # keep it to look at: TRACE_OPT_SCREENSHOT=x.png
    if copy:
        shutil.copyfile(shot, copy)
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    colours = Counter(pixels)
    assert len(colours) > 50, "the page rendered as (nearly) a single colour"
    # the coloured diff lines fill whole rows; the plot's dots and line are drawn
    assert colours[ADDED_LINE] > 5_000 and colours[REMOVED_LINE] > 5_000
    assert colours[ACCEPTED] > 100 and colours[REJECTED] > 20
