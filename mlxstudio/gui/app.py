"""Entry point of the app window (``mlxstudio`` / ``python -m mlxstudio``).

Start-up is kept fast: nothing here imports MLX; the window paints first, the other pages load one per event-loop
turn, and the compute backend is detected on a background thread afterwards. Files given on the command line or
opened from Finder (``QFileOpenEvent``) go to :meth:`MainWindow.open_path`.

Set ``MLXSTUDIO_STARTUP_PROBE=1`` to print one JSON line ``{"shown": <unix time>, "mlx_imported": bool}`` when the
window is on screen and quit at once (``benchmarks/startup.py`` uses it; ``gc_on_gui_thread``: the collector is on).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import cast

from PySide6.QtCore import (
    QEvent,
    QMessageLogContext,
    QObject,
    QSocketNotifier,
    QTimer,
    QtMsgType,
    qFormatLogMessage,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox

from mlxstudio.core import logs
from mlxstudio.gui.i18n import translate

APP_NAME = "MLX Studio"


def strip_macos_args(argv: list[str]) -> list[str]:
    """Drop the ``-psn_0_12345`` process-serial-number argument macOS adds to apps started from Finder."""
    return [a for a in argv if not a.startswith("-psn_")]


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our own options and files; unknown options (Qt's, like ``-style``) are returned for QApplication."""
    parser = argparse.ArgumentParser(prog="mlxstudio", description="Open the MLX Studio window.")
    parser.add_argument("files", nargs="*", type=Path,
                        help="datasets (.jsonl, .json, .csv, .tsv, .parquet) or models (.gguf) to open")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_known_args(strip_macos_args(argv))


class Application(QApplication):
    """QApplication that forwards macOS "open this file" events to the window (queued until it exists)."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.window: QObject | None = None
        self.pending_files: list[Path] = []

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.FileOpen:
            path = Path(e.file())  # type: ignore[attr-defined]
            if self.window is not None:
                self.window.open_path(path)  # type: ignore[attr-defined]
            else:
                self.pending_files.append(path)
            return True
        return super().event(e)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An unexpected error in a slot: log the traceback, tell the person in one sentence, keep the window alive."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    exc.__traceback__ = tb
    path = logs.log_exception(exc)
    if QApplication.instance() is not None and not os.environ.get("MLXSTUDIO_STARTUP_PROBE"):
        QMessageBox.warning(None, translate("app", "Something went wrong"),
                            translate("app", "{exc}\n\nMLX Studio keeps running. The details are in the log:\n"
                                      "{path}").format(exc=exc, path=path))


def _qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages still go to stderr; a critical or fatal one also goes to the log and the crash log (Qt aborts
    right after a fatal one — "QThread: Destroyed while thread is still running" — and the crash log then says why)."""
    text = qFormatLogMessage(mode, context, message)
    with contextlib.suppress(Exception):
        if sys.__stderr__ is not None:
            sys.__stderr__.write(text + "\n")
            sys.__stderr__.flush()
    if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        with contextlib.suppress(Exception):
            kind = "fatal" if mode == QtMsgType.QtFatalMsg else "critical"
            logs.crash_note(f"Qt {kind}: {message}")
            logs.get_logger("mlxstudio.qt").error("Qt %s: %s", kind, message)


def install_crash_log() -> Path | None:
    """Make a native crash leave a trace: faulthandler writes every thread's traceback into ``logs/crash.log``
    and Qt's critical/fatal messages are noted there too. None when the log folder cannot be written."""
    try:
        path = logs.enable_crash_log()
    except OSError as exc:
        sys.stderr.write(f"MLX Studio: no crash log ({exc})\n")
        return None
    qInstallMessageHandler(_qt_message)
    return path


