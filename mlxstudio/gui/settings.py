"""Typed settings with defaults, and helpers to remember window geometry, splitters and table headers.

Every setting the app reads is declared once here as a :class:`Setting` (key, default, type), and read with
``QSettings.value(key, default, type=...)`` so a missing or garbled value gives the default, never a crash
(Orange's ``config.py`` idea). The settings file lives in the app's home folder (``paths.home()/settings.ini``), so
``MLXSTUDIO_HOME`` isolates it like the model library, and the bundle and the source tree share one location.

Shared keys (other pages use them too): ``hub/hf_token``, ``hub/default``, ``hub/modelscope_endpoint``,
``hub/huggingface_endpoint``. Use :func:`qsettings` to open the store; never ``QSettings()`` with no arguments.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget

from mlxstudio.core import paths

T = TypeVar("T", str, int, bool, float)


def settings_file() -> Path:
    """Where the settings are stored: ``settings.ini`` in the app's home folder."""
    return paths.home() / "settings.ini"


def qsettings() -> QSettings:
    """The app's settings store (an INI file in the app home folder)."""
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


def typed_value(s: QSettings, key: str, default: T) -> T:
    """``s.value(key, default, type=type(default))``, typed as what it returns: a value of the default's type.

    (PySide types ``QSettings.value`` as ``object`` whatever ``type=`` asks for.)
    """
    return cast(T, s.value(key, default, type=type(default)))


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One typed setting: its key, its default and (through the default) its type."""

    key: str
    default: T
    help: str = ""

    @property
    def type(self) -> type[T]:
        return type(self.default)

    def get(self, s: QSettings | None = None) -> T:
        """The stored value, or the default when missing or unreadable.

        ``QSettings.value(key, default, type=int)`` turns a garbled value into 0, not the default, so the raw value
        is checked first and only a well-formed one is converted with ``type=``.
        """
        s = s or qsettings()
        raw = s.value(self.key)
        if raw is None or not _well_formed(raw, self.type):
            return self.default
        try:
            value = s.value(self.key, self.default, type=self.type)
        except (TypeError, ValueError):
            return self.default
        return value if isinstance(value, self.type) else self.default

    def set(self, value: T, s: QSettings | None = None) -> None:
        """Store ``value`` (the default's type); storing the default keeps the key so the file documents itself."""
        own = s is None
        s = s or qsettings()
        s.setValue(self.key, self.type(value))
        if own:
            s.sync()

    def reset(self, s: QSettings | None = None) -> None:
        """Forget the stored value (the default applies again)."""
        own = s is None
        s = s or qsettings()
        s.remove(self.key)
        if own:
            s.sync()


# -- the settings the window and the Model page use ------------------------------------------------------------
LAST_PAGE = Setting("window/last_page", "model", "The step shown when the app opens.")
ACTIVE_MODEL = Setting("model/active", "", "Folder of the model chosen on the Model page.")
RECENT_FILES = Setting("file/recent", "", "Recently opened files, newest first, one per line.")
MEMORY_BATCH = Setting("model/memory_batch_size", 4, "Batch size used for the training-memory estimate.")
MEMORY_SEQ = Setting("model/memory_max_seq_length", 512, "Longest row (tokens) used for the training-memory estimate.")
HF_TOKEN = Setting("hub/hf_token", "", "Hugging Face access token (for gated or private models).")
DEFAULT_HUB = Setting("hub/default", "modelscope", "The hub the download panel starts with.")
MODELSCOPE_ENDPOINT = Setting("hub/modelscope_endpoint", "", "ModelScope endpoint URL (empty: the public hub).")
HUGGINGFACE_ENDPOINT = Setting("hub/huggingface_endpoint", "", "Hugging Face endpoint URL (empty: the public hub).")
NOTIFICATIONS = Setting("app/notifications", True, "Notify when a run ends while the window is in the back.")
LANGUAGE = Setting("app/language", "system", "The window's language: system, en or zh_CN (applies at the next start).")

MAX_RECENT = 10


def recent_files(s: QSettings | None = None) -> list[Path]:
    """Recently opened files that still exist, newest first."""
    text = RECENT_FILES.get(s)
    return [Path(line) for line in text.splitlines() if line.strip() and Path(line).exists()]


def add_recent_file(path: Path, s: QSettings | None = None) -> list[Path]:
    """Put ``path`` first in the recent-files list and return the new list."""
    path = Path(path).resolve()
    items = [path] + [p for p in recent_files(s) if p.resolve() != path]
    items = items[:MAX_RECENT]
    RECENT_FILES.set("\n".join(str(p) for p in items), s)
    return items


def protect_settings_file() -> None:
    """Make the settings file readable by its owner only (it may hold a hub token)."""
    with contextlib.suppress(OSError):
        os.chmod(settings_file(), 0o600)


# -- geometry helpers (Anki's saveGeom/restoreGeom idea: namespaced keys, restore quietly) -------------------
def save_geometry(s: QSettings, key: str, widget: QWidget) -> None:
    """Remember ``widget``'s geometry under ``geometry/<key>``."""
    s.setValue(f"geometry/{key}", widget.saveGeometry())


def restore_geometry(s: QSettings, key: str, widget: QWidget) -> bool:
    """Restore the geometry saved by :func:`save_geometry`; False when none was saved (or it was unusable)."""
    data = _bytes(s.value(f"geometry/{key}"))
    return bool(data) and widget.restoreGeometry(data)


def save_splitter(s: QSettings, key: str, splitter: QSplitter) -> None:
    """Remember a splitter's sizes under ``splitter/<key>``."""
    s.setValue(f"splitter/{key}", splitter.saveState())


def restore_splitter(s: QSettings, key: str, splitter: QSplitter) -> bool:
    """Restore a splitter saved by :func:`save_splitter`."""
    data = _bytes(s.value(f"splitter/{key}"))
    return bool(data) and splitter.restoreState(data)


def save_header(s: QSettings, key: str, header: QHeaderView) -> None:
    """Remember a table header's column sizes and order under ``header/<key>``."""
    s.setValue(f"header/{key}", header.saveState())


def restore_header(s: QSettings, key: str, header: QHeaderView) -> bool:
    """Restore a header saved by :func:`save_header`."""
    data = _bytes(s.value(f"header/{key}"))
    return bool(data) and header.restoreState(data)


def save_state(s: QSettings, key: str, state: QByteArray) -> None:
    """Store an opaque Qt state blob (e.g. ``QMainWindow.saveState()``) under ``state/<key>``."""
    s.setValue(f"state/{key}", state)


def load_state(s: QSettings, key: str) -> QByteArray | None:
    """The blob stored by :func:`save_state`, or None."""
    data = _bytes(s.value(f"state/{key}"))
    return data or None


def _well_formed(raw: Any, kind: type) -> bool:
    """Whether a raw stored value converts cleanly to ``kind`` (INI files store everything as text)."""
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return True
    if not isinstance(raw, str):
        return False
    text = raw.strip().lower()
    if kind is bool:
        return text in ("true", "false", "1", "0")
    try:
        kind(text)
    except ValueError:
        return False
    return True


def _bytes(value: Any) -> QByteArray:
    if isinstance(value, QByteArray):
        return value
    if isinstance(value, bytes | bytearray):
        return QByteArray(bytes(value))
    return QByteArray()
