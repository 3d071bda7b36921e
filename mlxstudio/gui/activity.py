"""Long jobs seen app-wide: keep the computer awake while one runs, and say when it ends.

:class:`~mlxstudio.gui.qworker.WorkerThread` (training, fuse, evaluation, export) and
:class:`~mlxstudio.gui.jobs.FunctionJob` (downloads) call :func:`job_started` when they start. For the kinds in
:data:`JOB_TITLES` this holds one idle-sleep assertion (:class:`mlxstudio.core.runtime.awake.KeepAwake`) while any
of them runs — released when the last one ends, fails or is stopped — and, when the job ends, posts a notification
(:mod:`mlxstudio.gui.notify`; only while the window is not in front, and not while the app is quitting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from mlxstudio.core import events as ev
from mlxstudio.core.runtime.awake import KeepAwake
from mlxstudio.gui import notify
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate

JOB_TITLES: dict[str, str] = {"train": QT_TRANSLATE_NOOP("activity", "Training"),
                              "download": QT_TRANSLATE_NOOP("activity", "The download"),
                              "fuse": QT_TRANSLATE_NOOP("activity", "Fusing"),
                              "evaluate": QT_TRANSLATE_NOOP("activity", "The evaluation"),
                              "export": QT_TRANSLATE_NOOP("activity", "The export")}
"""Job kind → how a notification names it. Only these keep the computer awake and notify."""

make_keep_awake: Callable[[str], KeepAwake] = KeepAwake
"""The platform seam: what holds the assertion (tests put a fake here)."""

_running: dict[int, str] = {}  # id(thread) → kind
_awake: KeepAwake | None = None


def running_kinds() -> list[str]:
    """Kinds of the long jobs running now."""
    return list(_running.values())


def awake_held() -> bool:
    """Whether the idle-sleep assertion is held now."""
    return _awake is not None and _awake.held


def job_started(thread: QThread, kind: str) -> None:
    """Register a long job that just started (GUI thread); it is forgotten when ``thread`` finishes."""
    global _awake
    if kind not in JOB_TITLES or id(thread) in _running:
        return
    _running[id(thread)] = kind
    if _awake is None:
        _awake = make_keep_awake(translate("activity", "{job} in MLX Studio").format(
            job=translate("activity", JOB_TITLES[kind])))
        _awake.hold()
    thread.finished.connect(lambda: _job_ended(thread, kind))


def _job_ended(thread: QThread, kind: str) -> None:
    global _awake
    _running.pop(id(thread), None)
    if not _running and _awake is not None:
        _awake.release()
        _awake = None
    if not shiboken6.isValid(thread) or not _window_open():
        return
    state, message = outcome(thread)
    states = {"finished": translate("activity", "finished"), "failed": translate("activity", "failed"),
              "stopped": translate("activity", "stopped")}
    title = translate("activity", "{job} {state}").format(job=translate("activity", JOB_TITLES[kind]),
                                                          state=states.get(state, state))
    notify.notifier().notify(title, message or title, failed=state == "failed")


def outcome(thread: Any) -> tuple[str, str]:
    """("finished" | "failed" | "stopped", one line) for a WorkerThread or FunctionJob that ended."""
    final = getattr(thread, "final", None)
    if final is not None:
        if isinstance(final, ev.Failed):
            return "failed", final.message
        if isinstance(final, ev.Cancelled):
            return "stopped", final.message
        return "finished", getattr(final, "message", "")
    if getattr(thread, "error", None):
        return "failed", str(thread.error)
    flag = getattr(thread, "cancel_flag", None)
    if flag is not None and flag.is_set():
        return "stopped", translate("activity", "{name} was cancelled").format(
            name=getattr(thread, "name", None) or translate("activity", "the job"))
    return "finished", str(getattr(thread, "name", ""))


def _window_open() -> bool:
    """A visible main window (at quit it is hidden first: jobs stopped by quitting notify nobody)."""
    return any(w.objectName() == "main-window" and w.isVisible() for w in QApplication.topLevelWidgets())


def release_all() -> None:
    """Drop the assertion now (tests; the helper also ends by itself with the app)."""
    global _awake
    _running.clear()
    if _awake is not None:
        _awake.release()
        _awake = None