def install_signal_handlers(app: QApplication, window: QObject) -> QSocketNotifier | None:
    """SIGTERM / SIGHUP (log-out, ``kill``) close the window the way Quit does, without questions: settings are
    saved, a running training is stopped cleanly (its checkpoint kept), unsaved dataset edits stay in the recovery
    file, and the app exits 0. Python handles the signal only when it runs, so a socket pair wakes the Qt loop."""
    if not hasattr(signal, "SIGTERM") or sys.platform == "win32":
        return None
    rsock, wsock = socket.socketpair()
    for s in (rsock, wsock):
        s.setblocking(False)
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, app)

    def woke() -> None:
        try:
            data = rsock.recv(64)
        except OSError:
            return
        if data:
            notifier.setEnabled(False)
            logs.get_logger("mlxstudio.gui").info("signal %s: closing the window", list(data))
            window.terminate()  # type: ignore[attr-defined]

    notifier.activated.connect(woke)
    signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: None)  # the wake-up byte does the work, in the Qt loop
    app._signal_sockets = (rsock, wsock, notifier)  # type: ignore[attr-defined]  # kept alive with the app
    return notifier


def main(argv: list[str] | None = None) -> int:
    """Open the main window and run the event loop. ``argv`` excludes the program name (default: sys.argv[1:])."""
    args, qt_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.version:
        from mlxstudio.gui.about import package_version

        print(f"MLX Studio {package_version('mlxstudio')}")
        return 0

    install_crash_log()  # first: a native crash from here on leaves its traceback in logs/crash.log
    from mlxstudio.core.runtime import preload_blas

    preload_blas()  # 40 ms: whichever thread imports MLX first then gets the fast BLAS (MLX itself is not imported)
    # instance() is typed as the QCoreApplication base; an app that exists already here (tests) is a QApplication
    app = cast("QApplication | None", QApplication.instance()) or Application([sys.argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("mlxstudio")
    sys.excepthook = _excepthook

    from mlxstudio.gui import collector, i18n, jobs, quitting, qworker

    i18n.install(app)  # the Preferences language (or the system's), before any widget is built
    collector.install(app)  # before any worker thread: cyclic garbage is collected on this (the GUI) thread only
    from mlxstudio.gui.main_window import MainWindow
    from mlxstudio.gui.state import AppState

    state = AppState()
    window = MainWindow(state)
    if isinstance(app, Application):
        app.window = window
    app.aboutToQuit.connect(lambda: _wait_jobs())
    install_signal_handlers(app, window)
    window.show()

    if os.environ.get("MLXSTUDIO_STARTUP_PROBE"):
        def probe() -> None:
            window.repaint()  # the first frame, painted now (synchronously)
            print(json.dumps({"shown": time.time(), "mlx_imported": "mlx.core" in sys.modules,
                              "gc_on_gui_thread": collector.installed()}), flush=True)
            window.close()
            app.quit()
        QTimer.singleShot(0, probe)
        code = app.exec()
    else:
        files = [*args.files, *(app.pending_files if isinstance(app, Application) else [])]
        for f in files:
            QTimer.singleShot(0, lambda f=f: window.open_path(f.expanduser().resolve()))
        code = app.exec()
    # a thread that could not stop in time must not be destroyed with the window (Qt would abort): exit around it
    code = quitting.exit_code(code, [window, *jobs.running(), *qworker.running_workers()])
    _tear_down(window)
    return code


def _tear_down(window: QObject) -> None:
    """After the event loop: free the window, the cached icons and the cyclic garbage now, in this order, while the
    application exists — not in the interpreter's last collection, which frees Qt objects in an arbitrary order
    (a ``~QIcon`` after its engine: a segmentation fault after a clean quit)."""
    import gc

    import shiboken6

    from mlxstudio.gui import icons

    if shiboken6.isValid(window):
        shiboken6.delete(window)
    icons.release()
    gc.collect()


def _wait_jobs() -> None:
    """At ``aboutToQuit``: the in-process jobs still running get what is left of a few seconds, then are kept."""
    from mlxstudio.gui import jobs, quitting

    with quitting.budget():
        jobs.wait_all()
