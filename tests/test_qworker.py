"""WorkerThread: a worker process's events arrive as Qt signals; stop, kill, crash and quit never leave a process."""

from __future__ import annotations

import os
import signal

import pytest
from gui_helpers import pid_alive
from PySide6.QtCore import QCoreApplication

from mlxstudio.core import events as ev
from mlxstudio.gui import qworker
from mlxstudio.gui.qworker import WorkerThread

pytestmark = pytest.mark.usefixtures("no_dangling_workers")


def test_events_arrive_in_order_then_finished(qtbot):
    w = WorkerThread("selftest", {"steps": 4})
    seen: list[ev.Event] = []
    results: list[dict] = []
    w.progress.connect(seen.append)
    w.finished_ok.connect(results.append)
    with qtbot.waitSignals([w.finished_ok, w.finished], order="strict", timeout=30_000):
        w.start()
    assert [e.done for e in seen] == [1, 2, 3, 4]
    assert results and results[0]["steps"] == 4
    assert isinstance(w.final, ev.Finished)
    assert w.pid is not None and not pid_alive(w.pid)


def test_user_error_is_failed_with_message(qtbot):
    w = WorkerThread("selftest", {"steps": 1, "fail": "user"})
    with qtbot.waitSignal(w.failed, timeout=30_000) as blocker:
        w.start()
    assert blocker.args == ["selftest: a user-fixable problem"]
    qtbot.waitUntil(w.isFinished)


def test_crashed_worker_is_failed_not_fatal(qtbot):
    w = WorkerThread("selftest", {"steps": 5, "fail": "crash", "crash_at": 2})
    with qtbot.waitSignal(w.failed, timeout=30_000) as blocker:
        w.start()
    assert "SIGKILL" in blocker.args[0]
    qtbot.waitUntil(w.isFinished)
    assert not pid_alive(w.pid)


def test_stop_is_graceful(qtbot):
    w = WorkerThread("selftest", {"steps": 200, "delay": 0.05})
    with qtbot.waitSignal(w.progress, timeout=30_000):
        w.start()
    with qtbot.waitSignal(w.cancelled, timeout=30_000) as blocker:
        w.stop()
    assert "stopped after" in blocker.args[0]
    qtbot.waitUntil(w.isFinished)
    assert not pid_alive(w.pid)


def test_stop_kills_after_timeout(qtbot):
    # one long step: the graceful cancel is only seen between steps, so the timeout must kill it
    w = WorkerThread("selftest", {"steps": 2, "delay": 60})
    with qtbot.waitSignal(w.progress, timeout=30_000):
        w.start()
    with qtbot.waitSignal(w.cancelled, timeout=30_000) as blocker:
        w.stop(timeout=0.3)
    assert "by force" in blocker.args[0]
    qtbot.waitUntil(w.isFinished)
    assert not pid_alive(w.pid)


def test_stop_before_process_started(qtbot):
    w = WorkerThread("selftest", {"steps": 100, "delay": 0.05})
    w.start()
    w.stop()
    with qtbot.waitSignal(w.finished, timeout=30_000):
        pass
    assert isinstance(w.final, ev.Cancelled)


def test_await_workers_on_quit_leaves_no_process(qtbot):
    w = WorkerThread("selftest", {"steps": 1000, "delay": 0.05})
    with qtbot.waitSignal(w.progress, timeout=30_000):
        w.start()
    pid = w.pid
    QCoreApplication.instance().aboutToQuit.emit()  # what app.quit() does before the loop ends
    assert w.isFinished()
    assert not pid_alive(pid)
    assert qworker.running_workers() == []


def test_external_sigterm_reported(qtbot):
    w = WorkerThread("selftest", {"steps": 1000, "delay": 0.05})
    with qtbot.waitSignal(w.progress, timeout=30_000):
        w.start()
    with qtbot.waitSignal(w.failed, timeout=30_000) as blocker:
        os.kill(w.pid, signal.SIGTERM)
    assert "SIGTERM" in blocker.args[0]
    qtbot.waitUntil(w.isFinished)


def test_signal_emit_keeps_reference_counts():
    """PySide6 6.12.0's ``SignalInstance.emit()`` returned a borrowed ``True``: every emit from Python dropped one
    reference, and after a few thousand training events the interpreter aborted (bool_dealloc). pyproject excludes
    that version; this guards against it coming back."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        sig = Signal(object)

    e = Emitter()
    e.sig.connect(lambda _v: None)
    before = sys.getrefcount(True)
    for _ in range(200):
        e.sig.emit(None)
    assert sys.getrefcount(True) >= before


def test_running_workers_survives_a_deleted_worker(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A worker whose Qt parent deleted it before it was forgotten must not crash running_workers()."""
    import shiboken6
    from PySide6.QtWidgets import QWidget

    from mlxstudio.gui import qworker

    parent = QWidget()
    w = qworker.WorkerThread("generate", {}, parent=parent)
    qworker._live.add(w)
    shiboken6.delete(parent)
    assert not shiboken6.isValid(w)
    assert w not in qworker.running_workers()
    assert w not in qworker._live
