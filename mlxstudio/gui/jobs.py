"""Run a Qt-free core function on a QThread, with its events as Qt signals (in-process, non-MLX-training work).

The function is plain core code: ``fn(sink, cancel) -> result``. ``sink`` receives :mod:`mlxstudio.core.events`
events (re-emitted as :attr:`FunctionJob.core_event` in the GUI thread); ``cancel`` is a :class:`CancelFlag` — an event
that can also be called (``cancel()`` → bool), so core functions that expect either convention work. Errors are
never swallowed: a :class:`~mlxstudio.core.errors.UserError` comes out on :attr:`FunctionJob.failed` with its message
as-is, anything else is logged with its traceback (Help → Show Log) and reported in one sentence.

Training and generation do NOT use this (they run in a worker process, see ``core/worker.py`` and ``gui/qworker.py``).
Every job registers itself so :func:`wait_all` can stop them at quit and tests can check none is left running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal

from mlxstudio.core import errors, events, logs
from mlxstudio.gui import quitting
from mlxstudio.gui.i18n import translate


class CancelFlag(threading.Event):
    """A ``threading.Event`` that is also a ``() -> bool`` callable (both cancel conventions of the core)."""

    def __call__(self) -> bool:
        return self.is_set()


_running: set[FunctionJob] = set()


class FunctionJob(QThread):
    """One call of ``fn(sink, cancel)`` on its own thread.

    Signals (delivered in the thread that owns the job, i.e. the GUI thread): ``core_event(object)`` for each core
    event, ``succeeded(object)`` with the return value, ``failed(str)`` with one sentence for the user,
    ``cancelled(str)`` when the user cancelled. Exactly one of the last three fires, then ``QThread.finished``.
    """

    core_event = Signal(object)  # not ``event``: that name is QObject.event(), Qt's event handler
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, name: str, fn: Callable[[events.Sink, CancelFlag], Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.name = name
        self._fn = fn
        self.cancel_flag = CancelFlag()
        self.result: Any = None
        self.error: str | None = None
        self.finished.connect(self._forget)

    def start(self, *args: Any, **kwargs: Any) -> None:
        """Start the thread (and register the job as running)."""
        _running.add(self)
        if self.name.startswith("Download"):  # a model or dataset download: keep the computer awake, notify
            from mlxstudio.gui import activity

            activity.job_started(self, "download")
        super().start(*args, **kwargs)

    def cancel(self) -> None:
        """Ask the function to stop at its next cancel check."""
        self.cancel_flag.set()

    def run(self) -> None:
        """Thread body: call the function and emit exactly one outcome signal."""
        try:
            self.result = self._fn(self.core_event.emit, self.cancel_flag)
        except errors.Cancelled as exc:
            self.cancelled.emit(str(exc) or translate("jobs", "{name} cancelled.").format(name=self.name))
            return
        except errors.UserError as exc:
            self.error = str(exc)
            self.failed.emit(self.error)
            return
        except Exception as exc:  # an internal error: the traceback goes to the log, one sentence to the user
            path = logs.log_exception(exc)
            self.error = self.tr("{name} failed: {exc}. The details are in the log ({name2}, Help → "
                             "Show Log).").format(name=self.name, exc=exc, name2=path.name)
            self.failed.emit(self.error)
            return
        if self.cancel_flag.is_set() and self.result is None:
            self.cancelled.emit(translate("jobs", "{name} cancelled.").format(name=self.name))
            return
        self.succeeded.emit(self.result)

    def _forget(self) -> None:
        _running.discard(self)


def running() -> list[FunctionJob]:
    """Jobs started and not finished yet."""
    return [j for j in _running if j.isRunning()]


def cancel_all() -> None:
    """Ask every running job to stop (at quit, before anything waits: they end while the rest shuts down)."""
    for job in list(_running):
        job.cancel()


def wait_all(timeout_ms: int = 10_000) -> bool:
    """Cancel every running job and wait for it (at quit: within the quit budget, see :mod:`~mlxstudio.gui.quitting`;
    a job still running then is kept, never destroyed while it runs). True when all stopped in time."""
    cancel_all()
    ok = True
    for job in list(_running):
        ok = quitting.stop_thread(job, timeout_ms) and ok
        _running.discard(job)
    return ok
