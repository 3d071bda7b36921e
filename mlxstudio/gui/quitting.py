"""Quit promptly and never abort: a shared, short wait for in-process threads, and a clean exit if one still runs.

Qt aborts the whole process ("QThread: Destroyed while thread is still running", SIGABRT — macOS then says the app
quit unexpectedly) when a QThread object is deleted while its thread runs. Some in-process work cannot be interrupted
(loading a tokenizer, one step of a GGUF import on a slow disk), so at quit:

1. inside :func:`budget` (the window's shutdown, ``aboutToQuit``) every wait for an in-process thread shares
   :data:`QUIT_WAIT_S` seconds (:func:`wait_ms` gives what is left), instead of 10–30 s per thread;
2. :func:`stop_thread` waits for a cancelled thread within that budget; one still running is *kept*: detached from
   its parent (a page being destroyed would delete it) and referenced here, so it is never destroyed;
3. :func:`exit_code` ends ``main``: when a thread still runs, the logs are flushed and the process ends with
   ``os._exit`` — everything worth keeping (settings, recovery files) was written before, and worker *processes*
   were stopped by :mod:`mlxstudio.gui.qworker`, whose graceful stop is not limited by this budget.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator

import shiboken6
from PySide6.QtCore import QObject, QThread

from mlxstudio.core import logs

QUIT_WAIT_S = 3.0
"""Seconds all in-process threads get, together, to end after the window closed (they were cancelled first)."""

_deadline: float | None = None
_kept: list[QThread] = []


@contextlib.contextmanager
def budget(seconds: float = QUIT_WAIT_S) -> Iterator[None]:
    """While the window closes: every wait for an in-process thread inside shares ``seconds`` (nested: the outer
    budget counts). Outside, waits take their own timeouts (a window closed in a test does not shorten later ones)."""
    global _deadline
    if _deadline is not None:
        yield
        return
    _deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline = None


def wait_ms(cap_ms: int) -> int:
    """How long a wait for an in-process thread may take: ``cap_ms``, or less inside :func:`budget`."""
    if _deadline is None:
        return cap_ms
    return max(0, min(cap_ms, int((_deadline - time.monotonic()) * 1000)))


def stop_thread(thread: QThread | None, cap_ms: int = 10_000) -> bool:
    """Wait (within :func:`wait_ms`) for a thread that was asked to stop. True when it ended; when it still runs it
    is kept (never destroyed while it runs) and False is returned. The caller cancels it first."""
    if thread is None or not shiboken6.isValid(thread):
        return True
    if thread.wait(wait_ms(cap_ms)):
        return True
    keep(thread)
    return False


def keep(thread: QThread) -> None:
    """Keep a running thread alive to the end of the process: no parent can delete it, nothing here drops it."""
    if thread in _kept:
        return
    if thread.parent() is not None:
        thread.setParent(None)  # ownership goes to the Python wrapper, which _kept holds
    _kept.append(thread)
    name = getattr(thread, "name", None) or type(thread).__name__
    logs.get_logger("mlxstudio.gui").warning("%s did not stop in time; it is left to end with the app", name)


def still_running(roots: Iterable[QObject] = ()) -> list[QThread]:
    """Threads still running: the kept ones, and ``roots`` that are threads or have QThread children (the window)."""
    found = [t for t in _kept if shiboken6.isValid(t)]
    for root in roots:
        if shiboken6.isValid(root):
            found.extend(t for t in [root, *root.findChildren(QThread)] if isinstance(t, QThread) and t not in found)
    return [t for t in found if shiboken6.isValid(t) and t.isRunning()]


def exit_code(code: int, roots: Iterable[QObject] = ()) -> int:
    """End of ``main``: return ``code``, or — when a thread still runs, which destroying the window or the
    interpreter's teardown would turn into Qt's abort — flush the logs and end the process now with ``code``."""
    left = still_running(roots)
    if not left:
        return code
    names = ", ".join(str(getattr(t, "name", None) or type(t).__name__) for t in left)
    logs.get_logger("mlxstudio.gui").info("quitting with %d thread(s) still running (%s): exiting at once",
                                          len(left), names)
    logging.shutdown()  # flushes and closes every log handler
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)
