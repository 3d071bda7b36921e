"""Supervise a worker process (:class:`~mlxstudio.core.runtime.worker.WorkerProcess`) from a QThread; its events →
Qt signals.

The thread only reads the worker's event stream; the work itself (training, fuse, generation) runs in a child
process, so a crash there (SIGKILL, a Metal abort) becomes a :attr:`WorkerThread.failed` signal with a clear message
and the window stays up. Stopping is graceful first (the job finishes its step and saves), then a kill after a
timeout. Every running WorkerThread is registered; :func:`await_workers` (connected to ``aboutToQuit``, napari's
idea) stops them all so the app never exits with a thread or a child process left running.

    w = WorkerThread("train", params)
    w.report.connect(...); w.finished_ok.connect(...); w.failed.connect(...)
    w.start()
    ...
    w.stop()          # graceful; kills after ``kill_timeout`` seconds
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal

from mlxstudio.core import events as ev
from mlxstudio.core import logs
from mlxstudio.core.runtime import WorkerProcess
from mlxstudio.gui import activity, quitting

DEFAULT_KILL_TIMEOUT = 20.0
"""Seconds a worker gets to stop gracefully (finish its step, write the adapter) before it is killed."""

_live: set[WorkerThread] = set()
_hooked_apps: set[int] = set()


class WorkerThread(QThread):
    """Run one job in a worker process and re-emit its events as Qt signals (delivered in the GUI thread).

    ``nice`` > 0 lowers the worker's scheduling priority by that much (the GUI stays smooth while it computes).

    Signals: ``core_event(object)`` for every event; ``report``/``val_report``/``checkpoint``/``log``/``progress`` for
    the common kinds; then exactly one of ``finished_ok(dict)`` (the job's result), ``failed(str)`` (one sentence
    for the user; :attr:`detail` has the traceback/stderr tail) or ``cancelled(str)``; then ``QThread.finished``.
    """

    core_event = Signal(object)  # not ``event``: that name is QObject.event(), Qt's event handler
    report = Signal(object)
    val_report = Signal(object)
    checkpoint = Signal(object)
    log = Signal(object)
    progress = Signal(object)
    finished_ok = Signal(dict)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, job: str, params: dict[str, Any], parent: QObject | None = None,
                 kill_timeout: float = DEFAULT_KILL_TIMEOUT, env: dict[str, str] | None = None,
                 nice: int = 0) -> None:
        super().__init__(parent)
        self.job = job
        self.params = params
        self.kill_timeout = kill_timeout
        self.env = env
        self.nice = nice
        self.process: WorkerProcess | None = None
        self.final: ev.Event | None = None
        self.detail = ""
        self.pid: int | None = None
        self._stop_requested = False
        self._killed_by_us = False
        self._kill_timer: QTimer | None = None
        self.finished.connect(self._forget)

    # -- control -----------------------------------------------------------------------------------------------
    def start(self, *args: Any, **kwargs: Any) -> None:
        """Start supervising (the worker process starts on the thread). Registers the quit hook once per app."""
        _live.add(self)
        _install_quit_hook()
        activity.job_started(self, self.job)  # training, fuse…: keep the computer awake, notify when it ends
        super().start(*args, **kwargs)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the job to stop gracefully; kill the process if it is still running after ``timeout`` seconds."""
        self._request_stop()
        if self._kill_timer is None and self.isRunning():
            self._kill_timer = QTimer(self)
            self._kill_timer.setSingleShot(True)
            self._kill_timer.timeout.connect(self._kill_after_timeout)
            self._kill_timer.start(int(1000 * (self.kill_timeout if timeout is None else timeout)))

    def _request_stop(self) -> None:
        self._stop_requested = True
        proc = self.process
        if proc is not None:
            proc.cancel()

    def stop_and_wait(self, timeout: float, kill_wait: float = 10.0) -> bool:
        """Stop and block until the thread ends (at close): the process gets ``timeout`` s to stop gracefully (finish
        its step, save), then it is killed. True when the thread ended; one still running after the kill is kept
        (:func:`mlxstudio.gui.quitting.keep`) — never destroyed while it runs. (:meth:`stop`'s kill timer cannot fire
        while the GUI thread blocks here, hence the kill by hand.)"""
        self._request_stop()
        if self.wait(int(timeout * 1000)):
            return True
        self.kill()
        if self.wait(int(kill_wait * 1000)):
            return True
        quitting.keep(self)
        return False

    def kill(self) -> None:
        """Kill the worker process now (its last complete checkpoint stays valid)."""
        self._stop_requested = True
        self._killed_by_us = True
        if self.process is not None:
            self.process.kill()

    def _kill_after_timeout(self) -> None:
        if self.isRunning() and self.process is not None and self.process.running:
            logs_msg = self.tr("the {job} worker did not stop within {kill_timeout:.0f} s; killing it").format(
                job=self.job, kill_timeout=self.kill_timeout)
            self.log.emit(ev.Log(message=logs_msg, level="warning"))
            self.kill()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` or :meth:`kill` was called."""
        return self._stop_requested

    # -- the thread --------------------------------------------------------------------------------------------
    def make_process(self) -> WorkerProcess:
        """The process to supervise (a subclass may return a WorkerProcess subclass, e.g. a group of ranks)."""
        return WorkerProcess(self.job, self.params, env=self.env)

    def run(self) -> None:  # runs on the QThread
        proc = self.make_process()
        try:
            proc.start()
        except OSError as exc:
            self._emit_final(ev.Failed(job=self.job, message=self.tr("cannot start the {job} worker: {exc}").format(
                job=self.job, exc=exc)))
            return
        self.process = proc
        self.pid = proc.proc.pid if proc.proc is not None else None
        if self.nice and self.pid:  # the window gets the CPU first when it needs it (it needs little)
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, self.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + self.nice))
        if self._stop_requested:  # stop() came before the process existed
            proc.cancel()
        try:
            for event in proc.events():
                if isinstance(event, (ev.Finished, ev.Failed, ev.Cancelled)):
                    self._emit_final(event)
                    continue
                self.core_event.emit(event)
                if isinstance(event, ev.TrainReport):
                    self.report.emit(event)
                elif isinstance(event, ev.ValReport):
                    self.val_report.emit(event)
                elif isinstance(event, ev.CheckpointSaved):
                    self.checkpoint.emit(event)
                elif isinstance(event, ev.Log):
                    self.log.emit(event)
                elif isinstance(event, ev.Progress):
                    self.progress.emit(event)
        except Exception as exc:  # reading the stream must never take the window down
            path = logs.log_exception(exc)
            proc.kill()
            proc.wait(10)
            self._emit_final(ev.Failed(job=self.job, message=
                self.tr("lost contact with the {job} worker: {exc}").format(
                job=self.job, exc=exc),
                                       detail=str(path)))
        finally:
            proc.wait(10)

    def _emit_final(self, event: ev.Event) -> None:
        if self.final is not None:
            return
        if isinstance(event, ev.Failed) and self._killed_by_us:
            event = ev.Cancelled(job=self.job, message=self.tr("stopped by force (it did not stop in time); the last "
                                                       "checkpoint is kept"))
        self.final = event
        self.core_event.emit(event)
        if isinstance(event, ev.Finished):
            self.finished_ok.emit(dict(event.result))
        elif isinstance(event, ev.Cancelled):
            self.cancelled.emit(event.message)
        elif isinstance(event, ev.Failed):
            self.detail = event.detail
            self.failed.emit(event.message)

    def _forget(self) -> None:
        if self._kill_timer is not None:
            self._kill_timer.stop()
        _live.discard(self)


# -- quitting ----------------------------------------------------------------------------------------------------
def running_workers() -> list[WorkerThread]:
    """Worker threads that have not finished yet.

    A worker whose Qt object was deleted (its parent went away before ``finished`` was delivered) is dropped here
    instead of crashing on the dead C++ object.
    """
    for w in [w for w in _live if not shiboken6.isValid(w)]:
        _live.discard(w)
    return [w for w in _live if not w.isFinished()]


def await_workers(timeout: float = DEFAULT_KILL_TIMEOUT) -> None:
    """Stop every running worker: graceful cancel, wait up to ``timeout`` s in total, then kill and wait.

    Connected to ``QCoreApplication.aboutToQuit``, so quitting never leaves an orphan process or a running thread.
    """
    workers = running_workers()
    for w in workers:
        w._request_stop()
    deadline = time.monotonic() + timeout
    for w in workers:
        w.stop_and_wait(max(0.0, deadline - time.monotonic()))
    _live.difference_update(workers)


def _install_quit_hook() -> None:
    app = QCoreApplication.instance()
    if app is None or id(app) in _hooked_apps:
        return
    _hooked_apps.add(id(app))
    app.aboutToQuit.connect(lambda: await_workers())
