"""Reading, hashing and atomically rewriting source files (stdlib only).

:func:`atomic_write` writes the result back safely, refusing if the file changed meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
from pathlib import Path

from pytest_trace_opt.patch._text import BOM, SourceChangedError, SourceError

_COOKIE_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def read_source(path: Path) -> str:
    """Return the exact text of ``path``: line endings preserved, PEP 263 cookie honoured."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode {path}: {exc}") from exc


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 of the file's raw bytes (equal to ``sha256_text(read_source(path))`` for UTF-8)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _encoding_for(new_text: str, old_bytes: bytes) -> str:
    for line in new_text.split("\n", 2)[:2]:
        match = _COOKIE_RE.match(line)
        if match:
            try:
                encoding, _ = tokenize.detect_encoding(
                    io.BytesIO(new_text.encode("utf-8", errors="replace")).readline
                )
            except SyntaxError:
                return "utf-8"
            return "utf-8" if encoding == "utf-8-sig" else encoding
        if line.strip() and not line.lstrip().startswith("#"):
            break
    if old_bytes.startswith(b"\xef\xbb\xbf") and not new_text.startswith(BOM):
        return "utf-8-sig"
    return "utf-8"


def encode_like(new_text: str, old_bytes: bytes, path: Path | str = "<file>") -> bytes:
    """``new_text`` encoded as the file it replaces was (its coding cookie, its BOM)."""
    encoding = _encoding_for(new_text, old_bytes)
    try:
        return new_text.encode(encoding)
    except (UnicodeEncodeError, LookupError) as exc:
        raise SourceError(f"cannot encode the new text of {path} as {encoding}: {exc}") from exc


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_atomically(target: Path, data: bytes, mode: int | None) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def free_backup_path(path: Path, suffix: str) -> Path:
    """``m.py.orig``, or ``m.py.orig.1``, ``.2``... when earlier backups exist: a second
    apply must not overwrite the first backup, which may be the only pristine copy."""
    backup = path.with_name(path.name + suffix)
    number = 0
    while backup.exists() or backup.is_symlink():
        number += 1
        backup = path.with_name(f"{path.name}{suffix}.{number}")
    return backup


def atomic_write(
    path: Path, new_text: str, expected_sha256: str, backup_suffix: str | None = ".orig"
) -> Path | None:
    """Atomically replace ``path`` with ``new_text`` if it still has ``expected_sha256``.

    ``expected_sha256`` may be :func:`sha256_file` (raw bytes) or
    ``sha256_text(read_source(path))``.  The file's permission bits and encoding (PEP 263
    cookie, UTF-8 BOM) are kept; a symlink is followed, not replaced.  With ``backup_suffix``
    the previous content is first written (atomically) to ``path + backup_suffix`` and that
    backup path is returned; otherwise ``None``.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))

    def current() -> tuple[bytes, set[str]]:
        try:
            data = target.read_bytes()
        except FileNotFoundError as exc:
            raise SourceChangedError(f"{path} no longer exists; not writing") from exc
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
        hashes = {hashlib.sha256(data).hexdigest()}
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            hashes.add(sha256_text(data.decode(encoding)))
        except (SyntaxError, UnicodeDecodeError, LookupError):
            pass
        return data, hashes

    old_bytes, hashes = current()
    if expected_sha256 not in hashes:
        raise SourceChangedError(f"{path} changed on disk since the run began; not writing")
    new_bytes = encode_like(new_text, old_bytes, path)

    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = None
    backup: Path | None = None
    try:
        if backup_suffix:
            backup = free_backup_path(path, backup_suffix)
            _replace_atomically(backup, old_bytes, mode)
        if current()[1] != hashes:
            raise SourceChangedError(f"{path} changed on disk while writing; not writing")
        _replace_atomically(target, new_bytes, mode)
    except OSError as exc:
        raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return backup
