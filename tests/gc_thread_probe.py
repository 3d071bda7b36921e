"""Child process of test_gc_thread.py: widgets in reference cycles are dropped on the GUI thread while a worker thread
allocates heavily. Prints one JSON line: how many wrappers were freed, and how many of them on another thread.

    python gc_thread_probe.py --collector   # the app's set-up (mlxstudio.gui.collector.install)
    python gc_thread_probe.py               # Python's default: automatic collection on any thread

Without the collector the worker's allocations trigger the collections that free the widgets (on the worker thread:
wrong, and it can deadlock or crash — the parent test runs this under a hard time limit).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QMenu, QToolButton, QWidget

freed_on: list[int] = []


class CycleWidget(QWidget):
    """A widget kept alive only by a reference cycle (itself → dict → itself), with a child menu and button."""

    def __init__(self) -> None:
        super().__init__()
        self.menu = QMenu(self)
        self.menu.addAction("one")
        self.button = QToolButton(self)
        self.button.setMenu(self.menu)
        self.me = {"self": self}

    def __del__(self) -> None:
        freed_on.append(threading.get_ident())


def main() -> int:
    app = QApplication([sys.argv[0]])
    if "--collector" in sys.argv:
        from mlxstudio.gui import collector

        collector.install(app, interval_s=0.05)
    gui = threading.get_ident()
    stop = threading.Event()

    def allocate() -> None:  # what a tokenizer load or JSON parse does: many small containers
        while not stop.is_set():
            junk = [{"k": [i]} for i in range(2000)]
            del junk

    worker = threading.Thread(target=allocate, name="allocating-worker")
    worker.start()
    made = 0
    deadline = time.monotonic() + float(os.environ.get("PROBE_SECONDS", "4"))
    try:
        while time.monotonic() < deadline:
            w = CycleWidget()
            w.button.grab()  # paint: the icon/menu machinery of the hung stack
            del w
            made += 1
            app.processEvents()
            time.sleep(0.001)  # release the GIL: the worker allocates meanwhile
    finally:
        stop.set()
        worker.join()
    for _ in range(3):  # let the GUI thread's timer (or an explicit collect here) free what is left
        app.processEvents()
        time.sleep(0.06)
    import gc

    gc.collect()
    off = sum(1 for t in freed_on if t != gui)
    print(json.dumps({"made": made, "freed": len(freed_on), "off_thread": off}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
