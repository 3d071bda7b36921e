"""Python's cyclic garbage collector runs on the GUI thread only — never on a worker thread.

Automatic collection runs on whichever thread happens to allocate. When it frees a Qt wrapper there, Qt's destructor
runs on the wrong thread: ``~QObject`` takes a Qt mutex and then needs the GIL, while the GUI thread (holding the GIL)
waits for that mutex in its own destructor — a lock-order inversion that froze the window and the test suite for
ever (issue 15; both threads blocked in C, no timeout can fire). Worker threads allocate a lot (tokenizer loads, JSON
parsing, GGUF import, downloads), so it happens.

The cure is pyqtgraph's :class:`~pyqtgraph.util.garbage_collector.GarbageCollector` (pyqtgraph is a dependency):
automatic collection off, and a ``QTimer`` on the GUI thread that collects the generations whose thresholds were
passed — the same generational policy, on the right thread. :func:`install` starts it before any worker thread exists
(``gui.app.main`` and the test suite's ``qapp``). Reference counting still frees acyclic objects at once on any
thread; a Qt object a worker *creates* is not ours (workers run Qt-free core code and talk through signals, whose
payloads are plain Python objects freed where they are delivered).

:func:`off_thread_collections` counts collections that started on another thread anyway (an explicit
``gc.collect()`` in some library); the first is logged with the thread's name, so a new source is found at once.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication

from mlxstudio.core import logs

INTERVAL_S = 0.5
"""How often the GUI thread checks the generation counts (a check is a few microseconds; a young collection ~1 ms)."""

_collector: Any = None
_gui_thread: int | None = None
_off_thread: list[str] = []


def install(app: QCoreApplication, interval_s: float = INTERVAL_S) -> Any:
    """Disable automatic collection and collect on a timer of the GUI thread (``app``'s thread); idempotent.

    Must run on the GUI thread, before worker threads start. Returns the collector (its ``check()`` runs one
    threshold check now)."""
    global _collector, _gui_thread
    if _collector is not None:
        return _collector
    from pyqtgraph.util.garbage_collector import GarbageCollector

    _gui_thread = threading.get_ident()
    if _watch not in gc.callbacks:
        gc.callbacks.append(_watch)
    _collector = GarbageCollector(interval=interval_s)  # gc.disable() and a QTimer of this (the GUI) thread
    _collector.timer.setParent(app)  # owned by the app: dies with it, on this thread
    return _collector


def check() -> None:
    """Collect now, on the calling thread, the generations whose thresholds were passed — the timer's policy, for
    callers that run between events (the test suite after each test, also before :func:`install`)."""
    if _collector is not None:
        _collector.check()
        return
    (c0, c1, c2), (t0, t1, t2) = gc.get_count(), gc.get_threshold()
    if c0 > t0:
        gc.collect(2 if c1 > t1 and c2 > t2 else 1 if c1 > t1 else 0)


def installed() -> bool:
    """True when collection is confined to the GUI thread."""
    return _collector is not None and not gc.isenabled()


def off_thread_collections() -> list[str]:
    """Names of the threads on which a collection started off the GUI thread since :func:`install` (in order)."""
    return list(_off_thread)


def _watch(phase: str, _info: dict[str, int]) -> None:
    if phase != "start" or _gui_thread is None or threading.get_ident() == _gui_thread:
        return
    name = threading.current_thread().name
    _off_thread.append(name)
    if len(_off_thread) == 1:
        logs.get_logger("mlxstudio.gui").warning(
            "garbage collection started on thread %r, not the GUI thread (an explicit gc.collect()?)", name)
