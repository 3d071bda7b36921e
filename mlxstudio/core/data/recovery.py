"""Autosave of unsaved dataset edits to a recovery file, so a crash or a kill loses at most a few seconds of work.

The recovery file lives in the app's home (``recovery/<name>.json``), never next to the user's file, and the user's
file is untouched until they save. Writes are atomic: after a kill the recovery file is the previous autosave or the
new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlxstudio.core import paths
from mlxstudio.core.data.edit import Dataset
from mlxstudio.core.data.shapes import Conversion
from mlxstudio.core.fsutil import atomic_write_text

VERSION = 1


def recovery_dir() -> Path:
    d = paths.home() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d


def recovery_path(name: str = "data-page") -> Path:
    """The recovery file of one editor (one per page)."""
    return recovery_dir() / f"{name}.json"


@dataclass
class Recovered:
    """What a recovery file holds: the dataset (``path`` = the file it was opened from, or None) and when."""

    dataset: Dataset
    saved_at: float

    def describe(self) -> str:
        name = self.dataset.path.name if self.dataset.path else "an unsaved dataset"
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        return f"{name} ({len(self.dataset)} rows, autosaved {when})"


def write_recovery(ds: Dataset, name: str = "data-page") -> Path:
    """Write ``ds`` (rows, format, source path and lines) to the recovery file atomically."""
    data: dict[str, Any] = {"version": VERSION, "saved_at": time.time(), "format": ds.format,
                            "path": str(ds.path) if ds.path else None, "rows": ds.rows, "lines": ds.lines,
                            "conversion": ds.conversion.to_dict() if ds.conversion else None}
    target = recovery_path(name)
    atomic_write_text(target, json.dumps(data, ensure_ascii=False))
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # temp files of autosaves killed mid-write
        with contextlib.suppress(OSError):
            stale.unlink()
    return target


def read_recovery(name: str = "data-page") -> Recovered | None:
    """The autosaved dataset, or None when there is none (or it is unreadable — then it is moved aside)."""
    p = recovery_path(name)
    if not p.exists():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        ds = Dataset(data["format"], list(data["rows"]), Path(data["path"]) if data.get("path") else None,
                     list(data.get("lines") or []), conversion=_conversion(data.get("conversion")))
        return Recovered(ds, float(data.get("saved_at", p.stat().st_mtime)))
    except (OSError, ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):
            p.replace(p.with_suffix(".broken"))
        return None


def _conversion(data: Any) -> Conversion | None:
    """The conversion of recovered rows (their ``path`` is then the original file, which Save must not overwrite)."""
    if not isinstance(data, dict):
        return None
    return Conversion(str(data["shape"]), str(data["target"]), int(data["rows"]), tuple(data.get("notes") or ()),
                      tuple(data.get("ignored_keys") or ()))


def clear_recovery(name: str = "data-page") -> None:
    """Delete the recovery file (after a save, or when the person discards the edits)."""
    with contextlib.suppress(FileNotFoundError):
        recovery_path(name).unlink()
