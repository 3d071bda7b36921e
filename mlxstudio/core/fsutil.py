"""Atomic file writes: write a temp file in the same folder, fsync, rename over the target, fsync the folder.

A reader (or a crash at any moment) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform/filesystem
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _chmod_like(fd: int, target: Path) -> None:
    """Give the temp file (mkstemp makes it 0600) the mode the target has, or a new file's usual mode (0666 & ~umask),
    so saving never makes a person's file unreadable to the others who could read it before."""
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    with contextlib.suppress(OSError):  # e.g. a filesystem without permissions
        os.fchmod(fd, mode)


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for an instant, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temp file next to ``path`` for writing; on success it replaces ``path`` atomically.

    On any exception the temp file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        _chmod_like(fd, target)
        with os.fdopen(fd, mode, encoding=None if binary else encoding,
                       newline=None if binary else newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as pretty UTF-8 JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def replace_dir(staging: Path, target: Path) -> None:
    """Move a complete folder ``staging`` to ``target`` (same filesystem), replacing an existing ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        trash = target.with_name(f".{target.name}.old")
        if trash.exists():
            import shutil

            shutil.rmtree(trash)
        os.replace(target, trash)
        os.replace(staging, target)
        import shutil

        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)
    _fsync_dir(target.parent)


def human_bytes(n: float) -> str:
    """1500 → "1.5 KB": decimal units, as Finder and the rest of the app show sizes (the library said 102 MB and
    the download of the same model 97.2 MB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
